/* SPDX-License-Identifier: MIT */
/*
 * beam_pair: two IR beams across a door, A outside and B inside.
 *
 * The decoder sees the pair as one of four states (clear, A, A+B, B). The
 * beam broken first from all-clear fixes the direction of the sequence; the
 * sequence ends at the next all-clear, and counts only if the state just
 * before it was "only the far beam broken" (B for an in, A for an out).
 * Everything in between is free, so a person who hesitates and rocks back
 * and forth between the beams still counts once, and a person who breaks A
 * and turns back counts nothing (clarification 5). Two people close behind
 * each other count twice as long as the beams see an all-clear between
 * them, even for one millisecond; without it the beams cannot tell them
 * apart and no decoder could.
 *
 * A fault on either beam (held past the limit: a parked trolley, a
 * misaligned reflector) spoils the sequence it happens in: whatever the
 * beams do until the next all-clear is not trusted as a crossing.
 */
#include "sensors/dec_internal.h"

#define GS_BEAM_A 1u /* outside */
#define GS_BEAM_B 2u /* inside */

static void gs_beam_change(struct gs_dec_sensor *s, unsigned input, bool active,
                           int64_t t_ms, unsigned old_mask, unsigned new_mask)
{
	(void)input;
	(void)active;
	if (old_mask == 0 && new_mask != 0) {
		s->beam_dir = (new_mask & GS_BEAM_A) ? GS_BEAM_IN : GS_BEAM_OUT;
		s->beam_spoiled = false;
		return;
	}
	if (new_mask != 0 || old_mask == 0)
		return;

	/* Back to all-clear: the sequence ends here. */
	if (!s->beam_spoiled) {
		if (s->beam_dir == GS_BEAM_IN && old_mask == GS_BEAM_B)
			gs_dec_emit(s, GS_EV_IN, t_ms, 0, 0, 0);
		else if (s->beam_dir == GS_BEAM_OUT && old_mask == GS_BEAM_A)
			gs_dec_emit(s, GS_EV_OUT, t_ms, 0, 0, 0);
	}
	s->beam_dir = GS_BEAM_IDLE;
	s->beam_spoiled = false;
}

static void gs_beam_fault(struct gs_dec_sensor *s, unsigned input)
{
	(void)input;
	/* The faulted beam is active, so a sequence is in progress. */
	s->beam_spoiled = true;
}

const struct gs_dec_ops gs_dec_beam_ops = {
    .change = gs_beam_change,
    .fault = gs_beam_fault,
};
