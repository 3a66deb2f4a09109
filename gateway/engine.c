/* SPDX-License-Identifier: MIT */
/*
 * The metrics engine (see engine.h; the contract is docs/metrics.md).
 *
 * Everything is driven by event time. The engine keeps one open window and
 * a handful of deadlines: the window's end, the next occupancy reset, the
 * oldest entry of each trailing alert window, and the oldest unmatched
 * queue entry. Before an event at t (or on advance(t)) every deadline that
 * is due is run in time order; at one instant the order is: window close,
 * then day reset and trailing-window departures, then the event itself,
 * and limits that must be *passed* (abandonment) only once time is beyond
 * them. Finding the next deadline scans the queue and smiley sensors (at
 * most GS_MAX_SENSORS), which is cheaper than keeping a heap in sync.
 *
 * Numbers are kept exact as long as possible: counts and sums of integer
 * milliseconds, and every ratio as a fraction of two integers, so that the
 * one-decimal rounding of clarification 12 happens once, on the exact
 * value, when the message is built.
 */
#include "gateway/engine.h"
#include "gateway/daily.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/outputs.h"
#include "gateway/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define GS_TIME_LIMIT (INT64_C(1) << 60) /* ms: 36 million years */

/* A growable FIFO of (time, value) pairs: trailing windows, queue entries. */
struct gs_ring_item {
	int64_t t;
	int64_t v;
};

struct gs_ring {
	struct gs_ring_item *buf;
	size_t cap; /* 0 or a power of two */
	size_t head;
	size_t len;
};

/* A growable array of waits (ms) for the open window's percentiles. */
struct gs_vec {
	int64_t *v;
	size_t len;
	size_t cap;
};

struct gs_eng_sensor {
	const struct gs_sensor_cfg *cfg; /* into gs_engine.cfg */
	unsigned n_buttons;              /* smiley, staff */

	/* Counts of the open window. */
	int64_t in, out, pulses;
	int64_t joined, served, abandoned, len_max;
	struct gs_vec waits;
	int64_t responses, misuse;
	int64_t counts[GS_MAX_BUTTONS];
	int64_t faults;

	/* State carried across windows. */
	struct gs_ring fifo;  /* queue: unmatched entries (t) */
	struct gs_ring trail; /* alert window: presses (v = negative) or
	                         matched waits (v = wait ms) */
	int64_t trail_sum;    /* negatives in trail, or sum of its waits */
	bool armed;
	int64_t false_since; /* burst: condition false since; NONE if true */
	uint32_t fault_mask;
	int64_t fault_at[GS_SENSOR_MAX_LINES];
};

struct gs_engine {
	struct gs_config cfg;
	struct gs_engine_sink sink;
	void *ctx;

	bool started, finished, clock_synced;
	/* The open window's "clock_synced": false once the clock was
	 * unsynchronised at any time during it (it may hold provisional
	 * stamps, even if a sync came before its end). */
	bool win_synced;
	int64_t now;
	int64_t win_start, win_end;
	int64_t next_reset;
	/* The day being rolled up (gateway/daily.h) and the reset ending
	 * it: its rollup goes out when the window reaching that reset
	 * closes. */
	struct gs_day *day;
	int64_t day_end;
	/* No deadline is due before this instant (a lower bound, exact after
	 * each run_until): most events skip the deadline scan. */
	int64_t due_floor;
	int64_t occupancy;
	int64_t site_len, site_len_max;
	unsigned smiley_buttons;

	struct gs_eng_sensor s[GS_MAX_SENSORS];
	unsigned n_smiley, n_queue;
	unsigned smiley_idx[GS_MAX_SENSORS];
	unsigned queue_idx[GS_MAX_SENSORS];

	/* Alert outputs ([output "NAME"]): which is on, acknowledgements. */
	struct gs_outputs *outputs;

	struct gs_vec scratch;
	struct gs_complaint bad_event;
	struct gs_complaint no_memory;
};

/* A new deadline, due at instant t (an advance to t runs it). */
static void due_note(struct gs_engine *eng, int64_t t)
{
	if (t < eng->due_floor)
		eng->due_floor = t;
}

/* ---- small containers ---------------------------------------------- */

static int ring_push(struct gs_ring *r, int64_t t, int64_t v)
{
	if (r->len == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 16;
		struct gs_ring_item *nb = malloc(ncap * sizeof(*nb));

		if (!nb)
			return -1;
		/* Unwrap into the new buffer so head starts at 0. */
		for (size_t i = 0; i < r->len; i++)
			nb[i] = r->buf[(r->head + i) & (r->cap - 1)];
		free(r->buf);
		r->buf = nb;
		r->cap = ncap;
		r->head = 0;
	}
	r->buf[(r->head + r->len) & (r->cap - 1)] =
	    (struct gs_ring_item){.t = t, .v = v};
	r->len++;
	return 0;
}

static const struct gs_ring_item *ring_front(const struct gs_ring *r)
{
	return r->len ? &r->buf[r->head] : NULL;
}

static const struct gs_ring_item *ring_at(const struct gs_ring *r, size_t i)
{
	return &r->buf[(r->head + i) & (r->cap - 1)];
}

static void ring_pop(struct gs_ring *r)
{
	r->head = (r->head + 1) & (r->cap - 1);
	r->len--;
}

static int vec_push(struct gs_vec *v, int64_t x)
{
	if (v->len == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 32;
		int64_t *nv = realloc(v->v, ncap * sizeof(*nv));

		if (!nv)
			return -1;
		v->v = nv;
		v->cap = ncap;
	}
	v->v[v->len++] = x;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* ---- exact fractions, rounded once ------------------------------------ */

/* num / den; den == 0 means "no value" (JSON null). */
struct gs_frac {
	int64_t num;
	int64_t den;
};

static const struct gs_frac gs_null = {0, 0};

static int64_t gcd64(int64_t a, int64_t b)
{
	if (a < 0)
		a = -a;
	while (b) {
		int64_t r = a % b;

		a = b;
		b = r;
	}
	return a ? a : 1;
}

static struct gs_frac frac(int64_t num, int64_t den)
{
	if (den == 0)
		return gs_null;
	if (den < 0) {
		num = -num;
		den = -den;
	}
	int64_t g = gcd64(num, den);

	return (struct gs_frac){num / g, den / g};
}

static bool frac_null(struct gs_frac f)
{
	return f.den == 0;
}

static struct gs_frac frac_sub(struct gs_frac a, struct gs_frac b)
{
	if (frac_null(a) || frac_null(b))
		return gs_null;
	return frac(a.num * b.den - b.num * a.den, a.den * b.den);
}

/* a >= x for a double threshold x (exact for integer thresholds). */
static bool frac_ge(struct gs_frac a, double x)
{
	return (double)a.num >= x * (double)a.den;
}

/*
 * The value rounded half away from zero to one decimal, computed on the
 * exact fraction, as a double that gs_json_add_decimal() prints unchanged;
 * NAN for null.
 */
static double frac_dec(struct gs_frac f)
{
	return gs_ratio_dec(f.num, f.den);
}

/* ms as seconds with one decimal. */
static double ms_dec(int64_t ms)
{
	return frac_dec(frac(ms, 1000));
}

/* ---- names ------------------------------------------------------------- */

static const char *const gs_type_names[GS_SENSOR_TYPE_COUNT_] = {
    [GS_SENSOR_BEAM_PAIR] = "beam_pair", [GS_SENSOR_PULSE] = "pulse",
    [GS_SENSOR_QUEUE] = "queue",         [GS_SENSOR_SMILEY] = "smiley",
    [GS_SENSOR_STAFF] = "staff",         [GS_SENSOR_BUTTON] = "button",
};

static const char *button_name(unsigned n_buttons, unsigned b)
{
	return gs_button_name(n_buttons, b);
}

/* What a line does, for alert details. */
static const char *line_role(const struct gs_sensor_cfg *sc, unsigned input)
{
	static const char *const beam[] = {"A", "B"};
	static const char *const queue[] = {"entry", "exit"};
	static const char *const pulse2[] = {"in", "out"};

	switch (sc->type) {
	case GS_SENSOR_BEAM_PAIR:
		return input < 2 ? beam[input] : "unknown";
	case GS_SENSOR_QUEUE:
		return input < 2 ? queue[input] : "unknown";
	case GS_SENSOR_PULSE:
		if (sc->n_lines == 1)
			return input == 0 ? "count" : "unknown";
		return input < 2 ? pulse2[input] : "unknown";
	case GS_SENSOR_SMILEY:
	case GS_SENSOR_STAFF:
		return button_name(sc->n_lines, input);
	default:
		return "unknown";
	}
}

/* Negative buttons: the lowest one on 3 buttons, the lowest two on 4-5. */
static bool button_negative(unsigned n_buttons, unsigned b)
{
	return b < (n_buttons <= 3 ? 1u : 2u);
}

/*
 * Button weight times 12: weights are 100 * b / (n - 1), and 12 is the
 * least common multiple of n - 1 for n = 3..5, so a sum of weights stays
 * an exact integer.
 */
static int64_t button_weight12(unsigned n_buttons, unsigned b)
{
	return (int64_t)(1200 * b / (n_buttons - 1));
}

/* ---- JSON building with one failure flag ------------------------------- */

struct jb {
	bool fail;
};

static cJSON *jb_obj(struct jb *j, cJSON *parent, const char *name)
{
	cJSON *o = cJSON_AddObjectToObject(parent, name);

	if (!o)
		j->fail = true;
	return o;
}

static void jb_int(struct jb *j, cJSON *o, const char *name, int64_t v)
{
	if (!gs_json_add_int(o, name, v))
		j->fail = true;
}

static void jb_dec(struct jb *j, cJSON *o, const char *name, double v)
{
	if (!gs_json_add_decimal(o, name, v))
		j->fail = true;
}

static void jb_frac(struct jb *j, cJSON *o, const char *name, struct gs_frac f)
{
	jb_dec(j, o, name, frac_dec(f));
}

static void jb_str(struct jb *j, cJSON *o, const char *name, const char *s)
{
	if (!(s ? cJSON_AddStringToObject(o, name, s)
	        : cJSON_AddNullToObject(o, name)))
		j->fail = true;
}

static void jb_bool(struct jb *j, cJSON *o, const char *name, bool v)
{
	if (!cJSON_AddBoolToObject(o, name, v))
		j->fail = true;
}

static void jb_time(struct jb *j, cJSON *o, const char *name, int64_t ms,
                    bool millis)
{
	if (ms == GS_TIME_NONE) {
		if (!cJSON_AddNullToObject(o, name))
			j->fail = true;
	} else if (!gs_json_add_time(o, name, ms, millis)) {
		j->fail = true;
	}
}

static void publish(struct gs_engine *eng, enum gs_msg_kind kind, int64_t t,
                    int64_t window_start, cJSON *root, struct jb *j)
{
	if (j->fail || !root) {
		cJSON_Delete(root);
		gs_complain(&eng->no_memory, GS_LOG_ERR,
		            "engine: out of memory building a %s message; "
		            "it is lost",
		            gs_msg_kind_suffix(kind));
		return;
	}
	if (kind == GS_MSG_ALERT)
		gs_day_add_alert(eng->day, cJSON_GetStringValue(
		                               cJSON_GetObjectItemCaseSensitive(
		                                   root, "type")));
	eng->sink.publish(eng->ctx, kind, t, window_start, root);
}

/* ---- time zone: the daily occupancy reset ------------------------------ */

/*
 * Local time comes from glibc's localtime_r() under TZ set to the
 * configured zone. TZ is process-wide: the engine sets it when it starts
 * and checks it before each conversion (once a day), setting it again only
 * if it differs (another engine with another zone, a test). Nothing else in
 * gapsense depends on TZ. localtime_r() does not re-read TZ by itself,
 * hence tzset().
 */
static void tz_use(const char *zone)
{
	const char *want = zone[0] ? zone : "UTC";
	const char *cur = getenv("TZ");

	if (cur && strcmp(cur, want) == 0)
		return;
	if (setenv("TZ", want, 1) != 0)
		gs_log(GS_LOG_ERR,
		       "engine: cannot set TZ=%s; day resets use "
		       "the previous zone",
		       want);
	tzset();
}

static int64_t tz_offset_ms(int64_t utc_ms)
{
	time_t s = (time_t)gs_floor_div(utc_ms, GS_MS_PER_S);
	struct tm tm;

	if (!localtime_r(&s, &tm))
		return 0;
	return (int64_t)tm.tm_gmtoff * GS_MS_PER_S;
}

/*
 * UTC instant of a local wall time (ms on the local time scale). A time in
 * a spring-forward gap uses the offset before the change; one that occurs
 * twice uses the first occurrence, which is also the offset before the
 * change (clarification 10). Assumes at most one change within 36 hours.
 */
static int64_t tz_local_to_utc(int64_t local_ms)
{
	int64_t before = tz_offset_ms(local_ms - 36 * GS_MS_PER_H);
	int64_t after = tz_offset_ms(local_ms + 36 * GS_MS_PER_H);
	int64_t c1 = local_ms - before, c2 = local_ms - after;

	if (tz_offset_ms(c1) == before)
		return c1;
	if (tz_offset_ms(c2) == after)
		return c2;
	return c1; /* in the gap */
}

/* The first reset instant strictly after t. */
static int64_t next_reset_after(const struct gs_engine *eng, int64_t t)
{
	int64_t day, r = GS_TIME_NONE;

	tz_use(eng->cfg.timezone);
	day = gs_floor_to(t + tz_offset_ms(t), GS_MS_PER_DAY);
	for (int k = -1; k <= 2; k++) {
		r = tz_local_to_utc(day + k * GS_MS_PER_DAY +
		                    eng->cfg.day_start_ms);
		if (r > t)
			break;
	}
	return r;
}

static bool tz_valid(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[GS_PATH_MAX + 64];
	struct stat st;

	if (zone[0] == '\0' || strcmp(zone, "UTC") == 0)
		return true; /* glibc knows UTC without tzdata */
	if (zone[0] == '/' || strstr(zone, "..") != NULL)
		return false;
	snprintf(path, sizeof(path), "%s/%s",
	         dir && dir[0] ? dir : "/usr/share/zoneinfo", zone);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- alerts --------------------------------------------------------- */

/* An alert for the outputs; a hold it starts is a new deadline. */
static void outputs_alert(struct gs_engine *eng, int64_t t,
                          enum gs_alert_type type, unsigned sensor)
{
	gs_outputs_alert(eng->outputs, t, type, sensor);
	due_note(eng, gs_outputs_next_deadline(eng->outputs));
}

static unsigned sensor_index(const struct gs_engine *eng,
                             const struct gs_eng_sensor *s)
{
	return (unsigned)(s - eng->s);
}

/* A new alert; returns its details object (NULL on failure, in j). */
static cJSON *alert_new(struct gs_engine *eng, struct jb *j, cJSON **root,
                        int64_t t, const char *type, const char *sensor)
{
	cJSON *o = cJSON_CreateObject();

	*root = o;
	if (!o) {
		j->fail = true;
		return NULL;
	}
	jb_str(j, o, "schema", "gapsense.alert.v1");
	jb_str(j, o, "site", eng->cfg.site);
	jb_str(j, o, "gateway", eng->cfg.gateway_id);
	jb_int(j, o, "seq", 0);
	jb_time(j, o, "time", t, true);
	jb_str(j, o, "type", type);
	jb_str(j, o, "sensor", sensor);
	return jb_obj(j, o, "details");
}

static int64_t trail_total(const struct gs_eng_sensor *s)
{
	return (int64_t)s->trail.len;
}

static bool burst_condition(const struct gs_engine *eng,
                            const struct gs_eng_sensor *s)
{
	int64_t neg = s->trail_sum, total = trail_total(s);

	return total > 0 && neg >= (int64_t)eng->cfg.burst_min &&
	       (double)neg * 100.0 >= eng->cfg.burst_share_pct * (double)total;
}

static void burst_alert(struct gs_engine *eng, struct gs_eng_sensor *s,
                        int64_t t)
{
	struct jb j = {false};
	cJSON *root, *d;

	d = alert_new(eng, &j, &root, t, "discontent_burst", s->cfg->name);
	jb_int(&j, d, "negative", s->trail_sum);
	jb_int(&j, d, "presses", trail_total(s));
	jb_frac(&j, d, "negative_pct",
	        frac(100 * s->trail_sum, trail_total(s)));
	jb_time(&j, d, "first_press", ring_front(&s->trail)->t, true);
	jb_dec(&j, d, "window_s", ms_dec(eng->cfg.burst_window_ms));
	jb_int(&j, d, "burst_min", eng->cfg.burst_min);
	jb_dec(&j, d, "burst_share_pct", eng->cfg.burst_share_pct);
	publish(eng, GS_MSG_ALERT, t, -1, root, &j);
	outputs_alert(eng, t, GS_ALERT_DISCONTENT_BURST, sensor_index(eng, s));
}

/* Clarifications 13-15: evaluated whenever a press enters or leaves. */
static void burst_eval(struct gs_engine *eng, struct gs_eng_sensor *s,
                       int64_t t)
{
	bool cond = burst_condition(eng, s);

	if (!s->armed && s->false_since != GS_TIME_NONE &&
	    t - s->false_since >= eng->cfg.burst_window_ms)
		s->armed = true;
	if (cond) {
		s->false_since = GS_TIME_NONE;
		if (s->armed) {
			s->armed = false;
			burst_alert(eng, s, t);
		}
	} else if (s->false_since == GS_TIME_NONE) {
		s->false_since = t;
		gs_outputs_clear(eng->outputs, t, GS_ALERT_DISCONTENT_BURST,
		                 sensor_index(eng, s));
	}
}

static void queue_alert(struct gs_engine *eng, struct gs_eng_sensor *s,
                        int64_t t)
{
	struct jb j = {false};
	cJSON *root, *d;
	int64_t max = 0;

	for (size_t i = 0; i < s->trail.len; i++)
		if (ring_at(&s->trail, i)->v > max)
			max = ring_at(&s->trail, i)->v;
	d = alert_new(eng, &j, &root, t, "queue_wait_high", s->cfg->name);
	jb_frac(&j, d, "wait_avg_s", frac(s->trail_sum, 1000 * trail_total(s)));
	jb_dec(&j, d, "wait_max_s", ms_dec(max));
	jb_int(&j, d, "waits", trail_total(s));
	jb_dec(&j, d, "target_wait_s", ms_dec(s->cfg->target_wait_ms));
	jb_dec(&j, d, "window_s", ms_dec(eng->cfg.queue_alert_window_ms));
	publish(eng, GS_MSG_ALERT, t, -1, root, &j);
	outputs_alert(eng, t, GS_ALERT_QUEUE_WAIT_HIGH, sensor_index(eng, s));
}

/* Clarification 16: strict both ways; no wait in the window: neither. */
static void queue_eval(struct gs_engine *eng, struct gs_eng_sensor *s,
                       int64_t t)
{
	int64_t n = trail_total(s), sum = s->trail_sum;
	int64_t target = s->cfg->target_wait_ms;

	if (n == 0)
		return;
	if (s->armed && sum > target * n) {
		s->armed = false;
		queue_alert(eng, s, t);
	} else if (!s->armed && (double)sum * 100.0 < eng->cfg.queue_rearm_pct *
	                                                  (double)target *
	                                                  (double)n) {
		s->armed = true;
		gs_outputs_clear(eng->outputs, t, GS_ALERT_QUEUE_WAIT_HIGH,
		                 sensor_index(eng, s));
	}
}

static void fault_alert(struct gs_engine *eng, struct gs_eng_sensor *s,
                        const struct gs_event *ev, bool fault)
{
	struct jb j = {false};
	cJSON *root, *d;
	const struct gs_sensor_cfg *sc = s->cfg;
	unsigned in = ev->input;
	int64_t since = GS_TIME_NONE;

	if (fault)
		since = ev->t_ms - sc->fault_ms;
	else if (s->fault_at[in] != GS_TIME_NONE)
		since = s->fault_at[in] - sc->fault_ms;
	d = alert_new(eng, &j, &root, ev->t_ms,
	              fault ? "sensor_fault" : "sensor_recovered", sc->name);
	jb_str(&j, d, "line", sc->lines[in]);
	jb_str(&j, d, "role", line_role(sc, in));
	jb_time(&j, d, "active_since", since, true);
	if (fault)
		jb_dec(&j, d, "limit_s", ms_dec(sc->fault_ms));
	else
		jb_dec(&j, d, "active_s",
		       since == GS_TIME_NONE ? NAN : ms_dec(ev->t_ms - since));
	publish(eng, GS_MSG_ALERT, ev->t_ms, -1, root, &j);
}

/* ---- the metrics message ---------------------------------------------- */

struct wait_stats {
	int64_t n, sum, ok, max, p50, p90;
};

/* Sorts v in place. Nearest rank: the value at rank ceil(p/100 * n). */
static void wait_stats(int64_t *v, size_t n, struct wait_stats *w)
{
	w->n = (int64_t)n;
	w->sum = w->max = w->p50 = w->p90 = 0;
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_i64);
	for (size_t i = 0; i < n; i++)
		w->sum += v[i];
	w->max = v[n - 1];
	w->p50 = v[(n + 1) / 2 - 1];
	w->p90 = v[(9 * n + 9) / 10 - 1];
}

static void add_wait_fields(struct jb *j, cJSON *o, const struct wait_stats *w,
                            bool have)
{
	have = have && w->n > 0;
	jb_frac(j, o, "wait_avg_s", have ? frac(w->sum, 1000 * w->n) : gs_null);
	jb_dec(j, o, "wait_p50_s", have ? ms_dec(w->p50) : NAN);
	jb_dec(j, o, "wait_p90_s", have ? ms_dec(w->p90) : NAN);
	jb_dec(j, o, "wait_max_s", have ? ms_dec(w->max) : NAN);
}

static void add_counts(struct jb *j, cJSON *o, unsigned n_buttons,
                       const int64_t *counts)
{
	cJSON *c = jb_obj(j, o, "counts");

	for (unsigned b = 0; b < n_buttons && b < GS_MAX_BUTTONS; b++)
		jb_int(j, c, button_name(n_buttons, b), counts[b]);
}

static struct gs_frac index_of(const struct gs_eng_sensor *s)
{
	int64_t sum12 = 0;

	for (unsigned b = 0; b < s->n_buttons; b++)
		sum12 += s->counts[b] * button_weight12(s->n_buttons, b);
	return frac(sum12, 12 * s->responses);
}

static void add_sensor(struct gs_engine *eng, struct jb *j, cJSON *sensors,
                       struct gs_eng_sensor *s, const struct wait_stats *w)
{
	const struct gs_sensor_cfg *sc = s->cfg;
	cJSON *o = jb_obj(j, sensors, sc->name);
	struct gs_frac idx;

	jb_str(j, o, "type", gs_type_names[sc->type]);
	switch (sc->type) {
	case GS_SENSOR_BEAM_PAIR:
		jb_int(j, o, "in", s->in);
		jb_int(j, o, "out", s->out);
		break;
	case GS_SENSOR_PULSE:
		jb_int(j, o, "pulses", s->pulses + s->in + s->out);
		jb_int(j, o, "in", s->in);
		jb_int(j, o, "out", s->out);
		break;
	case GS_SENSOR_QUEUE:
		jb_int(j, o, "joined", s->joined);
		jb_int(j, o, "served", s->served);
		jb_int(j, o, "abandoned", s->abandoned);
		jb_int(j, o, "length", (int64_t)s->fifo.len);
		jb_int(j, o, "length_max", s->len_max);
		jb_int(j, o, "waits", w->n);
		add_wait_fields(j, o, w, true);
		jb_dec(j, o, "target_wait_s", ms_dec(sc->target_wait_ms));
		jb_frac(j, o, "service_level_pct", frac(100 * w->ok, w->n));
		break;
	case GS_SENSOR_SMILEY:
	case GS_SENSOR_STAFF:
		jb_int(j, o, "buttons", s->n_buttons);
		jb_int(j, o, "responses", s->responses);
		jb_int(j, o, "misuse", s->misuse);
		add_counts(j, o, s->n_buttons, s->counts);
		idx = index_of(s);
		if (sc->type == GS_SENSOR_SMILEY &&
		    s->responses < (int64_t)eng->cfg.min_responses)
			idx = gs_null;
		jb_frac(j, o, "index", idx);
		break;
	default:
		break;
	}
	jb_bool(j, o, "faulted", s->fault_mask != 0);
	jb_int(j, o, "faults", s->faults);
}

static const char *quadrant(const struct gs_engine *eng, struct gs_frac perc,
                            struct gs_frac act)
{
	bool p, a;

	if (frac_null(perc) || frac_null(act))
		return NULL;
	p = frac_ge(perc, eng->cfg.gap_threshold);
	a = frac_ge(act, eng->cfg.gap_threshold);
	if (p && a)
		return "aligned_good";
	if (!p && !a)
		return "aligned_bad";
	return a ? "perception_lag" : "goodwill";
}

/* Publishes the open window [win_start, win_end), stamped t. */
static void window_publish(struct gs_engine *eng, int64_t t)
{
	struct wait_stats qw[GS_MAX_SENSORS] = {{0}}, site_w;
	struct jb j = {false};
	cJSON *root, *o, *sensors;
	int64_t in = 0, out = 0, joined = 0, served = 0, abandoned = 0;
	int64_t responses = 0, misuse = 0, counts[GS_MAX_BUTTONS] = {0};
	int64_t sum12 = 0, st_sum12 = 0, st_resp = 0, site_ok = 0;
	struct gs_frac fb_index, st_index, actual;
	int64_t first_target = -1;

	eng->scratch.len = 0;
	for (unsigned i = 0; i < eng->cfg.n_sensors; i++) {
		struct gs_eng_sensor *s = &eng->s[i];

		switch (s->cfg->type) {
		case GS_SENSOR_BEAM_PAIR:
		case GS_SENSOR_PULSE:
			in += s->in;
			out += s->out;
			break;
		case GS_SENSOR_QUEUE:
			joined += s->joined;
			served += s->served;
			abandoned += s->abandoned;
			if (first_target < 0)
				first_target = s->cfg->target_wait_ms;
			wait_stats(s->waits.v, s->waits.len, &qw[i]);
			qw[i].ok = 0;
			for (size_t k = 0; k < s->waits.len; k++) {
				if (s->waits.v[k] <= s->cfg->target_wait_ms)
					qw[i].ok++;
				if (vec_push(&eng->scratch, s->waits.v[k]))
					j.fail = true;
			}
			site_ok += qw[i].ok;
			break;
		case GS_SENSOR_SMILEY:
			responses += s->responses;
			misuse += s->misuse;
			for (unsigned b = 0; b < s->n_buttons; b++) {
				counts[b] += s->counts[b];
				sum12 += s->counts[b] *
				         button_weight12(s->n_buttons, b);
			}
			break;
		case GS_SENSOR_STAFF:
			st_resp += s->responses;
			for (unsigned b = 0; b < s->n_buttons; b++)
				st_sum12 += s->counts[b] *
				            button_weight12(s->n_buttons, b);
			break;
		default:
			break;
		}
	}
	wait_stats(eng->scratch.v, eng->scratch.len, &site_w);
	site_w.ok = site_ok;

	fb_index = responses >= (int64_t)eng->cfg.min_responses && responses > 0
	               ? frac(sum12, 12 * responses)
	               : gs_null;
	st_index = st_resp >= 1 ? frac(st_sum12, 12 * st_resp) : gs_null;
	actual = eng->n_queue ? frac(100 * site_w.ok, site_w.n) : gs_null;
	struct gs_day_window dw = {.clock_synced = eng->win_synced,
	                           .in = in,
	                           .out = out,
	                           .joined = joined,
	                           .served = served,
	                           .abandoned = abandoned,
	                           .len_max = eng->site_len_max,
	                           .waits = eng->scratch.v,
	                           .n_waits = eng->scratch.len,
	                           .waits_ok = site_ok,
	                           .responses = responses,
	                           .misuse = misuse,
	                           .sum12 = sum12,
	                           .st_responses = st_resp,
	                           .st_sum12 = st_sum12,
	                           .quadrant = quadrant(eng, fb_index, actual)};
	memcpy(dw.counts, counts, sizeof(counts));
	if (gs_day_add_window(eng->day, &dw))
		j.fail = true;

	root = cJSON_CreateObject();
	if (!root)
		j.fail = true;
	jb_str(&j, root, "schema", "gapsense.metrics.v1");
	jb_str(&j, root, "site", eng->cfg.site);
	jb_str(&j, root, "gateway", eng->cfg.gateway_id);
	jb_int(&j, root, "seq", 0);
	jb_time(&j, root, "window_start", eng->win_start, false);
	jb_time(&j, root, "window_end", eng->win_end, false);
	jb_int(&j, root, "window_s", eng->cfg.window_ms / GS_MS_PER_S);
	jb_bool(&j, root, "clock_synced", eng->win_synced);
	jb_bool(&j, root, "historical", false);

	o = jb_obj(&j, root, "footfall");
	jb_int(&j, o, "in", in);
	jb_int(&j, o, "out", out);
	jb_int(&j, o, "occupancy", eng->occupancy);

	o = jb_obj(&j, root, "queue");
	jb_int(&j, o, "joined", joined);
	jb_int(&j, o, "served", served);
	jb_int(&j, o, "abandoned", abandoned);
	jb_int(&j, o, "length_max", eng->site_len_max);
	add_wait_fields(&j, o, &site_w, eng->n_queue > 0);
	jb_dec(&j, o, "target_wait_s",
	       first_target >= 0 ? ms_dec(first_target) : NAN);
	jb_frac(&j, o, "service_level_pct", actual);

	o = jb_obj(&j, root, "feedback");
	jb_int(&j, o, "responses", responses);
	jb_int(&j, o, "misuse", misuse);
	add_counts(&j, o, eng->smiley_buttons, counts);
	jb_frac(&j, o, "index", fb_index);
	jb_frac(&j, o, "response_rate_pct", frac(100 * responses, in));

	o = jb_obj(&j, root, "staff");
	jb_int(&j, o, "responses", st_resp);
	jb_frac(&j, o, "index", st_index);

	o = jb_obj(&j, root, "gap");
	jb_frac(&j, o, "perceived", fb_index);
	jb_frac(&j, o, "actual", actual);
	jb_frac(&j, o, "perceived_minus_actual", frac_sub(fb_index, actual));
	jb_frac(&j, o, "staff_minus_customer", frac_sub(st_index, fb_index));
	jb_str(&j, o, "quadrant", quadrant(eng, fb_index, actual));

	sensors = jb_obj(&j, root, "sensors");
	for (unsigned i = 0; i < eng->cfg.n_sensors; i++)
		add_sensor(eng, &j, sensors, &eng->s[i], &qw[i]);

	publish(eng, GS_MSG_METRICS, t, eng->win_start, root, &j);
}

/* The day's rollup, once the window reaching its end has closed at t. */
static void day_close(struct gs_engine *eng, int64_t t)
{
	struct jb j = {false};
	int64_t start = gs_day_start(eng->day);
	cJSON *root;

	if (eng->win_end < eng->day_end)
		return;
	root = gs_day_build(eng->day, &eng->cfg, eng->day_end);
	gs_day_restart(eng->day, eng->day_end, false);
	eng->day_end = next_reset_after(eng, eng->day_end);
	publish(eng, GS_MSG_DAILY, t, start, root, &j);
}

/* Starts the window at start with the carried state. */
static void window_open(struct gs_engine *eng, int64_t start)
{
	eng->win_start = start;
	eng->win_end = start + eng->cfg.window_ms;
	eng->win_synced = eng->clock_synced;
	due_note(eng, eng->win_end);
	eng->site_len_max = eng->site_len;
	for (unsigned i = 0; i < eng->cfg.n_sensors; i++) {
		struct gs_eng_sensor *s = &eng->s[i];

		s->in = s->out = s->pulses = 0;
		s->joined = s->served = s->abandoned = 0;
		s->len_max = (int64_t)s->fifo.len;
		s->waits.len = 0;
		s->responses = s->misuse = s->faults = 0;
		memset(s->counts, 0, sizeof(s->counts));
	}
}

/* ---- deadlines ---------------------------------------------------------- */

enum deadline_kind {
	DL_NONE,
	DL_WINDOW,  /* at the instant */
	DL_RESET,   /* at the instant */
	DL_TRAIL,   /* at the instant: oldest entry leaves (t - W, t] */
	DL_ABANDON, /* once passed */
	DL_OUTPUT,  /* at the instant: an output's hold ends */
};

struct deadline {
	enum deadline_kind kind;
	int64_t t;
	unsigned sensor;
};

static int64_t trail_window(const struct gs_engine *eng,
                            const struct gs_eng_sensor *s)
{
	return s->cfg->type == GS_SENSOR_QUEUE ? eng->cfg.queue_alert_window_ms
	                                       : eng->cfg.burst_window_ms;
}

/*
 * The next deadline due by time t: at-instant ones at or before t, passed
 * ones strictly before t. Ties: window, reset, departures (by sensor), and
 * at the same instant passed limits come last, after that instant's events.
 */
static bool next_due(const struct gs_engine *eng, int64_t t, struct deadline *d)
{
	d->kind = DL_NONE;
	d->t = GS_TIME_NONE;
	if (eng->win_end <= t)
		*d = (struct deadline){DL_WINDOW, eng->win_end, 0};
	if (eng->next_reset <= t && eng->next_reset < d->t)
		*d = (struct deadline){DL_RESET, eng->next_reset, 0};
	for (unsigned k = 0; k < eng->n_smiley + eng->n_queue; k++) {
		unsigned i = k < eng->n_smiley
		                 ? eng->smiley_idx[k]
		                 : eng->queue_idx[k - eng->n_smiley];
		const struct gs_eng_sensor *s = &eng->s[i];
		const struct gs_ring_item *f = ring_front(&s->trail);

		if (!f)
			continue;
		int64_t due = f->t + trail_window(eng, s);

		if (due <= t &&
		    (due < d->t ||
		     (due == d->t && d->kind == DL_TRAIL && i < d->sensor)))
			*d = (struct deadline){DL_TRAIL, due, i};
	}
	for (unsigned k = 0; k < eng->n_queue; k++) {
		unsigned i = eng->queue_idx[k];
		const struct gs_ring_item *f = ring_front(&eng->s[i].fifo);

		if (!f)
			continue;
		int64_t due = f->t + eng->s[i].cfg->max_wait_ms;

		/* Strictly before t, and after every at-instant deadline
		 * of the same instant (it is later than them). */
		if (due < t && due < d->t)
			*d = (struct deadline){DL_ABANDON, due, i};
	}
	int64_t hold = gs_outputs_next_deadline(eng->outputs);

	if (hold <= t && hold < d->t)
		*d = (struct deadline){DL_OUTPUT, hold, 0};
	return d->kind != DL_NONE;
}

static void emit_event(struct gs_engine *eng, const struct gs_event *ev)
{
	if (eng->sink.event)
		eng->sink.event(eng->ctx, ev);
}

/* The oldest unmatched entry of queue sensor i gives up, stamped t. */
static void abandon_front(struct gs_engine *eng, unsigned i, int64_t t)
{
	struct gs_eng_sensor *s = &eng->s[i];
	struct gs_event ab = {
	    .t_ms = t, .sensor = (uint16_t)i, .kind = GS_EV_ABANDON};

	ring_pop(&s->fifo);
	eng->site_len--;
	s->abandoned++;
	emit_event(eng, &ab);
}

static void run_deadline(struct gs_engine *eng, const struct deadline *d)
{
	struct gs_eng_sensor *s = &eng->s[d->sensor];
	int64_t w;

	switch (d->kind) {
	case DL_WINDOW:
		window_publish(eng, d->t);
		day_close(eng, d->t);
		window_open(eng, d->t);
		break;
	case DL_RESET:
		eng->occupancy = 0;
		eng->next_reset = next_reset_after(eng, d->t);
		due_note(eng, eng->next_reset);
		break;
	case DL_TRAIL:
		/* Everything leaving at this instant goes at once, then the
		 * condition is evaluated once. */
		w = trail_window(eng, s);
		while (s->trail.len && ring_front(&s->trail)->t + w <= d->t) {
			s->trail_sum -= ring_front(&s->trail)->v;
			ring_pop(&s->trail);
		}
		if (s->cfg->type == GS_SENSOR_QUEUE)
			queue_eval(eng, s, d->t);
		else
			burst_eval(eng, s, d->t);
		break;
	case DL_ABANDON:
		abandon_front(eng, d->sensor, d->t);
		break;
	case DL_OUTPUT:
		gs_outputs_advance(eng->outputs, d->t);
		break;
	case DL_NONE:
		break;
	}
}

/* The instant at which advance() next has something to do. */
static int64_t next_instant(const struct gs_engine *eng)
{
	struct deadline d;

	if (!next_due(eng, GS_TIME_NONE - 1, &d))
		return GS_TIME_NONE;
	return d.kind == DL_ABANDON ? d.t + 1 : d.t;
}

static void run_until(struct gs_engine *eng, int64_t t)
{
	struct deadline d;

	while (next_due(eng, t, &d))
		run_deadline(eng, &d);
	eng->due_floor = next_instant(eng);
}

/* Opens the first window on the first event or advance. */
static void start(struct gs_engine *eng, int64_t t)
{
	eng->started = true;
	eng->now = t;
	window_open(eng, gs_floor_to(t, eng->cfg.window_ms));
	eng->next_reset = next_reset_after(eng, t);
	due_note(eng, eng->next_reset);
	/* The day began at the last reset at or before t (days are 23 to
	 * 25 hours long); partial unless t is that very instant. */
	int64_t day = next_reset_after(eng, t - 26 * GS_MS_PER_H);
	while (next_reset_after(eng, day) <= t)
		day = next_reset_after(eng, day);
	gs_day_restart(eng->day, day, day != t);
	eng->day_end = eng->next_reset;
}

/* Far outside any real event time: "no time yet" (INT64_MIN from a decode
 * stage that has seen nothing, GS_TIME_NONE). Never opens a window. */
static bool no_time(int64_t t)
{
	return t <= -GS_TIME_LIMIT || t >= GS_TIME_LIMIT;
}

/*
 * Moves engine time to t, never backwards: an event older than engine time
 * is placed at engine time (and complained about), while an older advance
 * is simply nothing new (run mode advances to clock - grace, which trails
 * the events). Returns false if the engine is done.
 */
static bool move_to(struct gs_engine *eng, int64_t *t, bool is_event)
{
	if (eng->finished)
		return false;
	if (!eng->started)
		start(eng, *t);
	if (*t < eng->now) {
		if (is_event)
			gs_complain(&eng->bad_event, GS_LOG_WARNING,
			            "engine: event %lld ms older than the "
			            "previous one; placed at engine time",
			            (long long)(eng->now - *t));
		*t = eng->now;
	}
	if (*t >= eng->due_floor)
		run_until(eng, *t);
	eng->now = *t;
	return true;
}

/* ---- events ------------------------------------------------------------ */

static void on_press(struct gs_engine *eng, struct gs_eng_sensor *s,
                     const struct gs_event *ev)
{
	bool neg;

	if (ev->flags & GS_EVF_MISUSE) {
		s->misuse++;
		return;
	}
	s->responses++;
	s->counts[ev->value]++;
	if (s->cfg->type != GS_SENSOR_SMILEY)
		return;
	neg = button_negative(s->n_buttons, ev->value);
	if (ring_push(&s->trail, ev->t_ms, neg)) {
		gs_complain(&eng->no_memory, GS_LOG_ERR,
		            "engine: out of memory; press left out of the "
		            "discontent window");
		return;
	}
	s->trail_sum += neg;
	due_note(eng, ev->t_ms + eng->cfg.burst_window_ms);
	burst_eval(eng, s, ev->t_ms);
}

static void on_serve(struct gs_engine *eng, struct gs_eng_sensor *s,
                     const struct gs_event *ev)
{
	const struct gs_ring_item *f = ring_front(&s->fifo);
	int64_t wait;

	s->served++;
	if (!f)
		return; /* nothing to match: served with no wait */
	wait = ev->t_ms - f->t;
	ring_pop(&s->fifo);
	eng->site_len--;
	if (vec_push(&s->waits, wait))
		gs_complain(&eng->no_memory, GS_LOG_ERR,
		            "engine: out of memory; a wait is lost");
	if (ring_push(&s->trail, ev->t_ms, wait)) {
		gs_complain(&eng->no_memory, GS_LOG_ERR,
		            "engine: out of memory; wait left out of the "
		            "queue alert window");
		return;
	}
	s->trail_sum += wait;
	due_note(eng, ev->t_ms + eng->cfg.queue_alert_window_ms);
	queue_eval(eng, s, ev->t_ms);
}

static void on_join(struct gs_engine *eng, struct gs_eng_sensor *s,
                    const struct gs_event *ev)
{
	s->joined++;
	if (ring_push(&s->fifo, ev->t_ms, 0)) {
		gs_complain(&eng->no_memory, GS_LOG_ERR,
		            "engine: out of memory; queue entry not matched");
		return;
	}
	eng->site_len++;
	due_note(eng, ev->t_ms + s->cfg->max_wait_ms + 1);
	if ((int64_t)s->fifo.len > s->len_max)
		s->len_max = (int64_t)s->fifo.len;
	if (eng->site_len > eng->site_len_max)
		eng->site_len_max = eng->site_len;
}

/* Which event kinds each sensor type produces. */
static const uint32_t gs_kinds_of_type[GS_SENSOR_TYPE_COUNT_] = {
    [GS_SENSOR_BEAM_PAIR] = 1u << GS_EV_IN | 1u << GS_EV_OUT,
    [GS_SENSOR_PULSE] = 1u << GS_EV_IN | 1u << GS_EV_OUT | 1u << GS_EV_PULSE,
    [GS_SENSOR_QUEUE] = 1u << GS_EV_JOIN | 1u << GS_EV_SERVE,
    [GS_SENSOR_SMILEY] = 1u << GS_EV_PRESS,
    [GS_SENSOR_STAFF] = 1u << GS_EV_PRESS,
    [GS_SENSOR_BUTTON] = 1u << GS_EV_PRESS,
};

static bool event_valid(const struct gs_engine *eng, const struct gs_event *ev)
{
	const struct gs_sensor_cfg *sc;

	if (ev->sensor >= eng->cfg.n_sensors || ev->kind >= GS_EV_KIND_COUNT_)
		return false;
	sc = &eng->cfg.sensors[ev->sensor];
	if (ev->kind == GS_EV_FAULT || ev->kind == GS_EV_RECOVERED)
		return ev->input < sc->n_lines;
	if (!(gs_kinds_of_type[sc->type] & (1u << ev->kind)))
		return false;
	return ev->kind != GS_EV_PRESS || ev->value < sc->n_lines;
}

void gs_engine_event(struct gs_engine *eng, const struct gs_event *ev)
{
	struct gs_event e = *ev;
	struct gs_eng_sensor *s;

	if (!event_valid(eng, ev) || no_time(ev->t_ms)) {
		gs_complain(&eng->bad_event, GS_LOG_WARNING,
		            "engine: ignored event kind %u of sensor %u: not "
		            "one that sensor produces, or no valid time",
		            ev->kind, ev->sensor);
		return;
	}
	if (!move_to(eng, &e.t_ms, true))
		return;
	s = &eng->s[e.sensor];
	/* Whether a press acknowledges is worked out here, in event time,
	 * also for a stored press a restart feeds again. */
	e.flags &= (uint8_t)~GS_EVF_ACK;
	if (e.kind == GS_EV_PRESS &&
	    gs_outputs_press(eng->outputs, e.t_ms, e.sensor, e.value))
		e.flags |= GS_EVF_ACK;
	emit_event(eng, &e);
	switch ((enum gs_event_kind)e.kind) {
	case GS_EV_IN:
		s->in++;
		eng->occupancy++;
		gs_day_note_occupancy(eng->day, eng->occupancy);
		break;
	case GS_EV_OUT:
		s->out++;
		if (eng->occupancy > 0)
			eng->occupancy--;
		break;
	case GS_EV_PULSE:
		s->pulses++;
		break;
	case GS_EV_JOIN:
		on_join(eng, s, &e);
		break;
	case GS_EV_SERVE:
		on_serve(eng, s, &e);
		break;
	case GS_EV_PRESS:
		/* A push-button only acknowledges; a terminal's press that
		 * acknowledged is not a rating. */
		if (s->cfg->type != GS_SENSOR_BUTTON && !(e.flags & GS_EVF_ACK))
			on_press(eng, s, &e);
		break;
	case GS_EV_FAULT:
		if (!(s->fault_mask & (1u << e.input)))
			s->faults++;
		s->fault_mask |= 1u << e.input;
		s->fault_at[e.input] = e.t_ms;
		fault_alert(eng, s, &e, true);
		outputs_alert(eng, e.t_ms, GS_ALERT_SENSOR_FAULT, e.sensor);
		break;
	case GS_EV_RECOVERED:
		fault_alert(eng, s, &e, false);
		s->fault_mask &= ~(1u << e.input);
		s->fault_at[e.input] = GS_TIME_NONE;
		if (!s->fault_mask)
			gs_outputs_clear(eng->outputs, e.t_ms,
			                 GS_ALERT_SENSOR_FAULT, e.sensor);
		break;
	case GS_EV_ABANDON: /* derived here, never accepted from outside */
	case GS_EV_KIND_COUNT_:
		break;
	}
}

void gs_engine_advance(struct gs_engine *eng, int64_t now_ms)
{
	if (no_time(now_ms))
		return;
	move_to(eng, &now_ms, false);
}

int64_t gs_engine_next_deadline(const struct gs_engine *eng)
{
	if (!eng->started || eng->finished)
		return GS_TIME_NONE;
	return next_instant(eng);
}

void gs_engine_finish(struct gs_engine *eng, int64_t last_ms)
{
	if (!eng->started || eng->finished || no_time(last_ms)) {
		if (eng->started && !eng->finished)
			window_publish(eng, eng->now);
		eng->finished = true;
		return;
	}
	move_to(eng, &last_ms, false);
	window_publish(eng, eng->now);
	eng->finished = true;
}

void gs_engine_set_clock_synced(struct gs_engine *eng, bool synced)
{
	eng->clock_synced = synced;
	if (!synced)
		eng->win_synced = false;
}

int64_t gs_engine_occupancy(const struct gs_engine *eng)
{
	return eng->occupancy;
}

bool gs_engine_sensor_faulted(const struct gs_engine *eng, unsigned sensor)
{
	return sensor < eng->cfg.n_sensors && eng->s[sensor].fault_mask != 0;
}

/* ---- configuration reload --------------------------------------------------
 */

static int ring_copy(struct gs_ring *dst, const struct gs_ring *src)
{
	for (size_t i = 0; i < src->len; i++) {
		const struct gs_ring_item *it = ring_at(src, i);

		if (ring_push(dst, it->t, it->v))
			return -1;
	}
	return 0;
}

static int carry_sensor(struct gs_eng_sensor *s, const struct gs_eng_sensor *o,
                        bool same_window)
{
	enum gs_sensor_type type = s->cfg->type;
	bool same_buttons = s->n_buttons == o->n_buttons;

	for (unsigned l = 0; l < s->cfg->n_lines && l < o->cfg->n_lines; l++) {
		s->fault_mask |= o->fault_mask & (1u << l);
		s->fault_at[l] = o->fault_at[l];
	}
	s->armed = o->armed;
	s->false_since = o->false_since;
	if (type == GS_SENSOR_QUEUE || type == GS_SENSOR_SMILEY) {
		if (ring_copy(&s->trail, &o->trail))
			return -1;
		s->trail_sum = o->trail_sum;
	}
	if (type == GS_SENSOR_QUEUE && ring_copy(&s->fifo, &o->fifo))
		return -1;
	s->len_max = (int64_t)s->fifo.len;
	if (!same_window)
		return 0;
	s->in = o->in;
	s->out = o->out;
	s->pulses = o->pulses;
	s->joined = o->joined;
	s->served = o->served;
	s->abandoned = o->abandoned;
	s->len_max = o->len_max;
	s->faults = o->faults;
	for (size_t k = 0; k < o->waits.len; k++)
		if (vec_push(&s->waits, o->waits.v[k]))
			return -1;
	if (same_buttons) {
		s->responses = o->responses;
		s->misuse = o->misuse;
		memcpy(s->counts, o->counts, sizeof(s->counts));
	}
	return 0;
}

/*
 * After a reload the limits may be shorter: queue entries already past the
 * new max_wait give up now, and presses or serves older than the new
 * trailing window leave it now (then the condition is looked at once).
 * Stamping them now, not in the past, keeps every output in time order.
 */
static void carry_settle(struct gs_engine *eng)
{
	int64_t t = eng->now;

	for (unsigned i = 0; i < eng->cfg.n_sensors; i++) {
		struct gs_eng_sensor *s = &eng->s[i];
		enum gs_sensor_type type = s->cfg->type;
		int64_t w;
		bool left = false;

		if (type != GS_SENSOR_QUEUE && type != GS_SENSOR_SMILEY)
			continue;
		while (type == GS_SENSOR_QUEUE && s->fifo.len &&
		       ring_front(&s->fifo)->t + s->cfg->max_wait_ms < t)
			abandon_front(eng, i, t);
		w = trail_window(eng, s);
		while (s->trail.len && ring_front(&s->trail)->t + w <= t) {
			s->trail_sum -= ring_front(&s->trail)->v;
			ring_pop(&s->trail);
			left = true;
		}
		if (left && type == GS_SENSOR_QUEUE)
			queue_eval(eng, s, t);
		else if (left)
			burst_eval(eng, s, t);
	}
}

int gs_engine_carry(struct gs_engine *eng, const struct gs_engine *old)
{
	bool same_window;

	if (eng->started || eng->finished)
		return GS_EINVAL;
	if (!old || !old->started)
		return GS_OK;
	/* A finished old engine has published its window already. */
	same_window =
	    eng->cfg.window_ms == old->cfg.window_ms && !old->finished;
	eng->clock_synced = old->clock_synced;
	/* old->now lies in old's open window, so with the same length this
	 * opens the very same window. */
	start(eng, old->now);
	if (same_window)
		eng->win_synced = old->win_synced;
	eng->occupancy = old->occupancy;
	if (gs_day_copy(eng->day, old->day))
		return GS_ENOMEM;
	for (unsigned i = 0; i < eng->cfg.n_sensors; i++) {
		struct gs_eng_sensor *s = &eng->s[i];

		for (unsigned k = 0; k < old->cfg.n_sensors; k++) {
			const struct gs_eng_sensor *o = &old->s[k];

			if (o->cfg->type != s->cfg->type ||
			    strcmp(o->cfg->name, s->cfg->name) != 0)
				continue;
			if (carry_sensor(s, o, same_window))
				return GS_ENOMEM;
			break;
		}
		if (s->cfg->type == GS_SENSOR_QUEUE)
			eng->site_len += (int64_t)s->fifo.len;
	}
	eng->site_len_max = eng->site_len;
	if (same_window && old->site_len_max > eng->site_len_max)
		eng->site_len_max = old->site_len_max;
	carry_settle(eng);
	eng->due_floor = next_instant(eng);
	return GS_OK;
}

/* ---- life cycle ---------------------------------------------------------- */

static bool config_usable(const struct gs_config *cfg)
{
	unsigned smiley = 0;

	if (cfg->window_ms <= 0 || cfg->n_sensors > GS_MAX_SENSORS) {
		gs_log(GS_LOG_ERR, "engine: invalid window or sensor count");
		return false;
	}
	if (!tz_valid(cfg->timezone)) {
		gs_log(GS_LOG_ERR, "engine: time zone '%s' not found",
		       cfg->timezone);
		return false;
	}
	for (unsigned i = 0; i < cfg->n_sensors; i++) {
		const struct gs_sensor_cfg *sc = &cfg->sensors[i];
		bool buttons =
		    sc->type == GS_SENSOR_SMILEY || sc->type == GS_SENSOR_STAFF;

		if ((unsigned)sc->type >= GS_SENSOR_TYPE_COUNT_ ||
		    sc->n_lines > GS_SENSOR_MAX_LINES ||
		    (buttons &&
		     (sc->n_lines < 3 || sc->n_lines > GS_MAX_BUTTONS))) {
			gs_log(GS_LOG_ERR,
			       "engine: sensor '%s': unusable type or lines",
			       sc->name);
			return false;
		}
		if (sc->type != GS_SENSOR_SMILEY)
			continue;
		if (smiley && smiley != sc->n_lines) {
			gs_log(GS_LOG_ERR,
			       "engine: smiley terminals of %u and %u buttons "
			       "cannot be pooled",
			       smiley, sc->n_lines);
			return false;
		}
		smiley = sc->n_lines;
	}
	for (unsigned i = 0; i < cfg->n_outputs; i++) {
		const struct gs_output_cfg *oc = &cfg->outputs[i];

		if (oc->ack_sensor >= (int)cfg->n_sensors ||
		    (oc->end == GS_END_HOLD && oc->hold_ms <= 0)) {
			gs_log(GS_LOG_ERR,
			       "engine: output '%s': unusable ack or hold",
			       oc->name);
			return false;
		}
	}
	return true;
}

static void engine_output_changed(void *ctx, unsigned output,
                                  enum gs_output_state st, int64_t t_ms)
{
	struct gs_engine *eng = ctx;

	if (eng->sink.output)
		eng->sink.output(eng->ctx, output, st, t_ms);
}

static void engine_output_ack(void *ctx, int64_t t_ms, int64_t response_ms,
                              cJSON *payload)
{
	struct gs_engine *eng = ctx;
	struct jb j = {false};

	gs_day_add_ack(eng->day, response_ms);
	publish(eng, GS_MSG_ACK, t_ms, -1, payload, &j);
}

static const struct gs_outputs_sink gs_engine_outputs_sink = {
    .changed = engine_output_changed,
    .ack = engine_output_ack,
};

enum gs_output_state gs_engine_output(const struct gs_engine *eng,
                                      unsigned output)
{
	return gs_outputs_state(eng->outputs, output);
}

struct gs_engine *gs_engine_new(const struct gs_config *cfg,
                                const struct gs_engine_sink *sink, void *ctx)
{
	struct gs_engine *eng;

	if (!config_usable(cfg))
		return NULL;
	eng = calloc(1, sizeof(*eng));
	if (!eng)
		return NULL;
	eng->cfg = *cfg;
	eng->day = gs_day_new(0, true);
	eng->outputs = gs_outputs_new(&eng->cfg, &gs_engine_outputs_sink, eng);
	if (!eng->day || !eng->outputs) {
		gs_outputs_free(eng->outputs);
		gs_day_free(eng->day);
		free(eng);
		return NULL;
	}
	tz_use(eng->cfg.timezone);
	eng->sink = *sink;
	eng->ctx = ctx;
	eng->clock_synced = true;
	eng->next_reset = GS_TIME_NONE;
	eng->due_floor = GS_TIME_NONE;
	eng->win_end = GS_TIME_NONE;
	eng->bad_event = (struct gs_complaint)GS_COMPLAINT_INIT;
	eng->no_memory = (struct gs_complaint)GS_COMPLAINT_INIT;
	for (unsigned i = 0; i < eng->cfg.n_sensors; i++) {
		struct gs_eng_sensor *s = &eng->s[i];

		s->cfg = &eng->cfg.sensors[i];
		s->armed = true;
		s->false_since = GS_TIME_NONE;
		for (unsigned k = 0; k < GS_SENSOR_MAX_LINES; k++)
			s->fault_at[k] = GS_TIME_NONE;
		switch (s->cfg->type) {
		case GS_SENSOR_SMILEY:
			eng->smiley_idx[eng->n_smiley++] = i;
			eng->smiley_buttons = s->cfg->n_lines;
			s->n_buttons = s->cfg->n_lines;
			break;
		case GS_SENSOR_STAFF:
			s->n_buttons = s->cfg->n_lines;
			break;
		case GS_SENSOR_QUEUE:
			eng->queue_idx[eng->n_queue++] = i;
			break;
		default:
			break;
		}
	}
	return eng;
}

void gs_engine_free(struct gs_engine *eng)
{
	if (!eng)
		return;
	for (unsigned i = 0; i < GS_MAX_SENSORS; i++) {
		free(eng->s[i].fifo.buf);
		free(eng->s[i].trail.buf);
		free(eng->s[i].waits.v);
	}
	free(eng->scratch.v);
	gs_day_free(eng->day);
	gs_outputs_free(eng->outputs);
	free(eng);
}
