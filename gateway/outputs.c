/* SPDX-License-Identifier: MIT */
/*
 * Alert outputs in event time (outputs.h). The alerts held are few (an
 * alert re-arms only after its condition has cleared), so a small array
 * in time order, scanned whole, is all the structure needed.
 */
#include "gateway/outputs.h"
#include "gateway/log.h"
#include "gateway/msg.h"

#include <stdlib.h>
#include <string.h>

struct gs_out_alert {
	int64_t t;
	enum gs_alert_type type;
	unsigned sensor;
	uint32_t held; /* bit per output holding it */
};

struct gs_outputs {
	const struct gs_config *cfg;
	struct gs_outputs_sink sink;
	void *ctx;
	struct gs_out_alert alerts[GS_OUTPUTS_MAX_ALERTS];
	size_t n;
	enum gs_output_state shown[GS_MAX_OUTPUTS];
	struct gs_complaint full;
};

_Static_assert(GS_MAX_OUTPUTS <= 32, "output masks are 32 bits");

const char *gs_output_state_name(enum gs_output_state st)
{
	switch (st) {
	case GS_OUTPUT_OFF:
		return "off";
	case GS_OUTPUT_ON:
		return "on";
	case GS_OUTPUT_BLINK:
		return "blink";
	}
	return "unknown";
}

struct gs_outputs *gs_outputs_new(const struct gs_config *cfg,
                                  const struct gs_outputs_sink *sink, void *ctx)
{
	struct gs_outputs *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->cfg = cfg;
	o->sink = *sink;
	o->ctx = ctx;
	o->full = (struct gs_complaint)GS_COMPLAINT_INIT;
	return o;
}

void gs_outputs_free(struct gs_outputs *o)
{
	free(o);
}

/* Outputs that alerts of type on sensor switch on. */
static uint32_t outputs_for(const struct gs_outputs *o, enum gs_alert_type type,
                            unsigned sensor)
{
	uint32_t mask = 0;

	for (unsigned i = 0; i < o->cfg->n_outputs; i++) {
		const struct gs_output_cfg *oc = &o->cfg->outputs[i];

		if ((oc->alerts & (1u << type)) &&
		    (oc->sensors == 0 || (oc->sensors & (1u << sensor))))
			mask |= 1u << i;
	}
	return mask;
}

/* Drops the alerts no output holds any more, keeping time order. */
static void compact(struct gs_outputs *o)
{
	size_t k = 0;

	for (size_t i = 0; i < o->n; i++)
		if (o->alerts[i].held)
			o->alerts[k++] = o->alerts[i];
	o->n = k;
}

/* Tells the sink of every output whose state changed at t. */
static void update(struct gs_outputs *o, int64_t t)
{
	compact(o);
	for (unsigned i = 0; i < o->cfg->n_outputs; i++) {
		enum gs_output_state st = GS_OUTPUT_OFF;

		for (size_t k = 0; k < o->n; k++) {
			if (o->alerts[k].held & (1u << i)) {
				st =
				    o->cfg->outputs[i].signal == GS_SIGNAL_BLINK
				        ? GS_OUTPUT_BLINK
				        : GS_OUTPUT_ON;
				break;
			}
		}
		if (st == o->shown[i])
			continue;
		o->shown[i] = st;
		if (o->sink.changed)
			o->sink.changed(o->ctx, i, st, t);
	}
}

void gs_outputs_alert(struct gs_outputs *o, int64_t t_ms,
                      enum gs_alert_type type, unsigned sensor)
{
	uint32_t mask;

	if (!o || sensor >= o->cfg->n_sensors)
		return;
	mask = outputs_for(o, type, sensor);
	if (!mask)
		return;
	if (o->n == GS_OUTPUTS_MAX_ALERTS) {
		/* Only alerts nobody acknowledges pile up this far: the
		 * oldest one's outputs were on long enough. */
		gs_complain(&o->full, GS_LOG_WARNING,
		            "outputs: %d alerts held; the oldest is let go",
		            GS_OUTPUTS_MAX_ALERTS);
		memmove(&o->alerts[0], &o->alerts[1],
		        (o->n - 1) * sizeof(o->alerts[0]));
		o->n--;
	}
	o->alerts[o->n++] = (struct gs_out_alert){
	    .t = t_ms, .type = type, .sensor = sensor, .held = mask};
	update(o, t_ms);
}

void gs_outputs_clear(struct gs_outputs *o, int64_t t_ms,
                      enum gs_alert_type type, unsigned sensor)
{
	bool any = false;

	if (!o)
		return;
	for (size_t k = 0; k < o->n; k++) {
		struct gs_out_alert *a = &o->alerts[k];

		if (a->type != type || a->sensor != sensor)
			continue;
		for (unsigned i = 0; i < o->cfg->n_outputs; i++) {
			if ((a->held & (1u << i)) &&
			    o->cfg->outputs[i].end == GS_END_CLEAR) {
				a->held &= ~(1u << i);
				any = true;
			}
		}
	}
	if (any)
		update(o, t_ms);
}

int64_t gs_outputs_next_deadline(const struct gs_outputs *o)
{
	int64_t next = INT64_MAX;

	if (!o)
		return next;
	for (size_t k = 0; k < o->n; k++) {
		const struct gs_out_alert *a = &o->alerts[k];

		for (unsigned i = 0; i < o->cfg->n_outputs; i++) {
			const struct gs_output_cfg *oc = &o->cfg->outputs[i];

			if ((a->held & (1u << i)) && oc->end == GS_END_HOLD &&
			    a->t + oc->hold_ms < next)
				next = a->t + oc->hold_ms;
		}
	}
	return next;
}

/*
 * Holds end in their order, each output changing at the instant its hold
 * ends rather than when time was next looked at, so what a replay shows
 * does not depend on how often it advances.
 */
void gs_outputs_advance(struct gs_outputs *o, int64_t now_ms)
{
	int64_t t;

	if (!o)
		return;
	while ((t = gs_outputs_next_deadline(o)) <= now_ms) {
		for (size_t k = 0; k < o->n; k++) {
			struct gs_out_alert *a = &o->alerts[k];

			for (unsigned i = 0; i < o->cfg->n_outputs; i++) {
				const struct gs_output_cfg *oc =
				    &o->cfg->outputs[i];

				if (oc->end == GS_END_HOLD &&
				    a->t + oc->hold_ms == t)
					a->held &= ~(1u << i);
			}
		}
		update(o, t);
	}
}

static bool acks_with(const struct gs_output_cfg *oc, unsigned sensor,
                      unsigned button)
{
	return oc->ack_sensor == (int)sensor &&
	       (oc->ack_button < 0 || oc->ack_button == (int)button);
}

bool gs_outputs_is_ack_input(const struct gs_outputs *o, unsigned sensor,
                             unsigned button)
{
	for (unsigned i = 0; o && i < o->cfg->n_outputs; i++)
		if (acks_with(&o->cfg->outputs[i], sensor, button))
			return true;
	return false;
}

/* The gapsense.ack.v1 message (docs/mqtt.md); NULL on ENOMEM. */
static cJSON *ack_payload(const struct gs_outputs *o,
                          const struct gs_out_alert *a, unsigned output,
                          int64_t t, unsigned sensor, unsigned button)
{
	const struct gs_config *cfg = o->cfg;
	const struct gs_sensor_cfg *by = &cfg->sensors[sensor];
	cJSON *root = cJSON_CreateObject(), *al;
	bool ok;

	if (!root)
		return NULL;
	ok = cJSON_AddStringToObject(root, "schema", "gapsense.ack.v1") &&
	     cJSON_AddStringToObject(root, "site", cfg->site) &&
	     cJSON_AddStringToObject(root, "gateway", cfg->gateway_id) &&
	     gs_json_add_int(root, "seq", 0) &&
	     gs_json_add_time(root, "time", t, true) &&
	     (al = cJSON_AddObjectToObject(root, "alert")) &&
	     gs_json_add_time(al, "time", a->t, true) &&
	     cJSON_AddStringToObject(al, "type", gs_alert_type_name(a->type)) &&
	     cJSON_AddStringToObject(al, "sensor",
	                             cfg->sensors[a->sensor].name) &&
	     cJSON_AddStringToObject(root, "output",
	                             cfg->outputs[output].name) &&
	     cJSON_AddStringToObject(root, "by", by->name) &&
	     (by->type == GS_SENSOR_BUTTON
	          ? cJSON_AddNullToObject(root, "button") != NULL
	          : cJSON_AddStringToObject(
	                root, "button", gs_button_name(by->n_lines, button)) !=
	                NULL) &&
	     gs_json_add_decimal(root, "response_s",
	                         gs_ratio_dec(t - a->t, 1000));
	if (!ok) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

bool gs_outputs_press(struct gs_outputs *o, int64_t t_ms, unsigned sensor,
                      unsigned button)
{
	uint32_t lit = 0;

	if (!o)
		return false;
	for (unsigned i = 0; i < o->cfg->n_outputs; i++)
		if (o->shown[i] != GS_OUTPUT_OFF &&
		    acks_with(&o->cfg->outputs[i], sensor, button))
			lit |= 1u << i;
	if (!lit)
		return false;
	for (size_t k = 0; k < o->n; k++) {
		struct gs_out_alert *a = &o->alerts[k];
		unsigned output;
		cJSON *msg;

		if (!(a->held & lit))
			continue;
		output = (unsigned)__builtin_ctz(a->held & lit);
		msg = ack_payload(o, a, output, t_ms, sensor, button);
		if (msg && o->sink.ack)
			o->sink.ack(o->ctx, t_ms, t_ms - a->t, msg);
		else
			cJSON_Delete(msg);
		if (!msg)
			gs_log(GS_LOG_ERR, "outputs: no memory for an "
			                   "acknowledgement message");
		a->held = 0; /* acknowledged: every output lets it go */
	}
	update(o, t_ms);
	return true;
}

enum gs_output_state gs_outputs_state(const struct gs_outputs *o,
                                      unsigned output)
{
	return o && output < GS_MAX_OUTPUTS ? o->shown[output] : GS_OUTPUT_OFF;
}
