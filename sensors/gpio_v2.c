/* SPDX-License-Identifier: MIT */
/*
 * The libgpiod 2.x (API v2) half of the GPIO backend: Debian trixie,
 * bookworm-backports and newer Raspberry Pi OS.
 *
 * One request per sensor: its lines share the sensor's settings and one
 * fd. Debounce is the kernel's (in hardware where the chip has it, in the
 * kernel's software otherwise), so bounces never wake us; the decode
 * stage's own debounce over the same period then has nothing left to do.
 * Per-line sequence numbers reveal edges the kernel's FIFO dropped.
 */
#include "sensors/gpio_internal.h"

#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <string.h>

/* Kernel FIFO per request is 16 events a line by default; ours matches a
 * full sensor's worth. */
#define GS_GPIO_V2_BUFFER (16 * GS_SENSOR_MAX_LINES)

static void *gs_gpio_v2_chip_open(const char *path,
                                  struct gs_gpio_chip_info *info)
{
	struct gpiod_chip *chip = gpiod_chip_open(path);
	struct gpiod_chip_info *ci;
	int e;

	if (!chip)
		return NULL;
	ci = gpiod_chip_get_info(chip);
	if (!ci) {
		e = errno;
		gpiod_chip_close(chip);
		errno = e;
		return NULL;
	}
	snprintf(info->path, sizeof(info->path), "%s", path);
	snprintf(info->name, sizeof(info->name), "%s",
	         gpiod_chip_info_get_name(ci));
	snprintf(info->label, sizeof(info->label), "%s",
	         gpiod_chip_info_get_label(ci));
	info->num_lines = (unsigned)gpiod_chip_info_get_num_lines(ci);
	gpiod_chip_info_free(ci);
	return chip;
}

static void gs_gpio_v2_chip_close(void *chip)
{
	gpiod_chip_close(chip);
}

static int gs_gpio_v2_line_find(void *chip, const char *name, unsigned *offset)
{
	int off = gpiod_chip_get_line_offset_from_name(chip, name);

	if (off < 0)
		return -1; /* errno ENOENT when the name is absent */
	*offset = (unsigned)off;
	return 0;
}

static void gs_gpio_v2_line_consumer(void *chip, unsigned offset, char *buf,
                                     size_t len)
{
	struct gpiod_line_info *li = gpiod_chip_get_line_info(chip, offset);
	const char *who;

	buf[0] = '\0';
	if (!li)
		return;
	if (gpiod_line_info_is_used(li)) {
		who = gpiod_line_info_get_consumer(li);
		snprintf(buf, len, "%s", who ? who : "");
	}
	gpiod_line_info_free(li);
}

static enum gpiod_line_bias gs_gpio_v2_bias(enum gs_bias bias)
{
	switch (bias) {
	case GS_BIAS_DISABLED:
		return GPIOD_LINE_BIAS_DISABLED;
	case GS_BIAS_PULL_UP:
		return GPIOD_LINE_BIAS_PULL_UP;
	case GS_BIAS_PULL_DOWN:
		return GPIOD_LINE_BIAS_PULL_DOWN;
	default:
		return GPIOD_LINE_BIAS_AS_IS;
	}
}

static struct gpiod_line_settings *
gs_gpio_v2_settings(const struct gs_sensor_cfg *sc)
{
	struct gpiod_line_settings *ls = gpiod_line_settings_new();

	if (!ls)
		return NULL;
	gpiod_line_settings_set_active_low(ls, sc->active_low);
	gpiod_line_settings_set_debounce_period_us(
	    ls, (unsigned long)sc->debounce_ms * 1000);
	if (gpiod_line_settings_set_direction(ls, GPIOD_LINE_DIRECTION_INPUT) ||
	    gpiod_line_settings_set_edge_detection(ls, GPIOD_LINE_EDGE_BOTH) ||
	    gpiod_line_settings_set_bias(ls, gs_gpio_v2_bias(sc->bias)) ||
	    gpiod_line_settings_set_event_clock(ls,
	                                        GPIOD_LINE_CLOCK_MONOTONIC)) {
		gpiod_line_settings_free(ls);
		errno = EINVAL;
		return NULL;
	}
	return ls;
}

/*
 * Requests the n lines at offsets of chip, all with settings ls. Returns
 * the request or NULL with errno. event_buffer: 0 for the kernel's
 * default.
 */
static struct gpiod_line_request *
gs_gpio_v2_request_lines(void *chip, const unsigned *offsets, size_t n,
                         struct gpiod_line_settings *ls, const char *consumer,
                         size_t event_buffer)
{
	struct gpiod_line_config *lc;
	struct gpiod_request_config *rc;
	struct gpiod_line_request *req = NULL;
	int e = ENOMEM;

	lc = gpiod_line_config_new();
	if (!lc)
		goto err_out;
	rc = gpiod_request_config_new();
	if (!rc)
		goto err_line_config;
	gpiod_request_config_set_consumer(rc, consumer);
	if (event_buffer)
		gpiod_request_config_set_event_buffer_size(rc, event_buffer);
	if (gpiod_line_config_add_line_settings(lc, offsets, n, ls)) {
		e = errno;
		goto err_request_config;
	}
	req = gpiod_chip_request_lines(chip, rc, lc);
	e = errno;
	/* The request keeps copies: the configs go on both paths. */
err_request_config:
	gpiod_request_config_free(rc);
err_line_config:
	gpiod_line_config_free(lc);
err_out:
	if (!req)
		errno = e;
	return req;
}

static int gs_gpio_v2_request(struct gs_gpio *g, void *chip,
                              const struct gs_sensor_cfg *sc, size_t first,
                              unsigned n, const char *consumer,
                              unsigned *failed)
{
	struct gpiod_line_settings *ls;
	struct gpiod_line_request *req;
	struct gpiod_edge_event_buffer *buf = NULL;
	unsigned offsets[GS_SENSOR_MAX_LINES];
	int fd, e = ENOMEM;

	*failed = 0;
	for (unsigned j = 0; j < n; j++)
		offsets[j] = g->lines[first + j].offset;
	ls = gs_gpio_v2_settings(sc);
	if (!ls)
		return -1;
	req = gs_gpio_v2_request_lines(chip, offsets, n, ls, consumer,
	                               GS_GPIO_V2_BUFFER);
	e = errno;
	gpiod_line_settings_free(ls);
	if (!req)
		goto err_out;
	buf = gpiod_edge_event_buffer_new(GS_GPIO_V2_BUFFER);
	if (!buf) {
		e = ENOMEM;
		goto err_request;
	}
	for (unsigned j = 0; j < n; j++) {
		enum gpiod_line_value v =
		    gpiod_line_request_get_value(req, offsets[j]);

		if (v == GPIOD_LINE_VALUE_ERROR) {
			e = errno;
			*failed = j;
			goto err_buffer;
		}
		g->lines[first + j].level = v == GPIOD_LINE_VALUE_ACTIVE;
	}
	fd = gpiod_line_request_get_fd(req);
	if (fd < 0 || gs_gpio_add_src(g, fd, req, buf, first, n) < 0) {
		e = errno;
		goto err_buffer;
	}
	return 0;

err_buffer:
	gpiod_edge_event_buffer_free(buf);
err_request:
	gpiod_line_request_release(req);
err_out:
	errno = e;
	return -1;
}

static int gs_gpio_v2_read(struct gs_gpio *g, struct gs_gpio_src *src,
                           struct gs_edge *edges, size_t max, size_t *n)
{
	size_t want = max < GS_GPIO_V2_BUFFER ? max : GS_GPIO_V2_BUFFER;
	int got =
	    gpiod_line_request_read_edge_events(src->handle, src->aux, want);

	*n = 0;
	if (got < 0)
		return -1;
	for (int i = 0; i < got; i++) {
		struct gpiod_edge_event *ev = gpiod_edge_event_buffer_get_event(
		    src->aux, (unsigned long)i);
		struct gs_gpio_line *l;

		if (!ev)
			continue;
		l = gs_gpio_src_line(g, src,
		                     gpiod_edge_event_get_line_offset(ev));
		if (!l)
			continue; /* not ours: cannot happen */
		gs_gpio_seqno_note(g, l, gpiod_edge_event_get_line_seqno(ev));
		gs_gpio_edge_add(g, l,
		                 (int64_t)gpiod_edge_event_get_timestamp_ns(ev),
		                 gpiod_edge_event_get_event_type(ev) ==
		                     GPIOD_EDGE_EVENT_RISING_EDGE,
		                 edges, n);
	}
	return 0;
}

static void gs_gpio_v2_release(struct gs_gpio_src *src)
{
	gpiod_edge_event_buffer_free(src->aux);
	gpiod_line_request_release(src->handle);
}

static void *gs_gpio_v2_output_request(void *chip, unsigned offset,
                                       bool active_low, const char *consumer)
{
	struct gpiod_line_settings *ls = gpiod_line_settings_new();
	struct gpiod_line_request *req;
	int e;

	if (!ls)
		return NULL;
	/* Requested at its inactive level: the lamp never flashes on at
	 * start-up, whatever active_low makes of it on the wire. */
	gpiod_line_settings_set_active_low(ls, active_low);
	if (gpiod_line_settings_set_direction(ls,
	                                      GPIOD_LINE_DIRECTION_OUTPUT) ||
	    gpiod_line_settings_set_output_value(ls,
	                                         GPIOD_LINE_VALUE_INACTIVE)) {
		gpiod_line_settings_free(ls);
		errno = EINVAL;
		return NULL;
	}
	req = gs_gpio_v2_request_lines(chip, &offset, 1, ls, consumer, 0);
	e = errno;
	gpiod_line_settings_free(ls);
	errno = e;
	return req;
}

static int gs_gpio_v2_output_set(void *req, unsigned offset, bool on)
{
	return gpiod_line_request_set_value(req, offset,
	                                    on ? GPIOD_LINE_VALUE_ACTIVE
	                                       : GPIOD_LINE_VALUE_INACTIVE);
}

static void gs_gpio_v2_output_release(void *req)
{
	gpiod_line_request_release(req);
}

const struct gs_gpio_api gs_gpio_api_impl = {
    .chip_open = gs_gpio_v2_chip_open,
    .chip_close = gs_gpio_v2_chip_close,
    .line_find = gs_gpio_v2_line_find,
    .line_consumer = gs_gpio_v2_line_consumer,
    .request = gs_gpio_v2_request,
    .read = gs_gpio_v2_read,
    .release = gs_gpio_v2_release,
    .output_request = gs_gpio_v2_output_request,
    .output_set = gs_gpio_v2_output_set,
    .output_release = gs_gpio_v2_output_release,
};
