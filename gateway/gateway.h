/* SPDX-License-Identifier: MIT */
/*
 * The gateway: owns every part of the daemon and wires them together on one
 * event loop. Three modes share the same pipeline
 *
 *   backend -> decode stage -> metrics engine -> store (events, outbox)
 *                                                   -> sync (MQTT) | stdout
 *
 * and differ only in where edges come from and how time moves:
 *   run       GPIO edges, the wall clock drives window closes;
 *   simulate  the simulated store in accelerated virtual time;
 *   replay    a scenario file, as fast as it can be read (or paced).
 */
#ifndef GS_GATEWAY_H
#define GS_GATEWAY_H

#include "sensors/sim.h"

#include <stdbool.h>
#include <stdint.h>

enum gs_mode {
	GS_MODE_RUN,
	GS_MODE_SIMULATE,
	GS_MODE_REPLAY,
};

struct gs_gateway_opts {
	enum gs_mode mode;
	const char *config_path;
	const char *scenario_path; /* replay */
	const char *db_path;       /* overrides [storage] database */
	const char *record_path;   /* simulate: write edges as a scenario */
	bool print;                /* print messages instead of publishing */
	/* simulate/replay: how long to wait for the broker to acknowledge
	 * everything before giving up (0 = for ever). */
	int64_t drain_timeout_ms;
	/* replay: times faster than the scenario's own time (0 = as fast as
	 * it can). */
	double replay_speed;
	struct gs_sim_opts sim;
};

/*
 * Runs the gateway until it is stopped (SIGTERM/SIGINT) or, in simulate and
 * replay, until the input is exhausted and everything is acknowledged.
 * Returns a process exit status (0, or an EX_* code) after logging why.
 */
int gs_gateway_main(const struct gs_gateway_opts *opts);

#endif
