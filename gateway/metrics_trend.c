/* SPDX-License-Identifier: MIT */
/*
 * The trend over days: a pure function of the daily rollups as published
 * (their one-decimal figures, in integer tenths here), so that a cloud
 * service can recompute it from the messages (docs/metrics.md, "The
 * trend").
 */
#include "gateway/daily.h"
#include "gateway/err.h"
#include "gateway/msg.h"
#include "gateway/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GS_TENTHS_NONE INT64_MIN

struct gs_trend_day {
	int64_t start;
	int days_ago; /* 0: the day that ended */
	char day[16];
	int64_t perceived, actual; /* tenths, or GS_TENTHS_NONE */
	char quadrant[16];         /* "" when null */
};

struct gs_trend {
	int64_t start;
	struct gs_trend_day d[GS_TREND_DAYS];
	unsigned n;
};

struct gs_trend *gs_trend_new(int64_t day_start_ms)
{
	struct gs_trend *tr = calloc(1, sizeof(*tr));

	if (tr)
		tr->start = day_start_ms;
	return tr;
}

void gs_trend_free(struct gs_trend *tr)
{
	free(tr);
}

/* A decimal as parsed, or as gs_json_add_decimal() wrote it (raw text). */
static int64_t tenths_of(const cJSON *v)
{
	if (cJSON_IsRaw(v) && v->valuestring)
		return (int64_t)llround(strtod(v->valuestring, NULL) * 10.0);
	if (!cJSON_IsNumber(v))
		return GS_TENTHS_NONE;
	return (int64_t)llround(v->valuedouble * 10.0);
}

int gs_trend_add(struct gs_trend *tr, const cJSON *daily)
{
	const cJSON *schema = cJSON_GetObjectItemCaseSensitive(daily, "schema");
	const cJSON *start =
	    cJSON_GetObjectItemCaseSensitive(daily, "day_start");
	const cJSON *day = cJSON_GetObjectItemCaseSensitive(daily, "day");
	const cJSON *gap = cJSON_GetObjectItemCaseSensitive(daily, "gap");
	const cJSON *quad = cJSON_GetObjectItemCaseSensitive(gap, "quadrant");
	struct gs_trend_day e = {0};
	double ago;
	unsigned i;

	if (!cJSON_IsString(schema) ||
	    strcmp(schema->valuestring, "gapsense.daily.v1") != 0 ||
	    !cJSON_IsString(start) || !cJSON_IsString(day) ||
	    strlen(day->valuestring) >= sizeof(e.day) ||
	    gs_time_parse(start->valuestring, &e.start) != GS_OK)
		return GS_EINVAL;
	/* Days are 23 to 25 hours long: the nearest whole number of days. */
	ago = round((double)(tr->start - e.start) / (double)GS_MS_PER_DAY);
	if (ago < 0 || ago >= GS_TREND_DAYS)
		return GS_OK;
	e.days_ago = (int)ago;
	strcpy(e.day, day->valuestring);
	e.perceived =
	    tenths_of(cJSON_GetObjectItemCaseSensitive(gap, "perceived"));
	e.actual = tenths_of(cJSON_GetObjectItemCaseSensitive(gap, "actual"));
	if (cJSON_IsString(quad) &&
	    strlen(quad->valuestring) < sizeof(e.quadrant))
		strcpy(e.quadrant, quad->valuestring);
	/* Oldest first; a day given twice keeps the later copy. */
	for (i = 0; i < tr->n && tr->d[i].start < e.start; i++)
		;
	if (i < tr->n && tr->d[i].start == e.start) {
		tr->d[i] = e;
		return GS_OK;
	}
	if (tr->n == GS_TREND_DAYS)
		return GS_OK; /* cannot happen: one per day */
	memmove(&tr->d[i + 1], &tr->d[i], (tr->n - i) * sizeof(tr->d[0]));
	tr->d[i] = e;
	tr->n++;
	return GS_OK;
}

int gs_trend_add_text(struct gs_trend *tr, const char *payload)
{
	cJSON *j = cJSON_Parse(payload);
	int rc;

	if (!j)
		return GS_EINVAL;
	rc = gs_trend_add(tr, j);
	cJSON_Delete(j);
	return rc;
}

static void tb_tenths(struct gs_jb *j, cJSON *o, const char *k, int64_t t)
{
	gs_jb_dec(j, o, k, t == GS_TENTHS_NONE ? NAN : (double)t / 10.0);
}

/* A string, "" as null. */
static void tb_str(struct gs_jb *j, cJSON *o, const char *k, const char *s)
{
	gs_jb_str(j, o, k, s && *s ? s : NULL);
}

/* Average, change (newer half minus older half) and direction of one
 * series over the days younger than `days`. */
static void tb_series(struct gs_jb *b, cJSON *o, const struct gs_trend *tr,
                      unsigned days, bool perceived, const char *avg_key,
                      const char *change_key, const char *dir_key)
{
	int64_t v[GS_TREND_DAYS], sum = 0, older = 0, newer = 0;
	int64_t n = 0, h;
	const char *dir = NULL;

	for (unsigned i = 0; i < tr->n; i++) {
		int64_t x = perceived ? tr->d[i].perceived : tr->d[i].actual;

		if (tr->d[i].days_ago < (int)days && x != GS_TENTHS_NONE)
			v[n++] = x;
	}
	for (int64_t i = 0; i < n; i++)
		sum += v[i];
	h = n / 2;
	for (int64_t i = 0; i < h; i++) {
		older += v[i];
		newer += v[n - 1 - i];
	}
	gs_jb_dec(b, o, avg_key, gs_ratio_dec(sum, 10 * n));
	gs_jb_dec(b, o, change_key, gs_ratio_dec(newer - older, 10 * h));
	if (h > 0)
		dir = newer - older >= GS_TREND_DIRECTION_TENTHS * h ? "up"
		      : newer - older <= -GS_TREND_DIRECTION_TENTHS * h
		          ? "down"
		          : "flat";
	tb_str(b, o, dir_key, dir);
}

static void tb_period(struct gs_jb *b, cJSON *trend, const char *key,
                      const struct gs_trend *tr, unsigned days)
{
	cJSON *o = gs_jb_obj(b, trend, key);
	const char *lag_key = gs_quadrant_key(GS_QUADRANT_PERCEPTION_LAG);
	const char *goodwill_key = gs_quadrant_key(GS_QUADRANT_GOODWILL);
	int64_t n = 0, lag = 0, goodwill = 0;

	if (!o)
		return;
	for (unsigned i = 0; i < tr->n; i++) {
		if (tr->d[i].days_ago >= (int)days)
			continue;
		n++;
		lag += strcmp(tr->d[i].quadrant, lag_key) == 0;
		goodwill += strcmp(tr->d[i].quadrant, goodwill_key) == 0;
	}
	gs_jb_int(b, o, "days", n);
	tb_series(b, o, tr, days, true, "perceived_avg", "perceived_change",
	          "perceived_direction");
	tb_series(b, o, tr, days, false, "actual_avg", "actual_change",
	          "actual_direction");
	gs_jb_int(b, o, "perception_lag_days", lag);
	gs_jb_int(b, o, "goodwill_days", goodwill);
}

cJSON *gs_trend_build(struct gs_trend *tr)
{
	struct gs_jb b = {false};
	cJSON *trend = cJSON_CreateObject(), *days, *o;
	const struct gs_trend_day *last = tr->n ? &tr->d[tr->n - 1] : NULL;
	int64_t streak = 0;
	const char *since = NULL, *quad = NULL, *finding = NULL;

	if (!trend)
		return NULL;
	days = cJSON_AddArrayToObject(trend, "days");
	if (!days)
		b.fail = true;
	for (unsigned i = 0; days && i < tr->n; i++) {
		o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(days, o)) {
			cJSON_Delete(o);
			b.fail = true;
			break;
		}
		tb_str(&b, o, "day", tr->d[i].day);
		tb_tenths(&b, o, "perceived", tr->d[i].perceived);
		tb_tenths(&b, o, "actual", tr->d[i].actual);
		tb_str(&b, o, "quadrant", tr->d[i].quadrant);
	}
	tb_period(&b, trend, "last_7", tr, 7);
	tb_period(&b, trend, "last_28", tr, GS_TREND_DAYS);

	/* Consecutive days, back from the day that ended, in its quadrant. */
	if (last && last->days_ago == 0 && last->quadrant[0]) {
		quad = last->quadrant;
		for (unsigned i = tr->n; i-- > 0;) {
			if (tr->d[i].days_ago != (int)streak ||
			    strcmp(tr->d[i].quadrant, quad) != 0)
				break;
			since = tr->d[i].day;
			streak++;
		}
	}
	if (quad && streak >= GS_TREND_FINDING_DAYS &&
	    (strcmp(quad, gs_quadrant_key(GS_QUADRANT_PERCEPTION_LAG)) == 0 ||
	     strcmp(quad, gs_quadrant_key(GS_QUADRANT_GOODWILL)) == 0))
		finding = quad;
	o = gs_jb_obj(&b, trend, "streak");
	if (o) {
		tb_str(&b, o, "quadrant", quad);
		gs_jb_int(&b, o, "days", streak);
		tb_str(&b, o, "since", since);
	}
	tb_str(&b, trend, "finding", finding);
	if (b.fail) {
		cJSON_Delete(trend);
		return NULL;
	}
	return trend;
}
