/* SPDX-License-Identifier: MIT */
/*
 * The alert outputs' hardware: what gateway/outputs.c decides in event
 * time, shown on the GPIO lines in real time. Blinking is real time only
 * (it is how an output looks, not data): each blinking output toggles
 * every half of its blink period on one timerfd of the event loop.
 *
 * Without hardware (simulate, replay) it only keeps the states, which the
 * status message shows.
 */
#ifndef GS_LAMPS_H
#define GS_LAMPS_H

#include "gateway/config.h"
#include "gateway/loop.h"
#include "gateway/outputs.h"
#include "sensors/gpio.h"

struct gs_lamps;

/*
 * lines: the requested GPIO outputs, or NULL (no hardware); ownership
 * passes to the new object, also on failure. cfg and loop must outlive it.
 * Returns NULL on failure (logged): lines were then freed, driving them off.
 */
struct gs_lamps *gs_lamps_new(const struct gs_config *cfg, struct gs_loop *loop,
                              struct gs_gpio_outputs *lines);
/* NULL-safe: every output off, lines released. */
void gs_lamps_free(struct gs_lamps *l);

/* Output (an index into cfg->outputs) shows st from now on. */
void gs_lamps_set(struct gs_lamps *l, unsigned output, enum gs_output_state st);
enum gs_output_state gs_lamps_get(const struct gs_lamps *l, unsigned output);

#endif
