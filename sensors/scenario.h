/* SPDX-License-Identifier: MIT */
/*
 * Scenario files: raw edges as CSV (docs/scenario.md).
 *
 *   time,chip,line,value
 *   # comment
 *   2026-11-23T09:00:00.250Z,gpiochip0,GPIO17,0
 *
 * chip and line as the config names them; value is the physical level at
 * the pin (the sensor's active_low decides what is active). Edges must be
 * in time order.
 */
#ifndef GS_SCENARIO_H
#define GS_SCENARIO_H

#include "gateway/config.h"
#include "gateway/event.h"
#include "sensors/backend.h"

#include <stdio.h>

/*
 * A backend reading path. speed 0: as fast as the pipeline takes it; its fd
 * is an eventfd that stays readable until the end of the file. speed > 0:
 * paced, each edge handed over when it is due, speed times faster than the
 * scenario's own time measured from the first edge; its fd is a timerfd
 * armed for the next edge's due moment. The edges, their times and so the
 * messages are the same at any speed. Errors name the file and line
 * ("scenario.csv:12: ...") in the log and fail read() with GS_EPARSE. cfg
 * must outlive the backend.
 */
int gs_scenario_backend_new(const struct gs_config *cfg, const char *path,
                            double speed, struct gs_backend **out);

/*
 * The message of the error that failed the backend ("scenario.csv:12:
 * unknown line GPIO99 on chip gpiochip0"), or "" if none. For the replay
 * command's exit message and the tests. be must be a scenario backend.
 */
const char *gs_scenario_backend_error(const struct gs_backend *be);

struct gs_scenario_writer;

/* Creates path (truncating) and writes the header. NULL on error (logged). */
struct gs_scenario_writer *gs_scenario_writer_open(const struct gs_config *cfg,
                                                   const char *path);
/* Appends one edge as the physical level. Returns 0 or GS_EIO. */
int gs_scenario_writer_add(struct gs_scenario_writer *w,
                           const struct gs_edge *edge);
/* NULL-safe; flushes and closes. Returns 0 or GS_EIO. */
int gs_scenario_writer_close(struct gs_scenario_writer *w);

#endif
