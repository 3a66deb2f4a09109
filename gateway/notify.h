/* SPDX-License-Identifier: MIT */
/*
 * Telling the service manager how the daemon is doing: the notification
 * protocol of sd_notify(3), spoken directly.
 *
 * The protocol is one datagram of "KEY=VALUE" lines to the AF_UNIX socket
 * named by $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace);
 * systemd documents it as stable and gives a standalone implementation of
 * it in sd_notify(3) for programs that would rather not link libsystemd.
 * gapsense is such a program: libsystemd and the six libraries it pulls in
 * on Debian 12 cost about 1 MiB of resident memory for these few lines
 * (docs/performance.md has the figures).
 *
 * Without $NOTIFY_SOCKET (not started by systemd, or not Type=notify)
 * every call does nothing and says so by returning 0.
 */
#ifndef GS_NOTIFY_H
#define GS_NOTIFY_H

#include <stdint.h>

/*
 * Sends STATE ("READY=1", "WATCHDOG=1", "STATUS=...": one or more lines)
 * to the service manager. Returns 1 when sent, 0 when there is no service
 * manager to tell, a negative errno when the socket cannot be used.
 */
int gs_notify(const char *state);

/* gs_notify() of a printf-formatted state, at most 1 KiB long. */
int gs_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The watchdog interval the service manager expects of this process
 * (WatchdogSec=, from $WATCHDOG_USEC), in microseconds: 0 when there is no
 * watchdog, or when $WATCHDOG_PID names another process (a child that
 * inherited the environment is not the one being watched).
 */
uint64_t gs_notify_watchdog_usec(void);

#endif
