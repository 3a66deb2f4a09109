/* SPDX-License-Identifier: MIT */
/*
 * Alert outputs: which lamp, buzzer or relay ([output "NAME"]) is on, in
 * event time, and which button press acknowledges which alert.
 *
 * The engine owns one gs_outputs and tells it of every alert it raises,
 * every alert condition that clears, every button press and every advance
 * of time. It is a pure function of that input, like the engine, so a
 * replay or a restart (the stored events go through the engine again)
 * comes to the same state: an alert acknowledged before a restart stays
 * dark after it. Driving the hardware is the caller's business: changed()
 * says what each output should now show.
 *
 * An output holds the alerts that switched it on, and is on while it holds
 * any. It lets one go when its end rule says so (hold: hold_ms after the
 * alert; clear: when the alert's condition clears; ack: never by itself),
 * and lets every one go when staff acknowledge it: a press on the output's
 * ack input while it is on acknowledges the alerts it holds, everywhere
 * (another output lit by the same alert goes dark too), and each alert
 * acknowledged makes one gapsense.ack.v1 message (docs/mqtt.md).
 */
#ifndef GS_OUTPUTS_H
#define GS_OUTPUTS_H

#include "gateway/config.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

/* Alerts held at once across all outputs; beyond, the oldest is let go. */
#define GS_OUTPUTS_MAX_ALERTS 32

enum gs_output_state {
	GS_OUTPUT_OFF,
	GS_OUTPUT_ON,    /* steady */
	GS_OUTPUT_BLINK, /* on, blinking with the output's blink_ms */
};

/* "off", "on", "blink". */
const char *gs_output_state_name(enum gs_output_state st);

struct gs_outputs_sink {
	/* Output (an index into cfg->outputs) changed at t_ms. */
	void (*changed)(void *ctx, unsigned output, enum gs_output_state st,
	                int64_t t_ms);
	/*
	 * An alert was acknowledged at t_ms: payload is its gapsense.ack.v1
	 * message with "seq" 0; ownership passes to the callee. response_ms
	 * is the time from the alert to its acknowledgement.
	 */
	void (*ack)(void *ctx, int64_t t_ms, int64_t response_ms,
	            cJSON *payload);
};

struct gs_outputs;

/*
 * cfg must outlive the object (the engine's copy). NULL on allocation
 * failure. Every output starts off.
 */
struct gs_outputs *gs_outputs_new(const struct gs_config *cfg,
                                  const struct gs_outputs_sink *sink,
                                  void *ctx);
/* NULL-safe. */
void gs_outputs_free(struct gs_outputs *o);

/* An alert of type raised at t_ms on sensor (an index into cfg->sensors). */
void gs_outputs_alert(struct gs_outputs *o, int64_t t_ms,
                      enum gs_alert_type type, unsigned sensor);
/* The condition of alerts of type on sensor cleared at t_ms. */
void gs_outputs_clear(struct gs_outputs *o, int64_t t_ms,
                      enum gs_alert_type type, unsigned sensor);
/*
 * A press of button (0 = most negative; 0 for a button sensor) on sensor
 * at t_ms. Returns true if it acknowledged an output that was on: the
 * press is then an acknowledgement, not a rating.
 */
bool gs_outputs_press(struct gs_outputs *o, int64_t t_ms, unsigned sensor,
                      unsigned button);
/* Time has reached now_ms: holds that end at or before it end. */
void gs_outputs_advance(struct gs_outputs *o, int64_t now_ms);
/* The earliest hold end still to come, or INT64_MAX. */
int64_t gs_outputs_next_deadline(const struct gs_outputs *o);
/* What output shows now. */
enum gs_output_state gs_outputs_state(const struct gs_outputs *o,
                                      unsigned output);
/* Whether some output acknowledges with presses of sensor's button. */
bool gs_outputs_is_ack_input(const struct gs_outputs *o, unsigned sensor,
                             unsigned button);

#endif
