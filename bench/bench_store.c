/* SPDX-License-Identifier: MIT */
/*
 * What the store costs: bytes written to the disk per event at the live
 * rate (20 events/s, group commit every 500 ms of virtual time, a metrics
 * window every 15 minutes), per page size; and insert throughput for a
 * simulated 100k-customer day (354k events, a commit every 64 events)
 * against bare SQLite doing the same inserts.
 *
 * Bytes are counted by a VFS shim around SQLite's own (every write and
 * fsync SQLite issues: WAL, database file, checkpoints included) and by the
 * kernel (/proc/self/io write_bytes: page-cache pages this process
 * dirtied, 4 KiB at a time). Figures, not a test.
 *
 *   bench_store [MINUTES [DIR]]    defaults: 60 minutes, $TMPDIR or /tmp
 */
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/msg.h"
#include "gateway/store.h"
#include "gateway/timeutil.h"
#include "sensors/event.h"

#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define T0            INT64_C(1795424400000) /* 2026-11-23T09:00:00Z */
#define EVENTS_PER_S  20
#define COMMIT_MS     500
#define COMMIT_EVENTS 64
#define WINDOW_MS     (15 * 60 * 1000)
#define DAY_EVENTS    354000

/* ---- a VFS shim that counts what SQLite writes ---- */

enum file_kind { FK_DB, FK_WAL, FK_OTHER, FK_COUNT_ };

struct io_count {
	int64_t bytes[FK_COUNT_];
	int64_t writes[FK_COUNT_];
	int64_t syncs[FK_COUNT_];
};

static struct io_count io; /* the bench's only global: the shim's tally */
static sqlite3_vfs *real_vfs;
static sqlite3_vfs count_vfs;

struct count_file {
	sqlite3_file base;
	enum file_kind kind;
	sqlite3_file *real; /* follows this struct in the same allocation */
};

static sqlite3_file *real_of(sqlite3_file *f)
{
	return ((struct count_file *)f)->real;
}

static int c_close(sqlite3_file *f)
{
	return real_of(f)->pMethods->xClose(real_of(f));
}

static int c_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	return real_of(f)->pMethods->xRead(real_of(f), buf, amt, off);
}

static int c_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	struct count_file *cf = (struct count_file *)f;

	io.bytes[cf->kind] += amt;
	io.writes[cf->kind]++;
	return cf->real->pMethods->xWrite(cf->real, buf, amt, off);
}

static int c_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return real_of(f)->pMethods->xTruncate(real_of(f), size);
}

static int c_sync(sqlite3_file *f, int flags)
{
	struct count_file *cf = (struct count_file *)f;

	io.syncs[cf->kind]++;
	return cf->real->pMethods->xSync(cf->real, flags);
}

static int c_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return real_of(f)->pMethods->xFileSize(real_of(f), size);
}

static int c_lock(sqlite3_file *f, int lock)
{
	return real_of(f)->pMethods->xLock(real_of(f), lock);
}

static int c_unlock(sqlite3_file *f, int lock)
{
	return real_of(f)->pMethods->xUnlock(real_of(f), lock);
}

static int c_check_lock(sqlite3_file *f, int *out)
{
	return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}

static int c_file_control(sqlite3_file *f, int op, void *arg)
{
	return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}

static int c_sector_size(sqlite3_file *f)
{
	return real_of(f)->pMethods->xSectorSize(real_of(f));
}

static int c_device_chars(sqlite3_file *f)
{
	return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}

static int c_shm_map(sqlite3_file *f, int pg, int pgsz, int extend,
                     void volatile **pp)
{
	return real_of(f)->pMethods->xShmMap(real_of(f), pg, pgsz, extend, pp);
}

static int c_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}

static void c_shm_barrier(sqlite3_file *f)
{
	real_of(f)->pMethods->xShmBarrier(real_of(f));
}

static int c_shm_unmap(sqlite3_file *f, int del)
{
	return real_of(f)->pMethods->xShmUnmap(real_of(f), del);
}

static int c_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
	return real_of(f)->pMethods->xFetch(real_of(f), off, amt, pp);
}

static int c_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

static const sqlite3_io_methods count_methods = {
    .iVersion = 3,
    .xClose = c_close,
    .xRead = c_read,
    .xWrite = c_write,
    .xTruncate = c_truncate,
    .xSync = c_sync,
    .xFileSize = c_file_size,
    .xLock = c_lock,
    .xUnlock = c_unlock,
    .xCheckReservedLock = c_check_lock,
    .xFileControl = c_file_control,
    .xSectorSize = c_sector_size,
    .xDeviceCharacteristics = c_device_chars,
    .xShmMap = c_shm_map,
    .xShmLock = c_shm_lock,
    .xShmBarrier = c_shm_barrier,
    .xShmUnmap = c_shm_unmap,
    .xFetch = c_fetch,
    .xUnfetch = c_unfetch,
};

static int c_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f,
                  int flags, int *out_flags)
{
	struct count_file *cf = (struct count_file *)f;
	int rc;

	(void)vfs;
	cf->real = (sqlite3_file *)(cf + 1);
	cf->kind = (flags & SQLITE_OPEN_MAIN_DB) ? FK_DB
	           : (flags & SQLITE_OPEN_WAL)   ? FK_WAL
	                                         : FK_OTHER;
	rc = real_vfs->xOpen(real_vfs, name, cf->real, flags, out_flags);
	cf->base.pMethods = cf->real->pMethods ? &count_methods : NULL;
	return rc;
}

static void count_vfs_register(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	if (!real_vfs) {
		fprintf(stderr, "no default SQLite VFS\n");
		exit(1);
	}
	/* The real VFS's other methods do not depend on which struct calls
	 * them: copy it and replace open. */
	count_vfs = *real_vfs;
	count_vfs.zName = "count";
	count_vfs.szOsFile =
	    (int)sizeof(struct count_file) + real_vfs->szOsFile;
	count_vfs.xOpen = c_open;
	if (sqlite3_vfs_register(&count_vfs, 1) != SQLITE_OK) {
		fprintf(stderr, "cannot register the counting VFS\n");
		exit(1);
	}
}

/* ---- helpers ---- */

static int64_t proc_write_bytes(void)
{
	char line[128];
	int64_t v = -1;
	FILE *f = fopen("/proc/self/io", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "write_bytes: %" SCNd64, &v) == 1)
			break;
	fclose(f);
	return v;
}

/* CPU time: the machine is shared, so wall time is noisy. */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, gs_strerror(rc));
	exit(1);
}

static const char *const sensor_names[] = {"entrance", "till-queue",
                                           "smiley-exit", "staff"};

/* A plausible event stream: mostly footfall and queue, some presses. */
static struct gs_event make_event(uint64_t i, int64_t t_ms, unsigned *sensor)
{
	struct gs_event ev = {.t_ms = t_ms};
	uint64_t r = i * 2654435761u;

	*sensor = (unsigned)(r % 4);
	switch (*sensor) {
	case 0:
		ev.kind = (uint8_t)(r & 16 ? GS_EV_IN : GS_EV_OUT);
		break;
	case 1:
		ev.kind = (uint8_t)(r & 16 ? GS_EV_JOIN : GS_EV_SERVE);
		break;
	default:
		ev.kind = GS_EV_PRESS;
		ev.value = (uint8_t)(r % 5);
		break;
	}
	ev.sensor = (uint16_t)*sensor;
	return ev;
}

/* A metrics message of the real size (about 700 bytes). */
static cJSON *metrics_payload(int64_t start_ms)
{
	cJSON *p = cJSON_CreateObject();
	cJSON *o;

	if (!p)
		die("payload", GS_ENOMEM);
	cJSON_AddStringToObject(p, "schema", "gapsense.metrics.v1");
	gs_json_add_int(p, "seq", 0);
	cJSON_AddStringToObject(p, "gateway", "till-1");
	cJSON_AddStringToObject(p, "site", "store-042");
	gs_json_add_time(p, "window_start", start_ms, false);
	gs_json_add_time(p, "window_end", start_ms + WINDOW_MS, false);
	o = cJSON_AddObjectToObject(p, "footfall");
	gs_json_add_int(o, "in", 1234);
	gs_json_add_int(o, "out", 1201);
	gs_json_add_int(o, "occupancy", 33);
	o = cJSON_AddObjectToObject(p, "queue");
	gs_json_add_int(o, "joined", 210);
	gs_json_add_int(o, "served", 205);
	gs_json_add_int(o, "abandoned", 2);
	gs_json_add_int(o, "length_max", 9);
	gs_json_add_decimal(o, "wait_mean_s", 143.25);
	gs_json_add_decimal(o, "wait_p90_s", 250.5);
	gs_json_add_decimal(o, "target_wait_s", 180.0);
	gs_json_add_decimal(o, "service_level_pct", 81.2);
	o = cJSON_AddObjectToObject(p, "feedback");
	cJSON_AddItemToObject(
	    o, "presses", cJSON_CreateIntArray((const int[]){3, 5, 20, 40}, 4));
	gs_json_add_int(o, "misuse", 1);
	gs_json_add_decimal(o, "index", 72.4);
	gs_json_add_decimal(o, "response_rate_pct", 32.1);
	o = cJSON_AddObjectToObject(p, "staff");
	cJSON_AddItemToObject(
	    o, "presses", cJSON_CreateIntArray((const int[]){0, 1, 4, 6}, 4));
	gs_json_add_decimal(o, "index", 78.0);
	o = cJSON_AddObjectToObject(p, "gap");
	gs_json_add_decimal(o, "perceived", 72.4);
	gs_json_add_decimal(o, "actual", 81.2);
	gs_json_add_decimal(o, "value", -8.8);
	cJSON_AddStringToObject(o, "quadrant", "good-both");
	gs_json_add_decimal(o, "staff_vs_customer", 5.6);
	return p;
}

/* Creates an empty database with the given page size; the store keeps the
 * page size of a file that exists. */
static void precreate(const char *path, int page_size)
{
	char sql[96];
	sqlite3 *db;

	snprintf(sql, sizeof(sql),
	         "PRAGMA page_size=%d; PRAGMA journal_mode=WAL;", page_size);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_store: %s: %s\n", path,
		        sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_close(db);
}

static void remove_db(const char *path)
{
	char p[600];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/* ---- the live rate, in virtual time ---- */

static void bench_live(const char *dir, int page_size, int minutes)
{
	char path[512], topic[] = "gapsense/v1/store-042/till-1/metrics";
	struct gs_store_opts opts = {0};
	struct gs_store *st;
	struct io_count before;
	int64_t kernel0, kernel1, events = 0, end_ms;
	int64_t next_commit = T0 + COMMIT_MS, next_window = T0 + WINDOW_MS;
	uint64_t acked = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/bench-live-%d.db", dir, page_size);
	remove_db(path);
	precreate(path, page_size);
	rc = gs_store_open(path, &opts, &st);
	if (rc != GS_OK)
		die("open", rc);
	rc = gs_store_set_boot(st, "5c0ffee0-0000-4000-8000-000000000001");
	if (rc == GS_OK)
		rc = gs_store_commit(st);
	if (rc != GS_OK)
		die("boot", rc);

	before = io;
	kernel0 = proc_write_bytes();
	end_ms = T0 + (int64_t)minutes * 60 * 1000;
	for (int64_t t = T0; t < end_ms; t += 1000 / EVENTS_PER_S) {
		unsigned sensor;
		struct gs_event ev = make_event((uint64_t)events, t, &sensor);

		rc = gs_store_add_event(st, &ev, sensor_names[sensor],
		                        (t - T0) * 1000000 + 123456789);
		if (rc != GS_OK)
			die("add_event", rc);
		events++;
		if (t >= next_window) {
			/* A window closes: message, durable commit; the
			 * broker's acknowledgement lands in the next group. */
			cJSON *p = metrics_payload(next_window - WINDOW_MS);
			uint64_t seq;

			rc = gs_store_enqueue(st, GS_MSG_METRICS, topic, t,
			                      next_window - WINDOW_MS, p, &seq);
			cJSON_Delete(p);
			if (rc == GS_OK)
				rc = gs_store_commit(st);
			if (rc == GS_OK)
				rc = gs_store_outbox_ack(st, seq);
			if (rc != GS_OK)
				die("enqueue", rc);
			acked++;
			next_window += WINDOW_MS;
		}
		if (t + 1000 / EVENTS_PER_S >= next_commit ||
		    gs_store_uncommitted(st) >= COMMIT_EVENTS) {
			rc = gs_store_commit(st);
			if (rc != GS_OK)
				die("commit", rc);
			next_commit += COMMIT_MS;
		}
	}
	kernel1 = proc_write_bytes();
	{
		int64_t wal = io.bytes[FK_WAL] - before.bytes[FK_WAL];
		int64_t db = io.bytes[FK_DB] - before.bytes[FK_DB];
		int64_t syncs = io.syncs[FK_WAL] + io.syncs[FK_DB] -
		                before.syncs[FK_WAL] - before.syncs[FK_DB];

		printf("  page %5d: %6.1f B/event (WAL %6.1f + checkpoints "
		       "%5.1f), kernel %6.1f B/event, %" PRId64
		       " fsyncs, %" PRIu64 " windows\n",
		       page_size, (double)(wal + db) / (double)events,
		       (double)wal / (double)events,
		       (double)db / (double)events,
		       kernel0 >= 0 && kernel1 >= 0
		           ? (double)(kernel1 - kernel0) / (double)events
		           : -1.0,
		       syncs, acked);
	}
	gs_store_close(st);
	remove_db(path);
}

/* ---- throughput: a simulated day ---- */

static double bench_day_store(const char *dir, int page_size, int batch)
{
	char path[512];
	struct gs_store_opts opts = {0};
	struct gs_store *st;
	double t0, t1;
	int rc;

	snprintf(path, sizeof(path), "%s/bench-day.db", dir);
	remove_db(path);
	precreate(path, page_size);
	rc = gs_store_open(path, &opts, &st);
	if (rc != GS_OK)
		die("open", rc);
	t0 = cpu_s();
	for (int i = 0; i < DAY_EVENTS; i++) {
		unsigned sensor;
		int64_t t = T0 + (int64_t)i * 122;
		struct gs_event ev = make_event((uint64_t)i, t, &sensor);

		rc = gs_store_add_event(st, &ev, sensor_names[sensor],
		                        t * 1000000);
		if (rc == GS_OK && gs_store_uncommitted(st) >= (unsigned)batch)
			rc = gs_store_commit(st);
		if (rc != GS_OK)
			die("day", rc);
	}
	rc = gs_store_commit(st);
	if (rc != GS_OK)
		die("day", rc);
	t1 = cpu_s();
	gs_store_close(st);
	remove_db(path);
	return t1 - t0;
}

/* The same rows with bare SQLite: what the store's own code adds. */
static double bench_day_bare(const char *dir, int page_size, int batch)
{
	char path[512], pragmas[64];
	sqlite3 *db;
	sqlite3_stmt *ins;
	double t0, t1;
	int rc;

	snprintf(path, sizeof(path), "%s/bench-bare.db", dir);
	remove_db(path);
	snprintf(pragmas, sizeof(pragmas), "PRAGMA page_size=%d;", page_size);
	rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, pragmas, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(
		    db,
		    "PRAGMA journal_mode=WAL;"
		    "PRAGMA synchronous=NORMAL; PRAGMA secure_delete=OFF;"
		    "CREATE TABLE events(id INTEGER PRIMARY KEY, t_ms INT,"
		    " mono_ns INT, boot INT, sensor INT, kind INT,"
		    " value INT, input INT, flags INT);",
		    NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db,
		                        "INSERT INTO events(t_ms, mono_ns,"
		                        " boot, sensor, kind, value, input,"
		                        " flags) VALUES(?,?,?,?,?,?,?,?)",
		                        -1, &ins, NULL);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "bare: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	t0 = cpu_s();
	for (int i = 0; i < DAY_EVENTS && rc == SQLITE_OK; i++) {
		unsigned sensor;
		int64_t t = T0 + (int64_t)i * 122;
		struct gs_event ev = make_event((uint64_t)i, t, &sensor);

		if (i % batch == 0)
			rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		sqlite3_bind_int64(ins, 1, t);
		sqlite3_bind_int64(ins, 2, t * 1000000);
		sqlite3_bind_int(ins, 3, 1);
		sqlite3_bind_int(ins, 4, (int)sensor + 1);
		sqlite3_bind_int(ins, 5, ev.kind);
		sqlite3_bind_int(ins, 6, ev.value);
		sqlite3_bind_int(ins, 7, ev.input);
		sqlite3_bind_int(ins, 8, ev.flags);
		if (rc == SQLITE_OK && sqlite3_step(ins) != SQLITE_DONE)
			rc = SQLITE_ERROR;
		sqlite3_reset(ins);
		if (rc == SQLITE_OK && i % batch == batch - 1)
			rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK && !sqlite3_get_autocommit(db))
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	t1 = cpu_s();
	if (rc != SQLITE_OK) {
		fprintf(stderr, "bare: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_finalize(ins);
	sqlite3_close(db);
	remove_db(path);
	return t1 - t0;
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	const char *dir = argc > 2 ? argv[2] : (tmp ? tmp : "/tmp");
	int minutes = argc > 1 ? atoi(argv[1]) : 60;
	const int page_sizes[] = {512, 1024, 2048, 4096};
	const int batches[] = {COMMIT_EVENTS, 4096, DAY_EVENTS};

	if (minutes <= 0) {
		fprintf(stderr, "usage: bench_store [MINUTES [DIR]]\n");
		return 2;
	}
	gs_log_set_level(GS_LOG_WARNING);
	count_vfs_register();

	printf("store write cost: %d events/s for %d min of virtual time, "
	       "commit every %d ms or %d events, a window every 15 min "
	       "(in %s)\n",
	       EVENTS_PER_S, minutes, COMMIT_MS, COMMIT_EVENTS, dir);
	for (size_t i = 0; i < sizeof(page_sizes) / sizeof(page_sizes[0]); i++)
		bench_live(dir, page_sizes[i], minutes);

	printf("store throughput: %d events (a simulated 100k-customer day), "
	       "CPU seconds, best of 3\n",
	       DAY_EVENTS);
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		double bare = 1e9, bare4k = 1e9, s1k = 1e9, s512 = 1e9;

		for (int rep = 0; rep < 3; rep++) {
			bare =
			    fmin(bare, bench_day_bare(dir, 1024, batches[i]));
			bare4k =
			    fmin(bare4k, bench_day_bare(dir, 4096, batches[i]));
			s1k = fmin(s1k, bench_day_store(dir, 1024, batches[i]));
			s512 =
			    fmin(s512, bench_day_store(dir, 512, batches[i]));
		}

		printf("  commit every %6d: gs_store %.3f s (page 1024), "
		       "%.3f s (page 512); bare SQLite %.3f s (page 1024), "
		       "%.3f s (page 4096)\n",
		       batches[i], s1k, s512, bare, bare4k);
	}
	return 0;
}
