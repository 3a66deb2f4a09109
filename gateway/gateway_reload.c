/* SPDX-License-Identifier: MIT */
/* Configuration reload on SIGHUP (run mode). */
#include "gateway/gateway_priv.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/loop.h"
#include "gateway/notify.h"
#include "gateway/pipeline.h"
#include "gateway/store.h"
#include "gateway/timeline.h"
#include "sync/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* What the MQTT client was made from: the gateway's identity (its topics)
 * and the [mqtt] section. */
static bool gw_sync_cfg_same(const struct gs_config *a,
                             const struct gs_config *b)
{
	return strcmp(a->gateway_id, b->gateway_id) == 0 &&
	       strcmp(a->site, b->site) == 0 &&
	       gs_config_section_equal(a, b, GS_SEC_MQTT);
}

/* A reload's pieces, made from the new configuration and owned here until
 * gw_reload_swap gives them to the gateway. */
struct gw_reload {
	struct gs_config *old;  /* the running configuration */
	struct gs_config *next; /* the new one */
	struct gs_pipeline *pipeline;
	struct gs_sync *sync; /* NULL: the running MQTT client stays */
};

/* Loads and checks the new configuration; the database stays the open one. */
static int gw_reload_load(struct gateway *gw, struct gw_reload *r)
{
	int rc;

	r->next = calloc(1, sizeof(*r->next));
	if (!r->next)
		return GS_ENOMEM;
	rc = gs_config_load_print(gw->opts->config_path, r->next,
	                          GS_DIAG_TO_LOG);
	if (rc)
		return rc;
	if (!gw->opts->db_path &&
	    strcmp(r->next->database, r->old->database) != 0)
		gs_log(GS_LOG_WARNING,
		       "reload: [storage] database changes on the next "
		       "start; %s stays open",
		       gw->db_path);
	snprintf(r->next->database, sizeof(r->next->database), "%s",
	         gw->db_path);
	return GS_OK;
}

/* Makes the new pipeline, and a new MQTT client when its part of the
 * configuration changed (which checks its TLS and password files). */
static int gw_reload_make(struct gateway *gw, struct gw_reload *r)
{
	int rc = gw_pipeline_new(gw, r->next, &r->pipeline);

	if (rc)
		return rc;
	if (!gw->opts->print && !gw_sync_cfg_same(r->old, r->next)) {
		struct gs_sync_opts sync_opts = gw_sync_opts(gw);

		return gs_sync_new(r->next, gw->store, gw->loop, &sync_opts, gw,
		                   &r->sync);
	}
	return GS_OK;
}

/* The new lines could not be requested: the old ones again, or a stop. */
static void gw_reload_roll_back(struct gateway *gw, struct gw_reload *r)
{
	gw_close_backend(gw);
	gw->cfg = r->old;
	if (gw_open_backend(gw) != GS_OK) {
		gs_log(GS_LOG_ERR, "reload: cannot request the old "
		                   "sensor lines again; stopping");
		gw->status = EX_IOERR;
		gs_loop_stop(gw->loop);
	} else {
		/* The old engine goes on: its lamps as they were. */
		gw_show_outputs(gw);
	}
}

/* Hands the sensor lines over: the old request must go before the new one
 * can take the lines. */
static int gw_reload_lines(struct gateway *gw, struct gw_reload *r)
{
	int rc;

	/* Edges already in the kernel's queue count under the old setup. */
	gw_read_backends(gw);
	gw_close_backend(gw);
	gw->cfg = r->next;
	rc = gw_open_backend(gw);
	if (rc)
		gw_reload_roll_back(gw, r);
	return rc;
}

/* Ends the old pipeline and carries its running state into the new one;
 * on failure the gateway stops (the new lines are already taken). */
static int gw_reload_carry(struct gateway *gw, struct gw_reload *r)
{
	/* The old pipeline ends at the reload instant, nothing due later
	 * raised; with a new window length its open window is published.
	 * While edges are held for the clock, time stays at the last one. */
	int64_t now = gw_holding(gw) ? gw->last_edge_ms : gw_now(gw);
	int rc = gs_pipeline_carry(r->pipeline, gw->pipeline, now);

	if (rc) {
		/* No edge may reach the old pipeline under the new sensors. */
		gw_close_backend(gw);
		gs_log(GS_LOG_ERR,
		       "reload: cannot carry the running state: "
		       "%s; stopping",
		       gs_strerror(rc));
		gw->status = EX_OSERR;
		gs_loop_stop(gw->loop);
		gw->cfg = r->old;
	}
	return rc;
}

/* The new pieces replace the old, which are let go; r keeps none. */
static void gw_reload_swap(struct gateway *gw, struct gw_reload *r)
{
	gs_pipeline_free(gw->pipeline);
	gw->pipeline = r->pipeline;
	if (r->sync) {
		gs_sync_stop(gw->sync, GS_STOP_TIMEOUT_MS);
		gs_sync_free(gw->sync);
		gw->sync = r->sync;
		if (gs_sync_start(gw->sync) != GS_OK)
			gs_log(GS_LOG_ERR, "reload: the MQTT client does not "
			                   "start");
		gw_keep_hand_over(gw);
	}
	free(r->old);
	*r = (struct gw_reload){0};
}

/* The new configuration's timers and storage settings, then the present. */
static void gw_reload_apply(struct gateway *gw)
{
	if (gw->timeline) {
		struct gs_timeline_opts tl_opts = gw_timeline_opts(gw->cfg);

		gs_timeline_set_opts(gw->timeline, &tl_opts);
	}
	gw->commit_events = gw->cfg->commit_events;
	if (gs_timerfd_arm_periodic_ms(gw->sync_fd,
	                               gw->cfg->sync_interval_ms) != GS_OK ||
	    gs_store_set_sync_commits(gw->store,
	                              gw->cfg->sync_interval_ms == 0) != GS_OK)
		gs_log(GS_LOG_ERR, "reload: sync_interval not applied");
	gw_commit(gw);
	gw_advance(gw, gw_now(gw));
	gw_arm_tick(gw);
	gw_status_changed(gw);
}

/*
 * SIGHUP: a new configuration replaces the old only if all of it works.
 * Everything that can fail is built first (the pipeline, a new MQTT client
 * when [mqtt] or the gateway's identity changed, which checks its TLS and
 * password files), then the sensor lines are handed over: the old request
 * must go before the new one can take the lines, so on failure the old one
 * is requested again. Only then is the old pipeline let go, its running
 * state carried into the new one (the open window's counts, occupancy,
 * waiting queue entries, alert arming, faults): a reload loses no count.
 * An unchanged MQTT client keeps its connection. A reload that cannot
 * carry the state stops the gateway: it is not rejected, and does not say
 * READY.
 *
 * Not carried: a beam sequence in progress (the new decode stage starts
 * from the lines' levels at the reload) and, for a line still held past
 * its fault limit, the fault watch (it is raised again after the limit).
 */
int gw_reload(struct gateway *gw)
{
	struct gw_reload r = {.old = gw->cfg};
	bool new_sync, stopping = false;
	int rc;

	gs_notify("RELOADING=1");
	gs_log(GS_LOG_NOTICE, "reloading %s", gw->opts->config_path);
	rc = gw_reload_load(gw, &r);
	if (rc)
		goto err_free;
	rc = gw_reload_make(gw, &r);
	if (rc)
		goto err_free;
	rc = gw_reload_lines(gw, &r);
	if (rc)
		goto err_free;
	rc = gw_reload_carry(gw, &r);
	if (rc) {
		stopping = true;
		goto err_free;
	}
	new_sync = r.sync != NULL;
	gw_reload_swap(gw, &r);
	gw_reload_apply(gw);
	gs_log(GS_LOG_NOTICE, "configuration reloaded%s",
	       new_sync ? " (new MQTT client)" : "");
	gs_notify("READY=1");
	return GS_OK;

err_free:
	gs_sync_free(r.sync);
	gs_pipeline_free(r.pipeline);
	free(r.next);
	if (stopping)
		return rc;
	gs_log(GS_LOG_ERR,
	       "reload rejected (%s): the running configuration stays in "
	       "force",
	       gs_strerror(rc));
	gs_notify("READY=1");
	return rc;
}
