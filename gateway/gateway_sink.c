/* SPDX-License-Identifier: MIT */
/*
 * The pipeline's sink: the path of an event or a message into the store,
 * into memory while the disk is full (keep), or into the losses declared
 * when neither works; the group commits; a daily rollup's trend.
 */
#include "gateway/gateway_priv.h"
#include "gateway/clock.h"
#include "gateway/daily.h"
#include "gateway/err.h"
#include "gateway/keep.h"
#include "gateway/lamps.h"
#include "gateway/log.h"
#include "gateway/loss.h"
#include "gateway/msg.h"
#include "gateway/pipeline.h"
#include "gateway/store.h"
#include "gateway/timeutil.h"
#include "gateway/txn.h"
#include "sync/sync.h"

#include <inttypes.h>
#include <stdio.h>

/* A seq reservation ends once nothing waits in memory and the disk has not
 * been full for this long (gw_keep_settle). */
#define GS_SEQ_CLOSE_NS (10 * INT64_C(1000000000))

/*
 * While the disk is full, kept messages can leave from memory only with a
 * seq, and a seq is only ever handed out once it is durable that it may be
 * in use: a reservation of as many seqs as the keep queue holds, committed
 * with the room the full disk leaves now (the reserve just released, rows
 * just deleted: the moment a tiny write fits). Without one (no room even
 * for that), messages wait without a seq, as before. Only with a broker to
 * send to; called at most once a second (gw_store_full).
 */
static void gw_reserve_seqs(struct gateway *gw)
{
	int rc;

	if (!gw->sync || gs_store_seq_left(gw->store) > 0)
		return;
	rc = gs_store_seq_reserve(gw->store, GS_KEEP_MAX, gw_event_now(gw));
	if (rc)
		gs_complain(&gw->store_complaint, GS_LOG_ERR,
		            "store: cannot reserve seqs: %s; kept messages "
		            "wait for room to be sent",
		            gs_strerror(rc));
	else /* a disk that stays full reserves again now and then */
		gs_complain(&gw->seq_complaint, GS_LOG_NOTICE,
		            "store: disk full: seqs %" PRIu64 " to %" PRIu64
		            " reserved, so that kept messages can be sent from "
		            "memory",
		            gs_store_seq_reserved(gw->store) - GS_KEEP_MAX + 1,
		            gs_store_seq_reserved(gw->store));
}

/*
 * The disk (or the file's cap) is full and a group of writes was rolled
 * back. Returns whether room was made, as docs/storage.md says, at most
 * once a second (every write fails alike until then): with the broker away
 * the oldest quarter of the undelivered messages goes (counted as dropped
 * in the status message), and one batch of the history older than what
 * a restart reads back (gw_restore), which is never needed to keep running.
 */
static bool gw_store_full(struct gateway *gw)
{
	int64_t now_ns = gs_clock_monotonic_ns();
	bool more;

	if (gw->full_mono_ns && now_ns - gw->full_mono_ns < 1000000000)
		return false;
	gw->full_mono_ns = now_ns;
	/* Connected, the outbox drains by itself: nothing it could still
	 * send is dropped; messages wait in memory meanwhile. */
	if (!gs_sync_connected(gw->sync))
		gs_sync_store_full(gw->sync);
	if (gs_store_prune_step(gw->store,
	                        gw->last_edge_ms - GS_RESTORE_LOOKBACK_MS, 0,
	                        &more) == GS_OK)
		(void)gs_txn_commit(gw->txn); /* logged by the store */
	gw_reserve_seqs(gw);
	return true;
}

static bool gw_txn_make_room(void *ctx)
{
	return gw_store_full(ctx);
}

/* Whoever's write or commit failed, the store rolled the whole group back:
 * the events in it that no earlier commit saved are lost (declared). */
static void gw_txn_rolled_back(void *ctx, int err)
{
	struct gateway *gw = ctx;

	(void)err;
	gs_losses_rolled_back(gw->losses, gs_store_commits(gw->store));
	gw_status_changed(gw);
}

/* The losses' record joins each group. */
static void gw_txn_joining(void *ctx)
{
	struct gateway *gw = ctx;

	(void)gs_losses_save(gw->losses, gw->store);
}

static void gw_txn_committed(void *ctx)
{
	struct gateway *gw = ctx;

	gs_losses_saved(gw->losses);
	gs_complain_release(&gw->store_complaint, GS_LOG_NOTICE,
	                    "store: commits succeed again");
}

const struct gs_txn_policy gw_txn_policy = {
    .joining = gw_txn_joining,
    .committed = gw_txn_committed,
    .rolled_back = gw_txn_rolled_back,
    .make_room = gw_txn_make_room,
};

int gw_commit_now(struct gateway *gw)
{
	int rc = gs_txn_commit(gw->txn);

	if (rc)
		gs_complain(&gw->store_complaint, GS_LOG_ERR,
		            "store: commit failed: %s; the group's events are "
		            "lost (declared), its messages kept in memory",
		            gs_strerror(rc));
	return rc;
}

static int gw_store_kept(void *ctx, const struct gs_kept *msg);

/* Sends a kept message that took a seq from memory, with its seq stamped:
 * the bytes it will be stored with. */
static void gw_kept_send(struct gateway *gw, struct gs_kept *msg)
{
	char *text = NULL;

	if (gs_msg_set_seq(msg->payload, msg->seq) != GS_OK ||
	    !(text = gs_json_print(msg->payload)) ||
	    gs_sync_publish_kept(gw->sync, msg->seq, msg->topic, text) != GS_OK)
		gs_log(GS_LOG_ERR,
		       "out of memory: seq %" PRIu64 " is sent "
		       "once stored",
		       msg->seq);
	cJSON_free(text);
}

/* Gives the oldest kept message without a seq the next reserved one and
 * sends it from memory. */
static int gw_kept_take(void *ctx, struct gs_kept *msg)
{
	struct gateway *gw = ctx;

	if (msg->seq)
		return 0;
	if (!gs_store_seq_take(gw->store, &msg->seq))
		return 1;
	gw_kept_send(gw, msg);
	return 0;
}

/* Ends the seq reservation, with the next commit (the seqs it did not use
 * are handed out as usual). */
static void gw_seq_close(struct gateway *gw)
{
	if (gs_store_seq_reserved(gw->store) > 0 &&
	    gs_store_seq_close(gw->store) == GS_OK &&
	    gw_commit_now(gw) == GS_OK)
		gs_complain_release(&gw->seq_complaint, GS_LOG_NOTICE,
		                    "store: every kept message is stored; seq "
		                    "reservations closed");
}

/*
 * After a write: the kept messages are stored if they can be; those that
 * still wait take reserved seqs and leave from memory. Once none waits and
 * the disk has not been full for GS_SEQ_CLOSE_NS, the reservation ends: a
 * disk that lets one commit in two through would otherwise reserve and
 * close again every second.
 */
static void gw_keep_settle(struct gateway *gw, bool flush)
{
	if (flush && gs_keep_count(gw->keep) > 0)
		(void)gs_keep_flush(gw->keep, gw_store_kept, gw);
	if (gs_keep_count(gw->keep) > 0) {
		gs_keep_each(gw->keep, gw_kept_take, gw);
		return;
	}
	if (gs_clock_monotonic_ns() - gw->full_mono_ns >= GS_SEQ_CLOSE_NS)
		gw_seq_close(gw);
}

/* Commits; once that works, the messages kept in memory are stored. */
void gw_commit(struct gateway *gw)
{
	if (gw_commit_now(gw) == GS_OK &&
	    (gs_keep_count(gw->keep) > 0 ||
	     gs_store_seq_reserved(gw->store) > 0))
		gw_keep_settle(gw, true);
}

/* The monotonic stamp of an event time. Decoders carry only event time;
 * run mode maps it back through the clock's offset (exact to the ms),
 * replay and simulation have no monotonic clock and use event time. */
static int64_t gw_mono_of(const struct gateway *gw, int64_t t_ms)
{
	if (!gw->clock)
		return t_ms * 1000000;
	return t_ms * 1000000 - gs_clock_offset_ns(gw->clock);
}

static void gw_sink_event(void *ctx, const struct gs_event *ev)
{
	struct gateway *gw = ctx;
	const struct gs_sensor_cfg *s = &gw->cfg->sensors[ev->sensor];
	int rc;

	if (gw->restoring)
		return;
	gw->n_events++;
	rc = gs_store_add_event(gw->store, ev, s->name,
	                        gw_mono_of(gw, ev->t_ms));
	if (rc && gs_txn_retry(gw->txn, rc))
		rc = gs_store_add_event(gw->store, ev, s->name,
		                        gw_mono_of(gw, ev->t_ms));
	if (rc) {
		gs_losses_add(gw->losses, "events", 1, ev->t_ms, ev->t_ms);
		gs_complain(&gw->store_complaint, GS_LOG_ERR,
		            "store: cannot record an event: %s",
		            gs_strerror(rc));
	} else {
		gs_losses_event_pending(gw->losses, gs_store_commits(gw->store),
		                        ev->t_ms);
	}
	if (gs_store_uncommitted(gw->store) >= gw->commit_events)
		gw_commit(gw);
	if ((ev->kind == GS_EV_FAULT || ev->kind == GS_EV_RECOVERED) &&
	    gw->sync)
		gw_status_changed(gw);
}

static void gw_print_message(struct gateway *gw, const char *topic,
                             const cJSON *payload)
{
	char *json = gs_json_print(payload);

	if (!json) {
		gs_log(GS_LOG_ERR, "out of memory printing a message");
		return;
	}
	fprintf(gw->print_out, "{\"topic\": \"%s\", \"payload\": %s}\n", topic,
	        json);
	cJSON_free(json);
}

static int gw_enqueue(struct gateway *gw, const struct gs_kept *m)
{
	if (m->seq)
		return gs_store_enqueue_taken(gw->store, m->kind, m->topic,
		                              m->t_ms, m->window_start_ms,
		                              m->payload, m->seq, m->delivered);
	return gs_store_enqueue(gw->store, m->kind, m->topic, m->t_ms,
	                        m->window_start_ms, m->payload, NULL);
}

/* Stores a message and commits it (durable before it leaves), then prints
 * or announces it; on failure nothing is stored and the caller keeps it.
 * One that left from memory with a reserved seq (m->seq) is stored with
 * it, and its row takes over from the copy in memory. */
static int gw_store_msg(struct gateway *gw, const struct gs_kept *m)
{
	int rc = gw_enqueue(gw, m);

	if (rc && gs_txn_retry(gw->txn, rc))
		rc = gw_enqueue(gw, m);
	if (rc == GS_OK)
		rc = gw_commit_now(gw);
	if (rc) {
		gs_complain(&gw->store_complaint, GS_LOG_ERR,
		            "store: cannot queue a %s message: %s; kept in "
		            "memory until it can be stored",
		            gs_msg_kind_suffix(m->kind), gs_strerror(rc));
		return rc;
	}
	if (m->seq)
		gs_sync_kept_forget(gw->sync, m->seq);
	if (gw->print_out)
		gw_print_message(gw, m->topic, m->payload);
	else if (gw->sync)
		gs_sync_notify(gw->sync);
	return GS_OK;
}

static int gw_store_kept(void *ctx, const struct gs_kept *msg)
{
	return gw_store_msg(ctx, msg);
}

/* A computed message that could not be kept: declared. One that took a
 * seq is declared by its seq (the subscriber sees the gap), unless it
 * was delivered: then only the store lacks it. */
void gw_declare_lost(void *ctx, const struct gs_kept *msg)
{
	struct gateway *gw = ctx;
	int64_t t =
	    msg->kind == GS_MSG_METRICS ? msg->window_start_ms : msg->t_ms;

	if (msg->seq) {
		gs_sync_kept_forget(gw->sync, msg->seq);
		if (msg->delivered) {
			gs_complain(
			    &gw->store_complaint, GS_LOG_ERR,
			    "store: seq %" PRIu64 " was delivered but "
			    "could not be stored: resend cannot repeat it",
			    msg->seq);
			return;
		}
		gs_losses_add_seqs(gw->losses, msg->seq, msg->seq, t, t);
	} else {
		gs_losses_add(gw->losses, gs_msg_kind_suffix(msg->kind), 1, t,
		              t);
	}
	gw_status_changed(gw);
}

void gw_kept_delivered(void *ctx, uint64_t seq)
{
	struct gateway *gw = ctx;

	(void)gs_keep_delivered(gw->keep, seq);
}

static int gw_kept_hand_over(void *ctx, struct gs_kept *msg)
{
	if (!msg->seq)
		return 1; /* the rest has none either */
	if (!msg->delivered)
		gw_kept_send(ctx, msg);
	return 0;
}

void gw_keep_hand_over(struct gateway *gw)
{
	gs_keep_each(gw->keep, gw_kept_hand_over, gw);
}

void gw_keep_let_go(struct gateway *gw)
{
	bool declared = gs_keep_count(gw->keep) > 0;

	gs_keep_drain(gw->keep, gw_declare_lost, gw);
	/* The seqs taken are not handed out again, and the next start has
	 * nothing to declare, if this fits; the declaration commits with it. */
	if (gs_store_seq_reserved(gw->store) > 0)
		gw_seq_close(gw);
	else if (declared)
		(void)gw_commit_now(gw);
}

void gw_declare_seq_gap(struct gateway *gw)
{
	uint64_t first, last, upto = gs_losses_seqs_upto(gw->losses);
	int64_t t_ms, now;

	if (!gs_store_seq_gap(gw->store, &first, &last, &t_ms) || last <= upto)
		return;
	if (first <= upto)
		first = upto + 1;
	now = gw->live ? gs_clock_realtime_ms() : t_ms; /* no clock yet */
	gs_losses_add_seqs(gw->losses, first, last, t_ms,
	                   now > t_ms ? now : t_ms);
	gw_status_changed(gw);
	gs_log(GS_LOG_WARNING,
	       "seqs %" PRIu64 " to %" PRIu64 " were reserved while the disk "
	       "was full and never stored: declared as possibly missing",
	       first, last);
}

static void gw_trend_add(void *ctx, uint64_t seq, int64_t start_ms,
                         const char *payload)
{
	(void)seq;
	(void)start_ms;
	(void)gs_trend_add_text(ctx, payload); /* not a rollup: left out */
}

/*
 * A daily rollup gets its trend from the rollups stored before it
 * (docs/metrics.md, "The trend"). Returns false if it must not go out: its
 * day was published before a restart, or the trend cannot be made.
 */
static bool gw_daily_prepare(struct gateway *gw, int64_t day_start,
                             cJSON *payload)
{
	struct gs_trend *tr;
	cJSON *trend = NULL;
	int rc;

	if (day_start <= gw->restored_daily_upto)
		return false;
	tr = gs_trend_new(day_start);
	if (!tr)
		return false;
	rc = gs_store_dailies_range(
	    gw->store, day_start - (GS_TREND_DAYS + 1) * GS_MS_PER_DAY,
	    day_start, gw_trend_add, tr, NULL);
	if (rc == GS_OK && gs_trend_add(tr, payload) == GS_OK)
		trend = gs_trend_build(tr);
	gs_trend_free(tr);
	if (!trend ||
	    !cJSON_ReplaceItemInObjectCaseSensitive(payload, "trend", trend)) {
		cJSON_Delete(trend);
		gs_log(GS_LOG_ERR, "cannot make the trend of a daily rollup");
		return false;
	}
	return true;
}

static void gw_sink_publish(void *ctx, enum gs_msg_kind kind, int64_t t_ms,
                            int64_t window_start_ms, cJSON *payload)
{
	struct gateway *gw = ctx;
	char topic[GS_PATH_MAX];
	struct gs_kept lost;

	/* Published before a restart: not again under a new seq (a clock
	 * set back by a power cut can reopen such a window). */
	if (kind == GS_MSG_METRICS && window_start_ms <= gw->restored_upto) {
		if (!gw->restoring)
			gs_log(GS_LOG_WARNING,
			       "a window already published before the restart "
			       "closed again (the clock is behind): not "
			       "published twice");
		goto out;
	}
	/* Restoring: alerts were raised before the restart; windows after
	 * the last event's fall in the time the daemon was down. A day's
	 * rollup goes out unless it went out before the restart. */
	if (kind == GS_MSG_DAILY) {
		if (!gw_daily_prepare(gw, window_start_ms, payload))
			goto out;
	} else if (gw->restoring &&
	           (kind != GS_MSG_METRICS ||
	            window_start_ms > gw->restore_last_window)) {
		goto out;
	}
	if (kind == GS_MSG_METRICS)
		gw->n_metrics++;
	else if (kind == GS_MSG_ALERT)
		gw->n_alerts++;
	if (gs_msg_topic(gw->cfg, kind, topic, sizeof(topic))) {
		gs_log(GS_LOG_ERR, "topic too long for %s",
		       gs_msg_kind_suffix(kind));
		goto out;
	}
	/* Behind messages already kept, a message waits its turn. */
	if (gs_keep_count(gw->keep) == 0) {
		const struct gs_kept m = {.kind = kind,
		                          .t_ms = t_ms,
		                          .window_start_ms = window_start_ms,
		                          .topic = topic,
		                          .payload = payload};

		if (gw_store_msg(gw, &m) == GS_OK)
			goto out;
	}
	if (gs_keep_push(gw->keep, kind, topic, t_ms, window_start_ms, payload,
	                 &lost))
		gw_declare_lost(gw, &lost);
	/* Alone, it has just failed: it waits for the next commit. */
	gw_keep_settle(gw, gs_keep_count(gw->keep) > 1);
	return;
out:
	cJSON_Delete(payload);
}

/* Restoring, outputs settle first and are shown once (gw_show_outputs):
 * a restart does not flash an alert acknowledged long ago. */
static void gw_sink_output(void *ctx, unsigned output, enum gs_output_state st,
                           int64_t t_ms)
{
	struct gateway *gw = ctx;

	(void)t_ms;
	if (gw->restoring)
		return;
	gs_lamps_set(gw->lamps, output, st);
	gw_status_changed(gw);
}

void gw_show_outputs(struct gateway *gw)
{
	for (unsigned i = 0; i < gw->cfg->n_outputs; i++)
		gs_lamps_set(gw->lamps, i, gs_pipeline_output(gw->pipeline, i));
	gw_status_changed(gw);
}

const struct gs_engine_sink gw_engine_sink = {
    .event = gw_sink_event,
    .publish = gw_sink_publish,
    .output = gw_sink_output,
};
