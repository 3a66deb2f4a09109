/* SPDX-License-Identifier: MIT */
/*
 * How time moves in the gateway: the pipeline's deadlines, and in run mode
 * the clock, the time line that holds edges until the clock is
 * synchronised, and retention, which needs a true clock.
 */
#include "gateway/gateway_priv.h"
#include "gateway/clock.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/loop.h"
#include "gateway/pipeline.h"
#include "gateway/store.h"
#include "gateway/timeline.h"
#include "sync/sync.h"

/* While the clock is unsynchronised, edges wait in memory for the true
 * offset; past this many (about 1.5 MiB) they go on with the provisional
 * one, so a unit that never gets NTP stays within its memory budget. */
#define GS_MAX_HELD_EDGES         65536
#define GS_CLOCK_POLL_UNSYNCED_MS 2000
#define GS_CLOCK_POLL_SYNCED_MS   60000
/* Retention runs in bounded batches (about 10 ms each on a Pi's SD card,
 * docs/storage.md) a little apart, so the loop never stalls on it. */
#define GS_PRUNE_FIRST_MS  60000
#define GS_PRUNE_PERIOD_MS (10 * 60000)
#define GS_PRUNE_GAP_MS    50

/* Run mode: the wall clock, in event time. */
int64_t gw_now(const struct gateway *gw)
{
	return gs_clock_now_ms(gw->clock);
}

/* Before the first clock synchronisation (timeline.h). */
bool gw_holding(const struct gateway *gw)
{
	return gw->timeline && gs_timeline_holding(gw->timeline);
}

void gw_advance(struct gateway *gw, int64_t now_ms)
{
	/* Held edges wait for the clock: time must not run past them. */
	if (gw_holding(gw))
		return;
	gs_pipeline_advance(gw->pipeline, now_ms);
}

void gw_arm_tick(struct gateway *gw)
{
	int64_t next = gs_pipeline_next_deadline(gw->pipeline);

	if (next == GS_TIME_NONE || gw_holding(gw)) {
		gs_timerfd_disarm(gw->tick_fd);
		return;
	}
	/* +1: deadlines that must be passed fire once time is beyond them. */
	gs_timerfd_arm_ms(gw->tick_fd, next + 1 - gw_now(gw));
}

void gw_on_tick(void *ctx, int fd, uint32_t events)
{
	struct gateway *gw = ctx;

	(void)events;
	gs_timerfd_drain(fd);
	/* Edges the kernel stamped before now are taken first (the backend
	 * reads without blocking), so the decode stage, which goes right up
	 * to the clock, never runs past an edge still in the kernel's queue. */
	gw_read_backends(gw);
	gw_advance(gw, gw_now(gw));
	gw_arm_tick(gw);
}

/* A pipeline for cfg into the gateway's sink; in run mode on its clock
 * (replay and simulate have none: always synchronised). */
int gw_pipeline_new(struct gateway *gw, const struct gs_config *cfg,
                    struct gs_pipeline **out)
{
	return gs_pipeline_new(cfg, gw->clock, &gw_engine_sink, gw, out);
}

static void gw_tl_feed(void *ctx, const struct gs_edge *edges, size_t n)
{
	gw_feed(ctx, edges, n);
}

static void gw_tl_set_synced(void *ctx, bool synced)
{
	struct gateway *gw = ctx;

	gs_pipeline_set_clock_synced(gw->pipeline, synced);
}

/* The clock jumped ahead by a window or more: the pipeline ends its time
 * line at the last edge, as a replay ends, and starts a new one. */
static void gw_tl_restart(void *ctx)
{
	struct gateway *gw = ctx;

	if (gs_pipeline_restart(gw->pipeline, gw->last_edge_ms) != GS_OK) {
		/* The old time line goes on: windows in between get published
		 * empty, which beats stopping the unit. */
		gs_log(GS_LOG_ERR, "cannot restart the pipeline after a clock "
		                   "step: out of memory; going on");
		return;
	}
	gw_commit(gw);
}

static const struct gs_timeline_sink gw_timeline_sink = {
    .feed = gw_tl_feed,
    .set_synced = gw_tl_set_synced,
    .restart = gw_tl_restart,
};

static void gw_clock_changed(struct gateway *gw, unsigned changes)
{
	if (!changes)
		return;
	gs_timeline_clock_changed(gw->timeline, changes);
	if (changes & GS_CLOCK_SYNCED)
		gs_timerfd_arm_periodic_ms(gw->clock_poll_fd,
		                           GS_CLOCK_POLL_SYNCED_MS);
	gw_advance(gw, gw_now(gw));
	gw_arm_tick(gw);
	gw_status_changed(gw);
}

static void gw_on_clock(void *ctx, int fd, uint32_t events)
{
	struct gateway *gw = ctx;

	(void)fd;
	(void)events;
	gw_clock_changed(gw, gs_clock_handle(gw->clock));
}

static void gw_on_clock_poll(void *ctx, int fd, uint32_t events)
{
	struct gateway *gw = ctx;
	bool held = gw_holding(gw);

	(void)events;
	gs_timerfd_drain(fd);
	gw_clock_changed(gw, gs_clock_poll(gw->clock));
	gs_timeline_poll(gw->timeline);
	if (held && !gw_holding(gw)) {
		gw_advance(gw, gw_now(gw));
		gw_arm_tick(gw);
	}
}

/*
 * Retention: delivered history older than [storage] retention goes. Only on
 * a synchronised clock, which cannot be years off: a clock set far ahead
 * must not look like ninety days passing.
 */
static void gw_on_prune(void *ctx, int fd, uint32_t events)
{
	struct gateway *gw = ctx;
	bool more = false;
	int rc;

	(void)events;
	gs_timerfd_drain(fd);
	if (gw->clock && gs_clock_synced(gw->clock) && !gw_holding(gw)) {
		rc = gs_store_prune_step(
		    gw->store, gw_now(gw) - gw->cfg->retention_ms, 0, &more);
		if (rc)
			gs_complain(&gw->store_complaint, GS_LOG_ERR,
			            "store: retention failed: %s",
			            gs_strerror(rc));
		gw_commit(gw);
		more = more && rc == GS_OK;
	}
	gs_timerfd_arm_ms(fd, more ? GS_PRUNE_GAP_MS : GS_PRUNE_PERIOD_MS);
}

struct gs_timeline_opts gw_timeline_opts(const struct gs_config *cfg)
{
	return (struct gs_timeline_opts){
	    .hold_ms = cfg->unsynced_hold_ms,
	    .max_held = GS_MAX_HELD_EDGES,
	    .window_ms = cfg->window_ms,
	};
}

int gw_open_clock(struct gateway *gw)
{
	const struct gs_timeline_opts tl_opts = gw_timeline_opts(gw->cfg);
	int rc = gs_clock_new(NULL, &gw->clock);

	if (rc)
		return rc;
	rc = gs_store_set_boot(gw->store, gs_clock_boot_id(gw->clock));
	if (rc)
		return rc;
	gw->clock_poll_fd = gs_timerfd_new();
	if (gw->clock_poll_fd < 0)
		return GS_ESYS;
	gw->prune_fd = gs_timerfd_new();
	if (gw->prune_fd < 0)
		return GS_ESYS;
	rc = gs_loop_add(gw->loop, gs_clock_fd(gw->clock), gw_on_clock, gw);
	rc =
	    rc ? rc
	       : gs_loop_add(gw->loop, gw->clock_poll_fd, gw_on_clock_poll, gw);
	rc = rc ? rc : gs_loop_add(gw->loop, gw->prune_fd, gw_on_prune, gw);
	rc = rc ? rc : gs_timerfd_arm_ms(gw->prune_fd, GS_PRUNE_FIRST_MS);
	if (rc)
		return rc;
	rc = gs_timeline_new(gw->clock, &tl_opts, &gw_timeline_sink, gw,
	                     &gw->timeline);
	if (rc)
		return rc;
	return gs_timerfd_arm_periodic_ms(
	    gw->clock_poll_fd, gw_holding(gw) ? GS_CLOCK_POLL_UNSYNCED_MS
	                                      : GS_CLOCK_POLL_SYNCED_MS);
}
