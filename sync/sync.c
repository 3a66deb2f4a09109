/* SPDX-License-Identifier: MIT */
/*
 * Store-and-forward: the client's life (its checks and creation, start,
 * stop, free), the interface of sync/sync.h and the status message.
 * sync_priv.h says which file does what.
 */
#include "gateway/config_files.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/msg.h"
#include "gateway/timeutil.h"
#include "gateway/txn.h"
#include "sync/sync_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

int64_t gs_sync_mono_ms(const struct gs_sync *sync)
{
	return gs_time_mono_ms(&sync->opts.time);
}

int64_t gs_sync_wall_ms(const struct gs_sync *sync)
{
	return gs_time_real_ms(&sync->opts.time);
}

int64_t gs_sync_event_now_ms(const struct gs_sync *sync)
{
	return sync->opts.now_ms ? sync->opts.now_ms(sync->opts_ctx)
	                         : gs_sync_wall_ms(sync);
}

/* ---- status -------------------------------------------------------------- */

/* The status as JSON text (cJSON_free() it), or NULL when memory is short;
 * the arguments are gs_sync_status_build()'s. */
static char *gs_sync_status_print(struct gs_sync *sync, const char *state,
                                  const char *reason, bool with_outbox)
{
	cJSON *st = gs_sync_status_build(sync, state, reason, with_outbox);
	char *json = st ? gs_json_print(st) : NULL;

	cJSON_Delete(st);
	return json;
}

/* Publishes a copy of json on the status topic. */
static int gs_sync_status_send(struct gs_sync *sync, const char *json)
{
	char *copy = strdup(json);
	int rc;

	if (!copy)
		return GS_ENOMEM;
	rc = gs_sync_publish_extra(sync, GS_PUB_STATUS, 0, copy);
	if (rc)
		free(copy);
	return rc;
}

void gs_sync_publish_status(struct gs_sync *sync, bool force)
{
	char *json;

	if (sync->state != GS_SYNC_CONNECTED)
		return;
	json = gs_sync_status_print(sync, "online", NULL, true);
	if (!json) {
		gs_log(GS_LOG_ERR, "mqtt: out of memory building the status");
		return;
	}
	sync->status_due = false;
	if (!force && sync->status_last &&
	    strcmp(json, sync->status_last) == 0) {
		cJSON_free(json);
		return;
	}
	free(sync->status_last);
	sync->status_last = strdup(json);
	if (gs_sync_status_send(sync, json))
		sync->status_due = true;
	sync->status_mono_ms = gs_sync_mono_ms(sync);
	cJSON_free(json);
}

/* ---- creation ------------------------------------------------------------ */

/* The files the configuration names, under the one policy that
 * check-config applies too (gateway/config_files.h), as this process. */
static int gs_sync_check_files(const struct gs_config *cfg)
{
	struct gs_diag *diag = calloc(1, sizeof(*diag));
	struct gs_file_user self;
	int rc;

	if (!diag)
		return GS_ENOMEM;
	gs_file_user_self(&self);
	rc = gs_config_files_check(cfg, &self, diag);
	gs_diag_print(diag, GS_DIAG_TO_LOG);
	free(diag);
	return rc;
}

static int gs_sync_check_config(struct gs_sync *sync)
{
	const struct gs_config *cfg = &sync->cfg;
	int rc;

	sync->tls = gs_config_broker_is_tls(cfg);
	if (!sync->tls && !gs_sync_uri_is_loopback(cfg->broker))
		gs_log(GS_LOG_WARNING,
		       "mqtt: %s is not encrypted: data%s travel in clear "
		       "text; use mqtts:// beyond this machine",
		       cfg->broker,
		       cfg->password_file[0] ? " and password" : "");
	if (sync->tls && !cfg->tls_verify_hostname)
		gs_log(GS_LOG_WARNING, "mqtt: tls_verify_hostname is off: any "
		                       "certificate of the CA is accepted");
	rc = gs_sync_check_files(cfg);
	if (rc)
		return rc;
	if (cfg->password_file[0]) {
		if (!cfg->username[0] && cfg->mqtt_version != 5) {
			gs_log(GS_LOG_ERR, "mqtt: password_file needs a "
			                   "username with MQTT 3.1.1");
			return GS_ECONFIG;
		}
		rc = gs_sync_read_password(cfg->password_file, &sync->password);
		if (rc)
			return rc;
	}
	if (!cfg->client_id[0]) {
		gs_log(GS_LOG_ERR, "mqtt: client_id is empty");
		return GS_ECONFIG;
	}
	return GS_OK;
}

static int gs_sync_topics(struct gs_sync *sync)
{
	const struct gs_config *cfg = &sync->cfg;
	int n;

	if (gs_msg_topic(cfg, GS_MSG_STATUS, sync->topic_status,
	                 sizeof(sync->topic_status)) ||
	    gs_msg_topic(cfg, GS_MSG_REPLY, sync->topic_reply,
	                 sizeof(sync->topic_reply)) ||
	    gs_msg_topic(cfg, GS_MSG_METRICS, sync->topic_metrics,
	                 sizeof(sync->topic_metrics)) ||
	    gs_msg_topic(cfg, GS_MSG_DAILY, sync->topic_daily,
	                 sizeof(sync->topic_daily))) {
		gs_log(GS_LOG_ERR, "mqtt: topic prefix, site and id are too "
		                   "long for a topic");
		return GS_ECONFIG;
	}
	n = snprintf(sync->topic_cmd, sizeof(sync->topic_cmd), "%s/%s/%s/cmd",
	             cfg->topic_prefix, cfg->site, cfg->gateway_id);
	return (n < 0 || (size_t)n >= sizeof(sync->topic_cmd)) ? GS_ECONFIG
	                                                       : GS_OK;
}

static int gs_sync_open_client(struct gs_sync *sync)
{
	MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
	int rc;

	rc = gs_paho_open(sync->tls, &sync->paho);
	if (rc)
		return rc;
	gs_log(GS_LOG_DEBUG, "mqtt: client library %s", sync->paho->name);
	co.struct_version = 2; /* 3 is rejected by this Paho release */
	co.sendWhileDisconnected = 0;
	co.MQTTVersion =
	    sync->cfg.mqtt_version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
	rc = sync->paho->create(&sync->client, sync->cfg.broker,
	                        sync->cfg.client_id,
	                        MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
	if (rc != MQTTASYNC_SUCCESS) {
		gs_log(GS_LOG_ERR, "mqtt: cannot create a client for %s: %s",
		       sync->cfg.broker, sync->paho->strerror(rc));
		sync->client = NULL;
		return GS_ECONFIG;
	}
	rc = sync->paho->set_callbacks(sync->client, sync, gs_sync_on_lost,
	                               gs_sync_on_message, NULL);
	if (rc != MQTTASYNC_SUCCESS) {
		gs_log(GS_LOG_ERR, "mqtt: cannot set callbacks: %s",
		       sync->paho->strerror(rc));
		return GS_EMQTT;
	}
	sync->will_payload =
	    gs_sync_status_print(sync, "offline", "connection lost", false);
	return sync->will_payload ? GS_OK : GS_ENOMEM;
}

static int gs_sync_open_fds(struct gs_sync *sync)
{
	int rc;

	sync->ev_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sync->ev_fd < 0) {
		gs_log(GS_LOG_ERR, "mqtt: eventfd: %s", strerror(errno));
		return GS_ESYS;
	}
	sync->reconnect_fd = gs_timerfd_new();
	sync->pump_fd = gs_timerfd_new();
	sync->tick_fd = gs_timerfd_new();
	if (sync->reconnect_fd < 0 || sync->pump_fd < 0 || sync->tick_fd < 0)
		return GS_ESYS;
	if ((rc = gs_loop_add(sync->loop, sync->ev_fd, gs_sync_on_eventfd,
	                      sync)) ||
	    (rc = gs_loop_add(sync->loop, sync->reconnect_fd,
	                      gs_sync_on_reconnect_timer, sync)) ||
	    (rc = gs_loop_add(sync->loop, sync->pump_fd, gs_sync_on_pump_timer,
	                      sync)) ||
	    (rc =
	         gs_loop_add(sync->loop, sync->tick_fd, gs_sync_on_tick, sync)))
		return rc;
	return GS_OK;
}

int gs_sync_new(const struct gs_config *cfg, struct gs_store *store,
                struct gs_loop *loop, const struct gs_sync_opts *opts,
                void *ctx, struct gs_sync **out)
{
	struct gs_sync *sync;
	int rc;

	*out = NULL;
	if (!cfg || !store || !loop)
		return GS_EINVAL;
	sync = calloc(1, sizeof(*sync));
	if (!sync)
		return GS_ENOMEM;
	/* First, so that gs_sync_free() may always destroy it. */
	if (pthread_mutex_init(&sync->mu, NULL) != 0) {
		free(sync);
		return GS_ENOMEM;
	}
	sync->cfg = *cfg;
	sync->store = store;
	sync->loop = loop;
	if (opts)
		sync->opts = *opts;
	sync->opts_ctx = ctx;
	/* The complaints read the sync's clock too. */
	sync->conn_complaint.time = &sync->opts.time;
	sync->store_complaint.time = &sync->opts.time;
	sync->cmd_complaint.time = &sync->opts.time;
	sync->ev_fd = sync->reconnect_fd = sync->pump_fd = sync->tick_fd = -1;
	sync->down_since_mono_ms = -1;
	sync->txn = sync->opts.txn;
	if (!sync->txn) {
		sync->txn = sync->own_txn = gs_txn_new(store, NULL, NULL);
		if (!sync->txn) {
			rc = GS_ENOMEM;
			goto err_free;
		}
	}
	sync->started_ms = gs_sync_wall_ms(sync);
	sync->tokens_mono_ms = gs_sync_mono_ms(sync);
	if (getrandom(&sync->rng, sizeof(sync->rng), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(sync->rng))
		sync->rng = (uint64_t)gs_clock_monotonic_ns() ^
		            ((uint64_t)getpid() << 32);
	sync->rng |= 1;
	/* Everything in the outbox now waited through a restart: it drains
	 * as backlog. */
	sync->hist_upto = sync->live_cursor = gs_store_last_seq(store);
	sync->inflight_cap = cfg->inflight + GS_SYNC_EXTRA_SLOTS;
	sync->inflight = calloc(sync->inflight_cap, sizeof(*sync->inflight));
	if (!sync->inflight) {
		rc = GS_ENOMEM;
		goto err_free;
	}
	if ((rc = gs_sync_topics(sync)) || (rc = gs_sync_check_config(sync)) ||
	    (rc = gs_sync_open_client(sync)) || (rc = gs_sync_open_fds(sync)))
		goto err_free;
	gs_sync_seen_load(sync);
	*out = sync;
	return GS_OK;

err_free:
	gs_sync_free(sync);
	return rc;
}

/* ---- interface ----------------------------------------------------------- */

int gs_sync_start(struct gs_sync *sync)
{
	int rc;

	if (!sync || sync->state != GS_SYNC_IDLE)
		return GS_EINVAL;
	rc = gs_sync_tick_arm(sync, gs_sync_mono_ms(sync));
	if (rc)
		return rc;
	gs_log(GS_LOG_INFO, "mqtt: connecting to %s as %s", sync->cfg.broker,
	       sync->cfg.client_id);
	gs_sync_connect(sync);
	return GS_OK;
}

void gs_sync_notify(struct gs_sync *sync)
{
	if (!sync)
		return;
	gs_sync_pump(sync);
	gs_sync_tick_soon(sync);
}

void gs_sync_status_set(struct gs_sync *sync, cJSON *part)
{
	if (!sync) {
		cJSON_Delete(part);
		return;
	}
	cJSON_Delete(sync->status_part);
	sync->status_part = part;
	sync->status_due = true;
	/* Not published from here: the caller may be inside a store
	 * callback (a rollback); the tick sends it within a second. */
	gs_sync_tick_soon(sync);
}

bool gs_sync_connected(const struct gs_sync *sync)
{
	return sync && sync->state == GS_SYNC_CONNECTED;
}

bool gs_sync_idle(const struct gs_sync *sync)
{
	return sync && sync->state == GS_SYNC_CONNECTED &&
	       sync->n_window == 0 && sync->n_retry == 0 &&
	       sync->resend_pos == sync->n_resend && sync->n_kept == 0 &&
	       sync->hist_cursor >= sync->hist_upto &&
	       sync->live_cursor >= gs_store_last_seq(sync->store);
}

static bool gs_sync_nothing_in_flight(const struct gs_sync *sync)
{
	return sync->n_inflight == 0 || sync->state != GS_SYNC_CONNECTED;
}

static bool gs_sync_disconnected(const struct gs_sync *sync)
{
	return sync->state != GS_SYNC_DISCONNECTING;
}

void gs_sync_stop(struct gs_sync *sync, int64_t timeout_ms)
{
	int64_t deadline;
	unsigned pending;

	if (!sync || sync->state == GS_SYNC_STOPPED)
		return;
	/* A real wait on the network: the system's clock, whatever the
	 * sync's (a test's clock would never run out). */
	deadline = gs_time_mono_ms(NULL) + timeout_ms;
	sync->stopping = true;
	gs_sync_cmd_flood_report(sync, true);
	gs_timerfd_disarm(sync->tick_fd);
	sync->tick_due_mono_ms = 0;
	gs_timerfd_disarm(sync->pump_fd);
	gs_timerfd_disarm(sync->reconnect_fd);
	if (sync->state == GS_SYNC_CONNECTED) {
		char *json =
		    gs_sync_status_print(sync, "offline", "shutdown", true);

		if (json) {
			/* Best effort: the daemon is stopping. */
			(void)gs_sync_status_send(sync, json);
			cJSON_free(json);
		}
		gs_sync_wait(sync, deadline, gs_sync_nothing_in_flight);
	}
	pending = sync->n_window;
	gs_sync_commit(sync);
	if (sync->state == GS_SYNC_CONNECTED) {
		MQTTAsync_disconnectOptions dopt =
		    MQTTAsync_disconnectOptions_initializer;
		int64_t left = deadline - gs_time_mono_ms(NULL);

		dopt.timeout = (int)(left > 1000 ? 1000 : left > 0 ? left : 0);
		gs_sync_disconnect_callbacks(sync, &dopt);
		dopt.context = sync;
		sync->state = GS_SYNC_DISCONNECTING;
		if (sync->paho->disconnect(sync->client, &dopt) ==
		    MQTTASYNC_SUCCESS)
			gs_sync_wait(sync, deadline + 1000,
			             gs_sync_disconnected);
	}
	sync->state = GS_SYNC_STOPPED;
	gs_log(GS_LOG_INFO,
	       "mqtt: stopped: %" PRIu64 " published, %" PRIu64
	       " acknowledged%s",
	       sync->n_published, sync->n_acked,
	       pending ? "; unacknowledged messages stay in the outbox" : "");
}

void gs_sync_free(struct gs_sync *sync)
{
	struct gs_sync_ev *ev, *next;

	if (!sync)
		return;
	if (sync->client)
		sync->paho->destroy(&sync->client);
	gs_paho_close(sync->paho);
	/* No callback can run from here on. */
	for (ev = sync->q_head; ev; ev = next) {
		next = ev->next;
		free(ev);
	}
	if (sync->ev_fd >= 0) {
		gs_loop_del(sync->loop, sync->ev_fd);
		close(sync->ev_fd);
	}
	if (sync->reconnect_fd >= 0) {
		gs_loop_del(sync->loop, sync->reconnect_fd);
		close(sync->reconnect_fd);
	}
	if (sync->pump_fd >= 0) {
		gs_loop_del(sync->loop, sync->pump_fd);
		close(sync->pump_fd);
	}
	if (sync->tick_fd >= 0) {
		gs_loop_del(sync->loop, sync->tick_fd);
		close(sync->tick_fd);
	}
	for (size_t i = 0; sync->inflight && i < sync->inflight_cap; i++)
		free(sync->inflight[i].payload);
	free(sync->inflight);
	free(sync->retry);
	for (size_t i = 0; i < sync->n_kept; i++) {
		free(sync->kept[i].topic);
		free(sync->kept[i].payload);
	}
	free(sync->kept);
	for (size_t i = sync->resend_pos; i < sync->n_resend; i++)
		free(sync->resend[i].payload);
	free(sync->resend);
	for (size_t i = 0; i < sync->n_replies; i++)
		free(sync->replies[i].payload);
	free(sync->status_last);
	cJSON_Delete(sync->status_part);
	gs_txn_free(sync->own_txn);
	cJSON_free(sync->will_payload);
	if (sync->password) {
		explicit_bzero(sync->password, strlen(sync->password));
		free(sync->password);
	}
	pthread_mutex_destroy(&sync->mu);
	free(sync);
}
