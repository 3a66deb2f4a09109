/* SPDX-License-Identifier: MIT */
/*
 * The trustworthy clock: see clock.h for how the daemon uses it.
 */
#include "gateway/clock.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/timeutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#define GS_NS_PER_MS INT64_C(1000000)

/*
 * Two readings of the offset differ by the time between the clock reads
 * (microseconds, more on a loaded machine); a larger change is a step. A
 * step this small does not matter to millisecond event time, and ignoring
 * it keeps a busy Pi from logging steps that did not happen.
 */
#define GS_CLOCK_STEP_NS (5 * GS_NS_PER_MS)

struct gs_clock {
	const struct gs_clock_source *src;
	void *src_ctx;
	char flag_path[256]; /* the system source's timesyncd flag */
	int tfd;
	bool synced;
	int64_t offset_ns;
	int64_t last_step_ns;
	unsigned steps;
	char boot_id[GS_CLOCK_BOOT_ID_LEN];
};

/* ------------------------------------------------------------------ */
/* The system source                                                   */

bool gs_clock_system_synced(const char *flag_path)
{
	struct timex tx;
	int state;

	/* modes = 0 only reads, which needs no privilege. */
	memset(&tx, 0, sizeof(tx));
	state = adjtimex(&tx);
	if (state >= 0 && state != TIME_ERROR && !(tx.status & STA_UNSYNC))
		return true;
	/* timesyncd keeps the kernel flag too, but a container or a
	 * kernel without NTP support may not pass it on; the flag file lives
	 * in /run, a tmpfs, so it speaks of this boot only. */
	return access(flag_path ? flag_path : GS_CLOCK_TIMESYNC_FLAG, F_OK) ==
	       0;
}

static bool gs_system_is_synced(void *ctx)
{
	const struct gs_clock *clk = ctx;

	return gs_clock_system_synced(clk->flag_path);
}

static const struct gs_clock_source gs_system_source = {
    .now_realtime_ns = gs_clock_read_realtime_ns,
    .now_monotonic_ns = gs_clock_read_monotonic_ns,
    .is_synced = gs_system_is_synced,
};

/* ------------------------------------------------------------------ */

/* realtime - monotonic, through the clock's source. */
static int64_t gs_clock_measure(const struct gs_clock *clk)
{
	return gs_clock_offset_measure(clk->src->now_realtime_ns,
	                               clk->src->now_monotonic_ns,
	                               clk->src_ctx);
}

static void gs_format_step(int64_t ns, char *buf, size_t len)
{
	int64_t ms = ns / GS_NS_PER_MS;
	char d[32];

	gs_duration_format(ms < 0 ? -ms : ms, d, sizeof(d));
	snprintf(buf, len, "%s%s", ms < 0 ? "-" : "+", d);
}

/* Re-reads offset and sync state; stepped: the kernel said it was set. */
static unsigned gs_clock_update(struct gs_clock *clk)
{
	int64_t offset = gs_clock_measure(clk);
	int64_t delta = offset - clk->offset_ns;
	unsigned changes = 0;
	char step[48];

	if (delta > GS_CLOCK_STEP_NS || delta < -GS_CLOCK_STEP_NS) {
		clk->offset_ns = offset;
		clk->last_step_ns = delta;
		clk->steps++;
		changes |= GS_CLOCK_STEPPED;
		gs_format_step(delta, step, sizeof(step));
		gs_log(GS_LOG_NOTICE, "clock: system clock stepped by %s",
		       step);
	}
	if (!clk->synced && clk->src->is_synced(clk->src_ctx)) {
		/* From now on the offset is the true one (to the noise of a
		 * measurement, below GS_CLOCK_STEP_NS). */
		clk->offset_ns = offset;
		clk->synced = true;
		changes |= GS_CLOCK_SYNCED;
		gs_log(GS_LOG_NOTICE, "clock: system clock synchronised");
	}
	return changes;
}

/*
 * Arms the timerfd at the end of time so that it never expires and only
 * a clock set cancels it. Some 32-bit kernels refuse a time_t max:
 * fall back to 2038.
 */
static int gs_clock_arm(struct gs_clock *clk)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec =
	    (time_t)((sizeof(time_t) == 8) ? INT64_MAX : INT32_MAX);
	if (timerfd_settime(clk->tfd,
	                    TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its,
	                    NULL) == 0)
		return GS_OK;
	if (errno == EINVAL) {
		its.it_value.tv_sec = INT32_MAX;
		if (timerfd_settime(clk->tfd,
		                    TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
		                    &its, NULL) == 0)
			return GS_OK;
	}
	gs_log(GS_LOG_ERR, "clock: cannot arm the clock-change timer: %s",
	       strerror(errno));
	return GS_ESYS;
}

/* The boot id, with a log line naming the file when it cannot be had. */
static int gs_clock_read_boot_id(struct gs_clock *clk, const char *path)
{
	int rc = gs_boot_id_read(path, clk->boot_id);

	if (rc == GS_EINVAL)
		gs_log(GS_LOG_ERR, "clock: %s does not hold a boot id", path);
	else if (rc)
		gs_log(GS_LOG_ERR, "clock: cannot read %s: %s", path,
		       strerror(errno));
	return rc;
}

int gs_clock_new(const struct gs_clock_opts *opts, struct gs_clock **out)
{
	const struct gs_clock_opts none = {0};
	struct gs_clock *clk;
	int rc;

	if (!opts)
		opts = &none;
	clk = calloc(1, sizeof(*clk));
	if (!clk) {
		gs_log(GS_LOG_ERR, "clock: out of memory");
		return GS_ENOMEM;
	}
	if (opts->source) {
		clk->src = opts->source;
		clk->src_ctx = opts->source_ctx;
	} else {
		clk->src = &gs_system_source;
		clk->src_ctx = clk;
	}
	snprintf(clk->flag_path, sizeof(clk->flag_path), "%s",
	         opts->timesync_flag_path ? opts->timesync_flag_path
	                                  : GS_CLOCK_TIMESYNC_FLAG);

	rc = gs_clock_read_boot_id(clk, opts->boot_id_path
	                                    ? opts->boot_id_path
	                                    : GS_CLOCK_BOOT_ID_PATH);
	if (rc != GS_OK)
		goto err_free;

	clk->tfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (clk->tfd < 0) {
		gs_log(GS_LOG_ERR, "clock: timerfd_create: %s",
		       strerror(errno));
		rc = GS_ESYS;
		goto err_free;
	}
	rc = gs_clock_arm(clk);
	if (rc != GS_OK)
		goto err_close;

	/* Arm first, measure second: a step in between is then seen. */
	clk->offset_ns = gs_clock_measure(clk);
	clk->synced = clk->src->is_synced(clk->src_ctx);
	if (!clk->synced)
		gs_log(GS_LOG_NOTICE,
		       "clock: system clock not synchronised yet");
	*out = clk;
	return GS_OK;

err_close:
	close(clk->tfd);
err_free:
	free(clk);
	return rc;
}

void gs_clock_free(struct gs_clock *clk)
{
	if (!clk)
		return;
	close(clk->tfd);
	free(clk);
}

int gs_clock_fd(const struct gs_clock *clk)
{
	return clk->tfd;
}

unsigned gs_clock_handle(struct gs_clock *clk)
{
	uint64_t expirations;
	ssize_t n = read(clk->tfd, &expirations, sizeof(expirations));

	if (n >= 0) {
		/* Expired at the end of time: cannot happen; re-arm. */
		gs_clock_arm(clk);
		return gs_clock_update(clk);
	}
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	if (errno != ECANCELED) {
		gs_log(GS_LOG_ERR, "clock: reading the clock-change timer: %s",
		       strerror(errno));
		return 0;
	}
	/* The clock was set. The timer stays cancelled until re-armed. */
	gs_clock_arm(clk);
	return gs_clock_update(clk);
}

unsigned gs_clock_poll(struct gs_clock *clk)
{
	return gs_clock_update(clk);
}

bool gs_clock_synced(const struct gs_clock *clk)
{
	return clk->synced;
}

int64_t gs_clock_offset_ns(const struct gs_clock *clk)
{
	return clk->offset_ns;
}

int64_t gs_clock_last_step_ns(const struct gs_clock *clk)
{
	return clk->last_step_ns;
}

unsigned gs_clock_steps(const struct gs_clock *clk)
{
	return clk->steps;
}

int64_t gs_clock_to_realtime_ms(const struct gs_clock *clk, int64_t mono_ns)
{
	return gs_floor_div(mono_ns + clk->offset_ns, GS_NS_PER_MS);
}

int64_t gs_clock_now_ms(const struct gs_clock *clk)
{
	return gs_floor_div(clk->src->now_realtime_ns(clk->src_ctx),
	                    GS_NS_PER_MS);
}

int64_t gs_clock_mono_ns(const struct gs_clock *clk)
{
	return clk->src->now_monotonic_ns(clk->src_ctx);
}

const char *gs_clock_boot_id(const struct gs_clock *clk)
{
	return clk->boot_id;
}
