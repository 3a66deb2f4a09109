/* SPDX-License-Identifier: MIT */
/*
 * The metrics engine (see engine.h; the contract is docs/metrics.md).
 *
 * Everything is driven by event time. The engine keeps one open window and
 * a handful of deadlines: the window's end, the next occupancy reset, the
 * oldest entry of each trailing alert window, and the oldest unmatched
 * queue entry. Before an event at t (or on advance(t)) every deadline that
 * is due is run in time order; at one instant the order is: window close,
 * then day reset and trailing-window departures, then the event itself,
 * and limits that must be *passed* (abandonment) only once time is beyond
 * them.
 *
 * Numbers are kept exact as long as possible: counts and sums of integer
 * milliseconds, and every ratio as a fraction of two integers, so that the
 * one-decimal rounding of clarification 12 happens once, on the exact
 * value, when the message is built (frac.h).
 *
 * This file: the life cycle, events in, and reload carry-over; the other
 * engine_*.c files are listed in engine_priv.h.
 */
#include "gateway/engine_priv.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/timeutil.h"
#include "gateway/tz.h"

#include <stdlib.h>
#include <string.h>

/* Negative buttons: the lowest one on 3 buttons, the lowest two on 4-5. */
static bool button_negative(unsigned n_buttons, unsigned b)
{
	return b < (n_buttons <= 3 ? 1u : 2u);
}

/* ---- events ------------------------------------------------------------ */

static void on_press(struct gs_engine *eng, struct gs_eng_sensor *s,
                     const struct gs_event *ev)
{
	bool neg;

	if (ev->flags & GS_EVF_MISUSE) {
		s->misuse++;
		return;
	}
	s->responses++;
	s->counts[ev->value]++;
	if (s->cfg->type != GS_SENSOR_SMILEY)
		return;
	neg = button_negative(s->n_buttons, ev->value);
	if (gs_ring_push(&s->trail, ev->t_ms, neg)) {
		gs_complain(&eng->no_memory, GS_LOG_ERR,
		            "engine: out of memory; press left out of the "
		            "discontent window");
		return;
	}
	s->trail_sum += neg;
	gs_eng_due_note(eng, ev->t_ms + eng->cfg.burst_window_ms);
	gs_eng_burst_eval(eng, s, ev->t_ms);
}

static void on_serve(struct gs_engine *eng, struct gs_eng_sensor *s,
                     const struct gs_event *ev)
{
	const struct gs_ring_item *f = gs_ring_front(&s->fifo);
	int64_t wait;

	s->served++;
	if (!f)
		return; /* nothing to match: served with no wait */
	wait = ev->t_ms - f->t;
	gs_ring_pop(&s->fifo);
	eng->site_len--;
	if (gs_vec_push(&s->waits, wait))
		gs_complain(&eng->no_memory, GS_LOG_ERR,
		            "engine: out of memory; a wait is lost");
	if (gs_ring_push(&s->trail, ev->t_ms, wait)) {
		gs_complain(&eng->no_memory, GS_LOG_ERR,
		            "engine: out of memory; wait left out of the "
		            "queue alert window");
		return;
	}
	s->trail_sum += wait;
	gs_eng_due_note(eng, ev->t_ms + eng->cfg.queue_alert_window_ms);
	gs_eng_queue_eval(eng, s, ev->t_ms);
}

static void on_join(struct gs_engine *eng, struct gs_eng_sensor *s,
                    const struct gs_event *ev)
{
	s->joined++;
	if (gs_ring_push(&s->fifo, ev->t_ms, 0)) {
		gs_complain(&eng->no_memory, GS_LOG_ERR,
		            "engine: out of memory; queue entry not matched");
		return;
	}
	eng->site_len++;
	gs_eng_due_note(eng, ev->t_ms + s->cfg->max_wait_ms + 1);
	if ((int64_t)s->fifo.len > s->len_max)
		s->len_max = (int64_t)s->fifo.len;
	if (eng->site_len > eng->site_len_max)
		eng->site_len_max = eng->site_len;
}

/* Which event kinds each sensor type produces. */
static const uint32_t gs_kinds_of_type[GS_SENSOR_TYPE_COUNT_] = {
    [GS_SENSOR_BEAM_PAIR] = 1u << GS_EV_IN | 1u << GS_EV_OUT,
    [GS_SENSOR_PULSE] = 1u << GS_EV_IN | 1u << GS_EV_OUT | 1u << GS_EV_PULSE,
    [GS_SENSOR_QUEUE] = 1u << GS_EV_JOIN | 1u << GS_EV_SERVE,
    [GS_SENSOR_SMILEY] = 1u << GS_EV_PRESS,
    [GS_SENSOR_STAFF] = 1u << GS_EV_PRESS,
    [GS_SENSOR_BUTTON] = 1u << GS_EV_PRESS,
};

static bool event_valid(const struct gs_engine *eng, const struct gs_event *ev)
{
	const struct gs_sensor_cfg *sc;

	if (ev->sensor >= eng->cfg.n_sensors || ev->kind >= GS_EV_KIND_COUNT_)
		return false;
	sc = &eng->cfg.sensors[ev->sensor];
	if (ev->kind == GS_EV_FAULT || ev->kind == GS_EV_RECOVERED)
		return ev->input < sc->n_lines;
	if (!(gs_kinds_of_type[sc->type] & (1u << ev->kind)))
		return false;
	return ev->kind != GS_EV_PRESS || ev->value < sc->n_lines;
}

void gs_engine_event(struct gs_engine *eng, const struct gs_event *ev)
{
	struct gs_event e = *ev;
	struct gs_eng_sensor *s;

	if (!event_valid(eng, ev) || gs_eng_no_time(ev->t_ms)) {
		gs_complain(&eng->bad_event, GS_LOG_WARNING,
		            "engine: ignored event kind %u of sensor %u: not "
		            "one that sensor produces, or no valid time",
		            ev->kind, ev->sensor);
		return;
	}
	if (!gs_eng_move_to(eng, &e.t_ms, true))
		return;
	s = &eng->s[e.sensor];
	/* Whether a press acknowledges is worked out here, in event time,
	 * also for a stored press a restart feeds again. */
	e.flags &= (uint8_t)~GS_EVF_ACK;
	if (e.kind == GS_EV_PRESS &&
	    gs_outputs_press(eng->outputs, e.t_ms, e.sensor, e.value))
		e.flags |= GS_EVF_ACK;
	gs_eng_emit_event(eng, &e);
	switch ((enum gs_event_kind)e.kind) {
	case GS_EV_IN:
		s->in++;
		eng->occupancy++;
		gs_day_note_occupancy(eng->day, eng->occupancy);
		break;
	case GS_EV_OUT:
		s->out++;
		if (eng->occupancy > 0)
			eng->occupancy--;
		break;
	case GS_EV_PULSE:
		s->pulses++;
		break;
	case GS_EV_JOIN:
		on_join(eng, s, &e);
		break;
	case GS_EV_SERVE:
		on_serve(eng, s, &e);
		break;
	case GS_EV_PRESS:
		/* A push-button only acknowledges; a terminal's press that
		 * acknowledged is not a rating. */
		if (s->cfg->type != GS_SENSOR_BUTTON && !(e.flags & GS_EVF_ACK))
			on_press(eng, s, &e);
		break;
	case GS_EV_FAULT:
		if (!(s->fault_mask & (1u << e.input)))
			s->faults++;
		s->fault_mask |= 1u << e.input;
		s->fault_at[e.input] = e.t_ms;
		gs_eng_fault_alert(eng, s, &e, true);
		gs_eng_outputs_alert(eng, e.t_ms, GS_ALERT_SENSOR_FAULT,
		                     e.sensor);
		break;
	case GS_EV_RECOVERED:
		gs_eng_fault_alert(eng, s, &e, false);
		s->fault_mask &= ~(1u << e.input);
		s->fault_at[e.input] = GS_TIME_NONE;
		if (!s->fault_mask)
			gs_outputs_clear(eng->outputs, e.t_ms,
			                 GS_ALERT_SENSOR_FAULT, e.sensor);
		break;
	case GS_EV_ABANDON: /* derived here, never accepted from outside */
	case GS_EV_KIND_COUNT_:
		break;
	}
}

void gs_engine_advance(struct gs_engine *eng, int64_t now_ms)
{
	if (gs_eng_no_time(now_ms))
		return;
	gs_eng_move_to(eng, &now_ms, false);
}

int64_t gs_engine_next_deadline(const struct gs_engine *eng)
{
	if (!eng->started || eng->finished)
		return GS_TIME_NONE;
	return gs_eng_next_instant(eng);
}

void gs_engine_finish(struct gs_engine *eng, int64_t last_ms)
{
	if (!eng->started || eng->finished || gs_eng_no_time(last_ms)) {
		if (eng->started && !eng->finished)
			gs_eng_window_publish(eng, eng->now);
		eng->finished = true;
		return;
	}
	gs_eng_move_to(eng, &last_ms, false);
	gs_eng_window_publish(eng, eng->now);
	eng->finished = true;
}

void gs_engine_set_clock_synced(struct gs_engine *eng, bool synced)
{
	eng->clock_synced = synced;
	if (!synced)
		eng->win_synced = false;
}

int64_t gs_engine_occupancy(const struct gs_engine *eng)
{
	return eng->occupancy;
}

bool gs_engine_sensor_faulted(const struct gs_engine *eng, unsigned sensor)
{
	return sensor < eng->cfg.n_sensors && eng->s[sensor].fault_mask != 0;
}

/* ---- configuration reload ---------------------------------------------- */

static int ring_copy(struct gs_ring *dst, const struct gs_ring *src)
{
	for (size_t i = 0; i < src->len; i++) {
		const struct gs_ring_item *it = gs_ring_at(src, i);

		if (gs_ring_push(dst, it->t, it->v))
			return -1;
	}
	return 0;
}

static int carry_sensor(struct gs_eng_sensor *s, const struct gs_eng_sensor *o,
                        bool same_window)
{
	enum gs_sensor_type type = s->cfg->type;
	bool same_buttons = s->n_buttons == o->n_buttons;

	for (unsigned l = 0; l < s->cfg->n_lines && l < o->cfg->n_lines; l++) {
		s->fault_mask |= o->fault_mask & (1u << l);
		s->fault_at[l] = o->fault_at[l];
	}
	s->armed = o->armed;
	s->false_since = o->false_since;
	if (type == GS_SENSOR_QUEUE || type == GS_SENSOR_SMILEY) {
		if (ring_copy(&s->trail, &o->trail))
			return -1;
		s->trail_sum = o->trail_sum;
	}
	if (type == GS_SENSOR_QUEUE && ring_copy(&s->fifo, &o->fifo))
		return -1;
	s->len_max = (int64_t)s->fifo.len;
	if (!same_window)
		return 0;
	s->in = o->in;
	s->out = o->out;
	s->pulses = o->pulses;
	s->joined = o->joined;
	s->served = o->served;
	s->abandoned = o->abandoned;
	s->len_max = o->len_max;
	s->faults = o->faults;
	for (size_t k = 0; k < o->waits.len; k++)
		if (gs_vec_push(&s->waits, o->waits.v[k]))
			return -1;
	if (same_buttons) {
		s->responses = o->responses;
		s->misuse = o->misuse;
		memcpy(s->counts, o->counts, sizeof(s->counts));
	}
	return 0;
}

/*
 * After a reload the limits may be shorter: queue entries already past the
 * new max_wait give up now, and presses or serves older than the new
 * trailing window leave it now (then the condition is looked at once).
 * Stamping them now, not in the past, keeps every output in time order.
 */
static void carry_settle(struct gs_engine *eng)
{
	int64_t t = eng->now;

	for (unsigned i = 0; i < eng->cfg.n_sensors; i++) {
		struct gs_eng_sensor *s = &eng->s[i];
		enum gs_sensor_type type = s->cfg->type;
		int64_t w;
		bool left = false;

		if (type != GS_SENSOR_QUEUE && type != GS_SENSOR_SMILEY)
			continue;
		while (type == GS_SENSOR_QUEUE && s->fifo.len &&
		       gs_ring_front(&s->fifo)->t + s->cfg->max_wait_ms < t)
			gs_eng_abandon_front(eng, i, t);
		w = gs_eng_trail_window(eng, s);
		while (s->trail.len && gs_ring_front(&s->trail)->t + w <= t) {
			s->trail_sum -= gs_ring_front(&s->trail)->v;
			gs_ring_pop(&s->trail);
			left = true;
		}
		if (left && type == GS_SENSOR_QUEUE)
			gs_eng_queue_eval(eng, s, t);
		else if (left)
			gs_eng_burst_eval(eng, s, t);
	}
}

int gs_engine_carry(struct gs_engine *eng, const struct gs_engine *old)
{
	bool same_window;

	if (eng->started || eng->finished)
		return GS_EINVAL;
	if (!old || !old->started)
		return GS_OK;
	/* A finished old engine has published its window already. */
	same_window =
	    eng->cfg.window_ms == old->cfg.window_ms && !old->finished;
	eng->clock_synced = old->clock_synced;
	/* old->now lies in old's open window, so with the same length this
	 * opens the very same window. */
	gs_eng_start(eng, old->now);
	if (same_window)
		eng->win_synced = old->win_synced;
	eng->occupancy = old->occupancy;
	if (gs_day_copy(eng->day, old->day))
		return GS_ENOMEM;
	for (unsigned i = 0; i < eng->cfg.n_sensors; i++) {
		struct gs_eng_sensor *s = &eng->s[i];

		for (unsigned k = 0; k < old->cfg.n_sensors; k++) {
			const struct gs_eng_sensor *o = &old->s[k];

			if (o->cfg->type != s->cfg->type ||
			    strcmp(o->cfg->name, s->cfg->name) != 0)
				continue;
			if (carry_sensor(s, o, same_window))
				return GS_ENOMEM;
			break;
		}
		if (s->cfg->type == GS_SENSOR_QUEUE)
			eng->site_len += (int64_t)s->fifo.len;
	}
	eng->site_len_max = eng->site_len;
	if (same_window && old->site_len_max > eng->site_len_max)
		eng->site_len_max = old->site_len_max;
	carry_settle(eng);
	eng->due_floor = gs_eng_next_instant(eng);
	return GS_OK;
}

/* ---- life cycle ---------------------------------------------------------- */

static bool config_usable(const struct gs_config *cfg)
{
	unsigned smiley = 0;

	if (cfg->window_ms <= 0 || cfg->n_sensors > GS_MAX_SENSORS) {
		gs_log(GS_LOG_ERR, "engine: invalid window or sensor count");
		return false;
	}
	if (!gs_tz_valid(cfg->timezone)) {
		gs_log(GS_LOG_ERR, "engine: time zone '%s' not found",
		       cfg->timezone);
		return false;
	}
	for (unsigned i = 0; i < cfg->n_sensors; i++) {
		const struct gs_sensor_cfg *sc = &cfg->sensors[i];
		bool buttons =
		    sc->type == GS_SENSOR_SMILEY || sc->type == GS_SENSOR_STAFF;

		if ((unsigned)sc->type >= GS_SENSOR_TYPE_COUNT_ ||
		    sc->n_lines > GS_SENSOR_MAX_LINES ||
		    (buttons &&
		     (sc->n_lines < 3 || sc->n_lines > GS_MAX_BUTTONS))) {
			gs_log(GS_LOG_ERR,
			       "engine: sensor '%s': unusable type or lines",
			       sc->name);
			return false;
		}
		if (sc->type != GS_SENSOR_SMILEY)
			continue;
		if (smiley && smiley != sc->n_lines) {
			gs_log(GS_LOG_ERR,
			       "engine: smiley terminals of %u and %u buttons "
			       "cannot be pooled",
			       smiley, sc->n_lines);
			return false;
		}
		smiley = sc->n_lines;
	}
	for (unsigned i = 0; i < cfg->n_outputs; i++) {
		const struct gs_output_cfg *oc = &cfg->outputs[i];

		if (oc->ack_sensor >= (int)cfg->n_sensors ||
		    (oc->end == GS_END_HOLD && oc->hold_ms <= 0)) {
			gs_log(GS_LOG_ERR,
			       "engine: output '%s': unusable ack or hold",
			       oc->name);
			return false;
		}
	}
	return true;
}

static void engine_output_changed(void *ctx, unsigned output,
                                  enum gs_output_state st, int64_t t_ms)
{
	struct gs_engine *eng = ctx;

	if (eng->sink.output)
		eng->sink.output(eng->ctx, output, st, t_ms);
}

static void engine_output_ack(void *ctx, int64_t t_ms, int64_t response_ms,
                              cJSON *payload)
{
	struct gs_engine *eng = ctx;
	struct gs_jb j = {false};

	gs_day_add_ack(eng->day, response_ms);
	gs_eng_publish(eng, GS_MSG_ACK, t_ms, -1, payload, &j);
}

static const struct gs_outputs_sink gs_engine_outputs_sink = {
    .changed = engine_output_changed,
    .ack = engine_output_ack,
};

enum gs_output_state gs_engine_output(const struct gs_engine *eng,
                                      unsigned output)
{
	return gs_outputs_state(eng->outputs, output);
}

struct gs_engine *gs_engine_new(const struct gs_config *cfg,
                                const struct gs_engine_sink *sink, void *ctx)
{
	struct gs_engine *eng;

	if (!config_usable(cfg))
		return NULL;
	eng = calloc(1, sizeof(*eng));
	if (!eng)
		return NULL;
	eng->cfg = *cfg;
	eng->day = gs_day_new(0, true);
	eng->outputs = gs_outputs_new(&eng->cfg, &gs_engine_outputs_sink, eng);
	if (!eng->day || !eng->outputs) {
		gs_outputs_free(eng->outputs);
		gs_day_free(eng->day);
		free(eng);
		return NULL;
	}
	gs_tz_use(eng->cfg.timezone);
	eng->sink = *sink;
	eng->ctx = ctx;
	eng->clock_synced = true;
	eng->next_reset = GS_TIME_NONE;
	eng->due_floor = GS_TIME_NONE;
	eng->win_end = GS_TIME_NONE;
	eng->bad_event = (struct gs_complaint)GS_COMPLAINT_INIT;
	eng->no_memory = (struct gs_complaint)GS_COMPLAINT_INIT;
	for (unsigned i = 0; i < eng->cfg.n_sensors; i++) {
		struct gs_eng_sensor *s = &eng->s[i];

		s->cfg = &eng->cfg.sensors[i];
		s->armed = true;
		s->false_since = GS_TIME_NONE;
		for (unsigned k = 0; k < GS_SENSOR_MAX_LINES; k++)
			s->fault_at[k] = GS_TIME_NONE;
		switch (s->cfg->type) {
		case GS_SENSOR_SMILEY:
			eng->smiley_idx[eng->n_smiley++] = i;
			eng->smiley_buttons = s->cfg->n_lines;
			s->n_buttons = s->cfg->n_lines;
			break;
		case GS_SENSOR_STAFF:
			s->n_buttons = s->cfg->n_lines;
			break;
		case GS_SENSOR_QUEUE:
			eng->queue_idx[eng->n_queue++] = i;
			break;
		default:
			break;
		}
	}
	return eng;
}

void gs_engine_free(struct gs_engine *eng)
{
	if (!eng)
		return;
	for (unsigned i = 0; i < GS_MAX_SENSORS; i++) {
		free(eng->s[i].fifo.buf);
		free(eng->s[i].trail.buf);
		free(eng->s[i].waits.v);
	}
	free(eng->scratch.v);
	gs_day_free(eng->day);
	gs_outputs_free(eng->outputs);
	free(eng);
}
