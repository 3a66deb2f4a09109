/* SPDX-License-Identifier: MIT */
/*
 * The pipeline: the decode stage and the metrics engine behind one object,
 * the only place either is made for the daemon. Edges go in; events,
 * messages and output changes come out through the engine's sink, which
 * the caller gives (the gateway's, into the store: gateway_sink.c). The
 * decode stage's events go straight to the engine, so data flows one way:
 * backend -> pipeline -> sink -> store.
 *
 * Time: in run mode the pipeline borrows the clock, which stamps each new
 * engine with its sync state, and the engine trails it by the grace period
 * ([gateway] grace): a window closes only once edges read a little late are
 * in. Replay and simulate have no clock: the engine goes as far as the
 * decode stage has settled, and every window says the clock was synced.
 *
 * Ownership: the pipeline owns its decode stage and engine. It borrows the
 * configuration (which must outlive it: a reload makes a new pipeline for
 * the new one), the clock and the sink's context. All calls come from the
 * loop's thread.
 */
#ifndef GS_PIPELINE_H
#define GS_PIPELINE_H

#include "gateway/config.h"
#include "gateway/engine.h"
#include "gateway/event.h"
#include "gateway/outputs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gs_clock;
struct gs_pipeline;

/*
 * Makes the engine, then the decode stage, for cfg; clock is NULL outside
 * run mode. Returns 0 with *out set, GS_ECONFIG if the engine refuses cfg
 * (its time zone cannot be loaded: logged), or GS_ENOMEM. The engine sets
 * the process's TZ (engine.h).
 */
int gs_pipeline_new(const struct gs_config *cfg, struct gs_clock *clock,
                    const struct gs_engine_sink *sink, void *sink_ctx,
                    struct gs_pipeline **out);
/* NULL-safe. Events held back and open windows are discarded unpublished. */
void gs_pipeline_free(struct gs_pipeline *p);

/* Edges in time order; after each the engine goes as far as it may. */
void gs_pipeline_feed(struct gs_pipeline *p, const struct gs_edge *edges,
                      size_t n);

/* Time has reached now_ms with no edge before it (run: the clock; replay:
 * the scenario's horizon). */
void gs_pipeline_advance(struct gs_pipeline *p, int64_t now_ms);

/* The earliest instant at which gs_pipeline_advance() has something to do
 * (in run mode an engine deadline counts a grace period later), or
 * GS_TIME_NONE. */
int64_t gs_pipeline_next_deadline(const struct gs_pipeline *p);

/*
 * End of the input at last_ms (the last edge, or the end of a simulation's
 * duration): nothing due later is raised, every open window is published
 * showing its state as of last_ms (clarification 3).
 */
void gs_pipeline_finish(struct gs_pipeline *p, int64_t last_ms);

/*
 * The clock jumped ahead by a window or more: p finishes at last_ms, as a
 * replay ends, and goes on with a new decode stage and engine from the same
 * configuration. On failure (GS_ECONFIG, GS_ENOMEM) p is left as it was.
 */
int gs_pipeline_restart(struct gs_pipeline *p, int64_t last_ms);

/*
 * Configuration reload: old, the running pipeline, ends at now_ms (its
 * decode stage finished, its engine settled under p's grace period and,
 * if the window length changes, finished: its open window published) and
 * its running state goes into p's engine, which must be new
 * (gs_engine_carry() says what is carried). old is then only to be freed.
 * Returns 0, GS_EINVAL if p has started, or GS_ENOMEM (p is unusable).
 */
int gs_pipeline_carry(struct gs_pipeline *p, struct gs_pipeline *old,
                      int64_t now_ms);

/*
 * Run mode's start-up: events stored before a restart go to the engine
 * again, as they were decoded then, then the engine moves to now_ms. The
 * decode stage starts afresh with the first edge.
 */
void gs_pipeline_restore_event(struct gs_pipeline *p,
                               const struct gs_event *ev);
void gs_pipeline_restore_end(struct gs_pipeline *p, int64_t now_ms);

/* Whether events now come with synchronised stamps (engine.h). */
void gs_pipeline_set_clock_synced(struct gs_pipeline *p, bool synced);

/* What an alert output shows now. */
enum gs_output_state gs_pipeline_output(const struct gs_pipeline *p,
                                        unsigned output);
/* The site's occupancy now. */
int64_t gs_pipeline_occupancy(const struct gs_pipeline *p);
/* Whether any line of sensor (an index into cfg->sensors) is held past
 * its fault limit, as the decode stage sees it now. */
bool gs_pipeline_sensor_faulted(const struct gs_pipeline *p, unsigned sensor);

#endif
