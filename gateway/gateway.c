/* SPDX-License-Identifier: MIT */
/*
 * The gateway's lifecycle: set-up and tear-down of every part, signals,
 * the commit, sync and watchdog timers, and the loop. The other jobs live
 * in files of their own, sharing gateway/gateway_priv.h.
 */
#include "gateway/gateway_priv.h"
#include "gateway/clock.h"
#include "gateway/err.h"
#include "gateway/keep.h"
#include "gateway/log.h"
#include "gateway/loss.h"
#include "gateway/loop.h"
#include "gateway/notify.h"
#include "gateway/pipeline.h"
#include "gateway/status.h"
#include "gateway/store.h"
#include "gateway/timeline.h"
#include "gateway/timeutil.h"
#include "gateway/txn.h"
#include "sensors/scenario.h"
#include "sync/sync.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sysexits.h>
#include <unistd.h>

/* Replay and simulation have no power cut to fear mid-run, so they commit
 * in larger groups; messages are still committed before they leave. */
#define GS_FAST_COMMIT_EVENTS 8192

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
		gs_notify("STOPPING=1");
		gs_loop_stop(gw->loop);
		break;
	}
}

/*
 * A group commits commit_interval after it opens, whoever opened it (the
 * sink, sync's acknowledgements, a command): one wake-up per group and
 * none while nothing is written. A periodic timer woke the loop twice a
 * second for nothing in a quiet shop.
 */
static void gw_arm_commit(struct gateway *gw)
{
	if (gw->commit_armed || gw->commit_fd < 0)
		return;
	if (gs_timerfd_arm_ms(gw->commit_fd, gw->cfg->commit_interval_ms) ==
	    GS_OK)
		gw->commit_armed = true; /* else the next write tries again */
}

static void gw_on_store_begin(void *ctx)
{
	gw_arm_commit(ctx);
}

static void gw_on_commit(void *ctx, int fd, uint32_t events)
{
	struct gateway *gw = ctx;

	(void)events;
	gs_timerfd_drain(fd);
	gw->commit_armed = false;
	if (gs_store_uncommitted(gw->store) > 0 || gs_keep_count(gw->keep) > 0)
		gw_commit(gw);
	/* Still open (with nothing counted in it yet), or messages wait in
	 * memory for room on a full disk: again one interval later. */
	if (gs_store_in_txn(gw->store) || gs_keep_count(gw->keep) > 0)
		gw_arm_commit(gw);
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
	gs_notify("WATCHDOG=1");
}

/* The data path: the pipeline, the backend that feeds it, and sync, which
 * publishes what it stored. */
static int gw_open_pipeline(struct gateway *gw)
{
	int rc;

	rc = gw_pipeline_new(gw, gw->cfg, &gw->pipeline);
	if (rc)
		return rc;
	rc = gw_open_backend(gw);
	if (rc)
		return rc;
	if (!gw->opts->print) {
		struct gs_sync_opts sync_opts = gw_sync_opts(gw);

		rc = gs_sync_new(gw->cfg, gw->store, gw->loop, &sync_opts, gw,
		                 &gw->sync);
		if (rc)
			return rc;
		gw_status_changed(gw);
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
	gs_pipeline_free(gw->pipeline);
	gw->pipeline = NULL;
}

static void gw_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
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
	if (rc)
		return rc;
	/* A group opened before the timer existed (restore, migration). */
	if (gs_store_in_txn(gw->store))
		gw_arm_commit(gw);
	wd_usec = gs_notify_watchdog_usec();
	if (wd_usec > 0) {
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

static void gw_close_timers(struct gateway *gw)
{
	gw_close_fd(&gw->commit_fd);
	gw_close_fd(&gw->sync_fd);
	gw_close_fd(&gw->tick_fd);
	gw_close_fd(&gw->drain_fd);
	gw_close_fd(&gw->watchdog_fd);
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

/* A gateway with every fd closed and nothing open yet. */
static struct gateway *gw_new(const struct gs_gateway_opts *opts)
{
	struct gateway *gw = calloc(1, sizeof(*gw));

	if (!gw)
		return NULL;
	gw->opts = opts;
	gw->sig_fd = gw->commit_fd = gw->tick_fd = gw->drain_fd = -1;
	gw->watchdog_fd = gw->clock_poll_fd = gw->prune_fd = gw->sync_fd = -1;
	gw->state_fd = -1;
	gw->store_complaint.clear_ms = 10000; /* as the store's own */
	gw->seq_complaint.clear_ms = 10000;
	gw->live = opts->mode == GS_MODE_RUN;
	gw->restored_upto = INT64_MIN;
	gw->restored_daily_upto = INT64_MIN;
	gw->print_out = opts->print ? stdout : NULL;
	gw->cfg = calloc(1, sizeof(*gw->cfg));
	if (!gw->cfg) {
		free(gw);
		return NULL;
	}
	return gw;
}

static void gw_free(struct gateway *gw)
{
	free(gw->cfg);
	free(gw);
}

static int gw_open_loop(struct gateway *gw)
{
	gw->loop = gs_loop_new();
	if (!gw->loop)
		return GS_ESYS;
	return gw_open_signals(gw);
}

static void gw_close_loop(struct gateway *gw)
{
	gw_close_fd(&gw->sig_fd);
	gs_loop_free(gw->loop);
	gw->loop = NULL;
}

/* The store, the messages kept while it is full, and the losses it holds. */
static int gw_open_store(struct gateway *gw)
{
	struct gs_store_opts store_opts = {0};
	int rc;

	store_opts.sync_commits = gw->cfg->sync_interval_ms == 0;
	store_opts.ephemeral = gw->tmp_dir != NULL; /* deleted at exit */
	store_opts.on_begin = gw_on_store_begin;
	store_opts.on_begin_ctx = gw;
	rc = gs_store_open(gw->db_path, &store_opts, &gw->store);
	if (rc)
		return rc;
	gw->keep = gs_keep_new(GS_KEEP_MAX);
	gw->losses = gs_losses_new();
	gw->txn = gs_txn_new(gw->store, &gw_txn_policy, gw);
	if (!gw->keep || !gw->losses || !gw->txn)
		return GS_ENOMEM;
	if (gs_losses_load(gw->losses, gw->store) != GS_OK)
		gs_log(GS_LOG_WARNING,
		       "cannot read the losses declared so far");
	/* Before anything commits: the declaration is saved by the first
	 * commit, before the reservation is closed by a later one. */
	gw_declare_seq_gap(gw);
	return GS_OK;
}

static void gw_close_store(struct gateway *gw)
{
	gs_txn_free(gw->txn);
	gw->txn = NULL;
	gs_store_close(gw->store);
	gw->store = NULL;
	gs_keep_free(gw->keep);
	gw->keep = NULL;
	gs_losses_free(gw->losses);
	gw->losses = NULL;
}

/* STATUS= and the status file, refreshed every second. */
static int gw_open_state(struct gateway *gw)
{
	gw->state = gs_status_new(gw->db_path);
	gw->state_fd = gs_timerfd_new();
	if (!gw->state || gw->state_fd < 0 ||
	    gs_loop_add(gw->loop, gw->state_fd, gw_on_state, gw) != GS_OK ||
	    gs_timerfd_arm_periodic_ms(gw->state_fd, 1000) != GS_OK)
		return GS_ESYS;
	return GS_OK;
}

static void gw_close_state(struct gateway *gw)
{
	gw_close_fd(&gw->state_fd);
	gs_status_free(gw->state); /* removes the status file */
	gw->state = NULL;
}

/* The undoing of gw_open_clock (gateway_time.c), whole or in part. */
static void gw_close_clock(struct gateway *gw)
{
	gw_close_fd(&gw->clock_poll_fd);
	gw_close_fd(&gw->prune_fd);
	gs_timeline_free(gw->timeline);
	gw->timeline = NULL;
	gs_clock_free(gw->clock);
	gw->clock = NULL;
}

static int gw_open_recorder(struct gateway *gw)
{
	if (!gw->opts->record_path)
		return GS_OK;
	gw->recorder = gs_scenario_writer_open(gw->cfg, gw->opts->record_path);
	return gw->recorder ? GS_OK : GS_EIO;
}

static void gw_close_recorder(struct gateway *gw)
{
	gs_scenario_writer_close(gw->recorder);
	gw->recorder = NULL;
}

/* Run mode: the running state from the stored events, then the clock's
 * present and the first deadline. */
static int gw_start_live(struct gateway *gw)
{
	if (gw_restore(gw) != GS_OK) {
		/* Counting must go on: from zero, in a fresh pipeline (the
		 * stored events stay where they are). */
		int rc;

		gs_log(GS_LOG_WARNING, "cannot restore the running "
		                       "state; counting from zero");
		gs_pipeline_free(gw->pipeline);
		rc = gw_pipeline_new(gw, gw->cfg, &gw->pipeline);
		if (rc)
			return rc;
	}
	gw_advance(gw, gw_now(gw));
	gw_arm_tick(gw);
	return GS_OK;
}

/* Says it is ready, runs the loop until a stop, then stores what it can:
 * the last group, and what still could not be stored declared lost (the
 * last status says so). */
static void gw_run(struct gateway *gw)
{
	gs_log(GS_LOG_INFO,
	       "%s: gateway %s at site %s, %u sensors, database %s",
	       gw->opts->mode == GS_MODE_RUN        ? "running"
	       : gw->opts->mode == GS_MODE_SIMULATE ? "simulating"
	                                            : "replaying",
	       gw->cfg->gateway_id, gw->cfg->site, gw->cfg->n_sensors,
	       gw->db_path);
	gs_notify("READY=1");
	gw_on_state(gw, -1, 0);
	if (gs_loop_run(gw->loop) != GS_OK && !gw->status)
		gw->status = EX_OSERR;
	if (gw->print_out)
		fflush(gw->print_out);
	gw_report(gw);
	gw_commit(gw);
	gw_keep_let_go(gw);
}

/*
 * The lifecycle: each step opens one part, and one ladder closes them in
 * reverse: after a run from the top, on failure from the step that failed
 * (each close is safe on a part opened in part or not at all). Only a run
 * checks for undelivered messages (once sync has stopped) and returns the
 * run's status; a failed start returns its error's.
 */
int gs_gateway_main(const struct gs_gateway_opts *opts)
{
	struct gateway *gw = gw_new(opts);
	int rc, status;

	if (!gw)
		return EX_OSERR;
	rc = gs_config_load_print(opts->config_path, gw->cfg, GS_DIAG_TO_LOG);
	if (rc)
		goto err_remove_db;
	gw->commit_events =
	    gw->live ? gw->cfg->commit_events : GS_FAST_COMMIT_EVENTS;
	rc = gw_choose_db(gw);
	if (rc)
		goto err_remove_db;
	rc = gw_open_loop(gw);
	if (rc)
		goto err_close_loop;
	rc = gw_open_store(gw);
	if (rc)
		goto err_close_store;
	rc = gw_open_state(gw);
	if (rc)
		goto err_close_state;
	rc = gw_open_timers(gw);
	if (rc)
		goto err_close_timers;
	rc = gw->live ? gw_open_clock(gw) : GS_OK;
	if (rc)
		goto err_close_clock;
	rc = gw_open_recorder(gw);
	if (rc)
		goto err_close_clock;
	rc = gw_open_pipeline(gw);
	if (rc)
		goto err_close_pipeline;
	rc = gw->live ? gw_start_live(gw) : GS_OK;
	if (rc)
		goto err_close_pipeline;

	gw_run(gw);
err_close_pipeline:
	gw_close_pipeline(gw);
	if (rc == GS_OK)
		gw_keep_undelivered(gw);
	gw_close_recorder(gw);
err_close_clock:
	gw_close_clock(gw);
err_close_timers:
	gw_close_timers(gw);
err_close_state:
	gw_close_state(gw);
err_close_store:
	gw_close_store(gw);
err_close_loop:
	gw_close_loop(gw);
err_remove_db:
	gw_remove_tmp_db(gw);
	status = rc ? gw_status_for(rc) : gw->status;
	gw_free(gw);
	return status;
}
