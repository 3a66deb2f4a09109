/* SPDX-License-Identifier: MIT */
/*
 * Sensor backends yield raw edges for the configured sensors: the libgpiod
 * backend from the kernel, the simulated store from a model of a shop, the
 * scenario reader from a CSV file. Each is a table of function pointers
 * filled with designated initialisers, in the manner of fluent-bit's input
 * plugins; the event loop polls the fds a backend exposes and calls read()
 * when one is readable.
 */
#ifndef GS_BACKEND_H
#define GS_BACKEND_H

#include "gateway/config.h"
#include "gateway/event.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gs_backend;

struct gs_backend_ops {
	const char *name;
	/*
	 * Called with an fd from fds() that is readable. Writes up to max
	 * edges in non-decreasing t_ms, sets *n, and sets *horizon_ms to a
	 * time up to which the backend promises no further edge (at least the
	 * last edge's time). Returns 0, GS_E* on a fatal error, and sets
	 * *eof when the source is exhausted (scenario end, simulation end).
	 */
	int (*read)(struct gs_backend *be, int fd, struct gs_edge *edges,
	            size_t max, size_t *n, int64_t *horizon_ms, bool *eof);
	/* Fills up to max fds to poll for reading; returns how many. */
	size_t (*fds)(struct gs_backend *be, int *fds, size_t max);
	/* Current logical level of a line, for the wiring view; -1 unknown. */
	int (*line_state)(struct gs_backend *be, unsigned sensor,
	                  unsigned input);
	void (*free)(struct gs_backend *be);
};

struct gs_backend {
	const struct gs_backend_ops *ops;
	void *priv;
};

/* NULL-safe. */
static inline void gs_backend_free(struct gs_backend *be)
{
	if (be && be->ops && be->ops->free)
		be->ops->free(be);
}

#endif
