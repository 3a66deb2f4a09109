/* SPDX-License-Identifier: MIT */
/*
 * The libgpiod backend's common part: chip and line resolution, the
 * installer's error messages, edge conversion and merging. The libgpiod
 * calls are replaced by a fake API over pipes (one per request, like v2),
 * with fake chips listed in a temporary directory; the real kernel is the
 * VM test's business (tests/integration/test_vm_gpio.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gateway/err.h"
#include "gateway/timeutil.h"
#include "sensors/gpio.h"
#include "sensors/gpio_internal.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a fake libgpiod ------------------------------------------------- */

#define FAKE_LINES 64

struct fake_chip {
	const char *name;
	const char *label;
	unsigned num_lines;
	const char *names[FAKE_LINES];     /* line names, NULL = unnamed */
	const char *consumers[FAKE_LINES]; /* held by another program */
	int levels[FAKE_LINES];            /* logical levels at request */
	int open_errno;
	/* Output lines: requested, active_low, and the level on the wire
	 * (what a multimeter reads: active_low applied). */
	bool out[FAKE_LINES];
	bool out_active_low[FAKE_LINES];
	int wire[FAKE_LINES];
};

struct fake_event {
	unsigned offset;
	int rising;
	int64_t mono_ns;
	uint64_t seqno;
};

struct fake_req {
	int rfd, wfd;
};

static struct fake_world {
	struct fake_chip chips[2];
	int request_errno;
	int wfd[GS_MAX_SENSORS]; /* write end of each sensor's pipe */
	int released;
	int output_errno; /* output requests fail with it */
	int set_errno;    /* output_set fails with it */
	int out_released;
	int wire_at_release; /* the last released output's wire level */
} W;

static void *fake_chip_open(const char *path, struct gs_gpio_chip_info *info)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	for (size_t i = 0; i < 2; i++) {
		struct fake_chip *c = &W.chips[i];

		if (!c->name || strcmp(c->name, base) != 0)
			continue;
		if (c->open_errno) {
			errno = c->open_errno;
			return NULL;
		}
		snprintf(info->path, sizeof(info->path), "%s", path);
		snprintf(info->name, sizeof(info->name), "%s", c->name);
		snprintf(info->label, sizeof(info->label), "%s", c->label);
		info->num_lines = c->num_lines;
		return c;
	}
	errno = ENOENT;
	return NULL;
}

static void fake_chip_close(void *chip)
{
	(void)chip;
}

static int fake_line_find(void *chip, const char *name, unsigned *offset)
{
	struct fake_chip *c = chip;

	for (unsigned i = 0; i < c->num_lines; i++) {
		if (c->names[i] && strcmp(c->names[i], name) == 0) {
			*offset = i;
			return 0;
		}
	}
	errno = ENOENT;
	return -1;
}

static void fake_line_consumer(void *chip, unsigned offset, char *buf,
                               size_t len)
{
	struct fake_chip *c = chip;

	snprintf(buf, len, "%s",
	         c->consumers[offset] ? c->consumers[offset] : "");
}

static int fake_request(struct gs_gpio *g, void *chip,
                        const struct gs_sensor_cfg *sc, size_t first,
                        unsigned n, const char *consumer, unsigned *failed)
{
	struct fake_chip *c = chip;
	struct fake_req *r;
	int fds[2];

	(void)sc;
	(void)consumer;
	*failed = 0;
	if (W.request_errno) {
		errno = W.request_errno;
		return -1;
	}
	for (unsigned j = 0; j < n; j++) {
		if (c->consumers[g->lines[first + j].offset]) {
			errno = EBUSY;
			return -1;
		}
	}
	r = malloc(sizeof(*r));
	assert_non_null(r);
	assert_int_equal(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	r->rfd = fds[0];
	r->wfd = fds[1];
	W.wfd[g->lines[first].sensor] = fds[1];
	for (unsigned j = 0; j < n; j++)
		g->lines[first + j].level =
		    c->levels[g->lines[first + j].offset];
	return gs_gpio_add_src(g, r->rfd, r, NULL, first, n);
}

static int fake_read(struct gs_gpio *g, struct gs_gpio_src *src,
                     struct gs_edge *edges, size_t max, size_t *n)
{
	struct fake_event ev;

	*n = 0;
	while (*n < max && read(src->fd, &ev, sizeof(ev)) == sizeof(ev)) {
		struct gs_gpio_line *l = gs_gpio_src_line(g, src, ev.offset);

		assert_non_null(l);
		if (ev.seqno)
			gs_gpio_seqno_note(g, l, ev.seqno);
		gs_gpio_edge_add(g, l, ev.mono_ns, ev.rising, edges, n);
	}
	return 0;
}

static void fake_release(struct gs_gpio_src *src)
{
	struct fake_req *r = src->handle;

	close(r->rfd);
	close(r->wfd);
	free(r);
	W.released++;
}

struct fake_out {
	struct fake_chip *chip;
	unsigned offset;
};

static void *fake_output_request(void *chip, unsigned offset, bool active_low,
                                 const char *consumer)
{
	struct fake_chip *c = chip;
	struct fake_out *o;

	(void)consumer;
	if (W.output_errno || c->consumers[offset] || c->out[offset]) {
		errno = W.output_errno ? W.output_errno : EBUSY;
		return NULL;
	}
	o = malloc(sizeof(*o));
	assert_non_null(o);
	*o = (struct fake_out){c, offset};
	c->out[offset] = true;
	c->out_active_low[offset] = active_low;
	c->wire[offset] = active_low; /* inactive */
	return o;
}

static int fake_output_set(void *req, unsigned offset, bool on)
{
	struct fake_out *o = req;

	assert_int_equal(offset, o->offset);
	if (W.set_errno) {
		errno = W.set_errno;
		return -1;
	}
	o->chip->wire[offset] = on != o->chip->out_active_low[offset];
	return 0;
}

static void fake_output_release(void *req)
{
	struct fake_out *o = req;

	assert_true(o->chip->out[o->offset]);
	o->chip->out[o->offset] = false;
	W.wire_at_release = o->chip->wire[o->offset];
	W.out_released++;
	free(o);
}

static const struct gs_gpio_api fake_api = {
    .chip_open = fake_chip_open,
    .chip_close = fake_chip_close,
    .line_find = fake_line_find,
    .line_consumer = fake_line_consumer,
    .request = fake_request,
    .read = fake_read,
    .release = fake_release,
    .output_request = fake_output_request,
    .output_set = fake_output_set,
    .output_release = fake_output_release,
};

static void fake_send(unsigned sensor, unsigned offset, int rising,
                      int64_t mono_ns, uint64_t seqno)
{
	struct fake_event ev = {offset, rising, mono_ns, seqno};

	assert_int_equal(write(W.wfd[sensor], &ev, sizeof(ev)), sizeof(ev));
}

/* ---- fixture: two fake chips in a temporary /dev -------------------- */

struct fixture {
	char *dir;
	struct gs_config cfg;
	struct gs_diag diag;
	struct gs_backend *be;
	struct gs_gpio_outputs *outs;
};

static void add_sensor(struct gs_config *cfg, const char *name,
                       enum gs_sensor_type type, const char *chip,
                       int config_line, unsigned n, ...)
{
	struct gs_sensor_cfg *sc = &cfg->sensors[cfg->n_sensors++];
	va_list ap;

	memset(sc, 0, sizeof(*sc));
	snprintf(sc->name, sizeof(sc->name), "%s", name);
	snprintf(sc->chip, sizeof(sc->chip), "%s", chip);
	sc->type = type;
	sc->config_line = config_line;
	sc->n_lines = n;
	va_start(ap, n);
	for (unsigned i = 0; i < n; i++)
		snprintf(sc->lines[i], sizeof(sc->lines[i]), "%s",
		         va_arg(ap, const char *));
	va_end(ap);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = gs_test_mkdtemp();
	free(gs_test_write_file(f->dir, "gpiochip1", ""));
	free(gs_test_write_file(f->dir, "gpiochip0", ""));
	free(gs_test_write_file(f->dir, "gpiomem", ""));
	memset(&W, 0, sizeof(W));
	W.chips[0] = (struct fake_chip){
	    .name = "gpiochip0", .label = "pinctrl-rp1", .num_lines = 54};
	W.chips[0].names[17] = "GPIO17";
	W.chips[0].names[27] = "GPIO27";
	W.chips[1] = (struct fake_chip){
	    .name = "gpiochip1", .label = "gpio-sim", .num_lines = 8};
	gs_config_defaults(&f->cfg);
	snprintf(f->cfg.path, sizeof(f->cfg.path), "shop.conf");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	gs_backend_free(f->be);
	gs_gpio_outputs_free(f->outs);
	gs_test_rmdir(f->dir);
	free(f);
	return 0;
}

static int fx_open(struct fixture *f)
{
	return gs_gpio_backend_open(&fake_api, f->dir, &f->cfg,
	                            "gapsense-wiring", &f->diag, &f->be);
}

/* An [output] at config_line whose "line" key is on the next line. */
static void add_output(struct gs_config *cfg, const char *name,
                       const char *chip, const char *line, bool active_low,
                       int config_line)
{
	struct gs_output_cfg *oc = &cfg->outputs[cfg->n_outputs++];

	memset(oc, 0, sizeof(*oc));
	snprintf(oc->name, sizeof(oc->name), "%s", name);
	snprintf(oc->chip, sizeof(oc->chip), "%s", chip);
	snprintf(oc->line, sizeof(oc->line), "%s", line);
	oc->active_low = active_low;
	oc->config_line = config_line;
	oc->line_line = config_line + 2;
	oc->ack_sensor = -1;
	oc->ack_button = -1;
}

static int fx_outputs(struct fixture *f)
{
	return gs_gpio_outputs_open(&fake_api, f->dir, &f->cfg,
	                            GS_GPIO_CONSUMER_DAEMON, &f->diag,
	                            &f->outs);
}

static bool readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1;
}

/* ---- pure helpers ------------------------------------------------------ */

static void test_chip_spec(void **state)
{
	struct gs_gpio_chip_info info = {.path = "/dev/gpiochip4",
	                                 .name = "gpiochip4",
	                                 .label = "pinctrl-rp1"};

	(void)state;
	assert_int_equal(gs_gpio_chip_spec_kind("/dev/gpiochip0"),
	                 GS_GPIO_CHIP_BY_PATH);
	assert_int_equal(gs_gpio_chip_spec_kind("gpiochip12"),
	                 GS_GPIO_CHIP_BY_NAME);
	assert_int_equal(gs_gpio_chip_spec_kind("gpiochip"),
	                 GS_GPIO_CHIP_BY_LABEL);
	assert_int_equal(gs_gpio_chip_spec_kind("gpiochip1a"),
	                 GS_GPIO_CHIP_BY_LABEL);
	assert_int_equal(gs_gpio_chip_spec_kind("pinctrl-rp1"),
	                 GS_GPIO_CHIP_BY_LABEL);
	assert_true(gs_gpio_chip_matches("pinctrl-rp1", &info));
	assert_true(gs_gpio_chip_matches("gpiochip4", &info));
	assert_true(gs_gpio_chip_matches("/dev/gpiochip4", &info));
	assert_false(gs_gpio_chip_matches("gpiochip0", &info));
	assert_false(gs_gpio_chip_matches("pinctrl-bcm2711", &info));
	assert_false(gs_gpio_chip_matches("/dev/gpiochip0", &info));
}

static void test_chip_paths_sorted(void **state)
{
	char paths[8][GS_GPIO_CHIP_PATH_MAX];
	char *dir = gs_test_mkdtemp();
	char want[GS_GPIO_CHIP_PATH_MAX];

	(void)state;
	free(gs_test_write_file(dir, "gpiochip10", ""));
	free(gs_test_write_file(dir, "gpiochip2", ""));
	free(gs_test_write_file(dir, "gpiochip0", ""));
	free(gs_test_write_file(dir, "gpiochipx", ""));
	free(gs_test_write_file(dir, "gpiomem", ""));
	assert_int_equal(gs_gpio_chip_paths(dir, paths, 8), 3);
	snprintf(want, sizeof(want), "%s/gpiochip0", dir);
	assert_string_equal(paths[0], want);
	snprintf(want, sizeof(want), "%s/gpiochip2", dir);
	assert_string_equal(paths[1], want);
	snprintf(want, sizeof(want), "%s/gpiochip10", dir);
	assert_string_equal(paths[2], want);
	assert_int_equal(gs_gpio_chip_paths(dir, paths, 2), 2);
	gs_test_rmdir(dir);
	errno = 0;
	assert_int_equal(gs_gpio_chip_paths("/nonexistent-gs", paths, 8), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_line_offset(void **state)
{
	unsigned off = 99;

	(void)state;
	assert_true(gs_gpio_line_offset("17", &off));
	assert_int_equal(off, 17);
	assert_true(gs_gpio_line_offset("0", &off));
	assert_int_equal(off, 0);
	assert_false(gs_gpio_line_offset("GPIO17", &off));
	assert_false(gs_gpio_line_offset("17a", &off));
	assert_false(gs_gpio_line_offset("", &off));
	assert_false(gs_gpio_line_offset("-1", &off));
	assert_false(gs_gpio_line_offset("99999999999", &off));
}

static void test_errno_mapping(void **state)
{
	static const struct {
		int errnum, err;
	} table[] = {
	    {EBUSY, GS_EBUSY},   {EACCES, GS_EPERM},  {EPERM, GS_EPERM},
	    {ENOENT, GS_ENOENT}, {ENODEV, GS_ENOENT}, {ENOTTY, GS_ENOENT},
	    {ENOMEM, GS_ENOMEM}, {EIO, GS_EGPIO},     {EINVAL, GS_EGPIO},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		assert_int_equal(gs_gpio_err_from_errno(table[i].errnum),
		                 table[i].err);
}

static void test_clock_conversion(void **state)
{
	struct gs_gpio_clock c = {.offset_ns =
	                              INT64_C(1795424400000) * 1000000};
	struct gs_gpio_clock now;
	int64_t wall;

	(void)state;
	assert_int_equal(gs_gpio_clock_ms(&c, 1999999), 1795424400001);
	assert_int_equal(gs_gpio_clock_ms(&c, 2000000), 1795424400002);
	c.offset_ns = -2500000;
	assert_int_equal(gs_gpio_clock_ms(&c, 0), -3); /* floored */
	/* Measured: a monotonic stamp of now converts to about now. */
	gs_gpio_clock_measure(&now);
	wall = gs_clock_realtime_ms();
	assert_true(
	    llabs(gs_gpio_clock_ms(&now, gs_clock_monotonic_ns()) - wall) < 50);
}

static void test_sort_stable(void **state)
{
	struct gs_edge e[5] = {
	    {.mono_ns = 30, .sensor = 0}, {.mono_ns = 10, .sensor = 1},
	    {.mono_ns = 30, .sensor = 2}, {.mono_ns = 20, .sensor = 3},
	    {.mono_ns = 10, .sensor = 4},
	};
	static const uint16_t want[5] = {1, 4, 3, 0, 2};

	(void)state;
	gs_gpio_edges_sort(e, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(e[i].sensor, want[i]);
	gs_gpio_edges_sort(e, 0);
}

/* ---- messages ---------------------------------------------------------- */

static void test_messages(void **state)
{
	struct fixture *f = *state;
	struct gs_gpio_chip_info chips[2] = {
	    {.name = "gpiochip0", .label = "pinctrl-rp1", .num_lines = 54},
	    {.name = "gpiochip1", .label = "", .num_lines = 0},
	};
	struct gs_diag *d = &f->diag;
	struct gs_gpio_user entrance, smiley;

	add_sensor(&f->cfg, "entrance", GS_SENSOR_BEAM_PAIR, "pinctrl-bcm2711",
	           41, 2, "GPIO17", "60");
	add_sensor(&f->cfg, "smiley", GS_SENSOR_SMILEY, "gpiochip0", 50, 3,
	           "GPIO5", "GPIO6", "GPIO13");
	entrance = gs_gpio_user_sensor(&f->cfg, 0);
	smiley = gs_gpio_user_sensor(&f->cfg, 1);
	gs_gpio_diag_chip_missing(d, &entrance, chips, 2);
	assert_string_equal(
	    d->msg[0], "shop.conf:41: sensor 'entrance': chip "
	               "'pinctrl-bcm2711' not found; chips here: gpiochip0 "
	               "[pinctrl-rp1, 54 lines], gpiochip1 [?, 0 lines]");
	gs_gpio_diag_chip_missing(d, &entrance, chips, 0);
	assert_string_equal(d->msg[1],
	                    "shop.conf:41: sensor 'entrance': chip "
	                    "'pinctrl-bcm2711' not found: this system has no "
	                    "GPIO chips (/dev/gpiochip*)");
	gs_gpio_diag_chip_denied(d, &smiley, "/dev/gpiochip0", "pi", "root");
	assert_string_equal(d->msg[2],
	                    "shop.conf:50: sensor 'smiley': permission denied "
	                    "opening /dev/gpiochip0: add user 'pi' to group "
	                    "'gpio' (sudo usermod -aG gpio pi, then log in "
	                    "again)");
	gs_gpio_diag_chip_denied(d, &smiley, "/dev/gpiochip0", "pi", "plugdev");
	assert_non_null(strstr(d->msg[3], "to group 'plugdev'"));
	gs_gpio_diag_line_missing(d, &entrance, "GPIO17", &chips[0]);
	assert_string_equal(
	    d->msg[4], "shop.conf:41: sensor 'entrance': line 'GPIO17' not "
	               "found on gpiochip0 [pinctrl-rp1] (names are "
	               "case-sensitive; `gpioinfo gpiochip0` lists them)");
	gs_gpio_diag_line_missing(d, &entrance, "60", &chips[0]);
	assert_string_equal(
	    d->msg[5], "shop.conf:41: sensor 'entrance': line 60 does not "
	               "exist: gpiochip0 [pinctrl-rp1] has 54 lines (0-53)");
	gs_gpio_diag_request_failed(d, &smiley, "GPIO13", &chips[0], 13, EBUSY,
	                            "gapsense", NULL);
	assert_string_equal(
	    d->msg[6], "shop.conf:50: sensor 'smiley': line GPIO13 "
	               "(gpiochip0 offset 13) is busy: the gapsense service "
	               "is running and holds the lines: stop it with "
	               "`systemctl stop gapsense` first");
	gs_gpio_diag_request_failed(d, &smiley, "GPIO5", &chips[0], 5, EBUSY,
	                            "pigpiod", NULL);
	assert_string_equal(
	    d->msg[7], "shop.conf:50: sensor 'smiley': line GPIO5 "
	               "(gpiochip0 offset 5) is busy: requested by another "
	               "program (consumer 'pigpiod'); `gpioinfo gpiochip0` "
	               "shows who holds which line");
	gs_gpio_diag_request_failed(d, &smiley, "GPIO5", &chips[0], 5, EBUSY,
	                            "", NULL);
	assert_non_null(strstr(d->msg[8], "a kernel driver"));
	gs_gpio_diag_request_failed(d, &smiley, "GPIO5", &chips[0], 17, EBUSY,
	                            "gapsense", &entrance);
	assert_string_equal(d->msg[9],
	                    "shop.conf:50: sensor 'smiley': line GPIO5 "
	                    "(gpiochip0 offset 17) is also used by sensor "
	                    "'entrance' (shop.conf:41): a line can serve one "
	                    "sensor or output only");
	gs_gpio_diag_request_failed(d, &smiley, "GPIO5", &chips[0], 5, EINVAL,
	                            "", NULL);
	assert_non_null(strstr(d->msg[10], "the kernel refused the line "
	                                   "settings"));
	gs_gpio_diag_request_failed(d, &entrance, "GPIO17", &chips[0], 17,
	                            EBUSY, GS_GPIO_CONSUMER_WIRING, NULL);
	assert_string_equal(d->msg[11],
	                    "shop.conf:41: sensor 'entrance': line GPIO17 "
	                    "(gpiochip0 offset 17) is busy: `gapsense wiring` "
	                    "is running and holds the lines: stop it (Ctrl-C) "
	                    "first");
	assert_int_equal(d->count, 12);
}

/* ---- the backend over the fake API --------------------------------------- */

static void test_open_and_read(void **state)
{
	struct fixture *f = *state;
	struct gs_edge e[8];
	int64_t horizon = 0;
	bool eof = true;
	size_t n = 99;
	int fd;

	add_sensor(&f->cfg, "entrance", GS_SENSOR_BEAM_PAIR, "pinctrl-rp1", 10,
	           2, "GPIO17", "GPIO27");
	add_sensor(&f->cfg, "smiley", GS_SENSOR_SMILEY, "gpiochip1", 20, 3, "0",
	           "1", "2");
	W.chips[1].levels[2] = 1; /* button 3 held at start */
	assert_int_equal(fx_open(f), GS_OK);
	assert_int_equal(f->diag.count, 0);
	assert_int_equal(f->be->ops->fds(f->be, &fd, 1), 1);
	assert_int_equal(f->be->ops->line_state(f->be, 0, 1), 0);
	assert_int_equal(f->be->ops->line_state(f->be, 1, 2), 1);
	assert_int_equal(f->be->ops->line_state(f->be, 1, 3), -1);

	/* The line active at start arrives as an edge by the first read. */
	assert_true(readable(fd));
	assert_int_equal(f->be->ops->read(f->be, fd, e, 8, &n, &horizon, &eof),
	                 GS_OK);
	assert_false(eof);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].sensor, 1);
	assert_int_equal(e[0].input, 2);
	assert_int_equal(e[0].active, 1);
	assert_true(llabs(e[0].t_ms - gs_clock_realtime_ms()) < 1000);
	assert_false(readable(fd));

	/* Two requests' edges merge in time order. */
	fake_send(0, 17, 1, INT64_C(5000000000), 0);
	fake_send(0, 27, 1, INT64_C(5300000000), 0);
	fake_send(1, 0, 1, INT64_C(5100000000), 0);
	fake_send(1, 0, 0, INT64_C(5200000000), 0);
	assert_true(readable(fd));
	assert_int_equal(f->be->ops->read(f->be, fd, e, 8, &n, &horizon, &eof),
	                 GS_OK);
	assert_int_equal(n, 4);
	assert_int_equal(e[0].sensor, 0);
	assert_int_equal(e[0].input, 0);
	assert_int_equal(e[1].sensor, 1);
	assert_int_equal(e[1].active, 1);
	assert_int_equal(e[2].sensor, 1);
	assert_int_equal(e[2].active, 0);
	assert_int_equal(e[3].sensor, 0);
	assert_int_equal(e[3].input, 1);
	assert_int_equal(e[3].mono_ns, INT64_C(5300000000));
	assert_int_equal(e[3].t_ms - e[0].t_ms, 300);
	assert_int_equal(horizon, e[3].t_ms);
	assert_int_equal(f->be->ops->line_state(f->be, 0, 1), 1);
	assert_int_equal(f->be->ops->line_state(f->be, 1, 0), 0);

	/* max is honoured; the rest stays readable. */
	for (int i = 0; i < 5; i++)
		fake_send(0, 17, i % 2 == 0 ? 0 : 1,
		          INT64_C(6000000000) + i * 1000000, 0);
	assert_int_equal(f->be->ops->read(f->be, fd, e, 3, &n, &horizon, &eof),
	                 GS_OK);
	assert_int_equal(n, 3);
	assert_true(readable(fd));
	assert_int_equal(f->be->ops->read(f->be, fd, e, 8, &n, &horizon, &eof),
	                 GS_OK);
	assert_int_equal(n, 2);

	gs_backend_free(f->be);
	f->be = NULL;
	assert_int_equal(W.released, 2);
}

static void test_seqno_gap_counts_lost_edges(void **state)
{
	struct fixture *f = *state;
	struct gs_edge e[8];
	int64_t horizon;
	bool eof;
	size_t n;
	int fd;

	add_sensor(&f->cfg, "entrance", GS_SENSOR_BEAM_PAIR, "gpiochip0", 10, 2,
	           "GPIO17", "GPIO27");
	assert_int_equal(fx_open(f), GS_OK);
	f->be->ops->fds(f->be, &fd, 1);
	fake_send(0, 17, 1, 1000, 1);
	fake_send(0, 17, 0, 2000, 2);
	fake_send(0, 27, 1, 3000, 1);
	fake_send(0, 17, 1, 4000, 6); /* 3, 4, 5 lost */
	assert_int_equal(f->be->ops->read(f->be, fd, e, 8, &n, &horizon, &eof),
	                 GS_OK);
	assert_int_equal(n, 4);
	assert_int_equal(((struct gs_gpio *)f->be->priv)->lost, 3);
}

static void test_busy_line_names_the_holder(void **state)
{
	struct fixture *f = *state;

	add_sensor(&f->cfg, "entrance", GS_SENSOR_BEAM_PAIR, "gpiochip0", 10, 2,
	           "GPIO17", "GPIO27");
	add_sensor(&f->cfg, "smiley", GS_SENSOR_SMILEY, "gpio-sim", 20, 3, "0",
	           "1", "2");
	W.chips[0].consumers[27] = "gapsense";
	W.chips[1].consumers[1] = "gpioset";
	assert_int_equal(fx_open(f), GS_EBUSY);
	assert_null(f->be);
	assert_int_equal(f->diag.count, 2);
	assert_string_equal(f->diag.msg[0],
	                    "shop.conf:10: sensor 'entrance': line GPIO27 "
	                    "(gpiochip0 offset 27) is busy: the gapsense "
	                    "service is running and holds the lines: stop it "
	                    "with `systemctl stop gapsense` first");
	assert_non_null(strstr(f->diag.msg[1], "sensor 'smiley': line 1 "
	                                       "(gpiochip1 offset 1) is busy: "
	                                       "requested by another program "
	                                       "(consumer 'gpioset')"));
}

static void test_same_line_twice(void **state)
{
	struct fixture *f = *state;

	/* The same chip by label and by path, the same line by name and by
	 * offset: still the same line. */
	add_sensor(&f->cfg, "entrance", GS_SENSOR_BEAM_PAIR, "pinctrl-rp1", 10,
	           2, "GPIO17", "GPIO27");
	add_sensor(&f->cfg, "counter", GS_SENSOR_PULSE, "gpiochip0", 20, 1,
	           "17");
	assert_int_equal(fx_open(f), GS_EBUSY);
	assert_int_equal(f->diag.count, 1);
	assert_non_null(strstr(f->diag.msg[0],
	                       "shop.conf:20: sensor 'counter': line 17 "
	                       "(gpiochip0 offset 17) is also used by sensor "
	                       "'entrance' (shop.conf:10)"));
	assert_int_equal(W.released, 1); /* entrance's request, on close */
}

static void test_every_problem_reported(void **state)
{
	struct fixture *f = *state;
	char want[512];

	add_sensor(&f->cfg, "entrance", GS_SENSOR_BEAM_PAIR, "pinctrl-bcm2711",
	           10, 2, "GPIO17", "GPIO27");
	add_sensor(&f->cfg, "queue", GS_SENSOR_QUEUE, "gpiochip0", 20, 2,
	           "GPIO22", "54");
	add_sensor(&f->cfg, "smiley", GS_SENSOR_SMILEY, "/dev/gpiochip7", 30, 3,
	           "0", "1", "2");
	assert_int_equal(fx_open(f), GS_ENOENT);
	assert_null(f->be);
	assert_int_equal(f->diag.count, 4);
	assert_string_equal(
	    f->diag.msg[0],
	    "shop.conf:10: sensor 'entrance': chip "
	    "'pinctrl-bcm2711' not found; chips here: gpiochip0 "
	    "[pinctrl-rp1, 54 lines], gpiochip1 [gpio-sim, 8 "
	    "lines]");
	assert_non_null(strstr(f->diag.msg[1], "sensor 'queue': line 'GPIO22' "
	                                       "not found on gpiochip0"));
	assert_non_null(strstr(f->diag.msg[2], "sensor 'queue': line 54 does "
	                                       "not exist"));
	snprintf(want, sizeof(want),
	         "shop.conf:30: sensor 'smiley': chip '/dev/gpiochip7' not "
	         "found; chips here:");
	assert_memory_equal(f->diag.msg[3], want, strlen(want));
}

static void test_permission_denied(void **state)
{
	struct fixture *f = *state;

	add_sensor(&f->cfg, "entrance", GS_SENSOR_BEAM_PAIR, "pinctrl-rp1", 10,
	           2, "GPIO17", "GPIO27");
	W.chips[0].open_errno = EACCES;
	W.chips[1].open_errno = EACCES;
	assert_int_equal(fx_open(f), GS_EPERM);
	assert_int_equal(f->diag.count, 1);
	assert_non_null(strstr(f->diag.msg[0], "shop.conf:10: sensor "
	                                       "'entrance': permission denied "
	                                       "opening "));
	assert_non_null(strstr(f->diag.msg[0], "to group '"));
}

static void test_request_refused(void **state)
{
	struct fixture *f = *state;

	add_sensor(&f->cfg, "entrance", GS_SENSOR_BEAM_PAIR, "gpiochip0", 10, 2,
	           "GPIO17", "GPIO27");
	W.request_errno = EINVAL;
	assert_int_equal(fx_open(f), GS_EGPIO);
	assert_non_null(strstr(f->diag.msg[0], "sensor 'entrance': line GPIO17 "
	                                       "(gpiochip0 offset 17): the "
	                                       "kernel refused the line "
	                                       "settings"));
}

/* ---- outputs ------------------------------------------------------------- */

static void test_outputs_start_off_and_switch(void **state)
{
	struct fixture *f = *state;
	struct fake_chip *rp1 = &W.chips[0], *sim = &W.chips[1];

	add_output(&f->cfg, "lamp", "pinctrl-rp1", "GPIO17", false, 60);
	add_output(&f->cfg, "buzzer", "gpiochip1", "3", true, 70);
	assert_int_equal(fx_outputs(f), GS_OK);
	assert_int_equal(f->diag.count, 0);
	assert_true(rp1->out[17]);
	assert_true(sim->out[3]);
	assert_true(sim->out_active_low[3]);
	/* Off from the request on: low, and high for the active-low one. */
	assert_int_equal(rp1->wire[17], 0);
	assert_int_equal(sim->wire[3], 1);
	assert_int_equal(gs_gpio_outputs_get(f->outs, 0), 0);
	assert_int_equal(gs_gpio_outputs_get(f->outs, 1), 0);

	assert_int_equal(gs_gpio_outputs_set(f->outs, 0, true), GS_OK);
	assert_int_equal(rp1->wire[17], 1);
	assert_int_equal(gs_gpio_outputs_get(f->outs, 0), 1);
	assert_int_equal(gs_gpio_outputs_set(f->outs, 1, true), GS_OK);
	assert_int_equal(sim->wire[3], 0);
	assert_int_equal(gs_gpio_outputs_get(f->outs, 1), 1);
	assert_int_equal(gs_gpio_outputs_set(f->outs, 1, false), GS_OK);
	assert_int_equal(sim->wire[3], 1);
	assert_int_equal(gs_gpio_outputs_get(f->outs, 1), 0);
	assert_int_equal(gs_gpio_outputs_set(f->outs, 1, true), GS_OK);

	/* No such output. */
	assert_int_equal(gs_gpio_outputs_set(f->outs, 2, true), GS_EINVAL);
	assert_int_equal(gs_gpio_outputs_get(f->outs, 2), -1);
	assert_int_equal(gs_gpio_outputs_set(NULL, 0, true), GS_EINVAL);
	assert_int_equal(gs_gpio_outputs_get(NULL, 0), -1);

	/* Free drives both off before releasing them. */
	gs_gpio_outputs_free(f->outs);
	f->outs = NULL;
	assert_int_equal(W.out_released, 2);
	assert_false(rp1->out[17]);
	assert_false(sim->out[3]);
	assert_int_equal(rp1->wire[17], 0);
	assert_int_equal(sim->wire[3], 1);
	assert_int_equal(W.wire_at_release, 1); /* the buzzer: off, high */
}

static void test_outputs_set_failure(void **state)
{
	struct fixture *f = *state;

	add_output(&f->cfg, "lamp", "gpiochip0", "GPIO27", false, 60);
	assert_int_equal(fx_outputs(f), GS_OK);
	assert_int_equal(gs_gpio_outputs_set(f->outs, 0, true), GS_OK);
	W.set_errno = EIO;
	assert_int_equal(gs_gpio_outputs_set(f->outs, 0, false), GS_EGPIO);
	assert_int_equal(gs_gpio_outputs_set(f->outs, 0, false), GS_EGPIO);
	/* The level last driven, not the one asked for. */
	assert_int_equal(gs_gpio_outputs_get(f->outs, 0), 1);
	assert_int_equal(W.chips[0].wire[27], 1);
	W.set_errno = 0;
	assert_int_equal(gs_gpio_outputs_set(f->outs, 0, false), GS_OK);
	assert_int_equal(gs_gpio_outputs_get(f->outs, 0), 0);
	assert_int_equal(W.chips[0].wire[27], 0);
}

static void test_outputs_none(void **state)
{
	struct fixture *f = *state;

	add_sensor(&f->cfg, "entrance", GS_SENSOR_BEAM_PAIR, "gpiochip9", 10, 2,
	           "GPIO17", "GPIO27");
	assert_int_equal(fx_outputs(f), GS_OK);
	assert_non_null(f->outs);
	assert_int_equal(f->diag.count, 0);
	assert_int_equal(gs_gpio_outputs_set(f->outs, 0, true), GS_EINVAL);
	assert_int_equal(gs_gpio_outputs_get(f->outs, 0), -1);
}

static void test_outputs_busy(void **state)
{
	struct fixture *f = *state;

	add_output(&f->cfg, "lamp", "pinctrl-rp1", "GPIO17", false, 60);
	add_output(&f->cfg, "relay", "gpiochip1", "5", false, 70);
	W.chips[0].consumers[17] = "gpioset";
	W.chips[1].consumers[5] = "gapsense-wiring";
	assert_int_equal(fx_outputs(f), GS_EBUSY);
	assert_null(f->outs);
	assert_int_equal(f->diag.count, 2);
	assert_string_equal(f->diag.msg[0],
	                    "shop.conf:62: output 'lamp': line GPIO17 "
	                    "(gpiochip0 offset 17) is busy: requested by "
	                    "another program (consumer 'gpioset'); `gpioinfo "
	                    "gpiochip0` shows who holds which line");
	assert_string_equal(f->diag.msg[1],
	                    "shop.conf:72: output 'relay': line 5 (gpiochip1 "
	                    "offset 5) is busy: `gapsense wiring` is running "
	                    "and holds the lines: stop it (Ctrl-C) first");
	assert_int_equal(W.out_released, 0);
}

static void test_outputs_missing(void **state)
{
	struct fixture *f = *state;

	add_output(&f->cfg, "lamp", "pinctrl-rp1", "GPIO99", false, 60);
	add_output(&f->cfg, "buzzer", "gpio-sim", "8", false, 70);
	add_output(&f->cfg, "relay", "pinctrl-bcm2711", "GPIO5", false, 80);
	add_output(&f->cfg, "light", "gpiochip0", "GPIO27", false, 90);
	assert_int_equal(fx_outputs(f), GS_ENOENT);
	assert_null(f->outs);
	assert_int_equal(f->diag.count, 3);
	assert_string_equal(f->diag.msg[0],
	                    "shop.conf:62: output 'lamp': line 'GPIO99' not "
	                    "found on gpiochip0 [pinctrl-rp1] (names are "
	                    "case-sensitive; `gpioinfo gpiochip0` lists them)");
	assert_string_equal(f->diag.msg[1],
	                    "shop.conf:72: output 'buzzer': line 8 does not "
	                    "exist: gpiochip1 [gpio-sim] has 8 lines (0-7)");
	/* The chip is a matter of the section. */
	assert_string_equal(f->diag.msg[2],
	                    "shop.conf:80: output 'relay': chip "
	                    "'pinctrl-bcm2711' not found; chips here: "
	                    "gpiochip0 [pinctrl-rp1, 54 lines], gpiochip1 "
	                    "[gpio-sim, 8 lines]");
	/* The one that was requested is released again. */
	assert_int_equal(W.out_released, 1);
	assert_false(W.chips[0].out[27]);
}

static void test_outputs_line_of_a_sensor(void **state)
{
	struct fixture *f = *state;

	/* By name and by offset, the chip by label and by name: the same
	 * line, refused with the sensor named, not as a busy line. */
	add_sensor(&f->cfg, "entrance", GS_SENSOR_BEAM_PAIR, "pinctrl-rp1", 10,
	           2, "GPIO17", "GPIO27");
	add_sensor(&f->cfg, "ack", GS_SENSOR_BUTTON, "gpio-sim", 20, 1, "4");
	add_output(&f->cfg, "lamp", "gpiochip0", "17", false, 60);
	add_output(&f->cfg, "buzzer", "gpiochip1", "2", false, 70);
	add_output(&f->cfg, "relay", "/dev/gpiochip1", "2", false, 80);
	assert_int_equal(fx_outputs(f), GS_EBUSY);
	assert_int_equal(f->diag.count, 2);
	assert_string_equal(f->diag.msg[0],
	                    "shop.conf:62: output 'lamp': line 17 (gpiochip0 "
	                    "offset 17) is also used by sensor 'entrance' "
	                    "(shop.conf:10): a line can serve one sensor or "
	                    "output only");
	assert_string_equal(f->diag.msg[1],
	                    "shop.conf:82: output 'relay': line 2 (gpiochip1 "
	                    "offset 2) is also used by output 'buzzer' "
	                    "(shop.conf:72): a line can serve one sensor or "
	                    "output only");
	assert_int_equal(W.out_released, 1); /* the buzzer */
}

static void test_outputs_request_refused(void **state)
{
	struct fixture *f = *state;

	add_output(&f->cfg, "lamp", "gpiochip0", "GPIO17", true, 60);
	W.output_errno = EINVAL;
	assert_int_equal(fx_outputs(f), GS_EGPIO);
	assert_string_equal(f->diag.msg[0],
	                    "shop.conf:62: output 'lamp': line GPIO17 "
	                    "(gpiochip0 offset 17): the kernel refused the "
	                    "line settings (output or active_low not "
	                    "supported by this chip?): Invalid argument");
	W.output_errno = EACCES;
	assert_int_equal(fx_outputs(f), GS_EPERM);
	assert_non_null(strstr(f->diag.msg[1], "output 'lamp': line GPIO17 "
	                                       "(gpiochip0 offset 17): "
	                                       "permission denied"));
}

static void test_api_version(void **state)
{
	(void)state;
	assert_true(strncmp(gs_gpio_api_version(), "1.", 2) == 0 ||
	            strncmp(gs_gpio_api_version(), "2.", 2) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chip_spec),
	    cmocka_unit_test(test_chip_paths_sorted),
	    cmocka_unit_test(test_line_offset),
	    cmocka_unit_test(test_errno_mapping),
	    cmocka_unit_test(test_clock_conversion),
	    cmocka_unit_test(test_sort_stable),
	    cmocka_unit_test(test_api_version),
	    cmocka_unit_test_setup_teardown(test_messages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_and_read, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_seqno_gap_counts_lost_edges,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_busy_line_names_the_holder,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_same_line_twice, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_every_problem_reported, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_permission_denied, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_request_refused, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_outputs_start_off_and_switch,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outputs_set_failure, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_outputs_none, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outputs_busy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outputs_missing, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_outputs_line_of_a_sensor,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outputs_request_refused, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests_name("gpio", tests, NULL, NULL);
}
