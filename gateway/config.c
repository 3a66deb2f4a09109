/* SPDX-License-Identifier: MIT */
/*
 * The configuration loader.
 *
 * Two tables describe every key: gs_keys for the fixed sections and
 * gs_sensor_keys for [sensor "NAME"] sections (with a mask of the sensor
 * types each key applies to). Defaults are written in the tables exactly as
 * an installer would write them in the file and go through the same parser,
 * so the documented default and the applied one cannot drift apart.
 *
 * inih splits lines into section, key and value; it reports only the
 * first malformed line and passes no line number to the handler (Debian
 * builds it without INI_HANDLER_LINENO). So we feed it through our own
 * reader: the reader counts lines, rejects lines longer than inih's buffer
 * and lines inih would reject (each with a message of its own, then hands
 * inih an empty line instead), strips leading blanks (inih would read an
 * indented line as a continuation of the previous value) and tracks the
 * sections itself, so that a section without keys is seen too.
 */
#include "gateway/config.h"
#include "gateway/err.h"
#include "gateway/input.h"
#include "gateway/log.h"
#include "gateway/timeutil.h"
#include "gateway/tz.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Diagnostics                                                         */

void gs_diag_add(struct gs_diag *diag, const char *file, int line,
                 const char *fmt, ...)
{
	va_list ap;
	char *buf;
	size_t len;
	int n;

	if (!diag)
		return;
	if (diag->count >= GS_DIAG_MAX) {
		diag->count++;
		return;
	}
	buf = diag->msg[diag->count];
	len = sizeof(diag->msg[0]);
	if (line > 0)
		n = snprintf(buf, len, "%s:%d: ", file ? file : "-", line);
	else
		n = snprintf(buf, len, "%s: ", file ? file : "-");
	if (n < 0)
		n = 0;
	if ((size_t)n < len) {
		va_start(ap, fmt);
		vsnprintf(buf + n, len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	gs_input_escape_inplace(buf, len); /* quoted values are input */
	diag->count++;
}

void gs_diag_print(const struct gs_diag *diag, enum gs_diag_to to)
{
	for (unsigned i = 0; i < diag->count && i < GS_DIAG_MAX; i++) {
		if (to == GS_DIAG_TO_LOG)
			gs_log(GS_LOG_ERR, "%s", diag->msg[i]);
		else
			fprintf(stderr, "%s\n", diag->msg[i]);
	}
}

/* ------------------------------------------------------------------ */
/* The key tables                                                      */

static const char *const gs_section_names[GS_SEC_COUNT_] = {
    [GS_SEC_GATEWAY] = "gateway", [GS_SEC_METRICS] = "metrics",
    [GS_SEC_ALERTS] = "alerts",   [GS_SEC_STORAGE] = "storage",
    [GS_SEC_MQTT] = "mqtt",
};

enum gs_ktype {
	GS_KT_STRING,      /* char[size] */
	GS_KT_DURATION,    /* int64_t ms: 500ms, 2s, 15m, 1h, 30d */
	GS_KT_SIZE,        /* int64_t bytes: 512B, 64KiB, 64MiB, 1GiB */
	GS_KT_UINT,        /* unsigned */
	GS_KT_PERCENT,     /* double, an optional '%' */
	GS_KT_DOUBLE,      /* double */
	GS_KT_BOOL,        /* bool */
	GS_KT_ENUM,        /* int (or an enum of int size), from names */
	GS_KT_TIME_OF_DAY, /* int64_t ms since midnight: HH:MM */
	GS_KT_LINES,       /* sensor lines: n_lines and lines[] */
	GS_KT_ALERTS,      /* alert types, comma-separated: a mask */
	GS_KT_DEFERRED,    /* names other sections define: judged at the end */
};

#define GS_KF_REQUIRED 0x01 /* no default: the file must set it */
#define GS_KF_SECONDS  0x02 /* a duration in whole seconds */

struct gs_enum_name {
	const char *name;
	int value;
};

/*
 * A check beyond type and range. Returns NULL or why the value is wrong,
 * as the end of "KEY: 'VALUE' <why>"; may format into buf.
 */
typedef const char *(*gs_check_fn)(const void *field, char *buf, size_t len);

struct gs_key {
	int section; /* enum gs_config_section; unused for sensor keys */
	const char *name;
	enum gs_ktype type;
	size_t offset;   /* into struct gs_config or struct gs_sensor_cfg */
	size_t size;     /* of a string field */
	const char *def; /* as written in a file; NULL: empty */
	double min, max; /* numbers, durations, sizes; both 0: no range */
	unsigned flags;  /* GS_KF_* */
	const struct gs_enum_name *names; /* GS_KT_ENUM, ends with NULL */
	gs_check_fn check;
	unsigned types; /* sensor keys: mask of 1 << enum gs_sensor_type */
};

_Static_assert(sizeof(enum gs_bias) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum gs_direction) == sizeof(int), "enum as int");
_Static_assert(sizeof(enum gs_sensor_type) == sizeof(int), "enum as int");
_Static_assert(sizeof(enum gs_output_signal) == sizeof(int), "enum as int");
_Static_assert(sizeof(enum gs_output_end) == sizeof(int), "enum as int");
_Static_assert(sizeof(unsigned) == sizeof(int), "mqtt_version as int");

static const struct gs_enum_name gs_type_names[] = {
    {"beam_pair", GS_SENSOR_BEAM_PAIR},
    {"pulse", GS_SENSOR_PULSE},
    {"queue", GS_SENSOR_QUEUE},
    {"smiley", GS_SENSOR_SMILEY},
    {"staff", GS_SENSOR_STAFF},
    {"button", GS_SENSOR_BUTTON},
    {NULL, 0},
};

static const struct gs_enum_name gs_alert_names[] = {
    {"discontent_burst", GS_ALERT_DISCONTENT_BURST},
    {"queue_wait_high", GS_ALERT_QUEUE_WAIT_HIGH},
    {"sensor_fault", GS_ALERT_SENSOR_FAULT},
    {NULL, 0},
};

static const struct gs_enum_name gs_signal_names[] = {
    {"steady", GS_SIGNAL_STEADY}, {"blink", GS_SIGNAL_BLINK}, {NULL, 0}};

static const struct gs_enum_name gs_end_names[] = {{"hold", GS_END_HOLD},
                                                   {"clear", GS_END_CLEAR},
                                                   {"ack", GS_END_ACK},
                                                   {NULL, 0}};

static const struct gs_enum_name gs_bias_names[] = {
    {"as-is", GS_BIAS_AS_IS},
    {"disabled", GS_BIAS_DISABLED},
    {"pull-up", GS_BIAS_PULL_UP},
    {"pull-down", GS_BIAS_PULL_DOWN},
    {NULL, 0},
};

static const struct gs_enum_name gs_direction_names[] = {
    {"none", GS_DIR_NONE},
    {"in", GS_DIR_IN},
    {"out", GS_DIR_OUT},
    {NULL, 0},
};

static const struct gs_enum_name gs_protocol_names[] = {
    {"3.1.1", 4}, {"5", 5}, {NULL, 0}};

static const char *gs_check_id(const void *field, char *buf, size_t len);
static const char *gs_check_prefix(const void *field, char *buf, size_t len);
static const char *gs_check_token(const void *field, char *buf, size_t len);
static const char *gs_check_nonempty(const void *field, char *buf, size_t len);
static const char *gs_check_timezone(const void *field, char *buf, size_t len);
static const char *gs_check_window(const void *field, char *buf, size_t len);
static const char *gs_check_broker(const void *field, char *buf, size_t len);

#define MIN_ ((double)GS_MS_PER_MIN)
#define S_   ((double)GS_MS_PER_S)
#define H_   ((double)GS_MS_PER_H)
#define D_   ((double)GS_MS_PER_DAY)
#define MIB_ (1024.0 * 1024.0)

#define CFG(field) offsetof(struct gs_config, field)
#define STR(field)                                                             \
	.type = GS_KT_STRING, .offset = CFG(field),                            \
	.size = sizeof(((struct gs_config *)0)->field)

/* clang-format off */
static const struct gs_key gs_keys[] = {
	{GS_SEC_GATEWAY, "id", STR(gateway_id), .flags = GS_KF_REQUIRED,
	 .check = gs_check_id},
	{GS_SEC_GATEWAY, "site", STR(site), .flags = GS_KF_REQUIRED,
	 .check = gs_check_id},
	{GS_SEC_GATEWAY, "timezone", STR(timezone), .def = "UTC",
	 .check = gs_check_timezone},
	{GS_SEC_GATEWAY, "window", GS_KT_DURATION, CFG(window_ms), .def = "15m",
	 .min = 1 * MIN_, .max = 60 * MIN_, .flags = GS_KF_SECONDS,
	 .check = gs_check_window},
	{GS_SEC_GATEWAY, "grace", GS_KT_DURATION, CFG(grace_ms), .def = "5s",
	 .min = 0, .max = 10 * MIN_},
	{GS_SEC_GATEWAY, "day_start", GS_KT_TIME_OF_DAY, CFG(day_start_ms),
	 .def = "04:00"},
	{GS_SEC_GATEWAY, "unsynced_hold", GS_KT_DURATION, CFG(unsynced_hold_ms),
	 .def = "1h", .min = 0, .max = D_},

	{GS_SEC_METRICS, "min_responses", GS_KT_UINT, CFG(min_responses),
	 .def = "5", .min = 1, .max = 100000},
	{GS_SEC_METRICS, "gap_threshold", GS_KT_PERCENT, CFG(gap_threshold),
	 .def = "70", .min = 0, .max = 100},

	{GS_SEC_ALERTS, "burst_window", GS_KT_DURATION, CFG(burst_window_ms),
	 .def = "10m", .min = 1 * MIN_, .max = D_},
	{GS_SEC_ALERTS, "burst_min", GS_KT_UINT, CFG(burst_min), .def = "5",
	 .min = 1, .max = 10000},
	{GS_SEC_ALERTS, "burst_share", GS_KT_PERCENT, CFG(burst_share_pct),
	 .def = "50", .min = 0, .max = 100},
	{GS_SEC_ALERTS, "queue_window", GS_KT_DURATION,
	 CFG(queue_alert_window_ms), .def = "10m", .min = 1 * MIN_, .max = D_},
	{GS_SEC_ALERTS, "queue_rearm", GS_KT_PERCENT, CFG(queue_rearm_pct),
	 .def = "80", .min = 0, .max = 100},

	{GS_SEC_STORAGE, "database", STR(database),
	 .def = "/var/lib/gapsense/gapsense.db", .check = gs_check_nonempty},
	{GS_SEC_STORAGE, "retention", GS_KT_DURATION, CFG(retention_ms),
	 .def = "90d", .min = D_, .max = 3650 * D_},
	{GS_SEC_STORAGE, "commit_interval", GS_KT_DURATION,
	 CFG(commit_interval_ms), .def = "500ms", .min = 0, .max = 60 * S_},
	{GS_SEC_STORAGE, "commit_events", GS_KT_UINT, CFG(commit_events),
	 .def = "64", .min = 1, .max = 100000},
	{GS_SEC_STORAGE, "sync_interval", GS_KT_DURATION, CFG(sync_interval_ms),
	 .def = "10s", .min = 0, .max = 60 * S_},

	{GS_SEC_MQTT, "broker", STR(broker), .def = "mqtt://localhost:1883",
	 .check = gs_check_broker},
	{GS_SEC_MQTT, "client_id", STR(client_id), .check = gs_check_token},
	{GS_SEC_MQTT, "topic_prefix", STR(topic_prefix), .def = "gapsense/v1",
	 .check = gs_check_prefix},
	{GS_SEC_MQTT, "username", STR(username)},
	{GS_SEC_MQTT, "password_file", STR(password_file)},
	{GS_SEC_MQTT, "ca_file", STR(ca_file)},
	{GS_SEC_MQTT, "ca_path", STR(ca_path)},
	{GS_SEC_MQTT, "cert_file", STR(cert_file)},
	{GS_SEC_MQTT, "key_file", STR(key_file)},
	{GS_SEC_MQTT, "tls_verify_hostname", GS_KT_BOOL,
	 CFG(tls_verify_hostname), .def = "true"},
	{GS_SEC_MQTT, "protocol", GS_KT_ENUM, CFG(mqtt_version), .def = "3.1.1",
	 .names = gs_protocol_names},
	{GS_SEC_MQTT, "keepalive", GS_KT_DURATION, CFG(keepalive_ms),
	 .def = "30s", .min = 0, .max = 65535 * S_, .flags = GS_KF_SECONDS},
	{GS_SEC_MQTT, "inflight", GS_KT_UINT, CFG(inflight), .def = "16",
	 .min = 1, .max = 1000},
	{GS_SEC_MQTT, "drain_rate", GS_KT_DOUBLE, CFG(drain_rate), .def = "50",
	 .min = 0.1, .max = 100000},
	{GS_SEC_MQTT, "live_grace", GS_KT_DURATION, CFG(live_grace_ms),
	 .def = "10s", .min = 1 * S_, .max = H_},
	{GS_SEC_MQTT, "ack_timeout", GS_KT_DURATION, CFG(ack_timeout_ms),
	 .def = "30s", .min = 1 * S_, .max = 10 * MIN_},
	{GS_SEC_MQTT, "reconnect_min", GS_KT_DURATION, CFG(reconnect_min_ms),
	 .def = "1s", .min = 100, .max = H_},
	{GS_SEC_MQTT, "reconnect_max", GS_KT_DURATION, CFG(reconnect_max_ms),
	 .def = "5m", .min = 1 * S_, .max = D_},
	{GS_SEC_MQTT, "outbox_max_bytes", GS_KT_SIZE, CFG(outbox_max_bytes),
	 .def = "64MiB", .min = 1 * MIB_, .max = 1024.0 * 1024 * MIB_},
	{GS_SEC_MQTT, "outbox_max_age", GS_KT_DURATION, CFG(outbox_max_age_ms),
	 .def = "30d", .min = H_, .max = 3650 * D_},
	{GS_SEC_MQTT, "message_expiry", GS_KT_DURATION, CFG(message_expiry_ms),
	 .def = "0", .min = 0, .max = 365 * D_, .flags = GS_KF_SECONDS},
};
/* clang-format on */

#define GS_N_KEYS (sizeof(gs_keys) / sizeof(gs_keys[0]))

#define T_ALL      ((1u << GS_SENSOR_TYPE_COUNT_) - 1)
#define T_(type)   (1u << (type))
#define SEN(field) offsetof(struct gs_sensor_cfg, field)

/* clang-format off */
static const struct gs_key gs_sensor_keys[] = {
	{0, "type", GS_KT_ENUM, SEN(type), .flags = GS_KF_REQUIRED,
	 .names = gs_type_names, .types = T_ALL},
	{0, "chip", GS_KT_STRING, SEN(chip),
	 .size = sizeof(((struct gs_sensor_cfg *)0)->chip),
	 .flags = GS_KF_REQUIRED, .check = gs_check_token, .types = T_ALL},
	{0, "lines", GS_KT_LINES, SEN(lines), .flags = GS_KF_REQUIRED,
	 .types = T_ALL},
	{0, "active_low", GS_KT_BOOL, SEN(active_low), .def = "false",
	 .types = T_ALL},
	{0, "bias", GS_KT_ENUM, SEN(bias), .def = "as-is",
	 .names = gs_bias_names, .types = T_ALL},
	{0, "debounce", GS_KT_DURATION, SEN(debounce_ms), .def = "0", .min = 0,
	 .max = 1 * S_, .types = T_ALL},
	{0, "fault_after", GS_KT_DURATION, SEN(fault_ms), .def = "60s",
	 .min = 1 * S_, .max = D_, .types = T_ALL},
	{0, "min_break", GS_KT_DURATION, SEN(min_break_ms), .def = "30ms",
	 .min = 0, .max = 1 * S_, .types = T_(GS_SENSOR_BEAM_PAIR)},
	{0, "direction", GS_KT_ENUM, SEN(direction), .def = "none",
	 .names = gs_direction_names, .types = T_(GS_SENSOR_PULSE)},
	{0, "target_wait", GS_KT_DURATION, SEN(target_wait_ms), .def = "3m",
	 .min = 1 * S_, .max = D_, .types = T_(GS_SENSOR_QUEUE)},
	{0, "max_wait", GS_KT_DURATION, SEN(max_wait_ms), .def = "30m",
	 .min = 1 * MIN_, .max = D_, .types = T_(GS_SENSOR_QUEUE)},
	{0, "lockout", GS_KT_DURATION, SEN(lockout_ms), .def = "2s", .min = 0,
	 .max = 1 * MIN_,
	 .types = T_(GS_SENSOR_SMILEY) | T_(GS_SENSOR_STAFF)},
};
/* clang-format on */

#define GS_N_SENSOR_KEYS (sizeof(gs_sensor_keys) / sizeof(gs_sensor_keys[0]))

#define OUT(field) offsetof(struct gs_output_cfg, field)

/* [output "NAME"]. "sensors" and "ack" name sensors, which may come later
 * in the file: they are judged once it has been read. */
/* clang-format off */
static const struct gs_key gs_output_keys[] = {
	{0, "chip", GS_KT_STRING, OUT(chip),
	 .size = sizeof(((struct gs_output_cfg *)0)->chip),
	 .flags = GS_KF_REQUIRED, .check = gs_check_token},
	{0, "line", GS_KT_STRING, OUT(line),
	 .size = sizeof(((struct gs_output_cfg *)0)->line),
	 .flags = GS_KF_REQUIRED, .check = gs_check_token},
	{0, "active_low", GS_KT_BOOL, OUT(active_low), .def = "false"},
	{0, "alerts", GS_KT_ALERTS, OUT(alerts), .flags = GS_KF_REQUIRED},
	{0, "sensors", GS_KT_DEFERRED, .offset = 0},
	{0, "signal", GS_KT_ENUM, OUT(signal), .def = "steady",
	 .names = gs_signal_names},
	{0, "blink", GS_KT_DURATION, OUT(blink_ms), .def = "1s",
	 .min = 200, .max = 10 * S_},
	{0, "end", GS_KT_ENUM, OUT(end), .def = "clear",
	 .names = gs_end_names},
	{0, "hold", GS_KT_DURATION, OUT(hold_ms), .def = "1m", .min = 1 * S_,
	 .max = D_},
	{0, "ack", GS_KT_DEFERRED, .offset = 0},
};
/* clang-format on */

#define GS_N_OUTPUT_KEYS (sizeof(gs_output_keys) / sizeof(gs_output_keys[0]))

/* How many lines each sensor type takes, and what they are. */
static const struct {
	unsigned min, max;
	const char *what;
} gs_type_lines[GS_SENSOR_TYPE_COUNT_] = {
    [GS_SENSOR_BEAM_PAIR] = {2, 2, "2 lines (outside beam, inside beam)"},
    [GS_SENSOR_PULSE] = {1, 2, "1 line (count) or 2 (in, out)"},
    [GS_SENSOR_QUEUE] = {2, 2, "2 lines (entry, exit)"},
    [GS_SENSOR_SMILEY] = {3, 5, "3 to 5 lines (buttons, most negative first)"},
    [GS_SENSOR_STAFF] = {3, 5, "3 to 5 lines (buttons, most negative first)"},
    [GS_SENSOR_BUTTON] = {1, 1, "1 line (the button)"},
};

static const char *gs_enum_name_of(const struct gs_enum_name *names, int v)
{
	for (const struct gs_enum_name *n = names; n->name; n++)
		if (n->value == v)
			return n->name;
	return NULL;
}

const char *gs_sensor_type_name(enum gs_sensor_type type)
{
	return gs_enum_name_of(gs_type_names, (int)type);
}

const char *gs_alert_type_name(enum gs_alert_type type)
{
	return gs_enum_name_of(gs_alert_names, (int)type);
}

/* ------------------------------------------------------------------ */
/* Checks                                                              */

static bool gs_is_id_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

static bool gs_is_id(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!gs_is_id_char(*s))
			return false;
	return true;
}

static const char *gs_check_id(const void *field, char *buf, size_t len)
{
	const char *s = field;

	(void)buf;
	(void)len;
	if (!*s)
		return "must not be empty";
	if (!gs_is_id(s))
		return "may contain only letters, digits, '-' and '_'";
	return NULL;
}

/* Printable ASCII without blanks: chip names, line names, client ids. */
static bool gs_is_token(const char *s)
{
	for (; *s; s++)
		if (!isgraph((unsigned char)*s))
			return false;
	return true;
}

static const char *gs_check_token(const void *field, char *buf, size_t len)
{
	const char *s = field;

	(void)buf;
	(void)len;
	if (!*s)
		return "must not be empty";
	if (!gs_is_token(s))
		return "must not contain blanks or control characters";
	return NULL;
}

static const char *gs_check_nonempty(const void *field, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return *(const char *)field ? NULL : "must not be empty";
}

/*
 * Topic levels are joined to site and id, so the prefix may have levels of
 * its own but no wildcards, no empty level and no leading '$' (reserved for
 * the broker's own topics).
 */
static const char *gs_check_prefix(const void *field, char *buf, size_t len)
{
	const char *s = field;
	size_t n = strlen(s);

	(void)buf;
	(void)len;
	if (n == 0)
		return "must not be empty";
	if (strpbrk(s, "+#"))
		return "must not contain the MQTT wildcards '+' or '#'";
	if (!gs_is_token(s))
		return "must not contain blanks or control characters";
	if (s[0] == '$')
		return "must not start with '$' (reserved for the broker)";
	if (s[0] == '/' || s[n - 1] == '/' || strstr(s, "//"))
		return "must not start or end with '/' or contain '//'";
	return NULL;
}

/* The zone must exist where the C library looks for it (gateway/tz.h). */
static const char *gs_check_timezone(const void *field, char *buf, size_t len)
{
	return gs_tz_check(field, buf, len);
}

static const char *gs_check_window(const void *field, char *buf, size_t len)
{
	int64_t ms = *(const int64_t *)field;

	(void)buf;
	(void)len;
	if (GS_MS_PER_H % ms != 0)
		return "must divide an hour";
	return NULL;
}

static const char *const gs_tls_schemes[] = {"mqtts", "ssl", "wss", NULL};

static const char *const gs_schemes[] = {"mqtt", "mqtts", "tcp", "ssl",
                                         "ws",   "wss",   NULL};

static bool gs_scheme_in(const char *uri, const char *const *list)
{
	for (; *list; list++) {
		size_t n = strlen(*list);

		if (strncmp(uri, *list, n) == 0 &&
		    strncmp(uri + n, "://", 3) == 0)
			return true;
	}
	return false;
}

/* scheme://host[:port][/path, websockets only]; host may be [v6]. */
static const char *gs_check_broker(const void *field, char *buf, size_t len)
{
	const char *s = field;
	const char *host, *p;
	bool ws;

	(void)buf;
	(void)len;
	if (!gs_scheme_in(s, gs_schemes))
		return "must start with mqtt://, mqtts://, tcp://, ssl://, "
		       "ws:// or wss://";
	if (!gs_is_token(s))
		return "must not contain blanks or control characters";
	ws = strncmp(s, "ws", 2) == 0;
	host = strstr(s, "://") + 3;
	if (*host == '[') {
		p = strchr(host, ']');
		if (!p || p == host + 1)
			return "has a malformed IPv6 address";
		p++;
	} else {
		p = host + strcspn(host, ":/");
		if (p == host)
			return "has no host name";
	}
	if (*p == ':') {
		unsigned long port = 0;
		const char *d = ++p;

		while (isdigit((unsigned char)*p) && port <= 65535)
			port = port * 10 + (unsigned long)(*p++ - '0');
		if (p == d || port == 0 || port > 65535 ||
		    (*p != '\0' && *p != '/'))
			return "has a bad port (1 to 65535)";
	}
	if (*p == '/' && !ws)
		return "must not have a path (only ws:// and wss:// do)";
	if (*p != '\0' && *p != '/')
		return "has a malformed host name";
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Value parsers                                                       */

/* Digits only, no sign, no blanks: strtoull alone accepts " -1". */
static bool gs_parse_u64(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*end = p;
	*out = v;
	return true;
}

static const struct {
	const char *unit;
	int64_t bytes;
} gs_size_units[] = {
    {"GiB", INT64_C(1) << 30},
    {"MiB", INT64_C(1) << 20},
    {"KiB", INT64_C(1) << 10},
    {"B", 1},
};

#define GS_N_SIZE_UNITS (sizeof(gs_size_units) / sizeof(gs_size_units[0]))

static bool gs_size_parse(const char *s, int64_t *out)
{
	const char *end;
	uint64_t v;

	if (!gs_parse_u64(s, &end, &v))
		return false;
	if (*end == '\0' && v == 0) {
		*out = 0;
		return true;
	}
	for (size_t i = 0; i < GS_N_SIZE_UNITS; i++) {
		if (strcmp(end, gs_size_units[i].unit) != 0)
			continue;
		if (v > (uint64_t)(INT64_MAX / gs_size_units[i].bytes))
			return false;
		*out = (int64_t)v * gs_size_units[i].bytes;
		return true;
	}
	return false;
}

static void gs_size_format(int64_t bytes, char *buf, size_t len)
{
	for (size_t i = 0; i < GS_N_SIZE_UNITS; i++) {
		if (bytes != 0 && bytes % gs_size_units[i].bytes == 0) {
			snprintf(buf, len, "%" PRId64 "%s",
			         bytes / gs_size_units[i].bytes,
			         gs_size_units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "%" PRId64 "B", bytes);
}

/* A plain decimal: digits with at most one '.', no sign, no exponent. */
static bool gs_decimal_parse(const char *s, bool percent, double *out)
{
	char tmp[64];
	size_t n = strlen(s);
	bool dot = false, digit = false;
	char *end;

	if (percent && n > 0 && s[n - 1] == '%')
		n--;
	if (n == 0 || n >= sizeof(tmp))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (isdigit((unsigned char)s[i]))
			digit = true;
		else if (s[i] == '.' && !dot)
			dot = true;
		else
			return false;
	}
	if (!digit)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	*out = strtod(tmp, &end);
	return errno == 0 && *end == '\0';
}

static bool gs_bool_parse(const char *s, bool *out)
{
	static const struct {
		const char *name;
		bool value;
	} names[] = {
	    {"true", true},   {"yes", true}, {"on", true},   {"1", true},
	    {"false", false}, {"no", false}, {"off", false}, {"0", false},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].value;
			return true;
		}
	}
	return false;
}

/* H:MM or HH:MM, 00:00 to 23:59. */
static bool gs_tod_parse(const char *s, int64_t *out)
{
	const char *end;
	uint64_t h, m;

	if (!gs_parse_u64(s, &end, &h) || end - s > 2 || *end != ':')
		return false;
	s = end + 1;
	if (!gs_parse_u64(s, &end, &m) || end - s != 2 || *end != '\0')
		return false;
	if (h > 23 || m > 59)
		return false;
	*out = (int64_t)h * GS_MS_PER_H + (int64_t)m * GS_MS_PER_MIN;
	return true;
}

static void gs_enum_list(const struct gs_enum_name *names, char *buf,
                         size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; names->name && n < len; names++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
		                      names->name);
}

/* "1m to 60m" in the key's own units. */
static void gs_range_format(const struct gs_key *k, char *buf, size_t len)
{
	char lo[32], hi[32];

	switch (k->type) {
	case GS_KT_DURATION:
		gs_duration_format((int64_t)k->min, lo, sizeof(lo));
		gs_duration_format((int64_t)k->max, hi, sizeof(hi));
		if (k->min == 0)
			snprintf(lo, sizeof(lo), "0");
		break;
	case GS_KT_SIZE:
		gs_size_format((int64_t)k->min, lo, sizeof(lo));
		gs_size_format((int64_t)k->max, hi, sizeof(hi));
		break;
	default:
		snprintf(lo, sizeof(lo), "%g", k->min);
		snprintf(hi, sizeof(hi), "%g", k->max);
		break;
	}
	snprintf(buf, len, "%s to %s", lo, hi);
}

/* Lines: "GPIO17, GPIO27": names or offsets, comma-separated. */
static const char *gs_lines_parse(const char *s, struct gs_sensor_cfg *sc,
                                  char *buf, size_t len)
{
	unsigned n = 0;

	for (;;) {
		const char *end = s + strcspn(s, ",");
		const char *a = s, *b = end;

		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (a == b)
			return "has an empty entry (names separated by commas)";
		if (n == GS_SENSOR_MAX_LINES) {
			snprintf(buf, len, "has more than %d lines",
			         GS_SENSOR_MAX_LINES);
			return buf;
		}
		if ((size_t)(b - a) >= sizeof(sc->lines[0])) {
			snprintf(buf, len,
			         "has a line name longer than %zu characters",
			         sizeof(sc->lines[0]) - 1);
			return buf;
		}
		memcpy(sc->lines[n], a, (size_t)(b - a));
		sc->lines[n][b - a] = '\0';
		if (!gs_is_token(sc->lines[n]))
			return "has a line name with blanks or control "
			       "characters";
		for (unsigned i = 0; i < n; i++) {
			if (strcmp(sc->lines[i], sc->lines[n]) == 0) {
				snprintf(buf, len, "lists '%s' twice",
				         sc->lines[n]);
				return buf;
			}
		}
		n++;
		if (*end == '\0')
			break;
		s = end + 1;
	}
	sc->n_lines = n;
	return NULL;
}

/* Calls fn for each entry of a comma-separated list, trimmed; stops at
 * the first message fn returns. Empty entries are an error. */
static const char *gs_list_each(const char *s, char *buf, size_t len,
                                const char *(*fn)(const char *item, void *arg,
                                                  char *buf, size_t len),
                                void *arg)
{
	char item[GS_NAME_MAX + 16];

	for (;;) {
		const char *end = s + strcspn(s, ",");
		const char *a = s, *b = end, *why;

		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (a == b)
			return "has an empty entry (names separated by commas)";
		snprintf(item, sizeof(item), "%.*s", (int)(b - a), a);
		why = fn(item, arg, buf, len);
		if (why)
			return why;
		if (*end == '\0')
			return NULL;
		s = end + 1;
	}
}

static const char *gs_alert_item(const char *item, void *arg, char *buf,
                                 size_t len)
{
	unsigned *mask = arg;
	char list[128];

	for (const struct gs_enum_name *n = gs_alert_names; n->name; n++) {
		if (strcmp(item, n->name) == 0) {
			*mask |= 1u << n->value;
			return NULL;
		}
	}
	gs_enum_list(gs_alert_names, list, sizeof(list));
	snprintf(buf, len, "has '%.48s', which is not one of: %s", item, list);
	return buf;
}

/* Alerts: "discontent_burst, queue_wait_high": a mask of types. */
static const char *gs_alerts_parse(const char *s, unsigned *mask, char *buf,
                                   size_t len)
{
	unsigned m = 0;
	const char *why = gs_list_each(s, buf, len, gs_alert_item, &m);

	if (!why)
		*mask = m;
	return why;
}

/*
 * Parses value into the field k describes at base. Returns NULL, or why
 * the value is wrong (the end of "KEY: 'VALUE' <why>"), possibly in buf.
 * check = false for the tables' own defaults, which skip the checks that
 * look at the system (a time zone file).
 */
static const char *gs_key_parse(const struct gs_key *k, void *base,
                                const char *v, bool check, char *buf,
                                size_t len)
{
	void *field = (char *)base + k->offset;
	double num = 0;
	bool ranged = true;

	switch (k->type) {
	case GS_KT_STRING: {
		size_t n = strlen(v);

		if (n >= k->size) {
			snprintf(buf, len,
			         "is too long (at most %zu characters)",
			         k->size - 1);
			return buf;
		}
		memcpy(field, v, n + 1);
		ranged = false;
		break;
	}
	case GS_KT_DURATION: {
		int64_t ms;

		if (gs_duration_parse(v, &ms) != GS_OK)
			return "is not a duration (a whole number and a unit: "
			       "ms, s, m, h or d)";
		if ((k->flags & GS_KF_SECONDS) && ms % GS_MS_PER_S != 0)
			return "must be a whole number of seconds";
		*(int64_t *)field = ms;
		num = (double)ms;
		break;
	}
	case GS_KT_SIZE: {
		int64_t bytes;

		if (!gs_size_parse(v, &bytes))
			return "is not a size (a whole number and a unit: B, "
			       "KiB, MiB or GiB)";
		*(int64_t *)field = bytes;
		num = (double)bytes;
		break;
	}
	case GS_KT_UINT: {
		const char *end;
		uint64_t u;

		if (!gs_parse_u64(v, &end, &u) || *end != '\0' ||
		    u > UINT32_MAX)
			return "is not a whole number";
		*(unsigned *)field = (unsigned)u;
		num = (double)u;
		break;
	}
	case GS_KT_PERCENT:
	case GS_KT_DOUBLE:
		if (!gs_decimal_parse(v, k->type == GS_KT_PERCENT, &num))
			return k->type == GS_KT_PERCENT
			           ? "is not a percentage (e.g. 80 or 80%)"
			           : "is not a number (e.g. 50 or 0.5)";
		*(double *)field = num;
		break;
	case GS_KT_BOOL:
		if (!gs_bool_parse(v, field))
			return "is not a boolean (true or false)";
		ranged = false;
		break;
	case GS_KT_ENUM: {
		const struct gs_enum_name *n;
		char list[128];

		for (n = k->names; n->name; n++)
			if (strcmp(v, n->name) == 0)
				break;
		if (!n->name) {
			gs_enum_list(k->names, list, sizeof(list));
			snprintf(buf, len, "is not one of: %s", list);
			return buf;
		}
		*(int *)field = n->value;
		ranged = false;
		break;
	}
	case GS_KT_TIME_OF_DAY:
		if (!gs_tod_parse(v, field))
			return "is not a time of day (HH:MM, 00:00 to 23:59)";
		ranged = false;
		break;
	case GS_KT_LINES:
		return gs_lines_parse(v, base, buf, len);
	case GS_KT_ALERTS:
		return gs_alerts_parse(v, field, buf, len);
	case GS_KT_DEFERRED:
		return NULL;
	}
	if (ranged && (k->min != 0 || k->max != 0) &&
	    (num < k->min || num > k->max)) {
		char range[80]; /* two 32-byte bounds and " to " */

		gs_range_format(k, range, sizeof(range));
		snprintf(buf, len, "is out of range (%s)", range);
		return buf;
	}
	if (check && k->check)
		return k->check(field, buf, len);
	return NULL;
}

/* Applies every default of a table to base. */
static void gs_keys_defaults(const struct gs_key *keys, size_t n, void *base)
{
	char why[128];

	for (size_t i = 0; i < n; i++) {
		const struct gs_key *k = &keys[i];

		if (k->def)
			/* Checked by the unit tests against the documented
			 * values; a typo here fails them, not a user. */
			(void)gs_key_parse(k, base, k->def, false, why,
			                   sizeof(why));
	}
}

static const struct gs_key *gs_keys_find(const struct gs_key *keys, size_t n,
                                         int section, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if ((section < 0 || keys[i].section == section) &&
		    strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Whether the field k describes holds the same value at a and at b. */
static bool gs_key_equal(const struct gs_key *k, const void *a, const void *b)
{
	const void *fa = (const char *)a + k->offset;
	const void *fb = (const char *)b + k->offset;

	switch (k->type) {
	case GS_KT_STRING:
		return strncmp(fa, fb, k->size) == 0;
	case GS_KT_DURATION:
	case GS_KT_SIZE:
	case GS_KT_TIME_OF_DAY:
		return *(const int64_t *)fa == *(const int64_t *)fb;
	case GS_KT_UINT:
	case GS_KT_ALERTS:
		return *(const unsigned *)fa == *(const unsigned *)fb;
	case GS_KT_PERCENT:
	case GS_KT_DOUBLE:
		return *(const double *)fa == *(const double *)fb;
	case GS_KT_BOOL:
		return *(const bool *)fa == *(const bool *)fb;
	case GS_KT_ENUM:
		return *(const int *)fa == *(const int *)fb;
	case GS_KT_LINES:
	case GS_KT_DEFERRED:
		break; /* sensor and output keys: never in gs_keys */
	}
	return false;
}

bool gs_config_section_equal(const struct gs_config *a,
                             const struct gs_config *b,
                             enum gs_config_section section)
{
	for (size_t i = 0; i < GS_N_KEYS; i++)
		if (gs_keys[i].section == (int)section &&
		    !gs_key_equal(&gs_keys[i], a, b))
			return false;
	return true;
}

static void gs_sensor_defaults(struct gs_sensor_cfg *sc)
{
	memset(sc, 0, sizeof(*sc));
	gs_keys_defaults(gs_sensor_keys, GS_N_SENSOR_KEYS, sc);
}

void gs_config_defaults(struct gs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	gs_keys_defaults(gs_keys, GS_N_KEYS, cfg);
}

/* ------------------------------------------------------------------ */
/* The parser                                                          */

/* A value kept until its sensor section ends: its type decides. */
struct gs_raw_value {
	const struct gs_key *key;
	int line;
	char value[256];
};

enum gs_sec_kind {
	GS_SK_NONE,   /* before the first header */
	GS_SK_GLOBAL, /* [gateway], [mqtt], ... */
	GS_SK_SENSOR, /* [sensor "NAME"] */
	GS_SK_OUTPUT, /* [output "NAME"] */
	GS_SK_SKIP,   /* a section already reported: ignore its keys */
};

struct gs_parser {
	const char *path;
	FILE *file;
	struct gs_config *cfg;
	struct gs_diag *diag;
	unsigned errors;            /* problems this load found */
	int diag_line[GS_DIAG_MAX]; /* line of each, to sort them */
	int lineno;
	int read_errno;

	enum gs_sec_kind kind;
	int section; /* enum gs_config_section, for GS_SK_GLOBAL */
	int section_line[GS_SEC_COUNT_]; /* first header of each; 0: none */
	int key_line[GS_N_KEYS];         /* where each key was set; 0: not */

	/* The sensor section being read. */
	struct gs_sensor_cfg sensor;
	int sensor_key_line[GS_N_SENSOR_KEYS];
	struct gs_raw_value raw[GS_N_SENSOR_KEYS];
	unsigned n_raw;
	int sensor_lines_line[GS_MAX_SENSORS]; /* "lines" line of each kept */
	bool sensor_sized[GS_MAX_SENSORS];     /* typed, lines fit the type */

	/* The output section being read, and the values of each output
	 * that name sensors, judged at the end of the file. */
	struct gs_output_cfg output;
	int output_key_line[GS_N_OUTPUT_KEYS];
	struct {
		struct gs_raw_value sensors, ack;
	} deferred[GS_MAX_OUTPUTS];
};

static void gs_parser_error(struct gs_parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void gs_parser_error(struct gs_parser *p, int line, const char *fmt, ...)
{
	char msg[sizeof(p->diag->msg[0])];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->diag->count < GS_DIAG_MAX)
		p->diag_line[p->diag->count] = line;
	gs_diag_add(p->diag, p->path, line, "%s", msg);
	p->errors++;
}

/*
 * "KEY: 'VALUE' why", with a hint for the two usual slips: a comment after
 * a value (only ';' starts one there) and quotes around it.
 */
static void gs_parser_bad_value(struct gs_parser *p, int line, const char *key,
                                const char *value, const char *why)
{
	size_t n = strlen(value);
	const char *hint = "";

	if (strstr(value, " #") || strstr(value, "\t#"))
		hint = "; a comment must be on a line of its own";
	else if (n >= 2 && ((value[0] == '"' && value[n - 1] == '"') ||
	                    (value[0] == '\'' && value[n - 1] == '\'')))
		hint = "; values are written without quotes";
	if (n == 0)
		gs_parser_error(p, line, "%s: %s", key, why);
	else if (n > 64)
		gs_parser_error(p, line, "%s: '%.60s...' %s%s", key, value, why,
		                hint);
	else
		gs_parser_error(p, line, "%s: '%s' %s%s", key, value, why,
		                hint);
}

/*
 * Keys of earlier releases that no longer do anything. A file that still
 * has one loads, with a warning naming the line: an upgrade must not stop
 * a unit over a setting that has become moot.
 */
static const struct gs_retired_key {
	enum gs_config_section section;
	const char *name;
	const char *why;
} gs_retired_keys[] = {
    {GS_SEC_MQTT, "session_expiry",
     "MQTT 5 sessions end with their connection (docs/mqtt.md)"},
};

static bool gs_parser_retired_key(struct gs_parser *p, const char *name)
{
	for (size_t i = 0;
	     i < sizeof(gs_retired_keys) / sizeof(gs_retired_keys[0]); i++) {
		const struct gs_retired_key *r = &gs_retired_keys[i];

		if ((int)r->section == (int)p->section &&
		    strcmp(r->name, name) == 0) {
			gs_log(GS_LOG_WARNING,
			       "%s:%d: %s is no longer used and is ignored: "
			       "%s; remove it",
			       p->path, p->lineno, name, r->why);
			return true;
		}
	}
	return false;
}

/* The section that does have a key of this name, for a hint. */
static const char *gs_key_home(const char *name)
{
	const struct gs_key *k = gs_keys_find(gs_keys, GS_N_KEYS, -1, name);

	if (k)
		return gs_section_names[k->section];
	if (gs_keys_find(gs_sensor_keys, GS_N_SENSOR_KEYS, -1, name))
		return "sensor \"NAME\"";
	if (gs_keys_find(gs_output_keys, GS_N_OUTPUT_KEYS, -1, name))
		return "output \"NAME\"";
	return NULL;
}

static void gs_parser_unknown_key(struct gs_parser *p, const char *name,
                                  const char *section)
{
	const char *home = gs_key_home(name);

	if (home)
		gs_parser_error(p, p->lineno,
		                "unknown key '%s' in [%s] (it belongs in [%s])",
		                name, section, home);
	else
		gs_parser_error(p, p->lineno, "unknown key '%s' in [%s]", name,
		                section);
}

/* "gpiochip0" and "/dev/gpiochip0" are the same chip. */
static const char *gs_chip_key(const char *chip)
{
	return strncmp(chip, "/dev/", 5) == 0 ? chip + 5 : chip;
}

static int gs_raw_line(const struct gs_parser *p, const char *key)
{
	for (unsigned i = 0; i < p->n_raw; i++)
		if (strcmp(p->raw[i].key->name, key) == 0)
			return p->raw[i].line;
	return 0;
}

/*
 * Checks that concern the sensor as a whole and its neighbours. Returns
 * whether its lines fit its type, so that later sensors are compared
 * with sound ones only.
 */
static bool gs_parser_sensor_check(struct gs_parser *p)
{
	struct gs_sensor_cfg *sc = &p->sensor;
	struct gs_config *cfg = p->cfg;
	int lines_line = gs_raw_line(p, "lines");

	if (sc->n_lines < gs_type_lines[sc->type].min ||
	    sc->n_lines > gs_type_lines[sc->type].max) {
		gs_parser_error(p, lines_line,
		                "lines: a %s sensor takes %s, not %u",
		                gs_sensor_type_name(sc->type),
		                gs_type_lines[sc->type].what, sc->n_lines);
		return false;
	}
	if (sc->type == GS_SENSOR_PULSE && sc->n_lines == 2 &&
	    gs_raw_line(p, "direction"))
		gs_parser_error(p, gs_raw_line(p, "direction"),
		                "direction: only a pulse sensor with one line "
		                "has a direction (two lines count in and out)");
	if (sc->type == GS_SENSOR_QUEUE &&
	    sc->max_wait_ms <= sc->target_wait_ms) {
		char mw[32], tw[32];
		int line = gs_raw_line(p, "max_wait");

		gs_duration_format(sc->max_wait_ms, mw, sizeof(mw));
		gs_duration_format(sc->target_wait_ms, tw, sizeof(tw));
		gs_parser_error(p, line ? line : gs_raw_line(p, "target_wait"),
		                "max_wait: %s must be longer than target_wait "
		                "(%s)",
		                mw, tw);
	}
	if (sc->type == GS_SENSOR_SMILEY) {
		for (unsigned i = 0; i < cfg->n_sensors; i++) {
			const struct gs_sensor_cfg *o = &cfg->sensors[i];

			if (o->type != GS_SENSOR_SMILEY ||
			    !p->sensor_sized[i] || o->n_lines == sc->n_lines)
				continue;
			gs_parser_error(p, lines_line,
			                "lines: %u buttons, but smiley '%s' "
			                "(line %d) has %u: all smiley "
			                "terminals of a site must have the "
			                "same number of buttons",
			                sc->n_lines, o->name, o->config_line,
			                o->n_lines);
			break;
		}
	}
	for (unsigned l = 0; sc->chip[0] && l < sc->n_lines; l++) {
		for (unsigned i = 0; i < cfg->n_sensors; i++) {
			const struct gs_sensor_cfg *o = &cfg->sensors[i];

			if (strcmp(gs_chip_key(o->chip), gs_chip_key(sc->chip)))
				continue;
			for (unsigned m = 0; m < o->n_lines; m++) {
				if (strcmp(o->lines[m], sc->lines[l]) != 0)
					continue;
				gs_parser_error(
				    p, lines_line,
				    "lines: %s %s is already used by "
				    "sensor '%s' (line %d)",
				    sc->chip, sc->lines[l], o->name,
				    p->sensor_lines_line[i]);
			}
		}
	}
	return true;
}

/* The end of a [sensor] section: its type is known, judge its keys. */
static void gs_parser_sensor_end(struct gs_parser *p)
{
	struct gs_sensor_cfg *sc = &p->sensor;
	const struct gs_key *tk = &gs_sensor_keys[0];
	char buf[160];
	const char *why;
	bool typed = false, lines_ok = false, sized = false;

	if (p->kind != GS_SK_SENSOR)
		return;
	p->kind = GS_SK_NONE;

	for (unsigned i = 0; i < p->n_raw; i++) {
		if (p->raw[i].key != tk)
			continue;
		why = gs_key_parse(tk, sc, p->raw[i].value, true, buf,
		                   sizeof(buf));
		if (why)
			gs_parser_bad_value(p, p->raw[i].line, tk->name,
			                    p->raw[i].value, why);
		else
			typed = true;
	}
	for (unsigned i = 0; i < p->n_raw; i++) {
		const struct gs_raw_value *r = &p->raw[i];

		if (r->key == tk)
			continue;
		if (typed && !(r->key->types & T_(sc->type))) {
			gs_parser_error(
			    p, r->line, "%s: does not apply to a %s sensor",
			    r->key->name, gs_sensor_type_name(sc->type));
			continue;
		}
		why =
		    gs_key_parse(r->key, sc, r->value, true, buf, sizeof(buf));
		if (why)
			gs_parser_bad_value(p, r->line, r->key->name, r->value,
			                    why);
		else if (r->key->type == GS_KT_LINES)
			lines_ok = true;
	}
	for (size_t i = 0; i < GS_N_SENSOR_KEYS; i++) {
		if ((gs_sensor_keys[i].flags & GS_KF_REQUIRED) &&
		    !p->sensor_key_line[i]) {
			gs_parser_error(p, sc->config_line,
			                "sensor '%s': missing required key "
			                "'%s'",
			                sc->name, gs_sensor_keys[i].name);
		}
	}
	/* The rest needs the type and the lines; a missing chip only
	 * hides the checks for lines used twice. */
	if (typed && lines_ok)
		sized = gs_parser_sensor_check(p);

	p->sensor_sized[p->cfg->n_sensors] = sized;
	p->sensor_lines_line[p->cfg->n_sensors] = gs_raw_line(p, "lines");
	p->cfg->sensors[p->cfg->n_sensors++] = *sc;
}

/*
 * The NAME of [WHAT "NAME"] into name (size bytes): checks its form.
 * Returns false after a message.
 */
static bool gs_parser_section_name(struct gs_parser *p, const char *text,
                                   const char *what, char *name, size_t size)
{
	const char *q = text + strlen(what);
	const char *end;
	size_t n;

	while (isspace((unsigned char)*q))
		q++;
	end = *q == '"' ? strchr(q + 1, '"') : NULL;
	if (!end || end[1] != '\0') {
		gs_parser_error(p, p->lineno,
		                "a %s section is written [%s \"NAME\"]", what,
		                what);
		return false;
	}
	q++;
	n = (size_t)(end - q);
	if (n == 0 || n >= size) {
		gs_parser_error(p, p->lineno,
		                "%s name must have 1 to %zu characters", what,
		                size - 1);
		return false;
	}
	memcpy(name, q, n);
	name[n] = '\0';
	if (!gs_is_id(name)) {
		gs_parser_error(p, p->lineno,
		                "%s name '%s' may contain only letters, "
		                "digits, '-' and '_'",
		                what, name);
		return false;
	}
	return true;
}

/* [sensor "NAME"]: checks the name and opens the section. */
static void gs_parser_sensor_begin(struct gs_parser *p, const char *text)
{
	int dup;

	gs_sensor_defaults(&p->sensor);
	if (!gs_parser_section_name(p, text, "sensor", p->sensor.name,
	                            sizeof(p->sensor.name)))
		return;
	p->sensor.config_line = p->lineno;
	dup = gs_config_find_sensor(p->cfg, p->sensor.name);
	if (dup >= 0) {
		gs_parser_error(
		    p, p->lineno, "duplicate sensor '%s' (first on line %d)",
		    p->sensor.name, p->cfg->sensors[dup].config_line);
		return;
	}
	if (p->cfg->n_sensors == GS_MAX_SENSORS) {
		gs_parser_error(p, p->lineno, "too many sensors (at most %d)",
		                GS_MAX_SENSORS);
		return;
	}
	p->kind = GS_SK_SENSOR;
	p->n_raw = 0;
	memset(p->sensor_key_line, 0, sizeof(p->sensor_key_line));
}

/* [output "NAME"]: checks the name and opens the section. */
static void gs_parser_output_begin(struct gs_parser *p, const char *text)
{
	struct gs_output_cfg *oc = &p->output;
	int dup;

	memset(oc, 0, sizeof(*oc));
	gs_keys_defaults(gs_output_keys, GS_N_OUTPUT_KEYS, oc);
	oc->ack_sensor = oc->ack_button = -1;
	if (!gs_parser_section_name(p, text, "output", oc->name,
	                            sizeof(oc->name)))
		return;
	oc->config_line = p->lineno;
	dup = gs_config_find_output(p->cfg, oc->name);
	if (dup >= 0) {
		gs_parser_error(p, p->lineno,
		                "duplicate output '%s' (first on line %d)",
		                oc->name, p->cfg->outputs[dup].config_line);
		return;
	}
	if (p->cfg->n_outputs == GS_MAX_OUTPUTS) {
		gs_parser_error(p, p->lineno, "too many outputs (at most %d)",
		                GS_MAX_OUTPUTS);
		return;
	}
	p->kind = GS_SK_OUTPUT;
	memset(p->output_key_line, 0, sizeof(p->output_key_line));
	memset(&p->deferred[p->cfg->n_outputs], 0, sizeof(p->deferred[0]));
}

/* The end of an [output] section: every key was parsed as it came. */
static void gs_parser_output_end(struct gs_parser *p)
{
	struct gs_output_cfg *oc = &p->output;

	if (p->kind != GS_SK_OUTPUT)
		return;
	p->kind = GS_SK_NONE;
	for (size_t i = 0; i < GS_N_OUTPUT_KEYS; i++)
		if ((gs_output_keys[i].flags & GS_KF_REQUIRED) &&
		    !p->output_key_line[i])
			gs_parser_error(p, oc->config_line,
			                "output '%s': missing required key "
			                "'%s'",
			                oc->name, gs_output_keys[i].name);
	oc->line_line =
	    p->output_key_line[gs_keys_find(gs_output_keys, GS_N_OUTPUT_KEYS,
	                                    -1, "line") -
	                       gs_output_keys];
	p->cfg->outputs[p->cfg->n_outputs++] = *oc;
}

static void gs_parser_output_key(struct gs_parser *p, const char *name,
                                 const char *value)
{
	const struct gs_key *k =
	    gs_keys_find(gs_output_keys, GS_N_OUTPUT_KEYS, -1, name);
	struct gs_raw_value *r;
	char sec[sizeof(p->output.name) + 16], buf[160];
	const char *why;
	size_t i;

	snprintf(sec, sizeof(sec), "output \"%s\"", p->output.name);
	if (!k) {
		gs_parser_unknown_key(p, name, sec);
		return;
	}
	i = (size_t)(k - gs_output_keys);
	if (p->output_key_line[i]) {
		gs_parser_error(p, p->lineno,
		                "duplicate key '%s' in [%s] (first on line %d)",
		                name, sec, p->output_key_line[i]);
		return;
	}
	p->output_key_line[i] = p->lineno;
	if (k->type == GS_KT_DEFERRED) {
		r = strcmp(name, "ack") == 0
		        ? &p->deferred[p->cfg->n_outputs].ack
		        : &p->deferred[p->cfg->n_outputs].sensors;
		if (strlen(value) >= sizeof(r->value)) {
			gs_parser_error(p, p->lineno, "%s: value is too long",
			                name);
			return;
		}
		r->key = k;
		r->line = p->lineno;
		snprintf(r->value, sizeof(r->value), "%s", value);
		return;
	}
	why = gs_key_parse(k, &p->output, value, true, buf, sizeof(buf));
	if (why)
		gs_parser_bad_value(p, p->lineno, name, value, why);
}

/* A section header; text is what is between the brackets, trimmed. */
static bool gs_section_is(const char *text, const char *what)
{
	size_t n = strlen(what);

	return strncmp(text, what, n) == 0 &&
	       (text[n] == '\0' || text[n] == '"' ||
	        isspace((unsigned char)text[n]));
}

static void gs_parser_section(struct gs_parser *p, const char *text)
{
	gs_parser_sensor_end(p);
	gs_parser_output_end(p);
	p->kind = GS_SK_SKIP;

	if (gs_section_is(text, "sensor")) {
		gs_parser_sensor_begin(p, text);
		return;
	}
	if (gs_section_is(text, "output")) {
		gs_parser_output_begin(p, text);
		return;
	}
	for (int s = 0; s < GS_SEC_COUNT_; s++) {
		if (strcmp(text, gs_section_names[s]) == 0) {
			p->kind = GS_SK_GLOBAL;
			p->section = s;
			if (!p->section_line[s])
				p->section_line[s] = p->lineno;
			return;
		}
	}
	gs_parser_error(p, p->lineno, "unknown section [%s]", text);
}

static void gs_parser_global_key(struct gs_parser *p, const char *name,
                                 const char *value)
{
	const char *sec = gs_section_names[p->section];
	const struct gs_key *k =
	    gs_keys_find(gs_keys, GS_N_KEYS, p->section, name);
	char buf[160];
	const char *why;
	size_t i;

	if (!k) {
		if (!gs_parser_retired_key(p, name))
			gs_parser_unknown_key(p, name, sec);
		return;
	}
	i = (size_t)(k - gs_keys);
	if (p->key_line[i]) {
		gs_parser_error(p, p->lineno,
		                "duplicate key '%s' in [%s] (first on line %d)",
		                name, sec, p->key_line[i]);
		return;
	}
	p->key_line[i] = p->lineno;
	why = gs_key_parse(k, p->cfg, value, true, buf, sizeof(buf));
	if (why)
		gs_parser_bad_value(p, p->lineno, name, value, why);
}

static void gs_parser_sensor_key(struct gs_parser *p, const char *name,
                                 const char *value)
{
	const struct gs_key *k =
	    gs_keys_find(gs_sensor_keys, GS_N_SENSOR_KEYS, -1, name);
	struct gs_raw_value *r;
	char sec[sizeof(p->sensor.name) + 16];
	size_t i, n = strlen(value);

	snprintf(sec, sizeof(sec), "sensor \"%s\"", p->sensor.name);
	if (!k) {
		gs_parser_unknown_key(p, name, sec);
		return;
	}
	i = (size_t)(k - gs_sensor_keys);
	if (p->sensor_key_line[i]) {
		gs_parser_error(p, p->lineno,
		                "duplicate key '%s' in [%s] (first on line %d)",
		                name, sec, p->sensor_key_line[i]);
		return;
	}
	p->sensor_key_line[i] = p->lineno;
	r = &p->raw[p->n_raw];
	if (n >= sizeof(r->value)) {
		gs_parser_error(p, p->lineno, "%s: value is too long", name);
		return;
	}
	r->key = k;
	r->line = p->lineno;
	memcpy(r->value, value, n + 1);
	p->n_raw++;
}

/* inih's handler: section is inih's view; ours is in p. */
static int gs_parser_handler(void *user, const char *section, const char *name,
                             const char *value)
{
	struct gs_parser *p = user;

	(void)section;
	if (!*name) {
		gs_parser_error(p, p->lineno, "missing key name before '='");
		return 1;
	}
	switch (p->kind) {
	case GS_SK_NONE:
		gs_parser_error(p, p->lineno,
		                "key '%s' is outside any section (start with "
		                "[gateway])",
		                name);
		break;
	case GS_SK_GLOBAL:
		gs_parser_global_key(p, name, value);
		break;
	case GS_SK_SENSOR:
		gs_parser_sensor_key(p, name, value);
		break;
	case GS_SK_OUTPUT:
		gs_parser_output_key(p, name, value);
		break;
	case GS_SK_SKIP:
		break;
	}
	/* Always "go on": every problem is reported by us, with its line. */
	return 1;
}

/*
 * inih's find_chars_or_comment(): the first of chars, or of an inline ';'
 * comment (a ';' after a blank), or the end.
 */
static const char *gs_find_or_comment(const char *s, const char *chars)
{
	bool blank = false;

	while (*s && !strchr(chars, *s) && !(blank && *s == ';')) {
		blank = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

/*
 * Judges one line the way inih will read it. Returns false (with a
 * message) for a line inih would reject, so that the caller can hand inih
 * an empty line instead; opens sections.
 */
static bool gs_parser_line(struct gs_parser *p, char *line)
{
	const char *e;

	if (*line == '\0' || *line == ';' || *line == '#')
		return true;
	if (*line == '[') {
		char text[256];
		const char *a = line + 1, *b;

		e = gs_find_or_comment(a, "]");
		if (*e != ']') {
			gs_parser_error(p, p->lineno,
			                "section header has no closing ']'");
			return false;
		}
		for (b = e + 1; isspace((unsigned char)*b); b++)
			;
		if (*b != '\0' && *b != ';' && *b != '#') {
			gs_parser_error(p, p->lineno,
			                "unexpected text after ']'");
			return false;
		}
		b = e;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		snprintf(text, sizeof(text), "%.*s", (int)(b - a), a);
		gs_parser_section(p, text);
		return true;
	}
	e = gs_find_or_comment(line, "=:");
	if (*e != '=' && *e != ':') {
		gs_parser_error(p, p->lineno,
		                "expected 'key = value', a [section] or a "
		                "comment");
		return false;
	}
	return true;
}

/*
 * inih's reader: one whole line per call, like fgets, so that our count
 * matches inih's. num is inih's buffer; inih wants 3 bytes of it for
 * "\r\n\0", so longer lines are refused here rather than split.
 */
static char *gs_parser_read(char *buf, int num, void *stream)
{
	struct gs_parser *p = stream;
	size_t max = num > 3 ? (size_t)num - 3 : 0;
	size_t n = 0, start = 0;
	bool nul = false, long_line = false;
	int c;

	while ((c = getc(p->file)) != EOF && c != '\n') {
		if (c == '\0')
			nul = true;
		if (n < max)
			buf[n++] = (char)c;
		else
			long_line = true;
	}
	if (c == EOF) {
		if (ferror(p->file)) {
			p->read_errno = errno ? errno : EIO;
			return NULL;
		}
		if (n == 0 && !long_line)
			return NULL;
	}
	p->lineno++;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (long_line) {
		gs_parser_error(p, p->lineno,
		                "line is too long (at most %zu characters)",
		                max);
		buf[0] = '\0';
		return buf;
	}
	if (nul) {
		gs_parser_error(p, p->lineno, "line contains a NUL byte");
		buf[0] = '\0';
		return buf;
	}
	/* A UTF-8 byte order mark, as editors on Windows write. */
	if (p->lineno == 1 && strncmp(buf, "\xEF\xBB\xBF", 3) == 0)
		start = 3;
	while (start < n && isspace((unsigned char)buf[start]))
		start++;
	memmove(buf, buf + start, n - start + 1);
	if (!gs_parser_line(p, buf))
		buf[0] = '\0';
	return buf;
}

/* ------------------------------------------------------------------ */
/* Whole-file checks                                                   */

static int gs_parser_line_of(const struct gs_parser *p, const char *name)
{
	for (size_t i = 0; i < GS_N_KEYS; i++)
		if (strcmp(gs_keys[i].name, name) == 0)
			return p->key_line[i];
	return 0;
}

static void gs_parser_finish(struct gs_parser *p)
{
	struct gs_config *cfg = p->cfg;
	static const char *const tls_keys[] = {"ca_file", "ca_path",
	                                       "cert_file", "key_file"};
	static const char *const v5_keys[] = {"message_expiry"};

	for (size_t i = 0; i < GS_N_KEYS; i++) {
		const struct gs_key *k = &gs_keys[i];

		if (!(k->flags & GS_KF_REQUIRED) || p->key_line[i])
			continue;
		gs_parser_error(p, p->section_line[k->section],
		                "missing required key '%s' in [%s]", k->name,
		                gs_section_names[k->section]);
	}

	if (!gs_parser_line_of(p, "client_id") && cfg->gateway_id[0]) {
		int n = snprintf(cfg->client_id, sizeof(cfg->client_id),
		                 "gapsense-%s", cfg->gateway_id);

		if (n < 0 || (size_t)n >= sizeof(cfg->client_id))
			gs_parser_error(
			    p, gs_parser_line_of(p, "id"),
			    "id: too long for the default client_id "
			    "'gapsense-<id>' (at most %zu "
			    "characters): set [mqtt] client_id",
			    sizeof(cfg->client_id) - 1);
	}

	if (cfg->reconnect_min_ms > cfg->reconnect_max_ms) {
		int line = gs_parser_line_of(p, "reconnect_max");

		gs_parser_error(
		    p, line ? line : gs_parser_line_of(p, "reconnect_min"),
		    "reconnect_max must not be shorter than "
		    "reconnect_min");
	}

	if (!gs_config_broker_is_tls(cfg)) {
		for (size_t i = 0; i < sizeof(tls_keys) / sizeof(*tls_keys);
		     i++) {
			int line = gs_parser_line_of(p, tls_keys[i]);

			if (line)
				gs_parser_error(p, line,
				                "%s: needs a TLS broker "
				                "(mqtts://, ssl:// or wss://)",
				                tls_keys[i]);
		}
	}
	if (!cfg->cert_file[0] != !cfg->key_file[0]) {
		int line = gs_parser_line_of(p, "cert_file");

		gs_parser_error(p,
		                line ? line : gs_parser_line_of(p, "key_file"),
		                "cert_file and key_file must be set together");
	}
	cfg->file_line.password_file = gs_parser_line_of(p, "password_file");
	cfg->file_line.ca_file = gs_parser_line_of(p, "ca_file");
	cfg->file_line.ca_path = gs_parser_line_of(p, "ca_path");
	cfg->file_line.cert_file = gs_parser_line_of(p, "cert_file");
	cfg->file_line.key_file = gs_parser_line_of(p, "key_file");
	if (cfg->mqtt_version != 5) {
		for (size_t i = 0; i < sizeof(v5_keys) / sizeof(*v5_keys);
		     i++) {
			int line = gs_parser_line_of(p, v5_keys[i]);

			if (line)
				gs_parser_error(p, line,
				                "%s: needs protocol = 5",
				                v5_keys[i]);
		}
	}
}

struct gs_sensors_arg {
	const struct gs_config *cfg;
	uint32_t mask;
};

static const char *gs_output_sensor_item(const char *item, void *arg, char *buf,
                                         size_t len)
{
	struct gs_sensors_arg *a = arg;
	int i = gs_config_find_sensor(a->cfg, item);

	if (i < 0) {
		snprintf(buf, len, "names '%.48s', which is not a sensor",
		         item);
		return buf;
	}
	a->mask |= 1u << i;
	return NULL;
}

/*
 * ack = SENSOR (a button sensor) or SENSOR:N (button N of a staff
 * terminal, 1 = most negative). Returns NULL or why not.
 */
static const char *gs_output_ack_parse(const struct gs_config *cfg,
                                       struct gs_output_cfg *oc, const char *v,
                                       char *buf, size_t len)
{
	char name[GS_NAME_MAX];
	const char *colon = strchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : strlen(v);
	const struct gs_sensor_cfg *sc;
	unsigned long b = 0;
	char *end;
	int i;

	if (n == 0 || n >= sizeof(name))
		return "is not a sensor name";
	memcpy(name, v, n);
	name[n] = '\0';
	i = gs_config_find_sensor(cfg, name);
	if (i < 0) {
		snprintf(buf, len, "names '%s', which is not a sensor", name);
		return buf;
	}
	sc = &cfg->sensors[i];
	if (colon) {
		errno = 0;
		b = strtoul(colon + 1, &end, 10);
		if (!isdigit((unsigned char)colon[1]) || *end || errno)
			return "is not SENSOR:N (N a button number, 1 = most "
			       "negative)";
	}
	if (sc->type == GS_SENSOR_BUTTON && colon)
		return "names a button sensor, which has one button: write "
		       "its name alone";
	if (sc->type == GS_SENSOR_STAFF &&
	    (!colon || b < 1 || b > sc->n_lines)) {
		snprintf(buf, len,
		         "names staff terminal '%s': say which button, "
		         "%s:N with N from 1 to %u",
		         name, name, sc->n_lines);
		return buf;
	}
	if (sc->type != GS_SENSOR_BUTTON && sc->type != GS_SENSOR_STAFF) {
		snprintf(buf, len,
		         "names a %s sensor: an output is acknowledged by a "
		         "button sensor or a staff terminal's button",
		         gs_sensor_type_name(sc->type));
		return buf;
	}
	oc->ack_sensor = i;
	oc->ack_button = colon ? (int)b - 1 : -1;
	return NULL;
}

/* The line of output o as "chip line" is used by a sensor or an
 * earlier output: a line is an input or an output, never both. */
static void gs_output_line_check(struct gs_parser *p, unsigned o)
{
	const struct gs_config *cfg = p->cfg;
	const struct gs_output_cfg *oc = &cfg->outputs[o];
	const char *chip = gs_chip_key(oc->chip);

	for (unsigned i = 0; i < cfg->n_sensors; i++) {
		const struct gs_sensor_cfg *sc = &cfg->sensors[i];

		if (strcmp(gs_chip_key(sc->chip), chip) != 0)
			continue;
		for (unsigned l = 0; l < sc->n_lines; l++)
			if (strcmp(sc->lines[l], oc->line) == 0)
				gs_parser_error(
				    p, oc->line_line,
				    "line: %s %s is already sensor '%s''s "
				    "input (line %d): a line is an input or "
				    "an output, never both",
				    oc->chip, oc->line, sc->name,
				    p->sensor_lines_line[i]);
	}
	for (unsigned k = 0; k < o; k++) {
		const struct gs_output_cfg *ok = &cfg->outputs[k];

		if (strcmp(gs_chip_key(ok->chip), chip) == 0 &&
		    strcmp(ok->line, oc->line) == 0)
			gs_parser_error(p, oc->line_line,
			                "line: %s %s is already output '%s' "
			                "(line %d)",
			                oc->chip, oc->line, ok->name,
			                ok->line_line);
	}
}

/* What of [output] sections names sensors, now that all are known. */
static void gs_parser_outputs_check(struct gs_parser *p)
{
	struct gs_config *cfg = p->cfg;
	char buf[200];
	const char *why;

	for (unsigned o = 0; o < cfg->n_outputs; o++) {
		struct gs_output_cfg *oc = &cfg->outputs[o];
		const struct gs_raw_value *sens = &p->deferred[o].sensors;
		const struct gs_raw_value *ack = &p->deferred[o].ack;

		if (oc->chip[0] && oc->line[0])
			gs_output_line_check(p, o);
		if (sens->line) {
			struct gs_sensors_arg a = {cfg, 0};

			why = gs_list_each(sens->value, buf, sizeof(buf),
			                   gs_output_sensor_item, &a);
			if (why)
				gs_parser_bad_value(p, sens->line, "sensors",
				                    sens->value, why);
			oc->sensors = a.mask;
		}
		if (ack->line) {
			why = gs_output_ack_parse(cfg, oc, ack->value, buf,
			                          sizeof(buf));
			if (why)
				gs_parser_bad_value(p, ack->line, "ack",
				                    ack->value, why);
		} else if (oc->end == GS_END_ACK) {
			gs_parser_error(p, oc->config_line,
			                "output '%s': end = ack needs an ack "
			                "input (ack = SENSOR or "
			                "STAFF_TERMINAL:N)",
			                oc->name);
		}
	}
}

/*
 * Whole-file and per-sensor checks run after the lines they concern were
 * read; an installer reads the file from the top, so the messages are put
 * in line order (stable: same line, order found).
 */
static void gs_parser_sort(struct gs_parser *p)
{
	struct gs_diag *d = p->diag;
	unsigned n = d->count < GS_DIAG_MAX ? d->count : GS_DIAG_MAX;
	char tmp[sizeof(d->msg[0])];

	for (unsigned i = 1; i < n; i++) {
		int line = p->diag_line[i];
		unsigned j = i;

		if (line >= p->diag_line[i - 1])
			continue;
		memcpy(tmp, d->msg[i], sizeof(tmp));
		for (; j > 0 && p->diag_line[j - 1] > line; j--) {
			memcpy(d->msg[j], d->msg[j - 1], sizeof(tmp));
			p->diag_line[j] = p->diag_line[j - 1];
		}
		memcpy(d->msg[j], tmp, sizeof(tmp));
		p->diag_line[j] = line;
	}
}

int gs_config_load(const char *path, struct gs_config *cfg,
                   struct gs_diag *diag)
{
	struct gs_diag scratch;
	struct gs_parser *p;
	const char *why = NULL;
	int ret, rc, fd;

	if (!diag)
		diag = &scratch;
	diag->count = 0;
	gs_config_defaults(cfg);
	if (strlen(path) >= sizeof(cfg->path)) {
		gs_diag_add(diag, path, 0, "path is too long (at most %zu)",
		            sizeof(cfg->path) - 1);
		return GS_ECONFIG;
	}
	memcpy(cfg->path, path, strlen(path) + 1);

	p = calloc(1, sizeof(*p));
	if (!p) {
		gs_diag_add(diag, path, 0, "out of memory");
		return GS_ENOMEM;
	}
	p->path = path;
	p->cfg = cfg;
	p->diag = diag;
	fd = gs_input_open(path, &why); /* a regular file, or refused */
	p->file = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!p->file) {
		int err = errno;

		if (fd >= 0) {
			why = strerror(err);
			close(fd);
		}
		gs_diag_add(diag, path, 0, "cannot open: %s", why);
		rc = (err == ENOENT || err == ENOTDIR) ? GS_ENOENT : GS_EIO;
		goto err_free;
	}

	ret = ini_parse_stream(gs_parser_read, p, gs_parser_handler, p);
	if (p->read_errno) {
		gs_diag_add(diag, path, 0, "cannot read: %s",
		            strerror(p->read_errno));
		rc = GS_EIO;
		goto err_close;
	}
	if (ret == -2) {
		gs_diag_add(diag, path, 0, "out of memory");
		rc = GS_ENOMEM;
		goto err_close;
	}
	gs_parser_sensor_end(p);
	gs_parser_output_end(p);
	if (ret > 0)
		/* The reader screens out what inih rejects; just in case. */
		gs_parser_error(p, ret, "syntax error");
	gs_parser_finish(p);
	gs_parser_outputs_check(p);
	gs_parser_sort(p);

	rc = p->errors ? GS_ECONFIG : GS_OK;
	if (rc == GS_OK && cfg->n_sensors == 0)
		gs_log(GS_LOG_WARNING,
		       "%s: no [sensor \"NAME\"] section: the gateway will "
		       "run but count nothing",
		       path);
err_close:
	fclose(p->file);
err_free:
	free(p);
	return rc;
}

int gs_config_load_print(const char *path, struct gs_config *cfg,
                         enum gs_diag_to to)
{
	struct gs_diag *diag = calloc(1, sizeof(*diag));
	int rc;

	if (!diag)
		return GS_ENOMEM;
	rc = gs_config_load(path, cfg, diag);
	gs_diag_print(diag, to);
	free(diag);
	return rc;
}

bool gs_config_broker_is_tls(const struct gs_config *cfg)
{
	return gs_scheme_in(cfg->broker, gs_tls_schemes);
}

int gs_config_find_sensor(const struct gs_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_sensors; i++)
		if (strcmp(cfg->sensors[i].name, name) == 0)
			return (int)i;
	return -1;
}

int gs_config_find_output(const struct gs_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_outputs; i++)
		if (strcmp(cfg->outputs[i].name, name) == 0)
			return (int)i;
	return -1;
}

unsigned gs_config_smiley_buttons(const struct gs_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_sensors; i++)
		if (cfg->sensors[i].type == GS_SENSOR_SMILEY)
			return cfg->sensors[i].n_lines;
	return 0;
}
