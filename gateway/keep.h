/* SPDX-License-Identifier: MIT */
/*
 * The keep queue: messages the gateway computed but could not store yet
 * (the disk is full, a commit failed). They wait here, oldest first, in
 * memory and bounded, and are stored in order as soon as a write succeeds;
 * while the queue is not empty new messages queue behind them, so the
 * order of seqs stays the order of computation. Past the bound the oldest
 * goes, and the owner declares it lost (gateway/loss.h).
 *
 * While the disk is full the owner may give kept messages seqs from a
 * reservation (gateway/store.h), always to the oldest without one, so that
 * the messages with a seq are the head of the queue, in seq order; they
 * leave from memory, and the broker's acknowledgement is noted here.
 */
#ifndef GS_KEEP_H
#define GS_KEEP_H

#include "gateway/msg.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gs_keep;

struct gs_kept {
	enum gs_msg_kind kind;
	int64_t t_ms;
	int64_t window_start_ms;
	uint64_t seq;   /* 0: none yet */
	bool delivered; /* left from memory and acknowledged */
	char *topic;    /* owned by the queue */
	cJSON *payload; /* owned by the queue */
};

/* max messages at most (> 0). NULL on ENOMEM. */
struct gs_keep *gs_keep_new(size_t max);
/* NULL-safe; frees what is still kept. */
void gs_keep_free(struct gs_keep *k);

size_t gs_keep_count(const struct gs_keep *k);

/*
 * Takes payload (freed by the queue in every case). When the queue is full
 * the oldest message is let go first and described in *dropped (its topic
 * and payload already freed, both NULL), and true is returned. On ENOMEM
 * the new message itself is let go and described the same way.
 */
bool gs_keep_push(struct gs_keep *k, enum gs_msg_kind kind, const char *topic,
                  int64_t t_ms, int64_t window_start_ms, cJSON *payload,
                  struct gs_kept *dropped);

/*
 * Hands the oldest messages to fn, in order, until fn returns non-zero (it
 * could not store it: it stays) or the queue is empty. Returns how many
 * left the queue.
 */
typedef int (*gs_keep_store_fn)(void *ctx, const struct gs_kept *msg);
size_t gs_keep_flush(struct gs_keep *k, gs_keep_store_fn fn, void *ctx);

/* Calls fn on each message, oldest first, until it returns non-zero;
 * fn may set seq and delivered. */
typedef int (*gs_keep_each_fn)(void *ctx, struct gs_kept *msg);
void gs_keep_each(struct gs_keep *k, gs_keep_each_fn fn, void *ctx);
/* The message with seq was acknowledged; false if none has it. */
bool gs_keep_delivered(struct gs_keep *k, uint64_t seq);

/* Empties the queue, calling fn (may be NULL) on each message first. */
void gs_keep_drain(struct gs_keep *k,
                   void (*fn)(void *ctx, const struct gs_kept *msg), void *ctx);

#endif
