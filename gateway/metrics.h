/* SPDX-License-Identifier: MIT */
/*
 * What a window's metrics message (engine_message.c) and the daily rollup
 * (metrics_daily.c) compute alike, so that both say the same thing the
 * same way (docs/metrics.md): the quadrant of perceived versus actual, and
 * wait statistics by nearest rank.
 */
#ifndef GS_METRICS_H
#define GS_METRICS_H

#include "gateway/frac.h"
#include "gateway/msg.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gs_quadrant {
	GS_QUADRANT_ALIGNED_GOOD,
	GS_QUADRANT_ALIGNED_BAD,
	GS_QUADRANT_PERCEPTION_LAG, /* actual good, perceived not */
	GS_QUADRANT_GOODWILL,       /* perceived good, actual not */
	GS_QUADRANT_NONE,           /* perceived or actual is null */
	GS_QUADRANT_COUNT_
};

/* Where perceived and actual stand against the gap threshold. */
enum gs_quadrant gs_quadrant_of(struct gs_frac perceived, struct gs_frac actual,
                                double threshold);
/* "aligned_good", ..., "goodwill", and "none": the daily count's keys. */
const char *gs_quadrant_key(enum gs_quadrant q);
/* The "quadrant" field's value: the key, or NULL (null) for none. */
const char *gs_quadrant_field(enum gs_quadrant q);

/* Adds "counts": {button key: count} for an n_buttons terminal. */
void gs_counts_add(struct gs_jb *j, cJSON *o, unsigned n_buttons,
                   const int64_t *counts);

/*
 * The sections a window's message and the daily rollup have alike:
 * "feedback" (the smiley terminals; response rate per entry counted in
 * `in`), "staff" and "gap" (perceived versus actual, staff versus
 * customers, the quadrant against threshold).
 */
void gs_feedback_add(struct gs_jb *j, cJSON *root, int64_t responses,
                     int64_t misuse, unsigned n_buttons, const int64_t *counts,
                     struct gs_frac index, int64_t in);
void gs_staff_add(struct gs_jb *j, cJSON *root, int64_t responses,
                  struct gs_frac index);
void gs_gap_add(struct gs_jb *j, cJSON *root, struct gs_frac perceived,
                struct gs_frac actual, struct gs_frac staff, double threshold);

/* Sorts n values in ascending order. */
void gs_i64_sort(int64_t *v, size_t n);
/* Nearest rank: the value at rank ceil(pct/100 * n) of sorted v; n > 0. */
int64_t gs_nearest_rank(const int64_t *sorted, size_t n, unsigned pct);

/* Waits (ms): how many, their sum, the largest, the median and p90; ok is
 * the caller's (how many within target). */
struct gs_wait_stats {
	int64_t n, sum, ok, max, p50, p90;
};

/* Sorts v in place and fills w but for ok; all 0 when n is 0. */
void gs_wait_stats(int64_t *v, size_t n, struct gs_wait_stats *w);
/* wait_avg_s, wait_p50_s, wait_p90_s, wait_max_s; null unless have and
 * w->n > 0. */
void gs_wait_fields_add(struct gs_jb *j, cJSON *o,
                        const struct gs_wait_stats *w, bool have);

#endif
