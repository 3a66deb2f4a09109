/* SPDX-License-Identifier: MIT */
/*
 * Payload helpers of the sync module: the exact "historical" rewrite, the
 * status message, UTF-8 validation of commands, and the checks
 * gs_sync_new() makes on its configuration.
 */
#include "gateway/err.h"
#include "gateway/input.h"
#include "gateway/log.h"
#include "gateway/msg.h"
#include "gateway/timeutil.h"
#include "sync/sync_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- exact top-level member rewrite -------------------------------------- */

/*
 * A scan, not cJSON: the payloads are stored as sent and a resend must
 * repeat their bytes, but cJSON keeps a number as a double and prints it
 * anew ("240.0" comes back as "240", a sequence number past 2^53 as
 * "9.00719925474099e+15"). Parsed and printed by cJSON, 177 of 180
 * messages of the golden replays and a simulated day changed.
 */

struct gs_scan {
	const char *s;
	size_t len, pos;
};

static void gs_scan_ws(struct gs_scan *sc)
{
	while (sc->pos < sc->len &&
	       (sc->s[sc->pos] == ' ' || sc->s[sc->pos] == '\t' ||
	        sc->s[sc->pos] == '\n' || sc->s[sc->pos] == '\r'))
		sc->pos++;
}

/* At a '"': moves past the closing quote. */
static bool gs_scan_string(struct gs_scan *sc)
{
	sc->pos++;
	while (sc->pos < sc->len) {
		char c = sc->s[sc->pos++];

		if (c == '\\') {
			if (sc->pos >= sc->len)
				return false;
			sc->pos++;
		} else if (c == '"') {
			return true;
		}
	}
	return false;
}

/* Moves past one value of any type; structure only, as the payloads come
 * from our own store and cJSON has already produced them. */
static bool gs_scan_value(struct gs_scan *sc)
{
	unsigned depth = 0;

	gs_scan_ws(sc);
	if (sc->pos >= sc->len)
		return false;
	do {
		char c;

		if (sc->pos >= sc->len)
			return false;
		c = sc->s[sc->pos];
		if (c == '"') {
			if (!gs_scan_string(sc))
				return false;
		} else if (c == '{' || c == '[') {
			depth++;
			sc->pos++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return false;
			depth--;
			sc->pos++;
		} else if (depth == 0) {
			size_t start = sc->pos;

			while (
			    sc->pos < sc->len &&
			    strchr("+-.0123456789abcdefghijklmnopqrstuvwxyzE",
			           sc->s[sc->pos]) &&
			    sc->s[sc->pos] != '\0')
				sc->pos++;
			return sc->pos > start;
		} else {
			sc->pos++;
		}
	} while (depth > 0);
	return true;
}

char *gs_sync_json_set_historical(const char *json, size_t len, size_t *out_len)
{
	static const char key[] = "\"historical\"";
	static const char member[] = "\"historical\":true";
	struct gs_scan sc = {json, len, 0};
	size_t vstart = 0, vend = 0, close_pos;
	bool found = false, empty = true;
	char *out;
	size_t n;

	gs_scan_ws(&sc);
	if (sc.pos >= len || json[sc.pos] != '{')
		return NULL;
	sc.pos++;
	for (;;) {
		size_t kstart;

		gs_scan_ws(&sc);
		if (sc.pos < len && json[sc.pos] == '}' && empty)
			break;
		if (sc.pos >= len || json[sc.pos] != '"')
			return NULL;
		kstart = sc.pos;
		if (!gs_scan_string(&sc))
			return NULL;
		gs_scan_ws(&sc);
		if (sc.pos >= len || json[sc.pos] != ':')
			return NULL;
		sc.pos++;
		gs_scan_ws(&sc);
		if (sc.pos - kstart >= sizeof(key) - 1 &&
		    memcmp(json + kstart, key, sizeof(key) - 1) == 0 &&
		    !found) {
			found = true;
			vstart = sc.pos;
			if (!gs_scan_value(&sc))
				return NULL;
			vend = sc.pos;
		} else if (!gs_scan_value(&sc)) {
			return NULL;
		}
		empty = false;
		gs_scan_ws(&sc);
		if (sc.pos < len && json[sc.pos] == ',') {
			sc.pos++;
			continue;
		}
		if (sc.pos < len && json[sc.pos] == '}')
			break;
		return NULL;
	}
	close_pos = sc.pos;
	sc.pos++;
	gs_scan_ws(&sc);
	if (sc.pos != len)
		return NULL;

	if (found) {
		n = vstart + 4 + (len - vend);
		out = malloc(n + 1);
		if (!out)
			return NULL;
		memcpy(out, json, vstart);
		memcpy(out + vstart, "true", 4);
		memcpy(out + vstart + 4, json + vend, len - vend);
	} else {
		size_t add = sizeof(member) - 1 + (empty ? 0 : 1);

		n = len + add;
		out = malloc(n + 1);
		if (!out)
			return NULL;
		memcpy(out, json, close_pos);
		if (!empty)
			out[close_pos] = ',';
		memcpy(out + close_pos + (empty ? 0 : 1), member,
		       sizeof(member) - 1);
		memcpy(out + close_pos + add, json + close_pos,
		       len - close_pos);
	}
	out[n] = '\0';
	if (out_len)
		*out_len = n;
	return out;
}

/* ---- status -------------------------------------------------------------- */

/* "dropped_from" and "dropped_to": the span of what quota dropped, or null
 * (docs/mqtt.md, "Losses are declared"). */
static bool gs_sync_add_span(cJSON *ob, const struct gs_outbox_stats *st)
{
	if (st->dropped_from_ms < 0 || st->dropped_to_ms < 0)
		return cJSON_AddNullToObject(ob, "dropped_from") &&
		       cJSON_AddNullToObject(ob, "dropped_to");
	return gs_json_add_time(ob, "dropped_from", st->dropped_from_ms,
	                        true) &&
	       gs_json_add_time(ob, "dropped_to", st->dropped_to_ms, true);
}

cJSON *gs_sync_status_build(struct gs_sync *sync, const char *state,
                            const char *reason, bool with_outbox)
{
	cJSON *st = cJSON_CreateObject();
	bool ok;

	if (!st)
		return NULL;
	ok = cJSON_AddStringToObject(st, "schema", "gapsense.status.v1") &&
	     cJSON_AddStringToObject(st, "state", state) &&
	     cJSON_AddStringToObject(st, "site", sync->cfg.site) &&
	     cJSON_AddStringToObject(st, "gateway", sync->cfg.gateway_id) &&
	     cJSON_AddStringToObject(st, "version", GS_VERSION) &&
	     gs_json_add_time(st, "started", sync->started_ms, false);
	if (ok && reason)
		ok = cJSON_AddStringToObject(st, "reason", reason) != NULL;
	if (ok && with_outbox) {
		struct gs_outbox_stats stats;
		cJSON *ob;

		const cJSON *member;

		cJSON_ArrayForEach(member, sync->status_part)
		{
			cJSON *copy = cJSON_Duplicate(member, true);

			if (!copy ||
			    !cJSON_AddItemToObject(st, member->string, copy)) {
				cJSON_Delete(copy);
				ok = false;
				break;
			}
		}
		if (!cJSON_GetObjectItemCaseSensitive(st, "clock_synced"))
			ok = cJSON_AddNullToObject(st, "clock_synced") != NULL;
		if (ok && !cJSON_GetObjectItemCaseSensitive(st, "sensors"))
			ok = cJSON_AddArrayToObject(st, "sensors") != NULL;
		ob = ok ? cJSON_AddObjectToObject(st, "outbox") : NULL;
		if (ob && gs_store_outbox_stats(sync->store, &stats) == GS_OK) {
			int64_t age = -1;

			if (stats.oldest_ms >= 0) {
				age = (gs_sync_event_now_ms(sync) -
				       stats.oldest_ms) /
				      GS_MS_PER_S;
				if (age < 0)
					age = 0;
			}
			ok = gs_json_add_int(ob, "pending",
			                     (int64_t)stats.pending) &&
			     (age >= 0
			          ? gs_json_add_int(ob, "oldest_pending_age_s",
			                            age) != NULL
			          : cJSON_AddNullToObject(
			                ob, "oldest_pending_age_s") != NULL) &&
			     gs_json_add_int(ob, "dropped",
			                     (int64_t)stats.dropped) &&
			     gs_sync_add_span(ob, &stats);
		} else if (ob) {
			/* The store could not say: the schema allows null. */
			ok =
			    cJSON_AddNullToObject(ob, "pending") &&
			    cJSON_AddNullToObject(ob, "oldest_pending_age_s") &&
			    cJSON_AddNullToObject(ob, "dropped") &&
			    cJSON_AddNullToObject(ob, "dropped_from") &&
			    cJSON_AddNullToObject(ob, "dropped_to");
		} else {
			ok = false;
		}
		ok = ok &&
		     gs_json_add_int(st, "seq",
		                     (int64_t)gs_store_last_seq(sync->store));
	}
	if (!ok) {
		cJSON_Delete(st);
		return NULL;
	}
	return st;
}

/* ---- UTF-8 --------------------------------------------------------------- */

size_t gs_sync_utf8_check(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		/* The second byte's range excludes overlong forms (after E0,
		 * F0), surrogates (after ED) and code points above U+10FFFF
		 * (after F4); the others are plain continuation bytes. */
		unsigned char lo = 0x80, hi = 0xbf;
		size_t n;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			lo = c == 0xe0 ? 0xa0 : lo;
			hi = c == 0xed ? 0x9f : hi;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			lo = c == 0xf0 ? 0x90 : lo;
			hi = c == 0xf4 ? 0x8f : hi;
		} else {
			return i; /* a continuation byte, C0, C1 or F5..FF */
		}
		if (len - i - 1 < n || p[i + 1] < lo || p[i + 1] > hi)
			return i;
		for (size_t k = 2; k <= n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
		i += n + 1;
	}
	return len;
}

/* ---- configuration checks ------------------------------------------------ */

bool gs_sync_uri_is_loopback(const char *uri)
{
	const char *host = strstr(uri, "://");
	char name[GS_PATH_MAX];
	struct in6_addr a6;
	struct in_addr a4;
	size_t n;

	if (!host)
		return false;
	host += 3;
	if (*host == '[') {
		host++;
		n = strcspn(host, "]");
	} else {
		n = strcspn(host, ":/");
	}
	if (n == 0 || n >= sizeof(name))
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	/* By address, not by prefix: "127.example.net" is a name that may
	 * resolve anywhere. Names other than localhost are not resolved
	 * here (no DNS at start), so they get the warning. */
	if (inet_pton(AF_INET, name, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, name, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return strcasecmp(name, "localhost") == 0;
}

int gs_sync_read_password(const char *path, char **out)
{
	char buf[1024];
	const char *why;
	ssize_t n;
	size_t len;
	int fd;

	*out = NULL;
	fd = gs_input_open(path, &why); /* a regular file, or refused */
	if (fd < 0) {
		int e = errno;

		gs_log(GS_LOG_ERR, "mqtt: password_file %s: %s", path, why);
		return e == ENOENT ? GS_ENOENT : GS_EPERM;
	}
	/* Ownership and mode: gs_config_files_check(), before. */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		gs_log(GS_LOG_ERR, "mqtt: password_file %s: %s", path,
		       strerror(errno));
		return GS_EIO;
	}
	buf[n] = '\0';
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	if (len == 0) {
		gs_log(GS_LOG_ERR,
		       "mqtt: password_file %s: first line is empty", path);
		explicit_bzero(buf, sizeof(buf));
		return GS_ECONFIG;
	}
	*out = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return *out ? GS_OK : GS_ENOMEM;
}
