/* SPDX-License-Identifier: MIT */
/*
 * The event loop: one thread, one epoll set. Everything the daemon does
 * happens in a callback from gs_loop_run(): sensor fds, timerfds, the
 * signalfd, and the eventfd through which Paho's threads hand work over.
 * Like redis' ae.c it does little on purpose; timers are timerfds owned by
 * whoever needs them, so the loop has no timer heap to keep right.
 */
#ifndef GS_LOOP_H
#define GS_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct gs_loop;

/* events: EPOLLIN etc. as reported by epoll. */
typedef void (*gs_loop_fn)(void *ctx, int fd, uint32_t events);

/* Returns NULL and logs on failure. */
struct gs_loop *gs_loop_new(void);
/* NULL-safe. Does not close registered fds: their owners do. */
void gs_loop_free(struct gs_loop *loop);

/* Watches fd for EPOLLIN. Returns 0 or GS_E*. */
int gs_loop_add(struct gs_loop *loop, int fd, gs_loop_fn fn, void *ctx);
/* Stops watching fd; safe to call from that fd's own callback. */
void gs_loop_del(struct gs_loop *loop, int fd);

/* Dispatches until gs_loop_stop(). Returns 0 or GS_ESYS. */
int gs_loop_run(struct gs_loop *loop);
void gs_loop_stop(struct gs_loop *loop);
bool gs_loop_stopped(const struct gs_loop *loop);

/*
 * timerfd helpers. A CLOCK_MONOTONIC timer, non-blocking, close-on-exec.
 * arm_ms() fires once after delay_ms (at once if delay_ms <= 0); drain()
 * consumes an expiry (ignores EAGAIN).
 */
int gs_timerfd_new(void);
int gs_timerfd_arm_ms(int fd, int64_t delay_ms);
int gs_timerfd_disarm(int fd);
int gs_timerfd_arm_periodic_ms(int fd, int64_t period_ms);
void gs_timerfd_drain(int fd);

#endif
