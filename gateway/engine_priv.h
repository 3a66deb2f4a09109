/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the engine's files. Not part of the interface:
 * include gateway/engine.h.
 *
 * engine.c          life cycle, events in, reload carry-over
 * engine_window.c   engine time: deadlines, windows opening and closing,
 *                   the day's reset and rollup
 * engine_message.c  the metrics message, one builder per section, and
 *                   publishing any message
 * engine_alert.c    the alerts: discontent burst, queue wait, sensor fault
 *
 * Shared with the daily rollup (metrics_daily.c): frac.h, exact fractions,
 * and metrics.h, the quadrant and the wait statistics.
 */
#ifndef GS_ENGINE_PRIV_H
#define GS_ENGINE_PRIV_H

#include "gateway/config.h"
#include "gateway/daily.h"
#include "gateway/engine.h"
#include "gateway/event.h"
#include "gateway/log.h"
#include "gateway/msg.h"
#include "gateway/outputs.h"
#include "gateway/ring.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define GS_TIME_LIMIT (INT64_C(1) << 60) /* ms: 36 million years */

/* A growable array of waits (ms) for the open window's percentiles. */
struct gs_vec {
	int64_t *v;
	size_t len;
	size_t cap;
};

struct gs_eng_sensor {
	const struct gs_sensor_cfg *cfg; /* into gs_engine.cfg */
	unsigned n_buttons;              /* smiley, staff */

	/* Counts of the open window. */
	int64_t in, out, pulses;
	int64_t joined, served, abandoned, len_max;
	struct gs_vec waits;
	int64_t responses, misuse;
	int64_t counts[GS_MAX_BUTTONS];
	int64_t faults;

	/* State carried across windows. */
	struct gs_ring fifo;  /* queue: unmatched entries (t) */
	struct gs_ring trail; /* alert window: presses (v = negative) or
	                         matched waits (v = wait ms) */
	int64_t trail_sum;    /* negatives in trail, or sum of its waits */
	bool armed;
	int64_t false_since; /* burst: condition false since; NONE if true */
	uint32_t fault_mask;
	int64_t fault_at[GS_SENSOR_MAX_LINES];
};

struct gs_engine {
	struct gs_config cfg;
	struct gs_engine_sink sink;
	void *ctx;

	bool started, finished, clock_synced;
	/* The open window's "clock_synced": false once the clock was
	 * unsynchronised at any time during it (it may hold provisional
	 * stamps, even if a sync came before its end). */
	bool win_synced;
	int64_t now;
	int64_t win_start, win_end;
	int64_t next_reset;
	/* The day being rolled up (gateway/daily.h) and the reset ending
	 * it: its rollup goes out when the window reaching that reset
	 * closes. */
	struct gs_day *day;
	int64_t day_end;
	/* No deadline is due before this instant (a lower bound, exact after
	 * each run_until): most events skip the deadline scan. */
	int64_t due_floor;
	int64_t occupancy;
	int64_t site_len, site_len_max;
	unsigned smiley_buttons;

	struct gs_eng_sensor s[GS_MAX_SENSORS];
	unsigned n_smiley, n_queue;
	unsigned smiley_idx[GS_MAX_SENSORS];
	unsigned queue_idx[GS_MAX_SENSORS];

	/* Alert outputs ([output "NAME"]): which is on, acknowledgements. */
	struct gs_outputs *outputs;

	struct gs_vec scratch;
	struct gs_complaint bad_event;
	struct gs_complaint no_memory;
};

/* ---- small containers, inline: they are on every event's path ---------- */

static inline int gs_vec_push(struct gs_vec *v, int64_t x)
{
	if (v->len == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 32;
		int64_t *nv = realloc(v->v, ncap * sizeof(*nv));

		if (!nv)
			return -1;
		v->v = nv;
		v->cap = ncap;
	}
	v->v[v->len++] = x;
	return 0;
}

/* ---- engine_window.c: engine time --------------------------------------- */

/* A new deadline, due at instant t (an advance to t runs it). */
static inline void gs_eng_due_note(struct gs_engine *eng, int64_t t)
{
	if (t < eng->due_floor)
		eng->due_floor = t;
}

/* The length of sensor s's trailing alert window. */
static inline int64_t gs_eng_trail_window(const struct gs_engine *eng,
                                          const struct gs_eng_sensor *s)
{
	return s->cfg->type == GS_SENSOR_QUEUE ? eng->cfg.queue_alert_window_ms
	                                       : eng->cfg.burst_window_ms;
}

/* Far outside any real event time: "no time yet" (INT64_MIN from a decode
 * stage that has seen nothing, GS_TIME_NONE). Never opens a window. */
static inline bool gs_eng_no_time(int64_t t)
{
	return t <= -GS_TIME_LIMIT || t >= GS_TIME_LIMIT;
}

/* An event the engine accepted or derived, to the sink (for the store). */
static inline void gs_eng_emit_event(struct gs_engine *eng,
                                     const struct gs_event *ev)
{
	if (eng->sink.event)
		eng->sink.event(eng->ctx, ev);
}

/*
 * Moves engine time to *t, never backwards, running every deadline due on
 * the way; an event older than engine time is placed at engine time.
 * Returns false if the engine is done.
 */
bool gs_eng_move_to(struct gs_engine *eng, int64_t *t, bool is_event);
/* Opens the first window on the first event or advance, at t. */
void gs_eng_start(struct gs_engine *eng, int64_t t);
/* The instant at which advance() next has something to do. */
int64_t gs_eng_next_instant(const struct gs_engine *eng);
/* The oldest unmatched entry of queue sensor i gives up, stamped t. */
void gs_eng_abandon_front(struct gs_engine *eng, unsigned i, int64_t t);

/* ---- engine_message.c ---------------------------------------------------- */

/* Publishes the open window [win_start, win_end), stamped t. */
void gs_eng_window_publish(struct gs_engine *eng, int64_t t);
/*
 * Hands a message built under j to the sink (an alert also counts in the
 * day's rollup); if building it failed, deletes it and complains. Takes
 * root in every case.
 */
void gs_eng_publish(struct gs_engine *eng, enum gs_msg_kind kind, int64_t t,
                    int64_t window_start, cJSON *root, struct gs_jb *j);

/* ---- engine_alert.c ------------------------------------------------------ */

/* An alert for the outputs; a hold it starts is a new deadline. */
void gs_eng_outputs_alert(struct gs_engine *eng, int64_t t,
                          enum gs_alert_type type, unsigned sensor);
/* Looks at a smiley's trailing window after a press entered or left. */
void gs_eng_burst_eval(struct gs_engine *eng, struct gs_eng_sensor *s,
                       int64_t t);
/* Looks at a queue's trailing window after a wait entered or left. */
void gs_eng_queue_eval(struct gs_engine *eng, struct gs_eng_sensor *s,
                       int64_t t);
/* A line of s became faulted (fault) or recovered: ev. */
void gs_eng_fault_alert(struct gs_engine *eng, struct gs_eng_sensor *s,
                        const struct gs_event *ev, bool fault);

#endif
