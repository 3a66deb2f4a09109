/* SPDX-License-Identifier: MIT */
/*
 * The sync module: the exact "historical" rewrite, the configuration checks
 * (loopback detection, password file permissions, refusals at creation),
 * and one drain of a real outbox through a real mosquitto on a free
 * loopback port, driven by a real gs_loop.
 */
#include "gateway/config.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/loop.h"
#include "gateway/msg.h"
#include "gateway/store.h"
#include "gateway/timeutil.h"
#include "sync/sync.h"
#include "sync/sync_priv.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- historical rewrite -------------------------------------------------- */

static void check_rewrite(const char *in, const char *want)
{
	size_t len = 0;
	char *out = gs_sync_json_set_historical(in, strlen(in), &len);

	if (!want) {
		assert_null(out);
		return;
	}
	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
	free(out);
}

static void test_rewrite_replaces(void **state)
{
	(void)state;
	check_rewrite("{\"seq\":1,\"historical\":false,\"x\":50.0}",
	              "{\"seq\":1,\"historical\":true,\"x\":50.0}");
	/* Already true: unchanged. */
	check_rewrite("{\"historical\":true}", "{\"historical\":true}");
	/* Blanks around the member are kept as they are. */
	check_rewrite("{ \"a\" : [1, {\"historical\": false}] , "
	              "\"historical\" : false }",
	              "{ \"a\" : [1, {\"historical\": false}] , "
	              "\"historical\" : true }");
}

static void test_rewrite_appends(void **state)
{
	(void)state;
	/* Numbers stay byte for byte (a re-serialisation would print 180). */
	check_rewrite("{\"seq\":7,\"target\":180.0,\"t\":\"a\\\"}\"}",
	              "{\"seq\":7,\"target\":180.0,\"t\":\"a\\\"}\","
	              "\"historical\":true}");
	check_rewrite("{}", "{\"historical\":true}");
	check_rewrite(" { } ", " { \"historical\":true} ");
	/* Nested members and strings that look like the key are left. */
	check_rewrite("{\"d\":{\"historical\":false},\"s\":\"historical\"}",
	              "{\"d\":{\"historical\":false},\"s\":\"historical\","
	              "\"historical\":true}");
}

static void test_rewrite_refuses(void **state)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{",
	    "{\"a\":}",
	    "{\"a\":1",
	    "{\"a\":1}x",
	    "{\"a\" 1}",
	    "{1:2}",
	    "{\"a\":\"unterminated}",
	    "{\"a\":[1,2}",
	    "null",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_rewrite(bad[i], NULL);
}

/* ---- UTF-8 --------------------------------------------------------------- */

static void test_utf8_check(void **state)
{
	static const struct {
		const char *s;
		size_t bad; /* offset of the first bad byte; SIZE_MAX: valid */
	} cases[] = {
	    {"", SIZE_MAX},
	    {"plain ascii", SIZE_MAX},
	    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", SIZE_MAX},
	    {"\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf", SIZE_MAX},
	    {"a\xff", 1},            /* never in UTF-8 */
	    {"ab\x80", 2},           /* a lone continuation byte */
	    {"\xc0\xaf", 0},         /* overlong '/' */
	    {"\xe0\x80\xaf", 0},     /* overlong, three bytes */
	    {"\xf0\x80\x80\xaf", 0}, /* overlong, four bytes */
	    {"x\xed\xa0\x80", 1},    /* a UTF-16 surrogate */
	    {"\xf4\x90\x80\x80", 0}, /* above U+10FFFF */
	    {"\xf5\x80\x80\x80", 0},
	    {"ok\xe2\x82", 2},    /* cut short at the end */
	    {"\xe2\x28\xa1", 0},  /* a bad second byte */
	    {"\xf0\x9f\x98(", 0}, /* a bad last byte */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].s);

		assert_int_equal(gs_sync_utf8_check(cases[i].s, len),
		                 cases[i].bad == SIZE_MAX ? len : cases[i].bad);
	}
}

/* ---- configuration checks ------------------------------------------------ */

static void test_loopback(void **state)
{
	static const struct {
		const char *uri;
		bool loopback;
	} cases[] = {
	    {"mqtt://localhost:1883", true},
	    {"mqtt://LOCALHOST", true},
	    {"tcp://127.0.0.1:1883", true},
	    {"mqtt://127.8.9.10", true},
	    {"mqtt://[::1]:1883", true},
	    {"mqtt://10.0.0.5:1883", false},
	    {"mqtt://broker.example:1883", false},
	    {"mqtt://localhost.example:1883", false},
	    {"mqtt://127.evil.example:1883", false},
	    {"mqtt://127.0.0.1.example:1883", false},
	    {"mqtt://[::ffff:127.0.0.1]:1883", true},
	    {"mqtt://[::ffff:10.0.0.1]:1883", false},
	    {"mqtt://0.0.0.0:1883", false},
	    {"mqtt://[2001:db8::1]:1883", false},
	    {"garbage", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(gs_sync_uri_is_loopback(cases[i].uri),
		                 cases[i].loopback);
}

static void test_password_file(void **state)
{
	char *dir = gs_test_mkdtemp();
	char *good = gs_test_write_file(dir, "good", "s3cret\r\nignored\n");
	char *open_ = gs_test_write_file(dir, "open", "s3cret\n");
	char *empty = gs_test_write_file(dir, "empty", "\n");
	char *missing;
	char *pw = NULL;

	(void)state;
	assert_int_equal(asprintf(&missing, "%s/missing", dir) > 0, 1);
	chmod(good, 0640);
	chmod(open_, 0644);
	chmod(empty, 0600);
	assert_int_equal(gs_sync_read_password(good, &pw), GS_OK);
	assert_string_equal(pw, "s3cret");
	free(pw);
	/* Modes are the policy's (test_config_files.c), checked before. */
	assert_int_equal(gs_sync_read_password(open_, &pw), GS_OK);
	free(pw);
	assert_int_equal(gs_sync_read_password(empty, &pw), GS_ECONFIG);
	assert_int_equal(gs_sync_read_password(missing, &pw), GS_ENOENT);
	assert_int_equal(gs_sync_read_password(dir, &pw), GS_EPERM);
	free(good);
	free(open_);
	free(empty);
	free(missing);
	gs_test_rmdir(dir);
}

struct fixture {
	char *dir;
	char db[512];
	struct gs_config cfg;
	struct gs_store *store;
	struct gs_loop *loop;
};

static int fixture_setup(void **state)
{
	struct gs_store_opts opts = {0};
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = gs_test_mkdtemp();
	snprintf(f->db, sizeof(f->db), "%s/test.db", f->dir);
	gs_test_mqtt_config(&f->cfg);
	assert_int_equal(gs_store_open(f->db, &opts, &f->store), GS_OK);
	f->loop = gs_loop_new();
	assert_non_null(f->loop);
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	gs_store_close(f->store);
	gs_loop_free(f->loop);
	gs_test_rmdir(f->dir);
	free(f);
	return 0;
}

static void test_new_refuses(void **state)
{
	struct fixture *f = *state;
	struct gs_sync *sync = NULL;
	char *pw = gs_test_write_file(f->dir, "pw", "x\n");

	/* A password file others can read: the file policy refuses it. */
	chmod(pw, 0644);
	snprintf(f->cfg.username, sizeof(f->cfg.username), "unit");
	snprintf(f->cfg.password_file, sizeof(f->cfg.password_file), "%s", pw);
	assert_int_equal(
	    gs_sync_new(&f->cfg, f->store, f->loop, NULL, NULL, &sync),
	    GS_ECONFIG);
	assert_null(sync);
	/* A password without a user name, with MQTT 3.1.1. */
	chmod(pw, 0600);
	f->cfg.username[0] = '\0';
	assert_int_equal(
	    gs_sync_new(&f->cfg, f->store, f->loop, NULL, NULL, &sync),
	    GS_ECONFIG);
	/* A CA file that is not there. */
	f->cfg.password_file[0] = '\0';
	snprintf(f->cfg.broker, sizeof(f->cfg.broker), "mqtts://127.0.0.1:1");
	snprintf(f->cfg.ca_file, sizeof(f->cfg.ca_file), "%s/nope.pem", f->dir);
	assert_int_equal(
	    gs_sync_new(&f->cfg, f->store, f->loop, NULL, NULL, &sync),
	    GS_ECONFIG);
	/* And a good one: created, not connected, not idle. */
	f->cfg.ca_file[0] = '\0';
	assert_int_equal(
	    gs_sync_new(&f->cfg, f->store, f->loop, NULL, NULL, &sync), GS_OK);
	assert_false(gs_sync_connected(sync));
	assert_false(gs_sync_idle(sync));
	gs_sync_free(sync);
	gs_sync_free(NULL);
	free(pw);
}

/* What gs_log() writes between capture_begin() and capture_end(), at
 * level WARNING and above. */
struct capture {
	FILE *file;
	int saved_fd;
};

static void capture_begin(struct capture *c)
{
	c->file = tmpfile();
	assert_non_null(c->file);
	fflush(stderr);
	c->saved_fd = dup(STDERR_FILENO);
	assert_true(c->saved_fd >= 0);
	assert_true(dup2(fileno(c->file), STDERR_FILENO) >= 0);
	gs_log_set_level(GS_LOG_WARNING);
}

/* Returns the text (malloc'd). */
static char *capture_end(struct capture *c)
{
	char *text = calloc(1, 16384);
	size_t n;

	gs_log_set_level(GS_LOG_ERR);
	fflush(stderr);
	assert_true(dup2(c->saved_fd, STDERR_FILENO) >= 0);
	close(c->saved_fd);
	assert_non_null(text);
	rewind(c->file);
	n = fread(text, 1, 16383, c->file);
	assert_false(ferror(c->file));
	text[n] = '\0';
	fclose(c->file);
	return text;
}

/* gs_sync_new() with its log captured. Creating connects nowhere: only
 * gs_sync_start() does. */
static char *new_logged(struct fixture *f, struct gs_store *store, int *rc,
                        struct gs_sync **sync)
{
	struct capture c;

	capture_begin(&c);
	*rc = gs_sync_new(&f->cfg, store ? store : f->store, f->loop, NULL,
	                  NULL, sync);
	return capture_end(&c);
}

/* The clear-text warning is logged at start for a broker beyond this
 * machine, naming the password when there is one, and not for loopback. */
static void test_plain_warning_logged(void **state)
{
	struct fixture *f = *state;
	char *pw = gs_test_write_file(f->dir, "pw", "x\n");
	struct gs_sync *sync = NULL;
	char *log;
	int rc;

	chmod(pw, 0600);
	snprintf(f->cfg.broker, sizeof(f->cfg.broker),
	         "mqtt://broker.example:1883");
	log = new_logged(f, NULL, &rc, &sync);
	assert_int_equal(rc, GS_OK);
	assert_non_null(strstr(log, "warning: mqtt: mqtt://broker.example:1883 "
	                            "is not encrypted: data travel in clear "
	                            "text"));
	free(log);
	gs_sync_free(sync);

	snprintf(f->cfg.username, sizeof(f->cfg.username), "unit");
	snprintf(f->cfg.password_file, sizeof(f->cfg.password_file), "%s", pw);
	snprintf(f->cfg.broker, sizeof(f->cfg.broker),
	         "tcp://127.evil.example");
	log = new_logged(f, NULL, &rc, &sync);
	assert_int_equal(rc, GS_OK);
	assert_non_null(strstr(log, "data and password travel in clear text"));
	free(log);
	gs_sync_free(sync);

	/* Loopback and TLS: no such warning. */
	snprintf(f->cfg.broker, sizeof(f->cfg.broker), "mqtt://127.0.0.2:1883");
	log = new_logged(f, NULL, &rc, &sync);
	assert_int_equal(rc, GS_OK);
	assert_null(strstr(log, "not encrypted"));
	free(log);
	gs_sync_free(sync);
	snprintf(f->cfg.broker, sizeof(f->cfg.broker),
	         "mqtts://broker.example:8883");
	log = new_logged(f, NULL, &rc, &sync);
	assert_int_equal(rc, GS_OK);
	assert_null(strstr(log, "not encrypted"));
	free(log);
	gs_sync_free(sync);
	free(pw);
}

/*
 * A full disk (the store capped by max_page_count): gs_sync_store_full()
 * drops the oldest quarter of the undelivered messages, counts and logs
 * the drops, flags the status for republishing, and new messages fit
 * again.
 */
static void test_store_full_drops_oldest(void **state)
{
	struct fixture *f = *state;
	struct gs_store_opts opts = {.max_bytes = 192 * 1024};
	struct gs_outbox_stats before, after;
	struct gs_outbox_msg m;
	char db[600], topic[GS_PATH_MAX], pad[1501];
	struct gs_store *store;
	struct gs_sync *sync = NULL;
	uint64_t seq = 0, committed = 0;
	struct capture cap;
	char *log, *text;
	int rc = GS_OK;
	size_t n = 0;

	snprintf(db, sizeof(db), "%s/full.db", f->dir);
	assert_int_equal(gs_store_open(db, &opts, &store), GS_OK);
	assert_int_equal(
	    gs_msg_topic(&f->cfg, GS_MSG_ALERT, topic, sizeof(topic)), GS_OK);
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	for (int i = 0; i < 1000 && rc == GS_OK; i++) {
		cJSON *p = cJSON_CreateObject();

		assert_non_null(p);
		cJSON_AddStringToObject(p, "schema", "gapsense.alert.v1");
		cJSON_AddStringToObject(p, "pad", pad);
		rc = gs_store_enqueue(store, GS_MSG_ALERT, topic,
		                      gs_clock_realtime_ms(), 0, p, &seq);
		if (rc == GS_OK)
			rc = gs_store_commit(store);
		if (rc == GS_OK)
			committed = seq;
		cJSON_Delete(p);
	}
	assert_int_equal(rc, GS_EFULL);
	assert_true(committed > 20);
	assert_int_equal(gs_store_outbox_stats(store, &before), GS_OK);
	assert_int_equal(before.pending, committed);

	log = new_logged(f, store, &rc, &sync);
	assert_int_equal(rc, GS_OK);
	free(log);
	sync->status_due = false;
	capture_begin(&cap);
	gs_sync_store_full(sync);
	text = capture_end(&cap);
	assert_non_null(strstr(text, "disk full: dropping the oldest quarter"));
	free(text);

	assert_int_equal(gs_store_outbox_stats(store, &after), GS_OK);
	assert_true(after.dropped >= before.pending / 4);
	assert_true(after.dropped <= before.pending / 4 + 1);
	assert_int_equal(after.pending, before.pending - after.dropped);
	assert_true(after.bytes <= before.bytes / 4 * 3);
	assert_true(sync->status_due); /* outbox.dropped changed */
	/* The oldest went: the first left is the first not dropped. */
	assert_int_equal(gs_store_outbox_fetch(store, 0, -1, &m, 1, &n), GS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(m.seq, after.dropped + 1);
	gs_outbox_msg_clear(&m);

	/* And the next message fits. */
	{
		cJSON *p = cJSON_CreateObject();

		assert_non_null(p);
		cJSON_AddStringToObject(p, "pad", pad);
		assert_int_equal(gs_store_enqueue(store, GS_MSG_ALERT, topic,
		                                  gs_clock_realtime_ms(), 0, p,
		                                  &seq),
		                 GS_OK);
		cJSON_Delete(p);
	}
	assert_int_equal(gs_store_commit(store), GS_OK);
	assert_int_equal(seq, committed + 1);
	gs_sync_free(sync);
	gs_store_close(store);
}

static void test_backoff(void **state)
{
	struct fixture *f = *state;
	struct gs_sync *sync = NULL;
	int64_t lo = 1000, hi = 60000, max_seen = 0, sum_late = 0;

	f->cfg.reconnect_min_ms = lo;
	f->cfg.reconnect_max_ms = hi;
	assert_int_equal(
	    gs_sync_new(&f->cfg, f->store, f->loop, NULL, NULL, &sync), GS_OK);
	/* The n-th failure waits within [min, min(min * 2^n, max)]. */
	for (unsigned n = 0; n < 40; n++) {
		int64_t cap = n < 6 ? lo << n : hi;
		int64_t d = gs_sync_backoff_ms(sync);

		if (cap > hi)
			cap = hi;
		assert_true(d >= lo && d <= cap);
		if (d > max_seen)
			max_seen = d;
		if (n >= 10)
			sum_late += d;
	}
	/* Full jitter: the capped delays spread, they do not all sit at the
	 * cap (the mean of 30 uniform draws is far from both ends). */
	assert_true(max_seen > hi / 2);
	assert_true(sum_late / 30 > lo * 10 && sum_late / 30 < hi - lo * 10);
	gs_sync_free(sync);
}

static void feed_command(struct gs_sync *sync, const char *json)
{
	size_t len = strlen(json);
	struct gs_sync_ev *ev = calloc(1, sizeof(*ev) + len + 1);

	assert_non_null(ev);
	ev->type = GS_EV_COMMAND;
	ev->len = len;
	memcpy(ev->text, json, len + 1);
	gs_sync_cmd_handle(sync, ev);
	free(ev);
}

static const char *last_reply(const struct gs_sync *sync)
{
	assert_true(sync->n_replies > 0);
	return sync->replies[sync->n_replies - 1].payload;
}

/* Empties the reply queue (at most GS_SYNC_REPLY_MAX wait unconnected). */
static void drop_replies(struct gs_sync *sync)
{
	for (size_t i = 0; i < sync->n_replies; i++)
		free(sync->replies[i].payload);
	sync->n_replies = 0;
}

/* Feeds {"id": id, "cmd": "ping"} and returns whether its reply holds
 * fragment. */
static bool ping_replies(struct gs_sync *sync, const char *id,
                         const char *fragment)
{
	char json[160];
	bool found;

	snprintf(json, sizeof(json), "{\"id\":\"%s\",\"cmd\":\"ping\"}", id);
	drop_replies(sync);
	feed_command(sync, json);
	found = strstr(last_reply(sync), fragment) != NULL;
	if (!found)
		fprintf(stderr, "reply to %s: %s\n", id, last_reply(sync));
	drop_replies(sync);
	return found;
}

/* The committed value of a meta key, read through a connection of its
 * own: what a process killed now would find. NULL when absent. */
static char *committed_meta(const char *db, const char *key)
{
	sqlite3 *con = NULL;
	sqlite3_stmt *st = NULL;
	char *value = NULL;

	assert_int_equal(sqlite3_open_v2(db, &con, SQLITE_OPEN_READONLY, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(con,
	                                    "SELECT value FROM meta WHERE "
	                                    "key = ?",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC),
	                 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		value = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(con);
	return value;
}

/*
 * The id table is bounded by refusing, never by forgetting: with 256 ids
 * younger than an hour, a new command is "busy" and every one of the 256
 * is still a duplicate. Ids an hour old free their entries (and may run
 * again).
 */
static void test_dedupe_full_table_refuses(void **state)
{
	struct fixture *f = *state;
	struct gs_sync *sync = NULL;
	char id[32];

	assert_int_equal(
	    gs_sync_new(&f->cfg, f->store, f->loop, NULL, NULL, &sync), GS_OK);
	for (int i = 0; i < GS_SYNC_CMD_DEDUPE_MAX; i++) {
		snprintf(id, sizeof(id), "n-%d", i);
		assert_true(ping_replies(sync, id, "\"ok\":true"));
	}
	assert_true(ping_replies(sync, "one-more", "\"error\":\"busy: "));
	/* The oldest id's remaining hour: 3600 s less the time the 256 pings
	 * took (seconds under qemu on a busy machine), so 3xxx s. */
	assert_true(ping_replies(sync, "one-more", "try again in 3"));
	/* The oldest is not forgotten to make room. */
	for (int i = 0; i < GS_SYNC_CMD_DEDUPE_MAX; i += 51) {
		snprintf(id, sizeof(id), "n-%d", i);
		assert_true(ping_replies(sync, id, "duplicate"));
	}

	/* An hour later for n-0 and n-1: their entries are free. */
	for (size_t i = 0; i < GS_SYNC_CMD_DEDUPE_MAX; i++)
		if (strcmp(sync->seen[i].id, "n-0") == 0 ||
		    strcmp(sync->seen[i].id, "n-1") == 0)
			sync->seen[i].mono_ms -= GS_SYNC_CMD_DEDUPE_MS;
	assert_true(ping_replies(sync, "one-more", "\"ok\":true"));
	assert_true(ping_replies(sync, "n-0", "\"ok\":true"));
	assert_true(ping_replies(sync, "n-1", "busy"));
	assert_true(ping_replies(sync, "one-more", "duplicate"));
	gs_sync_free(sync);
}

/*
 * An executed id is committed before its reply exists: a SIGKILL right
 * after the command (no tick, no clean stop) cannot let it run again.
 */
static void test_dedupe_committed_before_effect(void **state)
{
	struct fixture *f = *state;
	struct gs_sync *sync = NULL;
	char *meta;

	assert_int_equal(
	    gs_sync_new(&f->cfg, f->store, f->loop, NULL, NULL, &sync), GS_OK);
	drop_replies(sync);
	feed_command(sync, "{\"id\":\"kill-me\",\"cmd\":\"ping\"}");
	assert_non_null(strstr(last_reply(sync), "\"ok\":true"));
	meta = committed_meta(f->db, GS_SYNC_META_CMD_IDS);
	assert_non_null(meta);
	assert_non_null(strstr(meta, "\"kill-me\""));
	free(meta);
	/* Gone without gs_sync_stop(): nothing more is saved. */
	gs_sync_free(sync);

	assert_int_equal(
	    gs_sync_new(&f->cfg, f->store, f->loop, NULL, NULL, &sync), GS_OK);
	assert_true(ping_replies(sync, "kill-me", "duplicate"));
	gs_sync_free(sync);
}

static struct gs_sync *new_with_ids(struct fixture *f, const char *meta)
{
	struct gs_sync *sync = NULL;

	assert_int_equal(
	    gs_store_meta_set(f->store, GS_SYNC_META_CMD_IDS, meta), GS_OK);
	assert_int_equal(gs_store_commit(f->store), GS_OK);
	assert_int_equal(
	    gs_sync_new(&f->cfg, f->store, f->loop, NULL, NULL, &sync), GS_OK);
	return sync;
}

/*
 * Ages after a restart: within one boot the monotonic stamp decides, so a
 * wall clock stepped forward (a Pi's first NTP sync) does not expire an
 * id early; from another boot the wall clock does, and a clock that went
 * back keeps an id rather than forget it. The older format (a bare array
 * of ["id", wall_ms]) is still read.
 */
static void test_dedupe_restart_clocks(void **state)
{
	struct fixture *f = *state;
	struct gs_sync *sync = NULL;
	int64_t wall = gs_clock_realtime_ms(), mono = gs_time_mono_ms(NULL);
	char boot[GS_BOOT_ID_LEN], meta[512];

	assert_int_equal(
	    gs_sync_new(&f->cfg, f->store, f->loop, NULL, NULL, &sync), GS_OK);
	snprintf(boot, sizeof(boot), "%s", sync->boot_id);
	gs_sync_free(sync);
	assert_true(strlen(boot) > 30);

	/* Same boot: 10 min old by the monotonic clock, 2 h by the wall. */
	snprintf(meta, sizeof(meta),
	         "{\"boot\":\"%s\",\"ids\":[[\"b-1\",%" PRId64 ",%" PRId64
	         "]]}",
	         boot, wall - 2 * GS_MS_PER_H, mono - 10 * GS_MS_PER_MIN);
	sync = new_with_ids(f, meta);
	assert_true(ping_replies(sync, "b-1", "duplicate"));
	gs_sync_free(sync);

	/* Another boot: the wall clock's 2 h count. */
	snprintf(meta, sizeof(meta),
	         "{\"boot\":\"not-this-boot\",\"ids\":[[\"b-2\",%" PRId64
	         ",%" PRId64 "]]}",
	         wall - 2 * GS_MS_PER_H, mono - 10 * GS_MS_PER_MIN);
	sync = new_with_ids(f, meta);
	assert_true(ping_replies(sync, "b-2", "\"ok\":true"));
	gs_sync_free(sync);

	/* The old format; a stamp in the future (the clock went back) is
	 * kept, one 2 h old is not. */
	snprintf(meta, sizeof(meta),
	         "[[\"o-1\",%" PRId64 "],[\"o-2\",%" PRId64 "]]",
	         wall + 10 * GS_MS_PER_MIN, wall - 2 * GS_MS_PER_H);
	sync = new_with_ids(f, meta);
	assert_true(ping_replies(sync, "o-1", "duplicate"));
	assert_true(ping_replies(sync, "o-2", "\"ok\":true"));
	gs_sync_free(sync);
}

/* An executed id is remembered across a restart (meta), so the same
 * command is not executed twice within the hour. */
static void test_dedupe_survives_restart(void **state)
{
	struct fixture *f = *state;
	struct gs_sync *sync = NULL;

	assert_int_equal(
	    gs_sync_new(&f->cfg, f->store, f->loop, NULL, NULL, &sync), GS_OK);
	/* Not connected: replies wait in the queue, where we read them. */
	feed_command(sync, "{\"id\":\"k-1\",\"cmd\":\"ping\"}");
	assert_non_null(strstr(last_reply(sync), "\"ok\":true"));
	feed_command(sync, "{\"id\":\"k-1\",\"cmd\":\"ping\"}");
	assert_non_null(strstr(last_reply(sync), "duplicate"));
	feed_command(sync, "{\"id\":\"k-2\",\"cmd\":\"nope\"}");
	assert_non_null(strstr(last_reply(sync), "unknown command"));
	gs_sync_stop(sync, 100);
	gs_sync_free(sync);
	assert_int_equal(gs_store_commit(f->store), GS_OK);

	assert_int_equal(
	    gs_sync_new(&f->cfg, f->store, f->loop, NULL, NULL, &sync), GS_OK);
	feed_command(sync, "{\"id\":\"k-1\",\"cmd\":\"ping\"}");
	assert_non_null(strstr(last_reply(sync), "duplicate"));
	/* A refused command was not executed: its id is still free. */
	feed_command(sync, "{\"id\":\"k-2\",\"cmd\":\"ping\"}");
	assert_non_null(strstr(last_reply(sync), "\"ok\":true"));
	gs_sync_free(sync);
}

/* Invalid UTF-8 is refused before it is parsed, and none of it reaches
 * the reply; a valid non-ASCII id is echoed as it came. */
static void test_command_utf8(void **state)
{
	struct fixture *f = *state;
	struct gs_sync *sync = NULL;
	const char *r;

	assert_int_equal(
	    gs_sync_new(&f->cfg, f->store, f->loop, NULL, NULL, &sync), GS_OK);
	drop_replies(sync);
	feed_command(sync, "{\"id\":\"bad-\xff\xfe\",\"cmd\":\"ping\"}");
	r = last_reply(sync);
	assert_string_equal(r, "{\"id\":null,\"ok\":false,\"error\":"
	                       "\"payload is not valid UTF-8 (byte 11)\"}");
	drop_replies(sync);
	feed_command(sync, "{\"id\":\"s-\xed\xa0\x80\",\"cmd\":\"ping\"}");
	assert_non_null(strstr(last_reply(sync), "\"id\":null"));
	assert_non_null(strstr(last_reply(sync), "not valid UTF-8"));
	/* Refused before parsing: the id is not used up. */
	assert_true(ping_replies(sync, "bad-", "\"ok\":true"));

	drop_replies(sync);
	feed_command(sync, "{\"id\":\"caf\xc3\xa9\",\"cmd\":\"nope\"}");
	r = last_reply(sync);
	assert_non_null(strstr(r, "\"id\":\"caf\xc3\xa9\""));
	assert_int_equal(gs_sync_utf8_check(r, strlen(r)), strlen(r));
	assert_true(ping_replies(sync, "caf\xc3\xa9", "\"ok\":true"));
	gs_sync_free(sync);
}

static int64_t fixed_now(void *ctx)
{
	return *(const int64_t *)ctx;
}

/* The gateway's members of the status: clock_synced = synced. */
static cJSON *status_part(bool synced)
{
	cJSON *part = cJSON_CreateObject();

	assert_non_null(part);
	assert_non_null(cJSON_AddBoolToObject(part, "clock_synced", synced));
	assert_non_null(cJSON_AddArrayToObject(part, "outputs"));
	return part;
}

/* Ages are event-time ages: a replay of an old scenario is not "old". */
static void test_status_event_time(void **state)
{
	struct fixture *f = *state;
	struct gs_sync_opts opts = {.now_ms = fixed_now};
	int64_t now = INT64_C(1795000000000);
	char topic[GS_PATH_MAX];
	struct gs_sync *sync = NULL;
	cJSON *p = cJSON_CreateObject(), *st, *ob;
	char *text;

	assert_int_equal(
	    gs_msg_topic(&f->cfg, GS_MSG_ALERT, topic, sizeof(topic)), GS_OK);
	assert_int_equal(gs_store_enqueue(f->store, GS_MSG_ALERT, topic,
	                                  now - 42 * GS_MS_PER_S, 0, p, NULL),
	                 GS_OK);
	cJSON_Delete(p);
	assert_int_equal(gs_store_commit(f->store), GS_OK);
	assert_int_equal(
	    gs_sync_new(&f->cfg, f->store, f->loop, &opts, &now, &sync), GS_OK);
	/* The members given last replace those before. */
	gs_sync_status_set(sync, status_part(true));
	gs_sync_status_set(sync, status_part(false));
	/* Integers are raw items: read them back from the text. */
	st = gs_sync_status_build(sync, "online", NULL, true);
	assert_non_null(st);
	text = gs_json_print(st);
	cJSON_Delete(st);
	st = cJSON_Parse(text);
	cJSON_free(text);
	assert_non_null(st);
	ob = cJSON_GetObjectItemCaseSensitive(st, "outbox");
	assert_int_equal(
	    cJSON_GetObjectItemCaseSensitive(ob, "pending")->valuedouble, 1);
	assert_int_equal(
	    cJSON_GetObjectItemCaseSensitive(ob, "oldest_pending_age_s")
	        ->valuedouble,
	    42);
	assert_true(cJSON_IsFalse(
	    cJSON_GetObjectItemCaseSensitive(st, "clock_synced")));
	assert_true(
	    cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(st, "sensors")));
	/* In the order given, after "started" and before "outbox". */
	assert_string_equal(
	    cJSON_GetObjectItemCaseSensitive(st, "started")->next->string,
	    "clock_synced");
	assert_string_equal(
	    cJSON_GetObjectItemCaseSensitive(st, "clock_synced")->next->string,
	    "outputs");
	assert_int_equal(
	    cJSON_GetObjectItemCaseSensitive(st, "seq")->valuedouble, 1);
	cJSON_Delete(st);
	gs_sync_free(sync);
}

/* ---- a drain through a real broker --------------------------------------- */

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* A mosquitto on a free loopback port, named in f->cfg.broker. */
static pid_t start_broker(struct fixture *f)
{
	char conf[600];
	int port = free_port();
	pid_t broker;
	FILE *c;

	snprintf(conf, sizeof(conf), "%s/mosquitto.conf", f->dir);
	c = fopen(conf, "w");
	assert_non_null(c);
	fprintf(c, "listener %d 127.0.0.1\nallow_anonymous true\n", port);
	fclose(c);
	broker = fork();
	assert_true(broker >= 0);
	if (broker == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execlp("mosquitto", "mosquitto", "-c", conf, (char *)NULL);
		_exit(127);
	}
	snprintf(f->cfg.broker, sizeof(f->cfg.broker), "mqtt://127.0.0.1:%d",
	         port);
	return broker;
}

struct drain {
	struct fixture *f;
	struct gs_sync *sync;
	int timer_fd;
	int ticks;
	bool live_added;
	bool timed_out;
};

static void enqueue(struct fixture *f, unsigned n, unsigned first)
{
	char topic[GS_PATH_MAX];

	assert_int_equal(
	    gs_msg_topic(&f->cfg, GS_MSG_ALERT, topic, sizeof(topic)), GS_OK);
	for (unsigned i = 0; i < n; i++) {
		cJSON *p = cJSON_CreateObject();

		assert_non_null(p);
		cJSON_AddStringToObject(p, "schema", "gapsense.alert.v1");
		cJSON_AddNumberToObject(p, "n", first + i);
		assert_int_equal(gs_store_enqueue(f->store, GS_MSG_ALERT, topic,
		                                  gs_clock_realtime_ms(), 0, p,
		                                  NULL),
		                 GS_OK);
		cJSON_Delete(p);
	}
	assert_int_equal(gs_store_commit(f->store), GS_OK);
}

static void on_drain_tick(void *ctx, int fd, uint32_t events)
{
	struct drain *d = ctx;

	(void)events;
	gs_timerfd_drain(fd);
	if (++d->ticks > 2000) { /* 10 s: the broker never answered */
		d->timed_out = true;
		gs_loop_stop(d->f->loop);
		return;
	}
	if (gs_sync_connected(d->sync) && !d->live_added) {
		/* Fresh messages while the backlog drains: the live lane. */
		enqueue(d->f, 20, 100);
		gs_sync_notify(d->sync);
		d->live_added = true;
		return;
	}
	if (d->live_added && gs_sync_idle(d->sync))
		gs_loop_stop(d->f->loop);
}

static void test_drain_real_broker(void **state)
{
	struct fixture *f = *state;
	struct drain d = {.f = f};
	struct gs_outbox_stats st;
	pid_t broker;

	broker = start_broker(f);

	/* The backlog: 50 messages pending before the gateway starts. */
	enqueue(f, 50, 0);
	f->cfg.inflight = 4;
	f->cfg.drain_rate = 2000;
	f->cfg.reconnect_min_ms = 100;
	f->cfg.reconnect_max_ms = 200;
	assert_int_equal(
	    gs_sync_new(&f->cfg, f->store, f->loop, NULL, NULL, &d.sync),
	    GS_OK);
	d.timer_fd = gs_timerfd_new();
	assert_true(d.timer_fd >= 0);
	assert_int_equal(gs_loop_add(f->loop, d.timer_fd, on_drain_tick, &d),
	                 GS_OK);
	assert_int_equal(gs_timerfd_arm_periodic_ms(d.timer_fd, 5), GS_OK);
	/* The broker may not listen yet: the sync module retries. */
	assert_int_equal(gs_sync_start(d.sync), GS_OK);
	assert_int_equal(gs_loop_run(f->loop), GS_OK);

	assert_false(d.timed_out);
	assert_true(gs_sync_idle(d.sync));
	assert_int_equal(gs_store_outbox_stats(f->store, &st), GS_OK);
	assert_int_equal(st.pending, 0);
	assert_int_equal(d.sync->n_acked, 70);
	assert_int_equal(d.sync->hist_upto, 50); /* the backlog, nothing more */
	assert_int_equal(d.sync->live_cursor, 70);

	gs_sync_stop(d.sync, 2000);
	assert_false(gs_sync_connected(d.sync));
	gs_sync_free(d.sync);
	gs_loop_del(f->loop, d.timer_fd);
	close(d.timer_fd);
	kill(broker, SIGTERM);
	waitpid(broker, NULL, 0);
}

/* Messages sent from memory while the disk is full (gs_sync_publish_kept). */
struct kept_run {
	struct fixture *f;
	struct gs_sync *sync;
	char topic[GS_PATH_MAX];
	char *sent[4];     /* the bytes of seqs 1-3 */
	bool delivered[4]; /* kept_delivered hook, by seq */
	int ticks;
	bool started, timed_out;
};

static void kept_delivered(void *ctx, uint64_t seq)
{
	struct kept_run *k = ctx;

	assert_true(seq >= 1 && seq <= 3);
	k->delivered[seq] = true;
}

static cJSON *kept_payload(uint64_t seq)
{
	cJSON *p = cJSON_CreateObject();

	assert_non_null(p);
	assert_non_null(
	    cJSON_AddStringToObject(p, "schema", "gapsense.alert.v1"));
	assert_non_null(gs_json_add_int(p, "seq", (int64_t)seq));
	return p;
}

static void on_kept_tick(void *ctx, int fd, uint32_t events)
{
	struct kept_run *k = ctx;

	(void)events;
	gs_timerfd_drain(fd);
	if (++k->ticks > 2000) {
		k->timed_out = true;
		gs_loop_stop(k->f->loop);
		return;
	}
	if (!k->started && gs_sync_connected(k->sync)) {
		/* Seqs 1-3 leave from memory; 1 is stored (not acknowledged
		 * yet) while its copy is in flight: the row waits for that
		 * copy's PUBACK instead of going out a second time. */
		for (uint64_t seq = 1; seq <= 3; seq++) {
			uint64_t got = 0;
			cJSON *p;

			assert_true(gs_store_seq_take(k->f->store, &got));
			assert_int_equal(got, seq);
			p = kept_payload(seq);
			k->sent[seq] = gs_json_print(p);
			cJSON_Delete(p);
			assert_int_equal(gs_sync_publish_kept(k->sync, seq,
			                                      k->topic,
			                                      k->sent[seq]),
			                 GS_OK);
		}
		assert_int_equal(k->sync->n_window, 3);
		{
			cJSON *p = kept_payload(1);

			assert_int_equal(
			    gs_store_enqueue_taken(k->f->store, GS_MSG_ALERT,
			                           k->topic, 0, 0, p, 1, false),
			    GS_OK);
			assert_int_equal(gs_store_commit(k->f->store), GS_OK);
			cJSON_Delete(p);
		}
		gs_sync_kept_forget(k->sync, 1);
		gs_sync_notify(k->sync);
		assert_int_equal(k->sync->n_window, 3); /* no second copy */
		k->started = true;
		return;
	}
	if (k->started && k->delivered[1] && k->delivered[2] &&
	    k->delivered[3] && gs_sync_idle(k->sync))
		gs_loop_stop(k->f->loop);
}

static void test_kept_real_broker(void **state)
{
	struct fixture *f = *state;
	struct kept_run k = {.f = f};
	const struct gs_sync_opts opts = {.kept_delivered = kept_delivered};
	struct gs_outbox_stats st;
	int timer_fd;
	pid_t broker = start_broker(f);

	assert_int_equal(
	    gs_msg_topic(&f->cfg, GS_MSG_ALERT, k.topic, sizeof(k.topic)),
	    GS_OK);
	assert_int_equal(gs_store_seq_reserve(f->store, 8, 0), GS_OK);
	f->cfg.inflight = 4;
	f->cfg.reconnect_min_ms = 100;
	f->cfg.reconnect_max_ms = 200;
	assert_int_equal(
	    gs_sync_new(&f->cfg, f->store, f->loop, &opts, &k, &k.sync), GS_OK);
	timer_fd = gs_timerfd_new();
	assert_true(timer_fd >= 0);
	assert_int_equal(gs_loop_add(f->loop, timer_fd, on_kept_tick, &k),
	                 GS_OK);
	assert_int_equal(gs_timerfd_arm_periodic_ms(timer_fd, 5), GS_OK);
	assert_int_equal(gs_sync_start(k.sync), GS_OK);
	assert_int_equal(gs_loop_run(f->loop), GS_OK);

	assert_false(k.timed_out);
	/* Three sends, three PUBACKs: the stored row 1 went with its copy's. */
	assert_int_equal(k.sync->n_acked, 3);
	assert_int_equal(gs_store_outbox_stats(f->store, &st), GS_OK);
	assert_int_equal(st.pending, 0);
	/* 2 and 3 are stored as delivered: nothing to send again. */
	for (uint64_t seq = 2; seq <= 3; seq++) {
		cJSON *p = kept_payload(seq);

		assert_int_equal(gs_store_enqueue_taken(f->store, GS_MSG_ALERT,
		                                        k.topic, 0, 0, p, seq,
		                                        true),
		                 GS_OK);
		cJSON_Delete(p);
		gs_sync_kept_forget(k.sync, seq);
	}
	assert_int_equal(gs_store_commit(f->store), GS_OK);
	gs_sync_notify(k.sync); /* as the gateway does after a commit */
	assert_int_equal(gs_store_outbox_stats(f->store, &st), GS_OK);
	assert_int_equal(st.pending, 0);
	assert_true(gs_sync_idle(k.sync));
	assert_int_equal(k.sync->n_window, 0);

	gs_sync_stop(k.sync, 2000);
	gs_sync_free(k.sync);
	for (int i = 1; i <= 3; i++)
		cJSON_free(k.sent[i]);
	gs_loop_del(f->loop, timer_fd);
	close(timer_fd);
	kill(broker, SIGTERM);
	waitpid(broker, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rewrite_replaces),
	    cmocka_unit_test(test_rewrite_appends),
	    cmocka_unit_test(test_rewrite_refuses),
	    cmocka_unit_test(test_utf8_check),
	    cmocka_unit_test(test_loopback),
	    cmocka_unit_test(test_password_file),
	    cmocka_unit_test_setup_teardown(test_new_refuses, fixture_setup,
	                                    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_dedupe_survives_restart,
	                                    fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_dedupe_full_table_refuses,
	                                    fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_dedupe_committed_before_effect,
	                                    fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_dedupe_restart_clocks,
	                                    fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_command_utf8, fixture_setup,
	                                    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_status_event_time,
	                                    fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_backoff, fixture_setup,
	                                    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_plain_warning_logged,
	                                    fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_store_full_drops_oldest,
	                                    fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_drain_real_broker,
	                                    fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_kept_real_broker,
	                                    fixture_setup, fixture_teardown),
	};

	gs_log_set_level(GS_LOG_ERR);
	return cmocka_run_group_tests_name("sync", tests, NULL, NULL);
}
