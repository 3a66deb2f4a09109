/* SPDX-License-Identifier: MIT */
/*
 * Alert outputs: a lamp, buzzer or relay per [output "NAME"] section, each
 * on a GPIO line of its own requested as an output. Chips and lines are
 * found, and problems reported, exactly as for sensors (gpio_common.c), so
 * an installer reads the same messages naming the output instead.
 *
 * Every output is requested at its inactive level (off) and driven off
 * again before it is released: a lamp never stays lit after the daemon
 * stops, whatever the chip does with a released line. A line a sensor of
 * the same config uses is refused here with a message naming that sensor,
 * rather than with the kernel's EBUSY, whose holder would be ourselves.
 */
#include "sensors/gpio_internal.h"

#include "gateway/err.h"
#include "gateway/log.h"
#include "sensors/gpio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct gs_gpio_output {
	void *req; /* the line request, NULL: not requested */
	size_t chip;
	unsigned offset;
	int level; /* logical level last driven, -1 unknown */
	struct gs_complaint failing;
};

struct gs_gpio_outputs {
	const struct gs_config *cfg;
	struct gs_gpio_chips chips;
	unsigned n;                                /* cfg->n_outputs */
	struct gs_gpio_output out[GS_MAX_OUTPUTS]; /* as cfg->outputs */
};

/*
 * The sensor of cfg whose line is offset of chip c, or -1. Sensors on
 * chips the outputs do not use cannot collide, and lines that do not
 * resolve are the sensor backend's to report.
 */
static int gs_gpio_outputs_sensor_on(struct gs_gpio_outputs *o, size_t c,
                                     unsigned offset)
{
	const struct gs_gpio_chip *chip = &o->chips.chips[c];

	for (unsigned i = 0; i < o->cfg->n_sensors; i++) {
		const struct gs_sensor_cfg *sc = &o->cfg->sensors[i];

		if (!gs_gpio_chip_matches(sc->chip, &chip->info))
			continue;
		for (unsigned j = 0; j < sc->n_lines; j++) {
			unsigned off;

			if (!gs_gpio_line_offset(sc->lines[j], &off) &&
			    o->chips.api->line_find(chip->handle, sc->lines[j],
			                            &off) < 0)
				continue;
			if (off == offset)
				return (int)i;
		}
	}
	return -1;
}

/* The output of this config already holding offset of chip c, or -1. */
static int gs_gpio_outputs_output_on(const struct gs_gpio_outputs *o, size_t c,
                                     unsigned offset)
{
	for (unsigned k = 0; k < o->n; k++)
		if (o->out[k].req && o->out[k].chip == c &&
		    o->out[k].offset == offset)
			return (int)k;
	return -1;
}

/* Requests output i. Returns 0 or GS_E* (in diag). */
static int gs_gpio_outputs_request(struct gs_gpio_outputs *o, unsigned i,
                                   const char *consumer, struct gs_diag *diag)
{
	const struct gs_output_cfg *oc = &o->cfg->outputs[i];
	const struct gs_gpio_user u = gs_gpio_user_output(o->cfg, i);
	struct gs_gpio_output *out = &o->out[i];
	struct gs_gpio_user holder;
	char who[GS_NAME_MAX] = "";
	unsigned offset;
	void *chip;
	int c, k, rc = GS_OK, e;

	c = gs_gpio_chips_get(&o->chips, &u, diag, &rc);
	if (c < 0)
		return rc;
	chip = o->chips.chips[c].handle;
	rc = gs_gpio_chips_line(&o->chips, (size_t)c, &u, oc->line, diag,
	                        &offset);
	if (rc)
		return rc;
	k = gs_gpio_outputs_output_on(o, (size_t)c, offset);
	if (k >= 0)
		holder = gs_gpio_user_output(o->cfg, (unsigned)k);
	else if ((k = gs_gpio_outputs_sensor_on(o, (size_t)c, offset)) >= 0)
		holder = gs_gpio_user_sensor(o->cfg, (unsigned)k);
	if (k >= 0) {
		gs_gpio_diag_request_failed(diag, &u, oc->line,
		                            &o->chips.chips[c].info, offset,
		                            EBUSY, consumer, &holder);
		return GS_EBUSY;
	}
	*out = (struct gs_gpio_output){
	    .chip = (size_t)c,
	    .offset = offset,
	    .level = -1,
	    .failing = GS_COMPLAINT_INIT,
	};
	out->req = o->chips.api->output_request(chip, offset, oc->active_low,
	                                        consumer);
	if (!out->req) {
		e = errno;
		if (e == EBUSY)
			o->chips.api->line_consumer(chip, offset, who,
			                            sizeof(who));
		gs_gpio_diag_request_failed(diag, &u, oc->line,
		                            &o->chips.chips[c].info, offset, e,
		                            who, NULL);
		return gs_gpio_err_from_errno(e);
	}
	out->level = 0;
	return GS_OK;
}

int gs_gpio_outputs_open(const struct gs_gpio_api *api, const char *dev_dir,
                         const struct gs_config *cfg, const char *consumer,
                         struct gs_diag *diag, struct gs_gpio_outputs **out)
{
	struct gs_gpio_outputs *o = calloc(1, sizeof(*o));
	int rc = GS_OK;

	*out = NULL;
	if (!o)
		return GS_ENOMEM;
	o->cfg = cfg;
	o->chips.api = api;
	o->chips.dev_dir = dev_dir;
	o->n =
	    cfg->n_outputs < GS_MAX_OUTPUTS ? cfg->n_outputs : GS_MAX_OUTPUTS;
	for (unsigned i = 0; i < o->n; i++) {
		int r = gs_gpio_outputs_request(o, i, consumer, diag);

		if (r && !rc)
			rc = r; /* go on: the installer sees every problem */
	}
	if (rc) {
		gs_gpio_outputs_free(o);
		return rc;
	}
	*out = o;
	return GS_OK;
}

int gs_gpio_outputs_new(const struct gs_config *cfg, const char *consumer,
                        struct gs_diag *diag, struct gs_gpio_outputs **out)
{
	return gs_gpio_outputs_open(&gs_gpio_api_impl, GS_GPIO_DEV_DIR, cfg,
	                            consumer, diag, out);
}

int gs_gpio_outputs_set(struct gs_gpio_outputs *o, unsigned output, bool on)
{
	struct gs_gpio_output *out;
	const char *name;

	if (!o || output >= o->n || !o->out[output].req)
		return GS_EINVAL;
	out = &o->out[output];
	name = o->cfg->outputs[output].name;
	if (o->chips.api->output_set(out->req, out->offset, on) < 0) {
		/* A line that fails once (a chip gone with its USB hub)
		 * fails at every blink: logged with a back-off. */
		gs_complain(&out->failing, GS_LOG_ERR,
		            "GPIO: output '%s': cannot switch it %s: %s", name,
		            on ? "on" : "off", strerror(errno));
		return GS_EGPIO;
	}
	gs_complain_release(&out->failing, GS_LOG_NOTICE,
	                    "GPIO: output '%s': switching works again", name);
	out->level = on;
	return GS_OK;
}

int gs_gpio_outputs_get(const struct gs_gpio_outputs *o, unsigned output)
{
	if (!o || output >= o->n)
		return -1;
	return o->out[output].level;
}

void gs_gpio_outputs_free(struct gs_gpio_outputs *o)
{
	if (!o)
		return;
	for (unsigned i = 0; i < o->n; i++) {
		struct gs_gpio_output *out = &o->out[i];

		if (!out->req)
			continue;
		if (o->chips.api->output_set(out->req, out->offset, false) < 0)
			gs_log(GS_LOG_ERR,
			       "GPIO: output '%s': cannot switch it off before "
			       "releasing it: %s",
			       o->cfg->outputs[i].name, strerror(errno));
		o->chips.api->output_release(out->req);
	}
	gs_gpio_chips_close(&o->chips);
	free(o);
}
