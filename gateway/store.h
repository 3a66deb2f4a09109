/* SPDX-License-Identifier: MIT */
/*
 * The local store: one SQLite database in WAL mode, synchronous=NORMAL
 * (FULL with gs_store_opts.sync_commits).
 *
 * Writes go into one open transaction that the owner commits by
 * gs_store_commit() (group commit: the gateway commits every
 * commit_interval or commit_events, and at once after enqueueing a
 * message, so that nothing is published that is not durable). A crash
 * loses at most the open transaction, a power cut also what was committed
 * since the last sync (gs_store_sync()).
 *
 * Tables: events, windows (every metrics message, for resend), outbox
 * (messages not yet acknowledged by the broker), meta (key/value: next seq,
 * boot ids, clock state). The schema lives in store_open.c in one place and is
 * migrated by PRAGMA user_version.
 *
 * Only the event-loop thread may call these functions.
 */
#ifndef GS_STORE_H
#define GS_STORE_H

#include "gateway/event.h"
#include "gateway/msg.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gs_store;

struct gs_store_opts {
	/* 0 = no cap. Caps the file (PRAGMA max_page_count), e.g. to test a
	 * full disk. */
	int64_t max_bytes;
	/* Every commit fsyncs the WAL (synchronous=FULL): [storage]
	 * sync_interval = 0. Otherwise a commit is durable once the owner's
	 * gs_store_sync() (or the kernel's writeback) has followed it. */
	bool sync_commits;
	/* A throw-away database (replay and simulate without --db, deleted
	 * at exit): nothing is ever fsynced (synchronous=OFF), since no
	 * power cut can matter to it. Overrides sync_commits. */
	bool ephemeral;
	/* Called each time a transaction opens (a group's first write, by
	 * whichever module writes), so the owner can schedule its commit
	 * instead of polling for one. NULL: not told. */
	void (*on_begin)(void *ctx);
	void *on_begin_ctx;
};

/*
 * Opens or creates path and migrates it to the current schema. On error
 * returns GS_E* and logs why (with the path). *out owned by the caller.
 * Beside the database (and its -wal, -shm) it keeps path-reserve, disk
 * space given up at the first SQLITE_FULL (docs/storage.md).
 */
int gs_store_open(const char *path, const struct gs_store_opts *opts,
                  struct gs_store **out);
/* NULL-safe; commits the open transaction first. */
void gs_store_close(struct gs_store *st);
/*
 * Deletes a closed store's files: the database and every file kept beside
 * it (-wal, -shm, -journal, -reserve). For throw-away databases (replay);
 * files that are not there are fine. Returns 0 or GS_EIO (logged).
 */
int gs_store_remove(const char *path);

/* Commits the open transaction, if any. On error it is rolled back, the
 * error logged and returned (GS_EFULL for a full disk); the store stays
 * usable. Only the transaction's owner calls it (gateway/txn.h). */
int gs_store_commit(struct gs_store *st);
/*
 * Calls fn(ctx, err) after every rollback, whichever call's failure caused
 * it (err: GS_EFULL for a full disk), once the store is usable again; fn
 * must not write. NULL: nobody is told. For the owner (gateway/txn.h).
 */
void gs_store_on_rollback(struct gs_store *st, void (*fn)(void *ctx, int err),
                          void *ctx);
/*
 * Makes every committed transaction durable (a checkpoint-free durable
 * point): fsyncs the WAL if a commit since the last sync was not synced
 * already; nothing otherwise. The gateway calls it every sync_interval,
 * which bounds what a power cut takes back (docs/storage.md). Returns
 * GS_OK or GS_EIO (logged, rate-limited).
 */
int gs_store_sync(struct gs_store *st);
/* Changes gs_store_opts.sync_commits (at a reload); takes effect when the
 * open transaction, if any, ends. */
int gs_store_set_sync_commits(struct gs_store *st, bool on);
/* Transactions committed since open: tells a caller whether the writes it
 * made were committed before a later failure rolled back the rest. */
uint64_t gs_store_commits(const struct gs_store *st);
/* Writes not yet committed (rows added, changed or deleted). */
unsigned gs_store_uncommitted(const struct gs_store *st);
/* Whether a transaction is open (possibly with nothing counted in it). */
bool gs_store_in_txn(const struct gs_store *st);

/* The id of a boot (from /proc/sys/kernel/random/boot_id), registered once
 * per process; events carry it with their monotonic stamp. */
int gs_store_set_boot(struct gs_store *st, const char *boot_id);

/* Appends an event (sensor by name: indexes change with the config). */
int gs_store_add_event(struct gs_store *st, const struct gs_event *ev,
                       const char *sensor_name, int64_t mono_ns);

/*
 * The stored events stamped at or after from_ms, oldest first (insertion
 * order: time order but for a stamp clamped after a clock step), each with
 * its sensor's name (ev->sensor is 0: indexes change with the config). For
 * rebuilding the engine's running state at start-up: the table is walked
 * back from the newest row, so only its tail is read. *n (may be NULL)
 * gets the number of events passed to fn.
 */
typedef void (*gs_store_event_fn)(void *ctx, const struct gs_event *ev,
                                  const char *sensor);
int gs_store_events_since(struct gs_store *st, int64_t from_ms,
                          gs_store_event_fn fn, void *ctx, size_t *n);
/* The newest event's time, the newest stored window's start: GS_ENOENT if
 * there is none. */
int gs_store_last_event_ms(struct gs_store *st, int64_t *t_ms);
int gs_store_last_window_ms(struct gs_store *st, int64_t *start_ms);

/*
 * Takes the next seq (persistent, strictly increasing, never reused),
 * stores it in payload's "seq" member, serialises payload and appends it to
 * the outbox; a metrics message is also kept in windows for resend, a
 * daily rollup in dailies, by day start (one
 * per window start: a window published again replaces the stored copy).
 * The transaction it joins commits with the WAL fsynced. Returns 0 or
 * GS_E*; *seq_out may be NULL.
 */
int gs_store_enqueue(struct gs_store *st, enum gs_msg_kind kind,
                     const char *topic, int64_t t_ms, int64_t window_start_ms,
                     cJSON *payload, uint64_t *seq_out);

/*
 * Seq reservation: seqs for messages that leave from memory while the
 * disk is full, before they can be stored (docs/storage.md, "A full
 * disk"). gs_store_seq_reserve() commits on its own, with the WAL fsynced,
 * that the next n seqs may be in use (meta store.seq_reserved, with t_ms,
 * the event time it was made); nothing must be open in the transaction
 * but what may commit with it. gs_store_seq_take() hands them out in
 * memory, in order, and gs_store_enqueue_taken() stores a message with
 * the seq it took (seqs stored in increasing order; delivered: its PUBACK
 * came, so it is kept for resend and reports but not queued in the
 * outbox). gs_store_seq_close() ends the reservation in the open
 * transaction once nothing taken waits: the seqs not taken are handed out
 * by gs_store_enqueue() as usual, and a seq taken but never stored is
 * never handed out again. A new store continues after an unclosed
 * reservation, and gs_store_seq_gap() tells which seqs it covered beyond
 * the last stored one (first..last, reserved at t_ms): messages may have
 * left with them and never been stored.
 */
int gs_store_seq_reserve(struct gs_store *st, uint64_t n, int64_t t_ms);
/* The highest seq reserved, 0 while no reservation is open. */
uint64_t gs_store_seq_reserved(const struct gs_store *st);
/* Seqs left to take (0: none, or no reservation). */
uint64_t gs_store_seq_left(const struct gs_store *st);
bool gs_store_seq_take(struct gs_store *st, uint64_t *seq);
int gs_store_enqueue_taken(struct gs_store *st, enum gs_msg_kind kind,
                           const char *topic, int64_t t_ms,
                           int64_t window_start_ms, cJSON *payload,
                           uint64_t seq, bool delivered);
int gs_store_seq_close(struct gs_store *st);
bool gs_store_seq_gap(const struct gs_store *st, uint64_t *first,
                      uint64_t *last, int64_t *t_ms);

/* The last seq handed out (0 if none). */
uint64_t gs_store_last_seq(const struct gs_store *st);

struct gs_outbox_msg {
	uint64_t seq;
	enum gs_msg_kind kind;
	int64_t created_ms; /* t_ms given to enqueue */
	char *topic;        /* owned; freed by gs_outbox_msg_clear() */
	char *payload;      /* owned, NUL-terminated JSON */
	size_t payload_len;
};

void gs_outbox_msg_clear(struct gs_outbox_msg *msg);

/*
 * Up to max undelivered messages with seq > after_seq, oldest first, of
 * the given kind (or any kind if kind < 0). Returns 0 or GS_E*.
 */
int gs_store_outbox_fetch(struct gs_store *st, uint64_t after_seq, int kind,
                          struct gs_outbox_msg *out, size_t max, size_t *n);

/* The broker acknowledged seq: the row leaves the outbox. */
int gs_store_outbox_ack(struct gs_store *st, uint64_t seq);

struct gs_outbox_stats {
	uint64_t pending;
	int64_t bytes;
	int64_t oldest_ms; /* created_ms of the oldest pending, or -1 */
	uint64_t dropped;  /* total ever dropped by quota (persistent) */
	/* The span (created_ms) of every message ever dropped, or -1. */
	int64_t dropped_from_ms, dropped_to_ms;
};

int gs_store_outbox_stats(struct gs_store *st, struct gs_outbox_stats *out);

/*
 * Enforces the outbox quotas: drops the oldest undelivered messages until
 * at most max_bytes remain and none is older than max_age_ms at now_ms
 * (either limit 0 = none). Adds the drops to the persistent dropped count
 * and returns it in *dropped (this call's drops). Returns 0 or GS_E*.
 */
int gs_store_outbox_enforce(struct gs_store *st, int64_t max_bytes,
                            int64_t max_age_ms, int64_t now_ms,
                            uint64_t *dropped);

/*
 * Calls fn for each stored metrics message whose window starts in
 * [from_ms, to_ms), oldest first, at most max of them; *n the number.
 * payload is valid during the call only; fn must not call the store.
 */
typedef void (*gs_store_window_fn)(void *ctx, uint64_t seq,
                                   int64_t window_start_ms,
                                   const char *payload);
int gs_store_windows_range(struct gs_store *st, int64_t from_ms, int64_t to_ms,
                           size_t max, gs_store_window_fn fn, void *ctx,
                           size_t *n);

/*
 * Calls fn for each stored daily rollup whose day starts in [from_ms,
 * to_ms), oldest first; *n (may be NULL) the
 * number. payload is valid during the call only; fn must not call the
 * store. gs_store_last_daily_ms: the newest one's day start, GS_ENOENT if
 * there is none.
 */
int gs_store_dailies_range(struct gs_store *st, int64_t from_ms, int64_t to_ms,
                           gs_store_window_fn fn, void *ctx, size_t *n);
int gs_store_last_daily_ms(struct gs_store *st, int64_t *start_ms);
/*
 * Deletes events and windows older than before_ms (daily rollups only
 * when also more than 29 days older than the newest: the trend's), in batches
 * of a few thousand rows, each committed (with any pending writes) before the
 * next.
 */
int gs_store_prune(struct gs_store *st, int64_t before_ms);
/*
 * One bounded batch of gs_store_prune() (at most max_rows events and
 * max_rows windows; 0 = the default batch) in the open transaction, left
 * for the owner to commit; *more is true while there may be more to delete.
 * For a loop that must never stall: call it again from a timer while *more.
 */
int gs_store_prune_step(struct gs_store *st, int64_t before_ms,
                        unsigned max_rows, bool *more);

/*
 * A read-only view of a store, for reports (gateway/store_report.c): it
 * never writes, migrates or creates anything, so it may read the database
 * of a running daemon (WAL readers do not block the writer).
 */
enum gs_store_table {
	GS_TABLE_WINDOWS, /* key: window start */
	GS_TABLE_DAILIES, /* key: day start */
	GS_TABLE_ALERTS,  /* key: alert time */
	GS_TABLE_ACKS,    /* key: acknowledgement time */
	GS_TABLE_COUNT_
};
struct gs_store_reader;
/* GS_ENOENT if path does not exist, GS_EIO if it is not a gapsense store
 * (logged with the path). */
int gs_store_reader_open(const char *path, struct gs_store_reader **out);
void gs_store_reader_close(struct gs_store_reader *rd);
/* The rows whose key is in [from_ms, to_ms), in key order; a table an old
 * store does not have is empty. fn's payload is valid during the call. */
int gs_store_reader_rows(struct gs_store_reader *rd, enum gs_store_table t,
                         int64_t from_ms, int64_t to_ms, gs_store_window_fn fn,
                         void *ctx);
/* The largest key of table t: GS_ENOENT if it is empty. */
int gs_store_reader_last(struct gs_store_reader *rd, enum gs_store_table t,
                         int64_t *key);

/* Key/value metadata. get returns GS_ENOENT if absent. */
int gs_store_meta_get(struct gs_store *st, const char *key, char *buf,
                      size_t len);
int gs_store_meta_set(struct gs_store *st, const char *key, const char *value);

/* The current schema version (PRAGMA user_version after migration). */
int gs_store_schema_version(void);

#endif
