/* SPDX-License-Identifier: MIT */
/*
 * The pipeline (gateway/pipeline.h) on the fixture store: it gives what
 * its decode stage and engine wired by hand give, and its restart, carry
 * and restore verbs end, hand over and rebuild time lines as promised.
 */
#include "gateway/config.h"
#include "gateway/engine.h"
#include "gateway/err.h"
#include "gateway/msg.h"
#include "gateway/pipeline.h"
#include "gateway/timeutil.h"
#include "sensors/decode.h"
#include "sensors/scenario.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MAX_EDGES 64
#define MAX_OUT   64

static struct gs_config cfg;
static struct gs_edge edges[MAX_EDGES];
static size_t n_edges;

/* What came out of a sink: events and messages, as one line each. */
struct rec {
	char line[MAX_OUT][4096];
	unsigned n, n_events, n_windows;
};

static void rec_add(struct rec *r, const char *text)
{
	assert_true(r->n < MAX_OUT);
	snprintf(r->line[r->n++], sizeof(r->line[0]), "%s", text);
}

static void rec_event(void *ctx, const struct gs_event *ev)
{
	struct rec *r = ctx;
	char text[128];

	snprintf(text, sizeof(text), "event %lld %u %d %u", (long long)ev->t_ms,
	         ev->sensor, (int)ev->kind, ev->value);
	rec_add(r, text);
	r->n_events++;
}

static void rec_publish(void *ctx, enum gs_msg_kind kind, int64_t t_ms,
                        int64_t window_start_ms, cJSON *payload)
{
	struct rec *r = ctx;
	char *json = cJSON_PrintUnformatted(payload);
	char text[4096];

	assert_non_null(json);
	snprintf(text, sizeof(text), "%s %lld %lld %s",
	         gs_msg_kind_suffix(kind), (long long)t_ms,
	         (long long)window_start_ms, json);
	rec_add(r, text);
	if (kind == GS_MSG_METRICS)
		r->n_windows++;
	cJSON_free(json);
	cJSON_Delete(payload);
}

static const struct gs_engine_sink rec_sink = {
    .event = rec_event,
    .publish = rec_publish,
};

static void assert_same(const struct rec *a, const struct rec *b)
{
	assert_int_equal(a->n, b->n);
	for (unsigned i = 0; i < a->n; i++)
		assert_string_equal(a->line[i], b->line[i]);
}

/* The fixture: store.conf and every edge of basic.csv. */
static int setup(void **state)
{
	static struct gs_diag diag;
	struct gs_backend *be;
	int64_t horizon;
	bool eof = false;
	size_t n;

	(void)state;
	if (gs_config_load(gs_test_data("scenarios/store.conf"), &cfg, &diag))
		return -1;
	if (gs_scenario_backend_new(&cfg, gs_test_data("scenarios/basic.csv"),
	                            0, &be))
		return -1;
	while (!eof && n_edges < MAX_EDGES) {
		if (be->ops->read(be, 0, edges + n_edges, MAX_EDGES - n_edges,
		                  &n, &horizon, &eof))
			break;
		n_edges += n;
	}
	gs_backend_free(be);
	return eof ? 0 : -1;
}

/* The stages by hand, as the gateway wired them before the pipeline. */
struct by_hand {
	struct gs_decode *dec;
	struct gs_engine *eng;
};

static void by_hand_decoded(void *ctx, const struct gs_event *ev)
{
	struct by_hand *h = ctx;

	gs_engine_event(h->eng, ev);
}

static void by_hand_settle(struct by_hand *h)
{
	int64_t settled = gs_decode_settled(h->dec);

	if (settled != INT64_MIN)
		gs_engine_advance(h->eng, settled);
}

static void test_same_as_stages(void **state)
{
	struct rec *want = calloc(1, sizeof(*want));
	struct rec *got = calloc(1, sizeof(*got));
	struct by_hand h;
	struct gs_pipeline *p;
	int64_t last = edges[n_edges - 1].t_ms;

	(void)state;
	assert_non_null(want);
	assert_non_null(got);
	h.eng = gs_engine_new(&cfg, &rec_sink, want);
	h.dec = gs_decode_new(&cfg, by_hand_decoded, &h);
	assert_non_null(h.eng);
	assert_non_null(h.dec);
	for (size_t i = 0; i < n_edges; i++) {
		gs_decode_push(h.dec, &edges[i]);
		by_hand_settle(&h);
	}
	gs_decode_advance(h.dec, last);
	by_hand_settle(&h);
	gs_decode_finish(h.dec, last);
	gs_engine_finish(h.eng, last);

	assert_int_equal(gs_pipeline_new(&cfg, NULL, &rec_sink, got, &p),
	                 GS_OK);
	/* In two batches, as a backend reads them. */
	gs_pipeline_feed(p, edges, n_edges / 2);
	gs_pipeline_feed(p, edges + n_edges / 2, n_edges - n_edges / 2);
	gs_pipeline_advance(p, last);
	gs_pipeline_finish(p, last);

	assert_int_equal(got->n_events, 11);
	assert_int_equal(got->n_windows, 3); /* 09:00, 09:15, 09:30 */
	assert_same(want, got);
	gs_pipeline_free(p);
	gs_decode_free(h.dec);
	gs_engine_free(h.eng);
	free(want);
	free(got);
}

static void test_bad_config(void **state)
{
	struct gs_config *bad = malloc(sizeof(*bad));
	struct gs_pipeline *p = (struct gs_pipeline *)bad;
	struct gs_test_stderr err;
	char text[512];

	(void)state;
	assert_non_null(bad);
	*bad = cfg;
	snprintf(bad->timezone, sizeof(bad->timezone), "Nowhere/Atlantis");
	gs_test_stderr_begin(&err);
	assert_int_equal(gs_pipeline_new(bad, NULL, &rec_sink, NULL, &p),
	                 GS_ECONFIG);
	gs_test_stderr_end(&err, text, sizeof(text));
	assert_null(p);
	assert_non_null(strstr(text, "Nowhere/Atlantis"));
	gs_pipeline_free(NULL);
	free(bad);
}

/* A clock step mid-morning: the old time line publishes its open window
 * as of the last edge, the new one counts on from nothing. */
static void test_restart(void **state)
{
	struct rec *got = calloc(1, sizeof(*got));
	struct gs_pipeline *p;
	size_t half = n_edges / 2;
	int64_t last = edges[half - 1].t_ms;

	(void)state;
	assert_non_null(got);
	assert_int_equal(gs_pipeline_new(&cfg, NULL, &rec_sink, got, &p),
	                 GS_OK);
	gs_pipeline_feed(p, edges, half);
	assert_int_equal(got->n_windows, 0);
	assert_int_equal(gs_pipeline_restart(p, last), GS_OK);
	assert_int_equal(got->n_windows, 1);
	assert_non_null(strstr(got->line[got->n - 1], "metrics"));
	assert_int_equal(gs_pipeline_occupancy(p), 0);
	/* The new time line takes the rest and ends as a replay does. */
	gs_pipeline_feed(p, edges + half, n_edges - half);
	gs_pipeline_finish(p, edges[n_edges - 1].t_ms);
	assert_true(got->n_windows > 1);
	gs_pipeline_free(p);
	free(got);
}

/* A reload at 09:09:00: with the same window nothing is published and
 * the counts go on; with another the old window is published first. */
static void test_carry(void **state)
{
	struct rec *got = calloc(1, sizeof(*got));
	struct gs_config *next = malloc(sizeof(*next));
	struct gs_pipeline *old, *p;
	size_t upto = 0;

	(void)state;
	assert_non_null(got);
	assert_non_null(next);
	*next = cfg;
	while (upto < n_edges && edges[upto].t_ms < edges[0].t_ms + 9 * 60000)
		upto++;
	for (int changed = 0; changed <= 1; changed++) {
		unsigned windows;

		memset(got, 0, sizeof(*got));
		next->window_ms = changed ? 5 * 60000 : cfg.window_ms;
		assert_int_equal(
		    gs_pipeline_new(&cfg, NULL, &rec_sink, got, &old), GS_OK);
		assert_int_equal(
		    gs_pipeline_new(next, NULL, &rec_sink, got, &p), GS_OK);
		gs_pipeline_feed(old, edges, upto);
		assert_int_equal(gs_pipeline_occupancy(old), 1);
		windows = got->n_windows;
		assert_int_equal(
		    gs_pipeline_carry(p, old, edges[upto - 1].t_ms + 1), GS_OK);
		assert_int_equal(got->n_windows, windows + (unsigned)changed);
		gs_pipeline_free(old);
		assert_int_equal(gs_pipeline_occupancy(p), 1);
		/* A pipeline that has started takes no carry. */
		assert_int_equal(
		    gs_pipeline_new(&cfg, NULL, &rec_sink, got, &old), GS_OK);
		assert_int_equal(gs_pipeline_carry(p, old, edges[upto].t_ms),
		                 GS_EINVAL);
		gs_pipeline_free(old);
		gs_pipeline_free(p);
	}
	free(next);
	free(got);
}

/* Stored events rebuild the running state; nothing is decoded again. */
static void test_restore(void **state)
{
	struct rec *got = calloc(1, sizeof(*got));
	struct gs_pipeline *p;
	struct gs_event ev = {.kind = GS_EV_IN};
	int64_t t;

	(void)state;
	assert_non_null(got);
	assert_int_equal(gs_time_parse("2026-11-23T09:00:00Z", &t), GS_OK);
	assert_int_equal(gs_pipeline_new(&cfg, NULL, &rec_sink, got, &p),
	                 GS_OK);
	for (int i = 0; i < 3; i++) {
		ev.t_ms = t + i * 1000;
		gs_pipeline_restore_event(p, &ev);
	}
	gs_pipeline_restore_end(p, t + 16 * 60000);
	assert_int_equal(gs_pipeline_occupancy(p), 3);
	assert_int_equal(got->n_events, 3);
	assert_int_equal(got->n_windows, 1); /* 09:00 closed at 09:15 */
	assert_false(gs_pipeline_sensor_faulted(p, 0));
	assert_int_equal(gs_pipeline_next_deadline(p), t + 30 * 60000);
	gs_pipeline_free(p);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_as_stages),
	    cmocka_unit_test(test_bad_config),
	    cmocka_unit_test(test_restart),
	    cmocka_unit_test(test_carry),
	    cmocka_unit_test(test_restore),
	};

	setenv("TZDIR", "/usr/share/zoneinfo", 1);
	return cmocka_run_group_tests_name("pipeline", tests, setup, NULL);
}
