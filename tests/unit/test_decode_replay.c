/* SPDX-License-Identifier: MIT */
/*
 * The sensor pipeline end to end on a fixture: tests/data/scenarios/
 * store.conf loaded by the real config loader, basic.csv read by the
 * scenario backend (physical levels, active_low), decoded by the decode
 * stage. The expected events are the ones the fixture's comments promise.
 */
#include "gateway/config.h"
#include "gateway/err.h"
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

static struct gs_config cfg;
static struct gs_diag diag;

struct rec {
	struct gs_event ev[64];
	unsigned n;
};

static void rec_emit(void *ctx, const struct gs_event *ev)
{
	struct rec *r = ctx;

	assert_true(r->n < 64);
	r->ev[r->n++] = *ev;
}

static int64_t at(const char *iso)
{
	int64_t ms;

	assert_int_equal(gs_time_parse(iso, &ms), GS_OK);
	return ms;
}

static void test_basic_fixture(void **state)
{
	static const struct {
		const char *time;
		const char *sensor;
		enum gs_event_kind kind;
		unsigned value, input, flags;
	} want[] = {
	    {"2026-11-23T09:00:00.600Z", "entrance", GS_EV_IN, 0, 0, 0},
	    {"2026-11-23T09:05:00.000Z", "till-queue", GS_EV_JOIN, 0, 0, 0},
	    {"2026-11-23T09:08:30.000Z", "till-queue", GS_EV_SERVE, 0, 0, 0},
	    {"2026-11-23T09:09:00.000Z", "smiley-exit", GS_EV_PRESS, 1, 0, 0},
	    {"2026-11-23T09:09:01.500Z", "smiley-exit", GS_EV_PRESS, 3, 0,
	     GS_EVF_MISUSE},
	    {"2026-11-23T09:09:30.650Z", "entrance", GS_EV_OUT, 0, 0, 0},
	    {"2026-11-23T09:10:00.000Z", "staff", GS_EV_PRESS, 2, 0, 0},
	    {"2026-11-23T09:21:00.000Z", "entrance", GS_EV_FAULT, 0, 0, 0},
	    {"2026-11-23T09:22:00.000Z", "entrance", GS_EV_RECOVERED, 0, 0, 0},
	    {"2026-11-23T09:30:00.500Z", "entrance", GS_EV_IN, 0, 0, 0},
	    {"2026-11-23T09:30:01.000Z", "entrance", GS_EV_IN, 0, 0, 0},
	};
	struct gs_edge edges[8];
	struct gs_backend *be;
	struct gs_decode *dec;
	struct rec rec = {.n = 0};
	char path[1024];
	int64_t horizon = 0, last = 0;
	bool eof = false;
	size_t n, total = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s",
	         gs_test_data("scenarios/store.conf"));
	if (gs_config_load(path, &cfg, &diag) != GS_OK) {
		for (unsigned i = 0; i < diag.count && i < GS_DIAG_MAX; i++)
			print_error("%s\n", diag.msg[i]);
		fail();
	}
	snprintf(path, sizeof(path), "%s", gs_test_data("scenarios/basic.csv"));
	assert_int_equal(gs_scenario_backend_new(&cfg, path, 0, &be), GS_OK);
	dec = gs_decode_new(&cfg, rec_emit, &rec);
	assert_non_null(dec);
	while (!eof) {
		assert_int_equal(
		    be->ops->read(be, 0, edges, 8, &n, &horizon, &eof), GS_OK);
		for (size_t i = 0; i < n; i++) {
			gs_decode_push(dec, &edges[i]);
			/* settled never passes an event still to come */
			assert_true(gs_decode_settled(dec) <= edges[i].t_ms);
			last = edges[i].t_ms;
		}
		total += n;
		if (n > 0)
			gs_decode_advance(dec, horizon);
	}
	gs_decode_finish(dec, last);
	assert_int_equal(total, 36);
	assert_int_equal(rec.n, sizeof(want) / sizeof(want[0]));
	for (unsigned i = 0; i < rec.n; i++) {
		const struct gs_event *ev = &rec.ev[i];

		assert_int_equal(ev->t_ms, at(want[i].time));
		assert_int_equal(ev->sensor,
		                 gs_config_find_sensor(&cfg, want[i].sensor));
		assert_int_equal(ev->kind, want[i].kind);
		assert_int_equal(ev->value, want[i].value);
		assert_int_equal(ev->input, want[i].input);
		assert_int_equal(ev->flags, want[i].flags);
	}
	assert_false(gs_decode_sensor_faulted(dec, 0));
	gs_decode_free(dec);
	gs_backend_free(be);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic_fixture),
	};

	setenv("TZDIR", "/usr/share/zoneinfo", 1);
	return cmocka_run_group_tests_name("decode_replay", tests, NULL, NULL);
}
