/* SPDX-License-Identifier: MIT */
#include "gateway/status.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/msg.h"
#include "gateway/notify.h"
#include "gateway/timeutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GS_STATUS_SENSORS 32
#define GS_STATUS_LINE    256

struct gs_status_sensor {
	char name[64];
	bool faulted;
	int64_t since_ms; /* when it faulted (event time) */
};

struct gs_status {
	char db_path[4096];
	char path[4096];
	char *last_json;
	char line[GS_STATUS_LINE];
	bool connected;
	int64_t connected_since_ms; /* INT64_MIN: not yet known */
	int64_t started_ms;
	struct gs_status_sensor sensors[GS_STATUS_SENSORS];
	size_t n_sensors;
	struct gs_complaint complaint;
};

int gs_status_path(const char *db_path, bool systemd, char *buf, size_t len)
{
	const char *rt = systemd ? getenv("RUNTIME_DIRECTORY") : NULL;
	int n;

	if (rt && *rt) /* several directories are separated by ':' */
		n = snprintf(buf, len, "%.*s/" GS_STATUS_FILE,
		             (int)strcspn(rt, ":"), rt);
	else
		n = snprintf(buf, len, "%s-" GS_STATUS_FILE, db_path);
	return n < 0 || (size_t)n >= len ? GS_EINVAL : GS_OK;
}

struct gs_status *gs_status_new(const char *db_path)
{
	struct gs_status *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	snprintf(st->db_path, sizeof(st->db_path), "%s", db_path);
	if (gs_status_path(db_path, true, st->path, sizeof(st->path))) {
		free(st);
		return NULL;
	}
	st->connected_since_ms = INT64_MIN;
	st->started_ms = gs_clock_realtime_ms();
	return st;
}

void gs_status_free(struct gs_status *st)
{
	if (!st)
		return;
	if (st->last_json && unlink(st->path) != 0 && errno != ENOENT)
		gs_log(GS_LOG_WARNING, "status: unlink %s: %s", st->path,
		       strerror(errno));
	cJSON_free(st->last_json);
	free(st);
}

/* Tracks fault transitions: since when each sensor is faulted. */
static struct gs_status_sensor *gs_status_sensor(struct gs_status *st,
                                                 const char *name)
{
	for (size_t i = 0; i < st->n_sensors; i++)
		if (strcmp(st->sensors[i].name, name) == 0)
			return &st->sensors[i];
	if (st->n_sensors == GS_STATUS_SENSORS)
		return NULL;
	snprintf(st->sensors[st->n_sensors].name, sizeof(st->sensors[0].name),
	         "%s", name);
	return &st->sensors[st->n_sensors++];
}

static void gs_status_write(struct gs_status *st, const char *json)
{
	char tmp[4200];
	FILE *f;
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp", st->path);

	if (n < 0 || (size_t)n >= sizeof(tmp))
		return;
	f = fopen(tmp, "we");
	if (!f)
		goto err;
	if (fputs(json, f) < 0 || fputc('\n', f) == EOF) {
		fclose(f);
		goto err_unlink;
	}
	if (fclose(f) != 0)
		goto err_unlink;
	if (rename(tmp, st->path) != 0)
		goto err_unlink;
	gs_complain_release(&st->complaint, GS_LOG_NOTICE,
	                    "status: %s written again", st->path);
	return;

err_unlink:
	(void)unlink(tmp);
err:
	gs_complain(&st->complaint, GS_LOG_WARNING,
	            "status: cannot write %s: %s (gapsense status reads the "
	            "store alone)",
	            st->path, strerror(errno));
}

/* "connected; 0 waiting; 4 sensors ok" and what is wrong, in one line. */
static void gs_status_line(struct gs_status *st,
                           const struct gs_status_input *in,
                           const struct gs_outbox_stats *ob, bool ob_ok,
                           unsigned n_faulted, unsigned n_sensors, bool synced)
{
	char line[GS_STATUS_LINE];
	size_t off = 0;

#define GS_ADD(...)                                                            \
	do {                                                                   \
		int n_ =                                                       \
		    snprintf(line + off, sizeof(line) - off, __VA_ARGS__);     \
		if (n_ > 0)                                                    \
			off += (size_t)n_ < sizeof(line) - off                 \
			           ? (size_t)n_                                \
			           : sizeof(line) - off - 1;                   \
	} while (0)
	GS_ADD("%s", in->connected ? "connected" : "broker not connected");
	if (ob_ok)
		GS_ADD("; %" PRIu64 " waiting", ob->pending);
	if (n_faulted)
		GS_ADD("; %u of %u sensors faulted", n_faulted, n_sensors);
	else
		GS_ADD("; %u sensors ok", n_sensors);
	if (!synced)
		GS_ADD("; clock not synchronised");
	if (in->kept)
		GS_ADD("; disk full: %zu messages in memory", in->kept);
#undef GS_ADD
	if (strcmp(line, st->line) != 0) {
		memcpy(st->line, line, sizeof(line));
		gs_notifyf("STATUS=%s", line);
	}
}

/* "outbox": the store's counts, when it could read them. */
static void gs_status_outbox(cJSON *out, const struct gs_outbox_stats *ob,
                             bool ob_ok)
{
	cJSON *o = cJSON_AddObjectToObject(out, "outbox");

	if (!o || !ob_ok)
		return;
	gs_json_add_int(o, "pending", (int64_t)ob->pending);
	if (ob->oldest_ms >= 0)
		gs_json_add_time(o, "oldest", ob->oldest_ms, false);
	gs_json_add_int(o, "dropped", (int64_t)ob->dropped);
	if (ob->dropped_from_ms >= 0) {
		gs_json_add_time(o, "dropped_from", ob->dropped_from_ms, false);
		gs_json_add_time(o, "dropped_to", ob->dropped_to_ms, false);
	}
}

/* "sensors": each as the status message has it, with "faulted_since" (in
 * event time) for a faulted one; counts them and the faulted ones. */
static void gs_status_sensors(struct gs_status *st,
                              const struct gs_status_input *in, cJSON *out,
                              unsigned *n_sensors, unsigned *n_faulted)
{
	cJSON *arr = cJSON_AddArrayToObject(out, "sensors"), *o;
	const cJSON *sensors, *s;

	sensors = cJSON_GetObjectItemCaseSensitive(in->status, "sensors");
	cJSON_ArrayForEach(s, sensors)
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(s, "name");
		bool faulted = cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(s, "faulted"));
		struct gs_status_sensor *t;

		if (!cJSON_IsString(name) || !arr)
			continue;
		t = gs_status_sensor(st, name->valuestring);
		if (t && faulted && !t->faulted)
			t->since_ms = in->now_ms;
		if (t)
			t->faulted = faulted;
		(*n_sensors)++;
		*n_faulted += faulted;
		o = cJSON_Duplicate(s, true);
		if (!o)
			continue;
		if (faulted && t)
			gs_json_add_time(o, "faulted_since", t->since_ms,
			                 false);
		cJSON_AddItemToArray(arr, o);
	}
}

void gs_status_update(struct gs_status *st, const struct gs_status_input *in,
                      struct gs_store *store)
{
	struct gs_outbox_stats ob = {0};
	const cJSON *s;
	cJSON *out = NULL, *o;
	unsigned n_faulted = 0, n_sensors = 0;
	bool synced, ob_ok;
	int64_t last_window = 0;
	char *json = NULL;

	if (!st)
		return;
	if (in->connected != st->connected ||
	    st->connected_since_ms == INT64_MIN) {
		/* A connection is a real-world state: wall-clock time,
		 * in every mode. */
		st->connected = in->connected;
		st->connected_since_ms = gs_clock_realtime_ms();
	}
	ob_ok = gs_store_outbox_stats(store, &ob) == GS_OK;
	synced = cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(in->status, "clock_synced"));
	out = cJSON_CreateObject();
	if (!out)
		return;
	gs_json_add_int(out, "pid", (int64_t)getpid());
	cJSON_AddStringToObject(out, "mode", in->mode);
	cJSON_AddStringToObject(out, "database", st->db_path);
	gs_json_add_time(out, "started", st->started_ms, false);
	o = cJSON_AddObjectToObject(out, "broker");
	if (o) {
		cJSON_AddBoolToObject(o, "connected", in->connected);
		gs_json_add_time(o, "since", st->connected_since_ms, false);
	}
	cJSON_AddBoolToObject(out, "clock_synced", synced);
	gs_status_outbox(out, &ob, ob_ok);
	gs_json_add_int(out, "kept_in_memory", (int64_t)in->kept);
	if (gs_store_last_window_ms(store, &last_window) == GS_OK)
		gs_json_add_time(out, "last_window", last_window, false);
	gs_status_sensors(st, in, out, &n_sensors, &n_faulted);
	s = cJSON_GetObjectItemCaseSensitive(in->status, "outputs");
	if (s)
		cJSON_AddItemToObject(out, "outputs", cJSON_Duplicate(s, true));
	s = cJSON_GetObjectItemCaseSensitive(in->status, "losses");
	if (s)
		cJSON_AddItemToObject(out, "losses", cJSON_Duplicate(s, true));
	gs_status_line(st, in, &ob, ob_ok, n_faulted, n_sensors, synced);
	cJSON_AddStringToObject(out, "summary", st->line);
	json = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	if (!json)
		return;
	if (!st->last_json || strcmp(json, st->last_json) != 0) {
		gs_status_write(st, json);
		cJSON_free(st->last_json);
		st->last_json = json;
	} else {
		cJSON_free(json);
	}
}
