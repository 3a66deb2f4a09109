/* SPDX-License-Identifier: MIT */
/*
 * What the daemon reads from users: files (the configuration, a scenario,
 * a password file) and text it may quote back in an error message.
 *
 * Files are opened only if they are regular files: /dev/zero would be read
 * for ever, a FIFO or a terminal would block, a directory reads as an
 * error far from its cause. Text quoted from input is escaped, so that a
 * value such as "ESC ] 0 ; title BEL" cannot rewrite an installer's
 * terminal or forge a log line.
 */
#ifndef GS_INPUT_H
#define GS_INPUT_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Opens PATH read-only (O_CLOEXEC), refusing at once anything but a
 * regular file: the open itself does not block (O_NONBLOCK, cleared once
 * the file is known to be regular). Returns the descriptor, or -1 with
 * errno set (EINVAL for a file that is not regular) and *why (if not NULL)
 * a static reason for a message: strerror(errno), or "not a regular file
 * (a character device)" and the like.
 */
int gs_input_open(const char *path, const char **why);

/* "not a regular file (a directory)" and the like, for a file of MODE
 * that is not regular (also used by gateway/config_files.c). */
const char *gs_input_kind(mode_t mode);

/* How gs_input_escape_as() shows what it does not pass as it is. */
enum gs_input_style {
	/* C0 controls and DEL as \t, \n, \r or \xNN, C1 controls
	 * (U+0080-U+009F) and bytes that are not valid UTF-8 as \xNN: the
	 * bytes can be told apart (messages to installers, logs). */
	GS_INPUT_ESCAPED,
	/* C0 controls, DEL, double quotes and bytes that are not valid
	 * UTF-8 as '?': text quoted "..." in an MQTT reply, whose bytes are
	 * part of the contract (C1 controls pass, as they always have). */
	GS_INPUT_MASKED,
};

/*
 * Copies the N bytes of IN to OUT (SIZE bytes, NUL-terminated, truncated
 * to fit, never inside an escape or a UTF-8 sequence) with every byte that
 * a terminal would act on shown in STYLE. Printable ASCII (a backslash
 * too: what matters is that nothing reaches the terminal raw) and valid
 * UTF-8 pass as they are. Returns the length written.
 */
size_t gs_input_escape_as(char *out, size_t size, const char *in, size_t n,
                          enum gs_input_style style);

/* gs_input_escape_as() in the style GS_INPUT_ESCAPED. */
size_t gs_input_escape(char *out, size_t size, const char *in, size_t n);

/* gs_input_escape() of a NUL-terminated string, in place, for messages
 * formatted into a fixed buffer: BUF (SIZE bytes) is rewritten escaped,
 * truncated to fit. */
void gs_input_escape_inplace(char *buf, size_t size);

#endif
