/* SPDX-License-Identifier: MIT */
/* The trend over days (gateway/metrics_trend.c): the worked example of
 * docs/metrics.md ("The trend"), byte for byte, and its edge cases. */
#include "gateway/daily.h"
#include "gateway/err.h"
#include "gateway/msg.h"
#include "gateway/timeutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* A stored rollup with just what the trend reads. */
static void add_day(struct gs_trend *tr, const char *day, const char *start,
                    const char *perc, const char *act, const char *quad)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
	         "{\"schema\":\"gapsense.daily.v1\",\"day\":\"%s\","
	         "\"day_start\":\"%s\",\"gap\":{\"perceived\":%s,"
	         "\"actual\":%s,\"quadrant\":%s}}",
	         day, start, perc, act, quad);
	assert_int_equal(gs_trend_add_text(tr, buf), GS_OK);
}

static char *build(struct gs_trend *tr)
{
	cJSON *t = gs_trend_build(tr);
	char *s;

	assert_non_null(t);
	s = gs_json_print(t);
	assert_non_null(s);
	cJSON_Delete(t);
	return s;
}

static int64_t at(const char *iso)
{
	int64_t ms;

	assert_int_equal(gs_time_parse(iso, &ms), GS_OK);
	return ms;
}

/* docs/metrics.md: four stored days, the 21st missing (the gateway was
 * off), given out of order; the 23rd just ended. */
static void test_worked_example(void **state)
{
	(void)state;
	struct gs_trend *tr = gs_trend_new(at("2026-11-23T03:00:00Z"));
	char *s;

	assert_non_null(tr);
	add_day(tr, "2026-11-22", "2026-11-22T03:00:00Z", "60.0", "88.0",
	        "\"perception_lag\"");
	add_day(tr, "2026-11-19", "2026-11-19T03:00:00Z", "55.0", "90.0",
	        "\"perception_lag\"");
	add_day(tr, "2026-11-20", "2026-11-20T03:00:00Z", "58.0", "92.5",
	        "\"perception_lag\"");
	add_day(tr, "2026-11-23", "2026-11-23T03:00:00Z", "64.0", "91.0",
	        "\"perception_lag\"");
	/* 28 days before: outside the trend. */
	add_day(tr, "2026-10-26", "2026-10-26T03:00:00Z", "10.0", "10.0",
	        "\"aligned_bad\"");
	s = build(tr);
	assert_string_equal(
	    s, "{\"days\":["
	       "{\"day\":\"2026-11-19\",\"perceived\":55.0,\"actual\":90.0,"
	       "\"quadrant\":\"perception_lag\"},"
	       "{\"day\":\"2026-11-20\",\"perceived\":58.0,\"actual\":92.5,"
	       "\"quadrant\":\"perception_lag\"},"
	       "{\"day\":\"2026-11-22\",\"perceived\":60.0,\"actual\":88.0,"
	       "\"quadrant\":\"perception_lag\"},"
	       "{\"day\":\"2026-11-23\",\"perceived\":64.0,\"actual\":91.0,"
	       "\"quadrant\":\"perception_lag\"}],"
	       "\"last_7\":{\"days\":4,\"perceived_avg\":59.3,"
	       "\"perceived_change\":5.5,\"perceived_direction\":\"up\","
	       "\"actual_avg\":90.4,\"actual_change\":-1.8,"
	       "\"actual_direction\":\"flat\",\"perception_lag_days\":4,"
	       "\"goodwill_days\":0},"
	       "\"last_28\":{\"days\":4,\"perceived_avg\":59.3,"
	       "\"perceived_change\":5.5,\"perceived_direction\":\"up\","
	       "\"actual_avg\":90.4,\"actual_change\":-1.8,"
	       "\"actual_direction\":\"flat\",\"perception_lag_days\":4,"
	       "\"goodwill_days\":0},"
	       "\"streak\":{\"quadrant\":\"perception_lag\",\"days\":2,"
	       "\"since\":\"2026-11-22\"},\"finding\":null}");
	cJSON_free(s);
	gs_trend_free(tr);
}

/* Goodwill three days in a row across a 25-hour day is a finding; the
 * 7-day period leaves out the older days; a null value is left out of
 * the averages but the day still counts. */
static void test_goodwill_finding(void **state)
{
	(void)state;
	struct gs_trend *tr = gs_trend_new(at("2026-10-27T03:00:00Z"));
	char *s;

	assert_non_null(tr);
	add_day(tr, "2026-10-10", "2026-10-10T02:00:00Z", "90.0", "20.0",
	        "\"goodwill\"");
	add_day(tr, "2026-10-24", "2026-10-24T02:00:00Z", "80.0", "null",
	        "null");
	add_day(tr, "2026-10-25", "2026-10-25T03:00:00Z", "80.0", "50.0",
	        "\"goodwill\"");
	add_day(tr, "2026-10-26", "2026-10-26T03:00:00Z", "75.0", "40.0",
	        "\"goodwill\"");
	add_day(tr, "2026-10-27", "2026-10-27T03:00:00Z", "72.0", "30.0",
	        "\"goodwill\"");
	s = build(tr);
	assert_non_null(strstr(
	    s, "\"last_7\":{\"days\":4,\"perceived_avg\":76.8,"
	       "\"perceived_change\":-6.5,\"perceived_direction\":\"down\","
	       "\"actual_avg\":40.0,\"actual_change\":-20.0,"
	       "\"actual_direction\":\"down\",\"perception_lag_days\":0,"
	       "\"goodwill_days\":3}"));
	assert_non_null(strstr(s, "\"last_28\":{\"days\":5,"));
	assert_non_null(strstr(s, "\"streak\":{\"quadrant\":\"goodwill\","
	                          "\"days\":3,\"since\":\"2026-10-25\"},"
	                          "\"finding\":\"goodwill\"}"));
	cJSON_free(s);
	gs_trend_free(tr);
}

/* Not a rollup: refused, nothing added. No day at all: an empty trend. */
static void test_refused(void **state)
{
	(void)state;
	struct gs_trend *tr = gs_trend_new(at("2026-10-27T03:00:00Z"));
	char *s;

	assert_non_null(tr);
	assert_int_equal(gs_trend_add_text(tr, "{\"schema\":"
	                                       "\"gapsense.metrics.v1\"}"),
	                 GS_EINVAL);
	assert_int_equal(gs_trend_add_text(tr, "not json"), GS_EINVAL);
	s = build(tr);
	assert_non_null(strstr(s, "{\"days\":[],\"last_7\":{\"days\":0,"
	                          "\"perceived_avg\":null,"));
	assert_non_null(strstr(s, "\"streak\":{\"quadrant\":null,\"days\":0,"
	                          "\"since\":null},\"finding\":null}"));
	cJSON_free(s);
	gs_trend_free(tr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_worked_example),
	    cmocka_unit_test(test_goodwill_finding),
	    cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
