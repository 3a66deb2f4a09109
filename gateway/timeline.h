/* SPDX-License-Identifier: MIT */
/*
 * Run mode's time line: turns the kernel's monotonic edge stamps into event
 * time through a gs_clock and decides what the first synchronisation and
 * later steps of the system clock mean for the pipeline (clock.h, points 2
 * to 4; docs/metrics.md, "The clock").
 *
 *  - Until the clock has been synchronised, edges are held in memory (at
 *    most hold_ms, at most max_held edges). At the sync they are re-stamped
 *    with the true offset and fed on with set_synced(true), after a
 *    restart() if the clock stepped ahead by a window or more meanwhile (a
 *    boot at a saved time long past: what the pipeline restored from
 *    before ends there); if the hold ends first they go on with the
 *    provisional stamps, set_synced(false).
 *  - A step backwards changes nothing here: the decode stage never lets
 *    event time run back, so the time line waits for the clock.
 *  - A step forwards by a window or more asks the owner to restart the
 *    time line (restart()) instead of inventing empty windows in between.
 *
 * Only the event-loop thread may use it. The clock is borrowed.
 */
#ifndef GS_TIMELINE_H
#define GS_TIMELINE_H

#include "gateway/clock.h"
#include "gateway/event.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gs_timeline;

struct gs_timeline_sink {
	/* Edges in event time and in order, for the decode stage. */
	void (*feed)(void *ctx, const struct gs_edge *edges, size_t n);
	/* Whether the events that follow have synchronised stamps. */
	void (*set_synced)(void *ctx, bool synced);
	/* The clock jumped ahead by a window or more: end the time line at
	 * the last edge and start a new one at the clock's time. */
	void (*restart)(void *ctx);
};

struct gs_timeline_opts {
	int64_t hold_ms;   /* [gateway] unsynced_hold; 0 = never hold */
	size_t max_held;   /* edges held at most (memory bound) */
	int64_t window_ms; /* a forward step this long restarts */
};

/*
 * Starts holding if the clock is not synchronised and opts->hold_ms > 0.
 * Returns 0 or GS_ENOMEM. *out is owned by the caller.
 */
int gs_timeline_new(struct gs_clock *clock, const struct gs_timeline_opts *opts,
                    const struct gs_timeline_sink *sink, void *ctx,
                    struct gs_timeline **out);
/* A reloaded configuration's limits; a hold under way keeps its start. */
void gs_timeline_set_opts(struct gs_timeline *tl,
                          const struct gs_timeline_opts *opts);
/* NULL-safe. Held edges are dropped (the caller stops anyway). */
void gs_timeline_free(struct gs_timeline *tl);

/* Edges read from a backend: holds them, or stamps t_ms from mono_ns and
 * feeds them on (held edges are stamped at their release). */
void gs_timeline_edges(struct gs_timeline *tl, struct gs_edge *edges, size_t n);

/* What gs_clock_handle() or gs_clock_poll() reported (GS_CLOCK_* mask). */
void gs_timeline_clock_changed(struct gs_timeline *tl, unsigned changes);

/* From a periodic timer: ends a hold that has lasted hold_ms. */
void gs_timeline_poll(struct gs_timeline *tl);

/* True while edges are held: time must not run past them. */
bool gs_timeline_holding(const struct gs_timeline *tl);

#endif
