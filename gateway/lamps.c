/* SPDX-License-Identifier: MIT */
#include "gateway/lamps.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/timeutil.h"

#include <stdlib.h>
#include <unistd.h>

struct gs_lamps {
	const struct gs_config *cfg;
	struct gs_loop *loop;
	struct gs_gpio_outputs *lines; /* NULL: no hardware */
	int blink_fd;
	enum gs_output_state st[GS_MAX_OUTPUTS];
	bool level[GS_MAX_OUTPUTS];     /* what the line shows now */
	int64_t toggle[GS_MAX_OUTPUTS]; /* blinking: next toggle, mono ms */
};

static int64_t lamps_now_ms(void)
{
	return gs_clock_monotonic_ns() / 1000000;
}

static void lamps_drive(struct gs_lamps *l, unsigned i, bool on)
{
	l->level[i] = on;
	if (l->lines)
		(void)gs_gpio_outputs_set(l->lines, i, on); /* logs */
}

/* Arms the timer for the next toggle of any blinking output. */
static void lamps_arm(struct gs_lamps *l)
{
	int64_t next = INT64_MAX, now = lamps_now_ms();

	for (unsigned i = 0; i < l->cfg->n_outputs; i++)
		if (l->st[i] == GS_OUTPUT_BLINK && l->toggle[i] < next)
			next = l->toggle[i];
	if (next == INT64_MAX)
		(void)gs_timerfd_disarm(l->blink_fd);
	else
		(void)gs_timerfd_arm_ms(l->blink_fd,
		                        next > now ? next - now : 1);
}

static void lamps_on_timer(void *ctx, int fd, uint32_t events)
{
	struct gs_lamps *l = ctx;
	int64_t now = lamps_now_ms();

	(void)events;
	gs_timerfd_drain(fd);
	for (unsigned i = 0; i < l->cfg->n_outputs; i++) {
		int64_t half = l->cfg->outputs[i].blink_ms / 2;

		if (l->st[i] != GS_OUTPUT_BLINK || l->toggle[i] > now)
			continue;
		lamps_drive(l, i, !l->level[i]);
		/* A late wake-up (a slow commit) does not make it race to
		 * catch up: the rhythm restarts from now. */
		l->toggle[i] += half;
		if (l->toggle[i] <= now)
			l->toggle[i] = now + half;
	}
	lamps_arm(l);
}

struct gs_lamps *gs_lamps_new(const struct gs_config *cfg, struct gs_loop *loop,
                              struct gs_gpio_outputs *lines)
{
	struct gs_lamps *l = calloc(1, sizeof(*l));

	if (!l)
		goto err_lines;
	l->cfg = cfg;
	l->loop = loop;
	l->lines = lines;
	l->blink_fd = -1;
	if (cfg->n_outputs == 0)
		return l; /* nothing to blink: no timer */
	l->blink_fd = gs_timerfd_new();
	if (l->blink_fd < 0)
		goto err_free;
	if (gs_loop_add(loop, l->blink_fd, lamps_on_timer, l) != GS_OK)
		goto err_close;
	return l;

err_close:
	close(l->blink_fd);
err_free:
	free(l);
err_lines:
	gs_gpio_outputs_free(lines);
	gs_log(GS_LOG_ERR, "outputs: cannot set up their timer");
	return NULL;
}

void gs_lamps_free(struct gs_lamps *l)
{
	if (!l)
		return;
	if (l->blink_fd >= 0) {
		gs_loop_del(l->loop, l->blink_fd);
		close(l->blink_fd);
	}
	gs_gpio_outputs_free(l->lines); /* drives every output off */
	free(l);
}

void gs_lamps_set(struct gs_lamps *l, unsigned output, enum gs_output_state st)
{
	if (!l || output >= l->cfg->n_outputs || l->st[output] == st)
		return;
	l->st[output] = st;
	/* The journal says when a lamp went on and off; a simulation's
	 * changes come many a second and are in its status instead. */
	if (l->lines)
		gs_log(GS_LOG_INFO, "output '%s': %s",
		       l->cfg->outputs[output].name, gs_output_state_name(st));
	lamps_drive(l, output, st != GS_OUTPUT_OFF);
	if (st == GS_OUTPUT_BLINK)
		l->toggle[output] =
		    lamps_now_ms() + l->cfg->outputs[output].blink_ms / 2;
	lamps_arm(l);
}

enum gs_output_state gs_lamps_get(const struct gs_lamps *l, unsigned output)
{
	return l && output < GS_MAX_OUTPUTS ? l->st[output] : GS_OUTPUT_OFF;
}
