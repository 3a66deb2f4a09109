/* SPDX-License-Identifier: MIT */
/*
 * Time zones: which names the configuration accepts, which zone the
 * engine can load, and local time under it (the daily reset).
 *
 * Local time comes from glibc's localtime_r() under the TZ environment
 * variable, and TZ is process-wide. glibc has no conversion that takes a
 * zone as an argument (tzcode's tzalloc() and localtime_rz() are not in
 * glibc), and reading the TZif files and their POSIX TZ rules here would
 * be a second, unproven copy of what glibc already does for every zone and
 * year. So gs_tz_use() sets TZ, and only when it differs from the zone
 * asked for. setenv() is not thread-safe: call it from the thread that owns
 * the engine, before starting threads that read the environment (Paho's
 * read nothing of TZ). Nothing else in gapsense sets TZ; report and wiring
 * print local time under whatever TZ the process has.
 */
#ifndef GS_TZ_H
#define GS_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The check of the configuration's timezone key: NULL if zone is a time
 * zone name whose file exists where the C library looks for it (TZDIR, as
 * glibc honours it, or /usr/share/zoneinfo), else why not, possibly
 * written into buf (len bytes).
 */
const char *gs_tz_check(const char *zone, char *buf, size_t len);

/*
 * Whether gs_tz_use(zone) gets that very zone: "" (UTC) and "UTC", which
 * glibc knows without tzdata, or a zone file as above. Looser than
 * gs_tz_check(): it is the engine's last line of defence, not a message
 * for an installer.
 */
bool gs_tz_valid(const char *zone);

/* Makes zone ("" for UTC) the zone of the functions below (sets TZ). */
void gs_tz_use(const char *zone);

/* The zone's offset from UTC at instant utc_ms; 0 if unknown. */
int64_t gs_tz_offset_ms(int64_t utc_ms);

/*
 * UTC instant of a local wall time (ms on the local time scale). A time in
 * a spring-forward gap uses the offset before the change; one that occurs
 * twice uses the first occurrence, which is also the offset before the
 * change (clarification 10). Assumes at most one change within 36 hours.
 */
int64_t gs_tz_local_to_utc(int64_t local_ms);

#endif
