// SPDX-License-Identifier: MIT
#include "gateway/notify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The socket's address from $NOTIFY_SOCKET; its length, or -errno. */
static int notify_addr(const char *name, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n = strlen(name);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* A path, or '@' for the abstract namespace. systemd 254's vsock
	 * addresses are for virtual machines, not for a shop's Pi. */
	if ((name[0] != '/' && name[0] != '@') || n < 2 ||
	    n > sizeof(sa->sun_path))
		return -EAFNOSUPPORT;
	memcpy(sa->sun_path, name, n);
	if (name[0] == '@')
		sa->sun_path[0] = '\0';
	/* A path is sent with its terminating NUL when it fits; an abstract
	 * name is exactly its bytes, no NUL. */
	if (name[0] == '/' && n < sizeof(sa->sun_path))
		n++;
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

int gs_notify(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	ssize_t sent;
	size_t n;
	int fd, rc;

	if (!name || !*name)
		return 0;
	rc = notify_addr(name, &sa, &len);
	if (rc)
		return rc;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = strlen(state);
	/* One datagram, so the manager reads the whole state or none. */
	sent = sendto(fd, state, n, MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	rc = sent < 0 ? -errno : (size_t)sent == n ? 1 : -EMSGSIZE;
	close(fd);
	return rc;
}

int gs_notifyf(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	/* A longer status is cut, as a status line on a console would be. */
	return gs_notify(buf);
}

/* A decimal number of $NAME, or 0 when unset or not a positive number. */
static uint64_t notify_env_u64(const char *name)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return 0;
	return (uint64_t)v;
}

uint64_t gs_notify_watchdog_usec(void)
{
	uint64_t pid = notify_env_u64("WATCHDOG_PID");

	if (getenv("WATCHDOG_PID") && pid != (uint64_t)getpid())
		return 0;
	return notify_env_u64("WATCHDOG_USEC");
}
