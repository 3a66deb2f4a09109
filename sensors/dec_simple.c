/* SPDX-License-Identifier: MIT */
/*
 * The decoders that turn one activation into one event: pulse counters,
 * queue beams, and smiley and staff terminals. Each acts on the activating
 * edge (the moment a pulse starts, a beam is broken, a button goes down),
 * so a button held down is one press and a beam blocked for a while is one
 * person.
 */
#include "sensors/dec_internal.h"

/*
 * pulse: one line counts in its configured direction (or as a plain pulse
 * with none); two lines are in and out.
 */
static void gs_pulse_change(struct gs_dec_sensor *s, unsigned input,
                            bool active, int64_t t_ms, unsigned old_mask,
                            unsigned new_mask)
{
	enum gs_event_kind kind;

	(void)old_mask;
	(void)new_mask;
	if (!active)
		return;
	if (s->cfg->n_lines >= 2)
		kind = input == 0 ? GS_EV_IN : GS_EV_OUT;
	else if (s->cfg->direction == GS_DIR_IN)
		kind = GS_EV_IN;
	else if (s->cfg->direction == GS_DIR_OUT)
		kind = GS_EV_OUT;
	else
		kind = GS_EV_PULSE;
	gs_dec_emit(s, kind, t_ms, 0, 0, 0);
}

const struct gs_dec_ops gs_dec_pulse_ops = {
    .change = gs_pulse_change,
};

/*
 * queue: the entry beam is a join, the till beam a serve. Matching serves
 * to joins and judging abandonment is the metrics engine's job: it needs
 * max_wait and window boundaries, which are not the sensor's business.
 */
static void gs_queue_change(struct gs_dec_sensor *s, unsigned input,
                            bool active, int64_t t_ms, unsigned old_mask,
                            unsigned new_mask)
{
	(void)old_mask;
	(void)new_mask;
	if (!active)
		return;
	gs_dec_emit(s, input == 0 ? GS_EV_JOIN : GS_EV_SERVE, t_ms, 0, 0, 0);
}

const struct gs_dec_ops gs_dec_queue_ops = {
    .change = gs_queue_change,
};

/*
 * smiley and staff: a press is recorded with its button (0 = most
 * negative). The lockout runs from the terminal's previous press, whichever
 * button and whether or not that press was itself misuse (clarification 7
 * says "of its previous press"): a child hammering the buttons every second
 * is flagged on every press after the first, not on every other one. It is
 * inclusive: a press exactly lockout_ms after the previous one is misuse,
 * with no exception for 0: lockout = 0 still flags a second press in the
 * same millisecond (two buttons at once cannot both be a customer's vote).
 * Misuse is flagged, never dropped; the metrics decide what it counts for.
 */
static void gs_button_change(struct gs_dec_sensor *s, unsigned input,
                             bool active, int64_t t_ms, unsigned old_mask,
                             unsigned new_mask)
{
	unsigned flags = 0;

	(void)old_mask;
	(void)new_mask;
	if (!active)
		return;
	if (s->has_press && t_ms - s->last_press_ms <= s->cfg->lockout_ms)
		flags |= GS_EVF_MISUSE;
	s->has_press = true;
	s->last_press_ms = t_ms;
	gs_dec_emit(s, GS_EV_PRESS, t_ms, input, 0, flags);
}

const struct gs_dec_ops gs_dec_button_ops = {
    .change = gs_button_change,
};
