/* SPDX-License-Identifier: MIT */
/*
 * gateway/input.c: files are read only if regular, and quoted input is
 * escaped so that it cannot act on a terminal.
 */
#include "gateway/config.h"
#include "gateway/err.h"
#include "gateway/input.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static void expect_escaped(const char *in, size_t n, const char *want)
{
	char out[256];

	assert_int_equal(gs_input_escape(out, sizeof(out), in, n),
	                 strlen(want));
	assert_string_equal(out, want);
}

static void test_escape(void **state)
{
	(void)state;
	expect_escaped("plain-id_1", 10, "plain-id_1");
	/* The terminal title sequence of the issue. */
	expect_escaped("\x1b]0;pwned\x07", 10, "\\x1b]0;pwned\\x07");
	expect_escaped("a\tb\nc\rd\x7f", 8, "a\\tb\\nc\\rd\\x7f");
	expect_escaped("a\0b", 3, "a\\x00b");
	/* Valid UTF-8 passes; a C1 control (U+009B, CSI) and bytes that are
	 * not UTF-8 do not. */
	expect_escaped("caf\xc3\xa9 \xe2\x82\xac", 9,
	               "caf\xc3\xa9 \xe2\x82\xac");
	expect_escaped("\xc2\x9b"
	               "2J",
	               4, "\\xc2\\x9b2J");
	expect_escaped("\x9b"
	               "2J",
	               3, "\\x9b2J");
	expect_escaped("\xc0\xaf", 2, "\\xc0\\xaf");          /* overlong */
	expect_escaped("\xed\xa0\x80", 3, "\\xed\\xa0\\x80"); /* surrogate */
	expect_escaped("\xe2\x82", 2, "\\xe2\\x82");          /* cut short */
}

static void test_escape_truncates_whole(void **state)
{
	char out[8];

	(void)state;
	/* Never half an escape: "ab\x1b" is 6 bytes, "ab\x1bc" would be 7. */
	assert_int_equal(gs_input_escape(out, sizeof(out), "ab\x1b\x1b", 4), 6);
	assert_string_equal(out, "ab\\x1b");
	assert_int_equal(gs_input_escape(out, 1, "abc", 3), 0);
	assert_string_equal(out, "");
}

/* The style of the MQTT replies (sync/sync_cmd.c), whose bytes the
 * contract fixes: one '?' per control byte or quote, UTF-8 whole. */
static void test_escape_masked(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(gs_input_escape_as(out, sizeof(out), "a\"\x1b\t\x7f",
	                                    5, GS_INPUT_MASKED),
	                 5);
	assert_string_equal(out, "a????");
	/* C1 passes in this style (as before the styles were one helper). */
	assert_int_equal(gs_input_escape_as(out, sizeof(out),
	                                    "\xc2\x9b\xc3\xa9", 4,
	                                    GS_INPUT_MASKED),
	                 4);
	assert_string_equal(out, "\xc2\x9b\xc3\xa9");
	assert_int_equal(
	    gs_input_escape_as(out, sizeof(out), "\xff", 1, GS_INPUT_MASKED),
	    1);
	assert_string_equal(out, "?");
	/* A sequence the buffer would cut is left out whole. */
	assert_int_equal(gs_input_escape_as(out, sizeof(out),
	                                    "abcdef\xe2\x82\xac", 9,
	                                    GS_INPUT_MASKED),
	                 6);
	assert_string_equal(out, "abcdef");
}

static void test_escape_inplace(void **state)
{
	char buf[32] = "id: '\x1b[2J' bad";
	char clean[32] = "nothing to do";

	(void)state;
	gs_input_escape_inplace(buf, sizeof(buf));
	assert_string_equal(buf, "id: '\\x1b[2J' bad");
	gs_input_escape_inplace(clean, sizeof(clean));
	assert_string_equal(clean, "nothing to do");
}

static void test_open_regular_only(void **state)
{
	char *dir = gs_test_mkdtemp();
	char *path = gs_test_write_file(dir, "f.conf", "[gateway]\n");
	char fifo[1024];
	const char *why = NULL;
	int fd;

	(void)state;
	fd = gs_input_open(path, &why);
	assert_true(fd >= 0);
	/* Blocking again once known to be regular. */
	assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);

	errno = 0;
	assert_int_equal(gs_input_open("/dev/zero", &why), -1);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(why, "not a regular file (a character device)");
	assert_int_equal(gs_input_open(dir, &why), -1);
	assert_string_equal(why, "not a regular file (a directory)");
	/* A FIFO with no writer: refused at once, the open does not block. */
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(gs_input_open(fifo, &why), -1);
	assert_string_equal(why, "not a regular file (a FIFO)");
	unlink(fifo);
	assert_int_equal(gs_input_open("/no/such/file", &why), -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(why, strerror(ENOENT));
	unlink(path);
	free(path);
	gs_test_rmdir(dir);
}

/* gapsense check-config /dev/zero returned never: refused at once. */
static void test_config_refuses_devices(void **state)
{
	struct gs_config *cfg = calloc(1, sizeof(*cfg));
	struct gs_diag *diag = calloc(1, sizeof(*diag));

	(void)state;
	assert_non_null(cfg);
	assert_non_null(diag);
	assert_int_equal(gs_config_load("/dev/zero", cfg, diag), GS_EIO);
	assert_int_equal(diag->count, 1);
	assert_string_equal(diag->msg[0], "/dev/zero: cannot open: not a "
	                                  "regular file (a character device)");
	free(cfg);
	free(diag);
}

/* Config errors quote values escaped (gs_diag_add). */
static void test_config_escapes(void **state)
{
	char *dir = gs_test_mkdtemp();
	char *path = gs_test_write_file(dir, "esc.conf",
	                                "[gateway]\nid = \x1b]0;pwned\x07x\n");
	struct gs_config *cfg = calloc(1, sizeof(*cfg));
	struct gs_diag *diag = calloc(1, sizeof(*diag));
	bool found = false;

	(void)state;
	assert_non_null(cfg);
	assert_non_null(diag);
	assert_int_equal(gs_config_load(path, cfg, diag), GS_ECONFIG);
	for (unsigned i = 0; i < diag->count && i < GS_DIAG_MAX; i++) {
		assert_null(strchr(diag->msg[i], '\x1b'));
		assert_null(strchr(diag->msg[i], '\x07'));
		if (strstr(diag->msg[i], "id: '\\x1b]0;pwned\\x07x'"))
			found = true;
	}
	assert_true(found);
	unlink(path);
	free(path);
	free(cfg);
	free(diag);
	gs_test_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_escape_truncates_whole),
	    cmocka_unit_test(test_escape_masked),
	    cmocka_unit_test(test_escape_inplace),
	    cmocka_unit_test(test_open_regular_only),
	    cmocka_unit_test(test_config_refuses_devices),
	    cmocka_unit_test(test_config_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
