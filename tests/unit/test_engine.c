/* SPDX-License-Identifier: MIT */
/*
 * The metrics engine driven directly: events and advance() in, published
 * messages captured and compared with hand-computed values (see the
 * comments at each expectation).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/engine.h"
#include "gateway/err.h"
#include "gateway/timeutil.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC GS_MS_PER_S
#define MIN GS_MS_PER_MIN

/* ---- fixture ----------------------------------------------------------- */

#define CAP_MAX 512

struct captured {
	enum gs_msg_kind kind;
	int64_t t;
	int64_t window_start;
	char *text;
};

struct cap {
	size_t n;
	struct captured m[CAP_MAX];
	size_t n_ev;
	struct gs_event ev[CAP_MAX];
	size_t n_out; /* output changes */
	struct {
		unsigned output;
		enum gs_output_state st;
		int64_t t;
	} out[CAP_MAX];
};

static void cap_output(void *ctx, unsigned output, enum gs_output_state st,
                       int64_t t)
{
	struct cap *c = ctx;

	assert_true(c->n_out < CAP_MAX);
	c->out[c->n_out].output = output;
	c->out[c->n_out].st = st;
	c->out[c->n_out].t = t;
	c->n_out++;
}

static void cap_event(void *ctx, const struct gs_event *ev)
{
	struct cap *c = ctx;

	assert_true(c->n_ev < CAP_MAX);
	c->ev[c->n_ev++] = *ev;
}

static void cap_publish(void *ctx, enum gs_msg_kind kind, int64_t t,
                        int64_t window_start, cJSON *payload)
{
	struct cap *c = ctx;

	assert_true(c->n < CAP_MAX);
	c->m[c->n].kind = kind;
	c->m[c->n].t = t;
	c->m[c->n].window_start = window_start;
	c->m[c->n].text = gs_json_print(payload);
	assert_non_null(c->m[c->n].text);
	c->n++;
	cJSON_Delete(payload);
}

static void cap_clear(struct cap *c)
{
	for (size_t i = 0; i < c->n; i++)
		cJSON_free(c->m[i].text);
	c->n = 0;
	c->n_ev = 0;
	c->n_out = 0;
}

static const struct gs_engine_sink cap_sink = {
    .event = cap_event,
    .publish = cap_publish,
    .output = cap_output,
};

enum { S_DOOR, S_QUEUE, S_SMILEY, S_STAFF };

static unsigned add_sensor(struct gs_config *c, const char *name,
                           enum gs_sensor_type type, unsigned n_lines,
                           const char *const *lines)
{
	struct gs_sensor_cfg *s = &c->sensors[c->n_sensors];

	snprintf(s->name, sizeof(s->name), "%s", name);
	s->type = type;
	snprintf(s->chip, sizeof(s->chip), "gpiochip0");
	s->n_lines = n_lines;
	for (unsigned i = 0; i < n_lines; i++)
		snprintf(s->lines[i], sizeof(s->lines[i]), "%s", lines[i]);
	s->fault_ms = 60 * SEC;
	s->min_break_ms = 30;
	s->target_wait_ms = 180 * SEC;
	s->max_wait_ms = 30 * MIN;
	s->lockout_ms = 2 * SEC;
	return c->n_sensors++;
}

static const char *const door_lines[] = {"GPIO17", "GPIO27"};
static const char *const queue_lines[] = {"GPIO22", "GPIO23"};
static const char *const smiley_lines[] = {"GPIO5", "GPIO6", "GPIO13", "GPIO19",
                                           "GPIO26"};
static const char *const staff_lines[] = {"GPIO12", "GPIO16", "GPIO20",
                                          "GPIO21", "GPIO25"};

/* The example config's site: door, queue, 4-button smiley, 4-button staff. */
static void base_cfg(struct gs_config *c, unsigned buttons)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->gateway_id, sizeof(c->gateway_id), "till-1");
	snprintf(c->site, sizeof(c->site), "store-042");
	snprintf(c->timezone, sizeof(c->timezone), "Europe/Berlin");
	c->window_ms = 15 * MIN;
	c->grace_ms = 5 * SEC;
	c->day_start_ms = 4 * GS_MS_PER_H;
	c->min_responses = 5;
	c->gap_threshold = 70;
	c->burst_window_ms = 10 * MIN;
	c->burst_min = 5;
	c->burst_share_pct = 50;
	c->queue_alert_window_ms = 10 * MIN;
	c->queue_rearm_pct = 80;
	add_sensor(c, "entrance", GS_SENSOR_BEAM_PAIR, 2, door_lines);
	add_sensor(c, "till-queue", GS_SENSOR_QUEUE, 2, queue_lines);
	add_sensor(c, "smiley-exit", GS_SENSOR_SMILEY, buttons, smiley_lines);
	add_sensor(c, "staff", GS_SENSOR_STAFF, buttons, staff_lines);
}

static int64_t T(const char *iso)
{
	int64_t ms;

	assert_int_equal(gs_time_parse(iso, &ms), 0);
	return ms;
}

/* 2026-11-23T09:00:00Z, a Monday in winter time. */
static int64_t t0(void)
{
	return T("2026-11-23T09:00:00Z");
}

static void ev(struct gs_engine *e, int64_t t, unsigned sensor,
               enum gs_event_kind kind, unsigned value, unsigned flags)
{
	struct gs_event x = {
	    .t_ms = t,
	    .sensor = (uint16_t)sensor,
	    .kind = (uint8_t)kind,
	    .value = (uint8_t)value,
	    .input = (uint8_t)value,
	    .flags = (uint8_t)flags,
	};

	gs_engine_event(e, &x);
}

static void press(struct gs_engine *e, int64_t t, unsigned sensor,
                  unsigned button)
{
	ev(e, t, sensor, GS_EV_PRESS, button, 0);
}

/* ---- captured-message access ------------------------------------------ */

static cJSON *jget(cJSON *root, const char *path)
{
	char buf[128], *save, *tok;
	cJSON *o = root;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o;
	     tok = strtok_r(NULL, ".", &save))
		o = cJSON_GetObjectItemCaseSensitive(o, tok);
	if (!o)
		fail_msg("no member %s", path);
	return o;
}

static double jnum(cJSON *root, const char *path)
{
	cJSON *o = jget(root, path);

	if (!cJSON_IsNumber(o))
		fail_msg("%s is not a number", path);
	return o->valuedouble;
}

static bool jnull(cJSON *root, const char *path)
{
	return cJSON_IsNull(jget(root, path));
}

static const char *jstr(cJSON *root, const char *path)
{
	cJSON *o = jget(root, path);

	if (!cJSON_IsString(o))
		fail_msg("%s is not a string", path);
	return o->valuestring;
}

#define assert_num(root, path, v)                                              \
	assert_true(fabs(jnum(root, path) - (v)) < 1e-9)

/* The i-th captured message of a kind, parsed (caller deletes). */
static cJSON *nth(const struct cap *c, enum gs_msg_kind kind, size_t i)
{
	for (size_t k = 0; k < c->n; k++) {
		if (c->m[k].kind != kind)
			continue;
		if (i-- == 0) {
			cJSON *j = cJSON_Parse(c->m[k].text);

			assert_non_null(j);
			return j;
		}
	}
	fail_msg("fewer messages of kind %d than asked", kind);
	return NULL;
}

static size_t count_kind(const struct cap *c, enum gs_msg_kind kind)
{
	size_t n = 0;

	for (size_t k = 0; k < c->n; k++)
		n += c->m[k].kind == kind;
	return n;
}

struct fx {
	struct gs_config cfg;
	struct cap cap;
	struct gs_engine *eng;
};

static struct fx *fx_new(const struct gs_config *cfg)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->cfg = *cfg;
	f->eng = gs_engine_new(&f->cfg, &cap_sink, &f->cap);
	assert_non_null(f->eng);
	return f;
}

static struct fx *fx_base(unsigned buttons)
{
	struct gs_config c;

	base_cfg(&c, buttons);
	return fx_new(&c);
}

static void fx_free(struct fx *f)
{
	gs_engine_free(f->eng);
	cap_clear(&f->cap);
	free(f);
}

/* ---- one full message, byte for byte ------------------------------------ */

static void test_full_message_text(void **state)
{
	(void)state;
	struct fx *f = fx_base(4);
	int64_t t = t0();
	cJSON *a;

	/* Footfall: 4 in, 1 out; occupancy 3. */
	ev(f->eng, t + 60 * SEC, S_DOOR, GS_EV_IN, 0, 0);
	ev(f->eng, t + 65 * SEC, S_QUEUE, GS_EV_JOIN, 0, 0);
	ev(f->eng, t + 70 * SEC, S_DOOR, GS_EV_IN, 0, 0);
	ev(f->eng, t + 80 * SEC, S_QUEUE, GS_EV_JOIN, 0, 0);
	ev(f->eng, t + 120 * SEC, S_DOOR, GS_EV_IN, 0, 0);
	ev(f->eng, t + 130 * SEC, S_QUEUE, GS_EV_JOIN, 0, 0); /* length 3 */
	ev(f->eng, t + 180 * SEC, S_DOOR, GS_EV_IN, 0, 0);
	/* Serves: 09:03:05 - 09:01:05 = 120 s; 09:06:20 - 09:01:20 = 300 s. */
	ev(f->eng, t + 185 * SEC, S_QUEUE, GS_EV_SERVE, 0, 0);
	/* Smiley, 4 buttons (weights 0, 33.3, 66.7, 100): very_happy,
	 * happy, happy, unhappy, very_happy and one misuse. */
	press(f->eng, t + 190 * SEC, S_SMILEY, 3);
	press(f->eng, t + 210 * SEC, S_SMILEY, 2);
	press(f->eng, t + 240 * SEC, S_SMILEY, 2);
	press(f->eng, t + 300 * SEC, S_SMILEY, 1);
	press(f->eng, t + 360 * SEC, S_SMILEY, 3);
	ev(f->eng, t + 361 * SEC, S_SMILEY, GS_EV_PRESS, 0, GS_EVF_MISUSE);
	ev(f->eng, t + 380 * SEC, S_QUEUE, GS_EV_SERVE, 0, 0);
	press(f->eng, t + 420 * SEC, S_STAFF, 1);
	ev(f->eng, t + 600 * SEC, S_DOOR, GS_EV_OUT, 0, 0);
	gs_engine_finish(f->eng, t + 600 * SEC);

	/* The queue alert came first (mean (120 + 300) / 2 = 210 > 180 at
	 * the second serve), then the window closed by finish(). */
	assert_int_equal(f->cap.n, 2);
	assert_int_equal(f->cap.m[0].kind, GS_MSG_ALERT);
	assert_int_equal(f->cap.m[0].t, t + 380 * SEC);
	assert_int_equal(f->cap.m[0].window_start, -1);
	assert_string_equal(
	    f->cap.m[0].text,
	    "{\"schema\":\"gapsense.alert.v1\",\"site\":\"store-042\","
	    "\"gateway\":\"till-1\",\"seq\":0,"
	    "\"time\":\"2026-11-23T09:06:20.000Z\","
	    "\"type\":\"queue_wait_high\",\"sensor\":\"till-queue\","
	    "\"details\":{\"wait_avg_s\":210.0,\"wait_max_s\":300.0,"
	    "\"waits\":2,\"target_wait_s\":180.0,\"window_s\":600.0}}");

	assert_int_equal(f->cap.m[1].kind, GS_MSG_METRICS);
	assert_int_equal(f->cap.m[1].t, t + 600 * SEC);
	assert_int_equal(f->cap.m[1].window_start, t);
	/* index = (100 + 66.67 + 66.67 + 33.33 + 100) / 5 = 73.33;
	 * response rate 5 / 4 = 125 %; waits 120, 300: p50 rank 1 = 120,
	 * p90 rank ceil(1.8) = 2 = 300, service level 1 of 2 = 50 %;
	 * gap 73.33 - 50 = 23.3; staff 33.33 - 73.33 = -40.0;
	 * perceived >= 70, actual < 70: goodwill. */
	assert_string_equal(
	    f->cap.m[1].text,
	    "{\"schema\":\"gapsense.metrics.v1\",\"site\":\"store-042\","
	    "\"gateway\":\"till-1\",\"seq\":0,"
	    "\"window_start\":\"2026-11-23T09:00:00Z\","
	    "\"window_end\":\"2026-11-23T09:15:00Z\",\"window_s\":900,"
	    "\"clock_synced\":true,\"historical\":false,"
	    "\"footfall\":{\"in\":4,\"out\":1,\"occupancy\":3},"
	    "\"queue\":{\"joined\":3,\"served\":2,\"abandoned\":0,"
	    "\"length_max\":3,\"wait_avg_s\":210.0,\"wait_p50_s\":120.0,"
	    "\"wait_p90_s\":300.0,\"wait_max_s\":300.0,"
	    "\"target_wait_s\":180.0,\"service_level_pct\":50.0},"
	    "\"feedback\":{\"responses\":5,\"misuse\":1,"
	    "\"counts\":{\"very_unhappy\":0,\"unhappy\":1,\"happy\":2,"
	    "\"very_happy\":2},\"index\":73.3,\"response_rate_pct\":125.0},"
	    "\"staff\":{\"responses\":1,\"index\":33.3},"
	    "\"gap\":{\"perceived\":73.3,\"actual\":50.0,"
	    "\"perceived_minus_actual\":23.3,"
	    "\"staff_minus_customer\":-40.0,\"quadrant\":\"goodwill\"},"
	    "\"sensors\":{"
	    "\"entrance\":{\"type\":\"beam_pair\",\"in\":4,\"out\":1,"
	    "\"faulted\":false,\"faults\":0},"
	    "\"till-queue\":{\"type\":\"queue\",\"joined\":3,\"served\":2,"
	    "\"abandoned\":0,\"length\":1,\"length_max\":3,\"waits\":2,"
	    "\"wait_avg_s\":210.0,\"wait_p50_s\":120.0,"
	    "\"wait_p90_s\":300.0,\"wait_max_s\":300.0,"
	    "\"target_wait_s\":180.0,\"service_level_pct\":50.0,"
	    "\"faulted\":false,\"faults\":0},"
	    "\"smiley-exit\":{\"type\":\"smiley\",\"buttons\":4,"
	    "\"responses\":5,\"misuse\":1,\"counts\":{\"very_unhappy\":0,"
	    "\"unhappy\":1,\"happy\":2,\"very_happy\":2},\"index\":73.3,"
	    "\"faulted\":false,\"faults\":0},"
	    "\"staff\":{\"type\":\"staff\",\"buttons\":4,\"responses\":1,"
	    "\"misuse\":0,\"counts\":{\"very_unhappy\":0,\"unhappy\":1,"
	    "\"happy\":0,\"very_happy\":0},\"index\":33.3,"
	    "\"faulted\":false,\"faults\":0}}}");

	/* Every accepted event went to the store, in order. */
	assert_int_equal(f->cap.n_ev, 17);
	assert_int_equal(f->cap.ev[0].kind, GS_EV_IN);
	assert_int_equal(f->cap.ev[16].kind, GS_EV_OUT);

	/* Nothing happens after finish. */
	ev(f->eng, t + 700 * SEC, S_DOOR, GS_EV_IN, 0, 0);
	gs_engine_advance(f->eng, t + 3600 * SEC);
	assert_int_equal(f->cap.n, 2);
	a = nth(&f->cap, GS_MSG_METRICS, 0);
	assert_num(a, "footfall.occupancy", 3);
	cJSON_Delete(a);
	fx_free(f);
}

/* ---- windows ---------------------------------------------------------------
 */

static void test_empty_windows_published(void **state)
{
	(void)state;
	struct fx *f = fx_base(4);
	int64_t t = t0();
	cJSON *m;

	gs_engine_advance(f->eng, t + 1 * SEC); /* opens 09:00 */
	ev(f->eng, t + 2 * SEC, S_DOOR, GS_EV_IN, 0, 0);
	/* 09:45:00.000 closes 09:00, 09:15 and 09:30 (all at or before). */
	gs_engine_advance(f->eng, t + 45 * MIN);
	assert_int_equal(count_kind(&f->cap, GS_MSG_METRICS), 3);
	gs_engine_finish(f->eng, t + 45 * MIN);
	assert_int_equal(count_kind(&f->cap, GS_MSG_METRICS), 4);

	for (size_t i = 0; i < 4; i++) {
		m = nth(&f->cap, GS_MSG_METRICS, i);
		assert_int_equal(f->cap.m[i].window_start,
		                 t + (int64_t)i * 15 * MIN);
		assert_num(m, "footfall.in", i == 0 ? 1 : 0);
		assert_num(m, "footfall.occupancy", 1); /* carried */
		assert_num(m, "queue.joined", 0);
		assert_true(jnull(m, "queue.wait_avg_s"));
		assert_true(jnull(m, "queue.wait_p50_s"));
		assert_true(jnull(m, "queue.service_level_pct"));
		assert_num(m, "queue.target_wait_s", 180);
		assert_true(jnull(m, "feedback.index"));
		/* in = 1, responses 0: 0 %; then in = 0: null. */
		if (i == 0)
			assert_num(m, "feedback.response_rate_pct", 0);
		else
			assert_true(jnull(m, "feedback.response_rate_pct"));
		assert_true(jnull(m, "staff.index"));
		assert_true(jnull(m, "gap.perceived"));
		assert_true(jnull(m, "gap.actual"));
		assert_true(jnull(m, "gap.quadrant"));
		assert_num(m, "sensors.smiley-exit.counts.very_unhappy", 0);
		cJSON_Delete(m);
	}
	fx_free(f);
}

static void test_event_on_window_boundary(void **state)
{
	(void)state;
	struct fx *f = fx_base(4);
	int64_t t = t0();
	cJSON *m;

	ev(f->eng, t + 15 * MIN - 1, S_DOOR, GS_EV_IN, 0, 0);
	assert_int_equal(f->cap.n, 0);
	/* At 09:15:00.000 the window [09:00, 09:15) closes first, then the
	 * event counts in [09:15, 09:30). */
	ev(f->eng, t + 15 * MIN, S_DOOR, GS_EV_IN, 0, 0);
	assert_int_equal(f->cap.n, 1);
	m = nth(&f->cap, GS_MSG_METRICS, 0);
	assert_num(m, "footfall.in", 1);
	assert_num(m, "footfall.occupancy", 1);
	assert_string_equal(jstr(m, "window_end"), "2026-11-23T09:15:00Z");
	cJSON_Delete(m);
	/* next deadline: the window end */
	assert_int_equal(gs_engine_next_deadline(f->eng), t + 30 * MIN);
	gs_engine_finish(f->eng, t + 15 * MIN);
	m = nth(&f->cap, GS_MSG_METRICS, 1);
	assert_num(m, "footfall.in", 1);
	assert_num(m, "footfall.occupancy", 2);
	assert_string_equal(jstr(m, "window_start"), "2026-11-23T09:15:00Z");
	cJSON_Delete(m);
	fx_free(f);
}

static void test_gap_of_windows_and_clock_flag(void **state)
{
	(void)state;
	struct fx *f = fx_base(4);
	int64_t t = t0();
	cJSON *m;

	gs_engine_set_clock_synced(f->eng, false);
	ev(f->eng, t + 5 * MIN, S_DOOR, GS_EV_IN, 0, 0);
	ev(f->eng, t + 65 * MIN, S_DOOR, GS_EV_OUT, 0, 0);
	gs_engine_finish(f->eng, t + 65 * MIN);
	/* 09:00, 09:15, 09:30, 09:45, 10:00: five windows. */
	assert_int_equal(count_kind(&f->cap, GS_MSG_METRICS), 5);
	m = nth(&f->cap, GS_MSG_METRICS, 2);
	assert_false(cJSON_IsTrue(jget(m, "clock_synced")));
	assert_num(m, "footfall.occupancy", 1);
	cJSON_Delete(m);
	m = nth(&f->cap, GS_MSG_METRICS, 4);
	assert_num(m, "footfall.out", 1);
	assert_num(m, "footfall.occupancy", 0);
	cJSON_Delete(m);
	fx_free(f);
}

/* A sync in the middle of a window: that window may hold provisional
 * stamps and says so; the next one is synchronised. */
static void test_clock_synced_sticky_per_window(void **state)
{
	(void)state;
	struct fx *f = fx_base(4);
	int64_t t = t0();
	cJSON *m;

	gs_engine_set_clock_synced(f->eng, false);
	ev(f->eng, t + 5 * MIN, S_DOOR, GS_EV_IN, 0, 0);
	gs_engine_set_clock_synced(f->eng, true);
	ev(f->eng, t + 10 * MIN, S_DOOR, GS_EV_IN, 0, 0);
	ev(f->eng, t + 20 * MIN, S_DOOR, GS_EV_IN, 0, 0);
	/* Unsynchronised again (a released hold) late in the second one. */
	ev(f->eng, t + 31 * MIN, S_DOOR, GS_EV_IN, 0, 0);
	gs_engine_set_clock_synced(f->eng, false);
	gs_engine_set_clock_synced(f->eng, true);
	gs_engine_finish(f->eng, t + 50 * MIN);
	assert_int_equal(count_kind(&f->cap, GS_MSG_METRICS), 4);
	m = nth(&f->cap, GS_MSG_METRICS, 0);
	assert_false(cJSON_IsTrue(jget(m, "clock_synced")));
	assert_num(m, "footfall.in", 2);
	cJSON_Delete(m);
	m = nth(&f->cap, GS_MSG_METRICS, 1);
	assert_true(cJSON_IsTrue(jget(m, "clock_synced")));
	cJSON_Delete(m);
	m = nth(&f->cap, GS_MSG_METRICS, 2);
	assert_false(cJSON_IsTrue(jget(m, "clock_synced")));
	cJSON_Delete(m);
	m = nth(&f->cap, GS_MSG_METRICS, 3);
	assert_true(cJSON_IsTrue(jget(m, "clock_synced")));
	cJSON_Delete(m);
	fx_free(f);
}

/* ---- queue -------------------------------------------------------------- */

static void test_abandon_vs_serve_at_max_wait(void **state)
{
	(void)state;
	struct fx *f = fx_base(4);
	int64_t t = t0();
	cJSON *m;

	/* A serve exactly at join + max_wait still matches (wait 1800 s). */
	ev(f->eng, t, S_QUEUE, GS_EV_JOIN, 0, 0);
	ev(f->eng, t + 1 * SEC, S_QUEUE, GS_EV_JOIN, 0, 0);
	assert_int_equal(gs_engine_next_deadline(f->eng), t + 15 * MIN);
	gs_engine_advance(f->eng, t + 30 * MIN);
	ev(f->eng, t + 30 * MIN, S_QUEUE, GS_EV_SERVE, 0, 0);
	/* The second entry (09:00:01) is due at 09:30:01, processed only
	 * once time is past it. */
	assert_int_equal(gs_engine_next_deadline(f->eng),
	                 t + 30 * MIN + 1 * SEC + 1);
	gs_engine_advance(f->eng, t + 30 * MIN + 1 * SEC);
	assert_int_equal(f->cap.n_ev, 3);
	gs_engine_advance(f->eng, t + 30 * MIN + 1 * SEC + 1);
	assert_int_equal(f->cap.n_ev, 4);
	assert_int_equal(f->cap.ev[3].kind, GS_EV_ABANDON);
	assert_int_equal(f->cap.ev[3].t_ms, t + 30 * MIN + 1 * SEC);
	assert_int_equal(f->cap.ev[3].sensor, S_QUEUE);
	gs_engine_finish(f->eng, t + 31 * MIN);

	/* Windows 09:00 (joined 2, length_max 2), 09:15 (length_max 2 from
	 * its start), 09:30 (served 1 with wait 1800, abandoned 1). */
	m = nth(&f->cap, GS_MSG_METRICS, 1);
	assert_num(m, "queue.joined", 0);
	assert_num(m, "queue.length_max", 2);
	cJSON_Delete(m);
	m = nth(&f->cap, GS_MSG_METRICS, 2);
	assert_num(m, "queue.served", 1);
	assert_num(m, "queue.abandoned", 1);
	assert_num(m, "queue.length_max", 2);
	assert_num(m, "queue.wait_max_s", 1800);
	assert_num(m, "queue.service_level_pct", 0);
	assert_num(m, "sensors.till-queue.length", 0);
	assert_true(jnull(m, "gap.quadrant")); /* no feedback */
	cJSON_Delete(m);
	fx_free(f);
}

static void test_abandon_window_attribution(void **state)
{
	(void)state;
	struct gs_config c;
	struct fx *f;
	int64_t t = t0();
	cJSON *m;

	base_cfg(&c, 4);
	c.sensors[S_QUEUE].max_wait_ms = 15 * MIN;
	f = fx_new(&c);
	/* Entry at 08:45:00: due at 09:00:00, the boundary: it counts in
	 * the window that starts there (processed at 09:00:00.001). */
	ev(f->eng, t - 15 * MIN, S_QUEUE, GS_EV_JOIN, 0, 0);
	gs_engine_finish(f->eng, t + 1);
	assert_int_equal(count_kind(&f->cap, GS_MSG_METRICS), 2);
	m = nth(&f->cap, GS_MSG_METRICS, 0);
	assert_num(m, "queue.abandoned", 0);
	cJSON_Delete(m);
	m = nth(&f->cap, GS_MSG_METRICS, 1);
	assert_num(m, "queue.abandoned", 1);
	assert_num(m, "queue.length_max", 1); /* its value at the start */
	cJSON_Delete(m);
	fx_free(f);

	/* Entry at 08:44:59.999 (window 08:30) is due at 08:59:59.999:
	 * processed when time reaches 09:00, before that close. */
	f = fx_new(&c);
	ev(f->eng, t - 15 * MIN - 1, S_QUEUE, GS_EV_JOIN, 0, 0);
	gs_engine_advance(f->eng, t);
	assert_int_equal(f->cap.n_ev, 2);
	assert_int_equal(f->cap.ev[1].kind, GS_EV_ABANDON);
	m = nth(&f->cap, GS_MSG_METRICS, 0);
	assert_num(m, "queue.abandoned", 0);
	assert_num(m, "queue.joined", 1);
	cJSON_Delete(m);
	m = nth(&f->cap, GS_MSG_METRICS, 1);
	assert_string_equal(jstr(m, "window_start"), "2026-11-23T08:45:00Z");
	assert_num(m, "queue.abandoned", 1);
	assert_num(m, "queue.length_max", 1);
	cJSON_Delete(m);
	gs_engine_finish(f->eng, t);
	m = nth(&f->cap, GS_MSG_METRICS, 2);
	assert_num(m, "queue.abandoned", 0);
	assert_num(m, "queue.length_max", 0);
	cJSON_Delete(m);
	fx_free(f);
}

static void test_unmatched_serve_and_length(void **state)
{
	(void)state;
	struct fx *f = fx_base(4);
	int64_t t = t0();
	cJSON *m;

	/* A serve with nothing to match: served, no wait, length stays 0. */
	ev(f->eng, t + 1 * SEC, S_QUEUE, GS_EV_SERVE, 0, 0);
	ev(f->eng, t + 2 * SEC, S_QUEUE, GS_EV_JOIN, 0, 0);
	ev(f->eng, t + 3 * SEC, S_QUEUE, GS_EV_SERVE, 0, 0);
	gs_engine_finish(f->eng, t + 4 * SEC);
	m = nth(&f->cap, GS_MSG_METRICS, 0);
	assert_num(m, "queue.served", 2);
	assert_num(m, "queue.joined", 1);
	assert_num(m, "queue.length_max", 1);
	assert_num(m, "sensors.till-queue.waits", 1);
	assert_num(m, "queue.wait_avg_s", 1.0);
	assert_num(m, "queue.service_level_pct", 100.0);
	cJSON_Delete(m);
	fx_free(f);
}

static void test_percentiles_and_rounding(void **state)
{
	(void)state;
	struct fx *f = fx_base(4);
	int64_t t = t0();
	/* Waits (ms), served in this order; sorted: 1000 1050 1149 1150
	 * 2000 2500 3000 179999 180000 180001. */
	static const int64_t waits[] = {3000, 1050,   180001, 1000,   2500,
	                                1149, 180000, 2000,   179999, 1150};
	cJSON *m;

	/* Five per window, each served before the next joins. */
	for (int64_t i = 0; i < 10; i++) {
		int64_t j = t + (i < 5 ? i * 181 : 900 + (i - 5) * 181) * SEC;

		ev(f->eng, j, S_QUEUE, GS_EV_JOIN, 0, 0);
		ev(f->eng, j + waits[i], S_QUEUE, GS_EV_SERVE, 0, 0);
	}
	gs_engine_finish(f->eng, t + 2000 * SEC + 1);
	m = nth(&f->cap, GS_MSG_METRICS, 0);
	/* Window 09:00-09:15 (< 900 s): joins at 0..800 s: 5 serves, waits
	 * 3000 1050 180001 1000 2500: sorted 1000 1050 2500 3000 180001;
	 * avg 187551 / 5 = 37510.2 ms = 37.5102 s -> 37.5; p50 rank 3 =
	 * 2.5; p90 rank ceil(4.5) = 5 = 180.001 -> 180.0; service level
	 * 4 / 5 = 80 %. */
	assert_num(m, "queue.served", 5);
	assert_num(m, "queue.wait_avg_s", 37.5);
	assert_num(m, "queue.wait_p50_s", 2.5);
	assert_num(m, "queue.wait_p90_s", 180.0);
	assert_num(m, "queue.wait_max_s", 180.0);
	assert_num(m, "queue.service_level_pct", 80.0);
	cJSON_Delete(m);
	m = nth(&f->cap, GS_MSG_METRICS, 1);
	/* 09:15-09:30: waits 1149 180000 2000 179999
	 * 1150: sorted 1149 1150 2000 179999 180000; avg 364298 / 5 =
	 * 72859.6 ms -> 72.9 s; p50 = 2.0; p90 = 180.0; max 180.0 (exactly
	 * the target counts as within it): 100 %. */
	assert_num(m, "queue.served", 5);
	assert_num(m, "queue.wait_avg_s", 72.9);
	assert_num(m, "queue.wait_p50_s", 2.0);
	assert_num(m, "queue.wait_p90_s", 180.0);
	assert_num(m, "queue.service_level_pct", 100.0);
	cJSON_Delete(m);
	fx_free(f);

	/* x.x5 cases of a percentile and of an average, and of 1/3. */
	f = fx_base(4);
	ev(f->eng, t, S_QUEUE, GS_EV_JOIN, 0, 0);
	ev(f->eng, t, S_QUEUE, GS_EV_JOIN, 0, 0);
	ev(f->eng, t, S_QUEUE, GS_EV_JOIN, 0, 0);
	ev(f->eng, t + 1150, S_QUEUE, GS_EV_SERVE, 0, 0);      /* 1.15 */
	ev(f->eng, t + 1149, S_QUEUE, GS_EV_SERVE, 0, 0);      /* clamped */
	ev(f->eng, t + 200 * SEC, S_QUEUE, GS_EV_SERVE, 0, 0); /* 200 */
	gs_engine_finish(f->eng, t + 201 * SEC);
	m = nth(&f->cap, GS_MSG_METRICS, 0);
	/* Waits 1150, 1150 (the late serve is clamped to engine time),
	 * 200000: avg 202300 / 3 = 67433.3 ms -> 67.4; p50 rank 2 = 1.15 ->
	 * 1.2; p90 rank 3 = 200.0; service level 2 / 3 = 66.7. */
	assert_num(m, "queue.wait_p50_s", 1.2);
	assert_num(m, "queue.wait_avg_s", 67.4);
	assert_num(m, "queue.wait_p90_s", 200.0);
	assert_num(m, "queue.service_level_pct", 66.7);
	cJSON_Delete(m);
	fx_free(f);
}

/* Index and gap rounding on the exact values: 5 buttons, weights 0, 25,
 * 50, 75, 100. */
static void test_index_rounding_half_away(void **state)
{
	(void)state;
	struct gs_config c;
	struct fx *f;
	int64_t t = t0();
	cJSON *m;

	base_cfg(&c, 5);
	c.min_responses = 4;
	f = fx_new(&c);
	/* 0 + 0 + 0 + 25 = 25 / 4 = 6.25 -> 6.3; staff 0 -> 0.0;
	 * staff - customer = -6.25 -> -6.3 (away from zero). */
	press(f->eng, t + 1 * SEC, S_SMILEY, 0);
	press(f->eng, t + 4 * SEC, S_SMILEY, 0);
	press(f->eng, t + 8 * SEC, S_SMILEY, 0);
	press(f->eng, t + 12 * SEC, S_SMILEY, 1);
	press(f->eng, t + 13 * SEC, S_STAFF, 0);
	/* one in: response rate 400 %, not capped */
	ev(f->eng, t + 14 * SEC, S_DOOR, GS_EV_IN, 0, 0);
	gs_engine_finish(f->eng, t + 15 * SEC);
	m = nth(&f->cap, GS_MSG_METRICS, 0);
	assert_num(m, "feedback.index", 6.3);
	assert_num(m, "staff.index", 0.0);
	assert_num(m, "gap.staff_minus_customer", -6.3);
	assert_num(m, "feedback.response_rate_pct", 400.0);
	assert_num(m, "feedback.counts.very_unhappy", 3);
	assert_num(m, "feedback.counts.unhappy", 1);
	assert_num(m, "feedback.counts.neutral", 0);
	assert_num(m, "feedback.counts.very_happy", 0);
	assert_true(jnull(m, "gap.actual")); /* no wait */
	assert_true(jnull(m, "gap.perceived_minus_actual"));
	assert_true(jnull(m, "gap.quadrant"));
	/* the text really has the decimal point */
	assert_non_null(strstr(f->cap.m[0].text, "\"staff\":{\"responses\":1,"
	                                         "\"index\":0.0}"));
	cJSON_Delete(m);
	fx_free(f);
}

/* ---- feedback ----------------------------------------------------------- */

static void test_min_responses_and_pooling(void **state)
{
	(void)state;
	struct gs_config c;
	struct fx *f;
	int64_t t = t0();
	cJSON *m;

	base_cfg(&c, 3);
	add_sensor(&c, "smiley-2", GS_SENSOR_SMILEY, 3, smiley_lines);
	f = fx_new(&c);
	/* 3 buttons: unhappy 0, neutral 50, happy 100. Four responses on
	 * the first terminal: below min_responses (5): null. */
	press(f->eng, t + 1 * SEC, S_SMILEY, 2);
	press(f->eng, t + 5 * SEC, S_SMILEY, 2);
	press(f->eng, t + 9 * SEC, S_SMILEY, 1);
	press(f->eng, t + 13 * SEC, S_SMILEY, 0);
	ev(f->eng, t + 14 * SEC, S_SMILEY, GS_EV_PRESS, 2, GS_EVF_MISUSE);
	gs_engine_advance(f->eng, t + 15 * MIN);
	m = nth(&f->cap, GS_MSG_METRICS, 0);
	assert_num(m, "feedback.responses", 4);
	assert_num(m, "feedback.misuse", 1);
	assert_true(jnull(m, "feedback.index"));
	assert_true(jnull(m, "gap.perceived"));
	assert_num(m, "feedback.counts.unhappy", 1);
	assert_num(m, "feedback.counts.neutral", 1);
	assert_num(m, "feedback.counts.happy", 2);
	assert_null(
	    cJSON_GetObjectItem(jget(m, "feedback.counts"), "very_happy"));
	cJSON_Delete(m);
	/* Pooled: 2 + 2 presses on two terminals plus one = 5: index
	 * (100 + 100 + 50 + 0 + 100) / 5 = 70.0; per terminal: 3 presses
	 * -> null, 2 -> null. */
	press(f->eng, t + 16 * MIN, S_SMILEY, 2);
	press(f->eng, t + 16 * MIN, 4, 0);
	press(f->eng, t + 17 * MIN, S_SMILEY, 2);
	press(f->eng, t + 18 * MIN, S_SMILEY, 1);
	press(f->eng, t + 19 * MIN, 4, 2);
	gs_engine_finish(f->eng, t + 20 * MIN);
	m = nth(&f->cap, GS_MSG_METRICS, 1);
	assert_num(m, "feedback.responses", 5);
	assert_num(m, "feedback.index", 70.0);
	assert_true(jnull(m, "sensors.smiley-exit.index"));
	assert_num(m, "sensors.smiley-2.responses", 2);
	assert_num(m, "sensors.smiley-2.counts.happy", 1);
	cJSON_Delete(m);
	fx_free(f);
}

static void test_quadrants(void **state)
{
	(void)state;
	/* perceived, actual (service level) -> quadrant; threshold 70. */
	static const struct {
		unsigned happy, unhappy; /* 3-button presses */
		unsigned ok, late;       /* waits within / over target */
		const char *quadrant;
		double pma;
	} cases[] = {
	    /* 7 happy 3 unhappy: 70.0; 7 of 10 ok: 70.0 */
	    {7, 3, 7, 3, "aligned_good", 0.0},
	    /* 6 / 10: 60; 6 / 10: 60 */
	    {6, 4, 6, 4, "aligned_bad", 0.0},
	    /* 60 vs 90: service good, customers unhappy */
	    {6, 4, 9, 1, "perception_lag", -30.0},
	    /* 90 vs 20: customers forgive */
	    {9, 1, 2, 8, "goodwill", 70.0},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct gs_config c;
		struct fx *f;
		int64_t t = t0();
		cJSON *m;
		unsigned p = 0;

		/* One hour, so that ten sequential waits fit. */
		base_cfg(&c, 3);
		c.window_ms = 60 * MIN;
		f = fx_new(&c);
		for (unsigned i = 0; i < cases[k].happy + cases[k].unhappy; i++)
			press(f->eng, t + (int64_t)(p++) * SEC, S_SMILEY,
			      i < cases[k].happy ? 2 : 0);
		for (unsigned i = 0; i < cases[k].ok + cases[k].late; i++) {
			int64_t j = t + 20 * SEC + (int64_t)i * 210 * SEC;

			ev(f->eng, j, S_QUEUE, GS_EV_JOIN, 0, 0);
			ev(f->eng, j + (i < cases[k].ok ? 10 : 200) * SEC,
			   S_QUEUE, GS_EV_SERVE, 0, 0);
		}
		gs_engine_finish(f->eng, t + 59 * MIN);
		m = nth(&f->cap, GS_MSG_METRICS, 0);
		assert_string_equal(jstr(m, "gap.quadrant"), cases[k].quadrant);
		assert_num(m, "gap.perceived_minus_actual", cases[k].pma);
		cJSON_Delete(m);
		fx_free(f);
	}
}

/* ---- footfall and the day reset ----------------------------------------- */

static void test_occupancy_floor_and_reset(void **state)
{
	(void)state;
	struct fx *f = fx_base(4);
	/* 04:00 Berlin in winter is 03:00 UTC, on a window boundary. */
	int64_t r = T("2026-11-24T03:00:00Z");
	cJSON *m;

	ev(f->eng, r - 40 * MIN, S_DOOR, GS_EV_OUT, 0, 0); /* stays 0 */
	assert_int_equal(gs_engine_occupancy(f->eng), 0);
	ev(f->eng, r - 30 * MIN, S_DOOR, GS_EV_IN, 0, 0);
	ev(f->eng, r - 20 * MIN, S_DOOR, GS_EV_IN, 0, 0);
	ev(f->eng, r - 10 * MIN, S_DOOR, GS_EV_IN, 0, 0);
	ev(f->eng, r - 5 * MIN, S_DOOR, GS_EV_OUT, 0, 0);
	assert_int_equal(gs_engine_occupancy(f->eng), 2);
	gs_engine_advance(f->eng, r - 1);
	assert_int_equal(gs_engine_occupancy(f->eng), 2);
	/* At 03:00:00.000: the window [02:45, 03:00) closes showing 2, then
	 * the reset, then an event at that instant. */
	ev(f->eng, r, S_DOOR, GS_EV_IN, 0, 0);
	assert_int_equal(gs_engine_occupancy(f->eng), 1);
	m = nth(&f->cap, GS_MSG_METRICS, 2);
	assert_string_equal(jstr(m, "window_end"), "2026-11-24T03:00:00Z");
	assert_num(m, "footfall.occupancy", 2);
	cJSON_Delete(m);
	/* People who came in before the reset leave: never below 0. */
	ev(f->eng, r + 1 * MIN, S_DOOR, GS_EV_OUT, 0, 0);
	ev(f->eng, r + 2 * MIN, S_DOOR, GS_EV_OUT, 0, 0);
	ev(f->eng, r + 3 * MIN, S_DOOR, GS_EV_IN, 0, 0);
	gs_engine_finish(f->eng, r + 4 * MIN);
	m = nth(&f->cap, GS_MSG_METRICS, 3);
	assert_num(m, "footfall.in", 2);
	assert_num(m, "footfall.out", 2);
	assert_num(m, "footfall.occupancy", 1);
	cJSON_Delete(m);
	fx_free(f);
}

/* Occupancy after a reset at local day_start in Europe/Berlin. */
static struct fx *dst_fixture(int64_t day_start)
{
	struct gs_config c;

	base_cfg(&c, 4);
	c.window_ms = 60 * MIN;
	c.day_start_ms = day_start;
	return fx_new(&c);
}

static void test_dst_spring_gap(void **state)
{
	(void)state;
	/* 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00 UTC; 02:30
	 * does not exist: the offset before the change (+1) gives 01:30Z. */
	struct fx *f = dst_fixture(150 * MIN);

	ev(f->eng, T("2026-03-28T12:00:00Z"), S_DOOR, GS_EV_IN, 0, 0);
	/* the day before: 02:30 CET = 01:30Z; already past */
	gs_engine_advance(f->eng, T("2026-03-29T01:29:59.999Z"));
	assert_int_equal(gs_engine_occupancy(f->eng), 1);
	gs_engine_advance(f->eng, T("2026-03-29T01:30:00Z"));
	assert_int_equal(gs_engine_occupancy(f->eng), 0);
	/* The next: 2026-03-30 02:30 CEST = 00:30Z. */
	ev(f->eng, T("2026-03-29T12:00:00Z"), S_DOOR, GS_EV_IN, 0, 0);
	gs_engine_advance(f->eng, T("2026-03-30T00:29:59.999Z"));
	assert_int_equal(gs_engine_occupancy(f->eng), 1);
	gs_engine_advance(f->eng, T("2026-03-30T00:30:00Z"));
	assert_int_equal(gs_engine_occupancy(f->eng), 0);
	fx_free(f);

	/* 04:00 on the same day exists: 04:00 CEST = 02:00Z. */
	f = dst_fixture(4 * GS_MS_PER_H);
	ev(f->eng, T("2026-03-28T12:00:00Z"), S_DOOR, GS_EV_IN, 0, 0);
	gs_engine_advance(f->eng, T("2026-03-29T01:59:59.999Z"));
	assert_int_equal(gs_engine_occupancy(f->eng), 1);
	gs_engine_advance(f->eng, T("2026-03-29T02:00:00Z"));
	assert_int_equal(gs_engine_occupancy(f->eng), 0);
	fx_free(f);
}

static void test_dst_autumn_fold(void **state)
{
	(void)state;
	/* 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:30
	 * occurs at 00:30Z (CEST) and 01:30Z (CET): the first counts. */
	struct fx *f = dst_fixture(150 * MIN);
	cJSON *m;

	ev(f->eng, T("2026-10-24T20:00:00Z"), S_DOOR, GS_EV_IN, 0, 0);
	ev(f->eng, T("2026-10-24T20:10:00Z"), S_DOOR, GS_EV_IN, 0, 0);
	gs_engine_advance(f->eng, T("2026-10-25T00:29:59.999Z"));
	assert_int_equal(gs_engine_occupancy(f->eng), 2);
	gs_engine_advance(f->eng, T("2026-10-25T00:30:00Z"));
	assert_int_equal(gs_engine_occupancy(f->eng), 0);
	ev(f->eng, T("2026-10-25T00:45:00Z"), S_DOOR, GS_EV_IN, 0, 0);
	gs_engine_advance(f->eng, T("2026-10-25T01:31:00Z"));
	assert_int_equal(gs_engine_occupancy(f->eng), 1); /* no second */
	/* Next: 2026-10-26 02:30 CET = 01:30Z. */
	gs_engine_advance(f->eng, T("2026-10-26T01:29:59.999Z"));
	assert_int_equal(gs_engine_occupancy(f->eng), 1);
	gs_engine_advance(f->eng, T("2026-10-26T01:30:00Z"));
	assert_int_equal(gs_engine_occupancy(f->eng), 0);
	/* The hourly window 00:00-01:00Z showed 1 (reset at 00:30, in at
	 * 00:45); 23:00-00:00Z showed 2. */
	m = nth(&f->cap, GS_MSG_METRICS, 3);
	assert_string_equal(jstr(m, "window_start"), "2026-10-24T23:00:00Z");
	assert_num(m, "footfall.occupancy", 2);
	cJSON_Delete(m);
	m = nth(&f->cap, GS_MSG_METRICS, 4);
	assert_num(m, "footfall.occupancy", 1);
	cJSON_Delete(m);
	fx_free(f);
}

static void test_pulse_counters(void **state)
{
	(void)state;
	static const char *const one[] = {"GPIO4"};
	static const char *const two[] = {"GPIO7", "GPIO8"};
	struct gs_config c;
	struct fx *f;
	int64_t t = t0();
	cJSON *m;

	base_cfg(&c, 4);
	add_sensor(&c, "counter", GS_SENSOR_PULSE, 1, one);
	c.sensors[4].direction = GS_DIR_NONE;
	add_sensor(&c, "side-door", GS_SENSOR_PULSE, 2, two);
	f = fx_new(&c);
	ev(f->eng, t + 1, 4, GS_EV_PULSE, 0, 0);
	ev(f->eng, t + 2, 4, GS_EV_PULSE, 0, 0);
	ev(f->eng, t + 3, 5, GS_EV_IN, 0, 0);
	ev(f->eng, t + 4, 5, GS_EV_IN, 0, 0);
	ev(f->eng, t + 5, 5, GS_EV_OUT, 0, 0);
	ev(f->eng, t + 6, S_DOOR, GS_EV_IN, 0, 0);
	gs_engine_finish(f->eng, t + 7);
	m = nth(&f->cap, GS_MSG_METRICS, 0);
	/* undirected pulses stay out of footfall (clarification 8) */
	assert_num(m, "footfall.in", 3);
	assert_num(m, "footfall.out", 1);
	assert_num(m, "footfall.occupancy", 2);
	assert_num(m, "sensors.counter.pulses", 2);
	assert_num(m, "sensors.counter.in", 0);
	assert_num(m, "sensors.side-door.pulses", 3);
	assert_num(m, "sensors.side-door.in", 2);
	assert_string_equal(jstr(m, "sensors.side-door.type"), "pulse");
	cJSON_Delete(m);
	fx_free(f);
}

/* ---- alerts ----------------------------------------------------------------
 */

static void test_burst_raise_and_details(void **state)
{
	(void)state;
	struct fx *f = fx_base(4);
	int64_t t = t0();
	cJSON *a;

	/* Negative on 4 buttons: very_unhappy and unhappy. A misuse press
	 * never counts. */
	press(f->eng, t, S_SMILEY, 0);
	press(f->eng, t + 10 * SEC, S_SMILEY, 1);
	ev(f->eng, t + 11 * SEC, S_SMILEY, GS_EV_PRESS, 0, GS_EVF_MISUSE);
	press(f->eng, t + 20 * SEC, S_SMILEY, 3);
	press(f->eng, t + 30 * SEC, S_SMILEY, 0);
	press(f->eng, t + 40 * SEC, S_SMILEY, 1);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 0);
	press(f->eng, t + 50 * SEC, S_SMILEY, 0); /* 5 of 6 */
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 1);
	assert_int_equal(f->cap.m[0].t, t + 50 * SEC);
	a = nth(&f->cap, GS_MSG_ALERT, 0);
	assert_string_equal(jstr(a, "type"), "discontent_burst");
	assert_string_equal(jstr(a, "sensor"), "smiley-exit");
	assert_string_equal(jstr(a, "time"), "2026-11-23T09:00:50.000Z");
	assert_num(a, "details.negative", 5);
	assert_num(a, "details.presses", 6);
	assert_num(a, "details.negative_pct", 83.3);
	assert_string_equal(jstr(a, "details.first_press"),
	                    "2026-11-23T09:00:00.000Z");
	assert_num(a, "details.window_s", 600.0);
	assert_num(a, "details.burst_min", 5);
	assert_num(a, "details.burst_share_pct", 50.0);
	cJSON_Delete(a);
	/* Raised once: more negatives do not raise again. */
	press(f->eng, t + 60 * SEC, S_SMILEY, 0);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 1);
	fx_free(f);

	/* Misuse presses alone never make a burst. */
	f = fx_base(4);
	for (int i = 0; i < 8; i++)
		ev(f->eng, t + i * SEC, S_SMILEY, GS_EV_PRESS, 0,
		   GS_EVF_MISUSE);
	press(f->eng, t + 9 * SEC, S_SMILEY, 0);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 0);
	fx_free(f);

	/* On 3 buttons only the lowest is negative. */
	f = fx_base(3);
	for (int i = 0; i < 6; i++)
		press(f->eng, t + i * 10 * SEC, S_SMILEY, 1);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 0);
	for (int i = 0; i < 5; i++)
		press(f->eng, t + (6 + i) * 10 * SEC, S_SMILEY, 0);
	/* 5 negatives of 11: 45 % < 50 %: not yet. */
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 0);
	press(f->eng, t + 110 * SEC, S_SMILEY, 0); /* 6 of 12 = 50 % */
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 1);
	fx_free(f);

	/* Staff presses never make a burst. */
	f = fx_base(4);
	for (int i = 0; i < 6; i++)
		press(f->eng, t + i * 10 * SEC, S_STAFF, 0);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 0);
	fx_free(f);
}

static void test_burst_on_departure_exactly_w(void **state)
{
	(void)state;
	struct fx *f = fx_base(4);
	int64_t t = t0();
	int64_t w = 10 * MIN;

	/* 6 happy at 0..5 s, then 5 negatives: 5 of 11 < 50 %. */
	for (int i = 0; i < 6; i++)
		press(f->eng, t + i * SEC, S_SMILEY, 3);
	for (int i = 0; i < 5; i++)
		press(f->eng, t + (60 + 10 * i) * SEC, S_SMILEY, 0);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 0);
	/* The press at t is in (t' - W, t'] until t' = t + W exclusive. */
	assert_int_equal(gs_engine_next_deadline(f->eng), t + w);
	gs_engine_advance(f->eng, t + w - 1);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 0);
	/* Exactly W old: out; 5 of 10 = 50 % -> burst at t + W. */
	gs_engine_advance(f->eng, t + w);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 1);
	assert_int_equal(f->cap.m[0].t, t + w);
	fx_free(f);

	/* At one instant a window close comes before a departure: the
	 * 09:10 window boundary with 5-minute windows. */
	struct gs_config c;

	base_cfg(&c, 4);
	c.window_ms = 5 * MIN;
	f = fx_new(&c);
	for (int i = 0; i < 6; i++)
		press(f->eng, t + i * SEC, S_SMILEY, 3);
	for (int i = 0; i < 5; i++)
		press(f->eng, t + (60 + 10 * i) * SEC, S_SMILEY, 0);
	gs_engine_advance(f->eng, t + w);
	assert_int_equal(f->cap.n, 3);
	assert_int_equal(f->cap.m[0].kind, GS_MSG_METRICS); /* 09:00 */
	assert_int_equal(f->cap.m[1].kind, GS_MSG_METRICS); /* 09:05 */
	assert_int_equal(f->cap.m[2].kind, GS_MSG_ALERT);
	fx_free(f);
}

/* Five negatives; the last one at last_at. */
static void five_negatives(struct gs_engine *e, int64_t last_at)
{
	for (int i = 4; i >= 0; i--)
		press(e, last_at - i * 10 * SEC, S_SMILEY, 0);
}

static void test_burst_rearm(void **state)
{
	(void)state;
	int64_t t = t0();
	int64_t w = 10 * MIN;

	for (int k = 0; k < 2; k++) {
		struct fx *f = fx_base(4);

		five_negatives(f->eng, t + 40 * SEC); /* burst at 09:00:40 */
		assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 1);
		/* The first negative leaves at t + W: 4 left, false from
		 * then on. Re-armed once false for a whole W: at t + 2W. */
		gs_engine_advance(f->eng, t + w);
		/* New burst completing at exactly t + 2W (k = 0) raises;
		 * 1 ms earlier (k = 1) does not. */
		five_negatives(f->eng, t + 2 * w - k);
		assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT),
		                 k == 0 ? 2 : 1);
		if (k == 1) {
			/* Still true: no re-arm while it holds. */
			press(f->eng, t + 2 * w + 5 * SEC, S_SMILEY, 0);
			assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 1);
		}
		fx_free(f);
	}
}

static void serve_after(struct gs_engine *e, int64_t join, int64_t wait)
{
	ev(e, join, S_QUEUE, GS_EV_JOIN, 0, 0);
	ev(e, join + wait, S_QUEUE, GS_EV_SERVE, 0, 0);
}

static void test_queue_wait_high(void **state)
{
	(void)state;
	struct fx *f = fx_base(4);
	int64_t t = t0();
	cJSON *a;

	/* Exactly the target is not "exceeds". */
	serve_after(f->eng, t, 180 * SEC);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 0);
	/* Mean (180 + 180.001) / 2 > 180: raised at the serve. */
	serve_after(f->eng, t + 200 * SEC, 180 * SEC + 1);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 1);
	a = nth(&f->cap, GS_MSG_ALERT, 0);
	assert_string_equal(jstr(a, "type"), "queue_wait_high");
	assert_string_equal(jstr(a, "time"), "2026-11-23T09:06:20.001Z");
	assert_num(a, "details.wait_avg_s", 180.0);
	assert_num(a, "details.waits", 2);
	cJSON_Delete(a);
	/* Both waits leave (09:13:00 and 09:16:20.001): an empty window
	 * neither raises nor re-arms. Mean exactly 80 % (144 s): not
	 * re-armed, so a high mean after it raises nothing. */
	serve_after(f->eng, t + 1000 * SEC, 144 * SEC);
	serve_after(f->eng, t + 1145 * SEC, 600 * SEC);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 1);
	/* Once both have left, 143.999 s (served at 42:23.999) re-arms and
	 * 500 s (served at 50:50, while the first is still in the trailing
	 * window) raises again: mean (143.999 + 500) / 2 = 321.9995. */
	serve_after(f->eng, t + 2400 * SEC, 144 * SEC - 1);
	serve_after(f->eng, t + 2550 * SEC, 500 * SEC);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 2);
	a = nth(&f->cap, GS_MSG_ALERT, 1);
	assert_num(a, "details.wait_avg_s", 322.0);
	assert_num(a, "details.wait_max_s", 500.0);
	assert_num(a, "details.waits", 2);
	assert_int_equal(f->cap.m[f->cap.n - 1].t, t + 3050 * SEC);
	cJSON_Delete(a);
	fx_free(f);

	/* A serve leaving the trailing window can raise: waits 10 s (old)
	 * and 300 s; when the 10 s leaves, the mean is 300. */
	f = fx_base(4);
	ev(f->eng, t, S_QUEUE, GS_EV_JOIN, 0, 0);
	ev(f->eng, t + 10 * SEC, S_QUEUE, GS_EV_SERVE, 0, 0); /* 10 s */
	ev(f->eng, t + 20 * SEC, S_QUEUE, GS_EV_JOIN, 0, 0);
	ev(f->eng, t + 21 * SEC, S_QUEUE, GS_EV_JOIN, 0, 0);
	ev(f->eng, t + 320 * SEC, S_QUEUE, GS_EV_SERVE, 0, 0); /* mean 155 */
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 0);
	ev(f->eng, t + 321 * SEC, S_QUEUE, GS_EV_SERVE, 0, 0); /* 203.3 */
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 1);
	fx_free(f);
	f = fx_base(4);
	serve_after(f->eng, t, 10 * SEC);
	serve_after(f->eng, t + 20 * SEC, 300 * SEC); /* mean 155 */
	gs_engine_advance(f->eng, t + 10 * SEC + 10 * MIN - 1);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 0);
	gs_engine_advance(f->eng, t + 10 * SEC + 10 * MIN);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 1);
	fx_free(f);
}

static void test_fault_alerts(void **state)
{
	(void)state;
	struct fx *f = fx_base(4);
	int64_t t = t0();
	struct gs_event x = {.t_ms = t + 61 * SEC,
	                     .sensor = S_DOOR,
	                     .kind = GS_EV_FAULT,
	                     .input = 1};
	cJSON *a, *m;

	gs_engine_event(f->eng, &x);
	assert_true(gs_engine_sensor_faulted(f->eng, S_DOOR));
	assert_int_equal(f->cap.n, 1);
	assert_string_equal(
	    f->cap.m[0].text,
	    "{\"schema\":\"gapsense.alert.v1\",\"site\":\"store-042\","
	    "\"gateway\":\"till-1\",\"seq\":0,"
	    "\"time\":\"2026-11-23T09:01:01.000Z\","
	    "\"type\":\"sensor_fault\",\"sensor\":\"entrance\","
	    "\"details\":{\"line\":\"GPIO27\",\"role\":\"B\","
	    "\"active_since\":\"2026-11-23T09:00:01.000Z\","
	    "\"limit_s\":60.0}}");
	gs_engine_advance(f->eng, t + 15 * MIN);
	m = nth(&f->cap, GS_MSG_METRICS, 0);
	assert_true(cJSON_IsTrue(jget(m, "sensors.entrance.faulted")));
	assert_num(m, "sensors.entrance.faults", 1);
	cJSON_Delete(m);
	x.t_ms = t + 16 * MIN + 500;
	x.kind = GS_EV_RECOVERED;
	gs_engine_event(f->eng, &x);
	assert_false(gs_engine_sensor_faulted(f->eng, S_DOOR));
	a = nth(&f->cap, GS_MSG_ALERT, 1);
	assert_string_equal(jstr(a, "type"), "sensor_recovered");
	assert_string_equal(jstr(a, "details.line"), "GPIO27");
	assert_string_equal(jstr(a, "details.active_since"),
	                    "2026-11-23T09:00:01.000Z");
	assert_num(a, "details.active_s", 959.5);
	cJSON_Delete(a);
	gs_engine_finish(f->eng, t + 17 * MIN);
	m = nth(&f->cap, GS_MSG_METRICS, 1);
	/* still faulted at the start, recovered by the end */
	assert_false(cJSON_IsTrue(jget(m, "sensors.entrance.faulted")));
	assert_num(m, "sensors.entrance.faults", 0);
	cJSON_Delete(m);
	/* Recovered without a fault seen: active_since null. */
	fx_free(f);
	f = fx_base(4);
	x.t_ms = t;
	x.sensor = S_SMILEY;
	x.input = 4 - 1;
	gs_engine_event(f->eng, &x);
	a = nth(&f->cap, GS_MSG_ALERT, 0);
	assert_string_equal(jstr(a, "details.role"), "very_happy");
	assert_true(jnull(a, "details.active_since"));
	assert_true(jnull(a, "details.active_s"));
	cJSON_Delete(a);
	fx_free(f);
}

/* ---- finish, bad input, config ---------------------------------------------
 */

static void test_finish_runs_nothing_later(void **state)
{
	(void)state;
	struct fx *f = fx_base(4);
	int64_t t = t0();
	cJSON *m;

	/* Entry at 09:00; finish exactly at join + max_wait: a limit that
	 * must be passed has not been passed. */
	ev(f->eng, t, S_QUEUE, GS_EV_JOIN, 0, 0);
	gs_engine_finish(f->eng, t + 30 * MIN);
	assert_int_equal(count_kind(&f->cap, GS_MSG_METRICS), 3);
	m = nth(&f->cap, GS_MSG_METRICS, 2);
	assert_num(m, "queue.abandoned", 0);
	assert_num(m, "sensors.till-queue.length", 1);
	assert_string_equal(jstr(m, "window_start"), "2026-11-23T09:30:00Z");
	assert_string_equal(jstr(m, "window_end"), "2026-11-23T09:45:00Z");
	assert_int_equal(f->cap.m[2].t, t + 30 * MIN);
	cJSON_Delete(m);
	assert_int_equal(gs_engine_next_deadline(f->eng), GS_TIME_NONE);
	fx_free(f);

	f = fx_base(4);
	ev(f->eng, t, S_QUEUE, GS_EV_JOIN, 0, 0);
	gs_engine_finish(f->eng, t + 30 * MIN + 1);
	m = nth(&f->cap, GS_MSG_METRICS, 2);
	assert_num(m, "queue.abandoned", 1);
	cJSON_Delete(m);
	fx_free(f);

	/* A never-started engine publishes nothing. */
	f = fx_base(4);
	assert_int_equal(gs_engine_next_deadline(f->eng), GS_TIME_NONE);
	gs_engine_finish(f->eng, t);
	assert_int_equal(f->cap.n, 0);
	fx_free(f);
}

static void test_bad_events_ignored(void **state)
{
	(void)state;
	struct fx *f = fx_base(4);
	int64_t t = t0();
	cJSON *m;

	ev(f->eng, t, 99, GS_EV_IN, 0, 0);              /* no such sensor */
	ev(f->eng, t, S_SMILEY, GS_EV_PRESS, 4, 0);     /* no button 4 */
	ev(f->eng, t, S_DOOR, GS_EV_PRESS, 0, 0);       /* wrong type */
	ev(f->eng, t, S_QUEUE, GS_EV_ABANDON, 0, 0);    /* derived only */
	ev(f->eng, t, S_DOOR, GS_EV_KIND_COUNT_, 0, 0); /* no such kind */
	ev(f->eng, t, S_DOOR, GS_EV_FAULT, 7, 0);       /* no line 7 */
	assert_int_equal(f->cap.n_ev, 0);
	/* "No time yet" from a decode stage that has seen nothing. */
	gs_engine_advance(f->eng, INT64_MIN);
	gs_engine_advance(f->eng, GS_TIME_NONE);
	assert_int_equal(gs_engine_next_deadline(f->eng), GS_TIME_NONE);
	ev(f->eng, t + 10 * SEC, S_DOOR, GS_EV_IN, 0, 0);
	ev(f->eng, t + 5 * SEC, S_DOOR, GS_EV_IN, 0, 0); /* clamped */
	assert_int_equal(f->cap.ev[1].t_ms, t + 10 * SEC);
	gs_engine_advance(f->eng, t); /* back in time: harmless */
	gs_engine_finish(f->eng, t + 11 * SEC);
	m = nth(&f->cap, GS_MSG_METRICS, 0);
	assert_num(m, "footfall.in", 2);
	cJSON_Delete(m);
	fx_free(f);
}

static void test_config_rejected(void **state)
{
	(void)state;
	struct gs_config c;
	struct cap cap = {0};

	base_cfg(&c, 4);
	add_sensor(&c, "smiley-3", GS_SENSOR_SMILEY, 3, smiley_lines);
	assert_null(gs_engine_new(&c, &cap_sink, &cap));

	base_cfg(&c, 4);
	snprintf(c.timezone, sizeof(c.timezone), "Europe/Atlantis");
	assert_null(gs_engine_new(&c, &cap_sink, &cap));
	snprintf(c.timezone, sizeof(c.timezone), "../../etc/passwd");
	assert_null(gs_engine_new(&c, &cap_sink, &cap));

	/* A staff terminal of another size is fine; so is UTC. */
	base_cfg(&c, 4);
	add_sensor(&c, "staff-5", GS_SENSOR_STAFF, 5, staff_lines);
	snprintf(c.timezone, sizeof(c.timezone), "UTC");
	struct gs_engine *e = gs_engine_new(&c, &cap_sink, &cap);

	assert_non_null(e);
	gs_engine_free(e);
	gs_engine_free(NULL);
}

/* Staff index pools terminals of different sizes on their own scales. */
static void test_staff_pooled_scales(void **state)
{
	(void)state;
	struct gs_config c;
	struct fx *f;
	int64_t t = t0();
	cJSON *m;

	base_cfg(&c, 4);
	add_sensor(&c, "staff-5", GS_SENSOR_STAFF, 5, staff_lines);
	f = fx_new(&c);
	press(f->eng, t, S_STAFF, 2); /* 66.67 */
	press(f->eng, t + 1, 4, 1);   /* 25 */
	ev(f->eng, t + 2, 4, GS_EV_PRESS, 4, GS_EVF_MISUSE);
	gs_engine_finish(f->eng, t + 3);
	m = nth(&f->cap, GS_MSG_METRICS, 0);
	/* (66.667 + 25) / 2 = 45.83 -> 45.8 */
	assert_num(m, "staff.responses", 2);
	assert_num(m, "staff.index", 45.8);
	assert_num(m, "sensors.staff-5.misuse", 1);
	assert_num(m, "sensors.staff-5.index", 25.0);
	assert_num(m, "feedback.misuse", 0); /* smiley terminals only */
	cJSON_Delete(m);
	fx_free(f);
}

/* next_deadline() names every kind of deadline; messages are stamped with
 * the instant they were made. */
static void test_deadlines_and_stamps(void **state)
{
	(void)state;
	struct gs_config c;
	struct fx *f;
	/* 02:40Z on 2026-11-24: the 04:00 Berlin reset is at 03:00Z. */
	int64_t t = T("2026-11-24T02:40:00Z");
	int64_t reset = T("2026-11-24T03:00:00Z");

	base_cfg(&c, 4);
	c.window_ms = 60 * MIN;
	f = fx_new(&c);
	gs_engine_advance(f->eng, t);
	assert_int_equal(gs_engine_next_deadline(f->eng), reset);
	ev(f->eng, t, S_DOOR, GS_EV_IN, 0, 0);
	press(f->eng, t + 1 * SEC, S_SMILEY, 3);
	/* the press leaves (t + W) before the reset */
	assert_int_equal(gs_engine_next_deadline(f->eng),
	                 t + 1 * SEC + 10 * MIN);
	gs_engine_advance(f->eng, t + 1 * SEC + 10 * MIN);
	assert_int_equal(gs_engine_next_deadline(f->eng), reset);
	/* The reset at 03:00Z is also the 02:00 window's end. */
	gs_engine_advance(f->eng, reset);
	assert_int_equal(gs_engine_occupancy(f->eng), 0);
	assert_int_equal(count_kind(&f->cap, GS_MSG_METRICS), 1);
	assert_int_equal(f->cap.m[0].t, reset);
	/* the next reset is a day later; the 03:00 window ends at 04:00 */
	assert_int_equal(gs_engine_next_deadline(f->eng), reset + 60 * MIN);
	ev(f->eng, reset + 10 * MIN, S_QUEUE, GS_EV_JOIN, 0, 0);
	assert_int_equal(gs_engine_next_deadline(f->eng), reset + 40 * MIN + 1);
	gs_engine_finish(f->eng, reset + 20 * MIN);
	/* The day's rollup follows the window that reached the reset. */
	assert_int_equal(count_kind(&f->cap, GS_MSG_DAILY), 1);
	assert_int_equal(f->cap.m[1].kind, GS_MSG_DAILY);
	assert_int_equal(f->cap.m[1].t, reset);
	assert_int_equal(f->cap.m[2].t, reset + 20 * MIN);
	fx_free(f);

	/* A sink without an event callback is fine. */
	struct gs_engine_sink only_publish = {.publish = cap_publish};
	struct cap *cap = calloc(1, sizeof(*cap));
	struct gs_engine *e;

	assert_non_null(cap);
	e = gs_engine_new(&c, &only_publish, cap);
	assert_non_null(e);
	ev(e, t, S_QUEUE, GS_EV_JOIN, 0, 0);
	gs_engine_finish(e, t + 31 * MIN); /* with an abandonment */
	/* The 02:00 window, the day's rollup at the reset, the 03:00 one. */
	assert_int_equal(cap->n, 3);
	assert_int_equal(cap->m[1].kind, GS_MSG_DAILY);
	gs_engine_free(e);
	cap_clear(cap);
	free(cap);
}

/*
 * A day without any traffic still has its rollup: one in at 09:00Z on the
 * 23rd, then time runs to the 25th's reset (04:00 Berlin = 03:00Z). The
 * 23rd's day (from 03:00Z, observed from 09:00Z) is partial; the 24th is
 * complete, 24 windows, all zeros.
 */
static void test_daily_without_traffic(void **state)
{
	(void)state;
	struct gs_config c;
	struct fx *f;
	size_t k = 0;

	base_cfg(&c, 4);
	c.window_ms = 60 * MIN;
	f = fx_new(&c);
	ev(f->eng, T("2026-11-23T09:00:00Z"), S_DOOR, GS_EV_IN, 0, 0);
	gs_engine_advance(f->eng, T("2026-11-25T03:00:00Z"));
	assert_int_equal(count_kind(&f->cap, GS_MSG_DAILY), 2);
	for (size_t i = 0; i < f->cap.n; i++) {
		if (f->cap.m[i].kind != GS_MSG_DAILY)
			continue;
		const char *d = f->cap.m[i].text;

		if (k++ == 0) {
			assert_int_equal(f->cap.m[i].window_start,
			                 T("2026-11-23T03:00:00Z"));
			assert_non_null(strstr(d, "\"partial\":true"));
			assert_non_null(
			    strstr(d, "\"footfall\":{\"in\":1,\"out\":0,"
			              "\"occupancy_max\":1}"));
			assert_non_null(
			    strstr(d, "\"windows\":{\"total\":18,"));
			continue;
		}
		assert_int_equal(f->cap.m[i].window_start,
		                 T("2026-11-24T03:00:00Z"));
		assert_int_equal(f->cap.m[i].t, T("2026-11-25T03:00:00Z"));
		assert_non_null(strstr(d, "\"day\":\"2026-11-24\""));
		assert_non_null(strstr(d, "\"day_s\":86400,\"partial\":false"));
		assert_non_null(strstr(d, "\"footfall\":{\"in\":0,\"out\":0,"
		                          "\"occupancy_max\":0}"));
		assert_non_null(strstr(d, "\"windows\":{\"total\":24,"));
		assert_non_null(strstr(d, "\"none\":24}"));
		assert_non_null(strstr(d, "\"response_rate_pct\":null"));
		assert_non_null(strstr(d, "\"trend\":null}"));
	}
	fx_free(f);
}

/* A reload with the same window: nothing is lost or counted twice. */
static void test_carry_same_window(void **state)
{
	(void)state;
	struct fx *old = fx_base(4), *f;
	int64_t t = t0();
	cJSON *m, *a;

	ev(old->eng, t + 10 * SEC, S_DOOR, GS_EV_IN, 0, 0);
	ev(old->eng, t + 20 * SEC, S_DOOR, GS_EV_IN, 0, 0);
	ev(old->eng, t + 30 * SEC, S_DOOR, GS_EV_IN, 0, 0);
	ev(old->eng, t + 40 * SEC, S_DOOR, GS_EV_OUT, 0, 0);
	ev(old->eng, t + 1 * MIN, S_QUEUE, GS_EV_JOIN, 0, 0);
	ev(old->eng, t + 2 * MIN, S_QUEUE, GS_EV_JOIN, 0, 0);
	ev(old->eng, t + 4 * MIN, S_QUEUE, GS_EV_SERVE, 0, 0); /* 180 s */
	five_negatives(old->eng, t + 5 * MIN + 40 * SEC);      /* a burst */
	ev(old->eng, t + 6 * MIN, S_DOOR, GS_EV_FAULT, 0, 0);
	gs_engine_advance(old->eng, t + 6 * MIN + 30 * SEC);
	assert_int_equal(count_kind(&old->cap, GS_MSG_ALERT), 2);

	f = fx_base(4);
	assert_int_equal(gs_engine_carry(f->eng, old->eng), GS_OK);
	fx_free(old); /* discarded unpublished */
	assert_int_equal(gs_engine_occupancy(f->eng), 2);
	assert_true(gs_engine_sensor_faulted(f->eng, S_DOOR));
	/* The 09:02 entry is still waiting: 300 s; trailing mean (180 +
	 * 300) / 2 = 240 > 180, and the alert was armed. */
	ev(f->eng, t + 7 * MIN, S_QUEUE, GS_EV_SERVE, 0, 0);
	press(f->eng, t + 7 * MIN + 30 * SEC, S_SMILEY, 0); /* disarmed */
	ev(f->eng, t + 8 * MIN, S_DOOR, GS_EV_RECOVERED, 0, 0);
	gs_engine_finish(f->eng, t + 10 * MIN);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ALERT), 2);
	a = nth(&f->cap, GS_MSG_ALERT, 0);
	assert_string_equal(jstr(a, "type"), "queue_wait_high");
	assert_num(a, "details.wait_avg_s", 240.0);
	cJSON_Delete(a);
	a = nth(&f->cap, GS_MSG_ALERT, 1);
	assert_string_equal(jstr(a, "type"), "sensor_recovered");
	assert_string_equal(jstr(a, "details.active_since"),
	                    "2026-11-23T09:05:00.000Z");
	cJSON_Delete(a);
	m = nth(&f->cap, GS_MSG_METRICS, 0);
	assert_string_equal(jstr(m, "window_start"), "2026-11-23T09:00:00Z");
	assert_num(m, "footfall.in", 3);
	assert_num(m, "footfall.out", 1);
	assert_num(m, "footfall.occupancy", 2);
	assert_num(m, "queue.joined", 2);
	assert_num(m, "queue.served", 2);
	assert_num(m, "queue.length_max", 2);
	assert_num(m, "queue.wait_avg_s", 240.0);
	assert_num(m, "feedback.responses", 6);
	assert_num(m, "feedback.counts.very_unhappy", 6);
	assert_num(m, "sensors.entrance.faults", 1);
	assert_false(cJSON_IsTrue(jget(m, "sensors.entrance.faulted")));
	cJSON_Delete(m);
	/* Only a new engine can take state over. */
	assert_int_equal(gs_engine_carry(f->eng, f->eng), GS_EINVAL);
	fx_free(f);
}

/* A reload that shortens the window, max_wait and the burst window. */
static void test_carry_changed_limits(void **state)
{
	(void)state;
	struct fx *old = fx_base(4), *f;
	struct gs_config c;
	int64_t t = t0();
	cJSON *m;

	ev(old->eng, t, S_QUEUE, GS_EV_JOIN, 0, 0);
	/* 6 positives at 09:04:00-50 and 5 negatives at 09:08:00-40: 5 of
	 * 11 in the old 10-minute window, no burst. */
	for (int i = 0; i < 6; i++)
		press(old->eng, t + 4 * MIN + i * 10 * SEC, S_SMILEY, 3);
	for (int i = 0; i < 5; i++)
		press(old->eng, t + 8 * MIN + i * 10 * SEC, S_SMILEY, 0);
	ev(old->eng, t + 10 * MIN, S_QUEUE, GS_EV_JOIN, 0, 0);
	gs_engine_finish(old->eng, t + 12 * MIN); /* publishes 09:00-09:15 */
	m = nth(&old->cap, GS_MSG_METRICS, 0);
	assert_num(m, "queue.joined", 2);
	cJSON_Delete(m);

	base_cfg(&c, 4);
	c.window_ms = 5 * MIN;
	c.sensors[S_QUEUE].max_wait_ms = 5 * MIN;
	c.burst_window_ms = 5 * MIN;
	f = fx_new(&c);
	assert_int_equal(gs_engine_carry(f->eng, old->eng), GS_OK);
	fx_free(old);
	/* The 09:00 entry is past the new max_wait: it gives up at the
	 * reload instant, in the new window 09:10-09:15. */
	assert_int_equal(f->cap.n_ev, 1);
	assert_int_equal(f->cap.ev[0].kind, GS_EV_ABANDON);
	assert_int_equal(f->cap.ev[0].t_ms, t + 12 * MIN);
	/* In the new 5-minute window the positives are out, 5 of 5: the
	 * burst is stamped at the reload instant, not in the past. */
	assert_int_equal(f->cap.n, 1);
	assert_int_equal(f->cap.m[0].kind, GS_MSG_ALERT);
	assert_int_equal(f->cap.m[0].t, t + 12 * MIN);
	gs_engine_finish(f->eng, t + 13 * MIN);
	m = nth(&f->cap, GS_MSG_METRICS, 0);
	assert_string_equal(jstr(m, "window_start"), "2026-11-23T09:10:00Z");
	assert_num(m, "window_s", 300);
	assert_num(m, "queue.joined", 0);
	assert_num(m, "queue.abandoned", 1);
	assert_num(m, "queue.length_max", 2);
	assert_num(m, "sensors.till-queue.length", 1);
	assert_num(m, "feedback.responses", 0);
	cJSON_Delete(m);
	fx_free(f);
}

/* ---- alert outputs -------------------------------------------------- */

enum { S_BUTTON = S_STAFF + 1 };

/* The base site, a push-button, and one output. */
static struct gs_output_cfg *output_cfg(struct gs_config *c, const char *name,
                                        unsigned alerts, enum gs_output_end end)
{
	static const char *const button_line[] = {"GPIO24"};
	struct gs_output_cfg *o = &c->outputs[c->n_outputs++];

	if (c->n_sensors == S_BUTTON)
		add_sensor(c, "lamp-button", GS_SENSOR_BUTTON, 1, button_line);
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->alerts = alerts;
	o->end = end;
	o->hold_ms = 60 * SEC;
	o->blink_ms = 1000;
	o->ack_sensor = S_BUTTON;
	o->ack_button = -1;
	return o;
}

static void fault(struct gs_engine *e, int64_t t, unsigned sensor, bool on)
{
	ev(e, t, sensor, on ? GS_EV_FAULT : GS_EV_RECOVERED, 0, 0);
}

static void test_output_lit_and_acknowledged(void **state)
{
	struct gs_config c;
	struct fx *f;
	int64_t t = t0();
	cJSON *a;

	(void)state;
	base_cfg(&c, 4);
	output_cfg(&c, "lamp", 1u << GS_ALERT_SENSOR_FAULT, GS_END_ACK)
	    ->signal = GS_SIGNAL_BLINK;
	f = fx_new(&c);

	/* A press with nothing lit is just a press: no flag, no message. */
	press(f->eng, t, S_BUTTON, 0);
	assert_int_equal(f->cap.n_out, 0);
	assert_int_equal(f->cap.ev[0].flags & GS_EVF_ACK, 0);

	fault(f->eng, t + 10 * SEC, S_DOOR, true);
	assert_int_equal(f->cap.n_out, 1);
	assert_int_equal(f->cap.out[0].st, GS_OUTPUT_BLINK);
	assert_int_equal(f->cap.out[0].t, t + 10 * SEC);
	assert_int_equal(gs_engine_output(f->eng, 0), GS_OUTPUT_BLINK);
	/* end = ack: the recovery does not switch it off. */
	fault(f->eng, t + 20 * SEC, S_DOOR, false);
	gs_engine_advance(f->eng, t + 2 * MIN);
	assert_int_equal(f->cap.n_out, 1);

	press(f->eng, t + 130 * SEC + 250, S_BUTTON, 0);
	assert_int_equal(f->cap.n_out, 2);
	assert_int_equal(f->cap.out[1].st, GS_OUTPUT_OFF);
	assert_int_equal(f->cap.out[1].t, t + 130 * SEC + 250);
	assert_true(f->cap.ev[f->cap.n_ev - 1].flags & GS_EVF_ACK);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ACK), 1);
	a = nth(&f->cap, GS_MSG_ACK, 0);
	assert_string_equal(jstr(a, "schema"), "gapsense.ack.v1");
	assert_string_equal(jstr(a, "time"), "2026-11-23T09:02:10.250Z");
	assert_string_equal(jstr(a, "alert.time"), "2026-11-23T09:00:10.000Z");
	assert_string_equal(jstr(a, "alert.type"), "sensor_fault");
	assert_string_equal(jstr(a, "alert.sensor"), "entrance");
	assert_string_equal(jstr(a, "output"), "lamp");
	assert_string_equal(jstr(a, "by"), "lamp-button");
	assert_true(jnull(a, "button"));
	assert_num(a, "response_s", 120.3); /* 120.25 half away */
	assert_num(a, "seq", 0);
	cJSON_Delete(a);
	/* Acknowledged once: another press does nothing. */
	press(f->eng, t + 140 * SEC, S_BUTTON, 0);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ACK), 1);
	assert_int_equal(f->cap.ev[f->cap.n_ev - 1].flags & GS_EVF_ACK, 0);
	fx_free(f);
}

static void test_output_hold_and_clear(void **state)
{
	struct gs_config c;
	struct fx *f;
	int64_t t = t0();

	(void)state;
	base_cfg(&c, 4);
	output_cfg(&c, "hold", 1u << GS_ALERT_SENSOR_FAULT, GS_END_HOLD);
	output_cfg(&c, "clear", 1u << GS_ALERT_SENSOR_FAULT, GS_END_CLEAR);
	/* Only the queue's alerts: the door's fault leaves it dark. */
	output_cfg(&c, "queue", 1u << GS_ALERT_SENSOR_FAULT, GS_END_CLEAR)
	    ->sensors = 1u << S_QUEUE;
	f = fx_new(&c);

	fault(f->eng, t, S_DOOR, true);
	assert_int_equal(gs_engine_output(f->eng, 0), GS_OUTPUT_ON);
	assert_int_equal(gs_engine_output(f->eng, 1), GS_OUTPUT_ON);
	assert_int_equal(gs_engine_output(f->eng, 2), GS_OUTPUT_OFF);
	/* The hold ends at its instant, however far time jumps past it; it
	 * is an engine deadline. */
	assert_int_equal(gs_engine_next_deadline(f->eng), t + 60 * SEC);
	gs_engine_advance(f->eng, t + 60 * SEC - 1);
	assert_int_equal(gs_engine_output(f->eng, 0), GS_OUTPUT_ON);
	gs_engine_advance(f->eng, t + 10 * MIN);
	assert_int_equal(gs_engine_output(f->eng, 0), GS_OUTPUT_OFF);
	assert_int_equal(f->cap.out[f->cap.n_out - 1].output, 0);
	assert_int_equal(f->cap.out[f->cap.n_out - 1].t, t + 60 * SEC);
	/* end = clear: the recovery. */
	assert_int_equal(gs_engine_output(f->eng, 1), GS_OUTPUT_ON);
	fault(f->eng, t + 11 * MIN, S_DOOR, false);
	assert_int_equal(gs_engine_output(f->eng, 1), GS_OUTPUT_OFF);
	/* Nothing was acknowledged. */
	assert_int_equal(count_kind(&f->cap, GS_MSG_ACK), 0);
	fx_free(f);
}

static void test_output_staff_button(void **state)
{
	struct gs_config c;
	struct gs_output_cfg *o;
	struct fx *f;
	int64_t t = t0();
	cJSON *a, *m;

	(void)state;
	base_cfg(&c, 4);
	o = output_cfg(&c, "lamp", 1u << GS_ALERT_SENSOR_FAULT, GS_END_ACK);
	o->ack_sensor = S_STAFF;
	o->ack_button = 3; /* very_happy */
	f = fx_new(&c);

	fault(f->eng, t, S_DOOR, true);
	/* Another staff button rates; the designated one acknowledges and
	 * does not rate; with nothing lit it rates again. */
	press(f->eng, t + 10 * SEC, S_STAFF, 2);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ACK), 0);
	press(f->eng, t + 20 * SEC, S_STAFF, 3);
	assert_int_equal(count_kind(&f->cap, GS_MSG_ACK), 1);
	a = nth(&f->cap, GS_MSG_ACK, 0);
	assert_string_equal(jstr(a, "by"), "staff");
	assert_string_equal(jstr(a, "button"), "very_happy");
	assert_num(a, "response_s", 20.0);
	cJSON_Delete(a);
	press(f->eng, t + 30 * SEC, S_STAFF, 3);
	gs_engine_advance(f->eng, t + 15 * MIN);
	m = nth(&f->cap, GS_MSG_METRICS, 0);
	assert_num(m, "staff.responses", 2); /* happy and the last very_happy */
	assert_num(m, "sensors.staff.counts.very_happy", 1);
	cJSON_Delete(m);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_message_text),
	    cmocka_unit_test(test_empty_windows_published),
	    cmocka_unit_test(test_event_on_window_boundary),
	    cmocka_unit_test(test_gap_of_windows_and_clock_flag),
	    cmocka_unit_test(test_clock_synced_sticky_per_window),
	    cmocka_unit_test(test_abandon_vs_serve_at_max_wait),
	    cmocka_unit_test(test_abandon_window_attribution),
	    cmocka_unit_test(test_unmatched_serve_and_length),
	    cmocka_unit_test(test_percentiles_and_rounding),
	    cmocka_unit_test(test_index_rounding_half_away),
	    cmocka_unit_test(test_min_responses_and_pooling),
	    cmocka_unit_test(test_quadrants),
	    cmocka_unit_test(test_occupancy_floor_and_reset),
	    cmocka_unit_test(test_dst_spring_gap),
	    cmocka_unit_test(test_dst_autumn_fold),
	    cmocka_unit_test(test_pulse_counters),
	    cmocka_unit_test(test_burst_raise_and_details),
	    cmocka_unit_test(test_burst_on_departure_exactly_w),
	    cmocka_unit_test(test_burst_rearm),
	    cmocka_unit_test(test_queue_wait_high),
	    cmocka_unit_test(test_fault_alerts),
	    cmocka_unit_test(test_finish_runs_nothing_later),
	    cmocka_unit_test(test_bad_events_ignored),
	    cmocka_unit_test(test_config_rejected),
	    cmocka_unit_test(test_staff_pooled_scales),
	    cmocka_unit_test(test_deadlines_and_stamps),
	    cmocka_unit_test(test_daily_without_traffic),
	    cmocka_unit_test(test_carry_same_window),
	    cmocka_unit_test(test_carry_changed_limits),
	    cmocka_unit_test(test_output_lit_and_acknowledged),
	    cmocka_unit_test(test_output_hold_and_clear),
	    cmocka_unit_test(test_output_staff_button),
	};

	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
