/* SPDX-License-Identifier: MIT */
/*
 * ISO-8601 times, the one implementation that messages, commands and
 * scenario files share: formatting against the C library's calendar,
 * strict parsing, and the minute cache a scenario reader parses through.
 */
#include "gateway/err.h"
#include "gateway/timeutil.h"

#include <inttypes.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

/* What gs_time_format() writes, by gmtime_r() and snprintf(). */
static void reference_format(int64_t ms, bool millis, char *buf, size_t len)
{
	time_t t = (time_t)gs_floor_div(ms, 1000);
	struct tm tm;

	assert_non_null(gmtime_r(&t, &tm));
	if (millis)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		         tm.tm_hour, tm.tm_min, tm.tm_sec,
		         (int)(ms - gs_floor_div(ms, 1000) * 1000));
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		         tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void check_format(int64_t ms)
{
	char got[GS_TIME_STRLEN], want[64];
	int64_t back;

	for (int millis = 0; millis <= 1; millis++) {
		gs_time_format(ms, millis, got);
		reference_format(ms, millis, want, sizeof(want));
		if (strcmp(got, want) != 0)
			fail_msg("%" PRId64 ": %s, not %s", ms, got, want);
		assert_int_equal(gs_time_parse(got, &back), GS_OK);
		assert_int_equal(back, millis ? ms : gs_floor_to(ms, 1000));
	}
}

static void test_format(void **state)
{
	/* 9999-12-31T23:59:59.999Z: the last time four digits hold. */
	const int64_t last = INT64_C(253402300799999);
	uint64_t x = 88172645463325252u;
	char buf[GS_TIME_STRLEN];

	(void)state;
	check_format(0);
	check_format(INT64_C(951782400000)); /* 2000-02-29 */
	check_format(INT64_C(1795424400250));
	check_format(INT64_C(7258118399999)); /* 2199-12-31T23:59:59.999Z */
	check_format(last);
	for (int i = 0; i < 200000; i++) { /* xorshift over 1970..9999 */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		check_format((int64_t)(x % (uint64_t)last));
	}
	/* Out of four digits: clamped, as documented. */
	gs_time_format(last + 1, true, buf);
	assert_string_equal(buf, "9999-01-01T00:00:00.000Z");
	gs_time_format(-1, false, buf);
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
}

static void test_parse(void **state)
{
	static const char *const bad[] = {
	    "",
	    "2026-11-23T09:00:00",
	    "2026-11-23T09:00:00z",
	    "2026-11-23T09:00:00ZZ",
	    "2026-11-23T09:00:00.25Z",
	    "2026-11-23T09:00:00.2500Z",
	    "2026-11-23T09:00:00,250Z",
	    "2026-11-23 09:00:00Z",
	    "2026/11/23T09:00:00Z",
	    "1969-12-31T23:59:59Z",
	    "2026-13-01T00:00:00Z",
	    "2026-00-01T00:00:00Z",
	    "2026-04-31T00:00:00Z",
	    "2026-02-29T00:00:00Z",
	    "2100-02-29T00:00:00Z",
	    "2026-11-23T24:00:00Z",
	    "2026-11-23T09:60:00Z",
	    "2026-11-23T09:00:60Z",
	    "2026-11-23T09:00:0xZ",
	    "+026-11-23T09:00:00Z",
	    "2026-11-23T09:00:00.-01Z",
	};
	int64_t ms;

	(void)state;
	assert_int_equal(gs_time_parse("2026-11-23T09:00:00Z", &ms), GS_OK);
	assert_int_equal(ms, INT64_C(1795424400000));
	assert_int_equal(gs_time_parse("2026-11-23T09:00:00.250Z", &ms), GS_OK);
	assert_int_equal(ms, INT64_C(1795424400250));
	/* The end of scenario files' years (sensors/scenario.c). */
	assert_int_equal(gs_time_parse("2200-01-01T00:00:00Z", &ms), GS_OK);
	assert_int_equal(ms, INT64_C(7258118400000));
	assert_int_equal(gs_time_parse("2000-02-29T00:00:00Z", &ms), GS_OK);
	assert_int_equal(gs_time_parse("2024-02-29T00:00:00Z", &ms), GS_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (gs_time_parse(bad[i], &ms) != GS_EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
}

/* A span within a line, through the minute cache: the same answers as
 * gs_time_parse(), and the cache skips only the date, never a check. */
static void test_parse_span(void **state)
{
	static const char *const times[] = {
	    "2026-11-23T09:00:00.250Z", "2026-11-23T09:00:59.999Z",
	    "2026-11-23T09:00:07Z",     "2026-11-23T09:00:60.000Z",
	    "2026-11-23T09:00:07.2x0Z", "2026-11-23T09:00:07,250Z",
	    "2026-11-23T09:01:00.000Z", "2026-11-23T09:00:01.000Z",
	    "2026-11-23T09:00:01.000z", "2026-11-24T09:00:01.000Z",
	    "2026-02-29T09:00:01.000Z", "2026-11-24T09:00:01Z",
	};
	struct gs_time_cache cache = {0};
	char line[64];
	int64_t a, b;

	(void)state;
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		size_t n = strlen(times[i]);
		int ra = gs_time_parse(times[i], &a);
		int rb;

		/* Not NUL-terminated: the rest of a scenario line follows. */
		snprintf(line, sizeof(line), "%s,gpiochip0,GPIO17,1", times[i]);
		rb = gs_time_parse_span(line, n, &cache, &b);
		if (ra != rb || (ra == GS_OK && a != b))
			fail_msg("%s: %d/%d", times[i], ra, rb);
		rb = gs_time_parse_span(line, n, NULL, &b);
		if (ra != rb || (ra == GS_OK && a != b))
			fail_msg("%s without a cache: %d/%d", times[i], ra, rb);
	}
	assert_true(cache.valid);
	assert_int_equal(
	    gs_time_parse_span("2026-11-23T09:00:00.250Z,x", 25, &cache, &a),
	    GS_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_parse_span),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
