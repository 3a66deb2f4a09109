/* SPDX-License-Identifier: MIT */
/*
 * Run mode's time line on a clock the test controls: edges held until the
 * first synchronisation and re-stamped with the true offset, a hold that
 * ends first, its memory bound, and what steps of the synchronised clock
 * do (a step back never restarts the time line; a step ahead by a window
 * or more does).
 */
#include "gateway/clock.h"
#include "gateway/err.h"
#include "gateway/timeline.h"
#include "gateway/timeutil.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S  INT64_C(1000000000)
#define BOOT_ID   "0f5e2c1a-3b4d-4e6f-8a9b-0c1d2e3f4a5b"
#define WINDOW_MS (15 * GS_MS_PER_MIN)

/* 2026-11-23T09:00:00Z, and the saved time the Pi boots at: 3h17m behind. */
#define TRUE_T0_MS  INT64_C(1795424400000)
#define SAVED_T0_MS (TRUE_T0_MS - 3 * GS_MS_PER_H - 17 * GS_MS_PER_MIN)

struct fx {
	char *dir;
	char *boot_id_path;
	struct gs_fake_clock fake;
	struct gs_clock *clock;
	struct gs_timeline *tl;
	/* What the sink saw. */
	struct gs_edge fed[64];
	size_t n_fed;
	int synced_calls;
	bool synced;
	unsigned restarts;
};

static void sink_feed(void *ctx, const struct gs_edge *edges, size_t n)
{
	struct fx *f = ctx;

	for (size_t i = 0; i < n; i++) {
		assert_true(f->n_fed < sizeof(f->fed) / sizeof(f->fed[0]));
		f->fed[f->n_fed++] = edges[i];
	}
}

static void sink_set_synced(void *ctx, bool synced)
{
	struct fx *f = ctx;

	f->synced_calls++;
	f->synced = synced;
}

static void sink_restart(void *ctx)
{
	((struct fx *)ctx)->restarts++;
}

static const struct gs_timeline_sink sink = {
    .feed = sink_feed,
    .set_synced = sink_set_synced,
    .restart = sink_restart,
};

/* Booted 20 s ago at the saved time; synchronised or not. */
static struct fx *fx_new(bool synced, int64_t hold_ms, size_t max_held)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct gs_clock_opts copts = {0};
	struct gs_timeline_opts topts = {
	    .hold_ms = hold_ms,
	    .max_held = max_held,
	    .window_ms = WINDOW_MS,
	};

	assert_non_null(f);
	f->dir = gs_test_mkdtemp();
	f->boot_id_path = gs_test_write_file(f->dir, "boot_id", BOOT_ID "\n");
	f->fake.monotonic_ns = 20 * NS_PER_S;
	f->fake.realtime_ns = (synced ? TRUE_T0_MS : SAVED_T0_MS) * NS_PER_MS;
	f->fake.synced = synced;
	copts.source = &gs_fake_clock_source;
	copts.source_ctx = &f->fake;
	copts.boot_id_path = f->boot_id_path;
	assert_int_equal(gs_clock_new(&copts, &f->clock), GS_OK);
	assert_int_equal(gs_timeline_new(f->clock, &topts, &sink, f, &f->tl),
	                 GS_OK);
	return f;
}

static void fx_free(struct fx *f)
{
	gs_timeline_free(f->tl);
	gs_clock_free(f->clock);
	free(f->boot_id_path);
	gs_test_rmdir(f->dir);
	free(f);
}

/* One edge read now: the kernel's stamp is the fake monotonic clock. */
static void edge_now(struct fx *f, uint8_t active)
{
	struct gs_edge e = {
	    .t_ms = -1, .mono_ns = f->fake.monotonic_ns, .active = active};

	gs_timeline_edges(f->tl, &e, 1);
}

/* NTP steps the wall clock by step_ms and reports synchronisation. */
static unsigned ntp_sync(struct fx *f, int64_t step_ms)
{
	f->fake.realtime_ns += step_ms * NS_PER_MS;
	f->fake.synced = true;
	return gs_clock_poll(f->clock);
}

static void test_held_until_sync_then_restamped(void **state)
{
	(void)state;
	struct fx *f = fx_new(false, GS_MS_PER_H, 1024);
	unsigned changes;

	assert_true(gs_timeline_holding(f->tl));
	edge_now(f, 1);
	gs_fake_clock_advance(&f->fake, 1500 * NS_PER_MS);
	edge_now(f, 0);
	gs_fake_clock_advance(&f->fake, 10 * NS_PER_S);
	gs_timeline_poll(f->tl);
	assert_int_equal(f->n_fed, 0);
	assert_true(gs_timeline_holding(f->tl));

	changes = ntp_sync(f, TRUE_T0_MS - SAVED_T0_MS);
	assert_int_equal(changes, GS_CLOCK_SYNCED | GS_CLOCK_STEPPED);
	gs_timeline_clock_changed(f->tl, changes);
	assert_false(gs_timeline_holding(f->tl));
	/* The true times, from the monotonic stamps: 09:00:00 and 1.5 s
	 * later (the sync came 11.5 s after the first edge, at 09:00:11.5). */
	assert_int_equal(f->n_fed, 2);
	assert_int_equal(f->fed[0].t_ms, TRUE_T0_MS);
	assert_int_equal(f->fed[1].t_ms, TRUE_T0_MS + 1500);
	assert_int_equal(f->synced_calls, 1);
	assert_true(f->synced);
	/* The sync stepped the clock 3h17m ahead: a new time line, before
	 * the held edges go on. */
	assert_int_equal(f->restarts, 1);

	/* Later edges go straight on, stamped right. */
	edge_now(f, 1);
	assert_int_equal(f->n_fed, 3);
	assert_int_equal(f->fed[2].t_ms, TRUE_T0_MS + 11500);
	fx_free(f);
}

static void test_hold_ends_unsynced(void **state)
{
	(void)state;
	struct fx *f = fx_new(false, 10 * GS_MS_PER_MIN, 1024);

	edge_now(f, 1);
	gs_fake_clock_advance(&f->fake, 10 * GS_MS_PER_MIN * NS_PER_MS - 1);
	gs_timeline_poll(f->tl);
	assert_true(gs_timeline_holding(f->tl));
	gs_fake_clock_advance(&f->fake, 1);
	gs_timeline_poll(f->tl);
	assert_false(gs_timeline_holding(f->tl));
	assert_int_equal(f->n_fed, 1);
	assert_int_equal(f->fed[0].t_ms, SAVED_T0_MS);
	assert_int_equal(f->synced_calls, 1);
	assert_false(f->synced);

	/* A sync after that: what follows is synchronised (the engine keeps
	 * the window open at the sync unsynchronised, test_engine). */
	gs_timeline_clock_changed(f->tl, ntp_sync(f, 20 * GS_MS_PER_MIN));
	assert_int_equal(f->restarts, 1);
	assert_int_equal(f->synced_calls, 2);
	assert_true(f->synced);
	fx_free(f);
}

/* The memory bound: past max_held edges the hold ends, nothing lost. */
static void test_hold_memory_bound(void **state)
{
	(void)state;
	struct fx *f = fx_new(false, GS_MS_PER_H, 4);

	for (int i = 0; i < 4; i++) {
		edge_now(f, (uint8_t)(i % 2 == 0));
		gs_fake_clock_advance(&f->fake, 100 * NS_PER_MS);
	}
	assert_true(gs_timeline_holding(f->tl));
	assert_int_equal(f->n_fed, 0);
	edge_now(f, 1);
	assert_false(gs_timeline_holding(f->tl));
	assert_int_equal(f->n_fed, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(f->fed[i].t_ms,
		                 SAVED_T0_MS + 100 * (int64_t)i);
	assert_false(f->synced);
	fx_free(f);
}

static void test_no_hold_when_disabled_or_synced(void **state)
{
	(void)state;
	struct fx *f = fx_new(false, 0, 1024);

	assert_false(gs_timeline_holding(f->tl));
	edge_now(f, 1);
	assert_int_equal(f->n_fed, 1);
	fx_free(f);

	f = fx_new(true, GS_MS_PER_H, 1024);
	assert_false(gs_timeline_holding(f->tl));
	edge_now(f, 1);
	assert_int_equal(f->fed[0].t_ms, TRUE_T0_MS);
	fx_free(f);
}

/*
 * Steps of a synchronised clock: back by an hour, ahead by less than a
 * window, ahead by a window exactly.
 */
static void test_steps_of_a_synced_clock(void **state)
{
	(void)state;
	struct fx *f = fx_new(true, GS_MS_PER_H, 1024);
	unsigned changes;

	edge_now(f, 1);
	f->fake.realtime_ns -= GS_MS_PER_H * NS_PER_MS;
	changes = gs_clock_poll(f->clock);
	assert_int_equal(changes, GS_CLOCK_STEPPED);
	gs_timeline_clock_changed(f->tl, changes);
	assert_int_equal(f->restarts, 0);
	/* Stamped through the new offset: the decode stage keeps event time
	 * from running back (test_decode). */
	edge_now(f, 0);
	assert_int_equal(f->fed[1].t_ms, TRUE_T0_MS - GS_MS_PER_H);

	f->fake.realtime_ns += (WINDOW_MS - 1) * NS_PER_MS;
	gs_timeline_clock_changed(f->tl, gs_clock_poll(f->clock));
	assert_int_equal(f->restarts, 0);
	f->fake.realtime_ns += WINDOW_MS * NS_PER_MS;
	gs_timeline_clock_changed(f->tl, gs_clock_poll(f->clock));
	assert_int_equal(f->restarts, 1);
	assert_int_equal(f->synced_calls, 0);
	fx_free(f);
}

/* A step while holding only changes the offset held edges get. */
static void test_step_while_holding(void **state)
{
	(void)state;
	struct fx *f = fx_new(false, GS_MS_PER_H, 1024);

	edge_now(f, 1);
	f->fake.realtime_ns += 2 * GS_MS_PER_H * NS_PER_MS;
	gs_timeline_clock_changed(f->tl, gs_clock_poll(f->clock));
	assert_int_equal(f->restarts, 0);
	assert_true(gs_timeline_holding(f->tl));
	/* Back by 1h50m before the sync: 10 min ahead in all, less than a
	 * window: the time line goes on. */
	f->fake.realtime_ns -= 110 * GS_MS_PER_MIN * NS_PER_MS;
	gs_timeline_clock_changed(f->tl, ntp_sync(f, 0));
	assert_int_equal(f->restarts, 0);
	assert_int_equal(f->n_fed, 1);
	assert_int_equal(f->fed[0].t_ms, SAVED_T0_MS + 10 * GS_MS_PER_MIN);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_held_until_sync_then_restamped),
	    cmocka_unit_test(test_hold_ends_unsynced),
	    cmocka_unit_test(test_hold_memory_bound),
	    cmocka_unit_test(test_no_hold_when_disabled_or_synced),
	    cmocka_unit_test(test_steps_of_a_synced_clock),
	    cmocka_unit_test(test_step_while_holding),
	};

	return cmocka_run_group_tests_name("timeline", tests, NULL, NULL);
}
