/* SPDX-License-Identifier: MIT */
#include "gateway/msg.h"
#include "gateway/err.h"
#include "gateway/timeutil.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

static const char *const gs_msg_suffixes[GS_MSG_KIND_COUNT_] = {
    [GS_MSG_METRICS] = "metrics", [GS_MSG_ALERT] = "alerts",
    [GS_MSG_STATUS] = "status",   [GS_MSG_REPLY] = "cmd/reply",
    [GS_MSG_DAILY] = "daily",     [GS_MSG_ACK] = "acks",
};

const char *gs_msg_kind_suffix(enum gs_msg_kind kind)
{
	return (unsigned)kind < GS_MSG_KIND_COUNT_ ? gs_msg_suffixes[kind]
	                                           : "unknown";
}

int gs_msg_topic(const struct gs_config *cfg, enum gs_msg_kind kind, char *buf,
                 size_t len)
{
	int n = snprintf(buf, len, "%s/%s/%s/%s", cfg->topic_prefix, cfg->site,
	                 cfg->gateway_id, gs_msg_kind_suffix(kind));

	return (n < 0 || (size_t)n >= len) ? GS_EINVAL : GS_OK;
}

double gs_ratio_dec(int64_t num, int64_t den)
{
	int64_t p, q, tenths;

	if (den == 0)
		return NAN;
	if (den < 0) {
		num = -num;
		den = -den;
	}
	p = num * 10;
	q = den;
	tenths = p >= 0 ? (2 * p + q) / (2 * q) : -((-2 * p + q) / (2 * q));
	return (double)tenths / 10.0;
}

/* Button names by terminal size (index: buttons - 3), most negative first. */
static const char *const gs_button_names[3][GS_MAX_BUTTONS] = {
    {"unhappy", "neutral", "happy"},
    {"very_unhappy", "unhappy", "happy", "very_happy"},
    {"very_unhappy", "unhappy", "neutral", "happy", "very_happy"},
};

const char *gs_button_name(unsigned n_buttons, unsigned b)
{
	if (n_buttons < 3 || n_buttons > GS_MAX_BUTTONS || b >= n_buttons)
		return "unknown";
	return gs_button_names[n_buttons - 3][b];
}

const char *gs_line_role(const struct gs_sensor_cfg *sc, unsigned line)
{
	static const char *const beam[] = {"A", "B"};
	static const char *const queue[] = {"entry", "exit"};
	static const char *const pulse2[] = {"in", "out"};

	switch (sc->type) {
	case GS_SENSOR_BEAM_PAIR:
		return line < 2 ? beam[line] : "unknown";
	case GS_SENSOR_QUEUE:
		return line < 2 ? queue[line] : "unknown";
	case GS_SENSOR_PULSE:
		if (sc->n_lines == 1)
			return line == 0 ? "count" : "unknown";
		return line < 2 ? pulse2[line] : "unknown";
	case GS_SENSOR_SMILEY:
	case GS_SENSOR_STAFF:
		return gs_button_name(sc->n_lines, line);
	default:
		return "unknown";
	}
}

cJSON *gs_json_add_decimal(cJSON *obj, const char *name, double value)
{
	char buf[48];
	double r;

	if (isnan(value))
		return cJSON_AddNullToObject(obj, name);
	/* round() is half away from zero; at full precision first. */
	r = round(value * 10.0) / 10.0;
	if (r == 0.0)
		r = 0.0; /* no "-0.0" */
	snprintf(buf, sizeof(buf), "%.1f", r);
	return cJSON_AddRawToObject(obj, name, buf);
}

cJSON *gs_json_add_int(cJSON *obj, const char *name, int64_t value)
{
	char buf[24];

	/* Raw keeps 64-bit integers exact and never prints "1e+06". */
	snprintf(buf, sizeof(buf), "%" PRId64, value);
	return cJSON_AddRawToObject(obj, name, buf);
}

cJSON *gs_json_add_time(cJSON *obj, const char *name, int64_t ms, bool millis)
{
	char buf[GS_TIME_STRLEN];

	gs_time_format(ms, millis, buf);
	return cJSON_AddStringToObject(obj, name, buf);
}

char *gs_json_print(const cJSON *obj)
{
	return cJSON_PrintUnformatted(obj);
}

int gs_msg_set_seq(cJSON *payload, uint64_t seq)
{
	char num[24];
	cJSON *raw;

	snprintf(num, sizeof(num), "%" PRIu64, seq);
	raw = cJSON_CreateRaw(num);
	if (!raw)
		return GS_ENOMEM;
	if (cJSON_GetObjectItemCaseSensitive(payload, "seq")) {
		if (!cJSON_ReplaceItemInObjectCaseSensitive(payload, "seq",
		                                            raw)) {
			cJSON_Delete(raw);
			return GS_ENOMEM;
		}
	} else if (!cJSON_AddItemToObject(payload, "seq", raw)) {
		cJSON_Delete(raw);
		return GS_ENOMEM;
	}
	return GS_OK;
}

cJSON *gs_jb_obj(struct gs_jb *j, cJSON *parent, const char *name)
{
	cJSON *o = cJSON_AddObjectToObject(parent, name);

	if (!o)
		j->fail = true;
	return o;
}

void gs_jb_int(struct gs_jb *j, cJSON *o, const char *name, int64_t v)
{
	if (!gs_json_add_int(o, name, v))
		j->fail = true;
}

void gs_jb_dec(struct gs_jb *j, cJSON *o, const char *name, double v)
{
	if (!gs_json_add_decimal(o, name, v))
		j->fail = true;
}

void gs_jb_str(struct gs_jb *j, cJSON *o, const char *name, const char *s)
{
	if (!(s ? cJSON_AddStringToObject(o, name, s)
	        : cJSON_AddNullToObject(o, name)))
		j->fail = true;
}

void gs_jb_bool(struct gs_jb *j, cJSON *o, const char *name, bool v)
{
	if (!cJSON_AddBoolToObject(o, name, v))
		j->fail = true;
}

void gs_jb_time(struct gs_jb *j, cJSON *o, const char *name, int64_t ms,
                bool millis)
{
	if (ms == GS_TIME_NONE) {
		if (!cJSON_AddNullToObject(o, name))
			j->fail = true;
	} else if (!gs_json_add_time(o, name, ms, millis)) {
		j->fail = true;
	}
}
