/* SPDX-License-Identifier: MIT */
/*
 * `gapsense report`: which store, which period, where to write. The
 * drawing is gateway/report.c; the store is opened read-only
 * (gateway/store_report.c), so a running daemon is not disturbed.
 */
#include "gateway/cmd_opts.h"
#include "gateway/cmd_report.h"
#include "gateway/config.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/report.h"
#include "gateway/store.h"
#include "gateway/timeutil.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

const char gs_report_usage[] =
    "usage: gapsense report (--db FILE | -c CONFIG) -o OUT.html\n"
    "                       [--day YYYY-MM-DD | --from TIME --to TIME]\n"
    "Writes one self-contained HTML page (no network, printable) of a day\n"
    "or a period from the store: perceived and actual on one time grid,\n"
    "door and queue, the quadrant of each window, alerts, staff versus\n"
    "customers, and the 7/28-day trend. Read-only: safe while the daemon\n"
    "runs.\n"
    "  -c, --config FILE   the unit's configuration: its database, time\n"
    "                      zone, day_start and gap_threshold\n"
    "      --db FILE       a database (local time: TZ; days from midnight\n"
    "                      unless the store has that day's rollup)\n"
    "  -o, --output FILE   the HTML file to write ('-': standard output)\n"
    "      --day DATE      one trading day (default: the last day with "
    "data,\n"
    "                      up to its last window)\n"
    "      --from, --to    a period, ISO-8601 UTC (at most 31 days)\n";

struct rc_args {
	const char *config, *db, *out, *day;
	int64_t from, to;
};

static int rc_parse(int argc, char **argv, struct rc_args *a)
{
	const struct gs_cmd_opt opts[] = {
	    {"config", 'c', GS_CMD_OPT_STRING, &a->config},
	    {"db", 0, GS_CMD_OPT_STRING, &a->db},
	    {"output", 'o', GS_CMD_OPT_STRING, &a->out},
	    {"day", 0, GS_CMD_OPT_STRING, &a->day},
	    {"from", 0, GS_CMD_OPT_TIME, &a->from},
	    {"to", 0, GS_CMD_OPT_TIME, &a->to},
	    {NULL, 0, 0, NULL},
	};
	int rc;

	if ((rc = gs_cmd_opts_parse(argc, argv, opts, gs_report_usage)))
		return rc;
	if (!a->out || (!a->db == !a->config)) {
		fprintf(stderr,
		        "gapsense: report needs -o FILE and one of --db "
		        "FILE or -c CONFIG\n%s",
		        gs_report_usage);
		return EX_USAGE;
	}
	if ((a->from != GS_TIME_NONE) != (a->to != GS_TIME_NONE) ||
	    (a->day && a->from != GS_TIME_NONE)) {
		fprintf(stderr, "gapsense: report: give --day, or --from with "
		                "--to, or neither\n");
		return EX_USAGE;
	}
	if (a->from != GS_TIME_NONE &&
	    (a->from >= a->to || a->to - a->from > 31 * GS_MS_PER_DAY)) {
		fprintf(stderr, "gapsense: report: --from must be before --to, "
		                "at most 31 days apart\n");
		return EX_USAGE;
	}
	return 0;
}

/* The local instant of date + time of day (ms), or GS_TIME_NONE. */
static int64_t rc_local(int y, int m, int d, int64_t tod_ms)
{
	struct tm tm = {.tm_year = y - 1900,
	                .tm_mon = m - 1,
	                .tm_mday = d,
	                .tm_sec = (int)(tod_ms / GS_MS_PER_S),
	                .tm_isdst = -1};
	time_t t = mktime(&tm);

	return t == (time_t)-1 ? GS_TIME_NONE : (int64_t)t * GS_MS_PER_S;
}

struct rc_find {
	const char *day;
	int64_t start, end;
};

static void rc_find_day(void *ctx, uint64_t seq, int64_t start,
                        const char *payload)
{
	struct rc_find *f = ctx;
	cJSON *j = cJSON_Parse(payload);
	const cJSON *day = cJSON_GetObjectItemCaseSensitive(j, "day");
	const cJSON *end = cJSON_GetObjectItemCaseSensitive(j, "day_end");
	int64_t e;

	(void)seq;
	if (cJSON_IsString(day) && strcmp(day->valuestring, f->day) == 0 &&
	    cJSON_IsString(end) && gs_time_parse(end->valuestring, &e) == 0) {
		f->start = start;
		f->end = e;
	}
	cJSON_Delete(j);
}

/* The trading day containing t (day_start local time). */
static void rc_day_around(int64_t t, int64_t day_start, int64_t *s, int64_t *e)
{
	time_t tt = (time_t)(t / GS_MS_PER_S);
	struct tm tm;

	if (!localtime_r(&tt, &tm)) {
		*s = gs_floor_to(t, GS_MS_PER_DAY);
		*e = *s + GS_MS_PER_DAY;
		return;
	}
	*s = rc_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, day_start);
	if (*s > t)
		*s = rc_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday - 1,
		              day_start);
	tt = (time_t)(*s / GS_MS_PER_S);
	localtime_r(&tt, &tm);
	*e = rc_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday + 1,
	              day_start);
}

struct rc_first {
	int64_t first, last_end;
};

static void rc_on_window(void *ctx, uint64_t seq, int64_t start,
                         const char *payload)
{
	struct rc_first *f = ctx;
	cJSON *j = cJSON_Parse(payload);
	const cJSON *end = cJSON_GetObjectItemCaseSensitive(j, "window_end");
	int64_t e;

	(void)seq;
	if (f->first == GS_TIME_NONE)
		f->first = start;
	if (cJSON_IsString(end) && gs_time_parse(end->valuestring, &e) == 0)
		f->last_end = e;
	cJSON_Delete(j);
}

/* Resolves the period; *title gets the day or the range. */
static int rc_period(struct gs_store_reader *rd, const struct rc_args *a,
                     int64_t day_start, struct gs_report_opts *o, char *title,
                     size_t len)
{
	struct rc_find f = {.day = a->day, .start = GS_TIME_NONE};
	struct rc_first w = {GS_TIME_NONE, GS_TIME_NONE};
	int64_t last;
	int y, m, d, rc;

	if (a->from != GS_TIME_NONE) {
		char x[GS_TIME_STRLEN], z[GS_TIME_STRLEN];

		o->from_ms = a->from;
		o->to_ms = a->to;
		gs_time_format(a->from, false, x);
		gs_time_format(a->to, false, z);
		snprintf(title, len, "%s to %s", x, z);
		return GS_OK;
	}
	if (a->day) {
		if (sscanf(a->day, "%4d-%2d-%2d", &y, &m, &d) != 3 ||
		    strlen(a->day) != 10 || m < 1 || m > 12 || d < 1 ||
		    d > 31) {
			fprintf(stderr,
			        "gapsense: --day '%s': expected a date "
			        "such as 2026-11-23\n",
			        a->day);
			return GS_EINVAL;
		}
		o->from_ms = rc_local(y, m, d, day_start);
		if (o->from_ms == GS_TIME_NONE)
			return GS_EINVAL;
		/* The stored rollup of that day knows its exact bounds. */
		rc = gs_store_reader_rows(
		    rd, GS_TABLE_DAILIES, o->from_ms - 2 * GS_MS_PER_DAY,
		    o->from_ms + 2 * GS_MS_PER_DAY, rc_find_day, &f);
		if (rc)
			return rc;
		if (f.start != GS_TIME_NONE) {
			o->from_ms = f.start;
			o->to_ms = f.end;
		} else {
			o->to_ms = rc_local(y, m, d + 1, day_start);
		}
		snprintf(title, len, "%s", a->day);
		return GS_OK;
	}
	/* The last day with data, from its first window to its last. */
	rc = gs_store_reader_last(rd, GS_TABLE_WINDOWS, &last);
	if (rc == GS_ENOENT) {
		fprintf(stderr, "gapsense: report: the store has no window "
		                "yet\n");
		return rc;
	}
	if (rc)
		return rc;
	rc_day_around(last, day_start, &o->from_ms, &o->to_ms);
	rc = gs_store_reader_rows(rd, GS_TABLE_WINDOWS, o->from_ms, o->to_ms,
	                          rc_on_window, &w);
	if (rc)
		return rc;
	if (w.first != GS_TIME_NONE && w.last_end != GS_TIME_NONE &&
	    w.last_end > w.first) {
		o->from_ms = w.first;
		o->to_ms = w.last_end;
	}
	{
		time_t tt = (time_t)(o->from_ms / GS_MS_PER_S);
		struct tm tm;

		if (localtime_r(&tt, &tm))
			strftime(title, len, "%Y-%m-%d", &tm);
	}
	return GS_OK;
}

int gs_cmd_report(int argc, char **argv)
{
	struct rc_args a = {.from = GS_TIME_NONE, .to = GS_TIME_NONE};
	struct gs_report_opts o = {.gap_threshold = 70};
	struct gs_config *cfg = NULL;
	struct gs_store_reader *rd = NULL;
	char title[96] = "";
	const char *db;
	FILE *out = NULL;
	size_t n = 0;
	int64_t day_start = 0;
	int rc, status = EX_SOFTWARE;

	rc = rc_parse(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	db = a.db;
	if (a.config) {
		cfg = calloc(1, sizeof(*cfg));
		if (!cfg) {
			status = EX_OSERR;
			goto out;
		}
		rc = gs_config_load_print(a.config, cfg, GS_DIAG_TO_STDERR);
		if (rc) {
			status = rc == GS_ENOENT   ? EX_NOINPUT
			         : rc == GS_ENOMEM ? EX_OSERR
			                           : EX_CONFIG;
			goto out;
		}
		db = cfg->database;
		day_start = cfg->day_start_ms;
		o.gap_threshold = cfg->gap_threshold;
		if (setenv("TZ", cfg->timezone[0] ? cfg->timezone : "UTC", 1))
			goto out;
	}
	tzset();
	rc = gs_store_reader_open(db, &rd);
	if (rc) {
		status = rc == GS_ENOENT ? EX_NOINPUT : EX_DATAERR;
		goto out;
	}
	rc = rc_period(rd, &a, day_start, &o, title, sizeof(title));
	if (rc) {
		status = rc == GS_EINVAL   ? EX_USAGE
		         : rc == GS_ENOENT ? EX_NOINPUT
		                           : EX_DATAERR;
		goto out;
	}
	o.title = title;
	out = strcmp(a.out, "-") == 0 ? stdout : fopen(a.out, "w");
	if (!out) {
		fprintf(stderr, "gapsense: report: cannot write %s: %m\n",
		        a.out);
		status = EX_CANTCREAT;
		goto out;
	}
	rc = gs_report_write(rd, &o, out, &n);
	if (out != stdout && fclose(out) != 0 && rc == GS_OK)
		rc = GS_EIO;
	out = NULL;
	if (rc) {
		fprintf(stderr, "gapsense: report: failed: %s\n",
		        gs_strerror(rc));
		status = rc == GS_ENOMEM ? EX_OSERR : EX_IOERR;
		goto out;
	}
	if (strcmp(a.out, "-") != 0)
		fprintf(stderr,
		        "gapsense: report of %s (%zu windows) written to "
		        "%s\n",
		        title, n, a.out);
	status = 0;
out:
	if (out && out != stdout)
		fclose(out);
	gs_store_reader_close(rd);
	free(cfg);
	return status;
}
