/* SPDX-License-Identifier: MIT */
/*
 * Commands from the cloud on {prefix}/{site}/{gateway}/cmd, replies on
 * .../cmd/reply. Payloads arrive here as copies made on Paho's thread and
 * are validated on the loop thread: size, JSON, the "id", the command, its
 * fields and their types. Anything wrong gets an error reply and a log
 * line; nothing from a command reaches a shell or a file path. An id that
 * was executed within the last hour is not executed again. A command runs
 * only when its reply has a place to wait in; otherwise it is refused
 * before it runs.
 */
#include "gateway/err.h"
#include "gateway/input.h"
#include "gateway/log.h"
#include "gateway/msg.h"
#include "gateway/timeutil.h"
#include "gateway/txn.h"
#include "sync/sync_priv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a command's check prepares for its run. */
struct gs_sync_cmd_args {
	int64_t from, to;
	struct gs_sync_resend *items; /* resend: windows, dailies; owned */
	size_t n, n_daily;
	struct gs_sync_resend *queue; /* resend: room for queue + items */
};

struct gs_sync_cmd_def {
	const char *name;
	const char *const *fields; /* allowed besides "id" and "cmd" */
	/* Checks the fields and prepares what run needs, with no visible
	 * effect; refuses (replies) itself and returns false when they are
	 * wrong. NULL: nothing to check. */
	bool (*check)(struct gs_sync *sync, const cJSON *req, const cJSON *id,
	              struct gs_sync_cmd_args *args);
	/* Executes and replies; nothing can refuse the command any more.
	 * Takes what args owns. */
	void (*run)(struct gs_sync *sync, const cJSON *id,
	            struct gs_sync_cmd_args *args);
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
		/* Only a refusal gets here (a command that runs has its
		 * place): counted, logged by gs_sync_cmd_flood_report. */
		sync->flood_replies++;
		cJSON_free(json);
		gs_sync_cmd_flood_report(sync, false);
		return;
	}
	/* cJSON_free is free() here: cJSON uses the default allocator. */
	sync->replies[sync->n_replies++].payload = json;
	gs_sync_flush_replies(sync);
}

/* IN (valid UTF-8, or NULL for nothing) for a log line and a reply,
 * quoted: control bytes and quotes become '?'. */
static void gs_sync_shown(const char *in, char *out, size_t len)
{
	if (!in)
		in = "";
	gs_input_escape_as(out, len, in, strlen(in), GS_INPUT_MASKED);
}

void gs_sync_cmd_flood_report(struct gs_sync *sync, bool force)
{
	int64_t now = gs_sync_mono_ms(sync);

	if (!sync->flood_ignored && !sync->flood_retained &&
	    !sync->flood_replies)
		return;
	if (!force && sync->flood_logged_mono_ms &&
	    now - sync->flood_logged_mono_ms < GS_SYNC_FLOOD_LOG_MS)
		return;
	sync->flood_logged_mono_ms = now;
	if (sync->flood_ignored)
		gs_log(GS_LOG_WARNING,
		       "mqtt: %u command(s) ignored (not run, no reply): more "
		       "than %d waiting for the event loop",
		       sync->flood_ignored, GS_SYNC_CMD_QUEUE_MAX);
	if (sync->flood_retained)
		gs_log(GS_LOG_WARNING,
		       "mqtt: %u retained message(s) on %s ignored (not run, "
		       "no reply): commands must not be retained; clear it "
		       "with an empty retained message",
		       sync->flood_retained, sync->topic_cmd);
	if (sync->flood_replies)
		gs_log(GS_LOG_WARNING,
		       "mqtt: %u refusal(s) not sent: %d replies already wait "
		       "for the broker (the commands did not run)",
		       sync->flood_replies, GS_SYNC_REPLY_MAX);
	sync->flood_ignored = sync->flood_retained = sync->flood_replies = 0;
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
	gs_sync_shown(cJSON_IsString(id) ? id->valuestring : "-", shown,
	              sizeof(shown));
	gs_complain(&sync->cmd_complaint, GS_LOG_WARNING,
	            "mqtt: command %s refused: %s", shown, error);
	gs_sync_cmd_reply(sync, cJSON_IsString(id) ? id : NULL, false, error,
	                  NULL);
}

/* ---- commands ------------------------------------------------------------ */

static void gs_sync_cmd_args_clear(struct gs_sync_cmd_args *args)
{
	for (size_t i = 0; i < args->n; i++)
		free(args->items[i].payload);
	free(args->items);
	free(args->queue);
	memset(args, 0, sizeof(*args));
}

static void gs_sync_cmd_ping(struct gs_sync *sync, const cJSON *id,
                             struct gs_sync_cmd_args *args)
{
	cJSON *res = cJSON_CreateObject();

	(void)args;
	if (res) {
		gs_json_add_time(res, "time", gs_sync_wall_ms(sync), true);
		gs_json_add_int(res, "uptime_s",
		                (gs_sync_wall_ms(sync) - sync->started_ms) /
		                    GS_MS_PER_S);
		gs_json_add_int(res, "seq",
		                (int64_t)gs_store_last_seq(sync->store));
	}
	gs_sync_cmd_reply(sync, id, true, NULL, res);
}

static void gs_sync_cmd_status(struct gs_sync *sync, const cJSON *id,
                               struct gs_sync_cmd_args *args)
{
	cJSON *res = cJSON_CreateObject();

	(void)args;
	gs_sync_publish_status(sync, true);
	if (res)
		cJSON_AddBoolToObject(res, "published", !sync->status_due);
	gs_sync_cmd_reply(sync, id, true, NULL, res);
}

struct gs_sync_collect {
	struct gs_sync_resend *items;
	size_t n, n_daily;
	bool failed;
};

static void gs_sync_collect_window(void *ctx, uint64_t seq,
                                   int64_t window_start_ms, const char *payload)
{
	struct gs_sync_collect *c = ctx;
	char *copy;

	(void)window_start_ms;
	if (c->failed || c->n >= GS_SYNC_RESEND_MAX + GS_SYNC_RESEND_DAYS)
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

/* Reads the windows and allocates everything run needs, so that once the
 * id is committed the resend cannot fail half-way. */
static bool gs_sync_cmd_resend_check(struct gs_sync *sync, const cJSON *req,
                                     const cJSON *id,
                                     struct gs_sync_cmd_args *args)
{
	struct gs_sync_collect c = {0};
	size_t n = 0, left;
	int rc;

	if (!gs_sync_cmd_time(sync, req, id, "from", &args->from) ||
	    !gs_sync_cmd_time(sync, req, id, "to", &args->to))
		return false;
	if (args->from >= args->to) {
		gs_sync_refuse(sync, id,
		               "resend: \"from\" must be before \"to\"");
		return false;
	}
	if (args->to - args->from > GS_SYNC_RESEND_SPAN_MS) {
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
	c.items =
	    calloc(GS_SYNC_RESEND_MAX + GS_SYNC_RESEND_DAYS, sizeof(*c.items));
	if (!c.items) {
		gs_sync_refuse(sync, id, "resend: out of memory");
		return false;
	}
	rc = gs_store_windows_range(sync->store, args->from, args->to,
	                            GS_SYNC_RESEND_MAX + 1,
	                            gs_sync_collect_window, &c, &n);
	/* Then the daily rollups of the days starting in the range (at most
	 * 31: the span's limit). */
	if (rc == GS_OK && n <= GS_SYNC_RESEND_MAX) {
		size_t windows = c.n;

		rc = gs_store_dailies_range(sync->store, args->from, args->to,
		                            gs_sync_collect_window, &c, NULL);
		c.n_daily = c.n - windows;
	}
	args->items = c.items;
	args->n = c.n;
	args->n_daily = c.n_daily;
	if (rc || c.failed) {
		gs_sync_refuse(sync, id,
		               "resend: cannot read the stored windows: %s",
		               gs_strerror(rc ? rc : GS_ENOMEM));
		return false;
	}
	if (n > GS_SYNC_RESEND_MAX) {
		gs_sync_refuse(
		    sync, id,
		    "resend: more than %d windows in that range; ask "
		    "for a shorter one",
		    GS_SYNC_RESEND_MAX);
		return false;
	}
	args->queue = malloc((left + c.n + 1) * sizeof(*args->queue));
	if (!args->queue) {
		gs_sync_refuse(sync, id, "resend: out of memory");
		return false;
	}
	return true;
}

/* Appends the windows to what is still queued. */
static void gs_sync_cmd_resend(struct gs_sync *sync, const cJSON *id,
                               struct gs_sync_cmd_args *args)
{
	size_t left = sync->n_resend - sync->resend_pos;
	cJSON *res;

	if (left > 0)
		memcpy(args->queue, sync->resend + sync->resend_pos,
		       left * sizeof(*args->queue));
	if (args->n > 0)
		memcpy(args->queue + left, args->items,
		       args->n * sizeof(*args->queue));
	free(sync->resend);
	sync->resend = args->queue;
	sync->n_resend = left + args->n;
	sync->resend_pos = 0;

	res = cJSON_CreateObject();
	if (res) {
		gs_json_add_int(res, "windows",
		                (int64_t)(args->n - args->n_daily));
		gs_json_add_int(res, "dailies", (int64_t)args->n_daily);
		gs_json_add_time(res, "from", args->from, false);
		gs_json_add_time(res, "to", args->to, false);
	}
	gs_log(GS_LOG_INFO,
	       "mqtt: resending %zu window(s) and %zu daily rollup(s)",
	       args->n - args->n_daily, args->n_daily);
	/* The payloads belong to the queue now. */
	free(args->items);
	memset(args, 0, sizeof(*args));
	gs_sync_cmd_reply(sync, id, true, NULL, res);
	gs_sync_pump(sync);
}

static const char *const gs_sync_no_fields[] = {NULL};
static const char *const gs_sync_resend_fields[] = {"from", "to", NULL};

static const struct gs_sync_cmd_def gs_sync_cmds[] = {
    {"ping", gs_sync_no_fields, NULL, gs_sync_cmd_ping},
    {"status", gs_sync_no_fields, NULL, gs_sync_cmd_status},
    {"resend", gs_sync_resend_fields, gs_sync_cmd_resend_check,
     gs_sync_cmd_resend},
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

/*
 * The command req names, once its id, its room for a reply, its name and
 * its fields are acceptable; NULL when it was refused (and told so).
 */
static const struct gs_sync_cmd_def *
gs_sync_cmd_accept(struct gs_sync *sync, const cJSON *req, const cJSON *id)
{
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(req, "cmd");
	const struct gs_sync_cmd_def *def;
	const cJSON *member;
	char shown[40];

	if (!id) {
		gs_sync_refuse(sync, NULL, "missing \"id\"");
		return NULL;
	}
	if (!gs_sync_id_valid(id)) {
		gs_sync_refuse(sync, NULL,
		               "\"id\" must be a string of 1 to %d printable "
		               "characters",
		               GS_SYNC_CMD_ID_MAX);
		return NULL;
	}
	/* Before anything runs: its reply must have a place. */
	if (sync->n_replies >= GS_SYNC_REPLY_MAX - GS_SYNC_REPLY_SPARE) {
		gs_sync_refuse(sync, id,
		               "busy: %zu replies wait for the broker; not "
		               "executed, try again in a few seconds",
		               sync->n_replies);
		return NULL;
	}
	if (!cmd) {
		gs_sync_refuse(sync, id, "missing \"cmd\"");
		return NULL;
	}
	if (!cJSON_IsString(cmd)) {
		gs_sync_refuse(sync, id, "\"cmd\" must be a string");
		return NULL;
	}
	def = gs_sync_cmd_find(cmd->valuestring);
	if (!def) {
		gs_sync_shown(cmd->valuestring, shown, sizeof(shown));
		gs_sync_refuse(sync, id,
		               "unknown command \"%s\" (known: ping, status, "
		               "resend)",
		               shown);
		return NULL;
	}
	cJSON_ArrayForEach(member, req)
	{
		if (!member->string ||
		    !gs_sync_field_allowed(def, member->string)) {
			gs_sync_shown(member->string, shown, sizeof(shown));
			gs_sync_refuse(sync, id, "%s: unknown field \"%s\"",
			               def->name, shown);
			return NULL;
		}
	}
	return def;
}

static void gs_sync_cmd_run(struct gs_sync *sync, const cJSON *req)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
	struct gs_sync_cmd_args args = {0};
	const struct gs_sync_cmd_def *def;
	struct gs_sync_seen *slot;
	int64_t now = gs_sync_mono_ms(sync), wait_ms = 0;
	int rc;

	def = gs_sync_cmd_accept(sync, req, id);
	if (!def)
		return;
	if (gs_sync_seen_find(sync, id->valuestring, now)) {
		gs_sync_refuse(sync, id,
		               "duplicate: a command with this id was already "
		               "executed within the last hour");
		return;
	}
	slot = gs_sync_seen_slot(sync, now, &wait_ms);
	if (!slot) {
		gs_sync_refuse(sync, id,
		               "busy: %d commands executed within the last "
		               "hour, the most this gateway remembers; try "
		               "again in %" PRId64 " s",
		               GS_SYNC_CMD_DEDUPE_MAX,
		               (wait_ms + GS_MS_PER_S - 1) / GS_MS_PER_S);
		return;
	}
	if (def->check && !def->check(sync, req, id, &args)) {
		gs_sync_cmd_args_clear(&args);
		return;
	}
	rc = gs_sync_seen_commit(sync, slot, id->valuestring, now);
	if (rc) {
		gs_sync_cmd_args_clear(&args);
		gs_sync_refuse(sync, id,
		               "cannot record the command id: %s; not "
		               "executed",
		               gs_strerror(rc));
		return;
	}
	def->run(sync, id, &args);
	gs_sync_cmd_args_clear(&args);
}

/*
 * Where the first "\u0000" escape inside a JSON string is, or len. cJSON
 * decodes it into a NUL that ends the C string: "a\u0000b" would be taken
 * as "a", past every check on the characters of an id.
 */
static size_t gs_sync_json_nul_escape(const char *text, size_t len)
{
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		if (!in_string) {
			in_string = text[i] == '"';
			continue;
		}
		if (text[i] == '"') {
			in_string = false;
		} else if (text[i] == '\\' && i + 1 < len) {
			if (text[i + 1] == 'u' && i + 5 < len &&
			    memcmp(text + i + 2, "0000", 4) == 0)
				return i;
			i++; /* the escaped character */
		}
	}
	return len;
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
	/* cJSON takes any byte in a string: without this an invalid id
	 * would be echoed into the reply and the log. */
	pos = gs_sync_utf8_check(ev->text, ev->len);
	if (pos < ev->len) {
		gs_sync_refuse(sync, NULL,
		               "payload is not valid UTF-8 (byte %zu)", pos);
		return;
	}
	pos = gs_sync_json_nul_escape(ev->text, ev->len);
	if (pos < ev->len) {
		gs_sync_refuse(sync, NULL,
		               "\\u0000 at byte %zu: \"id\" must be a string "
		               "of 1 to %d printable characters, and no string "
		               "may hold a NUL",
		               pos, GS_SYNC_CMD_ID_MAX);
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
