/* SPDX-License-Identifier: MIT */
/*
 * One error enum for the whole daemon, in the manner of mosquitto's
 * MOSQ_ERR_*: functions return 0 on success or a positive GS_E* code, and
 * gs_strerror() names it. Details (which file, which line) travel in log
 * lines or a struct gs_diag, never in the code itself.
 */
#ifndef GS_ERR_H
#define GS_ERR_H

enum gs_err {
	GS_OK = 0,
	GS_ENOMEM,  /* out of memory */
	GS_EINVAL,  /* invalid argument or malformed input */
	GS_EIO,     /* input/output error (file, socket, device) */
	GS_ECONFIG, /* configuration invalid */
	GS_ESTORE,  /* database error */
	GS_EFULL,   /* disk or quota full */
	GS_EBUSY,   /* resource busy (GPIO line held, database locked) */
	GS_ENOENT,  /* no such file, chip or line */
	GS_EPERM,   /* permission denied */
	GS_EPARSE,  /* scenario or payload could not be parsed */
	GS_EMQTT,   /* MQTT client error */
	GS_EGPIO,   /* GPIO error not covered above */
	GS_ESYS,    /* other system call failure (see errno in the log) */
	GS_ERR_COUNT_
};

/* Never NULL; unknown codes give "unknown error". */
const char *gs_strerror(int err);

#endif
