/* SPDX-License-Identifier: MIT */
/*
 * The two currencies of the pipeline: raw edges from a sensor backend, and
 * the domain events that decoders make of them.
 */
#ifndef GS_EVENT_H
#define GS_EVENT_H

#include <stdint.h>

/* One change of one line, as a backend reports it. */
struct gs_edge {
	int64_t t_ms;    /* event time: ms since the Unix epoch, UTC */
	int64_t mono_ns; /* kernel CLOCK_MONOTONIC stamp; replay: t_ms * 1e6 */
	uint16_t sensor; /* index into gs_config.sensors */
	uint8_t input;   /* index into that sensor's lines */
	uint8_t active;  /* logical level: 1 = beam broken, button down */
};

enum gs_event_kind {
	GS_EV_IN,        /* footfall in (beam pair, or pulse with direction) */
	GS_EV_OUT,       /* footfall out */
	GS_EV_PULSE,     /* pulse from a counter without direction */
	GS_EV_JOIN,      /* queue entry */
	GS_EV_SERVE,     /* queue exit at the till */
	GS_EV_ABANDON,   /* queue entry unmatched after max_wait (metrics) */
	GS_EV_PRESS,     /* smiley or staff button; value = button index */
	GS_EV_FAULT,     /* line active too long; input = which line */
	GS_EV_RECOVERED, /* that line cleared */
	GS_EV_KIND_COUNT_
};

/* "in", "out", "pulse", ...; for the store and logs. */
const char *gs_event_kind_name(enum gs_event_kind kind);

#define GS_EVF_MISUSE 0x01 /* press within the terminal's lockout */
#define GS_EVF_ACK    0x02 /* press acknowledged an alert output */

struct gs_event {
	int64_t t_ms;    /* event time (see docs/metrics.md) */
	uint16_t sensor; /* index into gs_config.sensors */
	uint8_t kind;    /* enum gs_event_kind */
	uint8_t value;   /* PRESS: button 0 = most negative */
	uint8_t input;   /* FAULT/RECOVERED: line index */
	uint8_t flags;   /* GS_EVF_* */
};

#endif
