/* SPDX-License-Identifier: MIT */
/*
 * Scenario files: writer to reader round trip (physical levels and
 * active_low), batches and end of file, comments and blank lines, and every
 * error message with its file and line number; paced reading.
 */
#include "sensors/scenario.h"
#include "gateway/err.h"
#include "gateway/timeutil.h"
#include "testutil.h"

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct gs_config cfg;
static char *dir;

#define T0 INT64_C(1795424400000) /* 2026-11-23T09:00:00.000Z */

static void add_sensor(const char *name, enum gs_sensor_type type,
                       const char *chip, bool active_low, unsigned n,
                       const char *const *lines)
{
	struct gs_sensor_cfg *s = &cfg.sensors[cfg.n_sensors++];

	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->chip, sizeof(s->chip), "%s", chip);
	s->type = type;
	s->active_low = active_low;
	s->n_lines = n;
	for (unsigned i = 0; i < n; i++)
		snprintf(s->lines[i], sizeof(s->lines[i]), "%s", lines[i]);
}

static int setup(void **state)
{
	static const char *const beam[] = {"GPIO17", "GPIO27"};
	static const char *const queue[] = {"22", "23"};
	static const char *const smiley[] = {"GPIO5", "GPIO6", "GPIO13"};

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.path, sizeof(cfg.path), "test.conf");
	add_sensor("entrance", GS_SENSOR_BEAM_PAIR, "gpiochip0", true, 2, beam);
	add_sensor("till", GS_SENSOR_QUEUE, "pinctrl-rp1", false, 2, queue);
	add_sensor("smiley", GS_SENSOR_SMILEY, "gpiochip0", true, 3, smiley);
	dir = gs_test_mkdtemp();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gs_test_rmdir(dir);
	dir = NULL;
	return 0;
}

static bool readable(struct gs_backend *be)
{
	int fd;
	struct pollfd p;

	assert_int_equal(be->ops->fds(be, &fd, 1), 1);
	p = (struct pollfd){.fd = fd, .events = POLLIN};
	assert_true(poll(&p, 1, 0) >= 0);
	return (p.revents & POLLIN) != 0;
}

static void test_round_trip(void **state)
{
	const struct gs_edge in[] = {
	    {T0 + 0, 0, 0, 0, 1},        {T0 + 120, 0, 0, 1, 1},
	    {T0 + 250, 0, 0, 0, 0},      {T0 + 250, 0, 1, 1, 1},
	    {T0 + 400, 0, 0, 1, 0},      {T0 + 999, 0, 2, 2, 1},
	    {T0 + 86400001, 0, 1, 1, 0}, {T0 + 86400001, 0, 2, 2, 0},
	};
	const size_t n_in = sizeof(in) / sizeof(in[0]);
	struct gs_scenario_writer *w;
	struct gs_backend *be;
	struct gs_edge out[16];
	char *path, text[1024];
	size_t n, total = 0;
	int64_t horizon;
	bool eof = false;
	FILE *f;

	(void)state;
	path = gs_test_write_file(dir, "rt.csv", "");
	w = gs_scenario_writer_open(&cfg, path);
	assert_non_null(w);
	for (size_t i = 0; i < n_in; i++)
		assert_int_equal(gs_scenario_writer_add(w, &in[i]), GS_OK);
	{
		struct gs_edge bad = {T0, 0, 7, 0, 1};

		assert_int_equal(gs_scenario_writer_add(w, &bad), GS_EINVAL);
	}
	assert_int_equal(gs_scenario_writer_close(w), GS_OK);
	assert_int_equal(gs_scenario_writer_close(NULL), GS_OK);

	/* The file holds physical levels: active_low inverts. */
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_non_null(strstr(text, "\ntime,chip,line,value\n"
	                             "2026-11-23T09:00:00.000Z,gpiochip0,"
	                             "GPIO17,0\n"
	                             "2026-11-23T09:00:00.120Z,gpiochip0,"
	                             "GPIO27,0\n"
	                             "2026-11-23T09:00:00.250Z,gpiochip0,"
	                             "GPIO17,1\n"
	                             "2026-11-23T09:00:00.250Z,pinctrl-rp1,23,"
	                             "1\n"));
	assert_non_null(
	    strstr(text, "2026-11-24T09:00:00.001Z,gpiochip0,GPIO13,1\n"));

	assert_int_equal(gs_scenario_backend_new(&cfg, path, 0, &be), GS_OK);
	assert_string_equal(be->ops->name, "scenario");
	assert_int_equal(be->ops->line_state(be, 0, 0), 0);
	assert_int_equal(be->ops->line_state(be, 9, 0), -1);
	assert_int_equal(be->ops->line_state(be, 1, 2), -1);
	/* Batches of at most 3; the horizon is the last edge read. */
	while (!eof) {
		assert_true(readable(be));
		assert_int_equal(
		    be->ops->read(be, 0, out + total, 3, &n, &horizon, &eof),
		    GS_OK);
		assert_true(n <= 3);
		total += n;
		if (n > 0)
			assert_int_equal(horizon, out[total - 1].t_ms);
	}
	assert_false(readable(be));
	assert_int_equal(total, n_in);
	for (size_t i = 0; i < n_in; i++) {
		assert_int_equal(out[i].t_ms, in[i].t_ms);
		assert_int_equal(out[i].mono_ns, in[i].t_ms * 1000000);
		assert_int_equal(out[i].sensor, in[i].sensor);
		assert_int_equal(out[i].input, in[i].input);
		assert_int_equal(out[i].active, in[i].active);
	}
	assert_int_equal(be->ops->line_state(be, 0, 1), 0);
	assert_int_equal(be->ops->line_state(be, 1, 1), 0);
	/* After the end: nothing more, still eof. */
	assert_int_equal(be->ops->read(be, 0, out, 3, &n, &horizon, &eof),
	                 GS_OK);
	assert_int_equal(n, 0);
	assert_true(eof);
	assert_string_equal(gs_scenario_backend_error(be), "");
	gs_backend_free(be);
	gs_backend_free(NULL);
	free(path);
}

/*
 * Reads body as the scenario file name in one batch of up to max edges,
 * which must be all of it; returns how many, and the horizon.
 */
static size_t read_body(const char *name, const char *body, struct gs_edge *out,
                        size_t max, int64_t *horizon)
{
	char *path = gs_test_write_file(dir, name, body);
	struct gs_backend *be;
	size_t n;
	bool eof;

	assert_int_equal(gs_scenario_backend_new(&cfg, path, 0, &be), GS_OK);
	assert_int_equal(be->ops->read(be, 0, out, max, &n, horizon, &eof),
	                 GS_OK);
	assert_true(eof);
	gs_backend_free(be);
	free(path);
	return n;
}

static void test_comments_blank_crlf(void **state)
{
	struct gs_edge out[8];
	int64_t horizon;

	(void)state;
	assert_int_equal(
	    read_body("c.csv",
	              "# a recorded morning\n\n  time , chip,line,value\r\n"
	              "   # indented comment\n"
	              "2026-11-23T09:00:00.250Z,gpiochip0,GPIO17,0\r\n"
	              "\t\n"
	              " 2026-11-23T09:00:01Z , pinctrl-rp1 , 22 , 1 \n"
	              "2026-11-23T09:00:01.000Z,gpiochip0,GPIO17,1", /* no \n */
	              out, 8, &horizon),
	    3);
	assert_int_equal(horizon, T0 + 1000);
	assert_int_equal(out[0].t_ms, T0 + 250);
	assert_int_equal(out[0].active, 1);
	assert_int_equal(out[1].sensor, 1);
	assert_int_equal(out[1].input, 0);
	assert_int_equal(out[1].active, 1);
	assert_int_equal(out[2].active, 0);
}

/* Reads everything; returns the error of the backend. */
static int read_all(struct gs_backend *be)
{
	struct gs_edge out[4];
	size_t n;
	int64_t horizon;
	bool eof = false;
	int rc = GS_OK;

	while (!eof && rc == GS_OK)
		rc = be->ops->read(be, 0, out, 4, &n, &horizon, &eof);
	return rc;
}

static void expect_error(const char *name, const char *body, int line,
                         const char *msg)
{
	char *path = gs_test_write_file(dir, name, body);
	char want[512];
	struct gs_backend *be;

	snprintf(want, sizeof(want), "%s:%d: %s", path, line, msg);
	assert_int_equal(gs_scenario_backend_new(&cfg, path, 0, &be), GS_OK);
	assert_int_equal(read_all(be), GS_EPARSE);
	assert_string_equal(gs_scenario_backend_error(be), want);
	/* It stays failed. */
	assert_int_equal(read_all(be), GS_EPARSE);
	gs_backend_free(be);
	free(path);
}

#define HDR "time,chip,line,value\n"
#define OK1 "2026-11-23T09:00:00.250Z,gpiochip0,GPIO17,0\n"

static void test_errors(void **state)
{
	char longline[400];

	(void)state;
	expect_error("unknown.csv",
	             HDR OK1 "#\n"
	                     "2026-11-23T09:00:01.000Z,gpiochip0,"
	                     "GPIO99,1\n",
	             4, "unknown line GPIO99 on chip gpiochip0");
	expect_error("chip.csv",
	             HDR "2026-11-23T09:00:01.000Z,gpiochip1,GPIO17,1\n", 2,
	             "unknown line GPIO17 on chip gpiochip1");
	expect_error("back.csv",
	             HDR OK1 "2026-11-23T09:00:00.249Z,gpiochip0,GPIO17,1\n", 3,
	             "time goes backwards (2026-11-23T09:00:00.249Z is before "
	             "the previous edge at 2026-11-23T09:00:00.250Z)");
	expect_error("value.csv",
	             HDR "2026-11-23T09:00:00.250Z,gpiochip0,GPIO17,2\n", 2,
	             "value must be 0 or 1, not \"2\"");
	expect_error("value2.csv",
	             HDR "2026-11-23T09:00:00.250Z,gpiochip0,GPIO17,\n", 2,
	             "value must be 0 or 1, not \"\"");
	expect_error("value3.csv",
	             HDR "2026-11-23T09:00:00.250Z,gpiochip0,GPIO17,10\n", 2,
	             "value must be 0 or 1, not \"10\"");
	expect_error("time.csv",
	             HDR "2026-11-23 09:00:00.250,gpiochip0,GPIO17,1\n", 2,
	             "malformed time \"2026-11-23 09:00:00.250\" (expected "
	             "YYYY-MM-DDTHH:MM:SS.mmmZ, UTC)");
	expect_error("time2.csv",
	             HDR "2026-02-29T09:00:00.250Z,gpiochip0,GPIO17,1\n", 2,
	             "malformed time \"2026-02-29T09:00:00.250Z\" (expected "
	             "YYYY-MM-DDTHH:MM:SS.mmmZ, UTC)");
	expect_error("time3.csv",
	             HDR "2026-11-23T24:00:00.250Z,gpiochip0,GPIO17,1\n", 2,
	             "malformed time \"2026-11-23T24:00:00.250Z\" (expected "
	             "YYYY-MM-DDTHH:MM:SS.mmmZ, UTC)");
	expect_error("time4.csv",
	             HDR "2026-11-23T09:00:00.25xZ,gpiochip0,GPIO17,1\n", 2,
	             "malformed time \"2026-11-23T09:00:00.25xZ\" (expected "
	             "YYYY-MM-DDTHH:MM:SS.mmmZ, UTC)");
	expect_error("time5.csv",
	             HDR "2300-01-01T00:00:00.000Z,gpiochip0,GPIO17,1\n", 2,
	             "malformed time \"2300-01-01T00:00:00.000Z\" (expected "
	             "YYYY-MM-DDTHH:MM:SS.mmmZ, UTC)");
	expect_error("cols.csv", HDR "2026-11-23T09:00:00.250Z,gpiochip0,1\n",
	             2, "expected 4 fields (time,chip,line,value), found 3");
	expect_error("cols2.csv",
	             HDR OK1 OK1 "2026-11-23T09:00:00.250Z,gpiochip0,GPIO17,1,"
	                         "x\n",
	             4, "expected 4 fields (time,chip,line,value), found 5");
	/* A gap of more than 7 days (a typo in the year) is refused: it
	 * would publish every window of it. Exactly 7 days is fine. */
	expect_error("gap.csv",
	             HDR OK1 "2026-11-30T09:00:00.250Z,gpiochip0,GPIO17,1\n"
	                     "2027-11-30T09:00:00.250Z,gpiochip0,GPIO17,0\n",
	             4,
	             "time jumps 365 days forward (from the previous edge at "
	             "2026-11-30T09:00:00.250Z to 2027-11-30T09:00:00.250Z); a "
	             "scenario may skip at most 7 days (a typo in the date? a "
	             "longer pause is two files)");
	/* Control bytes from the file are quoted escaped. */
	expect_error("esc.csv",
	             HDR "2026-11-23T09:00:00.250Z,gpio\x1b]0;x\x07,GPIO17,1\n",
	             2, "unknown line GPIO17 on chip gpio\\x1b]0;x\\x07");
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	{
		char body[1024];

		snprintf(body, sizeof(body), HDR OK1 "%s\n" OK1, longline);
		expect_error("long.csv", body, 3,
		             "line longer than 255 characters");
		/* Also when the long line is the last one, with no \n. */
		snprintf(body, sizeof(body), HDR OK1 "%s", longline);
		expect_error("long2.csv", body, 3,
		             "line longer than 255 characters");
	}
}

/*
 * The reader takes the recorder's own lines in one pass and leaves every
 * other line to the split reader: lines that look almost like the
 * recorder's (a time padded to its 24 characters, blanks around the key or
 * the value) read as the split reader reads them, and a configured name
 * that no split field can equal (a comma in a chip name, which the config
 * lets through; an outer blank, which only a config built in code holds)
 * is matched by neither. The shortest lines end the file, with no newline
 * after them, where a read past the line's end would show under ASan.
 */
static void test_one_pass_edges(void **state)
{
	static const char *const odd[] = {"c", "d"};
	static const char *const blank[] = {"GPIO5"};
	struct gs_edge out[8];
	int64_t horizon;

	(void)state;
	add_sensor("odd", GS_SENSOR_BEAM_PAIR, "a,b", false, 2, odd);
	add_sensor("blank", GS_SENSOR_SMILEY, " x", false, 1, blank);
	assert_int_equal(
	    read_body("near.csv",
	              HDR "2026-11-23T09:00:01Z    ,gpiochip0,GPIO17,0\n"
	                  "2026-11-23T09:00:02.000Z,gpiochip0 , GPIO27,1\n"
	                  "2026-11-23T09:00:03.000Z,pinctrl-rp1,22, 1\n"
	                  "2026-11-23T09:00:04.000Z,pinctrl-rp1,23,0 ",
	              out, 8, &horizon),
	    4);
	assert_int_equal(out[0].t_ms, T0 + 1000);
	assert_int_equal(out[0].active, 1); /* active_low */
	assert_int_equal(out[1].input, 1);
	assert_int_equal(out[1].active, 0);
	assert_int_equal(out[2].sensor, 1);
	assert_int_equal(out[2].active, 1);
	assert_int_equal(out[3].t_ms, T0 + 4000);
	assert_int_equal(out[3].input, 1);

	expect_error("comma.csv", HDR "2026-11-23T09:00:00.250Z,a,b,c,1", 2,
	             "expected 4 fields (time,chip,line,value), found 5");
	expect_error("outer.csv", HDR "2026-11-23T09:00:00.250Z, x,GPIO5,1", 2,
	             "unknown line GPIO5 on chip x");
	expect_error("short.csv", HDR "2026-11-23T09:00:00.250Z,,1", 2,
	             "expected 4 fields (time,chip,line,value), found 3");
	expect_error("short2.csv", HDR "2026-11-23T09:00:00.250Z,,,1", 2,
	             "unknown line  on chip ");
	expect_error("short3.csv", HDR "2026-11-23T09:00:00.250Z,", 2,
	             "expected 4 fields (time,chip,line,value), found 2");
}

/* Runs gs_scenario_backend_new() on body with stderr captured. */
static int new_captured(const char *name, const char *body, char *log,
                        size_t len)
{
	char *path = gs_test_write_file(dir, name, body);
	struct gs_backend *be = NULL;
	struct gs_test_stderr cap;
	int rc;

	gs_test_stderr_begin(&cap);
	rc = gs_scenario_backend_new(&cfg, path, 0, &be);
	gs_test_stderr_end(&cap, log, len);
	assert_null(be);
	free(path);
	return rc;
}

static void test_header_errors(void **state)
{
	char log[1024], want[1024];

	(void)state;
	assert_int_equal(
	    new_captured("nohdr.csv", "# c\n" OK1, log, sizeof(log)),
	    GS_EPARSE);
	snprintf(want, sizeof(want),
	         "%s/nohdr.csv:2: missing header time,chip,line,value "
	         "(found \"2026-11-23T09:00:00.250Z,gpiochip0,GPIO17,0\")",
	         dir);
	assert_non_null(strstr(log, want));

	assert_int_equal(
	    new_captured("empty.csv", "# only a comment\n\n", log, sizeof(log)),
	    GS_EPARSE);
	snprintf(want, sizeof(want),
	         "%s/empty.csv:2: missing header time,chip,line,value (the "
	         "file has no data)",
	         dir);
	assert_non_null(strstr(log, want));

	/* No line at all: no line 0 either. */
	assert_int_equal(new_captured("void.csv", "", log, sizeof(log)),
	                 GS_EPARSE);
	snprintf(want, sizeof(want),
	         "%s/void.csv: the file is empty (a scenario starts with the "
	         "header time,chip,line,value)",
	         dir);
	assert_non_null(strstr(log, want));
}

static void test_open_errors(void **state)
{
	struct gs_backend *be = (struct gs_backend *)1;
	char path[1024];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.csv", dir);
	assert_int_equal(gs_scenario_backend_new(&cfg, path, 0, &be),
	                 GS_ENOENT);
	assert_null(be);
	/* Not a regular file: refused at once, never read for ever. */
	assert_int_equal(gs_scenario_backend_new(&cfg, "/dev/zero", 0, &be),
	                 GS_EPARSE);
	assert_null(be);
	assert_int_equal(gs_scenario_backend_new(&cfg, dir, 0, &be), GS_EPARSE);
	assert_null(be);
	snprintf(path, sizeof(path), "%s/no/such/dir/out.csv", dir);
	assert_null(gs_scenario_writer_open(&cfg, path));
}

static void test_header_only(void **state)
{
	struct gs_backend *be;
	struct gs_edge out[4];
	size_t n;
	int64_t horizon;
	bool eof;
	char *path;

	(void)state;
	path = gs_test_write_file(dir, "h.csv", HDR);
	assert_int_equal(gs_scenario_backend_new(&cfg, path, 0, &be), GS_OK);
	assert_true(readable(be));
	assert_int_equal(be->ops->read(be, 0, out, 4, &n, &horizon, &eof),
	                 GS_OK);
	assert_int_equal(n, 0);
	assert_true(eof);
	assert_int_equal(horizon, INT64_MIN);
	assert_false(readable(be));
	gs_backend_free(be);
	free(path);
}

/*
 * Paced at speed 10: the first edge is due at once, the two at the same
 * time with it; the edge 1 s later is held back (the fd is not readable)
 * until 100 ms have passed, and the horizon stays at the last edge handed
 * over. Waits on the backend's own timerfd, not a sleep.
 */
static void test_paced(void **state)
{
	struct gs_backend *be;
	struct gs_edge out[4];
	struct pollfd p = {.events = POLLIN};
	int64_t horizon, t_ns;
	size_t n;
	bool eof;
	char *path;

	(void)state;
	path = gs_test_write_file(dir, "p.csv",
	                          HDR "2026-11-23T09:00:00.000Z,gpiochip0,"
	                              "GPIO17,0\n"
	                              "2026-11-23T09:00:00.000Z,gpiochip0,"
	                              "GPIO27,0\n"
	                              "2026-11-23T09:00:01.000Z,gpiochip0,"
	                              "GPIO17,1\n");
	assert_int_equal(gs_scenario_backend_new(&cfg, path, 10, &be), GS_OK);
	assert_int_equal(be->ops->fds(be, &p.fd, 1), 1);
	assert_int_equal(poll(&p, 1, 1000), 1);
	t_ns = gs_clock_monotonic_ns();
	assert_int_equal(be->ops->read(be, p.fd, out, 4, &n, &horizon, &eof),
	                 GS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(horizon, T0);
	assert_false(eof);
	assert_int_equal(be->ops->line_state(be, 0, 0), 1);
	assert_false(readable(be));
	assert_int_equal(poll(&p, 1, 1000), 1);
	/* Due 100 ms after the first edge was read (a little before t_ns). */
	assert_true(gs_clock_monotonic_ns() - t_ns >= 95 * 1000000);
	assert_int_equal(be->ops->read(be, p.fd, out, 4, &n, &horizon, &eof),
	                 GS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].t_ms, T0 + 1000);
	assert_int_equal(horizon, T0 + 1000);
	assert_int_equal(be->ops->line_state(be, 0, 0), 0);
	/* The end of the file is read with it, and ends the polling. */
	assert_true(eof);
	assert_false(readable(be));
	gs_backend_free(be);
	free(path);
}

/*
 * Paced, a batch cut short by max (more edges due at once than it holds)
 * goes on at once: the fd is readable again right after, until every due
 * edge is handed over; then it waits for the next one. Until 2026-12-04
 * the edge that filled the batch left the timer drained and unarmed, and
 * the replay stopped there for good.
 */
static void test_paced_batch_full(void **state)
{
	struct gs_backend *be;
	struct gs_edge out[1];
	struct pollfd p = {.events = POLLIN};
	int64_t horizon;
	size_t n;
	bool eof;
	char *path;

	(void)state;
	path = gs_test_write_file(dir, "f.csv",
	                          HDR "2026-11-23T09:00:00.000Z,gpiochip0,"
	                              "GPIO17,0\n"
	                              "2026-11-23T09:00:00.000Z,gpiochip0,"
	                              "GPIO27,0\n"
	                              "2026-11-23T10:00:00.000Z,gpiochip0,"
	                              "GPIO17,1\n");
	assert_int_equal(gs_scenario_backend_new(&cfg, path, 1, &be), GS_OK);
	assert_int_equal(be->ops->fds(be, &p.fd, 1), 1);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(poll(&p, 1, 1000), 1);
		assert_int_equal(
		    be->ops->read(be, p.fd, out, 1, &n, &horizon, &eof), GS_OK);
		assert_int_equal(n, 1);
		assert_int_equal(out[0].t_ms, T0);
		assert_false(eof);
	}
	/* Read once more at once: the third edge is an hour away. */
	assert_int_equal(poll(&p, 1, 1000), 1);
	assert_int_equal(be->ops->read(be, p.fd, out, 1, &n, &horizon, &eof),
	                 GS_OK);
	assert_int_equal(n, 0);
	assert_false(readable(be));
	gs_backend_free(be);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_comments_blank_crlf, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_one_pass_edges, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_header_errors, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_header_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paced, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paced_batch_full, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests_name("scenario", tests, NULL, NULL);
}
