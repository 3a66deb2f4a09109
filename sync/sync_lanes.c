/* SPDX-License-Identifier: MIT */
/*
 * Store-and-forward: the in-flight window and the lanes that fill it from
 * the outbox. Loop thread only.
 *
 * Delivery. A row leaves the outbox only when its PUBACK arrives. What was
 * in flight when a connection ends goes to the retry list and is sent
 * first, in seq order, on the next connection, with the payload it had.
 *
 * Lanes. A message is historical when it was still undelivered at start,
 * or through an outage longer than [mqtt] live_grace (10 s). Such messages
 * drain oldest first at drain_rate with "historical": true, and may use
 * all but one slot of the window; everything newer takes the live lane,
 * which goes first and is never rate-limited, so a fresh alert waits for
 * at most one acknowledgement however long the backlog.
 *
 * Quotas. The tick trims the outbox to its size and age quotas every
 * GS_SYNC_ENFORCE_PERIOD_MS, and a full disk trims it at once.
 */
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/timeutil.h"
#include "gateway/txn.h"
#include "sync/sync_priv.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Rows fetched at once by the historical lane. */
#define GS_SYNC_HIST_BATCH 64

/* ---- in-flight slots ----------------------------------------------------- */

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
		    (sync->inflight[i].type == GS_PUB_OUTBOX ||
		     sync->inflight[i].type == GS_PUB_KEPT) &&
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

/* ---- messages kept in memory --------------------------------------------- */

static struct gs_sync_kept *gs_sync_kept_find(struct gs_sync *sync,
                                              uint64_t seq)
{
	for (size_t i = 0; i < sync->n_kept; i++)
		if (sync->kept[i].seq == seq)
			return &sync->kept[i];
	return NULL;
}

int gs_sync_publish_kept(struct gs_sync *sync, uint64_t seq, const char *topic,
                         const char *payload)
{
	struct gs_sync_kept k = {.seq = seq};

	if (!sync)
		return GS_OK;
	if (gs_sync_kept_find(sync, seq))
		return GS_OK;
	if (sync->n_kept == sync->kept_cap) {
		size_t cap = sync->kept_cap ? sync->kept_cap * 2 : 16;
		struct gs_sync_kept *a = realloc(sync->kept, cap * sizeof(*a));

		if (!a)
			return GS_ENOMEM;
		sync->kept = a;
		sync->kept_cap = cap;
	}
	k.topic = strdup(topic);
	k.payload = strdup(payload);
	if (!k.topic || !k.payload) {
		free(k.topic);
		free(k.payload);
		return GS_ENOMEM;
	}
	k.len = strlen(payload);
	sync->kept[sync->n_kept++] = k;
	gs_sync_pump(sync);
	gs_sync_tick_soon(sync);
	return GS_OK;
}

void gs_sync_kept_forget(struct gs_sync *sync, uint64_t seq)
{
	struct gs_sync_kept *k = sync ? gs_sync_kept_find(sync, seq) : NULL;
	size_t i;

	if (!k)
		return;
	i = (size_t)(k - sync->kept);
	free(k->topic);
	free(k->payload);
	memmove(&sync->kept[i], &sync->kept[i + 1],
	        (sync->n_kept - i - 1) * sizeof(*sync->kept));
	sync->n_kept--;
}

/* Whether seq's copy from memory is in flight (never, unless the disk
 * was full during this process's life). */
static bool gs_sync_kept_in_flight(const struct gs_sync *sync, uint64_t seq)
{
	for (size_t i = 0; sync->kept_cap > 0 && i < sync->inflight_cap; i++)
		if (sync->inflight[i].token &&
		    sync->inflight[i].type == GS_PUB_KEPT &&
		    sync->inflight[i].seq == seq)
			return true;
	return false;
}

static void gs_sync_slot_release(struct gs_sync *sync,
                                 struct gs_sync_inflight *slot)
{
	if (slot->type == GS_PUB_OUTBOX || slot->type == GS_PUB_RESEND ||
	    slot->type == GS_PUB_KEPT)
		sync->n_window--;
	sync->n_inflight--;
	memset(slot, 0, sizeof(*slot));
}

/* A send did not complete: its content goes back to where it came from. */
void gs_sync_slot_requeue(struct gs_sync *sync, struct gs_sync_inflight *slot)
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
	case GS_PUB_KEPT: {
		/* From memory again, or from its row once stored. */
		struct gs_sync_kept *k = gs_sync_kept_find(sync, slot->seq);

		if (k)
			k->sent = false;
		else
			gs_sync_retry_add(sync, slot->seq, false);
		break;
	}
	}
	free(slot->payload);
	gs_sync_slot_release(sync, slot);
}

void gs_sync_commit(struct gs_sync *sync)
{
	int rc;

	if (gs_store_uncommitted(sync->store) == 0)
		return;
	rc = gs_txn_commit(sync->txn); /* a full disk: room made there */
	if (rc && rc != GS_EFULL)
		gs_complain(&sync->store_complaint, GS_LOG_ERR,
		            "mqtt: cannot commit acknowledgements: %s; the "
		            "messages will be published again",
		            gs_strerror(rc));
}

/* ---- publishing ---------------------------------------------------------- */

static int gs_sync_add_int_property(const struct gs_sync *sync,
                                    MQTTProperties *props,
                                    enum MQTTPropertyCodes code, int64_t value)
{
	MQTTProperty p = {.identifier = code};

	p.value.integer4 = value > UINT32_MAX ? UINT32_MAX : (unsigned)value;
	return sync->paho->properties_add(props, &p);
}

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
		    sync, &msg.properties,
		    MQTTPROPERTY_CODE_MESSAGE_EXPIRY_INTERVAL,
		    (sync->cfg.message_expiry_ms + 999) / GS_MS_PER_S);
	rc = sync->paho->send(sync->client, topic, &msg, &ro);
	sync->paho->properties_free(&msg.properties);
	if (rc != MQTTASYNC_SUCCESS) {
		gs_complain(&sync->conn_complaint, GS_LOG_WARNING,
		            "mqtt: cannot publish to %s: %s", topic,
		            sync->paho->strerror(rc));
		return GS_EMQTT;
	}
	*slot = (struct gs_sync_inflight){
	    .token = ro.token,
	    .type = type,
	    .seq = seq,
	    .historical = historical,
	    .sent_mono_ms = gs_sync_mono_ms(sync),
	    .payload = keep ? (char *)payload : NULL,
	};
	if (type == GS_PUB_OUTBOX || type == GS_PUB_RESEND ||
	    type == GS_PUB_KEPT)
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

/* ---- the lanes ----------------------------------------------------------- */

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
			 * the row is fetched again by the next pump. A row
			 * whose copy from memory is in flight waits for that
			 * send's outcome. */
			if (!gs_sync_kept_in_flight(sync, batch[i].seq))
				failed =
				    gs_sync_send_outbox(sync, &batch[i], false);
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

/* Messages the store could not take yet, from memory, in seq order: not
 * rate-limited, as the live lane (they are as fresh). */
static void gs_sync_pump_kept(struct gs_sync *sync)
{
	for (size_t i = 0;
	     i < sync->n_kept && sync->n_window < sync->cfg.inflight; i++) {
		struct gs_sync_kept *k = &sync->kept[i];

		if (k->sent)
			continue;
		if (gs_sync_send(sync, GS_PUB_KEPT, k->seq, false, k->topic,
		                 k->payload, k->len, false))
			return;
		k->sent = true;
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
	int64_t now = gs_sync_mono_ms(sync);
	bool rate_bound;

	if (sync->state != GS_SYNC_CONNECTED)
		return;
	gs_sync_flush_replies(sync);
	if (sync->status_due &&
	    now - sync->status_mono_ms >= GS_SYNC_STATUS_MIN_GAP_MS)
		gs_sync_publish_status(sync, true);
	gs_sync_pump_retries(sync);
	gs_sync_pump_live(sync);
	gs_sync_pump_kept(sync);
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

void gs_sync_on_pump_timer(void *ctx, int fd, uint32_t events)
{
	struct gs_sync *sync = ctx;

	(void)events;
	gs_timerfd_drain(fd);
	gs_sync_pump(sync);
}

/* ---- acknowledgements ---------------------------------------------------- */

void gs_sync_on_sent_ev(struct gs_sync *sync, const struct gs_sync_ev *ev,
                        bool *acked)
{
	struct gs_sync_inflight *slot = gs_sync_slot_find(sync, ev->token);
	int rc;

	if (!slot)
		return; /* a send of an earlier connection */
	if (slot->type == GS_PUB_KEPT) {
		gs_sync_kept_forget(sync, slot->seq);
		if (sync->opts.kept_delivered)
			sync->opts.kept_delivered(sync->opts_ctx, slot->seq);
		/* Stored since it was sent: its row is delivered too. */
		if (slot->seq > gs_store_last_seq(sync->store)) {
			sync->n_acked++;
			gs_sync_slot_release(sync, slot);
			return;
		}
	}
	if (slot->type == GS_PUB_OUTBOX || slot->type == GS_PUB_KEPT) {
		rc = gs_store_outbox_ack(sync->store, slot->seq);
		if (rc && gs_txn_retry(sync->txn, rc))
			rc = gs_store_outbox_ack(sync->store, slot->seq);
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

void gs_sync_on_send_failed_ev(struct gs_sync *sync,
                               const struct gs_sync_ev *ev)
{
	struct gs_sync_inflight *slot = gs_sync_slot_find(sync, ev->token);

	if (!slot)
		return;
	gs_complain(&sync->conn_complaint, GS_LOG_WARNING,
	            "mqtt: publish failed: %s; retrying",
	            gs_sync_connack_reason(sync, ev->code));
	gs_sync_slot_requeue(sync, slot);
}

/* ---- quotas -------------------------------------------------------------- */

void gs_sync_enforce(struct gs_sync *sync, int64_t max_bytes)
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
		rc = gs_txn_commit(sync->txn);
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
	sync->enforce_mono_ms = gs_sync_mono_ms(sync);
}
