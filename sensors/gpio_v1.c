/* SPDX-License-Identifier: MIT */
/*
 * The libgpiod 1.6 (API v1) half of the GPIO backend: Debian 12 and
 * Raspberry Pi OS bookworm.
 *
 * The v1 API requests events line by line, so every line has its own fd;
 * gpio_common.c gathers them in one epoll set. It has no debounce: the
 * decode stage's software debounce (debounce = ... in the sensor section)
 * ignores a change within the period of the line's last accepted one,
 * which is what the kernel would have done for us under 2.x. It has no
 * sequence numbers either, so a kernel FIFO overflow goes unnoticed here;
 * the decoders' repeated-level rule keeps the line states consistent.
 */
#include "sensors/gpio_internal.h"

#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <string.h>

/* One read() of the v1 uAPI returns at most this many events. */
#define GS_GPIO_V1_READ_MAX 16

static void *gs_gpio_v1_chip_open(const char *path,
                                  struct gs_gpio_chip_info *info)
{
	struct gpiod_chip *chip = gpiod_chip_open(path);

	if (!chip)
		return NULL;
	snprintf(info->path, sizeof(info->path), "%s", path);
	snprintf(info->name, sizeof(info->name), "%s", gpiod_chip_name(chip));
	snprintf(info->label, sizeof(info->label), "%s",
	         gpiod_chip_label(chip));
	info->num_lines = gpiod_chip_num_lines(chip);
	return chip;
}

static void gs_gpio_v1_chip_close(void *chip)
{
	gpiod_chip_close(chip);
}

static int gs_gpio_v1_line_find(void *chip, const char *name, unsigned *offset)
{
	struct gpiod_line *line;

	errno = 0;
	line = gpiod_chip_find_line(chip, name);
	if (!line) {
		/* 1.6 leaves errno alone when the name is simply absent. */
		if (errno == 0)
			errno = ENOENT;
		return -1;
	}
	*offset = gpiod_line_offset(line);
	return 0;
}

static void gs_gpio_v1_line_consumer(void *chip, unsigned offset, char *buf,
                                     size_t len)
{
	struct gpiod_line *line = gpiod_chip_get_line(chip, offset);
	const char *who;

	buf[0] = '\0';
	if (!line || gpiod_line_update(line) < 0 || !gpiod_line_is_used(line))
		return;
	who = gpiod_line_consumer(line);
	snprintf(buf, len, "%s", who ? who : "");
}

static int gs_gpio_v1_flags(const struct gs_sensor_cfg *sc)
{
	int flags = sc->active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;

	switch (sc->bias) {
	case GS_BIAS_DISABLED:
		return flags | GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE;
	case GS_BIAS_PULL_UP:
		return flags | GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP;
	case GS_BIAS_PULL_DOWN:
		return flags | GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN;
	default:
		return flags;
	}
}

static int gs_gpio_v1_request(struct gs_gpio *g, void *chip,
                              const struct gs_sensor_cfg *sc, size_t first,
                              unsigned n, const char *consumer,
                              unsigned *failed)
{
	const struct gpiod_line_request_config rc = {
	    .consumer = consumer,
	    .request_type = GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES,
	    .flags = gs_gpio_v1_flags(sc),
	};
	size_t keep = g->n_srcs;

	for (unsigned j = 0; j < n; j++) {
		struct gs_gpio_line *l = &g->lines[first + j];
		struct gpiod_line *line = gpiod_chip_get_line(chip, l->offset);
		int fd, v, e;

		*failed = j;
		if (!line || gpiod_line_request(line, &rc, 0) < 0)
			goto err_release;
		fd = gpiod_line_event_get_fd(line);
		v = gpiod_line_get_value(line);
		if (fd < 0 || v < 0 ||
		    gs_gpio_add_src(g, fd, line, NULL, first + j, 1) < 0) {
			e = errno;
			gpiod_line_release(line);
			errno = e;
			goto err_release;
		}
		l->level = v;
	}
	return 0;

err_release : {
	int e = errno;

	gs_gpio_drop_srcs(g, keep);
	errno = e;
	return -1;
}
}

static int gs_gpio_v1_read(struct gs_gpio *g, struct gs_gpio_src *src,
                           struct gs_edge *edges, size_t max, size_t *n)
{
	struct gpiod_line_event evs[GS_GPIO_V1_READ_MAX];
	struct gs_gpio_line *l = &g->lines[src->first_line];
	unsigned want =
	    max < GS_GPIO_V1_READ_MAX ? (unsigned)max : GS_GPIO_V1_READ_MAX;
	int got = gpiod_line_event_read_multiple(src->handle, evs, want);

	*n = 0;
	if (got < 0)
		return -1;
	for (int i = 0; i < got; i++)
		gs_gpio_edge_add(
		    g, l,
		    (int64_t)evs[i].ts.tv_sec * 1000000000 + evs[i].ts.tv_nsec,
		    evs[i].event_type == GPIOD_LINE_EVENT_RISING_EDGE, edges,
		    n);
	return 0;
}

static void gs_gpio_v1_release(struct gs_gpio_src *src)
{
	gpiod_line_release(src->handle);
}

static void *gs_gpio_v1_output_request(void *chip, unsigned offset,
                                       bool active_low, const char *consumer)
{
	struct gpiod_line *line = gpiod_chip_get_line(chip, offset);
	int flags = active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;

	/* default_val is the logical level: 0 is off, whatever active_low
	 * makes of it on the wire. */
	if (!line ||
	    gpiod_line_request_output_flags(line, consumer, flags, 0) < 0)
		return NULL;
	return line;
}

static int gs_gpio_v1_output_set(void *req, unsigned offset, bool on)
{
	(void)offset; /* the line object knows its own */
	return gpiod_line_set_value(req, on ? 1 : 0);
}

static void gs_gpio_v1_output_release(void *req)
{
	gpiod_line_release(req);
}

const struct gs_gpio_api gs_gpio_api_impl = {
    .chip_open = gs_gpio_v1_chip_open,
    .chip_close = gs_gpio_v1_chip_close,
    .line_find = gs_gpio_v1_line_find,
    .line_consumer = gs_gpio_v1_line_consumer,
    .request = gs_gpio_v1_request,
    .read = gs_gpio_v1_read,
    .release = gs_gpio_v1_release,
    .output_request = gs_gpio_v1_output_request,
    .output_set = gs_gpio_v1_output_set,
    .output_release = gs_gpio_v1_output_release,
};
