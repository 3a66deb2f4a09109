/* SPDX-License-Identifier: MIT */
/*
 * A clock you can trust.
 *
 * A Raspberry Pi has no battery clock: it boots at the last saved time
 * (fake-hwclock) or at 1970 and is stepped when NTP synchronises. Sensor
 * edges carry the kernel's CLOCK_MONOTONIC stamp, which never jumps; this
 * module turns such a stamp into event time (ms since the Unix epoch, UTC)
 * with the offset realtime - monotonic, and keeps that offset right:
 *
 *  - it knows whether the system clock has been synchronised: adjtimex()
 *    (not TIME_ERROR and no STA_UNSYNC) or systemd-timesyncd's flag file
 *    /run/systemd/timesync/synchronized;
 *  - it notices a step (NTP's first sync, an administrator's `date -s`,
 *    a leap second) the moment it happens through a CLOCK_REALTIME timerfd
 *    armed with TFD_TIMER_CANCEL_ON_SET, whose read() fails with ECANCELED;
 *  - it re-measures the offset after each step and at each poll (the
 *    offset changes only when the clock is set: NTP's slewing moves
 *    realtime and monotonic alike).
 *
 * "Synced" is sticky for the life of the object: once the system clock
 * has been synchronised in this boot the offset is trusted, even if the
 * kernel later flags the clock unsynchronised for want of a server (its
 * drift is parts per million) or it is stepped again.
 *
 * Every reading goes through a struct gs_clock_source (gateway/timeutil.h),
 * so a test drives time, steps and synchronisation itself without root.
 *
 * How the daemon uses it (run mode; replay and simulate keep their own
 * virtual time and need no gs_clock):
 *
 *  1. gs_clock_new() at start-up; gs_store_set_boot(gs_clock_boot_id());
 *     watch gs_clock_fd() in the loop and call gs_clock_handle() when it
 *     is readable; call gs_clock_poll() from a periodic timer (every few
 *     seconds while !gs_clock_synced(), every minute or so afterwards):
 *     synchronisation without a step raises no fd event.
 *  2. Stamp each edge with gs_clock_to_realtime_ms(mono_ns) rather than
 *     reading the wall clock when the edge is read: the stamp is then as
 *     exact as the kernel's and can be redone later.
 *  3. While !gs_clock_synced(), keep the events (with mono_ns) and hold
 *     the windows they fall in: the offset is provisional. When a call
 *     returns GS_CLOCK_SYNCED, re-stamp every held event with
 *     gs_clock_to_realtime_ms(its mono_ns) (now the true offset), feed
 *     them to the engine in order and publish with clock_synced true. If
 *     [gateway] unsynced_hold passes first, publish with the provisional
 *     stamps and clock_synced false, and keep going; events after a later
 *     sync are stamped right from then on.
 *  4. GS_CLOCK_STEPPED while synced: log gs_clock_last_step_ns(). Stamps
 *     already given stay (they were right when taken); a step backwards
 *     would make event time run back, so the daemon must not let it go
 *     backwards in the engine (hold new events at the last event time
 *     until the clock passes it) and must never prune or renumber stored
 *     data because of a step: sequence numbers come from the store, not
 *     from the clock.
 *  5. Stamps from another boot (compare the stored boot id) cannot be
 *     converted: their monotonic clock is gone.
 *
 * Only the event-loop thread may use a gs_clock.
 */
#ifndef GS_CLOCK_H
#define GS_CLOCK_H

#include "gateway/timeutil.h"

#include <stdbool.h>
#include <stdint.h>

struct gs_clock;

#define GS_CLOCK_BOOT_ID_PATH  GS_BOOT_ID_PATH
#define GS_CLOCK_TIMESYNC_FLAG "/run/systemd/timesync/synchronized"
#define GS_CLOCK_BOOT_ID_LEN   GS_BOOT_ID_LEN

struct gs_clock_opts {
	/* NULL: the system's. Borrowed: must outlive the clock. */
	const struct gs_clock_source *source;
	void *source_ctx;
	/* NULL: GS_CLOCK_BOOT_ID_PATH. Read once, by gs_clock_new(). */
	const char *boot_id_path;
	/* NULL: GS_CLOCK_TIMESYNC_FLAG. Only the system source reads it. */
	const char *timesync_flag_path;
};

/* Changes reported by gs_clock_handle() and gs_clock_poll(), as a mask. */
#define GS_CLOCK_SYNCED  0x01 /* synchronised for the first time */
#define GS_CLOCK_STEPPED 0x02 /* the offset changed: the clock was set */

/*
 * Creates a clock: reads the boot id, measures the offset and the sync
 * state, arms the timerfd. opts may be NULL (the system's clock). Returns
 * 0 or GS_ENOMEM, GS_ENOENT/GS_EIO/GS_EINVAL (boot id missing, unreadable
 * or malformed), GS_ESYS (timerfd); errors are logged. *out is owned by
 * the caller: gs_clock_free() it.
 */
int gs_clock_new(const struct gs_clock_opts *opts, struct gs_clock **out);
/* NULL-safe; closes the timerfd. */
void gs_clock_free(struct gs_clock *clk);

/*
 * The timerfd to watch for EPOLLIN. Owned by the clock. It watches the
 * real CLOCK_REALTIME whatever the source: with a test source it never
 * fires, and steps are found by gs_clock_poll().
 */
int gs_clock_fd(const struct gs_clock *clk);

/*
 * The timerfd is readable: consumes it; on a step re-arms it, re-measures
 * the offset and re-reads the sync state. Returns GS_CLOCK_* changes (0 if
 * nothing happened).
 */
unsigned gs_clock_handle(struct gs_clock *clk);

/*
 * Re-reads the sync state and the offset (a change beyond measurement
 * noise, 5 ms, is a step, timerfd or not). Returns GS_CLOCK_* changes.
 */
unsigned gs_clock_poll(struct gs_clock *clk);

/* Synchronised at least once since gs_clock_new() (sticky). */
bool gs_clock_synced(const struct gs_clock *clk);

/* Current offset realtime - monotonic in ns, as last measured. */
int64_t gs_clock_offset_ns(const struct gs_clock *clk);
/* The change of the offset at the last step (0 if none yet). */
int64_t gs_clock_last_step_ns(const struct gs_clock *clk);
/* Steps seen since gs_clock_new(). */
unsigned gs_clock_steps(const struct gs_clock *clk);

/* Event time (ms since the epoch, UTC) of a monotonic stamp of this boot,
 * with the current offset; rounds down. */
int64_t gs_clock_to_realtime_ms(const struct gs_clock *clk, int64_t mono_ns);

/* The source's clocks now: event time in ms, monotonic in ns. */
int64_t gs_clock_now_ms(const struct gs_clock *clk);
int64_t gs_clock_mono_ns(const struct gs_clock *clk);

/* This boot's id ("c9c295e1-6a73-..."), owned by the clock. */
const char *gs_clock_boot_id(const struct gs_clock *clk);

/*
 * The system's sync state as gs_clock's system source sees it: adjtimex,
 * then the timesyncd flag at flag_path (NULL: GS_CLOCK_TIMESYNC_FLAG).
 */
bool gs_clock_system_synced(const char *flag_path);

#endif
