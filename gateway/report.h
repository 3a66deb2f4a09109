/* SPDX-License-Identifier: MIT */
/*
 * The day report: one self-contained HTML file (inline SVG and CSS, no
 * script, no network, printable) drawn from a store's windows, alerts and
 * daily rollups. gateway/cmd_report.c is its command line.
 */
#ifndef GS_REPORT_H
#define GS_REPORT_H

#include "gateway/store.h"

#include <stdint.h>
#include <stdio.h>

struct gs_report_opts {
	int64_t from_ms, to_ms; /* the time grid: [from, to) */
	const char *title;      /* e.g. "2026-11-23"; escaped when written */
	double gap_threshold;   /* [metrics] gap_threshold, default 70 */
};

/*
 * Reads the range (and the daily rollups of the 28 days before its end)
 * from rd and writes the report to out. Local times use the process's TZ.
 * Returns GS_OK, GS_EIO (a read or write failed) or GS_ENOMEM; *n_windows
 * (may be NULL) gets the number of windows drawn.
 */
int gs_report_write(struct gs_store_reader *rd,
                    const struct gs_report_opts *opts, FILE *out,
                    size_t *n_windows);

#endif
