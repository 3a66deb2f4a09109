/* SPDX-License-Identifier: MIT */
/*
 * The daily rollup: the engine's windows summed over one trading day. The
 * counts are the windows' own; the waits are kept (a day's p50/p90 cannot
 * be made from the windows' percentiles), and every ratio is computed from
 * integers once, when the message is built (docs/metrics.md).
 */
#include "gateway/daily.h"
#include "gateway/err.h"
#include "gateway/msg.h"
#include "gateway/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum gs_day_quadrant {
	GS_DQ_ALIGNED_GOOD,
	GS_DQ_ALIGNED_BAD,
	GS_DQ_PERCEPTION_LAG,
	GS_DQ_GOODWILL,
	GS_DQ_NONE,
	GS_DQ_COUNT_
};

static const char *const gs_dq_names[GS_DQ_COUNT_] = {
    "aligned_good", "aligned_bad", "perception_lag", "goodwill", "none"};

/* Alert types counted by name. */
static const char *const gs_day_alert_types[] = {
    "discontent_burst", "queue_wait_high", "sensor_fault", "sensor_recovered"};
#define GS_DAY_ALERT_TYPES                                                     \
	(sizeof(gs_day_alert_types) / sizeof(gs_day_alert_types[0]))

struct gs_day {
	int64_t start;
	bool partial, synced;
	int64_t in, out, occ_max, joined, served, abandoned, len_max;
	int64_t *waits;
	size_t n_waits, cap_waits;
	int64_t waits_ok;
	int64_t responses, misuse, sum12, counts[GS_MAX_BUTTONS];
	int64_t st_responses, st_sum12;
	int64_t windows, quadrants[GS_DQ_COUNT_];
	int64_t alerts, alerts_by_type[GS_DAY_ALERT_TYPES];
	/* Acknowledgements made this day: their response times, for the
	 * median; the count and the maximum go on past the array. */
	int64_t acks, ack_max;
	int64_t ack_ms[GS_DAY_MAX_ACKS];
};

static void gs_day_zero(struct gs_day *day, int64_t start, bool partial)
{
	int64_t *waits = day->waits;
	size_t cap = day->cap_waits;

	memset(day, 0, sizeof(*day));
	day->waits = waits;
	day->cap_waits = cap;
	day->start = start;
	day->partial = partial;
	day->synced = true;
}

struct gs_day *gs_day_new(int64_t start_ms, bool partial)
{
	struct gs_day *day = calloc(1, sizeof(*day));

	if (day)
		gs_day_zero(day, start_ms, partial);
	return day;
}

void gs_day_free(struct gs_day *day)
{
	if (!day)
		return;
	free(day->waits);
	free(day);
}

static int gs_day_reserve(struct gs_day *day, size_t n)
{
	size_t cap = day->cap_waits ? day->cap_waits : 64;
	int64_t *v;

	if (n <= day->cap_waits)
		return GS_OK;
	while (cap < n)
		cap *= 2;
	v = realloc(day->waits, cap * sizeof(*v));
	if (!v)
		return GS_ENOMEM;
	day->waits = v;
	day->cap_waits = cap;
	return GS_OK;
}

int gs_day_copy(struct gs_day *dst, const struct gs_day *src)
{
	int64_t *waits;
	size_t cap;

	if (gs_day_reserve(dst, src->n_waits))
		return GS_ENOMEM;
	waits = dst->waits;
	cap = dst->cap_waits;
	*dst = *src;
	dst->waits = waits;
	dst->cap_waits = cap;
	if (src->n_waits)
		memcpy(dst->waits, src->waits, src->n_waits * sizeof(*waits));
	return GS_OK;
}

void gs_day_restart(struct gs_day *day, int64_t start_ms, bool partial)
{
	gs_day_zero(day, start_ms, partial);
}

int64_t gs_day_start(const struct gs_day *day)
{
	return day->start;
}

int gs_day_add_window(struct gs_day *day, const struct gs_day_window *w)
{
	int rc = GS_OK;
	unsigned q = GS_DQ_NONE;

	day->synced = day->synced && w->clock_synced;
	day->in += w->in;
	day->out += w->out;
	day->joined += w->joined;
	day->served += w->served;
	day->abandoned += w->abandoned;
	if (w->len_max > day->len_max)
		day->len_max = w->len_max;
	if (gs_day_reserve(day, day->n_waits + w->n_waits) == GS_OK) {
		if (w->n_waits)
			memcpy(day->waits + day->n_waits, w->waits,
			       w->n_waits * sizeof(*w->waits));
		day->n_waits += w->n_waits;
		day->waits_ok += w->waits_ok;
	} else {
		rc = GS_ENOMEM;
	}
	day->responses += w->responses;
	day->misuse += w->misuse;
	day->sum12 += w->sum12;
	for (unsigned b = 0; b < GS_MAX_BUTTONS; b++)
		day->counts[b] += w->counts[b];
	day->st_responses += w->st_responses;
	day->st_sum12 += w->st_sum12;
	day->windows++;
	for (unsigned i = 0; w->quadrant && i < GS_DQ_NONE; i++)
		if (strcmp(w->quadrant, gs_dq_names[i]) == 0)
			q = i;
	day->quadrants[q]++;
	return rc;
}

void gs_day_add_alert(struct gs_day *day, const char *type)
{
	day->alerts++;
	for (size_t i = 0; type && i < GS_DAY_ALERT_TYPES; i++)
		if (strcmp(type, gs_day_alert_types[i]) == 0)
			day->alerts_by_type[i]++;
}

void gs_day_add_ack(struct gs_day *day, int64_t response_ms)
{
	if (day->acks < GS_DAY_MAX_ACKS)
		day->ack_ms[day->acks] = response_ms;
	if (day->acks == 0 || response_ms > day->ack_max)
		day->ack_max = response_ms;
	day->acks++;
}

void gs_day_note_occupancy(struct gs_day *day, int64_t occupancy)
{
	if (occupancy > day->occ_max)
		day->occ_max = occupancy;
}

/* ---- the message ------------------------------------------------------- */

struct gs_db {
	bool fail;
};

static void db_int(struct gs_db *b, cJSON *o, const char *k, int64_t v)
{
	if (!o || !gs_json_add_int(o, k, v))
		b->fail = true;
}

static void db_dec(struct gs_db *b, cJSON *o, const char *k, double v)
{
	if (!o || !gs_json_add_decimal(o, k, v))
		b->fail = true;
}

static void db_str(struct gs_db *b, cJSON *o, const char *k, const char *s)
{
	if (!o || !(s ? cJSON_AddStringToObject(o, k, s)
	              : cJSON_AddNullToObject(o, k)))
		b->fail = true;
}

static cJSON *db_obj(struct gs_db *b, cJSON *o, const char *k)
{
	cJSON *c = o ? cJSON_AddObjectToObject(o, k) : NULL;

	if (!c)
		b->fail = true;
	return c;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The local date of t under the process's TZ ("2026-11-23"). */
static void local_date(int64_t t, char buf[16])
{
	time_t s = (time_t)gs_floor_div(t, GS_MS_PER_S);
	struct tm tm;

	if (!localtime_r(&s, &tm) || strftime(buf, 16, "%Y-%m-%d", &tm) == 0)
		strcpy(buf, "0000-00-00");
}

/* An exact ratio as a fraction of two integers; den 0 = null. */
struct gs_q {
	int64_t num, den;
};

static bool q_ge(struct gs_q a, double x)
{
	return (double)a.num >= x * (double)a.den;
}

static double q_dec(struct gs_q a)
{
	return gs_ratio_dec(a.num, a.den);
}

static double q_diff_dec(struct gs_q a, struct gs_q b)
{
	if (!a.den || !b.den)
		return NAN;
	return gs_ratio_dec(a.num * b.den - b.num * a.den, a.den * b.den);
}

static const char *q_quadrant(struct gs_q perc, struct gs_q act, double thr)
{
	bool p, a;

	if (!perc.den || !act.den)
		return NULL;
	p = q_ge(perc, thr);
	a = q_ge(act, thr);
	if (p && a)
		return gs_dq_names[GS_DQ_ALIGNED_GOOD];
	if (!p && !a)
		return gs_dq_names[GS_DQ_ALIGNED_BAD];
	return gs_dq_names[a ? GS_DQ_PERCEPTION_LAG : GS_DQ_GOODWILL];
}

static void add_waits(struct gs_db *b, cJSON *o, struct gs_day *day,
                      bool have_queue)
{
	size_t n = day->n_waits;
	int64_t sum = 0;
	bool have = have_queue && n > 0;

	if (n)
		qsort(day->waits, n, sizeof(*day->waits), cmp_i64);
	for (size_t i = 0; i < n; i++)
		sum += day->waits[i];
	db_int(b, o, "waits", (int64_t)n);
	db_dec(b, o, "wait_avg_s",
	       have ? gs_ratio_dec(sum, 1000 * (int64_t)n) : NAN);
	db_dec(b, o, "wait_p50_s",
	       have ? gs_ratio_dec(day->waits[(n + 1) / 2 - 1], 1000) : NAN);
	db_dec(b, o, "wait_p90_s",
	       have ? gs_ratio_dec(day->waits[(9 * n + 9) / 10 - 1], 1000)
	            : NAN);
	db_dec(b, o, "wait_max_s",
	       have ? gs_ratio_dec(day->waits[n - 1], 1000) : NAN);
}

/* Nearest rank as for waits, over the first GS_DAY_MAX_ACKS. */
static void add_acks(struct gs_db *b, cJSON *o, struct gs_day *day)
{
	size_t n =
	    day->acks < GS_DAY_MAX_ACKS ? (size_t)day->acks : GS_DAY_MAX_ACKS;

	if (n)
		qsort(day->ack_ms, n, sizeof(day->ack_ms[0]), cmp_i64);
	db_int(b, o, "acknowledged", day->acks);
	db_dec(b, o, "ack_p50_s",
	       n ? gs_ratio_dec(day->ack_ms[(n + 1) / 2 - 1], 1000) : NAN);
	db_dec(b, o, "ack_max_s", n ? gs_ratio_dec(day->ack_max, 1000) : NAN);
}

static unsigned smiley_buttons(const struct gs_config *cfg, bool *queue)
{
	unsigned n = 0;

	*queue = false;
	for (unsigned i = 0; i < cfg->n_sensors; i++) {
		if (cfg->sensors[i].type == GS_SENSOR_QUEUE)
			*queue = true;
		if (cfg->sensors[i].type == GS_SENSOR_SMILEY && !n)
			n = cfg->sensors[i].n_lines;
	}
	return n;
}

cJSON *gs_day_build(struct gs_day *day, const struct gs_config *cfg,
                    int64_t end_ms)
{
	struct gs_db b = {false};
	cJSON *root = cJSON_CreateObject(), *o, *c;
	char date[16];
	bool queue;
	unsigned buttons = smiley_buttons(cfg, &queue);
	struct gs_q perc = {0, 0}, act = {0, 0}, staff = {0, 0};

	if (day->responses > 0 && day->responses >= (int64_t)cfg->min_responses)
		perc = (struct gs_q){day->sum12, 12 * day->responses};
	if (day->st_responses > 0)
		staff = (struct gs_q){day->st_sum12, 12 * day->st_responses};
	if (queue && day->n_waits > 0)
		act = (struct gs_q){100 * day->waits_ok, (int64_t)day->n_waits};
	local_date(day->start, date);

	db_str(&b, root, "schema", "gapsense.daily.v1");
	db_str(&b, root, "site", cfg->site);
	db_str(&b, root, "gateway", cfg->gateway_id);
	db_int(&b, root, "seq", 0);
	db_str(&b, root, "day", date);
	if (!gs_json_add_time(root, "day_start", day->start, false) ||
	    !gs_json_add_time(root, "day_end", end_ms, false))
		b.fail = true;
	db_int(&b, root, "day_s", (end_ms - day->start) / GS_MS_PER_S);
	if (!cJSON_AddBoolToObject(root, "partial", day->partial) ||
	    !cJSON_AddBoolToObject(root, "clock_synced", day->synced) ||
	    !cJSON_AddBoolToObject(root, "historical", false))
		b.fail = true;

	o = db_obj(&b, root, "footfall");
	db_int(&b, o, "in", day->in);
	db_int(&b, o, "out", day->out);
	db_int(&b, o, "occupancy_max", day->occ_max);

	o = db_obj(&b, root, "queue");
	db_int(&b, o, "joined", day->joined);
	db_int(&b, o, "served", day->served);
	db_int(&b, o, "abandoned", day->abandoned);
	db_int(&b, o, "length_max", day->len_max);
	add_waits(&b, o, day, queue);
	db_dec(&b, o, "service_level_pct", q_dec(act));

	o = db_obj(&b, root, "feedback");
	db_int(&b, o, "responses", day->responses);
	db_int(&b, o, "misuse", day->misuse);
	c = db_obj(&b, o, "counts");
	for (unsigned k = 0; k < buttons && k < GS_MAX_BUTTONS; k++)
		db_int(&b, c, gs_button_name(buttons, k), day->counts[k]);
	db_dec(&b, o, "index", q_dec(perc));
	db_dec(&b, o, "response_rate_pct",
	       gs_ratio_dec(100 * day->responses, day->in));

	o = db_obj(&b, root, "staff");
	db_int(&b, o, "responses", day->st_responses);
	db_dec(&b, o, "index", q_dec(staff));

	o = db_obj(&b, root, "gap");
	db_dec(&b, o, "perceived", q_dec(perc));
	db_dec(&b, o, "actual", q_dec(act));
	db_dec(&b, o, "perceived_minus_actual", q_diff_dec(perc, act));
	db_dec(&b, o, "staff_minus_customer", q_diff_dec(staff, perc));
	db_str(&b, o, "quadrant", q_quadrant(perc, act, cfg->gap_threshold));

	o = db_obj(&b, root, "windows");
	db_int(&b, o, "total", day->windows);
	for (unsigned q = 0; q < GS_DQ_COUNT_; q++)
		db_int(&b, o, gs_dq_names[q], day->quadrants[q]);

	o = db_obj(&b, root, "alerts");
	db_int(&b, o, "raised", day->alerts);
	for (size_t i = 0; i < GS_DAY_ALERT_TYPES; i++)
		db_int(&b, o, gs_day_alert_types[i], day->alerts_by_type[i]);
	add_acks(&b, o, day);

	if (!cJSON_AddNullToObject(root, "trend"))
		b.fail = true;
	if (b.fail) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}
