/* SPDX-License-Identifier: MIT */
/*
 * The daemon's state for the people in the shop: a one-line STATUS= for
 * systemd (`systemctl status gapsense`), sent only when it changes, and a
 * small JSON file that `gapsense status` reads (gateway/cmd_status.c):
 * $RUNTIME_DIRECTORY/status.json under systemd (/run/gapsense, a tmpfs: it
 * is written even on a full disk), else DATABASE-status.json. Written
 * (atomically, by rename) only when something in it changed.
 */
#ifndef GS_STATUS_H
#define GS_STATUS_H

#include "gateway/store.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GS_STATUS_FILE    "status.json"
#define GS_STATUS_RUN_DIR "/run/gapsense"

struct gs_status;

/* What the gateway knows at a refresh; status holds "clock_synced",
 * "sensors" ([{name, type, faulted}]) and maybe "losses", as the status
 * message has them. */
struct gs_status_input {
	const char *mode; /* "run", "simulate", "replay" */
	bool connected;
	size_t kept;    /* messages waiting in memory for room */
	int64_t now_ms; /* event time */
	const cJSON *status;
};

/* NULL on ENOMEM. db_path is copied. */
struct gs_status *gs_status_new(const char *db_path);
/* NULL-safe; removes the file (the daemon is gone). */
void gs_status_free(struct gs_status *st);

/* Refreshes from in and the store; sends STATUS= and writes the file if
 * they changed. */
void gs_status_update(struct gs_status *st, const struct gs_status_input *in,
                      struct gs_store *store);

/* The file a daemon on db_path writes, in buf (the systemd place first if
 * it exists). Returns 0 or GS_EINVAL. */
int gs_status_path(const char *db_path, bool systemd, char *buf, size_t len);

#endif
