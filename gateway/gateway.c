/* SPDX-License-Identifier: MIT */
#include "gateway/gateway.h"
#include "gateway/clock.h"
#include "gateway/config.h"
#include "gateway/daily.h"
#include "gateway/engine.h"
#include "gateway/err.h"
#include "gateway/keep.h"
#include "gateway/lamps.h"
#include "gateway/log.h"
#include "gateway/loss.h"
#include "gateway/loop.h"
#include "gateway/msg.h"
#include "gateway/status.h"
#include "gateway/store.h"
#include "gateway/timeline.h"
#include "gateway/timeutil.h"
#include "sensors/backend.h"
#include "sensors/decode.h"
#include "sensors/gpio.h"
#include "sensors/scenario.h"
#include "sensors/sim.h"
#include "sync/sync.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sysexits.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#define GS_EDGE_BATCH      512
#define GS_MAX_BACKEND_FDS 64
/* Replay and simulation have no power cut to fear mid-run, so they commit
 * in larger groups; messages are still committed before they leave. */
#define GS_FAST_COMMIT_EVENTS 8192
#define GS_DRAIN_POLL_MS      2
#define GS_STOP_TIMEOUT_MS    3000
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
/* A restart rebuilds the engine's state from this much stored history:
 * a day for occupancy (reset daily) and an hour for a DST change. */
#define GS_RESTORE_LOOKBACK_MS (25 * 3600000)
/* Messages kept in memory while they cannot be stored (a full disk): four
 * hours of one-minute windows and their alerts, about 300 KiB. */
#define GS_KEEP_MAX 256

struct gateway {
	const struct gs_gateway_opts *opts;
	struct gs_config *cfg; /* replaced whole by a reload */
	struct gs_loop *loop;
	struct gs_store *store;
	struct gs_decode *decode;
	struct gs_engine *engine;
	struct gs_sync *sync;
	struct gs_backend *backend;
	struct gs_lamps *lamps; /* alert outputs; with the backend */
	struct gs_scenario_writer *recorder;
	struct gs_edge last_fed; /* the last edge fed (simulate) */
	struct gs_clock *clock;  /* run mode only */
	FILE *print_out;

	int sig_fd;
	int commit_fd;   /* periodic group commit */
	int sync_fd;     /* periodic WAL fsync: [storage] sync_interval */
	int tick_fd;     /* run: next decode/engine deadline */
	int drain_fd;    /* simulate/replay: waiting for the last ack */
	int watchdog_fd; /* systemd watchdog pings */
	int clock_poll_fd;
	int prune_fd; /* run: retention */
	int backend_fds[GS_MAX_BACKEND_FDS];
	size_t n_backend_fds;

	char db_path[GS_PATH_MAX];
	char *tmp_dir; /* private database directory (not run) */
	unsigned commit_events;
	bool live; /* wall-clock driven (run) */
	bool input_done;
	int64_t last_edge_ms;
	int64_t first_edge_mono_ns;
	int64_t drain_start_mono_ns;
	int status;

	struct gs_timeline *timeline; /* run mode only */

	/* Start-up: stored events go through the engine again (gw_restore);
	 * nothing is stored again and no alert raised again. Windows up to
	 * restored_upto, the last one stored, are never published again. */
	bool restoring;
	int64_t restored_upto;
	int64_t restore_last_window; /* start of the last event's window */
	int64_t restored_daily_upto; /* the last daily rollup stored */

	uint64_t n_edges, n_events, n_metrics, n_alerts;
	struct gs_complaint store_complaint;
	int64_t full_mono_ns; /* the last time room was made on a full disk */
	struct gs_keep *keep; /* messages not stored yet */
	struct gs_losses *losses; /* what could not be kept, declared */
	struct gs_status *state;  /* STATUS= and `gapsense status` */
	int state_fd;
};

/* ---- output: the engine's sink ---------------------------------------- */

/*
 * The disk (or the file's cap) is full and a group of writes was rolled
 * back. Returns whether room was made, as docs/storage.md says, at most
 * once a second (every write fails alike until then): with the broker away
 * the oldest quarter of the undelivered messages goes (counted as dropped
 * in the status message), and one batch of the history older than what
 * a restart reads back (gw_restore), which is never needed to keep running.
 */
static bool gw_store_full(struct gateway *gw)
{
	int64_t now_ns = gs_clock_monotonic_ns();
	bool more;

	if (gw->full_mono_ns && now_ns - gw->full_mono_ns < 1000000000)
		return false;
	gw->full_mono_ns = now_ns;
	/* Connected, the outbox drains by itself: nothing it could still
	 * send is dropped; messages wait in memory meanwhile. */
	if (!gs_sync_connected(gw->sync))
		gs_sync_store_full(gw->sync);
	if (gs_store_prune_step(gw->store,
	                        gw->last_edge_ms - GS_RESTORE_LOOKBACK_MS, 0,
	                        &more) == GS_OK)
		(void)gs_store_commit(gw->store); /* logged by the store */
	return true;
}

/* A write failed and the store rolled its transaction back: the events
 * in it that no earlier commit saved are lost (declared). Call it before
 * anything else commits. */
static void gw_rolled_back(struct gateway *gw)
{
	gs_losses_rolled_back(gw->losses, gs_store_commits(gw->store));
}

static int gw_commit_now(struct gateway *gw)
{
	int rc;

	(void)gs_losses_save(gw->losses, gw->store); /* joins the group */
	rc = gs_store_commit(gw->store);
	if (rc) {
		gw_rolled_back(gw);
		if (rc == GS_EFULL)
			(void)gw_store_full(gw); /* the next group may fit */
		gs_complain(&gw->store_complaint, GS_LOG_ERR,
		            "store: commit failed: %s; the group's events are "
		            "lost (declared), its messages kept in memory",
		            gs_strerror(rc));
	} else {
		gs_losses_saved(gw->losses);
		gs_complain_release(&gw->store_complaint, GS_LOG_NOTICE,
		                    "store: commits succeed again");
	}
	return rc;
}

static int gw_store_kept(void *ctx, const struct gs_kept *msg);

/* Commits; once that works, the messages kept in memory are stored. */
static void gw_commit(struct gateway *gw)
{
	if (gw_commit_now(gw) == GS_OK && gs_keep_count(gw->keep) > 0)
		(void)gs_keep_flush(gw->keep, gw_store_kept, gw);
}

/* The monotonic stamp of an event time. Decoders carry only event time;
 * run mode maps it back through the clock's offset (exact to the ms),
 * replay and simulation have no monotonic clock and use event time. */
static int64_t gw_mono_of(const struct gateway *gw, int64_t t_ms)
{
	if (!gw->clock)
		return t_ms * 1000000;
	return t_ms * 1000000 - gs_clock_offset_ns(gw->clock);
}

static void gw_sink_event(void *ctx, const struct gs_event *ev)
{
	struct gateway *gw = ctx;
	const struct gs_sensor_cfg *s = &gw->cfg->sensors[ev->sensor];
	int rc;

	if (gw->restoring)
		return;
	gw->n_events++;
	rc = gs_store_add_event(gw->store, ev, s->name,
	                        gw_mono_of(gw, ev->t_ms));
	if (rc)
		gw_rolled_back(gw);
	if (rc == GS_EFULL && gw_store_full(gw))
		rc = gs_store_add_event(gw->store, ev, s->name,
		                        gw_mono_of(gw, ev->t_ms));
	if (rc) {
		gs_losses_add(gw->losses, "events", 1, ev->t_ms, ev->t_ms);
		gs_complain(&gw->store_complaint, GS_LOG_ERR,
		            "store: cannot record an event: %s",
		            gs_strerror(rc));
	} else {
		gs_losses_event_pending(gw->losses, gs_store_commits(gw->store),
		                        ev->t_ms);
	}
	if (gs_store_uncommitted(gw->store) >= gw->commit_events)
		gw_commit(gw);
	if ((ev->kind == GS_EV_FAULT || ev->kind == GS_EV_RECOVERED) &&
	    gw->sync)
		gs_sync_status_changed(gw->sync);
}

static void gw_print_message(struct gateway *gw, const char *topic,
                             const cJSON *payload)
{
	char *json = gs_json_print(payload);

	if (!json) {
		gs_log(GS_LOG_ERR, "out of memory printing a message");
		return;
	}
	fprintf(gw->print_out, "{\"topic\": \"%s\", \"payload\": %s}\n", topic,
	        json);
	cJSON_free(json);
}

/* Stores a message and commits it (durable before it leaves), then prints
 * or announces it; on failure nothing is stored and the caller keeps it. */
static int gw_store_msg(struct gateway *gw, enum gs_msg_kind kind,
                        const char *topic, int64_t t_ms,
                        int64_t window_start_ms, cJSON *payload)
{
	int rc = gs_store_enqueue(gw->store, kind, topic, t_ms, window_start_ms,
	                          payload, NULL);

	if (rc)
		gw_rolled_back(gw);
	if (rc == GS_EFULL && gw_store_full(gw)) {
		rc = gs_store_enqueue(gw->store, kind, topic, t_ms,
		                      window_start_ms, payload, NULL);
		if (rc)
			gw_rolled_back(gw);
	}
	if (rc == GS_OK)
		rc = gw_commit_now(gw);
	if (rc) {
		gs_complain(&gw->store_complaint, GS_LOG_ERR,
		            "store: cannot queue a %s message: %s; kept in "
		            "memory until it can be stored",
		            gs_msg_kind_suffix(kind), gs_strerror(rc));
		return rc;
	}
	if (gw->print_out)
		gw_print_message(gw, topic, payload);
	else if (gw->sync)
		gs_sync_notify(gw->sync);
	return GS_OK;
}

static int gw_store_kept(void *ctx, const struct gs_kept *msg)
{
	return gw_store_msg(ctx, msg->kind, msg->topic, msg->t_ms,
	                    msg->window_start_ms, msg->payload);
}

/* A computed message that could not be kept: declared. */
static void gw_declare_lost(void *ctx, const struct gs_kept *msg)
{
	struct gateway *gw = ctx;
	int64_t t =
	    msg->kind == GS_MSG_METRICS ? msg->window_start_ms : msg->t_ms;

	gs_losses_add(gw->losses, gs_msg_kind_suffix(msg->kind), 1, t, t);
	gs_sync_status_changed(gw->sync);
}

static void gw_trend_add(void *ctx, uint64_t seq, int64_t start_ms,
                         const char *payload)
{
	(void)seq;
	(void)start_ms;
	(void)gs_trend_add_text(ctx, payload); /* not a rollup: left out */
}

/*
 * A daily rollup gets its trend from the rollups stored before it
 * (docs/metrics.md, "The trend"). Returns false if it must not go out: its
 * day was published before a restart, or the trend cannot be made.
 */
static bool gw_daily_prepare(struct gateway *gw, int64_t day_start,
                             cJSON *payload)
{
	struct gs_trend *tr;
	cJSON *trend = NULL;
	int rc;

	if (day_start <= gw->restored_daily_upto)
		return false;
	tr = gs_trend_new(day_start);
	if (!tr)
		return false;
	rc = gs_store_dailies_range(
	    gw->store, day_start - (GS_TREND_DAYS + 1) * GS_MS_PER_DAY,
	    day_start, gw_trend_add, tr, NULL);
	if (rc == GS_OK && gs_trend_add(tr, payload) == GS_OK)
		trend = gs_trend_build(tr);
	gs_trend_free(tr);
	if (!trend ||
	    !cJSON_ReplaceItemInObjectCaseSensitive(payload, "trend", trend)) {
		cJSON_Delete(trend);
		gs_log(GS_LOG_ERR, "cannot make the trend of a daily rollup");
		return false;
	}
	return true;
}

static void gw_sink_publish(void *ctx, enum gs_msg_kind kind, int64_t t_ms,
                            int64_t window_start_ms, cJSON *payload)
{
	struct gateway *gw = ctx;
	char topic[GS_PATH_MAX];
	struct gs_kept lost;

	/* Published before a restart: not again under a new seq (a clock
	 * set back by a power cut can reopen such a window). */
	if (kind == GS_MSG_METRICS && window_start_ms <= gw->restored_upto) {
		if (!gw->restoring)
			gs_log(GS_LOG_WARNING,
			       "a window already published before the restart "
			       "closed again (the clock is behind): not "
			       "published twice");
		goto out;
	}
	/* Restoring: alerts were raised before the restart; windows after
	 * the last event's fall in the time the daemon was down. A day's
	 * rollup goes out unless it went out before the restart. */
	if (kind == GS_MSG_DAILY) {
		if (!gw_daily_prepare(gw, window_start_ms, payload))
			goto out;
	} else if (gw->restoring &&
	           (kind != GS_MSG_METRICS ||
	            window_start_ms > gw->restore_last_window)) {
		goto out;
	}
	if (kind == GS_MSG_METRICS)
		gw->n_metrics++;
	else if (kind == GS_MSG_ALERT)
		gw->n_alerts++;
	if (gs_msg_topic(gw->cfg, kind, topic, sizeof(topic))) {
		gs_log(GS_LOG_ERR, "topic too long for %s",
		       gs_msg_kind_suffix(kind));
		goto out;
	}
	/* Behind messages already kept, a message waits its turn. */
	if (gs_keep_count(gw->keep) == 0 &&
	    gw_store_msg(gw, kind, topic, t_ms, window_start_ms, payload) ==
	        GS_OK)
		goto out;
	if (gs_keep_push(gw->keep, kind, topic, t_ms, window_start_ms, payload,
	                 &lost))
		gw_declare_lost(gw, &lost);
	if (gs_keep_count(gw->keep) > 1)
		(void)gs_keep_flush(gw->keep, gw_store_kept, gw);
	return;
out:
	cJSON_Delete(payload);
}

/* Restoring, outputs settle first and are shown once (gw_show_outputs):
 * a restart does not flash an alert acknowledged long ago. */
static void gw_sink_output(void *ctx, unsigned output, enum gs_output_state st,
                           int64_t t_ms)
{
	struct gateway *gw = ctx;

	(void)t_ms;
	if (gw->restoring)
		return;
	gs_lamps_set(gw->lamps, output, st);
	gs_sync_status_changed(gw->sync);
}

static void gw_show_outputs(struct gateway *gw)
{
	for (unsigned i = 0; i < gw->cfg->n_outputs; i++)
		gs_lamps_set(gw->lamps, i, gs_engine_output(gw->engine, i));
}

static const struct gs_engine_sink gw_engine_sink = {
    .event = gw_sink_event,
    .publish = gw_sink_publish,
    .output = gw_sink_output,
};

/* The decode stage's events go to the engine, which hands them back to
 * gw_sink_event once it has placed them in time. */
static void gw_on_decoded(void *ctx, const struct gs_event *ev)
{
	struct gateway *gw = ctx;

	gs_engine_event(gw->engine, ev);
}

/* ---- time ---------------------------------------------------------------- */

/* Run mode: the wall clock, in event time. */
static int64_t gw_now(const struct gateway *gw)
{
	return gs_clock_now_ms(gw->clock);
}

/* Before the first clock synchronisation (timeline.h). */
static bool gw_holding(const struct gateway *gw)
{
	return gw->timeline && gs_timeline_holding(gw->timeline);
}

/*
 * The engine may go as far as the decode stage has settled. In run mode it
 * trails the clock by the grace period, so a window closes only once edges
 * read a little late (a slow SD card commit held the loop) are in; events
 * themselves move the engine at once, so their alerts do not wait.
 */
static void gw_settle(struct gateway *gw)
{
	int64_t settled = gs_decode_settled(gw->decode);

	if (settled == INT64_MIN)
		return;
	if (gw->live) {
		int64_t closing = gw_now(gw) - gw->cfg->grace_ms;

		if (settled > closing)
			settled = closing;
	}
	gs_engine_advance(gw->engine, settled);
}

static void gw_advance(struct gateway *gw, int64_t now_ms)
{
	/* Held edges wait for the clock: time must not run past them. */
	if (gw_holding(gw))
		return;
	gs_decode_advance(gw->decode, now_ms);
	gw_settle(gw);
}

static void gw_arm_tick(struct gateway *gw)
{
	int64_t next = gs_decode_next_deadline(gw->decode);
	int64_t eng = gs_engine_next_deadline(gw->engine);

	if (eng != GS_TIME_NONE && eng + gw->cfg->grace_ms < next)
		next = eng + gw->cfg->grace_ms;
	if (next == GS_TIME_NONE || gw_holding(gw)) {
		gs_timerfd_disarm(gw->tick_fd);
		return;
	}
	/* +1: deadlines that must be passed fire once time is beyond them. */
	gs_timerfd_arm_ms(gw->tick_fd, next + 1 - gw_now(gw));
}

static void gw_read_backends(struct gateway *gw);

static void gw_on_tick(void *ctx, int fd, uint32_t events)
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

/* ---- input ----------------------------------------------------------------
 */

static void gw_input_done(struct gateway *gw);

static void gw_feed(struct gateway *gw, const struct gs_edge *edges, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct gs_edge *e = &edges[i];

		if (gw->recorder && gs_scenario_writer_add(gw->recorder, e)) {
			gs_log(GS_LOG_ERR, "cannot record the scenario; "
			                   "recording stopped");
			gs_scenario_writer_close(gw->recorder);
			gw->recorder = NULL;
		}
		gs_decode_push(gw->decode, e);
		gw_settle(gw);
	}
	if (n > 0) {
		if (gw->n_edges == 0)
			gw->first_edge_mono_ns = gs_clock_monotonic_ns();
		gw->n_edges += n;
		gw->last_edge_ms = edges[n - 1].t_ms;
		gw->last_fed = edges[n - 1];
	}
}

/* ---- the clock (run mode) ------------------------------------------- */

/* An engine for cfg that stamps windows with the clock's sync state (run;
 * replay and simulate have no clock: always synchronised). */
static struct gs_engine *gw_engine_new(struct gateway *gw,
                                       const struct gs_config *cfg)
{
	struct gs_engine *eng = gs_engine_new(cfg, &gw_engine_sink, gw);

	if (eng && gw->clock)
		gs_engine_set_clock_synced(eng, gs_clock_synced(gw->clock));
	return eng;
}

static void gw_tl_feed(void *ctx, const struct gs_edge *edges, size_t n)
{
	gw_feed(ctx, edges, n);
}

static void gw_tl_set_synced(void *ctx, bool synced)
{
	struct gateway *gw = ctx;

	gs_engine_set_clock_synced(gw->engine, synced);
}

/* The clock jumped ahead by a window or more: the pipeline ends its time
 * line at the last edge, as a replay ends, and starts a new one. */
static void gw_tl_restart(void *ctx)
{
	struct gateway *gw = ctx;
	struct gs_engine *eng = gw_engine_new(gw, gw->cfg);
	struct gs_decode *dec = gs_decode_new(gw->cfg, gw_on_decoded, gw);

	if (!eng || !dec) {
		/* The old time line goes on: windows in between get published
		 * empty, which beats stopping the unit. */
		gs_log(GS_LOG_ERR, "cannot restart the pipeline after a clock "
		                   "step: out of memory; going on");
		gs_engine_free(eng);
		gs_decode_free(dec);
		return;
	}
	gs_decode_finish(gw->decode, gw->last_edge_ms);
	gs_engine_finish(gw->engine, gw->last_edge_ms);
	gs_decode_free(gw->decode);
	gs_engine_free(gw->engine);
	gw->engine = eng;
	gw->decode = dec;
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
	gs_sync_status_changed(gw->sync);
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

static struct gs_timeline_opts gw_timeline_opts(const struct gs_config *cfg)
{
	return (struct gs_timeline_opts){
	    .hold_ms = cfg->unsynced_hold_ms,
	    .max_held = GS_MAX_HELD_EDGES,
	    .window_ms = cfg->window_ms,
	};
}

static int gw_open_clock(struct gateway *gw)
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

/* Reads one batch of fd; false on a failed input (the loop then stops). */
static bool gw_read_backend(struct gateway *gw, int fd)
{
	struct gs_edge edges[GS_EDGE_BATCH];
	int64_t horizon = GS_TIME_NONE;
	bool eof = false;
	size_t n = 0;
	int rc;

	rc = gw->backend->ops->read(gw->backend, fd, edges, GS_EDGE_BATCH, &n,
	                            &horizon, &eof);
	if (rc) {
		gs_log(GS_LOG_ERR, "%s input failed: %s",
		       gw->backend->ops->name, gs_strerror(rc));
		gw->status = rc == GS_EPARSE ? EX_DATAERR : EX_IOERR;
		gs_loop_stop(gw->loop);
		return false;
	}
	if (gw->live) {
		gs_timeline_edges(gw->timeline, edges, n);
		return true;
	}
	gw_feed(gw, edges, n);
	if (horizon != GS_TIME_NONE) {
		gw_advance(gw, horizon);
		if (horizon > gw->last_edge_ms)
			gw->last_edge_ms = horizon;
	}
	if (eof)
		gw_input_done(gw);
	return true;
}

/* Run mode: what the kernel has queued on every line request. */
static void gw_read_backends(struct gateway *gw)
{
	for (size_t i = 0; i < gw->n_backend_fds; i++)
		if (!gw_read_backend(gw, gw->backend_fds[i]))
			return;
}

static void gw_on_backend(void *ctx, int fd, uint32_t events)
{
	struct gateway *gw = ctx;

	(void)events;
	if (gw_read_backend(gw, fd) && gw->live) {
		gw_advance(gw, gw_now(gw));
		gw_arm_tick(gw);
	}
}

static void gw_on_drain(void *ctx, int fd, uint32_t events)
{
	struct gateway *gw = ctx;
	int64_t waited_ms;

	(void)events;
	gs_timerfd_drain(fd);
	if (gs_sync_idle(gw->sync)) {
		gs_loop_stop(gw->loop);
		return;
	}
	waited_ms =
	    (gs_clock_monotonic_ns() - gw->drain_start_mono_ns) / 1000000;
	if (gw->opts->drain_timeout_ms > 0 &&
	    waited_ms > gw->opts->drain_timeout_ms) {
		struct gs_outbox_stats st = {0};

		gs_store_outbox_stats(gw->store, &st);
		gs_log(GS_LOG_ERR,
		       "the broker did not acknowledge %" PRIu64
		       " messages within %" PRId64
		       " ms; they stay in the outbox of %s",
		       st.pending, gw->opts->drain_timeout_ms, gw->db_path);
		gw->status = EX_TEMPFAIL;
		gs_loop_stop(gw->loop);
	}
}

/* Simulation or scenario exhausted: close what is open, then wait for the
 * broker to acknowledge everything (or stop at once when printing). */
static void gw_input_done(struct gateway *gw)
{
	gw->input_done = true;
	for (size_t i = 0; i < gw->n_backend_fds; i++)
		gs_loop_del(gw->loop, gw->backend_fds[i]);
	gw->n_backend_fds = 0;
	/* The simulation ran on past its last edge, to the end of --duration:
	 * the recording ends with the last edge's level repeated at that
	 * instant, which moves a replay's scenario time as far (clarification
	 * 1), so the recording replays to the very same messages. */
	if (gw->recorder && gw->n_edges > 0 &&
	    gw->last_edge_ms > gw->last_fed.t_ms) {
		struct gs_edge end = gw->last_fed;

		end.t_ms = gw->last_edge_ms;
		end.mono_ns = end.t_ms * 1000000;
		if (gs_scenario_writer_add(gw->recorder, &end))
			gw->status = EX_IOERR;
	}
	gs_decode_finish(gw->decode, gw->last_edge_ms);
	gs_engine_finish(gw->engine, gw->last_edge_ms);
	gw_commit(gw);
	if (gw->recorder) {
		if (gs_scenario_writer_close(gw->recorder))
			gw->status = EX_IOERR;
		gw->recorder = NULL;
	}
	gs_log(GS_LOG_INFO,
	       "input done: %" PRIu64 " edges, %" PRIu64 " events, %" PRIu64
	       " windows, %" PRIu64 " alerts",
	       gw->n_edges, gw->n_events, gw->n_metrics, gw->n_alerts);
	if (!gw->sync) {
		gs_loop_stop(gw->loop);
		return;
	}
	gw->drain_start_mono_ns = gs_clock_monotonic_ns();
	gs_sync_notify(gw->sync);
	gs_timerfd_arm_periodic_ms(gw->drain_fd, GS_DRAIN_POLL_MS);
}

/* ---- signals, commits, watchdog ------------------------------------------ */

static int gw_reload(struct gateway *gw);

static void gw_on_signal(void *ctx, int fd, uint32_t events)
{
	struct gateway *gw = ctx;
	struct signalfd_siginfo si;

	(void)events;
	if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	switch (si.ssi_signo) {
	case SIGHUP:
		if (gw->opts->mode == GS_MODE_RUN)
			gw_reload(gw);
		else
			gs_log(GS_LOG_NOTICE,
			       "SIGHUP ignored outside run mode");
		break;
	default:
		gs_log(GS_LOG_NOTICE, "%s: stopping",
		       strsignal((int)si.ssi_signo));
		sd_notify(0, "STOPPING=1");
		gs_loop_stop(gw->loop);
		break;
	}
}

static void gw_on_commit(void *ctx, int fd, uint32_t events)
{
	struct gateway *gw = ctx;

	(void)events;
	gs_timerfd_drain(fd);
	if (gs_store_uncommitted(gw->store) > 0 || gs_keep_count(gw->keep) > 0)
		gw_commit(gw);
}

/* What was committed becomes durable: a power cut takes back at most
 * sync_interval of commits (docs/storage.md). */
static void gw_on_sync(void *ctx, int fd, uint32_t events)
{
	struct gateway *gw = ctx;

	(void)events;
	gs_timerfd_drain(fd);
	(void)gs_store_sync(gw->store); /* logged by the store */
}

/* The ping comes from the loop itself: a loop stuck anywhere stops it, and
 * systemd restarts the service. */
static void gw_on_watchdog(void *ctx, int fd, uint32_t events)
{
	(void)ctx;
	(void)events;
	gs_timerfd_drain(fd);
	sd_notify(0, "WATCHDOG=1");
}

/* "outputs": what each alert output shows (docs/mqtt.md, status). */
static void gw_fill_outputs(struct gateway *gw, cJSON *status)
{
	cJSON *outputs = cJSON_AddArrayToObject(status, "outputs");

	for (unsigned i = 0; outputs && i < gw->cfg->n_outputs; i++) {
		cJSON *o = cJSON_CreateObject();

		if (!o)
			return;
		cJSON_AddStringToObject(o, "name", gw->cfg->outputs[i].name);
		cJSON_AddStringToObject(
		    o, "state",
		    gs_output_state_name(gs_lamps_get(gw->lamps, i)));
		cJSON_AddItemToArray(outputs, o);
	}
}

static void gw_fill_status(void *ctx, cJSON *status)
{
	struct gateway *gw = ctx;
	cJSON *sensors;

	cJSON_AddBoolToObject(status, "clock_synced",
	                      !gw->clock || gs_clock_synced(gw->clock));
	sensors = cJSON_AddArrayToObject(status, "sensors");
	if (!sensors)
		return;
	for (unsigned i = 0; i < gw->cfg->n_sensors; i++) {
		cJSON *s = cJSON_CreateObject();

		if (!s)
			return;
		cJSON_AddStringToObject(s, "name", gw->cfg->sensors[i].name);
		cJSON_AddStringToObject(
		    s, "type", gs_sensor_type_name(gw->cfg->sensors[i].type));
		cJSON_AddBoolToObject(s, "faulted",
		                      gs_decode_sensor_faulted(gw->decode, i));
		cJSON_AddItemToArray(sensors, s);
	}
	gw_fill_outputs(gw, status);
	gs_losses_to_json(gw->losses, status);
}

/* Ages in the status message, and the outbox's age quota, in event time:
 * a replay of an old scenario is not days old. */
static int64_t gw_event_now(void *ctx)
{
	struct gateway *gw = ctx;

	return gw->live ? gw_now(gw) : gw->last_edge_ms;
}

/* Once a second: STATUS= and the status file, when they change. */
static void gw_on_state(void *ctx, int fd, uint32_t events)
{
	static const char *const modes[] = {"run", "simulate", "replay"};
	struct gateway *gw = ctx;
	cJSON *status = cJSON_CreateObject();
	struct gs_status_input in = {
	    .mode = modes[gw->opts->mode],
	    .connected = gs_sync_connected(gw->sync),
	    .kept = gs_keep_count(gw->keep),
	    .now_ms = gw_event_now(gw),
	    .status = status,
	};

	(void)events;
	if (fd >= 0)
		gs_timerfd_drain(fd);
	if (!status)
		return;
	gw_fill_status(gw, status);
	gs_status_update(gw->state, &in, gw->store);
	cJSON_Delete(status);
}

static const struct gs_sync_hooks gw_sync_hooks = {
    .fill_status = gw_fill_status,
    .now_ms = gw_event_now,
};

/* ---- set-up and tear-down ---------------------------------------------- */

static int gw_load_config(const char *path, struct gs_config *cfg)
{
	struct gs_diag *diag = calloc(1, sizeof(*diag));
	int rc;

	if (!diag)
		return GS_ENOMEM;
	rc = gs_config_load(path, cfg, diag);
	for (unsigned i = 0; i < diag->count && i < GS_DIAG_MAX; i++)
		gs_log(GS_LOG_ERR, "%s", diag->msg[i]);
	free(diag);
	return rc;
}

/* The alert outputs: GPIO lines in run mode, states only otherwise. */
static int gw_open_outputs(struct gateway *gw, struct gs_diag *diag)
{
	struct gs_gpio_outputs *lines = NULL;
	int rc;

	if (gw->opts->mode == GS_MODE_RUN) {
		rc = gs_gpio_outputs_new(gw->cfg, GS_GPIO_CONSUMER_DAEMON, diag,
		                         &lines);
		if (rc)
			return rc == GS_ENOENT ? GS_ECONFIG : rc;
	}
	gw->lamps = gs_lamps_new(gw->cfg, gw->loop, lines);
	return gw->lamps ? GS_OK : GS_ESYS;
}

static int gw_open_backend(struct gateway *gw)
{
	const struct gs_gateway_opts *o = gw->opts;
	struct gs_diag *diag;
	int rc;

	switch (o->mode) {
	case GS_MODE_SIMULATE:
		rc = gs_sim_backend_new(gw->cfg, &o->sim, &gw->backend);
		break;
	case GS_MODE_REPLAY:
		rc = gs_scenario_backend_new(gw->cfg, o->scenario_path,
		                             &gw->backend);
		break;
	default:
		diag = calloc(1, sizeof(*diag));
		if (!diag)
			return GS_ENOMEM;
		rc = gs_gpio_backend_new(gw->cfg, GS_GPIO_CONSUMER_DAEMON, diag,
		                         &gw->backend);
		if (rc == GS_OK)
			rc = gw_open_outputs(gw, diag);
		for (unsigned i = 0; i < diag->count && i < GS_DIAG_MAX; i++)
			gs_log(GS_LOG_ERR, "%s", diag->msg[i]);
		free(diag);
		/* A chip or line the configuration names is not there: a
		 * configuration error (exit 78, as in wiring), not a file
		 * that cannot be read. */
		if (rc == GS_ENOENT)
			rc = GS_ECONFIG;
		break;
	}
	if (rc == GS_OK && !gw->lamps)
		rc = gw_open_outputs(gw, NULL);
	if (rc)
		return rc;
	gw->n_backend_fds = gw->backend->ops->fds(gw->backend, gw->backend_fds,
	                                          GS_MAX_BACKEND_FDS);
	for (size_t i = 0; i < gw->n_backend_fds; i++) {
		rc = gs_loop_add(gw->loop, gw->backend_fds[i], gw_on_backend,
		                 gw);
		if (rc)
			return rc;
	}
	return GS_OK;
}

static void gw_close_backend(struct gateway *gw)
{
	for (size_t i = 0; i < gw->n_backend_fds; i++)
		gs_loop_del(gw->loop, gw->backend_fds[i]);
	gw->n_backend_fds = 0;
	gs_backend_free(gw->backend);
	gw->backend = NULL;
	gs_lamps_free(gw->lamps); /* every output off */
	gw->lamps = NULL;
}

/* The pipeline proper: everything that depends on the sensor and metrics
 * parts of the configuration. */
static int gw_open_pipeline(struct gateway *gw)
{
	int rc;

	gw->engine = gw_engine_new(gw, gw->cfg);
	if (!gw->engine)
		return GS_ECONFIG;
	gw->decode = gs_decode_new(gw->cfg, gw_on_decoded, gw);
	if (!gw->decode)
		return GS_ENOMEM;
	rc = gw_open_backend(gw);
	if (rc)
		return rc;
	if (!gw->opts->print) {
		rc = gs_sync_new(gw->cfg, gw->store, gw->loop, &gw_sync_hooks,
		                 gw, &gw->sync);
		if (rc)
			return rc;
		rc = gs_sync_start(gw->sync);
		if (rc)
			return rc;
	}
	return GS_OK;
}

static void gw_close_pipeline(struct gateway *gw)
{
	gw_close_backend(gw);
	if (gw->sync) {
		gs_sync_stop(gw->sync, GS_STOP_TIMEOUT_MS);
		gs_sync_free(gw->sync);
		gw->sync = NULL;
	}
	gs_decode_free(gw->decode);
	gw->decode = NULL;
	gs_engine_free(gw->engine);
	gw->engine = NULL;
}

/* What the MQTT client was made from: the gateway's identity (its topics)
 * and the [mqtt] section, which config.h keeps from broker to n_sensors.
 * gs_config_defaults() zeroes each struct first, so padding compares equal
 * too. */
static bool gw_sync_cfg_same(const struct gs_config *a,
                             const struct gs_config *b)
{
	size_t from = offsetof(struct gs_config, broker);
	size_t to = offsetof(struct gs_config, n_sensors);

	return strcmp(a->gateway_id, b->gateway_id) == 0 &&
	       strcmp(a->site, b->site) == 0 &&
	       memcmp((const char *)a + from, (const char *)b + from,
	              to - from) == 0;
}

/*
 * SIGHUP: a new configuration replaces the old only if all of it works.
 * Everything that can fail is built first (the engine and decode stage, a
 * new MQTT client when [mqtt] or the gateway's identity changed, which
 * checks its TLS and password files), then the sensor lines are handed
 * over: the old request must go before the new one can take the lines, so
 * on failure the old one is requested again. Only then is the old pipeline
 * let go, its running state carried into the new engine (the open window's
 * counts, occupancy, waiting queue entries, alert arming, faults): a
 * reload loses no count. An unchanged MQTT client keeps its connection.
 *
 * Not carried: a beam sequence in progress (the new decode stage starts
 * from the lines' levels at the reload) and, for a line still held past
 * its fault limit, the fault watch (it is raised again after the limit).
 */
static int gw_reload(struct gateway *gw)
{
	struct gs_config *old = gw->cfg, *next;
	struct gs_engine *eng = NULL;
	struct gs_decode *dec = NULL;
	struct gs_sync *sync = NULL;
	int64_t now;
	int rc;

	sd_notify(0, "RELOADING=1");
	gs_log(GS_LOG_NOTICE, "reloading %s", gw->opts->config_path);
	next = calloc(1, sizeof(*next));
	if (!next) {
		rc = GS_ENOMEM;
		goto err_reject;
	}
	rc = gw_load_config(gw->opts->config_path, next);
	if (rc)
		goto err_reject;
	if (!gw->opts->db_path && strcmp(next->database, old->database) != 0)
		gs_log(GS_LOG_WARNING,
		       "reload: [storage] database changes on the next "
		       "start; %s stays open",
		       gw->db_path);
	snprintf(next->database, sizeof(next->database), "%s", gw->db_path);

	eng = gs_engine_new(next, &gw_engine_sink, gw);
	dec = gs_decode_new(next, gw_on_decoded, gw);
	if (!eng || !dec) {
		rc = eng ? GS_ENOMEM : GS_ECONFIG;
		goto err_reject;
	}
	if (!gw->opts->print && !gw_sync_cfg_same(old, next)) {
		rc = gs_sync_new(next, gw->store, gw->loop, &gw_sync_hooks, gw,
		                 &sync);
		if (rc)
			goto err_reject;
	}

	/* Edges already in the kernel's queue count under the old setup. */
	gw_read_backends(gw);
	gw_close_backend(gw);
	gw->cfg = next;
	rc = gw_open_backend(gw);
	if (rc) {
		gw_close_backend(gw);
		gw->cfg = old;
		if (gw_open_backend(gw) != GS_OK) {
			gs_log(GS_LOG_ERR, "reload: cannot request the old "
			                   "sensor lines again; stopping");
			gw->status = EX_IOERR;
			gs_loop_stop(gw->loop);
		} else {
			/* The old engine goes on: its lamps as they were. */
			gw_show_outputs(gw);
		}
		goto err_reject;
	}

	/* The old pipeline ends at the reload instant, nothing due later
	 * raised; with a new window length its open window is published. */
	/* While edges are held for the clock, time stays at the last one. */
	now = gw_holding(gw) ? gw->last_edge_ms : gw_now(gw);
	gs_decode_finish(gw->decode, now);
	gw_settle(gw);
	if (old->window_ms != next->window_ms)
		gs_engine_finish(gw->engine, now);
	rc = gs_engine_carry(eng, gw->engine);
	if (rc) {
		/* No edge may reach the old pipeline under the new sensors. */
		gw_close_backend(gw);
		gs_log(GS_LOG_ERR,
		       "reload: cannot carry the running state: "
		       "%s; stopping",
		       gs_strerror(rc));
		gw->status = EX_OSERR;
		gs_loop_stop(gw->loop);
		gw->cfg = old;
		gs_sync_free(sync);
		gs_decode_free(dec);
		gs_engine_free(eng);
		free(next);
		return rc;
	}
	gs_decode_free(gw->decode);
	gs_engine_free(gw->engine);
	gw->decode = dec;
	gw->engine = eng;
	if (sync) {
		gs_sync_stop(gw->sync, GS_STOP_TIMEOUT_MS);
		gs_sync_free(gw->sync);
		gw->sync = sync;
		if (gs_sync_start(gw->sync) != GS_OK)
			gs_log(GS_LOG_ERR, "reload: the MQTT client does not "
			                   "start");
	}
	free(old);
	if (gw->timeline) {
		struct gs_timeline_opts tl_opts = gw_timeline_opts(gw->cfg);

		gs_timeline_set_opts(gw->timeline, &tl_opts);
	}
	gw->commit_events = gw->cfg->commit_events;
	if (gs_timerfd_arm_periodic_ms(gw->commit_fd,
	                               gw->cfg->commit_interval_ms) != GS_OK)
		gs_log(GS_LOG_ERR, "reload: cannot re-arm the commit timer: "
		                   "commits wait for full groups");
	if (gs_timerfd_arm_periodic_ms(gw->sync_fd,
	                               gw->cfg->sync_interval_ms) != GS_OK ||
	    gs_store_set_sync_commits(gw->store,
	                              gw->cfg->sync_interval_ms == 0) != GS_OK)
		gs_log(GS_LOG_ERR, "reload: sync_interval not applied");
	gw_commit(gw);
	gw_advance(gw, gw_now(gw));
	gw_arm_tick(gw);
	gs_sync_status_changed(gw->sync);
	gs_log(GS_LOG_NOTICE, "configuration reloaded%s",
	       sync ? " (new MQTT client)" : "");
	sd_notify(0, "READY=1");
	return GS_OK;

err_reject:
	gs_sync_free(sync);
	gs_decode_free(dec);
	gs_engine_free(eng);
	free(next);
	gs_log(GS_LOG_ERR,
	       "reload rejected (%s): the running configuration stays in "
	       "force",
	       gs_strerror(rc));
	sd_notify(0, "READY=1");
	return rc;
}

static int gw_open_signals(struct gateway *gw)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	/* Paho's threads are created later and inherit the blocked mask, so
	 * every signal reaches the signalfd. */
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		gs_log(GS_LOG_ERR, "sigprocmask: %s", strerror(errno));
		return GS_ESYS;
	}
	signal(SIGPIPE, SIG_IGN);
	gw->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (gw->sig_fd < 0) {
		gs_log(GS_LOG_ERR, "signalfd: %s", strerror(errno));
		return GS_ESYS;
	}
	return gs_loop_add(gw->loop, gw->sig_fd, gw_on_signal, gw);
}

static int gw_open_timers(struct gateway *gw)
{
	uint64_t wd_usec = 0;
	int rc;

	gw->commit_fd = gs_timerfd_new();
	gw->tick_fd = gs_timerfd_new();
	gw->drain_fd = gs_timerfd_new();
	gw->sync_fd = gs_timerfd_new();
	if (gw->commit_fd < 0 || gw->tick_fd < 0 || gw->drain_fd < 0 ||
	    gw->sync_fd < 0)
		return GS_ESYS;
	rc = gs_loop_add(gw->loop, gw->commit_fd, gw_on_commit, gw);
	rc = rc ? rc : gs_loop_add(gw->loop, gw->sync_fd, gw_on_sync, gw);
	/* 0 leaves it disarmed: every commit syncs (gs_store_opts). */
	rc = rc ? rc
	        : gs_timerfd_arm_periodic_ms(gw->sync_fd,
	                                     gw->cfg->sync_interval_ms);
	rc = rc ? rc : gs_loop_add(gw->loop, gw->tick_fd, gw_on_tick, gw);
	rc = rc ? rc : gs_loop_add(gw->loop, gw->drain_fd, gw_on_drain, gw);
	rc = rc ? rc
	        : gs_timerfd_arm_periodic_ms(gw->commit_fd,
	                                     gw->cfg->commit_interval_ms);
	if (rc)
		return rc;
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0) {
		gw->watchdog_fd = gs_timerfd_new();
		if (gw->watchdog_fd < 0)
			return GS_ESYS;
		rc = gs_loop_add(gw->loop, gw->watchdog_fd, gw_on_watchdog, gw);
		rc = rc ? rc
		        : gs_timerfd_arm_periodic_ms(gw->watchdog_fd,
		                                     (int64_t)(wd_usec / 2000));
	}
	return rc;
}

static void gw_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Only `run` publishing for real uses the configuration's database: a
 * simulation, a replay or a --print run never touches a unit's state (nor
 * needs its directory) unless told to with --db. They get a fresh store in
 * a private directory, removed at exit unless it still holds messages the
 * broker did not take (gw_keep_undelivered). */
static int gw_choose_db(struct gateway *gw)
{
	const char *tmp = getenv("TMPDIR");
	const char *what = gw->opts->mode == GS_MODE_REPLAY     ? "replay"
	                   : gw->opts->mode == GS_MODE_SIMULATE ? "simulate"
	                                                        : "print";
	int n;

	if (gw->opts->db_path) {
		n = snprintf(gw->db_path, sizeof(gw->db_path), "%s",
		             gw->opts->db_path);
	} else if (gw->opts->mode != GS_MODE_RUN || gw->opts->print) {
		if (asprintf(&gw->tmp_dir, "%s/gapsense-%s-XXXXXX",
		             tmp && *tmp ? tmp : "/tmp", what) < 0)
			return GS_ENOMEM;
		if (!mkdtemp(gw->tmp_dir)) {
			gs_log(GS_LOG_ERR, "mkdtemp %s: %s", gw->tmp_dir,
			       strerror(errno));
			free(gw->tmp_dir);
			gw->tmp_dir = NULL;
			return GS_EIO;
		}
		n = snprintf(gw->db_path, sizeof(gw->db_path), "%s/%s.db",
		             gw->tmp_dir, what);
	} else {
		n = snprintf(gw->db_path, sizeof(gw->db_path), "%s",
		             gw->cfg->database);
	}
	return (n < 0 || (size_t)n >= sizeof(gw->db_path)) ? GS_EINVAL : GS_OK;
}

/*
 * simulate and replay end with every message acknowledged, or fail: a
 * stop (timeout, SIGTERM) that leaves messages undelivered is not success,
 * and the store that holds them is kept and named, never deleted.
 */
static void gw_keep_undelivered(struct gateway *gw)
{
	struct gs_outbox_stats st = {0};

	if (gw->live || gw->opts->print)
		return;
	if (gs_store_outbox_stats(gw->store, &st) != GS_OK || st.pending == 0)
		return;
	if (!gw->status) {
		gs_log(GS_LOG_ERR,
		       "stopped with %" PRIu64 " messages the broker has not "
		       "acknowledged; they stay in the outbox of %s",
		       st.pending, gw->db_path);
		gw->status = EX_TEMPFAIL;
	}
	if (gw->tmp_dir) {
		gs_log(GS_LOG_NOTICE,
		       "kept %s with the undelivered messages (remove it when "
		       "done; --db FILE chooses the place, --drain-timeout "
		       "the wait)",
		       gw->db_path);
		free(gw->tmp_dir);
		gw->tmp_dir = NULL;
	}
}

static void gw_remove_tmp_db(struct gateway *gw)
{
	if (!gw->tmp_dir)
		return;
	gs_store_remove(gw->db_path);
	if (rmdir(gw->tmp_dir) != 0)
		gs_log(GS_LOG_WARNING, "cannot remove %s: %s", gw->tmp_dir,
		       strerror(errno));
	free(gw->tmp_dir);
	gw->tmp_dir = NULL;
}

static void gw_restore_event(void *ctx, const struct gs_event *stored,
                             const char *sensor)
{
	struct gateway *gw = ctx;
	struct gs_event ev = *stored;
	int i = gs_config_find_sensor(gw->cfg, sensor);

	/* Gone from the configuration; or an abandonment, which the engine
	 * works out itself from the joins. */
	if (i < 0 || ev.kind == GS_EV_ABANDON)
		return;
	/* A sensor whose type changed gets events it does not produce: the
	 * engine refuses those. */
	ev.sensor = (uint16_t)i;
	gs_engine_event(gw->engine, &ev);
}

/*
 * Run mode's start after a stop, a crash or a power cut: the engine's
 * running state (occupancy since the day's reset, people still queueing,
 * trailing alert windows and arming, the open window's counts so far) is
 * rebuilt from the last day of stored events, so a restart within a window
 * loses no count. What was published before is not published again: no
 * alert, no window up to the last one stored. The window of the last event
 * was never published if the daemon stopped while it was open: it goes
 * out now if the clock has left it. The engine then runs on to the clock,
 * but the windows of the time the daemon was down are not published: they
 * would claim that nothing happened.
 */
static int gw_restore(struct gateway *gw)
{
	int64_t last_ms, now = gw_now(gw);
	size_t n = 0;
	int rc;

	rc = gs_store_last_event_ms(gw->store, &last_ms);
	if (rc)
		return rc == GS_ENOENT ? GS_OK : rc;
	rc = gs_store_last_window_ms(gw->store, &gw->restored_upto);
	if (rc == GS_ENOENT)
		gw->restored_upto = INT64_MIN;
	else if (rc)
		return rc;
	rc = gs_store_last_daily_ms(gw->store, &gw->restored_daily_upto);
	if (rc == GS_ENOENT)
		gw->restored_daily_upto = INT64_MIN;
	else if (rc)
		return rc;
	gw->restoring = true;
	gw->restore_last_window = gs_floor_to(last_ms, gw->cfg->window_ms);
	rc = gs_store_events_since(gw->store, last_ms - GS_RESTORE_LOOKBACK_MS,
	                           gw_restore_event, gw, &n);
	if (rc == GS_OK) {
		/* Not past edges held for the clock's first sync. */
		if (gw_holding(gw) || now < last_ms)
			now = last_ms;
		gs_engine_advance(gw->engine, now);
		gw->last_edge_ms = last_ms;
	}
	gw->restoring = false;
	if (rc)
		return rc;
	gw_show_outputs(gw);
	gw_commit(gw);
	gs_log(GS_LOG_INFO,
	       "restored the running state from %zu stored events (occupancy "
	       "%" PRId64 ")",
	       n, gs_engine_occupancy(gw->engine));
	return GS_OK;
}

static int gw_status_for(int rc)
{
	switch (rc) {
	case GS_ECONFIG:
		return EX_CONFIG;
	case GS_ENOENT:
		return EX_NOINPUT;
	case GS_EPERM:
		return EX_NOPERM;
	case GS_EPARSE:
		return EX_DATAERR;
	case GS_EBUSY:
		return EX_TEMPFAIL;
	case GS_EGPIO: /* no GPIO chip at all */
		return EX_UNAVAILABLE;
	default:
		return EX_SOFTWARE;
	}
}

static void gw_report(const struct gateway *gw)
{
	double secs;

	if (gw->n_edges == 0)
		return;
	secs = (double)(gs_clock_monotonic_ns() - gw->first_edge_mono_ns) / 1e9;
	gs_log(GS_LOG_INFO,
	       "%" PRIu64 " edges, %" PRIu64 " events, %" PRIu64
	       " windows, %" PRIu64 " alerts in %.3f s (first edge to %s)",
	       gw->n_edges, gw->n_events, gw->n_metrics, gw->n_alerts, secs,
	       gw->sync ? "last acknowledgement" : "last message");
}

int gs_gateway_main(const struct gs_gateway_opts *opts)
{
	struct gateway *gw = calloc(1, sizeof(*gw));
	struct gs_store_opts store_opts = {0};
	int rc, status;

	if (!gw)
		return EX_OSERR;
	gw->opts = opts;
	gw->sig_fd = gw->commit_fd = gw->tick_fd = gw->drain_fd = -1;
	gw->watchdog_fd = gw->clock_poll_fd = gw->prune_fd = gw->sync_fd = -1;
	gw->state_fd = -1;
	gw->store_complaint.clear_ms = 10000; /* as the store's own */
	gw->live = opts->mode == GS_MODE_RUN;
	gw->restored_upto = INT64_MIN;
	gw->restored_daily_upto = INT64_MIN;
	gw->print_out = opts->print ? stdout : NULL;

	gw->cfg = calloc(1, sizeof(*gw->cfg));
	if (!gw->cfg) {
		free(gw);
		return EX_OSERR;
	}
	rc = gw_load_config(opts->config_path, gw->cfg);
	if (rc)
		goto err_free;
	gw->commit_events =
	    gw->live ? gw->cfg->commit_events : GS_FAST_COMMIT_EVENTS;
	rc = gw_choose_db(gw);
	if (rc)
		goto err_free;
	gw->loop = gs_loop_new();
	if (!gw->loop) {
		rc = GS_ESYS;
		goto err_free;
	}
	rc = gw_open_signals(gw);
	if (rc)
		goto err_loop;
	store_opts.sync_commits = gw->cfg->sync_interval_ms == 0;
	store_opts.ephemeral = gw->tmp_dir != NULL; /* deleted at exit */
	rc = gs_store_open(gw->db_path, &store_opts, &gw->store);
	if (rc)
		goto err_loop;
	gw->keep = gs_keep_new(GS_KEEP_MAX);
	gw->losses = gs_losses_new();
	if (!gw->keep || !gw->losses) {
		rc = GS_ENOMEM;
		goto err_store;
	}
	if (gs_losses_load(gw->losses, gw->store) != GS_OK)
		gs_log(GS_LOG_WARNING,
		       "cannot read the losses declared so far");
	gw->state = gs_status_new(gw->db_path);
	gw->state_fd = gs_timerfd_new();
	if (!gw->state || gw->state_fd < 0 ||
	    gs_loop_add(gw->loop, gw->state_fd, gw_on_state, gw) != GS_OK ||
	    gs_timerfd_arm_periodic_ms(gw->state_fd, 1000) != GS_OK) {
		rc = GS_ESYS;
		goto err_store;
	}
	rc = gw_open_timers(gw);
	if (rc)
		goto err_store;
	if (gw->live) {
		rc = gw_open_clock(gw);
		if (rc)
			goto err_store;
	}
	if (opts->record_path) {
		gw->recorder =
		    gs_scenario_writer_open(gw->cfg, opts->record_path);
		if (!gw->recorder) {
			rc = GS_EIO;
			goto err_store;
		}
	}
	rc = gw_open_pipeline(gw);
	if (rc)
		goto err_pipeline;

	if (gw->live) {
		if (gw_restore(gw) != GS_OK) {
			/* Counting must go on: from zero, in a fresh engine
			 * (the stored events stay where they are). */
			gs_log(GS_LOG_WARNING, "cannot restore the running "
			                       "state; counting from zero");
			gs_engine_free(gw->engine);
			gw->engine = gw_engine_new(gw, gw->cfg);
			if (!gw->engine) {
				rc = GS_ENOMEM;
				goto err_pipeline;
			}
		}
		gw_advance(gw, gw_now(gw));
		gw_arm_tick(gw);
	}
	gs_log(GS_LOG_INFO,
	       "%s: gateway %s at site %s, %u sensors, database %s",
	       opts->mode == GS_MODE_RUN        ? "running"
	       : opts->mode == GS_MODE_SIMULATE ? "simulating"
	                                        : "replaying",
	       gw->cfg->gateway_id, gw->cfg->site, gw->cfg->n_sensors,
	       gw->db_path);
	sd_notify(0, "READY=1");
	gw_on_state(gw, -1, 0);
	rc = gs_loop_run(gw->loop);
	if (rc && !gw->status)
		gw->status = EX_OSERR;
	if (gw->print_out)
		fflush(gw->print_out);
	gw_report(gw);
	gw_commit(gw);
	/* What still could not be stored is lost: the last status says so. */
	if (gs_keep_count(gw->keep) > 0) {
		gs_keep_drain(gw->keep, gw_declare_lost, gw);
		(void)gw_commit_now(gw); /* the declaration, if it fits */
	}
	gw_close_pipeline(gw);
	gw_keep_undelivered(gw);
	status = gw->status;
	gs_scenario_writer_close(gw->recorder);
	gw_close_fd(&gw->commit_fd);
	gw_close_fd(&gw->sync_fd);
	gw_close_fd(&gw->tick_fd);
	gw_close_fd(&gw->drain_fd);
	gw_close_fd(&gw->watchdog_fd);
	gw_close_fd(&gw->clock_poll_fd);
	gw_close_fd(&gw->prune_fd);
	gs_clock_free(gw->clock);
	gs_timeline_free(gw->timeline);
	gw_close_fd(&gw->state_fd);
	gs_status_free(gw->state);
	gs_store_close(gw->store);
	gs_keep_free(gw->keep);
	gs_losses_free(gw->losses);
	gw_close_fd(&gw->sig_fd);
	gs_loop_free(gw->loop);
	gw_remove_tmp_db(gw);
	free(gw->cfg);
	free(gw);
	return status;

err_pipeline:
	gw_close_pipeline(gw);
	gs_scenario_writer_close(gw->recorder);
err_store:
	gw_close_fd(&gw->commit_fd);
	gw_close_fd(&gw->sync_fd);
	gw_close_fd(&gw->tick_fd);
	gw_close_fd(&gw->drain_fd);
	gw_close_fd(&gw->watchdog_fd);
	gw_close_fd(&gw->clock_poll_fd);
	gw_close_fd(&gw->prune_fd);
	gs_timeline_free(gw->timeline);
	gs_clock_free(gw->clock);
	gw_close_fd(&gw->state_fd);
	gs_status_free(gw->state);
	gs_store_close(gw->store);
	gs_keep_free(gw->keep);
	gs_losses_free(gw->losses);
err_loop:
	gw_close_fd(&gw->sig_fd);
	gs_loop_free(gw->loop);
err_free:
	gw_remove_tmp_db(gw);
	free(gw->cfg);
	free(gw);
	return gw_status_for(rc);
}
