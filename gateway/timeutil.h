/* SPDX-License-Identifier: MIT */
/*
 * Time in gapsense is an int64_t count of milliseconds since the Unix epoch,
 * UTC ("event time"), unless a name says otherwise (mono_ns: the kernel's
 * CLOCK_MONOTONIC in nanoseconds).
 */
#ifndef GS_TIMEUTIL_H
#define GS_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GS_MS_PER_S   INT64_C(1000)
#define GS_MS_PER_MIN (60 * GS_MS_PER_S)
#define GS_MS_PER_H   (60 * GS_MS_PER_MIN)
#define GS_MS_PER_DAY (24 * GS_MS_PER_H)
#define GS_TIME_NONE  INT64_MAX /* "no deadline" */

/* Longest string gs_time_format() writes, with its NUL. */
#define GS_TIME_STRLEN 32

/* The kernel's id of this boot: a UUID, 36 characters with its NUL. */
#define GS_BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"
#define GS_BOOT_ID_LEN  37

/*
 * Reads and checks a boot id from path (GS_BOOT_ID_PATH, or a test's
 * file). Returns 0, GS_ENOENT or GS_EIO (errno kept), or GS_EINVAL for a
 * file that does not hold one; logs nothing, callers decide how loud.
 */
int gs_boot_id_read(const char *path, char out[GS_BOOT_ID_LEN]);

/* The system's clocks. Code that a test must drive reads a struct gs_time
 * instead (below). */
int64_t gs_clock_realtime_ms(void);
int64_t gs_clock_monotonic_ns(void);

/*
 * Where time is read: the one clock interface. Each function gets ctx.
 * gs_clock (gateway/clock.h) reads all three; sync and the log's
 * complaints read the first two through a struct gs_time. A test's source
 * (tests/unit/testutil.h) returns what the test sets and advances, so the
 * test drives time instead of sleeping.
 */
struct gs_clock_source {
	int64_t (*now_realtime_ns)(void *ctx);  /* CLOCK_REALTIME, ns */
	int64_t (*now_monotonic_ns)(void *ctx); /* CLOCK_MONOTONIC, ns */
	bool (*is_synced)(void *ctx); /* the system clock is synchronised */
};

/*
 * A clock source with its context, as an object that reads the time is
 * given it. src NULL (or a NULL struct gs_time *): the system's clocks,
 * which is what the daemon passes. src and ctx are borrowed: they must
 * outlive every object given them.
 */
struct gs_time {
	const struct gs_clock_source *src;
	void *ctx;
};

/* t's monotonic clock in ms and its realtime clock in ms since the epoch;
 * t may be NULL (the system's). */
int64_t gs_time_mono_ms(const struct gs_time *t);
int64_t gs_time_real_ms(const struct gs_time *t);

/* Reads a clock in ns; ctx is its owner's (a test's fake clock). */
typedef int64_t (*gs_clock_read_fn)(void *ctx);

/* CLOCK_REALTIME and CLOCK_MONOTONIC in ns, as gs_clock_read_fn (no ctx). */
int64_t gs_clock_read_realtime_ns(void *ctx);
int64_t gs_clock_read_monotonic_ns(void *ctx);

/*
 * The offset realtime - monotonic in ns, which turns a kernel's monotonic
 * edge stamp into event time: a monotonic read between two realtime reads,
 * against their midpoint; retried a few times when the realtime reads are
 * far apart (the thread was preempted) or the clock stepped back between
 * them, keeping the narrowest.
 */
int64_t gs_clock_offset_measure(gs_clock_read_fn realtime,
                                gs_clock_read_fn monotonic, void *ctx);

/* "2026-11-23T09:00:00Z", or with millis "2026-11-23T09:00:00.250Z". */
void gs_time_format(int64_t ms, bool millis, char buf[GS_TIME_STRLEN]);

/*
 * Parses ISO-8601 UTC: "YYYY-MM-DDTHH:MM:SS[.mmm]Z", years from 1970.
 * Returns 0 or GS_EINVAL. Strict: the trailing Z is required and nothing
 * may follow it.
 */
int gs_time_parse(const char *s, int64_t *ms);

/*
 * The minute a reader of many times in order parsed last: consecutive
 * times mostly share it, and the date arithmetic is then skipped. Zero it
 * before the first use.
 */
struct gs_time_cache {
	char minute[17]; /* "YYYY-MM-DDTHH:MM:" */
	int64_t minute_ms;
	bool valid;
};

/*
 * gs_time_parse() of the n bytes at s, which need not be NUL-terminated,
 * through cache (or NULL).
 */
int gs_time_parse_span(const char *s, size_t n, struct gs_time_cache *cache,
                       int64_t *ms);

/*
 * Parses a duration: an integer with a unit, "250ms", "2s", "15m", "1h",
 * "30d"; a bare "0" is zero. Returns 0 or GS_EINVAL.
 */
int gs_duration_parse(const char *s, int64_t *ms);

/* Formats a duration with the largest exact unit ("15m", "500ms"). */
void gs_duration_format(int64_t ms, char *buf, size_t len);

/* Floor division and modulo for negative times too. */
int64_t gs_floor_div(int64_t a, int64_t b);
static inline int64_t gs_floor_to(int64_t t, int64_t step)
{
	return gs_floor_div(t, step) * step;
}

#endif
