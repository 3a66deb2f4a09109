/* SPDX-License-Identifier: MIT */
/*
 * The options of the read-only commands (status, report, wiring), parsed
 * from a table: each option names where its value goes and how it is read,
 * and the rest is the same for every command: --help prints the usage to
 * standard output, a bad option prints it to standard error (exit 64), as
 * does an argument that is not an option.
 */
#ifndef GS_CMD_OPTS_H
#define GS_CMD_OPTS_H

#include <stdbool.h>
#include <stdint.h>

enum gs_cmd_opt_kind {
	GS_CMD_OPT_STRING,   /* const char **: the argument */
	GS_CMD_OPT_FLAG,     /* bool *: set when present, no argument */
	GS_CMD_OPT_DURATION, /* int64_t * (ms): "30s", "5m", more than 0 */
	GS_CMD_OPT_TIME,     /* int64_t * (ms since the epoch): ISO-8601 UTC */
};

struct gs_cmd_opt {
	const char *name; /* the long name, without "--" */
	char short_name;  /* 0: none */
	enum gs_cmd_opt_kind kind;
	void *dest; /* of the type KIND says */
};

/*
 * Parses ARGV (ARGC) by OPTS (ended by an entry with a NULL name; --help
 * is added, at most 15 others), USAGE being the command's usage text.
 * Returns 0, -1 when --help printed the usage (exit 0), or EX_USAGE with
 * the reason printed.
 */
int gs_cmd_opts_parse(int argc, char **argv, const struct gs_cmd_opt *opts,
                      const char *usage);

#endif
