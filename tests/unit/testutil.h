/* SPDX-License-Identifier: MIT */
/* Helpers shared by the cmocka unit tests. */
#ifndef GS_TESTUTIL_H
#define GS_TESTUTIL_H

#include "gateway/clock.h"
#include "gateway/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A fresh private directory under $TMPDIR; removed by gs_test_rmdir(). */
char *gs_test_mkdtemp(void);
/* Removes dir and everything in it; frees dir. NULL-safe. */
void gs_test_rmdir(char *dir);
/* Writes text to dir/name; returns the malloc'd full path. */
char *gs_test_write_file(const char *dir, const char *name, const char *text);
/* Path of a file in tests/data (GS_TEST_DATA). Static buffer. */
const char *gs_test_data(const char *name);

/* stderr sent to a temporary file between begin and end, so a test can
 * read what the code under test wrote there. */
struct gs_test_stderr {
	int saved; /* the real stderr */
	FILE *file;
};
void gs_test_stderr_begin(struct gs_test_stderr *c);
/* Puts stderr back; out gets what was written (at most len - 1 bytes),
 * NUL-terminated. */
void gs_test_stderr_end(struct gs_test_stderr *c, char *out, size_t len);

/* The defaults with the ids sync needs: gateway "unit-1", site "lab",
 * client "gapsense-unit-1"; the broker is the default's (not contacted
 * until a test connects). */
void gs_test_mqtt_config(struct gs_config *cfg);

/* A clock source whose every reading the test sets (gateway/clock.h). */
struct gs_fake_clock {
	int64_t realtime_ns;
	int64_t monotonic_ns;
	bool synced;
	unsigned sync_reads; /* is_synced() calls */
};
extern const struct gs_clock_source gs_fake_clock_source;
/* Both clocks run on together, as time passes. */
void gs_fake_clock_advance(struct gs_fake_clock *f, int64_t ns);

#endif
