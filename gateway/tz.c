/* SPDX-License-Identifier: MIT */
#include "gateway/tz.h"
#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* zone's file, where glibc looks for it, into path; whether it is one. */
static bool tz_file(const char *zone, char *path, size_t len)
{
	const char *dir = getenv("TZDIR");
	struct stat st;

	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	snprintf(path, len, "%s/%s", dir, zone);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * A bad name would otherwise fall back to UTC silently and shift the daily
 * reset by hours.
 */
const char *gs_tz_check(const char *zone, char *buf, size_t len)
{
	char path[GS_PATH_MAX + 64];

	if (!*zone)
		return "must not be empty";
	for (const char *p = zone; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_+-", *p))
			return "is not a time zone name (e.g. Europe/Berlin)";
	if (zone[0] == '/' || strstr(zone, "..") || strstr(zone, "//"))
		return "is not a time zone name (e.g. Europe/Berlin)";
	if (!tz_file(zone, path, sizeof(path))) {
		snprintf(buf, len, "is not a known time zone (no file %s)",
		         path);
		return buf;
	}
	return NULL;
}

bool gs_tz_valid(const char *zone)
{
	char path[GS_PATH_MAX + 64];

	if (zone[0] == '\0' || strcmp(zone, "UTC") == 0)
		return true; /* glibc knows UTC without tzdata */
	if (zone[0] == '/' || strstr(zone, "..") != NULL)
		return false;
	return tz_file(zone, path, sizeof(path));
}

/*
 * The engine calls this before each conversion (once a day), so TZ is set
 * again only if it differs: another engine with another zone, a test.
 * localtime_r() does not re-read TZ by itself, hence tzset().
 */
void gs_tz_use(const char *zone)
{
	const char *want = zone[0] ? zone : "UTC";
	const char *cur = getenv("TZ");

	if (cur && strcmp(cur, want) == 0)
		return;
	if (setenv("TZ", want, 1) != 0)
		gs_log(GS_LOG_ERR,
		       "engine: cannot set TZ=%s; day resets use "
		       "the previous zone",
		       want);
	tzset();
}

int64_t gs_tz_offset_ms(int64_t utc_ms)
{
	time_t s = (time_t)gs_floor_div(utc_ms, GS_MS_PER_S);
	struct tm tm;

	if (!localtime_r(&s, &tm))
		return 0;
	return (int64_t)tm.tm_gmtoff * GS_MS_PER_S;
}

int64_t gs_tz_local_to_utc(int64_t local_ms)
{
	int64_t before = gs_tz_offset_ms(local_ms - 36 * GS_MS_PER_H);
	int64_t after = gs_tz_offset_ms(local_ms + 36 * GS_MS_PER_H);
	int64_t c1 = local_ms - before, c2 = local_ms - after;

	if (gs_tz_offset_ms(c1) == before)
		return c1;
	if (gs_tz_offset_ms(c2) == after)
		return c2;
	return c1; /* in the gap */
}
