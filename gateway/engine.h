/* SPDX-License-Identifier: MIT */
/*
 * The metrics engine: perceived versus actual on one time grid.
 *
 * It consumes domain events in event-time order and produces two kinds of
 * message: a metrics window every window_ms (tumbling, aligned to the Unix
 * epoch) and alerts the moment their condition becomes true. Its messages
 * are a pure function of its input: no clock is read, so a replayed
 * scenario gives the same messages every run (its one effect outside the
 * sink is the process's TZ, below). The contract of every field is
 * docs/metrics.md; the tie-breaking rules are
 * shared/metrics-clarifications.md.
 *
 * Ordering at one millisecond t (clarification 2): windows ending at t are
 * closed; then day resets and trailing-window departures at t; then the
 * events at t in the order given; then limits that must be passed (a queue
 * abandonment at t is processed once time has moved past t).
 *
 * Local time: the daily occupancy reset is computed with localtime_r()
 * under TZ set to cfg->timezone. gs_engine_new() sets the process's TZ
 * environment variable to that zone (gateway/tz.h says why; the engine is
 * the only part of gapsense that sets TZ); it is set again only if it
 * differs, so create engines before starting threads that read the
 * environment.
 *
 * publish() is given t_ms = the event time at which the message was made:
 * a window's end (or last_ms for the windows gs_engine_finish() closes),
 * an alert's own time.
 */
#ifndef GS_ENGINE_H
#define GS_ENGINE_H

#include "gateway/config.h"
#include "gateway/event.h"
#include "gateway/msg.h"
#include "gateway/outputs.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

struct gs_engine;

struct gs_engine_sink {
	/*
	 * Every event the engine accepted, including the GS_EV_ABANDON events
	 * it derives itself, in time order: for the store.
	 */
	void (*event)(void *ctx, const struct gs_event *ev);
	/*
	 * A message to publish. payload has every field but "seq", which is
	 * present as 0 for the store to fill in; ownership passes to the
	 * callee (cJSON_Delete it). window_start_ms is the window's start for
	 * GS_MSG_METRICS and -1 for alerts.
	 */
	void (*publish)(void *ctx, enum gs_msg_kind kind, int64_t t_ms,
	                int64_t window_start_ms, cJSON *payload);
	/*
	 * An alert output ([output "NAME"], an index into cfg->outputs) is
	 * to show st from t_ms on; may be NULL. Acknowledgements come to
	 * publish() as GS_MSG_ACK.
	 */
	void (*output)(void *ctx, unsigned output, enum gs_output_state st,
	               int64_t t_ms);
};

/*
 * cfg is copied. Returns NULL on allocation failure or if cfg->timezone
 * cannot be loaded (logged).
 */
struct gs_engine *gs_engine_new(const struct gs_config *cfg,
                                const struct gs_engine_sink *sink, void *ctx);
/* NULL-safe; open windows are discarded unpublished. */
void gs_engine_free(struct gs_engine *eng);

/* One event; t_ms must not be older than the previous event or advance. */
void gs_engine_event(struct gs_engine *eng, const struct gs_event *ev);

/*
 * Time has reached now_ms: runs every deadline due at or before it (window
 * closes, day resets, trailing-window departures), and the limits that
 * must be passed strictly before it. The first call (or first event)
 * opens the first window.
 */
void gs_engine_advance(struct gs_engine *eng, int64_t now_ms);

/* Earliest instant at which advance() has something to do. */
int64_t gs_engine_next_deadline(const struct gs_engine *eng);

/*
 * End of a replay whose last edge was at last_ms: nothing due later
 * happens; every open window is closed showing its state as of last_ms
 * (clarification 3).
 */
void gs_engine_finish(struct gs_engine *eng, int64_t last_ms);

/*
 * Configuration reload: carries the running state of old into eng, which
 * must be new (no event or advance yet), so that a reload loses nothing:
 * occupancy, queue entries still waiting, the trailing alert windows and
 * whether each alert is armed, faulted lines, and, when the window length
 * is unchanged, the open window with its counts so far (the caller then
 * frees old without finishing it). When the window length changes, the
 * caller publishes old's open window first (gs_engine_finish(old, now))
 * and eng opens a new window at the same instant; a finished old engine
 * never hands over its window. Sensors are matched by
 * name and type; counts of a sensor that is gone leave the open window,
 * and a terminal whose button count changed starts its counts afresh.
 * Entries already past a shorter max_wait give up, and presses or serves
 * older than a shorter trailing window leave it, at the reload instant.
 * old is not changed. Returns 0, GS_EINVAL if eng has started, or
 * GS_ENOMEM (eng is then unusable: free it).
 */
int gs_engine_carry(struct gs_engine *eng, const struct gs_engine *old);

/* Whether events now come with synchronised stamps (default true). A
 * window says "clock_synced": true only if this held all through it. */
void gs_engine_set_clock_synced(struct gs_engine *eng, bool synced);

/* What an alert output shows now (a reload's new engine: all off). */
enum gs_output_state gs_engine_output(const struct gs_engine *eng,
                                      unsigned output);

/* Current occupancy and per-sensor fault flags, for the status message. */
int64_t gs_engine_occupancy(const struct gs_engine *eng);
/* Whether any line of sensor (an index into cfg->sensors) is faulted. */
bool gs_engine_sensor_faulted(const struct gs_engine *eng, unsigned sensor);

#endif
