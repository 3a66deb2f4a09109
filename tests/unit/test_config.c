/* SPDX-License-Identifier: MIT */
/*
 * The configuration loader: the shipped example and other good files with
 * every field checked, and bad files with every message checked exactly,
 * line number included.
 */
#include "gateway/config.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/timeutil.h"
#include "testutil.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

/* struct gs_config is large: keep it off cmocka's stack. */
static struct gs_config cfg;
static struct gs_diag diag;

static int setup(void **state)
{
	(void)state;
	/* The messages name the zone directory. */
	setenv("TZDIR", "/usr/share/zoneinfo", 1);
	memset(&cfg, 0, sizeof(cfg));
	memset(&diag, 0, sizeof(diag));
	return 0;
}

static void print_diag(void)
{
	for (unsigned i = 0; i < diag.count && i < GS_DIAG_MAX; i++)
		fprintf(stderr, "  diag: %s\n", diag.msg[i]);
}

static int load(const char *path)
{
	int rc = gs_config_load(path, &cfg, &diag);

	if (rc != GS_OK)
		print_diag();
	return rc;
}

static const char *example_path(void)
{
	static char path[1024];

	/* GS_TEST_DATA is tests/data of the source tree. */
	snprintf(path, sizeof(path), "%s/../../deploy/gapsense.conf.example",
	         gs_test_data(""));
	return path;
}

static void assert_defaults_global(const struct gs_config *c)
{
	assert_string_equal(c->timezone, "UTC");
	assert_int_equal(c->window_ms, 15 * GS_MS_PER_MIN);
	assert_int_equal(c->grace_ms, 5 * GS_MS_PER_S);
	assert_int_equal(c->day_start_ms, 4 * GS_MS_PER_H);
	assert_int_equal(c->unsynced_hold_ms, GS_MS_PER_H);
	assert_int_equal(c->min_responses, 5);
	assert_true(c->gap_threshold == 70.0);
	assert_int_equal(c->burst_window_ms, 10 * GS_MS_PER_MIN);
	assert_int_equal(c->burst_min, 5);
	assert_true(c->burst_share_pct == 50.0);
	assert_int_equal(c->queue_alert_window_ms, 10 * GS_MS_PER_MIN);
	assert_true(c->queue_rearm_pct == 80.0);
	assert_string_equal(c->database, "/var/lib/gapsense/gapsense.db");
	assert_int_equal(c->retention_ms, 90 * GS_MS_PER_DAY);
	assert_int_equal(c->commit_interval_ms, 500);
	assert_int_equal(c->commit_events, 64);
	assert_int_equal(c->sync_interval_ms, 10 * GS_MS_PER_S);
	assert_string_equal(c->broker, "mqtt://localhost:1883");
	assert_string_equal(c->topic_prefix, "gapsense/v1");
	assert_string_equal(c->username, "");
	assert_string_equal(c->password_file, "");
	assert_string_equal(c->ca_file, "");
	assert_string_equal(c->ca_path, "");
	assert_string_equal(c->cert_file, "");
	assert_string_equal(c->key_file, "");
	assert_true(c->tls_verify_hostname);
	assert_int_equal(c->mqtt_version, 4);
	assert_int_equal(c->keepalive_ms, 30 * GS_MS_PER_S);
	assert_int_equal(c->inflight, 16);
	assert_true(c->drain_rate == 50.0);
	assert_int_equal(c->live_grace_ms, 10 * GS_MS_PER_S);
	assert_int_equal(c->ack_timeout_ms, 30 * GS_MS_PER_S);
	assert_int_equal(c->reconnect_min_ms, GS_MS_PER_S);
	assert_int_equal(c->reconnect_max_ms, 5 * GS_MS_PER_MIN);
	assert_int_equal(c->outbox_max_bytes, 64 * 1024 * 1024);
	assert_int_equal(c->outbox_max_age_ms, 30 * GS_MS_PER_DAY);
	assert_int_equal(c->message_expiry_ms, 0);
}

/* The sensor defaults that the example leaves alone. */
static void assert_sensor_defaults(const struct gs_sensor_cfg *s)
{
	assert_int_equal(s->fault_ms, 60 * GS_MS_PER_S);
	assert_int_equal(s->direction, GS_DIR_NONE);
	assert_int_equal(s->target_wait_ms, 3 * GS_MS_PER_MIN);
	assert_int_equal(s->max_wait_ms, 30 * GS_MS_PER_MIN);
}

static void test_defaults(void **state)
{
	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	gs_config_defaults(&cfg);
	assert_defaults_global(&cfg);
	assert_string_equal(cfg.gateway_id, "");
	assert_string_equal(cfg.site, "");
	assert_string_equal(cfg.client_id, "");
	assert_int_equal(cfg.n_sensors, 0);
	assert_int_equal(gs_config_smiley_buttons(&cfg), 0);
	assert_int_equal(gs_config_find_sensor(&cfg, "x"), -1);
}

/* The line of [sensor "name"] in path, found the simple way. */
static int header_line(const char *path, const char *name)
{
	char line[512], want[128];
	FILE *f = fopen(path, "r");
	int n = 0;

	assert_non_null(f);
	snprintf(want, sizeof(want), "[sensor \"%s\"]\n", name);
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (strcmp(line, want) == 0) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	fail_msg("no [sensor \"%s\"] in %s", name, path);
	return -1;
}

static void test_example(void **state)
{
	const struct gs_sensor_cfg *s;

	(void)state;
	assert_int_equal(load(example_path()), GS_OK);
	assert_int_equal(diag.count, 0);
	assert_string_equal(cfg.path, example_path());

	assert_string_equal(cfg.gateway_id, "till-1");
	assert_string_equal(cfg.site, "store-042");
	assert_string_equal(cfg.timezone, "Europe/Berlin");
	assert_string_equal(cfg.client_id, "gapsense-till-1");
	/* Every other global key is at its default value, whether the
	 * example spells it out or not. */
	strcpy(cfg.timezone, "UTC");
	assert_defaults_global(&cfg);

	assert_int_equal(cfg.n_sensors, 4);
	assert_int_equal(gs_config_smiley_buttons(&cfg), 4);

	s = &cfg.sensors[0];
	assert_string_equal(s->name, "entrance");
	assert_int_equal(s->type, GS_SENSOR_BEAM_PAIR);
	assert_int_equal(s->config_line,
	                 header_line(example_path(), "entrance"));
	assert_string_equal(s->chip, "pinctrl-rp1");
	assert_int_equal(s->n_lines, 2);
	assert_string_equal(s->lines[0], "GPIO17");
	assert_string_equal(s->lines[1], "GPIO27");
	assert_true(s->active_low);
	assert_int_equal(s->bias, GS_BIAS_PULL_UP);
	assert_int_equal(s->debounce_ms, 0);
	assert_int_equal(s->min_break_ms, 30);
	assert_int_equal(s->lockout_ms, 2000);
	assert_sensor_defaults(s);

	s = &cfg.sensors[1];
	assert_string_equal(s->name, "till-queue");
	assert_int_equal(s->type, GS_SENSOR_QUEUE);
	assert_int_equal(s->config_line,
	                 header_line(example_path(), "till-queue"));
	assert_string_equal(s->chip, "pinctrl-rp1");
	assert_int_equal(s->n_lines, 2);
	assert_string_equal(s->lines[0], "GPIO22");
	assert_string_equal(s->lines[1], "GPIO23");
	assert_true(s->active_low);
	assert_int_equal(s->bias, GS_BIAS_PULL_UP);
	assert_sensor_defaults(s);

	s = &cfg.sensors[2];
	assert_string_equal(s->name, "smiley-exit");
	assert_int_equal(s->type, GS_SENSOR_SMILEY);
	assert_int_equal(s->config_line,
	                 header_line(example_path(), "smiley-exit"));
	assert_int_equal(s->n_lines, 4);
	assert_string_equal(s->lines[0], "GPIO5");
	assert_string_equal(s->lines[1], "GPIO6");
	assert_string_equal(s->lines[2], "GPIO13");
	assert_string_equal(s->lines[3], "GPIO19");
	assert_true(s->active_low);
	assert_int_equal(s->bias, GS_BIAS_PULL_UP);
	assert_int_equal(s->debounce_ms, 20);
	assert_int_equal(s->lockout_ms, 2000);
	assert_sensor_defaults(s);

	s = &cfg.sensors[3];
	assert_string_equal(s->name, "staff");
	assert_int_equal(s->type, GS_SENSOR_STAFF);
	assert_int_equal(s->config_line, header_line(example_path(), "staff"));
	assert_int_equal(s->n_lines, 4);
	assert_string_equal(s->lines[0], "GPIO12");
	assert_string_equal(s->lines[3], "GPIO21");
	assert_int_equal(s->debounce_ms, 0);
	assert_int_equal(s->lockout_ms, 2000);
	assert_sensor_defaults(s);

	assert_int_equal(gs_config_find_sensor(&cfg, "smiley-exit"), 2);
	assert_int_equal(gs_config_find_sensor(&cfg, "staff"), 3);
	assert_int_equal(gs_config_find_sensor(&cfg, "nope"), -1);
}

static void test_minimal(void **state)
{
	(void)state;
	assert_int_equal(load(gs_test_data("config/minimal.conf")), GS_OK);
	assert_string_equal(cfg.gateway_id, "gw-1");
	assert_string_equal(cfg.site, "shop");
	assert_string_equal(cfg.client_id, "gapsense-gw-1");
	assert_defaults_global(&cfg);
	assert_int_equal(cfg.n_sensors, 0);
}

static void test_full(void **state)
{
	const struct gs_sensor_cfg *s;
	const struct gs_output_cfg *o;

	(void)state;
	assert_int_equal(load(gs_test_data("config/full.conf")), GS_OK);
	assert_string_equal(cfg.gateway_id, "Gw_2");
	assert_string_equal(cfg.site, "site-9");
	assert_string_equal(cfg.timezone, "America/New_York");
	assert_int_equal(cfg.window_ms, 5 * GS_MS_PER_MIN);
	assert_int_equal(cfg.grace_ms, 10 * GS_MS_PER_S);
	assert_int_equal(cfg.day_start_ms,
	                 6 * GS_MS_PER_H + 30 * GS_MS_PER_MIN);
	assert_int_equal(cfg.unsynced_hold_ms, 2 * GS_MS_PER_H);
	assert_int_equal(cfg.min_responses, 3);
	assert_true(cfg.gap_threshold == 65.5);
	assert_int_equal(cfg.burst_window_ms, 5 * GS_MS_PER_MIN);
	assert_int_equal(cfg.burst_min, 4);
	assert_true(cfg.burst_share_pct == 40.0);
	assert_int_equal(cfg.queue_alert_window_ms, 15 * GS_MS_PER_MIN);
	assert_true(cfg.queue_rearm_pct == 75.0);
	assert_string_equal(cfg.database, "/tmp/gapsense/full.db");
	assert_int_equal(cfg.retention_ms, 30 * GS_MS_PER_DAY);
	assert_int_equal(cfg.commit_interval_ms, 250);
	assert_int_equal(cfg.commit_events, 128);
	assert_int_equal(cfg.sync_interval_ms, 0);
	assert_string_equal(cfg.broker, "mqtts://broker.example.com:8883");
	assert_string_equal(cfg.client_id, "unit-2");
	assert_string_equal(cfg.topic_prefix, "acme/gapsense/v1");
	assert_string_equal(cfg.username, "gw2");
	assert_string_equal(cfg.password_file, "/etc/gapsense/mqtt-password");
	assert_string_equal(cfg.ca_file, "/etc/ssl/certs/ca-certificates.crt");
	assert_string_equal(cfg.ca_path, "/etc/ssl/certs");
	assert_string_equal(cfg.cert_file, "/etc/gapsense/client.crt");
	assert_string_equal(cfg.key_file, "/etc/gapsense/client.key");
	assert_false(cfg.tls_verify_hostname);
	assert_int_equal(cfg.mqtt_version, 5);
	assert_int_equal(cfg.keepalive_ms, GS_MS_PER_MIN);
	assert_int_equal(cfg.inflight, 32);
	assert_true(cfg.drain_rate == 12.5);
	assert_int_equal(cfg.live_grace_ms, 30 * GS_MS_PER_S);
	assert_int_equal(cfg.ack_timeout_ms, 45 * GS_MS_PER_S);
	assert_int_equal(cfg.reconnect_min_ms, 2 * GS_MS_PER_S);
	assert_int_equal(cfg.reconnect_max_ms, 10 * GS_MS_PER_MIN);
	assert_int_equal(cfg.outbox_max_bytes, 16 * 1024 * 1024);
	assert_int_equal(cfg.outbox_max_age_ms, 7 * GS_MS_PER_DAY);
	assert_int_equal(cfg.message_expiry_ms, GS_MS_PER_DAY);

	assert_int_equal(cfg.n_sensors, 7);
	s = &cfg.sensors[0];
	assert_int_equal(s->type, GS_SENSOR_BEAM_PAIR);
	assert_string_equal(s->chip, "/dev/gpiochip0");
	assert_string_equal(s->lines[0], "17");
	assert_string_equal(s->lines[1], "27");
	assert_true(s->active_low);
	assert_int_equal(s->bias, GS_BIAS_PULL_DOWN);
	assert_int_equal(s->debounce_ms, 1);
	assert_int_equal(s->fault_ms, 2 * GS_MS_PER_MIN);
	assert_int_equal(s->min_break_ms, 50);

	s = &cfg.sensors[1];
	assert_int_equal(s->type, GS_SENSOR_PULSE);
	assert_int_equal(s->n_lines, 1);
	assert_int_equal(s->direction, GS_DIR_OUT);
	assert_int_equal(s->bias, GS_BIAS_DISABLED);
	assert_false(s->active_low);

	s = &cfg.sensors[2];
	assert_int_equal(s->type, GS_SENSOR_PULSE);
	assert_int_equal(s->n_lines, 2);
	assert_int_equal(s->direction, GS_DIR_NONE);

	s = &cfg.sensors[3];
	assert_int_equal(s->type, GS_SENSOR_QUEUE);
	assert_string_equal(s->chip, "pinctrl-rp1");
	assert_int_equal(s->target_wait_ms, 2 * GS_MS_PER_MIN);
	assert_int_equal(s->max_wait_ms, 20 * GS_MS_PER_MIN);

	s = &cfg.sensors[4];
	assert_int_equal(s->type, GS_SENSOR_SMILEY);
	assert_int_equal(s->n_lines, 3);
	assert_int_equal(s->lockout_ms, 3000);

	/* A staff terminal may have its own size. */
	s = &cfg.sensors[5];
	assert_int_equal(s->type, GS_SENSOR_STAFF);
	assert_int_equal(s->n_lines, 5);
	assert_int_equal(s->lockout_ms, 0);
	assert_int_equal(gs_config_smiley_buttons(&cfg), 3);

	/* Outputs may name sensors defined after them. */
	assert_int_equal(cfg.n_sensors, 7);
	assert_int_equal(cfg.sensors[6].type, GS_SENSOR_BUTTON);
	assert_int_equal(cfg.n_outputs, 2);
	o = &cfg.outputs[0];
	assert_string_equal(o->name, "lamp");
	assert_string_equal(o->chip, "gpiochip0");
	assert_string_equal(o->line, "24");
	assert_true(o->active_low);
	assert_int_equal(o->alerts, 1u << GS_ALERT_DISCONTENT_BURST |
	                                1u << GS_ALERT_QUEUE_WAIT_HIGH);
	assert_int_equal(o->sensors, 1u << 4 | 1u << 3);
	assert_int_equal(o->signal, GS_SIGNAL_BLINK);
	assert_int_equal(o->blink_ms, 500);
	assert_int_equal(o->end, GS_END_ACK);
	assert_int_equal(o->ack_sensor, 5);
	assert_int_equal(o->ack_button, 4);
	o = &cfg.outputs[1];
	assert_int_equal(o->alerts, 1u << GS_ALERT_SENSOR_FAULT);
	assert_int_equal(o->sensors, 0);
	assert_false(o->active_low);
	assert_int_equal(o->signal, GS_SIGNAL_STEADY);
	assert_int_equal(o->end, GS_END_HOLD);
	assert_int_equal(o->hold_ms, 30 * GS_MS_PER_S);
	assert_int_equal(o->ack_sensor, 6);
	assert_int_equal(o->ack_button, -1);
	assert_int_equal(gs_config_find_output(&cfg, "buzzer"), 1);
	assert_int_equal(gs_config_find_output(&cfg, "nope"), -1);
}

/* Checks diag against expected "LINE: message" (or ": message") strings. */
static void assert_diag(const char *path, const char *const *expected)
{
	unsigned n = 0;
	char want[512];

	for (; expected[n]; n++) {
		if (n >= diag.count || n >= GS_DIAG_MAX)
			fail_msg("missing diag %u: %s", n, expected[n]);
		/* ": message" is about the whole file: no line. */
		snprintf(want, sizeof(want), "%s%s%s", path,
		         expected[n][0] == ':' ? "" : ":", expected[n]);
		if (strcmp(diag.msg[n], want) != 0) {
			print_diag();
			fail_msg("diag %u\n  got:  %s\n  want: %s", n,
			         diag.msg[n], want);
		}
	}
	if (diag.count != n) {
		print_diag();
		fail_msg("%u problems reported, %u expected", diag.count, n);
	}
}

static void test_errors_fixture(void **state)
{
	static const char *const expected[] = {
	    "2: missing required key 'site' in [gateway]",
	    "3: id: 'till/1' may contain only letters, digits, '-' and "
	    "'_'",
	    "4: window: '7m' must divide an hour",
	    "5: timezone: 'Mars/Olympus' is not a known time zone (no file "
	    "/usr/share/zoneinfo/Mars/Olympus)",
	    "8: burst_share: '120' is out of range (0 to 100)",
	    "11: inflight: '0' is out of range (1 to 1000)",
	    "12: topic_prefix: 'gapsense/#' must not contain the MQTT "
	    "wildcards '+' or '#'",
	    "13: unknown key 'colour' in [mqtt]",
	    "19: lockout: does not apply to a beam_pair sensor",
	    "24: lines: gpiochip0 GPIO27 is already used by sensor "
	    "'entrance' (line 18)",
	    "26: duplicate sensor 'entrance' (first on line 15)",
	    NULL,
	};
	const char *path = gs_test_data("config/errors.conf");

	(void)state;
	assert_int_equal(gs_config_load(path, &cfg, &diag), GS_ECONFIG);
	assert_diag(path, expected);
}

struct bad_case {
	const char *name;
	const char *text;
	const char *expected[8];
};

#define GW "[gateway]\nid = gw\nsite = s\n" /* lines 1-3 */

/* clang-format off */
static const struct bad_case bad_cases[] = {
	{"output without alerts", GW "[output \"lamp\"]\nchip = c\nline = 1\n",
	 {"4: output 'lamp': missing required key 'alerts'"}},
	{"output alert type", GW "[output \"lamp\"]\nchip = c\nline = 1\n"
	 "alerts = discontent_burst, late\n",
	 {"7: alerts: 'discontent_burst, late' has 'late', which is not one "
	  "of: discontent_burst, queue_wait_high, sensor_fault"}},
	{"output line is an input", GW "[sensor \"b\"]\ntype = button\n"
	 "chip = /dev/c\nlines = 1\n[output \"lamp\"]\nchip = c\nline = 1\n"
	 "alerts = sensor_fault\n",
	 {"10: line: c 1 is already sensor 'b''s input (line 7): a line is an "
	  "input or an output, never both"}},
	{"output line twice", GW "[output \"a\"]\nchip = c\nline = 1\n"
	 "alerts = sensor_fault\n[output \"b\"]\nchip = c\nline = 1\n"
	 "alerts = sensor_fault\n",
	 {"10: line: c 1 is already output 'a' (line 6)"}},
	{"output end ack without ack", GW "[output \"lamp\"]\nchip = c\n"
	 "line = 1\nalerts = sensor_fault\nend = ack\n",
	 {"4: output 'lamp': end = ack needs an ack input (ack = SENSOR or "
	  "STAFF_TERMINAL:N)"}},
	{"output ack sensors", GW "[sensor \"door\"]\ntype = beam_pair\n"
	 "chip = c\nlines = 1, 2\n[sensor \"st\"]\ntype = staff\nchip = c\n"
	 "lines = 3, 4, 5\n[output \"a\"]\nchip = c\nline = 9\n"
	 "alerts = sensor_fault\nack = door\nsensors = door, ghost\n"
	 "[output \"b\"]\nchip = c\nline = 10\nalerts = sensor_fault\n"
	 "ack = st:4\n[output \"c\"]\nchip = c\nline = 11\n"
	 "alerts = sensor_fault\nack = nobody\n",
	 {"16: ack: 'door' names a beam_pair sensor: an output is "
	  "acknowledged by a button sensor or a staff terminal's button",
	  "17: sensors: 'door, ghost' names 'ghost', which is not a sensor",
	  "22: ack: 'st:4' names staff terminal 'st': say which button, "
	  "st:N with N from 1 to 3",
	  "27: ack: 'nobody' names 'nobody', which is not a sensor"}},
	{"missing gateway", "[storage]\nretention = 30d\n",
	 {": missing required key 'id' in [gateway]",
	  ": missing required key 'site' in [gateway]"}},
	{"empty id", "[gateway]\nid =\nsite = s\n",
	 {"2: id: must not be empty"}},
	{"unknown section", GW "[metric]\nmin_responses = 3\n",
	 {"4: unknown section [metric]"}},
	{"unknown key", GW "windw = 15m\n",
	 {"4: unknown key 'windw' in [gateway]"}},
	{"key elsewhere", GW "lockout = 2s\n",
	 {"4: unknown key 'lockout' in [gateway] (it belongs in "
	  "[sensor \"NAME\"])"}},
	{"duplicate key", GW "window = 5m\nwindow = 10m\n",
	 {"5: duplicate key 'window' in [gateway] (first on line 4)"}},
	{"duplicate across repeated section",
	 GW "[mqtt]\ninflight = 4\n[gateway]\n[mqtt]\ninflight = 8\n",
	 {"8: duplicate key 'inflight' in [mqtt] (first on line 5)"}},
	{"sync_interval range", GW "[storage]\nsync_interval = 2m\n",
	 {"5: sync_interval: '2m' is out of range (0 to 1m)"}},
	{"window range", GW "window = 90m\n",
	 {"4: window: '90m' is out of range (1m to 1h)"}},
	{"window seconds", GW "window = 112500ms\n",
	 {"4: window: '112500ms' must be a whole number of seconds"}},
	{"window divides", GW "window = 7m\n",
	 {"4: window: '7m' must divide an hour"}},
	{"duration without unit", GW "grace = 5\n",
	 {"4: grace: '5' is not a duration (a whole number and a unit: ms, "
	  "s, m, h or d)"}},
	{"comment after value", GW "grace = 5s # five seconds\n",
	 {"4: grace: '5s # five seconds' is not a duration (a whole number "
	  "and a unit: ms, s, m, h or d); a comment must be on a line of its "
	  "own"}},
	{"quoted value", "[gateway]\nid = \"gw\"\nsite = s\n",
	 {"2: id: '\"gw\"' may contain only letters, digits, '-' and '_'; "
	  "values are written without quotes"}},
	{"time of day", GW "day_start = 24:00\n",
	 {"4: day_start: '24:00' is not a time of day (HH:MM, 00:00 to "
	  "23:59)"}},
	{"timezone path", GW "timezone = ../../etc/passwd\n",
	 {"4: timezone: '../../etc/passwd' is not a time zone name (e.g. "
	  "Europe/Berlin)"}},
	{"timezone directory", GW "timezone = Europe\n",
	 {"4: timezone: 'Europe' is not a known time zone (no file "
	  "/usr/share/zoneinfo/Europe)"}},
	{"uint", GW "[metrics]\nmin_responses = -1\n",
	 {"5: min_responses: '-1' is not a whole number"}},
	{"percent", GW "[metrics]\ngap_threshold = 1e2\n",
	 {"5: gap_threshold: '1e2' is not a percentage (e.g. 80 or 80%)"}},
	{"double", GW "[mqtt]\ndrain_rate = fast\n",
	 {"5: drain_rate: 'fast' is not a number (e.g. 50 or 0.5)"}},
	{"double range", GW "[mqtt]\ndrain_rate = 0.05\n",
	 {"5: drain_rate: '0.05' is out of range (0.1 to 100000)"}},
	{"bool", GW "[mqtt]\ntls_verify_hostname = maybe\n",
	 {"5: tls_verify_hostname: 'maybe' is not a boolean (true or "
	  "false)"}},
	{"enum", GW "[mqtt]\nprotocol = 3.1\n",
	 {"5: protocol: '3.1' is not one of: 3.1.1, 5"}},
	{"size", GW "[mqtt]\noutbox_max_bytes = 64MB\n",
	 {"5: outbox_max_bytes: '64MB' is not a size (a whole number and a "
	  "unit: B, KiB, MiB or GiB)"}},
	{"size range", GW "[mqtt]\noutbox_max_bytes = 512KiB\n",
	 {"5: outbox_max_bytes: '512KiB' is out of range (1MiB to 1024GiB)"}},
	{"prefix wildcard", GW "[mqtt]\ntopic_prefix = a/+/b\n",
	 {"5: topic_prefix: 'a/+/b' must not contain the MQTT wildcards '+' "
	  "or '#'"}},
	{"prefix slash", GW "[mqtt]\ntopic_prefix = gapsense/\n",
	 {"5: topic_prefix: 'gapsense/' must not start or end with '/' or "
	  "contain '//'"}},
	{"site slash", "[gateway]\nid = gw\nsite = a/b\n",
	 {"3: site: 'a/b' may contain only letters, digits, '-' and '_'"}},
	{"broker scheme", GW "[mqtt]\nbroker = localhost:1883\n",
	 {"5: broker: 'localhost:1883' must start with mqtt://, mqtts://, "
	  "tcp://, ssl://, ws:// or wss://"}},
	{"broker port", GW "[mqtt]\nbroker = mqtt://localhost:70000\n",
	 {"5: broker: 'mqtt://localhost:70000' has a bad port (1 to 65535)"}},
	{"broker host", GW "[mqtt]\nbroker = mqtt://:1883\n",
	 {"5: broker: 'mqtt://:1883' has no host name"}},
	{"tls files need tls", GW "[mqtt]\nca_file = /etc/ca.crt\n",
	 {"5: ca_file: needs a TLS broker (mqtts://, ssl:// or wss://)"}},
	{"cert without key",
	 GW "[mqtt]\nbroker = mqtts://b:8883\ncert_file = /c.crt\n",
	 {"6: cert_file and key_file must be set together"}},
	{"v5 keys need v5", GW "[mqtt]\nmessage_expiry = 1h\n",
	 {"5: message_expiry: needs protocol = 5"}},
	{"reconnect order", GW "[mqtt]\nreconnect_min = 10m\nreconnect_max = 2m\n",
	 {"6: reconnect_max must not be shorter than reconnect_min"}},
	{"long id for client id",
	 "[gateway]\nid = abcdefghijklmnopqrstuvwxyz0123456789abcdefghij\n"
	 "site = s\n",
	 {"2: id: too long for the default client_id 'gapsense-<id>' (at "
	  "most 47 characters): set [mqtt] client_id"}},
	{"string too long",
	 "[gateway]\nid = abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklm\n"
	 "site = s\n",
	 {"2: id: 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklm' is too "
	  "long (at most 47 characters)"}},
	{"key outside section", "id = gw\n" GW,
	 {"1: key 'id' is outside any section (start with [gateway])"}},
	{"syntax", GW "window 15m\n[mqtt\n[mqtt] x\n= 5\n",
	 {"4: expected 'key = value', a [section] or a comment",
	  "5: section header has no closing ']'",
	  "6: unexpected text after ']'",
	  "7: missing key name before '='"}},
	{"sensor header", GW "[sensor entrance]\ntype = queue\n[sensor \"\"]\n"
	 "[sensor \"a b\"]\n",
	 {"4: a sensor section is written [sensor \"NAME\"]",
	  "6: sensor name must have 1 to 47 characters",
	  "7: sensor name 'a b' may contain only letters, digits, '-' and "
	  "'_'"}},
	{"sensor without keys", GW "[sensor \"x\"]\n",
	 {"4: sensor 'x': missing required key 'type'",
	  "4: sensor 'x': missing required key 'chip'",
	  "4: sensor 'x': missing required key 'lines'"}},
	{"sensor unknown key", GW "[sensor \"x\"]\ntype = queue\nchip = c\n"
	 "lines = 1, 2\nwindow = 5m\ncolour = red\n",
	 {"8: unknown key 'window' in [sensor \"x\"] (it belongs in "
	  "[gateway])",
	  "9: unknown key 'colour' in [sensor \"x\"]"}},
	{"sensor key not for type", GW "[sensor \"b\"]\nlockout = 1s\n"
	 "type = beam_pair\nchip = c\nlines = 1, 2\ntarget_wait = 1m\n",
	 {"5: lockout: does not apply to a beam_pair sensor",
	  "9: target_wait: does not apply to a beam_pair sensor"}},
	{"sensor duplicate key", GW "[sensor \"b\"]\ntype = beam_pair\n"
	 "chip = c\nlines = 1, 2\nchip = d\n",
	 {"8: duplicate key 'chip' in [sensor \"b\"] (first on line 6)"}},
	{"beam pair lines", GW "[sensor \"b\"]\ntype = beam_pair\nchip = c\n"
	 "lines = 1\n",
	 {"7: lines: a beam_pair sensor takes 2 lines (outside beam, inside "
	  "beam), not 1"}},
	{"queue lines", GW "[sensor \"q\"]\ntype = queue\nchip = c\n"
	 "lines = 1, 2, 3\n",
	 {"7: lines: a queue sensor takes 2 lines (entry, exit), not 3"}},
	{"pulse lines", GW "[sensor \"p\"]\ntype = pulse\nchip = c\n"
	 "lines = 1, 2, 3\n",
	 {"7: lines: a pulse sensor takes 1 line (count) or 2 (in, out), "
	  "not 3"}},
	{"pulse direction with two lines", GW "[sensor \"p\"]\ntype = pulse\n"
	 "chip = c\nlines = 1, 2\ndirection = in\n",
	 {"8: direction: only a pulse sensor with one line has a direction "
	  "(two lines count in and out)"}},
	{"smiley lines", GW "[sensor \"s\"]\ntype = smiley\nchip = c\n"
	 "lines = 1, 2\n",
	 {"7: lines: a smiley sensor takes 3 to 5 lines (buttons, most "
	  "negative first), not 2"}},
	{"staff lines", GW "[sensor \"s\"]\ntype = staff\nchip = c\n"
	 "lines = 1, 2, 3, 4, 5, 6\n",
	 {"7: lines: '1, 2, 3, 4, 5, 6' has more than 5 lines"}},
	{"line twice", GW "[sensor \"s\"]\ntype = staff\nchip = c\n"
	 "lines = 1, 2, 1\n",
	 {"7: lines: '1, 2, 1' lists '1' twice"}},
	{"empty line entry", GW "[sensor \"s\"]\ntype = staff\nchip = c\n"
	 "lines = 1, 2,\n",
	 {"7: lines: '1, 2,' has an empty entry (names separated by "
	  "commas)"}},
	{"mixed smiley sizes", GW
	 "[sensor \"a\"]\ntype = smiley\nchip = c\nlines = 1, 2, 3, 4\n"
	 "[sensor \"b\"]\ntype = staff\nchip = c\nlines = 5, 6, 7\n"
	 "[sensor \"c\"]\ntype = smiley\nchip = c\nlines = 8, 9, 10, 11, 12\n",
	 {"15: lines: 5 buttons, but smiley 'a' (line 4) has 4: all smiley "
	  "terminals of a site must have the same number of buttons"}},
	{"mixed smiley sizes after a broken one", GW
	 "[sensor \"a\"]\ntype = smiley\nchip = c\nlines = 1, 2\n"
	 "[sensor \"b\"]\ntype = smiley\nchip = c\nlines = 5, 6, 7\n",
	 {"7: lines: a smiley sensor takes 3 to 5 lines (buttons, most "
	  "negative first), not 2"}},
	{"chip line twice", GW
	 "[sensor \"a\"]\ntype = queue\nchip = gpiochip0\nlines = 1, 2\n"
	 "[sensor \"b\"]\ntype = queue\nchip = /dev/gpiochip0\nlines = 2, 3\n"
	 "[sensor \"c\"]\ntype = queue\nchip = gpiochip1\nlines = 1, 2\n",
	 {"11: lines: /dev/gpiochip0 2 is already used by sensor 'a' (line "
	  "7)"}},
	{"duplicate sensor", GW "[sensor \"a\"]\ntype = pulse\nchip = c\n"
	 "lines = 1\n[sensor \"a\"]\ntype = pulse\n",
	 {"8: duplicate sensor 'a' (first on line 4)"}},
	{"queue waits", GW "[sensor \"q\"]\ntype = queue\nchip = c\n"
	 "lines = 1, 2\ntarget_wait = 40m\n",
	 {"8: max_wait: 30m must be longer than target_wait (40m)"}},
	{"sensor range", GW "[sensor \"s\"]\ntype = smiley\nchip = c\n"
	 "lines = 1, 2, 3\ndebounce = 2s\nbias = up\n",
	 {"8: debounce: '2s' is out of range (0 to 1s)",
	  "9: bias: 'up' is not one of: as-is, disabled, pull-up, "
	  "pull-down"}},
	{"bad type", GW "[sensor \"s\"]\ntype = door\nchip = c\nlines = 1\n",
	 {"5: type: 'door' is not one of: beam_pair, pulse, queue, smiley, "
	  "staff, button"}},
};
/* clang-format on */

static void test_bad_cases(void **state)
{
	char *dir = gs_test_mkdtemp();

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char *path = gs_test_write_file(dir, "bad.conf", c->text);

		fprintf(stderr, "case: %s\n", c->name);
		memset(&diag, 0, sizeof(diag));
		assert_int_equal(gs_config_load(path, &cfg, &diag), GS_ECONFIG);
		assert_diag(path, c->expected);
		free(path);
	}
	gs_test_rmdir(dir);
}

/* Things inih or editors do that must not trip an installer. */
static void test_syntax_tolerated(void **state)
{
	char *dir = gs_test_mkdtemp();
	char *path =
	    gs_test_write_file(dir, "ok.conf",
	                       "\xEF\xBB\xBF# a byte order mark first\r\n"
	                       "[gateway]\r\n"
	                       "  id = gw  \r\n"
	                       "\tsite=s ; a comment\r\n"
	                       "; another comment\n"
	                       "[ mqtt ]  # comment after a header\n"
	                       "inflight: 4\n"
	                       "[sensor \"p\"]\n"
	                       "type = pulse\nchip = c\nlines = GPIO4\n"
	                       "direction = in");

	(void)state;
	assert_int_equal(load(path), GS_OK);
	assert_string_equal(cfg.gateway_id, "gw");
	assert_string_equal(cfg.site, "s");
	assert_int_equal(cfg.inflight, 4);
	assert_int_equal(cfg.n_sensors, 1);
	assert_int_equal(cfg.sensors[0].direction, GS_DIR_IN);
	assert_int_equal(cfg.sensors[0].config_line, 8);
	free(path);
	gs_test_rmdir(dir);
}

/* A key an earlier release had: the file still loads (with a warning). */
static void test_retired_key(void **state)
{
	char *dir = gs_test_mkdtemp();
	char *path = gs_test_write_file(dir, "old.conf",
	                                "[gateway]\nid = gw\nsite = s\n"
	                                "[mqtt]\nprotocol = 5\n"
	                                "session_expiry = 1d\n"
	                                "[sensor \"p\"]\n"
	                                "type = pulse\nchip = c\nlines = 4\n");

	(void)state;
	assert_int_equal(load(path), GS_OK);
	assert_int_equal(cfg.mqtt_version, 5);
	free(path);
	gs_test_rmdir(dir);
}

static void test_long_line(void **state)
{
	char *dir = gs_test_mkdtemp();
	char text[1024];
	char *path;

	(void)state;
	snprintf(text, sizeof(text),
	         GW "[storage]\ndatabase = /%0300d\nretention = 1x\n", 0);
	path = gs_test_write_file(dir, "long.conf", text);
	assert_int_equal(gs_config_load(path, &cfg, &diag), GS_ECONFIG);
	{
		const char *const expected[] = {
		    "5: line is too long (at most 197 characters)",
		    "6: retention: '1x' is not a duration (a whole number "
		    "and a unit: ms, s, m, h or d)",
		    NULL,
		};
		assert_diag(path, expected);
	}
	free(path);
	gs_test_rmdir(dir);
}

static void test_too_many_sensors(void **state)
{
	char *dir = gs_test_mkdtemp();
	size_t len = 64 * 1024, n = 0;
	char *text = malloc(len), *path, want[2][64];

	(void)state;
	n += (size_t)snprintf(text + n, len - n, GW);
	for (int i = 0; i < GS_MAX_SENSORS + 2; i++)
		n += (size_t)snprintf(text + n, len - n,
		                      "[sensor \"p%d\"]\ntype = pulse\n"
		                      "chip = c\nlines = %d\n",
		                      i, i);
	path = gs_test_write_file(dir, "many.conf", text);
	assert_int_equal(gs_config_load(path, &cfg, &diag), GS_ECONFIG);
	/* Each sensor too many is named, with its line. */
	for (int i = 0; i < 2; i++)
		snprintf(want[i], sizeof(want[i]),
		         "%d: too many sensors (at most %d)",
		         4 + 4 * (GS_MAX_SENSORS + i), GS_MAX_SENSORS);
	{
		const char *const expected[] = {want[0], want[1], NULL};

		assert_diag(path, expected);
	}
	assert_int_equal(cfg.n_sensors, GS_MAX_SENSORS);
	free(text);
	free(path);
	gs_test_rmdir(dir);
}

/* More problems than diag holds: all counted, the first ones kept. */
static void test_diag_overflow(void **state)
{
	char *dir = gs_test_mkdtemp();
	size_t len = 16 * 1024, n = 0;
	char *text = malloc(len), *path;

	(void)state;
	n += (size_t)snprintf(text + n, len - n, GW);
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(text + n, len - n, "bogus%d = 1\n", i);
	path = gs_test_write_file(dir, "many.conf", text);
	assert_int_equal(gs_config_load(path, &cfg, &diag), GS_ECONFIG);
	assert_int_equal(diag.count, 100);
	assert_non_null(strstr(diag.msg[0], ":4: unknown key 'bogus0'"));
	assert_non_null(
	    strstr(diag.msg[GS_DIAG_MAX - 1], ":67: unknown key 'bogus63'"));
	free(text);
	free(path);
	gs_test_rmdir(dir);
}

static void test_unreadable(void **state)
{
	char *dir = gs_test_mkdtemp();
	char want[1024];
	char *missing;

	(void)state;
	if (asprintf(&missing, "%s/nope.conf", dir) < 0)
		abort();
	assert_int_equal(gs_config_load(missing, &cfg, &diag), GS_ENOENT);
	assert_int_equal(diag.count, 1);
	snprintf(want, sizeof(want),
	         "%s: cannot open: No such file or directory", missing);
	assert_string_equal(diag.msg[0], want);

	assert_int_equal(gs_config_load(dir, &cfg, &diag), GS_EIO);
	assert_int_equal(diag.count, 1);
	snprintf(want, sizeof(want),
	         "%s: cannot open: not a regular file (a directory)", dir);
	assert_string_equal(diag.msg[0], want);

	/* A NULL diag is allowed. */
	assert_int_equal(gs_config_load(missing, &cfg, NULL), GS_ENOENT);
	free(missing);
	gs_test_rmdir(dir);
}

/*
 * [mqtt] as a reload sees it: every key, set in the file, then each one
 * changed alone. base NULL: the key is left at its default in the base
 * file (message_expiry needs protocol = 5, which the protocol case drops).
 */
static const struct {
	const char *key, *base, *other;
} mqtt_keys[] = {
    {"broker", "mqtts://broker.example:8883", "mqtts://broker.example:8884"},
    {"client_id", "gw-a", "gw-b"},
    {"topic_prefix", "gapsense/v1", "shops/v1"},
    {"username", "user-a", "user-b"},
    {"password_file", "/etc/gapsense/pass-a", "/etc/gapsense/pass-b"},
    {"ca_file", "/etc/ssl/ca-a.pem", "/etc/ssl/ca-b.pem"},
    {"ca_path", "/etc/ssl/certs", "/etc/ssl/other"},
    {"cert_file", "/etc/gapsense/a.crt", "/etc/gapsense/b.crt"},
    {"key_file", "/etc/gapsense/a.key", "/etc/gapsense/b.key"},
    {"tls_verify_hostname", "true", "false"},
    {"protocol", "5", "3.1.1"},
    {"keepalive", "30s", "60s"},
    {"inflight", "16", "8"},
    {"drain_rate", "50", "50.5"},
    {"live_grace", "10s", "2s"},
    {"ack_timeout", "30s", "45s"},
    {"reconnect_min", "1s", "2s"},
    {"reconnect_max", "5m", "10m"},
    {"outbox_max_bytes", "64MiB", "32MiB"},
    {"outbox_max_age", "30d", "7d"},
    {"message_expiry", NULL, "1h"},
};
#define N_MQTT_KEYS (sizeof(mqtt_keys) / sizeof(mqtt_keys[0]))

/* GW, a sensor, then [mqtt] with every key at its base value except key,
 * which is other (key NULL: none changed), then extra. */
static char *mqtt_file(const char *dir, const char *key, const char *other,
                       const char *extra)
{
	char text[4096];
	size_t n = 0;

	n += (size_t)snprintf(text + n, sizeof(text) - n,
	                      GW "[sensor \"door\"]\ntype = pulse\nchip = c\n"
	                         "lines = 1\n[mqtt]\n");
	for (size_t i = 0; i < N_MQTT_KEYS; i++) {
		bool changed = key && strcmp(key, mqtt_keys[i].key) == 0;
		const char *v = changed ? other : mqtt_keys[i].base;

		if (v)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
			                      "%s = %s\n", mqtt_keys[i].key, v);
	}
	snprintf(text + n, sizeof(text) - n, "%s", extra ? extra : "");
	return gs_test_write_file(dir, "mqtt.conf", text);
}

static void load_mqtt(struct gs_config *c, const char *dir, const char *key,
                      const char *other, const char *extra)
{
	char *path = mqtt_file(dir, key, other, extra);

	assert_int_equal(gs_config_load(path, c, &diag), GS_OK);
	free(path);
}

/* Reload compares [mqtt] through the key table: each key counts, and
 * nothing outside the section does. */
static void test_section_equal(void **state)
{
	static struct gs_config base, next;
	char *dir = gs_test_mkdtemp();

	(void)state;
	load_mqtt(&base, dir, NULL, NULL, NULL);
	load_mqtt(&next, dir, NULL, NULL, NULL);
	for (int s = 0; s < GS_SEC_COUNT_; s++)
		assert_true(gs_config_section_equal(&base, &next, s));

	for (size_t i = 0; i < N_MQTT_KEYS; i++) {
		load_mqtt(&next, dir, mqtt_keys[i].key, mqtt_keys[i].other,
		          NULL);
		if (gs_config_section_equal(&base, &next, GS_SEC_MQTT))
			fail_msg("[mqtt] %s changed, not seen",
			         mqtt_keys[i].key);
		for (int s = 0; s < GS_SEC_COUNT_; s++)
			if (s != GS_SEC_MQTT)
				assert_true(
				    gs_config_section_equal(&base, &next, s));
	}

	/* Keys of other sections, and sensors, leave [mqtt] equal. */
	load_mqtt(&next, dir, NULL, NULL, "[storage]\ncommit_events = 32\n");
	assert_true(gs_config_section_equal(&base, &next, GS_SEC_MQTT));
	assert_false(gs_config_section_equal(&base, &next, GS_SEC_STORAGE));
	load_mqtt(&next, dir, NULL, NULL, "[gateway]\nwindow = 5m\n");
	assert_true(gs_config_section_equal(&base, &next, GS_SEC_MQTT));
	assert_false(gs_config_section_equal(&base, &next, GS_SEC_GATEWAY));
	load_mqtt(&next, dir, NULL, NULL,
	          "[sensor \"till\"]\ntype = pulse\nchip = c\nlines = 2\n");
	for (int s = 0; s < GS_SEC_COUNT_; s++)
		assert_true(gs_config_section_equal(&base, &next, s));

	/* A string compares up to its NUL, whatever lies after it. */
	next = base;
	memset(next.username + strlen(next.username) + 1, 'x',
	       sizeof(next.username) - strlen(next.username) - 1);
	assert_true(gs_config_section_equal(&base, &next, GS_SEC_MQTT));
	gs_test_rmdir(dir);
}

/* One answer to "is this a TLS broker", for the loader and sync alike. */
static void test_broker_is_tls(void **state)
{
	static const struct {
		const char *uri;
		bool tls;
	} cases[] = {
	    {"mqtts://h:8883", true},   {"ssl://h:8883", true},
	    {"wss://h:443/mqtt", true}, {"mqtt://h:1883", false},
	    {"tcp://h:1883", false},    {"ws://h/mqtt", false},
	    {"mqtts:/h", false},        {"MQTTS://h", false},
	};

	(void)state;
	gs_config_defaults(&cfg);
	assert_false(gs_config_broker_is_tls(&cfg));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(cfg.broker, sizeof(cfg.broker), "%s", cases[i].uri);
		if (gs_config_broker_is_tls(&cfg) != cases[i].tls)
			fail_msg("%s", cases[i].uri);
	}
}

/* Runs gs_config_load_print(path, to) with stderr in a file; returns its
 * result and what it wrote there. */
static int load_print_captured(const char *path, enum gs_diag_to to, char *out,
                               size_t len)
{
	struct gs_test_stderr cap;
	int rc;

	gs_test_stderr_begin(&cap);
	rc = gs_config_load_print(path, &cfg, to);
	gs_test_stderr_end(&cap, out, len);
	return rc;
}

/* "Load the config and print its problems", as the commands and the
 * daemon do it: every problem gs_config_load() finds, one a line, plain
 * on stderr or through the log. */
static void test_load_print(void **state)
{
	const char *path = gs_test_data("config/errors.conf");
	char got[16384], want[16384], *line;
	size_t n = 0;

	(void)state;
	assert_int_equal(gs_config_load(path, &cfg, &diag), GS_ECONFIG);
	assert_true(diag.count > 1 && diag.count <= GS_DIAG_MAX);
	for (unsigned i = 0; i < diag.count; i++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s\n",
		                      diag.msg[i]);
	assert_int_equal(
	    load_print_captured(path, GS_DIAG_TO_STDERR, got, sizeof(got)),
	    GS_ECONFIG);
	assert_string_equal(got, want);

	gs_log_set_prefix(false);
	assert_int_equal(
	    load_print_captured(path, GS_DIAG_TO_LOG, got, sizeof(got)),
	    GS_ECONFIG);
	line = got;
	for (unsigned i = 0; i < diag.count; i++) {
		size_t len = strlen("gapsense: error: ");

		assert_memory_equal(line, "gapsense: error: ", len);
		assert_memory_equal(line + len, diag.msg[i],
		                    strlen(diag.msg[i]));
		line = strchr(line, '\n');
		assert_non_null(line);
		line++;
	}
	assert_string_equal(line, "");

	assert_int_equal(load_print_captured(gs_test_data("config/none.conf"),
	                                     GS_DIAG_TO_STDERR, got,
	                                     sizeof(got)),
	                 GS_ENOENT);
	assert_non_null(strstr(got, "none.conf: cannot open"));
}

static void test_diag_add(void **state)
{
	struct gs_diag d = {0};

	(void)state;
	gs_diag_add(&d, "f.conf", 12, "bad %s", "thing");
	gs_diag_add(&d, "f.conf", 0, "whole file");
	gs_diag_add(NULL, "f.conf", 1, "ignored");
	assert_int_equal(d.count, 2);
	assert_string_equal(d.msg[0], "f.conf:12: bad thing");
	assert_string_equal(d.msg[1], "f.conf: whole file");
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(gs_sensor_type_name(GS_SENSOR_BEAM_PAIR),
	                    "beam_pair");
	assert_string_equal(gs_sensor_type_name(GS_SENSOR_PULSE), "pulse");
	assert_string_equal(gs_sensor_type_name(GS_SENSOR_QUEUE), "queue");
	assert_string_equal(gs_sensor_type_name(GS_SENSOR_SMILEY), "smiley");
	assert_string_equal(gs_sensor_type_name(GS_SENSOR_STAFF), "staff");
	assert_null(gs_sensor_type_name(GS_SENSOR_TYPE_COUNT_));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_defaults, setup),
	    cmocka_unit_test_setup(test_example, setup),
	    cmocka_unit_test_setup(test_minimal, setup),
	    cmocka_unit_test_setup(test_full, setup),
	    cmocka_unit_test_setup(test_errors_fixture, setup),
	    cmocka_unit_test_setup(test_bad_cases, setup),
	    cmocka_unit_test_setup(test_syntax_tolerated, setup),
	    cmocka_unit_test_setup(test_retired_key, setup),
	    cmocka_unit_test_setup(test_long_line, setup),
	    cmocka_unit_test_setup(test_too_many_sensors, setup),
	    cmocka_unit_test_setup(test_diag_overflow, setup),
	    cmocka_unit_test_setup(test_unreadable, setup),
	    cmocka_unit_test_setup(test_section_equal, setup),
	    cmocka_unit_test_setup(test_broker_is_tls, setup),
	    cmocka_unit_test_setup(test_load_print, setup),
	    cmocka_unit_test(test_diag_add),
	    cmocka_unit_test(test_type_names),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
