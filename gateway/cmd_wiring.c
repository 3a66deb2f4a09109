/* SPDX-License-Identifier: MIT */
/*
 * `gapsense wiring`: the installer's live view. It opens the GPIO lines of
 * the configuration as the daemon would, prints the state of every line,
 * then each edge as it happens and what the real decode stage makes of it:
 *
 *   09:14:03.201  entrance: beam A broken
 *   09:14:03.388  entrance: IN (total 1)
 *
 * Alert outputs ([output "NAME"]) are requested too and held off, so the
 * view shows them with the sensors; --output NAME switches one on and off
 * a few times so the installer can see the lamp (or hear the buzzer) work:
 *
 *   09:14:05.000  lamp: on (1 of 5)
 *
 * Plain line-buffered text, so it reads the same on a terminal, through
 * ssh, or piped into a file. It stores and publishes nothing; it exits on
 * Ctrl-C, SIGTERM, after --duration, or when the output test is done.
 */
#include "gateway/cmd_wiring.h"

#include "gateway/cmd_opts.h"
#include "gateway/config.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/loop.h"
#include "gateway/msg.h"
#include "gateway/timeutil.h"
#include "sensors/decode.h"
#include "sensors/gpio.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

/* Edges reach us a little after the kernel stamped them: the decoders'
 * clock trails the wall clock by this much so none arrives in their past. */
#define GS_WIRING_LAG_MS 100
#define GS_WIRING_BATCH  256
/* --output: on for a second, off for a second, this many times. */
#define GS_WIRING_BLINK_MS 1000
#define GS_WIRING_BLINKS   5

static const char gs_wiring_usage[] =
    "usage: gapsense wiring -c CONFIG [--duration D] [--output NAME]\n"
    "Shows every configured sensor live, and each edge with its meaning;\n"
    "alert outputs are shown and held off.\n"
    "Stop the service first (systemctl stop gapsense): a line serves one\n"
    "program at a time.\n"
    "  -c, --config FILE  configuration file\n"
    "      --duration D   stop after D (e.g. 30s, 5m); default: Ctrl-C\n"
    "      --output NAME  test output NAME: on for 1 s, off for 1 s, 5\n"
    "                     times, then stop\n";

struct gs_wiring {
	const struct gs_config *cfg;
	struct gs_loop *loop;
	struct gs_backend *be;
	struct gs_gpio_outputs *outs;
	struct gs_decode *dec;
	int sig_fd, tick_fd, end_fd, be_fd, blink_fd;
	int blink_output;  /* --output: its index, -1 none */
	unsigned switches; /* --output: times switched so far */
	int status;
	uint64_t edges;
	uint64_t bounces; /* edges the debounce ignored, not shown */
	/* Each line's level as last shown: the decoders' debounced level. */
	bool shown[GS_MAX_SENSORS][GS_SENSOR_MAX_LINES];
	uint64_t totals[GS_MAX_SENSORS][GS_EV_KIND_COUNT_];
	int64_t queued[GS_MAX_SENSORS]; /* queue: joined minus served */
};

/* ---- words ------------------------------------------------------------- */

/*
 * Button b's mood for a person: its key with blanks ("very happy"); "?"
 * outside 3-5 buttons.
 */
static const char *gs_mood(unsigned n_buttons, unsigned b, char buf[16])
{
	size_t i = 0;

	if (n_buttons < 3 || n_buttons > GS_MAX_BUTTONS || b >= n_buttons)
		return "?";
	for (const char *k = gs_button_name(n_buttons, b); *k && i < 15; k++)
		buf[i++] = *k == '_' ? ' ' : *k;
	buf[i] = '\0';
	return buf;
}

/*
 * What line j of a sensor is, for a person: "beam A", "button 2 (very
 * unhappy)". The words are the alerts' roles (gs_line_role()), put as an
 * installer says them.
 */
static void gs_input_name(const struct gs_sensor_cfg *sc, unsigned j, char *buf,
                          size_t len)
{
	const char *role = gs_line_role(sc, j);
	char mood[16];

	switch (sc->type) {
	case GS_SENSOR_BEAM_PAIR:
		snprintf(buf, len, "beam %s", role);
		break;
	case GS_SENSOR_QUEUE:
		/* The queue's exit beam is the one at the till. */
		snprintf(buf, len, "%s beam",
		         strcmp(role, "exit") == 0 ? "till" : role);
		break;
	case GS_SENSOR_PULSE:
		if (sc->n_lines == 1)
			snprintf(buf, len, "counter output");
		else
			snprintf(buf, len, "%s counter output", role);
		break;
	case GS_SENSOR_BUTTON:
		snprintf(buf, len, "button");
		break;
	default:
		snprintf(buf, len, "button %u (%s)", j + 1,
		         gs_mood(sc->n_lines, j, mood));
		break;
	}
}

static const char *gs_level_word(const struct gs_sensor_cfg *sc, int level)
{
	bool beam =
	    sc->type == GS_SENSOR_BEAM_PAIR || sc->type == GS_SENSOR_QUEUE;
	bool button = sc->type == GS_SENSOR_SMILEY ||
	              sc->type == GS_SENSOR_STAFF ||
	              sc->type == GS_SENSOR_BUTTON;

	if (level < 0)
		return "unknown";
	if (beam)
		return level ? "broken" : "clear";
	if (button)
		return level ? "pressed" : "released";
	return level ? "active" : "idle";
}

static void gs_stamp(int64_t t_ms, char buf[16])
{
	time_t s = (time_t)gs_floor_div(t_ms, 1000);
	struct tm tm;

	if (!localtime_r(&s, &tm)) {
		snprintf(buf, 16, "?");
		return;
	}
	snprintf(buf, 16, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min,
	         tm.tm_sec, (int)(t_ms - gs_floor_div(t_ms, 1000) * 1000));
}

/* ---- output ------------------------------------------------------------ */

static void gs_wiring_states(const struct gs_wiring *w)
{
	for (unsigned i = 0; i < w->cfg->n_sensors; i++) {
		const struct gs_sensor_cfg *sc = &w->cfg->sensors[i];

		printf("%s (%s on %s):\n", sc->name,
		       gs_sensor_type_name(sc->type), sc->chip);
		for (unsigned j = 0; j < sc->n_lines; j++) {
			char what[64];

			gs_input_name(sc, j, what, sizeof(what));
			printf("  %-28s line %-10s %s\n", what, sc->lines[j],
			       gs_level_word(
			           sc, w->be->ops->line_state(w->be, i, j)));
		}
	}
	for (unsigned i = 0; i < w->cfg->n_outputs; i++) {
		const struct gs_output_cfg *oc = &w->cfg->outputs[i];
		int level = gs_gpio_outputs_get(w->outs, i);

		printf("%s (output on %s):\n", oc->name, oc->chip);
		printf("  %-28s line %-10s %s\n",
		       oc->active_low ? "output (active-low)" : "output",
		       oc->line,
		       level < 0 ? "unknown"
		       : level   ? "on"
		                 : "off (held off while wiring runs)");
	}
}

/* The outputs a press of button (0-based) on sensor acknowledges while
 * they are on, as "'lamp', 'buzzer'"; "" if none. */
static void gs_wiring_acks(const struct gs_config *cfg, unsigned sensor,
                           unsigned button, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < cfg->n_outputs && used < len; i++) {
		const struct gs_output_cfg *oc = &cfg->outputs[i];
		int n;

		if (oc->ack_sensor != (int)sensor ||
		    (oc->ack_button >= 0 && oc->ack_button != (int)button))
			continue;
		n = snprintf(buf + used, len - used, "%s'%s'", used ? ", " : "",
		             oc->name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static void gs_wiring_on_event(void *ctx, const struct gs_event *ev)
{
	struct gs_wiring *w = ctx;
	const struct gs_sensor_cfg *sc = &w->cfg->sensors[ev->sensor];
	uint64_t *total = &w->totals[ev->sensor][ev->kind];
	char stamp[16], what[64], limit[32], acks[160], mood[16];

	gs_stamp(ev->t_ms, stamp);
	(*total)++;
	printf("%s  %s: ", stamp, sc->name);
	switch (ev->kind) {
	case GS_EV_IN:
	case GS_EV_OUT:
	case GS_EV_PULSE:
		printf("%s (total %llu)\n",
		       ev->kind == GS_EV_IN    ? "IN"
		       : ev->kind == GS_EV_OUT ? "OUT"
		                               : "pulse",
		       (unsigned long long)*total);
		break;
	case GS_EV_JOIN:
	case GS_EV_SERVE:
		w->queued[ev->sensor] += ev->kind == GS_EV_JOIN ? 1 : -1;
		if (w->queued[ev->sensor] < 0)
			w->queued[ev->sensor] = 0;
		printf("%s (in the queue now: %lld)\n",
		       ev->kind == GS_EV_JOIN ? "joined the queue"
		                              : "served at the till",
		       (long long)w->queued[ev->sensor]);
		break;
	case GS_EV_PRESS:
		gs_wiring_acks(w->cfg, ev->sensor, ev->value, acks,
		               sizeof(acks));
		if (sc->type == GS_SENSOR_BUTTON) {
			printf("pressed%s%s%s\n",
			       acks[0] ? " (acknowledges " : "", acks,
			       acks[0] ? " when lit)" : "");
			break;
		}
		printf("%s (button %u)%s%s%s%s\n",
		       gs_mood(sc->n_lines, ev->value, mood), ev->value + 1u,
		       ev->flags & GS_EVF_MISUSE
		           ? " within the lockout: recorded as misuse, "
		             "not counted"
		           : "",
		       acks[0] ? " (acknowledges " : "", acks,
		       acks[0] ? " when lit)" : "");
		break;
	case GS_EV_FAULT:
		gs_input_name(sc, ev->input, what, sizeof(what));
		gs_duration_format(sc->fault_ms, limit, sizeof(limit));
		printf("FAULT: %s active for more than %s (blocked beam, "
		       "stuck button or wiring?)\n",
		       what, limit);
		break;
	case GS_EV_RECOVERED:
		gs_input_name(sc, ev->input, what, sizeof(what));
		printf("recovered: %s back to normal\n", what);
		break;
	default:
		printf("%s\n",
		       gs_event_kind_name((enum gs_event_kind)ev->kind));
		break;
	}
}

/* ---- loop -------------------------------------------------------------- */

static void gs_wiring_show_level(struct gs_wiring *w, unsigned i, unsigned j,
                                 bool level, int64_t t_ms)
{
	const struct gs_sensor_cfg *sc = &w->cfg->sensors[i];
	char stamp[16], what[64];

	gs_stamp(t_ms, stamp);
	gs_input_name(sc, j, what, sizeof(what));
	printf("%s  %s: %s %s\n", stamp, sc->name, what,
	       gs_level_word(sc, level));
	w->shown[i][j] = level;
}

/* A debounce period that ended with the line at another level changes it
 * then, with no edge of its own: shown here. */
static void gs_wiring_show_settled(struct gs_wiring *w)
{
	for (unsigned i = 0; i < w->cfg->n_sensors; i++) {
		for (unsigned j = 0; j < w->cfg->sensors[i].n_lines; j++) {
			int64_t since;
			bool level =
			    gs_decode_line_debounced(w->dec, i, j, &since);

			if (level != w->shown[i][j])
				gs_wiring_show_level(w, i, j, level, since);
		}
	}
}

static void gs_wiring_advance(struct gs_wiring *w)
{
	int64_t now = gs_clock_realtime_ms() - GS_WIRING_LAG_MS;
	int64_t next;

	gs_decode_advance(w->dec, now);
	gs_wiring_show_settled(w);
	next = gs_decode_next_deadline(w->dec);
	if (next == GS_TIME_NONE)
		gs_timerfd_disarm(w->tick_fd);
	else /* +1: a deadline fires once time is past it */
		gs_timerfd_arm_ms(w->tick_fd, next + 1 - now);
}

/*
 * Each edge is shown only if the decoders act on it: with debounce set, a
 * contact bounce is ignored here as it is by `run` (libgpiod 2.x debounces
 * in the kernel already; with 1.6 the decode stage does it), so one press
 * shows as one press.
 */
static void gs_wiring_on_edges(void *ctx, int fd, uint32_t events)
{
	struct gs_wiring *w = ctx;
	struct gs_edge edges[GS_WIRING_BATCH];
	int64_t horizon = GS_TIME_NONE;
	bool eof = false;
	size_t n = 0;
	int rc;

	(void)events;
	rc = w->be->ops->read(w->be, fd, edges, GS_WIRING_BATCH, &n, &horizon,
	                      &eof);
	if (rc) {
		fprintf(stderr, "gapsense wiring: reading the GPIO lines: %s\n",
		        gs_strerror(rc));
		w->status = EX_IOERR;
		gs_loop_stop(w->loop);
		return;
	}
	for (size_t k = 0; k < n; k++) {
		const struct gs_edge *e = &edges[k];
		bool counts = gs_decode_edge_counts(w->dec, e);

		gs_wiring_show_settled(w);
		if (counts)
			gs_wiring_show_level(w, e->sensor, e->input,
			                     e->active != 0, e->t_ms);
		else
			w->bounces++;
		gs_decode_push(w->dec, e);
	}
	w->edges += n;
	gs_wiring_advance(w);
}

static void gs_wiring_on_tick(void *ctx, int fd, uint32_t events)
{
	struct gs_wiring *w = ctx;

	(void)events;
	gs_timerfd_drain(fd);
	gs_wiring_advance(w);
}

static void gs_wiring_on_end(void *ctx, int fd, uint32_t events)
{
	struct gs_wiring *w = ctx;

	(void)events;
	gs_timerfd_drain(fd);
	gs_loop_stop(w->loop);
}

/* --output: switches the output under test, on at odd switches. */
static void gs_wiring_blink(struct gs_wiring *w)
{
	const char *name = w->cfg->outputs[w->blink_output].name;
	bool on = w->switches % 2 == 0;
	char stamp[16];

	if (w->switches >= 2 * GS_WIRING_BLINKS) {
		gs_loop_stop(w->loop);
		return;
	}
	if (gs_gpio_outputs_set(w->outs, (unsigned)w->blink_output, on)) {
		fprintf(stderr,
		        "gapsense wiring: output '%s': cannot switch it %s "
		        "(the reason is logged above)\n",
		        name, on ? "on" : "off");
		w->status = EX_IOERR;
		gs_loop_stop(w->loop);
		return;
	}
	w->switches++;
	gs_stamp(gs_clock_realtime_ms(), stamp);
	if (on)
		printf("%s  %s: on (%u of %d)\n", stamp, name,
		       w->switches / 2 + 1, GS_WIRING_BLINKS);
	else
		printf("%s  %s: off\n", stamp, name);
}

static void gs_wiring_on_blink(void *ctx, int fd, uint32_t events)
{
	struct gs_wiring *w = ctx;

	(void)events;
	gs_timerfd_drain(fd);
	gs_wiring_blink(w);
}

static void gs_wiring_on_signal(void *ctx, int fd, uint32_t events)
{
	struct gs_wiring *w = ctx;
	struct signalfd_siginfo si;

	(void)events;
	if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	gs_loop_stop(w->loop);
}

static void gs_wiring_summary(const struct gs_wiring *w)
{
	printf("stopped after %llu edges", (unsigned long long)w->edges);
	if (w->bounces)
		printf(" (%llu of them contact bounces or repeats, ignored as "
		       "`run` ignores them)",
		       (unsigned long long)w->bounces);
	printf("\n");
	for (unsigned i = 0; i < w->cfg->n_sensors; i++) {
		const uint64_t *t = w->totals[i];

		printf("  %s: %llu in, %llu out, %llu pulses, %llu joined, "
		       "%llu served, %llu presses, %llu faults\n",
		       w->cfg->sensors[i].name, (unsigned long long)t[GS_EV_IN],
		       (unsigned long long)t[GS_EV_OUT],
		       (unsigned long long)t[GS_EV_PULSE],
		       (unsigned long long)t[GS_EV_JOIN],
		       (unsigned long long)t[GS_EV_SERVE],
		       (unsigned long long)t[GS_EV_PRESS],
		       (unsigned long long)t[GS_EV_FAULT]);
	}
	if (w->blink_output >= 0)
		printf("  output '%s': switched on %u of %d times, and off at "
		       "the end\n",
		       w->cfg->outputs[w->blink_output].name,
		       (w->switches + 1) / 2, GS_WIRING_BLINKS);
}

/* ---- set-up ------------------------------------------------------------ */

static int gs_wiring_status_for(int rc)
{
	switch (rc) {
	case GS_EBUSY:
		return EX_TEMPFAIL;
	case GS_EPERM:
		return EX_NOPERM;
	case GS_ENOENT:
	case GS_ECONFIG:
		return EX_CONFIG;
	case GS_ENOMEM:
	case GS_ESYS:
		return EX_OSERR;
	default:
		return EX_UNAVAILABLE;
	}
}

/* Requests the lines of every sensor and output: all the problems of
 * both are shown at once. */
static int gs_wiring_open_gpio(struct gs_wiring *w)
{
	struct gs_diag *diag = calloc(1, sizeof(*diag));
	bool service = false;
	int rc, r;

	if (!diag)
		return GS_ENOMEM;
	rc = gs_gpio_backend_new(w->cfg, GS_GPIO_CONSUMER_WIRING, diag, &w->be);
	r = gs_gpio_outputs_new(w->cfg, GS_GPIO_CONSUMER_WIRING, diag,
	                        &w->outs);
	if (!rc)
		rc = r;
	for (unsigned i = 0; i < diag->count && i < GS_DIAG_MAX; i++) {
		fprintf(stderr, "%s\n", diag->msg[i]);
		if (strstr(diag->msg[i], "the gapsense service is running"))
			service = true;
	}
	if (service)
		fprintf(stderr, "gapsense wiring: the gapsense service is "
		                "running and holds the lines: stop it with "
		                "`systemctl stop gapsense` first (and start "
		                "it again afterwards)\n");
	free(diag);
	return rc;
}

static int gs_wiring_open_fds(struct gs_wiring *w, int64_t duration_ms)
{
	sigset_t mask;
	size_t n;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return GS_ESYS;
	w->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	w->tick_fd = gs_timerfd_new();
	if (w->sig_fd < 0 || w->tick_fd < 0)
		return GS_ESYS;
	if (gs_loop_add(w->loop, w->sig_fd, gs_wiring_on_signal, w) ||
	    gs_loop_add(w->loop, w->tick_fd, gs_wiring_on_tick, w))
		return GS_ESYS;
	if (duration_ms > 0) {
		w->end_fd = gs_timerfd_new();
		if (w->end_fd < 0 ||
		    gs_timerfd_arm_ms(w->end_fd, duration_ms) ||
		    gs_loop_add(w->loop, w->end_fd, gs_wiring_on_end, w))
			return GS_ESYS;
	}
	if (w->blink_output >= 0) {
		w->blink_fd = gs_timerfd_new();
		if (w->blink_fd < 0 ||
		    gs_timerfd_arm_periodic_ms(w->blink_fd,
		                               GS_WIRING_BLINK_MS) ||
		    gs_loop_add(w->loop, w->blink_fd, gs_wiring_on_blink, w))
			return GS_ESYS;
	}
	n = w->be->ops->fds(w->be, &w->be_fd, 1);
	if (n != 1 || gs_loop_add(w->loop, w->be_fd, gs_wiring_on_edges, w))
		return GS_ESYS;
	return GS_OK;
}

static int gs_wiring_parse(int argc, char **argv, const char **config,
                           int64_t *duration_ms, const char **output)
{
	const struct gs_cmd_opt opts[] = {
	    {"config", 'c', GS_CMD_OPT_STRING, config},
	    {"duration", 0, GS_CMD_OPT_DURATION, duration_ms},
	    {"output", 0, GS_CMD_OPT_STRING, output},
	    {NULL, 0, 0, NULL},
	};
	int rc;

	if ((rc = gs_cmd_opts_parse(argc, argv, opts, gs_wiring_usage)))
		return rc;
	if (!*config) {
		fprintf(stderr, "gapsense: -c CONFIG is required\n%s",
		        gs_wiring_usage);
		return EX_USAGE;
	}
	return 0;
}

/* The index of --output's output in cfg, or -1 with the reason told. */
static int gs_wiring_find_output(const char *config,
                                 const struct gs_config *cfg, const char *name)
{
	int i = gs_config_find_output(cfg, name);

	if (i >= 0)
		return i;
	if (cfg->n_outputs == 0) {
		fprintf(stderr,
		        "gapsense wiring: --output '%s': %s has no [output] "
		        "sections\n",
		        name, config);
		return -1;
	}
	fprintf(stderr,
	        "gapsense wiring: --output '%s': no such output in %s; "
	        "its outputs: ",
	        name, config);
	for (unsigned k = 0; k < cfg->n_outputs; k++)
		fprintf(stderr, "%s%s", k ? ", " : "", cfg->outputs[k].name);
	fprintf(stderr, "\n");
	return -1;
}

/* Loads config into cfg (w's) and finds --output. 0 or an exit status. */
static int gs_wiring_load(struct gs_wiring *w, struct gs_config *cfg,
                          const char *config, const char *output)
{
	int rc = gs_config_load_print(config, cfg, GS_DIAG_TO_STDERR);

	if (rc)
		return rc == GS_ENOENT ? EX_NOINPUT : EX_CONFIG;
	if (w->cfg->n_sensors == 0 && w->cfg->n_outputs == 0) {
		fprintf(stderr,
		        "%s: no [sensor] or [output] sections: nothing to "
		        "show\n",
		        config);
		return EX_CONFIG;
	}
	if (output) {
		w->blink_output = gs_wiring_find_output(config, w->cfg, output);
		if (w->blink_output < 0)
			return EX_USAGE;
	}
	return 0;
}

/* What is shown, the sensors' states, and the output's test if asked. */
static void gs_wiring_start(struct gs_wiring *w, const char *config)
{
	const struct gs_config *cfg = w->cfg;

	printf("gapsense wiring: %s, %u sensors, ", config, cfg->n_sensors);
	if (cfg->n_outputs)
		printf("%u outputs, ", cfg->n_outputs);
	printf("libgpiod %s\n", gs_gpio_api_version());
	gs_wiring_states(w);
	w->status = 0;
	if (w->blink_output >= 0) {
		const struct gs_output_cfg *oc = &cfg->outputs[w->blink_output];

		printf("testing output '%s' (%s line %s): on for 1 s, off for "
		       "1 s, %d times; watching the sensors meanwhile "
		       "(Ctrl-C stops)\n",
		       oc->name, oc->chip, oc->line, GS_WIRING_BLINKS);
		gs_wiring_blink(w);
	} else {
		printf("watching; walk through each door, press each button "
		       "(Ctrl-C stops)\n");
	}
}

int gs_cmd_wiring(int argc, char **argv)
{
	struct gs_wiring *w;
	struct gs_config *cfg;
	const char *config = NULL, *output = NULL;
	int64_t duration_ms = 0;
	int rc, status;

	status = gs_wiring_parse(argc, argv, &config, &duration_ms, &output);
	if (status)
		return status < 0 ? 0 : status;
	setvbuf(stdout, NULL, _IOLBF, 0);
	w = calloc(1, sizeof(*w));
	cfg = malloc(sizeof(*cfg));
	if (!w || !cfg) {
		free(w);
		free(cfg);
		return EX_OSERR;
	}
	w->sig_fd = w->tick_fd = w->end_fd = w->be_fd = w->blink_fd = -1;
	w->blink_output = -1;
	w->cfg = cfg;
	status = gs_wiring_load(w, cfg, config, output);
	if (status)
		goto err_free;
	rc = gs_wiring_open_gpio(w);
	if (rc) {
		status = gs_wiring_status_for(rc);
		goto err_close;
	}
	w->dec = gs_decode_new(cfg, gs_wiring_on_event, w);
	w->loop = gs_loop_new();
	if (!w->dec || !w->loop) {
		status = EX_OSERR;
		goto err_close;
	}
	if (gs_wiring_open_fds(w, duration_ms)) {
		fprintf(stderr, "gapsense wiring: cannot set up: %s\n",
		        strerror(errno));
		status = EX_OSERR;
		goto err_close;
	}
	gs_wiring_start(w, config);
	if (!w->status && gs_loop_run(w->loop) && !w->status)
		w->status = EX_OSERR;
	gs_wiring_summary(w);
	status = w->status;

err_close:
	gs_loop_free(w->loop);
	gs_decode_free(w->dec);
	gs_gpio_outputs_free(w->outs); /* switches them off */
	gs_backend_free(w->be);
	if (w->blink_fd >= 0)
		close(w->blink_fd);
	if (w->end_fd >= 0)
		close(w->end_fd);
	if (w->tick_fd >= 0)
		close(w->tick_fd);
	if (w->sig_fd >= 0)
		close(w->sig_fd);
err_free:
	free(cfg);
	free(w);
	return status;
}
