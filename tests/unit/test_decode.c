/* SPDX-License-Identifier: MIT */
/*
 * The decode stage: every decoder state and transition, beam-pair noise at
 * and under min_break, faults at the strictly-longer boundary, lockout,
 * debounce, repeated levels, and the time order of events across sensors
 * while a beam activation is held back. Expectations are computed by hand
 * from shared/metrics-clarifications.md points 1-8.
 */
#include "sensors/decode.h"
#include "gateway/timeutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

enum { BEAM, QUEUE, SMILEY, STAFF, PULSE_IN, PULSE_2, PULSE_NONE, NSENS };

#define FAULT_MS 60000

static struct gs_config cfg;

struct rec {
	struct gs_event ev[4096];
	unsigned n;
	unsigned seen; /* events already checked by expect() */
};

static struct rec rec;

static void rec_emit(void *ctx, const struct gs_event *ev)
{
	struct rec *r = ctx;

	/* The stage's promise: events leave in non-decreasing time. */
	if (r->n > 0)
		assert_true(ev->t_ms >= r->ev[r->n - 1].t_ms);
	assert_true(r->n < sizeof(r->ev) / sizeof(r->ev[0]));
	r->ev[r->n++] = *ev;
}

static void add_sensor(enum gs_sensor_type type, unsigned n_lines)
{
	struct gs_sensor_cfg *s = &cfg.sensors[cfg.n_sensors];

	snprintf(s->name, sizeof(s->name), "s%u", cfg.n_sensors);
	snprintf(s->chip, sizeof(s->chip), "gpiochip0");
	s->type = type;
	s->n_lines = n_lines;
	for (unsigned i = 0; i < n_lines; i++)
		snprintf(s->lines[i], sizeof(s->lines[i]), "L%u_%u",
		         cfg.n_sensors, i);
	s->fault_ms = FAULT_MS;
	s->min_break_ms = type == GS_SENSOR_BEAM_PAIR ? 30 : 0;
	s->lockout_ms =
	    type == GS_SENSOR_SMILEY || type == GS_SENSOR_STAFF ? 2000 : 0;
	cfg.n_sensors++;
}

static int setup(void **state)
{
	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	memset(&rec, 0, sizeof(rec));
	add_sensor(GS_SENSOR_BEAM_PAIR, 2);
	add_sensor(GS_SENSOR_QUEUE, 2);
	add_sensor(GS_SENSOR_SMILEY, 5);
	add_sensor(GS_SENSOR_STAFF, 3);
	add_sensor(GS_SENSOR_PULSE, 1);
	cfg.sensors[PULSE_IN].direction = GS_DIR_IN;
	add_sensor(GS_SENSOR_PULSE, 2);
	add_sensor(GS_SENSOR_PULSE, 1);
	return 0;
}

static struct gs_decode *new_dec(void)
{
	struct gs_decode *dec = gs_decode_new(&cfg, rec_emit, &rec);

	assert_non_null(dec);
	return dec;
}

static void E(struct gs_decode *dec, int64_t t, unsigned sensor, unsigned input,
              int active)
{
	struct gs_edge e = {
	    .t_ms = t,
	    .mono_ns = t * 1000000,
	    .sensor = (uint16_t)sensor,
	    .input = (uint8_t)input,
	    .active = (uint8_t)active,
	};

	gs_decode_push(dec, &e);
}

/* Asserts the next event recorded since the last expect. */
static void expect(int64_t t, unsigned sensor, enum gs_event_kind kind,
                   unsigned value, unsigned input, unsigned flags)
{
	const struct gs_event *ev;

	if (rec.seen >= rec.n)
		fail_msg("expected %s at %lld, got nothing",
		         gs_event_kind_name(kind), (long long)t);
	ev = &rec.ev[rec.seen++];
	if (ev->t_ms != t || ev->sensor != sensor || ev->kind != kind ||
	    ev->value != value || ev->input != input || ev->flags != flags)
		fail_msg("expected %s t=%lld s=%u v=%u i=%u f=%u, got %s "
		         "t=%lld s=%u v=%u i=%u f=%u",
		         gs_event_kind_name(kind), (long long)t, sensor, value,
		         input, flags, gs_event_kind_name(ev->kind),
		         (long long)ev->t_ms, ev->sensor, ev->value, ev->input,
		         ev->flags);
}

static void expect_simple(int64_t t, unsigned sensor, enum gs_event_kind kind)
{
	expect(t, sensor, kind, 0, 0, 0);
}

static void expect_none(void)
{
	if (rec.seen < rec.n)
		fail_msg("unexpected %s at %lld",
		         gs_event_kind_name(rec.ev[rec.seen].kind),
		         (long long)rec.ev[rec.seen].t_ms);
}

/* One complete crossing of the pair starting at t, A first if in. */
static int64_t cross(struct gs_decode *dec, int64_t t, bool in)
{
	unsigned first = in ? 0 : 1, second = in ? 1 : 0;

	E(dec, t, BEAM, first, 1);
	E(dec, t + 100, BEAM, second, 1);
	E(dec, t + 300, BEAM, first, 0);
	E(dec, t + 400, BEAM, second, 0);
	return t + 400;
}

/* ---- beam_pair ---- */

static void test_beam_in_out(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	cross(dec, 1000, true);
	/* Nothing is final before the last clearing edge. */
	expect_simple(1400, BEAM, GS_EV_IN);
	cross(dec, 5000, false);
	expect_simple(5400, BEAM, GS_EV_OUT);
	expect_none();
	gs_decode_free(dec);
}

static void test_beam_event_at_final_clear(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	E(dec, 0, BEAM, 0, 1);
	E(dec, 100, BEAM, 1, 1);
	E(dec, 300, BEAM, 0, 0);
	expect_none(); /* only B broken: not yet */
	gs_decode_advance(dec, 10000);
	expect_none();
	E(dec, 10000, BEAM, 1, 0);
	expect_simple(10000, BEAM, GS_EV_IN);
	expect_none();
	gs_decode_free(dec);
}

static void test_beam_turn_back(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	/* A, clear */
	E(dec, 0, BEAM, 0, 1);
	E(dec, 200, BEAM, 0, 0);
	/* A, A+B, A, clear: reached B but came back out */
	E(dec, 1000, BEAM, 0, 1);
	E(dec, 1100, BEAM, 1, 1);
	E(dec, 1200, BEAM, 1, 0);
	E(dec, 1300, BEAM, 0, 0);
	/* A, A+B, B, A+B, A, clear: all the way to B, then back out */
	E(dec, 2000, BEAM, 0, 1);
	E(dec, 2100, BEAM, 1, 1);
	E(dec, 2200, BEAM, 0, 0);
	E(dec, 2300, BEAM, 0, 1);
	E(dec, 2400, BEAM, 1, 0);
	E(dec, 2500, BEAM, 0, 0);
	/* B, clear (from inside, turned back) */
	E(dec, 3000, BEAM, 1, 1);
	E(dec, 3200, BEAM, 1, 0);
	/* B, A+B, B, clear: an out that turned back */
	E(dec, 4000, BEAM, 1, 1);
	E(dec, 4100, BEAM, 0, 1);
	E(dec, 4200, BEAM, 0, 0);
	E(dec, 4300, BEAM, 1, 0);
	gs_decode_advance(dec, 5000);
	expect_none();
	/* The decoder is back in its idle state: a real crossing counts. */
	cross(dec, 6000, true);
	expect_simple(6400, BEAM, GS_EV_IN);
	expect_none();
	gs_decode_free(dec);
}

static void test_beam_back_and_forth(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	/* A, A+B, B, A+B, B, clear is one in (clarification 5) */
	E(dec, 0, BEAM, 0, 1);
	E(dec, 100, BEAM, 1, 1);
	E(dec, 200, BEAM, 0, 0);
	E(dec, 300, BEAM, 0, 1);
	E(dec, 400, BEAM, 0, 0);
	E(dec, 500, BEAM, 1, 0);
	expect_simple(500, BEAM, GS_EV_IN);
	/* B, A+B, A, A+B, A, clear is one out */
	E(dec, 1000, BEAM, 1, 1);
	E(dec, 1100, BEAM, 0, 1);
	E(dec, 1200, BEAM, 1, 0);
	E(dec, 1300, BEAM, 1, 1);
	E(dec, 1400, BEAM, 1, 0);
	E(dec, 1500, BEAM, 0, 0);
	expect_simple(1500, BEAM, GS_EV_OUT);
	/* A, A+B, B, A+B, A, A+B, B, clear: one in (it is one sequence) */
	E(dec, 2000, BEAM, 0, 1);
	E(dec, 2100, BEAM, 1, 1);
	E(dec, 2200, BEAM, 0, 0);
	E(dec, 2300, BEAM, 0, 1);
	E(dec, 2400, BEAM, 1, 0);
	E(dec, 2500, BEAM, 1, 1);
	E(dec, 2600, BEAM, 0, 0);
	E(dec, 2700, BEAM, 1, 0);
	expect_simple(2700, BEAM, GS_EV_IN);
	expect_none();
	gs_decode_free(dec);
}

static void test_beam_two_people_close(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	/* The second breaks A in the same millisecond the first clears B. */
	E(dec, 0, BEAM, 0, 1);
	E(dec, 100, BEAM, 1, 1);
	E(dec, 300, BEAM, 0, 0);
	E(dec, 400, BEAM, 1, 0);
	E(dec, 400, BEAM, 0, 1);
	E(dec, 500, BEAM, 1, 1);
	E(dec, 700, BEAM, 0, 0);
	E(dec, 800, BEAM, 1, 0);
	/* One in, one out, one millisecond apart. */
	E(dec, 801, BEAM, 1, 1);
	E(dec, 900, BEAM, 0, 1);
	E(dec, 1000, BEAM, 1, 0);
	E(dec, 1100, BEAM, 0, 0);
	expect_simple(400, BEAM, GS_EV_IN);
	expect_simple(800, BEAM, GS_EV_IN);
	expect_simple(1100, BEAM, GS_EV_OUT);
	expect_none();
	gs_decode_free(dec);
}

static void test_beam_noise_boundary(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	/* B broken 29 ms: noise, removed, so the sequence is A, clear. */
	E(dec, 0, BEAM, 0, 1);
	E(dec, 200, BEAM, 1, 1);
	E(dec, 220, BEAM, 0, 0);
	E(dec, 229, BEAM, 1, 0);
	gs_decode_advance(dec, 1000);
	expect_none();
	/* B broken exactly 30 ms: real, so A, A+B, B, clear is an in. */
	E(dec, 2000, BEAM, 0, 1);
	E(dec, 2200, BEAM, 1, 1);
	E(dec, 2220, BEAM, 0, 0);
	E(dec, 2230, BEAM, 1, 0);
	expect_simple(2230, BEAM, GS_EV_IN);
	/* A spike of 29 ms before an out does not make it a turn-back. */
	E(dec, 3000, BEAM, 0, 1);
	E(dec, 3029, BEAM, 0, 0);
	cross(dec, 3100, false);
	expect_simple(3500, BEAM, GS_EV_OUT);
	/* A spike of exactly 30 ms is a real (turned-back) sequence. */
	E(dec, 4000, BEAM, 0, 1);
	E(dec, 4030, BEAM, 0, 0);
	expect_none();
	assert_false(gs_decode_line_active(dec, BEAM, 0));
	expect_none();
	gs_decode_free(dec);
}

static void test_beam_noise_holds_events_in_order(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	E(dec, 0, BEAM, 0, 1);   /* unconfirmed until 30 */
	E(dec, 10, QUEUE, 0, 1); /* held behind it */
	E(dec, 20, SMILEY, 3, 1);
	expect_none();
	assert_int_equal(gs_decode_settled(dec), 0);
	assert_int_equal(gs_decode_next_deadline(dec), 30);
	assert_false(gs_decode_line_active(dec, BEAM, 0));
	/* The beam is confirmed at 30: the held edges leave with their times.
	 */
	gs_decode_advance(dec, 29);
	expect_none();
	gs_decode_advance(dec, 30);
	expect_simple(10, QUEUE, GS_EV_JOIN);
	expect(20, SMILEY, GS_EV_PRESS, 3, 0, 0);
	expect_none();
	assert_true(gs_decode_line_active(dec, BEAM, 0));
	assert_int_equal(gs_decode_settled(dec), 30);

	/* Noise: removed with its clear, the held edges still leave. */
	E(dec, 1000, BEAM, 1, 1);
	E(dec, 1005, QUEUE, 1, 1);
	E(dec, 1010, BEAM, 1, 0); /* 10 ms: noise */
	expect_simple(1005, QUEUE, GS_EV_SERVE);
	expect_none();
	assert_false(gs_decode_line_active(dec, BEAM, 1));
	assert_int_equal(gs_decode_settled(dec), 1010);

	/* A second unconfirmed activation behind the first. */
	E(dec, 2000, BEAM, 1, 1);
	E(dec, 2010, QUEUE, 0, 0);
	E(dec, 2010, QUEUE, 0, 1);
	E(dec, 2015, BEAM, 1, 0); /* noise */
	expect_simple(2010, QUEUE, GS_EV_JOIN);
	expect_none();
	gs_decode_free(dec);
}

static void test_beam_min_break_zero(void **state)
{
	struct gs_decode *dec;

	(void)state;
	cfg.sensors[BEAM].min_break_ms = 0;
	dec = new_dec();
	E(dec, 0, BEAM, 0, 1);
	assert_true(gs_decode_line_active(dec, BEAM, 0));
	E(dec, 1, BEAM, 1, 1);
	E(dec, 2, BEAM, 0, 0);
	E(dec, 3, BEAM, 1, 0);
	expect_simple(3, BEAM, GS_EV_IN);
	expect_none();
	gs_decode_free(dec);
}

/* ---- faults ---- */

static void test_fault_strictly_longer(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	/* Active exactly the limit: no fault. */
	E(dec, 0, QUEUE, 0, 1);
	expect_simple(0, QUEUE, GS_EV_JOIN);
	assert_int_equal(gs_decode_next_deadline(dec), FAULT_MS + 1);
	gs_decode_advance(dec, FAULT_MS);
	expect_none();
	E(dec, FAULT_MS, QUEUE, 0, 0);
	expect_none();
	assert_false(gs_decode_sensor_faulted(dec, QUEUE));
	assert_int_equal(gs_decode_next_deadline(dec), GS_TIME_NONE);

	/* Active one millisecond longer: fault stamped at activation + limit,
	 * raised once time has passed it, recovery at the clearing edge. */
	E(dec, 100000, QUEUE, 1, 1);
	expect_simple(100000, QUEUE, GS_EV_SERVE);
	gs_decode_advance(dec, 100000 + FAULT_MS);
	expect_none();
	gs_decode_advance(dec, 100000 + FAULT_MS + 1);
	expect(100000 + FAULT_MS, QUEUE, GS_EV_FAULT, 0, 1, 0);
	assert_true(gs_decode_sensor_faulted(dec, QUEUE));
	gs_decode_advance(dec, 200000);
	expect_none(); /* raised once */
	E(dec, 200000, QUEUE, 1, 0);
	expect(200000, QUEUE, GS_EV_RECOVERED, 0, 1, 0);
	assert_false(gs_decode_sensor_faulted(dec, QUEUE));
	expect_none();
	gs_decode_free(dec);
}

static void test_fault_raised_by_later_edge(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	/* A later edge of another sensor moves time past the fault instant;
	 * the fault comes before that edge's event. A repeated level (not a
	 * change) moves time too. */
	E(dec, 0, SMILEY, 0, 1);
	expect(0, SMILEY, GS_EV_PRESS, 0, 0, 0);
	E(dec, FAULT_MS + 5, QUEUE, 0, 1);
	expect(FAULT_MS, SMILEY, GS_EV_FAULT, 0, 0, 0);
	expect_simple(FAULT_MS + 5, QUEUE, GS_EV_JOIN);
	E(dec, FAULT_MS + 10, STAFF, 0, 1);
	expect(FAULT_MS + 10, STAFF, GS_EV_PRESS, 0, 0, 0);
	E(dec, 2 * FAULT_MS + 11, STAFF, 0, 1); /* repeated level */
	expect(2 * FAULT_MS + 5, QUEUE, GS_EV_FAULT, 0, 0, 0);
	expect(2 * FAULT_MS + 10, STAFF, GS_EV_FAULT, 0, 0, 0);
	expect_none();
	gs_decode_free(dec);
}

static void test_fault_same_ms_order(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	/* An edge at t goes before a fault stamped t. */
	E(dec, 0, QUEUE, 0, 1);
	expect_simple(0, QUEUE, GS_EV_JOIN);
	E(dec, FAULT_MS, QUEUE, 1, 1);
	expect_simple(FAULT_MS, QUEUE, GS_EV_SERVE);
	gs_decode_advance(dec, FAULT_MS + 1);
	expect(FAULT_MS, QUEUE, GS_EV_FAULT, 0, 0, 0);
	expect_none();
	gs_decode_free(dec);
}

static void test_fault_suspends_crossing(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	/* A blocked past the limit during a sequence: no count, even though
	 * the sequence completes correctly after the recovery. */
	E(dec, 0, BEAM, 0, 1);
	E(dec, 100, BEAM, 1, 1);
	E(dec, 500, BEAM, 1, 0);
	gs_decode_advance(dec, FAULT_MS + 1);
	expect(FAULT_MS, BEAM, GS_EV_FAULT, 0, 0, 0);
	E(dec, FAULT_MS + 4000, BEAM, 1, 1);
	E(dec, FAULT_MS + 5000, BEAM, 0, 0);
	expect(FAULT_MS + 5000, BEAM, GS_EV_RECOVERED, 0, 0, 0);
	E(dec, FAULT_MS + 5100, BEAM, 1, 0); /* A, A+B, B, clear */
	expect_none();
	/* The next sequence counts again. */
	cross(dec, FAULT_MS + 10000, false);
	expect_simple(FAULT_MS + 10400, BEAM, GS_EV_OUT);

	/* B faulted in an out sequence, recovered, then completes: none. */
	E(dec, 200000, BEAM, 1, 1);
	gs_decode_advance(dec, 200000 + FAULT_MS + 1);
	expect(200000 + FAULT_MS, BEAM, GS_EV_FAULT, 0, 1, 0);
	assert_true(gs_decode_sensor_faulted(dec, BEAM));
	E(dec, 300000, BEAM, 0, 1);
	E(dec, 300100, BEAM, 1, 0);
	expect(300100, BEAM, GS_EV_RECOVERED, 0, 1, 0);
	E(dec, 300200, BEAM, 0, 0);
	expect_none();
	gs_decode_free(dec);
}

static void test_fault_presses_still_count(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	/* Button 4 stuck: faulted, but button 1 still makes presses. */
	E(dec, 0, SMILEY, 4, 1);
	expect(0, SMILEY, GS_EV_PRESS, 4, 0, 0);
	E(dec, 70000, SMILEY, 1, 1);
	expect(FAULT_MS, SMILEY, GS_EV_FAULT, 0, 4, 0);
	expect(70000, SMILEY, GS_EV_PRESS, 1, 0, 0);
	E(dec, 70100, SMILEY, 1, 0);
	/* A pulse counter still counts while the beam pair is faulted. */
	E(dec, 80000, BEAM, 0, 1);
	E(dec, 80000 + FAULT_MS + 10, PULSE_IN, 0, 1);
	expect(80000 + FAULT_MS, BEAM, GS_EV_FAULT, 0, 0, 0);
	expect_simple(80000 + FAULT_MS + 10, PULSE_IN, GS_EV_IN);
	expect_none();
	gs_decode_free(dec);
}

static void test_fault_disabled(void **state)
{
	struct gs_decode *dec;

	(void)state;
	cfg.sensors[QUEUE].fault_ms = 0;
	dec = new_dec();
	E(dec, 0, QUEUE, 0, 1);
	expect_simple(0, QUEUE, GS_EV_JOIN);
	gs_decode_advance(dec, 10 * FAULT_MS);
	expect_none();
	assert_int_equal(gs_decode_next_deadline(dec), GS_TIME_NONE);
	gs_decode_free(dec);
}

/* ---- queue and pulse ---- */

static void test_queue_join_serve(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	E(dec, 0, QUEUE, 0, 1);
	E(dec, 300, QUEUE, 0, 0);
	E(dec, 500, QUEUE, 0, 1);
	E(dec, 900, QUEUE, 1, 1);
	E(dec, 1200, QUEUE, 1, 0);
	expect_simple(0, QUEUE, GS_EV_JOIN);
	expect_simple(500, QUEUE, GS_EV_JOIN);
	expect_simple(900, QUEUE, GS_EV_SERVE);
	expect_none();
	gs_decode_free(dec);
}

static void test_pulse(void **state)
{
	struct gs_decode *dec;

	(void)state;
	cfg.sensors[PULSE_NONE].direction = GS_DIR_NONE;
	add_sensor(GS_SENSOR_PULSE, 1);
	cfg.sensors[cfg.n_sensors - 1].direction = GS_DIR_OUT;
	dec = new_dec();
	for (int i = 0; i < 3; i++) {
		E(dec, i * 100, PULSE_IN, 0, 1);
		E(dec, i * 100 + 50, PULSE_IN, 0, 0);
	}
	E(dec, 1000, PULSE_2, 0, 1);
	E(dec, 1010, PULSE_2, 1, 1);
	E(dec, 1020, PULSE_2, 1, 0);
	E(dec, 1030, PULSE_NONE, 0, 1);
	E(dec, 1040, NSENS, 0, 1);
	E(dec, 1050, PULSE_NONE, 0, 1); /* repeated level */
	expect_simple(0, PULSE_IN, GS_EV_IN);
	expect_simple(100, PULSE_IN, GS_EV_IN);
	expect_simple(200, PULSE_IN, GS_EV_IN);
	expect_simple(1000, PULSE_2, GS_EV_IN);
	expect_simple(1010, PULSE_2, GS_EV_OUT);
	expect_simple(1030, PULSE_NONE, GS_EV_PULSE);
	expect_simple(1040, NSENS, GS_EV_OUT);
	expect_none();
	gs_decode_free(dec);
}

/* ---- smiley and staff ---- */

static void test_button_lockout(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	E(dec, 0, SMILEY, 0, 1);
	E(dec, 100, SMILEY, 0, 0);
	/* Exactly the lockout after, on another button: misuse. */
	E(dec, 2000, SMILEY, 4, 1);
	E(dec, 2100, SMILEY, 4, 0);
	/* 2001 ms after the previous press: fine. */
	E(dec, 4001, SMILEY, 2, 1);
	E(dec, 4100, SMILEY, 2, 0);
	/* The lockout runs from the previous press, misuse or not. */
	E(dec, 5000, SMILEY, 1, 1);
	E(dec, 5050, SMILEY, 1, 0);
	E(dec, 6900, SMILEY, 1, 1);
	E(dec, 6950, SMILEY, 1, 0);
	/* Terminals do not share a lockout; staff follow the same rule. */
	E(dec, 6960, STAFF, 2, 1);
	E(dec, 6970, STAFF, 2, 0);
	E(dec, 8960, STAFF, 0, 1);
	E(dec, 8970, STAFF, 0, 0);
	expect(0, SMILEY, GS_EV_PRESS, 0, 0, 0);
	expect(2000, SMILEY, GS_EV_PRESS, 4, 0, GS_EVF_MISUSE);
	expect(4001, SMILEY, GS_EV_PRESS, 2, 0, 0);
	expect(5000, SMILEY, GS_EV_PRESS, 1, 0, GS_EVF_MISUSE);
	expect(6900, SMILEY, GS_EV_PRESS, 1, 0, GS_EVF_MISUSE);
	expect(6960, STAFF, GS_EV_PRESS, 2, 0, 0);
	expect(8960, STAFF, GS_EV_PRESS, 0, 0, GS_EVF_MISUSE);
	expect_none();
	gs_decode_free(dec);
}

/* Clarification 7: inclusive, no exception for 0. */
static void test_button_lockout_zero(void **state)
{
	struct gs_decode *dec;

	(void)state;
	cfg.sensors[SMILEY].lockout_ms = 0;
	dec = new_dec();
	/* Two buttons in the same millisecond: the second is misuse. */
	E(dec, 1000, SMILEY, 0, 1);
	E(dec, 1000, SMILEY, 1, 1);
	E(dec, 1100, SMILEY, 0, 0);
	E(dec, 1100, SMILEY, 1, 0);
	/* One millisecond later is beyond a lockout of 0. */
	E(dec, 1200, SMILEY, 2, 1);
	E(dec, 1201, SMILEY, 3, 1);
	expect(1000, SMILEY, GS_EV_PRESS, 0, 0, 0);
	expect(1000, SMILEY, GS_EV_PRESS, 1, 0, GS_EVF_MISUSE);
	expect(1200, SMILEY, GS_EV_PRESS, 2, 0, 0);
	expect(1201, SMILEY, GS_EV_PRESS, 3, 0, 0);
	expect_none();
	gs_decode_free(dec);
}

static void test_button_lockout_exact(void **state)
{
	struct gs_decode *dec;

	(void)state;
	cfg.sensors[SMILEY].lockout_ms = 500;
	dec = new_dec();
	E(dec, 0, SMILEY, 0, 1);
	E(dec, 500, SMILEY, 1, 1);  /* exactly the lockout: misuse */
	E(dec, 1001, SMILEY, 2, 1); /* 501 ms after: counts */
	expect(0, SMILEY, GS_EV_PRESS, 0, 0, 0);
	expect(500, SMILEY, GS_EV_PRESS, 1, 0, GS_EVF_MISUSE);
	expect(1001, SMILEY, GS_EV_PRESS, 2, 0, 0);
	expect_none();
	gs_decode_free(dec);
}

static void test_button_held_and_two_at_once(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	E(dec, 0, SMILEY, 3, 1);
	E(dec, 100, SMILEY, 3, 1); /* repeated level: still one press */
	E(dec, 5000, SMILEY, 3, 0);
	/* Two buttons at once: two presses, the second within lockout. */
	E(dec, 10000, SMILEY, 0, 1);
	E(dec, 10000, SMILEY, 1, 1);
	E(dec, 10200, SMILEY, 0, 0);
	E(dec, 10200, SMILEY, 1, 0);
	expect(0, SMILEY, GS_EV_PRESS, 3, 0, 0);
	expect(10000, SMILEY, GS_EV_PRESS, 0, 0, 0);
	expect(10000, SMILEY, GS_EV_PRESS, 1, 0, GS_EVF_MISUSE);
	expect_none();
	gs_decode_free(dec);
}

static void test_button_debounce(void **state)
{
	struct gs_decode *dec;

	(void)state;
	cfg.sensors[SMILEY].debounce_ms = 20;
	cfg.sensors[SMILEY].lockout_ms = 0;
	dec = new_dec();
	/* A bouncing press: one press. */
	E(dec, 0, SMILEY, 2, 1);
	E(dec, 3, SMILEY, 2, 0);
	E(dec, 6, SMILEY, 2, 1);
	E(dec, 19, SMILEY, 2, 0);
	assert_true(gs_decode_line_active(dec, SMILEY, 2));
	/* Exactly debounce after the last accepted change: accepted. */
	E(dec, 20, SMILEY, 2, 0);
	assert_false(gs_decode_line_active(dec, SMILEY, 2));
	E(dec, 25, SMILEY, 2, 1); /* 5 ms after the release: bounce */
	E(dec, 39, SMILEY, 2, 0);
	E(dec, 40, SMILEY, 2, 1); /* 20 ms after: a new press */
	/* Debounce is per line: another button is not affected. */
	E(dec, 41, SMILEY, 3, 1);
	expect(0, SMILEY, GS_EV_PRESS, 2, 0, 0);
	expect(40, SMILEY, GS_EV_PRESS, 2, 0, 0);
	expect(41, SMILEY, GS_EV_PRESS, 3, 0, 0);
	expect_none();
	gs_decode_free(dec);
}

/* The wiring view shows an edge only if it counts: one bouncing press is
 * one press and one release, a settled bounce a change of its own. */
static bool counts(struct gs_decode *dec, int64_t t, unsigned input, int active)
{
	struct gs_edge e = {.t_ms = t,
	                    .mono_ns = t * 1000000,
	                    .sensor = SMILEY,
	                    .input = (uint8_t)input,
	                    .active = (uint8_t)active};
	bool c = gs_decode_edge_counts(dec, &e);

	gs_decode_push(dec, &e);
	return c;
}

static void test_edge_counts_debounce(void **state)
{
	struct gs_decode *dec;
	int64_t since;

	(void)state;
	cfg.sensors[SMILEY].debounce_ms = 20;
	dec = new_dec();
	assert_true(counts(dec, 1000, 2, 1));
	assert_false(counts(dec, 1002, 2, 0)); /* bounces */
	assert_false(counts(dec, 1004, 2, 1));
	assert_false(counts(dec, 1004, 2, 1)); /* a repeat */
	assert_true(gs_decode_line_debounced(dec, SMILEY, 2, &since));
	assert_int_equal(since, 1000);
	assert_true(counts(dec, 1200, 2, 0)); /* the release */
	/* A tap released within debounce: the release settles at 1320. */
	assert_true(counts(dec, 1300, 2, 1));
	assert_false(counts(dec, 1305, 2, 0));
	gs_decode_advance(dec, 1400);
	assert_false(gs_decode_line_debounced(dec, SMILEY, 2, &since));
	assert_int_equal(since, 1320);
	/* The debounce is the sensor's: every line of it has it. */
	assert_true(counts(dec, 1500, 0, 1));
	assert_false(counts(dec, 1501, 0, 0));
	/* One press each (input 0: events carry the button as value). */
	expect(1000, SMILEY, GS_EV_PRESS, 2, 0, 0);
	expect(1300, SMILEY, GS_EV_PRESS, 2, 0, GS_EVF_MISUSE);
	expect(1500, SMILEY, GS_EV_PRESS, 0, 0, GS_EVF_MISUSE);
	expect_none();
	gs_decode_free(dec);
}

static void test_debounce_settles(void **state)
{
	struct gs_decode *dec;

	(void)state;
	cfg.sensors[SMILEY].debounce_ms = 20;
	cfg.sensors[BEAM].debounce_ms = 20;
	dec = new_dec();
	/* A 5 ms tap: the release is within debounce and ignored, but the
	 * line must not stay pressed: it settles released at 0 + 20. */
	E(dec, 0, SMILEY, 1, 1);
	E(dec, 5, SMILEY, 1, 0);
	expect(0, SMILEY, GS_EV_PRESS, 1, 0, 0);
	assert_true(gs_decode_line_active(dec, SMILEY, 1));
	assert_int_equal(gs_decode_next_deadline(dec), 20);
	gs_decode_advance(dec, 19);
	assert_true(gs_decode_line_active(dec, SMILEY, 1));
	gs_decode_advance(dec, 20);
	assert_false(gs_decode_line_active(dec, SMILEY, 1));
	/* So the next press, seconds later, counts. */
	E(dec, 3000, SMILEY, 1, 1);
	expect(3000, SMILEY, GS_EV_PRESS, 1, 0, 0);
	/* Bounce that ends where it started: nothing to settle. */
	E(dec, 3500, SMILEY, 1, 0);
	E(dec, 3502, SMILEY, 1, 1);
	E(dec, 3504, SMILEY, 1, 0);
	gs_decode_advance(dec, 4000);
	assert_false(gs_decode_line_active(dec, SMILEY, 1));
	/* A settle comes before an edge at the same instant, and is
	 * stamped at the end of the period, in time order with the rest. */
	E(dec, 10000, SMILEY, 2, 1);
	E(dec, 10004, SMILEY, 2, 0); /* settles at 10020 */
	E(dec, 10020, QUEUE, 0, 1);
	E(dec, 10021, SMILEY, 2, 1); /* 1 ms after the release: bounce */
	gs_decode_advance(dec, 10041);
	expect(10000, SMILEY, GS_EV_PRESS, 2, 0, 0);
	expect_simple(10020, QUEUE, GS_EV_JOIN);
	/* ... and that bounce settles pressed at 10040: a new press
	 * (within the lockout of the one at 10000). */
	expect(10040, SMILEY, GS_EV_PRESS, 2, 0, GS_EVF_MISUSE);
	expect_none();
	E(dec, 10300, QUEUE, 0, 0);
	E(dec, 10300, SMILEY, 2, 0);
	expect_none();

	/* A debounced beam: a 10 ms glitch settles clear at 20, before
	 * min_break (30) confirmed it, so it is noise, not a stuck beam. */
	E(dec, 20000, BEAM, 0, 1);
	E(dec, 20010, BEAM, 0, 0);
	gs_decode_advance(dec, 20000 + 2 * FAULT_MS);
	assert_false(gs_decode_line_active(dec, BEAM, 0));
	expect_none();
	/* A person still counts. */
	cross(dec, 200000, true);
	expect_simple(200400, BEAM, GS_EV_IN);
	expect_none();
	gs_decode_free(dec);
}

/* ---- start, repeats, ordering, finish ---- */

static void test_start_idle_and_repeats(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	assert_int_equal(gs_decode_settled(dec), INT64_MIN);
	/* Lines start idle: an inactive level is no change. */
	for (unsigned s = 0; s < cfg.n_sensors; s++)
		for (unsigned i = 0; i < cfg.sensors[s].n_lines; i++)
			E(dec, 100, s, i, 0);
	expect_none();
	assert_int_equal(gs_decode_settled(dec), 100);
	/* A repeated active level of B during an in is not a new break. */
	E(dec, 200, BEAM, 0, 1);
	E(dec, 300, BEAM, 1, 1);
	E(dec, 400, BEAM, 0, 0);
	E(dec, 450, BEAM, 0, 0);
	E(dec, 500, BEAM, 1, 1);
	E(dec, 600, BEAM, 1, 0);
	expect_simple(600, BEAM, GS_EV_IN);
	expect_none();
	gs_decode_free(dec);
}

static void test_clamp_old_edges(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	gs_decode_advance(dec, 5000);
	E(dec, 4000, QUEUE, 0, 1); /* older than time seen: clamped */
	expect_simple(5000, QUEUE, GS_EV_JOIN);
	gs_decode_advance(dec, 1000); /* time never goes back */
	assert_int_equal(gs_decode_settled(dec), 5000);
	expect_none();
	gs_decode_free(dec);
}

static void test_order_with_held_beam_and_fault(void **state)
{
	struct gs_decode *dec;

	(void)state;
	cfg.sensors[STAFF].fault_ms = 1000;
	dec = new_dec();
	E(dec, 0, STAFF, 1, 1); /* will fault at 1000 */
	expect(0, STAFF, GS_EV_PRESS, 1, 0, 0);
	E(dec, 990, BEAM, 0, 1); /* unconfirmed until 1020 */
	E(dec, 995, QUEUE, 0, 1);
	gs_decode_advance(dec, 1005);
	/* The fault instant has passed, but an edge before it is held. */
	expect_none();
	assert_int_equal(gs_decode_settled(dec), 990);
	assert_int_equal(gs_decode_next_deadline(dec), 1020);
	E(dec, 1010, QUEUE, 1, 1);
	gs_decode_advance(dec, 1020);
	expect_simple(995, QUEUE, GS_EV_JOIN);
	expect(1000, STAFF, GS_EV_FAULT, 0, 1, 0);
	expect_simple(1010, QUEUE, GS_EV_SERVE);
	expect_none();
	assert_int_equal(gs_decode_settled(dec), 1020);

	/* The same, but the beam turns out to be noise and a line held
	 * past its limit clears exactly at its limit behind the hold. */
	E(dec, 5000, STAFF, 0, 1); /* limit 6000 */
	expect(5000, STAFF, GS_EV_PRESS, 0, 0, 0);
	E(dec, 5990, BEAM, 1, 1);
	E(dec, 6000, STAFF, 0, 0);
	E(dec, 6005, BEAM, 1, 0); /* 15 ms: noise */
	gs_decode_advance(dec, 7000);
	expect_none(); /* the clear at 6000 came before the fault at 6000 */
	gs_decode_free(dec);
}

static void test_finish(void **state)
{
	struct gs_decode *dec;

	(void)state;
	cfg.sensors[QUEUE].fault_ms = 1000;
	dec = new_dec();
	E(dec, 0, QUEUE, 0, 1);
	expect_simple(0, QUEUE, GS_EV_JOIN);
	E(dec, 990, BEAM, 0, 1);
	E(dec, 995, SMILEY, 0, 1);
	E(dec, 1000, QUEUE, 1, 1);
	/* The replay ends at 1000: the break never lasted min_break, the
	 * fault at 1000 is not passed. */
	gs_decode_finish(dec, 1000);
	expect(995, SMILEY, GS_EV_PRESS, 0, 0, 0);
	expect_simple(1000, QUEUE, GS_EV_SERVE);
	expect_none();
	assert_false(gs_decode_line_active(dec, BEAM, 0));
	assert_int_equal(gs_decode_settled(dec), 1000);
	gs_decode_free(dec);

	/* A fault whose instant has passed is raised by finish. */
	memset(&rec, 0, sizeof(rec));
	dec = new_dec();
	E(dec, 0, QUEUE, 0, 1);
	E(dec, 1500, BEAM, 0, 1);
	gs_decode_finish(dec, 1500);
	expect_simple(0, QUEUE, GS_EV_JOIN);
	expect(1000, QUEUE, GS_EV_FAULT, 0, 0, 0);
	expect_none();
	gs_decode_free(dec);
}

static void test_fifo_overflow(void **state)
{
	struct gs_decode *dec = new_dec();
	unsigned presses = 0;

	(void)state;
	cfg.sensors[BEAM].min_break_ms = 30;
	E(dec, 0, BEAM, 0, 1);
	/* A storm of pulses within the hold: more than the FIFO holds. */
	for (int i = 0; i < 3000; i++)
		E(dec, 1 + i / 200, PULSE_NONE, 0, (i + 1) % 2);
	assert_true(gs_decode_forced(dec) >= 1);
	gs_decode_advance(dec, 100);
	for (unsigned i = 0; i < rec.n; i++)
		presses += rec.ev[i].kind == GS_EV_PULSE;
	assert_int_equal(presses, 1500);
	assert_true(gs_decode_line_active(dec, BEAM, 0));
	gs_decode_free(dec);
}

static void test_foreign_edges_and_names(void **state)
{
	struct gs_decode *dec = new_dec();

	(void)state;
	E(dec, 0, 31, 0, 1);    /* no such sensor */
	E(dec, 0, QUEUE, 4, 1); /* no such line */
	expect_none();
	assert_false(gs_decode_line_active(dec, 31, 0));
	assert_false(gs_decode_sensor_faulted(dec, 31));
	gs_decode_free(dec);
	gs_decode_free(NULL);

	assert_string_equal(gs_event_kind_name(GS_EV_IN), "in");
	assert_string_equal(gs_event_kind_name(GS_EV_SERVE), "serve");
	assert_string_equal(gs_event_kind_name(GS_EV_RECOVERED), "recovered");
	assert_string_equal(gs_event_kind_name(GS_EV_KIND_COUNT_), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_beam_in_out, setup),
	    cmocka_unit_test_setup(test_beam_event_at_final_clear, setup),
	    cmocka_unit_test_setup(test_beam_turn_back, setup),
	    cmocka_unit_test_setup(test_beam_back_and_forth, setup),
	    cmocka_unit_test_setup(test_beam_two_people_close, setup),
	    cmocka_unit_test_setup(test_beam_noise_boundary, setup),
	    cmocka_unit_test_setup(test_beam_noise_holds_events_in_order,
	                           setup),
	    cmocka_unit_test_setup(test_beam_min_break_zero, setup),
	    cmocka_unit_test_setup(test_fault_strictly_longer, setup),
	    cmocka_unit_test_setup(test_fault_raised_by_later_edge, setup),
	    cmocka_unit_test_setup(test_fault_same_ms_order, setup),
	    cmocka_unit_test_setup(test_fault_suspends_crossing, setup),
	    cmocka_unit_test_setup(test_fault_presses_still_count, setup),
	    cmocka_unit_test_setup(test_fault_disabled, setup),
	    cmocka_unit_test_setup(test_queue_join_serve, setup),
	    cmocka_unit_test_setup(test_pulse, setup),
	    cmocka_unit_test_setup(test_button_lockout, setup),
	    cmocka_unit_test_setup(test_button_lockout_zero, setup),
	    cmocka_unit_test_setup(test_button_lockout_exact, setup),
	    cmocka_unit_test_setup(test_button_held_and_two_at_once, setup),
	    cmocka_unit_test_setup(test_button_debounce, setup),
	    cmocka_unit_test_setup(test_edge_counts_debounce, setup),
	    cmocka_unit_test_setup(test_debounce_settles, setup),
	    cmocka_unit_test_setup(test_start_idle_and_repeats, setup),
	    cmocka_unit_test_setup(test_clamp_old_edges, setup),
	    cmocka_unit_test_setup(test_order_with_held_beam_and_fault, setup),
	    cmocka_unit_test_setup(test_finish, setup),
	    cmocka_unit_test_setup(test_fifo_overflow, setup),
	    cmocka_unit_test_setup(test_foreign_edges_and_names, setup),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
