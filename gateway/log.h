/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr. Under systemd (JOURNAL_STREAM set) each line carries a
 * "<N>" syslog priority prefix so the journal records the level; otherwise
 * lines are plain for a person at a terminal.
 *
 * gs_complain() is the rate-limited variant for conditions that can repeat
 * forever (a dead broker, a stuck sensor): the first occurrence is logged,
 * repeats are suppressed with an interval that doubles up to a day, and
 * gs_complain_release() logs once that the condition has cleared. Modelled
 * on collectd's utils_complain. A complaint reads the monotonic clock of
 * its time member: the system's unless its owner (or a test) gives one.
 */
#ifndef GS_LOG_H
#define GS_LOG_H

#include <stdbool.h>
#include <stdint.h>

struct gs_time; /* gateway/timeutil.h */

enum gs_log_level {
	GS_LOG_ERR = 3,
	GS_LOG_WARNING = 4,
	GS_LOG_NOTICE = 5,
	GS_LOG_INFO = 6,
	GS_LOG_DEBUG = 7,
};

/* Process-wide settings, like syslog's; set once at start-up. */
void gs_log_set_level(int level);
void gs_log_set_prefix(bool syslog_prefix);
/* Picks the prefix style from the environment (JOURNAL_STREAM). */
void gs_log_init_from_env(void);

void gs_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct gs_complaint {
	int64_t last_ms;     /* monotonic time of the last line logged */
	int64_t interval_ms; /* current back-off; 0 = not complaining */
	unsigned suppressed; /* repeats not logged since last_ms */
	int64_t seen_ms;     /* monotonic time of the last repeat */
	int64_t clear_ms;    /* release only after this long without one */
	/* Where "monotonic time" above is read; NULL: the system's clock.
	 * Borrowed from the complaint's owner. */
	const struct gs_time *time;
};

#define GS_COMPLAINT_INIT                                                      \
	{                                                                      \
		0, 0, 0, 0, 0, NULL                                            \
	}

void gs_complain(struct gs_complaint *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Logs at level only if a complaint was active and, when c->clear_ms is
 * set, has not repeated for that long (a condition that comes and goes,
 * such as a full disk that a commit now and then gets through, is not
 * "cleared" at every success); resets it. */
void gs_complain_release(struct gs_complaint *c, int level, const char *fmt,
                         ...) __attribute__((format(printf, 3, 4)));

#endif
