/* SPDX-License-Identifier: MIT */
/*
 * Private to the decode stage: the per-type decoders behind decode.c.
 *
 * decode.c does everything that is the same for every sensor type (level
 * tracking, repeated levels, software debounce, beam-pair noise lookahead,
 * fault watching, event ordering) and calls a type's decoder only for real,
 * confirmed changes of a line, in time order. A decoder is therefore a small
 * pure state machine over its sensor's line levels.
 */
#ifndef GS_DEC_INTERNAL_H
#define GS_DEC_INTERNAL_H

#include "gateway/config.h"
#include "gateway/event.h"
#include "sensors/decode.h"

#include <stdbool.h>
#include <stdint.h>

enum gs_beam_dir {
	GS_BEAM_IDLE, /* both beams clear */
	GS_BEAM_IN,   /* sequence started with A (outside) */
	GS_BEAM_OUT,  /* sequence started with B (inside) */
};

/* One sensor's decoder state. */
struct gs_dec_sensor {
	const struct gs_sensor_cfg *cfg;
	uint16_t index; /* into gs_config.sensors */
	gs_event_fn emit;
	void *ctx;

	/* beam_pair */
	uint8_t beam_dir;  /* enum gs_beam_dir */
	bool beam_spoiled; /* a fault happened during this sequence */

	/* smiley, staff: time of the terminal's previous press */
	bool has_press;
	int64_t last_press_ms;
};

struct gs_dec_ops {
	/*
	 * Line input changed to active at t_ms. old_mask and new_mask are the
	 * sensor's line levels (bit i = line i active) before and after.
	 */
	void (*change)(struct gs_dec_sensor *s, unsigned input, bool active,
	               int64_t t_ms, unsigned old_mask, unsigned new_mask);
	/* A fault was raised on line input (which is active); may be NULL. */
	void (*fault)(struct gs_dec_sensor *s, unsigned input);
};

extern const struct gs_dec_ops gs_dec_beam_ops;
extern const struct gs_dec_ops gs_dec_pulse_ops;
extern const struct gs_dec_ops gs_dec_queue_ops;
extern const struct gs_dec_ops gs_dec_button_ops;

/* Emits one event of sensor s. */
static inline void gs_dec_emit(struct gs_dec_sensor *s, enum gs_event_kind kind,
                               int64_t t_ms, unsigned value, unsigned input,
                               unsigned flags)
{
	struct gs_event ev = {
	    .t_ms = t_ms,
	    .sensor = s->index,
	    .kind = (uint8_t)kind,
	    .value = (uint8_t)value,
	    .input = (uint8_t)input,
	    .flags = (uint8_t)flags,
	};

	s->emit(s->ctx, &ev);
}

#endif
