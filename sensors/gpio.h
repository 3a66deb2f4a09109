/* SPDX-License-Identifier: MIT */
/*
 * The libgpiod backend: requests every configured line with both-edge
 * events, bias, active-low and debounce, and reads edge events in batches
 * from the request fds. Built against libgpiod 1.6 (gpio_v1.c) or 2.x
 * (gpio_v2.c), chosen at configure time; both present this one interface.
 */
#ifndef GS_GPIO_H
#define GS_GPIO_H

#include "gateway/config.h"
#include "sensors/backend.h"

/*
 * Opens every chip and requests every line of cfg. Problems (no such chip,
 * line busy, permission denied: join group "gpio") go to diag naming the
 * sensor and its config line; returns 0 or the first GS_E*. cfg must
 * outlive the backend.
 */
int gs_gpio_backend_new(const struct gs_config *cfg, const char *consumer,
			struct gs_diag *diag, struct gs_backend **out);

/* Consumer names: the daemon's, and the wiring view's. A line held by
 * one of them gets a message saying which to stop. */
#define GS_GPIO_CONSUMER_DAEMON "gapsense"
#define GS_GPIO_CONSUMER_WIRING "gapsense-wiring"

/* "1.6.3" or "2.1.3": the libgpiod the backend was built against. */
const char *gs_gpio_api_version(void);

#endif
