/* SPDX-License-Identifier: MIT */
/*
 * The trustworthy clock, driven by a clock source the test controls: a
 * boot at a wrong saved time, NTP's synchronising step, a later step, and
 * the re-stamping of monotonic stamps taken before the sync.
 */
#include "gateway/clock.h"
#include "gateway/err.h"
#include "gateway/timeutil.h"
#include "testutil.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S  INT64_C(1000000000)

struct fixture {
	char *dir;
	char *boot_id_path;
	struct gs_fake_clock fake;
	struct gs_clock_opts opts;
};

#define BOOT_ID "0f5e2c1a-3b4d-4e6f-8a9b-0c1d2e3f4a5b"

/* 2026-11-23T09:00:00Z, and the saved time a Pi might boot at. */
#define TRUE_T0_MS  INT64_C(1795424400000)
#define SAVED_T0_MS (TRUE_T0_MS - 3 * GS_MS_PER_H - 17 * GS_MS_PER_MIN)

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->dir = gs_test_mkdtemp();
	fx->boot_id_path = gs_test_write_file(fx->dir, "boot_id", BOOT_ID "\n");
	/* Booted 20 s ago at the saved time, not synchronised. */
	fx->fake.monotonic_ns = 20 * NS_PER_S;
	fx->fake.realtime_ns = SAVED_T0_MS * NS_PER_MS;
	fx->opts.source = &gs_fake_clock_source;
	fx->opts.source_ctx = &fx->fake;
	fx->opts.boot_id_path = fx->boot_id_path;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	free(fx->boot_id_path);
	gs_test_rmdir(fx->dir);
	free(fx);
	return 0;
}

static struct gs_clock *new_clock(struct fixture *fx)
{
	struct gs_clock *clk = NULL;

	assert_int_equal(gs_clock_new(&fx->opts, &clk), GS_OK);
	assert_non_null(clk);
	return clk;
}

/*
 * The Pi boots at a saved time 3h17m behind, takes stamps, then NTP steps
 * the clock and reports synchronisation: the earlier stamps convert to
 * their true times with the new offset.
 */
static void test_unsynced_then_synced(void **state)
{
	struct fixture *fx = *state;
	struct gs_clock *clk = new_clock(fx);
	const int64_t jump_ns = (TRUE_T0_MS - SAVED_T0_MS) * NS_PER_MS;
	int64_t held_mono[3];

	assert_false(gs_clock_synced(clk));
	assert_int_equal(gs_clock_offset_ns(clk),
	                 SAVED_T0_MS * NS_PER_MS - 20 * NS_PER_S);
	assert_int_equal(gs_clock_now_ms(clk), SAVED_T0_MS);
	assert_int_equal(gs_clock_mono_ns(clk), 20 * NS_PER_S);

	/* Edges at +1 s, +2.5 s and +60.0004 s, stamped provisionally. */
	gs_fake_clock_advance(&fx->fake, 1 * NS_PER_S);
	held_mono[0] = fx->fake.monotonic_ns;
	gs_fake_clock_advance(&fx->fake, 1500 * NS_PER_MS);
	held_mono[1] = fx->fake.monotonic_ns;
	gs_fake_clock_advance(&fx->fake, 57500400 * INT64_C(1000));
	held_mono[2] = fx->fake.monotonic_ns;
	assert_int_equal(gs_clock_to_realtime_ms(clk, held_mono[0]),
	                 SAVED_T0_MS + 1000);
	assert_int_equal(gs_clock_to_realtime_ms(clk, held_mono[1]),
	                 SAVED_T0_MS + 2500);
	assert_int_equal(gs_clock_to_realtime_ms(clk, held_mono[2]),
	                 SAVED_T0_MS + 60000);

	/* Nothing changed yet: a poll reports nothing. */
	assert_int_equal(gs_clock_poll(clk), 0);
	assert_false(gs_clock_synced(clk));

	/* NTP steps the clock forward; timesyncd's flag is not there yet. */
	fx->fake.realtime_ns += jump_ns;
	assert_int_equal(gs_clock_poll(clk), GS_CLOCK_STEPPED);
	assert_false(gs_clock_synced(clk));
	assert_int_equal(gs_clock_last_step_ns(clk), jump_ns);

	/* Then the flag: synchronised, no second step. */
	fx->fake.synced = true;
	gs_fake_clock_advance(&fx->fake, 200 * NS_PER_MS);
	assert_int_equal(gs_clock_poll(clk), GS_CLOCK_SYNCED);
	assert_true(gs_clock_synced(clk));
	assert_int_equal(gs_clock_steps(clk), 1);

	/* The held stamps re-stamped with the true offset. */
	assert_int_equal(gs_clock_to_realtime_ms(clk, held_mono[0]),
	                 TRUE_T0_MS + 1000);
	assert_int_equal(gs_clock_to_realtime_ms(clk, held_mono[1]),
	                 TRUE_T0_MS + 2500);
	assert_int_equal(gs_clock_to_realtime_ms(clk, held_mono[2]),
	                 TRUE_T0_MS + 60000);
	assert_int_equal(gs_clock_now_ms(clk), TRUE_T0_MS + 60000 + 200);
	gs_clock_free(clk);
}

/* Step and synchronisation seen by the same poll. */
static void test_sync_with_jump_in_one_poll(void **state)
{
	struct fixture *fx = *state;
	struct gs_clock *clk = new_clock(fx);
	int64_t mono = fx->fake.monotonic_ns;

	fx->fake.realtime_ns = TRUE_T0_MS * NS_PER_MS;
	fx->fake.synced = true;
	assert_int_equal(gs_clock_poll(clk),
	                 GS_CLOCK_SYNCED | GS_CLOCK_STEPPED);
	assert_int_equal(gs_clock_to_realtime_ms(clk, mono), TRUE_T0_MS);
	assert_int_equal(gs_clock_last_step_ns(clk),
	                 (TRUE_T0_MS - SAVED_T0_MS) * NS_PER_MS);
	/* A synchronised clock is reported once. */
	assert_int_equal(gs_clock_poll(clk), 0);
	gs_clock_free(clk);
}

/* Synchronised without a step (the saved time was close enough). */
static void test_sync_without_step(void **state)
{
	struct fixture *fx = *state;
	struct gs_clock *clk = new_clock(fx);
	int64_t offset = gs_clock_offset_ns(clk);

	gs_fake_clock_advance(&fx->fake, 30 * NS_PER_S);
	/* NTP slews: realtime and monotonic move alike; 300 us of noise. */
	fx->fake.realtime_ns += 300 * 1000;
	fx->fake.synced = true;
	assert_int_equal(gs_clock_poll(clk), GS_CLOCK_SYNCED);
	assert_int_equal(gs_clock_steps(clk), 0);
	assert_int_equal(gs_clock_offset_ns(clk), offset + 300 * 1000);
	gs_clock_free(clk);
}

/* Below 5 ms a change of the offset is measurement noise, above a step. */
static void test_step_threshold(void **state)
{
	struct fixture *fx = *state;
	struct gs_clock *clk = new_clock(fx);
	int64_t offset = gs_clock_offset_ns(clk);

	fx->fake.realtime_ns += 4 * NS_PER_MS;
	assert_int_equal(gs_clock_poll(clk), 0);
	assert_int_equal(gs_clock_offset_ns(clk), offset);
	fx->fake.realtime_ns += 2 * NS_PER_MS;
	assert_int_equal(gs_clock_poll(clk), GS_CLOCK_STEPPED);
	assert_int_equal(gs_clock_last_step_ns(clk), 6 * NS_PER_MS);
	assert_int_equal(gs_clock_offset_ns(clk), offset + 6 * NS_PER_MS);
	gs_clock_free(clk);
}

/* Synchronised from the start, then an administrator sets the date back. */
static void test_step_while_synced(void **state)
{
	struct fixture *fx = *state;
	struct gs_clock *clk;
	int64_t before, after;

	fx->fake.realtime_ns = TRUE_T0_MS * NS_PER_MS;
	fx->fake.synced = true;
	clk = new_clock(fx);
	assert_true(gs_clock_synced(clk));
	assert_int_equal(gs_clock_poll(clk), 0);

	gs_fake_clock_advance(&fx->fake, 10 * NS_PER_S);
	before = fx->fake.monotonic_ns;
	assert_int_equal(gs_clock_to_realtime_ms(clk, before),
	                 TRUE_T0_MS + 10000);

	fx->fake.realtime_ns -= 2 * GS_MS_PER_H * NS_PER_MS;
	assert_int_equal(gs_clock_poll(clk), GS_CLOCK_STEPPED);
	assert_true(gs_clock_synced(clk));
	assert_int_equal(gs_clock_last_step_ns(clk),
	                 -2 * GS_MS_PER_H * NS_PER_MS);
	assert_int_equal(gs_clock_steps(clk), 1);

	gs_fake_clock_advance(&fx->fake, 1 * NS_PER_S);
	after = fx->fake.monotonic_ns;
	assert_int_equal(gs_clock_to_realtime_ms(clk, after),
	                 TRUE_T0_MS + 11000 - 2 * GS_MS_PER_H);

	/* Losing the server later does not make the offset untrusted. */
	fx->fake.synced = false;
	gs_fake_clock_advance(&fx->fake, GS_MS_PER_H * NS_PER_MS);
	assert_int_equal(gs_clock_poll(clk), 0);
	assert_true(gs_clock_synced(clk));
	gs_clock_free(clk);
}

/* Stamps in ns convert to ms by rounding down, also before 1970. */
static void test_rounding(void **state)
{
	struct fixture *fx = *state;
	struct gs_clock *clk;

	/* A Pi without fake-hwclock boots in 1970: realtime < monotonic. */
	fx->fake.realtime_ns = 5 * NS_PER_S;
	fx->fake.monotonic_ns = 7 * NS_PER_S;
	clk = new_clock(fx);
	assert_int_equal(gs_clock_offset_ns(clk), -2 * NS_PER_S);
	assert_int_equal(gs_clock_to_realtime_ms(clk, 7 * NS_PER_S + 999999),
	                 5000);
	assert_int_equal(gs_clock_to_realtime_ms(clk, 1 * NS_PER_S + 1), -1000);
	assert_int_equal(gs_clock_to_realtime_ms(clk, 1 * NS_PER_S - 1), -1001);
	gs_clock_free(clk);
}

static void test_boot_id(void **state)
{
	struct fixture *fx = *state;
	struct gs_clock *clk = new_clock(fx);
	char *path;

	assert_string_equal(gs_clock_boot_id(clk), BOOT_ID);
	gs_clock_free(clk);

	/* Without a newline, as a test might write it. */
	path = gs_test_write_file(fx->dir, "no-newline", BOOT_ID);
	fx->opts.boot_id_path = path;
	clk = new_clock(fx);
	assert_string_equal(gs_clock_boot_id(clk), BOOT_ID);
	gs_clock_free(clk);
	free(path);

	clk = NULL;
	path = gs_test_write_file(fx->dir, "bad", "not-a-boot-id\n");
	fx->opts.boot_id_path = path;
	assert_int_equal(gs_clock_new(&fx->opts, &clk), GS_EINVAL);
	assert_null(clk);
	free(path);

	path =
	    gs_test_write_file(fx->dir, "short", "0f5e2c1a-3b4d-4e6f-8a9b\n");
	fx->opts.boot_id_path = path;
	assert_int_equal(gs_clock_new(&fx->opts, &clk), GS_EINVAL);
	free(path);

	fx->opts.boot_id_path = "/nonexistent/boot_id";
	assert_int_equal(gs_clock_new(&fx->opts, &clk), GS_ENOENT);
	assert_null(clk);
}

/* The real system: its boot id, a timerfd that is quiet until a step. */
static void test_system_clock(void **state)
{
	struct fixture *fx = *state;
	struct gs_clock *clk = NULL;
	struct gs_clock_opts opts = {0};
	int64_t expect, mono;
	char *flag;

	assert_int_equal(gs_clock_new(NULL, &clk), GS_OK);
	assert_int_equal(strlen(gs_clock_boot_id(clk)),
	                 GS_CLOCK_BOOT_ID_LEN - 1);
	assert_true(gs_clock_fd(clk) >= 0);
	/* Not readable: nothing to report. */
	assert_int_equal(gs_clock_handle(clk), 0);
	mono = gs_clock_monotonic_ns();
	expect = gs_clock_realtime_ms();
	/* Within a second, whatever the machine's load. */
	assert_true(llabs(gs_clock_to_realtime_ms(clk, mono) - expect) < 1000);
	assert_true(llabs(gs_clock_now_ms(clk) - expect) < 1000);
	gs_clock_free(clk);
	gs_clock_free(NULL);

	/* timesyncd's flag file counts as synchronised. */
	flag = gs_test_write_file(fx->dir, "synchronized", "");
	assert_true(gs_clock_system_synced(flag));
	opts.timesync_flag_path = flag;
	assert_int_equal(gs_clock_new(&opts, &clk), GS_OK);
	assert_true(gs_clock_synced(clk));
	gs_clock_free(clk);
	free(flag);
}

/* Clock reads that return a script: realtime and monotonic in turn. */
struct script {
	const int64_t *v;
	size_t n, next;
};

static int64_t script_read(void *ctx)
{
	struct script *sc = ctx;

	assert_true(sc->next < sc->n);
	return sc->v[sc->next++];
}

/* The one offset measurement, shared by the clock and the GPIO backend. */
static void test_offset_measure(void **state)
{
	/* Each try reads realtime, monotonic, realtime. A narrow try at
	 * once: the monotonic read against the realtime midpoint. */
	static const int64_t narrow[] = {1000, 100, 1040};
	/* Preempted (1 ms wide), then narrower: the narrower counts. */
	static const int64_t preempted[] = {5000000, 100, 6000000,
	                                    7000000, 200, 7000050};
	/* Wide every time: the narrowest of five tries. */
	static const int64_t wide[] = {
	    0,       10,      400000, 1000000, 20,      1300000, 2000000, 30,
	    2200000, 3000000, 40,     3500000, 4000000, 50,      4900000};
	/* Stepped back under every try: one plain difference. */
	static const int64_t back[] = {900, 1, 800, 900, 2, 800, 900, 3, 800,
	                               900, 4, 800, 900, 5, 800, 777, 7};
	static const struct {
		const int64_t *v;
		size_t n;
		int64_t want;
	} cases[] = {
	    {narrow, 3, 1020 - 100},
	    {preempted, 6, 7000025 - 200},
	    {wide, 15, 2100000 - 30},
	    {back, 17, 777 - 7},
	};
	int64_t sys, direct;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct script sc = {cases[i].v, cases[i].n, 0};

		assert_int_equal(
		    gs_clock_offset_measure(script_read, script_read, &sc),
		    cases[i].want);
		assert_int_equal(sc.next, sc.n); /* no read more or less */
	}

	/* The system's clocks: the offset a direct reading gives, to the
	 * time between the reads. */
	sys = gs_clock_offset_measure(gs_clock_read_realtime_ns,
	                              gs_clock_read_monotonic_ns, NULL);
	direct =
	    gs_clock_read_realtime_ns(NULL) - gs_clock_read_monotonic_ns(NULL);
	assert_true(llabs(sys - direct) < 50 * NS_PER_MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_unsynced_then_synced, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_sync_with_jump_in_one_poll,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sync_without_step, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_step_threshold, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_step_while_synced, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rounding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_boot_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_system_clock, setup, teardown),
	    cmocka_unit_test(test_offset_measure),
	};

	return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
