/* SPDX-License-Identifier: MIT */
/*
 * The decode stage: every sensor's decoder behind one push/advance pair,
 * turning time-ordered edges into time-ordered domain events.
 *
 * Edges must be pushed in non-decreasing t_ms. Events come out through the
 * callback in non-decreasing t_ms too, which is what lets metrics be a pure
 * function of event time. Two things make the stage hold events back:
 *  - beam-pair noise: a break is only known to be real once it has lasted
 *    min_break, so an edge queued behind an unconfirmed beam activation
 *    waits (at most min_break) until that activation is confirmed or
 *    dropped as noise together with its clearing edge;
 *  - limits that must be *passed* (a line active strictly longer than its
 *    fault limit): a fault stamped at activation + limit is emitted only
 *    once time has moved past that instant.
 * A debounced line (debounce_ms) ignores changes within debounce_ms of
 * its last accepted change; if its physical level still differs when that
 * period ends, it takes that level then, so a glitch cannot leave a line
 * stuck (a deadline of gs_decode_next_deadline() too).
 *
 * See shared/metrics-clarifications.md (points 1, 2, 4-8) for the rules.
 */
#ifndef GS_DECODE_H
#define GS_DECODE_H

#include "gateway/config.h"
#include "gateway/event.h"

#include <stdbool.h>
#include <stdint.h>

struct gs_decode;

typedef void (*gs_event_fn)(void *ctx, const struct gs_event *ev);

/*
 * Creates the stage for every sensor in cfg (which is copied). Events go to
 * emit(ctx, ev). Returns NULL on allocation failure.
 */
struct gs_decode *gs_decode_new(const struct gs_config *cfg, gs_event_fn emit,
                                void *ctx);
/* NULL-safe. Events still held back are discarded. */
void gs_decode_free(struct gs_decode *dec);

/* Feeds one edge. Edges older than the last one pushed are clamped. */
void gs_decode_push(struct gs_decode *dec, const struct gs_edge *edge);

/*
 * Tells the stage that time has reached now_ms with no further edge before
 * it (live: the clock; replay: the scenario's latest edge). Confirms beam
 * activations at least min_break old and raises faults whose instant is
 * strictly before now_ms.
 */
void gs_decode_advance(struct gs_decode *dec, int64_t now_ms);

/*
 * End of a replay at the last edge's time: releases what can be released
 * without looking further ahead (unconfirmed breaks are dropped as noise)
 * and raises nothing that is due later (clarification 3).
 */
void gs_decode_finish(struct gs_decode *dec, int64_t last_ms);

/*
 * The time up to which every event has been emitted: every event still to
 * come has t_ms >= the returned value (the latest pushed or advanced time,
 * or the time of the oldest edge held back behind an unconfirmed beam
 * activation if that is earlier). INT64_MIN before the first push or
 * advance. The gateway advances the metrics engine to it after each push,
 * so that windows close in the right order relative to held-back events.
 */
int64_t gs_decode_settled(const struct gs_decode *dec);

/*
 * How many beam activations were confirmed before lasting min_break because
 * the hold-back buffer was full (a storm of edges; logged when it happens).
 */
uint64_t gs_decode_forced(const struct gs_decode *dec);

/* Earliest instant at which advance() would emit something, or
 * GS_TIME_NONE. The live loop arms a timer for it. */
int64_t gs_decode_next_deadline(const struct gs_decode *dec);

/*
 * For the wiring view, which shows the edges the decoders act on, not the
 * contact bounces they ignore. gs_decode_edge_counts() first moves time to
 * the edge (as gs_decode_push() would: debounce periods that ended settle,
 * events may be emitted), then tells whether the edge will change the
 * line's debounced level: false for a repeated level or a bounce within
 * debounce_ms of the last accepted change. Push the edge afterwards.
 */
bool gs_decode_edge_counts(struct gs_decode *dec, const struct gs_edge *edge);
/* The line's level after debounce (before the beam-pair noise lookahead)
 * and, in *since_ms (may be NULL), when it last changed (GS_TIME_NONE if
 * never): a settled bounce changes it at the end of its period. */
bool gs_decode_line_debounced(const struct gs_decode *dec, unsigned sensor,
                              unsigned input, int64_t *since_ms);

/* Live state for the wiring view and the status message. */
bool gs_decode_line_active(const struct gs_decode *dec, unsigned sensor,
                           unsigned input);
bool gs_decode_sensor_faulted(const struct gs_decode *dec, unsigned sensor);

#endif
