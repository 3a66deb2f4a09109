/* SPDX-License-Identifier: MIT */
#include "gateway/loop.h"
#include "gateway/err.h"
#include "gateway/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* Watched fds are few (sensors, a handful of timers): a small array is
 * simpler than a hash and fast enough. */
#define GS_LOOP_MAX_FDS 128
#define GS_LOOP_BATCH   32

struct gs_loop_entry {
	int fd;
	gs_loop_fn fn;
	void *ctx;
};

struct gs_loop {
	int epfd;
	bool stop;
	unsigned n;
	struct gs_loop_entry entries[GS_LOOP_MAX_FDS];
};

struct gs_loop *gs_loop_new(void)
{
	struct gs_loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		gs_log(GS_LOG_ERR, "epoll_create1: %s", strerror(errno));
		free(loop);
		return NULL;
	}
	return loop;
}

void gs_loop_free(struct gs_loop *loop)
{
	if (!loop)
		return;
	close(loop->epfd);
	free(loop);
}

int gs_loop_add(struct gs_loop *loop, int fd, gs_loop_fn fn, void *ctx)
{
	struct epoll_event ev = {.events = EPOLLIN};
	unsigned slot;

	for (slot = 0; slot < GS_LOOP_MAX_FDS; slot++)
		if (loop->entries[slot].fn == NULL)
			break;
	if (slot == GS_LOOP_MAX_FDS) {
		gs_log(GS_LOG_ERR, "event loop: more than %d fds",
		       GS_LOOP_MAX_FDS);
		return GS_ENOMEM;
	}
	/* The slot index rides in epoll's data so dispatch needs no search. */
	ev.data.u32 = slot;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		gs_log(GS_LOG_ERR, "epoll_ctl(ADD, %d): %s", fd,
		       strerror(errno));
		return GS_ESYS;
	}
	loop->entries[slot] = (struct gs_loop_entry){fd, fn, ctx};
	if (slot >= loop->n)
		loop->n = slot + 1;
	return GS_OK;
}

void gs_loop_del(struct gs_loop *loop, int fd)
{
	for (unsigned i = 0; i < loop->n; i++) {
		if (loop->entries[i].fn && loop->entries[i].fd == fd) {
			epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
			loop->entries[i] =
			    (struct gs_loop_entry){-1, NULL, NULL};
			return;
		}
	}
}

int gs_loop_run(struct gs_loop *loop)
{
	struct epoll_event evs[GS_LOOP_BATCH];

	loop->stop = false;
	while (!loop->stop) {
		int n = epoll_wait(loop->epfd, evs, GS_LOOP_BATCH, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			gs_log(GS_LOG_ERR, "epoll_wait: %s", strerror(errno));
			return GS_ESYS;
		}
		for (int i = 0; i < n && !loop->stop; i++) {
			struct gs_loop_entry *e =
			    &loop->entries[evs[i].data.u32];

			/* A callback earlier in this batch may have removed
			 * this entry. */
			if (e->fn)
				e->fn(e->ctx, e->fd, evs[i].events);
		}
	}
	return GS_OK;
}

void gs_loop_stop(struct gs_loop *loop)
{
	loop->stop = true;
}

bool gs_loop_stopped(const struct gs_loop *loop)
{
	return loop->stop;
}

int gs_timerfd_new(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0)
		gs_log(GS_LOG_ERR, "timerfd_create: %s", strerror(errno));
	return fd;
}

static int gs_timerfd_set(int fd, int64_t first_ms, int64_t period_ms)
{
	struct itimerspec its = {
	    .it_value = {.tv_sec = first_ms / 1000,
	                 .tv_nsec = (long)(first_ms % 1000) * 1000000},
	    .it_interval = {.tv_sec = period_ms / 1000,
	                    .tv_nsec = (long)(period_ms % 1000) * 1000000},
	};

	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		gs_log(GS_LOG_ERR, "timerfd_settime: %s", strerror(errno));
		return GS_ESYS;
	}
	return GS_OK;
}

int gs_timerfd_arm_ms(int fd, int64_t delay_ms)
{
	struct itimerspec its = {
	    .it_value = {.tv_sec = delay_ms / 1000,
	                 .tv_nsec = (long)(delay_ms % 1000) * 1000000},
	};

	/* A zero it_value would disarm; "due now" must still fire. */
	if (delay_ms <= 0)
		its.it_value = (struct timespec){.tv_sec = 0, .tv_nsec = 1};
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		gs_log(GS_LOG_ERR, "timerfd_settime: %s", strerror(errno));
		return GS_ESYS;
	}
	return GS_OK;
}

int gs_timerfd_disarm(int fd)
{
	return gs_timerfd_set(fd, 0, 0);
}

int gs_timerfd_arm_periodic_ms(int fd, int64_t period_ms)
{
	return gs_timerfd_set(fd, period_ms, period_ms);
}

void gs_timerfd_drain(int fd)
{
	uint64_t expirations;

	/* EAGAIN just means someone re-armed it first. */
	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		gs_log(GS_LOG_WARNING, "timerfd read: %s", strerror(errno));
}
