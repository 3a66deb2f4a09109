/* SPDX-License-Identifier: MIT */
/*
 * Store-and-forward over MQTT (Eclipse Paho MQTTAsync).
 *
 * The SQLite outbox is the only source of truth: Paho runs without its own
 * persistence or offline buffer; this module publishes up to `inflight`
 * outbox rows at QoS 1 and acknowledges a row in the store only when its
 * PUBACK arrives. Paho's callbacks run on Paho's threads with Paho's lock
 * held, so they only queue what happened and signal an eventfd; every
 * store call happens on the event-loop thread.
 */
#ifndef GS_SYNC_H
#define GS_SYNC_H

#include "gateway/config.h"
#include "gateway/loop.h"
#include "gateway/store.h"
#include "gateway/timeutil.h"

#include <cjson/cJSON.h>
#include <stdbool.h>

struct gs_sync;

/* What the owner gives the client besides its configuration; zeroed
 * fields take their defaults. */
struct gs_sync_opts {
	/*
	 * The gateway's current event time in ms: the wall clock in run, the
	 * virtual clock in simulate and replay. Messages carry event time, so
	 * the outbox age quota and the status's oldest_pending_age_s are
	 * measured against it (a replay of last year's scenario must not be
	 * dropped as too old). NULL: the wall clock of time (below). Called on
	 * the loop thread with gs_sync_new()'s ctx.
	 */
	int64_t (*now_ms)(void *ctx);
	/*
	 * The broker acknowledged seq, a message published from memory
	 * (gs_sync_publish_kept) that may not be stored yet. NULL: not told.
	 * Called on the loop thread.
	 */
	void (*kept_delivered)(void *ctx, uint64_t seq);
	/*
	 * Where the client reads the time: connection and outage timing,
	 * the live grace ([mqtt] live_grace), retries and ack timeouts, the
	 * drain rate, quota enforcement, the status period, command ids'
	 * ages and its rate-limited complaints. Zeroed: the system's clocks
	 * (the daemon); a unit test passes a clock it advances. The kernel
	 * timers that wake the client still run on real time.
	 */
	struct gs_time time;
	/*
	 * The owner of the store's transactions (gateway/txn.h), through
	 * which the client commits its acknowledgements, quota drops and
	 * command ids, so that a failure is handled by the daemon's one
	 * policy. Borrowed. NULL: the client makes one that only commits.
	 */
	struct gs_txn *txn;
};

/*
 * Creates the client for cfg's [mqtt] section (validating URI, TLS files,
 * the password file's permissions) and registers its fds with loop. Does
 * not connect yet. opts may be NULL (all defaults); it is copied. Returns
 * 0 or GS_E* (logged with the reason).
 */
int gs_sync_new(const struct gs_config *cfg, struct gs_store *store,
                struct gs_loop *loop, const struct gs_sync_opts *opts,
                void *ctx, struct gs_sync **out);

/* Starts connecting in the background; reconnects by itself for ever. */
int gs_sync_start(struct gs_sync *sync);

/* New rows were committed to the outbox: publish what the window allows. */
void gs_sync_notify(struct gs_sync *sync);

/*
 * A message the store cannot take yet (the disk is full) that took seq from
 * a reservation (gateway/store.h): published from a copy in memory, at QoS
 * 1 on the live lane, again after a failed send, until the broker
 * acknowledges it (opts.kept_delivered) or gs_sync_kept_forget() is
 * called. Seqs come in increasing order. Returns 0 or GS_ENOMEM (then it
 * is published once stored, as any message).
 */
int gs_sync_publish_kept(struct gs_sync *sync, uint64_t seq, const char *topic,
                         const char *payload);
/* The message with seq was stored (its outbox row takes over) or let go:
 * its copy goes. A send in flight still counts: its PUBACK marks the row
 * delivered, its failure sends the row again. */
void gs_sync_kept_forget(struct gs_sync *sync, uint64_t seq);

/*
 * The gateway's own members of the status message, sent in their order
 * after "started" (and "reason"): "clock_synced", "sensors" (with fault
 * states), "outputs", and "losses" once anything was lost. Takes part (an
 * object, or NULL: none), which replaces the one given before, and sends
 * the status within a second (rate-limited). Give it again whenever a
 * member changes. Touches neither the store nor the network: callable
 * from the store's callbacks.
 */
void gs_sync_status_set(struct gs_sync *sync, cJSON *part);

/*
 * The store reported a full disk (GS_EFULL): drops the oldest quarter of
 * the undelivered messages (counted as quota drops) so that new ones fit.
 * The gateway calls it when a commit or an enqueue fails that way.
 */
void gs_sync_store_full(struct gs_sync *sync);

/* True when connected and nothing is pending or in flight. */
bool gs_sync_idle(const struct gs_sync *sync);
bool gs_sync_connected(const struct gs_sync *sync);

/*
 * Clean shutdown: publishes the retained "offline" status, waits up to
 * timeout_ms for in-flight acknowledgements, disconnects. Call from the
 * loop thread after the loop has stopped.
 */
void gs_sync_stop(struct gs_sync *sync, int64_t timeout_ms);

/* NULL-safe. */
void gs_sync_free(struct gs_sync *sync);

#endif
