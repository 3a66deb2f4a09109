/* SPDX-License-Identifier: MIT */
/*
 * The daily rollup: the engine's windows summed over one trading day. The
 * counts are the windows' own; the waits are kept (a day's p50/p90 cannot
 * be made from the windows' percentiles), and every ratio is computed from
 * integers once, when the message is built (docs/metrics.md).
 */
#include "gateway/daily.h"
#include "gateway/err.h"
#include "gateway/frac.h"
#include "gateway/metrics.h"
#include "gateway/msg.h"
#include "gateway/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	int64_t windows, quadrants[GS_QUADRANT_COUNT_];
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
	day->quadrants[(unsigned)w->quadrant < GS_QUADRANT_COUNT_
	                   ? w->quadrant
	                   : GS_QUADRANT_NONE]++;
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

/* The local date of t under the process's TZ ("2026-11-23"). */
static void local_date(int64_t t, char buf[16])
{
	time_t s = (time_t)gs_floor_div(t, GS_MS_PER_S);
	struct tm tm;

	if (!localtime_r(&s, &tm) || strftime(buf, 16, "%Y-%m-%d", &tm) == 0)
		strcpy(buf, "0000-00-00");
}

/* The day's ratios, exact, and what the configuration says of them. */
struct day_ratios {
	struct gs_frac perc, act, staff;
	unsigned buttons; /* of the first smiley terminal; 0 none */
	bool queue;       /* any queue sensor */
};

static void day_ratios(const struct gs_day *day, const struct gs_config *cfg,
                       struct day_ratios *r)
{
	*r = (struct day_ratios){
	    .perc = gs_frac_null, .act = gs_frac_null, .staff = gs_frac_null};
	for (unsigned i = 0; i < cfg->n_sensors; i++) {
		if (cfg->sensors[i].type == GS_SENSOR_QUEUE)
			r->queue = true;
		if (cfg->sensors[i].type == GS_SENSOR_SMILEY && !r->buttons)
			r->buttons = cfg->sensors[i].n_lines;
	}
	if (day->responses > 0 && day->responses >= (int64_t)cfg->min_responses)
		r->perc = (struct gs_frac){day->sum12, 12 * day->responses};
	if (day->st_responses > 0)
		r->staff =
		    (struct gs_frac){day->st_sum12, 12 * day->st_responses};
	if (r->queue && day->n_waits > 0)
		r->act = (struct gs_frac){100 * day->waits_ok,
		                          (int64_t)day->n_waits};
}

static void add_header(struct gs_jb *j, cJSON *root, const struct gs_day *day,
                       const struct gs_config *cfg, int64_t end_ms)
{
	char date[16];

	local_date(day->start, date);
	gs_jb_str(j, root, "schema", "gapsense.daily.v1");
	gs_jb_str(j, root, "site", cfg->site);
	gs_jb_str(j, root, "gateway", cfg->gateway_id);
	gs_jb_int(j, root, "seq", 0);
	gs_jb_str(j, root, "day", date);
	if (!gs_json_add_time(root, "day_start", day->start, false) ||
	    !gs_json_add_time(root, "day_end", end_ms, false))
		j->fail = true;
	gs_jb_int(j, root, "day_s", (end_ms - day->start) / GS_MS_PER_S);
	gs_jb_bool(j, root, "partial", day->partial);
	gs_jb_bool(j, root, "clock_synced", day->synced);
	gs_jb_bool(j, root, "historical", false);
}

static void add_footfall(struct gs_jb *j, cJSON *root, const struct gs_day *day)
{
	cJSON *o = gs_jb_obj(j, root, "footfall");

	gs_jb_int(j, o, "in", day->in);
	gs_jb_int(j, o, "out", day->out);
	gs_jb_int(j, o, "occupancy_max", day->occ_max);
}

static void add_queue(struct gs_jb *j, cJSON *root, struct gs_day *day,
                      const struct day_ratios *r)
{
	cJSON *o = gs_jb_obj(j, root, "queue");
	struct gs_wait_stats w;

	gs_jb_int(j, o, "joined", day->joined);
	gs_jb_int(j, o, "served", day->served);
	gs_jb_int(j, o, "abandoned", day->abandoned);
	gs_jb_int(j, o, "length_max", day->len_max);
	gs_wait_stats(day->waits, day->n_waits, &w);
	gs_jb_int(j, o, "waits", w.n);
	gs_wait_fields_add(j, o, &w, r->queue);
	gs_jb_frac(j, o, "service_level_pct", r->act);
}

static void add_windows(struct gs_jb *j, cJSON *root, const struct gs_day *day)
{
	cJSON *o = gs_jb_obj(j, root, "windows");

	gs_jb_int(j, o, "total", day->windows);
	for (unsigned q = 0; q < GS_QUADRANT_COUNT_; q++)
		gs_jb_int(j, o, gs_quadrant_key((enum gs_quadrant)q),
		          day->quadrants[q]);
}

/* Acknowledgements: the median by nearest rank over the first
 * GS_DAY_MAX_ACKS, as for waits. */
static void add_alerts(struct gs_jb *j, cJSON *root, struct gs_day *day)
{
	cJSON *o = gs_jb_obj(j, root, "alerts");
	size_t n =
	    day->acks < GS_DAY_MAX_ACKS ? (size_t)day->acks : GS_DAY_MAX_ACKS;

	gs_jb_int(j, o, "raised", day->alerts);
	for (size_t i = 0; i < GS_DAY_ALERT_TYPES; i++)
		gs_jb_int(j, o, gs_day_alert_types[i], day->alerts_by_type[i]);
	gs_i64_sort(day->ack_ms, n);
	gs_jb_int(j, o, "acknowledged", day->acks);
	gs_jb_dec(j, o, "ack_p50_s",
	          n ? gs_ms_dec(gs_nearest_rank(day->ack_ms, n, 50)) : NAN);
	gs_jb_dec(j, o, "ack_max_s", n ? gs_ms_dec(day->ack_max) : NAN);
}

cJSON *gs_day_build(struct gs_day *day, const struct gs_config *cfg,
                    int64_t end_ms)
{
	struct gs_jb j = {false};
	cJSON *root = cJSON_CreateObject();
	struct day_ratios r;

	day_ratios(day, cfg, &r);
	add_header(&j, root, day, cfg, end_ms);
	add_footfall(&j, root, day);
	add_queue(&j, root, day, &r);
	gs_feedback_add(&j, root, day->responses, day->misuse, r.buttons,
	                day->counts, r.perc, day->in);
	gs_staff_add(&j, root, day->st_responses, r.staff);
	gs_gap_add(&j, root, r.perc, r.act, r.staff, cfg->gap_threshold);
	add_windows(&j, root, day);
	add_alerts(&j, root, day);
	if (!cJSON_AddNullToObject(root, "trend"))
		j.fail = true;
	if (j.fail) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}
