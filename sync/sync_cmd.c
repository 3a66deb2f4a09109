/* SPDX-License-Identifier: MIT */
/*
 * Commands from the cloud on {prefix}/{site}/{gateway}/cmd, replies on
 * .../cmd/reply. Payloads arrive here as copies made on Paho's thread and
 * are validated on the loop thread: size, JSON, the "id", the command, its
 * fields and their types. Anything wrong gets an error reply and a log
 * line; nothing from a command reaches a shell or a file path. An id that
 * was executed within the last hour is not executed again.
 */
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/msg.h"
#include "gateway/timeutil.h"
#include "sync/sync_priv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gs_sync_cmd_def {
	const char *name;
	const char *const *fields; /* allowed besides "id" and "cmd" */
	/* Replies itself; returns true when the command was executed. */
	bool (*run)(struct gs_sync *sync, const cJSON *req, const cJSON *id);
};

/* ---- replies ------------------------------------------------------------- */

void gs_sync_flush_replies(struct gs_sync *sync)
{
	while (sync->n_replies > 0 && sync->state == GS_SYNC_CONNECTED) {
		if (gs_sync_publish_extra(sync, GS_PUB_REPLY, 0,
		                          sync->replies[0].payload))
			return;
		sync->n_replies--;
		memmove(&sync->replies[0], &sync->replies[1],
		        sync->n_replies * sizeof(sync->replies[0]));
	}
}

void gs_sync_cmd_reply(struct gs_sync *sync, const cJSON *id, bool ok,
                       const char *error, cJSON *result)
{
	cJSON *r = cJSON_CreateObject();
	char *json = NULL;
	bool built;

	built = r &&
	        (id ? cJSON_AddItemToObject(r, "id", cJSON_Duplicate(id, 0))
	            : cJSON_AddNullToObject(r, "id") != NULL) &&
	        cJSON_AddBoolToObject(r, "ok", ok) &&
	        (!error || cJSON_AddStringToObject(r, "error", error)) &&
	        (!result || cJSON_AddItemToObject(r, "result", result));
	if (!built && result && !cJSON_GetObjectItemCaseSensitive(r, "result"))
		cJSON_Delete(result);
	if (built)
		json = gs_json_print(r);
	cJSON_Delete(r);
	if (!json) {
		gs_log(GS_LOG_ERR, "mqtt: out of memory building a reply");
		return;
	}
	if (sync->n_replies == GS_SYNC_REPLY_MAX) {
		gs_log(GS_LOG_WARNING,
		       "mqtt: %d replies already wait for the "
		       "broker; this one is dropped",
		       GS_SYNC_REPLY_MAX);
		cJSON_free(json);
		return;
	}
	/* cJSON_free is free() here: cJSON uses the default allocator. */
	sync->replies[sync->n_replies++].payload = json;
	gs_sync_flush_replies(sync);
}

/* Printable for a log line: control bytes and quotes become '?'. */
static void gs_sync_sanitize(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in && in[i] && i + 1 < len; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = (c < 0x20 || c == 0x7f || c == '"') ? '?' : (char)c;
	}
	out[i] = '\0';
}

static void gs_sync_refuse(struct gs_sync *sync, const cJSON *id,
                           const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void gs_sync_refuse(struct gs_sync *sync, const cJSON *id,
                           const char *fmt, ...)
{
	char error[256], shown[GS_SYNC_CMD_ID_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(error, sizeof(error), fmt, ap);
	va_end(ap);
	gs_sync_sanitize(cJSON_IsString(id) ? id->valuestring : "-", shown,
	                 sizeof(shown));
	gs_complain(&sync->cmd_complaint, GS_LOG_WARNING,
	            "mqtt: command %s refused: %s", shown, error);
	gs_sync_cmd_reply(sync, cJSON_IsString(id) ? id : NULL, false, error,
	                  NULL);
}

static bool gs_sync_id_valid(const cJSON *id);

/* ---- dedupe -------------------------------------------------------------- */

static const struct gs_sync_seen *gs_sync_seen_find(const struct gs_sync *sync,
                                                    const char *id, int64_t now)
{
	for (size_t i = 0; i < GS_SYNC_CMD_DEDUPE_MAX; i++) {
		const struct gs_sync_seen *s = &sync->seen[i];

		if (s->id[0] && now - s->mono_ms < GS_SYNC_CMD_DEDUPE_MS &&
		    strcmp(s->id, id) == 0)
			return s;
	}
	return NULL;
}

static void gs_sync_seen_add(struct gs_sync *sync, const char *id, int64_t now)
{
	struct gs_sync_seen *s = &sync->seen[sync->seen_next];

	/* A ring: the oldest id makes room. 256 commands an hour is far
	 * beyond what a cloud sends one gateway. */
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->mono_ms = now;
	s->wall_ms = gs_clock_realtime_ms();
	sync->seen_next = (sync->seen_next + 1) % GS_SYNC_CMD_DEDUPE_MAX;
	sync->seen_dirty = true; /* saved by the next tick */
}

/* Meta holds [["id", wall_ms], ...], oldest first, the last hour only. */
void gs_sync_seen_save(struct gs_sync *sync, bool force)
{
	int64_t now = gs_sync_mono_ms();
	char num[24], *json;
	cJSON *arr;
	int rc;

	if (!sync->seen_dirty ||
	    (!force && now - sync->seen_saved_mono_ms < GS_MS_PER_S))
		return;
	arr = cJSON_CreateArray();
	for (size_t k = 0; arr && k < GS_SYNC_CMD_DEDUPE_MAX; k++) {
		const struct gs_sync_seen *s =
		    &sync->seen[(sync->seen_next + k) % GS_SYNC_CMD_DEDUPE_MAX];
		cJSON *pair;

		if (!s->id[0] || now - s->mono_ms >= GS_SYNC_CMD_DEDUPE_MS)
			continue;
		pair = cJSON_CreateArray();
		if (!pair || !cJSON_AddItemToArray(arr, pair))
			break;
		snprintf(num, sizeof(num), "%" PRId64, s->wall_ms);
		cJSON_AddItemToArray(pair, cJSON_CreateString(s->id));
		cJSON_AddItemToArray(pair, cJSON_CreateRaw(num));
	}
	json = arr ? gs_json_print(arr) : NULL;
	cJSON_Delete(arr);
	if (!json) {
		gs_log(GS_LOG_ERR, "mqtt: out of memory saving command ids");
		return;
	}
	rc = gs_store_meta_set(sync->store, GS_SYNC_META_CMD_IDS, json);
	cJSON_free(json);
	if (rc) {
		gs_complain(&sync->store_complaint, GS_LOG_ERR,
		            "mqtt: cannot save executed command ids: %s",
		            gs_strerror(rc));
		return;
	}
	sync->seen_dirty = false;
	sync->seen_saved_mono_ms = now;
}

void gs_sync_seen_load(struct gs_sync *sync)
{
	size_t len = GS_SYNC_CMD_DEDUPE_MAX * (GS_SYNC_CMD_ID_MAX * 6 + 32);
	int64_t now = gs_sync_mono_ms(), wall = gs_clock_realtime_ms();
	char *buf = malloc(len);
	const cJSON *pair;
	cJSON *arr;

	if (!buf)
		return;
	if (gs_store_meta_get(sync->store, GS_SYNC_META_CMD_IDS, buf, len)) {
		free(buf);
		return;
	}
	arr = cJSON_Parse(buf);
	free(buf);
	cJSON_ArrayForEach(pair, arr)
	{
		const cJSON *id = cJSON_GetArrayItem(pair, 0);
		const cJSON *t = cJSON_GetArrayItem(pair, 1);
		int64_t age;

		if (!gs_sync_id_valid(id) || !cJSON_IsNumber(t))
			continue;
		age = wall - (int64_t)t->valuedouble;
		if (age < 0 || age >= GS_SYNC_CMD_DEDUPE_MS)
			continue; /* expired, or the clock moved back */
		gs_sync_seen_add(sync, id->valuestring, now - age);
		sync->seen[(sync->seen_next + GS_SYNC_CMD_DEDUPE_MAX - 1) %
		           GS_SYNC_CMD_DEDUPE_MAX]
		    .wall_ms = (int64_t)t->valuedouble;
	}
	cJSON_Delete(arr);
	sync->seen_dirty = false;
}

/* ---- commands ------------------------------------------------------------ */

static bool gs_sync_cmd_ping(struct gs_sync *sync, const cJSON *req,
                             const cJSON *id)
{
	cJSON *res = cJSON_CreateObject();

	(void)req;
	if (res) {
		gs_json_add_time(res, "time", gs_clock_realtime_ms(), true);
		gs_json_add_int(res, "uptime_s",
		                (gs_clock_realtime_ms() - sync->started_ms) /
		                    GS_MS_PER_S);
		gs_json_add_int(res, "seq",
		                (int64_t)gs_store_last_seq(sync->store));
	}
	gs_sync_cmd_reply(sync, id, true, NULL, res);
	return true;
}

static bool gs_sync_cmd_status(struct gs_sync *sync, const cJSON *req,
                               const cJSON *id)
{
	cJSON *res = cJSON_CreateObject();

	(void)req;
	gs_sync_publish_status(sync, true);
	if (res)
		cJSON_AddBoolToObject(res, "published", !sync->status_due);
	gs_sync_cmd_reply(sync, id, true, NULL, res);
	return true;
}

struct gs_sync_collect {
	struct gs_sync_resend *items;
	size_t n;
	bool failed;
};

static void gs_sync_collect_window(void *ctx, uint64_t seq,
                                   int64_t window_start_ms, const char *payload)
{
	struct gs_sync_collect *c = ctx;
	char *copy;

	(void)window_start_ms;
	if (c->failed || c->n >= GS_SYNC_RESEND_MAX)
		return;
	copy = gs_sync_json_set_historical(payload, strlen(payload), NULL);
	if (!copy) {
		c->failed = true;
		return;
	}
	c->items[c->n++] = (struct gs_sync_resend){seq, copy};
}

/* Reads member name of req as an ISO-8601 UTC time. */
static bool gs_sync_cmd_time(struct gs_sync *sync, const cJSON *req,
                             const cJSON *id, const char *name, int64_t *ms)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, name);

	if (!v) {
		gs_sync_refuse(sync, id, "resend: missing \"%s\"", name);
		return false;
	}
	if (!cJSON_IsString(v) || gs_time_parse(v->valuestring, ms)) {
		gs_sync_refuse(sync, id,
		               "resend: \"%s\" must be an ISO-8601 UTC time "
		               "such as \"2026-11-23T09:00:00Z\"",
		               name);
		return false;
	}
	return true;
}

static bool gs_sync_cmd_resend(struct gs_sync *sync, const cJSON *req,
                               const cJSON *id)
{
	struct gs_sync_collect c = {0};
	struct gs_sync_resend *queue;
	int64_t from, to;
	size_t n = 0, left;
	cJSON *res;
	int rc;

	if (!gs_sync_cmd_time(sync, req, id, "from", &from) ||
	    !gs_sync_cmd_time(sync, req, id, "to", &to))
		return false;
	if (from >= to) {
		gs_sync_refuse(sync, id,
		               "resend: \"from\" must be before \"to\"");
		return false;
	}
	if (to - from > GS_SYNC_RESEND_SPAN_MS) {
		gs_sync_refuse(sync, id,
		               "resend: at most 31 days at a time; split the "
		               "range");
		return false;
	}
	left = sync->n_resend - sync->resend_pos;
	if (left > GS_SYNC_RESEND_MAX) {
		gs_sync_refuse(sync, id,
		               "resend: %zu windows still being "
		               "resent; try again later",
		               left);
		return false;
	}
	/* Count first (one more than allowed tells "too many"). */
	c.items = calloc(GS_SYNC_RESEND_MAX, sizeof(*c.items));
	if (!c.items) {
		gs_sync_refuse(sync, id, "resend: out of memory");
		return false;
	}
	rc = gs_store_windows_range(sync->store, from, to,
	                            GS_SYNC_RESEND_MAX + 1,
	                            gs_sync_collect_window, &c, &n);
	if (rc || c.failed || n > GS_SYNC_RESEND_MAX) {
		for (size_t i = 0; i < c.n; i++)
			free(c.items[i].payload);
		free(c.items);
		if (rc || c.failed)
			gs_sync_refuse(sync, id,
			               "resend: cannot read the "
			               "stored windows: %s",
			               gs_strerror(rc ? rc : GS_ENOMEM));
		else
			gs_sync_refuse(sync, id,
			               "resend: more than %d windows in that "
			               "range; ask for a shorter one",
			               GS_SYNC_RESEND_MAX);
		return false;
	}
	/* Append to what is still queued. */
	queue = malloc((left + c.n + 1) * sizeof(*queue));
	if (!queue) {
		for (size_t i = 0; i < c.n; i++)
			free(c.items[i].payload);
		free(c.items);
		gs_sync_refuse(sync, id, "resend: out of memory");
		return false;
	}
	if (left > 0)
		memcpy(queue, sync->resend + sync->resend_pos,
		       left * sizeof(*queue));
	memcpy(queue + left, c.items, c.n * sizeof(*queue));
	free(sync->resend);
	free(c.items);
	sync->resend = queue;
	sync->n_resend = left + c.n;
	sync->resend_pos = 0;

	res = cJSON_CreateObject();
	if (res) {
		gs_json_add_int(res, "windows", (int64_t)c.n);
		gs_json_add_time(res, "from", from, false);
		gs_json_add_time(res, "to", to, false);
	}
	gs_log(GS_LOG_INFO, "mqtt: resending %zu window(s)", c.n);
	gs_sync_cmd_reply(sync, id, true, NULL, res);
	gs_sync_pump(sync);
	return true;
}

static const char *const gs_sync_no_fields[] = {NULL};
static const char *const gs_sync_resend_fields[] = {"from", "to", NULL};

static const struct gs_sync_cmd_def gs_sync_cmds[] = {
    {"ping", gs_sync_no_fields, gs_sync_cmd_ping},
    {"status", gs_sync_no_fields, gs_sync_cmd_status},
    {"resend", gs_sync_resend_fields, gs_sync_cmd_resend},
};

#define GS_SYNC_N_CMDS (sizeof(gs_sync_cmds) / sizeof(gs_sync_cmds[0]))

static const struct gs_sync_cmd_def *gs_sync_cmd_find(const char *name)
{
	for (size_t i = 0; i < GS_SYNC_N_CMDS; i++)
		if (strcmp(gs_sync_cmds[i].name, name) == 0)
			return &gs_sync_cmds[i];
	return NULL;
}

static bool gs_sync_field_allowed(const struct gs_sync_cmd_def *def,
                                  const char *name)
{
	if (strcmp(name, "id") == 0 || strcmp(name, "cmd") == 0)
		return true;
	for (const char *const *f = def->fields; *f; f++)
		if (strcmp(*f, name) == 0)
			return true;
	return false;
}

static bool gs_sync_id_valid(const cJSON *id)
{
	size_t len;

	if (!cJSON_IsString(id) || !id->valuestring)
		return false;
	len = strlen(id->valuestring);
	if (len == 0 || len > GS_SYNC_CMD_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)id->valuestring[i];

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static void gs_sync_cmd_run(struct gs_sync *sync, const cJSON *req)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(req, "cmd");
	const struct gs_sync_cmd_def *def;
	const cJSON *member;
	char shown[40];
	int64_t now = gs_sync_mono_ms();

	if (!id) {
		gs_sync_refuse(sync, NULL, "missing \"id\"");
		return;
	}
	if (!gs_sync_id_valid(id)) {
		gs_sync_refuse(sync, NULL,
		               "\"id\" must be a string of 1 to %d printable "
		               "characters",
		               GS_SYNC_CMD_ID_MAX);
		return;
	}
	if (!cmd) {
		gs_sync_refuse(sync, id, "missing \"cmd\"");
		return;
	}
	if (!cJSON_IsString(cmd)) {
		gs_sync_refuse(sync, id, "\"cmd\" must be a string");
		return;
	}
	def = gs_sync_cmd_find(cmd->valuestring);
	if (!def) {
		gs_sync_sanitize(cmd->valuestring, shown, sizeof(shown));
		gs_sync_refuse(sync, id,
		               "unknown command \"%s\" (known: ping, status, "
		               "resend)",
		               shown);
		return;
	}
	cJSON_ArrayForEach(member, req)
	{
		if (!member->string ||
		    !gs_sync_field_allowed(def, member->string)) {
			gs_sync_sanitize(member->string, shown, sizeof(shown));
			gs_sync_refuse(sync, id, "%s: unknown field \"%s\"",
			               def->name, shown);
			return;
		}
	}
	if (gs_sync_seen_find(sync, id->valuestring, now)) {
		gs_sync_refuse(sync, id,
		               "duplicate: a command with this id was already "
		               "executed within the last hour");
		return;
	}
	if (def->run(sync, req, id))
		gs_sync_seen_add(sync, id->valuestring, now);
}

void gs_sync_cmd_handle(struct gs_sync *sync, const struct gs_sync_ev *ev)
{
	const char *end = NULL;
	cJSON *req;
	size_t pos;

	if (ev->oversized) {
		gs_sync_refuse(sync, NULL,
		               "payload of %zu bytes exceeds the limit of %d",
		               ev->len, GS_SYNC_CMD_MAX_BYTES);
		return;
	}
	if (ev->len == 0) {
		gs_sync_refuse(sync, NULL, "empty payload");
		return;
	}
	if (memchr(ev->text, '\0', ev->len)) {
		gs_sync_refuse(sync, NULL, "payload contains a NUL byte");
		return;
	}
	req = cJSON_ParseWithLengthOpts(ev->text, ev->len, &end, 0);
	if (!req) {
		const char *at = cJSON_GetErrorPtr();

		pos = at && at >= ev->text && at <= ev->text + ev->len
		          ? (size_t)(at - ev->text)
		          : 0;
		gs_sync_refuse(sync, NULL, "malformed JSON near byte %zu", pos);
		return;
	}
	for (pos = (size_t)(end - ev->text); pos < ev->len; pos++) {
		char c = ev->text[pos];

		if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			gs_sync_refuse(sync, NULL,
			               "malformed JSON: trailing data at byte "
			               "%zu",
			               pos);
			cJSON_Delete(req);
			return;
		}
	}
	if (!cJSON_IsObject(req))
		gs_sync_refuse(sync, NULL, "not a JSON object");
	else
		gs_sync_cmd_run(sync, req);
	cJSON_Delete(req);
}
