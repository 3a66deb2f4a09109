/* SPDX-License-Identifier: MIT */
#include "gateway/cmd_opts.h"
#include "gateway/err.h"
#include "gateway/timeutil.h"

#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>

#define GS_CMD_OPTS_MAX 16
/* getopt_long's value of a long option without a short name: beyond any
 * character, plus its index in the table. */
#define GS_CMD_OPT_LONG 256

/* Stores ARG of OPT; 0 or EX_USAGE with the reason printed. */
static int gs_cmd_opt_set(const struct gs_cmd_opt *opt, const char *arg)
{
	switch (opt->kind) {
	case GS_CMD_OPT_STRING:
		*(const char **)opt->dest = arg;
		return 0;
	case GS_CMD_OPT_FLAG:
		*(bool *)opt->dest = true;
		return 0;
	case GS_CMD_OPT_DURATION:
		if (gs_duration_parse(arg, opt->dest) == GS_OK &&
		    *(int64_t *)opt->dest > 0)
			return 0;
		fprintf(stderr,
		        "gapsense: --%s '%s': expected a duration such as 30s "
		        "or 5m\n",
		        opt->name, arg);
		return EX_USAGE;
	case GS_CMD_OPT_TIME:
		if (gs_time_parse(arg, opt->dest) == GS_OK)
			return 0;
		fprintf(stderr,
		        "gapsense: --%s '%s': expected an ISO-8601 UTC time "
		        "such as 2026-11-23T09:00:00Z\n",
		        opt->name, arg);
		return EX_USAGE;
	}
	return EX_USAGE;
}

int gs_cmd_opts_parse(int argc, char **argv, const struct gs_cmd_opt *opts,
                      const char *usage)
{
	struct option longs[GS_CMD_OPTS_MAX + 1] = {{0}};
	/* Each short option and its ':', then "h". */
	char shorts[2 * GS_CMD_OPTS_MAX + 2];
	size_t n = 0, s = 0;
	int c, rc;

	for (; opts[n].name; n++) {
		const struct gs_cmd_opt *o = &opts[n];

		if (n + 1 >= GS_CMD_OPTS_MAX) {
			fprintf(stderr, "gapsense: too many options\n");
			return EX_SOFTWARE;
		}
		longs[n] = (struct option){
		    .name = o->name,
		    .has_arg = o->kind == GS_CMD_OPT_FLAG ? no_argument
		                                          : required_argument,
		    .val = o->short_name ? o->short_name
		                         : GS_CMD_OPT_LONG + (int)n,
		};
		if (o->short_name) {
			shorts[s++] = o->short_name;
			if (o->kind != GS_CMD_OPT_FLAG)
				shorts[s++] = ':';
		}
	}
	longs[n] = (struct option){.name = "help", .val = 'h'};
	shorts[s++] = 'h';
	shorts[s] = '\0';

	optind = 1;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const struct gs_cmd_opt *o = NULL;

		if (c == 'h') {
			fputs(usage, stdout);
			return -1;
		}
		if (c >= GS_CMD_OPT_LONG && (size_t)(c - GS_CMD_OPT_LONG) < n)
			o = &opts[c - GS_CMD_OPT_LONG];
		for (size_t i = 0; !o && c != '?' && i < n; i++)
			if (opts[i].short_name == c)
				o = &opts[i];
		if (!o) {
			fputs(usage, stderr);
			return EX_USAGE;
		}
		if ((rc = gs_cmd_opt_set(o, optarg)))
			return rc;
	}
	if (optind != argc) {
		fprintf(stderr, "gapsense: unexpected argument '%s'\n%s",
		        argv[optind], usage);
		return EX_USAGE;
	}
	return 0;
}
