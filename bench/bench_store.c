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
 *   bench_store --bare EVENTS [DIR]
 *       only bare SQLite inserting EVENTS rows with the settings the store
 *       uses in a replay, timed (wall and CPU): the baseline of issue 12's
 *       "within 1.3x of a bare SQLite insert of the same rows", printed by
 *       bench/bench_replay.sh
 */
#include "bench/bench_util.h"
#include "gateway/err.h"
#include "gateway/event.h"
#include "gateway/log.h"
#include "gateway/msg.h"
#include "gateway/store.h"
#include "gateway/timeutil.h"
#include "tests/unit/vfs_wrap.h"

#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define T0            INT64_C(1795424400000) /* 2026-11-23T09:00:00Z */
#define EVENTS_PER_S  20
#define COMMIT_MS     500
#define COMMIT_EVENTS 64
#define WINDOW_MS     (15 * 60 * 1000)
#define DAY_EVENTS    354000

/* The throughput table's bare SQLite: the live settings that matter. */
#define LIVE_SETTINGS "PRAGMA synchronous=NORMAL; PRAGMA secure_delete=OFF;"

/* What the store sets for a replay's throw-away database (gateway/store_open.c,
 * gs_store_set_pragmas() with opts.ephemeral; gateway.c commits a replay
 * every GS_FAST_COMMIT_EVENTS). Copied, so keep them in step. */
#define REPLAY_SETTINGS                                                        \
	"PRAGMA synchronous=OFF; PRAGMA secure_delete=OFF;"                    \
	"PRAGMA temp_store=MEMORY; PRAGMA cache_size=-128;"                    \
	"PRAGMA wal_autocheckpoint=2000; PRAGMA journal_size_limit=4194304;"
#define REPLAY_PAGE_SIZE     1024
#define REPLAY_COMMIT_EVENTS 8192

/* ---- what SQLite writes, counted by a VFS wrapper ---- */

enum file_kind { FK_DB, FK_WAL, FK_OTHER, FK_COUNT_ };

struct io_count {
	int64_t bytes[FK_COUNT_];
	int64_t writes[FK_COUNT_];
	int64_t syncs[FK_COUNT_];
};

static enum file_kind file_kind(const struct vfs_wrap_file *f)
{
	return (f->flags & SQLITE_OPEN_MAIN_DB) ? FK_DB
	       : (f->flags & SQLITE_OPEN_WAL)   ? FK_WAL
	                                        : FK_OTHER;
}

static int count_write(struct vfs_wrap *w, struct vfs_wrap_file *f, int amt,
                       sqlite3_int64 off)
{
	struct io_count *io = w->ctx;

	(void)off;
	io->bytes[file_kind(f)] += amt;
	io->writes[file_kind(f)]++;
	return SQLITE_OK;
}

static void count_sync(struct vfs_wrap *w, struct vfs_wrap_file *f)
{
	struct io_count *io = w->ctx;

	io->syncs[file_kind(f)]++;
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

static void bench_live(const char *dir, int page_size, int minutes,
                       struct io_count *io)
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

	before = *io;
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
		int64_t wal = io->bytes[FK_WAL] - before.bytes[FK_WAL];
		int64_t db = io->bytes[FK_DB] - before.bytes[FK_DB];
		int64_t syncs = io->syncs[FK_WAL] + io->syncs[FK_DB] -
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
	t0 = bench_cpu_s();
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
	t1 = bench_cpu_s();
	gs_store_close(st);
	remove_db(path);
	return t1 - t0;
}

/* Retention over a day of events: the longest a prune step holds the loop
 * (wall time, commit included), and how many steps half the day takes. */
static void bench_prune(const char *dir)
{
	char path[512];
	struct gs_store_opts opts = {0};
	struct gs_store *st;
	double worst = 0.0;
	unsigned steps = 0;
	bool more = true;
	int rc;

	snprintf(path, sizeof(path), "%s/bench-prune.db", dir);
	remove_db(path);
	rc = gs_store_open(path, &opts, &st);
	if (rc != GS_OK)
		die("open", rc);
	for (int i = 0; i < DAY_EVENTS && rc == GS_OK; i++) {
		unsigned sensor;
		int64_t t = T0 + (int64_t)i * 122;
		struct gs_event ev = make_event((uint64_t)i, t, &sensor);

		rc = gs_store_add_event(st, &ev, sensor_names[sensor],
		                        t * 1000000);
		if (rc == GS_OK && gs_store_uncommitted(st) >= 4096)
			rc = gs_store_commit(st);
	}
	if (rc == GS_OK)
		rc = gs_store_commit(st);
	while (rc == GS_OK && more) {
		double t0 = (double)gs_clock_monotonic_ns() / 1e9, dt;

		rc = gs_store_prune_step(st, T0 + DAY_EVENTS / 2 * 122, 0,
		                         &more);
		if (rc == GS_OK)
			rc = gs_store_commit(st);
		dt = (double)gs_clock_monotonic_ns() / 1e9 - t0;
		worst = dt > worst ? dt : worst;
		steps++;
	}
	if (rc != GS_OK)
		die("prune", rc);
	gs_store_close(st);
	remove_db(path);
	printf("store retention: half a day (%d events) pruned in %u steps, "
	       "the longest %.1f ms\n",
	       DAY_EVENTS / 2, steps, worst * 1e3);
}

/* bench_day_store() in a child, for its own peak RSS. */
static double bench_day_store_rss(const char *dir, int page_size, int batch,
                                  long *maxrss_kib)
{
	struct rusage ru;
	double cpu = -1.0;
	int fds[2], status;
	pid_t pid;

	fflush(NULL);
	if (pipe(fds) != 0 || (pid = fork()) < 0) {
		perror("bench_store: fork");
		exit(1);
	}
	if (pid == 0) {
		close(fds[0]);
		cpu = bench_day_store(dir, page_size, batch);
		if (write(fds[1], &cpu, sizeof(cpu)) != (ssize_t)sizeof(cpu))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &cpu, sizeof(cpu)) != (ssize_t)sizeof(cpu) ||
	    wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_store: the child failed\n");
		exit(1);
	}
	close(fds[0]);
	*maxrss_kib = ru.ru_maxrss;
	return cpu;
}

/* The same rows with bare SQLite: what the store's own code adds. Returns
 * the CPU time of the inserts; *wall_s (if not NULL) gets their wall time. */
static double bench_day_bare(const char *dir, int page_size, int batch,
                             int events, const char *settings, double *wall_s)
{
	char path[512], pragmas[64];
	sqlite3 *db;
	sqlite3_stmt *ins;
	double t0, t1;
	int64_t w0;
	int rc;

	snprintf(path, sizeof(path), "%s/bench-bare.db", dir);
	remove_db(path);
	snprintf(pragmas, sizeof(pragmas), "PRAGMA page_size=%d;", page_size);
	rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, pragmas, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL;", NULL, NULL,
		                  NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, settings, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(
		    db,
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
	t0 = bench_cpu_s();
	w0 = gs_clock_monotonic_ns();
	for (int i = 0; i < events && rc == SQLITE_OK; i++) {
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
	t1 = bench_cpu_s();
	if (wall_s)
		*wall_s = (double)(gs_clock_monotonic_ns() - w0) / 1e9;
	if (rc != SQLITE_OK) {
		fprintf(stderr, "bare: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_finalize(ins);
	sqlite3_close(db);
	remove_db(path);
	return t1 - t0;
}

/* bench_store --bare EVENTS [DIR]: one timed run, one line. */
static int bench_bare_replay(int argc, char **argv, const char *dir)
{
	char *end;
	long events = argc > 2 ? strtol(argv[2], &end, 10) : 0;
	double cpu, wall;

	if (events <= 0 || events > INT32_MAX || *end) {
		fprintf(stderr, "usage: bench_store --bare EVENTS [DIR]\n");
		return 2;
	}
	cpu = bench_day_bare(argc > 3 ? argv[3] : dir, REPLAY_PAGE_SIZE,
	                     REPLAY_COMMIT_EVENTS, (int)events, REPLAY_SETTINGS,
	                     &wall);
	printf("bare SQLite: %ld events, page %d, a commit every %d, the "
	       "store's replay settings: wall %.3f s, cpu %.3f s\n",
	       events, REPLAY_PAGE_SIZE, REPLAY_COMMIT_EVENTS, wall, cpu);
	return 0;
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	const char *dir = argc > 2 ? argv[2] : (tmp ? tmp : "/tmp");
	int minutes;
	const int page_sizes[] = {512, 1024, 2048, 4096};
	const int batches[] = {COMMIT_EVENTS, 4096, DAY_EVENTS};
	struct io_count io = {0};
	long maxrss = 0;
	struct vfs_wrap wrap = {0};

	/* Before the counting VFS is registered: bare means bare. */
	if (argc > 1 && strcmp(argv[1], "--bare") == 0)
		return bench_bare_replay(argc, argv, tmp ? tmp : "/tmp");
	minutes = argc > 1 ? atoi(argv[1]) : 60;
	if (minutes <= 0) {
		fprintf(stderr, "usage: bench_store [MINUTES [DIR]]\n");
		return 2;
	}
	gs_log_set_level(GS_LOG_WARNING);
	wrap.on_write = count_write;
	wrap.on_sync = count_sync;
	wrap.ctx = &io;
	vfs_wrap_register(&wrap);

	/* First, while this process is still small: the child starts as a
	 * copy of it. */
	(void)bench_day_store_rss(dir, 1024, COMMIT_EVENTS, &maxrss);

	printf("store write cost: %d events/s for %d min of virtual time, "
	       "commit every %d ms or %d events, a window every 15 min "
	       "(in %s)\n",
	       EVENTS_PER_S, minutes, COMMIT_MS, COMMIT_EVENTS, dir);
	for (size_t i = 0; i < sizeof(page_sizes) / sizeof(page_sizes[0]); i++)
		bench_live(dir, page_sizes[i], minutes, &io);

	printf("store throughput: %d events (a simulated 100k-customer day), "
	       "CPU seconds, best of 3\n",
	       DAY_EVENTS);
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		double bare = 1e9, bare4k = 1e9, s1k = 1e9, s512 = 1e9;

		for (int rep = 0; rep < 3; rep++) {
			bare = fmin(bare, bench_day_bare(dir, 1024, batches[i],
			                                 DAY_EVENTS,
			                                 LIVE_SETTINGS, NULL));
			bare4k =
			    fmin(bare4k, bench_day_bare(dir, 4096, batches[i],
			                                DAY_EVENTS,
			                                LIVE_SETTINGS, NULL));
			s1k = fmin(s1k, bench_day_store(dir, 1024, batches[i]));
			s512 =
			    fmin(s512, bench_day_store(dir, 512, batches[i]));
		}
		printf("  commit every %6d: gs_store %.3f s (page 1024), "
		       "%.3f s (page 512); bare SQLite %.3f s (page 1024), "
		       "%.3f s (page 4096)\n",
		       batches[i], s1k, s512, bare, bare4k);
	}
	bench_prune(dir);
	printf("store peak RSS: %ld KiB for the day with a commit every %d "
	       "(a child process: the store, SQLite, libc)\n",
	       maxrss, COMMIT_EVENTS);
	return 0;
}
