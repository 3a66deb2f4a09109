/* SPDX-License-Identifier: MIT */
/*
 * The gateway's configuration: an INI file read with inih and validated
 * against one table of keys (name, type, default, range) in config.c.
 *
 * struct gs_config is a plain value with fixed-size arrays: it owns no
 * memory, can be copied, and a reload builds a new one beside the old so a
 * bad file never disturbs the running daemon.
 */
#ifndef GS_CONFIG_H
#define GS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GS_MAX_SENSORS      32
#define GS_MAX_OUTPUTS      8
#define GS_SENSOR_MAX_LINES 5
#define GS_NAME_MAX         48  /* ids, sensor names, line names, with NUL */
#define GS_PATH_MAX         256 /* paths and URIs, with NUL */

enum gs_sensor_type {
	GS_SENSOR_BEAM_PAIR, /* lines: A (outside), B (inside) */
	GS_SENSOR_PULSE,     /* lines: count, or in + out */
	GS_SENSOR_QUEUE,     /* lines: entry, exit (till) */
	GS_SENSOR_SMILEY,    /* lines: 3-5 buttons, most negative first */
	GS_SENSOR_STAFF,     /* lines: 3-5 buttons, most negative first */
	GS_SENSOR_BUTTON,    /* line: one push-button (acknowledges outputs) */
	GS_SENSOR_TYPE_COUNT_
};

/* "beam_pair", "pulse", ...; NULL for an invalid value. */
const char *gs_sensor_type_name(enum gs_sensor_type type);

enum gs_bias {
	GS_BIAS_AS_IS, /* leave the line's bias as the kernel has it */
	GS_BIAS_DISABLED,
	GS_BIAS_PULL_UP,
	GS_BIAS_PULL_DOWN,
};

enum gs_direction {
	GS_DIR_NONE, /* counts in its own sensor block, not in footfall */
	GS_DIR_IN,
	GS_DIR_OUT,
};

struct gs_sensor_cfg {
	char name[GS_NAME_MAX];
	enum gs_sensor_type type;
	int config_line; /* line of the [sensor "NAME"] header, for messages */

	/* chip: a path (/dev/gpiochip0), a name (gpiochip0) or a label
	 * (pinctrl-rp1). Each line: a line name (GPIO17) or an offset ("17"),
	 * kept as written: scenario files name lines the same way. */
	char chip[GS_NAME_MAX];
	unsigned n_lines;
	char lines[GS_SENSOR_MAX_LINES][GS_NAME_MAX];

	bool active_low;
	enum gs_bias bias;
	int64_t debounce_ms; /* 0 = none */
	int64_t fault_ms;    /* active strictly longer than this = fault */

	int64_t min_break_ms;        /* beam_pair: shorter breaks are noise */
	enum gs_direction direction; /* pulse with one line */
	int64_t target_wait_ms;      /* queue */
	int64_t max_wait_ms; /* queue: unmatched after this = abandoned */
	int64_t lockout_ms;  /* smiley, staff */
};

/* The alerts an output can be switched on by (docs/mqtt.md, alert types). */
enum gs_alert_type {
	GS_ALERT_DISCONTENT_BURST,
	GS_ALERT_QUEUE_WAIT_HIGH,
	GS_ALERT_SENSOR_FAULT,
	GS_ALERT_TYPE_COUNT_
};

/* "discontent_burst", ...; NULL for an invalid value. */
const char *gs_alert_type_name(enum gs_alert_type type);

enum gs_output_signal {
	GS_SIGNAL_STEADY,
	GS_SIGNAL_BLINK,
};

/* What switches a lit output off. */
enum gs_output_end {
	GS_END_HOLD,  /* hold_ms after the alert (or the last one) */
	GS_END_CLEAR, /* when the alert's condition clears */
	GS_END_ACK,   /* only an acknowledgement */
};

/*
 * [output "NAME"]: a lamp, buzzer or relay on a GPIO line, switched on by
 * alerts and off by its end rule or an acknowledgement (gateway/outputs.h).
 */
struct gs_output_cfg {
	char name[GS_NAME_MAX];
	int config_line; /* of the [output "NAME"] header */
	int line_line;   /* of its "line" key, for messages */

	char chip[GS_NAME_MAX]; /* as for sensors */
	char line[GS_NAME_MAX];
	bool active_low;

	unsigned alerts;  /* mask of 1 << enum gs_alert_type */
	uint32_t sensors; /* mask of sensor indices; 0 = any sensor */
	enum gs_output_signal signal;
	int64_t blink_ms; /* blink: one on-off period */
	enum gs_output_end end;
	int64_t hold_ms; /* end = hold; also a cap for end = clear (0: none) */
	int ack_sensor;  /* index into sensors, -1: no acknowledgement */
	int ack_button;  /* button of a terminal, -1: any press (button) */
};

struct gs_config {
	char path[GS_PATH_MAX]; /* the file it was read from */

	/* [gateway] */
	char gateway_id[GS_NAME_MAX];
	char site[GS_NAME_MAX];
	char timezone[GS_NAME_MAX]; /* IANA name, e.g. Europe/Berlin */
	int64_t window_ms;          /* 1..60 min, divides an hour */
	int64_t grace_ms;           /* run: close a window at end + grace */
	int64_t day_start_ms;       /* occupancy reset, local time of day */
	int64_t unsynced_hold_ms;   /* run: hold windows for a clock sync */

	/* [metrics] */
	unsigned min_responses;
	double gap_threshold; /* 0..100 */

	/* [alerts] */
	int64_t burst_window_ms;
	unsigned burst_min;
	double burst_share_pct; /* 0..100 */
	int64_t queue_alert_window_ms;
	double queue_rearm_pct; /* of target_wait */

	/* [storage] */
	char database[GS_PATH_MAX];
	int64_t retention_ms;       /* delivered history kept this long */
	int64_t commit_interval_ms; /* group commit: at most this old */
	unsigned commit_events;     /* group commit: at most this many */
	int64_t sync_interval_ms;   /* WAL fsync: 0 = every commit */

	/* [mqtt] */
	char broker[GS_PATH_MAX]; /* mqtt://host:port or mqtts://host:port */
	char client_id[GS_NAME_MAX];
	char topic_prefix[GS_NAME_MAX];
	char username[GS_NAME_MAX];
	char password_file[GS_PATH_MAX];
	char ca_file[GS_PATH_MAX];
	char ca_path[GS_PATH_MAX];
	char cert_file[GS_PATH_MAX];
	char key_file[GS_PATH_MAX];
	bool tls_verify_hostname;
	unsigned mqtt_version; /* 4 = 3.1.1, 5 */
	int64_t keepalive_ms;
	unsigned inflight; /* QoS 1 messages in flight */
	double drain_rate; /* historical messages per second */
	int64_t
	    live_grace_ms; /* a longer outage makes the backlog historical */
	int64_t ack_timeout_ms; /* no PUBACK this long: reconnect */
	int64_t reconnect_min_ms;
	int64_t reconnect_max_ms;
	int64_t outbox_max_bytes;
	int64_t outbox_max_age_ms;
	int64_t message_expiry_ms; /* MQTT 5; 0 = none */

	unsigned n_sensors;
	struct gs_sensor_cfg sensors[GS_MAX_SENSORS];

	unsigned n_outputs;
	struct gs_output_cfg outputs[GS_MAX_OUTPUTS];

	/* Lines of the keys that name files (0: not set), for messages of
	 * gs_config_files_check() (gateway/config_files.h). */
	struct {
		int password_file, ca_file, ca_path, cert_file, key_file;
	} file_line;
};

/*
 * Problems found while loading, each as "FILE:LINE: message". Loading never
 * stops at the first one, so an installer sees them all at once.
 */
#define GS_DIAG_MAX 64
struct gs_diag {
	unsigned count; /* problems found, may exceed GS_DIAG_MAX */
	char msg[GS_DIAG_MAX][256];
};

void gs_diag_add(struct gs_diag *diag, const char *file, int line,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Where gs_diag_print() tells the problems. */
enum gs_diag_to {
	GS_DIAG_TO_STDERR, /* one a line: the commands an installer runs */
	GS_DIAG_TO_LOG,    /* at error level: the daemon */
};

/* Tells each problem diag holds (the first GS_DIAG_MAX of them). */
void gs_diag_print(const struct gs_diag *diag, enum gs_diag_to to);

/* The fixed sections of the file, each a set of keys in config.c's table. */
enum gs_config_section {
	GS_SEC_GATEWAY,
	GS_SEC_METRICS,
	GS_SEC_ALERTS,
	GS_SEC_STORAGE,
	GS_SEC_MQTT,
	GS_SEC_COUNT_,
};

/*
 * Whether a and b hold the same value for every key of section, each
 * compared by its type (strings up to their NUL). A reload asks this of
 * [mqtt] to decide whether the MQTT client must be made anew.
 */
bool gs_config_section_equal(const struct gs_config *a,
                             const struct gs_config *b,
                             enum gs_config_section section);

/* Fills cfg with every default; sensors none. */
void gs_config_defaults(struct gs_config *cfg);

/*
 * Reads and validates path into cfg. Returns 0, or GS_ECONFIG with every
 * problem in diag (cfg is then unspecified), or GS_ENOENT/GS_EIO if the file
 * cannot be read (also in diag).
 */
int gs_config_load(const char *path, struct gs_config *cfg,
                   struct gs_diag *diag);

/* Whether cfg's broker is reached over TLS (mqtts://, ssl:// or wss://). */
bool gs_config_broker_is_tls(const struct gs_config *cfg);

/*
 * gs_config_load() with a diag of its own, whose problems it tells with
 * gs_diag_print(). Returns what gs_config_load() returns, or GS_ENOMEM.
 */
int gs_config_load_print(const char *path, struct gs_config *cfg,
                         enum gs_diag_to to);

/* Index of the sensor named name, or -1. */
int gs_config_find_sensor(const struct gs_config *cfg, const char *name);

/* Index of the output named name, or -1. */
int gs_config_find_output(const struct gs_config *cfg, const char *name);

/* Number of buttons of the site's smiley terminals (0 when none). */
unsigned gs_config_smiley_buttons(const struct gs_config *cfg);

#endif
