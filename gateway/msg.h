/* SPDX-License-Identifier: MIT */
/*
 * Messages the gateway publishes, and the JSON helpers every producer uses
 * so that numbers are written the same way everywhere (docs/metrics.md).
 */
#ifndef GS_MSG_H
#define GS_MSG_H

#include "gateway/config.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Buttons of the largest smiley or staff terminal. */
#define GS_MAX_BUTTONS 5

enum gs_msg_kind {
	GS_MSG_METRICS, /* {prefix}/{site}/{gateway}/metrics, outbox */
	GS_MSG_ALERT,   /* .../alerts, outbox */
	GS_MSG_STATUS,  /* .../status, retained, not in the outbox */
	GS_MSG_REPLY,   /* .../cmd/reply, not in the outbox */
	GS_MSG_DAILY,   /* .../daily, outbox (the daily rollup) */
	GS_MSG_ACK,     /* .../acks, outbox (an alert acknowledged) */
	GS_MSG_KIND_COUNT_
};

/* "metrics", "alerts", "status", "cmd/reply". */
const char *gs_msg_kind_suffix(enum gs_msg_kind kind);

/* Writes "{prefix}/{site}/{gateway}/{suffix}"; returns 0 or GS_EINVAL if
 * it does not fit. */
int gs_msg_topic(const struct gs_config *cfg, enum gs_msg_kind kind, char *buf,
                 size_t len);

/*
 * Adds name: value rounded half away from zero to one decimal and always
 * written with a decimal point ("50.0"), as clarification 12 requires; a
 * NaN adds null. Returns the item or NULL on allocation failure.
 */
cJSON *gs_json_add_decimal(cJSON *obj, const char *name, double value);
/* Adds an integer (exact for |v| < 2^53). */
cJSON *gs_json_add_int(cJSON *obj, const char *name, int64_t value);
/* Adds a time as ISO-8601 UTC, with or without milliseconds. */
cJSON *gs_json_add_time(cJSON *obj, const char *name, int64_t ms, bool millis);

/*
 * num / den rounded half away from zero to one decimal on the exact
 * fraction (docs/metrics.md, "Numbers"), as a double that
 * gs_json_add_decimal() prints unchanged; NAN when den is 0.
 */
double gs_ratio_dec(int64_t num, int64_t den);
/* Button key of button b (0 = most negative) on an n-button terminal;
 * "unknown" outside 3-5 buttons. */
const char *gs_button_name(unsigned n_buttons, unsigned b);
/*
 * What line `line` of sensor sc does, as alert details name it ("role"):
 * "A", "B" (beam pair); "entry", "exit" (queue); "count", or "in", "out"
 * (pulse); the button's key (smiley, staff); else "unknown", a
 * push-button's one line included.
 */
const char *gs_line_role(const struct gs_sensor_cfg *sc, unsigned line);
/* Compact serialisation; caller frees with cJSON_free(). NULL on ENOMEM. */
char *gs_json_print(const cJSON *obj);
/* Sets payload's "seq" to seq, in place so that the key order stays (the
 * bytes of a message are the same whoever stamps it). 0 or GS_ENOMEM. */
int gs_msg_set_seq(cJSON *payload, uint64_t seq);

/*
 * Building a message with one failure flag: each gs_jb_* adds one field
 * and sets fail if it could not (out of memory, or o is NULL because an
 * earlier gs_jb_obj() failed), so a builder checks once, at the end.
 */
struct gs_jb {
	bool fail;
};

/* Adds and returns an empty object; NULL on failure. */
cJSON *gs_jb_obj(struct gs_jb *j, cJSON *parent, const char *name);
void gs_jb_int(struct gs_jb *j, cJSON *o, const char *name, int64_t v);
/* As gs_json_add_decimal(): one decimal, NaN adds null. */
void gs_jb_dec(struct gs_jb *j, cJSON *o, const char *name, double v);
/* A NULL s adds null. */
void gs_jb_str(struct gs_jb *j, cJSON *o, const char *name, const char *s);
void gs_jb_bool(struct gs_jb *j, cJSON *o, const char *name, bool v);
/* As gs_json_add_time(); GS_TIME_NONE adds null. */
void gs_jb_time(struct gs_jb *j, cJSON *o, const char *name, int64_t ms,
                bool millis);

#endif
