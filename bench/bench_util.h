/* SPDX-License-Identifier: MIT */
/* What the benchmarks share. */
#ifndef GS_BENCH_UTIL_H
#define GS_BENCH_UTIL_H

#include <time.h>

/* The process's CPU time in seconds: the machine is shared, so wall time
 * is noisy. */
static inline double bench_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
