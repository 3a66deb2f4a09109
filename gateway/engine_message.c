/* SPDX-License-Identifier: MIT */
/*
 * The metrics message of a window (docs/metrics.md): the window summed over
 * its sensors, exactly, then one builder per section of the message, in
 * the order the message shows them. Also where every message the engine
 * makes leaves it (gs_eng_publish()).
 */
#include "gateway/engine_priv.h"
#include "gateway/frac.h"
#include "gateway/metrics.h"
#include "gateway/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * Button weight times 12: weights are 100 * b / (n - 1), and 12 is the
 * least common multiple of n - 1 for n = 3..5, so a sum of weights stays
 * an exact integer.
 */
static int64_t button_weight12(unsigned n_buttons, unsigned b)
{
	return (int64_t)(1200 * b / (n_buttons - 1));
}

void gs_eng_publish(struct gs_engine *eng, enum gs_msg_kind kind, int64_t t,
                    int64_t window_start, cJSON *root, struct gs_jb *j)
{
	if (j->fail || !root) {
		cJSON_Delete(root);
		gs_complain(&eng->no_memory, GS_LOG_ERR,
		            "engine: out of memory building a %s message; "
		            "it is lost",
		            gs_msg_kind_suffix(kind));
		return;
	}
	if (kind == GS_MSG_ALERT)
		gs_day_add_alert(eng->day, cJSON_GetStringValue(
		                               cJSON_GetObjectItemCaseSensitive(
		                                   root, "type")));
	eng->sink.publish(eng->ctx, kind, t, window_start, root);
}

/* ---- the metrics message ---------------------------------------------- */

static struct gs_frac index_of(const struct gs_eng_sensor *s)
{
	int64_t sum12 = 0;

	for (unsigned b = 0; b < s->n_buttons; b++)
		sum12 += s->counts[b] * button_weight12(s->n_buttons, b);
	return gs_frac_of(sum12, 12 * s->responses);
}

static void add_sensor(struct gs_engine *eng, struct gs_jb *j, cJSON *sensors,
                       struct gs_eng_sensor *s, const struct gs_wait_stats *w)
{
	const struct gs_sensor_cfg *sc = s->cfg;
	cJSON *o = gs_jb_obj(j, sensors, sc->name);
	struct gs_frac idx;

	gs_jb_str(j, o, "type", gs_sensor_type_name(sc->type));
	switch (sc->type) {
	case GS_SENSOR_BEAM_PAIR:
		gs_jb_int(j, o, "in", s->in);
		gs_jb_int(j, o, "out", s->out);
		break;
	case GS_SENSOR_PULSE:
		gs_jb_int(j, o, "pulses", s->pulses + s->in + s->out);
		gs_jb_int(j, o, "in", s->in);
		gs_jb_int(j, o, "out", s->out);
		break;
	case GS_SENSOR_QUEUE:
		gs_jb_int(j, o, "joined", s->joined);
		gs_jb_int(j, o, "served", s->served);
		gs_jb_int(j, o, "abandoned", s->abandoned);
		gs_jb_int(j, o, "length", (int64_t)s->fifo.len);
		gs_jb_int(j, o, "length_max", s->len_max);
		gs_jb_int(j, o, "waits", w->n);
		gs_wait_fields_add(j, o, w, true);
		gs_jb_dec(j, o, "target_wait_s", gs_ms_dec(sc->target_wait_ms));
		gs_jb_frac(j, o, "service_level_pct",
		           gs_frac_of(100 * w->ok, w->n));
		break;
	case GS_SENSOR_SMILEY:
	case GS_SENSOR_STAFF:
		gs_jb_int(j, o, "buttons", s->n_buttons);
		gs_jb_int(j, o, "responses", s->responses);
		gs_jb_int(j, o, "misuse", s->misuse);
		gs_counts_add(j, o, s->n_buttons, s->counts);
		idx = index_of(s);
		if (sc->type == GS_SENSOR_SMILEY &&
		    s->responses < (int64_t)eng->cfg.min_responses)
			idx = gs_frac_null;
		gs_jb_frac(j, o, "index", idx);
		break;
	default:
		break;
	}
	gs_jb_bool(j, o, "faulted", s->fault_mask != 0);
	gs_jb_int(j, o, "faults", s->faults);
}

/* The open window summed over its sensors, and what follows from that. */
struct win_sum {
	struct gs_wait_stats qw[GS_MAX_SENSORS]; /* each queue sensor's waits */
	struct gs_wait_stats site_w;             /* every queue's waits */
	int64_t in, out, joined, served, abandoned;
	int64_t responses, misuse, counts[GS_MAX_BUTTONS];
	int64_t sum12, st_sum12, st_resp, site_ok;
	int64_t first_target; /* the first queue's target wait; -1 none */
	struct gs_frac fb_index, st_index, actual;
	enum gs_quadrant quadrant;
};

/* Queue sensor i's waits; every wait also goes into eng->scratch. */
static void sum_queue(struct gs_engine *eng, struct gs_jb *j, struct win_sum *w,
                      unsigned i)
{
	struct gs_eng_sensor *s = &eng->s[i];

	w->joined += s->joined;
	w->served += s->served;
	w->abandoned += s->abandoned;
	if (w->first_target < 0)
		w->first_target = s->cfg->target_wait_ms;
	gs_wait_stats(s->waits.v, s->waits.len, &w->qw[i]);
	w->qw[i].ok = 0;
	for (size_t k = 0; k < s->waits.len; k++) {
		if (s->waits.v[k] <= s->cfg->target_wait_ms)
			w->qw[i].ok++;
		if (gs_vec_push(&eng->scratch, s->waits.v[k]))
			j->fail = true;
	}
	w->site_ok += w->qw[i].ok;
}

static void window_sum(struct gs_engine *eng, struct gs_jb *j,
                       struct win_sum *w)
{
	eng->scratch.len = 0;
	for (unsigned i = 0; i < eng->cfg.n_sensors; i++) {
		struct gs_eng_sensor *s = &eng->s[i];

		switch (s->cfg->type) {
		case GS_SENSOR_BEAM_PAIR:
		case GS_SENSOR_PULSE:
			w->in += s->in;
			w->out += s->out;
			break;
		case GS_SENSOR_QUEUE:
			sum_queue(eng, j, w, i);
			break;
		case GS_SENSOR_SMILEY:
			w->responses += s->responses;
			w->misuse += s->misuse;
			for (unsigned b = 0; b < s->n_buttons; b++) {
				w->counts[b] += s->counts[b];
				w->sum12 += s->counts[b] *
				            button_weight12(s->n_buttons, b);
			}
			break;
		case GS_SENSOR_STAFF:
			w->st_resp += s->responses;
			for (unsigned b = 0; b < s->n_buttons; b++)
				w->st_sum12 += s->counts[b] *
				               button_weight12(s->n_buttons, b);
			break;
		default:
			break;
		}
	}
	gs_wait_stats(eng->scratch.v, eng->scratch.len, &w->site_w);
	w->site_w.ok = w->site_ok;

	w->fb_index =
	    w->responses >= (int64_t)eng->cfg.min_responses && w->responses > 0
	        ? gs_frac_of(w->sum12, 12 * w->responses)
	        : gs_frac_null;
	w->st_index = w->st_resp >= 1 ? gs_frac_of(w->st_sum12, 12 * w->st_resp)
	                              : gs_frac_null;
	w->actual = eng->n_queue ? gs_frac_of(100 * w->site_w.ok, w->site_w.n)
	                         : gs_frac_null;
	w->quadrant =
	    gs_quadrant_of(w->fb_index, w->actual, eng->cfg.gap_threshold);
}

/* The window into the day's rollup. */
static void day_add(struct gs_engine *eng, struct gs_jb *j,
                    const struct win_sum *w)
{
	struct gs_day_window dw = {.clock_synced = eng->win_synced,
	                           .in = w->in,
	                           .out = w->out,
	                           .joined = w->joined,
	                           .served = w->served,
	                           .abandoned = w->abandoned,
	                           .len_max = eng->site_len_max,
	                           .waits = eng->scratch.v,
	                           .n_waits = eng->scratch.len,
	                           .waits_ok = w->site_ok,
	                           .responses = w->responses,
	                           .misuse = w->misuse,
	                           .sum12 = w->sum12,
	                           .st_responses = w->st_resp,
	                           .st_sum12 = w->st_sum12,
	                           .quadrant = w->quadrant};

	memcpy(dw.counts, w->counts, sizeof(w->counts));
	if (gs_day_add_window(eng->day, &dw))
		j->fail = true;
}

static void add_header(struct gs_engine *eng, struct gs_jb *j, cJSON *root)
{
	gs_jb_str(j, root, "schema", "gapsense.metrics.v1");
	gs_jb_str(j, root, "site", eng->cfg.site);
	gs_jb_str(j, root, "gateway", eng->cfg.gateway_id);
	gs_jb_int(j, root, "seq", 0);
	gs_jb_time(j, root, "window_start", eng->win_start, false);
	gs_jb_time(j, root, "window_end", eng->win_end, false);
	gs_jb_int(j, root, "window_s", eng->cfg.window_ms / GS_MS_PER_S);
	gs_jb_bool(j, root, "clock_synced", eng->win_synced);
	gs_jb_bool(j, root, "historical", false);
}

static void add_footfall(struct gs_engine *eng, struct gs_jb *j, cJSON *root,
                         const struct win_sum *w)
{
	cJSON *o = gs_jb_obj(j, root, "footfall");

	gs_jb_int(j, o, "in", w->in);
	gs_jb_int(j, o, "out", w->out);
	gs_jb_int(j, o, "occupancy", eng->occupancy);
}

static void add_queue(struct gs_engine *eng, struct gs_jb *j, cJSON *root,
                      const struct win_sum *w)
{
	cJSON *o = gs_jb_obj(j, root, "queue");

	gs_jb_int(j, o, "joined", w->joined);
	gs_jb_int(j, o, "served", w->served);
	gs_jb_int(j, o, "abandoned", w->abandoned);
	gs_jb_int(j, o, "length_max", eng->site_len_max);
	gs_wait_fields_add(j, o, &w->site_w, eng->n_queue > 0);
	gs_jb_dec(j, o, "target_wait_s",
	          w->first_target >= 0 ? gs_ms_dec(w->first_target) : NAN);
	gs_jb_frac(j, o, "service_level_pct", w->actual);
}

void gs_eng_window_publish(struct gs_engine *eng, int64_t t)
{
	struct win_sum w = {.first_target = -1};
	struct gs_jb j = {false};
	cJSON *root, *sensors;

	window_sum(eng, &j, &w);
	day_add(eng, &j, &w);

	root = cJSON_CreateObject();
	if (!root)
		j.fail = true;
	add_header(eng, &j, root);
	add_footfall(eng, &j, root, &w);
	add_queue(eng, &j, root, &w);
	gs_feedback_add(&j, root, w.responses, w.misuse, eng->smiley_buttons,
	                w.counts, w.fb_index, w.in);
	gs_staff_add(&j, root, w.st_resp, w.st_index);
	gs_gap_add(&j, root, w.fb_index, w.actual, w.st_index,
	           eng->cfg.gap_threshold);
	sensors = gs_jb_obj(&j, root, "sensors");
	for (unsigned i = 0; i < eng->cfg.n_sensors; i++)
		add_sensor(eng, &j, sensors, &eng->s[i], &w.qw[i]);

	gs_eng_publish(eng, GS_MSG_METRICS, t, eng->win_start, root, &j);
}
