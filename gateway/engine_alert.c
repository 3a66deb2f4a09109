/* SPDX-License-Identifier: MIT */
/*
 * The engine's alerts (docs/metrics.md, "Alerts"): a discontent burst on a
 * smiley terminal and a high queue wait, each over its trailing window and
 * re-armed by its own rule, and a sensor line faulted or recovered. Each
 * alert is one gapsense.alert.v1 message and, for the alert outputs, one
 * gs_outputs_alert(); a condition that clears tells the outputs too.
 */
#include "gateway/frac.h"
#include "gateway/engine_priv.h"
#include "gateway/timeutil.h"

#include <math.h>

/* An alert for the outputs; a hold it starts is a new deadline. */
void gs_eng_outputs_alert(struct gs_engine *eng, int64_t t,
                          enum gs_alert_type type, unsigned sensor)
{
	gs_outputs_alert(eng->outputs, t, type, sensor);
	gs_eng_due_note(eng, gs_outputs_next_deadline(eng->outputs));
}

static unsigned sensor_index(const struct gs_engine *eng,
                             const struct gs_eng_sensor *s)
{
	return (unsigned)(s - eng->s);
}

/* A new alert; returns its details object (NULL on failure, in j). */
static cJSON *alert_new(struct gs_engine *eng, struct gs_jb *j, cJSON **root,
                        int64_t t, const char *type, const char *sensor)
{
	cJSON *o = cJSON_CreateObject();

	*root = o;
	if (!o) {
		j->fail = true;
		return NULL;
	}
	gs_jb_str(j, o, "schema", "gapsense.alert.v1");
	gs_jb_str(j, o, "site", eng->cfg.site);
	gs_jb_str(j, o, "gateway", eng->cfg.gateway_id);
	gs_jb_int(j, o, "seq", 0);
	gs_jb_time(j, o, "time", t, true);
	gs_jb_str(j, o, "type", type);
	gs_jb_str(j, o, "sensor", sensor);
	return gs_jb_obj(j, o, "details");
}

static int64_t trail_total(const struct gs_eng_sensor *s)
{
	return (int64_t)s->trail.len;
}

static bool burst_condition(const struct gs_engine *eng,
                            const struct gs_eng_sensor *s)
{
	int64_t neg = s->trail_sum, total = trail_total(s);

	return total > 0 && neg >= (int64_t)eng->cfg.burst_min &&
	       (double)neg * 100.0 >= eng->cfg.burst_share_pct * (double)total;
}

static void burst_alert(struct gs_engine *eng, struct gs_eng_sensor *s,
                        int64_t t)
{
	struct gs_jb j = {false};
	cJSON *root, *d;

	d = alert_new(eng, &j, &root, t, "discontent_burst", s->cfg->name);
	gs_jb_int(&j, d, "negative", s->trail_sum);
	gs_jb_int(&j, d, "presses", trail_total(s));
	gs_jb_frac(&j, d, "negative_pct",
	           gs_frac_of(100 * s->trail_sum, trail_total(s)));
	gs_jb_time(&j, d, "first_press", gs_ring_front(&s->trail)->t, true);
	gs_jb_dec(&j, d, "window_s", gs_ms_dec(eng->cfg.burst_window_ms));
	gs_jb_int(&j, d, "burst_min", eng->cfg.burst_min);
	gs_jb_dec(&j, d, "burst_share_pct", eng->cfg.burst_share_pct);
	gs_eng_publish(eng, GS_MSG_ALERT, t, -1, root, &j);
	gs_eng_outputs_alert(eng, t, GS_ALERT_DISCONTENT_BURST,
	                     sensor_index(eng, s));
}

/* Clarifications 13-15: evaluated whenever a press enters or leaves. */
void gs_eng_burst_eval(struct gs_engine *eng, struct gs_eng_sensor *s,
                       int64_t t)
{
	bool cond = burst_condition(eng, s);

	if (!s->armed && s->false_since != GS_TIME_NONE &&
	    t - s->false_since >= eng->cfg.burst_window_ms)
		s->armed = true;
	if (cond) {
		s->false_since = GS_TIME_NONE;
		if (s->armed) {
			s->armed = false;
			burst_alert(eng, s, t);
		}
	} else if (s->false_since == GS_TIME_NONE) {
		s->false_since = t;
		gs_outputs_clear(eng->outputs, t, GS_ALERT_DISCONTENT_BURST,
		                 sensor_index(eng, s));
	}
}

static void queue_alert(struct gs_engine *eng, struct gs_eng_sensor *s,
                        int64_t t)
{
	struct gs_jb j = {false};
	cJSON *root, *d;
	int64_t max = 0;

	for (size_t i = 0; i < s->trail.len; i++)
		if (gs_ring_at(&s->trail, i)->v > max)
			max = gs_ring_at(&s->trail, i)->v;
	d = alert_new(eng, &j, &root, t, "queue_wait_high", s->cfg->name);
	gs_jb_frac(&j, d, "wait_avg_s",
	           gs_frac_of(s->trail_sum, 1000 * trail_total(s)));
	gs_jb_dec(&j, d, "wait_max_s", gs_ms_dec(max));
	gs_jb_int(&j, d, "waits", trail_total(s));
	gs_jb_dec(&j, d, "target_wait_s", gs_ms_dec(s->cfg->target_wait_ms));
	gs_jb_dec(&j, d, "window_s", gs_ms_dec(eng->cfg.queue_alert_window_ms));
	gs_eng_publish(eng, GS_MSG_ALERT, t, -1, root, &j);
	gs_eng_outputs_alert(eng, t, GS_ALERT_QUEUE_WAIT_HIGH,
	                     sensor_index(eng, s));
}

/* Clarification 16: strict both ways; no wait in the window: neither. */
void gs_eng_queue_eval(struct gs_engine *eng, struct gs_eng_sensor *s,
                       int64_t t)
{
	int64_t n = trail_total(s), sum = s->trail_sum;
	int64_t target = s->cfg->target_wait_ms;

	if (n == 0)
		return;
	if (s->armed && sum > target * n) {
		s->armed = false;
		queue_alert(eng, s, t);
	} else if (!s->armed && (double)sum * 100.0 < eng->cfg.queue_rearm_pct *
	                                                  (double)target *
	                                                  (double)n) {
		s->armed = true;
		gs_outputs_clear(eng->outputs, t, GS_ALERT_QUEUE_WAIT_HIGH,
		                 sensor_index(eng, s));
	}
}

void gs_eng_fault_alert(struct gs_engine *eng, struct gs_eng_sensor *s,
                        const struct gs_event *ev, bool fault)
{
	struct gs_jb j = {false};
	cJSON *root, *d;
	const struct gs_sensor_cfg *sc = s->cfg;
	unsigned in = ev->input;
	int64_t since = GS_TIME_NONE;

	if (fault)
		since = ev->t_ms - sc->fault_ms;
	else if (s->fault_at[in] != GS_TIME_NONE)
		since = s->fault_at[in] - sc->fault_ms;
	d = alert_new(eng, &j, &root, ev->t_ms,
	              fault ? "sensor_fault" : "sensor_recovered", sc->name);
	gs_jb_str(&j, d, "line", sc->lines[in]);
	gs_jb_str(&j, d, "role", gs_line_role(sc, in));
	gs_jb_time(&j, d, "active_since", since, true);
	if (fault)
		gs_jb_dec(&j, d, "limit_s", gs_ms_dec(sc->fault_ms));
	else
		gs_jb_dec(&j, d, "active_s",
		          since == GS_TIME_NONE ? NAN
		                                : gs_ms_dec(ev->t_ms - since));
	gs_eng_publish(eng, GS_MSG_ALERT, ev->t_ms, -1, root, &j);
}
