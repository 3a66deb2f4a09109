/* SPDX-License-Identifier: MIT */
/*
 * The one owner of the store's transaction (issue 11). The pipeline's
 * events and messages, sync's acknowledgements and quota drops and the
 * command handler's ids all write into the store's one open transaction;
 * whoever wants it committed asks here, and every failure is handled here
 * by one policy, whoever's write caused it: a rollback takes everybody's
 * writes back, so everybody's bookkeeping must hear of it.
 *
 * The policy is the daemon's (gateway/gateway_sink.c): what joins a group
 * (the losses' record), what a rollback declares, and how a full disk makes
 * room. A gs_txn without one only commits (unit tests, benchmarks).
 *
 * Only the event-loop thread may call these functions.
 */
#ifndef GS_TXN_H
#define GS_TXN_H

#include <stdbool.h>

struct gs_store;
struct gs_txn;

struct gs_txn_policy {
	/* Before each commit: what joins the group. NULL: nothing. */
	void (*joining)(void *ctx);
	/* After each commit that worked. NULL: nothing. */
	void (*committed)(void *ctx);
	/* After every rollback (err: GS_EFULL for a full disk), before
	 * anything commits again: what it took back. Must not write. */
	void (*rolled_back)(void *ctx, int err);
	/* The disk is full: make room (as often as the policy allows).
	 * Returns whether room was made, so that a failed write is worth
	 * one more try. NULL: never. */
	bool (*make_room)(void *ctx);
};

/*
 * Takes charge of st's transactions (st outlives it; one gs_txn per
 * store). policy may be NULL; it is copied, ctx is passed to it. Returns
 * NULL when out of memory.
 */
struct gs_txn *gs_txn_new(struct gs_store *st,
                          const struct gs_txn_policy *policy, void *ctx);
/* NULL-safe. Does not commit. */
void gs_txn_free(struct gs_txn *t);

/*
 * Commits the open group, if any (joining first, then committed, or, when
 * it fails, rolled_back and for a full disk make_room). Returns 0 or the
 * store's GS_E* (logged by the store).
 */
int gs_txn_commit(struct gs_txn *t);

/*
 * A write into the group failed with err (the store rolled it back and the
 * policy heard of it). Returns true when the disk was full and room was
 * made: the caller writes once more (its own rows only; what others wrote
 * was declared by rolled_back).
 */
bool gs_txn_retry(struct gs_txn *t, int err);

#endif
