/* SPDX-License-Identifier: MIT */
/*
 * The input side: the backend (GPIO lines, the simulator or a scenario
 * file) and the alert outputs opened with it, its edges read into the
 * pipeline, and the end of a simulation or replay.
 */
#include "gateway/gateway_priv.h"
#include "gateway/clock.h"
#include "gateway/err.h"
#include "gateway/lamps.h"
#include "gateway/log.h"
#include "gateway/loop.h"
#include "gateway/pipeline.h"
#include "gateway/store.h"
#include "gateway/timeutil.h"
#include "sensors/backend.h"
#include "sensors/gpio.h"
#include "sensors/scenario.h"
#include "sensors/sim.h"
#include "sync/sync.h"

#include <inttypes.h>
#include <stdlib.h>
#include <sysexits.h>

#define GS_EDGE_BATCH    512
#define GS_DRAIN_POLL_MS 2

static void gw_input_done(struct gateway *gw);

void gw_feed(struct gateway *gw, const struct gs_edge *edges, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct gs_edge *e = &edges[i];

		if (gw->recorder && gs_scenario_writer_add(gw->recorder, e)) {
			gs_log(GS_LOG_ERR, "cannot record the scenario; "
			                   "recording stopped");
			gs_scenario_writer_close(gw->recorder);
			gw->recorder = NULL;
		}
	}
	gs_pipeline_feed(gw->pipeline, edges, n);
	if (n > 0) {
		if (gw->n_edges == 0)
			gw->first_edge_mono_ns = gs_clock_monotonic_ns();
		gw->n_edges += n;
		gw->last_edge_ms = edges[n - 1].t_ms;
		gw->last_fed = edges[n - 1];
	}
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
void gw_read_backends(struct gateway *gw)
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

void gw_on_drain(void *ctx, int fd, uint32_t events)
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
	gs_pipeline_finish(gw->pipeline, gw->last_edge_ms);
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

int gw_open_backend(struct gateway *gw)
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
		                             o->replay_speed, &gw->backend);
		break;
	default:
		diag = calloc(1, sizeof(*diag));
		if (!diag)
			return GS_ENOMEM;
		rc = gs_gpio_backend_new(gw->cfg, GS_GPIO_CONSUMER_DAEMON, diag,
		                         &gw->backend);
		if (rc == GS_OK)
			rc = gw_open_outputs(gw, diag);
		gs_diag_print(diag, GS_DIAG_TO_LOG);
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

void gw_close_backend(struct gateway *gw)
{
	for (size_t i = 0; i < gw->n_backend_fds; i++)
		gs_loop_del(gw->loop, gw->backend_fds[i]);
	gw->n_backend_fds = 0;
	gs_backend_free(gw->backend);
	gw->backend = NULL;
	gs_lamps_free(gw->lamps); /* every output off */
	gw->lamps = NULL;
}
