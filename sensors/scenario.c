/* SPDX-License-Identifier: MIT */
/*
 * Scenario files (docs/scenario.md): the reader backend and the writer.
 *
 * The reader is on the replay's hot path (a simulated busy day is over a
 * million lines), so it avoids stdio's per-line costs: one fixed buffer
 * filled with read(2), lines found with memchr, the recorder's own lines
 * read in one pass (gs_scn_parse_fast) and any other split into fields
 * (gs_scn_parse_split, which reports the errors), and "chip,line" looked
 * up in a small open-addressing hash table built from the config. On a
 * recorded busy day that is 372 instructions an edge, against 946 when
 * every line was split (bench/bench_scenario, docs/performance.md). A line
 * longer than GS_SCN_LINE_MAX is an error, which keeps the buffer fixed
 * whatever the file holds.
 */
#include "sensors/scenario.h"
#include "gateway/err.h"
#include "gateway/input.h"
#include "gateway/log.h"
#include "gateway/loop.h"
#include "gateway/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define GS_SCN_BUF      (64 * 1024)
#define GS_SCN_LINE_MAX 255 /* characters, without the newline */
#define GS_SCN_MAP_BITS 9
#define GS_SCN_MAP      (1u << GS_SCN_MAP_BITS) /* > 2x GS_SCN_KEYS */
#define GS_SCN_HEADER   "time,chip,line,value"
/* The longest time between two edges (docs/scenario.md). The engine
 * publishes every window of a gap, empty or not: a year (a typo in the
 * date) is 35,000 windows of 15 minutes, about half a gigabyte written to
 * the card the daemon shares; a week is 672 of them (about 9 MB). */
#define GS_SCN_GAP_MAX_MS (7 * GS_MS_PER_DAY)

/* A configured (chip, line) as the text "chip,line" that a scenario line
 * holds between its time and its value. */
struct gs_scn_key {
	uint32_t hash;
	uint16_t sensor;
	uint8_t input;
	uint8_t len;
	char text[2 * GS_NAME_MAX]; /* not NUL-terminated */
};

#define GS_SCN_KEYS (GS_MAX_SENSORS * GS_SENSOR_MAX_LINES)
_Static_assert(GS_SCN_KEYS < UINT8_MAX, "a key's index + 1 fits the map");
_Static_assert(2 * GS_NAME_MAX <= UINT8_MAX, "a key's length fits");

struct gs_scenario {
	struct gs_backend be;
	const struct gs_config *cfg;
	char path[GS_PATH_MAX];
	int file_fd;
	bool own_fd;
	int efd; /* eventfd (as fast as it can) or timerfd (paced) */

	/* Paced (speed > 0): the next edge, parsed but not yet due, and
	 * the first edge's times that every due moment is measured from. */
	double speed;
	struct gs_edge next;
	bool have_next;
	bool paced_started;
	int64_t first_ms;
	int64_t first_mono_ns;
	int64_t handed_ms; /* the last edge handed over */
	bool have_handed;

	char buf[GS_SCN_BUF];
	size_t pos, len;
	bool file_eof;
	unsigned lineno;

	int64_t last_ms;
	bool have_last;
	bool eof;
	int failed; /* GS_E* once an error was reported */
	char error[512];

	/* Consecutive lines mostly share the minute: its date is parsed
	 * once. */
	struct gs_time_cache time_cache;

	uint8_t levels[GS_MAX_SENSORS][GS_SENSOR_MAX_LINES]; /* logical */
	struct gs_scn_key keys[GS_SCN_KEYS];
	unsigned n_keys;
	/* Open addressing: a key's index + 1, 0 for a free slot. */
	uint8_t map[GS_SCN_MAP];
};

/* ---- the (chip, line) map ---- */

#define GS_SCN_MUL UINT64_C(0xff51afd7ed558ccd)

/*
 * A hash of the key's text a word at a time: a million lookups a day, where
 * a byte-wise FNV-1a of chip and line took a tenth of the reader's time. A
 * key of 8 bytes or more ends with a word that overlaps the one before it
 * (no byte loop for the tail, never a read past the key's end); a shorter
 * one is gathered bytewise. The result is the top half of the last
 * product, where every byte of the key has a say (the low bits do not see
 * the key's last bytes, which are all that tell "gpiochip1,2" from
 * "gpiochip1,3"): the map takes its slot from the top bits too.
 */
static uint32_t gs_scn_key_hash(const char *k, size_t n)
{
	uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ n, w = 0;

	if (n < sizeof(w)) {
		for (size_t i = 0; i < n; i++)
			w |= (uint64_t)(uint8_t)k[i] << (8 * i);
	} else {
		for (size_t i = 0; i + sizeof(w) < n; i += sizeof(w)) {
			memcpy(&w, k + i, sizeof(w));
			h = (h ^ w) * GS_SCN_MUL;
			h ^= h >> 32;
		}
		memcpy(&w, k + n - sizeof(w), sizeof(w));
	}
	return (uint32_t)(((h ^ w) * GS_SCN_MUL) >> 32);
}

/* The map's first slot for hash h: its top bits. */
static inline unsigned gs_scn_slot(uint32_t h)
{
	return h >> (32 - GS_SCN_MAP_BITS);
}

/*
 * Whether a field split at commas and trimmed can equal name: one with a
 * comma or an outer blank never does, so the map leaves it out and the
 * one-pass reader cannot match what the split one would not. The config
 * refuses blanks in names but lets a chip name hold a comma.
 */
static bool gs_scn_name_matchable(const char *name, size_t n)
{
	return memchr(name, ',', n) == NULL &&
	       (n == 0 || (name[0] != ' ' && name[0] != '\t' &&
	                   name[n - 1] != ' ' && name[n - 1] != '\t'));
}

static const struct gs_scn_key *gs_scn_lookup(const struct gs_scenario *sc,
                                              const char *key, size_t len)
{
	uint32_t h = gs_scn_key_hash(key, len);

	for (unsigned k = gs_scn_slot(h); sc->map[k];
	     k = (k + 1) % GS_SCN_MAP) {
		const struct gs_scn_key *o = &sc->keys[sc->map[k] - 1];

		if (o->hash == h && o->len == len &&
		    memcmp(o->text, key, len) == 0)
			return o;
	}
	return NULL;
}

/* Adds "chip,line" for sensor s's input i, unless it cannot match. */
static void gs_scn_map_add(struct gs_scenario *sc, unsigned s, unsigned i)
{
	const struct gs_sensor_cfg *sen = &sc->cfg->sensors[s];
	size_t cl = strnlen(sen->chip, sizeof(sen->chip));
	size_t ll = strnlen(sen->lines[i], sizeof(sen->lines[i]));
	struct gs_scn_key *key = &sc->keys[sc->n_keys];
	unsigned k;

	if (cl == sizeof(sen->chip) || ll == sizeof(sen->lines[i]) ||
	    !gs_scn_name_matchable(sen->chip, cl) ||
	    !gs_scn_name_matchable(sen->lines[i], ll))
		return;
	memcpy(key->text, sen->chip, cl);
	key->text[cl] = ',';
	memcpy(key->text + cl + 1, sen->lines[i], ll);
	key->len = (uint8_t)(cl + 1 + ll);
	/* Two sensors on one line: the config check reports it; the first
	 * one wins here. */
	if (gs_scn_lookup(sc, key->text, key->len))
		return;
	key->hash = gs_scn_key_hash(key->text, key->len);
	key->sensor = (uint16_t)s;
	key->input = (uint8_t)i;
	for (k = gs_scn_slot(key->hash); sc->map[k]; k = (k + 1) % GS_SCN_MAP)
		;
	sc->map[k] = (uint8_t)++sc->n_keys;
}

static void gs_scn_map_build(struct gs_scenario *sc)
{
	const struct gs_config *cfg = sc->cfg;

	for (unsigned s = 0; s < cfg->n_sensors && s < GS_MAX_SENSORS; s++) {
		unsigned n = cfg->sensors[s].n_lines;

		for (unsigned i = 0; i < n && i < GS_SENSOR_MAX_LINES; i++)
			gs_scn_map_add(sc, s, i);
	}
}

/* The split reader's lookup: chip and line fields joined as a key. */
static const struct gs_scn_key *
gs_scn_lookup_fields(const struct gs_scenario *sc, const char *chip,
                     size_t chip_len, const char *line, size_t line_len)
{
	char key[2 * GS_NAME_MAX];

	if (chip_len >= GS_NAME_MAX || line_len >= GS_NAME_MAX)
		return NULL; /* longer than any configured name */
	memcpy(key, chip, chip_len);
	key[chip_len] = ',';
	memcpy(key + chip_len + 1, line, line_len);
	return gs_scn_lookup(sc, key, chip_len + 1 + line_len);
}

/* ---- time ---- */

/* Times from 2200 on are typos, and would overflow mono_ns. */
#define GS_SCN_TIME_END INT64_C(7258118400000) /* 2200-01-01T00:00:00Z */

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" (the milliseconds may be left out, as
 * gs_time_parse() allows), years 1970-2199. */
static int gs_scn_parse_time(struct gs_scenario *sc, const char *s, size_t n,
                             int64_t *ms)
{
	int rc = gs_time_parse_span(s, n, &sc->time_cache, ms);

	return rc == GS_OK && *ms >= GS_SCN_TIME_END ? GS_EINVAL : rc;
}

/* ---- reader ---- */

__attribute__((format(printf, 2, 3))) static int
gs_scn_fail(struct gs_scenario *sc, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* Line 0: the file has no line to point at (it is empty). */
	n = sc->lineno
	        ? snprintf(sc->error, sizeof(sc->error), "%s:%u: ", sc->path,
	                   sc->lineno)
	        : snprintf(sc->error, sizeof(sc->error), "%s: ", sc->path);
	if (n < 0 || (size_t)n >= sizeof(sc->error))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(sc->error + n, sizeof(sc->error) - (size_t)n, fmt, ap);
	va_end(ap);
	gs_input_escape_inplace(sc->error, sizeof(sc->error));
	gs_log(GS_LOG_ERR, "%s", sc->error);
	sc->failed = GS_EPARSE;
	return GS_EPARSE;
}

/*
 * Next line (without its newline) into line and len. Returns 1, 0 at the end
 * of the file, or GS_E* (reported).
 */
static int gs_scn_next_line(struct gs_scenario *sc, const char **line,
                            size_t *len)
{
	for (;;) {
		char *start = sc->buf + sc->pos;
		char *nl = memchr(start, '\n', sc->len - sc->pos);
		ssize_t got;

		if (nl || (sc->file_eof && sc->pos < sc->len)) {
			size_t n =
			    nl ? (size_t)(nl - start) : sc->len - sc->pos;

			sc->lineno++;
			if (n > GS_SCN_LINE_MAX)
				return -gs_scn_fail(
				    sc, "line longer than %d characters",
				    GS_SCN_LINE_MAX);
			sc->pos += n + (nl ? 1 : 0);
			if (n > 0 && start[n - 1] == '\r')
				n--;
			*line = start;
			*len = n;
			return 1;
		}
		if (sc->file_eof)
			return 0;
		if (sc->len - sc->pos > GS_SCN_LINE_MAX) {
			sc->lineno++;
			return -gs_scn_fail(sc,
			                    "line longer than %d characters",
			                    GS_SCN_LINE_MAX);
		}
		memmove(sc->buf, start, sc->len - sc->pos);
		sc->len -= sc->pos;
		sc->pos = 0;
		do {
			got = read(sc->file_fd, sc->buf + sc->len,
			           sizeof(sc->buf) - sc->len);
		} while (got < 0 && errno == EINTR);
		if (got < 0) {
			gs_log(GS_LOG_ERR, "%s: read: %s", sc->path,
			       strerror(errno));
			snprintf(sc->error, sizeof(sc->error), "%s: read: %s",
			         sc->path, strerror(errno));
			sc->failed = GS_EIO;
			return -GS_EIO;
		}
		if (got == 0)
			sc->file_eof = true;
		sc->len += (size_t)got;
	}
}

static inline bool gs_scn_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Trims blanks at both ends of [*s, *s + *n). */
static inline void gs_scn_trim(const char **s, size_t *n)
{
	while (*n > 0 && gs_scn_blank(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && gs_scn_blank((*s)[*n - 1]))
		(*n)--;
}

/* True for a blank line or a comment. */
static bool gs_scn_skip(const char *line, size_t len)
{
	gs_scn_trim(&line, &len);
	return len == 0 || line[0] == '#';
}

#define GS_SCN_FIELDS 4

/*
 * Splits a line at commas into trimmed fields. Returns how many fields the
 * line has (filling at most GS_SCN_FIELDS).
 */
static unsigned gs_scn_split(const char *line, size_t len,
                             const char *f[GS_SCN_FIELDS],
                             size_t fl[GS_SCN_FIELDS])
{
	unsigned nf = 0;
	size_t start = 0;

	/* One pass: fields are short, a byte loop beats memchr calls. */
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ',')
			continue;
		if (nf < GS_SCN_FIELDS) {
			f[nf] = line + start;
			fl[nf] = i - start;
			gs_scn_trim(&f[nf], &fl[nf]);
		}
		nf++;
		start = i + 1;
	}
	return nf;
}

/* What a data line says: its time, which (chip, line), the level. */
struct gs_scn_fields {
	int64_t t_ms;
	const struct gs_scn_key *key;
	bool level;
};

/*
 * The recorder's own lines (gs_scenario_writer_add), in one pass and
 * without splitting: "YYYY-MM-DDTHH:MM:SS.mmmZ,chip,line,V", the time of
 * exactly 24 characters, chip and line looked up as the one key between
 * the time's comma and the value's. Returns true with *f filled, or false
 * for anything else (blanks, a short time, an error), which the split
 * reader then reads and reports. What it accepts, the split reader reads
 * the same: the time starts with a digit and ends with Z, the key holds
 * one comma and no outer blanks (gs_scn_name_matchable), the value is one
 * character.
 */
static bool gs_scn_parse_fast(struct gs_scenario *sc, const char *line,
                              size_t len, struct gs_scn_fields *f)
{
	enum { TIME = 24 };
	char v;

	if (len < TIME + 4 || line[TIME] != ',' || line[len - 2] != ',')
		return false;
	v = line[len - 1];
	if ((v != '0' && v != '1') ||
	    gs_scn_parse_time(sc, line, TIME, &f->t_ms) != GS_OK)
		return false;
	f->key = gs_scn_lookup(sc, line + TIME + 1, len - TIME - 3);
	f->level = v == '1';
	return f->key != NULL;
}

/* Any data line, split at commas and trimmed: errors are reported here. */
static int gs_scn_parse_split(struct gs_scenario *sc, const char *line,
                              size_t len, struct gs_scn_fields *out)
{
	const char *f[GS_SCN_FIELDS];
	size_t fl[GS_SCN_FIELDS];
	unsigned nf = gs_scn_split(line, len, f, fl);

	if (nf != GS_SCN_FIELDS)
		return gs_scn_fail(sc,
		                   "expected 4 fields (time,chip,line,value), "
		                   "found %u",
		                   nf);
	if (gs_scn_parse_time(sc, f[0], fl[0], &out->t_ms) != GS_OK)
		return gs_scn_fail(sc,
		                   "malformed time \"%.*s\" (expected "
		                   "YYYY-MM-DDTHH:MM:SS.mmmZ, UTC)",
		                   (int)fl[0], f[0]);
	out->key = gs_scn_lookup_fields(sc, f[1], fl[1], f[2], fl[2]);
	if (!out->key)
		return gs_scn_fail(sc, "unknown line %.*s on chip %.*s",
		                   (int)fl[2], f[2], (int)fl[1], f[1]);
	if (fl[3] != 1 || (f[3][0] != '0' && f[3][0] != '1'))
		return gs_scn_fail(sc, "value must be 0 or 1, not \"%.*s\"",
		                   (int)fl[3], f[3]);
	out->level = f[3][0] == '1';
	return GS_OK;
}

/* Checks a parsed line's time against the previous edge's; fills *edge. */
static int gs_scn_accept(struct gs_scenario *sc, const struct gs_scn_fields *f,
                         struct gs_edge *edge)
{
	const int64_t t = f->t_ms;
	const struct gs_sensor_cfg *sen;

	if (sc->have_last && t < sc->last_ms) {
		char a[GS_TIME_STRLEN], b[GS_TIME_STRLEN];

		gs_time_format(t, true, a);
		gs_time_format(sc->last_ms, true, b);
		return gs_scn_fail(sc,
		                   "time goes backwards (%s is before the "
		                   "previous edge at %s)",
		                   a, b);
	}
	if (sc->have_last && t - sc->last_ms > GS_SCN_GAP_MAX_MS) {
		char a[GS_TIME_STRLEN], b[GS_TIME_STRLEN];

		gs_time_format(sc->last_ms, true, a);
		gs_time_format(t, true, b);
		return gs_scn_fail(sc,
		                   "time jumps %" PRId64 " days forward (from "
		                   "the previous edge at %s to %s); a scenario "
		                   "may skip at most %" PRId64
		                   " days (a typo in "
		                   "the date? a longer pause is two files)",
		                   (t - sc->last_ms) / GS_MS_PER_DAY, a, b,
		                   GS_SCN_GAP_MAX_MS / GS_MS_PER_DAY);
	}
	sen = &sc->cfg->sensors[f->key->sensor];
	sc->last_ms = t;
	sc->have_last = true;
	*edge = (struct gs_edge){
	    .t_ms = t,
	    .mono_ns = t * 1000000,
	    .sensor = f->key->sensor,
	    .input = f->key->input,
	    .active = (uint8_t)(f->level != sen->active_low),
	};
	return GS_OK;
}

/* The header's fields, each trimmed like data fields are. */
static bool gs_scn_is_header(const char *line, size_t len)
{
	static const char *const names[GS_SCN_FIELDS] = {"time", "chip", "line",
	                                                 "value"};
	const char *f[GS_SCN_FIELDS];
	size_t fl[GS_SCN_FIELDS];

	if (gs_scn_split(line, len, f, fl) != GS_SCN_FIELDS)
		return false;
	for (unsigned i = 0; i < GS_SCN_FIELDS; i++)
		if (fl[i] != strlen(names[i]) ||
		    memcmp(f[i], names[i], fl[i]) != 0)
			return false;
	return true;
}

static int gs_scn_read_header(struct gs_scenario *sc)
{
	const char *line;
	size_t len;
	int rc;

	while ((rc = gs_scn_next_line(sc, &line, &len)) == 1) {
		if (gs_scn_skip(line, len))
			continue;
		if (gs_scn_is_header(line, len))
			return GS_OK;
		gs_scn_trim(&line, &len);
		return gs_scn_fail(
		    sc, "missing header " GS_SCN_HEADER " (found \"%.*s\")",
		    (int)len, line);
	}
	if (rc < 0)
		return -rc;
	if (sc->lineno == 0)
		return gs_scn_fail(sc, "the file is empty (a scenario starts "
		                       "with the header " GS_SCN_HEADER ")");
	return gs_scn_fail(sc, "missing header " GS_SCN_HEADER
	                       " (the file has no data)");
}

static void gs_scn_set_eof(struct gs_scenario *sc)
{
	uint64_t v;

	sc->eof = true;
	/* Not readable any more: the loop stops polling an ended replay. */
	if (sc->speed > 0) {
		if (gs_timerfd_disarm(sc->efd) != GS_OK)
			gs_log(GS_LOG_WARNING, "%s: timerfd disarm failed",
			       sc->path);
	} else if (read(sc->efd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
		gs_log(GS_LOG_WARNING, "%s: eventfd: %s", sc->path,
		       strerror(errno));
	}
}

/*
 * The next edge of the file into *edge. Returns 1, 0 at its end (eof set),
 * or GS_E* (reported).
 */
static int gs_scn_next_edge(struct gs_scenario *sc, struct gs_edge *edge)
{
	for (;;) {
		struct gs_scn_fields f;
		const char *line;
		size_t len;
		int rc = gs_scn_next_line(sc, &line, &len);

		if (rc < 0)
			return rc;
		if (rc == 0) {
			gs_scn_set_eof(sc);
			return 0;
		}
		if (!gs_scn_parse_fast(sc, line, len, &f)) {
			if (gs_scn_skip(line, len))
				continue;
			rc = gs_scn_parse_split(sc, line, len, &f);
			if (rc != GS_OK)
				return -rc;
		}
		rc = gs_scn_accept(sc, &f, edge);
		return rc == GS_OK ? 1 : -rc;
	}
}

static void gs_scn_hand_over(struct gs_scenario *sc, const struct gs_edge *e)
{
	sc->levels[e->sensor][e->input] = e->active;
	sc->handed_ms = e->t_ms;
	sc->have_handed = true;
}

/* The monotonic moment at which edge time t_ms is due. */
static int64_t gs_scn_due_ns(const struct gs_scenario *sc, int64_t t_ms)
{
	double d = (double)(t_ms - sc->first_ms) * 1e6 / sc->speed;

	/* Past a century is never, in practice; it keeps the sum finite. */
	if (d > 3.2e18)
		d = 3.2e18;
	return sc->first_mono_ns + (int64_t)d;
}

/* Arms the timerfd for the monotonic moment due_ns (absolute). */
static int gs_scn_arm(struct gs_scenario *sc, int64_t due_ns)
{
	struct itimerspec its = {
	    .it_value = {.tv_sec = due_ns / 1000000000,
	                 .tv_nsec = (long)(due_ns % 1000000000)},
	};

	/* A zero it_value would disarm; a moment already past fires at
	 * once. */
	if (due_ns <= 0)
		its.it_value = (struct timespec){.tv_sec = 0, .tv_nsec = 1};
	if (timerfd_settime(sc->efd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		gs_log(GS_LOG_ERR, "%s: timerfd_settime: %s", sc->path,
		       strerror(errno));
		sc->failed = GS_ESYS;
		return GS_ESYS;
	}
	return GS_OK;
}

/*
 * Paced: hands over the edges that are due, X times faster than the
 * scenario's own time from the first edge on, holding the next one (parsed,
 * so its time is known) until the timerfd fires at its due moment. The
 * edges and their times are those of the unpaced replay, so the messages
 * are the same: only when they are made changes.
 */
static int gs_scn_read_paced(struct gs_scenario *sc, struct gs_edge *edges,
                             size_t max, size_t *n)
{
	int64_t now = gs_clock_monotonic_ns();
	size_t k = 0;

	gs_timerfd_drain(sc->efd);
	while (k < max && !sc->eof) {
		if (!sc->have_next) {
			int rc = gs_scn_next_edge(sc, &sc->next);

			if (rc < 0)
				return -rc;
			if (rc == 0)
				break;
			sc->have_next = true;
			if (!sc->paced_started) {
				sc->paced_started = true;
				sc->first_ms = sc->next.t_ms;
				sc->first_mono_ns = now;
			}
		}
		if (gs_scn_due_ns(sc, sc->next.t_ms) > now)
			break;
		edges[k] = sc->next;
		gs_scn_hand_over(sc, &edges[k]);
		sc->have_next = false;
		k++;
	}
	*n = k;
	if (sc->eof)
		return GS_OK;
	/* A batch cut short by max goes on at once (the timer was drained:
	 * left unarmed, the replay would stop there for good). */
	if (k == max)
		return gs_scn_arm(sc, 0);
	return sc->have_next ? gs_scn_arm(sc, gs_scn_due_ns(sc, sc->next.t_ms))
	                     : GS_OK;
}

static int gs_scn_read(struct gs_backend *be, int fd, struct gs_edge *edges,
                       size_t max, size_t *n, int64_t *horizon_ms, bool *eof)
{
	struct gs_scenario *sc = be->priv;
	size_t k = 0;
	int rc = GS_OK;

	(void)fd;
	*n = 0;
	if (sc->failed) {
		*eof = sc->eof;
		*horizon_ms = sc->have_handed ? sc->handed_ms : INT64_MIN;
		return sc->failed;
	}
	if (sc->speed > 0) {
		rc = gs_scn_read_paced(sc, edges, max, &k);
	} else {
		while (k < max && !sc->eof) {
			int got = gs_scn_next_edge(sc, &edges[k]);

			if (got <= 0) {
				rc = -got;
				break;
			}
			gs_scn_hand_over(sc, &edges[k]);
			k++;
		}
	}
	*n = rc ? 0 : k;
	*eof = sc->eof;
	/* Paced, no further edge before the one held back; the horizon stays
	 * at the last edge handed over, as unpaced, for the same messages. */
	*horizon_ms = sc->have_handed ? sc->handed_ms : INT64_MIN;
	return rc;
}

static size_t gs_scn_fds(struct gs_backend *be, int *fds, size_t max)
{
	struct gs_scenario *sc = be->priv;

	if (max < 1)
		return 0;
	fds[0] = sc->efd;
	return 1;
}

static int gs_scn_line_state(struct gs_backend *be, unsigned sensor,
                             unsigned input)
{
	struct gs_scenario *sc = be->priv;

	if (sensor >= sc->cfg->n_sensors ||
	    input >= sc->cfg->sensors[sensor].n_lines)
		return -1;
	return sc->levels[sensor][input]; /* lines start idle */
}

static void gs_scn_free(struct gs_backend *be)
{
	struct gs_scenario *sc = be->priv;

	if (sc->own_fd && sc->file_fd >= 0)
		close(sc->file_fd);
	if (sc->efd >= 0)
		close(sc->efd);
	free(sc);
}

static const struct gs_backend_ops gs_scenario_ops = {
    .name = "scenario",
    .read = gs_scn_read,
    .fds = gs_scn_fds,
    .line_state = gs_scn_line_state,
    .free = gs_scn_free,
};

int gs_scenario_backend_new(const struct gs_config *cfg, const char *path,
                            double speed, struct gs_backend **out)
{
	struct gs_scenario *sc;
	int rc;

	*out = NULL;
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return GS_ENOMEM;
	sc->cfg = cfg;
	sc->efd = -1;
	sc->speed = speed > 0 ? speed : 0;
	snprintf(sc->path, sizeof(sc->path), "%s", path);
	if (strcmp(path, "-") == 0) {
		sc->file_fd = STDIN_FILENO;
		snprintf(sc->path, sizeof(sc->path), "(stdin)");
	} else {
		const char *why;

		/* A regular file: /dev/zero or a FIFO is refused at once. */
		sc->file_fd = gs_input_open(path, &why);
		sc->own_fd = true;
		if (sc->file_fd < 0) {
			int e = errno;

			snprintf(sc->error, sizeof(sc->error), "%s: %s", path,
			         why);
			gs_input_escape_inplace(sc->error, sizeof(sc->error));
			gs_log(GS_LOG_ERR, "%s", sc->error);
			rc = e == ENOENT   ? GS_ENOENT
			     : e == EACCES ? GS_EPERM
			     : e == EINVAL ? GS_EPARSE /* not a regular file */
			                   : GS_EIO;
			goto err_open;
		}
	}
	if (sc->speed > 0) {
		/* Armed at once: the first edge is due when it is read. */
		sc->efd = gs_timerfd_new();
		if (sc->efd < 0) {
			rc = GS_ESYS;
			goto err_eventfd;
		}
	} else {
		sc->efd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
		if (sc->efd < 0) {
			gs_log(GS_LOG_ERR, "eventfd: %s", strerror(errno));
			rc = GS_ESYS;
			goto err_eventfd;
		}
	}
	gs_scn_map_build(sc);
	rc = gs_scn_read_header(sc);
	if (rc != GS_OK)
		goto err_header;
	if (sc->speed > 0 && gs_timerfd_arm_ms(sc->efd, 0) != GS_OK) {
		rc = GS_ESYS;
		goto err_header;
	}
	sc->be.ops = &gs_scenario_ops;
	sc->be.priv = sc;
	*out = &sc->be;
	return GS_OK;

err_header:
	close(sc->efd);
err_eventfd:
	if (sc->own_fd)
		close(sc->file_fd);
err_open:
	free(sc);
	return rc;
}

const char *gs_scenario_backend_error(const struct gs_backend *be)
{
	const struct gs_scenario *sc;

	if (!be || be->ops != &gs_scenario_ops)
		return "";
	sc = be->priv;
	return sc->error;
}

/* ---- writer ---- */

struct gs_scenario_writer {
	struct gs_config cfg;
	char path[GS_PATH_MAX];
	FILE *f;
	char buf[64 * 1024];
};

struct gs_scenario_writer *gs_scenario_writer_open(const struct gs_config *cfg,
                                                   const char *path)
{
	struct gs_scenario_writer *w = malloc(sizeof(*w));

	if (!w) {
		gs_log(GS_LOG_ERR, "%s: out of memory", path);
		return NULL;
	}
	w->cfg = *cfg;
	snprintf(w->path, sizeof(w->path), "%s", path);
	w->f = fopen(path, "we");
	if (!w->f) {
		gs_log(GS_LOG_ERR, "%s: %s", path, strerror(errno));
		goto err_open;
	}
	if (setvbuf(w->f, w->buf, _IOFBF, sizeof(w->buf)) != 0 ||
	    fprintf(w->f,
	            "# gapsense scenario: raw edges, physical levels (0/1)\n"
	            "# config: %s\n" GS_SCN_HEADER "\n",
	            cfg->path[0] ? cfg->path : "(unnamed)") < 0) {
		gs_log(GS_LOG_ERR, "%s: %s", path, strerror(errno));
		goto err_write;
	}
	return w;

err_write:
	fclose(w->f);
err_open:
	free(w);
	return NULL;
}

int gs_scenario_writer_add(struct gs_scenario_writer *w,
                           const struct gs_edge *edge)
{
	const struct gs_sensor_cfg *s;
	char line[24 + 1 + 2 * GS_NAME_MAX + 4];
	size_t cl, ll, n = 0;
	bool level;

	if (edge->sensor >= w->cfg.n_sensors ||
	    edge->input >= w->cfg.sensors[edge->sensor].n_lines)
		return GS_EINVAL;
	s = &w->cfg.sensors[edge->sensor];
	cl = strnlen(s->chip, GS_NAME_MAX - 1);
	ll = strnlen(s->lines[edge->input], GS_NAME_MAX - 1);
	level = (edge->active != 0) != s->active_low;

	_Static_assert(sizeof(line) >= GS_TIME_STRLEN, "a time fits");
	gs_time_format(edge->t_ms, true, line); /* 24 characters */
	n = 24;
	line[n++] = ',';
	memcpy(line + n, s->chip, cl);
	n += cl;
	line[n++] = ',';
	memcpy(line + n, s->lines[edge->input], ll);
	n += ll;
	line[n++] = ',';
	line[n++] = level ? '1' : '0';
	line[n++] = '\n';
	if (fwrite(line, 1, n, w->f) != n) {
		gs_log(GS_LOG_ERR, "%s: %s", w->path, strerror(errno));
		return GS_EIO;
	}
	return GS_OK;
}

int gs_scenario_writer_close(struct gs_scenario_writer *w)
{
	int rc = GS_OK;

	if (!w)
		return GS_OK;
	if (fflush(w->f) != 0 || ferror(w->f)) {
		gs_log(GS_LOG_ERR, "%s: %s", w->path, strerror(errno));
		rc = GS_EIO;
	}
	if (fclose(w->f) != 0 && rc == GS_OK) {
		gs_log(GS_LOG_ERR, "%s: %s", w->path, strerror(errno));
		rc = GS_EIO;
	}
	free(w);
	return rc;
}
