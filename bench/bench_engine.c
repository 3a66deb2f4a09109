/* SPDX-License-Identifier: MIT */
/*
 * The metrics engine alone on a simulated 100k-customer day: about 354k
 * events (every customer in and out, 60 % through the queue, 30 % pressing
 * a smiley button, a few staff presses), fed in time order with an advance
 * after every event as the replay does. Prints the time per event, the
 * messages published (each serialised, as the store would) and the heap
 * the engine holds (its struct, rings and wait buffers: glibc's mallinfo2). The
 * replay target in DEVELOPERS.md (0.31 s for the whole pipeline) leaves the
 * engine a few tens of milliseconds.
 *
 *   bench/bench_engine [customers]
 */
#include "gateway/engine.h"
#include "gateway/timeutil.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct bench {
	unsigned long metrics, alerts, bytes;
};

static void bench_publish(void *ctx, enum gs_msg_kind kind, int64_t t_ms,
                          int64_t window_start_ms, cJSON *payload)
{
	struct bench *b = ctx;
	char *text = gs_json_print(payload);

	(void)t_ms;
	(void)window_start_ms;
	if (text)
		b->bytes += strlen(text);
	cJSON_free(text);
	cJSON_Delete(payload);
	if (kind == GS_MSG_METRICS)
		b->metrics++;
	else
		b->alerts++;
}

/* xorshift64*: deterministic across libcs, unlike rand(). */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dU;
}

static int64_t rng_below(int64_t n)
{
	return (int64_t)(rng() % (uint64_t)n);
}

static int cmp_event(const void *a, const void *b)
{
	const struct gs_event *x = a, *y = b;

	return (x->t_ms > y->t_ms) - (x->t_ms < y->t_ms);
}

static void add_sensor(struct gs_config *c, const char *name,
                       enum gs_sensor_type type, unsigned n_lines)
{
	struct gs_sensor_cfg *s = &c->sensors[c->n_sensors++];

	snprintf(s->name, sizeof(s->name), "%s", name);
	s->type = type;
	s->n_lines = n_lines;
	s->target_wait_ms = 3 * GS_MS_PER_MIN;
	s->max_wait_ms = 30 * GS_MS_PER_MIN;
	s->fault_ms = 60 * GS_MS_PER_S;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	unsigned customers = argc > 1 ? (unsigned)atoi(argv[1]) : 100000;
	const int64_t open_ms = INT64_C(1795424400000); /* 2026-11-23 07:00Z */
	const int64_t day_ms = 14 * GS_MS_PER_H;
	struct gs_engine_sink sink = {.publish = bench_publish};
	struct bench b = {0};
	struct gs_config cfg;
	struct gs_event *ev;
	struct gs_engine *eng;
	struct mallinfo2 m0, m1;
	size_t n = 0;
	double t0, t1;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.gateway_id, sizeof(cfg.gateway_id), "till-1");
	snprintf(cfg.site, sizeof(cfg.site), "store-042");
	snprintf(cfg.timezone, sizeof(cfg.timezone), "Europe/Berlin");
	cfg.window_ms = 15 * GS_MS_PER_MIN;
	cfg.day_start_ms = 4 * GS_MS_PER_H;
	cfg.min_responses = 5;
	cfg.gap_threshold = 70;
	cfg.burst_window_ms = 10 * GS_MS_PER_MIN;
	cfg.burst_min = 5;
	cfg.burst_share_pct = 50;
	cfg.queue_alert_window_ms = 10 * GS_MS_PER_MIN;
	cfg.queue_rearm_pct = 80;
	add_sensor(&cfg, "entrance", GS_SENSOR_BEAM_PAIR, 2);
	add_sensor(&cfg, "till-queue", GS_SENSOR_QUEUE, 2);
	add_sensor(&cfg, "smiley-exit", GS_SENSOR_SMILEY, 4);
	add_sensor(&cfg, "staff", GS_SENSOR_STAFF, 4);

	ev = calloc((size_t)customers * 6 + 1, sizeof(*ev));
	if (!ev)
		return 1;
	for (unsigned i = 0; i < customers; i++) {
		int64_t in = open_ms + rng_below(day_ms);
		int64_t t =
		    in + 30 * GS_MS_PER_S + rng_below(20 * GS_MS_PER_MIN);

		ev[n++] = (struct gs_event){.t_ms = in, .kind = GS_EV_IN};
		if (rng_below(10) < 6) {
			int64_t join = t;

			t += rng_below(6 * GS_MS_PER_MIN);
			ev[n++] = (struct gs_event){
			    .t_ms = join, .sensor = 1, .kind = GS_EV_JOIN};
			ev[n++] = (struct gs_event){
			    .t_ms = t, .sensor = 1, .kind = GS_EV_SERVE};
		}
		if (rng_below(10) < 3) {
			t += 5 * GS_MS_PER_S;
			ev[n++] = (struct gs_event){
			    .t_ms = t,
			    .sensor = 2,
			    .kind = GS_EV_PRESS,
			    .value = (uint8_t)rng_below(4),
			    .flags = rng_below(20) == 0 ? GS_EVF_MISUSE : 0};
		}
		if (rng_below(100) == 0)
			ev[n++] =
			    (struct gs_event){.t_ms = t,
			                      .sensor = 3,
			                      .kind = GS_EV_PRESS,
			                      .value = (uint8_t)rng_below(4)};
		ev[n++] = (struct gs_event){.t_ms = t + GS_MS_PER_MIN,
		                            .kind = GS_EV_OUT};
	}
	qsort(ev, n, sizeof(*ev), cmp_event);

	m0 = mallinfo2();
	eng = gs_engine_new(&cfg, &sink, &b);
	if (!eng)
		return 1;
	t0 = now_ms();
	for (size_t i = 0; i < n; i++) {
		gs_engine_event(eng, &ev[i]);
		gs_engine_advance(eng, ev[i].t_ms);
	}
	gs_engine_finish(eng, ev[n - 1].t_ms);
	t1 = now_ms();
	m1 = mallinfo2();

	printf("engine: %zu events in %.1f ms (%.0f ns/event), %lu windows, "
	       "%lu alerts, %lu bytes of JSON\n",
	       n, t1 - t0, (t1 - t0) * 1e6 / (double)n, b.metrics, b.alerts,
	       b.bytes);
	printf("engine: %zu KiB of heap held at the end of the day\n",
	       (m1.uordblks - m0.uordblks) / 1024);
	gs_engine_free(eng);
	free(ev);
	return 0;
}
