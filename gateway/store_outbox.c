/* SPDX-License-Identifier: MIT */
/*
 * The outbox (messages until the broker acknowledges them), the windows
 * kept for resend, the persistent seq and the quotas. docs/storage.md
 * states the drop policy.
 */
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/msg.h"
#include "gateway/store_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t gs_store_clamp_seq(uint64_t seq)
{
	return seq > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)seq;
}

/* Messages kept besides the outbox (for trends, resends and the report),
 * by kind; 0 (GS_SQL_BEGIN): none. */
static const enum gs_sql gs_store_kept_sql[GS_MSG_KIND_COUNT_] = {
    [GS_MSG_METRICS] = GS_SQL_WINDOW_ADD,
    [GS_MSG_ALERT] = GS_SQL_ALERT_ADD,
    [GS_MSG_DAILY] = GS_SQL_DAILY_ADD,
    [GS_MSG_ACK] = GS_SQL_ACK_ADD,
};

/* The highest seq in use: stored, or taken from a reservation. */
static uint64_t gs_store_seq_top(const struct gs_store *st)
{
	return st->taken > st->last_seq ? st->taken : st->last_seq;
}

/*
 * Adds a message with seq (0: the next one) to the open durable
 * transaction; delivered: the broker has it already (it left from memory),
 * so it is kept for resend and reports but not queued in the outbox.
 */
static int gs_store_enqueue_seq(struct gs_store *st, enum gs_msg_kind kind,
                                const char *topic, int64_t t_ms,
                                int64_t window_start_ms, cJSON *payload,
                                uint64_t seq, bool delivered, uint64_t *seq_out)
{
	sqlite3_stmt *s;
	char *text;
	size_t len, topic_len;
	int rc;

	if (!st || !topic || !*topic || !cJSON_IsObject(payload))
		return GS_EINVAL;
	if ((unsigned)kind >= GS_MSG_KIND_COUNT_) {
		gs_log(GS_LOG_ERR, "store %s: message of unknown kind %d",
		       st->path, (int)kind);
		return GS_EINVAL;
	}
	rc = gs_store_begin_durable(st);
	if (rc != GS_OK)
		return rc;
	if (seq == 0)
		seq = gs_store_seq_top(st) + 1;
	rc = gs_msg_set_seq(payload, seq);
	if (rc != GS_OK)
		return rc;
	text = gs_json_print(payload);
	if (!text)
		return GS_ENOMEM;
	len = strlen(text);
	topic_len = strlen(topic);

	s = st->stmt[GS_SQL_OUTBOX_ADD];
	/* Delivered: not queued, the broker acknowledged it. */
	if (!delivered &&
	    ((rc = sqlite3_bind_int64(s, 1, (int64_t)seq)) != SQLITE_OK ||
	     (rc = sqlite3_bind_int(s, 2, (int)kind)) != SQLITE_OK ||
	     (rc = sqlite3_bind_int64(s, 3, t_ms)) != SQLITE_OK ||
	     (rc = sqlite3_bind_int64(s, 4, (int64_t)(len + topic_len))) !=
	         SQLITE_OK ||
	     (rc = sqlite3_bind_text(s, 5, topic, (int)topic_len,
	                             SQLITE_STATIC)) != SQLITE_OK ||
	     (rc = sqlite3_bind_text(s, 6, text, (int)len, SQLITE_STATIC)) !=
	         SQLITE_OK ||
	     (rc = gs_store_run(s)) != SQLITE_OK)) {
		rc = gs_store_write_failed(st, rc, "adding to the outbox");
		goto out;
	}
	if (gs_store_kept_sql[kind]) {
		s = st->stmt[gs_store_kept_sql[kind]];
		if ((rc = sqlite3_bind_int64(s, 1,
		                             kind == GS_MSG_METRICS ||
		                                     kind == GS_MSG_DAILY
		                                 ? window_start_ms
		                                 : t_ms)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(s, 2, (int64_t)seq)) !=
		        SQLITE_OK ||
		    (rc = sqlite3_bind_text(s, 3, text, (int)len,
		                            SQLITE_STATIC)) != SQLITE_OK ||
		    (rc = gs_store_run(s)) != SQLITE_OK) {
			rc = gs_store_write_failed(st, rc, "keeping a window");
			goto out;
		}
	}
	/* The seq lives in meta, in this same transaction: rows may leave
	 * the outbox, so its largest seq is no record of what was used. */
	s = st->stmt[GS_SQL_META_SET];
	if ((rc = sqlite3_bind_text(s, 1, GS_META_SEQ, -1, SQLITE_STATIC)) !=
	        SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 2, (int64_t)seq)) != SQLITE_OK ||
	    (rc = gs_store_run(s)) != SQLITE_OK) {
		rc = gs_store_write_failed(st, rc, "storing the seq");
		goto out;
	}
	st->last_seq = seq;
	st->uncommitted++;
	if (seq_out)
		*seq_out = seq;
	rc = GS_OK;
out:
	cJSON_free(text);
	return rc;
}

int gs_store_enqueue(struct gs_store *st, enum gs_msg_kind kind,
                     const char *topic, int64_t t_ms, int64_t window_start_ms,
                     cJSON *payload, uint64_t *seq_out)
{
	return gs_store_enqueue_seq(st, kind, topic, t_ms, window_start_ms,
	                            payload, 0, false, seq_out);
}

int gs_store_enqueue_taken(struct gs_store *st, enum gs_msg_kind kind,
                           const char *topic, int64_t t_ms,
                           int64_t window_start_ms, cJSON *payload,
                           uint64_t seq, bool delivered)
{
	if (!st || seq == 0 || seq <= st->last_seq || seq > st->taken) {
		gs_log(GS_LOG_ERR,
		       "store %s: seq %" PRIu64 " was not taken or is stored "
		       "already",
		       st ? st->path : "?", seq);
		return GS_EINVAL;
	}
	return gs_store_enqueue_seq(st, kind, topic, t_ms, window_start_ms,
	                            payload, seq, delivered, NULL);
}

/* Sets a meta integer of the store's own in the open transaction. */
static int gs_store_meta_put(struct gs_store *st, const char *key,
                             int64_t value)
{
	sqlite3_stmt *s = st->stmt[GS_SQL_META_SET];
	int rc;

	if ((rc = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC)) !=
	        SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 2, value)) != SQLITE_OK ||
	    (rc = gs_store_run(s)) != SQLITE_OK)
		return gs_store_write_failed(st, rc, "reserving seqs");
	return GS_OK;
}

int gs_store_seq_reserve(struct gs_store *st, uint64_t n, int64_t t_ms)
{
	uint64_t to;
	int rc;

	if (!st || n == 0 || n > INT32_MAX)
		return GS_EINVAL;
	to = gs_store_seq_top(st) + n;
	/* Durable before any seq of it leaves: synchronous=FULL. */
	rc = gs_store_begin_durable(st);
	if (rc == GS_OK)
		rc = gs_store_meta_put(st, GS_META_RESERVED,
		                       gs_store_clamp_seq(to));
	if (rc == GS_OK)
		rc = gs_store_meta_put(st, GS_META_RESERVED_MS, t_ms);
	if (rc != GS_OK)
		return rc;
	st->uncommitted++;
	rc = gs_store_commit(st);
	if (rc != GS_OK)
		return rc;
	st->reserved_to = to;
	return GS_OK;
}

uint64_t gs_store_seq_left(const struct gs_store *st)
{
	uint64_t top;

	if (!st || st->reserved_to == 0)
		return 0;
	top = gs_store_seq_top(st);
	return st->reserved_to > top ? st->reserved_to - top : 0;
}

uint64_t gs_store_seq_reserved(const struct gs_store *st)
{
	return st ? st->reserved_to : 0;
}

bool gs_store_seq_take(struct gs_store *st, uint64_t *seq)
{
	if (gs_store_seq_left(st) == 0)
		return false;
	st->taken = gs_store_seq_top(st) + 1;
	*seq = st->taken;
	return true;
}

int gs_store_seq_close(struct gs_store *st)
{
	uint64_t top;
	int rc;

	if (!st || st->reserved_to == 0 || st->closing)
		return GS_OK;
	rc = gs_store_begin(st);
	if (rc != GS_OK)
		return rc;
	/* A seq taken and let go (declared lost) is not handed out again:
	 * store.seq moves up to it, and the reservation ends there. */
	top = gs_store_seq_top(st);
	rc = gs_store_meta_put(st, GS_META_SEQ, gs_store_clamp_seq(top));
	if (rc == GS_OK)
		rc = gs_store_meta_put(st, GS_META_RESERVED,
		                       gs_store_clamp_seq(top));
	if (rc != GS_OK)
		return rc;
	st->last_seq = top;
	st->uncommitted++;
	st->closing = true;
	return GS_OK;
}

bool gs_store_seq_gap(const struct gs_store *st, uint64_t *first,
                      uint64_t *last, int64_t *t_ms)
{
	if (!st || st->gap_last == 0)
		return false;
	*first = st->gap_first;
	*last = st->gap_last;
	*t_ms = st->gap_ms;
	return true;
}

void gs_outbox_msg_clear(struct gs_outbox_msg *msg)
{
	if (!msg)
		return;
	free(msg->topic);
	free(msg->payload);
	memset(msg, 0, sizeof(*msg));
}

static char *gs_store_column_dup(sqlite3_stmt *s, int col, size_t *len)
{
	const unsigned char *v = sqlite3_column_text(s, col);
	size_t n = (size_t)sqlite3_column_bytes(s, col);
	char *copy;

	if (!v)
		return NULL;
	copy = malloc(n + 1);
	if (!copy)
		return NULL;
	memcpy(copy, v, n);
	copy[n] = '\0';
	if (len)
		*len = n;
	return copy;
}

int gs_store_outbox_fetch(struct gs_store *st, uint64_t after_seq, int kind,
                          struct gs_outbox_msg *out, size_t max, size_t *n)
{
	sqlite3_stmt *s;
	size_t i = 0;
	int rc;

	if (!st || !n || (max > 0 && !out))
		return GS_EINVAL;
	*n = 0;
	if (max == 0)
		return GS_OK;
	s = st->stmt[GS_SQL_OUTBOX_FETCH];
	/* Never an uncommitted row: what is published must be durable. */
	if ((rc = sqlite3_bind_int64(s, 1, gs_store_clamp_seq(after_seq))) !=
	        SQLITE_OK ||
	    (rc = sqlite3_bind_int64(
	         s, 2, gs_store_clamp_seq(st->committed_seq))) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(s, 3, kind < 0 ? -1 : kind)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(
	         s, 4, max > INT64_MAX ? INT64_MAX : (int64_t)max)) !=
	        SQLITE_OK)
		return gs_store_read_failed(st, rc, "reading the outbox");
	while (i < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct gs_outbox_msg *m = &out[i];

		memset(m, 0, sizeof(*m));
		m->seq = (uint64_t)sqlite3_column_int64(s, 0);
		m->kind = (enum gs_msg_kind)sqlite3_column_int(s, 1);
		m->created_ms = sqlite3_column_int64(s, 2);
		m->topic = gs_store_column_dup(s, 3, NULL);
		m->payload = gs_store_column_dup(s, 4, &m->payload_len);
		i++;
		if (!m->topic || !m->payload) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	(void)sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		while (i > 0)
			gs_outbox_msg_clear(&out[--i]);
		return gs_store_read_failed(st, rc, "reading the outbox");
	}
	*n = i;
	return GS_OK;
}

int gs_store_outbox_ack(struct gs_store *st, uint64_t seq)
{
	sqlite3_stmt *s;
	int rc;

	if (!st)
		return GS_EINVAL;
	rc = gs_store_begin(st);
	if (rc != GS_OK)
		return rc;
	s = st->stmt[GS_SQL_OUTBOX_ACK];
	/* Idempotent: a row dropped by quota may still be acknowledged. */
	if ((rc = sqlite3_bind_int64(s, 1, gs_store_clamp_seq(seq))) !=
	        SQLITE_OK ||
	    (rc = gs_store_run(s)) != SQLITE_OK)
		return gs_store_write_failed(st, rc, "acknowledging");
	st->uncommitted += (unsigned)sqlite3_changes(st->db);
	if (st->n_acked == GS_STORE_ACKED_MAX) {
		memmove(st->acked, st->acked + 1,
		        (GS_STORE_ACKED_MAX - 1) * sizeof(st->acked[0]));
		st->n_acked--;
	}
	st->acked[st->n_acked++] = gs_store_clamp_seq(seq);
	return gs_store_end_if_idle(st);
}

/* An integer of meta, or def when it is not there. */
static int gs_store_meta_int(struct gs_store *st, const char *key, int64_t def,
                             int64_t *out)
{
	sqlite3_stmt *s = st->stmt[GS_SQL_META_GET];
	int rc;

	*out = def;
	rc = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK)
		return gs_store_read_failed(st, rc, "outbox stats");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		rc = SQLITE_DONE;
	}
	(void)sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return gs_store_read_failed(st, rc, "outbox stats");
	return GS_OK;
}

int gs_store_outbox_stats(struct gs_store *st, struct gs_outbox_stats *out)
{
	sqlite3_stmt *s;
	int rc;

	if (!st || !out)
		return GS_EINVAL;
	if (st->stats_version == gs_store_version(st)) {
		*out = st->stats;
		return GS_OK;
	}
	memset(out, 0, sizeof(*out));
	out->oldest_ms = -1;
	s = st->stmt[GS_SQL_OUTBOX_STATS];
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->pending = (uint64_t)sqlite3_column_int64(s, 0);
		out->bytes = sqlite3_column_int64(s, 1);
		if (sqlite3_column_type(s, 2) != SQLITE_NULL)
			out->oldest_ms = sqlite3_column_int64(s, 2);
		rc = SQLITE_DONE;
	}
	(void)sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return gs_store_read_failed(st, rc, "outbox stats");
	int64_t dropped;

	if ((rc = gs_store_meta_int(st, GS_META_DROPPED, 0, &dropped)) ||
	    (rc = gs_store_meta_int(st, GS_META_DROPPED_FROM, -1,
	                            &out->dropped_from_ms)) ||
	    (rc = gs_store_meta_int(st, GS_META_DROPPED_TO, -1,
	                            &out->dropped_to_ms)))
		return rc;
	out->dropped = dropped > 0 ? (uint64_t)dropped : 0;
	st->stats = *out;
	st->stats_version = gs_store_version(st);
	return GS_OK;
}

/*
 * Widens the span of dropped messages by what stmt (bound to arg) is
 * about to drop, inside the open transaction.
 */
static int gs_store_note_span(struct gs_store *st, enum gs_sql stmt,
                              int64_t arg)
{
	sqlite3_stmt *s = st->stmt[stmt];
	int64_t lo = -1, hi = -1;
	int rc;

	if ((rc = sqlite3_bind_int64(s, 1, arg)) != SQLITE_OK)
		return gs_store_read_failed(st, rc, "outbox quota");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		lo = sqlite3_column_int64(s, 0);
		hi = sqlite3_column_int64(s, 1);
	}
	(void)sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return gs_store_read_failed(st, rc, "outbox quota");
	if (lo < 0)
		return GS_OK;
	for (int k = 0; k < 2; k++) {
		s = st->stmt[k ? GS_SQL_META_MAX : GS_SQL_META_MIN];
		if ((rc = sqlite3_bind_text(
		         s, 1, k ? GS_META_DROPPED_TO : GS_META_DROPPED_FROM,
		         -1, SQLITE_STATIC)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(s, 2, k ? hi : lo)) != SQLITE_OK ||
		    (rc = gs_store_run(s)) != SQLITE_OK)
			return gs_store_write_failed(st, rc, "noting drops");
	}
	return GS_OK;
}

/* Drops messages created before cutoff_ms; *n how many. */
static int gs_store_drop_aged(struct gs_store *st, int64_t cutoff_ms,
                              uint64_t *n)
{
	sqlite3_stmt *s = st->stmt[GS_SQL_OUTBOX_AGED];
	int64_t aged = 0;
	int rc;

	*n = 0;
	/* Count first: no transaction (and no write lock) when nothing is
	 * due, which is almost always. */
	if ((rc = sqlite3_bind_int64(s, 1, cutoff_ms)) != SQLITE_OK)
		return gs_store_read_failed(st, rc, "outbox quota");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		aged = sqlite3_column_int64(s, 0);
		rc = SQLITE_DONE;
	}
	(void)sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return gs_store_read_failed(st, rc, "outbox quota");
	if (aged == 0)
		return GS_OK;
	rc = gs_store_begin(st);
	if (rc == GS_OK)
		rc = gs_store_note_span(st, GS_SQL_OUTBOX_SPAN_AGED, cutoff_ms);
	if (rc != GS_OK)
		return rc;
	s = st->stmt[GS_SQL_OUTBOX_DROP_AGED];
	if ((rc = sqlite3_bind_int64(s, 1, cutoff_ms)) != SQLITE_OK ||
	    (rc = gs_store_run(s)) != SQLITE_OK)
		return gs_store_write_failed(st, rc, "dropping aged messages");
	*n = (uint64_t)sqlite3_changes(st->db);
	return GS_OK;
}

/* Drops the oldest messages until at most max_bytes remain. */
static int gs_store_drop_bytes(struct gs_store *st, int64_t max_bytes,
                               uint64_t *n)
{
	struct gs_outbox_stats stats;
	sqlite3_stmt *s;
	int64_t excess, freed = 0, upto = -1;
	int rc;

	*n = 0;
	rc = gs_store_outbox_stats(st, &stats);
	if (rc != GS_OK)
		return rc;
	excess = stats.bytes - max_bytes;
	if (excess <= 0)
		return GS_OK;
	s = st->stmt[GS_SQL_OUTBOX_SCAN];
	while (freed < excess && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		upto = sqlite3_column_int64(s, 0);
		freed += sqlite3_column_int64(s, 1);
	}
	(void)sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return gs_store_read_failed(st, rc, "outbox quota");
	if (upto < 0)
		return GS_OK;
	rc = gs_store_begin(st);
	if (rc == GS_OK)
		rc = gs_store_note_span(st, GS_SQL_OUTBOX_SPAN_UPTO, upto);
	if (rc != GS_OK)
		return rc;
	s = st->stmt[GS_SQL_OUTBOX_DROP_UPTO];
	if ((rc = sqlite3_bind_int64(s, 1, upto)) != SQLITE_OK ||
	    (rc = gs_store_run(s)) != SQLITE_OK)
		return gs_store_write_failed(st, rc, "dropping messages");
	*n = (uint64_t)sqlite3_changes(st->db);
	return GS_OK;
}

int gs_store_outbox_enforce(struct gs_store *st, int64_t max_bytes,
                            int64_t max_age_ms, int64_t now_ms,
                            uint64_t *dropped)
{
	uint64_t by_age = 0, by_bytes = 0, total;
	sqlite3_stmt *s;
	int rc;

	if (dropped)
		*dropped = 0;
	if (!st || max_bytes < 0 || max_age_ms < 0)
		return GS_EINVAL;
	if (max_age_ms > 0) {
		rc = gs_store_drop_aged(st, now_ms - max_age_ms, &by_age);
		if (rc != GS_OK)
			return rc;
	}
	if (max_bytes > 0) {
		rc = gs_store_drop_bytes(st, max_bytes, &by_bytes);
		if (rc != GS_OK)
			return rc;
	}
	total = by_age + by_bytes;
	if (total == 0) {
		gs_complain_release(&st->drops, GS_LOG_NOTICE,
		                    "store %s: the outbox is within its quota "
		                    "again",
		                    st->path);
		return GS_OK;
	}
	s = st->stmt[GS_SQL_META_ADD_INT];
	if ((rc = sqlite3_bind_text(s, 1, GS_META_DROPPED, -1,
	                            SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 2, (int64_t)total)) != SQLITE_OK ||
	    (rc = gs_store_run(s)) != SQLITE_OK)
		return gs_store_write_failed(st, rc, "counting drops");
	st->uncommitted += (unsigned)total;
	/* Rate-limited: on a full disk this repeats with every call. */
	gs_complain(&st->drops, GS_LOG_WARNING,
	            "store %s: outbox quota: dropped %" PRIu64
	            " undelivered message(s), oldest first (%" PRIu64
	            " by age, %" PRIu64 " by size)",
	            st->path, total, by_age, by_bytes);
	if (dropped)
		*dropped = total;
	return GS_OK;
}

/* Rows (seq, start_ms, payload) of the range statement stmt. */
static int gs_store_range(struct gs_store *st, enum gs_sql stmt,
                          int64_t from_ms, int64_t to_ms, size_t max,
                          gs_store_window_fn fn, void *ctx, size_t *n,
                          const char *what)
{
	sqlite3_stmt *s;
	size_t i = 0;
	int rc;

	if (n)
		*n = 0;
	if (!st || !fn)
		return GS_EINVAL;
	if (max == 0 || from_ms >= to_ms)
		return GS_OK;
	s = st->stmt[stmt];
	if ((rc = sqlite3_bind_int64(s, 1, from_ms)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 2, to_ms)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(
	         s, 3, max > INT64_MAX ? INT64_MAX : (int64_t)max)) !=
	        SQLITE_OK)
		return gs_store_read_failed(st, rc, what);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *payload = sqlite3_column_text(s, 2);

		if (!payload) {
			rc = SQLITE_NOMEM;
			break;
		}
		fn(ctx, (uint64_t)sqlite3_column_int64(s, 0),
		   sqlite3_column_int64(s, 1), (const char *)payload);
		i++;
	}
	(void)sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return gs_store_read_failed(st, rc, what);
	if (n)
		*n = i;
	return GS_OK;
}

int gs_store_windows_range(struct gs_store *st, int64_t from_ms, int64_t to_ms,
                           size_t max, gs_store_window_fn fn, void *ctx,
                           size_t *n)
{
	return gs_store_range(st, GS_SQL_WINDOW_RANGE, from_ms, to_ms, max, fn,
	                      ctx, n, "reading windows");
}

int gs_store_dailies_range(struct gs_store *st, int64_t from_ms, int64_t to_ms,
                           gs_store_window_fn fn, void *ctx, size_t *n)
{
	return gs_store_range(st, GS_SQL_DAILY_RANGE, from_ms, to_ms, SIZE_MAX,
	                      fn, ctx, n, "reading daily rollups");
}
