/* SPDX-License-Identifier: MIT */
/*
 * Events (the hot table: up to tens per second, a few hundred thousand a
 * day), the sensors and boots they refer to, and retention.
 */
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/store_priv.h"
#include "gateway/timeutil.h"

#include <stdlib.h>
#include <string.h>

/* Rows a prune step looks at, and the most gs_store_prune() deletes in one
 * transaction: a few milliseconds of work. */
#define GS_STORE_PRUNE_BATCH 2000

void gs_store_sensor_cache_clear(struct gs_store *st)
{
	memset(st->sensors, 0, sizeof(st->sensors));
}

/* FNV-1a: the names are short and few. */
static uint32_t gs_store_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static int gs_store_sensor_lookup(struct gs_store *st, const char *name,
                                  int64_t *id)
{
	sqlite3_stmt *s;
	int rc;

	s = st->stmt[GS_SQL_SENSOR_GET];
	rc = sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK)
		return gs_store_write_failed(st, rc, "looking up a sensor");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		(void)sqlite3_reset(s);
		return GS_OK;
	}
	(void)sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return gs_store_write_failed(st, rc, "looking up a sensor");
	s = st->stmt[GS_SQL_SENSOR_ADD];
	if ((rc = sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC)) !=
	        SQLITE_OK ||
	    (rc = gs_store_run(s)) != SQLITE_OK)
		return gs_store_write_failed(st, rc, "adding a sensor");
	*id = sqlite3_last_insert_rowid(st->db);
	return GS_OK;
}

/* sensors.id for name, registering it on first sight (in the open
 * transaction: a rollback clears the cache). */
static int gs_store_sensor_id(struct gs_store *st, const char *name,
                              int64_t *id)
{
	size_t len = strlen(name);
	uint32_t h;
	int rc;

	if (len >= GS_NAME_MAX) /* never configured: not worth a slot */
		return gs_store_sensor_lookup(st, name, id);
	h = gs_store_hash(name);
	for (unsigned i = 0; i < GS_STORE_SENSOR_SLOTS; i++) {
		struct gs_store_sensor *e =
		    &st->sensors[(h + i) % GS_STORE_SENSOR_SLOTS];

		if (e->id != 0 && strcmp(e->name, name) == 0) {
			*id = e->id;
			return GS_OK;
		}
		if (e->id == 0) {
			rc = gs_store_sensor_lookup(st, name, id);
			if (rc != GS_OK)
				return rc;
			memcpy(e->name, name, len + 1);
			e->id = *id;
			return GS_OK;
		}
	}
	/* Full after many reloads with renamed sensors: start over. */
	gs_store_sensor_cache_clear(st);
	return gs_store_sensor_id(st, name, id);
}

static int gs_store_boot_resolve(struct gs_store *st)
{
	sqlite3_stmt *s;
	int rc;

	if (st->boot_row != 0 || st->boot_id[0] == '\0')
		return GS_OK;
	s = st->stmt[GS_SQL_BOOT_GET];
	rc = sqlite3_bind_text(s, 1, st->boot_id, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK)
		return gs_store_write_failed(st, rc, "looking up the boot");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		st->boot_row = sqlite3_column_int64(s, 0);
		(void)sqlite3_reset(s);
		return GS_OK;
	}
	(void)sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return gs_store_write_failed(st, rc, "looking up the boot");
	rc = gs_store_begin(st);
	if (rc != GS_OK)
		return rc;
	s = st->stmt[GS_SQL_BOOT_ADD];
	if ((rc = sqlite3_bind_text(s, 1, st->boot_id, -1, SQLITE_STATIC)) !=
	        SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 2, gs_clock_realtime_ms())) !=
	        SQLITE_OK ||
	    (rc = gs_store_run(s)) != SQLITE_OK)
		return gs_store_write_failed(st, rc, "registering the boot");
	st->boot_row = sqlite3_last_insert_rowid(st->db);
	st->uncommitted++;
	return GS_OK;
}

int gs_store_set_boot(struct gs_store *st, const char *boot_id)
{
	size_t len;
	if (!st || !boot_id)
		return GS_EINVAL;
	len = strlen(boot_id);
	if (len == 0 || len >= sizeof(st->boot_id)) {
		gs_log(GS_LOG_ERR, "store %s: boot id of %zu characters",
		       st->path, len);
		return GS_EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)boot_id[i] <= ' ' ||
		    (unsigned char)boot_id[i] >= 0x7f) {
			gs_log(GS_LOG_ERR,
			       "store %s: boot id has a control, space or "
			       "non-ASCII character at %zu",
			       st->path, i);
			return GS_EINVAL;
		}
	}
	memcpy(st->boot_id, boot_id, len + 1);
	st->boot_row = 0;
	/* A boot seen before (a restart) is only read: no transaction. */
	return gs_store_boot_resolve(st);
}

int gs_store_add_event(struct gs_store *st, const struct gs_event *ev,
                       const char *sensor_name, int64_t mono_ns)
{
	sqlite3_stmt *s;
	int64_t sensor;
	int rc;

	if (!st || !ev || !sensor_name || !*sensor_name)
		return GS_EINVAL;
	if (ev->kind >= GS_EV_KIND_COUNT_) {
		gs_log(GS_LOG_ERR, "store %s: event of unknown kind %u from %s",
		       st->path, ev->kind, sensor_name);
		return GS_EINVAL;
	}
	rc = gs_store_begin(st);
	if (rc == GS_OK)
		rc = gs_store_sensor_id(st, sensor_name, &sensor);
	if (rc == GS_OK)
		rc = gs_store_boot_resolve(st);
	if (rc != GS_OK)
		return rc;
	s = st->stmt[GS_SQL_EVENT_ADD];
	if ((rc = sqlite3_bind_int64(s, 1, ev->t_ms)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 2, mono_ns)) != SQLITE_OK ||
	    (rc = st->boot_row ? sqlite3_bind_int64(s, 3, st->boot_row)
	                       : sqlite3_bind_null(s, 3)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 4, sensor)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(s, 5, ev->kind)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(s, 6, ev->value)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(s, 7, ev->input)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(s, 8, ev->flags)) != SQLITE_OK ||
	    (rc = gs_store_run(s)) != SQLITE_OK)
		return gs_store_write_failed(st, rc, "adding an event");
	st->uncommitted++;
	return GS_OK;
}

/*
 * Events are a log in insertion order (rowid), and their times almost
 * always grow with it; an index on t_ms would double the pages each commit
 * writes. So a pass walks the rowids from the oldest in batches and
 * deletes the rows of each batch older than before_ms; it ends at the
 * first batch with nothing to delete. A row stamped in the future by a
 * wrong clock is skipped, not a barrier; old rows hidden behind a whole
 * batch of newer ones wait for a later pass.
 */
static int gs_store_prune_events(struct gs_store *st, int64_t before_ms,
                                 unsigned max_rows, unsigned *deleted,
                                 bool *more)
{
	sqlite3_stmt *s = st->stmt[GS_SQL_EVENT_SCAN];
	int64_t lo, hi, old = 0, seen = 0;
	int rc;

	*deleted = 0;
	if (!st->prune_active) {
		st->prune_active = true;
		st->prune_cursor = 0;
	}
	lo = hi = st->prune_cursor;
	if ((rc = sqlite3_bind_int64(s, 1, lo)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 2, max_rows)) != SQLITE_OK)
		return gs_store_write_failed(st, rc, "pruning events");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hi = sqlite3_column_int64(s, 0);
		old += sqlite3_column_int64(s, 1) < before_ms;
		seen++;
	}
	(void)sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return gs_store_write_failed(st, rc, "pruning events");
	if (old > 0) {
		s = st->stmt[GS_SQL_EVENT_DELETE];
		if ((rc = sqlite3_bind_int64(s, 1, lo)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(s, 2, hi)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(s, 3, before_ms)) != SQLITE_OK ||
		    (rc = gs_store_run(s)) != SQLITE_OK)
			return gs_store_write_failed(st, rc, "pruning events");
		*deleted = (unsigned)sqlite3_changes(st->db);
	}
	st->prune_cursor = hi;
	*more = old > 0 && seen == (int64_t)max_rows;
	if (!*more)
		st->prune_active = false;
	return GS_OK;
}

static int gs_store_prune_windows(struct gs_store *st, int64_t before_ms,
                                  unsigned max_rows, unsigned *deleted,
                                  bool *more)
{
	sqlite3_stmt *s = st->stmt[GS_SQL_WINDOW_PRUNE];
	int rc;

	if ((rc = sqlite3_bind_int64(s, 1, before_ms)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 2, max_rows)) != SQLITE_OK ||
	    (rc = gs_store_run(s)) != SQLITE_OK)
		return gs_store_write_failed(st, rc, "pruning windows");
	*deleted = (unsigned)sqlite3_changes(st->db);
	*more = *deleted == max_rows;
	return GS_OK;
}

int gs_store_prune_step(struct gs_store *st, int64_t before_ms,
                        unsigned max_rows, bool *more)
{
	unsigned n_ev = 0, n_win = 0;
	bool more_ev = false, more_win = false;
	int rc;

	if (!st || !more)
		return GS_EINVAL;
	*more = false;
	if (max_rows == 0)
		max_rows = GS_STORE_PRUNE_BATCH;
	rc = gs_store_begin(st);
	if (rc == GS_OK)
		rc = gs_store_prune_events(st, before_ms, max_rows, &n_ev,
		                           &more_ev);
	if (rc == GS_OK)
		rc = gs_store_prune_windows(st, before_ms, max_rows, &n_win,
		                            &more_win);
	if (rc == GS_OK &&
	    ((rc = sqlite3_bind_int64(st->stmt[GS_SQL_DAILY_PRUNE], 1,
	                              before_ms)) != SQLITE_OK ||
	     (rc = gs_store_run(st->stmt[GS_SQL_DAILY_PRUNE])) != SQLITE_OK))
		rc = gs_store_write_failed(st, rc, "pruning daily rollups");
	if (rc == GS_OK)
		n_win += (unsigned)sqlite3_changes(st->db);
	if (rc == GS_OK &&
	    ((rc = sqlite3_bind_int64(st->stmt[GS_SQL_ALERT_PRUNE], 1,
	                              before_ms)) != SQLITE_OK ||
	     (rc = gs_store_run(st->stmt[GS_SQL_ALERT_PRUNE])) != SQLITE_OK))
		rc = gs_store_write_failed(st, rc, "pruning alerts");
	if (rc == GS_OK)
		n_win += (unsigned)sqlite3_changes(st->db);
	if (rc == GS_OK &&
	    ((rc = sqlite3_bind_int64(st->stmt[GS_SQL_ACK_PRUNE], 1,
	                              before_ms)) != SQLITE_OK ||
	     (rc = gs_store_run(st->stmt[GS_SQL_ACK_PRUNE])) != SQLITE_OK))
		rc = gs_store_write_failed(st, rc, "pruning acknowledgements");
	if (rc != GS_OK)
		return rc;
	n_win += (unsigned)sqlite3_changes(st->db);
	st->uncommitted += n_ev + n_win;
	*more = more_ev || more_win;
	return gs_store_end_if_idle(st);
}

int gs_store_prune(struct gs_store *st, int64_t before_ms)
{
	bool more = true;
	int rc;

	if (!st)
		return GS_EINVAL;
	st->prune_active = false;
	while (more) {
		rc = gs_store_prune_step(st, before_ms, GS_STORE_PRUNE_BATCH,
		                         &more);
		/* One batch per transaction: a small WAL, other writes go
		 * on between batches. */
		if (rc == GS_OK)
			rc = gs_store_commit(st);
		if (rc != GS_OK)
			return rc;
	}
	return GS_OK;
}

/* ---- start-up: the stored tail of the event log ---------------------- */

int gs_store_last_event_ms(struct gs_store *st, int64_t *t_ms)
{
	return gs_store_query_int(
	    st, "SELECT t_ms FROM events ORDER BY id DESC LIMIT 1", t_ms);
}

/* Kept while nothing changes, like the outbox's stats: the status asks
 * once a second. */
int gs_store_last_window_ms(struct gs_store *st, int64_t *start_ms)
{
	int rc;

	if (st->window_version != gs_store_version(st)) {
		rc = gs_store_query_int(st, "SELECT max(start_ms) FROM windows",
		                        &st->window_ms);
		if (rc != GS_OK && rc != GS_ENOENT)
			return rc;
		st->window_rc = rc;
		st->window_version = gs_store_version(st);
	}
	if (st->window_rc == GS_OK)
		*start_ms = st->window_ms;
	return st->window_rc;
}

int gs_store_last_daily_ms(struct gs_store *st, int64_t *start_ms)
{
	return gs_store_query_int(st, "SELECT max(start_ms) FROM dailies",
	                          start_ms);
}

int gs_store_events_since(struct gs_store *st, int64_t from_ms,
                          gs_store_event_fn fn, void *ctx, size_t *n)
{
	sqlite3_stmt *s = NULL;
	int64_t first = INT64_MAX;
	size_t count = 0;
	int rc;

	if (n)
		*n = 0;
	/* Back from the newest to the first row older than from_ms. */
	rc = sqlite3_prepare_v2(st->db,
	                        "SELECT id, t_ms FROM events ORDER BY id DESC",
	                        -1, &s, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_int64(s, 1) < from_ms)
			break;
		first = sqlite3_column_int64(s, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE && rc != SQLITE_OK)
		return gs_store_read_failed(st, rc, "finding recent events");
	if (first == INT64_MAX)
		return GS_OK;
	rc = sqlite3_prepare_v2(
	    st->db,
	    "SELECT e.t_ms, s.name, e.kind, e.value, e.input, e.flags"
	    " FROM events e JOIN sensors s ON s.id = e.sensor"
	    " WHERE e.id >= ?1 ORDER BY e.id",
	    -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 1, first);
	while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct gs_event ev = {
		    .t_ms = sqlite3_column_int64(s, 0),
		    .kind = (uint8_t)sqlite3_column_int(s, 2),
		    .value = (uint8_t)sqlite3_column_int(s, 3),
		    .input = (uint8_t)sqlite3_column_int(s, 4),
		    .flags = (uint8_t)sqlite3_column_int(s, 5),
		};
		const unsigned char *name = sqlite3_column_text(s, 1);

		if (!name) {
			rc = SQLITE_NOMEM;
			break;
		}
		fn(ctx, &ev, (const char *)name);
		count++;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (n)
		*n = count;
	if (rc != SQLITE_DONE && rc != SQLITE_OK)
		return gs_store_read_failed(st, rc, "reading recent events");
	return GS_OK;
}
