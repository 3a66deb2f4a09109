/* SPDX-License-Identifier: MIT */
/*
 * A growable FIFO of (time, value) pairs: the engine's trailing windows
 * and queue entries, the simulator's waiting customers. Inline: it is on
 * every event's path.
 *
 * A zeroed struct gs_ring is an empty ring. It owns buf, which
 * gs_ring_push() allocates and grows (doubling, so cap stays a power of
 * two); free(r->buf) releases it.
 */
#ifndef GS_RING_H
#define GS_RING_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

struct gs_ring_item {
	int64_t t;
	int64_t v;
};

struct gs_ring {
	struct gs_ring_item *buf;
	size_t cap; /* 0 or a power of two */
	size_t head;
	size_t len;
};

/* Appends (t, v); 0, or -1 when memory is short (the ring is unchanged). */
static inline int gs_ring_push(struct gs_ring *r, int64_t t, int64_t v)
{
	if (r->len == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 16;
		struct gs_ring_item *nb = malloc(ncap * sizeof(*nb));

		if (!nb)
			return -1;
		/* Unwrap into the new buffer so head starts at 0. */
		for (size_t i = 0; i < r->len; i++)
			nb[i] = r->buf[(r->head + i) & (r->cap - 1)];
		free(r->buf);
		r->buf = nb;
		r->cap = ncap;
		r->head = 0;
	}
	r->buf[(r->head + r->len) & (r->cap - 1)] =
	    (struct gs_ring_item){.t = t, .v = v};
	r->len++;
	return 0;
}

/* The oldest item, or NULL when the ring is empty. */
static inline const struct gs_ring_item *gs_ring_front(const struct gs_ring *r)
{
	return r->len ? &r->buf[r->head] : NULL;
}

/* The i-th oldest item; i < len. */
static inline const struct gs_ring_item *gs_ring_at(const struct gs_ring *r,
                                                    size_t i)
{
	return &r->buf[(r->head + i) & (r->cap - 1)];
}

/* Drops the oldest item; the ring must not be empty. */
static inline void gs_ring_pop(struct gs_ring *r)
{
	r->head = (r->head + 1) & (r->cap - 1);
	r->len--;
}

#endif
