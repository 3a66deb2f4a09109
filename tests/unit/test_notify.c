/* SPDX-License-Identifier: MIT */
/*
 * The service manager's notification protocol, against a real AF_UNIX
 * datagram socket standing in for systemd: at a path and in the abstract
 * namespace; no socket; an address that cannot be one; the watchdog's
 * environment.
 */
#include "gateway/notify.h"
#include "testutil.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

struct fixture {
	char *dir;
	int fd;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->dir = gs_test_mkdtemp();
	fx->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!fx->dir || fx->fd < 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	close(fx->fd);
	gs_test_rmdir(fx->dir);
	free(fx);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return 0;
}

/* Binds the manager's socket: a path, or an abstract name for '@'. */
static void bind_manager(struct fixture *fx, const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(name);
	socklen_t len;

	assert_true(n < sizeof(sa.sun_path));
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	                  (name[0] == '@' ? 0 : 1));
	assert_int_equal(bind(fx->fd, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", name, 1), 0);
}

/* The next datagram the manager got, as a string. */
static const char *received(struct fixture *fx)
{
	static char buf[2048];
	ssize_t n = recv(fx->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static void test_path(void **state)
{
	struct fixture *fx = *state;
	char path[512];

	snprintf(path, sizeof(path), "%s/notify", fx->dir);
	bind_manager(fx, path);
	assert_int_equal(gs_notify("READY=1"), 1);
	assert_string_equal(received(fx), "READY=1");
	assert_int_equal(gs_notifyf("STATUS=%s; %u waiting", "connected", 3u),
	                 1);
	assert_string_equal(received(fx), "STATUS=connected; 3 waiting");
}

static void test_abstract(void **state)
{
	struct fixture *fx = *state;
	char name[64];

	snprintf(name, sizeof(name), "@gapsense-test-%ld", (long)getpid());
	bind_manager(fx, name);
	assert_int_equal(gs_notify("WATCHDOG=1"), 1);
	assert_string_equal(received(fx), "WATCHDOG=1");
}

/* A status longer than the buffer is cut, never overrun. */
static void test_long_status(void **state)
{
	struct fixture *fx = *state;
	char path[512], *big = malloc(4000);

	assert_non_null(big);
	memset(big, 'x', 3999);
	big[3999] = '\0';
	snprintf(path, sizeof(path), "%s/notify", fx->dir);
	bind_manager(fx, path);
	assert_int_equal(gs_notifyf("STATUS=%s", big), 1);
	assert_int_equal(strlen(received(fx)), 1023);
	free(big);
}

static void test_no_manager(void **state)
{
	struct fixture *fx = *state;
	char path[512];

	(void)fx;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(gs_notify("READY=1"), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", "", 1), 0);
	assert_int_equal(gs_notify("READY=1"), 0);
	/* Named but not there: the error, not a silent success. */
	snprintf(path, sizeof(path), "%s/nobody", fx->dir);
	assert_int_equal(setenv("NOTIFY_SOCKET", path, 1), 0);
	assert_int_equal(gs_notify("READY=1"), -ENOENT);
	/* Not an address this protocol knows. */
	assert_int_equal(setenv("NOTIFY_SOCKET", "vsock:2:1234", 1), 0);
	assert_int_equal(gs_notify("READY=1"), -EAFNOSUPPORT);
	assert_int_equal(setenv("NOTIFY_SOCKET", "@", 1), 0);
	assert_int_equal(gs_notify("READY=1"), -EAFNOSUPPORT);
}

static void test_watchdog(void **state)
{
	char pid[32];

	(void)state;
	assert_int_equal(gs_notify_watchdog_usec(), 0);
	assert_int_equal(setenv("WATCHDOG_USEC", "30000000", 1), 0);
	assert_int_equal(gs_notify_watchdog_usec(), 30000000);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	assert_int_equal(setenv("WATCHDOG_PID", pid, 1), 0);
	assert_int_equal(gs_notify_watchdog_usec(), 30000000);
	/* Inherited from a parent that was the one watched. */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	assert_int_equal(setenv("WATCHDOG_PID", pid, 1), 0);
	assert_int_equal(gs_notify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_PID");
	assert_int_equal(setenv("WATCHDOG_USEC", "30s", 1), 0);
	assert_int_equal(gs_notify_watchdog_usec(), 0);
	assert_int_equal(setenv("WATCHDOG_USEC", "-1", 1), 0);
	assert_int_equal(gs_notify_watchdog_usec(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abstract, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_manager, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_watchdog, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
