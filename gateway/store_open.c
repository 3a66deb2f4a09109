/* SPDX-License-Identifier: MIT */
/*
 * Opening the store: the schema and its migrations, the SQL of every
 * prepared statement, the connection's settings, and where the seq stands;
 * closing and removing it. docs/storage.md explains the choices below with
 * figures.
 */
#include "gateway/store_priv.h"
#include "gateway/err.h"
#include "gateway/log.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * 1 KiB pages: a group commit of ~10 small rows rewrites the last leaf
 * page in the WAL, and every few commits a new leaf, its parent and page 1,
 * so the page size is the write cost per event. 4 KiB pages cost 2.3 times
 * as much on the SD card; 512-byte pages save 13% of the writes but cost
 * 15-25% of insert throughput (bench/bench_store.c, docs/storage.md).
 * Applies to new files only.
 */
#define GS_STORE_PAGE_SIZE 1024
/*
 * A checkpoint writes each page changed since the last one once more, to
 * the database file, and fsyncs. 2000 pages (2 MiB of WAL, about 9
 * minutes at 20 events/s) means the hot leaf pages are copied rarely and
 * the checkpoint's cost is about the database's growth.
 */
#define GS_STORE_AUTOCHECKPOINT 2000
/* Another process holding the write lock (the sqlite3 shell) may stall the
 * loop this long before the write fails with GS_EBUSY. */
#define GS_STORE_BUSY_MS 1000
/* A full disk's complaints are released after this long without one. */
#define GS_STORE_CLEAR_MS 10000
/*
 * SQLite's page cache, in KiB (its default is 2000): appends touch only
 * the rightmost path of a b-tree, and RSS is a target on a Pi Zero. Live
 * commits dirty a few pages, a prune step about 70; a replay's commit of
 * 8192 events dirties about 250 and spills the rest to the WAL early,
 * which appends rewrite in place. 128 KiB writes the same bytes at the
 * same throughput as 512 KiB (bench/bench_store, bench/bench_replay.sh)
 * and keeps 0.4 MiB less resident once the cache has filled.
 */
#define GS_STORE_CACHE_KIB 128

/*
 * The schema, in one place. Step i migrates user_version i to i + 1 inside
 * one transaction (DDL is transactional in SQLite), so a power cut during
 * an upgrade leaves the previous version intact. Append steps; never edit
 * a released one.
 */
static const char *const gs_store_migrations[] = {
    /* v1: the foundation (issue 2). */
    "CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value)"
    " WITHOUT ROWID;"
    "CREATE TABLE sensors(id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE);"
    "CREATE TABLE events(id INTEGER PRIMARY KEY,"
    " t_ms INTEGER NOT NULL, mono_ns INTEGER NOT NULL,"
    " sensor INTEGER NOT NULL REFERENCES sensors(id),"
    " kind INTEGER NOT NULL, value INTEGER NOT NULL,"
    " input INTEGER NOT NULL, flags INTEGER NOT NULL);"
    "CREATE TABLE windows(start_ms INTEGER PRIMARY KEY,"
    " seq INTEGER NOT NULL, payload TEXT NOT NULL);"
    "CREATE TABLE outbox(seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
    " topic TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    " payload TEXT NOT NULL);",

    /*
     * v2: store-and-forward (issue 5). Boots, so that a monotonic stamp
     * can be tied to its boot. outbox.bytes for quota accounting without
     * reading payloads, rebuilt so that bytes sits before the payload:
     * a column after a long payload lives in its overflow pages.
     */
    "CREATE TABLE boots(id INTEGER PRIMARY KEY,"
    " boot_id TEXT NOT NULL UNIQUE, first_ms INTEGER NOT NULL);"
    "ALTER TABLE events ADD COLUMN boot INTEGER REFERENCES boots(id);"
    "CREATE TABLE outbox_v2(seq INTEGER PRIMARY KEY,"
    " kind INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
    " bytes INTEGER NOT NULL, topic TEXT NOT NULL,"
    " payload TEXT NOT NULL);"
    "INSERT INTO outbox_v2 SELECT seq, kind, created_ms,"
    " length(CAST(topic AS BLOB)) + length(CAST(payload AS BLOB)),"
    " topic, payload FROM outbox ORDER BY seq;"
    "DROP TABLE outbox;"
    "ALTER TABLE outbox_v2 RENAME TO outbox;",

    /* v3: the daily rollups (issue 13), kept for the trend and resend. */
    "CREATE TABLE dailies(start_ms INTEGER PRIMARY KEY,"
    " seq INTEGER NOT NULL, payload TEXT NOT NULL);",

    /* v4: every alert as published, for the day report (issue 13). */
    "CREATE TABLE alerts(seq INTEGER PRIMARY KEY, t_ms INTEGER NOT NULL,"
    " payload TEXT NOT NULL);"
    "CREATE INDEX alerts_t ON alerts(t_ms);",

    /* v5: every acknowledgement of an alert output, as published, for
     * the day report (issue 13); keyed by the time it was made. */
    "CREATE TABLE acks(seq INTEGER PRIMARY KEY, t_ms INTEGER NOT NULL,"
    " payload TEXT NOT NULL);"
    "CREATE INDEX acks_t ON acks(t_ms);",
};

#define GS_STORE_SCHEMA_VERSION                                                \
	((int)(sizeof(gs_store_migrations) / sizeof(gs_store_migrations[0])))

static const char *const gs_store_sql[GS_SQL_COUNT_] = {
    [GS_SQL_BEGIN] = "BEGIN IMMEDIATE",
    [GS_SQL_COMMIT] = "COMMIT",
    [GS_SQL_ROLLBACK] = "ROLLBACK",
    [GS_SQL_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [GS_SQL_META_SET] = "INSERT OR REPLACE INTO meta(key, value)"
                        " VALUES(?1, ?2)",
    [GS_SQL_META_ADD_INT] = "INSERT INTO meta(key, value) VALUES(?1, ?2)"
                            " ON CONFLICT(key) DO UPDATE"
                            " SET value = value + excluded.value",
    [GS_SQL_SENSOR_GET] = "SELECT id FROM sensors WHERE name = ?1",
    [GS_SQL_SENSOR_ADD] = "INSERT INTO sensors(name) VALUES(?1)",
    [GS_SQL_BOOT_GET] = "SELECT id FROM boots WHERE boot_id = ?1",
    [GS_SQL_BOOT_ADD] = "INSERT INTO boots(boot_id, first_ms)"
                        " VALUES(?1, ?2)",
    [GS_SQL_EVENT_ADD] = "INSERT INTO events(t_ms, mono_ns, boot, sensor,"
                         " kind, value, input, flags)"
                         " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [GS_SQL_EVENT_SCAN] = "SELECT id, t_ms FROM events WHERE id > ?1"
                          " ORDER BY id LIMIT ?2",
    [GS_SQL_EVENT_DELETE] = "DELETE FROM events"
                            " WHERE id > ?1 AND id <= ?2 AND t_ms < ?3",
    [GS_SQL_WINDOW_ADD] = "INSERT OR REPLACE INTO windows(start_ms, seq,"
                          " payload) VALUES(?1, ?2, ?3)",
    [GS_SQL_WINDOW_RANGE] = "SELECT seq, start_ms, payload FROM windows"
                            " WHERE start_ms >= ?1 AND start_ms < ?2"
                            " ORDER BY start_ms LIMIT ?3",
    [GS_SQL_DAILY_ADD] = "INSERT OR REPLACE INTO dailies(start_ms, seq,"
                         " payload) VALUES(?1, ?2, ?3)",
    /* The trend needs GS_DAILY_KEEP_DAYS of rollups, whatever the
     * retention: 29 days before the newest. */
    [GS_SQL_ALERT_ADD] = "INSERT INTO alerts(seq, t_ms, payload)"
                         " VALUES(?2, ?1, ?3)",
    [GS_SQL_ALERT_PRUNE] = "DELETE FROM alerts WHERE t_ms < ?1",
    [GS_SQL_ACK_ADD] = "INSERT INTO acks(seq, t_ms, payload)"
                       " VALUES(?2, ?1, ?3)",
    [GS_SQL_ACK_PRUNE] = "DELETE FROM acks WHERE t_ms < ?1",
    [GS_SQL_META_MIN] = "INSERT INTO meta(key, value) VALUES(?1, ?2)"
                        " ON CONFLICT(key) DO UPDATE"
                        " SET value = min(value, excluded.value)",
    [GS_SQL_META_MAX] = "INSERT INTO meta(key, value) VALUES(?1, ?2)"
                        " ON CONFLICT(key) DO UPDATE"
                        " SET value = max(value, excluded.value)",
    [GS_SQL_OUTBOX_SPAN_AGED] = "SELECT min(created_ms), max(created_ms)"
                                " FROM outbox WHERE created_ms < ?1",
    [GS_SQL_OUTBOX_SPAN_UPTO] = "SELECT min(created_ms), max(created_ms)"
                                " FROM outbox WHERE seq <= ?1",
    [GS_SQL_DAILY_RANGE] = "SELECT seq, start_ms, payload FROM dailies"
                           " WHERE start_ms >= ?1 AND start_ms < ?2"
                           " ORDER BY start_ms LIMIT ?3",
    [GS_SQL_DAILY_PRUNE] = "DELETE FROM dailies WHERE start_ms < min(?1,"
                           " (SELECT max(start_ms) FROM dailies)"
                           " - 2505600000)",
    [GS_SQL_WINDOW_PRUNE] = "DELETE FROM windows WHERE start_ms IN"
                            " (SELECT start_ms FROM windows"
                            " WHERE start_ms < ?1 ORDER BY start_ms"
                            " LIMIT ?2)",
    [GS_SQL_OUTBOX_ADD] = "INSERT INTO outbox(seq, kind, created_ms, bytes,"
                          " topic, payload)"
                          " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [GS_SQL_OUTBOX_FETCH] = "SELECT seq, kind, created_ms, topic, payload"
                            " FROM outbox WHERE seq > ?1 AND seq <= ?2"
                            " AND (?3 < 0 OR kind = ?3)"
                            " ORDER BY seq LIMIT ?4",
    [GS_SQL_OUTBOX_ACK] = "DELETE FROM outbox WHERE seq = ?1",
    [GS_SQL_OUTBOX_STATS] = "SELECT count(*), coalesce(sum(bytes), 0),"
                            " min(created_ms) FROM outbox",
    [GS_SQL_OUTBOX_AGED] = "SELECT count(*) FROM outbox"
                           " WHERE created_ms < ?1",
    [GS_SQL_OUTBOX_DROP_AGED] = "DELETE FROM outbox WHERE created_ms < ?1",
    [GS_SQL_OUTBOX_SCAN] = "SELECT seq, bytes FROM outbox ORDER BY seq",
    [GS_SQL_OUTBOX_DROP_UPTO] = "DELETE FROM outbox WHERE seq <= ?1",
};

int gs_store_schema_version(void)
{
	return GS_STORE_SCHEMA_VERSION;
}

/* Runs one or more statements at open time; logs with the path. */
static int gs_store_exec(struct gs_store *st, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		gs_log(GS_LOG_ERR, "store %s: %s: %s", st->path, what,
		       msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return gs_store_map_err(rc);
	}
	return GS_OK;
}

/* Runs a one-row query and returns its first column as an integer. */
int gs_store_query_int(struct gs_store *st, const char *sql, int64_t *out)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		goto err;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE ||
	    (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_NULL)) {
		sqlite3_finalize(s);
		return GS_ENOENT;
	}
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_OK)
		return GS_OK;
err:
	gs_log(GS_LOG_ERR, "store %s: %s: %s", st->path, sql,
	       sqlite3_errmsg(st->db));
	return gs_store_map_err(rc);
}

/* Switches to WAL (a no-op for a file already in WAL mode). */
static int gs_store_wal(struct gs_store *st, bool *wal)
{
	sqlite3_stmt *s;
	int rc =
	    sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &s, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			const unsigned char *mode = sqlite3_column_text(s, 0);

			*wal = mode && strcmp((const char *)mode, "wal") == 0;
			rc = SQLITE_OK;
		}
		sqlite3_finalize(s);
	}
	if (rc != SQLITE_OK) {
		gs_log(GS_LOG_ERR, "store %s: journal_mode: %s", st->path,
		       sqlite3_errmsg(st->db));
		return gs_store_map_err(rc);
	}
	return GS_OK;
}

static int gs_store_set_pragmas(struct gs_store *st,
                                const struct gs_store_opts *opts)
{
	char sql[256];
	bool wal = false;
	int rc;

	/* page_size first: it only counts before the file has a page. */
	snprintf(sql, sizeof(sql), "PRAGMA page_size=%d", GS_STORE_PAGE_SIZE);
	rc = gs_store_exec(st, sql, "page_size");
	if (rc != GS_OK)
		return rc;
	/* A throw-away database is made without a sync, too. */
	if (opts && opts->ephemeral) {
		rc = gs_store_exec(st, "PRAGMA synchronous=OFF", "synchronous");
		if (rc != GS_OK)
			return rc;
	}
	rc = gs_store_wal(st, &wal);
	if (rc != GS_OK)
		return rc;
	if (!wal) {
		gs_log(GS_LOG_ERR, "store %s: cannot switch to WAL mode",
		       st->path);
		return GS_ESTORE;
	}
	/* foreign_keys off: the REFERENCES in the schema document the
	 * relations, but the store only writes ids it has just looked up and
	 * never deletes a sensor or a boot, while checking the parents costs
	 * 10-15% of insert throughput. Table rebuilds need them off too. */
	st->ephemeral = opts && opts->ephemeral;
	if (opts) {
		st->on_begin = opts->on_begin;
		st->on_begin_ctx = opts->on_begin_ctx;
	}
	st->sync_commits = opts && opts->sync_commits && !st->ephemeral;
	st->level_full = st->sync_commits;
	snprintf(sql, sizeof(sql),
	         "PRAGMA synchronous=%s;"
	         "PRAGMA secure_delete=OFF;"
	         "PRAGMA temp_store=MEMORY;"
	         "PRAGMA cache_size=-%d;"
	         "PRAGMA wal_autocheckpoint=%d;"
	         "PRAGMA journal_size_limit=%d;"
	         "PRAGMA foreign_keys=OFF;",
	         st->ephemeral      ? "OFF"
	         : st->sync_commits ? "FULL"
	                            : "NORMAL",
	         GS_STORE_CACHE_KIB, GS_STORE_AUTOCHECKPOINT,
	         GS_STORE_WAL_LIMIT);
	rc = gs_store_exec(st, sql, "setting pragmas");
	if (rc != GS_OK)
		return rc;
	if (opts && opts->max_bytes > 0) {
		int64_t pages = opts->max_bytes / GS_STORE_PAGE_SIZE, got = 0;

		snprintf(sql, sizeof(sql), "PRAGMA max_page_count=%" PRId64,
		         pages > 0 ? pages : 1);
		rc = gs_store_query_int(st, sql, &got);
		if (rc != GS_OK)
			return rc;
		gs_log(GS_LOG_DEBUG, "store %s: capped at %" PRId64 " pages",
		       st->path, got);
	}
	return GS_OK;
}

static int gs_store_migrate(struct gs_store *st)
{
	int64_t version = 0, from;
	char sql[64];
	int rc;

	rc = gs_store_query_int(st, "PRAGMA user_version", &version);
	if (rc != GS_OK)
		return rc;
	from = version;
	if (version > GS_STORE_SCHEMA_VERSION || version < 0) {
		gs_log(GS_LOG_ERR,
		       "store %s: schema version %" PRId64
		       " is newer than this gapsense knows (%d): refusing to "
		       "touch it",
		       st->path, version, GS_STORE_SCHEMA_VERSION);
		return GS_ESTORE;
	}
	for (; version < GS_STORE_SCHEMA_VERSION; version++) {
		rc = gs_store_exec(st, "BEGIN IMMEDIATE", "begin migration");
		if (rc != GS_OK)
			return rc;
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%" PRId64,
		         version + 1);
		rc = gs_store_exec(st, gs_store_migrations[version],
		                   "migrating the schema");
		if (rc == GS_OK)
			rc = gs_store_exec(st, sql, "setting user_version");
		if (rc == GS_OK)
			rc = gs_store_exec(st, "COMMIT", "commit migration");
		if (rc != GS_OK) {
			if (!sqlite3_get_autocommit(st->db))
				(void)sqlite3_exec(st->db, "ROLLBACK", NULL,
				                   NULL, NULL);
			gs_log(GS_LOG_ERR,
			       "store %s: migration to schema v%" PRId64
			       " failed; the file is still at v%" PRId64,
			       st->path, version + 1, version);
			return rc;
		}
	}
	if (from == 0)
		gs_log(GS_LOG_INFO, "store %s: created (schema v%d)", st->path,
		       GS_STORE_SCHEMA_VERSION);
	else if (from < GS_STORE_SCHEMA_VERSION)
		gs_log(GS_LOG_NOTICE,
		       "store %s: schema migrated from v%" PRId64 " to v%d",
		       st->path, from, GS_STORE_SCHEMA_VERSION);
	return GS_OK;
}

static int gs_store_prepare(struct gs_store *st)
{
	for (size_t i = 0; i < GS_SQL_COUNT_; i++) {
		int rc = sqlite3_prepare_v3(st->db, gs_store_sql[i], -1,
		                            SQLITE_PREPARE_PERSISTENT,
		                            &st->stmt[i], NULL);

		if (rc != SQLITE_OK) {
			gs_log(GS_LOG_ERR, "store %s: preparing \"%s\": %s",
			       st->path, gs_store_sql[i],
			       sqlite3_errmsg(st->db));
			return gs_store_map_err(rc);
		}
	}
	return GS_OK;
}

/*
 * A reservation left open: the daemon stopped while the disk was full, and
 * messages may have left from memory with seqs up to it that were never
 * stored. They are never handed out again: the next seq follows it.
 */
static int gs_store_load_reservation(struct gs_store *st)
{
	int64_t reserved = 0, t_ms = 0;
	int rc = gs_store_query_int(st,
	                            "SELECT coalesce((SELECT value FROM meta"
	                            " WHERE key = '" GS_META_RESERVED "'), 0)",
	                            &reserved);

	if (rc == GS_OK)
		rc = gs_store_query_int(
		    st,
		    "SELECT coalesce((SELECT value FROM meta"
		    " WHERE key = '" GS_META_RESERVED_MS "'), 0)",
		    &t_ms);
	if (rc != GS_OK)
		return rc;
	if (reserved <= 0 || (uint64_t)reserved <= st->last_seq)
		return GS_OK;
	gs_log(GS_LOG_WARNING,
	       "store %s: seqs %" PRIu64 " to %" PRId64 " were reserved while "
	       "the disk was full and not all stored: continuing after them",
	       st->path, st->last_seq + 1, reserved);
	st->gap_first = st->last_seq + 1;
	st->gap_last = (uint64_t)reserved;
	st->gap_ms = t_ms;
	st->last_seq = st->committed_seq = st->taken = (uint64_t)reserved;
	st->reserved_to = (uint64_t)reserved;
	return GS_OK;
}

/* The seq to continue from: meta, and never below a stored message's. */
static int gs_store_load_seq(struct gs_store *st)
{
	int64_t meta = 0, rows = 0;
	int rc;

	rc = gs_store_query_int(st,
	                        "SELECT coalesce((SELECT value FROM meta"
	                        " WHERE key = '" GS_META_SEQ "'), 0)",
	                        &meta);
	if (rc == GS_OK)
		rc = gs_store_query_int(
		    st,
		    "SELECT max(coalesce((SELECT max(seq) FROM outbox), 0),"
		    " coalesce((SELECT max(seq) FROM windows), 0))",
		    &rows);
	if (rc != GS_OK)
		return rc;
	if (rows > meta) {
		gs_log(GS_LOG_WARNING,
		       "store %s: stored seq %" PRId64
		       " is behind the messages (%" PRId64 "); continuing "
		       "after them",
		       st->path, meta, rows);
		meta = rows;
	}
	st->last_seq = st->committed_seq = (uint64_t)(meta > 0 ? meta : 0);
	return gs_store_load_reservation(st);
}

int gs_store_open(const char *path, const struct gs_store_opts *opts,
                  struct gs_store **out)
{
	struct gs_store *st;
	int rc;

	if (!path || !*path || !out) {
		gs_log(GS_LOG_ERR, "store: no database path given");
		return GS_EINVAL;
	}
	bool shm_ok;

	st = calloc(1, sizeof(*st));
	if (!st)
		return GS_ENOMEM;
	st->shm_fd = -1;
	/* A full disk lets a commit through now and then: "writing again"
	 * once it has stayed that way. */
	st->complaint.clear_ms = GS_STORE_CLEAR_MS;
	st->ckpt.clear_ms = GS_STORE_CLEAR_MS;
	st->path = strdup(path);
	if (!st->path || asprintf(&st->reserve_path, "%s-reserve", path) < 0) {
		st->reserve_path = NULL;
		rc = GS_ENOMEM;
		goto err_free;
	}
	shm_ok = gs_store_room_before_open(st);
	rc = sqlite3_open_v2(path, &st->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                         SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK) {
		gs_log(GS_LOG_ERR, "store %s: cannot open: %s", path,
		       st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		rc = rc == SQLITE_CANTOPEN ? GS_EIO : gs_store_map_err(rc);
		goto err_close;
	}
	(void)sqlite3_rollback_hook(st->db, gs_store_rollback_hook, st);
	rc = sqlite3_extended_result_codes(st->db, 1);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(st->db, GS_STORE_BUSY_MS);
	if (rc == SQLITE_OK && !shm_ok)
		rc = sqlite3_exec(st->db, "PRAGMA locking_mode=EXCLUSIVE", NULL,
		                  NULL, NULL);
	if (rc != SQLITE_OK) {
		gs_log(GS_LOG_ERR, "store %s: %s", path,
		       sqlite3_errmsg(st->db));
		rc = gs_store_map_err(rc);
		goto err_close;
	}
	rc = gs_store_set_pragmas(st, opts);
	if (rc == GS_OK && shm_ok)
		gs_store_room_shm(st);
	if (rc == GS_OK)
		rc = gs_store_migrate(st);
	if (rc == GS_OK)
		rc = gs_store_prepare(st);
	if (rc == GS_OK)
		rc = gs_store_load_seq(st);
	if (rc != GS_OK)
		goto err_close;
	gs_store_reserve_create(st);
	*out = st;
	return GS_OK;

err_close:
	for (size_t i = 0; i < GS_SQL_COUNT_; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	if (st->shm_fd >= 0)
		close(st->shm_fd);
err_free:
	free(st->reserve_path);
	free(st->path);
	free(st);
	return rc;
}

void gs_store_close(struct gs_store *st)
{
	int rc;

	if (!st)
		return;
	if (st->in_txn && gs_store_commit(st) != GS_OK)
		gs_log(GS_LOG_ERR,
		       "store %s: the last writes were lost at close",
		       st->path);
	for (size_t i = 0; i < GS_SQL_COUNT_; i++)
		sqlite3_finalize(st->stmt[i]);
	/* The last connection checkpoints the WAL into the file here. */
	rc = sqlite3_close(st->db);
	if (rc != SQLITE_OK)
		gs_log(GS_LOG_ERR, "store %s: close: %s", st->path,
		       sqlite3_errstr(rc));
	if (st->shm_fd >= 0)
		close(st->shm_fd);
	free(st->reserve_path);
	free(st->path);
	free(st);
}

int gs_store_remove(const char *path)
{
	static const char *const suffixes[] = {
	    "", "-wal", "-shm", "-journal", "-probe", "-reserve"};
	char name[PATH_MAX];
	int rc = GS_OK;

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		int n = snprintf(name, sizeof(name), "%s%s", path, suffixes[i]);

		if (n < 0 || (size_t)n >= sizeof(name))
			return GS_EINVAL;
		if (unlink(name) != 0 && errno != ENOENT) {
			gs_log(GS_LOG_WARNING, "store: cannot remove %s: %s",
			       name, strerror(errno));
			rc = GS_EIO;
		}
	}
	return rc;
}
