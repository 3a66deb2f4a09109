/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the gateway's files: gateway.c (lifecycle: set-up,
 * signals, timers, the loop, tear-down), gateway_input.c (backends and
 * their edges into the pipeline), gateway_sink.c (the pipeline's sink:
 * events, messages and commits into the store, memory and the outbox),
 * gateway_time.c (the clock, the time line, deadlines, retention),
 * gateway_status.c (the status message), gateway_reload.c (SIGHUP) and
 * gateway_restore.c (the running state at start-up). Not part of the interface:
 * include gateway/gateway.h.
 */
#ifndef GS_GATEWAY_PRIV_H
#define GS_GATEWAY_PRIV_H

#include "gateway/config.h"
#include "gateway/engine.h"
#include "gateway/event.h"
#include "gateway/gateway.h"
#include "gateway/keep.h"
#include "gateway/log.h"
#include "gateway/timeline.h"
#include "sync/sync.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GS_MAX_BACKEND_FDS 64
#define GS_STOP_TIMEOUT_MS 3000
/* Messages kept in memory while they cannot be stored (a full disk): four
 * hours of one-minute windows and their alerts, about 300 KiB; as many
 * seqs are reserved at a time to send them from memory. */
#define GS_KEEP_MAX 256
/* A restart rebuilds the engine's state from this much stored history:
 * a day for occupancy (reset daily) and an hour for a DST change. */
#define GS_RESTORE_LOOKBACK_MS (25 * 3600000)

struct gs_backend;
struct gs_clock;
struct gs_diag;
struct gs_lamps;
struct gs_loop;
struct gs_losses;
struct gs_pipeline;
struct gs_scenario_writer;
struct gs_status;
struct gs_store;

struct gateway {
	const struct gs_gateway_opts *opts;
	struct gs_config *cfg; /* replaced whole by a reload */
	struct gs_loop *loop;
	struct gs_store *store;
	struct gs_txn *txn; /* the store's transactions: gw_txn_policy */
	struct gs_pipeline *pipeline; /* decode stage and engine */
	struct gs_sync *sync;
	struct gs_backend *backend;
	struct gs_lamps *lamps; /* alert outputs; with the backend */
	struct gs_scenario_writer *recorder;
	struct gs_edge last_fed; /* the last edge fed (simulate) */
	struct gs_clock *clock;  /* run mode only */
	FILE *print_out;

	int sig_fd;
	int commit_fd; /* group commit, commit_interval after a group opens */
	bool commit_armed;
	int sync_fd;     /* periodic WAL fsync: [storage] sync_interval */
	int tick_fd;     /* run: next decode/engine deadline */
	int drain_fd;    /* simulate/replay: waiting for the last ack */
	int watchdog_fd; /* systemd watchdog pings */
	int clock_poll_fd;
	int prune_fd; /* run: retention */
	int backend_fds[GS_MAX_BACKEND_FDS];
	size_t n_backend_fds;

	char db_path[GS_PATH_MAX];
	char *tmp_dir; /* private database directory (not run) */
	unsigned commit_events;
	bool live; /* wall-clock driven (run) */
	bool input_done;
	int64_t last_edge_ms;
	int64_t first_edge_mono_ns;
	int64_t drain_start_mono_ns;
	int status;

	struct gs_timeline *timeline; /* run mode only */

	/* Start-up: stored events go through the engine again (gw_restore);
	 * nothing is stored again and no alert raised again. Windows up to
	 * restored_upto, the last one stored, are never published again. */
	bool restoring;
	int64_t restored_upto;
	int64_t restore_last_window; /* start of the last event's window */
	int64_t restored_daily_upto; /* the last daily rollup stored */

	uint64_t n_edges, n_events, n_metrics, n_alerts;
	struct gs_complaint store_complaint;
	int64_t full_mono_ns; /* the last time room was made on a full disk */
	int64_t reserve_mono_ns;           /* the last seq reservation tried */
	struct gs_keep *keep;              /* messages not stored yet */
	struct gs_complaint seq_complaint; /* seq reservations come and go */
	struct gs_losses *losses; /* what could not be kept, declared */
	struct gs_status *state;  /* STATUS= and `gapsense status` */
	int state_fd;
};

/* gateway_input.c */

/* Feeds edges to the pipeline (and the recorder); notes the last. */
void gw_feed(struct gateway *gw, const struct gs_edge *edges, size_t n);
/* Run mode: reads what the kernel has queued on every line request. */
void gw_read_backends(struct gateway *gw);
/* Timer: simulate/replay wait for the broker's last acknowledgement. */
void gw_on_drain(void *ctx, int fd, uint32_t events);
/* Opens the configured backend (and the alert outputs) on the loop. */
int gw_open_backend(struct gateway *gw);
/* Closes the backend and the alert outputs (every output off). */
void gw_close_backend(struct gateway *gw);

/* gateway_sink.c */

/* The pipeline's sink: events and messages into the store. */
extern const struct gs_engine_sink gw_engine_sink;
/* Commits the store's group; on failure declares its events lost. */
int gw_commit_now(struct gateway *gw);
/* The daemon's one policy for the store's transactions (gateway/txn.h). */
extern const struct gs_txn_policy gw_txn_policy;
/* Commits, then stores the messages kept in memory if that worked. */
void gw_commit(struct gateway *gw);
/* Declares a message that could not be kept lost. */
void gw_declare_lost(void *ctx, const struct gs_kept *msg);
/* Lets the messages still kept go (declared lost) and closes the seq
 * reservation with the declaration, if it fits: the end of a run. */
void gw_keep_let_go(struct gateway *gw);
/* A new MQTT client (a reload): the kept messages that took a seq and
 * were not acknowledged leave from memory through it. */
void gw_keep_hand_over(struct gateway *gw);
/* sync's hook: a message kept in memory was acknowledged. */
void gw_kept_delivered(void *ctx, uint64_t seq);
/* At open, before any commit: seqs an unclosed reservation covered beyond
 * the last stored one (the daemon stopped while the disk was full) are
 * declared, unless an earlier start declared them. */
void gw_declare_seq_gap(struct gateway *gw);
/* Shows every alert output's state from the engine on its lamp. */
void gw_show_outputs(struct gateway *gw);

/* gateway_time.c */

/* Run mode: the wall clock, in event time. */
int64_t gw_now(const struct gateway *gw);
/* Whether edges are held for the clock's first synchronisation. */
bool gw_holding(const struct gateway *gw);
/* Moves the pipeline to now_ms (unless holding). */
void gw_advance(struct gateway *gw, int64_t now_ms);
/* Arms the tick timer for the next decode or engine deadline. */
void gw_arm_tick(struct gateway *gw);
/* Timer: the next deadline is due (run mode). */
void gw_on_tick(void *ctx, int fd, uint32_t events);
/* Makes the pipeline for cfg, with the gateway's clock and sink. */
int gw_pipeline_new(struct gateway *gw, const struct gs_config *cfg,
                    struct gs_pipeline **out);
/* The time line's options from a configuration. */
struct gs_timeline_opts gw_timeline_opts(const struct gs_config *cfg);
/* Run mode: opens the clock, its timers, retention and the time line. */
int gw_open_clock(struct gateway *gw);

/* gateway_status.c */

/* The event time now: the wall clock in run, the last edge's otherwise. */
int64_t gw_event_now(void *ctx);

/* Timer (and fd -1 for a direct call): STATUS= and the status file. */
void gw_on_state(void *ctx, int fd, uint32_t events);
/* A member of the status message changed: gives sync the new ones. */
void gw_status_changed(struct gateway *gw);
/* What the gateway gives sync: its event time (run: the wall clock,
 * simulate and replay: the virtual clock), what became of kept messages,
 * the owner of the store's transactions; the system's clocks. */
struct gs_sync_opts gw_sync_opts(struct gateway *gw);

/* gateway_reload.c */

/* SIGHUP: replaces the configuration if all of the new one works. */
int gw_reload(struct gateway *gw);

/* gateway_restore.c */

/* Run mode: rebuilds the pipeline's running state from stored events. */
int gw_restore(struct gateway *gw);

#endif
