/* SPDX-License-Identifier: MIT */
#ifndef GS_CMD_STATUS_H
#define GS_CMD_STATUS_H

/*
 * `gapsense status [-c CONFIG] [--db FILE] [--json]`: the unit's state for
 * an installer in the shop, read-only, whether the daemon runs or not:
 * from the file the daemon keeps (gateway/status.h) and from the store
 * opened read-only. Exit status: 0 running and well, 1 running but
 * degraded, 3 not running, 4 unknown (neither could be read); 64 usage,
 * 78 configuration.
 */
int gs_cmd_status(int argc, char **argv);

#endif
