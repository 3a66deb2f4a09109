/* SPDX-License-Identifier: MIT */
/*
 * gapsense: the command line. Each subcommand parses its own options and
 * hands a filled-in struct to the part of the daemon that does the work.
 */
#include "gateway/cmd_status.h"
#include "gateway/cmd_report.h"
#include "gateway/cmd_wiring.h"
#include "gateway/config.h"
#include "gateway/config_files.h"
#include "gateway/err.h"
#include "gateway/gateway.h"
#include "gateway/input.h"
#include "gateway/log.h"
#include "gateway/timeutil.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#define GS_DEFAULT_CONFIG "/etc/gapsense/gapsense.conf"

struct gs_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
};

static const char gs_usage_run[] =
    "usage: gapsense run [-c FILE] [--db FILE] [--print] [-v]\n"
    "Runs the daemon on the GPIO sensors of FILE (default " GS_DEFAULT_CONFIG
    ").\n"
    "  -c, --config FILE  configuration file\n"
    "      --db FILE      database instead of [storage] database\n"
    "      --print        publish nothing; print each message as a JSON "
    "line\n                     (in a temporary database unless --db)\n"
    "  -v, --verbose      debug logging\n";

static const char gs_usage_check[] =
    "usage: gapsense check-config [--user NAME] FILE\n"
    "Validates FILE and the files it names (password, certificates) as "
    "`run` will:\nthey must exist, belong to root or the service user, "
    "not be writable by\nothers (secrets: no access for others) and be "
    "readable by the service user.\nExits 0, or prints every problem as "
    "FILE:LINE: message and exits 78.\n"
    "      --user NAME   the user the service runs as (default, as "
    "root: " GS_SERVICE_USER
    ";\n                    otherwise the user running "
    "check-config)\n";

static const char gs_usage_simulate[] =
    "usage: gapsense simulate -c FILE [options]\n"
    "Runs the daemon with a simulated store as sensor input, in "
    "accelerated time.\n"
    "  -c, --config FILE       configuration file (its sensors are "
    "simulated)\n"
    "      --speed N           virtual seconds per real second (default "
    "60; 0 = as fast as possible)\n"
    "      --duration D        virtual duration, e.g. 2h (default 1h)\n"
    "      --start TIME        virtual start, ISO-8601 UTC (default today "
    "08:00Z)\n"
    "      --seed N            random seed (default 1)\n"
    "      --customers N       customers per day (default 2000)\n"
    "      --record FILE       also write the edges as a scenario file\n"
    "      --db FILE           database (default: a fresh temporary one)\n"
    "      --print             publish nothing; print each message as a "
    "JSON line\n"
    "      --drain-timeout D   give up waiting for the broker after D "
    "(default 30s; 0: wait)\n"
    "  -v, --verbose           debug logging\n";

static const char gs_usage_replay[] =
    "usage: gapsense replay -c CONFIG SCENARIO [options]\n"
    "Runs the whole pipeline on the edges of SCENARIO, in virtual time, as "
    "fast as it can\n(or paced with --speed; the messages are the same).\n"
    "  -c, --config FILE       configuration file\n"
    "      --speed X           paced: each edge when it is due, X times "
    "faster than\n                          the scenario's own time from "
    "its first edge (X > 0;\n                          default: as fast as "
    "it can)\n"
    "      --db FILE           database (default: a fresh temporary one)\n"
    "      --print             publish nothing; print each message as a "
    "JSON line\n"
    "      --drain-timeout D   give up waiting for the broker after D "
    "(default 30s; 0: wait)\n"
    "  -v, --verbose           debug logging\n";

static const char gs_usage_wiring[] =
    "usage: gapsense wiring -c CONFIG [--duration D] [--output NAME]\n"
    "Shows every configured sensor live, and each edge with its meaning;\n"
    "--output tests an alert output.\n";

enum {
	OPT_DB = 256,
	OPT_PRINT,
	OPT_SPEED,
	OPT_DURATION,
	OPT_START,
	OPT_SEED,
	OPT_CUSTOMERS,
	OPT_RECORD,
	OPT_DRAIN_TIMEOUT,
};

static const struct option gs_daemon_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"db", required_argument, NULL, OPT_DB},
    {"print", no_argument, NULL, OPT_PRINT},
    {"speed", required_argument, NULL, OPT_SPEED},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"start", required_argument, NULL, OPT_START},
    {"seed", required_argument, NULL, OPT_SEED},
    {"customers", required_argument, NULL, OPT_CUSTOMERS},
    {"record", required_argument, NULL, OPT_RECORD},
    {"drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT},
    {NULL, 0, NULL, 0},
};

static const char *gs_option_name(int val)
{
	for (const struct option *o = gs_daemon_options; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

/* An argument quoted back in a message, escaped (gateway/input.h). */
struct gs_quoted {
	char s[256];
};

static const char *gs_quote(struct gs_quoted *q, const char *arg)
{
	gs_input_escape(q->s, sizeof(q->s), arg, strlen(arg));
	return q->s;
}

static int gs_bad_value(const char *opt, const char *value, const char *want)
{
	struct gs_quoted q;

	fprintf(stderr, "gapsense: --%s '%s': %s\n", opt, gs_quote(&q, value),
	        want);
	return EX_USAGE;
}

static int gs_parse_uint(const char *opt, const char *s, uint64_t *out)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return gs_bad_value(opt, s, "expected a whole number");
	*out = strtoull(s, &end, 10);
	if (*end)
		return gs_bad_value(opt, s, "expected a whole number");
	return 0;
}

/*
 * --speed: a finite number, >= 0 for simulate (0: as fast as possible), > 0
 * for replay (which is as fast as it can without the option). strtod alone
 * would take "nan", "inf" and "1e999".
 */
static int gs_parse_speed(const char *s, bool positive, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (*end || end == s || errno == ERANGE || !isfinite(v) || v < 0 ||
	    (positive && v <= 0))
		return gs_bad_value("speed", s,
		                    positive ? "expected a number > 0, e.g. 1 "
		                               "or 60"
		                             : "expected a number >= 0");
	*out = v;
	return 0;
}

/* One option of run, simulate or replay. Returns 0 or an exit status. */
static int gs_daemon_opt_apply(int c, const char *arg, const char *usage,
                               struct gs_gateway_opts *o)
{
	uint64_t u;
	int rc;

	switch (c) {
	case 'c':
		o->config_path = arg;
		return 0;
	case 'v':
		gs_log_set_level(GS_LOG_DEBUG);
		return 0;
	case 'h':
		fputs(usage, stdout);
		exit(0);
	case OPT_DB:
		o->db_path = arg;
		return 0;
	case OPT_PRINT:
		o->print = true;
		/* One message a line, as it is made, also into a pipe or a
		 * file that another program watches. */
		(void)setvbuf(stdout, NULL, _IOLBF, 0);
		return 0;
	case OPT_SPEED:
		return gs_parse_speed(arg, o->mode == GS_MODE_REPLAY,
		                      o->mode == GS_MODE_REPLAY
		                          ? &o->replay_speed
		                          : &o->sim.speed);
	case OPT_DURATION:
		if (gs_duration_parse(arg, &o->sim.duration_ms) ||
		    o->sim.duration_ms <= 0)
			return gs_bad_value("duration", arg,
			                    "expected a duration such as 90m "
			                    "or 2h");
		return 0;
	case OPT_START:
		if (gs_time_parse(arg, &o->sim.start_ms))
			return gs_bad_value("start", arg,
			                    "expected 2026-11-23T08:00:00Z");
		return 0;
	case OPT_SEED:
		return gs_parse_uint("seed", arg, &o->sim.seed);
	case OPT_CUSTOMERS:
		rc = gs_parse_uint("customers", arg, &u);
		if (rc)
			return rc;
		if (u == 0 || u > 10000000)
			return gs_bad_value("customers", arg,
			                    "expected 1 to 10000000");
		o->sim.customers_per_day = (unsigned)u;
		return 0;
	case OPT_RECORD:
		o->record_path = arg;
		return 0;
	case OPT_DRAIN_TIMEOUT:
		if (gs_duration_parse(arg, &o->drain_timeout_ms))
			return gs_bad_value("drain-timeout", arg,
			                    "expected a duration such as 30s");
		return 0;
	default:
		fputs(usage, stderr);
		return EX_USAGE;
	}
}

/* Whether mode takes option c (simulate's own, replay's speed...). */
static bool gs_daemon_opt_allowed(int c, enum gs_mode mode)
{
	bool sim_only = c == OPT_DURATION || c == OPT_START || c == OPT_SEED ||
	                c == OPT_CUSTOMERS || c == OPT_RECORD;

	if (sim_only)
		return mode == GS_MODE_SIMULATE;
	if (c == OPT_SPEED || c == OPT_DRAIN_TIMEOUT)
		return mode != GS_MODE_RUN;
	return true;
}

/*
 * Options shared by run, simulate and replay; each rejects those it does
 * not take. Returns 0 or an exit status.
 */
static int gs_parse_daemon_args(int argc, char **argv, const char *usage,
                                struct gs_gateway_opts *o)
{
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:vh", gs_daemon_options, NULL)) !=
	       -1) {
		if (!gs_daemon_opt_allowed(c, o->mode)) {
			fprintf(stderr, "gapsense: %s does not take --%s\n%s",
			        argv[0], gs_option_name(c), usage);
			return EX_USAGE;
		}
		rc = gs_daemon_opt_apply(c, optarg, usage, o);
		if (rc)
			return rc;
	}
	if (o->mode == GS_MODE_REPLAY) {
		if (optind != argc - 1) {
			fprintf(stderr,
			        "gapsense: replay needs one SCENARIO "
			        "file\n%s",
			        usage);
			return EX_USAGE;
		}
		o->scenario_path = argv[optind];
	} else if (optind != argc) {
		struct gs_quoted q;

		fprintf(stderr, "gapsense: unexpected argument '%s'\n%s",
		        gs_quote(&q, argv[optind]), usage);
		return EX_USAGE;
	}
	if (!o->config_path) {
		if (o->mode != GS_MODE_RUN) {
			fprintf(stderr, "gapsense: -c CONFIG is required\n%s",
			        usage);
			return EX_USAGE;
		}
		o->config_path = GS_DEFAULT_CONFIG;
	}
	return 0;
}

static int gs_daemon(enum gs_mode mode, const char *usage, int argc,
                     char **argv)
{
	struct gs_gateway_opts o = {
	    .mode = mode,
	    .sim = {.seed = 1, .speed = 60, .duration_ms = GS_MS_PER_H},
	    .drain_timeout_ms = 30 * GS_MS_PER_S,
	};
	int rc = gs_parse_daemon_args(argc, argv, usage, &o);

	if (rc)
		return rc;
	if (mode == GS_MODE_SIMULATE && o.sim.start_ms == 0)
		o.sim.start_ms =
		    gs_floor_to(gs_clock_realtime_ms(), GS_MS_PER_DAY) +
		    8 * GS_MS_PER_H;
	return gs_gateway_main(&o);
}

static int gs_cmd_run(int argc, char **argv)
{
	return gs_daemon(GS_MODE_RUN, gs_usage_run, argc, argv);
}

static int gs_cmd_simulate(int argc, char **argv)
{
	return gs_daemon(GS_MODE_SIMULATE, gs_usage_simulate, argc, argv);
}

static int gs_cmd_replay(int argc, char **argv)
{
	return gs_daemon(GS_MODE_REPLAY, gs_usage_replay, argc, argv);
}

/* gs_diag_print(), and how many problems did not fit. */
static void gs_check_print(const char *path, const struct gs_diag *diag)
{
	gs_diag_print(diag, GS_DIAG_TO_STDERR);
	if (diag->count > GS_DIAG_MAX)
		fprintf(stderr, "%s: ... and %u more problems\n", path,
		        diag->count - GS_DIAG_MAX);
}

/*
 * The user whose view of the files check-config takes: --user NAME; as
 * root, the packaged service user (or root itself when there is none,
 * saying so); otherwise whoever runs it.
 */
static int gs_check_user(const char *name, struct gs_file_user *u)
{
	struct gs_quoted q;

	if (name) {
		if (gs_file_user_lookup(name, u) == GS_OK)
			return 0;
		fprintf(stderr, "gapsense: --user '%s': no such user\n",
		        gs_quote(&q, name));
		return EX_USAGE;
	}
	if (geteuid() == 0 && gs_file_user_lookup(GS_SERVICE_USER, u) == GS_OK)
		return 0;
	gs_file_user_self(u);
	if (geteuid() == 0)
		gs_log(GS_LOG_WARNING,
		       "there is no user '" GS_SERVICE_USER
		       "' (the package makes it): files are checked as %s; "
		       "--user NAME checks them for another user",
		       u->name);
	return 0;
}

static int gs_cmd_check_config(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"user", required_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *user = NULL, *path;
	struct gs_file_user u;
	struct gs_config *cfg;
	struct gs_diag *diag;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			user = optarg;
			break;
		case 'h':
			fputs(gs_usage_check, stdout);
			return 0;
		default:
			fputs(gs_usage_check, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(gs_usage_check, stderr);
		return EX_USAGE;
	}
	path = argv[optind];
	rc = gs_check_user(user, &u);
	if (rc)
		return rc;
	cfg = malloc(sizeof(*cfg));
	diag = calloc(1, sizeof(*diag));
	if (!cfg || !diag) {
		free(cfg);
		free(diag);
		return EX_OSERR;
	}
	rc = gs_config_load(path, cfg, diag);
	/* The files it names, by the policy `run` applies (one module). */
	if (rc == GS_OK)
		rc = gs_config_files_check(cfg, &u, diag);
	gs_check_print(path, diag);
	/* ", N output(s)" only when there are outputs (%.0u: 0 prints
	 * nothing). */
	if (rc == GS_OK)
		printf("%s: OK (gateway %s, site %s, %u sensors%s%.0u%s; "
		       "files checked for user %s)\n",
		       path, cfg->gateway_id, cfg->site, cfg->n_sensors,
		       cfg->n_outputs ? ", " : "", cfg->n_outputs,
		       cfg->n_outputs == 1  ? " output"
		       : cfg->n_outputs > 1 ? " outputs"
		                            : "",
		       u.name);
	free(cfg);
	free(diag);
	if (rc == GS_OK)
		return 0;
	if (rc == GS_ENOENT)
		return EX_NOINPUT;
	if (rc == GS_EPERM) /* --user of another user, without root */
		return EX_NOPERM;
	return rc == GS_ENOMEM || rc == GS_ESYS ? EX_OSERR : EX_CONFIG;
}

static const struct gs_command gs_commands[] = {
    {"run", gs_cmd_run, gs_usage_run},
    {"check-config", gs_cmd_check_config, gs_usage_check},
    {"simulate", gs_cmd_simulate, gs_usage_simulate},
    {"replay", gs_cmd_replay, gs_usage_replay},
    {"wiring", gs_cmd_wiring, gs_usage_wiring},
    {"status", gs_cmd_status, NULL},
    {"report", gs_cmd_report, gs_report_usage},
};

static void gs_usage(FILE *out)
{
	fputs("usage: gapsense COMMAND [options]\n"
	      "Edge gateway: perceived versus actual customer experience.\n\n"
	      "Commands:\n"
	      "  run           the daemon on the GPIO sensors\n"
	      "  check-config  validate a configuration file\n"
	      "  simulate      the daemon on a simulated store\n"
	      "  replay        the pipeline on a recorded scenario\n"
	      "  wiring        live view of the sensors and outputs, for "
	      "installers\n"
	      "  status        the unit's state (read-only)\n"
	      "  report        a day's report as one HTML page\n\n"
	      "  gapsense COMMAND --help   options of a command\n"
	      "  gapsense --version        the version\n",
	      out);
}

int main(int argc, char **argv)
{
	struct gs_quoted q;

	gs_log_init_from_env();
	if (argc < 2) {
		gs_usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		gs_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("gapsense %s\n", GS_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(gs_commands) / sizeof(gs_commands[0]);
	     i++) {
		if (strcmp(argv[1], gs_commands[i].name) == 0)
			return gs_commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "gapsense: unknown command '%s'\n",
	        gs_quote(&q, argv[1]));
	gs_usage(stderr);
	return EX_USAGE;
}
