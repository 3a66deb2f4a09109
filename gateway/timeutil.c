/* SPDX-License-Identifier: MIT */
#include "gateway/timeutil.h"
#include "gateway/err.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int gs_boot_id_read(const char *path, char out[GS_BOOT_ID_LEN])
{
	char buf[64];
	FILE *f = fopen(path, "re");
	size_t n;
	int err;

	if (!f)
		return errno == ENOENT ? GS_ENOENT : GS_EIO;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	err = ferror(f) ? errno : 0;
	fclose(f);
	if (err) {
		errno = err;
		return GS_EIO;
	}
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n != GS_BOOT_ID_LEN - 1)
		return GS_EINVAL;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? buf[i] != '-' : !isxdigit((unsigned char)buf[i]))
			return GS_EINVAL;
	}
	memcpy(out, buf, n + 1);
	return GS_OK;
}

int64_t gs_clock_realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t gs_clock_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t gs_clock_read_realtime_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	/* Cannot fail for this clock with a valid pointer. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t gs_clock_read_monotonic_ns(void *ctx)
{
	(void)ctx;
	return gs_clock_monotonic_ns();
}

int64_t gs_time_mono_ms(const struct gs_time *t)
{
	int64_t ns = t && t->src ? t->src->now_monotonic_ns(t->ctx)
	                         : gs_clock_monotonic_ns();

	return ns / 1000000;
}

int64_t gs_time_real_ms(const struct gs_time *t)
{
	if (t && t->src)
		return gs_floor_div(t->src->now_realtime_ns(t->ctx), 1000000);
	return gs_clock_realtime_ms();
}

/* A measurement whose realtime reads are further apart was preempted. */
#define GS_CLOCK_MEASURE_NS    (100 * INT64_C(1000))
#define GS_CLOCK_MEASURE_TRIES 5

int64_t gs_clock_offset_measure(gs_clock_read_fn realtime,
                                gs_clock_read_fn monotonic, void *ctx)
{
	int64_t best = 0, best_width = INT64_MAX;

	for (int i = 0; i < GS_CLOCK_MEASURE_TRIES; i++) {
		int64_t rt1 = realtime(ctx);
		int64_t mono = monotonic(ctx);
		int64_t rt2 = realtime(ctx);
		int64_t width = rt2 - rt1;

		if (width < 0)
			continue; /* stepped backwards in between */
		if (width < best_width) {
			best_width = width;
			best = rt1 + width / 2 - mono;
		}
		if (width <= GS_CLOCK_MEASURE_NS)
			break;
	}
	if (best_width == INT64_MAX) /* stepped under every try: take one */
		best = realtime(ctx) - monotonic(ctx);
	return best;
}

int64_t gs_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static int64_t gs_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

static void gs_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Writes v as exactly n decimal digits (its last n). */
static char *gs_put_digits(char *p, unsigned v, unsigned n)
{
	for (unsigned i = n; i > 0; i--) {
		p[i - 1] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

void gs_time_format(int64_t ms, bool millis, char buf[GS_TIME_STRLEN])
{
	int64_t days = gs_floor_div(ms, GS_MS_PER_DAY);
	int64_t rem = ms - days * GS_MS_PER_DAY;
	int64_t y;
	unsigned mo, d;
	char *p = buf;

	gs_civil_from_days(days, &y, &mo, &d);
	/* ISO-8601 has four year digits; event times come from the clock or
	 * from parsed four-digit years, so the clamp never bites in practice.
	 * Digits by hand, not snprintf: a recorded scenario formats the time
	 * of every edge (a million lines a day). */
	p = gs_put_digits(p, (unsigned)(y < 0 ? 0 : y > 9999 ? 9999 : y), 4);
	*p++ = '-';
	p = gs_put_digits(p, mo, 2);
	*p++ = '-';
	p = gs_put_digits(p, d, 2);
	*p++ = 'T';
	p = gs_put_digits(p, (unsigned)(rem / GS_MS_PER_H), 2);
	*p++ = ':';
	p = gs_put_digits(p, (unsigned)(rem / GS_MS_PER_MIN % 60), 2);
	*p++ = ':';
	p = gs_put_digits(p, (unsigned)(rem / GS_MS_PER_S % 60), 2);
	if (millis) {
		*p++ = '.';
		p = gs_put_digits(p, (unsigned)(rem % 1000), 3);
	}
	*p++ = 'Z';
	*p = '\0';
}

/* Reads exactly n digits; returns -1 if any is not a digit. */
static int gs_digits(const char *s, unsigned n)
{
	int v = 0;

	for (unsigned i = 0; i < n; i++) {
		unsigned c = (unsigned char)s[i] - '0';

		if (c > 9)
			return -1;
		v = v * 10 + (int)c;
	}
	return v;
}

int gs_time_parse_span(const char *s, size_t n, struct gs_time_cache *cache,
                       int64_t *ms)
{
	static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30,
	                                      31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, frac = 0;
	int64_t minute_ms;

	if ((n != 20 && n != 24) || s[n - 1] != 'Z')
		return GS_EINVAL;
	if (n == 24)
		frac = s[19] == '.' ? gs_digits(s + 20, 3) : -1;
	sec = gs_digits(s + 17, 2);
	if (frac < 0 || sec < 0 || sec > 59)
		return GS_EINVAL;
	if (cache && cache->valid &&
	    memcmp(s, cache->minute, sizeof(cache->minute)) == 0) {
		*ms = cache->minute_ms + sec * GS_MS_PER_S + frac;
		return GS_OK;
	}
	if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return GS_EINVAL;
	y = gs_digits(s, 4);
	mo = gs_digits(s + 5, 2);
	d = gs_digits(s + 8, 2);
	h = gs_digits(s + 11, 2);
	mi = gs_digits(s + 14, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h < 0 || h > 23 || mi < 0 || mi > 59)
		return GS_EINVAL;
	if (mo == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return GS_EINVAL;
	minute_ms =
	    gs_days_from_civil(y, (unsigned)mo, (unsigned)d) * GS_MS_PER_DAY +
	    h * GS_MS_PER_H + mi * GS_MS_PER_MIN;
	if (cache) {
		memcpy(cache->minute, s, sizeof(cache->minute));
		cache->minute_ms = minute_ms;
		cache->valid = true;
	}
	*ms = minute_ms + sec * GS_MS_PER_S + frac;
	return GS_OK;
}

int gs_time_parse(const char *s, int64_t *ms)
{
	return gs_time_parse_span(s, strlen(s), NULL, ms);
}

static const struct {
	const char *unit;
	int64_t ms;
} gs_units[] = {
    {"d", GS_MS_PER_DAY}, {"h", GS_MS_PER_H}, {"m", GS_MS_PER_MIN},
    {"s", GS_MS_PER_S},   {"ms", 1},
};

int gs_duration_parse(const char *s, int64_t *ms)
{
	char *end;
	long long v;

	if (!isdigit((unsigned char)s[0]))
		return GS_EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || v > INT64_MAX / GS_MS_PER_DAY)
		return GS_EINVAL;
	if (*end == '\0') {
		if (v != 0)
			return GS_EINVAL; /* a unit is required */
		*ms = 0;
		return GS_OK;
	}
	for (size_t i = 0; i < sizeof(gs_units) / sizeof(gs_units[0]); i++) {
		if (strcmp(end, gs_units[i].unit) == 0) {
			*ms = v * gs_units[i].ms;
			return GS_OK;
		}
	}
	return GS_EINVAL;
}

void gs_duration_format(int64_t ms, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(gs_units) / sizeof(gs_units[0]); i++) {
		if (ms != 0 && ms % gs_units[i].ms == 0) {
			snprintf(buf, len, "%" PRId64 "%s", ms / gs_units[i].ms,
			         gs_units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "%" PRId64 "ms", ms);
}
