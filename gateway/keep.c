/* SPDX-License-Identifier: MIT */
#include "gateway/keep.h"

#include <stdlib.h>
#include <string.h>

struct gs_keep {
	size_t max, head, n; /* ring of max slots */
	struct gs_kept *ring;
};

struct gs_keep *gs_keep_new(size_t max)
{
	struct gs_keep *k = calloc(1, sizeof(*k));

	if (!k || max == 0)
		goto err_free;
	k->ring = calloc(max, sizeof(*k->ring));
	if (!k->ring)
		goto err_free;
	k->max = max;
	return k;

err_free:
	free(k);
	return NULL;
}

static void gs_kept_clear(struct gs_kept *m)
{
	free(m->topic);
	cJSON_Delete(m->payload);
	m->topic = NULL;
	m->payload = NULL;
}

static void gs_keep_pop(struct gs_keep *k)
{
	gs_kept_clear(&k->ring[k->head]);
	k->head = (k->head + 1) % k->max;
	k->n--;
}

void gs_keep_free(struct gs_keep *k)
{
	if (!k)
		return;
	while (k->n > 0)
		gs_keep_pop(k);
	free(k->ring);
	free(k);
}

size_t gs_keep_count(const struct gs_keep *k)
{
	return k ? k->n : 0;
}

bool gs_keep_push(struct gs_keep *k, enum gs_msg_kind kind, const char *topic,
                  int64_t t_ms, int64_t window_start_ms, cJSON *payload,
                  struct gs_kept *dropped)
{
	struct gs_kept m = {.kind = kind,
	                    .t_ms = t_ms,
	                    .window_start_ms = window_start_ms,
	                    .topic = strdup(topic),
	                    .payload = payload};
	bool lost = false;

	if (!m.topic) {
		cJSON_Delete(payload);
		*dropped = m;
		dropped->topic = NULL;
		dropped->payload = NULL;
		return true;
	}
	if (k->n == k->max) {
		*dropped = k->ring[k->head];
		dropped->topic = NULL;
		dropped->payload = NULL;
		gs_keep_pop(k);
		lost = true;
	}
	k->ring[(k->head + k->n) % k->max] = m;
	k->n++;
	return lost;
}

size_t gs_keep_flush(struct gs_keep *k, gs_keep_store_fn fn, void *ctx)
{
	size_t done = 0;

	while (k && k->n > 0 && fn(ctx, &k->ring[k->head]) == 0) {
		gs_keep_pop(k);
		done++;
	}
	return done;
}

void gs_keep_each(struct gs_keep *k, gs_keep_each_fn fn, void *ctx)
{
	for (size_t i = 0; k && i < k->n; i++)
		if (fn(ctx, &k->ring[(k->head + i) % k->max]) != 0)
			return;
}

bool gs_keep_delivered(struct gs_keep *k, uint64_t seq)
{
	for (size_t i = 0; k && seq && i < k->n; i++) {
		struct gs_kept *m = &k->ring[(k->head + i) % k->max];

		if (m->seq == seq) {
			m->delivered = true;
			return true;
		}
	}
	return false;
}

void gs_keep_drain(struct gs_keep *k,
                   void (*fn)(void *ctx, const struct gs_kept *msg), void *ctx)
{
	while (k && k->n > 0) {
		if (fn)
			fn(ctx, &k->ring[k->head]);
		gs_keep_pop(k);
	}
}
