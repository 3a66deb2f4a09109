/* SPDX-License-Identifier: MIT */
/*
 * Inside the libgpiod backend. gpio_common.c owns everything that does not
 * depend on the libgpiod API: finding chips by path, name or label,
 * resolving lines, error messages, the event-loop side (one epoll fd that
 * gathers every request fd), converting kernel stamps to event time and
 * sorting a batch. gpio_out.c drives the alert outputs with the same
 * chips, lines and messages. gpio_v1.c and gpio_v2.c each fill one struct
 * gs_gpio_api with the calls that differ between libgpiod 1.6 and 2.x.
 *
 * Not installed, not for other modules: the unit tests include it.
 */
#ifndef GS_GPIO_INTERNAL_H
#define GS_GPIO_INTERNAL_H

#include "gateway/config.h"
#include "gateway/event.h"
#include "gateway/log.h"
#include "sensors/backend.h"
#include "sensors/gpio.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GS_GPIO_MAX_LINES     (GS_MAX_SENSORS * GS_SENSOR_MAX_LINES)
#define GS_GPIO_MAX_CHIPS     16 /* distinct chips one config can use */
#define GS_GPIO_LIST_MAX      32 /* chips listed in "not found" messages */
#define GS_GPIO_CHIP_PATH_MAX 64 /* "/dev/gpiochip12" */
#define GS_GPIO_DEV_DIR       "/dev"

/* ---- chips ------------------------------------------------------------- */

struct gs_gpio_chip_info {
	char path[GS_GPIO_CHIP_PATH_MAX];
	char name[GS_NAME_MAX];  /* "gpiochip0" */
	char label[GS_NAME_MAX]; /* "pinctrl-rp1" */
	unsigned num_lines;
};

enum gs_gpio_chip_spec {
	GS_GPIO_CHIP_BY_PATH,  /* starts with '/' */
	GS_GPIO_CHIP_BY_NAME,  /* gpiochipN */
	GS_GPIO_CHIP_BY_LABEL, /* anything else */
};

enum gs_gpio_chip_spec gs_gpio_chip_spec_kind(const char *spec);

/* Whether a chip with this info is the one spec names. */
bool gs_gpio_chip_matches(const char *spec,
                          const struct gs_gpio_chip_info *info);

/*
 * Paths of the GPIO character devices in dir (normally /dev): entries named
 * gpiochipN, sorted by N. Returns how many (at most max) or -1 with errno.
 */
int gs_gpio_chip_paths(const char *dir, char (*paths)[GS_GPIO_CHIP_PATH_MAX],
                       size_t max);

/*
 * A line written as an offset ("17"): returns true and sets *offset. A
 * name (GPIO17) returns false.
 */
bool gs_gpio_line_offset(const char *spec, unsigned *offset);

/* ---- errors ------------------------------------------------------------ */

/* GS_EBUSY for EBUSY, GS_EPERM for EACCES/EPERM, GS_ENOENT, GS_ENOMEM,
 * GS_EGPIO for the rest. */
int gs_gpio_err_from_errno(int errnum);

/*
 * Who asks for a line: a sensor or an output of the config, as the
 * messages name it. Messages about its chip point at config_line (the
 * section header), messages about a line at line_line.
 */
struct gs_gpio_user {
	const char *file; /* the config file */
	const char *kind; /* "sensor", "output" */
	const char *name;
	const char *chip; /* as configured */
	int config_line;
	int line_line;
};

struct gs_gpio_user gs_gpio_user_sensor(const struct gs_config *cfg,
                                        unsigned sensor);
struct gs_gpio_user gs_gpio_user_output(const struct gs_config *cfg,
                                        unsigned output);

/*
 * The messages an installer reads, each "FILE:LINE: sensor 'NAME': ..."
 * (or output 'NAME'). They are pure functions of what was found so the
 * tests can pin them.
 */
void gs_gpio_diag_chip_missing(struct gs_diag *diag,
                               const struct gs_gpio_user *u,
                               const struct gs_gpio_chip_info *chips,
                               size_t n_chips);
/* user and group: who runs us and the group owning the device. */
void gs_gpio_diag_chip_denied(struct gs_diag *diag,
                              const struct gs_gpio_user *u, const char *path,
                              const char *user, const char *group);
/* line: as configured. */
void gs_gpio_diag_line_missing(struct gs_diag *diag,
                               const struct gs_gpio_user *u, const char *line,
                               const struct gs_gpio_chip_info *chip);
/*
 * A request of line refused with errnum. consumer: who holds the line
 * (EBUSY), "" if unknown; holder: the sensor or output of this config
 * already holding it, or NULL.
 */
void gs_gpio_diag_request_failed(struct gs_diag *diag,
                                 const struct gs_gpio_user *u, const char *line,
                                 const struct gs_gpio_chip_info *chip,
                                 unsigned offset, int errnum,
                                 const char *consumer,
                                 const struct gs_gpio_user *holder);

/* ---- time -------------------------------------------------------------- */

/*
 * Kernel edge stamps are CLOCK_MONOTONIC; event time is the wall clock.
 * The offset between them is measured when the backend opens and again for
 * every batch, so a clock step (NTP's first sync on a Pi) is followed.
 */
struct gs_gpio_clock {
	int64_t offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
};

void gs_gpio_clock_measure(struct gs_gpio_clock *clock);
/* Event time of a monotonic stamp, floored to the millisecond. */
int64_t gs_gpio_clock_ms(const struct gs_gpio_clock *clock, int64_t mono_ns);

/* Stable sort by mono_ns (then t_ms): merges the lines of one batch. */
void gs_gpio_edges_sort(struct gs_edge *edges, size_t n);

/* ---- the backend frame ------------------------------------------------- */

/* One requested line. */
struct gs_gpio_line {
	uint16_t sensor;
	uint8_t input;
	uint8_t chip;    /* index into gs_gpio.chips */
	unsigned offset; /* on its chip */
	int level;       /* logical level, -1 unknown */
	bool has_seqno;  /* v2: line_seqno seen */
	uint64_t seqno;  /* v2: last line_seqno */
};

/* One fd to read: a v1 line or a v2 request. */
struct gs_gpio_src {
	int fd;
	void *handle; /* struct gpiod_line * / struct gpiod_line_request * */
	void *aux;    /* v2: its struct gpiod_edge_event_buffer * */
	size_t first_line; /* its lines: gs_gpio.lines[first_line..+n_lines) */
	unsigned n_lines;
};

struct gs_gpio;

/* What differs between libgpiod 1.6 and 2.x. Calls return -1 with errno
 * set on failure, like libgpiod's own. */
struct gs_gpio_api {
	void *(*chip_open)(const char *path, struct gs_gpio_chip_info *info);
	void (*chip_close)(void *chip);
	int (*line_find)(void *chip, const char *name, unsigned *offset);
	/* Who holds a line ("" if free or unknown). */
	void (*line_consumer)(void *chip, unsigned offset, char *buf,
	                      size_t len);
	/*
	 * Requests the n lines of sensor sc, which are g->lines[first..+n),
	 * with both-edge events, bias, active-low (and debounce where the
	 * kernel has it); adds the fds with gs_gpio_add_src() and sets each
	 * line's initial level. On failure nothing stays requested and
	 * *failed is the input that failed (0 if the kernel does not say).
	 */
	int (*request)(struct gs_gpio *g, void *chip,
	               const struct gs_sensor_cfg *sc, size_t first, unsigned n,
	               const char *consumer, unsigned *failed);
	/* Reads what src has (it is readable) into edges via
	 * gs_gpio_edge_add(); at most max. */
	int (*read)(struct gs_gpio *g, struct gs_gpio_src *src,
	            struct gs_edge *edges, size_t max, size_t *n);
	void (*release)(struct gs_gpio_src *src);

	/*
	 * Outputs, one request per line: offset requested as an output
	 * driven to its inactive level at once, active-low applied by
	 * libgpiod. Returns the request or NULL with errno.
	 */
	void *(*output_request)(void *chip, unsigned offset, bool active_low,
	                        const char *consumer);
	/* Drives the request's line (offset) to the logical level on. */
	int (*output_set)(void *req, unsigned offset, bool on);
	void (*output_release)(void *req);
};

/* Filled by gpio_v1.c or gpio_v2.c, whichever is built. */
extern const struct gs_gpio_api gs_gpio_api_impl;

struct gs_gpio_chip {
	void *handle;
	struct gs_gpio_chip_info info;
};

/* The chips a config's sensors (or outputs) use, each opened once. */
struct gs_gpio_chips {
	const struct gs_gpio_api *api;
	const char *dev_dir; /* where the gpiochipN devices are: /dev */
	struct gs_gpio_chip chips[GS_GPIO_MAX_CHIPS];
	size_t n;
};

/*
 * Opens the chip u names, or finds it among those already open (under
 * any spelling: label, name, path). Returns its index, or -1 with the
 * problem in diag and *err set.
 */
int gs_gpio_chips_get(struct gs_gpio_chips *cs, const struct gs_gpio_user *u,
                      struct gs_diag *diag, int *err);
/* Resolves line (an offset or a name) on chip c to *offset. Returns 0 or
 * GS_E* with the problem in diag. */
int gs_gpio_chips_line(struct gs_gpio_chips *cs, size_t c,
                       const struct gs_gpio_user *u, const char *line,
                       struct gs_diag *diag, unsigned *offset);
void gs_gpio_chips_close(struct gs_gpio_chips *cs);

struct gs_gpio {
	const struct gs_config *cfg;
	const struct gs_gpio_api *api;
	int epfd;     /* the one fd the event loop polls */
	int start_fd; /* eventfd: initial active levels to deliver */
	struct gs_gpio_clock clock;

	struct gs_gpio_chips chips;
	struct gs_gpio_line lines[GS_GPIO_MAX_LINES];
	size_t n_lines;
	struct gs_gpio_src srcs[GS_GPIO_MAX_LINES];
	size_t n_srcs;

	struct gs_edge start[GS_GPIO_MAX_LINES];
	size_t n_start;
	int64_t lost; /* edges the kernel dropped (v2 seqno gaps) */
	struct gs_complaint overflow;
};

/* Registers a request fd. Returns 0 or -1 with errno. */
int gs_gpio_add_src(struct gs_gpio *g, int fd, void *handle, void *aux,
                    size_t first_line, unsigned n_lines);
/* Unregisters the srcs added since n_srcs was keep (a failed request). */
void gs_gpio_drop_srcs(struct gs_gpio *g, size_t keep);

/* Appends the edge of a kernel event on line at mono_ns; rising means
 * the logical level went active (libgpiod applies active-low). */
void gs_gpio_edge_add(struct gs_gpio *g, struct gs_gpio_line *line,
                      int64_t mono_ns, bool rising, struct gs_edge *edges,
                      size_t *n);

/* v2: a line_seqno; a gap means the kernel's FIFO overflowed. */
void gs_gpio_seqno_note(struct gs_gpio *g, struct gs_gpio_line *line,
                        uint64_t seqno);

/* The src's line at offset, or NULL. */
struct gs_gpio_line *gs_gpio_src_line(struct gs_gpio *g,
                                      const struct gs_gpio_src *src,
                                      unsigned offset);

/* Opens the backend on api with the chips of dev_dir (the tests pass
 * their own of both). */
int gs_gpio_backend_open(const struct gs_gpio_api *api, const char *dev_dir,
                         const struct gs_config *cfg, const char *consumer,
                         struct gs_diag *diag, struct gs_backend **out);

/* Opens the outputs of cfg on api with the chips of dev_dir (the tests
 * pass their own of both). */
int gs_gpio_outputs_open(const struct gs_gpio_api *api, const char *dev_dir,
                         const struct gs_config *cfg, const char *consumer,
                         struct gs_diag *diag, struct gs_gpio_outputs **out);

#endif
