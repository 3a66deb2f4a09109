/* SPDX-License-Identifier: MIT */
/*
 * Exact fractions, rounded once: the metrics message and the daily rollup.
 *
 * Every ratio a message carries is kept as a fraction of two integers
 * until the message is built, so that the one-decimal rounding of
 * clarification 12 happens once, on the exact value. Numerators and
 * denominators are counts and sums of integer milliseconds, far from
 * overflowing 64 bits when multiplied once.
 */
#ifndef GS_FRAC_H
#define GS_FRAC_H

#include "gateway/msg.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * num / den; den == 0 means "no value" (JSON null). gs_frac_of() gives
 * lowest terms; a fraction written as {num, den} (the daily rollup's) may
 * not be, which changes no rounding (gs_ratio_dec() is exact).
 */
struct gs_frac {
	int64_t num;
	int64_t den;
};

static const struct gs_frac gs_frac_null = {0, 0};

static inline int64_t gs_gcd64(int64_t a, int64_t b)
{
	if (a < 0)
		a = -a;
	while (b) {
		int64_t r = a % b;

		a = b;
		b = r;
	}
	return a ? a : 1;
}

/* num / den in lowest terms with a positive denominator. */
static inline struct gs_frac gs_frac_of(int64_t num, int64_t den)
{
	if (den == 0)
		return gs_frac_null;
	if (den < 0) {
		num = -num;
		den = -den;
	}
	int64_t g = gs_gcd64(num, den);

	return (struct gs_frac){num / g, den / g};
}

static inline bool gs_frac_is_null(struct gs_frac f)
{
	return f.den == 0;
}

/* a - b; null if either is. */
static inline struct gs_frac gs_frac_sub(struct gs_frac a, struct gs_frac b)
{
	if (gs_frac_is_null(a) || gs_frac_is_null(b))
		return gs_frac_null;
	return gs_frac_of(a.num * b.den - b.num * a.den, a.den * b.den);
}

/* a >= x for a double threshold x (exact for integer thresholds). */
static inline bool gs_frac_ge(struct gs_frac a, double x)
{
	return (double)a.num >= x * (double)a.den;
}

/*
 * The value rounded half away from zero to one decimal, computed on the
 * exact fraction, as a double that gs_json_add_decimal() prints unchanged;
 * NAN for null.
 */
static inline double gs_frac_dec(struct gs_frac f)
{
	return gs_ratio_dec(f.num, f.den);
}

/* ms as seconds with one decimal. */
static inline double gs_ms_dec(int64_t ms)
{
	return gs_frac_dec(gs_frac_of(ms, 1000));
}

/* Adds name: f with one decimal (null for a null f). */
static inline void gs_jb_frac(struct gs_jb *j, cJSON *o, const char *name,
                              struct gs_frac f)
{
	gs_jb_dec(j, o, name, gs_frac_dec(f));
}

#endif
