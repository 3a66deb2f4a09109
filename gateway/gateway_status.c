/* SPDX-License-Identifier: MIT */
/*
 * The gateway's status: what it adds to the status message (clock, sensors,
 * outputs, losses), STATUS= and the status file once a second.
 */
#include "gateway/gateway_priv.h"
#include "gateway/clock.h"
#include "gateway/config.h"
#include "gateway/keep.h"
#include "gateway/lamps.h"
#include "gateway/loop.h"
#include "gateway/loss.h"
#include "gateway/outputs.h"
#include "gateway/pipeline.h"
#include "gateway/status.h"
#include "sync/sync.h"

#include <cjson/cJSON.h>

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

static void gw_fill_status(struct gateway *gw, cJSON *status)
{
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
		cJSON_AddBoolToObject(
		    s, "faulted", gs_pipeline_sensor_faulted(gw->pipeline, i));
		cJSON_AddItemToArray(sensors, s);
	}
	gw_fill_outputs(gw, status);
	gs_losses_to_json(gw->losses, status);
}

/* Ages in the status message, and the outbox's age quota, in event time:
 * a replay of an old scenario is not days old. */
int64_t gw_event_now(void *ctx)
{
	struct gateway *gw = ctx;

	return gw->live ? gw_now(gw) : gw->last_edge_ms;
}

/* Once a second: STATUS= and the status file, when they change. */
void gw_on_state(void *ctx, int fd, uint32_t events)
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

/* Sync sends the gateway's members of the status message as given. */
void gw_status_changed(struct gateway *gw)
{
	cJSON *part;

	if (!gw->sync)
		return;
	part = cJSON_CreateObject();
	if (part)
		gw_fill_status(gw, part);
	gs_sync_status_set(gw->sync, part);
}

struct gs_sync_opts gw_sync_opts(struct gateway *gw)
{
	return (struct gs_sync_opts){
	    .now_ms = gw_event_now,
	    .kept_delivered = gw_kept_delivered,
	    .txn = gw->txn,
	};
}
