/* SPDX-License-Identifier: MIT */
#include "gateway/cmd_status.h"
#include "gateway/cmd_opts.h"
#include "gateway/config.h"
#include "gateway/err.h"
#include "gateway/loss.h"
#include "gateway/msg.h"
#include "gateway/status.h"
#include "gateway/timeutil.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sysexits.h>

#define GS_STATUS_OK       0
#define GS_STATUS_DEGRADED 1
#define GS_STATUS_DOWN     3
#define GS_STATUS_UNKNOWN  4
#define GS_STATUS_MAX_FILE (64 * 1024)
/* Less free than this on the database's file system is degraded: the
 * store's reserve (4 MiB) could not be made again. */
#define GS_STATUS_LOW_FREE (16 * 1024 * 1024)

static const char gs_status_usage[] =
    "usage: gapsense status [-c CONFIG] [--db FILE] [--json]\n"
    "The unit's state, read-only, whether the daemon runs or not.\n"
    "  -c, --config FILE  configuration file (default "
    "/etc/gapsense/gapsense.conf)\n"
    "      --db FILE      database instead of [storage] database\n"
    "      --json         one JSON object, for scripts\n"
    "Exit status: 0 running and well, 1 running but degraded, 3 not "
    "running, 4 unknown.\n";

struct gs_status_opts {
	const char *config;
	const char *db;
	bool json;
};

static int gs_status_parse(int argc, char **argv, struct gs_status_opts *o)
{
	const struct gs_cmd_opt opts[] = {
	    {"config", 'c', GS_CMD_OPT_STRING, &o->config},
	    {"db", 0, GS_CMD_OPT_STRING, &o->db},
	    {"json", 0, GS_CMD_OPT_FLAG, &o->json},
	    {NULL, 0, 0, NULL},
	};

	return gs_cmd_opts_parse(argc, argv, opts, gs_status_usage);
}

/* The database path: --db, else the configuration's. */
static int gs_status_db(const struct gs_status_opts *o, char *buf, size_t len)
{
	struct gs_config *cfg;
	int rc;

	if (o->db) {
		snprintf(buf, len, "%s", o->db);
		return 0;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return EX_OSERR;
	rc = gs_config_load_print(o->config, cfg, GS_DIAG_TO_STDERR);
	if (rc == GS_OK)
		snprintf(buf, len, "%s", cfg->database);
	free(cfg);
	return rc == GS_OK       ? 0
	       : rc == GS_ENOENT ? EX_NOINPUT
	       : rc == GS_ENOMEM ? EX_OSERR
	                         : EX_CONFIG;
}

static cJSON *gs_status_read_file(const char *path)
{
	char *buf = malloc(GS_STATUS_MAX_FILE);
	FILE *f = fopen(path, "re");
	size_t n = 0;
	cJSON *j = NULL;

	if (buf && f) {
		n = fread(buf, 1, GS_STATUS_MAX_FILE - 1, f);
		buf[n] = '\0';
		j = cJSON_Parse(buf);
	}
	if (f)
		fclose(f);
	free(buf);
	return j;
}

static const char *gs_status_str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "-";
}

static double gs_status_num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	/* gs_json_add_int writes exact integers as raw text. */
	if (cJSON_IsRaw(v) && v->valuestring)
		return strtod(v->valuestring, NULL);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* The daemon's file for db, if its process still runs. */
static cJSON *gs_status_daemon(const char *db)
{
	char path[4200];
	cJSON *j = NULL;
	const cJSON *pid, *dbj;

	snprintf(path, sizeof(path), GS_STATUS_RUN_DIR "/" GS_STATUS_FILE);
	j = gs_status_read_file(path);
	dbj = cJSON_GetObjectItemCaseSensitive(j, "database");
	if (!cJSON_IsString(dbj) || strcmp(dbj->valuestring, db) != 0) {
		cJSON_Delete(j);
		j = NULL;
		if (gs_status_path(db, false, path, sizeof(path)) == GS_OK)
			j = gs_status_read_file(path);
	}
	pid = cJSON_GetObjectItemCaseSensitive(j, "pid");
	if (!pid || gs_status_num(j, "pid") < 1 ||
	    (kill((pid_t)gs_status_num(j, "pid"), 0) != 0 && errno != EPERM)) {
		cJSON_Delete(j); /* left by a daemon that died */
		return NULL;
	}
	return j;
}

static int gs_status_query(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_type(s, 0) == SQLITE_NULL
		           ? INT64_MIN
		           : sqlite3_column_int64(s, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		*out = INT64_MIN;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

/* The losses declared so far (gateway/loss.h), as the status message
 * has them. */
static void gs_status_losses(sqlite3 *db, cJSON *out)
{
	struct gs_losses *l = gs_losses_new();
	sqlite3_stmt *s = NULL;

	if (l &&
	    sqlite3_prepare_v2(db,
	                       "SELECT value FROM meta"
	                       " WHERE key = 'gateway.losses'",
	                       -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		gs_losses_parse(l, (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	gs_losses_to_json(l, out);
	gs_losses_free(l);
}

/* The store's side, read-only, into out ("store"). */
static void gs_status_store(const char *path, cJSON *out)
{
	static const struct {
		const char *name, *sql;
	} q[] = {
	    {"pending", "SELECT count(*) FROM outbox"},
	    {"oldest_ms", "SELECT min(created_ms) FROM outbox"},
	    {"dropped", "SELECT coalesce((SELECT value FROM meta"
	                " WHERE key = 'store.outbox_dropped'), 0)"},
	    {"last_window_ms", "SELECT max(start_ms) FROM windows"},
	    {"last_event_ms", "SELECT max(t_ms) FROM events"},
	};
	cJSON *st = cJSON_AddObjectToObject(out, "store");
	char uri[4200];
	sqlite3 *db = NULL;
	int rc;

	if (!st)
		return;
	snprintf(uri, sizeof(uri), "file:%s?mode=ro", path);
	rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
	                     NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < sizeof(q) / sizeof(q[0]);
	     i++) {
		int64_t v = 0;

		rc = gs_status_query(db, q[i].sql, &v);
		if (rc != SQLITE_OK)
			break;
		if (v == INT64_MIN)
			cJSON_AddNullToObject(st, q[i].name);
		else if (strstr(q[i].name, "_ms"))
			gs_json_add_time(st, q[i].name, v, false);
		else
			gs_json_add_int(st, q[i].name, v);
	}
	if (rc == SQLITE_OK)
		gs_status_losses(db, st);
	else
		cJSON_AddStringToObject(
		    st, "error", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	sqlite3_close(db);
}

static void gs_status_disk(const char *path, cJSON *out)
{
	static const char *const sfx[] = {"", "-wal", "-shm"};
	struct statvfs fs;
	int64_t bytes = 0;
	char name[4200];

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		struct stat sb;

		snprintf(name, sizeof(name), "%s%s", path, sfx[i]);
		if (stat(name, &sb) == 0)
			bytes += (int64_t)sb.st_size;
	}
	gs_json_add_int(out, "database_bytes", bytes);
	if (statvfs(path, &fs) == 0)
		gs_json_add_int(out, "free_bytes",
		                (int64_t)fs.f_bavail * (int64_t)fs.f_frsize);
	else
		cJSON_AddNullToObject(out, "free_bytes");
}

/* Whether the running daemon is degraded, and why (for the text). */
static bool gs_status_degraded(const cJSON *d, const cJSON *out)
{
	const cJSON *s;
	double free_b = gs_status_num(out, "free_bytes");

	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(d, "broker"), "connected")))
		return true;
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "clock_synced")))
		return true;
	if (gs_status_num(d, "kept_in_memory") > 0)
		return true;
	if (free_b >= 0 && free_b < GS_STATUS_LOW_FREE)
		return true;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(d, "sensors"))
	{
		if (cJSON_IsTrue(
		        cJSON_GetObjectItemCaseSensitive(s, "faulted")))
			return true;
	}
	return false;
}

static void gs_status_print(const cJSON *out, const char *state)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(out, "daemon");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(out, "store");
	const cJSON *s, *b, *ob;
	bool span;

	printf("gapsense: %s\n", state);
	printf("database:   %s (%.0f KiB, %.0f MiB free)\n",
	       gs_status_str(out, "database"),
	       gs_status_num(out, "database_bytes") / 1024,
	       gs_status_num(out, "free_bytes") / 1048576);
	if (d) {
		b = cJSON_GetObjectItemCaseSensitive(d, "broker");
		ob = cJSON_GetObjectItemCaseSensitive(d, "outbox");
		printf("summary:    %s\n", gs_status_str(d, "summary"));
		printf("daemon:     pid %.0f, %s since %s\n",
		       gs_status_num(d, "pid"), gs_status_str(d, "mode"),
		       gs_status_str(d, "started"));
		printf("broker:     %s since %s\n",
		       cJSON_IsTrue(
		           cJSON_GetObjectItemCaseSensitive(b, "connected"))
		           ? "connected"
		           : "not connected",
		       gs_status_str(b, "since"));
		span = cJSON_GetObjectItemCaseSensitive(ob, "dropped_from") !=
		       NULL;
		printf("waiting:    %.0f messages, oldest %s; %.0f "
		       "dropped%s%s%s%s; "
		       "%.0f in memory (disk full)\n",
		       gs_status_num(ob, "pending"),
		       gs_status_str(ob, "oldest"),
		       gs_status_num(ob, "dropped"), span ? " (" : "",
		       span ? gs_status_str(ob, "dropped_from") : "",
		       span ? " to " : "",
		       span ? gs_status_str(ob, "dropped_to") : "",
		       gs_status_num(d, "kept_in_memory"));
		printf("clock:      %s\n",
		       cJSON_IsTrue(
		           cJSON_GetObjectItemCaseSensitive(d, "clock_synced"))
		           ? "synchronised"
		           : "NOT synchronised");
		printf("last window: %s\n", gs_status_str(d, "last_window"));
		cJSON_ArrayForEach(
		    s, cJSON_GetObjectItemCaseSensitive(d, "sensors"))
		{
			bool f = cJSON_IsTrue(
			    cJSON_GetObjectItemCaseSensitive(s, "faulted"));

			printf("sensor:     %-16s %-10s %s%s\n",
			       gs_status_str(s, "name"),
			       gs_status_str(s, "type"),
			       f ? "FAULTED since " : "ok",
			       f ? gs_status_str(s, "faulted_since") : "");
		}
		cJSON_ArrayForEach(
		    s, cJSON_GetObjectItemCaseSensitive(d, "outputs"))
		    printf("output:     %-16s %s\n", gs_status_str(s, "name"),
		           gs_status_str(s, "state"));
	}
	if (st && cJSON_GetObjectItemCaseSensitive(st, "error")) {
		printf("store:      cannot read: %s\n",
		       gs_status_str(st, "error"));
	} else if (st) {
		printf("store:      %.0f waiting (oldest %s), %.0f dropped, "
		       "last window %s, last event %s\n",
		       gs_status_num(st, "pending"),
		       gs_status_str(st, "oldest_ms"),
		       gs_status_num(st, "dropped"),
		       gs_status_str(st, "last_window_ms"),
		       gs_status_str(st, "last_event_ms"));
	}
	cJSON_ArrayForEach(
	    s, cJSON_GetObjectItemCaseSensitive(d ? d : st, "losses"))
	{
		printf("LOST:       %.0f %s, %s to %s\n",
		       gs_status_num(s, "count"), gs_status_str(s, "kind"),
		       gs_status_str(s, "from"), gs_status_str(s, "to"));
	}
}

int gs_cmd_status(int argc, char **argv)
{
	struct gs_status_opts o = {.config = "/etc/gapsense/gapsense.conf"};
	char db[GS_PATH_MAX];
	cJSON *out, *d;
	const cJSON *st;
	const char *state;
	char *json;
	int rc;

	rc = gs_status_parse(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	rc = gs_status_db(&o, db, sizeof(db));
	if (rc)
		return rc;
	out = cJSON_CreateObject();
	if (!out)
		return EX_OSERR;
	cJSON_AddStringToObject(out, "database", db);
	gs_status_disk(db, out);
	d = gs_status_daemon(db);
	gs_status_store(db, out);
	st = cJSON_GetObjectItemCaseSensitive(out, "store");
	if (d) {
		rc = gs_status_degraded(d, out) ? GS_STATUS_DEGRADED
		                                : GS_STATUS_OK;
		state = rc ? "running, degraded" : "running";
	} else {
		rc = cJSON_GetObjectItemCaseSensitive(st, "error")
		         ? GS_STATUS_UNKNOWN
		         : GS_STATUS_DOWN;
		state = rc == GS_STATUS_DOWN ? "not running" : "unknown";
	}
	cJSON_AddStringToObject(out, "state", state);
	if (d)
		cJSON_AddItemToObject(out, "daemon", d);
	if (o.json) {
		json = cJSON_PrintUnformatted(out);
		if (json)
			puts(json);
		cJSON_free(json);
	} else {
		gs_status_print(out, state);
	}
	cJSON_Delete(out);
	return rc;
}
