/* SPDX-License-Identifier: MIT */
/*
 * The simulated store: a backend that generates raw edges for the
 * configured sensors from a model of a shop day. Customers arrive at random
 * with a time-of-day profile, cross the entrance beams in the right order,
 * queue at the till, and some press a smiley button whose choice worsens as
 * their wait grows; staff rate too. Deterministic for a given seed.
 *
 * Virtual time starts at start_ms and runs `speed` times faster than the
 * monotonic clock (speed 0: as fast as the pipeline takes it).
 */
#ifndef GS_SIM_H
#define GS_SIM_H

#include "gateway/config.h"
#include "sensors/backend.h"

#include <stdint.h>

struct gs_sim_opts {
	uint64_t seed;
	double speed;	     /* virtual seconds per real second; 0 = max */
	int64_t start_ms;    /* virtual start time */
	int64_t duration_ms; /* virtual duration; then eof */
	unsigned customers_per_day;
};

/* Returns 0 or GS_E*; cfg must outlive the backend. */
int gs_sim_backend_new(const struct gs_config *cfg,
		       const struct gs_sim_opts *opts, struct gs_backend **out);

#endif
