/* SPDX-License-Identifier: MIT */
/*
 * The files a configuration names (password_file, ca_file, ca_path,
 * cert_file, key_file) and the one policy they must meet, applied in one
 * place: by `run` when it makes its MQTT client (so also at a reload) and
 * by `check-config`, so that check-config OK means the service starts.
 *
 * The policy, for every file:
 *   - it exists and is a regular file (ca_path: a directory);
 *   - it is owned by root or by the user the service runs as (anyone else
 *     could change it: a CA swapped, a password read);
 *   - it is not writable by group or others;
 *   - secrets (password_file, key_file) give others no access at all;
 *   - the user the service runs as can read it (the group is the usual
 *     way: root:gapsense 0640), with the groups the unit gives it
 *     (GS_SERVICE_GROUPS) as well as its own;
 * and for the TLS files: ca_file and cert_file hold a PEM certificate,
 * key_file an unencrypted PEM private key, and cert_file is the
 * certificate of key_file (a mismatch would otherwise only show as a TLS
 * handshake failing for ever).
 */
#ifndef GS_CONFIG_FILES_H
#define GS_CONFIG_FILES_H

#include "gateway/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The service's user as packaged (deploy/gapsense.service, User=). */
#define GS_SERVICE_USER "gapsense"
/* The supplementary group systemd adds to it (SupplementaryGroups=): a
 * file of that group is readable by the service although the user is not
 * a member in /etc/group. */
#define GS_SERVICE_GROUPS "gpio"

/* Who will read the files. */
struct gs_file_user {
	char name[64];
	uid_t uid;
	gid_t gid;
	bool self; /* this process: its own identity is what counts */
};

/* This process's effective user. Returns 0. */
int gs_file_user_self(struct gs_file_user *u);

/* The user NAME from the password database; GS_ENOENT if there is none. */
int gs_file_user_lookup(const char *name, struct gs_file_user *u);

enum gs_file_kind {
	GS_FILE_PUBLIC, /* ca_file, cert_file */
	GS_FILE_SECRET, /* password_file, key_file */
	GS_FILE_DIR,    /* ca_path */
};

/*
 * The ownership and mode part of the policy for a file of KIND with
 * status ST, to be read by U. Returns NULL if it passes, else the problem
 * with the command that fixes it, written into BUF (LEN bytes).
 */
const char *gs_file_policy(const struct stat *st, enum gs_file_kind kind,
                           const struct gs_file_user *u, const char *path,
                           char *buf, size_t len);

/*
 * Applies the whole policy to every file CFG names, as U would read them
 * (a user other than this process's is checked by a child process that
 * takes that user's identity: this needs root). Each problem goes to DIAG
 * as "CONFIG:LINE: key: PATH: problem". Returns GS_OK or GS_ECONFIG (also
 * for a missing file: the configuration names it), GS_EPERM when U is
 * another user and this process cannot become it (not root), GS_ESYS.
 */
int gs_config_files_check(const struct gs_config *cfg,
                          const struct gs_file_user *u, struct gs_diag *diag);

#endif
