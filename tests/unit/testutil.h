/* SPDX-License-Identifier: MIT */
/* Helpers shared by the cmocka unit tests. */
#ifndef GS_TESTUTIL_H
#define GS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* A fresh private directory under $TMPDIR; removed by gs_test_rmdir(). */
char *gs_test_mkdtemp(void);
/* Removes dir and everything in it; frees dir. NULL-safe. */
void gs_test_rmdir(char *dir);
/* Writes text to dir/name; returns the malloc'd full path. */
char *gs_test_write_file(const char *dir, const char *name, const char *text);
/* Path of a file in tests/data (GS_TEST_DATA). Static buffer. */
const char *gs_test_data(const char *name);

#endif
