/* SPDX-License-Identifier: MIT */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *gs_test_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char *dir;

	if (asprintf(&dir, "%s/gapsense-test-XXXXXX", tmp ? tmp : "/tmp") < 0)
		abort();
	if (!mkdtemp(dir))
		abort();
	return dir;
}

void gs_test_rmdir(char *dir)
{
	DIR *d;
	struct dirent *e;

	if (!dir)
		return;
	d = opendir(dir);
	if (d) {
		while ((e = readdir(d)) != NULL) {
			char *p;

			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			if (asprintf(&p, "%s/%s", dir, e->d_name) < 0)
				abort();
			unlink(p);
			free(p);
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}

char *gs_test_write_file(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
	return path;
}

void gs_test_stderr_begin(struct gs_test_stderr *c)
{
	fflush(stderr);
	c->file = tmpfile();
	c->saved = dup(STDERR_FILENO);
	if (!c->file || c->saved < 0 ||
	    dup2(fileno(c->file), STDERR_FILENO) < 0)
		abort();
}

void gs_test_stderr_end(struct gs_test_stderr *c, char *out, size_t len)
{
	size_t n;

	fflush(stderr);
	if (dup2(c->saved, STDERR_FILENO) < 0)
		abort();
	close(c->saved);
	rewind(c->file);
	n = fread(out, 1, len - 1, c->file);
	out[n] = '\0';
	fclose(c->file);
}

const char *gs_test_data(const char *name)
{
	static char path[1024];
	const char *dir = getenv("GS_TEST_DATA");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data", name);
	return path;
}

static int64_t gs_fake_realtime(void *ctx)
{
	return ((struct gs_fake_clock *)ctx)->realtime_ns;
}

static int64_t gs_fake_monotonic(void *ctx)
{
	return ((struct gs_fake_clock *)ctx)->monotonic_ns;
}

static bool gs_fake_synced(void *ctx)
{
	struct gs_fake_clock *f = ctx;

	f->sync_reads++;
	return f->synced;
}

const struct gs_clock_source gs_fake_clock_source = {
    .now_realtime_ns = gs_fake_realtime,
    .now_monotonic_ns = gs_fake_monotonic,
    .is_synced = gs_fake_synced,
};

void gs_fake_clock_advance(struct gs_fake_clock *f, int64_t ns)
{
	f->realtime_ns += ns;
	f->monotonic_ns += ns;
}

void gs_test_mqtt_config(struct gs_config *cfg)
{
	gs_config_defaults(cfg);
	snprintf(cfg->gateway_id, sizeof(cfg->gateway_id), "unit-1");
	snprintf(cfg->site, sizeof(cfg->site), "lab");
	snprintf(cfg->client_id, sizeof(cfg->client_id), "gapsense-unit-1");
}
