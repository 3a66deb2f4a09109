/* SPDX-License-Identifier: MIT */
#include "gateway/metrics.h"

#include <math.h>
#include <stdlib.h>

static const char *const gs_quadrant_keys[GS_QUADRANT_COUNT_] = {
    [GS_QUADRANT_ALIGNED_GOOD] = "aligned_good",
    [GS_QUADRANT_ALIGNED_BAD] = "aligned_bad",
    [GS_QUADRANT_PERCEPTION_LAG] = "perception_lag",
    [GS_QUADRANT_GOODWILL] = "goodwill",
    [GS_QUADRANT_NONE] = "none",
};

enum gs_quadrant gs_quadrant_of(struct gs_frac perceived, struct gs_frac actual,
                                double threshold)
{
	bool p, a;

	if (gs_frac_is_null(perceived) || gs_frac_is_null(actual))
		return GS_QUADRANT_NONE;
	p = gs_frac_ge(perceived, threshold);
	a = gs_frac_ge(actual, threshold);
	if (p && a)
		return GS_QUADRANT_ALIGNED_GOOD;
	if (!p && !a)
		return GS_QUADRANT_ALIGNED_BAD;
	return a ? GS_QUADRANT_PERCEPTION_LAG : GS_QUADRANT_GOODWILL;
}

const char *gs_quadrant_key(enum gs_quadrant q)
{
	return (unsigned)q < GS_QUADRANT_COUNT_ ? gs_quadrant_keys[q] : "none";
}

const char *gs_quadrant_field(enum gs_quadrant q)
{
	return q == GS_QUADRANT_NONE ? NULL : gs_quadrant_key(q);
}

void gs_counts_add(struct gs_jb *j, cJSON *o, unsigned n_buttons,
                   const int64_t *counts)
{
	cJSON *c = gs_jb_obj(j, o, "counts");

	for (unsigned b = 0; b < n_buttons && b < GS_MAX_BUTTONS; b++)
		gs_jb_int(j, c, gs_button_name(n_buttons, b), counts[b]);
}

void gs_feedback_add(struct gs_jb *j, cJSON *root, int64_t responses,
                     int64_t misuse, unsigned n_buttons, const int64_t *counts,
                     struct gs_frac index, int64_t in)
{
	cJSON *o = gs_jb_obj(j, root, "feedback");

	gs_jb_int(j, o, "responses", responses);
	gs_jb_int(j, o, "misuse", misuse);
	gs_counts_add(j, o, n_buttons, counts);
	gs_jb_frac(j, o, "index", index);
	gs_jb_frac(j, o, "response_rate_pct", gs_frac_of(100 * responses, in));
}

void gs_staff_add(struct gs_jb *j, cJSON *root, int64_t responses,
                  struct gs_frac index)
{
	cJSON *o = gs_jb_obj(j, root, "staff");

	gs_jb_int(j, o, "responses", responses);
	gs_jb_frac(j, o, "index", index);
}

void gs_gap_add(struct gs_jb *j, cJSON *root, struct gs_frac perceived,
                struct gs_frac actual, struct gs_frac staff, double threshold)
{
	cJSON *o = gs_jb_obj(j, root, "gap");

	gs_jb_frac(j, o, "perceived", perceived);
	gs_jb_frac(j, o, "actual", actual);
	gs_jb_frac(j, o, "perceived_minus_actual",
	           gs_frac_sub(perceived, actual));
	gs_jb_frac(j, o, "staff_minus_customer", gs_frac_sub(staff, perceived));
	gs_jb_str(
	    j, o, "quadrant",
	    gs_quadrant_field(gs_quadrant_of(perceived, actual, threshold)));
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

void gs_i64_sort(int64_t *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), cmp_i64);
}

int64_t gs_nearest_rank(const int64_t *sorted, size_t n, unsigned pct)
{
	return sorted[(pct * n + 99) / 100 - 1];
}

void gs_wait_stats(int64_t *v, size_t n, struct gs_wait_stats *w)
{
	w->n = (int64_t)n;
	w->sum = w->max = w->p50 = w->p90 = 0;
	if (n == 0)
		return;
	gs_i64_sort(v, n);
	for (size_t i = 0; i < n; i++)
		w->sum += v[i];
	w->max = v[n - 1];
	w->p50 = gs_nearest_rank(v, n, 50);
	w->p90 = gs_nearest_rank(v, n, 90);
}

void gs_wait_fields_add(struct gs_jb *j, cJSON *o,
                        const struct gs_wait_stats *w, bool have)
{
	have = have && w->n > 0;
	gs_jb_frac(j, o, "wait_avg_s",
	           have ? gs_frac_of(w->sum, 1000 * w->n) : gs_frac_null);
	gs_jb_dec(j, o, "wait_p50_s", have ? gs_ms_dec(w->p50) : NAN);
	gs_jb_dec(j, o, "wait_p90_s", have ? gs_ms_dec(w->p90) : NAN);
	gs_jb_dec(j, o, "wait_max_s", have ? gs_ms_dec(w->max) : NAN);
}
