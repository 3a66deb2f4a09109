/* SPDX-License-Identifier: MIT */
/*
 * The day report as HTML with inline SVG. Everything is drawn on one time
 * grid, [from, to): x is proportional to time, so the perceived index, the
 * service level, the door, the queue, the quadrant strip, the alerts and
 * staff against customers line up window for window. Memory is a few
 * hundred bytes per window (a busy month of 15-minute windows is ~3,000).
 */
#include "gateway/report.h"
#include "gateway/daily.h"
#include "gateway/err.h"
#include "gateway/msg.h"
#include "gateway/timeutil.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RP_W     960.0 /* chart width, px */
#define RP_LEFT  44.0  /* room for the y labels */
#define RP_RIGHT 12.0

struct rp_win {
	int64_t start, end;
	double perc, act, staff, idx; /* NAN: null */
	int64_t in, occ, len_max, served, responses, st_responses;
	char quad[16];
};

struct rp_alert {
	int64_t t;
	char type[24], sensor[48];
	/* Its acknowledgement, if any (ack_t GS_TIME_NONE: none). */
	int64_t ack_t;
	double ack_s;
	char ack_by[48];
};

struct rp_day {
	char day[16];
	double perc, act;
	char quad[16];
};

struct rp {
	const struct gs_report_opts *o;
	FILE *f;
	struct rp_win *w;
	size_t n, cap;
	struct rp_alert *a;
	size_t n_a, cap_a;
	cJSON *last_daily; /* the newest rollup ending by `to`, for the trend */
	char site[64], gateway[64];
	bool nomem;
};

static void *rp_grow(struct rp *r, void *v, size_t *cap, size_t n, size_t sz)
{
	void *p;

	if (n < *cap)
		return v;
	p = realloc(v, (*cap ? *cap * 2 : 64) * sz);
	if (!p) {
		r->nomem = true;
		return NULL;
	}
	*cap = *cap ? *cap * 2 : 64;
	return p;
}

static double num(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void str(char *dst, size_t len, const cJSON *o, const char *a,
                const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	snprintf(dst, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static int64_t time_of(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	int64_t ms;

	if (!cJSON_IsString(v) || gs_time_parse(v->valuestring, &ms))
		return GS_TIME_NONE;
	return ms;
}

static int64_t count(double v)
{
	return isnan(v) ? 0 : (int64_t)v;
}

static void rp_on_window(void *ctx, uint64_t seq, int64_t start,
                         const char *payload)
{
	struct rp *r = ctx;
	cJSON *j = cJSON_Parse(payload);
	struct rp_win *w;

	(void)seq;
	if (!j)
		return; /* not JSON: not drawn */
	w = rp_grow(r, r->w, &r->cap, r->n, sizeof(*r->w));
	if (!w)
		goto out;
	r->w = w;
	w = &r->w[r->n++];
	w->start = start;
	w->end = time_of(j, "window_end");
	if (w->end == GS_TIME_NONE)
		w->end = start + count(num(j, "window_s", NULL)) * GS_MS_PER_S;
	w->perc = num(j, "gap", "perceived");
	w->act = num(j, "gap", "actual");
	w->staff = num(j, "staff", "index");
	w->idx = num(j, "feedback", "index");
	w->in = count(num(j, "footfall", "in"));
	w->occ = count(num(j, "footfall", "occupancy"));
	w->len_max = count(num(j, "queue", "length_max"));
	w->served = count(num(j, "queue", "served"));
	w->responses = count(num(j, "feedback", "responses"));
	w->st_responses = count(num(j, "staff", "responses"));
	str(w->quad, sizeof(w->quad), j, "gap", "quadrant");
	if (!r->site[0]) {
		str(r->site, sizeof(r->site), j, "site", NULL);
		str(r->gateway, sizeof(r->gateway), j, "gateway", NULL);
	}
out:
	cJSON_Delete(j);
}

static void rp_on_alert(void *ctx, uint64_t seq, int64_t t, const char *payload)
{
	struct rp *r = ctx;
	cJSON *j = cJSON_Parse(payload);
	struct rp_alert *a;

	(void)seq;
	if (!j)
		return;
	a = rp_grow(r, r->a, &r->cap_a, r->n_a, sizeof(*r->a));
	if (a) {
		r->a = a;
		a = &r->a[r->n_a++];
		a->t = t;
		a->ack_t = GS_TIME_NONE;
		str(a->type, sizeof(a->type), j, "type", NULL);
		str(a->sensor, sizeof(a->sensor), j, "sensor", NULL);
	}
	cJSON_Delete(j);
}

/* An acknowledgement marks the alert it names (by time, type, sensor). */
static void rp_on_ack(void *ctx, uint64_t seq, int64_t t, const char *payload)
{
	struct rp *r = ctx;
	cJSON *j = cJSON_Parse(payload);
	const cJSON *al;
	char type[24], sensor[48];
	int64_t at;

	(void)seq;
	if (!j)
		return;
	al = cJSON_GetObjectItemCaseSensitive(j, "alert");
	at = time_of(al, "time");
	str(type, sizeof(type), al, "type", NULL);
	str(sensor, sizeof(sensor), al, "sensor", NULL);
	for (size_t i = 0; i < r->n_a; i++) {
		struct rp_alert *a = &r->a[i];

		if (a->t != at || strcmp(a->type, type) != 0 ||
		    strcmp(a->sensor, sensor) != 0 || a->ack_t != GS_TIME_NONE)
			continue;
		a->ack_t = t;
		a->ack_s = num(j, "response_s", NULL);
		str(a->ack_by, sizeof(a->ack_by), j, "by", NULL);
		break;
	}
	cJSON_Delete(j);
}

static void rp_on_daily(void *ctx, uint64_t seq, int64_t start,
                        const char *payload)
{
	struct rp *r = ctx;
	cJSON *j = cJSON_Parse(payload);

	(void)seq;
	(void)start;
	if (!j)
		return;
	cJSON_Delete(r->last_daily); /* oldest first: the newest stays */
	r->last_daily = j;
}

/* ---- writing ----------------------------------------------------------- */

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, f);
		}
	}
}

enum rp_fmt { RP_HM, RP_HMS, RP_DAYMON, RP_FULL, RP_LONG, RP_LONG_TZ };

/* Local time in one of a few fixed layouts. */
static void local(int64_t ms, enum rp_fmt fmt, char *buf, size_t len)
{
	time_t s = (time_t)gs_floor_div(ms, GS_MS_PER_S);
	struct tm tm;
	size_t n = 0;

	if (localtime_r(&s, &tm)) {
		switch (fmt) {
		case RP_HM:
			n = strftime(buf, len, "%H:%M", &tm);
			break;
		case RP_HMS:
			n = strftime(buf, len, "%H:%M:%S", &tm);
			break;
		case RP_DAYMON:
			n = strftime(buf, len, "%d %b", &tm);
			break;
		case RP_FULL:
			n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
			break;
		case RP_LONG:
			n = strftime(buf, len, "%a %d %b %Y %H:%M", &tm);
			break;
		case RP_LONG_TZ:
			n = strftime(buf, len, "%a %d %b %Y %H:%M %Z", &tm);
			break;
		}
	}
	if (n == 0)
		snprintf(buf, len, "?");
}

static double rp_x(const struct rp *r, int64_t t)
{
	double span = (double)(r->o->to_ms - r->o->from_ms);

	return RP_LEFT +
	       (RP_W - RP_LEFT - RP_RIGHT) * (double)(t - r->o->from_ms) / span;
}

/* The hour ticks of the grid: every 1, 3, 6 or 24 hours by span. */
static void rp_grid(struct rp *r, double h)
{
	int64_t span = r->o->to_ms - r->o->from_ms, step = GS_MS_PER_H;
	char buf[32];

	if (span > 2 * GS_MS_PER_DAY)
		step = GS_MS_PER_DAY;
	else if (span > 26 * GS_MS_PER_H)
		step = 6 * GS_MS_PER_H;
	else if (span > 12 * GS_MS_PER_H)
		step = 3 * GS_MS_PER_H;
	for (int64_t t = gs_floor_to(r->o->from_ms, GS_MS_PER_H);
	     t <= r->o->to_ms; t += GS_MS_PER_H) {
		time_t s = (time_t)(t / GS_MS_PER_S);
		struct tm tm;

		if (t < r->o->from_ms || !localtime_r(&s, &tm))
			continue;
		/* Local hours on the grid, whatever the offset. */
		if (((int64_t)tm.tm_hour * GS_MS_PER_H) % step &&
		    step < GS_MS_PER_DAY)
			continue;
		if (step == GS_MS_PER_DAY && tm.tm_hour != 0)
			continue;
		local(t, step == GS_MS_PER_DAY ? RP_DAYMON : RP_HM, buf,
		      sizeof(buf));
		fprintf(r->f,
		        "<line class='g' x1='%.1f' y1='0' x2='%.1f' y2='%.0f'/>"
		        "<text class='t' x='%.1f' y='%.0f'>%s</text>\n",
		        rp_x(r, t), rp_x(r, t), h, rp_x(r, t), h + 13, buf);
	}
}

typedef double (*rp_get)(const struct rp_win *w);

static double get_perc(const struct rp_win *w)
{
	return w->perc;
}
static double get_act(const struct rp_win *w)
{
	return w->act;
}
static double get_staff(const struct rp_win *w)
{
	return w->staff;
}
static double get_idx(const struct rp_win *w)
{
	return w->idx;
}
static double get_occ(const struct rp_win *w)
{
	return (double)w->occ;
}
static double get_len(const struct rp_win *w)
{
	return (double)w->len_max;
}

/* One series as polylines broken at nulls, with a dot per value; y in
 * [0, top] over h px. */
static void rp_line(struct rp *r, rp_get get, double top, double h,
                    const char *cls)
{
	bool open = false;

	for (size_t i = 0; i <= r->n; i++) {
		double v = i < r->n ? get(&r->w[i]) : NAN;
		double x, y;

		if (isnan(v)) {
			if (open)
				fputs("'/>\n", r->f);
			open = false;
			continue;
		}
		x = (rp_x(r, r->w[i].start) + rp_x(r, r->w[i].end)) / 2;
		y = h - (v > top ? top : v) / top * h;
		if (!open)
			fprintf(r->f, "<polyline class='%s' points='", cls);
		fprintf(r->f, "%s%.1f,%.1f", open ? " " : "", x, y);
		open = true;
	}
	for (size_t i = 0; i < r->n; i++) {
		double v = get(&r->w[i]);

		if (!isnan(v))
			fprintf(
			    r->f,
			    "<circle class='%s' r='2' cx='%.1f' cy='%.1f'/>",
			    cls,
			    (rp_x(r, r->w[i].start) + rp_x(r, r->w[i].end)) / 2,
			    h - (v > top ? top : v) / top * h);
	}
	fputc('\n', r->f);
}

static void rp_svg_open(struct rp *r, const char *label, double h)
{
	fprintf(r->f, "<svg viewBox='0 0 %.0f %.0f' role='img' aria-label='",
	        RP_W, h + 18);
	esc(r->f, label);
	fputs("'>\n", r->f);
}

/* y labels and grid for a 0..top scale. */
static void rp_yaxis(struct rp *r, double top, double h, const char *unit)
{
	for (int k = 0; k <= 2; k++) {
		double y = h - h * k / 2;

		fprintf(
		    r->f,
		    "<line class='g' x1='%.0f' y1='%.1f' x2='%.0f' y2='%.1f'/>"
		    "<text class='y' x='%.0f' y='%.1f'>%.0f%s</text>\n",
		    RP_LEFT, y, RP_W - RP_RIGHT, y, RP_LEFT - 4, y + 4,
		    top * k / 2, unit);
	}
}

static void rp_alerts(struct rp *r, double h)
{
	char buf[32];

	for (size_t i = 0; i < r->n_a; i++) {
		const struct rp_alert *a = &r->a[i];

		local(a->t, RP_HMS, buf, sizeof(buf));
		fprintf(
		    r->f,
		    "<g class='al'><line x1='%.1f' y1='0' x2='%.1f' y2='%.0f'/>"
		    "<path d='M%.1f,-2 h10 l-5,9z'/><title>%s ",
		    rp_x(r, a->t), rp_x(r, a->t), h, rp_x(r, a->t) - 5, buf);
		esc(r->f, a->type);
		fputs(" ", r->f);
		esc(r->f, a->sensor);
		fputs("</title></g>\n", r->f);
		if (a->ack_t == GS_TIME_NONE)
			continue;
		local(a->ack_t, RP_HMS, buf, sizeof(buf));
		fprintf(r->f,
		        "<g class='ak'><line x1='%.1f' y1='0' x2='%.1f' "
		        "y2='%.0f'/><circle cx='%.1f' cy='2' r='4'/><title>"
		        "acknowledged %s by ",
		        rp_x(r, a->ack_t), rp_x(r, a->ack_t), h,
		        rp_x(r, a->ack_t), buf);
		esc(r->f, a->ack_by);
		fprintf(r->f, " after %.1f s</title></g>\n", a->ack_s);
	}
}

static const char *rp_quad_class(const char *q)
{
	static const char *const names[] = {"aligned_good", "aligned_bad",
	                                    "perception_lag", "goodwill"};
	static const char *const cls[] = {"qg", "qb", "ql", "qw"};

	for (unsigned i = 0; i < 4; i++)
		if (strcmp(q, names[i]) == 0)
			return cls[i];
	return "qn";
}

static void rp_charts(struct rp *r)
{
	double h = 180, top = 1;

	fputs("<h2>Perceived and actual</h2><p class=k><span class=cp></span>"
	      "perceived (feedback index) <span class=ca></span>actual (queue "
	      "service level, %) <span class=cth></span>threshold "
	      "<span class=cal></span>alert <span "
	      "class=cak></span>acknowledged</p>\n",
	      r->f);
	rp_svg_open(r, "perceived index and service level per window", h);
	rp_yaxis(r, 100, h, "");
	fprintf(r->f,
	        "<line class='th' x1='%.0f' y1='%.1f' x2='%.0f' y2='%.1f'/>\n",
	        RP_LEFT, h - r->o->gap_threshold / 100 * h, RP_W - RP_RIGHT,
	        h - r->o->gap_threshold / 100 * h);
	rp_grid(r, h);
	rp_line(r, get_act, 100, h, "la");
	rp_line(r, get_perc, 100, h, "lp");
	rp_alerts(r, h);
	fputs("</svg>\n", r->f);

	fputs("<h2>Quadrant of each window</h2><p class=k><span class=qg>"
	      "</span>aligned good <span class=qb></span>aligned bad "
	      "<span class=ql></span>perception lag <span class=qw></span>"
	      "goodwill <span class=qn></span>no value</p>\n",
	      r->f);
	rp_svg_open(r, "quadrant per window", 24);
	for (size_t i = 0; i < r->n; i++)
		fprintf(
		    r->f,
		    "<rect class='%s' x='%.1f' y='0' width='%.1f' height='24'>"
		    "<title>%s</title></rect>",
		    rp_quad_class(r->w[i].quad), rp_x(r, r->w[i].start),
		    rp_x(r, r->w[i].end) - rp_x(r, r->w[i].start),
		    r->w[i].quad[0] ? r->w[i].quad : "none");
	fputc('\n', r->f);
	rp_grid(r, 24);
	fputs("</svg>\n", r->f);

	for (size_t i = 0; i < r->n; i++) {
		top = fmax(top, (double)r->w[i].in);
		top = fmax(top, (double)r->w[i].occ);
		top = fmax(top, (double)r->w[i].len_max);
	}
	top = ceil(top / 2) * 2;
	fputs("<h2>Door and queue</h2><p class=k><span class=cin></span>came "
	      "in (per window) <span class=cocc></span>occupancy "
	      "<span class=clen></span>longest queue</p>\n",
	      r->f);
	rp_svg_open(r, "footfall, occupancy and queue length per window", h);
	rp_yaxis(r, top, h, "");
	for (size_t i = 0; i < r->n; i++) {
		double bh = (double)r->w[i].in / top * h;
		double x0 = rp_x(r, r->w[i].start), x1 = rp_x(r, r->w[i].end);

		if (r->w[i].in > 0)
			fprintf(
			    r->f,
			    "<rect class='bin' x='%.1f' y='%.1f' width='%.1f' "
			    "height='%.1f'/>",
			    x0 + 0.5, h - bh, fmax(x1 - x0 - 1, 0.5), bh);
	}
	fputc('\n', r->f);
	rp_grid(r, h);
	rp_line(r, get_occ, top, h, "locc");
	rp_line(r, get_len, top, h, "llen");
	rp_alerts(r, h);
	fputs("</svg>\n", r->f);

	fputs("<h2>Staff versus customers</h2><p class=k><span class=cp>"
	      "</span>customers (feedback index) <span class=cst></span>staff "
	      "(how they think customers feel)</p>\n",
	      r->f);
	rp_svg_open(r, "staff and customer index per window", h);
	rp_yaxis(r, 100, h, "");
	rp_grid(r, h);
	rp_line(r, get_idx, 100, h, "lp");
	rp_line(r, get_staff, 100, h, "lst");
	fputs("</svg>\n", r->f);
}

/* ---- summary, trend, alerts ------------------------------------------- */

static void rp_tile(struct rp *r, const char *label, double v, const char *unit)
{
	fputs("<div class=tile><b>", r->f);
	if (isnan(v))
		fputs("&ndash;", r->f);
	else if (v == floor(v) && fabs(v) < 1e9 && !*unit)
		fprintf(r->f, "%.0f", v);
	else
		fprintf(r->f, "%.1f%s", v, unit);
	fprintf(r->f, "</b><span>%s</span></div>\n", label);
}

static void rp_summary(struct rp *r)
{
	const cJSON *d = r->last_daily;
	int64_t in = 0, served = 0, resp = 0, peak = 0;
	bool whole_day = d && time_of(d, "day_start") == r->o->from_ms &&
	                 time_of(d, "day_end") == r->o->to_ms;

	for (size_t i = 0; i < r->n; i++) {
		in += r->w[i].in;
		served += r->w[i].served;
		resp += r->w[i].responses;
		if (r->w[i].occ > peak)
			peak = r->w[i].occ;
	}
	fputs("<div class=tiles>\n", r->f);
	rp_tile(r, "came in", (double)in, "");
	rp_tile(r, whole_day ? "peak occupancy" : "occupancy at most",
	        whole_day ? num(d, "footfall", "occupancy_max") : (double)peak,
	        "");
	rp_tile(r, "served at the till", (double)served, "");
	rp_tile(r, "feedback responses", (double)resp, "");
	if (whole_day) {
		rp_tile(r, "perceived (index)", num(d, "gap", "perceived"), "");
		rp_tile(r, "actual (service level)", num(d, "gap", "actual"),
		        "%");
		rp_tile(r, "wait p90", num(d, "queue", "wait_p90_s"), " s");
		rp_tile(r, "staff minus customers",
		        num(d, "gap", "staff_minus_customer"), "");
	}
	rp_tile(r, "alerts", (double)r->n_a, "");
	fputs("</div>\n", r->f);
	if (whole_day) {
		char q[24];

		str(q, sizeof(q), d, "gap", "quadrant");
		fputs("<p>The day as a whole: <b>", r->f);
		esc(r->f,
		    q[0] ? q : "no quadrant (too few responses or waits)");
		fputs("</b>.</p>\n", r->f);
	}
}

static const char *rp_finding_text(const char *f)
{
	if (strcmp(f, "perception_lag") == 0)
		return "Perception lag: the queue has been good for days in a "
		       "row, but customers still rate the visit low. The "
		       "problem is communication, not operations.";
	if (strcmp(f, "goodwill") == 0)
		return "Goodwill being spent: customers still rate the visit "
		       "well while the queue has failed them for days in a "
		       "row.";
	return NULL;
}

static void rp_period(struct rp *r, const cJSON *p, const char *name)
{
	char pd[8], ad[8];

	str(pd, sizeof(pd), p, "perceived_direction", NULL);
	str(ad, sizeof(ad), p, "actual_direction", NULL);
	fprintf(r->f, "<tr><td>%s</td><td>%.0f</td>", name,
	        num(p, "days", NULL));
	if (isnan(num(p, "perceived_avg", NULL)))
		fputs("<td>&ndash;</td>", r->f);
	else
		fprintf(r->f, "<td>%.1f</td>", num(p, "perceived_avg", NULL));
	fprintf(r->f, "<td>%s</td>", pd[0] ? pd : "&ndash;");
	if (isnan(num(p, "actual_avg", NULL)))
		fputs("<td>&ndash;</td>", r->f);
	else
		fprintf(r->f, "<td>%.1f %%</td>", num(p, "actual_avg", NULL));
	fprintf(r->f, "<td>%s</td><td>%.0f</td><td>%.0f</td></tr>\n",
	        ad[0] ? ad : "&ndash;", num(p, "perception_lag_days", NULL),
	        num(p, "goodwill_days", NULL));
}

/* Days since 1970-01-01 of "YYYY-MM-DD" (0 if malformed). */
static int64_t rp_days(const char *day)
{
	struct tm tm = {0};
	int y, m, d;

	if (sscanf(day, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return 0;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	return (int64_t)timegm(&tm) / 86400;
}

static void rp_trend(struct rp *r)
{
	const cJSON *tr =
	    cJSON_GetObjectItemCaseSensitive(r->last_daily, "trend");
	const cJSON *days = cJSON_GetObjectItemCaseSensitive(tr, "days");
	const cJSON *day;
	int n = cJSON_GetArraySize(days);
	char last[24];
	double h = 140, slot = (RP_W - RP_LEFT - RP_RIGHT) / GS_TREND_DAYS;
	char buf[24], f[24];

	fputs("<h2>The trend over days</h2>\n", r->f);
	if (!cJSON_IsArray(days) || n == 0) {
		fputs("<p>No daily rollup is stored yet: the trend starts at "
		      "the first day_start the gateway sees.</p>\n",
		      r->f);
		return;
	}
	str(buf, sizeof(buf), r->last_daily, "day", NULL);
	snprintf(last, sizeof(last), "%s", buf);
	fputs("<p class=k><span class=cp></span>perceived "
	      "<span class=ca></span>actual, per day, up to ",
	      r->f);
	esc(r->f, buf);
	fputs("</p>\n", r->f);
	rp_svg_open(r, "daily perceived and actual over 28 days", h);
	rp_yaxis(r, 100, h, "");
	fprintf(r->f,
	        "<line class='th' x1='%.0f' y1='%.1f' x2='%.0f' y2='%.1f'/>\n",
	        RP_LEFT, h - r->o->gap_threshold / 100 * h, RP_W - RP_RIGHT,
	        h - r->o->gap_threshold / 100 * h);
	cJSON_ArrayForEach(day, days)
	{
		/* The last day sits in the last slot; missing days are gaps. */
		double p = num(day, "perceived", NULL),
		       a = num(day, "actual", NULL), x;
		int64_t ago;

		str(buf, sizeof(buf), day, "day", NULL);
		ago = rp_days(last) - rp_days(buf);
		if (ago < 0 || ago >= GS_TREND_DAYS)
			continue;
		x = RP_LEFT + slot * (double)(GS_TREND_DAYS - 1 - ago) +
		    slot / 2;
		if (!isnan(a))
			fprintf(
			    r->f,
			    "<circle class='la' r='4' cx='%.1f' cy='%.1f'/>", x,
			    h - a / 100 * h);
		if (!isnan(p))
			fprintf(
			    r->f,
			    "<circle class='lp' r='4' cx='%.1f' cy='%.1f'/>", x,
			    h - p / 100 * h);
		if (ago % 7 == 0 || n <= 7)
			fprintf(
			    r->f,
			    "<text class='t' x='%.1f' y='%.0f'>%.5s</text>\n",
			    x, h + 13, buf + 5);
	}
	fputs("</svg>\n<table><tr><th>period</th><th>days</th><th>perceived"
	      "</th><th>direction</th><th>actual</th><th>direction</th><th>"
	      "perception lag days</th><th>goodwill days</th></tr>\n",
	      r->f);
	rp_period(r, cJSON_GetObjectItemCaseSensitive(tr, "last_7"),
	          "last 7 days");
	rp_period(r, cJSON_GetObjectItemCaseSensitive(tr, "last_28"),
	          "last 28 days");
	fputs("</table>\n", r->f);
	str(f, sizeof(f), tr, "finding", NULL);
	str(buf, sizeof(buf), tr, "streak", "quadrant");
	fprintf(r->f, "<p>Streak: <b>%" PRId64 "</b> day(s) in a row of ",
	        count(num(tr, "streak", "days")));
	esc(r->f, buf[0] ? buf : "no quadrant");
	fputs(".</p>\n", r->f);
	if (rp_finding_text(f))
		fprintf(r->f, "<p class=finding>%s</p>\n", rp_finding_text(f));
}

static void rp_alert_table(struct rp *r)
{
	char buf[32];

	fputs("<h2>Alerts</h2>\n", r->f);
	if (r->n_a == 0) {
		fputs("<p>No alert in this period.</p>\n", r->f);
		return;
	}
	fputs("<table><tr><th>time</th><th>alert</th><th>sensor</th>"
	      "<th>acknowledged</th></tr>\n",
	      r->f);
	for (size_t i = 0; i < r->n_a; i++) {
		const struct rp_alert *a = &r->a[i];

		local(a->t, RP_FULL, buf, sizeof(buf));
		fprintf(r->f, "<tr><td>%s</td><td>", buf);
		esc(r->f, a->type);
		fputs("</td><td>", r->f);
		esc(r->f, a->sensor);
		fputs("</td><td>", r->f);
		if (a->ack_t != GS_TIME_NONE) {
			local(a->ack_t, RP_HMS, buf, sizeof(buf));
			fprintf(r->f, "%s by ", buf);
			esc(r->f, a->ack_by);
			fprintf(r->f, " (%.1f s)", a->ack_s);
		}
		fputs("</td></tr>\n", r->f);
	}
	fputs("</table>\n", r->f);
}

static const char rp_css[] =
    "body{font:14px/1.4 system-ui,sans-serif;color:#222;margin:24px auto;"
    "max-width:1000px;padding:0 12px}h1{font-size:22px;margin:0}"
    "h2{font-size:16px;margin:22px 0 4px}svg{width:100%;height:auto;"
    "display:block;overflow:visible}.g{stroke:#e4e4e4}.t,.y{font-size:11px;"
    "fill:#666}.t{text-anchor:middle}.y{text-anchor:end}"
    "polyline{fill:none;stroke-width:2}.lp{stroke:#1f6fd1;fill:#1f6fd1}"
    ".la{stroke:#e07b00;fill:#e07b00}.lst{stroke:#8e44ad;fill:#8e44ad}"
    ".locc{stroke:#2e7d32;fill:#2e7d32}.llen{stroke:#c2185b;fill:#c2185b}"
    "polyline.lp,polyline.la,polyline.lst,polyline.locc,polyline.llen{"
    "fill:none}.bin{fill:#a5d6a7}.th{stroke:#999;stroke-dasharray:4 3}"
    ".al line{stroke:#d32f2f;stroke-width:1.5}.al path{fill:#d32f2f}"
    ".ak line{stroke:#2e7d32;stroke-dasharray:2 2}.ak circle{fill:#2e7d32}"
    "rect.qg,span.qg{fill:#43a047;background:#43a047}rect.qb,span.qb{"
    "fill:#e53935;background:#e53935}rect.ql,span.ql{fill:#1e88e5;"
    "background:#1e88e5}rect.qw,span.qw{fill:#fb8c00;background:#fb8c00}"
    "rect.qn,span.qn{fill:#eee;background:#eee}.k span{display:"
    "inline-block;width:12px;height:12px;margin:0 4px 0 12px;"
    "vertical-align:-1px}.cp{background:#1f6fd1}.ca{background:#e07b00}"
    ".cst{background:#8e44ad}.cin{background:#a5d6a7}.cocc{background:"
    "#2e7d32}.clen{background:#c2185b}.cth{background:#999}.cal{"
    "background:#d32f2f}.cak{background:#2e7d32}.tiles{display:flex;flex-wrap:"
    "wrap;gap:8px;"
    "margin:12px 0}.tile{border:1px solid #ddd;border-radius:6px;padding:"
    "6px 10px;min-width:100px}.tile b{display:block;font-size:20px}"
    ".tile span{font-size:12px;color:#666}table{border-collapse:collapse;"
    "margin:6px 0}td,th{border-bottom:1px solid #eee;padding:3px 10px;"
    "text-align:left}.finding{font-weight:bold;color:#1e4f8a}.sub{color:"
    "#666}@media print{body{margin:0;max-width:none}h2{break-after:avoid}"
    "svg{break-inside:avoid}}";

int gs_report_write(struct gs_store_reader *rd,
                    const struct gs_report_opts *opts, FILE *out,
                    size_t *n_windows)
{
	struct rp r = {.o = opts, .f = out};
	char a[40], b[40];
	int rc;

	rc = gs_store_reader_rows(rd, GS_TABLE_WINDOWS, opts->from_ms,
	                          opts->to_ms, rp_on_window, &r);
	if (rc == GS_OK)
		rc = gs_store_reader_rows(rd, GS_TABLE_ALERTS, opts->from_ms,
		                          opts->to_ms, rp_on_alert, &r);
	/* An alert's acknowledgement comes after it, maybe past `to`. */
	if (rc == GS_OK)
		rc = gs_store_reader_rows(rd, GS_TABLE_ACKS, opts->from_ms,
		                          opts->to_ms + GS_MS_PER_DAY,
		                          rp_on_ack, &r);
	if (rc == GS_OK)
		rc = gs_store_reader_rows(rd, GS_TABLE_DAILIES,
		                          opts->to_ms - (GS_TREND_DAYS + 1) *
		                                            GS_MS_PER_DAY,
		                          opts->to_ms, rp_on_daily, &r);
	if (rc == GS_OK && r.nomem)
		rc = GS_ENOMEM;
	if (rc)
		goto out;
	local(opts->from_ms, RP_LONG, a, sizeof(a));
	local(opts->to_ms, RP_LONG_TZ, b, sizeof(b));
	fprintf(out, "<!DOCTYPE html>\n<html lang=en><head><meta "
	             "charset=utf-8><meta name=viewport "
	             "content='width=device-width'><title>gapsense ");
	esc(out, opts->title);
	fprintf(out, "</title><style>%s</style></head><body>\n<h1>", rp_css);
	esc(out, r.site[0] ? r.site : "gapsense");
	fputs(" &middot; ", out);
	esc(out, r.gateway);
	fputs(" &middot; ", out);
	esc(out, opts->title);
	fprintf(out,
	        "</h1><p class=sub>%s to %s, %zu windows. Perceived "
	        "is what customers say, actual what the queue did.</p>\n",
	        a, b, r.n);
	rp_summary(&r);
	if (r.n == 0)
		fputs("<p>No window is stored for this period.</p>\n", out);
	rp_charts(&r);
	rp_trend(&r);
	rp_alert_table(&r);
	fputs("<p class=sub>Made by gapsense report from the gateway's own "
	      "store. Definitions: docs/metrics.md.</p>\n</body></html>\n",
	      out);
	if (ferror(out))
		rc = GS_EIO;
	if (n_windows)
		*n_windows = r.n;
out:
	free(r.w);
	free(r.a);
	cJSON_Delete(r.last_daily);
	return rc;
}
