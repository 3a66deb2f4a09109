/* SPDX-License-Identifier: MIT */
/*
 * The day: a rollup of one trading day (day_start to the next day_start,
 * local time) built from the windows the engine closes, and the trend over
 * the last 7 and 28 days built from the stored rollups. The contract of
 * every field is docs/metrics.md ("The daily rollup").
 *
 * The accumulator (struct gs_day) is fed by the engine in event time, so a
 * replay gives the same rollups every run; a window belongs to the day in
 * which it starts. The trend (struct gs_trend) is a pure function of the
 * rollups as published (one decimal), so a subscriber can recompute it.
 */
#ifndef GS_DAILY_H
#define GS_DAILY_H

#include "gateway/config.h"
#include "gateway/metrics.h"
#include "gateway/msg.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Acknowledgements a day keeps the response times of (for the median). */
#define GS_DAY_MAX_ACKS 1024
/* Days the trend looks back over (the day that ended included). */
#define GS_TREND_DAYS 28
/* Consecutive days of one quadrant that make a finding. */
#define GS_TREND_FINDING_DAYS 3
/* A change of at least this many points (tenths) is a direction. */
#define GS_TREND_DIRECTION_TENTHS 50

/* One closed window, as the engine counted it. */
struct gs_day_window {
	bool clock_synced;
	int64_t in, out, joined, served, abandoned, len_max;
	const int64_t *waits; /* the window's matched waits (ms) */
	size_t n_waits;
	int64_t waits_ok; /* of them, within their own sensor's target */
	int64_t responses, misuse, sum12;
	int64_t counts[GS_MAX_BUTTONS];
	int64_t st_responses, st_sum12;
	enum gs_quadrant quadrant; /* GS_QUADRANT_NONE when it has none */
};

struct gs_day;

/* A day starting at start_ms; partial when the gateway began observing
 * after that instant. NULL on allocation failure. */
struct gs_day *gs_day_new(int64_t start_ms, bool partial);
/* NULL-safe. */
void gs_day_free(struct gs_day *day);
/* dst becomes a copy of src (a configuration reload). GS_OK or GS_ENOMEM. */
int gs_day_copy(struct gs_day *dst, const struct gs_day *src);
/* Forgets everything: a new day from start_ms. */
void gs_day_restart(struct gs_day *day, int64_t start_ms, bool partial);
int64_t gs_day_start(const struct gs_day *day);
/* GS_OK or GS_ENOMEM (the day's waits are kept for its percentiles). */
int gs_day_add_window(struct gs_day *day, const struct gs_day_window *w);
void gs_day_add_alert(struct gs_day *day, const char *type);
/* An alert acknowledged this day, response_ms after it was raised. */
void gs_day_add_ack(struct gs_day *day, int64_t response_ms);
void gs_day_note_occupancy(struct gs_day *day, int64_t occupancy);
/*
 * The gapsense.daily.v1 message of the day ending at end_ms, with "seq" 0
 * and "trend" null for the gateway to fill in from the store. Local dates
 * use the process's TZ (the engine sets it). NULL on allocation failure.
 */
cJSON *gs_day_build(struct gs_day *day, const struct gs_config *cfg,
                    int64_t end_ms);

/* ---- the trend ------------------------------------------------------- */

struct gs_trend;

/* The trend of the day starting at day_start_ms. NULL on ENOMEM. */
struct gs_trend *gs_trend_new(int64_t day_start_ms);
void gs_trend_free(struct gs_trend *tr);
/*
 * One published daily message (its JSON text or object), any order; the
 * ones older than GS_TREND_DAYS days, or after the trend's day, are left
 * out. A payload that is not a daily message is ignored (returns
 * GS_EINVAL); GS_OK otherwise.
 */
int gs_trend_add_text(struct gs_trend *tr, const char *payload);
int gs_trend_add(struct gs_trend *tr, const cJSON *daily);
/* The "trend" object; NULL on ENOMEM. */
cJSON *gs_trend_build(struct gs_trend *tr);

#endif
