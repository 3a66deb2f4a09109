/* SPDX-License-Identifier: MIT */
/* Run mode's start-up: the pipeline's running state from stored events. */
#include "gateway/gateway_priv.h"
#include "gateway/config.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/pipeline.h"
#include "gateway/store.h"
#include "gateway/timeutil.h"

#include <inttypes.h>

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
	gs_pipeline_restore_event(gw->pipeline, &ev);
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
int gw_restore(struct gateway *gw)
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
		gs_pipeline_restore_end(gw->pipeline, now);
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
	       n, gs_pipeline_occupancy(gw->pipeline));
	return GS_OK;
}
