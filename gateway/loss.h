/* SPDX-License-Identifier: MIT */
/*
 * Losses declared: what the gateway computed or recorded and could not
 * keep (events rolled back with a failed group commit, messages the keep
 * queue had to let go). Each kind ("events", "metrics", "alerts", ...)
 * has a count and the event-time span it covers; the status message
 * carries them as "losses" (docs/mqtt.md), so that a subscriber can tell a
 * quiet shop from missing data. Kept in meta (key gateway.losses) across
 * restarts, written with the next group commit that succeeds.
 *
 * The kind "seqs" is a span of seqs that may carry no message: seqs
 * messages took from a reservation while the disk was full (they may have
 * left from memory) that were never stored (gateway/store.h). Its entry
 * also gives the lowest and the highest such seq.
 */
#ifndef GS_LOSS_H
#define GS_LOSS_H

#include "gateway/store.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

struct gs_losses;

struct gs_losses *gs_losses_new(void);
/* NULL-safe. */
void gs_losses_free(struct gs_losses *l);

/* n items of kind (at most 15 bytes) lost, stamped from_ms..to_ms. */
void gs_losses_add(struct gs_losses *l, const char *kind, uint64_t n,
                   int64_t from_ms, int64_t to_ms);

/* Seqs first..last may never carry a message (kind "seqs"), stamped
 * from_ms..to_ms. */
void gs_losses_add_seqs(struct gs_losses *l, uint64_t first, uint64_t last,
                        int64_t from_ms, int64_t to_ms);
/* The highest seq declared that way (0: none). */
uint64_t gs_losses_seqs_upto(const struct gs_losses *l);

/*
 * Events in the open transaction: commits is gs_store_commits() now. An
 * event recorded under a newer commit count than the last one's starts a
 * new group (the previous one was committed).
 */
void gs_losses_event_pending(struct gs_losses *l, uint64_t commits,
                             int64_t t_ms);
/* The open transaction was rolled back: its events, if it still holds any
 * (no commit since they were recorded), are lost. */
void gs_losses_rolled_back(struct gs_losses *l, uint64_t commits);

/* Total lost items of every kind. */
uint64_t gs_losses_total(const struct gs_losses *l);

/* Adds "losses": [{"kind","count","from","to"}, ...] ("first_seq" and
 * "last_seq" too for "seqs") to obj if anything
 * was lost (nothing otherwise: messages stay as they were). */
void gs_losses_to_json(const struct gs_losses *l, cJSON *obj);

/* Adds the losses a saved text (meta gateway.losses) holds. */
void gs_losses_parse(struct gs_losses *l, const char *text);
/* meta gateway.losses: load at start; save joins the open transaction
 * when something changed since the last save that committed. */
int gs_losses_load(struct gs_losses *l, struct gs_store *st);
int gs_losses_save(struct gs_losses *l, struct gs_store *st);
/* The transaction holding the last save committed. */
void gs_losses_saved(struct gs_losses *l);

#endif
