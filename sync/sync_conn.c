/* SPDX-License-Identifier: MIT */
/*
 * Store-and-forward: the connection. Connecting with back-off, the
 * subscription to commands, the events Paho's callbacks handed over
 * (sync_handoff.c) and the once-a-second tick that watches the link.
 * Loop thread only.
 *
 * Every connection starts a clean session that ends with it (MQTT 5:
 * session expiry 0): Paho never resends on its own, so the outbox stays
 * the one source of retransmission; a callback for a send of an earlier
 * connection finds no entry and is ignored.
 */
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/timeutil.h"
#include "sync/sync_priv.h"

#include <inttypes.h>
#include <stdio.h>

const char *gs_sync_connack_reason(const struct gs_sync *sync, int code)
{
	static const char *const v3[] = {
	    [1] = "unacceptable protocol version",
	    [2] = "client identifier rejected",
	    [3] = "server unavailable",
	    [4] = "bad user name or password",
	    [5] = "not authorised",
	};

	if (code > 0 && code < (int)(sizeof(v3) / sizeof(v3[0])))
		return v3[code];
	if (code >= 0x80)
		return sync->paho->reason_string((enum MQTTReasonCodes)code);
	if (code < 0)
		return sync->paho->strerror(code);
	return "refused";
}

static uint64_t gs_sync_rand(struct gs_sync *sync)
{
	/* xorshift64*: jitter needs spread, not secrecy. */
	uint64_t x = sync->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	sync->rng = x;
	return x * UINT64_C(2685821657736338717);
}

/* Full jitter between reconnect_min and the doubled cap: a thousand
 * gateways that lost the same broker spread their returns evenly. */
int64_t gs_sync_backoff_ms(struct gs_sync *sync)
{
	int64_t lo = sync->cfg.reconnect_min_ms;
	int64_t hi = sync->cfg.reconnect_max_ms;
	int64_t cap = lo;
	unsigned i;

	for (i = 0; i < sync->attempt && cap < hi; i++)
		cap *= 2;
	if (cap > hi)
		cap = hi;
	if (sync->attempt < 64)
		sync->attempt++;
	return lo + (int64_t)(gs_sync_rand(sync) % (uint64_t)(cap - lo + 1));
}

/* ---- connecting ---------------------------------------------------------- */

static void gs_sync_schedule_reconnect(struct gs_sync *sync)
{
	int64_t delay = gs_sync_backoff_ms(sync);

	sync->state = GS_SYNC_WAITING;
	gs_log(GS_LOG_DEBUG, "mqtt: next attempt in %" PRId64 " ms", delay);
	if (gs_timerfd_arm_ms(sync->reconnect_fd, delay))
		gs_sync_connect(sync); /* no timer: try at once */
}

/* The connection is gone (or never came): what was in flight is retried
 * on the next one. */
static void gs_sync_go_down(struct gs_sync *sync)
{
	int64_t now = gs_sync_mono_ms(sync);

	for (size_t i = 0; i < sync->inflight_cap; i++)
		if (sync->inflight[i].token)
			gs_sync_slot_requeue(sync, &sync->inflight[i]);
	sync->subscribed = false;
	if (sync->state == GS_SYNC_CONNECTED ||
	    sync->state == GS_SYNC_DISCONNECTING) {
		if (now - sync->connected_mono_ms >= GS_SYNC_STABLE_MS)
			sync->attempt = 0;
	}
	if (sync->down_since_mono_ms < 0)
		sync->down_since_mono_ms = now;
	if (sync->stopping) {
		sync->state = GS_SYNC_WAITING;
		return;
	}
	gs_sync_schedule_reconnect(sync);
}

void gs_sync_connect(struct gs_sync *sync)
{
	MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
	MQTTAsync_connectOptions co5 = MQTTAsync_connectOptions_initializer5;
	MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
	MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
	const struct gs_config *cfg = &sync->cfg;
	bool v5 = cfg->mqtt_version == 5;
	int rc;

	if (v5) {
		/*
		 * A new session each time that ends with the connection: no
		 * session expiry property, which means 0. A session kept
		 * through an outage would queue commands, but commands are
		 * request and reply under the cloud's timeout: a queued one
		 * would run late, after the cloud retried it under a new id,
		 * possibly beyond the hour of dedupe. Without a session a
		 * cloud that publishes a command at QoS 1 while we are away
		 * is told at once (PUBACK 0x10, no matching subscribers). And
		 * Paho resends in-flight messages itself on a resumed session,
		 * beside the outbox. So there is no session expiry to set.
		 */
		co = co5;
		co.cleanstart = 1;
	} else {
		co.cleansession = 1;
		co.MQTTVersion = MQTTVERSION_3_1_1;
	}
	co.keepAliveInterval = (int)(cfg->keepalive_ms / GS_MS_PER_S);
	co.maxInflight = (int)(cfg->inflight + GS_SYNC_EXTRA_SLOTS);
	co.connectTimeout = GS_SYNC_CONNECT_TIMEOUT_S;
	co.retryInterval = 0;
	co.automaticReconnect = 0;
	co.onSuccess = gs_sync_on_connected;
	co.onFailure = gs_sync_on_connect_failed;
	co.context = sync;
	if (cfg->username[0])
		co.username = cfg->username;
	co.password = sync->password;

	will.topicName = sync->topic_status;
	will.message = sync->will_payload;
	will.retained = 1;
	will.qos = 1;
	co.will = &will;

	if (sync->tls) {
		ssl.trustStore = cfg->ca_file[0] ? cfg->ca_file : NULL;
		ssl.CApath = cfg->ca_path[0] ? cfg->ca_path : NULL;
		ssl.keyStore = cfg->cert_file[0] ? cfg->cert_file : NULL;
		ssl.privateKey = cfg->key_file[0] ? cfg->key_file : NULL;
		ssl.enableServerCertAuth = 1;
		ssl.verify = cfg->tls_verify_hostname ? 1 : 0;
		ssl.sslVersion = MQTT_SSL_VERSION_TLS_1_2;
		ssl.ssl_error_cb = gs_sync_on_ssl_error;
		ssl.ssl_error_context = sync;
		co.ssl = &ssl;
	}

	gs_sync_tls_error_clear(sync);
	sync->state = GS_SYNC_CONNECTING;
	rc = sync->paho->connect(sync->client, &co);
	if (rc != MQTTASYNC_SUCCESS) {
		gs_complain(&sync->conn_complaint, GS_LOG_WARNING,
		            "mqtt: cannot start connecting to %s: %s",
		            cfg->broker, sync->paho->strerror(rc));
		gs_sync_go_down(sync);
	}
}

static void gs_sync_subscribe(struct gs_sync *sync)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	int rc;

	if (sync->cfg.mqtt_version == 5) {
		ro.onSuccess5 = gs_sync_on_subscribed5;
		ro.onFailure5 = gs_sync_on_subscribe_failed5;
		/* MQTT 5 keeps the retain flag on live deliveries too: a
		 * retained command is then never run (gs_sync_on_message). */
		ro.subscribeOptions.retainAsPublished = 1;
	} else {
		ro.onSuccess = gs_sync_on_subscribed;
		ro.onFailure = gs_sync_on_subscribe_failed;
	}
	ro.context = sync;
	rc = sync->paho->subscribe(sync->client, sync->topic_cmd, 1, &ro);
	if (rc != MQTTASYNC_SUCCESS)
		gs_complain(&sync->conn_complaint, GS_LOG_WARNING,
		            "mqtt: cannot subscribe to %s: %s", sync->topic_cmd,
		            sync->paho->strerror(rc));
	else
		sync->subscribed = true; /* pending; undone on failure */
}

/* No PUBACK for too long on a live connection: a half-open TCP link or a
 * stuck broker. Drop it and start again rather than wait silently. */
void gs_sync_drop_connection(struct gs_sync *sync, const char *why)
{
	MQTTAsync_disconnectOptions dopt =
	    MQTTAsync_disconnectOptions_initializer;
	int rc;

	gs_complain(&sync->conn_complaint, GS_LOG_WARNING,
	            "mqtt: %s; dropping the connection to %s", why,
	            sync->cfg.broker);
	dopt.timeout = 0;
	gs_sync_disconnect_callbacks(sync, &dopt);
	dopt.context = sync;
	sync->state = GS_SYNC_DISCONNECTING;
	sync->connected_mono_ms = gs_sync_mono_ms(sync); /* guard timer base */
	rc = sync->paho->disconnect(sync->client, &dopt);
	if (rc != MQTTASYNC_SUCCESS)
		gs_sync_go_down(sync);
}

/* ---- events -------------------------------------------------------------- */

static void gs_sync_on_connected_ev(struct gs_sync *sync)
{
	int64_t now = gs_sync_mono_ms(sync);

	if (sync->state != GS_SYNC_CONNECTING)
		return;
	sync->state = GS_SYNC_CONNECTED;
	sync->connected_mono_ms = now;
	gs_complain_release(&sync->conn_complaint, GS_LOG_NOTICE,
	                    "mqtt: connected to %s again", sync->cfg.broker);
	gs_log(GS_LOG_INFO, "mqtt: connected to %s (MQTT %s)", sync->cfg.broker,
	       sync->cfg.mqtt_version == 5 ? "5" : "3.1.1");
	if (sync->down_since_mono_ms >= 0 &&
	    now - sync->down_since_mono_ms > sync->cfg.live_grace_ms) {
		uint64_t last = gs_store_last_seq(sync->store);

		if (last > sync->hist_upto)
			sync->hist_upto = last;
		if (sync->live_cursor < sync->hist_upto)
			sync->live_cursor = sync->hist_upto;
	}
	sync->down_since_mono_ms = -1;
	gs_sync_subscribe(sync);
	gs_sync_publish_status(sync, true);
}

static void gs_sync_on_connect_failed_ev(struct gs_sync *sync,
                                         const struct gs_sync_ev *ev)
{
	char tls[sizeof(sync->tls_error)];

	if (sync->state != GS_SYNC_CONNECTING)
		return;
	gs_sync_tls_error_take(sync, tls, sizeof(tls));
	gs_complain(&sync->conn_complaint, GS_LOG_WARNING,
	            "mqtt: cannot connect to %s: %s%s%s%s%s%s",
	            sync->cfg.broker, gs_sync_connack_reason(sync, ev->code),
	            ev->text[0] ? " (" : "", ev->text, ev->text[0] ? ")" : "",
	            tls[0]      ? "; TLS: "
	            : sync->tls ? "; TLS handshake failed (server certificate, "
	                          "its host name, or our client certificate)"
	                        : "",
	            tls);
	gs_sync_go_down(sync);
}

void gs_sync_handle(struct gs_sync *sync, const struct gs_sync_ev *ev,
                    bool *acked)
{
	switch (ev->type) {
	case GS_EV_CONNECTED:
		gs_sync_on_connected_ev(sync);
		break;
	case GS_EV_CONNECT_FAILED:
		gs_sync_on_connect_failed_ev(sync, ev);
		break;
	case GS_EV_LOST:
		if (sync->state == GS_SYNC_CONNECTED ||
		    sync->state == GS_SYNC_DISCONNECTING) {
			gs_complain(&sync->conn_complaint, GS_LOG_WARNING,
			            "mqtt: connection to %s lost%s%s",
			            sync->cfg.broker, ev->text[0] ? ": " : "",
			            ev->text);
			gs_sync_go_down(sync);
		}
		break;
	case GS_EV_DISCONNECTED:
		if (sync->state == GS_SYNC_DISCONNECTING)
			gs_sync_go_down(sync);
		break;
	case GS_EV_SENT:
		gs_sync_on_sent_ev(sync, ev, acked);
		break;
	case GS_EV_SEND_FAILED:
		gs_sync_on_send_failed_ev(sync, ev);
		break;
	case GS_EV_SUBSCRIBED:
		if (ev->code == 0x80)
			gs_complain(&sync->cmd_complaint, GS_LOG_WARNING,
			            "mqtt: the broker refused the subscription "
			            "to %s: commands are unavailable",
			            sync->topic_cmd);
		break;
	case GS_EV_SUBSCRIBE_FAILED:
		gs_complain(&sync->cmd_complaint, GS_LOG_WARNING,
		            "mqtt: cannot subscribe to %s: %s", sync->topic_cmd,
		            gs_sync_connack_reason(sync, ev->code));
		sync->subscribed = false;
		break;
	case GS_EV_COMMAND:
		/* Stopping (shutdown or a reload): a command run now would be
		 * recorded as done while its work goes with this client. Not
		 * recorded, it runs when the cloud retries it under its id. */
		if (sync->stopping)
			gs_log(GS_LOG_NOTICE, "mqtt: a command arrived while "
			                      "stopping: not run");
		else
			gs_sync_cmd_handle(sync, ev);
		break;
	}
}

void gs_sync_on_reconnect_timer(void *ctx, int fd, uint32_t events)
{
	struct gs_sync *sync = ctx;

	(void)events;
	gs_timerfd_drain(fd);
	if (sync->state == GS_SYNC_WAITING)
		gs_sync_connect(sync);
	gs_sync_tick_soon(sync);
}

/* The housekeeping that time alone brings due. */
static void gs_sync_tick_work(struct gs_sync *sync, int64_t now)
{
	gs_sync_cmd_flood_report(sync, false);
	if (now - sync->enforce_mono_ms >= GS_SYNC_ENFORCE_PERIOD_MS) {
		sync->enforce_mono_ms = now;
		gs_sync_enforce(sync, sync->cfg.outbox_max_bytes);
	}
	if (sync->state == GS_SYNC_CONNECTED) {
		int64_t oldest = GS_TIME_NONE;

		for (size_t i = 0; i < sync->inflight_cap; i++)
			if (sync->inflight[i].token &&
			    sync->inflight[i].sent_mono_ms < oldest)
				oldest = sync->inflight[i].sent_mono_ms;
		if (oldest != GS_TIME_NONE &&
		    now - oldest > sync->cfg.ack_timeout_ms) {
			char why[96];

			snprintf(why, sizeof(why),
			         "no acknowledgement for %" PRId64
			         " s with %u message(s) in flight",
			         (now - oldest) / GS_MS_PER_S,
			         sync->n_inflight);
			gs_sync_drop_connection(sync, why);
			return;
		}
		if (!sync->subscribed)
			gs_sync_subscribe(sync);
		if (now - sync->status_mono_ms >= GS_SYNC_STATUS_PERIOD_MS)
			gs_sync_publish_status(sync, false);
		gs_sync_pump(sync);
	} else if (sync->state == GS_SYNC_DISCONNECTING &&
	           now - sync->connected_mono_ms > sync->cfg.ack_timeout_ms) {
		/* Paho never confirmed the disconnect: go on anyway. */
		gs_sync_go_down(sync);
	}
}

/* Whether anything may need the tick within a second: all but a
 * connection at rest, with nothing in flight or waiting to go. */
static bool gs_sync_tick_busy(const struct gs_sync *sync)
{
	/* gs_sync_idle: connected, and no lane has anything to send. */
	return !gs_sync_idle(sync) || sync->n_inflight > 0 ||
	       !sync->subscribed || sync->status_due || sync->n_replies > 0 ||
	       sync->flood_ignored || sync->flood_retained ||
	       sync->flood_replies;
}

/*
 * The tick follows its next deadline instead of waking every second: once
 * a second while a connection is being made, a message is in flight or
 * anything waits; at rest, when the quota check (every 10 s) or the status
 * message (every minute) falls due. A quiet shop's unit woke every second
 * for nothing; every event that can end the rest brings the tick back
 * within a second (gs_sync_tick_soon).
 */
int gs_sync_tick_arm(struct gs_sync *sync, int64_t now)
{
	int64_t delay = GS_SYNC_TICK_MS, due;
	int rc;

	if (!gs_sync_tick_busy(sync)) {
		due = sync->enforce_mono_ms + GS_SYNC_ENFORCE_PERIOD_MS;
		if (sync->status_mono_ms + GS_SYNC_STATUS_PERIOD_MS < due)
			due = sync->status_mono_ms + GS_SYNC_STATUS_PERIOD_MS;
		if (due - now > delay)
			delay = due - now;
	}
	rc = gs_timerfd_arm_ms(sync->tick_fd, delay);
	/* Unarmed, the next event arms it (logged by the loop module). */
	sync->tick_due_mono_ms = rc == GS_OK ? now + delay : 0;
	return rc;
}

void gs_sync_tick_soon(struct gs_sync *sync)
{
	int64_t now;

	if (sync->state == GS_SYNC_IDLE || sync->state == GS_SYNC_STOPPED ||
	    sync->stopping)
		return;
	now = gs_sync_mono_ms(sync);
	if (sync->tick_due_mono_ms &&
	    sync->tick_due_mono_ms <= now + GS_SYNC_TICK_MS)
		return;
	if (gs_timerfd_arm_ms(sync->tick_fd, GS_SYNC_TICK_MS) == GS_OK)
		sync->tick_due_mono_ms = now + GS_SYNC_TICK_MS;
}

void gs_sync_on_tick(void *ctx, int fd, uint32_t events)
{
	struct gs_sync *sync = ctx;
	int64_t now = gs_sync_mono_ms(sync);

	(void)events;
	gs_timerfd_drain(fd);
	sync->tick_due_mono_ms = 0;
	gs_sync_tick_work(sync, now);
	if (!sync->stopping && sync->state != GS_SYNC_STOPPED)
		(void)gs_sync_tick_arm(sync, gs_sync_mono_ms(sync));
}
