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
	double speed;        /* virtual seconds per real second; 0 = max */
	int64_t start_ms;    /* virtual start time */
	int64_t duration_ms; /* virtual duration; then eof */
	unsigned customers_per_day;
};

/*
 * Returns 0 or GS_E*; cfg must outlive the backend. customers_per_day 0
 * means 2000; duration_ms 0 means no end. The shop is open 08:00-20:00 UTC.
 */
int gs_sim_backend_new(const struct gs_config *cfg,
                       const struct gs_sim_opts *opts, struct gs_backend **out);

/* What the simulation has done so far, for logs, tests and benchmarks. */
struct gs_sim_stats {
	uint64_t edges;        /* edges produced */
	uint64_t customers;    /* customers who came in */
	uint64_t turn_backs;   /* people who broke the outer beam, left */
	uint64_t noise_spikes; /* beam blips shorter than min_break */
	uint64_t gave_up;      /* customers who left the queue unserved */
	uint64_t presses;      /* smiley and staff presses, misuse too */
	size_t pending;        /* future actions held now */
	size_t pending_peak;   /* ... at most so far: the model's memory */
	uint32_t customers_inside;
	uint32_t customers_peak;
};

/* be must be a simulated-store backend. */
void gs_sim_backend_stats(const struct gs_backend *be,
                          struct gs_sim_stats *stats);

#endif
