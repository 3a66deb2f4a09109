/* SPDX-License-Identifier: MIT */
#include "gateway/log.h"
#include "gateway/input.h"
#include "gateway/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define GS_COMPLAIN_FIRST_MS (60 * 1000)
#define GS_COMPLAIN_MAX_MS   (24 * 3600 * 1000)

static int gs_log_level = GS_LOG_INFO;
static bool gs_log_prefix;

static const char *const gs_level_names[] = {
    [GS_LOG_ERR] = "error",     [GS_LOG_WARNING] = "warning",
    [GS_LOG_NOTICE] = "notice", [GS_LOG_INFO] = "info",
    [GS_LOG_DEBUG] = "debug",
};

void gs_log_set_level(int level)
{
	gs_log_level = level;
}

void gs_log_set_prefix(bool syslog_prefix)
{
	gs_log_prefix = syslog_prefix;
}

void gs_log_init_from_env(void)
{
	gs_log_prefix = getenv("JOURNAL_STREAM") != NULL;
}

static void gs_vlog(int level, const char *fmt, va_list ap)
{
	char line[1024];

	if (level > gs_log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* Messages quote input (ids, names, values): nothing raw reaches
	 * the terminal or the journal. */
	gs_input_escape_inplace(line, sizeof(line));
	/* One fprintf per line so concurrent writers never interleave. */
	if (gs_log_prefix)
		fprintf(stderr, "<%d>%s\n", level, line);
	else
		fprintf(stderr, "gapsense: %s: %s\n", gs_level_names[level],
		        line);
}

void gs_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gs_vlog(level, fmt, ap);
	va_end(ap);
}

void gs_complain(struct gs_complaint *c, int level, const char *fmt, ...)
{
	int64_t now = gs_time_mono_ms(c->time);
	va_list ap;

	c->seen_ms = now;
	if (c->interval_ms > 0 && now - c->last_ms < c->interval_ms) {
		c->suppressed++;
		return;
	}
	if (c->interval_ms == 0)
		c->interval_ms = GS_COMPLAIN_FIRST_MS;
	else if (c->interval_ms < GS_COMPLAIN_MAX_MS)
		c->interval_ms *= 2;
	c->last_ms = now;
	va_start(ap, fmt);
	gs_vlog(level, fmt, ap);
	va_end(ap);
	if (c->suppressed > 0) {
		gs_log(level, "(the message above was repeated %u times)",
		       c->suppressed);
		c->suppressed = 0;
	}
}

void gs_complain_release(struct gs_complaint *c, int level, const char *fmt,
                         ...)
{
	va_list ap;

	if (c->interval_ms == 0 ||
	    gs_time_mono_ms(c->time) - c->seen_ms < c->clear_ms)
		return;
	c->interval_ms = 0;
	c->suppressed = 0;
	va_start(ap, fmt);
	gs_vlog(level, fmt, ap);
	va_end(ap);
}
