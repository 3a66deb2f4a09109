/* SPDX-License-Identifier: MIT */
/*
 * The SQLite store on real temporary files: reopen, a crash, migration
 * from v1, a full disk, the outbox, windows, meta and retention. Every test
 * ends with PRAGMA integrity_check on the file.
 */
#include "gateway/err.h"
#include "gateway/event.h"
#include "gateway/msg.h"
#include "gateway/store.h"
#include "gateway/txn.h"
#include "testutil.h"
#include "vfs_wrap.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define T0      INT64_C(1795424400000) /* 2026-11-23T09:00:00Z */
#define MIN     INT64_C(60000)
#define HOUR_MS (60 * MIN)
#define TOPIC_M "gapsense/v1/store-042/till-1/metrics"
#define TOPIC_A "gapsense/v1/store-042/till-1/alerts"

struct fixture {
	char *dir;
	char *path;
	struct vfs_wrap *wrap; /* registered by the test, if any */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = gs_test_mkdtemp();
	assert_true(asprintf(&f->path, "%s/gapsense.db", f->dir) > 0);
	*state = f;
	return 0;
}

/* The file must be sound whatever the test did to it. */
static void assert_integrity(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	                 SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
	/* Every event's sensor and boot exist (not enforced at run time). */
	assert_int_equal(
	    sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	/* Also when an assertion left the test early. */
	if (f->wrap) {
		vfs_wrap_unregister(f->wrap);
		free(f->wrap);
	}
	assert_integrity(f->path);
	free(f->path);
	gs_test_rmdir(f->dir);
	free(f);
	return 0;
}

/* A query on the file through a second connection, as an operator would
 * look at it with the sqlite3 shell. */
static int64_t query_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* WAL mode is in the file: header bytes 18 and 19 are 2. */
static void assert_wal_mode(const char *path)
{
	unsigned char hdr[20];
	FILE *fp = fopen(path, "rb");

	assert_non_null(fp);
	assert_int_equal(fread(hdr, 1, sizeof(hdr), fp), sizeof(hdr));
	fclose(fp);
	assert_int_equal(hdr[18], 2);
	assert_int_equal(hdr[19], 2);
}

static struct gs_store *open_store(const char *path, int64_t max_bytes)
{
	struct gs_store_opts opts = {.max_bytes = max_bytes};
	struct gs_store *st = NULL;

	assert_int_equal(gs_store_open(path, &opts, &st), GS_OK);
	assert_non_null(st);
	return st;
}

static struct gs_event event_at(int64_t t_ms, uint8_t kind)
{
	struct gs_event ev = {.t_ms = t_ms, .kind = kind};

	return ev;
}

/* A metrics-like payload with a placeholder seq in second place. */
static cJSON *payload(const char *schema, int64_t start_ms, size_t pad)
{
	cJSON *p = cJSON_CreateObject();
	char *fill;

	assert_non_null(p);
	assert_non_null(cJSON_AddStringToObject(p, "schema", schema));
	assert_non_null(gs_json_add_int(p, "seq", 0));
	assert_non_null(gs_json_add_time(p, "window_start", start_ms, false));
	fill = calloc(1, pad + 1);
	assert_non_null(fill);
	memset(fill, 'x', pad);
	assert_non_null(cJSON_AddStringToObject(p, "pad", fill));
	free(fill);
	return p;
}

static uint64_t enqueue(struct gs_store *st, enum gs_msg_kind kind,
                        int64_t t_ms, int64_t start_ms, size_t pad)
{
	cJSON *p = payload(kind == GS_MSG_METRICS ? "gapsense.metrics.v1"
	                                          : "gapsense.alert.v1",
	                   start_ms, pad);
	uint64_t seq = 0;

	assert_int_equal(
	    gs_store_enqueue(st, kind,
	                     kind == GS_MSG_METRICS ? TOPIC_M : TOPIC_A, t_ms,
	                     start_ms, p, &seq),
	    GS_OK);
	cJSON_Delete(p);
	return seq;
}

static void test_create_and_reopen(void **state)
{
	struct fixture *f = *state;
	struct gs_store *st = open_store(f->path, 0);
	struct gs_event ev = event_at(T0, GS_EV_PRESS);
	cJSON *p;
	char *text;
	uint64_t seq;

	assert_int_equal(gs_store_schema_version(), 5);
	assert_int_equal(gs_store_last_seq(st), 0);
	assert_int_equal(gs_store_set_boot(st, "3f1c5e2a-0d7e-4b8e-9a51-"
	                                       "6f1e2d3c4b5a"),
	                 GS_OK);
	ev.value = 4;
	ev.flags = GS_EVF_MISUSE;
	assert_int_equal(gs_store_add_event(st, &ev, "smiley-exit", 1000),
	                 GS_OK);
	ev = event_at(T0 + 1, GS_EV_IN);
	assert_int_equal(gs_store_add_event(st, &ev, "entrance", 2000), GS_OK);
	assert_int_equal(gs_store_add_event(st, &ev, "entrance", 3000), GS_OK);
	assert_true(gs_store_uncommitted(st) >= 3);

	/* seq replaces the placeholder where it stands. */
	p = payload("gapsense.metrics.v1", T0, 0);
	assert_int_equal(
	    gs_store_enqueue(st, GS_MSG_METRICS, TOPIC_M, T0, T0, p, &seq),
	    GS_OK);
	assert_int_equal(seq, 1);
	text = gs_json_print(p);
	assert_string_equal(text,
	                    "{\"schema\":\"gapsense.metrics.v1\",\"seq\":1,"
	                    "\"window_start\":\"2026-11-23T09:00:00Z\","
	                    "\"pad\":\"\"}");
	cJSON_free(text);
	cJSON_Delete(p);
	assert_int_equal(enqueue(st, GS_MSG_ALERT, T0, T0, 10), 2);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_int_equal(gs_store_uncommitted(st), 0);
	assert_int_equal(gs_store_commit(st), GS_OK); /* nothing open */
	gs_store_close(st);

	assert_int_equal(query_int(f->path, "PRAGMA user_version"), 5);
	assert_int_equal(query_int(f->path, "PRAGMA page_size"), 1024);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM events"), 3);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM sensors"), 2);
	assert_int_equal(query_int(f->path,
	                           "SELECT count(*) FROM events WHERE boot = "
	                           "(SELECT id FROM boots)"),
	                 3);
	assert_int_equal(query_int(f->path,
	                           "SELECT value + 10 * flags FROM events"
	                           " WHERE mono_ns = 1000"),
	                 14);

	st = open_store(f->path, 0);
	assert_int_equal(gs_store_last_seq(st), 2);
	assert_int_equal(enqueue(st, GS_MSG_ALERT, T0 + MIN, T0, 0), 3);
	/* The same boot again is the same row. */
	assert_int_equal(gs_store_set_boot(st, "3f1c5e2a-0d7e-4b8e-9a51-"
	                                       "6f1e2d3c4b5a"),
	                 GS_OK);
	gs_store_close(st); /* commits */
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM boots"), 1);
	assert_int_equal(query_int(f->path, "SELECT max(seq) FROM outbox"), 3);
	assert_wal_mode(f->path);
}

/* Dies like a power cut of the process: no close, no commit. */
static void crash_child(const char *path)
{
	struct gs_store_opts opts = {0};
	struct gs_store *st;
	struct gs_event ev = event_at(T0, GS_EV_IN);
	cJSON *p;
	uint64_t seq;

	if (gs_store_open(path, &opts, &st) != GS_OK)
		_exit(2);
	p = payload("gapsense.metrics.v1", T0, 0);
	if (gs_store_enqueue(st, GS_MSG_METRICS, TOPIC_M, T0, T0, p, &seq) ||
	    seq != 1 || gs_store_add_event(st, &ev, "entrance", 1) ||
	    gs_store_commit(st))
		_exit(3);
	if (gs_store_enqueue(st, GS_MSG_ALERT, TOPIC_A, T0, T0, p, &seq) ||
	    seq != 2)
		_exit(5);
	/* In the same open transaction as message 2. */
	for (int i = 0; i < 10; i++)
		if (gs_store_add_event(st, &ev, "entrance", 3))
			_exit(6);
	raise(SIGKILL);
	_exit(6);
}

static void test_crash_loses_only_uncommitted(void **state)
{
	struct fixture *f = *state;
	struct gs_outbox_msg msgs[4];
	struct gs_store *st;
	size_t n = 0;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		crash_child(f->path);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	st = open_store(f->path, 0);
	assert_int_equal(gs_store_last_seq(st), 1);
	assert_int_equal(gs_store_outbox_fetch(st, 0, -1, msgs, 4, &n), GS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(msgs[0].seq, 1);
	assert_int_equal(msgs[0].kind, GS_MSG_METRICS);
	gs_outbox_msg_clear(&msgs[0]);

	/* seq 2 never left the dead process (fetch shows committed rows
	 * only), so the next message takes it; seq 1 is never reissued. */
	assert_int_equal(enqueue(st, GS_MSG_ALERT, T0 + 5, T0, 3), 2);
	/* Not published before it is committed. */
	assert_int_equal(gs_store_outbox_fetch(st, 0, -1, msgs, 4, &n), GS_OK);
	assert_int_equal(n, 1);
	gs_outbox_msg_clear(&msgs[0]);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_int_equal(gs_store_outbox_fetch(st, 0, -1, msgs, 4, &n), GS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(msgs[1].seq, 2);
	assert_int_equal(msgs[1].kind, GS_MSG_ALERT);
	assert_non_null(strstr(msgs[1].payload, "\"pad\":\"xxx\""));
	gs_outbox_msg_clear(&msgs[0]);
	gs_outbox_msg_clear(&msgs[1]);
	gs_store_close(st);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM events"), 1);
}

/* The v1 schema as gapsense 0.1 created it, with some data. */
#define V1_MSG6 "{\"seq\":6}"
#define V1_MSG7 "{\"seq\":7,\"t\":\"\xc3\xa9\"}" /* 18 bytes, 17 characters */
static const char v1_db[] =
    "PRAGMA page_size=4096; PRAGMA journal_mode=WAL;"
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
    " payload TEXT NOT NULL);"
    "INSERT INTO sensors VALUES(1, 'entrance');"
    "INSERT INTO events VALUES(1, 1795424400000, 5, 1, 0, 0, 0, 0);"
    "INSERT INTO windows VALUES(1795424400000, 6, '{\"seq\":6}');"
    "INSERT INTO outbox VALUES(6, 0, 'a/b', 1795424400000, '" V1_MSG6 "');"
    "INSERT INTO outbox VALUES(7, 1, 'a/b', 1795424400001, '" V1_MSG7 "');"
    "INSERT INTO meta VALUES('store.seq', 7);"
    "PRAGMA user_version=1;";

static void test_migration_from_v1(void **state)
{
	struct fixture *f = *state;
	struct gs_outbox_stats stats;
	struct gs_outbox_msg msgs[3];
	struct gs_event ev = event_at(T0 + 1, GS_EV_OUT);
	struct gs_store *st;
	sqlite3 *db;
	size_t n;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v1_db, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	st = open_store(f->path, 0);
	assert_int_equal(gs_store_last_seq(st), 7);
	assert_int_equal(gs_store_outbox_stats(st, &stats), GS_OK);
	assert_int_equal(stats.pending, 2);
	/* bytes backfilled in bytes, not characters (é is two). */
	assert_int_equal(stats.bytes,
	                 3 + strlen(V1_MSG6) + 3 + strlen(V1_MSG7));
	assert_int_equal(stats.oldest_ms, 1795424400000);
	assert_int_equal(gs_store_outbox_fetch(st, 6, -1, msgs, 3, &n), GS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(msgs[0].seq, 7);
	assert_int_equal(msgs[0].kind, GS_MSG_ALERT);
	assert_string_equal(msgs[0].payload, V1_MSG7);
	assert_int_equal(msgs[0].payload_len, strlen(V1_MSG7));
	gs_outbox_msg_clear(&msgs[0]);
	/* The old sensor id is reused; new rows get a boot. */
	assert_int_equal(gs_store_set_boot(st, "boot-b"), GS_OK);
	assert_int_equal(gs_store_add_event(st, &ev, "entrance", 9), GS_OK);
	assert_int_equal(enqueue(st, GS_MSG_METRICS, T0, T0 + 15 * MIN, 0), 8);
	gs_store_close(st);

	assert_int_equal(query_int(f->path, "PRAGMA user_version"), 5);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM sensors"), 1);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM events"
	                                    " WHERE sensor = 1"),
	                 2);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM events"
	                                    " WHERE boot IS NULL"),
	                 1);
	assert_int_equal(query_int(f->path, "SELECT count(*)"
	                                    " FROM pragma_foreign_key_check"),
	                 0);
}

static void test_refuses_newer_or_foreign_files(void **state)
{
	struct fixture *f = *state;
	struct gs_store_opts opts = {0};
	struct gs_store *st = NULL;
	sqlite3 *db;
	char *junk;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                              "CREATE TABLE future(x);"
	                              "PRAGMA user_version=99;",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_int_equal(gs_store_open(f->path, &opts, &st), GS_ESTORE);
	assert_null(st);
	assert_int_equal(query_int(f->path, "PRAGMA user_version"), 99);

	junk = gs_test_write_file(f->dir, "junk.db",
	                          "this is not a database, but it is long "
	                          "enough to have a header of one\n");
	assert_int_not_equal(gs_store_open(junk, &opts, &st), GS_OK);
	assert_null(st);
	free(junk);
	assert_int_equal(gs_store_open("/nonexistent-dir/x.db", &opts, &st),
	                 GS_EIO);
	assert_int_equal(gs_store_open(NULL, &opts, &st), GS_EINVAL);
	gs_store_close(NULL);
}

static void test_bad_input(void **state)
{
	struct fixture *f = *state;
	struct gs_store *st = open_store(f->path, 0);
	struct gs_event ev = event_at(T0, GS_EV_KIND_COUNT_);
	cJSON *arr = cJSON_CreateArray();
	cJSON *p = payload("x", T0, 0);
	struct gs_outbox_msg m;
	size_t n = 1;

	assert_int_equal(gs_store_add_event(st, &ev, "entrance", 0), GS_EINVAL);
	ev.kind = GS_EV_IN;
	assert_int_equal(gs_store_add_event(st, &ev, "", 0), GS_EINVAL);
	assert_int_equal(gs_store_add_event(st, &ev, NULL, 0), GS_EINVAL);
	assert_int_equal(
	    gs_store_enqueue(st, GS_MSG_METRICS, TOPIC_M, T0, T0, arr, NULL),
	    GS_EINVAL);
	assert_int_equal(
	    gs_store_enqueue(st, GS_MSG_KIND_COUNT_, TOPIC_M, T0, T0, p, NULL),
	    GS_EINVAL);
	assert_int_equal(
	    gs_store_enqueue(st, GS_MSG_ALERT, "", T0, T0, p, NULL), GS_EINVAL);
	assert_int_equal(gs_store_set_boot(st, ""), GS_EINVAL);
	assert_int_equal(gs_store_set_boot(st, "has space"), GS_EINVAL);
	assert_int_equal(gs_store_outbox_fetch(st, 0, -1, &m, 1, &n), GS_OK);
	assert_int_equal(n, 0);
	assert_int_equal(gs_store_outbox_enforce(st, -1, 0, T0, NULL),
	                 GS_EINVAL);
	assert_int_equal(gs_store_last_seq(st), 0);
	assert_int_equal(gs_store_uncommitted(NULL), 0);
	cJSON_Delete(arr);
	cJSON_Delete(p);
	gs_store_close(st);
}

/*
 * A full disk (max_page_count): the failing write or commit says GS_EFULL,
 * everything committed before is intact, and once the quota drops old
 * messages the next commit succeeds.
 */
static void test_full_disk_is_survived(void **state)
{
	struct fixture *f = *state;
	struct gs_store *st = open_store(f->path, 192 * 1024);
	struct gs_outbox_stats stats;
	struct gs_outbox_msg m;
	uint64_t committed = 0, dropped = 0, seq;
	size_t n;
	int rc = GS_OK, i;

	for (i = 0; i < 1000 && rc == GS_OK; i++) {
		cJSON *p =
		    payload("gapsense.metrics.v1", T0 + i * 15 * MIN, 1500);

		rc = gs_store_enqueue(st, GS_MSG_METRICS, TOPIC_M, T0 + i,
		                      T0 + i * 15 * MIN, p, &seq);
		if (rc == GS_OK)
			rc = gs_store_commit(st);
		if (rc == GS_OK)
			committed = seq;
		cJSON_Delete(p);
	}
	assert_int_equal(rc, GS_EFULL);
	assert_true(committed > 10);
	assert_int_equal(gs_store_uncommitted(st), 0);
	assert_int_equal(gs_store_last_seq(st), committed);

	/* Intact: the oldest and the newest committed messages. */
	assert_int_equal(gs_store_outbox_stats(st, &stats), GS_OK);
	assert_int_equal(stats.pending, committed);
	assert_int_equal(
	    gs_store_outbox_fetch(st, committed - 1, -1, &m, 1, &n), GS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(m.seq, committed);
	gs_outbox_msg_clear(&m);

	/* Events hit the wall too, reported, not a crash. */
	rc = GS_OK;
	for (i = 0; i < 100000 && rc == GS_OK; i++) {
		struct gs_event ev = event_at(T0 + i, GS_EV_IN);

		rc = gs_store_add_event(st, &ev, "entrance", i);
		if (rc == GS_OK && i % 64 == 63)
			rc = gs_store_commit(st);
	}
	assert_int_equal(rc, GS_EFULL);
	assert_int_equal(gs_store_uncommitted(st), 0);

	/* Deleting needs no new page: a smaller quota makes room. */
	assert_int_equal(
	    gs_store_outbox_enforce(st, stats.bytes / 2, 0, T0, &dropped),
	    GS_OK);
	assert_true(dropped >= committed / 2 - 1);
	assert_int_equal(gs_store_commit(st), GS_OK);
	seq = enqueue(st, GS_MSG_METRICS, T0, T0 - 15 * MIN, 1500);
	assert_int_equal(seq, committed + 1);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_int_equal(gs_store_outbox_stats(st, &stats), GS_OK);
	assert_int_equal(stats.pending, committed - dropped + 1);
	assert_int_equal(stats.dropped, dropped);

	/* So does retention, for events. */
	assert_int_equal(gs_store_prune(st, T0 + 1000), GS_OK);
	for (i = 0; i < 200; i++) {
		struct gs_event ev = event_at(T0 + 100000 + i, GS_EV_OUT);

		assert_int_equal(gs_store_add_event(st, &ev, "entrance", i),
		                 GS_OK);
	}
	assert_int_equal(gs_store_commit(st), GS_OK);
	gs_store_close(st);
	assert_true(query_int(f->path, "PRAGMA page_count") <= 192);
}

/* Puts a VFS wrapper in front of SQLite's for the rest of the test. */
static struct vfs_wrap *
wrap_install(int (*on_write)(struct vfs_wrap *, struct vfs_wrap_file *, int,
                             sqlite3_int64),
             void (*on_sync)(struct vfs_wrap *, struct vfs_wrap_file *),
             void *ctx)
{
	struct vfs_wrap *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->on_write = on_write;
	w->on_sync = on_sync;
	w->ctx = ctx;
	vfs_wrap_register(w);
	return w;
}

/* A disk of budget bytes, shared by the files SQLite has open and the
 * store's reserve: writes that would grow past it fail like ENOSPC. */
struct disk {
	int64_t budget;
	char *reserve;
	unsigned refused;
	unsigned db_writes; /* checkpoints write the database file */
};

static int64_t disk_used(struct vfs_wrap *w)
{
	struct disk *d = w->ctx;
	struct stat sb;
	int64_t used = 0;

	for (struct vfs_wrap_file *f = w->files; f; f = f->next)
		used += f->size;
	if (stat(d->reserve, &sb) == 0)
		used += sb.st_size;
	return used;
}

static int disk_write(struct vfs_wrap *w, struct vfs_wrap_file *f, int amt,
                      sqlite3_int64 off)
{
	struct disk *d = w->ctx;
	int64_t grow = off + amt - f->size;

	if (grow > 0 && disk_used(w) + grow > d->budget) {
		d->refused++;
		return SQLITE_FULL;
	}
	if (f->flags & SQLITE_OPEN_MAIN_DB)
		d->db_writes++;
	return SQLITE_OK;
}

/* One round of a gateway's life: events, an alert, a commit. */
static int live_round(struct gs_store *st, int round, uint64_t *seq)
{
	cJSON *p = payload("gapsense.alert.v1", T0, 1000);
	int rc = GS_OK;

	for (int i = 0; i < 20 && rc == GS_OK; i++) {
		struct gs_event ev = event_at(T0 + round * 1000 + i, GS_EV_IN);

		rc = gs_store_add_event(st, &ev, "entrance", i);
	}
	if (rc == GS_OK)
		rc = gs_store_enqueue(st, GS_MSG_ALERT, TOPIC_A,
		                      T0 + round * 1000, T0, p, seq);
	if (rc == GS_OK)
		rc = gs_store_commit(st);
	cJSON_Delete(p);
	return rc;
}

/*
 * A real full disk, where the WAL cannot grow either: the store gives up
 * its reserve at the first SQLITE_FULL, so the quota's deletes and the
 * checkpoint after them fit, and from then on it lives in the pages it
 * freed while the owner keeps enforcing the smaller quota.
 */
static void test_disk_full_enospc(void **state)
{
	struct fixture *f = *state;
	struct disk d = {.budget = INT64_MAX};
	struct vfs_wrap *w;
	struct gs_outbox_stats stats;
	struct gs_outbox_msg m;
	struct gs_store *st;
	uint64_t seq = 0, committed = 0, dropped;
	unsigned db_writes;
	struct stat sb;
	int64_t quota;
	size_t n;
	int rc = GS_OK, round;
	assert_true(asprintf(&d.reserve, "%s-reserve", f->path) > 0);
	w = f->wrap = wrap_install(disk_write, NULL, &d);
	st = open_store(f->path, 0);
	assert_int_equal(stat(d.reserve, &sb), 0);
	assert_true(sb.st_blocks * 512 >= 4 * 1024 * 1024);
	d.budget = disk_used(w) + 256 * 1024;

	for (round = 0; round < 1000 && rc == GS_OK; round++) {
		rc = live_round(st, round, &seq);
		if (rc == GS_OK)
			committed = seq;
	}
	assert_int_equal(rc, GS_EFULL);
	assert_true(d.refused > 0);
	assert_int_not_equal(stat(d.reserve, &sb), 0); /* released */
	assert_int_equal(gs_store_last_seq(st), committed);
	assert_int_equal(
	    gs_store_outbox_fetch(st, committed - 1, -1, &m, 1, &n), GS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(m.seq, committed);
	gs_outbox_msg_clear(&m);

	/* The owner's answer to GS_EFULL: a smaller quota, older events
	 * gone. Deleting needs WAL space: the reserve's. */
	assert_int_equal(gs_store_outbox_stats(st, &stats), GS_OK);
	quota = stats.bytes / 2;
	assert_int_equal(gs_store_outbox_enforce(st, quota, 0, T0, &dropped),
	                 GS_OK);
	assert_true(dropped > 0);
	assert_int_equal(gs_store_prune(st, T0 + (round - 20) * 1000), GS_OK);
	assert_int_equal(gs_store_commit(st), GS_OK);

	/* Living on a full disk: every round fits in freed pages, and the
	 * WAL is checkpointed and reused in between. */
	db_writes = d.db_writes;
	for (int i = 0; i < 300; i++, round++) {
		assert_int_equal(live_round(st, round, &seq), GS_OK);
		assert_int_equal(seq, ++committed);
		assert_int_equal(
		    gs_store_outbox_enforce(st, quota, 0, T0, &dropped), GS_OK);
		assert_int_equal(gs_store_prune(st, T0 + (round - 20) * 1000),
		                 GS_OK);
	}
	assert_int_equal(gs_store_outbox_stats(st, &stats), GS_OK);
	assert_true(stats.bytes <= quota);
	assert_true(stats.dropped > 300);
	assert_true(d.db_writes > db_writes);
	assert_true(disk_used(w) <= d.budget);
	gs_store_close(st);
	free(d.reserve);
}

static void count_wal_sync(struct vfs_wrap *w, struct vfs_wrap_file *f)
{
	unsigned *syncs = w->ctx;
	if (f->flags & SQLITE_OPEN_WAL)
		(*syncs)++;
}

/*
 * Events commit without an fsync (synchronous=NORMAL: a power cut may take
 * back the last groups); a transaction with a message fsyncs the WAL, so
 * that a published seq is never handed out again after a power cut.
 */
static void test_messages_commit_durably(void **state)
{
	struct fixture *f = *state;
	unsigned syncs = 0, base;
	struct gs_store *st;

	f->wrap = wrap_install(NULL, count_wal_sync, &syncs);
	st = open_store(f->path, 0);
	base = syncs; /* a new WAL's header */
	for (int group = 0; group < 5; group++) {
		for (int i = 0; i < 10; i++) {
			struct gs_event ev =
			    event_at(T0 + group * 500 + i, GS_EV_IN);

			assert_int_equal(
			    gs_store_add_event(st, &ev, "entrance", i), GS_OK);
		}
		assert_int_equal(gs_store_commit(st), GS_OK);
	}
	assert_int_equal(syncs, base);

	/* Pending events are committed first, at the ordinary level. */
	for (int i = 0; i < 3; i++) {
		struct gs_event ev = event_at(T0 + 3000 + i, GS_EV_OUT);

		assert_int_equal(gs_store_add_event(st, &ev, "entrance", i),
		                 GS_OK);
	}
	assert_int_equal(enqueue(st, GS_MSG_ALERT, T0 + 3000, T0, 0), 1);
	assert_int_equal(syncs, base);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_int_equal(syncs, base + 1);

	/* And back to NORMAL for the events after it. */
	for (int i = 0; i < 10; i++) {
		struct gs_event ev = event_at(T0 + 4000 + i, GS_EV_IN);

		assert_int_equal(gs_store_add_event(st, &ev, "entrance", i),
		                 GS_OK);
	}
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_int_equal(syncs, base + 1);
	gs_store_close(st);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM events"), 63);
}

/* One group of ten events, committed. */
static void commit_group(struct gs_store *st, int64_t t_ms)
{
	for (int i = 0; i < 10; i++) {
		struct gs_event ev = event_at(t_ms + i, GS_EV_IN);

		assert_int_equal(gs_store_add_event(st, &ev, "entrance", i),
		                 GS_OK);
	}
	assert_int_equal(gs_store_commit(st), GS_OK);
}

/*
 * [storage] sync_interval: gs_store_sync() fsyncs the WAL once for all the
 * commits since the last sync and not again while nothing is committed; a
 * message's durable commit counts as a sync. With sync_commits (an
 * interval of 0) every commit fsyncs, and gs_store_sync() has nothing to
 * do. Either way nothing is checkpointed into the database file.
 */
static void test_sync_points(void **state)
{
	struct fixture *f = *state;
	struct gs_store_opts opts = {.sync_commits = true};
	unsigned syncs = 0, base;
	struct gs_store *st;

	f->wrap = wrap_install(NULL, count_wal_sync, &syncs);
	st = open_store(f->path, 0);
	base = syncs;
	assert_int_equal(gs_store_sync(st), GS_OK); /* nothing committed */
	commit_group(st, T0);
	commit_group(st, T0 + 500);
	assert_int_equal(syncs, base);
	assert_int_equal(gs_store_sync(st), GS_OK);
	assert_int_equal(syncs, base + 1);
	assert_int_equal(gs_store_sync(st), GS_OK);
	assert_int_equal(syncs, base + 1);
	assert_int_equal(enqueue(st, GS_MSG_ALERT, T0 + 1000, T0, 0), 1);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_int_equal(syncs, base + 2);
	assert_int_equal(gs_store_sync(st), GS_OK);
	assert_int_equal(syncs, base + 2);

	/* Changed at a reload: every commit from the next one. */
	assert_int_equal(gs_store_set_sync_commits(st, true), GS_OK);
	commit_group(st, T0 + 1500);
	assert_int_equal(syncs, base + 3);
	assert_int_equal(gs_store_sync(st), GS_OK);
	assert_int_equal(syncs, base + 3);
	assert_int_equal(gs_store_set_sync_commits(st, false), GS_OK);
	commit_group(st, T0 + 2000);
	assert_int_equal(syncs, base + 3);
	gs_store_close(st);

	assert_int_equal(gs_store_open(f->path, &opts, &st), GS_OK);
	commit_group(st, T0 + 2500);
	base = syncs; /* the new WAL's header and the first commit */
	for (int group = 0; group < 4; group++)
		commit_group(st, T0 + 3000 + group * 500);
	assert_int_equal(syncs, base + 4);
	assert_int_equal(gs_store_sync(st), GS_OK);
	assert_int_equal(syncs, base + 4);
	gs_store_close(st);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM events"), 90);
}

/* A meta seq behind the stored messages (an edited or damaged row) never
 * makes a seq go back. */
static void test_seq_never_goes_back(void **state)
{
	struct fixture *f = *state;
	struct gs_store *st = open_store(f->path, 0);
	sqlite3 *db;

	for (int i = 0; i < 3; i++)
		enqueue(st, GS_MSG_METRICS, T0, T0 + i * 15 * MIN, 0);
	assert_int_equal(gs_store_outbox_ack(st, 3), GS_OK);
	gs_store_close(st);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                              "UPDATE meta SET value = 1"
	                              " WHERE key = 'store.seq'",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	/* Acknowledged, seq 3 is only in windows now. */
	st = open_store(f->path, 0);
	assert_int_equal(gs_store_last_seq(st), 3);
	assert_int_equal(enqueue(st, GS_MSG_ALERT, T0, T0, 0), 4);
	gs_store_close(st);
}

/* The text of the stored copy of seq (windows or alerts). */
static char *stored_payload(const char *path, uint64_t seq)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char *out = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT payload FROM windows"
	                                    " WHERE seq = ?1 UNION ALL"
	                                    " SELECT payload FROM alerts"
	                                    " WHERE seq = ?1",
	                                    -1, &s, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_bind_int64(s, 1, (int64_t)seq), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		out = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return out;
}

/* Takes the next reserved seq for a message and returns its bytes as they
 * would leave from memory (the copy is stored later with that seq). */
static char *take_and_print(struct gs_store *st, cJSON *p, uint64_t want)
{
	uint64_t seq = 0;
	char *text;

	assert_true(gs_store_seq_take(st, &seq));
	assert_int_equal(seq, want);
	assert_int_equal(gs_msg_set_seq(p, seq), GS_OK);
	text = gs_json_print(p);
	assert_non_null(text);
	return text;
}

/*
 * A seq reservation: made durable on its own, seqs taken in memory and
 * stored later with the same bytes (delivered or pending), never handed
 * out twice, closed; and an unclosed one (a stop while the disk was full)
 * makes the next start continue after it and report the gap.
 */
static void test_seq_reservation(void **state)
{
	struct fixture *f = *state;
	struct gs_store *st = open_store(f->path, 0);
	struct gs_outbox_stats stats;
	struct gs_outbox_msg m;
	uint64_t seq, first, last;
	int64_t t_ms;
	char *sent4, *sent5, *stored;
	cJSON *p4, *p5;
	size_t n;

	for (int i = 0; i < 3; i++)
		enqueue(st, GS_MSG_METRICS, T0, T0 + i * MIN, 0);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_false(gs_store_seq_reserved(st));
	assert_false(gs_store_seq_take(st, &seq));
	assert_false(gs_store_seq_gap(st, &first, &last, &t_ms));

	/* Committed at once (another connection sees it). */
	assert_int_equal(gs_store_seq_reserve(st, 4, T0 + 3 * MIN), GS_OK);
	assert_false(gs_store_in_txn(st));
	assert_true(gs_store_seq_reserved(st));
	assert_int_equal(gs_store_seq_left(st), 4);
	assert_int_equal(query_int(f->path,
	                           "SELECT value FROM meta"
	                           " WHERE key = 'store.seq_reserved'"),
	                 7);

	/* Two messages leave from memory with seqs 4 and 5. */
	p4 = payload("gapsense.metrics.v1", T0 + 3 * MIN, 0);
	p5 = payload("gapsense.metrics.v1", T0 + 4 * MIN, 0);
	sent4 = take_and_print(st, p4, 4);
	sent5 = take_and_print(st, p5, 5);
	assert_int_equal(gs_store_seq_left(st), 2);
	/* Stored in order with their seqs: 4 acknowledged (not queued), 5
	 * not yet (queued, to be sent again with the same seq). */
	assert_int_equal(gs_store_enqueue_taken(st, GS_MSG_METRICS, TOPIC_M, T0,
	                                        T0 + 3 * MIN, p4, 4, true),
	                 GS_OK);
	assert_int_equal(gs_store_enqueue_taken(st, GS_MSG_METRICS, TOPIC_M, T0,
	                                        T0 + 4 * MIN, p5, 5, false),
	                 GS_OK);
	assert_int_equal(gs_store_commit(st), GS_OK);
	/* A seq stored or never taken is refused. */
	assert_int_equal(gs_store_enqueue_taken(st, GS_MSG_METRICS, TOPIC_M, T0,
	                                        T0 + 4 * MIN, p5, 5, false),
	                 GS_EINVAL);
	assert_int_equal(gs_store_enqueue_taken(st, GS_MSG_METRICS, TOPIC_M, T0,
	                                        T0 + 4 * MIN, p5, 6, false),
	                 GS_EINVAL);
	assert_false(gs_store_in_txn(st));
	cJSON_Delete(p4);
	cJSON_Delete(p5);
	stored = stored_payload(f->path, 4);
	assert_non_null(stored);
	assert_string_equal(stored, sent4); /* the same bytes */
	free(stored);
	assert_int_equal(gs_store_outbox_stats(st, &stats), GS_OK);
	assert_int_equal(stats.pending, 4); /* 1-3 and 5 */
	assert_int_equal(gs_store_outbox_fetch(st, 3, -1, &m, 1, &n), GS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(m.seq, 5);
	assert_string_equal(m.payload, sent5);
	gs_outbox_msg_clear(&m);
	free(sent4);
	free(sent5);

	/* An ordinary message meanwhile takes the next free seq, and the
	 * reservation goes on after it. */
	assert_int_equal(enqueue(st, GS_MSG_ALERT, T0, T0, 0), 6);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_int_equal(gs_store_seq_left(st), 1);
	assert_true(gs_store_seq_take(st, &seq));
	assert_int_equal(seq, 7);
	assert_false(gs_store_seq_take(st, &seq));
	/* 7 was let go (declared by the owner): closing moves past it. */
	assert_int_equal(gs_store_seq_close(st), GS_OK);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_false(gs_store_seq_reserved(st));
	assert_int_equal(query_int(f->path, "SELECT value FROM meta"
	                                    " WHERE key = 'store.seq'"),
	                 7);
	assert_int_equal(enqueue(st, GS_MSG_ALERT, T0, T0, 0), 8);
	assert_int_equal(gs_store_commit(st), GS_OK);
	gs_store_close(st);
	st = open_store(f->path, 0);
	assert_false(gs_store_seq_gap(st, &first, &last, &t_ms));
	assert_false(gs_store_seq_reserved(st));
	assert_int_equal(gs_store_last_seq(st), 8);

	/* The daemon stops while the disk is full: 9 and 10 left from
	 * memory, only 9 was stored. */
	assert_int_equal(gs_store_seq_reserve(st, 10, T0 + HOUR_MS), GS_OK);
	p4 = payload("gapsense.metrics.v1", T0 + 5 * MIN, 0);
	sent4 = take_and_print(st, p4, 9);
	free(take_and_print(st, p4, 10));
	assert_int_equal(gs_store_enqueue_taken(st, GS_MSG_METRICS, TOPIC_M, T0,
	                                        T0 + 5 * MIN, p4, 9, true),
	                 GS_OK);
	assert_int_equal(gs_store_commit(st), GS_OK);
	cJSON_Delete(p4);
	free(sent4);
	gs_store_close(st);
	st = open_store(f->path, 0);
	assert_true(gs_store_seq_gap(st, &first, &last, &t_ms));
	assert_int_equal(first, 10);
	assert_int_equal(last, 18);
	assert_int_equal(t_ms, T0 + HOUR_MS);
	assert_int_equal(gs_store_last_seq(st), 18);
	/* Never reused: the next seq follows the reservation. */
	assert_int_equal(enqueue(st, GS_MSG_ALERT, T0, T0, 0), 19);
	assert_int_equal(gs_store_commit(st), GS_OK);
	/* Closed once: the next start finds no gap. */
	assert_int_equal(gs_store_seq_close(st), GS_OK);
	assert_int_equal(gs_store_commit(st), GS_OK);
	gs_store_close(st);
	st = open_store(f->path, 0);
	assert_false(gs_store_seq_gap(st, &first, &last, &t_ms));
	assert_int_equal(gs_store_last_seq(st), 19);
	gs_store_close(st);
}

/* A close rolled back with its group (a full disk) leaves the reservation
 * open, and the seqs taken stay taken. */
static void test_seq_reservation_rollback(void **state)
{
	struct fixture *f = *state;
	struct gs_store *st = open_store(f->path, 96 * 1024);
	uint64_t seq, dropped;
	int rc = GS_OK;

	for (int i = 0; i < 20; i++)
		enqueue(st, GS_MSG_METRICS, T0, T0 + i * MIN, 1500);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_int_equal(gs_store_seq_reserve(st, 3, T0), GS_OK);
	assert_true(gs_store_seq_take(st, &seq));
	assert_int_equal(seq, 21);
	assert_int_equal(gs_store_seq_close(st), GS_OK);
	for (int i = 0; i < 100000 && rc == GS_OK; i++) {
		struct gs_event ev = event_at(T0 + i, GS_EV_IN);

		rc = gs_store_add_event(st, &ev, "entrance", i);
	}
	assert_int_equal(rc, GS_EFULL);
	assert_false(gs_store_in_txn(st));
	assert_true(gs_store_seq_reserved(st));
	assert_int_equal(gs_store_last_seq(st), 20);
	/* Taken stays taken: the next seq handed out follows it. */
	assert_true(gs_store_seq_take(st, &seq));
	assert_int_equal(seq, 22);
	assert_int_equal(
	    gs_store_outbox_enforce(st, 1, 0, T0 + HOUR_MS, &dropped), GS_OK);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_int_equal(gs_store_seq_close(st), GS_OK);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_false(gs_store_seq_reserved(st));
	gs_store_close(st);
	st = open_store(f->path, 0);
	assert_false(gs_store_seq_reserved(st));
	assert_int_equal(gs_store_last_seq(st), 22);
	assert_int_equal(enqueue(st, GS_MSG_ALERT, T0, T0, 0), 23);
	gs_store_close(st);
}

/* More sensor names than the id cache holds (renamed sensors over many
 * reloads): each keeps its own id. */
static void test_many_sensor_names(void **state)
{
	struct fixture *f = *state;
	struct gs_store *st = open_store(f->path, 0);
	char name[64];

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 150; i++) {
			struct gs_event ev = event_at(T0 + i, GS_EV_PULSE);

			snprintf(name, sizeof(name), "counter-%03d", i);
			assert_int_equal(gs_store_add_event(st, &ev, name, i),
			                 GS_OK);
		}
	}
	/* A name longer than any configured one still works. */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	{
		struct gs_event ev = event_at(T0, GS_EV_PULSE);

		assert_int_equal(gs_store_add_event(st, &ev, name, 999), GS_OK);
	}
	gs_store_close(st);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM sensors"),
	                 151);
	assert_int_equal(query_int(f->path,
	                           "SELECT count(*) FROM events e"
	                           " JOIN sensors s ON s.id = e.sensor"
	                           " WHERE s.name = printf('counter-%03d',"
	                           " e.mono_ns)"),
	                 300);
}

static void test_outbox_fetch_ack_stats(void **state)
{
	struct fixture *f = *state;
	struct gs_store *st = open_store(f->path, 0);
	struct gs_outbox_msg m[8];
	struct gs_outbox_stats stats;
	size_t n;

	assert_int_equal(gs_store_outbox_stats(st, &stats), GS_OK);
	assert_int_equal(stats.pending, 0);
	assert_int_equal(stats.bytes, 0);
	assert_int_equal(stats.oldest_ms, -1);
	assert_int_equal(stats.dropped, 0);

	for (int i = 0; i < 6; i++)
		enqueue(st, i % 3 == 2 ? GS_MSG_ALERT : GS_MSG_METRICS,
		        T0 + i * MIN, T0 + i * 15 * MIN, 0);
	assert_int_equal(gs_store_commit(st), GS_OK);

	assert_int_equal(gs_store_outbox_fetch(st, 0, -1, m, 8, &n), GS_OK);
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(m[i].seq, i + 1);
		assert_int_equal(m[i].created_ms, T0 + (int64_t)i * MIN);
		assert_int_equal(strlen(m[i].payload), m[i].payload_len);
		gs_outbox_msg_clear(&m[i]);
	}
	/* By kind, after a seq, at most max. */
	assert_int_equal(gs_store_outbox_fetch(st, 0, GS_MSG_ALERT, m, 8, &n),
	                 GS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(m[0].seq, 3);
	assert_int_equal(m[1].seq, 6);
	assert_string_equal(m[1].topic, TOPIC_A);
	gs_outbox_msg_clear(&m[0]);
	gs_outbox_msg_clear(&m[1]);
	assert_int_equal(gs_store_outbox_fetch(st, 2, GS_MSG_METRICS, m, 2, &n),
	                 GS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(m[0].seq, 4);
	assert_int_equal(m[1].seq, 5);
	gs_outbox_msg_clear(&m[0]);
	gs_outbox_msg_clear(&m[1]);
	assert_int_equal(gs_store_outbox_fetch(st, 6, -1, m, 8, &n), GS_OK);
	assert_int_equal(n, 0);

	assert_int_equal(gs_store_outbox_stats(st, &stats), GS_OK);
	assert_int_equal(stats.pending, 6);
	assert_int_equal(stats.oldest_ms, T0);
	assert_true(stats.bytes > 6 * (int64_t)strlen(TOPIC_M));

	/* Acks, out of order and twice. */
	assert_int_equal(gs_store_outbox_ack(st, 2), GS_OK);
	assert_int_equal(gs_store_outbox_ack(st, 1), GS_OK);
	assert_int_equal(gs_store_outbox_ack(st, 1), GS_OK);
	assert_int_equal(gs_store_outbox_ack(st, 99), GS_OK);
	assert_int_equal(gs_store_uncommitted(st), 2);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_int_equal(gs_store_outbox_stats(st, &stats), GS_OK);
	assert_int_equal(stats.pending, 4);
	assert_int_equal(stats.oldest_ms, T0 + 2 * MIN);
	assert_int_equal(gs_store_outbox_fetch(st, 0, -1, m, 1, &n), GS_OK);
	assert_int_equal(m[0].seq, 3);
	gs_outbox_msg_clear(&m[0]);
	gs_store_close(st);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM windows"), 4);
}

static void test_outbox_quota(void **state)
{
	struct fixture *f = *state;
	struct gs_store *st = open_store(f->path, 0);
	struct gs_outbox_stats stats;
	struct gs_outbox_msg m;
	uint64_t dropped = 99;
	int64_t one;
	size_t n;

	/* Nine messages of the same size (seq 1 to 9: one digit). */
	for (int i = 0; i < 9; i++)
		enqueue(st, GS_MSG_ALERT, T0 + i * MIN, T0, 100);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_int_equal(gs_store_outbox_stats(st, &stats), GS_OK);
	one = stats.bytes / 9;
	assert_int_equal(stats.bytes, 9 * one);

	/* Nothing to do: no transaction, no writes. */
	assert_int_equal(gs_store_outbox_enforce(st, stats.bytes, 60 * MIN,
	                                         T0 + 10 * MIN, &dropped),
	                 GS_OK);
	assert_int_equal(dropped, 0);
	assert_int_equal(gs_store_uncommitted(st), 0);
	assert_int_equal(stats.dropped_from_ms, -1);
	assert_int_equal(stats.dropped_to_ms, -1);

	/* Age: created before now - max_age goes (strictly before). */
	assert_int_equal(
	    gs_store_outbox_enforce(st, 0, 5 * MIN, T0 + 7 * MIN, &dropped),
	    GS_OK);
	assert_int_equal(dropped, 2);
	/* Bytes: the oldest go until at most max_bytes remain. */
	assert_int_equal(gs_store_outbox_enforce(st, 4 * one + one / 2, 0,
	                                         T0 + 7 * MIN, &dropped),
	                 GS_OK);
	assert_int_equal(dropped, 3);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_int_equal(gs_store_outbox_fetch(st, 0, -1, &m, 1, &n), GS_OK);
	assert_int_equal(m.seq, 6);
	gs_outbox_msg_clear(&m);
	/* An acknowledgement for a dropped message is harmless. */
	assert_int_equal(gs_store_outbox_ack(st, 4), GS_OK);
	gs_store_close(st);

	/* The drop count and span survive a restart: created T0 to T0 +
	 * 4 min (seq 1 to 5). */
	st = open_store(f->path, 0);
	assert_int_equal(gs_store_outbox_stats(st, &stats), GS_OK);
	assert_int_equal(stats.pending, 4);
	assert_int_equal(stats.dropped, 5);
	assert_int_equal(stats.dropped_from_ms, T0);
	assert_int_equal(stats.dropped_to_ms, T0 + 4 * MIN);
	assert_int_equal(gs_store_outbox_enforce(st, 1, 0, T0, &dropped),
	                 GS_OK);
	assert_int_equal(dropped, 4);
	gs_store_close(st);
	st = open_store(f->path, 0);
	assert_int_equal(gs_store_outbox_stats(st, &stats), GS_OK);
	assert_int_equal(stats.pending, 0);
	assert_int_equal(stats.dropped, 9);
	assert_int_equal(stats.oldest_ms, -1);
	assert_int_equal(stats.dropped_from_ms, T0);
	assert_int_equal(stats.dropped_to_ms, T0 + 8 * MIN);
	/* The seq never goes back, though the outbox is empty. */
	assert_int_equal(gs_store_last_seq(st), 9);
	assert_int_equal(enqueue(st, GS_MSG_ALERT, T0, T0, 0), 10);
	gs_store_close(st);
}

struct window_seen {
	size_t n;
	uint64_t seq[8];
	int64_t start[8];
	char payload[8][256];
};

static void window_cb(void *ctx, uint64_t seq, int64_t start_ms,
                      const char *payload)
{
	struct window_seen *w = ctx;

	assert_true(w->n < 8);
	w->seq[w->n] = seq;
	w->start[w->n] = start_ms;
	snprintf(w->payload[w->n], sizeof(w->payload[0]), "%s", payload);
	w->n++;
}

static void test_windows_range(void **state)
{
	struct fixture *f = *state;
	struct gs_store *st = open_store(f->path, 0);
	struct window_seen w = {0};
	char want[64];
	size_t n = 0;

	for (int i = 0; i < 6; i++)
		enqueue(st, GS_MSG_METRICS, T0 + (i + 1) * 15 * MIN,
		        T0 + i * 15 * MIN, 0);
	enqueue(st, GS_MSG_ALERT, T0, T0 + 15 * MIN, 0); /* not a window */
	assert_int_equal(gs_store_commit(st), GS_OK);
	/* Acknowledged windows stay for resend. */
	for (uint64_t s = 1; s <= 7; s++)
		assert_int_equal(gs_store_outbox_ack(st, s), GS_OK);
	assert_int_equal(gs_store_commit(st), GS_OK);

	assert_int_equal(gs_store_windows_range(st, T0 + 15 * MIN,
	                                        T0 + 60 * MIN, 10, window_cb,
	                                        &w, &n),
	                 GS_OK);
	assert_int_equal(n, 3);
	assert_int_equal(w.n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(w.start[i], T0 + (int64_t)(i + 1) * 15 * MIN);
		assert_int_equal(w.seq[i], i + 2);
		snprintf(want, sizeof(want), "\"seq\":%zu,", i + 2);
		assert_non_null(strstr(w.payload[i], want));
	}
	memset(&w, 0, sizeof(w));
	assert_int_equal(
	    gs_store_windows_range(st, 0, INT64_MAX, 2, window_cb, &w, &n),
	    GS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(w.start[0], T0);
	assert_int_equal(
	    gs_store_windows_range(st, T0, T0, 2, window_cb, &w, &n), GS_OK);
	assert_int_equal(n, 0);

	/* A window published again replaces the stored copy. */
	assert_int_equal(
	    enqueue(st, GS_MSG_METRICS, T0 + 2 * 60 * MIN, T0 + 15 * MIN, 0),
	    8);
	memset(&w, 0, sizeof(w));
	assert_int_equal(gs_store_windows_range(st, T0 + 15 * MIN,
	                                        T0 + 30 * MIN, 10, window_cb,
	                                        &w, &n),
	                 GS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(w.seq[0], 8);
	assert_non_null(strstr(w.payload[0], "\"seq\":8,"));
	gs_store_close(st);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM windows"), 6);
}

struct events_seen {
	int64_t t[8];
	uint8_t kind[8];
	char sensor[8][16];
	size_t n;
};

static void event_cb(void *ctx, const struct gs_event *ev, const char *sensor)
{
	struct events_seen *e = ctx;

	assert_true(e->n < 8);
	e->t[e->n] = ev->t_ms;
	e->kind[e->n] = ev->kind;
	snprintf(e->sensor[e->n], sizeof(e->sensor[0]), "%s", sensor);
	e->n++;
}

/* Start-up reads: the tail of the event log since a time (with sensor
 * names), the last event's time, the last window's start. */
static void test_recent_events_and_last_window(void **state)
{
	struct fixture *f = *state;
	struct gs_store *st = open_store(f->path, 0);
	struct events_seen e = {0};
	int64_t t = 0;
	size_t n = 0;
	struct gs_event ev;

	assert_int_equal(gs_store_last_event_ms(st, &t), GS_ENOENT);
	assert_int_equal(gs_store_last_window_ms(st, &t), GS_ENOENT);
	assert_int_equal(gs_store_events_since(st, T0, event_cb, &e, &n),
	                 GS_OK);
	assert_int_equal(n, 0);

	for (int i = 0; i < 5; i++) {
		ev = event_at(T0 + i * MIN,
		              (uint8_t)(i % 2 ? GS_EV_OUT : GS_EV_IN));
		assert_int_equal(
		    gs_store_add_event(st, &ev, i < 3 ? "door" : "till", 0),
		    GS_OK);
	}
	ev = event_at(T0 + 4 * MIN, GS_EV_PRESS);
	ev.value = 2;
	ev.flags = GS_EVF_MISUSE;
	assert_int_equal(gs_store_add_event(st, &ev, "smiley", 0), GS_OK);
	enqueue(st, GS_MSG_METRICS, T0 + 15 * MIN, T0, 0);
	/* Kept between reads while nothing changes, and read again after. */
	assert_int_equal(gs_store_last_window_ms(st, &t), GS_OK);
	assert_int_equal(t, T0);
	enqueue(st, GS_MSG_METRICS, T0 + 30 * MIN, T0 + 15 * MIN, 0);
	assert_int_equal(gs_store_commit(st), GS_OK);

	assert_int_equal(gs_store_last_event_ms(st, &t), GS_OK);
	assert_int_equal(t, T0 + 4 * MIN);
	assert_int_equal(gs_store_last_window_ms(st, &t), GS_OK);
	assert_int_equal(t, T0 + 15 * MIN);

	assert_int_equal(
	    gs_store_events_since(st, T0 + 2 * MIN, event_cb, &e, &n), GS_OK);
	assert_int_equal(n, 4);
	assert_int_equal(e.n, 4);
	assert_int_equal(e.t[0], T0 + 2 * MIN);
	assert_string_equal(e.sensor[0], "door");
	assert_int_equal(e.kind[0], GS_EV_IN);
	assert_string_equal(e.sensor[1], "till");
	assert_int_equal(e.kind[1], GS_EV_OUT);
	assert_string_equal(e.sensor[3], "smiley");
	assert_int_equal(e.kind[3], GS_EV_PRESS);
	assert_int_equal(e.t[3], T0 + 4 * MIN);

	/* Nothing that recent: no call. */
	e.n = 0;
	assert_int_equal(
	    gs_store_events_since(st, T0 + 5 * MIN, event_cb, &e, &n), GS_OK);
	assert_int_equal(n, 0);
	assert_int_equal(e.n, 0);
	gs_store_close(st);
}

static void test_meta(void **state)
{
	struct fixture *f = *state;
	struct gs_store *st = open_store(f->path, 0);
	char buf[16], tiny[4];

	assert_int_equal(
	    gs_store_meta_get(st, "clock.last_sync", buf, sizeof(buf)),
	    GS_ENOENT);
	assert_int_equal(gs_store_meta_set(st, "clock.last_sync", "12345"),
	                 GS_OK);
	assert_int_equal(
	    gs_store_meta_get(st, "clock.last_sync", buf, sizeof(buf)), GS_OK);
	assert_string_equal(buf, "12345");
	assert_int_equal(gs_store_meta_set(st, "clock.last_sync", "6"), GS_OK);
	assert_int_equal(
	    gs_store_meta_get(st, "clock.last_sync", tiny, sizeof(tiny)),
	    GS_OK);
	assert_string_equal(tiny, "6");
	assert_int_equal(gs_store_meta_set(st, "long", "1234"), GS_OK);
	assert_int_equal(gs_store_meta_get(st, "long", tiny, sizeof(tiny)),
	                 GS_EINVAL);
	/* The store's own keys are not for others to write. */
	assert_int_equal(gs_store_meta_set(st, "store.seq", "0"), GS_EINVAL);
	assert_int_equal(gs_store_meta_set(st, "", "0"), GS_EINVAL);
	assert_int_equal(gs_store_uncommitted(st), 3);
	gs_store_close(st);

	st = open_store(f->path, 0);
	assert_int_equal(
	    gs_store_meta_get(st, "clock.last_sync", buf, sizeof(buf)), GS_OK);
	assert_string_equal(buf, "6");
	gs_store_close(st);
}

static void test_prune(void **state)
{
	struct fixture *f = *state;
	struct gs_store *st = open_store(f->path, 0);
	struct window_seen w = {0};
	bool more = true;
	size_t n;
	int i;

	/* 5000 old events, one stamped in the future by a bad clock, then
	 * 3000 recent ones with an old straggler among them. */
	for (i = 0; i < 8000; i++) {
		int64_t t = i < 5000 ? T0 + i : T0 + 10 * MIN + i;
		struct gs_event ev;

		if (i == 17)
			t = T0 + 365 * 24 * 60 * MIN;
		if (i == 6000)
			t = T0;
		ev = event_at(t, GS_EV_IN);
		assert_int_equal(gs_store_add_event(st, &ev, "entrance", i),
		                 GS_OK);
	}
	for (i = 0; i < 4; i++)
		enqueue(st, GS_MSG_METRICS, T0, T0 + i * 5 * MIN, 0);
	assert_int_equal(gs_store_commit(st), GS_OK);

	/* A bounded step leaves the rest for later. */
	assert_int_equal(gs_store_prune_step(st, T0 + 10 * MIN, 1000, &more),
	                 GS_OK);
	assert_true(more);
	assert_int_equal(gs_store_uncommitted(st), 999 + 2);
	assert_int_equal(gs_store_commit(st), GS_OK);

	assert_int_equal(gs_store_prune(st, T0 + 10 * MIN), GS_OK);
	assert_int_equal(gs_store_uncommitted(st), 0);
	gs_store_close(st);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM events"),
	                 3000);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM events"
	                                    " WHERE mono_ns = 17"),
	                 1);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM events"
	                                    " WHERE mono_ns = 6000"),
	                 0);

	st = open_store(f->path, 0);
	assert_int_equal(
	    gs_store_windows_range(st, 0, INT64_MAX, 8, window_cb, &w, &n),
	    GS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(w.start[0], T0 + 10 * MIN);
	/* Nothing left to delete: a pass ends at once. */
	assert_int_equal(gs_store_prune_step(st, T0 + 10 * MIN, 100, &more),
	                 GS_OK);
	assert_false(more);
	assert_int_equal(gs_store_uncommitted(st), 0);
	gs_store_close(st);
}

/*
 * A full disk rolls back a group commit that holds an outbox
 * acknowledgement: the next transaction deletes the row again, so a
 * message the broker has acknowledged does not stay pending.
 */
static void test_ack_survives_rollback(void **state)
{
	struct fixture *f = *state;
	struct gs_store *st = open_store(f->path, 160 * 1024);
	struct gs_outbox_stats stats;
	int rc = GS_OK, i;

	for (i = 1; i <= 3; i++) {
		assert_int_equal(
		    enqueue(st, GS_MSG_METRICS, T0, T0 + i * MIN, 0),
		    (uint64_t)i);
		assert_int_equal(gs_store_commit(st), GS_OK);
	}
	/* Events open the group transaction; the ack joins it. */
	struct gs_event ev = event_at(T0, GS_EV_IN);

	assert_int_equal(gs_store_add_event(st, &ev, "entrance", 0), GS_OK);
	assert_int_equal(gs_store_outbox_ack(st, 2), GS_OK);
	/* The stats, read before every insert, are kept from one read to
	 * the next while nothing changes (the status asks every second):
	 * the failing insert changes no row, its rollback must still show. */
	for (i = 1; i < 100000 && rc == GS_OK; i++) {
		assert_int_equal(gs_store_outbox_stats(st, &stats), GS_OK);
		assert_int_equal(stats.pending, 2);
		ev = event_at(T0 + i, GS_EV_IN);
		rc = gs_store_add_event(st, &ev, "entrance", i);
	}
	assert_int_equal(rc, GS_EFULL);
	/* The group with the ack failed whole: seq 2 is back. */
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM outbox"), 3);
	assert_int_equal(gs_store_outbox_stats(st, &stats), GS_OK);
	assert_int_equal(stats.pending, 3);
	assert_int_equal(gs_store_outbox_ack(st, 1), GS_OK);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_int_equal(gs_store_outbox_stats(st, &stats), GS_OK);
	assert_int_equal(stats.pending, 1);
	gs_store_close(st);
	assert_int_equal(query_int(f->path, "SELECT max(seq) FROM outbox"), 3);
}

/* What the transaction owner's policy heard, in order. */
struct txn_log {
	unsigned joining, committed, rolled_back, make_room;
	int last_err;
	bool room; /* what make_room answers */
};

static void txn_joining(void *ctx)
{
	((struct txn_log *)ctx)->joining++;
}

static void txn_committed(void *ctx)
{
	((struct txn_log *)ctx)->committed++;
}

static void txn_rolled_back(void *ctx, int err)
{
	struct txn_log *l = ctx;

	l->rolled_back++;
	l->last_err = err;
}

static bool txn_make_room(void *ctx)
{
	struct txn_log *l = ctx;

	l->make_room++;
	return l->room;
}

/*
 * One owner, one policy (gateway/txn.h): a commit joins, commits and says
 * so; a rollback is heard whoever's write caused it, also a write made
 * past the owner (an ack, as sync makes); a full disk makes room once per
 * failed commit, and a failed write is retried only when room was made.
 */
static void test_txn_policy(void **state)
{
	static const struct gs_txn_policy policy = {
	    .joining = txn_joining,
	    .committed = txn_committed,
	    .rolled_back = txn_rolled_back,
	    .make_room = txn_make_room,
	};
	struct fixture *f = *state;
	struct gs_store *st = open_store(f->path, 160 * 1024);
	struct txn_log log = {0};
	struct gs_txn *t = gs_txn_new(st, &policy, &log);
	struct gs_event ev = event_at(T0, GS_EV_IN);
	int rc = GS_OK, i;

	assert_non_null(t);
	assert_null(gs_txn_new(NULL, &policy, &log));
	assert_int_equal(enqueue(st, GS_MSG_METRICS, T0, T0, 0), 1);
	assert_int_equal(gs_txn_commit(t), GS_OK);
	assert_int_equal(log.joining, 1);
	assert_int_equal(log.committed, 1);
	assert_int_equal(log.rolled_back, 0);

	/* An ack opens the group; events fill the disk: whoever's write
	 * failed, the rollback is heard once, with GS_EFULL. */
	assert_int_equal(gs_store_outbox_ack(st, 1), GS_OK);
	for (i = 1; i < 100000 && rc == GS_OK; i++) {
		ev = event_at(T0 + i, GS_EV_IN);
		rc = gs_store_add_event(st, &ev, "entrance", i);
	}
	assert_int_equal(rc, GS_EFULL);
	assert_int_equal(log.rolled_back, 1);
	assert_int_equal(log.last_err, GS_EFULL);
	assert_int_equal(log.make_room, 0); /* a write: the caller asks */
	log.room = false;
	assert_false(gs_txn_retry(t, rc));
	assert_int_equal(log.make_room, 1);
	log.room = true;
	assert_true(gs_txn_retry(t, rc));
	assert_false(gs_txn_retry(t, GS_EIO)); /* only a full disk */
	assert_int_equal(log.make_room, 2);

	/* A commit that fails makes room by itself and is not "committed". */
	rc = GS_OK;
	for (i = 0; i < 100000 && rc == GS_OK; i++) {
		ev = event_at(T0 + 200000 + i, GS_EV_IN);
		rc = gs_store_add_event(st, &ev, "entrance", i);
		if (rc == GS_OK && i % 64 == 63)
			rc = gs_txn_commit(t);
	}
	assert_int_equal(rc, GS_EFULL);
	assert_int_equal(log.rolled_back, 2);
	assert_true(log.committed >= 2);
	assert_int_equal(log.joining, log.committed + (log.make_room - 2));
	gs_txn_free(t);
	gs_txn_free(NULL);

	/* Freed, the store tells nobody. */
	assert_int_equal(gs_store_commit(st), GS_OK);
	gs_store_close(st);
}

/* The owner is told when a group opens, whoever writes first (events, an
 * acknowledgement, a message), once per group: the daemon schedules its
 * commit on it instead of polling. */
static void count_begin(void *ctx)
{
	(*(unsigned *)ctx)++;
}

static void test_on_begin(void **state)
{
	struct fixture *f = *state;
	unsigned begun = 0;
	struct gs_store_opts opts = {.on_begin = count_begin,
	                             .on_begin_ctx = &begun};
	struct gs_store *st = NULL;
	struct gs_event ev = event_at(T0, GS_EV_IN);

	assert_int_equal(gs_store_open(f->path, &opts, &st), GS_OK);
	begun = 0; /* creating the schema may open groups of its own */
	assert_false(gs_store_in_txn(st));
	assert_int_equal(gs_store_add_event(st, &ev, "entrance", 0), GS_OK);
	assert_true(gs_store_in_txn(st));
	assert_int_equal(gs_store_add_event(st, &ev, "entrance", 1), GS_OK);
	assert_int_equal(begun, 1);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_false(gs_store_in_txn(st));
	assert_int_equal(enqueue(st, GS_MSG_METRICS, T0, T0 + MIN, 0), 1);
	assert_int_equal(begun, 2);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_int_equal(gs_store_outbox_ack(st, 1), GS_OK);
	assert_int_equal(begun, 3);
	assert_true(gs_store_in_txn(st));
	gs_store_close(st);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM outbox"), 0);
}

/* Acknowledgements are kept beside the outbox for the report, read back
 * by the reader and pruned with the alerts. */
static void reader_count(void *ctx, uint64_t seq, int64_t key,
                         const char *payload)
{
	size_t *n = ctx;

	(void)seq;
	(void)key;
	(void)payload;
	(*n)++;
}

static void test_acks_kept(void **state)
{
	struct fixture *f = *state;
	struct gs_store *st = open_store(f->path, 0);
	struct gs_store_reader *rd;
	size_t n = 0;
	bool more;

	assert_int_equal(enqueue(st, GS_MSG_ACK, T0, T0, 0), 1);
	assert_int_equal(enqueue(st, GS_MSG_ACK, T0 + 20 * MIN, T0, 0), 2);
	assert_int_equal(enqueue(st, GS_MSG_ALERT, T0 + MIN, T0, 0), 3);
	assert_int_equal(gs_store_commit(st), GS_OK);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM acks"), 2);
	assert_int_equal(query_int(f->path, "SELECT seq FROM acks"
	                                    " ORDER BY t_ms DESC LIMIT 1"),
	                 2);
	assert_int_equal(gs_store_reader_open(f->path, &rd), GS_OK);
	assert_int_equal(gs_store_reader_rows(rd, GS_TABLE_ACKS, T0,
	                                      T0 + 20 * MIN, reader_count, &n),
	                 GS_OK);
	assert_int_equal(n, 1); /* [from, to) */
	gs_store_reader_close(rd);

	assert_int_equal(gs_store_prune_step(st, T0 + 10 * MIN, 100, &more),
	                 GS_OK);
	assert_int_equal(gs_store_commit(st), GS_OK);
	gs_store_close(st);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM acks"), 1);
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM alerts"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_on_begin, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_create_and_reopen, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_crash_loses_only_uncommitted,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migration_from_v1, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_refuses_newer_or_foreign_files,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_disk_is_survived, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_disk_full_enospc, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_messages_commit_durably, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_sync_points, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seq_reservation, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_seq_reservation_rollback,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seq_never_goes_back, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_many_sensor_names, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_outbox_fetch_ack_stats, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_outbox_quota, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_windows_range, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_recent_events_and_last_window,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_acks_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_txn_policy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ack_survives_rollback, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
