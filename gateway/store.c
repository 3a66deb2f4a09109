/* SPDX-License-Identifier: MIT */
/*
 * The store's transactions, errors, the disk's reserve and meta; opening
 * and the schema are store_open.c, events store_events.c, the outbox and
 * windows store_outbox.c. docs/storage.md explains the choices with
 * figures.
 */
#include "gateway/store_priv.h"
#include "gateway/err.h"
#include "gateway/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

int gs_store_map_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return GS_OK;
	case SQLITE_FULL:
		return GS_EFULL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return GS_EBUSY;
	case SQLITE_NOMEM:
		return GS_ENOMEM;
	case SQLITE_IOERR:
		return GS_EIO;
	case SQLITE_PERM:
	case SQLITE_READONLY:
	case SQLITE_AUTH:
		return GS_EPERM;
	default:
		return GS_ESTORE;
	}
}

/* Sets the connection's synchronous level, outside a transaction (SQLite
 * refuses to change it inside one). Logs a failure. */
static int gs_store_level(struct gs_store *st, bool full)
{
	int rc;

	if (st->level_full == full || st->ephemeral)
		return SQLITE_OK;
	rc = sqlite3_exec(st->db,
	                  full ? "PRAGMA synchronous=FULL"
	                       : "PRAGMA synchronous=NORMAL",
	                  NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		gs_log(GS_LOG_ERR, "store %s: synchronous: %s", st->path,
		       sqlite3_errmsg(st->db));
	else
		st->level_full = full;
	return rc;
}

/* Ends the open transaction with ROLLBACK and forgets everything the
 * store remembered about it. */
static void gs_store_abort(struct gs_store *st)
{
	int rc;

	if (!sqlite3_get_autocommit(st->db)) {
		rc = gs_store_run(st->stmt[GS_SQL_ROLLBACK]);
		if (rc != SQLITE_OK)
			gs_log(GS_LOG_ERR, "store %s: rollback: %s", st->path,
			       sqlite3_errmsg(st->db));
	}
	st->in_txn = false;
	st->txn_durable = false;
	(void)gs_store_level(st, st->sync_commits);
	st->uncommitted = 0;
	st->last_seq = st->committed_seq;
	st->closing = false;
	st->reack = st->n_acked > 0;
	/* Rows added by the transaction are gone: ids cached from it too. */
	st->boot_row = 0;
	st->prune_active = false;
	gs_store_sensor_cache_clear(st);
}

static int gs_store_log_err(struct gs_store *st, int rc, const char *what)
{
	gs_complain(&st->complaint, GS_LOG_ERR, "store %s: %s: %s (%s)",
	            st->path, what, sqlite3_errmsg(st->db), sqlite3_errstr(rc));
	return gs_store_map_err(rc);
}

void gs_store_reserve_create(struct gs_store *st)
{
	struct statvfs fs;
	struct stat sb;
	uint64_t avail;
	int fd, err;

	if (stat(st->reserve_path, &sb) == 0 &&
	    sb.st_blocks * 512 >= GS_STORE_RESERVE_BYTES)
		return;
	if (statvfs(st->path, &fs) != 0) {
		gs_log(GS_LOG_WARNING, "store %s: statvfs: %s", st->path,
		       strerror(errno));
		return;
	}
	avail = (uint64_t)fs.f_bavail * fs.f_frsize;
	if (avail < 4 * (uint64_t)GS_STORE_RESERVE_BYTES) {
		gs_log(GS_LOG_WARNING,
		       "store %s: %" PRIu64 " KiB free: too little for a "
		       "disk reserve",
		       st->path, avail / 1024);
		return;
	}
	fd = open(st->reserve_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		gs_log(GS_LOG_WARNING, "store %s: %s", st->reserve_path,
		       strerror(errno));
		return;
	}
	/* Allocated blocks, not a sparse file: nothing written. */
	err = posix_fallocate(fd, 0, GS_STORE_RESERVE_BYTES);
	if (err != 0)
		gs_log(GS_LOG_WARNING, "store %s: fallocate: %s",
		       st->reserve_path, strerror(err));
	if (close(fd) != 0 && err == 0) {
		err = errno;
		gs_log(GS_LOG_WARNING, "store %s: close: %s", st->reserve_path,
		       strerror(err));
	}
	if (err != 0 && unlink(st->reserve_path) != 0)
		gs_log(GS_LOG_WARNING, "store %s: unlink: %s", st->reserve_path,
		       strerror(errno));
}

static void gs_store_reserve_release(struct gs_store *st)
{
	st->settle_wal = true;
	if (unlink(st->reserve_path) == 0)
		gs_log(GS_LOG_WARNING,
		       "store %s: disk full: released the %d KiB reserve so "
		       "that old data can be deleted; it is made again at the "
		       "next start",
		       st->path, GS_STORE_RESERVE_BYTES / 1024);
	else if (errno != ENOENT)
		gs_log(GS_LOG_ERR, "store %s: unlink: %s", st->reserve_path,
		       strerror(errno));
}

/* After a full disk: a checkpoint now, while the reserve's room is there,
 * so that the WAL starts again from its beginning and later commits reuse
 * its space instead of growing it. */
static void gs_store_settle_wal(struct gs_store *st)
{
	int log_frames = 0, done = 0;
	int rc = sqlite3_wal_checkpoint_v2(
	    st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &done);

	if (rc == SQLITE_OK && done == log_frames) {
		st->settle_wal = false;
		gs_complain_release(&st->ckpt, GS_LOG_NOTICE,
		                    "store %s: WAL checkpointed (%d frames)",
		                    st->path, done);
	} else if (rc != SQLITE_OK) {
		gs_complain(&st->ckpt, GS_LOG_WARNING,
		            "store %s: checkpoint: %s", st->path,
		            sqlite3_errmsg(st->db));
	}
}

int gs_store_write_failed(struct gs_store *st, int rc, const char *what)
{
	int err = gs_store_log_err(st, rc, what);

	gs_store_abort(st);
	if (err == GS_EFULL)
		gs_store_reserve_release(st);
	if (st->on_rollback)
		st->on_rollback(st->on_rollback_ctx, err);
	return err;
}

int gs_store_read_failed(struct gs_store *st, int rc, const char *what)
{
	int err = gs_store_log_err(st, rc, what);

	if (st->in_txn && sqlite3_get_autocommit(st->db)) {
		gs_store_abort(st);
		if (st->on_rollback)
			st->on_rollback(st->on_rollback_ctx, err);
	}
	return err;
}

uint64_t gs_store_version(const struct gs_store *st)
{
	return (uint64_t)sqlite3_total_changes64(st->db) + st->rollbacks + 1;
}

/* SQLite's rollback hook: explicit rollbacks and those it makes itself
 * (SQLITE_FULL) alike. */
void gs_store_rollback_hook(void *ctx)
{
	struct gs_store *st = ctx;

	st->rollbacks++;
}

void gs_store_on_rollback(struct gs_store *st, void (*fn)(void *ctx, int err),
                          void *ctx)
{
	st->on_rollback = fn;
	st->on_rollback_ctx = ctx;
}

int gs_store_run(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	/* reset repeats step's error, which rc already holds. */
	(void)sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* After BEGIN: the acknowledgements a rollback took back, again. */
static int gs_store_reack(struct gs_store *st)
{
	sqlite3_stmt *s = st->stmt[GS_SQL_OUTBOX_ACK];
	int rc;

	if (!st->reack)
		return GS_OK;
	for (unsigned i = 0; i < st->n_acked; i++) {
		if ((rc = sqlite3_bind_int64(s, 1, st->acked[i])) !=
		        SQLITE_OK ||
		    (rc = gs_store_run(s)) != SQLITE_OK)
			return gs_store_write_failed(st, rc, "acknowledging");
		st->uncommitted += (unsigned)sqlite3_changes(st->db);
	}
	st->reack = false;
	return GS_OK;
}

int gs_store_begin(struct gs_store *st)
{
	int rc;

	if (st->in_txn)
		return GS_OK;
	rc = gs_store_run(st->stmt[GS_SQL_BEGIN]);
	if (rc != SQLITE_OK)
		return gs_store_write_failed(st, rc, "begin");
	st->in_txn = true;
	if (st->on_begin)
		st->on_begin(st->on_begin_ctx);
	return gs_store_reack(st);
}

/*
 * synchronous=NORMAL lets a power cut take back the last commits. That is
 * fine for events, but not for a message: once published and acknowledged,
 * its seq must never be handed out again, so outbox rows commit with the
 * WAL fsynced (a few per window, not per event). The level cannot change
 * inside a transaction, hence the commit of pending events first.
 */
int gs_store_begin_durable(struct gs_store *st)
{
	int rc;

	if (st->in_txn && st->txn_durable)
		return GS_OK;
	if (st->in_txn) {
		rc = gs_store_commit(st);
		if (rc != GS_OK)
			return rc;
	}
	rc = gs_store_level(st, true);
	if (rc != SQLITE_OK)
		return gs_store_write_failed(st, rc, "synchronous=FULL");
	st->txn_durable = true;
	rc = gs_store_run(st->stmt[GS_SQL_BEGIN]);
	if (rc != SQLITE_OK)
		return gs_store_write_failed(st, rc, "begin");
	st->in_txn = true;
	if (st->on_begin)
		st->on_begin(st->on_begin_ctx);
	return gs_store_reack(st);
}

int gs_store_commit(struct gs_store *st)
{
	int rc;

	if (!st || !st->in_txn)
		return GS_OK;
	rc = gs_store_run(st->stmt[GS_SQL_COMMIT]);
	if (rc != SQLITE_OK)
		return gs_store_write_failed(st, rc, "commit");
	st->in_txn = false;
	st->uncommitted = 0;
	st->committed_seq = st->last_seq;
	if (st->closing)
		st->reserved_to = 0;
	st->closing = false;
	st->commits++;
	st->n_acked = 0;
	/* FULL synced the WAL at this commit, every commit before it too. */
	if (st->level_full)
		st->synced_commits = st->commits;
	st->txn_durable = false;
	(void)gs_store_level(st, st->sync_commits);
	gs_complain_release(&st->complaint, GS_LOG_NOTICE,
	                    "store %s: writing again", st->path);
	if (st->settle_wal)
		gs_store_settle_wal(st);
	return GS_OK;
}

/*
 * The WAL file through SQLite's own handle (the same VFS, so the tests'
 * wrappers see it): syncing it makes every frame written so far durable,
 * and recovery at the next open keeps each commit whose frames are all
 * there. Nothing is checkpointed: that would copy pages into the database
 * file, more writes for the same durability.
 */
int gs_store_sync(struct gs_store *st)
{
	sqlite3_file *wal = NULL;
	int rc;

	if (!st || st->synced_commits == st->commits || st->ephemeral)
		return GS_OK;
	rc = sqlite3_file_control(st->db, "main", SQLITE_FCNTL_JOURNAL_POINTER,
	                          &wal);
	if (rc == SQLITE_OK && wal && wal->pMethods)
		rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
	if (rc != SQLITE_OK) {
		gs_complain(&st->complaint, GS_LOG_ERR,
		            "store %s: syncing the WAL: %s", st->path,
		            sqlite3_errstr(rc));
		return GS_EIO;
	}
	st->synced_commits = st->commits;
	return GS_OK;
}

int gs_store_set_sync_commits(struct gs_store *st, bool on)
{
	st->sync_commits = on;
	if (st->in_txn)
		return GS_OK;
	return gs_store_level(st, on) == SQLITE_OK ? GS_OK : GS_ESTORE;
}

int gs_store_end_if_idle(struct gs_store *st)
{
	if (st->in_txn && st->uncommitted == 0)
		return gs_store_commit(st);
	return GS_OK;
}

bool gs_store_in_txn(const struct gs_store *st)
{
	return st && st->in_txn;
}

unsigned gs_store_uncommitted(const struct gs_store *st)
{
	return st ? st->uncommitted : 0;
}

uint64_t gs_store_commits(const struct gs_store *st)
{
	return st ? st->commits : 0;
}

uint64_t gs_store_last_seq(const struct gs_store *st)
{
	return st ? st->last_seq : 0;
}

int gs_store_meta_get(struct gs_store *st, const char *key, char *buf,
                      size_t len)
{
	sqlite3_stmt *s;
	const unsigned char *v;
	size_t n;
	int rc;

	if (!st || !key || !buf || len == 0)
		return GS_EINVAL;
	s = st->stmt[GS_SQL_META_GET];
	rc = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK)
		return gs_store_read_failed(st, rc, "meta get");
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		(void)sqlite3_reset(s);
		return GS_ENOENT;
	}
	if (rc != SQLITE_ROW) {
		(void)sqlite3_reset(s);
		return gs_store_read_failed(st, rc, "meta get");
	}
	v = sqlite3_column_text(s, 0);
	n = (size_t)sqlite3_column_bytes(s, 0);
	if (!v && sqlite3_errcode(st->db) == SQLITE_NOMEM) {
		(void)sqlite3_reset(s);
		return GS_ENOMEM;
	}
	if (n >= len) {
		(void)sqlite3_reset(s);
		gs_log(GS_LOG_ERR,
		       "store %s: meta %s: value of %zu bytes does not fit "
		       "%zu",
		       st->path, key, n, len);
		return GS_EINVAL;
	}
	memcpy(buf, v ? (const char *)v : "", n);
	buf[n] = '\0';
	(void)sqlite3_reset(s);
	return GS_OK;
}

int gs_store_meta_set(struct gs_store *st, const char *key, const char *value)
{
	sqlite3_stmt *s;
	int rc;

	if (!st || !key || !*key || !value)
		return GS_EINVAL;
	if (strncmp(key, GS_META_PREFIX, strlen(GS_META_PREFIX)) == 0) {
		gs_log(GS_LOG_ERR, "store %s: meta key %s is the store's own",
		       st->path, key);
		return GS_EINVAL;
	}
	rc = gs_store_begin(st);
	if (rc != GS_OK)
		return rc;
	s = st->stmt[GS_SQL_META_SET];
	if ((rc = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC)) !=
	        SQLITE_OK ||
	    (rc = sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC)) !=
	        SQLITE_OK ||
	    (rc = gs_store_run(s)) != SQLITE_OK)
		return gs_store_write_failed(st, rc, "meta set");
	st->uncommitted++;
	return GS_OK;
}
