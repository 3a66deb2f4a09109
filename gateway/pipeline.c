/* SPDX-License-Identifier: MIT */
/* The pipeline: decode stage and engine behind one object (pipeline.h). */
#include "gateway/pipeline.h"
#include "gateway/clock.h"
#include "gateway/err.h"
#include "gateway/timeutil.h"
#include "sensors/decode.h"

#include <stdlib.h>

struct gs_pipeline {
	const struct gs_config *cfg; /* borrowed */
	struct gs_clock *clock;      /* borrowed; NULL outside run mode */
	const struct gs_engine_sink *sink;
	void *sink_ctx;
	struct gs_decode *decode;
	struct gs_engine *engine;
};

/* The decode stage's events go to the engine, which hands them to the
 * sink once it has placed them in time. */
static void gs_pipeline_on_decoded(void *ctx, const struct gs_event *ev)
{
	struct gs_pipeline *p = ctx;

	gs_engine_event(p->engine, ev);
}

/* A new engine (stamped with the clock's sync state) and decode stage
 * for p's configuration; the engine first, as it sets TZ. */
static int gs_pipeline_make(const struct gs_pipeline *p, struct gs_engine **eng,
                            struct gs_decode **dec)
{
	*eng = gs_engine_new(p->cfg, p->sink, p->sink_ctx);
	if (!*eng)
		return GS_ECONFIG;
	if (p->clock)
		gs_engine_set_clock_synced(*eng, gs_clock_synced(p->clock));
	/* The decode stage's events find the engine through p: a restart
	 * swaps both at once. */
	*dec = gs_decode_new(p->cfg, gs_pipeline_on_decoded, (void *)p);
	if (!*dec)
		goto err_free_engine;
	return GS_OK;

err_free_engine:
	gs_engine_free(*eng);
	*eng = NULL;
	return GS_ENOMEM;
}

int gs_pipeline_new(const struct gs_config *cfg, struct gs_clock *clock,
                    const struct gs_engine_sink *sink, void *sink_ctx,
                    struct gs_pipeline **out)
{
	struct gs_pipeline *p = calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if (!p)
		return GS_ENOMEM;
	p->cfg = cfg;
	p->clock = clock;
	p->sink = sink;
	p->sink_ctx = sink_ctx;
	rc = gs_pipeline_make(p, &p->engine, &p->decode);
	if (rc)
		goto err_free;
	*out = p;
	return GS_OK;

err_free:
	free(p);
	return rc;
}

void gs_pipeline_free(struct gs_pipeline *p)
{
	if (!p)
		return;
	gs_decode_free(p->decode);
	gs_engine_free(p->engine);
	free(p);
}

/*
 * The engine may go as far as the decode stage has settled. In run mode it
 * trails the clock by grace_ms, so a window closes only once edges read a
 * little late (a slow SD card commit held the loop) are in; events
 * themselves move the engine at once, so their alerts do not wait.
 */
static void gs_pipeline_settle(struct gs_pipeline *p, int64_t grace_ms)
{
	int64_t settled = gs_decode_settled(p->decode);

	if (settled == INT64_MIN)
		return;
	if (p->clock) {
		int64_t closing = gs_clock_now_ms(p->clock) - grace_ms;

		if (settled > closing)
			settled = closing;
	}
	gs_engine_advance(p->engine, settled);
}

void gs_pipeline_feed(struct gs_pipeline *p, const struct gs_edge *edges,
                      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		gs_decode_push(p->decode, &edges[i]);
		gs_pipeline_settle(p, p->cfg->grace_ms);
	}
}

void gs_pipeline_advance(struct gs_pipeline *p, int64_t now_ms)
{
	gs_decode_advance(p->decode, now_ms);
	gs_pipeline_settle(p, p->cfg->grace_ms);
}

int64_t gs_pipeline_next_deadline(const struct gs_pipeline *p)
{
	int64_t next = gs_decode_next_deadline(p->decode);
	int64_t eng = gs_engine_next_deadline(p->engine);
	int64_t grace = p->clock ? p->cfg->grace_ms : 0;

	if (eng != GS_TIME_NONE && eng + grace < next)
		next = eng + grace;
	return next;
}

void gs_pipeline_finish(struct gs_pipeline *p, int64_t last_ms)
{
	gs_decode_finish(p->decode, last_ms);
	gs_engine_finish(p->engine, last_ms);
}

int gs_pipeline_restart(struct gs_pipeline *p, int64_t last_ms)
{
	struct gs_engine *eng;
	struct gs_decode *dec;
	int rc;

	rc = gs_pipeline_make(p, &eng, &dec);
	if (rc)
		return rc;
	gs_pipeline_finish(p, last_ms);
	gs_decode_free(p->decode);
	gs_engine_free(p->engine);
	p->engine = eng;
	p->decode = dec;
	return GS_OK;
}

int gs_pipeline_carry(struct gs_pipeline *p, struct gs_pipeline *old,
                      int64_t now_ms)
{
	/* Nothing due after the reload instant is raised by old. */
	gs_decode_finish(old->decode, now_ms);
	gs_pipeline_settle(old, p->cfg->grace_ms);
	if (old->cfg->window_ms != p->cfg->window_ms)
		gs_engine_finish(old->engine, now_ms);
	return gs_engine_carry(p->engine, old->engine);
}

void gs_pipeline_restore_event(struct gs_pipeline *p, const struct gs_event *ev)
{
	gs_engine_event(p->engine, ev);
}

void gs_pipeline_restore_end(struct gs_pipeline *p, int64_t now_ms)
{
	gs_engine_advance(p->engine, now_ms);
}

void gs_pipeline_set_clock_synced(struct gs_pipeline *p, bool synced)
{
	gs_engine_set_clock_synced(p->engine, synced);
}

enum gs_output_state gs_pipeline_output(const struct gs_pipeline *p,
                                        unsigned output)
{
	return gs_engine_output(p->engine, output);
}

int64_t gs_pipeline_occupancy(const struct gs_pipeline *p)
{
	return gs_engine_occupancy(p->engine);
}

bool gs_pipeline_sensor_faulted(const struct gs_pipeline *p, unsigned sensor)
{
	return gs_decode_sensor_faulted(p->decode, sensor);
}
