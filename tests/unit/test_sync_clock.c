/* SPDX-License-Identifier: MIT */
/*
 * Sync's timing, driven by a clock the test advances instead of sleeping:
 * the live grace (an outage shorter than it keeps its messages live, a
 * longer one makes them historical; [mqtt] live_grace sets it), the drain
 * rate of the historical lane, the quota enforcement period, the ack
 * timeout, and the rate-limited complaints. Paho's
 * functions are replaced by a table that accepts every call and hands out
 * tokens, so the connection's events are fed by hand as Paho's threads
 * would hand them over; the store is a real temporary SQLite file.
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

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NS_PER_MS INT64_C(1000000)

/* What the fake Paho was asked to publish on the outbox's topics. */
#define SENT_MAX 256
struct sent {
	int token;
	bool historical;
};

struct fixture {
	char *dir;
	char db[512];
	struct gs_config cfg;
	struct gs_store *store;
	struct gs_loop *loop;
	struct gs_fake_clock clock;
	struct gs_sync *sync;
	struct gs_paho *real_paho; /* the sync's, put back before free */
	struct gs_paho paho;       /* the fake */
	int next_token;
	struct sent sent[SENT_MAX];
	size_t n_sent;     /* outbox messages published */
	unsigned n_status; /* status messages published */
	uint64_t last_seq; /* last enqueued */
	struct gs_test_stderr cap;
	char log[8192]; /* what log_end() took */
};

/* The fake Paho reaches the fixture through the one client it serves. */
static struct fixture *the_fixture;

static int fake_connect(MQTTAsync h, const MQTTAsync_connectOptions *o)
{
	(void)h;
	(void)o;
	return MQTTASYNC_SUCCESS;
}

static int fake_disconnect(MQTTAsync h, const MQTTAsync_disconnectOptions *o)
{
	(void)h;
	(void)o;
	return MQTTASYNC_SUCCESS;
}

static int fake_subscribe(MQTTAsync h, const char *topic, int qos,
                          MQTTAsync_responseOptions *r)
{
	(void)h;
	(void)topic;
	(void)qos;
	r->token = ++the_fixture->next_token;
	return MQTTASYNC_SUCCESS;
}

static int fake_send(MQTTAsync h, const char *topic,
                     const MQTTAsync_message *msg, MQTTAsync_responseOptions *r)
{
	struct fixture *f = the_fixture;
	const char *p = msg->payload;

	(void)h;
	r->token = ++f->next_token;
	if (strcmp(topic, f->sync->topic_status) == 0) {
		f->n_status++;
		return MQTTASYNC_SUCCESS;
	}
	assert_true(f->n_sent < SENT_MAX);
	f->sent[f->n_sent].token = r->token;
	/* The rewrite appends or replaces the top-level member. */
	f->sent[f->n_sent].historical =
	    memmem(p, (size_t)msg->payloadlen, "\"historical\":true", 17) !=
	    NULL;
	f->n_sent++;
	return MQTTASYNC_SUCCESS;
}

static int setup(void **state)
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
	/* A boot's monotonic 1000 s, on 2026-11-23T08:00:00Z. */
	f->clock.monotonic_ns = 1000 * GS_MS_PER_S * NS_PER_MS;
	f->clock.realtime_ns = INT64_C(1795420800000) * NS_PER_MS;
	the_fixture = f;
	*state = f;
	gs_log_set_level(GS_LOG_ERR);
	gs_log_set_prefix(false);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->sync) {
		f->sync->paho = f->real_paho;
		gs_sync_free(f->sync);
	}
	gs_store_close(f->store);
	gs_loop_free(f->loop);
	gs_test_rmdir(f->dir);
	free(f);
	the_fixture = NULL;
	return 0;
}

/* Creates the client on the test's clock with the fake Paho; with
 * [mqtt] live_grace = live_grace_ms unless 0 (the default). */
static void new_sync(struct fixture *f, int64_t live_grace_ms)
{
	struct gs_sync_opts opts = {
	    .time = {&gs_fake_clock_source, &f->clock},
	};

	if (live_grace_ms)
		f->cfg.live_grace_ms = live_grace_ms;
	assert_int_equal(
	    gs_sync_new(&f->cfg, f->store, f->loop, &opts, NULL, &f->sync),
	    GS_OK);
	f->real_paho = f->sync->paho;
	f->paho = *f->real_paho;
	f->paho.connect = fake_connect;
	f->paho.disconnect = fake_disconnect;
	f->paho.subscribe = fake_subscribe;
	f->paho.send = fake_send;
	f->sync->paho = &f->paho;
}

static void advance_ms(struct fixture *f, int64_t ms)
{
	gs_fake_clock_advance(&f->clock, ms * NS_PER_MS);
}

/* The log from here to log_end() goes to f->log, informational and up. */
static void log_begin(struct fixture *f)
{
	gs_log_set_level(GS_LOG_INFO);
	gs_test_stderr_begin(&f->cap);
}

static void log_end(struct fixture *f)
{
	gs_test_stderr_end(&f->cap, f->log, sizeof(f->log));
	gs_log_set_level(GS_LOG_ERR);
}

static void feed(struct fixture *f, enum gs_sync_ev_type type, int token)
{
	struct gs_sync_ev *ev = calloc(1, sizeof(*ev) + 1);
	bool acked = false;

	assert_non_null(ev);
	ev->type = type;
	ev->token = token;
	gs_sync_handle(f->sync, ev, &acked);
	free(ev);
	if (acked)
		gs_sync_commit(f->sync);
	gs_sync_pump(f->sync);
}

/* Paho connected (the attempt is ours: gs_sync_connect). */
static void connect_now(struct fixture *f)
{
	gs_sync_connect(f->sync);
	assert_int_equal(f->sync->state, GS_SYNC_CONNECTING);
	feed(f, GS_EV_CONNECTED, 0);
	assert_int_equal(f->sync->state, GS_SYNC_CONNECTED);
}

/* Enqueues n alerts of event time event_ms and commits. */
static void enqueue_at(struct fixture *f, unsigned n, int64_t event_ms)
{
	char topic[GS_PATH_MAX];

	assert_int_equal(
	    gs_msg_topic(&f->cfg, GS_MSG_ALERT, topic, sizeof(topic)), GS_OK);
	for (unsigned i = 0; i < n; i++) {
		cJSON *p = cJSON_CreateObject();

		assert_non_null(p);
		assert_non_null(
		    cJSON_AddStringToObject(p, "schema", "gapsense.alert.v1"));
		assert_int_equal(gs_store_enqueue(f->store, GS_MSG_ALERT, topic,
		                                  event_ms, 0, p, &f->last_seq),
		                 GS_OK);
		cJSON_Delete(p);
	}
	assert_int_equal(gs_store_commit(f->store), GS_OK);
	gs_sync_notify(f->sync);
}

/* Enqueues n alerts stamped with the test's wall clock. */
static void enqueue(struct fixture *f, unsigned n)
{
	enqueue_at(f, n, f->clock.realtime_ns / NS_PER_MS);
}

/* The housekeeping timer fired. */
static void tick(struct fixture *f)
{
	gs_sync_on_tick(f->sync, f->sync->tick_fd, 0);
}

static struct gs_outbox_stats outbox(const struct fixture *f)
{
	struct gs_outbox_stats st;

	assert_int_equal(gs_store_outbox_stats(f->store, &st), GS_OK);
	return st;
}

/* Acknowledges every outbox message published and not yet acknowledged. */
static void ack_all(struct fixture *f, size_t *acked)
{
	while (*acked < f->n_sent)
		feed(f, GS_EV_SENT, f->sent[(*acked)++].token);
}

/* Counts the historical publications among sent[from..). */
static size_t count_historical(const struct fixture *f, size_t from)
{
	size_t n = 0;

	for (size_t i = from; i < f->n_sent; i++)
		n += f->sent[i].historical;
	return n;
}

/*
 * An outage of OUTAGE_MS with 5 messages made during it: how many of
 * them are published as historical once the connection is back. The
 * drain rate is high enough that the backlog goes out at once.
 */
static size_t outage_historical(struct fixture *f, int64_t grace_ms,
                                int64_t outage_ms)
{
	struct gs_outbox_stats st;
	size_t acked = 0, from;

	f->cfg.drain_rate = 1000;
	new_sync(f, grace_ms);
	connect_now(f);
	enqueue(f, 3);
	assert_int_equal(f->n_sent, 3);
	assert_int_equal(count_historical(f, 0), 0);
	ack_all(f, &acked);

	feed(f, GS_EV_LOST, 0);
	assert_int_equal(f->sync->state, GS_SYNC_WAITING);
	enqueue(f, 5);
	assert_int_equal(f->n_sent, 3); /* nothing goes out while down */
	advance_ms(f, outage_ms);
	from = f->n_sent;
	connect_now(f);
	advance_ms(f, 1000); /* a full drain-rate bucket */
	gs_sync_pump(f->sync);
	ack_all(f, &acked);
	assert_int_equal(f->n_sent - from, 5);
	assert_int_equal(gs_store_outbox_stats(f->store, &st), GS_OK);
	assert_int_equal(st.pending, 0);
	return count_historical(f, from);
}

/* The documented 10 s: 9.9 s down keeps the messages live. */
static void test_outage_within_grace_stays_live(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(outage_historical(f, 0, 9900), 0);
	assert_int_equal(f->sync->cfg.live_grace_ms, 10 * GS_MS_PER_S);
	assert_int_equal(f->sync->hist_upto, 0);
}

/* 10.1 s down: all five were held back through the outage. */
static void test_outage_beyond_grace_is_historical(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(outage_historical(f, 0, 10100), 5);
	assert_int_equal(f->sync->hist_upto, f->last_seq);
}

/* [mqtt] live_grace = 2s makes a 2.1 s outage historical, and keeps a
 * 1.9 s one live. */
static void test_grace_configured(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(outage_historical(f, 2000, 2100), 5);
}

static void test_grace_configured_short_outage(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(outage_historical(f, 2000, 1900), 0);
}

/*
 * The historical lane drains at drain_rate after a burst of drain_rate /
 * 10, and a live message in the middle of the drain goes out at once,
 * without waiting for a token. Every message is acknowledged as soon as
 * it is published, so only the rate limits the drain.
 */
static void test_drain_rate(void **state)
{
	struct fixture *f = *state;
	size_t acked = 0, hist, live_at;

	f->cfg.drain_rate = 20; /* burst 2 */
	f->cfg.inflight = 10;
	enqueue(f, 100); /* pending at start: the backlog */
	new_sync(f, 0);
	connect_now(f);
	assert_int_equal(f->sync->hist_upto, 100);
	assert_int_equal(f->n_sent, 0); /* no token yet */

	advance_ms(f, 5000); /* the bucket holds at most the burst */
	gs_sync_pump(f->sync);
	assert_int_equal(f->n_sent, 2);
	ack_all(f, &acked);
	assert_int_equal(f->n_sent, 2);

	/* 2 s more, in steps of half a token (exact in binary): 40 more. */
	for (int i = 0; i < 80; i++) {
		advance_ms(f, 25);
		gs_sync_pump(f->sync);
		ack_all(f, &acked);
	}
	assert_int_equal(f->n_sent, 42);
	assert_int_equal(count_historical(f, 0), 42);

	/* A live message goes out now, between two tokens. */
	advance_ms(f, 10);
	gs_sync_pump(f->sync);
	hist = f->n_sent;
	live_at = f->n_sent;
	enqueue(f, 1);
	assert_int_equal(f->n_sent, live_at + 1);
	assert_false(f->sent[live_at].historical);
	ack_all(f, &acked);
	/* And the drain goes on at its rate: 50 ms is one more token. */
	advance_ms(f, 50);
	gs_sync_pump(f->sync);
	assert_int_equal(f->n_sent, hist + 2);
	assert_true(f->sent[hist + 1].historical);
}

/*
 * The quotas are enforced on the tick every 10 s of the sync's clock: a
 * message past outbox_max_age is dropped at the first tick 10 s after
 * the last enforcement, not before.
 */
static void test_quota_enforcement_period(void **state)
{
	struct fixture *f = *state;
	int64_t now_ms;

	f->cfg.outbox_max_age_ms = GS_MS_PER_H;
	new_sync(f, 0);
	tick(f); /* enforces: nothing to drop yet */
	now_ms = f->clock.realtime_ns / NS_PER_MS;
	/* Past the age quota 5 s from now. */
	enqueue_at(f, 2, now_ms - GS_MS_PER_H + 5 * GS_MS_PER_S);
	advance_ms(f, 9999);
	tick(f);
	assert_int_equal(outbox(f).pending, 2);
	advance_ms(f, 1);
	tick(f);
	assert_int_equal(outbox(f).pending, 0);
	assert_int_equal(outbox(f).dropped, 2);
	assert_true(f->sync->status_due); /* outbox.dropped changed */
}

/*
 * No PUBACK for longer than ack_timeout, by the sync's clock: the tick
 * drops the connection, and what was in flight is retried first on the
 * next one, with the flag it had.
 */
static void test_ack_timeout(void **state)
{
	struct fixture *f = *state;
	size_t acked = 0;

	f->cfg.ack_timeout_ms = 5 * GS_MS_PER_S;
	new_sync(f, 0);
	connect_now(f);
	enqueue(f, 1);
	assert_int_equal(f->n_sent, 1);
	advance_ms(f, 5000);
	tick(f);
	assert_int_equal(f->sync->state, GS_SYNC_CONNECTED);
	advance_ms(f, 1);
	tick(f);
	assert_int_equal(f->sync->state, GS_SYNC_DISCONNECTING);
	feed(f, GS_EV_DISCONNECTED, 0);
	assert_int_equal(f->sync->n_retry, 1);
	connect_now(f);
	assert_int_equal(f->n_sent, 2);
	assert_false(f->sent[1].historical);
	ack_all(f, &acked);
	assert_int_equal(outbox(f).pending, 0);
}

/*
 * The connection complaints of sync read its clock: a broker that keeps
 * refusing is logged once, then again only when the back-off (a minute,
 * doubling) has passed, with the count of what was held back; the
 * reconnection is logged once.
 */
static void test_conn_complaints_follow_the_clock(void **state)
{
	struct fixture *f = *state;
	const char *text = f->log, *p;
	char want[GS_PATH_MAX + 32];

	new_sync(f, 0);
	log_begin(f);
	for (int i = 0; i < 30; i++) { /* one attempt a second */
		gs_sync_connect(f->sync);
		feed(f, GS_EV_CONNECT_FAILED, 0);
		advance_ms(f, 1000);
	}
	for (int i = 0; i < 31; i++) {
		gs_sync_connect(f->sync);
		feed(f, GS_EV_CONNECT_FAILED, 0);
		advance_ms(f, 1000);
	}
	connect_now(f);
	log_end(f);

	/* Twice: at 0 s and at 60 s, the second with the 59 in between. */
	p = strstr(text, "cannot connect to");
	assert_non_null(p);
	p = strstr(p + 1, "cannot connect to");
	assert_non_null(p);
	assert_null(strstr(p + 1, "cannot connect to"));
	assert_non_null(strstr(text, "repeated 59 times"));
	snprintf(want, sizeof(want), "mqtt: connected to %s again",
	         f->cfg.broker);
	assert_non_null(strstr(text, want));
}

/* ---- gs_complain on a test clock ----------------------------------------- */

static void complain(struct gs_complaint *c, int n)
{
	gs_complain(c, GS_LOG_WARNING, "broker down (%d)", n);
}

static void test_complaint_backoff(void **state)
{
	struct fixture *f = *state;
	struct gs_time t = {&gs_fake_clock_source, &f->clock};
	struct gs_complaint c = GS_COMPLAINT_INIT;

	c.time = &t;
	log_begin(f);
	complain(&c, 1); /* logged */
	advance_ms(f, 59999);
	complain(&c, 2); /* within a minute: held back */
	advance_ms(f, 1);
	complain(&c, 3); /* a minute on: logged, with the count */
	advance_ms(f, 119999);
	complain(&c, 4); /* the back-off doubled: held back */
	advance_ms(f, 1);
	complain(&c, 5);
	gs_complain_release(&c, GS_LOG_NOTICE, "broker back");
	gs_complain_release(&c, GS_LOG_NOTICE, "broker back twice");
	log_end(f);

	assert_string_equal(
	    f->log,
	    "gapsense: warning: broker down (1)\n"
	    "gapsense: warning: broker down (3)\n"
	    "gapsense: warning: (the message above was repeated 1 times)\n"
	    "gapsense: warning: broker down (5)\n"
	    "gapsense: warning: (the message above was repeated 1 times)\n"
	    "gapsense: notice: broker back\n");
}

/* With clear_ms, a condition that comes and goes is released only after
 * that long without a repeat. */
static void test_complaint_clear_after_quiet(void **state)
{
	struct fixture *f = *state;
	struct gs_time t = {&gs_fake_clock_source, &f->clock};
	struct gs_complaint c = GS_COMPLAINT_INIT;

	c.time = &t;
	c.clear_ms = 30 * GS_MS_PER_S;
	log_begin(f);
	complain(&c, 1);
	advance_ms(f, 20000);
	complain(&c, 2);
	advance_ms(f, 29999);
	gs_complain_release(&c, GS_LOG_NOTICE, "too soon");
	advance_ms(f, 1);
	gs_complain_release(&c, GS_LOG_NOTICE, "cleared");
	log_end(f);

	assert_string_equal(f->log, "gapsense: warning: broker down (1)\n"
	                            "gapsense: notice: cleared\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_outage_within_grace_stays_live,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_outage_beyond_grace_is_historical, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_grace_configured, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_grace_configured_short_outage,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drain_rate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_quota_enforcement_period,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ack_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_conn_complaints_follow_the_clock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_complaint_backoff, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_complaint_clear_after_quiet,
	                                    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
