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

#include <stdbool.h>

/*
 * Opens every chip and requests every line of cfg. Problems (no such chip,
 * line busy, permission denied: join group "gpio") go to diag naming the
 * sensor and its config line; returns 0 or the first GS_E*. cfg must
 * outlive the backend.
 */
int gs_gpio_backend_new(const struct gs_config *cfg, const char *consumer,
                        struct gs_diag *diag, struct gs_backend **out);

/*
 * Alert outputs (config [output "NAME"]): every output line of cfg
 * requested as an output, driven to its inactive level (off) at once.
 * Problems go to diag as "FILE:LINE: output 'NAME': ...", the same messages
 * as for sensors (no such chip or line, busy, permission). Returns 0 or the
 * first GS_E*; with no outputs configured, 0 and an object that does
 * nothing. cfg must outlive the object.
 */
struct gs_gpio_outputs;

int gs_gpio_outputs_new(const struct gs_config *cfg, const char *consumer,
                        struct gs_diag *diag, struct gs_gpio_outputs **out);
/* Drives output (an index into cfg->outputs) on or off: the logical
 * level, active_low applied by libgpiod. Returns 0, GS_EINVAL for no such
 * output, or GS_EGPIO (errno is logged, rate-limited). */
int gs_gpio_outputs_set(struct gs_gpio_outputs *o, unsigned output, bool on);
/* The level last driven, -1 unknown or not requested. */
int gs_gpio_outputs_get(const struct gs_gpio_outputs *o, unsigned output);
/* NULL-safe: drives every output off, then releases the lines. */
void gs_gpio_outputs_free(struct gs_gpio_outputs *o);

/* Consumer names: the daemon's, and the wiring view's. A line held by
 * one of them gets a message saying which to stop. */
#define GS_GPIO_CONSUMER_DAEMON "gapsense"
#define GS_GPIO_CONSUMER_WIRING "gapsense-wiring"

/* "1.6.3" or "2.1.3": the libgpiod the backend was built against. */
const char *gs_gpio_api_version(void);

#endif
