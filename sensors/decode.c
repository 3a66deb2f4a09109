/* SPDX-License-Identifier: MIT */
/*
 * The decode stage. Per edge it does a constant amount of work and no
 * allocation:
 *
 *  1. raw filtering: an edge repeating its line's level is not a change
 *     (clarification 1); with debounce_ms, a change within debounce_ms of
 *     the line's last accepted change is ignored (bounce). The first edge
 *     of a bounce burst keeps its time, which is when the contact really
 *     closed. So that an ignored change cannot leave a line stuck at the
 *     wrong level (a 10 ms glitch on a debounced beam, a bounce that ends
 *     the other way), a line whose physical level differs from the
 *     accepted one when its debounce period ends takes that level then
 *     ("settles");
 *  2. beam-pair noise lookahead (clarification 4): a beam activation is
 *     held in a FIFO until it has lasted min_break (confirmed) or its
 *     clearing edge arrives first (both edges removed). Every later edge of
 *     every sensor queues behind it so that events still leave in time
 *     order. The FIFO is a fixed ring; if a storm of edges fills it, the
 *     oldest hold is confirmed early (counted in gs_decode_forced());
 *  3. release: edges leave the FIFO in order, merged with fault deadlines
 *     (an edge at t goes before a fault stamped t, because the fault needs
 *     time to pass t: clarification 2). Each released change updates the
 *     line level, the fault watch, and calls the sensor type's decoder.
 *
 * Faults watch every line of every sensor: a line active strictly longer
 * than fault_ms raises GS_EV_FAULT stamped at activation + fault_ms, once
 * time is past that instant; its clearing edge raises GS_EV_RECOVERED.
 * fault_ms <= 0 disables the watch for that sensor.
 */
#include "sensors/decode.h"
#include "gateway/log.h"
#include "gateway/timeutil.h"
#include "sensors/dec_internal.h"

#include <stdlib.h>
#include <string.h>

#define GS_DEC_LINES (GS_MAX_SENSORS * GS_SENSOR_MAX_LINES)

/*
 * Held edges. A hold lasts at most min_break (30 ms by default), so even
 * at a thousand edges a second a few dozen slots are used; 1024 leaves
 * room for long min_break settings on busy sites.
 */
#define GS_DEC_FIFO 1024u

enum gs_held_state {
	GS_HELD_READY,       /* waits only for the edges before it */
	GS_HELD_UNCONFIRMED, /* beam activation younger than min_break */
	GS_HELD_DROPPED,     /* noise: removed together with its clear */
};

struct gs_held {
	int64_t t_ms;
	uint16_t line; /* flat index: sensor * GS_SENSOR_MAX_LINES + input */
	uint8_t active;
	uint8_t state; /* enum gs_held_state */
};

struct gs_dec_line {
	/* raw stage (edges as pushed, before the FIFO) */
	bool raw;               /* level after the last accepted edge */
	bool has_change;        /* for debounce */
	bool pending;           /* its unconfirmed activation is in the FIFO */
	int64_t last_change_ms; /* last accepted change, for debounce */
	uint64_t pending_seq;   /* FIFO position of that activation */
	bool phys;              /* level of the last edge, even if ignored */
	bool settling;          /* in dec->settle: check at last + debounce */

	/* decoded stage (edges released from the FIFO) */
	bool level;
	bool faulted;       /* GS_EV_FAULT raised, not yet recovered */
	int16_t watch_pos;  /* index in dec->watch, -1 if not watched */
	int64_t since_ms;   /* activation time while level */
	int64_t fault_at;   /* since_ms + fault_ms while watched */
	uint64_t watch_seq; /* order of activation, for equal fault_at */
};

struct gs_decode {
	struct gs_config cfg;
	gs_event_fn emit;
	void *ctx;

	int64_t now_ms; /* latest pushed or advanced time */
	bool started;

	struct gs_dec_sensor sensors[GS_MAX_SENSORS];
	struct gs_dec_line lines[GS_DEC_LINES];

	/* Lines active with a fault limit and no fault raised yet: a binary
	 * min-heap on (fault_at, watch_seq), positions kept in watch_pos, so
	 * the earliest fault is at hand and a line leaves in O(log n). */
	uint16_t watch[GS_DEC_LINES];
	unsigned n_watch;
	uint64_t watch_seq;
	uint8_t masks[GS_MAX_SENSORS]; /* decoded levels, bit i = line i */

	struct gs_held fifo[GS_DEC_FIFO];
	uint64_t head, tail; /* positions; slot = pos % GS_DEC_FIFO */

	/* Lines with a change ignored by debounce, to check when their
	 * period ends. Rare (only during bounces), so a scan is fine. */
	uint16_t settle[GS_DEC_LINES];
	unsigned n_settle;

	uint64_t forced;
	struct gs_complaint overflow_complaint;
};

static const struct gs_dec_ops *const gs_dec_ops_by_type[] = {
    [GS_SENSOR_BEAM_PAIR] = &gs_dec_beam_ops,
    [GS_SENSOR_PULSE] = &gs_dec_pulse_ops,
    [GS_SENSOR_QUEUE] = &gs_dec_queue_ops,
    [GS_SENSOR_SMILEY] = &gs_dec_button_ops,
    [GS_SENSOR_STAFF] = &gs_dec_button_ops,
    [GS_SENSOR_BUTTON] = &gs_dec_button_ops,
};

static inline unsigned gs_line_sensor(unsigned line)
{
	return line / GS_SENSOR_MAX_LINES;
}

static inline unsigned gs_line_input(unsigned line)
{
	return line % GS_SENSOR_MAX_LINES;
}

static inline const struct gs_sensor_cfg *
gs_line_cfg(const struct gs_decode *dec, unsigned line)
{
	return &dec->cfg.sensors[gs_line_sensor(line)];
}

struct gs_decode *gs_decode_new(const struct gs_config *cfg, gs_event_fn emit,
                                void *ctx)
{
	struct gs_decode *dec = calloc(1, sizeof(*dec));

	if (!dec)
		return NULL;
	dec->cfg = *cfg;
	if (dec->cfg.n_sensors > GS_MAX_SENSORS)
		dec->cfg.n_sensors = GS_MAX_SENSORS;
	dec->emit = emit;
	dec->ctx = ctx;
	dec->now_ms = INT64_MIN;
	dec->overflow_complaint = (struct gs_complaint)GS_COMPLAINT_INIT;
	for (unsigned i = 0; i < dec->cfg.n_sensors; i++) {
		dec->sensors[i].cfg = &dec->cfg.sensors[i];
		dec->sensors[i].index = (uint16_t)i;
		dec->sensors[i].emit = emit;
		dec->sensors[i].ctx = ctx;
	}
	for (unsigned i = 0; i < GS_DEC_LINES; i++)
		dec->lines[i].watch_pos = -1;
	return dec;
}

void gs_decode_free(struct gs_decode *dec)
{
	free(dec);
}

/* ---- fault watch ---- */

static inline bool gs_watch_less(const struct gs_decode *dec, unsigned a,
                                 unsigned b)
{
	const struct gs_dec_line *la = &dec->lines[a], *lb = &dec->lines[b];

	return la->fault_at < lb->fault_at ||
	       (la->fault_at == lb->fault_at && la->watch_seq < lb->watch_seq);
}

static inline void gs_watch_put(struct gs_decode *dec, unsigned pos,
                                unsigned line)
{
	dec->watch[pos] = (uint16_t)line;
	dec->lines[line].watch_pos = (int16_t)pos;
}

static void gs_watch_sift(struct gs_decode *dec, unsigned pos)
{
	unsigned line = dec->watch[pos];

	while (pos > 0) {
		unsigned parent = (pos - 1) / 2;

		if (!gs_watch_less(dec, line, dec->watch[parent]))
			break;
		gs_watch_put(dec, pos, dec->watch[parent]);
		pos = parent;
	}
	for (;;) {
		unsigned c = 2 * pos + 1;

		if (c >= dec->n_watch)
			break;
		if (c + 1 < dec->n_watch &&
		    gs_watch_less(dec, dec->watch[c + 1], dec->watch[c]))
			c++;
		if (!gs_watch_less(dec, dec->watch[c], line))
			break;
		gs_watch_put(dec, pos, dec->watch[c]);
		pos = c;
	}
	gs_watch_put(dec, pos, line);
}

static void gs_watch_add(struct gs_decode *dec, unsigned line, int64_t fault_at)
{
	dec->lines[line].fault_at = fault_at;
	dec->lines[line].watch_seq = dec->watch_seq++;
	gs_watch_put(dec, dec->n_watch++, line);
	gs_watch_sift(dec, dec->n_watch - 1);
}

static void gs_watch_remove(struct gs_decode *dec, unsigned line)
{
	int16_t pos = dec->lines[line].watch_pos;
	unsigned last;

	if (pos < 0)
		return;
	dec->lines[line].watch_pos = -1;
	last = dec->watch[--dec->n_watch];
	if ((unsigned)pos == dec->n_watch)
		return;
	gs_watch_put(dec, (unsigned)pos, last);
	gs_watch_sift(dec, (unsigned)pos);
}

/* Earliest fault instant being watched; *line gets its line. */
static inline int64_t gs_watch_earliest(const struct gs_decode *dec,
                                        unsigned *line)
{
	if (dec->n_watch == 0)
		return GS_TIME_NONE;
	*line = dec->watch[0];
	return dec->lines[*line].fault_at;
}

static void gs_fault_raise(struct gs_decode *dec, unsigned line, int64_t t_ms)
{
	unsigned sensor = gs_line_sensor(line), input = gs_line_input(line);
	struct gs_dec_sensor *s = &dec->sensors[sensor];
	const struct gs_dec_ops *ops = gs_dec_ops_by_type[s->cfg->type];

	gs_watch_remove(dec, line);
	dec->lines[line].faulted = true;
	gs_dec_emit(s, GS_EV_FAULT, t_ms, 0, input, 0);
	if (ops->fault)
		ops->fault(s, input);
}

/* ---- decoded stage ---- */

/* A confirmed change of a line, in time order. */
static void gs_decode_apply(struct gs_decode *dec, unsigned line, bool active,
                            int64_t t_ms)
{
	unsigned sensor = gs_line_sensor(line), input = gs_line_input(line);
	struct gs_dec_sensor *s = &dec->sensors[sensor];
	struct gs_dec_line *l = &dec->lines[line];
	unsigned old_mask, new_mask;

	if (l->level == active)
		return; /* cannot happen after raw filtering; be safe */
	old_mask = dec->masks[sensor];
	new_mask = active ? old_mask | 1u << input : old_mask & ~(1u << input);
	dec->masks[sensor] = (uint8_t)new_mask;
	l->level = active;
	if (active) {
		l->since_ms = t_ms;
		if (s->cfg->fault_ms > 0)
			gs_watch_add(dec, line, t_ms + s->cfg->fault_ms);
	} else {
		gs_watch_remove(dec, line);
		if (l->faulted) {
			l->faulted = false;
			gs_dec_emit(s, GS_EV_RECOVERED, t_ms, 0, input, 0);
		}
	}
	gs_dec_ops_by_type[s->cfg->type]->change(s, input, active, t_ms,
	                                         old_mask, new_mask);
}

/* ---- FIFO ---- */

static inline struct gs_held *gs_fifo_at(struct gs_decode *dec, uint64_t pos)
{
	return &dec->fifo[pos % GS_DEC_FIFO];
}

static void gs_fifo_confirm(struct gs_decode *dec, struct gs_held *h)
{
	h->state = GS_HELD_READY;
	dec->lines[h->line].pending = false;
}

/*
 * Releases everything that can be released at dec->now_ms: FIFO edges in
 * order, merged with fault instants strictly before now. Afterwards the
 * FIFO is empty or its head is an unconfirmed activation.
 */
static void gs_decode_drain(struct gs_decode *dec)
{
	for (;;) {
		struct gs_held *h = NULL;
		unsigned fline = 0;
		int64_t fault_t;

		while (dec->head != dec->tail) {
			h = gs_fifo_at(dec, dec->head);
			if (h->state != GS_HELD_DROPPED)
				break;
			dec->head++;
			h = NULL;
		}
		if (h && h->state == GS_HELD_UNCONFIRMED &&
		    h->t_ms + gs_line_cfg(dec, h->line)->min_break_ms <=
		        dec->now_ms)
			gs_fifo_confirm(dec, h);

		fault_t = gs_watch_earliest(dec, &fline);
		if (h && h->t_ms <= fault_t) {
			if (h->state == GS_HELD_UNCONFIRMED)
				return;
			dec->head++;
			gs_decode_apply(dec, h->line, h->active, h->t_ms);
		} else if (fault_t < dec->now_ms) {
			gs_fault_raise(dec, fline, fault_t);
		} else {
			return;
		}
	}
}

/* The ring is full: confirm the oldest hold early so the rest can move. */
static void gs_fifo_force(struct gs_decode *dec)
{
	struct gs_held *h = gs_fifo_at(dec, dec->head);

	if (h->state == GS_HELD_UNCONFIRMED)
		gs_fifo_confirm(dec, h);
	dec->forced++;
	gs_complain(&dec->overflow_complaint, GS_LOG_WARNING,
	            "decode: %u edges within a beam's min_break; confirming "
	            "the oldest break early (%llu so far)",
	            GS_DEC_FIFO, (unsigned long long)dec->forced);
	gs_decode_drain(dec);
}

static void gs_fifo_push(struct gs_decode *dec, unsigned line, bool active,
                         int64_t t_ms, enum gs_held_state state)
{
	struct gs_held *h;

	while (dec->tail - dec->head >= GS_DEC_FIFO)
		gs_fifo_force(dec);
	h = gs_fifo_at(dec, dec->tail);
	*h = (struct gs_held){
	    .t_ms = t_ms,
	    .line = (uint16_t)line,
	    .active = active,
	    .state = (uint8_t)state,
	};
	if (state == GS_HELD_UNCONFIRMED) {
		dec->lines[line].pending = true;
		dec->lines[line].pending_seq = dec->tail;
	}
	dec->tail++;
}

/* ---- public ---- */

static void gs_decode_set_now(struct gs_decode *dec, int64_t now_ms)
{
	if (!dec->started || now_ms > dec->now_ms)
		dec->now_ms = now_ms;
	dec->started = true;
}

/* A change at t within the debounce period of the line's last accepted
 * change: a bounce, looked at again when the period is over. */
static bool gs_line_bounces(const struct gs_sensor_cfg *sc,
                            const struct gs_dec_line *l, int64_t t)
{
	return sc->debounce_ms > 0 && l->has_change &&
	       t - l->last_change_ms < sc->debounce_ms;
}

/*
 * One change of a line's raw level at t (dec->now_ms), through debounce and
 * the beam-pair noise lookahead into the FIFO or straight to the decoders.
 * settle: the change comes from a debounce period ending, not an edge.
 */
static void gs_decode_raw(struct gs_decode *dec, unsigned line, bool active,
                          int64_t t, bool settle)
{
	const struct gs_sensor_cfg *sc = gs_line_cfg(dec, line);
	struct gs_dec_line *l = &dec->lines[line];

	if (!settle)
		l->phys = active;
	if (l->raw == active)
		return; /* a repeated level is not a change */
	if (!settle && gs_line_bounces(sc, l, t)) {
		if (!l->settling) { /* bounce: look again when it is over */
			l->settling = true;
			dec->settle[dec->n_settle++] = (uint16_t)line;
		}
		return;
	}
	l->raw = active;
	l->has_change = true;
	l->last_change_ms = t;

	if (sc->type == GS_SENSOR_BEAM_PAIR && sc->min_break_ms > 0) {
		if (active) {
			gs_fifo_push(dec, line, true, t, GS_HELD_UNCONFIRMED);
			return;
		}
		if (l->pending) {
			/* Cleared before min_break: noise, both edges go. */
			gs_fifo_at(dec, l->pending_seq)->state =
			    GS_HELD_DROPPED;
			l->pending = false;
			gs_decode_drain(dec);
			return;
		}
	}
	if (dec->head == dec->tail)
		gs_decode_apply(dec, line, active, t);
	else
		gs_fifo_push(dec, line, active, t, GS_HELD_READY);
}

/* The earliest debounce period to end, or GS_TIME_NONE; *idx its slot. */
static int64_t gs_settle_earliest(const struct gs_decode *dec, unsigned *idx)
{
	int64_t best = GS_TIME_NONE;

	for (unsigned i = 0; i < dec->n_settle; i++) {
		unsigned line = dec->settle[i];
		int64_t at = dec->lines[line].last_change_ms +
		             gs_line_cfg(dec, line)->debounce_ms;

		if (at < best) {
			best = at;
			*idx = i;
		}
	}
	return best;
}

/*
 * Moves time to now_ms: debounce periods ending at or before it settle in
 * time order (before edges at the same instant, which are pushed after),
 * then the FIFO and the faults are released.
 */
static void gs_decode_time(struct gs_decode *dec, int64_t now_ms)
{
	unsigned idx = 0;
	int64_t at;

	while ((at = gs_settle_earliest(dec, &idx)) <= now_ms) {
		unsigned line = dec->settle[idx];
		struct gs_dec_line *l = &dec->lines[line];

		dec->settle[idx] = dec->settle[--dec->n_settle];
		l->settling = false;
		gs_decode_set_now(dec, at);
		gs_decode_drain(dec);
		if (l->phys != l->raw)
			gs_decode_raw(dec, line, l->phys, dec->now_ms, true);
	}
	gs_decode_set_now(dec, now_ms);
	gs_decode_drain(dec);
}

void gs_decode_push(struct gs_decode *dec, const struct gs_edge *edge)
{
	unsigned line;

	gs_decode_time(dec, edge->t_ms);
	/* The backends only report configured lines; ignore anything else. */
	if (edge->sensor >= dec->cfg.n_sensors ||
	    edge->input >= dec->cfg.sensors[edge->sensor].n_lines)
		return;
	line = (unsigned)edge->sensor * GS_SENSOR_MAX_LINES + edge->input;
	/* now_ms, not t_ms: an edge older than time already seen is clamped */
	gs_decode_raw(dec, line, edge->active != 0, dec->now_ms, false);
}

void gs_decode_advance(struct gs_decode *dec, int64_t now_ms)
{
	gs_decode_time(dec, now_ms);
}

void gs_decode_finish(struct gs_decode *dec, int64_t last_ms)
{
	gs_decode_time(dec, last_ms);
	/* Breaks still unconfirmed never lasted min_break within the replay. */
	for (uint64_t pos = dec->head; pos != dec->tail; pos++) {
		struct gs_held *h = gs_fifo_at(dec, pos);

		if (h->state == GS_HELD_UNCONFIRMED) {
			h->state = GS_HELD_DROPPED;
			dec->lines[h->line].pending = false;
			dec->lines[h->line].raw = false;
		}
	}
	gs_decode_drain(dec);
}

int64_t gs_decode_settled(const struct gs_decode *dec)
{
	int64_t settled = dec->started ? dec->now_ms : INT64_MIN;

	for (uint64_t pos = dec->head; pos != dec->tail; pos++) {
		const struct gs_held *h = &dec->fifo[pos % GS_DEC_FIFO];

		if (h->state == GS_HELD_DROPPED)
			continue; /* only at the head after a mid-FIFO drop */
		if (h->t_ms < settled)
			settled = h->t_ms;
		break;
	}
	return settled;
}

int64_t gs_decode_next_deadline(const struct gs_decode *dec)
{
	unsigned line;
	int64_t fault_t = gs_watch_earliest(dec, &line);
	int64_t next = fault_t == GS_TIME_NONE ? GS_TIME_NONE : fault_t + 1;
	unsigned idx;
	int64_t settle_t = gs_settle_earliest(dec, &idx);

	/* After a drain the FIFO is empty or starts with an unconfirmed
	 * activation (dropped slots aside), which blocks every fault stamped
	 * at or after it until its confirmation. */
	for (uint64_t pos = dec->head; pos != dec->tail; pos++) {
		const struct gs_held *h = &dec->fifo[pos % GS_DEC_FIFO];
		int64_t confirm;

		if (h->state == GS_HELD_DROPPED)
			continue;
		confirm = h->t_ms + gs_line_cfg(dec, h->line)->min_break_ms;
		if (fault_t >= h->t_ms || confirm < next)
			next = confirm;
		break;
	}
	return settle_t < next ? settle_t : next;
}

bool gs_decode_edge_counts(struct gs_decode *dec, const struct gs_edge *edge)
{
	const struct gs_sensor_cfg *sc;
	const struct gs_dec_line *l;

	if (edge->sensor >= dec->cfg.n_sensors ||
	    edge->input >= dec->cfg.sensors[edge->sensor].n_lines)
		return false;
	gs_decode_time(dec, edge->t_ms);
	sc = &dec->cfg.sensors[edge->sensor];
	l = &dec->lines[(unsigned)edge->sensor * GS_SENSOR_MAX_LINES +
	                edge->input];
	return l->raw != (edge->active != 0) &&
	       !gs_line_bounces(sc, l, dec->now_ms);
}

bool gs_decode_line_debounced(const struct gs_decode *dec, unsigned sensor,
                              unsigned input, int64_t *since_ms)
{
	const struct gs_dec_line *l;

	if (sensor >= dec->cfg.n_sensors ||
	    input >= dec->cfg.sensors[sensor].n_lines)
		return false;
	l = &dec->lines[sensor * GS_SENSOR_MAX_LINES + input];
	if (since_ms)
		*since_ms = l->has_change ? l->last_change_ms : GS_TIME_NONE;
	return l->raw;
}

bool gs_decode_line_active(const struct gs_decode *dec, unsigned sensor,
                           unsigned input)
{
	if (sensor >= dec->cfg.n_sensors ||
	    input >= dec->cfg.sensors[sensor].n_lines)
		return false;
	return dec->lines[sensor * GS_SENSOR_MAX_LINES + input].level;
}

bool gs_decode_sensor_faulted(const struct gs_decode *dec, unsigned sensor)
{
	if (sensor >= dec->cfg.n_sensors)
		return false;
	for (unsigned i = 0; i < dec->cfg.sensors[sensor].n_lines; i++)
		if (dec->lines[sensor * GS_SENSOR_MAX_LINES + i].faulted)
			return true;
	return false;
}

uint64_t gs_decode_forced(const struct gs_decode *dec)
{
	return dec->forced;
}
