/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by store.c (transactions, errors, reserve, meta),
 * store_open.c (schema, statements, settings, open),
 * store_events.c (events, sensors, boots, retention) and store_outbox.c
 * (outbox, windows). Not part of the interface: include gateway/store.h.
 */
#ifndef GS_STORE_PRIV_H
#define GS_STORE_PRIV_H

#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/store.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

/* Every statement the store runs more than once, prepared at open. */
enum gs_sql {
	GS_SQL_BEGIN,
	GS_SQL_COMMIT,
	GS_SQL_ROLLBACK,
	GS_SQL_META_GET,
	GS_SQL_META_SET,
	GS_SQL_META_ADD_INT,
	GS_SQL_SENSOR_GET,
	GS_SQL_SENSOR_ADD,
	GS_SQL_BOOT_GET,
	GS_SQL_BOOT_ADD,
	GS_SQL_EVENT_ADD,
	GS_SQL_EVENT_SCAN,
	GS_SQL_EVENT_DELETE,
	GS_SQL_WINDOW_ADD,
	GS_SQL_WINDOW_RANGE,
	GS_SQL_WINDOW_PRUNE,
	GS_SQL_DAILY_ADD,
	GS_SQL_DAILY_RANGE,
	GS_SQL_ALERT_ADD,
	GS_SQL_ALERT_PRUNE,
	GS_SQL_ACK_ADD,
	GS_SQL_META_MIN,
	GS_SQL_META_MAX,
	GS_SQL_OUTBOX_SPAN_AGED,
	GS_SQL_OUTBOX_SPAN_UPTO,
	GS_SQL_ACK_PRUNE,
	GS_SQL_DAILY_PRUNE,
	GS_SQL_OUTBOX_ADD,
	GS_SQL_OUTBOX_FETCH,
	GS_SQL_OUTBOX_ACK,
	GS_SQL_OUTBOX_STATS,
	GS_SQL_OUTBOX_AGED,
	GS_SQL_OUTBOX_DROP_AGED,
	GS_SQL_OUTBOX_SCAN,
	GS_SQL_OUTBOX_DROP_UPTO,
	GS_SQL_COUNT_
};

/* meta keys the store owns; gs_store_meta_set() refuses this prefix. */
#define GS_META_PREFIX "store."
#define GS_META_SEQ    "store.seq"
/* A seq reservation (store_outbox.c): the highest seq that may be in use,
 * and the event time it was made at. */
#define GS_META_RESERVED    "store.seq_reserved"
#define GS_META_RESERVED_MS "store.seq_reserved_ms"
#define GS_META_DROPPED     "store.outbox_dropped"
/* The event-time span (created_ms) of every message ever dropped. */
#define GS_META_DROPPED_FROM "store.outbox_dropped_from"
#define GS_META_DROPPED_TO   "store.outbox_dropped_to"

/* Sensor name -> sensors.id, open addressing; twice GS_MAX_SENSORS. */
#define GS_STORE_SENSOR_SLOTS 64
#define GS_STORE_BOOT_MAX     64

struct gs_store_sensor {
	int64_t id; /* 0 = free slot */
	char name[GS_NAME_MAX];
};

#define GS_STORE_ACKED_MAX 256

/* The WAL is rewound, not truncated, after a checkpoint (no file-system
 * metadata churn); only a file grown past this by a huge transaction is
 * cut back. */
#define GS_STORE_WAL_LIMIT (4 * 1024 * 1024)
/*
 * A full disk is a trap for SQLite: deleting rows to make room appends to
 * the WAL, and a checkpoint to rewind the WAL may need to grow the
 * database file. So the store keeps this much disk allocated in a file of
 * its own and deletes it at the first SQLITE_FULL: room for the deletes the
 * quota then makes and for the checkpoint after them (the WAL's limit).
 * Created at open when the disk has four times that free.
 */
#define GS_STORE_RESERVE_BYTES GS_STORE_WAL_LIMIT

struct gs_store {
	bool ephemeral; /* gs_store_opts.ephemeral: never fsync */
	sqlite3 *db;
	char *path;
	char *reserve_path; /* path + "-reserve": room for a full disk */
	bool settle_wal;    /* checkpoint after the next good commit */
	int shm_fd;         /* path-shm, allocated whole (store_room.c) */
	sqlite3_stmt *stmt[GS_SQL_COUNT_];

	bool in_txn;                 /* BEGIN IMMEDIATE issued, not yet ended */
	void (*on_begin)(void *ctx); /* gs_store_opts.on_begin */
	void *on_begin_ctx;
	void (*on_rollback)(void *ctx, int err); /* gs_store_on_rollback */
	void *on_rollback_ctx;
	bool txn_durable;  /* this transaction commits with synchronous=FULL */
	bool sync_commits; /* outside durable ones too: every commit */
	bool level_full;   /* the connection's level now: FULL, else NORMAL */
	uint64_t synced_commits; /* commits known to be on the disk */
	unsigned uncommitted;
	uint64_t last_seq;      /* handed out, maybe not committed yet */
	uint64_t committed_seq; /* durable: the outbox never shows more */
	uint64_t commits;       /* transactions committed since open */
	/* Seq reservation: reserved_to committed (0 = none), the highest seq
	 * taken from it (kept after it ends: never handed out again), and a
	 * close in the open transaction. gap_*: an unclosed one found at
	 * open (gap_last 0 = none). */
	uint64_t reserved_to, taken;
	bool closing;
	uint64_t gap_first, gap_last;
	int64_t gap_ms;

	char boot_id[GS_STORE_BOOT_MAX]; /* "" = not set */
	int64_t boot_row;                /* boots.id, 0 = not resolved yet */
	struct gs_store_sensor sensors[GS_STORE_SENSOR_SLOTS];

	/* Outbox rows acknowledged since the last commit: a rollback (a
	 * full disk) takes their DELETE back, so the next transaction
	 * deletes them again rather than leave a delivered message pending
	 * until the next connection sends it twice. Beyond the array, an
	 * acknowledgement may be lost that way (and the message redelivered,
	 * which at-least-once allows). */
	int64_t acked[GS_STORE_ACKED_MAX];
	unsigned n_acked;
	bool reack; /* a rollback undid them: delete again at begin */

	/* What the status reads once a second, kept from the last read while
	 * this connection has changed nothing (gs_store_version): an idle
	 * gateway reads no SQLite for it. version 0: not read yet. */
	uint64_t rollbacks; /* transactions rolled back (a hook counts) */
	uint64_t stats_version;
	struct gs_outbox_stats stats;
	uint64_t window_version;
	int window_rc; /* GS_OK or GS_ENOENT */
	int64_t window_ms;

	bool prune_active; /* a prune pass is under way over events */
	int64_t prune_cursor;
	struct gs_complaint complaint; /* write errors repeat per event */
	struct gs_complaint drops;     /* quota drops repeat per call */
	struct gs_complaint ckpt;      /* a full disk's checkpoints */
};

/* Opens the group-commit transaction if none is open. */
int gs_store_begin(struct gs_store *st);
/* Opens a transaction that commits with an fsync of the WAL (see
 * gs_store_enqueue); commits a pending ordinary one first. */
int gs_store_begin_durable(struct gs_store *st);

/* Ends a transaction that has written nothing (a no-op commit that writes
 * nothing to disk), so that it does not hold the write lock until the next
 * group commit. */
int gs_store_end_if_idle(struct gs_store *st);

/*
 * Changes whenever what this connection sees may have changed: a row
 * written (sqlite3_total_changes64 counts every row of every table) or a
 * transaction rolled back. Never 0. Another process writing the file (the
 * sqlite3 shell) is not seen until this connection next writes.
 */
uint64_t gs_store_version(const struct gs_store *st);

/* Steps a statement that returns no rows and resets it: SQLITE_OK or the
 * SQLite error. */
int gs_store_run(sqlite3_stmt *s);

/*
 * A write failed with SQLite code rc: logs what (with the path and
 * SQLite's message, rate-limited), rolls the whole open transaction back
 * (SQLite may or may not have done it) and returns the GS_E* code.
 */
int gs_store_write_failed(struct gs_store *st, int rc, const char *what);
/* A read failed: logs and maps; rolls back only if SQLite already ended
 * the transaction, so that the store's state matches the database. */
int gs_store_read_failed(struct gs_store *st, int rc, const char *what);
/* The first column of a one-row query, prepared on the spot (start-up and
 * rare reads): GS_ENOENT when there is no row or it is NULL. */
int gs_store_query_int(struct gs_store *st, const char *sql, int64_t *out);

/* SQLite result code -> GS_E*. */
int gs_store_map_err(int rc);

/* store.c, for store_open.c: SQLite's rollback hook (counts rollbacks for
 * gs_store_version), and the disk's reserve, made at open when the disk
 * has room for it. */
void gs_store_rollback_hook(void *ctx);
void gs_store_reserve_create(struct gs_store *st);

void gs_store_sensor_cache_clear(struct gs_store *st);

/* store_room.c. Before sqlite3_open: makes room for the WAL index (from the
 * reserve); false if there is none, and the index must live in memory. */
bool gs_store_room_before_open(struct gs_store *st);
/* After the first access: allocates every block of path-shm. */
void gs_store_room_shm(struct gs_store *st);

#endif
