/* SPDX-License-Identifier: MIT */
#include "gateway/input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *gs_input_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "not a regular file (a directory)";
	if (S_ISCHR(mode))
		return "not a regular file (a character device)";
	if (S_ISBLK(mode))
		return "not a regular file (a block device)";
	if (S_ISFIFO(mode))
		return "not a regular file (a FIFO)";
	if (S_ISSOCK(mode))
		return "not a regular file (a socket)";
	return "not a regular file";
}

int gs_input_open(const char *path, const char **why)
{
	struct stat st;
	int fd, flags, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		goto err_errno;
	if (fstat(fd, &st) < 0)
		goto err_close;
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		if (why)
			*why = gs_input_kind(st.st_mode);
		errno = EINVAL;
		return -1;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		goto err_close;
	return fd;

err_close:
	err = errno;
	close(fd);
	errno = err;
err_errno:
	if (why)
		*why = strerror(errno);
	return -1;
}

/* Length of the valid UTF-8 sequence at S (at most N bytes), 0 if none;
 * *cp is its code point. Overlong forms and surrogates are not valid. */
static size_t gs_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	if (s[0] < 0xe0) {
		len = 2, c = s[0] & 0x1fu, min = 0x80;
	} else if (s[0] < 0xf0) {
		len = 3, c = s[0] & 0x0fu, min = 0x800;
	} else {
		len = 4, c = s[0] & 0x07u, min = 0x10000;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3fu);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

size_t gs_input_escape_as(char *out, size_t size, const char *in, size_t n,
                          enum gs_input_style style)
{
	const unsigned char *s = (const unsigned char *)in;
	bool masked = style == GS_INPUT_MASKED;
	size_t o = 0;

	if (size == 0)
		return 0;
	for (size_t i = 0; i < n;) {
		char esc[8];
		const char *piece = esc;
		size_t len, adv = 1;
		uint32_t cp = 0;

		if (s[i] >= 0x20 && s[i] < 0x7f && !(masked && s[i] == '"')) {
			esc[0] = (char)s[i];
			esc[1] = '\0';
		} else if (s[i] >= 0x80 &&
		           (adv = gs_utf8_seq(s + i, n - i, &cp)) > 0 &&
		           (cp > 0x9f || masked)) {
			memcpy(esc, s + i, adv);
			esc[adv] = '\0';
		} else if (masked) {
			adv = 1;
			piece = "?";
		} else if (s[i] == '\t') {
			piece = "\\t";
		} else if (s[i] == '\n') {
			piece = "\\n";
		} else if (s[i] == '\r') {
			piece = "\\r";
		} else {
			adv = 1;
			snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
		}
		len = strlen(piece);
		if (o + len >= size)
			break;
		memcpy(out + o, piece, len);
		o += len;
		i += adv;
	}
	out[o] = '\0';
	return o;
}

size_t gs_input_escape(char *out, size_t size, const char *in, size_t n)
{
	return gs_input_escape_as(out, size, in, n, GS_INPUT_ESCAPED);
}

void gs_input_escape_inplace(char *buf, size_t size)
{
	char tmp[4096];
	size_t n = strnlen(buf, size);
	bool clean = true;

	for (size_t i = 0; i < n && clean; i++) {
		unsigned char c = (unsigned char)buf[i];

		clean = c >= 0x20 && c < 0x7f;
	}
	if (clean || size == 0)
		return;
	if (size > sizeof(tmp))
		size = sizeof(tmp);
	gs_input_escape(tmp, size, buf, n);
	memcpy(buf, tmp, strlen(tmp) + 1);
}
