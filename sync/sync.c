/* SPDX-License-Identifier: MIT */
/*
 * Store-and-forward: the MQTT client, its connection and the two lanes
 * that drain the outbox.
 *
 * Threads. Paho calls us on its own threads with its global lock held; the
 * callbacks below only append a small record to a mutex-protected list and
 * write the eventfd. The loop thread takes the whole list at once and does
 * every store call, every publish and every decision. No lock of ours is
 * held while we call into Paho, so Paho's lock and ours never nest the
 * other way round.
 *
 * Delivery. A row leaves the outbox only when its PUBACK arrives. What was
 * in flight when a connection ends goes to the retry list and is sent
 * first, in seq order, on the next connection, with the payload it had.
 * Every connection starts a clean session that ends with it (MQTT 5:
 * session expiry 0): Paho never resends on its own, so the outbox stays
 * the one source of retransmission; a callback for a send of an earlier
 * connection finds no entry and is ignored.
 *
 * Lanes. A message is historical when it was still undelivered at start,
 * or through an outage longer than GS_SYNC_LIVE_GRACE_MS. Such messages
 * drain oldest first at drain_rate with "historical": true, and may use
 * all but one slot of the window; everything newer takes the live lane,
 * which goes first and is never rate-limited, so a fresh alert waits for
 * at most one acknowledgement however long the backlog.
 */
#include "gateway/config_files.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/msg.h"
#include "gateway/timeutil.h"
#include "sync/sync_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

/* Slots beyond the outbox window: the status and queued replies. */
#define GS_SYNC_EXTRA_SLOTS (GS_SYNC_REPLY_MAX + 4)
/* Rows fetched at once by the historical lane. */
#define GS_SYNC_HIST_BATCH 64

int64_t gs_sync_mono_ms(void)
{
	return gs_clock_monotonic_ns() / 1000000;
}

int64_t gs_sync_event_now_ms(const struct gs_sync *sync)
{
	return sync->hooks.now_ms ? sync->hooks.now_ms(sync->hooks_ctx)
	                          : gs_clock_realtime_ms();
}

/* ---- Paho's threads: hand over and return -------------------------------- */

static void gs_sync_wake(struct gs_sync *sync)
{
	uint64_t one = 1;

	/* EAGAIN only when the counter is saturated: already woken. */
	if (write(sync->ev_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return;
}

static void gs_sync_push(struct gs_sync *sync, struct gs_sync_ev *ev)
{
	pthread_mutex_lock(&sync->mu);
	if (!ev) {
		sync->q_overflow = true;
	} else {
		if (ev->type == GS_EV_COMMAND)
			sync->q_commands++;
		if (sync->q_tail)
			sync->q_tail->next = ev;
		else
			sync->q_head = ev;
		sync->q_tail = ev;
	}
	pthread_mutex_unlock(&sync->mu);
	gs_sync_wake(sync);
}

static struct gs_sync_ev *gs_sync_ev_new(enum gs_sync_ev_type type, int token,
                                         int code, const char *text, size_t len)
{
	struct gs_sync_ev *ev = malloc(sizeof(*ev) + len + 1);

	if (!ev)
		return NULL;
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->token = token;
	ev->code = code;
	ev->len = len;
	if (text && len)
		memcpy(ev->text, text, len);
	ev->text[len] = '\0';
	return ev;
}

static void gs_sync_push_simple(struct gs_sync *sync, enum gs_sync_ev_type type,
                                int token, int code, const char *msg)
{
	size_t len = msg ? strnlen(msg, 200) : 0;

	gs_sync_push(sync, gs_sync_ev_new(type, token, code, msg, len));
}

static void gs_sync_on_connected(void *ctx, MQTTAsync_successData *d)
{
	(void)d;
	gs_sync_push_simple(ctx, GS_EV_CONNECTED, 0, 0, NULL);
}

static void gs_sync_on_connect_failed(void *ctx, MQTTAsync_failureData *d)
{
	gs_sync_push_simple(ctx, GS_EV_CONNECT_FAILED, 0, d ? d->code : 0,
	                    d ? d->message : NULL);
}

static void gs_sync_on_lost(void *ctx, char *cause)
{
	gs_sync_push_simple(ctx, GS_EV_LOST, 0, 0, cause);
}

static void gs_sync_on_disconnected(void *ctx, MQTTAsync_successData *d)
{
	(void)d;
	gs_sync_push_simple(ctx, GS_EV_DISCONNECTED, 0, 0, NULL);
}

static void gs_sync_on_disconnect_failed(void *ctx, MQTTAsync_failureData *d)
{
	gs_sync_push_simple(ctx, GS_EV_DISCONNECTED, 0, d ? d->code : 0, NULL);
}

static void gs_sync_on_sent(void *ctx, MQTTAsync_successData *d)
{
	gs_sync_push_simple(ctx, GS_EV_SENT, d ? d->token : 0, 0, NULL);
}

static void gs_sync_on_send_failed(void *ctx, MQTTAsync_failureData *d)
{
	gs_sync_push_simple(ctx, GS_EV_SEND_FAILED, d ? d->token : 0,
	                    d ? d->code : 0, NULL);
}

static void gs_sync_on_subscribed(void *ctx, MQTTAsync_successData *d)
{
	gs_sync_push_simple(ctx, GS_EV_SUBSCRIBED, 0, d ? d->alt.qos : 0, NULL);
}

static void gs_sync_on_subscribe_failed(void *ctx, MQTTAsync_failureData *d)
{
	gs_sync_push_simple(ctx, GS_EV_SUBSCRIBE_FAILED, 0, d ? d->code : 0,
	                    NULL);
}

/* MQTT 5: Paho refuses the 3.1.1 callbacks in response options. */
static int gs_sync_code5(const MQTTAsync_failureData5 *d)
{
	if (!d)
		return 0;
	return d->reasonCode ? (int)d->reasonCode : d->code;
}

static void gs_sync_on_sent5(void *ctx, MQTTAsync_successData5 *d)
{
	gs_sync_push_simple(ctx, GS_EV_SENT, d ? d->token : 0, 0, NULL);
}

static void gs_sync_on_send_failed5(void *ctx, MQTTAsync_failureData5 *d)
{
	gs_sync_push_simple(ctx, GS_EV_SEND_FAILED, d ? d->token : 0,
	                    gs_sync_code5(d), NULL);
}

static void gs_sync_on_subscribed5(void *ctx, MQTTAsync_successData5 *d)
{
	gs_sync_push_simple(ctx, GS_EV_SUBSCRIBED, 0,
	                    d ? (int)d->reasonCode : 0, NULL);
}

static void gs_sync_on_subscribe_failed5(void *ctx, MQTTAsync_failureData5 *d)
{
	gs_sync_push_simple(ctx, GS_EV_SUBSCRIBE_FAILED, 0, gs_sync_code5(d),
	                    NULL);
}

static void gs_sync_on_disconnected5(void *ctx, MQTTAsync_successData5 *d)
{
	(void)d;
	gs_sync_push_simple(ctx, GS_EV_DISCONNECTED, 0, 0, NULL);
}

static void gs_sync_on_disconnect_failed5(void *ctx, MQTTAsync_failureData5 *d)
{
	gs_sync_push_simple(ctx, GS_EV_DISCONNECTED, 0, gs_sync_code5(d), NULL);
}

/* A command: copied out (or only measured, when too large), and Paho's
 * message and topic freed as Paho requires. */
static int gs_sync_on_message(void *ctx, char *topic, int topic_len,
                              MQTTAsync_message *msg)
{
	struct gs_sync *sync = ctx;
	size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
	bool oversized = len > GS_SYNC_CMD_MAX_BYTES;
	struct gs_sync_ev *ev = NULL;
	bool full;

	(void)topic_len;
	pthread_mutex_lock(&sync->mu);
	/* Retained: the broker keeps it and hands it over again on every
	 * subscription (the flag is set on that delivery in 3.1.1 and 5
	 * alike), so it would run again at each reconnect once its id has
	 * expired. A command is never retained: ignored (docs/mqtt.md). */
	if (msg->retained) {
		sync->q_cmd_retained++;
		full = true;
	} else {
		full = sync->q_commands >= GS_SYNC_CMD_QUEUE_MAX;
		if (full)
			sync->q_cmd_dropped++;
	}
	pthread_mutex_unlock(&sync->mu);
	if (!full) {
		ev = gs_sync_ev_new(GS_EV_COMMAND, 0, 0,
		                    oversized ? NULL : msg->payload,
		                    oversized ? 0 : len);
		if (ev) {
			ev->len = len;
			ev->oversized = oversized;
		}
	}
	MQTTAsync_freeMessage(&msg);
	MQTTAsync_free(topic);
	if (!full)
		gs_sync_push(sync, ev);
	return 1;
}

/* OpenSSL's reasons for a failed handshake, kept for the connect log. */
static int gs_sync_on_ssl_error(const char *str, size_t len, void *ctx)
{
	struct gs_sync *sync = ctx;
	size_t n = len < sizeof(sync->tls_error) - 1
	               ? len
	               : sizeof(sync->tls_error) - 1;

	pthread_mutex_lock(&sync->mu);
	memcpy(sync->tls_error, str, n);
	while (n > 0 && (sync->tls_error[n - 1] == '\n'))
		n--;
	sync->tls_error[n] = '\0';
	pthread_mutex_unlock(&sync->mu);
	return 1;
}

/* ---- loop thread: helpers ------------------------------------------------ */

static const char *gs_sync_connack_reason(int code)
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
		return MQTTReasonCode_toString((enum MQTTReasonCodes)code);
	if (code < 0)
		return MQTTAsync_strerror(code);
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

static struct gs_sync_inflight *gs_sync_slot_find(struct gs_sync *sync,
                                                  int token)
{
	if (token == 0)
		return NULL;
	for (size_t i = 0; i < sync->inflight_cap; i++)
		if (sync->inflight[i].token == token)
			return &sync->inflight[i];
	return NULL;
}

static bool gs_sync_seq_busy(const struct gs_sync *sync, uint64_t seq)
{
	for (size_t i = 0; i < sync->inflight_cap; i++)
		if (sync->inflight[i].token &&
		    sync->inflight[i].type == GS_PUB_OUTBOX &&
		    sync->inflight[i].seq == seq)
			return true;
	for (size_t i = 0; i < sync->n_retry; i++)
		if (sync->retry[i].seq == seq)
			return true;
	return false;
}

/* Keeps the retry list sorted by seq, without duplicates. */
static void gs_sync_retry_add(struct gs_sync *sync, uint64_t seq,
                              bool historical)
{
	size_t i;

	for (i = 0; i < sync->n_retry && sync->retry[i].seq < seq; i++)
		;
	if (i < sync->n_retry && sync->retry[i].seq == seq)
		return;
	if (sync->n_retry == sync->retry_cap) {
		size_t cap = sync->retry_cap ? sync->retry_cap * 2 : 32;
		struct gs_sync_retry *r =
		    realloc(sync->retry, cap * sizeof(*r));

		if (!r) {
			/* The row stays in the outbox: it is published again
			 * by the next process at the latest. */
			gs_log(GS_LOG_ERR,
			       "mqtt: out of memory; seq %" PRIu64
			       " waits for a restart",
			       seq);
			return;
		}
		sync->retry = r;
		sync->retry_cap = cap;
	}
	memmove(&sync->retry[i + 1], &sync->retry[i],
	        (sync->n_retry - i) * sizeof(*sync->retry));
	sync->retry[i] = (struct gs_sync_retry){seq, historical};
	sync->n_retry++;
}

static void gs_sync_resend_unshift(struct gs_sync *sync, uint64_t seq,
                                   char *payload)
{
	if (sync->resend_pos > 0) {
		sync->resend_pos--;
		sync->resend[sync->resend_pos] =
		    (struct gs_sync_resend){seq, payload};
	} else {
		free(payload);
	}
}

static void gs_sync_reply_requeue(struct gs_sync *sync, char *payload)
{
	if (sync->n_replies < GS_SYNC_REPLY_MAX) {
		memmove(&sync->replies[1], &sync->replies[0],
		        sync->n_replies * sizeof(sync->replies[0]));
		sync->replies[0].payload = payload;
		sync->n_replies++;
	} else {
		sync->flood_replies++; /* reported by the tick */
		free(payload);
	}
}

static void gs_sync_slot_release(struct gs_sync *sync,
                                 struct gs_sync_inflight *slot)
{
	if (slot->type == GS_PUB_OUTBOX || slot->type == GS_PUB_RESEND)
		sync->n_window--;
	sync->n_inflight--;
	memset(slot, 0, sizeof(*slot));
}

/* A send did not complete: its content goes back to where it came from. */
static void gs_sync_slot_requeue(struct gs_sync *sync,
                                 struct gs_sync_inflight *slot)
{
	switch (slot->type) {
	case GS_PUB_OUTBOX:
		gs_sync_retry_add(sync, slot->seq, slot->historical);
		break;
	case GS_PUB_RESEND:
		gs_sync_resend_unshift(sync, slot->seq, slot->payload);
		slot->payload = NULL;
		break;
	case GS_PUB_STATUS:
		sync->status_due = true;
		break;
	case GS_PUB_REPLY:
		gs_sync_reply_requeue(sync, slot->payload);
		slot->payload = NULL;
		break;
	}
	free(slot->payload);
	gs_sync_slot_release(sync, slot);
}

static void gs_sync_commit(struct gs_sync *sync)
{
	int rc;

	if (gs_store_uncommitted(sync->store) == 0)
		return;
	rc = gs_store_commit(sync->store);
	if (rc == GS_EFULL)
		gs_sync_store_full(sync);
	else if (rc)
		gs_complain(&sync->store_complaint, GS_LOG_ERR,
		            "mqtt: cannot commit acknowledgements: %s; the "
		            "messages will be published again",
		            gs_strerror(rc));
}

/* ---- connection ---------------------------------------------------------- */

static void gs_sync_connect(struct gs_sync *sync);

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
	int64_t now = gs_sync_mono_ms();

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

static int gs_sync_add_int_property(MQTTProperties *props,
                                    enum MQTTPropertyCodes code, int64_t value)
{
	MQTTProperty p = {.identifier = code};

	p.value.integer4 = value > UINT32_MAX ? UINT32_MAX : (unsigned)value;
	return MQTTProperties_add(props, &p);
}

static void gs_sync_connect(struct gs_sync *sync)
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

	pthread_mutex_lock(&sync->mu);
	sync->tls_error[0] = '\0';
	pthread_mutex_unlock(&sync->mu);
	sync->state = GS_SYNC_CONNECTING;
	rc = MQTTAsync_connect(sync->client, &co);
	if (rc != MQTTASYNC_SUCCESS) {
		gs_complain(&sync->conn_complaint, GS_LOG_WARNING,
		            "mqtt: cannot start connecting to %s: %s",
		            cfg->broker, MQTTAsync_strerror(rc));
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
	rc = MQTTAsync_subscribe(sync->client, sync->topic_cmd, 1, &ro);
	if (rc != MQTTASYNC_SUCCESS)
		gs_complain(&sync->conn_complaint, GS_LOG_WARNING,
		            "mqtt: cannot subscribe to %s: %s", sync->topic_cmd,
		            MQTTAsync_strerror(rc));
	else
		sync->subscribed = true; /* pending; undone on failure */
}

static void gs_sync_disconnect_callbacks(struct gs_sync *sync,
                                         MQTTAsync_disconnectOptions *dopt)
{
	if (sync->cfg.mqtt_version == 5) {
		dopt->onSuccess5 = gs_sync_on_disconnected5;
		dopt->onFailure5 = gs_sync_on_disconnect_failed5;
	} else {
		dopt->onSuccess = gs_sync_on_disconnected;
		dopt->onFailure = gs_sync_on_disconnect_failed;
	}
}

/* No PUBACK for too long on a live connection: a half-open TCP link or a
 * stuck broker. Drop it and start again rather than wait silently. */
static void gs_sync_drop_connection(struct gs_sync *sync, const char *why)
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
	sync->connected_mono_ms = gs_sync_mono_ms(); /* guard timer base */
	rc = MQTTAsync_disconnect(sync->client, &dopt);
	if (rc != MQTTASYNC_SUCCESS)
		gs_sync_go_down(sync);
}

/* ---- publishing ---------------------------------------------------------- */

static struct gs_sync_inflight *gs_sync_slot_free(struct gs_sync *sync)
{
	for (size_t i = 0; i < sync->inflight_cap; i++)
		if (sync->inflight[i].token == 0)
			return &sync->inflight[i];
	return NULL;
}

/*
 * Hands one message to Paho (which copies it) and records the slot.
 * payload is kept in the slot for resend and reply (owned from here on
 * success), freed by the caller otherwise.
 */
static int gs_sync_send(struct gs_sync *sync, enum gs_sync_pub_type type,
                        uint64_t seq, bool historical, const char *topic,
                        const char *payload, size_t len, bool keep)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	MQTTAsync_message msg = MQTTAsync_message_initializer;
	struct gs_sync_inflight *slot = gs_sync_slot_free(sync);
	bool expiry = sync->cfg.mqtt_version == 5 &&
	              sync->cfg.message_expiry_ms > 0 && type != GS_PUB_STATUS;
	int rc;

	if (!slot)
		return GS_EBUSY;
	if (len > INT32_MAX)
		return GS_EINVAL;
	if (sync->cfg.mqtt_version == 5) {
		ro.onSuccess5 = gs_sync_on_sent5;
		ro.onFailure5 = gs_sync_on_send_failed5;
	} else {
		ro.onSuccess = gs_sync_on_sent;
		ro.onFailure = gs_sync_on_send_failed;
	}
	ro.context = sync;
	msg.payload = (void *)payload;
	msg.payloadlen = (int)len;
	msg.qos = 1;
	msg.retained = type == GS_PUB_STATUS;
	if (expiry)
		gs_sync_add_int_property(
		    &msg.properties, MQTTPROPERTY_CODE_MESSAGE_EXPIRY_INTERVAL,
		    (sync->cfg.message_expiry_ms + 999) / GS_MS_PER_S);
	rc = MQTTAsync_sendMessage(sync->client, topic, &msg, &ro);
	MQTTProperties_free(&msg.properties);
	if (rc != MQTTASYNC_SUCCESS) {
		gs_complain(&sync->conn_complaint, GS_LOG_WARNING,
		            "mqtt: cannot publish to %s: %s", topic,
		            MQTTAsync_strerror(rc));
		return GS_EMQTT;
	}
	*slot = (struct gs_sync_inflight){
	    .token = ro.token,
	    .type = type,
	    .seq = seq,
	    .historical = historical,
	    .sent_mono_ms = gs_sync_mono_ms(),
	    .payload = keep ? (char *)payload : NULL,
	};
	if (type == GS_PUB_OUTBOX || type == GS_PUB_RESEND)
		sync->n_window++;
	sync->n_inflight++;
	sync->n_published++;
	return GS_OK;
}

int gs_sync_publish_extra(struct gs_sync *sync, enum gs_sync_pub_type type,
                          uint64_t seq, char *payload)
{
	/* A resend is a stored window or daily rollup, which the store
	 * wrote with its schema first. */
	static const char daily[] = "{\"schema\":\"gapsense.daily.v1\"";
	const char *topic = type == GS_PUB_STATUS  ? sync->topic_status
	                    : type == GS_PUB_REPLY ? sync->topic_reply
	                    : strncmp(payload, daily, sizeof(daily) - 1) == 0
	                        ? sync->topic_daily
	                        : sync->topic_metrics;

	if (sync->state != GS_SYNC_CONNECTED)
		return GS_EIO;
	return gs_sync_send(sync, type, seq, true, topic, payload,
	                    strlen(payload), true);
}

/* Sends one outbox message; historical ones get "historical": true. */
static int gs_sync_send_outbox(struct gs_sync *sync,
                               const struct gs_outbox_msg *m, bool historical)
{
	char *rewritten = NULL;
	const char *payload = m->payload;
	size_t len = m->payload_len;
	int rc;

	if (historical) {
		rewritten = gs_sync_json_set_historical(m->payload,
		                                        m->payload_len, &len);
		if (!rewritten) {
			gs_log(GS_LOG_ERR,
			       "mqtt: seq %" PRIu64
			       " is not a JSON object or memory is short; "
			       "published as stored",
			       m->seq);
			len = m->payload_len;
		} else {
			payload = rewritten;
		}
	}
	rc = gs_sync_send(sync, GS_PUB_OUTBOX, m->seq, historical, m->topic,
	                  payload, len, false);
	free(rewritten);
	return rc;
}

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
	sync->status_mono_ms = gs_sync_mono_ms();
	cJSON_free(json);
}

static void gs_sync_refill(struct gs_sync *sync, int64_t now)
{
	double rate = sync->cfg.drain_rate;
	double burst = rate / 10.0;

	if (burst > (double)sync->cfg.inflight)
		burst = (double)sync->cfg.inflight;
	if (burst < 1.0)
		burst = 1.0;
	sync->tokens += (double)(now - sync->tokens_mono_ms) * rate / 1000.0;
	if (sync->tokens > burst)
		sync->tokens = burst;
	sync->tokens_mono_ms = now;
}

static void gs_sync_pump_retries(struct gs_sync *sync)
{
	while (sync->n_retry > 0 && sync->n_window < sync->cfg.inflight) {
		struct gs_sync_retry r = sync->retry[0];
		struct gs_outbox_msg m;
		size_t n = 0;
		int rc;

		rc = gs_store_outbox_fetch(sync->store, r.seq - 1, -1, &m, 1,
		                           &n);
		if (rc)
			return;
		memmove(&sync->retry[0], &sync->retry[1],
		        (sync->n_retry - 1) * sizeof(*sync->retry));
		sync->n_retry--;
		if (n == 0)
			continue;
		/* A different seq: this one was acknowledged or dropped. */
		rc = m.seq == r.seq
		         ? gs_sync_send_outbox(sync, &m, r.historical)
		         : GS_OK;
		gs_outbox_msg_clear(&m);
		if (rc) {
			gs_sync_retry_add(sync, r.seq, r.historical);
			return;
		}
	}
}

static void gs_sync_pump_live(struct gs_sync *sync)
{
	struct gs_outbox_msg batch[GS_SYNC_HIST_BATCH];
	bool failed = false;

	while (sync->n_window < sync->cfg.inflight) {
		size_t room = sync->cfg.inflight - sync->n_window, n = 0, i;
		int rc;

		if (room > GS_SYNC_HIST_BATCH)
			room = GS_SYNC_HIST_BATCH;
		rc = gs_store_outbox_fetch(sync->store, sync->live_cursor, -1,
		                           batch, room, &n);
		if (rc)
			return;
		for (i = 0; i < n && !failed; i++) {
			/* Paho refused (it is going down): the cursor stays,
			 * the row is fetched again by the next pump. */
			failed = gs_sync_send_outbox(sync, &batch[i], false);
			if (!failed)
				sync->live_cursor = batch[i].seq;
		}
		for (i = 0; i < n; i++)
			gs_outbox_msg_clear(&batch[i]);
		if (failed)
			return;
		if (n < room) {
			/* Exhausted. Rows at the tail that quota dropped
			 * leave the cursor short: skip to the last seq once
			 * everything handed out is committed. */
			if (gs_store_uncommitted(sync->store) == 0 &&
			    sync->live_cursor < gs_store_last_seq(sync->store))
				sync->live_cursor =
				    gs_store_last_seq(sync->store);
			return;
		}
	}
}

static unsigned gs_sync_hist_limit(const struct gs_sync *sync)
{
	/* One slot stays free for the live lane. */
	return sync->cfg.inflight > 1 ? sync->cfg.inflight - 1 : 1;
}

static void gs_sync_pump_resend(struct gs_sync *sync)
{
	while (sync->resend_pos < sync->n_resend &&
	       sync->n_window < gs_sync_hist_limit(sync) &&
	       sync->tokens >= 1.0) {
		struct gs_sync_resend *r = &sync->resend[sync->resend_pos];

		if (gs_sync_publish_extra(sync, GS_PUB_RESEND, r->seq,
		                          r->payload))
			return;
		r->payload = NULL;
		sync->resend_pos++;
		sync->tokens -= 1.0;
	}
	if (sync->resend_pos == sync->n_resend && sync->n_resend > 0) {
		free(sync->resend);
		sync->resend = NULL;
		sync->n_resend = sync->resend_pos = 0;
	}
}

static void gs_sync_pump_hist(struct gs_sync *sync)
{
	struct gs_outbox_msg batch[GS_SYNC_HIST_BATCH];

	while (sync->hist_cursor < sync->hist_upto &&
	       sync->n_window < gs_sync_hist_limit(sync) &&
	       sync->tokens >= 1.0) {
		size_t want = gs_sync_hist_limit(sync) - sync->n_window;
		size_t n = 0, i;
		bool stop = false;

		if (want > (size_t)sync->tokens)
			want = (size_t)sync->tokens;
		if (want > GS_SYNC_HIST_BATCH)
			want = GS_SYNC_HIST_BATCH;
		if (gs_store_outbox_fetch(sync->store, sync->hist_cursor, -1,
		                          batch, want, &n))
			return;
		if (n == 0)
			sync->hist_cursor = sync->hist_upto;
		for (i = 0; i < n; i++) {
			const struct gs_outbox_msg *m = &batch[i];

			if (stop)
				continue;
			if (m->seq > sync->hist_upto) {
				sync->hist_cursor = sync->hist_upto;
				stop = true;
				continue;
			}
			if (!gs_sync_seq_busy(sync, m->seq)) {
				if (gs_sync_send_outbox(sync, m, true)) {
					stop = true;
					continue;
				}
				sync->tokens -= 1.0;
			}
			sync->hist_cursor = m->seq;
		}
		for (i = 0; i < n; i++)
			gs_outbox_msg_clear(&batch[i]);
		if (stop)
			return;
	}
}

void gs_sync_pump(struct gs_sync *sync)
{
	int64_t now = gs_sync_mono_ms();
	bool rate_bound;

	if (sync->state != GS_SYNC_CONNECTED)
		return;
	gs_sync_flush_replies(sync);
	if (sync->status_due &&
	    now - sync->status_mono_ms >= GS_SYNC_STATUS_MIN_GAP_MS)
		gs_sync_publish_status(sync, true);
	gs_sync_pump_retries(sync);
	gs_sync_pump_live(sync);
	gs_sync_refill(sync, now);
	gs_sync_pump_resend(sync);
	gs_sync_pump_hist(sync);

	/* Rate-bound work left: come back when the next token is due. */
	rate_bound = (sync->resend_pos < sync->n_resend ||
	              sync->hist_cursor < sync->hist_upto) &&
	             sync->tokens < 1.0;
	if (rate_bound) {
		double wait =
		    (1.0 - sync->tokens) * 1000.0 / sync->cfg.drain_rate;

		gs_timerfd_arm_ms(sync->pump_fd, (int64_t)wait + 1);
	}
}

/* ---- loop thread: events ------------------------------------------------- */

static void gs_sync_on_connected_ev(struct gs_sync *sync)
{
	int64_t now = gs_sync_mono_ms();

	if (sync->state != GS_SYNC_CONNECTING)
		return;
	sync->state = GS_SYNC_CONNECTED;
	sync->connected_mono_ms = now;
	gs_complain_release(&sync->conn_complaint, GS_LOG_NOTICE,
	                    "mqtt: connected to %s again", sync->cfg.broker);
	gs_log(GS_LOG_INFO, "mqtt: connected to %s (MQTT %s)", sync->cfg.broker,
	       sync->cfg.mqtt_version == 5 ? "5" : "3.1.1");
	if (sync->down_since_mono_ms >= 0 &&
	    now - sync->down_since_mono_ms > GS_SYNC_LIVE_GRACE_MS) {
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
	pthread_mutex_lock(&sync->mu);
	memcpy(tls, sync->tls_error, sizeof(tls));
	sync->tls_error[0] = '\0';
	pthread_mutex_unlock(&sync->mu);
	gs_complain(&sync->conn_complaint, GS_LOG_WARNING,
	            "mqtt: cannot connect to %s: %s%s%s%s%s%s",
	            sync->cfg.broker, gs_sync_connack_reason(ev->code),
	            ev->text[0] ? " (" : "", ev->text, ev->text[0] ? ")" : "",
	            tls[0]      ? "; TLS: "
	            : sync->tls ? "; TLS handshake failed (server certificate, "
	                          "its host name, or our client certificate)"
	                        : "",
	            tls);
	gs_sync_go_down(sync);
}

static void gs_sync_on_sent_ev(struct gs_sync *sync,
                               const struct gs_sync_ev *ev, bool *acked)
{
	struct gs_sync_inflight *slot = gs_sync_slot_find(sync, ev->token);
	int rc;

	if (!slot)
		return; /* a send of an earlier connection */
	if (slot->type == GS_PUB_OUTBOX) {
		rc = gs_store_outbox_ack(sync->store, slot->seq);
		if (rc == GS_EFULL) {
			gs_sync_store_full(sync);
			rc = gs_store_outbox_ack(sync->store, slot->seq);
		}
		if (rc)
			gs_complain(&sync->store_complaint, GS_LOG_ERR,
			            "mqtt: cannot mark seq %" PRIu64
			            " delivered: %s; it will be published "
			            "again",
			            slot->seq, gs_strerror(rc));
		sync->n_acked++;
		*acked = true;
	}
	free(slot->payload);
	gs_sync_slot_release(sync, slot);
}

static void gs_sync_on_send_failed_ev(struct gs_sync *sync,
                                      const struct gs_sync_ev *ev)
{
	struct gs_sync_inflight *slot = gs_sync_slot_find(sync, ev->token);

	if (!slot)
		return;
	gs_complain(&sync->conn_complaint, GS_LOG_WARNING,
	            "mqtt: publish failed: %s; retrying",
	            gs_sync_connack_reason(ev->code));
	gs_sync_slot_requeue(sync, slot);
}

static void gs_sync_handle(struct gs_sync *sync, const struct gs_sync_ev *ev,
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
		            gs_sync_connack_reason(ev->code));
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

/* Takes everything Paho handed over and acts on it; acknowledgements of
 * one batch share one commit. */
static void gs_sync_process(struct gs_sync *sync)
{
	struct gs_sync_ev *ev, *next;
	unsigned cmd_dropped, cmd_retained;
	bool overflow, acked = false;

	pthread_mutex_lock(&sync->mu);
	ev = sync->q_head;
	sync->q_head = sync->q_tail = NULL;
	sync->q_commands = 0;
	overflow = sync->q_overflow;
	sync->q_overflow = false;
	cmd_dropped = sync->q_cmd_dropped;
	sync->q_cmd_dropped = 0;
	cmd_retained = sync->q_cmd_retained;
	sync->q_cmd_retained = 0;
	pthread_mutex_unlock(&sync->mu);

	for (; ev; ev = next) {
		next = ev->next;
		gs_sync_handle(sync, ev, &acked);
		free(ev);
	}
	sync->flood_ignored += cmd_dropped;
	sync->flood_retained += cmd_retained;
	gs_sync_cmd_flood_report(sync, false);
	if (overflow && sync->state == GS_SYNC_CONNECTED) {
		/* A record was lost: some outcome is unknown. Start over so
		 * that nothing waits for an acknowledgement never seen. */
		gs_sync_drop_connection(sync, "out of memory handing over "
		                              "events");
	}
	if (acked)
		gs_sync_commit(sync);
}

static void gs_sync_on_eventfd(void *ctx, int fd, uint32_t events)
{
	struct gs_sync *sync = ctx;
	uint64_t n;

	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		gs_log(GS_LOG_WARNING, "mqtt: eventfd read: %s",
		       strerror(errno));
	gs_sync_process(sync);
	gs_sync_pump(sync);
}

static void gs_sync_on_reconnect_timer(void *ctx, int fd, uint32_t events)
{
	struct gs_sync *sync = ctx;

	(void)events;
	gs_timerfd_drain(fd);
	if (sync->state == GS_SYNC_WAITING)
		gs_sync_connect(sync);
}

static void gs_sync_on_pump_timer(void *ctx, int fd, uint32_t events)
{
	struct gs_sync *sync = ctx;

	(void)events;
	gs_timerfd_drain(fd);
	gs_sync_pump(sync);
}

static void gs_sync_enforce(struct gs_sync *sync, int64_t max_bytes)
{
	uint64_t dropped = 0;
	int rc;

	rc = gs_store_outbox_enforce(sync->store, max_bytes,
	                             sync->cfg.outbox_max_age_ms,
	                             gs_sync_event_now_ms(sync), &dropped);
	if (rc) {
		gs_complain(&sync->store_complaint, GS_LOG_ERR,
		            "mqtt: cannot enforce the outbox quota: %s",
		            gs_strerror(rc));
		return;
	}
	if (dropped > 0) {
		sync->status_due = true;
		rc = gs_store_commit(sync->store);
		if (rc)
			gs_complain(&sync->store_complaint, GS_LOG_ERR,
			            "mqtt: cannot commit the quota drops: %s",
			            gs_strerror(rc));
	}
}

void gs_sync_store_full(struct gs_sync *sync)
{
	struct gs_outbox_stats st;

	if (!sync || gs_store_outbox_stats(sync->store, &st))
		return;
	/* The disk is full below the quota: make room the same way, oldest
	 * undelivered first, a quarter of the outbox at a time. */
	gs_complain(
	    &sync->store_complaint, GS_LOG_WARNING,
	    "mqtt: disk full: dropping the oldest quarter of the outbox "
	    "(%" PRIu64 " messages, %" PRId64 " bytes)",
	    st.pending, st.bytes);
	gs_sync_enforce(sync, st.bytes > 4 ? st.bytes / 4 * 3 : 1);
	sync->enforce_mono_ms = gs_sync_mono_ms();
}

static void gs_sync_on_tick(void *ctx, int fd, uint32_t events)
{
	struct gs_sync *sync = ctx;
	int64_t now = gs_sync_mono_ms();

	(void)events;
	gs_timerfd_drain(fd);
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

/* ---- interface
 * --------------------------------------------------------------- */

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

	co.struct_version = 2; /* 3 is rejected by this Paho release */
	co.sendWhileDisconnected = 0;
	co.MQTTVersion =
	    sync->cfg.mqtt_version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
	rc = MQTTAsync_createWithOptions(
	    &sync->client, sync->cfg.broker, sync->cfg.client_id,
	    MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
	if (rc != MQTTASYNC_SUCCESS) {
		gs_log(GS_LOG_ERR, "mqtt: cannot create a client for %s: %s",
		       sync->cfg.broker, MQTTAsync_strerror(rc));
		sync->client = NULL;
		return GS_ECONFIG;
	}
	rc = MQTTAsync_setCallbacks(sync->client, sync, gs_sync_on_lost,
	                            gs_sync_on_message, NULL);
	if (rc != MQTTASYNC_SUCCESS) {
		gs_log(GS_LOG_ERR, "mqtt: cannot set callbacks: %s",
		       MQTTAsync_strerror(rc));
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

void gs_sync_global_init(void)
{
	MQTTAsync_init_options init = MQTTAsync_init_options_initializer;

	init.do_openssl_init = 0;
	MQTTAsync_global_init(&init);
}

int gs_sync_new(const struct gs_config *cfg, struct gs_store *store,
                struct gs_loop *loop, const struct gs_sync_hooks *hooks,
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
	sync->cfg = *cfg;
	sync->store = store;
	sync->loop = loop;
	if (hooks)
		sync->hooks = *hooks;
	sync->hooks_ctx = ctx;
	sync->ev_fd = sync->reconnect_fd = sync->pump_fd = sync->tick_fd = -1;
	sync->down_since_mono_ms = -1;
	sync->started_ms = gs_clock_realtime_ms();
	sync->tokens_mono_ms = gs_sync_mono_ms();
	if (getrandom(&sync->rng, sizeof(sync->rng), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(sync->rng))
		sync->rng = (uint64_t)gs_clock_monotonic_ns() ^
		            ((uint64_t)getpid() << 32);
	sync->rng |= 1;
	pthread_mutex_init(&sync->mu, NULL);
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

int gs_sync_start(struct gs_sync *sync)
{
	int rc;

	if (!sync || sync->state != GS_SYNC_IDLE)
		return GS_EINVAL;
	rc = gs_timerfd_arm_periodic_ms(sync->tick_fd, GS_SYNC_TICK_MS);
	if (rc)
		return rc;
	gs_log(GS_LOG_INFO, "mqtt: connecting to %s as %s", sync->cfg.broker,
	       sync->cfg.client_id);
	gs_sync_connect(sync);
	return GS_OK;
}

void gs_sync_notify(struct gs_sync *sync)
{
	if (sync)
		gs_sync_pump(sync);
}

void gs_sync_status_changed(struct gs_sync *sync)
{
	if (!sync)
		return;
	sync->status_due = true;
	gs_sync_pump(sync);
}

bool gs_sync_connected(const struct gs_sync *sync)
{
	return sync && sync->state == GS_SYNC_CONNECTED;
}

bool gs_sync_idle(const struct gs_sync *sync)
{
	return sync && sync->state == GS_SYNC_CONNECTED &&
	       sync->n_window == 0 && sync->n_retry == 0 &&
	       sync->resend_pos == sync->n_resend &&
	       sync->hist_cursor >= sync->hist_upto &&
	       sync->live_cursor >= gs_store_last_seq(sync->store);
}

/* Waits for Paho's records up to deadline, handling them as the loop would
 * but without publishing anything new. */
static void gs_sync_wait(struct gs_sync *sync, int64_t deadline,
                         bool (*done)(const struct gs_sync *))
{
	while (!done(sync)) {
		int64_t left = deadline - gs_sync_mono_ms();
		struct pollfd pfd = {.fd = sync->ev_fd, .events = POLLIN};
		uint64_t n;

		if (left <= 0)
			return;
		if (poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) < 0 &&
		    errno != EINTR)
			return;
		if (read(sync->ev_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			return;
		gs_sync_process(sync);
	}
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
	deadline = gs_sync_mono_ms() + timeout_ms;
	sync->stopping = true;
	gs_sync_cmd_flood_report(sync, true);
	gs_timerfd_disarm(sync->tick_fd);
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
		int64_t left = deadline - gs_sync_mono_ms();

		dopt.timeout = (int)(left > 1000 ? 1000 : left > 0 ? left : 0);
		gs_sync_disconnect_callbacks(sync, &dopt);
		dopt.context = sync;
		sync->state = GS_SYNC_DISCONNECTING;
		if (MQTTAsync_disconnect(sync->client, &dopt) ==
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
		MQTTAsync_destroy(&sync->client);
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
	for (size_t i = sync->resend_pos; i < sync->n_resend; i++)
		free(sync->resend[i].payload);
	free(sync->resend);
	for (size_t i = 0; i < sync->n_replies; i++)
		free(sync->replies[i].payload);
	free(sync->status_last);
	cJSON_free(sync->will_payload);
	if (sync->password) {
		explicit_bzero(sync->password, strlen(sync->password));
		free(sync->password);
	}
	pthread_mutex_destroy(&sync->mu);
	free(sync);
}
