/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the files of the sync module. Not part of the
 * interface: include sync/sync.h.
 *
 *   sync.c          the client's life (new, start, stop, free), status
 *   sync_conn.c     the connection: connect, back-off, events, the tick
 *   sync_lanes.c    the in-flight window, retries, resends, the live and
 *                   historical lanes, the drain rate, quotas
 *   sync_handoff.c  Paho's callbacks (on Paho's threads), the queue and
 *                   eventfd they hand over through, and its mutex
 *   sync_cmd.c      commands from the cloud
 *   sync_json.c     payload rewriting, the status message, checks
 *   paho.c          the Paho library, loaded at run time
 *
 * Everything here runs on the loop thread, except the callbacks declared
 * under sync_handoff.c, which only Paho calls, on its own threads.
 */
#ifndef GS_SYNC_PRIV_H
#define GS_SYNC_PRIV_H

#include "gateway/log.h"
#include "gateway/timeutil.h"
#include "sync/paho.h"
#include "sync/sync.h"

#include <MQTTAsync.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Command payloads larger than this are refused unread. */
#define GS_SYNC_CMD_MAX_BYTES 4096
/* Executed command ids are remembered this long. The table holds at most
 * this many: when all of them are younger than an hour, new commands are
 * refused as "busy" rather than an id forgotten (which would let it run
 * twice). */
#define GS_SYNC_CMD_DEDUPE_MS  GS_MS_PER_H
#define GS_SYNC_CMD_DEDUPE_MAX 256
#define GS_SYNC_CMD_ID_MAX     64
#define GS_SYNC_META_CMD_IDS   "sync.cmd_ids"
/* Commands waiting for the loop beyond this are refused (a flood). */
#define GS_SYNC_CMD_QUEUE_MAX 64
/* resend: at most this many windows over at most this span, and the
 * daily rollups of the days in it (at most 32). */
#define GS_SYNC_RESEND_MAX     1000
#define GS_SYNC_RESEND_SPAN_MS (31 * GS_MS_PER_DAY)
#define GS_SYNC_RESEND_DAYS    32
/* Replies waiting for the broker. A command runs only while fewer than
 * GS_SYNC_REPLY_MAX - GS_SYNC_REPLY_SPARE wait, so that its reply has a
 * place; the spare places take refusals ("busy"). What still finds no
 * place is counted and logged (gs_sync_cmd_flood_report). */
#define GS_SYNC_REPLY_MAX   32
#define GS_SYNC_REPLY_SPARE 8
/* A flood of commands is reported at most this often, with its counts. */
#define GS_SYNC_FLOOD_LOG_MS (10 * GS_MS_PER_S)
/* Unchanged status is not republished more often than this. */
#define GS_SYNC_STATUS_PERIOD_MS  GS_MS_PER_MIN
#define GS_SYNC_STATUS_MIN_GAP_MS GS_MS_PER_S
/* Quotas are enforced this often (and on a full disk). */
#define GS_SYNC_ENFORCE_PERIOD_MS (10 * GS_MS_PER_S)
/* A connection that lasted this long resets the reconnect back-off. */
#define GS_SYNC_STABLE_MS         (30 * GS_MS_PER_S)
#define GS_SYNC_TICK_MS           1000
#define GS_SYNC_CONNECT_TIMEOUT_S 20
/* Slots beyond the outbox window: the status and queued replies. */
#define GS_SYNC_EXTRA_SLOTS (GS_SYNC_REPLY_MAX + 4)

/* What a Paho callback hands to the loop. */
enum gs_sync_ev_type {
	GS_EV_CONNECTED,
	GS_EV_CONNECT_FAILED,
	GS_EV_LOST,
	GS_EV_DISCONNECTED,
	GS_EV_SENT,
	GS_EV_SEND_FAILED,
	GS_EV_SUBSCRIBED,
	GS_EV_SUBSCRIBE_FAILED,
	GS_EV_COMMAND,
};

struct gs_sync_ev {
	struct gs_sync_ev *next;
	enum gs_sync_ev_type type;
	int token;
	int code;
	size_t len;     /* command: payload bytes (also when oversized) */
	bool oversized; /* command: payload not copied */
	char text[];    /* command payload or failure reason, NUL-ended */
};

enum gs_sync_state {
	GS_SYNC_IDLE,       /* not started */
	GS_SYNC_CONNECTING, /* MQTTAsync_connect issued */
	GS_SYNC_CONNECTED,
	GS_SYNC_DISCONNECTING, /* we dropped the connection (ack timeout) */
	GS_SYNC_WAITING,       /* back-off before the next attempt */
	GS_SYNC_STOPPED,
};

enum gs_sync_pub_type {
	GS_PUB_OUTBOX, /* an outbox row: acked in the store on PUBACK */
	GS_PUB_RESEND, /* a stored window republished by command */
	GS_PUB_STATUS,
	GS_PUB_REPLY,
	GS_PUB_KEPT, /* a message not stored yet, from memory (disk full) */
};

struct gs_sync_inflight {
	int token; /* 0 = free slot */
	enum gs_sync_pub_type type;
	uint64_t seq;
	bool historical;
	int64_t sent_mono_ms;
	char *payload; /* resend and reply: kept to retry; else NULL */
};

/* An outbox seq to publish again (failed or orphaned by a lost
 * connection), with the flag it was first published with, so that every
 * copy of a seq is identical within a process's life. */
struct gs_sync_retry {
	uint64_t seq;
	bool historical;
};

struct gs_sync_resend {
	uint64_t seq;
	char *payload; /* historical rewrite, owned */
};

struct gs_sync_reply {
	char *payload; /* owned */
};

/* A message the gateway could not store yet that took a reserved seq
 * (gs_sync_publish_kept): sent from this copy until it is acknowledged
 * or stored, in seq order. */
struct gs_sync_kept {
	uint64_t seq;
	char *topic, *payload; /* owned */
	size_t len;
	bool sent; /* in flight now */
};

/* An executed command id; id[0] == '\0' or an age of an hour or more
 * marks a free entry. */
struct gs_sync_seen {
	char id[GS_SYNC_CMD_ID_MAX + 1];
	int64_t mono_ms; /* when it was executed, CLOCK_MONOTONIC */
};

struct gs_sync {
	struct gs_config cfg;
	struct gs_store *store;
	struct gs_loop *loop;
	struct gs_sync_opts opts;
	void *opts_ctx;
	struct gs_txn *txn;     /* opts.txn, or own_txn */
	struct gs_txn *own_txn; /* without opts.txn: commits only */

	struct gs_paho *paho; /* the Paho build for the broker, owned */
	MQTTAsync client;
	char *password; /* from password_file, owned, wiped on free */
	bool tls;
	char topic_status[GS_PATH_MAX];
	char topic_cmd[GS_PATH_MAX];
	char topic_reply[GS_PATH_MAX];
	char topic_metrics[GS_PATH_MAX];
	char topic_daily[GS_PATH_MAX];
	char *will_payload;

	/* Handed over from Paho's threads: guarded by mu. */
	pthread_mutex_t mu;
	struct gs_sync_ev *q_head, *q_tail;
	unsigned q_commands; /* GS_EV_COMMAND records queued */
	unsigned q_cmd_dropped;
	unsigned q_cmd_retained; /* retained commands ignored */
	bool q_overflow;         /* a record could not be allocated */
	char tls_error[256];

	int ev_fd;        /* eventfd Paho's threads write */
	int reconnect_fd; /* back-off timer */
	int pump_fd;      /* drain-rate timer */
	int tick_fd;      /* housekeeping: its next deadline, >= 1 s away */
	int64_t tick_due_mono_ms; /* when tick_fd fires; 0: not armed */

	enum gs_sync_state state;
	bool stopping;    /* gs_sync_stop() under way: no reconnect */
	unsigned attempt; /* failed attempts since the last stable link */
	int64_t connected_mono_ms;
	int64_t down_since_mono_ms; /* -1 = not down */
	uint64_t rng;
	int64_t started_ms; /* wall clock */

	/* Lanes. Every seq <= hist_upto is historical (it was pending at
	 * start or through an outage longer than cfg.live_grace_ms). */
	uint64_t hist_upto;
	uint64_t hist_cursor; /* historical lane: last seq taken */
	uint64_t live_cursor; /* live lane: last seq taken (>= hist_upto) */
	double tokens;        /* drain-rate bucket */
	int64_t tokens_mono_ms;

	struct gs_sync_inflight *inflight;
	size_t inflight_cap; /* slots: window + status/replies */
	unsigned n_window;   /* outbox + resend entries in flight */
	unsigned n_inflight; /* all entries in flight */
	struct gs_sync_retry *retry;
	size_t n_retry, retry_cap;
	struct gs_sync_resend *resend;
	size_t n_resend, resend_pos;
	struct gs_sync_reply replies[GS_SYNC_REPLY_MAX];
	size_t n_replies;
	struct gs_sync_kept *kept; /* by seq */
	size_t n_kept, kept_cap;

	/* Status. */
	char *status_last;  /* last published, to skip unchanged ones */
	cJSON *status_part; /* the gateway's members (gs_sync_status_set) */
	bool status_due;
	int64_t status_mono_ms;  /* last published */
	int64_t enforce_mono_ms; /* last quota enforcement */
	bool subscribed;

	/* Commands. */
	struct gs_sync_seen seen[GS_SYNC_CMD_DEDUPE_MAX];
	char boot_id[GS_BOOT_ID_LEN]; /* "" = unknown */
	/* Not yet reported: commands ignored (queue full, retained),
	 * replies that found no place. */
	unsigned flood_ignored, flood_retained, flood_replies;
	int64_t flood_logged_mono_ms;

	uint64_t n_acked, n_published;
	struct gs_complaint conn_complaint;
	struct gs_complaint store_complaint;
	struct gs_complaint cmd_complaint;
};

/* sync.c: loop thread. */
/* The sync's clock (opts.time): monotonic ms, and the wall clock in ms
 * since the epoch. Every timing decision reads these; only the blocking
 * waits of gs_sync_stop() read the system's clock. */
int64_t gs_sync_mono_ms(const struct gs_sync *sync);
int64_t gs_sync_wall_ms(const struct gs_sync *sync);
/* Event time now: opts.now_ms, or the sync's wall clock. */
int64_t gs_sync_event_now_ms(const struct gs_sync *sync);
/* Publishes the "online" status if connected; unless FORCE, only when it
 * differs from the last one published. */
void gs_sync_publish_status(struct gs_sync *sync, bool force);

/* sync_conn.c: loop thread. */
/* The delay before the next connection attempt (and counts the attempt). */
int64_t gs_sync_backoff_ms(struct gs_sync *sync);
/* Starts a connection attempt; its outcome comes back as an event. */
void gs_sync_connect(struct gs_sync *sync);
/* Drops the connection, saying why, and connects again after back-off. */
void gs_sync_drop_connection(struct gs_sync *sync, const char *why);
/* Acts on one record Paho's callbacks handed over; sets *acked when an
 * outbox row was acknowledged in the store (the caller commits). */
void gs_sync_handle(struct gs_sync *sync, const struct gs_sync_ev *ev,
                    bool *acked);
/* A readable reason for a CONNACK, MQTT 5 reason or Paho error code. */
const char *gs_sync_connack_reason(const struct gs_sync *sync, int code);
/* Loop callbacks of the back-off timer and the tick (gs_sync_new). */
void gs_sync_on_reconnect_timer(void *ctx, int fd, uint32_t events);
void gs_sync_on_tick(void *ctx, int fd, uint32_t events);
/* Arms the tick for its next deadline from NOW (gs_sync_start, the tick). */
int gs_sync_tick_arm(struct gs_sync *sync, int64_t now);
/* Something happened (a Paho event, new messages, a status change, a
 * connection attempt): the tick looks again within a second. */
void gs_sync_tick_soon(struct gs_sync *sync);

/* sync_lanes.c: loop thread. */
/* Publishes a non-outbox message (status, reply, resend) now if
 * connected. Takes ownership of payload on success only. */
int gs_sync_publish_extra(struct gs_sync *sync, enum gs_sync_pub_type type,
                          uint64_t seq, char *payload);
/* Fills the window: replies, a due status, retries, the live lane, the
 * messages kept in memory, then resends and the historical lane as the drain
 * rate allows. */
void gs_sync_pump(struct gs_sync *sync);
/* Loop callback of the drain-rate timer (gs_sync_new). */
void gs_sync_on_pump_timer(void *ctx, int fd, uint32_t events);
/* A send that will not complete: its content goes back to where it came
 * from (retry list, resends, status, replies) and the slot is freed. */
void gs_sync_slot_requeue(struct gs_sync *sync, struct gs_sync_inflight *slot);
/* A PUBACK (or its failure) for a slot of this connection; *acked as for
 * gs_sync_handle(). */
void gs_sync_on_sent_ev(struct gs_sync *sync, const struct gs_sync_ev *ev,
                        bool *acked);
void gs_sync_on_send_failed_ev(struct gs_sync *sync,
                               const struct gs_sync_ev *ev);
/* Commits the acknowledgements written since the last commit, if any (a
 * full disk makes room first: gs_sync_store_full). */
void gs_sync_commit(struct gs_sync *sync);
/* Drops the oldest undelivered messages beyond max_bytes or the age quota
 * and commits the drops. */
void gs_sync_enforce(struct gs_sync *sync, int64_t max_bytes);

/* sync_handoff.c: Paho's threads, with Paho's lock held. Handed to Paho
 * (connect, subscribe, send, set_callbacks), never called by us. Each only
 * takes mu to queue a record and then writes ev_fd, or (the TLS one) to
 * keep OpenSSL's reason for the connect log. */
void gs_sync_on_connected(void *ctx, MQTTAsync_successData *d);
void gs_sync_on_connect_failed(void *ctx, MQTTAsync_failureData *d);
void gs_sync_on_lost(void *ctx, char *cause);
void gs_sync_on_sent(void *ctx, MQTTAsync_successData *d);
void gs_sync_on_send_failed(void *ctx, MQTTAsync_failureData *d);
void gs_sync_on_subscribed(void *ctx, MQTTAsync_successData *d);
void gs_sync_on_subscribe_failed(void *ctx, MQTTAsync_failureData *d);
void gs_sync_on_sent5(void *ctx, MQTTAsync_successData5 *d);
void gs_sync_on_send_failed5(void *ctx, MQTTAsync_failureData5 *d);
void gs_sync_on_subscribed5(void *ctx, MQTTAsync_successData5 *d);
void gs_sync_on_subscribe_failed5(void *ctx, MQTTAsync_failureData5 *d);
int gs_sync_on_message(void *ctx, char *topic, int topic_len,
                       MQTTAsync_message *msg);
int gs_sync_on_ssl_error(const char *str, size_t len, void *ctx);

/* sync_handoff.c: loop thread. */
/* The reasons OpenSSL gave during a connection attempt
 * (gs_sync_on_ssl_error): cleared before an attempt, taken (copied to out
 * and cleared) when it failed. */
void gs_sync_tls_error_clear(struct gs_sync *sync);
void gs_sync_tls_error_take(struct gs_sync *sync, char *out, size_t size);
/* Sets the disconnect callbacks of dopt for the MQTT version. */
void gs_sync_disconnect_callbacks(struct gs_sync *sync,
                                  MQTTAsync_disconnectOptions *dopt);
/* Loop callback of ev_fd (gs_sync_new): handles what was handed over,
 * then pumps. */
void gs_sync_on_eventfd(void *ctx, int fd, uint32_t events);
/* Handles what Paho hands over, without pumping, until done() or the
 * deadline (monotonic ms); for gs_sync_stop(). */
void gs_sync_wait(struct gs_sync *sync, int64_t deadline,
                  bool (*done)(const struct gs_sync *));

/* sync_cmd.c, sync_seen.c */
void gs_sync_cmd_handle(struct gs_sync *sync, const struct gs_sync_ev *ev);
/* Queues a reply {"id", "ok", "error"|"result"}; result is consumed. */
void gs_sync_cmd_reply(struct gs_sync *sync, const cJSON *id, bool ok,
                       const char *error, cJSON *result);
void gs_sync_flush_replies(struct gs_sync *sync);
/* Logs what a flood of commands cost since the last report, at most
 * every GS_SYNC_FLOOD_LOG_MS (FORCE: now, e.g. when stopping). */
void gs_sync_cmd_flood_report(struct gs_sync *sync, bool force);
/* The executed command ids of the last hour, in meta "sync.cmd_ids" so
 * that a restart does not forget them: each is committed before its
 * command has any visible effect. load reads them back at creation. */
void gs_sync_seen_load(struct gs_sync *sync);
/* Whether id is a string of 1 to GS_SYNC_CMD_ID_MAX printable characters. */
bool gs_sync_id_valid(const cJSON *id);
/* Whether id was executed within the last hour (now: sync's clock). */
bool gs_sync_seen_find(const struct gs_sync *sync, const char *id, int64_t now);
/* A free entry; NULL when all are younger than an hour, with *wait_ms the
 * time until the oldest of them expires. */
struct gs_sync_seen *gs_sync_seen_slot(struct gs_sync *sync, int64_t now,
                                       int64_t *wait_ms);
/* Records id in slot and commits it; on failure the slot stays free and
 * the command must not run. */
int gs_sync_seen_commit(struct gs_sync *sync, struct gs_sync_seen *slot,
                        const char *id, int64_t now);

/* sync_json.c */
/*
 * Writes a copy of the JSON object text json[0..len) whose top-level member
 * "historical" is true: its value is replaced where present, otherwise
 * the member is appended. Exact: every other byte is kept as it is (a
 * re-serialisation would rewrite numbers like 50.0). Returns a malloc'd
 * NUL-terminated string and its length, or NULL if json is not a
 * well-formed object or memory is short.
 */
char *gs_sync_json_set_historical(const char *json, size_t len,
                                  size_t *out_len);
/* The status message; state "online" or "offline". NULL on ENOMEM. */
cJSON *gs_sync_status_build(struct gs_sync *sync, const char *state,
                            const char *reason, bool with_outbox);
/*
 * Checks that s[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF, no sequence cut short). Returns
 * len, or the offset of the first byte of the first bad sequence.
 */
size_t gs_sync_utf8_check(const char *s, size_t len);
/* True when the URI's host is a loopback name or address. */
bool gs_sync_uri_is_loopback(const char *uri);
/* Reads the first line of a password file after checking that it is a
 * regular file no other user can read. Logs why not. */
int gs_sync_read_password(const char *path, char **out);

#endif
