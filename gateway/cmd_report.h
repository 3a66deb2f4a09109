/* SPDX-License-Identifier: MIT */
#ifndef GS_CMD_REPORT_H
#define GS_CMD_REPORT_H

/*
 * `gapsense report (--db FILE | -c CONFIG) [-o OUT.html] [--day DATE |
 * --from TIME --to TIME]`: the day report from a store, read-only, while
 * the daemon runs. argv[0] is "report". Returns an exit status.
 */
int gs_cmd_report(int argc, char **argv);

extern const char gs_report_usage[];

#endif
