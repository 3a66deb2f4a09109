/* SPDX-License-Identifier: MIT */
#include "gateway/timeline.h"
#include "gateway/err.h"
#include "gateway/log.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct gs_timeline {
	struct gs_clock *clock;
	struct gs_timeline_opts opts;
	struct gs_timeline_sink sink;
	void *ctx;

	bool holding;
	int64_t hold_start_mono_ns;
	int64_t hold_step_ms; /* the clock's steps during the hold */
	struct gs_edge *held;
	size_t n_held, cap_held;
};

int gs_timeline_new(struct gs_clock *clock, const struct gs_timeline_opts *opts,
                    const struct gs_timeline_sink *sink, void *ctx,
                    struct gs_timeline **out)
{
	struct gs_timeline *tl = calloc(1, sizeof(*tl));

	*out = NULL;
	if (!tl)
		return GS_ENOMEM;
	tl->clock = clock;
	tl->opts = *opts;
	tl->sink = *sink;
	tl->ctx = ctx;
	tl->holding = !gs_clock_synced(clock) && opts->hold_ms > 0;
	tl->hold_start_mono_ns = gs_clock_mono_ns(clock);
	if (tl->holding)
		gs_log(GS_LOG_NOTICE,
		       "the system clock is not synchronised yet: holding "
		       "events until it is (at most %" PRId64 " s)",
		       opts->hold_ms / 1000);
	*out = tl;
	return GS_OK;
}

void gs_timeline_set_opts(struct gs_timeline *tl,
                          const struct gs_timeline_opts *opts)
{
	tl->opts = *opts;
}

void gs_timeline_free(struct gs_timeline *tl)
{
	if (!tl)
		return;
	free(tl->held);
	free(tl);
}

bool gs_timeline_holding(const struct gs_timeline *tl)
{
	return tl->holding;
}

/* One authority for event time: the kernel's monotonic stamp through the
 * clock's offset, so a stamp taken before a sync can be redone after it. */
static void gs_timeline_stamp(const struct gs_timeline *tl,
                              struct gs_edge *edges, size_t n)
{
	for (size_t i = 0; i < n; i++)
		edges[i].t_ms =
		    gs_clock_to_realtime_ms(tl->clock, edges[i].mono_ns);
}

/* Feeds the held edges, re-stamped with the offset now known. */
static void gs_timeline_release(struct gs_timeline *tl, bool synced)
{
	tl->holding = false;
	gs_timeline_stamp(tl, tl->held, tl->n_held);
	/* Booted at a saved time far behind (a power cut, days off): what
	 * the pipeline holds from before (a restored state) ends there. */
	if (synced && tl->hold_step_ms >= tl->opts.window_ms)
		tl->sink.restart(tl->ctx);
	tl->sink.set_synced(tl->ctx, synced);
	if (tl->n_held > 0)
		tl->sink.feed(tl->ctx, tl->held, tl->n_held);
	gs_log(GS_LOG_NOTICE,
	       "%zu edges taken before the clock was synchronised %s",
	       tl->n_held,
	       synced ? "re-stamped with the synchronised clock"
	              : "go on with the unsynchronised clock (clock_synced "
	                "false)");
	free(tl->held);
	tl->held = NULL;
	tl->n_held = tl->cap_held = 0;
}

static bool gs_timeline_hold(struct gs_timeline *tl,
                             const struct gs_edge *edges, size_t n)
{
	if (tl->n_held + n > tl->cap_held) {
		size_t cap = tl->cap_held ? tl->cap_held * 2 : 1024;
		struct gs_edge *p;

		while (cap < tl->n_held + n)
			cap *= 2;
		if (cap > tl->opts.max_held)
			cap = tl->opts.max_held;
		if (cap < tl->n_held + n ||
		    !(p = realloc(tl->held, cap * sizeof(*p))))
			return false;
		tl->held = p;
		tl->cap_held = cap;
	}
	memcpy(tl->held + tl->n_held, edges, n * sizeof(*edges));
	tl->n_held += n;
	return true;
}

void gs_timeline_edges(struct gs_timeline *tl, struct gs_edge *edges, size_t n)
{
	/* Held edges are stamped when they are released. */
	if (tl->holding) {
		if (gs_timeline_hold(tl, edges, n))
			return;
		gs_log(GS_LOG_WARNING, "too many edges to hold for the clock "
		                       "synchronisation");
		gs_timeline_release(tl, false);
	}
	gs_timeline_stamp(tl, edges, n);
	if (n > 0)
		tl->sink.feed(tl->ctx, edges, n);
}

static void gs_timeline_step(struct gs_timeline *tl)
{
	int64_t step_ms = gs_clock_last_step_ns(tl->clock) / 1000000;

	gs_log(GS_LOG_WARNING,
	       "the system clock was stepped by %+" PRId64 " ms%s", step_ms,
	       step_ms < 0 ? "; event time stays at the last event until the "
	                     "clock passes it"
	                   : "");
	/* Held edges are stamped when they are released, with the offset
	 * then in force. */
	if (tl->holding)
		tl->hold_step_ms += step_ms;
	else if (step_ms >= tl->opts.window_ms)
		tl->sink.restart(tl->ctx);
}

void gs_timeline_clock_changed(struct gs_timeline *tl, unsigned changes)
{
	if (changes & GS_CLOCK_STEPPED)
		gs_timeline_step(tl);
	if (changes & GS_CLOCK_SYNCED) {
		gs_log(GS_LOG_NOTICE, "the system clock is synchronised");
		if (tl->holding)
			gs_timeline_release(tl, true);
		else
			tl->sink.set_synced(tl->ctx, true);
	}
}

void gs_timeline_poll(struct gs_timeline *tl)
{
	int64_t held_ms;

	if (!tl->holding)
		return;
	held_ms =
	    (gs_clock_mono_ns(tl->clock) - tl->hold_start_mono_ns) / 1000000;
	if (held_ms < tl->opts.hold_ms)
		return;
	gs_log(GS_LOG_WARNING,
	       "the system clock is still not synchronised after %" PRId64
	       " s; publishing with clock_synced false",
	       held_ms / 1000);
	gs_timeline_release(tl, false);
}
