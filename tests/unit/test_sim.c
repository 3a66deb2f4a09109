/* SPDX-License-Identifier: MIT */
/*
 * The simulated store: deterministic per seed, physically consistent edges
 * (time order, every line alternating from idle), plausible through the
 * real decoders (in = out over a day, presses as pressed, queues served),
 * batches and end of run, and memory that does not grow with the run.
 */
#include "sensors/sim.h"
#include "gateway/err.h"
#include "gateway/timeutil.h"
#include "sensors/decode.h"

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Monday 2026-11-23 00:00:00Z */
#define DAY0 INT64_C(1795392000000)

enum { DOOR, TILL, SMILEY, STAFF, PULSE_IN, PULSE_2, NSENS };

static struct gs_config cfg;

static void add_sensor(enum gs_sensor_type type, unsigned n_lines)
{
	struct gs_sensor_cfg *s = &cfg.sensors[cfg.n_sensors];

	snprintf(s->name, sizeof(s->name), "s%u", cfg.n_sensors);
	snprintf(s->chip, sizeof(s->chip), "gpiochip0");
	s->type = type;
	s->n_lines = n_lines;
	for (unsigned i = 0; i < n_lines; i++)
		snprintf(s->lines[i], sizeof(s->lines[i]), "GPIO%u",
		         cfg.n_sensors * 5 + i);
	s->active_low = true;
	s->fault_ms = 60000;
	s->min_break_ms = type == GS_SENSOR_BEAM_PAIR ? 30 : 0;
	s->lockout_ms = 2000;
	s->target_wait_ms = 180000;
	s->max_wait_ms = 1800000;
	cfg.n_sensors++;
}

static int setup(void **state)
{
	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	add_sensor(GS_SENSOR_BEAM_PAIR, 2);
	add_sensor(GS_SENSOR_QUEUE, 2);
	add_sensor(GS_SENSOR_SMILEY, 4);
	add_sensor(GS_SENSOR_STAFF, 5);
	add_sensor(GS_SENSOR_PULSE, 1);
	cfg.sensors[PULSE_IN].direction = GS_DIR_IN;
	add_sensor(GS_SENSOR_PULSE, 2);
	cfg.sensors[SMILEY].debounce_ms = 20;
	return 0;
}

static struct gs_backend *new_sim(uint64_t seed, int64_t duration_ms,
                                  unsigned customers)
{
	struct gs_sim_opts o = {
	    .seed = seed,
	    .speed = 0,
	    .start_ms = DAY0,
	    .duration_ms = duration_ms,
	    .customers_per_day = customers,
	};
	struct gs_backend *be = NULL;

	assert_int_equal(gs_sim_backend_new(&cfg, &o, &be), GS_OK);
	assert_non_null(be);
	return be;
}

static bool readable(struct gs_backend *be)
{
	int fd;
	struct pollfd p;

	assert_int_equal(be->ops->fds(be, &fd, 1), 1);
	p = (struct pollfd){.fd = fd, .events = POLLIN};
	assert_true(poll(&p, 1, 0) >= 0);
	return (p.revents & POLLIN) != 0;
}

/* What a whole run looked like. */
struct run {
	uint64_t hash; /* FNV-1a over every edge */
	uint64_t edges;
	uint64_t kinds[GS_EV_KIND_COUNT_];
	uint64_t by_sensor[NSENS][GS_EV_KIND_COUNT_];
	uint64_t misuse;
	uint64_t smiley_presses;
	/* smiley buttons by the queue's length at the press */
	int64_t queue_len;
	double button_sum[2];
	unsigned button_n[2]; /* [0]: queue of 0-1, [1]: queue of 6+ */
	uint64_t line_edges[NSENS][GS_SENSOR_MAX_LINES];
	int64_t first_in, last_in;
	int64_t last_horizon;
};

static void count_event(void *ctx, const struct gs_event *ev)
{
	struct run *r = ctx;

	r->kinds[ev->kind]++;
	if (ev->sensor < NSENS)
		r->by_sensor[ev->sensor][ev->kind]++;
	if (ev->flags & GS_EVF_MISUSE)
		r->misuse++;
	if (ev->kind == GS_EV_PRESS && ev->sensor == SMILEY) {
		r->smiley_presses++;
		if (r->queue_len <= 1 || r->queue_len >= 6) {
			int k = r->queue_len >= 6;

			r->button_sum[k] += ev->value;
			r->button_n[k]++;
		}
	}
	if (ev->kind == GS_EV_JOIN)
		r->queue_len++;
	if (ev->kind == GS_EV_SERVE && r->queue_len > 0)
		r->queue_len--;
	if (ev->kind == GS_EV_IN && ev->sensor == DOOR) {
		if (r->first_in == 0)
			r->first_in = ev->t_ms;
		r->last_in = ev->t_ms;
	}
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

/* Reads be to its end in batches of max, checking every promise. */
static void run_all(struct gs_backend *be, size_t max, struct run *r)
{
	static struct gs_edge edges[512];
	uint8_t level[NSENS][GS_SENSOR_MAX_LINES] = {{0}};
	struct gs_decode *dec = gs_decode_new(&cfg, count_event, r);
	int64_t last_t = INT64_MIN, horizon = INT64_MIN;
	bool eof = false;
	size_t n;

	assert_non_null(dec);
	memset(r, 0, sizeof(*r));
	r->hash = UINT64_C(14695981039346656037);
	while (!eof) {
		assert_true(readable(be));
		assert_int_equal(
		    be->ops->read(be, 0, edges, max, &n, &horizon, &eof),
		    GS_OK);
		assert_true(n <= max);
		for (size_t i = 0; i < n; i++) {
			const struct gs_edge *e = &edges[i];

			/* time order, and nothing before the last horizon */
			assert_true(e->t_ms >= last_t);
			assert_true(e->t_ms >= r->last_horizon);
			assert_int_equal(e->mono_ns, e->t_ms * 1000000);
			last_t = e->t_ms;
			assert_true(e->sensor < NSENS);
			assert_true(e->input < cfg.sensors[e->sensor].n_lines);
			/* every line alternates, starting from idle */
			assert_int_not_equal(e->active,
			                     level[e->sensor][e->input]);
			level[e->sensor][e->input] = e->active;
			r->line_edges[e->sensor][e->input]++;
			r->hash = fnv(r->hash, &e->t_ms, sizeof(e->t_ms));
			r->hash = fnv(r->hash, &e->sensor, sizeof(e->sensor));
			r->hash = fnv(r->hash, &e->input, sizeof(e->input));
			r->hash = fnv(r->hash, &e->active, sizeof(e->active));
			r->edges++;
			gs_decode_push(dec, e);
			assert_int_equal(
			    be->ops->line_state(be, e->sensor, e->input) >= 0,
			    true);
		}
		if (n > 0)
			assert_true(horizon >= edges[n - 1].t_ms);
		assert_true(horizon >= r->last_horizon);
		r->last_horizon = horizon;
		gs_decode_advance(dec, horizon);
	}
	assert_false(readable(be));
	/* The shop is empty at the end of the day: every line idle. */
	for (unsigned s = 0; s < NSENS; s++)
		for (unsigned i = 0; i < cfg.sensors[s].n_lines; i++) {
			assert_int_equal(level[s][i], 0);
			assert_int_equal(be->ops->line_state(be, s, i), 0);
		}
	gs_decode_finish(dec, horizon);
	gs_decode_free(dec);
}

static void test_deterministic(void **state)
{
	struct gs_backend *a = new_sim(42, GS_MS_PER_DAY, 0);
	struct gs_backend *b = new_sim(42, GS_MS_PER_DAY, 0);
	struct gs_backend *c = new_sim(43, GS_MS_PER_DAY, 0);
	struct run ra, rb, rc;

	(void)state;
	/* Batch sizes must not change what is generated. */
	run_all(a, 512, &ra);
	run_all(b, 7, &rb);
	run_all(c, 512, &rc);
	assert_true(ra.edges > 10000);
	assert_int_equal(ra.edges, rb.edges);
	assert_true(ra.hash == rb.hash);
	assert_true(ra.hash != rc.hash);
	gs_backend_free(a);
	gs_backend_free(b);
	gs_backend_free(c);
}

static void test_plausible_day(void **state)
{
	struct gs_backend *be = new_sim(7, GS_MS_PER_DAY, 2000);
	struct gs_sim_stats st;
	struct run r;
	uint64_t in, out, smiley_edges = 0;

	(void)state;
	run_all(be, 256, &r);
	gs_sim_backend_stats(be, &st);
	in = r.by_sensor[DOOR][GS_EV_IN];
	out = r.by_sensor[DOOR][GS_EV_OUT];
	print_message(
	    "edges %llu customers %llu in %llu out %llu join %llu "
	    "serve %llu press %llu misuse %llu gave up %llu\n",
	    (unsigned long long)r.edges, (unsigned long long)st.customers,
	    (unsigned long long)in, (unsigned long long)out,
	    (unsigned long long)r.kinds[GS_EV_JOIN],
	    (unsigned long long)r.kinds[GS_EV_SERVE],
	    (unsigned long long)r.kinds[GS_EV_PRESS],
	    (unsigned long long)r.misuse, (unsigned long long)st.gave_up);
	assert_int_equal(st.edges, r.edges);
	/* About 2000 customers a day (Poisson), every one came and went. */
	assert_in_range(st.customers, 1800, 2200);
	assert_true(st.turn_backs > 0 && st.noise_spikes > 0);
	/* Door: beam pair and both pulse counters count every visit
	 * (pulse IN: one pulse per customer in, in-and-out: one each). */
	assert_in_range(in, st.customers * 97 / 100, st.customers);
	assert_in_range(out, st.customers * 97 / 100, st.customers);
	assert_true(llabs((long long)in - (long long)out) <= 10);
	assert_in_range(r.by_sensor[PULSE_IN][GS_EV_IN],
	                st.customers * 97 / 100, st.customers);
	assert_int_equal(r.by_sensor[PULSE_IN][GS_EV_OUT], 0);
	assert_in_range(r.by_sensor[PULSE_2][GS_EV_IN], st.customers * 97 / 100,
	                st.customers);
	assert_in_range(r.by_sensor[PULSE_2][GS_EV_OUT],
	                st.customers * 97 / 100, st.customers);
	/* Queue: everyone who joined was served or gave up. */
	assert_in_range(r.kinds[GS_EV_JOIN], st.customers / 2,
	                st.customers * 9 / 10);
	assert_int_equal(r.kinds[GS_EV_JOIN],
	                 r.kinds[GS_EV_SERVE] + st.gave_up);
	/* Presses: as many as pressed, despite contact bounce; some
	 * misuse. */
	assert_int_equal(r.kinds[GS_EV_PRESS], st.presses);
	for (unsigned i = 0; i < cfg.sensors[SMILEY].n_lines; i++)
		smiley_edges += r.line_edges[SMILEY][i];
	assert_true(smiley_edges > 2 * r.smiley_presses + 50); /* bounces */
	assert_true(r.misuse > 0 && r.misuse < r.kinds[GS_EV_PRESS] / 5);
	/* Customers leaving while the queue is long (they waited) are less
	 * happy than those leaving an empty shop. */
	print_message("mean button: queue 0-1 %.2f (%u), queue 6+ %.2f (%u)\n",
	              r.button_sum[0] / r.button_n[0], r.button_n[0],
	              r.button_sum[1] / r.button_n[1], r.button_n[1]);
	assert_true(r.button_n[0] > 30 && r.button_n[1] > 30);
	assert_true(r.button_sum[1] / r.button_n[1] + 0.5 <
	            r.button_sum[0] / r.button_n[0]);
	assert_true(r.line_edges[STAFF][0] + r.line_edges[STAFF][4] > 0);
	/* No faults in a well-behaved shop. */
	assert_int_equal(r.kinds[GS_EV_FAULT], 0);
	/* Arrivals within opening hours (08:00-20:00 UTC). */
	assert_true(r.first_in >= DAY0 + 8 * GS_MS_PER_H);
	assert_true(r.last_in <= DAY0 + 20 * GS_MS_PER_H + 60000);
	/* The span is [start, end): it ends at its last millisecond. */
	assert_int_equal(r.last_horizon, DAY0 + GS_MS_PER_DAY - 1);
	/* Memory is the shop's content, not the day's. */
	assert_true(st.pending_peak < 1000);
	assert_true(st.customers_peak < 300);
	assert_int_equal(st.customers_inside, 0);
	gs_backend_free(be);
}

static void test_pulse_counters(void **state)
{
	struct gs_backend *be;
	struct gs_sim_stats st;
	struct run r;

	(void)state;
	/* Only pulse counters: they count every visit. */
	memset(&cfg, 0, sizeof(cfg));
	add_sensor(GS_SENSOR_PULSE, 1);
	cfg.sensors[0].direction = GS_DIR_IN;
	add_sensor(GS_SENSOR_PULSE, 2);
	be = new_sim(3, GS_MS_PER_DAY, 1000);
	run_all(be, 512, &r);
	gs_sim_backend_stats(be, &st);
	assert_true(st.customers > 800);
	/* one IN per customer on each counter, one OUT on the second */
	assert_in_range(r.kinds[GS_EV_IN], 2 * st.customers * 97 / 100,
	                2 * st.customers);
	assert_in_range(r.kinds[GS_EV_OUT], st.customers * 97 / 100,
	                st.customers);
	gs_backend_free(be);
}

static void test_memory_bounded(void **state)
{
	struct gs_backend *one = new_sim(5, GS_MS_PER_DAY, 10000);
	struct gs_backend *three = new_sim(5, 3 * GS_MS_PER_DAY, 10000);
	struct gs_sim_stats s1, s3;
	struct run r1, r3;

	(void)state;
	run_all(one, 512, &r1);
	run_all(three, 512, &r3);
	gs_sim_backend_stats(one, &s1);
	gs_sim_backend_stats(three, &s3);
	assert_true(r3.edges > 2 * r1.edges);
	/* Three days need no more room than the busiest hour of one. */
	assert_true(s3.pending_peak < s1.pending_peak * 3 / 2);
	assert_true(s1.pending_peak < 5000);
	gs_backend_free(one);
	gs_backend_free(three);
}

static void test_duration_cuts(void **state)
{
	/* An hour from noon: stops at 13:00 even with people inside. */
	struct gs_sim_opts o = {
	    .seed = 1,
	    .start_ms = DAY0 + 12 * GS_MS_PER_H,
	    .duration_ms = GS_MS_PER_H,
	};
	struct gs_edge edges[64];
	struct gs_backend *be;
	int64_t horizon, last = 0;
	bool eof = false;
	size_t n, total = 0;

	(void)state;
	assert_int_equal(gs_sim_backend_new(&cfg, &o, &be), GS_OK);
	while (!eof) {
		assert_int_equal(
		    be->ops->read(be, 0, edges, 64, &n, &horizon, &eof), GS_OK);
		for (size_t i = 0; i < n; i++) {
			assert_true(edges[i].t_ms >= o.start_ms);
			assert_true(edges[i].t_ms < o.start_ms + o.duration_ms);
			last = edges[i].t_ms;
		}
		total += n;
	}
	assert_true(total > 100);
	assert_true(last > o.start_ms + o.duration_ms - 5 * GS_MS_PER_MIN);
	assert_int_equal(horizon, o.start_ms + o.duration_ms - 1);
	/* Reading after the end: still eof, nothing more. */
	assert_int_equal(be->ops->read(be, 0, edges, 64, &n, &horizon, &eof),
	                 GS_OK);
	assert_true(eof);
	assert_int_equal(n, 0);
	assert_int_equal(be->ops->line_state(be, NSENS + 1, 0), -1);
	assert_int_equal(be->ops->line_state(be, DOOR, 3), -1);
	gs_backend_free(be);
}

static void test_real_time(void **state)
{
	/* speed > 0: a timerfd, and virtual time follows the clock. */
	struct gs_sim_opts o = {
	    .seed = 1,
	    .speed = 1.0,
	    .start_ms = DAY0 + 12 * GS_MS_PER_H,
	    .duration_ms = GS_MS_PER_H,
	};
	struct gs_edge edges[64];
	struct gs_backend *be;
	struct pollfd p;
	int64_t horizon;
	bool eof = true;
	size_t n;

	(void)state;
	assert_int_equal(gs_sim_backend_new(&cfg, &o, &be), GS_OK);
	assert_int_equal(be->ops->fds(be, &p.fd, 1), 1);
	p.events = POLLIN;
	/* Armed to fire at once: the first read comes without waiting. */
	assert_int_equal(poll(&p, 1, 1000), 1);
	assert_int_equal(be->ops->read(be, p.fd, edges, 64, &n, &horizon, &eof),
	                 GS_OK);
	assert_false(eof);
	assert_true(horizon >= o.start_ms);
	assert_true(horizon < o.start_ms + 60000);
	for (size_t i = 0; i < n; i++)
		assert_true(edges[i].t_ms <= horizon);
	gs_backend_free(be);
}

static void test_bad_options(void **state)
{
	struct gs_sim_opts o = {.speed = -1};
	struct gs_backend *be = NULL;
	struct gs_sim_stats st;

	(void)state;
	assert_int_equal(gs_sim_backend_new(&cfg, &o, &be), GS_EINVAL);
	assert_null(be);
	o.speed = 0;
	o.duration_ms = -5;
	assert_int_equal(gs_sim_backend_new(&cfg, &o, &be), GS_EINVAL);
	be = new_sim(1, GS_MS_PER_H, 0);
	assert_string_equal(be->ops->name, "simulated store");
	gs_sim_backend_stats(be, &st);
	assert_int_equal(st.edges, 0);
	gs_backend_free(be);
	gs_backend_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_deterministic, setup),
	    cmocka_unit_test_setup(test_plausible_day, setup),
	    cmocka_unit_test_setup(test_pulse_counters, setup),
	    cmocka_unit_test_setup(test_memory_bounded, setup),
	    cmocka_unit_test_setup(test_duration_cuts, setup),
	    cmocka_unit_test_setup(test_real_time, setup),
	    cmocka_unit_test_setup(test_bad_options, setup),
	};

	return cmocka_run_group_tests_name("sim", tests, NULL, NULL);
}
