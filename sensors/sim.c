/* SPDX-License-Identifier: MIT */
/*
 * The simulated store: a discrete-event model of a shop day producing the
 * raw edges its sensors would see.
 *
 * Customers arrive as a non-homogeneous Poisson process (thinning) with a
 * time-of-day profile: open 08:00-20:00 UTC, peaks at lunch and in the
 * evening. Each crosses an entrance beam pair (A then B, with overlap),
 * browses, may join a queue (entry beam) and is served first in, first out
 * at the till (till beam when leaving it) with a service time that makes
 * real queues at the peaks; impatient ones give up. On the way out some
 * press a smiley button whose choice worsens with their wait, then leave
 * (B then A). Staff rate now and then, more gloomily when the queue is
 * long. Pulse counters pulse per customer. A few turn back at the door, and
 * beams see short noise spikes, so the decoders have work to do.
 *
 * Lines are modelled physically: each line counts the bodies (or fingers)
 * in it, and an edge is produced only when that count leaves or reaches
 * zero, so no line ever repeats its level. People take turns at a door,
 * a queue entry or a terminal (waiting up to GS_SIM_WAIT_MAX_MS for it to
 * clear); in a bigger crowd they go through together and the beams merge
 * them into one break, as a real door's would.
 *
 * Memory stays small and independent of the day's length: all future
 * actions (a line going on or off, a customer's next step, a till
 * finishing) wait in one binary heap, so only customers inside the shop
 * take space. Everything random comes from one xoshiro256** generator
 * seeded with splitmix64, and ties in time are broken by insertion order,
 * so a seed gives the same edges on every run (across machines too, as
 * long as their libm rounds exp, log and cos alike).
 */
#include "sensors/sim.h"
#include "gateway/err.h"
#include "gateway/log.h"
#include "gateway/loop.h"
#include "gateway/ring.h"
#include "gateway/timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define GS_SIM_LINES             (GS_MAX_SENSORS * GS_SENSOR_MAX_LINES)
#define GS_SIM_DEFAULT_CUSTOMERS 2000u
#define GS_SIM_OPEN_H            8
#define GS_SIM_CLOSE_H           20
#define GS_SIM_TICK_MS           100 /* real ms between reads at speed > 0 */

/* Shares of customers (chosen so a 100k day gives about 1.13M edges). */
#define GS_SIM_P_QUEUE       0.70 /* join a queue */
#define GS_SIM_P_PRESS       0.15 /* press a smiley on the way out */
#define GS_SIM_P_PRESS_ANGRY 0.4  /* ... after giving up in the queue */
#define GS_SIM_P_MASH        0.03 /* press again at once (misuse) */
#define GS_SIM_P_TURN_BACK   0.02 /* break the outer beam and turn back */
#define GS_SIM_P_IMPATIENT   0.3  /* has a limit to how long they queue */
#define GS_SIM_P_NOISE       0.02 /* a noise spike per arrival */
#define GS_SIM_PEAK_LOAD     1.05 /* till load at the busiest hour: queues grow */
#define GS_SIM_STAFF_MEAN_MS (15 * GS_MS_PER_MIN)
/* Staff look at an alert lamp and press its button now and then; a press
 * while nothing is lit does nothing. */
#define GS_SIM_BUTTON_MEAN_MS (4 * GS_MS_PER_MIN)
#define GS_SIM_WAIT_MAX_MS    4000 /* longest wait for a door to clear */
enum gs_sim_kind {
	GS_SIM_LINE_ON,   /* a: line */
	GS_SIM_LINE_OFF,  /* a: line */
	GS_SIM_ARRIVE,    /* the next customer is at the door */
	GS_SIM_BROWSED,   /* a: customer, b: generation */
	GS_SIM_GIVE_UP,   /* a: customer, b: generation */
	GS_SIM_TILL_DONE, /* a: queue slot, b: customer */
	GS_SIM_AT_SMILEY, /* a: customer, b: generation */
	GS_SIM_AT_DOOR,   /* a: customer, b: generation */
	GS_SIM_STAFF,     /* a: staff terminal sensor */
	GS_SIM_BUTTON,    /* a: push-button sensor */
};

struct gs_sim_action {
	int64_t t_ms;
	uint64_t seq;
	uint32_t a, b;
	uint8_t kind;
};

enum gs_cust_state {
	GS_CUST_FREE,
	GS_CUST_BROWSING,
	GS_CUST_QUEUED,
	GS_CUST_SERVING,
	GS_CUST_LEAVING,
};

struct gs_sim_cust {
	int64_t join_ms; /* -1: did not queue */
	int64_t wait_ms; /* served: join to till; -1 gave up */
	uint32_t gen;    /* bumped on free: stale references are ignored */
	uint32_t next_free;
	uint8_t state;
	uint8_t door;  /* index into beams[] */
	uint8_t queue; /* index into queues[] */
};

struct gs_sim_queue {
	unsigned sensor;
	bool busy;
	int64_t target_ms;
	/* Tickets of the waiting customers, some may have left: t the join
	 * time, v gs_sim_ticket(). */
	struct gs_ring line;
	unsigned waiting; /* of them still queued */
};

/* A customer's id and generation in one value (gs_cust_get() takes both). */
static inline int64_t gs_sim_ticket(uint32_t id, uint32_t gen)
{
	return (int64_t)((uint64_t)gen << 32 | id);
}

struct gs_sim {
	struct gs_backend be;
	const struct gs_config *cfg;
	struct gs_sim_opts opts;
	int64_t end_ms; /* start + duration - 1; INT64_MAX for none */
	int fd;         /* timerfd (speed > 0) or eventfd (speed 0) */
	int64_t mono_start_ns;
	bool eof;

	uint64_t rng[4];
	/* The push-buttons' own stream: adding a lamp button to a site
	 * leaves the rest of its simulated day as it was. */
	uint64_t rng_buttons[4];

	/* sensors by role */
	unsigned beams[GS_MAX_SENSORS], n_beams;
	unsigned smileys[GS_MAX_SENSORS], n_smileys;
	unsigned staffs[GS_MAX_SENSORS], n_staffs;
	unsigned buttons[GS_MAX_SENSORS], n_buttons;
	unsigned pulses[GS_MAX_SENSORS], n_pulses;
	struct gs_sim_queue queues[GS_MAX_SENSORS];
	unsigned n_queues;

	double rate_max_per_ms; /* arrivals at the busiest instant */
	double service_mean_ms;
	uint16_t count[GS_SIM_LINES];    /* bodies in each line */
	int64_t free_ms[GS_MAX_SENSORS]; /* door, queue entry, terminal */
	struct gs_sim_action *heap;
	size_t heap_len, heap_cap;
	uint64_t seq;

	struct gs_sim_cust *cust;
	uint32_t n_cust, cap_cust, free_cust;
	uint32_t live_cust;

	struct gs_sim_stats stats;
};

/* ---- random numbers: xoshiro256** seeded by splitmix64 ---- */

static uint64_t gs_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint64_t gs_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t gs_rng_next(struct gs_sim *sim)
{
	uint64_t *s = sim->rng;
	uint64_t r = gs_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = gs_rotl(s[3], 45);
	return r;
}

/* Uniform in [0, 1). */
static double gs_rng_unit(struct gs_sim *sim)
{
	return (double)(gs_rng_next(sim) >> 11) * 0x1.0p-53;
}

static bool gs_rng_chance(struct gs_sim *sim, double p)
{
	return gs_rng_unit(sim) < p;
}

/* Uniform integer in [lo, hi]. */
static int64_t gs_rng_range(struct gs_sim *sim, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int64_t)(gs_rng_next(sim) % (uint64_t)(hi - lo + 1));
}

static unsigned gs_rng_pick(struct gs_sim *sim, unsigned n)
{
	return (unsigned)(gs_rng_next(sim) % n);
}

static double gs_rng_exp(struct gs_sim *sim, double mean)
{
	return -mean * log1p(-gs_rng_unit(sim));
}

/* Standard normal (Box-Muller, one value per call: simple and stable). */
static double gs_rng_normal(struct gs_sim *sim)
{
	double u = gs_rng_unit(sim), v = gs_rng_unit(sim);

	return sqrt(-2.0 * log1p(-u)) * cos(2.0 * M_PI * v);
}

/* ---- time of day ---- */

/* Relative arrival rate by UTC hour (piecewise linear between points). */
static const struct {
	double hour, weight;
} gs_sim_profile[] = {
    {8.0, 0.3},  {9.0, 0.6},  {11.0, 0.8}, {12.0, 1.6},
    {13.0, 1.7}, {14.0, 0.9}, {15.0, 0.8}, {16.0, 1.0},
    {17.0, 1.6}, {18.0, 1.8}, {19.0, 1.0}, {20.0, 0.4},
};
#define GS_SIM_PROFILE_N (sizeof(gs_sim_profile) / sizeof(gs_sim_profile[0]))

static double gs_sim_weight(double hour)
{
	if (hour < gs_sim_profile[0].hour ||
	    hour >= gs_sim_profile[GS_SIM_PROFILE_N - 1].hour)
		return 0.0;
	for (size_t i = 1; i < GS_SIM_PROFILE_N; i++) {
		double h0 = gs_sim_profile[i - 1].hour;
		double h1 = gs_sim_profile[i].hour;

		if (hour < h1) {
			double w0 = gs_sim_profile[i - 1].weight;
			double w1 = gs_sim_profile[i].weight;

			return w0 + (w1 - w0) * (hour - h0) / (h1 - h0);
		}
	}
	return 0.0;
}

/* The integral of the profile over a day, in weight-hours. */
static double gs_sim_weight_day(void)
{
	double sum = 0.0;

	for (size_t i = 1; i < GS_SIM_PROFILE_N; i++)
		sum +=
		    (gs_sim_profile[i].hour - gs_sim_profile[i - 1].hour) *
		    (gs_sim_profile[i].weight + gs_sim_profile[i - 1].weight) /
		    2.0;
	return sum;
}

static double gs_sim_weight_max(void)
{
	double m = 0.0;

	for (size_t i = 0; i < GS_SIM_PROFILE_N; i++)
		if (gs_sim_profile[i].weight > m)
			m = gs_sim_profile[i].weight;
	return m;
}

static double gs_sim_hour(int64_t t_ms)
{
	int64_t day = gs_floor_to(t_ms, GS_MS_PER_DAY);

	return (double)(t_ms - day) / (double)GS_MS_PER_H;
}

static bool gs_sim_open(int64_t t_ms)
{
	double h = gs_sim_hour(t_ms);

	return h >= GS_SIM_OPEN_H && h < GS_SIM_CLOSE_H;
}

/* The next opening time at or after t_ms. */
static int64_t gs_sim_next_open(int64_t t_ms)
{
	int64_t day = gs_floor_to(t_ms, GS_MS_PER_DAY);
	int64_t open = day + GS_SIM_OPEN_H * GS_MS_PER_H;

	if (gs_sim_open(t_ms))
		return t_ms;
	return t_ms < open ? open : open + GS_MS_PER_DAY;
}

/* ---- the action heap ---- */

static inline bool gs_sim_before(const struct gs_sim_action *x,
                                 const struct gs_sim_action *y)
{
	return x->t_ms < y->t_ms || (x->t_ms == y->t_ms && x->seq < y->seq);
}

static int gs_sim_schedule(struct gs_sim *sim, int64_t t_ms,
                           enum gs_sim_kind kind, uint32_t a, uint32_t b)
{
	struct gs_sim_action *h;
	size_t i;

	if (sim->heap_len == sim->heap_cap) {
		size_t cap = sim->heap_cap ? sim->heap_cap * 2 : 256;
		struct gs_sim_action *n = realloc(sim->heap, cap * sizeof(*n));

		if (!n)
			return GS_ENOMEM;
		sim->heap = n;
		sim->heap_cap = cap;
	}
	h = sim->heap;
	i = sim->heap_len++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct gs_sim_action act = {t_ms, sim->seq, a, b,
		                            (uint8_t)kind};

		if (!gs_sim_before(&act, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = (struct gs_sim_action){t_ms, sim->seq++, a, b, (uint8_t)kind};
	if (sim->heap_len > sim->stats.pending_peak)
		sim->stats.pending_peak = sim->heap_len;
	return GS_OK;
}

static struct gs_sim_action gs_sim_pop(struct gs_sim *sim)
{
	struct gs_sim_action *h = sim->heap;
	struct gs_sim_action top = h[0], last = h[--sim->heap_len];
	size_t i = 0, n = sim->heap_len;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && gs_sim_before(&h[c + 1], &h[c]))
			c++;
		if (!gs_sim_before(&h[c], &last))
			break;
		h[i] = h[c];
		i = c;
	}
	if (n > 0)
		h[i] = last;
	return top;
}

/* ---- customers ---- */

static int gs_cust_new(struct gs_sim *sim, uint32_t *id)
{
	struct gs_sim_cust *c;

	if (sim->free_cust != UINT32_MAX) {
		*id = sim->free_cust;
		sim->free_cust = sim->cust[*id].next_free;
	} else {
		if (sim->n_cust == sim->cap_cust) {
			uint32_t cap = sim->cap_cust ? sim->cap_cust * 2 : 64;
			struct gs_sim_cust *n =
			    realloc(sim->cust, cap * sizeof(*n));

			if (!n)
				return GS_ENOMEM;
			sim->cust = n;
			sim->cap_cust = cap;
		}
		*id = sim->n_cust++;
		sim->cust[*id].gen = 0;
	}
	c = &sim->cust[*id];
	c->state = GS_CUST_BROWSING;
	c->join_ms = -1;
	c->wait_ms = -1;
	c->door = 0;
	c->queue = 0;
	sim->live_cust++;
	if (sim->live_cust > sim->stats.customers_peak)
		sim->stats.customers_peak = sim->live_cust;
	return GS_OK;
}

static void gs_cust_free(struct gs_sim *sim, uint32_t id)
{
	struct gs_sim_cust *c = &sim->cust[id];

	c->state = GS_CUST_FREE;
	c->gen++;
	c->next_free = sim->free_cust;
	sim->free_cust = id;
	sim->live_cust--;
}

/* The customer an action refers to, or NULL if it is gone. */
static struct gs_sim_cust *gs_cust_get(struct gs_sim *sim, uint32_t id,
                                       uint32_t gen)
{
	if (id >= sim->n_cust || sim->cust[id].gen != gen ||
	    sim->cust[id].state == GS_CUST_FREE)
		return NULL;
	return &sim->cust[id];
}

/* ---- physical lines ---- */

static inline uint32_t gs_sim_line(unsigned sensor, unsigned input)
{
	return (uint32_t)(sensor * GS_SENSOR_MAX_LINES + input);
}

/* Something occupies a line from on_ms for dur_ms. */
static int gs_sim_occupy(struct gs_sim *sim, uint32_t line, int64_t on_ms,
                         int64_t dur_ms)
{
	int rc = gs_sim_schedule(sim, on_ms, GS_SIM_LINE_ON, line, 0);

	if (rc == GS_OK)
		rc = gs_sim_schedule(sim, on_ms + (dur_ms > 1 ? dur_ms : 1),
		                     GS_SIM_LINE_OFF, line, 0);
	return rc;
}

/*
 * People take turns at a door, a queue entry or a terminal: someone
 * arriving while it is in use waits until it is free, plus a gap, so the
 * beams see an all-clear between them. In a crowd (a wait longer than
 * GS_SIM_WAIT_MAX_MS) they push through at once and the lines merge them.
 */
static int64_t gs_sim_take_turn(struct gs_sim *sim, unsigned sensor, int64_t t,
                                int64_t gap_lo, int64_t gap_hi)
{
	int64_t ready =
	    sim->free_ms[sensor] + gs_rng_range(sim, gap_lo, gap_hi);

	return ready > t && ready - t <= GS_SIM_WAIT_MAX_MS ? ready : t;
}

static void gs_sim_busy_until(struct gs_sim *sim, unsigned sensor, int64_t t)
{
	if (t > sim->free_ms[sensor])
		sim->free_ms[sensor] = t;
}

/*
 * One person through a beam pair at t (or when the door is free): the first
 * beam, then the second while the first is still broken, then the first clears,
 * then the second. Durations as measured on shop doors: breaks of 150-600 ms.
 */
static int gs_sim_cross(struct gs_sim *sim, unsigned sensor, bool in, int64_t t)
{
	uint32_t first = gs_sim_line(sensor, in ? 0 : 1);
	uint32_t second = gs_sim_line(sensor, in ? 1 : 0);
	int64_t lag = gs_rng_range(sim, 80, 250);
	int64_t d1 = gs_rng_range(sim, lag + 70, lag + 350);
	int64_t d2 = gs_rng_range(sim, 150, 600);
	int rc;

	t = gs_sim_take_turn(sim, sensor, t, 30, 400);
	if (d1 > 600)
		d1 = 600;
	if (lag + d2 < d1 + 40)
		d2 = d1 + 40 - lag; /* the second beam clears last */
	gs_sim_busy_until(sim, sensor, t + lag + d2);
	rc = gs_sim_occupy(sim, first, t, d1);
	if (rc == GS_OK)
		rc = gs_sim_occupy(sim, second, t + lag, d2);
	return rc;
}

/* Breaks the outer beam (sometimes both) and backs out again. */
static int gs_sim_turn_back(struct gs_sim *sim, unsigned sensor, int64_t t)
{
	uint32_t a = gs_sim_line(sensor, 0), b = gs_sim_line(sensor, 1);
	int64_t mb = sim->cfg->sensors[sensor].min_break_ms;
	int rc;

	t = gs_sim_take_turn(sim, sensor, t, 30, 400);
	gs_sim_busy_until(sim, sensor, t + 900);
	if (!gs_rng_chance(sim, 0.3))
		return gs_sim_occupy(sim, a, t, gs_rng_range(sim, 150, 600));
	/* A, A+B, A, clear: leaned in far enough to reach B. */
	rc = gs_sim_occupy(sim, a, t, gs_rng_range(sim, 500, 900));
	if (rc == GS_OK)
		rc = gs_sim_occupy(sim, b, t + gs_rng_range(sim, 100, 200),
		                   gs_rng_range(sim, mb + 50, mb + 250));
	return rc;
}

/* A press of one button, with contact bounce if the sensor debounces. */
static int gs_sim_press(struct gs_sim *sim, unsigned sensor, unsigned button,
                        int64_t t)
{
	const struct gs_sensor_cfg *s = &sim->cfg->sensors[sensor];
	uint32_t line = gs_sim_line(sensor, button);
	int64_t dur = gs_rng_range(sim, 90, 350);
	int rc = gs_sim_occupy(sim, line, t, dur);

	/* A bounce is an off-on blip inside the press, within the debounce
	 * period, at the start or at the end. */
	if (rc == GS_OK && s->debounce_ms >= 4 && gs_rng_chance(sim, 0.5)) {
		int64_t span = s->debounce_ms < 8 ? s->debounce_ms - 1 : 6;
		int64_t at = gs_rng_chance(sim, 0.5) ? t + 1 : t + dur - span;

		rc = gs_sim_schedule(sim, at, GS_SIM_LINE_OFF, line, 0);
		if (rc == GS_OK)
			rc = gs_sim_schedule(
			    sim, at + gs_rng_range(sim, 1, span - 1),
			    GS_SIM_LINE_ON, line, 0);
	}
	return rc;
}

/* Maps a mood in [0, 1] (plus noise) to a button, 0 = most negative. */
static unsigned gs_sim_button(struct gs_sim *sim, unsigned sensor, double mood,
                              double noise)
{
	unsigned n = sim->cfg->sensors[sensor].n_lines;
	double m = mood + noise * gs_rng_normal(sim);
	long b;

	if (m < 0.0)
		m = 0.0;
	b = lround(floor(m * n));
	if (b >= (long)n)
		b = (long)n - 1;
	return (unsigned)b;
}

static unsigned gs_sim_queue_total(const struct gs_sim *sim)
{
	unsigned total = 0;

	for (unsigned i = 0; i < sim->n_queues; i++)
		total += sim->queues[i].waiting + (sim->queues[i].busy ? 1 : 0);
	return total;
}

/* ---- the model's steps ---- */

/* The next arrival after t by thinning; INT64_MAX if no arrivals. */
static int64_t gs_sim_next_arrival(struct gs_sim *sim, int64_t t)
{
	double wmax = gs_sim_weight_max();

	if (sim->rate_max_per_ms <= 0.0)
		return INT64_MAX;
	for (;;) {
		t = gs_sim_next_open(t);
		t += (int64_t)gs_rng_exp(sim, 1.0 / sim->rate_max_per_ms) + 1;
		if (!gs_sim_open(t))
			continue;
		if (gs_rng_unit(sim) * wmax < gs_sim_weight(gs_sim_hour(t)))
			return t;
	}
}

static int gs_sim_pulses(struct gs_sim *sim, bool in, int64_t t)
{
	int rc = GS_OK;

	for (unsigned i = 0; i < sim->n_pulses && rc == GS_OK; i++) {
		const struct gs_sensor_cfg *s =
		    &sim->cfg->sensors[sim->pulses[i]];
		int input = -1;

		if (s->n_lines >= 2)
			input = in ? 0 : 1;
		else if (s->direction == GS_DIR_OUT ? !in : in)
			input = 0; /* in, or no direction: once per visit */
		if (input >= 0)
			rc = gs_sim_occupy(
			    sim, gs_sim_line(sim->pulses[i], (unsigned)input),
			    t + gs_rng_range(sim, 200, 800),
			    gs_rng_range(sim, 40, 120));
	}
	return rc;
}

static int gs_sim_arrive(struct gs_sim *sim, int64_t t)
{
	unsigned door = sim->n_beams ? gs_rng_pick(sim, sim->n_beams) : 0;
	uint32_t id;
	int rc = gs_sim_schedule(sim, gs_sim_next_arrival(sim, t),
	                         GS_SIM_ARRIVE, 0, 0);

	if (rc != GS_OK)
		return rc;
	if (sim->n_beams && gs_rng_chance(sim, GS_SIM_P_NOISE)) {
		unsigned s = sim->beams[gs_rng_pick(sim, sim->n_beams)];
		int64_t mb = sim->cfg->sensors[s].min_break_ms;

		if (mb >= 3) {
			rc = gs_sim_occupy(sim,
			                   gs_sim_line(s, gs_rng_pick(sim, 2)),
			                   t + gs_rng_range(sim, 0, 30000),
			                   gs_rng_range(sim, 1, mb - 1));
			if (rc != GS_OK)
				return rc;
			sim->stats.noise_spikes++;
		}
	}
	if (sim->n_beams && gs_rng_chance(sim, GS_SIM_P_TURN_BACK)) {
		sim->stats.turn_backs++;
		return gs_sim_turn_back(sim, sim->beams[door], t);
	}
	rc = gs_cust_new(sim, &id);
	if (rc != GS_OK)
		return rc;
	sim->stats.customers++;
	sim->cust[id].door = (uint8_t)door;
	if (sim->n_beams)
		rc = gs_sim_cross(sim, sim->beams[door], true, t);
	if (rc == GS_OK)
		rc = gs_sim_pulses(sim, true, t);
	if (rc == GS_OK) {
		/* Browsing: log-normal around 8 minutes, 1 to 45. */
		double m = exp(log(8.0) + 0.6 * gs_rng_normal(sim));

		m = m < 1.0 ? 1.0 : m > 45.0 ? 45.0 : m;
		rc = gs_sim_schedule(sim,
		                     t + (int64_t)(m * (double)GS_MS_PER_MIN),
		                     GS_SIM_BROWSED, id, sim->cust[id].gen);
	}
	return rc;
}

static int gs_sim_leave(struct gs_sim *sim, uint32_t id, int64_t t,
                        double p_press)
{
	struct gs_sim_cust *c = &sim->cust[id];
	int64_t walk = gs_rng_range(sim, 10000, 60000);

	c->state = GS_CUST_LEAVING;
	if (sim->n_smileys && gs_rng_chance(sim, p_press))
		return gs_sim_schedule(sim, t + gs_rng_range(sim, 5000, 20000),
		                       GS_SIM_AT_SMILEY, id, c->gen);
	return gs_sim_schedule(sim, t + walk, GS_SIM_AT_DOOR, id, c->gen);
}

static int gs_sim_till_next(struct gs_sim *sim, unsigned qi, int64_t t)
{
	struct gs_sim_queue *q = &sim->queues[qi];

	while (q->line.len > 0) {
		uint64_t tk = (uint64_t)gs_ring_front(&q->line)->v;
		uint32_t id = (uint32_t)tk;
		struct gs_sim_cust *c;
		double svc;

		gs_ring_pop(&q->line);
		c = gs_cust_get(sim, id, (uint32_t)(tk >> 32));
		if (!c || c->state != GS_CUST_QUEUED)
			continue; /* gave up */
		q->waiting--;
		q->busy = true;
		c->state = GS_CUST_SERVING;
		/* A floor plus an exponential tail: a few big baskets. */
		svc = 0.3 * sim->service_mean_ms +
		      gs_rng_exp(sim, 0.7 * sim->service_mean_ms);
		return gs_sim_schedule(sim, t + (int64_t)svc + 1,
		                       GS_SIM_TILL_DONE, qi, id);
	}
	q->busy = false;
	return GS_OK;
}

static int gs_sim_join(struct gs_sim *sim, uint32_t id, int64_t t)
{
	struct gs_sim_cust *c = &sim->cust[id];
	unsigned qi = gs_rng_pick(sim, sim->n_queues);
	struct gs_sim_queue *q = &sim->queues[qi];
	int rc;

	if (gs_ring_push(&q->line, t, gs_sim_ticket(id, c->gen)))
		return GS_ENOMEM;
	q->waiting++;
	c->state = GS_CUST_QUEUED;
	c->queue = (uint8_t)qi;
	c->join_ms = t; /* The entry beam, one person after another. */
	{
		int64_t on = gs_sim_take_turn(sim, q->sensor, t, 50, 500);
		int64_t dur = gs_rng_range(sim, 150, 400);

		gs_sim_busy_until(sim, q->sensor, on + dur);
		rc = gs_sim_occupy(sim, gs_sim_line(q->sensor, 0), on, dur);
	}
	if (rc == GS_OK && gs_rng_chance(sim, GS_SIM_P_IMPATIENT)) {
		int64_t patience =
		    gs_rng_range(sim, 5 * GS_MS_PER_MIN, 20 * GS_MS_PER_MIN);

		rc = gs_sim_schedule(sim, t + patience, GS_SIM_GIVE_UP, id,
		                     c->gen);
	}
	if (rc == GS_OK && !q->busy)
		rc = gs_sim_till_next(sim, qi, t);
	return rc;
}

static int gs_sim_browsed(struct gs_sim *sim, uint32_t id, int64_t t)
{
	if (sim->n_queues && gs_rng_chance(sim, GS_SIM_P_QUEUE))
		return gs_sim_join(sim, id, t);
	return gs_sim_leave(sim, id, t, GS_SIM_P_PRESS);
}

static int gs_sim_till_done(struct gs_sim *sim, unsigned qi, uint32_t id,
                            int64_t t)
{
	struct gs_sim_queue *q = &sim->queues[qi];
	struct gs_sim_cust *c = &sim->cust[id];
	/* The till beam, shorter than a service even on the busiest day. */
	int64_t dur = gs_rng_range(sim, 150, 450);
	int rc;

	if (dur > (int64_t)(0.25 * sim->service_mean_ms))
		dur = (int64_t)(0.25 * sim->service_mean_ms) + 1;
	c->wait_ms = t - c->join_ms;
	rc = gs_sim_occupy(sim, gs_sim_line(q->sensor, 1), t, dur);
	if (rc == GS_OK)
		rc = gs_sim_leave(sim, id, t, GS_SIM_P_PRESS);
	if (rc == GS_OK)
		rc = gs_sim_till_next(sim, qi, t);
	return rc;
}

static int gs_sim_at_smiley(struct gs_sim *sim, uint32_t id, int64_t t)
{
	struct gs_sim_cust *c = &sim->cust[id];
	unsigned sensor = sim->smileys[gs_rng_pick(sim, sim->n_smileys)];
	double mood;
	int rc;

	if (c->join_ms < 0) {
		mood = 0.8; /* did not queue */
	} else if (c->wait_ms < 0) {
		mood = 0.1; /* gave up */
	} else {
		int64_t target = sim->queues[c->queue].target_ms;
		mood = 0.9 - 0.45 * (double)c->wait_ms / (double)target;
	}
	t = gs_sim_take_turn(sim, sensor, t, 300, 3000);
	gs_sim_busy_until(sim, sensor, t + 2000);
	rc = gs_sim_press(sim, sensor, gs_sim_button(sim, sensor, mood, 0.18),
	                  t);
	sim->stats.presses++;
	if (rc == GS_OK && gs_rng_chance(sim, GS_SIM_P_MASH)) {
		/* Another go within the lockout: recorded as misuse. */
		rc = gs_sim_press(
		    sim, sensor,
		    gs_rng_pick(sim, sim->cfg->sensors[sensor].n_lines),
		    t + gs_rng_range(sim, 500, 1500));
		sim->stats.presses++;
	}
	if (rc == GS_OK)
		rc = gs_sim_schedule(sim, t + gs_rng_range(sim, 5000, 30000),
		                     GS_SIM_AT_DOOR, id, c->gen);
	return rc;
}

static int gs_sim_at_door(struct gs_sim *sim, uint32_t id, int64_t t)
{
	unsigned door = sim->cust[id].door;
	int rc = GS_OK;

	if (sim->n_beams)
		rc = gs_sim_cross(sim, sim->beams[door], false, t);
	if (rc == GS_OK)
		rc = gs_sim_pulses(sim, false, t);
	gs_cust_free(sim, id);
	return rc;
}

static int gs_sim_staff(struct gs_sim *sim, unsigned sensor, int64_t t)
{
	int64_t next = t + (int64_t)gs_rng_exp(sim, GS_SIM_STAFF_MEAN_MS) + 1;
	int rc;

	if (gs_sim_open(t)) {
		double mood = 0.85 - 0.08 * gs_sim_queue_total(sim);

		t = gs_sim_take_turn(sim, sensor, t, 300, 3000);
		gs_sim_busy_until(sim, sensor, t + 2000);
		rc = gs_sim_press(sim, sensor,
		                  gs_sim_button(sim, sensor, mood, 0.15), t);
		if (rc != GS_OK)
			return rc;
		sim->stats.presses++;
	} else {
		next = gs_sim_next_open(t) +
		       (int64_t)gs_rng_exp(sim, GS_SIM_STAFF_MEAN_MS);
	}
	return gs_sim_schedule(sim, next, GS_SIM_STAFF, sensor, 0);
}

static void gs_rng_swap_buttons(struct gs_sim *sim)
{
	uint64_t tmp[4];

	memcpy(tmp, sim->rng, sizeof(tmp));
	memcpy(sim->rng, sim->rng_buttons, sizeof(tmp));
	memcpy(sim->rng_buttons, tmp, sizeof(tmp));
}

/* The next press of a push-button at or after t, on its own stream. */
static int gs_sim_button_next(struct gs_sim *sim, unsigned sensor, int64_t t)
{
	int64_t next;

	gs_rng_swap_buttons(sim);
	next = (gs_sim_open(t) ? t : gs_sim_next_open(t)) +
	       (int64_t)gs_rng_exp(sim, GS_SIM_BUTTON_MEAN_MS) + 1;
	gs_rng_swap_buttons(sim);
	return gs_sim_schedule(sim, next, GS_SIM_BUTTON, sensor, 0);
}

static int gs_sim_button_press(struct gs_sim *sim, unsigned sensor, int64_t t)
{
	int rc = GS_OK;

	if (gs_sim_open(t)) {
		gs_rng_swap_buttons(sim);
		rc = gs_sim_press(sim, sensor, 0, t);
		gs_rng_swap_buttons(sim);
		if (rc != GS_OK)
			return rc;
		sim->stats.presses++;
	}
	return gs_sim_button_next(sim, sensor, t);
}

/*
 * Runs one action. Writes at most one edge to *edge and returns 1 if it
 * did, 0 if not, or -GS_E*.
 */
static int gs_sim_step(struct gs_sim *sim, struct gs_edge *edge)
{
	struct gs_sim_action act = gs_sim_pop(sim);
	struct gs_sim_cust *c;
	int rc = GS_OK;

	switch ((enum gs_sim_kind)act.kind) {
	case GS_SIM_LINE_ON:
	case GS_SIM_LINE_OFF: {
		bool on = act.kind == GS_SIM_LINE_ON;
		uint16_t *n = &sim->count[act.a];

		if (on ? (*n)++ != 0 : (*n == 0 || --(*n) != 0))
			return 0; /* merged with what is already there */
		*edge = (struct gs_edge){
		    .t_ms = act.t_ms,
		    .mono_ns = act.t_ms * 1000000,
		    .sensor = (uint16_t)(act.a / GS_SENSOR_MAX_LINES),
		    .input = (uint8_t)(act.a % GS_SENSOR_MAX_LINES),
		    .active = on,
		};
		sim->stats.edges++;
		return 1;
	}
	case GS_SIM_ARRIVE:
		rc = gs_sim_arrive(sim, act.t_ms);
		break;
	case GS_SIM_BROWSED:
		if (gs_cust_get(sim, act.a, act.b))
			rc = gs_sim_browsed(sim, act.a, act.t_ms);
		break;
	case GS_SIM_GIVE_UP:
		c = gs_cust_get(sim, act.a, act.b);
		if (c && c->state == GS_CUST_QUEUED) {
			sim->queues[c->queue].waiting--;
			sim->stats.gave_up++;
			rc = gs_sim_leave(sim, act.a, act.t_ms,
			                  GS_SIM_P_PRESS_ANGRY);
		}
		break;
	case GS_SIM_TILL_DONE:
		rc = gs_sim_till_done(sim, act.a, act.b, act.t_ms);
		break;
	case GS_SIM_AT_SMILEY:
		if (gs_cust_get(sim, act.a, act.b))
			rc = gs_sim_at_smiley(sim, act.a, act.t_ms);
		break;
	case GS_SIM_AT_DOOR:
		if (gs_cust_get(sim, act.a, act.b))
			rc = gs_sim_at_door(sim, act.a, act.t_ms);
		break;
	case GS_SIM_STAFF:
		rc = gs_sim_staff(sim, act.a, act.t_ms);
		break;
	case GS_SIM_BUTTON:
		rc = gs_sim_button_press(sim, act.a, act.t_ms);
		break;
	}
	return rc == GS_OK ? 0 : -rc;
}

/* ---- backend ---- */

static int64_t gs_sim_virtual_now(const struct gs_sim *sim)
{
	double real_ms =
	    (double)(gs_clock_monotonic_ns() - sim->mono_start_ns) / 1e6;
	double v = (double)sim->opts.start_ms + real_ms * sim->opts.speed;

	return v >= (double)INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)v;
}

static int gs_sim_read(struct gs_backend *be, int fd, struct gs_edge *edges,
                       size_t max, size_t *n, int64_t *horizon_ms, bool *eof)
{
	struct gs_sim *sim = be->priv;
	int64_t limit = sim->end_ms;
	size_t k = 0;
	bool more;

	(void)fd;
	*n = 0;
	if (sim->opts.speed > 0) {
		int64_t v = gs_sim_virtual_now(sim);

		gs_timerfd_drain(sim->fd);
		if (v < limit)
			limit = v;
	}
	while (k < max && sim->heap_len > 0 && sim->heap[0].t_ms <= limit) {
		int rc = gs_sim_step(sim, &edges[k]);

		if (rc < 0)
			return -rc;
		k += (size_t)rc;
	}
	more = sim->heap_len > 0 && sim->heap[0].t_ms <= limit;
	*n = k;
	/* No edge can come before the next pending action. */
	*horizon_ms = more ? sim->heap[0].t_ms : limit;
	if (!more && limit >= sim->end_ms) {
		*horizon_ms = sim->end_ms;
		if (!sim->eof) {
			uint64_t v;

			sim->eof = true;
			if (sim->opts.speed > 0)
				gs_timerfd_disarm(sim->fd);
			else if (read(sim->fd, &v, sizeof(v)) < 0 &&
			         errno != EAGAIN)
				gs_log(GS_LOG_WARNING, "sim: eventfd: %s",
				       strerror(errno));
		}
	} else if (sim->opts.speed > 0) {
		/* Wake for the next action or the next tick of virtual time,
		 * whichever comes first; at once if a batch was cut short. */
		int64_t delay = GS_SIM_TICK_MS;

		if (more) {
			delay = 0;
		} else if (sim->heap_len > 0) {
			double d = (double)(sim->heap[0].t_ms - limit) /
			           sim->opts.speed;

			if (d < (double)delay)
				delay = (int64_t)d + 1;
		}
		if (gs_timerfd_arm_ms(sim->fd, delay) != GS_OK)
			return GS_ESYS;
	}
	*eof = sim->eof;
	return GS_OK;
}

static size_t gs_sim_fds(struct gs_backend *be, int *fds, size_t max)
{
	struct gs_sim *sim = be->priv;

	if (max < 1)
		return 0;
	fds[0] = sim->fd;
	return 1;
}

static int gs_sim_line_state(struct gs_backend *be, unsigned sensor,
                             unsigned input)
{
	struct gs_sim *sim = be->priv;

	if (sensor >= sim->cfg->n_sensors ||
	    input >= sim->cfg->sensors[sensor].n_lines)
		return -1;
	return sim->count[gs_sim_line(sensor, input)] > 0;
}

static void gs_sim_destroy(struct gs_sim *sim)
{
	if (sim->fd >= 0)
		close(sim->fd);
	for (unsigned i = 0; i < sim->n_queues; i++)
		free(sim->queues[i].line.buf);
	free(sim->heap);
	free(sim->cust);
	free(sim);
}

static void gs_sim_free(struct gs_backend *be)
{
	gs_sim_destroy(be->priv);
}

static const struct gs_backend_ops gs_sim_ops = {
    .name = "simulated store",
    .read = gs_sim_read,
    .fds = gs_sim_fds,
    .line_state = gs_sim_line_state,
    .free = gs_sim_free,
};

static void gs_sim_roles(struct gs_sim *sim)
{
	const struct gs_config *cfg = sim->cfg;

	for (unsigned i = 0; i < cfg->n_sensors && i < GS_MAX_SENSORS; i++) {
		const struct gs_sensor_cfg *s = &cfg->sensors[i];

		switch (s->type) {
		case GS_SENSOR_BEAM_PAIR:
			if (s->n_lines >= 2)
				sim->beams[sim->n_beams++] = i;
			break;
		case GS_SENSOR_QUEUE:
			if (s->n_lines >= 2) {
				struct gs_sim_queue *q =
				    &sim->queues[sim->n_queues++];

				q->sensor = i;
				q->target_ms = s->target_wait_ms > 0
				                   ? s->target_wait_ms
				                   : 3 * GS_MS_PER_MIN;
			}
			break;
		case GS_SENSOR_SMILEY:
			if (s->n_lines >= 1)
				sim->smileys[sim->n_smileys++] = i;
			break;
		case GS_SENSOR_STAFF:
			if (s->n_lines >= 1)
				sim->staffs[sim->n_staffs++] = i;
			break;
		case GS_SENSOR_PULSE:
			if (s->n_lines >= 1)
				sim->pulses[sim->n_pulses++] = i;
			break;
		case GS_SENSOR_BUTTON:
			if (s->n_lines >= 1)
				sim->buttons[sim->n_buttons++] = i;
			break;
		default:
			break;
		}
	}
}

int gs_sim_backend_new(const struct gs_config *cfg,
                       const struct gs_sim_opts *opts, struct gs_backend **out)
{
	struct gs_sim *sim;
	double per_day, peak_per_ms;
	uint64_t seed;
	int rc;

	*out = NULL;
	if (opts->speed < 0 || opts->duration_ms < 0)
		return GS_EINVAL;
	sim = calloc(1, sizeof(*sim));
	if (!sim)
		return GS_ENOMEM;
	sim->cfg = cfg;
	sim->opts = *opts;
	sim->fd = -1;
	sim->free_cust = UINT32_MAX;
	/* The last instant simulated: the span is [start, start + duration),
	 * so a run of whole windows ends in its last window, not at the start
	 * of an empty one after it. */
	sim->end_ms = opts->duration_ms > 0 &&
	                      opts->start_ms < INT64_MAX - opts->duration_ms
	                  ? opts->start_ms + opts->duration_ms - 1
	                  : INT64_MAX;
	seed = opts->seed;
	for (int i = 0; i < 4; i++)
		sim->rng[i] = gs_splitmix64(&seed);
	for (int i = 0; i < 4; i++)
		sim->rng_buttons[i] = gs_splitmix64(&seed);
	gs_sim_roles(sim);

	per_day = opts->customers_per_day ? opts->customers_per_day
	                                  : GS_SIM_DEFAULT_CUSTOMERS;
	/* customers per weight-hour, times the peak weight */
	peak_per_ms = per_day / gs_sim_weight_day() * gs_sim_weight_max() /
	              (double)GS_MS_PER_H;
	sim->rate_max_per_ms = peak_per_ms;
	/* Each till runs at GS_SIM_PEAK_LOAD at the busiest hour: queues
	 * grow at the peaks and drain in between. */
	sim->service_mean_ms =
	    sim->n_queues ? GS_SIM_PEAK_LOAD /
	                        (peak_per_ms * GS_SIM_P_QUEUE / sim->n_queues)
	                  : 60000.0;

	rc = gs_sim_schedule(sim, gs_sim_next_arrival(sim, opts->start_ms),
	                     GS_SIM_ARRIVE, 0, 0);
	for (unsigned i = 0; i < sim->n_staffs && rc == GS_OK; i++)
		rc = gs_sim_schedule(
		    sim,
		    gs_sim_next_open(opts->start_ms) +
		        (int64_t)gs_rng_exp(sim, GS_SIM_STAFF_MEAN_MS),
		    GS_SIM_STAFF, sim->staffs[i], 0);
	for (unsigned i = 0; i < sim->n_buttons && rc == GS_OK; i++)
		rc = gs_sim_button_next(sim, sim->buttons[i], opts->start_ms);
	if (rc != GS_OK)
		goto err_sim;

	if (opts->speed > 0) {
		sim->fd = gs_timerfd_new();
		if (sim->fd < 0 || gs_timerfd_arm_ms(sim->fd, 0) != GS_OK) {
			rc = GS_ESYS;
			goto err_sim;
		}
	} else {
		/* Stays readable: the loop reads batches as fast as it can. */
		sim->fd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
		if (sim->fd < 0) {
			gs_log(GS_LOG_ERR, "sim: eventfd: %s", strerror(errno));
			rc = GS_ESYS;
			goto err_sim;
		}
	}
	sim->mono_start_ns = gs_clock_monotonic_ns();
	sim->be.ops = &gs_sim_ops;
	sim->be.priv = sim;
	*out = &sim->be;
	return GS_OK;

err_sim:
	gs_sim_destroy(sim);
	return rc;
}

void gs_sim_backend_stats(const struct gs_backend *be,
                          struct gs_sim_stats *stats)
{
	const struct gs_sim *sim = be->priv;

	if (be->ops != &gs_sim_ops) {
		memset(stats, 0, sizeof(*stats));
		return;
	}
	*stats = sim->stats;
	stats->pending = sim->heap_len;
	stats->customers_inside = sim->live_cust;
}
