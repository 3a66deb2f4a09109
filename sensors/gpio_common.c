/* SPDX-License-Identifier: MIT */
/*
 * The libgpiod backend, the part common to libgpiod 1.6 and 2.x: finding
 * chips and lines, the messages an installer reads when that fails, and
 * the event-loop side. Every request fd sits in one epoll set whose fd is
 * the only one the gateway polls, so a config of many sensors (v1 has one
 * fd per line) never outgrows the loop's fd table, and one read() merges
 * the edges of every ready line into a single time-ordered batch.
 *
 * Lines start idle for the decoders (metrics clarification 1). A line that
 * is already active when it is requested (a blocked beam, a stuck button)
 * is reported as an edge to active at the moment of the request, delivered
 * by the first read(): the decoders then see the truth, and a beam blocked
 * since start-up raises its fault after fault_after like any other.
 */
#include "sensors/gpio_internal.h"

#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/timeutil.h"
#include "sensors/gpio.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef GS_GPIOD_VERSION
#define GS_GPIOD_VERSION "unknown"
#endif

#define GS_GPIO_START_KEY   UINT64_MAX /* epoll key of start_fd */
#define GS_GPIO_EPOLL_BATCH 16

const char *gs_gpio_api_version(void)
{
	return GS_GPIOD_VERSION;
}

/* ---- chips and lines ---------------------------------------------------- */

/* "gpiochipN": *n = N. */
static bool gs_gpio_chip_number(const char *name, unsigned long *n)
{
	const char *p = name + strlen("gpiochip");
	char *end;

	if (strncmp(name, "gpiochip", strlen("gpiochip")) != 0 || *p < '0' ||
	    *p > '9')
		return false;
	errno = 0;
	*n = strtoul(p, &end, 10);
	return *end == '\0' && errno == 0;
}

enum gs_gpio_chip_spec gs_gpio_chip_spec_kind(const char *spec)
{
	unsigned long n;

	if (spec[0] == '/')
		return GS_GPIO_CHIP_BY_PATH;
	if (gs_gpio_chip_number(spec, &n))
		return GS_GPIO_CHIP_BY_NAME;
	return GS_GPIO_CHIP_BY_LABEL;
}

bool gs_gpio_chip_matches(const char *spec,
                          const struct gs_gpio_chip_info *info)
{
	switch (gs_gpio_chip_spec_kind(spec)) {
	case GS_GPIO_CHIP_BY_PATH:
		return strcmp(spec, info->path) == 0;
	case GS_GPIO_CHIP_BY_NAME:
		return strcmp(spec, info->name) == 0;
	default:
		return strcmp(spec, info->label) == 0;
	}
}

static int gs_gpio_path_cmp(const void *a, const void *b)
{
	const char *pa = strrchr(a, '/'), *pb = strrchr(b, '/');
	unsigned long na = 0, nb = 0;

	gs_gpio_chip_number(pa ? pa + 1 : a, &na);
	gs_gpio_chip_number(pb ? pb + 1 : b, &nb);
	return na < nb ? -1 : na > nb;
}

int gs_gpio_chip_paths(const char *dir, char (*paths)[GS_GPIO_CHIP_PATH_MAX],
                       size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned long num;
	size_t n = 0;

	if (!d)
		return -1;
	while (n < max && (de = readdir(d))) {
		int len;

		if (!gs_gpio_chip_number(de->d_name, &num))
			continue;
		len = snprintf(paths[n], GS_GPIO_CHIP_PATH_MAX, "%s/%s", dir,
		               de->d_name);
		if (len > 0 && len < GS_GPIO_CHIP_PATH_MAX)
			n++;
	}
	closedir(d);
	qsort(paths, n, sizeof(paths[0]), gs_gpio_path_cmp);
	return (int)n;
}

bool gs_gpio_line_offset(const char *spec, unsigned *offset)
{
	unsigned long v;
	char *end;

	if (spec[0] < '0' || spec[0] > '9')
		return false;
	errno = 0;
	v = strtoul(spec, &end, 10);
	if (*end || errno || v > UINT32_MAX)
		return false;
	*offset = (unsigned)v;
	return true;
}

/* ---- errors ------------------------------------------------------------ */

int gs_gpio_err_from_errno(int errnum)
{
	switch (errnum) {
	case EBUSY:
		return GS_EBUSY;
	case EACCES:
	case EPERM:
		return GS_EPERM;
	case ENOENT:
	case ENODEV:
	case ENXIO:
	case ENOTTY: /* not a GPIO character device */
		return GS_ENOENT;
	case ENOMEM:
		return GS_ENOMEM;
	default:
		return GS_EGPIO;
	}
}

struct gs_gpio_user gs_gpio_user_sensor(const struct gs_config *cfg,
                                        unsigned sensor)
{
	const struct gs_sensor_cfg *sc = &cfg->sensors[sensor];

	return (struct gs_gpio_user){
	    .file = cfg->path,
	    .kind = "sensor",
	    .name = sc->name,
	    .chip = sc->chip,
	    .config_line = sc->config_line,
	    .line_line = sc->config_line,
	};
}

struct gs_gpio_user gs_gpio_user_output(const struct gs_config *cfg,
                                        unsigned output)
{
	const struct gs_output_cfg *oc = &cfg->outputs[output];

	return (struct gs_gpio_user){
	    .file = cfg->path,
	    .kind = "output",
	    .name = oc->name,
	    .chip = oc->chip,
	    .config_line = oc->config_line,
	    .line_line = oc->line_line ? oc->line_line : oc->config_line,
	};
}

#define GS_USER_DIAG_AT(diag, u, at, fmt, ...)                                 \
	gs_diag_add(diag, (u)->file, (u)->at, "%s '%s': " fmt, (u)->kind,      \
	            (u)->name, __VA_ARGS__)
/* About u's chip, and about its line. */
#define GS_USER_DIAG(diag, u, fmt, ...)                                        \
	GS_USER_DIAG_AT(diag, u, config_line, fmt, __VA_ARGS__)
#define GS_LINE_DIAG(diag, u, fmt, ...)                                        \
	GS_USER_DIAG_AT(diag, u, line_line, fmt, __VA_ARGS__)

void gs_gpio_diag_chip_missing(struct gs_diag *diag,
                               const struct gs_gpio_user *u,
                               const struct gs_gpio_chip_info *chips,
                               size_t n_chips)
{
	char list[200] = "";
	size_t used = 0;

	for (size_t i = 0; i < n_chips && used < sizeof(list); i++) {
		int len = snprintf(list + used, sizeof(list) - used,
		                   "%s%s [%s, %u lines]", i ? ", " : "",
		                   chips[i].name,
		                   chips[i].label[0] ? chips[i].label : "?",
		                   chips[i].num_lines);

		if (len < 0)
			break;
		used += (size_t)len;
	}
	if (n_chips == 0)
		GS_USER_DIAG(diag, u,
		             "chip '%s' not found: this system has no GPIO "
		             "chips (%s/gpiochip*)",
		             u->chip, GS_GPIO_DEV_DIR);
	else
		GS_USER_DIAG(diag, u, "chip '%s' not found; chips here: %s",
		             u->chip, list);
}

void gs_gpio_diag_chip_denied(struct gs_diag *diag,
                              const struct gs_gpio_user *u, const char *path,
                              const char *user, const char *group)
{
	/* Debian leaves the devices to root; Raspberry Pi OS gives them to
	 * group gpio, and so does the udev rule of our package. */
	if (!group || !group[0] || strcmp(group, "root") == 0)
		group = "gpio";
	GS_USER_DIAG(diag, u,
	             "permission denied opening %s: add user '%s' to group "
	             "'%s' (sudo usermod -aG %s %s, then log in again)",
	             path, user, group, group, user);
}

void gs_gpio_diag_line_missing(struct gs_diag *diag,
                               const struct gs_gpio_user *u, const char *line,
                               const struct gs_gpio_chip_info *chip)
{
	unsigned offset;

	if (gs_gpio_line_offset(line, &offset))
		GS_LINE_DIAG(diag, u,
		             "line %u does not exist: %s [%s] has %u lines "
		             "(0-%u)",
		             offset, chip->name, chip->label, chip->num_lines,
		             chip->num_lines ? chip->num_lines - 1 : 0);
	else
		GS_LINE_DIAG(diag, u,
		             "line '%s' not found on %s [%s] (names are "
		             "case-sensitive; `gpioinfo %s` lists them)",
		             line, chip->name, chip->label, chip->name);
}

void gs_gpio_diag_request_failed(struct gs_diag *diag,
                                 const struct gs_gpio_user *u, const char *line,
                                 const struct gs_gpio_chip_info *chip,
                                 unsigned offset, int errnum,
                                 const char *consumer,
                                 const struct gs_gpio_user *holder)
{
	char what[2 * GS_NAME_MAX + 48];

	snprintf(what, sizeof(what), "line %s (%s offset %u)", line, chip->name,
	         offset);
	if (holder)
		GS_LINE_DIAG(diag, u,
		             "%s is also used by %s '%s' (%s:%d): a line can "
		             "serve one sensor or output only",
		             what, holder->kind, holder->name, holder->file,
		             holder->line_line);
	else if (errnum == EBUSY && consumer &&
	         strcmp(consumer, GS_GPIO_CONSUMER_DAEMON) == 0)
		GS_LINE_DIAG(diag, u,
		             "%s is busy: the gapsense service is running and "
		             "holds the lines: stop it with `systemctl stop "
		             "gapsense` first",
		             what);
	else if (errnum == EBUSY && consumer &&
	         strcmp(consumer, GS_GPIO_CONSUMER_WIRING) == 0)
		GS_LINE_DIAG(diag, u,
		             "%s is busy: `gapsense wiring` is running and "
		             "holds the lines: stop it (Ctrl-C) first",
		             what);
	else if (errnum == EBUSY && consumer && consumer[0])
		GS_LINE_DIAG(diag, u,
		             "%s is busy: requested by another program "
		             "(consumer '%s'); `gpioinfo %s` shows who holds "
		             "which line",
		             what, consumer, chip->name);
	else if (errnum == EBUSY)
		GS_LINE_DIAG(diag, u,
		             "%s is busy: requested by another program or a "
		             "kernel driver (an overlay in "
		             "/boot/firmware/config.txt?)",
		             what);
	else if (errnum == EACCES || errnum == EPERM)
		GS_LINE_DIAG(diag, u,
		             "%s: permission denied: add the user to group "
		             "'gpio'",
		             what);
	else if (errnum == EINVAL || errnum == EOPNOTSUPP)
		GS_LINE_DIAG(diag, u,
		             "%s: the kernel refused the line settings "
		             "(%s not supported by this chip?): %s",
		             what,
		             strcmp(u->kind, "output") == 0
		                 ? "output or active_low"
		                 : "bias, active_low, debounce or edge events",
		             strerror(errnum));
	else
		GS_LINE_DIAG(diag, u, "%s: cannot request it: %s", what,
		             strerror(errnum));
}

/* ---- time -------------------------------------------------------------- */

void gs_gpio_clock_measure(struct gs_gpio_clock *clock)
{
	clock->offset_ns = gs_clock_offset_measure(
	    gs_clock_read_realtime_ns, gs_clock_read_monotonic_ns, NULL);
}

int64_t gs_gpio_clock_ms(const struct gs_gpio_clock *clock, int64_t mono_ns)
{
	return gs_floor_div(mono_ns + clock->offset_ns, 1000000);
}

static bool gs_edge_before(const struct gs_edge *a, const struct gs_edge *b)
{
	if (a->mono_ns != b->mono_ns)
		return a->mono_ns < b->mono_ns;
	return a->t_ms < b->t_ms;
}

void gs_gpio_edges_sort(struct gs_edge *edges, size_t n)
{
	/* Insertion sort: stable, and a batch is mostly in order already
	 * (each fd's events are). */
	for (size_t i = 1; i < n; i++) {
		struct gs_edge e = edges[i];
		size_t j = i;

		while (j > 0 && gs_edge_before(&e, &edges[j - 1])) {
			edges[j] = edges[j - 1];
			j--;
		}
		edges[j] = e;
	}
}

/* ---- the frame the API files fill ------------------------------------- */

int gs_gpio_add_src(struct gs_gpio *g, int fd, void *handle, void *aux,
                    size_t first_line, unsigned n_lines)
{
	struct epoll_event ev = {.events = EPOLLIN};

	if (g->n_srcs >= GS_GPIO_MAX_LINES) {
		errno = EMFILE;
		return -1;
	}
	ev.data.u64 = g->n_srcs;
	if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -1;
	g->srcs[g->n_srcs++] = (struct gs_gpio_src){
	    .fd = fd,
	    .handle = handle,
	    .aux = aux,
	    .first_line = first_line,
	    .n_lines = n_lines,
	};
	return 0;
}

void gs_gpio_drop_srcs(struct gs_gpio *g, size_t keep)
{
	while (g->n_srcs > keep) {
		struct gs_gpio_src *src = &g->srcs[--g->n_srcs];

		/* The fd is about to close with the request: this cannot
		 * fail in a way that matters. */
		epoll_ctl(g->epfd, EPOLL_CTL_DEL, src->fd, NULL);
		g->api->release(src);
	}
}

void gs_gpio_edge_add(struct gs_gpio *g, struct gs_gpio_line *line,
                      int64_t mono_ns, bool rising, struct gs_edge *edges,
                      size_t *n)
{
	edges[(*n)++] = (struct gs_edge){
	    .t_ms = gs_gpio_clock_ms(&g->clock, mono_ns),
	    .mono_ns = mono_ns,
	    .sensor = line->sensor,
	    .input = line->input,
	    .active = rising,
	};
	line->level = rising;
}

void gs_gpio_seqno_note(struct gs_gpio *g, struct gs_gpio_line *line,
                        uint64_t seqno)
{
	if (line->has_seqno && seqno > line->seqno + 1) {
		uint64_t lost = seqno - line->seqno - 1;

		g->lost += (int64_t)lost;
		gs_complain(&g->overflow, GS_LOG_WARNING,
		            "GPIO: the kernel's event buffer overflowed: %llu "
		            "edges of sensor '%s' lost (%lld in all); counts "
		            "around now may be off",
		            (unsigned long long)lost,
		            g->cfg->sensors[line->sensor].name,
		            (long long)g->lost);
	}
	line->has_seqno = true;
	line->seqno = seqno;
}

struct gs_gpio_line *gs_gpio_src_line(struct gs_gpio *g,
                                      const struct gs_gpio_src *src,
                                      unsigned offset)
{
	for (unsigned i = 0; i < src->n_lines; i++)
		if (g->lines[src->first_line + i].offset == offset)
			return &g->lines[src->first_line + i];
	return NULL;
}

/* ---- backend ops ------------------------------------------------------- */

static size_t gs_gpio_take_start(struct gs_gpio *g, struct gs_edge *edges,
                                 size_t max)
{
	size_t n = g->n_start < max ? g->n_start : max;
	uint64_t v;

	memcpy(edges, g->start, n * sizeof(*edges));
	memmove(g->start, g->start + n, (g->n_start - n) * sizeof(*edges));
	g->n_start -= n;
	if (g->n_start == 0 && read(g->start_fd, &v, sizeof(v)) < 0 &&
	    errno != EAGAIN)
		gs_log(GS_LOG_WARNING, "GPIO: eventfd read: %s",
		       strerror(errno));
	return n;
}

static int gs_gpio_read(struct gs_backend *be, int fd, struct gs_edge *edges,
                        size_t max, size_t *n, int64_t *horizon_ms, bool *eof)
{
	struct gs_gpio *g = be->priv;
	struct epoll_event evs[GS_GPIO_EPOLL_BATCH];
	int ready;

	(void)fd;
	*n = 0;
	*eof = false;
	ready = epoll_wait(g->epfd, evs, GS_GPIO_EPOLL_BATCH, 0);
	if (ready < 0) {
		if (errno == EINTR)
			return GS_OK;
		gs_log(GS_LOG_ERR, "GPIO: epoll_wait: %s", strerror(errno));
		return GS_ESYS;
	}
	gs_gpio_clock_measure(&g->clock);
	for (int i = 0; i < ready && *n < max; i++) {
		struct gs_gpio_src *src;
		size_t got = 0;

		if (evs[i].data.u64 == GS_GPIO_START_KEY) {
			*n += gs_gpio_take_start(g, edges + *n, max - *n);
			continue;
		}
		src = &g->srcs[evs[i].data.u64];
		if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
			gs_log(GS_LOG_ERR,
			       "GPIO: sensor '%s': the kernel closed its line "
			       "request (chip removed?)",
			       g->cfg->sensors[g->lines[src->first_line].sensor]
			           .name);
			return GS_EIO;
		}
		if (g->api->read(g, src, edges + *n, max - *n, &got) < 0) {
			int e = errno;

			if (e == EAGAIN || e == EINTR)
				continue;
			gs_log(GS_LOG_ERR,
			       "GPIO: sensor '%s': reading edge events: %s",
			       g->cfg->sensors[g->lines[src->first_line].sensor]
			           .name,
			       strerror(e));
			return gs_gpio_err_from_errno(e);
		}
		*n += got;
	}
	gs_gpio_edges_sort(edges, *n);
	if (*n > 0)
		*horizon_ms = edges[*n - 1].t_ms;
	return GS_OK;
}

static size_t gs_gpio_fds(struct gs_backend *be, int *fds, size_t max)
{
	struct gs_gpio *g = be->priv;

	if (max < 1)
		return 0;
	fds[0] = g->epfd;
	return 1;
}

static int gs_gpio_line_state(struct gs_backend *be, unsigned sensor,
                              unsigned input)
{
	struct gs_gpio *g = be->priv;

	for (size_t i = 0; i < g->n_lines; i++)
		if (g->lines[i].sensor == sensor && g->lines[i].input == input)
			return g->lines[i].level;
	return -1;
}

static void gs_gpio_close(struct gs_gpio *g)
{
	gs_gpio_drop_srcs(g, 0);
	gs_gpio_chips_close(&g->chips);
	if (g->start_fd >= 0)
		close(g->start_fd);
	if (g->epfd >= 0)
		close(g->epfd);
	free(g);
}

static void gs_gpio_free(struct gs_backend *be)
{
	gs_gpio_close(be->priv);
	free(be);
}

static const struct gs_backend_ops gs_gpio_ops = {
    .name = "gpio",
    .read = gs_gpio_read,
    .fds = gs_gpio_fds,
    .line_state = gs_gpio_line_state,
    .free = gs_gpio_free,
};

/* ---- the chips of a config ---------------------------------------------- */

/* Info of every chip in /dev, for "not found" messages. */
static size_t gs_gpio_list_chips(struct gs_gpio_chips *cs,
                                 struct gs_gpio_chip_info *infos, size_t max)
{
	char paths[GS_GPIO_LIST_MAX][GS_GPIO_CHIP_PATH_MAX];
	int n = gs_gpio_chip_paths(cs->dev_dir, paths, GS_GPIO_LIST_MAX);
	size_t k = 0;

	for (int i = 0; i < n && k < max; i++) {
		struct gs_gpio_chip_info *info = &infos[k++];
		void *chip = cs->api->chip_open(paths[i], info);
		const char *base = strrchr(paths[i], '/');

		if (chip) {
			cs->api->chip_close(chip);
			continue;
		}
		memset(info, 0, sizeof(*info));
		snprintf(info->name, sizeof(info->name), "%.*s",
		         (int)sizeof(info->name) - 1,
		         base ? base + 1 : paths[i]);
	}
	return k;
}

static void gs_gpio_report_denied(struct gs_diag *diag,
                                  const struct gs_gpio_user *u,
                                  const char *path)
{
	struct passwd *pw = getpwuid(geteuid());
	struct group *gr = NULL;
	struct stat st;

	if (stat(path, &st) == 0)
		gr = getgrgid(st.st_gid);
	gs_gpio_diag_chip_denied(diag, u, path, pw ? pw->pw_name : "?",
	                         gr ? gr->gr_name : NULL);
}

int gs_gpio_chips_get(struct gs_gpio_chips *cs, const struct gs_gpio_user *u,
                      struct gs_diag *diag, int *err)
{
	const char *spec = u->chip;
	char paths[GS_GPIO_LIST_MAX][GS_GPIO_CHIP_PATH_MAX];
	char denied[GS_GPIO_CHIP_PATH_MAX] = "";
	struct gs_gpio_chip_info info = {0};
	void *chip = NULL;
	int e = ENOENT, n;

	for (size_t k = 0; k < cs->n; k++)
		if (gs_gpio_chip_matches(spec, &cs->chips[k].info))
			return (int)k;

	switch (gs_gpio_chip_spec_kind(spec)) {
	case GS_GPIO_CHIP_BY_PATH:
		snprintf(paths[0], sizeof(paths[0]), "%s", spec);
		n = 1;
		break;
	case GS_GPIO_CHIP_BY_NAME:
		snprintf(paths[0], sizeof(paths[0]), "%s/%s", cs->dev_dir,
		         spec);
		n = 1;
		break;
	default:
		n = gs_gpio_chip_paths(cs->dev_dir, paths, GS_GPIO_LIST_MAX);
		break;
	}
	for (int k = 0; k < n && !chip; k++) {
		chip = cs->api->chip_open(paths[k], &info);
		if (!chip) {
			if (errno == EACCES || errno == EPERM)
				memcpy(denied, paths[k], sizeof(denied));
			else if (e == ENOENT)
				e = errno;
			continue;
		}
		if (!gs_gpio_chip_matches(spec, &info) &&
		    gs_gpio_chip_spec_kind(spec) == GS_GPIO_CHIP_BY_LABEL) {
			cs->api->chip_close(chip);
			chip = NULL;
		}
	}
	if (!chip) {
		struct gs_gpio_chip_info list[GS_GPIO_LIST_MAX];

		if (denied[0]) {
			gs_gpio_report_denied(diag, u, denied);
			*err = GS_EPERM;
		} else if (e == ENOENT || e == ENODEV || e == ENOTTY) {
			size_t n_list =
			    gs_gpio_list_chips(cs, list, GS_GPIO_LIST_MAX);

			gs_gpio_diag_chip_missing(diag, u, list, n_list);
			/* No chip at all is this machine's lack (no GPIO
			 * driver), not a configuration error. */
			*err = n_list ? GS_ENOENT : GS_EGPIO;
		} else {
			GS_USER_DIAG(diag, u, "cannot open chip '%s': %s", spec,
			             strerror(e));
			*err = gs_gpio_err_from_errno(e);
		}
		return -1;
	}
	/* The same chip under another spelling (label and name): one
	 * handle, so that two sensors on one line are caught. */
	for (size_t k = 0; k < cs->n; k++) {
		if (strcmp(cs->chips[k].info.name, info.name) == 0) {
			cs->api->chip_close(chip);
			return (int)k;
		}
	}
	if (cs->n >= GS_GPIO_MAX_CHIPS) {
		cs->api->chip_close(chip);
		GS_USER_DIAG(diag, u, "more than %d GPIO chips in use",
		             GS_GPIO_MAX_CHIPS);
		*err = GS_ECONFIG;
		return -1;
	}
	cs->chips[cs->n] = (struct gs_gpio_chip){chip, info};
	return (int)cs->n++;
}

int gs_gpio_chips_line(struct gs_gpio_chips *cs, size_t c,
                       const struct gs_gpio_user *u, const char *line,
                       struct gs_diag *diag, unsigned *offset)
{
	const struct gs_gpio_chip_info *info = &cs->chips[c].info;

	if (gs_gpio_line_offset(line, offset)) {
		if (*offset < info->num_lines)
			return GS_OK;
		gs_gpio_diag_line_missing(diag, u, line, info);
		return GS_ENOENT;
	}
	if (cs->api->line_find(cs->chips[c].handle, line, offset) == 0)
		return GS_OK;
	if (errno == ENOENT) {
		gs_gpio_diag_line_missing(diag, u, line, info);
		return GS_ENOENT;
	}
	GS_LINE_DIAG(diag, u, "looking up line '%s' on %s: %s", line,
	             info->name, strerror(errno));
	return gs_gpio_err_from_errno(errno);
}

void gs_gpio_chips_close(struct gs_gpio_chips *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		cs->api->chip_close(cs->chips[i].handle);
	cs->n = 0;
}

/* ---- opening ----------------------------------------------------------- */

/*
 * Appends sensor i's lines to g->lines, each looked up on chip c and
 * refused if another sensor holds it. On error none is appended.
 */
static int gs_gpio_lines_add(struct gs_gpio *g, unsigned i, int c,
                             const struct gs_gpio_user *u, const char *consumer,
                             struct gs_diag *diag)
{
	const struct gs_sensor_cfg *sc = &g->cfg->sensors[i];
	const struct gs_gpio_chip *chip = &g->chips.chips[c];
	size_t first = g->n_lines;
	int rc = GS_OK;

	for (unsigned j = 0; j < sc->n_lines; j++) {
		unsigned offset;
		int r = gs_gpio_chips_line(&g->chips, (size_t)c, u,
		                           sc->lines[j], diag, &offset);

		for (size_t k = 0; !r && k < g->n_lines; k++) {
			struct gs_gpio_user holder;

			if (g->lines[k].chip != c ||
			    g->lines[k].offset != offset)
				continue;
			holder =
			    gs_gpio_user_sensor(g->cfg, g->lines[k].sensor);
			gs_gpio_diag_request_failed(diag, u, sc->lines[j],
			                            &chip->info, offset, EBUSY,
			                            consumer, &holder);
			r = GS_EBUSY;
		}
		if (r) {
			if (!rc)
				rc = r;
			continue;
		}
		g->lines[g->n_lines++] = (struct gs_gpio_line){
		    .sensor = (uint16_t)i,
		    .input = (uint8_t)j,
		    .chip = (uint8_t)c,
		    .offset = offset,
		    .level = -1,
		};
	}
	if (rc)
		g->n_lines = first;
	return rc;
}

/*
 * The kernel refused the request of sensor i's lines (from first) with
 * errno e, as a whole: tells which line, naming whoever holds it.
 */
static int gs_gpio_request_refused(struct gs_gpio *g, unsigned i, int c,
                                   const struct gs_gpio_user *u, size_t first,
                                   unsigned failed, int e, struct gs_diag *diag)
{
	const struct gs_sensor_cfg *sc = &g->cfg->sensors[i];
	const struct gs_gpio_chip *chip = &g->chips.chips[c];
	char holder[GS_NAME_MAX] = "";

	for (unsigned j = 0; e == EBUSY && j < sc->n_lines; j++) {
		g->api->line_consumer(chip->handle, g->lines[first + j].offset,
		                      holder, sizeof(holder));
		if (holder[0]) {
			failed = j;
			break;
		}
	}
	if (failed >= sc->n_lines)
		failed = 0;
	gs_gpio_diag_request_failed(diag, u, sc->lines[failed], &chip->info,
	                            g->lines[first + failed].offset, e, holder,
	                            NULL);
	g->n_lines = first;
	return gs_gpio_err_from_errno(e);
}

static int gs_gpio_open_sensor(struct gs_gpio *g, unsigned i,
                               const char *consumer, struct gs_diag *diag)
{
	const struct gs_sensor_cfg *sc = &g->cfg->sensors[i];
	const struct gs_gpio_user u = gs_gpio_user_sensor(g->cfg, i);
	size_t first = g->n_lines;
	unsigned failed = 0;
	int64_t now_ns;
	int c, rc = GS_OK;

	c = gs_gpio_chips_get(&g->chips, &u, diag, &rc);
	if (c < 0)
		return rc;
	rc = gs_gpio_lines_add(g, i, c, &u, consumer, diag);
	if (rc)
		return rc;
	if (g->api->request(g, g->chips.chips[c].handle, sc, first, sc->n_lines,
	                    consumer, &failed) < 0)
		return gs_gpio_request_refused(g, i, c, &u, first, failed,
		                               errno, diag);
	now_ns = gs_clock_monotonic_ns();
	for (size_t k = first; k < g->n_lines; k++) {
		struct gs_gpio_line *l = &g->lines[k];

		if (l->level == 1)
			g->start[g->n_start++] = (struct gs_edge){
			    .t_ms = gs_gpio_clock_ms(&g->clock, now_ns),
			    .mono_ns = now_ns,
			    .sensor = l->sensor,
			    .input = l->input,
			    .active = 1,
			};
	}
	return GS_OK;
}

int gs_gpio_backend_open(const struct gs_gpio_api *api, const char *dev_dir,
                         const struct gs_config *cfg, const char *consumer,
                         struct gs_diag *diag, struct gs_backend **out)
{
	struct gs_gpio *g = calloc(1, sizeof(*g));
	struct gs_backend *be;
	int rc = GS_OK;

	*out = NULL;
	if (!g)
		return GS_ENOMEM;
	g->cfg = cfg;
	g->api = api;
	g->chips.api = api;
	g->chips.dev_dir = dev_dir;
	g->start_fd = -1;
	g->overflow = (struct gs_complaint)GS_COMPLAINT_INIT;
	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (g->epfd < 0) {
		gs_diag_add(diag, cfg->path, 0, "GPIO: epoll_create1: %s",
		            strerror(errno));
		rc = GS_ESYS;
		goto err_close;
	}
	gs_gpio_clock_measure(&g->clock);
	for (unsigned i = 0; i < cfg->n_sensors; i++) {
		int r = gs_gpio_open_sensor(g, i, consumer, diag);

		if (r && !rc)
			rc = r; /* go on: the installer sees every problem */
	}
	if (rc)
		goto err_close;
	if (g->n_start > 0) {
		struct epoll_event ev = {.events = EPOLLIN,
		                         .data.u64 = GS_GPIO_START_KEY};

		g->start_fd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
		if (g->start_fd < 0 ||
		    epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->start_fd, &ev)) {
			gs_diag_add(diag, cfg->path, 0, "GPIO: eventfd: %s",
			            strerror(errno));
			rc = GS_ESYS;
			goto err_close;
		}
	}
	be = malloc(sizeof(*be));
	if (!be) {
		rc = GS_ENOMEM;
		goto err_close;
	}
	be->ops = &gs_gpio_ops;
	be->priv = g;
	*out = be;
	return GS_OK;

err_close:
	gs_gpio_close(g);
	return rc;
}

int gs_gpio_backend_new(const struct gs_config *cfg, const char *consumer,
                        struct gs_diag *diag, struct gs_backend **out)
{
	return gs_gpio_backend_open(&gs_gpio_api_impl, GS_GPIO_DEV_DIR, cfg,
	                            consumer, diag, out);
}
