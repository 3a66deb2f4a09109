/* SPDX-License-Identifier: MIT */
/*
 * Store-and-forward: the handoff from Paho's threads to the loop thread.
 *
 * Threads. Paho calls us on its own threads with its global lock held; the
 * callbacks below only append a small record to a mutex-protected list and
 * write the eventfd. The loop thread takes the whole list at once and does
 * every store call, every publish and every decision. No lock of ours is
 * held while we call into Paho, so Paho's lock and ours never nest the
 * other way round.
 *
 * The mutex (sync->mu) guards the list and the TLS error text, and is
 * taken in this file only; gs_sync_new() and gs_sync_free() create and
 * destroy it.
 */
#include "gateway/log.h"
#include "sync/sync_priv.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

void gs_sync_on_connected(void *ctx, MQTTAsync_successData *d)
{
	(void)d;
	gs_sync_push_simple(ctx, GS_EV_CONNECTED, 0, 0, NULL);
}

void gs_sync_on_connect_failed(void *ctx, MQTTAsync_failureData *d)
{
	gs_sync_push_simple(ctx, GS_EV_CONNECT_FAILED, 0, d ? d->code : 0,
	                    d ? d->message : NULL);
}

void gs_sync_on_lost(void *ctx, char *cause)
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

void gs_sync_on_sent(void *ctx, MQTTAsync_successData *d)
{
	gs_sync_push_simple(ctx, GS_EV_SENT, d ? d->token : 0, 0, NULL);
}

void gs_sync_on_send_failed(void *ctx, MQTTAsync_failureData *d)
{
	gs_sync_push_simple(ctx, GS_EV_SEND_FAILED, d ? d->token : 0,
	                    d ? d->code : 0, NULL);
}

void gs_sync_on_subscribed(void *ctx, MQTTAsync_successData *d)
{
	gs_sync_push_simple(ctx, GS_EV_SUBSCRIBED, 0, d ? d->alt.qos : 0, NULL);
}

void gs_sync_on_subscribe_failed(void *ctx, MQTTAsync_failureData *d)
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

void gs_sync_on_sent5(void *ctx, MQTTAsync_successData5 *d)
{
	gs_sync_push_simple(ctx, GS_EV_SENT, d ? d->token : 0, 0, NULL);
}

void gs_sync_on_send_failed5(void *ctx, MQTTAsync_failureData5 *d)
{
	gs_sync_push_simple(ctx, GS_EV_SEND_FAILED, d ? d->token : 0,
	                    gs_sync_code5(d), NULL);
}

void gs_sync_on_subscribed5(void *ctx, MQTTAsync_successData5 *d)
{
	gs_sync_push_simple(ctx, GS_EV_SUBSCRIBED, 0,
	                    d ? (int)d->reasonCode : 0, NULL);
}

void gs_sync_on_subscribe_failed5(void *ctx, MQTTAsync_failureData5 *d)
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
int gs_sync_on_message(void *ctx, char *topic, int topic_len,
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
	sync->paho->free_message(&msg);
	sync->paho->free(topic);
	if (!full)
		gs_sync_push(sync, ev);
	return 1;
}

/* OpenSSL's reasons for a failed handshake, kept for the connect log. */
int gs_sync_on_ssl_error(const char *str, size_t len, void *ctx)
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

/* ---- loop thread --------------------------------------------------------- */

void gs_sync_tls_error_clear(struct gs_sync *sync)
{
	pthread_mutex_lock(&sync->mu);
	sync->tls_error[0] = '\0';
	pthread_mutex_unlock(&sync->mu);
}

void gs_sync_tls_error_take(struct gs_sync *sync, char *out, size_t size)
{
	pthread_mutex_lock(&sync->mu);
	snprintf(out, size, "%s", sync->tls_error);
	sync->tls_error[0] = '\0';
	pthread_mutex_unlock(&sync->mu);
}

void gs_sync_disconnect_callbacks(struct gs_sync *sync,
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

void gs_sync_on_eventfd(void *ctx, int fd, uint32_t events)
{
	struct gs_sync *sync = ctx;
	uint64_t n;

	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		gs_log(GS_LOG_WARNING, "mqtt: eventfd read: %s",
		       strerror(errno));
	gs_sync_process(sync);
	gs_sync_pump(sync);
	gs_sync_tick_soon(sync);
}

/* Waits for Paho's records up to deadline (the system's monotonic clock:
 * this blocks for real), handling them as the loop would but without
 * publishing anything new. */
void gs_sync_wait(struct gs_sync *sync, int64_t deadline,
                  bool (*done)(const struct gs_sync *))
{
	while (!done(sync)) {
		int64_t left = deadline - gs_time_mono_ms(NULL);
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
