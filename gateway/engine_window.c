/* SPDX-License-Identifier: MIT */
/*
 * Engine time: the deadlines, the windows they open and close, and the
 * day's reset and rollup (see engine.c for the order at one instant).
 *
 * Finding the next deadline scans the queue and smiley sensors (at most
 * GS_MAX_SENSORS), which is cheaper than keeping a heap in sync; due_floor
 * spares most events even that.
 */
#include "gateway/engine_priv.h"
#include "gateway/timeutil.h"
#include "gateway/tz.h"

#include <string.h>

/* The first reset instant strictly after t. */
static int64_t next_reset_after(const struct gs_engine *eng, int64_t t)
{
	int64_t day, r = GS_TIME_NONE;

	gs_tz_use(eng->cfg.timezone);
	day = gs_floor_to(t + gs_tz_offset_ms(t), GS_MS_PER_DAY);
	for (int k = -1; k <= 2; k++) {
		r = gs_tz_local_to_utc(day + k * GS_MS_PER_DAY +
		                       eng->cfg.day_start_ms);
		if (r > t)
			break;
	}
	return r;
}

/* The day's rollup, once the window reaching its end has closed at t. */
static void day_close(struct gs_engine *eng, int64_t t)
{
	struct gs_jb j = {false};
	int64_t start = gs_day_start(eng->day);
	cJSON *root;

	if (eng->win_end < eng->day_end)
		return;
	root = gs_day_build(eng->day, &eng->cfg, eng->day_end);
	gs_day_restart(eng->day, eng->day_end, false);
	eng->day_end = next_reset_after(eng, eng->day_end);
	gs_eng_publish(eng, GS_MSG_DAILY, t, start, root, &j);
}

/* Starts the window at start with the carried state. */
static void window_open(struct gs_engine *eng, int64_t start)
{
	eng->win_start = start;
	eng->win_end = start + eng->cfg.window_ms;
	eng->win_synced = eng->clock_synced;
	gs_eng_due_note(eng, eng->win_end);
	eng->site_len_max = eng->site_len;
	for (unsigned i = 0; i < eng->cfg.n_sensors; i++) {
		struct gs_eng_sensor *s = &eng->s[i];

		s->in = s->out = s->pulses = 0;
		s->joined = s->served = s->abandoned = 0;
		s->len_max = (int64_t)s->fifo.len;
		s->waits.len = 0;
		s->responses = s->misuse = s->faults = 0;
		memset(s->counts, 0, sizeof(s->counts));
	}
}

/* ---- deadlines ---------------------------------------------------------- */

enum deadline_kind {
	DL_NONE,
	DL_WINDOW,  /* at the instant */
	DL_RESET,   /* at the instant */
	DL_TRAIL,   /* at the instant: oldest entry leaves (t - W, t] */
	DL_ABANDON, /* once passed */
	DL_OUTPUT,  /* at the instant: an output's hold ends */
};

struct deadline {
	enum deadline_kind kind;
	int64_t t;
	unsigned sensor;
};

/*
 * The next deadline due by time t: at-instant ones at or before t, passed
 * ones strictly before t. Ties: window, reset, departures (by sensor), and
 * at the same instant passed limits come last, after that instant's events.
 */
static bool next_due(const struct gs_engine *eng, int64_t t, struct deadline *d)
{
	d->kind = DL_NONE;
	d->t = GS_TIME_NONE;
	if (eng->win_end <= t)
		*d = (struct deadline){DL_WINDOW, eng->win_end, 0};
	if (eng->next_reset <= t && eng->next_reset < d->t)
		*d = (struct deadline){DL_RESET, eng->next_reset, 0};
	for (unsigned k = 0; k < eng->n_smiley + eng->n_queue; k++) {
		unsigned i = k < eng->n_smiley
		                 ? eng->smiley_idx[k]
		                 : eng->queue_idx[k - eng->n_smiley];
		const struct gs_eng_sensor *s = &eng->s[i];
		const struct gs_ring_item *f = gs_ring_front(&s->trail);

		if (!f)
			continue;
		int64_t due = f->t + gs_eng_trail_window(eng, s);

		if (due <= t &&
		    (due < d->t ||
		     (due == d->t && d->kind == DL_TRAIL && i < d->sensor)))
			*d = (struct deadline){DL_TRAIL, due, i};
	}
	for (unsigned k = 0; k < eng->n_queue; k++) {
		unsigned i = eng->queue_idx[k];
		const struct gs_ring_item *f = gs_ring_front(&eng->s[i].fifo);

		if (!f)
			continue;
		int64_t due = f->t + eng->s[i].cfg->max_wait_ms;

		/* Strictly before t, and after every at-instant deadline
		 * of the same instant (it is later than them). */
		if (due < t && due < d->t)
			*d = (struct deadline){DL_ABANDON, due, i};
	}
	int64_t hold = gs_outputs_next_deadline(eng->outputs);

	if (hold <= t && hold < d->t)
		*d = (struct deadline){DL_OUTPUT, hold, 0};
	return d->kind != DL_NONE;
}

/* The oldest unmatched entry of queue sensor i gives up, stamped t. */
void gs_eng_abandon_front(struct gs_engine *eng, unsigned i, int64_t t)
{
	struct gs_eng_sensor *s = &eng->s[i];
	struct gs_event ab = {
	    .t_ms = t, .sensor = (uint16_t)i, .kind = GS_EV_ABANDON};

	gs_ring_pop(&s->fifo);
	eng->site_len--;
	s->abandoned++;
	gs_eng_emit_event(eng, &ab);
}

static void run_deadline(struct gs_engine *eng, const struct deadline *d)
{
	struct gs_eng_sensor *s = &eng->s[d->sensor];
	int64_t w;

	switch (d->kind) {
	case DL_WINDOW:
		gs_eng_window_publish(eng, d->t);
		day_close(eng, d->t);
		window_open(eng, d->t);
		break;
	case DL_RESET:
		eng->occupancy = 0;
		eng->next_reset = next_reset_after(eng, d->t);
		gs_eng_due_note(eng, eng->next_reset);
		break;
	case DL_TRAIL:
		/* Everything leaving at this instant goes at once, then the
		 * condition is evaluated once. */
		w = gs_eng_trail_window(eng, s);
		while (s->trail.len &&
		       gs_ring_front(&s->trail)->t + w <= d->t) {
			s->trail_sum -= gs_ring_front(&s->trail)->v;
			gs_ring_pop(&s->trail);
		}
		if (s->cfg->type == GS_SENSOR_QUEUE)
			gs_eng_queue_eval(eng, s, d->t);
		else
			gs_eng_burst_eval(eng, s, d->t);
		break;
	case DL_ABANDON:
		gs_eng_abandon_front(eng, d->sensor, d->t);
		break;
	case DL_OUTPUT:
		gs_outputs_advance(eng->outputs, d->t);
		break;
	case DL_NONE:
		break;
	}
}

/* The instant at which advance() next has something to do. */
int64_t gs_eng_next_instant(const struct gs_engine *eng)
{
	struct deadline d;

	if (!next_due(eng, GS_TIME_NONE - 1, &d))
		return GS_TIME_NONE;
	return d.kind == DL_ABANDON ? d.t + 1 : d.t;
}

static void run_until(struct gs_engine *eng, int64_t t)
{
	struct deadline d;

	while (next_due(eng, t, &d))
		run_deadline(eng, &d);
	eng->due_floor = gs_eng_next_instant(eng);
}

/* Opens the first window on the first event or advance. */
void gs_eng_start(struct gs_engine *eng, int64_t t)
{
	eng->started = true;
	eng->now = t;
	window_open(eng, gs_floor_to(t, eng->cfg.window_ms));
	eng->next_reset = next_reset_after(eng, t);
	gs_eng_due_note(eng, eng->next_reset);
	/* The day began at the last reset at or before t (days are 23 to
	 * 25 hours long); partial unless t is that very instant. */
	int64_t day = next_reset_after(eng, t - 26 * GS_MS_PER_H);
	while (next_reset_after(eng, day) <= t)
		day = next_reset_after(eng, day);
	gs_day_restart(eng->day, day, day != t);
	eng->day_end = eng->next_reset;
}

/*
 * Moves engine time to t, never backwards: an event older than engine time
 * is placed at engine time (and complained about), while an older advance
 * is simply nothing new (run mode advances to clock - grace, which trails
 * the events). Returns false if the engine is done.
 */
bool gs_eng_move_to(struct gs_engine *eng, int64_t *t, bool is_event)
{
	if (eng->finished)
		return false;
	if (!eng->started)
		gs_eng_start(eng, *t);
	if (*t < eng->now) {
		if (is_event)
			gs_complain(&eng->bad_event, GS_LOG_WARNING,
			            "engine: event %lld ms older than the "
			            "previous one; placed at engine time",
			            (long long)(eng->now - *t));
		*t = eng->now;
	}
	if (*t >= eng->due_floor)
		run_until(eng, *t);
	eng->now = *t;
	return true;
}
