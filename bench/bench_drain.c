/* SPDX-License-Identifier: MIT */
/*
 * Backlog drain to a broker at QoS 1: the sync module empties an outbox of
 * N messages as fast as the window allows (drain_rate at its maximum).
 *
 *   bench_drain fill DB N            fills DB's outbox with N metrics
 *   bench_drain drain DB PORT [INFLIGHT]
 *                                    drains it to mqtt://127.0.0.1:PORT and
 *                                    prints messages/s, CPU time and RSS
 *
 * The two steps are separate processes so that the figures of "drain" are
 * those of a gateway that starts with a backlog. bench/bench_drain.sh runs
 * both against a private mosquitto.
 */
#include "gateway/config.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/loop.h"
#include "gateway/msg.h"
#include "gateway/store.h"
#include "gateway/timeutil.h"
#include "sync/sync.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* A metrics message of the usual size (~1.2 KiB). */
static const char bench_payload[] =
    "{\"schema\":\"gapsense.metrics.v1\",\"site\":\"bench\","
    "\"gateway\":\"bench-1\",\"seq\":0,\"window_start\":"
    "\"2026-11-23T08:00:00Z\",\"window_end\":\"2026-11-23T08:15:00Z\","
    "\"window_s\":900,\"clock_synced\":true,\"historical\":false,"
    "\"footfall\":{\"in\":41,\"out\":38,\"occupancy\":12},\"queue\":{"
    "\"joined\":17,\"served\":16,\"abandoned\":0,\"length_max\":4,"
    "\"wait_avg_s\":121.5,\"wait_p50_s\":110.0,\"wait_p90_s\":201.3,"
    "\"wait_max_s\":240.9,\"target_wait_s\":180.0,\"service_level_pct\":"
    "87.5},\"feedback\":{\"responses\":9,\"misuse\":1,\"counts\":{"
    "\"very_unhappy\":1,\"unhappy\":2,\"happy\":4,\"very_happy\":2},"
    "\"index\":59.3,\"response_rate_pct\":22.0},\"staff\":{\"responses\":2,"
    "\"index\":66.7},\"gap\":{\"perceived\":59.3,\"actual\":87.5,"
    "\"perceived_minus_actual\":-28.2,\"staff_minus_customer\":7.4,"
    "\"quadrant\":\"perception_lag\"},\"sensors\":{\"entrance\":{\"type\":"
    "\"beam_pair\",\"in\":41,\"out\":38,\"faulted\":false,\"faults\":0},"
    "\"till-queue\":{\"type\":\"queue\",\"joined\":17,\"served\":16,"
    "\"abandoned\":0,\"length\":1,\"length_max\":4,\"waits\":16,"
    "\"wait_avg_s\":121.5,\"wait_p50_s\":110.0,\"wait_p90_s\":201.3,"
    "\"wait_max_s\":240.9,\"target_wait_s\":180.0,\"service_level_pct\":"
    "87.5,\"faulted\":false,\"faults\":0},\"smiley-exit\":{\"type\":"
    "\"smiley\",\"buttons\":4,\"responses\":9,\"misuse\":1,\"counts\":{"
    "\"very_unhappy\":1,\"unhappy\":2,\"happy\":4,\"very_happy\":2},"
    "\"index\":59.3,\"faulted\":false,\"faults\":0}}}";

static void bench_config(struct gs_config *cfg, const char *port,
                         unsigned inflight)
{
	gs_config_defaults(cfg);
	snprintf(cfg->gateway_id, sizeof(cfg->gateway_id), "bench-1");
	snprintf(cfg->site, sizeof(cfg->site), "bench");
	snprintf(cfg->client_id, sizeof(cfg->client_id), "gapsense-bench-1");
	snprintf(cfg->broker, sizeof(cfg->broker), "mqtt://127.0.0.1:%s",
	         port ? port : "1883");
	cfg->drain_rate = 100000; /* the configuration's maximum */
	cfg->inflight = inflight;
}

static int bench_fill(const char *db, long n)
{
	struct gs_store_opts opts = {0};
	struct gs_config cfg;
	struct gs_store *st;
	char topic[GS_PATH_MAX];
	int64_t t0 = gs_clock_monotonic_ns();
	int rc;

	bench_config(&cfg, NULL, 16);
	if (gs_msg_topic(&cfg, GS_MSG_METRICS, topic, sizeof(topic)))
		return 1;
	rc = gs_store_open(db, &opts, &st);
	if (rc)
		return 1;
	for (long i = 0; i < n && !rc; i++) {
		cJSON *p = cJSON_Parse(bench_payload);

		if (!p) {
			rc = GS_ENOMEM;
			break;
		}
		rc = gs_store_enqueue(st, GS_MSG_METRICS, topic,
		                      gs_clock_realtime_ms(),
		                      (int64_t)i * 15 * GS_MS_PER_MIN, p, NULL);
		cJSON_Delete(p);
		if (!rc && i % 1000 == 999)
			rc = gs_store_commit(st);
	}
	if (!rc)
		rc = gs_store_commit(st);
	gs_store_close(st);
	if (rc) {
		fprintf(stderr, "fill: %s\n", gs_strerror(rc));
		return 1;
	}
	printf("filled %s with %ld messages in %.2f s\n", db, n,
	       (double)(gs_clock_monotonic_ns() - t0) / 1e9);
	return 0;
}

struct bench_drain {
	struct gs_loop *loop;
	struct gs_sync *sync;
	int poll_fd;
};

static void bench_on_poll(void *ctx, int fd, uint32_t events)
{
	struct bench_drain *b = ctx;

	(void)events;
	gs_timerfd_drain(fd);
	if (gs_sync_idle(b->sync))
		gs_loop_stop(b->loop);
}

static double bench_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int bench_drain(const char *db, const char *port, unsigned inflight)
{
	struct gs_store_opts opts = {0};
	struct bench_drain b = {0};
	struct gs_outbox_stats before, after;
	struct gs_config *cfg = calloc(1, sizeof(*cfg));
	struct gs_store *st = NULL;
	struct rusage ru;
	double cpu0, secs;
	int64_t t0;
	int rc = 1;

	if (!cfg)
		return 1;
	bench_config(cfg, port, inflight);
	b.loop = gs_loop_new();
	if (!b.loop || gs_store_open(db, &opts, &st) ||
	    gs_store_outbox_stats(st, &before))
		goto out;
	if (gs_sync_new(cfg, st, b.loop, NULL, NULL, &b.sync))
		goto out;
	b.poll_fd = gs_timerfd_new();
	if (b.poll_fd < 0 ||
	    gs_loop_add(b.loop, b.poll_fd, bench_on_poll, &b) ||
	    gs_timerfd_arm_periodic_ms(b.poll_fd, 1))
		goto out;
	cpu0 = bench_cpu_s();
	t0 = gs_clock_monotonic_ns();
	if (gs_sync_start(b.sync) || gs_loop_run(b.loop))
		goto out;
	secs = (double)(gs_clock_monotonic_ns() - t0) / 1e9;
	gs_store_outbox_stats(st, &after);
	getrusage(RUSAGE_SELF, &ru);
	printf("drained %" PRIu64 " messages (%" PRIu64
	       " left) in %.2f s: %.0f messages/s at QoS 1, inflight %u; "
	       "CPU %.2f s (%.0f%% of a core), peak RSS %.1f MiB\n",
	       before.pending - after.pending, after.pending, secs,
	       (double)(before.pending - after.pending) / secs, inflight,
	       bench_cpu_s() - cpu0, (bench_cpu_s() - cpu0) / secs * 100.0,
	       (double)ru.ru_maxrss / 1024.0);
	gs_sync_stop(b.sync, 2000);
	rc = after.pending == 0 ? 0 : 1;
out:
	gs_sync_free(b.sync);
	if (b.poll_fd > 0) {
		gs_loop_del(b.loop, b.poll_fd);
		close(b.poll_fd);
	}
	gs_store_close(st);
	gs_loop_free(b.loop);
	free(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	gs_log_init_from_env();
	gs_log_set_level(GS_LOG_WARNING);
	if (argc == 4 && strcmp(argv[1], "fill") == 0)
		return bench_fill(argv[2], strtol(argv[3], NULL, 10));
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "drain") == 0)
		return bench_drain(
		    argv[2], argv[3],
		    argc == 5 ? (unsigned)strtoul(argv[4], NULL, 10) : 16);
	fprintf(stderr, "usage: bench_drain fill DB N\n"
	                "       bench_drain drain DB PORT [INFLIGHT]\n");
	return 2;
}
