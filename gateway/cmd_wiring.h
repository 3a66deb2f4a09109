/* SPDX-License-Identifier: MIT */
#ifndef GS_CMD_WIRING_H
#define GS_CMD_WIRING_H

/*
 * `gapsense wiring -c CONFIG [--duration D]`: a live view of every
 * configured sensor for installers. argv[0] is "wiring". Returns an exit
 * status.
 */
int gs_cmd_wiring(int argc, char **argv);

#endif
