/* SPDX-License-Identifier: MIT */
/*
 * The read-only view of a store for `gapsense report`: its own SQLite
 * connection, opened read-only, so the daemon's writes go on meanwhile and
 * nothing about the file changes.
 */
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/store.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct gs_store_reader {
	sqlite3 *db;
	bool has[GS_TABLE_COUNT_];
};

static const char *const gs_table_names[GS_TABLE_COUNT_] = {
    "windows", "dailies", "alerts", "acks"};
static const char *const gs_table_keys[GS_TABLE_COUNT_] = {
    "start_ms", "start_ms", "t_ms", "t_ms"};

int gs_store_reader_open(const char *path, struct gs_store_reader **out)
{
	struct gs_store_reader *rd;
	struct stat sb;
	sqlite3_stmt *s = NULL;
	int rc;

	*out = NULL;
	if (stat(path, &sb) != 0) {
		gs_log(GS_LOG_ERR, "store %s: no such database", path);
		return GS_ENOENT;
	}
	rd = calloc(1, sizeof(*rd));
	if (!rd)
		return GS_ENOMEM;
	rc = sqlite3_open_v2(path, &rd->db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(rd->db, 2000);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(rd->db,
		                        "SELECT name FROM sqlite_master"
		                        " WHERE type = 'table'",
		                        -1, &s, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);

		for (unsigned i = 0; name && i < GS_TABLE_COUNT_; i++)
			if (strcmp(name, gs_table_names[i]) == 0)
				rd->has[i] = true;
		rc = SQLITE_OK;
	}
	(void)sqlite3_finalize(s);
	if (rc != SQLITE_DONE || !rd->has[GS_TABLE_WINDOWS]) {
		gs_log(GS_LOG_ERR, "store %s: not a gapsense database: %s",
		       path,
		       rc != SQLITE_DONE ? sqlite3_errmsg(rd->db)
		                         : "no windows table");
		gs_store_reader_close(rd);
		return GS_EIO;
	}
	*out = rd;
	return GS_OK;
}

void gs_store_reader_close(struct gs_store_reader *rd)
{
	if (!rd)
		return;
	(void)sqlite3_close(rd->db);
	free(rd);
}

int gs_store_reader_rows(struct gs_store_reader *rd, enum gs_store_table t,
                         int64_t from_ms, int64_t to_ms, gs_store_window_fn fn,
                         void *ctx)
{
	char sql[160];
	sqlite3_stmt *s = NULL;
	int rc;

	if ((unsigned)t >= GS_TABLE_COUNT_)
		return GS_EINVAL;
	if (!rd->has[t])
		return GS_OK;
	snprintf(sql, sizeof(sql),
	         "SELECT seq, %s, payload FROM %s WHERE %s >= ?1 AND %s < ?2"
	         " ORDER BY %s, seq",
	         gs_table_keys[t], gs_table_names[t], gs_table_keys[t],
	         gs_table_keys[t], gs_table_keys[t]);
	rc = sqlite3_prepare_v2(rd->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK &&
	    (rc = sqlite3_bind_int64(s, 1, from_ms)) == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 2, to_ms);
	while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(s, 2);

		if (p)
			fn(ctx, (uint64_t)sqlite3_column_int64(s, 0),
			   sqlite3_column_int64(s, 1), p);
		rc = SQLITE_OK;
	}
	(void)sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		gs_log(GS_LOG_ERR, "store: reading %s: %s", gs_table_names[t],
		       sqlite3_errmsg(rd->db));
		return GS_EIO;
	}
	return GS_OK;
}

int gs_store_reader_last(struct gs_store_reader *rd, enum gs_store_table t,
                         int64_t *key)
{
	char sql[96];
	sqlite3_stmt *s = NULL;
	int rc;

	if ((unsigned)t >= GS_TABLE_COUNT_)
		return GS_EINVAL;
	if (!rd->has[t])
		return GS_ENOENT;
	snprintf(sql, sizeof(sql), "SELECT max(%s) FROM %s", gs_table_keys[t],
	         gs_table_names[t]);
	rc = sqlite3_prepare_v2(rd->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_NULL)
		rc = GS_ENOENT;
	else if (rc == SQLITE_ROW) {
		*key = sqlite3_column_int64(s, 0);
		rc = GS_OK;
	} else {
		gs_log(GS_LOG_ERR, "store: reading %s: %s", gs_table_names[t],
		       sqlite3_errmsg(rd->db));
		rc = GS_EIO;
	}
	(void)sqlite3_finalize(s);
	return rc;
}
