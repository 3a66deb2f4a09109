/* SPDX-License-Identifier: MIT */
/*
 * The scenario reader alone (sensors/scenario.c): a recorded day read
 * through the backend's read() in the replay's batches of 512, nothing
 * downstream, RUNS times. Prints each run's CPU time and ns per edge, then
 * the median and range, and a checksum of every edge read (time, sensor,
 * input, level) so that two builds of the reader can be shown to yield
 * the same edges. Figures, not a test.
 *
 *   bench_scenario CONF SCENARIO [RUNS]     default 7 runs
 *
 * e.g. bench/bench_scenario tests/data/scenarios/busy-store.conf
 * bench/out/busy-day-100000.csv (bench/bench_replay.sh records that day).
 */
#include "gateway/config.h"
#include "bench/bench_util.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "sensors/scenario.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH    512 /* GS_EDGE_BATCH in gateway/gateway_input.c */
#define RUNS_MAX 99

/* One field into the checksum: a word at a time, cheap next to the reader
 * (a byte-wise FNV here took a quarter of the run). */
static uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * UINT64_C(0x9e3779b97f4a7c15);
	return h ^ (h >> 29);
}

/* Reads the whole file once; returns 0 and the edges and their checksum. */
static int read_all(const struct gs_config *cfg, const char *path,
                    uint64_t *edges_out, uint64_t *sum_out)
{
	static struct gs_edge edges[BATCH];
	struct gs_backend *be;
	uint64_t count = 0, sum = UINT64_C(14695981039346656037);
	bool eof = false;
	int rc = gs_scenario_backend_new(cfg, path, 0, &be);

	if (rc != GS_OK)
		return rc;
	while (!eof) {
		size_t n;
		int64_t horizon;

		rc = be->ops->read(be, -1, edges, BATCH, &n, &horizon, &eof);
		if (rc != GS_OK)
			break;
		for (size_t i = 0; i < n; i++) {
			const struct gs_edge *e = &edges[i];

			sum = mix(sum, (uint64_t)e->t_ms);
			sum = mix(sum, (uint64_t)e->mono_ns);
			sum = mix(sum, (uint64_t)e->sensor << 16 |
			                   (uint64_t)e->input << 8 | e->active);
		}
		count += n;
	}
	gs_backend_free(be);
	*edges_out = count;
	*sum_out = sum;
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static struct gs_config cfg;
	double secs[RUNS_MAX];
	uint64_t edges = 0, sum = 0;
	int runs = argc > 3 ? atoi(argv[3]) : 7;

	if (argc < 3 || runs < 1 || runs > RUNS_MAX) {
		fprintf(stderr, "usage: %s CONF SCENARIO [RUNS (1-%d)]\n",
		        argv[0], RUNS_MAX);
		return 2;
	}
	gs_log_set_level(GS_LOG_WARNING);
	if (gs_config_load_print(argv[1], &cfg, GS_DIAG_TO_STDERR) != GS_OK)
		return 1;
	for (int r = 0; r < runs; r++) {
		double t0 = bench_cpu_s();
		int rc = read_all(&cfg, argv[2], &edges, &sum);

		secs[r] = bench_cpu_s() - t0;
		if (rc != GS_OK) {
			fprintf(stderr, "%s: %s\n", argv[2], gs_strerror(rc));
			return 1;
		}
		printf("run %d: %.3f s CPU, %.1f ns per edge\n", r + 1, secs[r],
		       secs[r] * 1e9 / (double)(edges ? edges : 1));
	}
	qsort(secs, (size_t)runs, sizeof(secs[0]), cmp_double);
	printf("%" PRIu64 " edges, checksum %016" PRIx64 "; CPU median %.3f s "
	       "(%.3f-%.3f), %.1f ns per edge\n",
	       edges, sum, secs[runs / 2], secs[0], secs[runs - 1],
	       secs[runs / 2] * 1e9 / (double)(edges ? edges : 1));
	return 0;
}
