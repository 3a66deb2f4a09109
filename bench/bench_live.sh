#!/usr/bin/env bash
# The daemon live, in real time (speed 1 and 2), on the benchmark store:
# peak RSS, CPU share of one core, bytes written per event.
# Targets (DEVELOPERS.md): at most 4 MiB and 0.1% of a core at 50 edges/s;
# at most 256 bytes written to disk per event at 20 events/s.
#
#   bench/bench_live.sh [BUILD_DIR] [SECONDS]    (3 x SECONDS; default 60)
#   GS_SMAPS=/tmp/live bench/bench_live.sh ...  also keeps each phase's
#       /proc/PID/smaps at its peak and a table of the biggest mappings
#       (/tmp/live-1, /tmp/live-1.top, /tmp/live-2, ...)
#   GS_SYNC="0 1s 5s" bench/bench_live.sh ...  instead, only the 20
#       events/s phase, once per [storage] sync_interval in the list, all
#       at the same time (so under the same other I/O): what each costs
#       in bytes per event (docs/storage.md)
#
# The store is tests/data/scenarios/busy-store.conf (ten entrances, eight
# tills). The simulated store starts empty at 12:00 and customers browse
# for minutes before they queue or leave, so for the first minutes nearly
# all edges are arrivals at the doors (about 4 edges and 1 event each).
# Two phases, each measured on its own process:
#  "50 edges/s": speed 1 (a second of shop time per second), 400,000
#    customers a day, i.e. ~12 arrivals/s at 12:00: ~50 edges/s, ~12
#    events/s. Peak RSS and CPU (the steady state leaves out the first
#    10 s: loading libraries, opening the database, connecting).
#  "20 events/s": speed 2 (shop time at twice real time, which the commit
#    timer does not see: it commits every 500 ms of real time, so the
#    bytes per event are those of 20 events/s live), 330,000 customers:
#    ~20 events/s (~80 edges/s), for twice as long. Bytes written per
#    event, from the start (creating the database included) and in the
#    steady state. The kernel counts a page-cache page when it is
#    dirtied, so a WAL page written back by the flusher before SQLite has
#    filled it counts twice: the figure varies by +-20% with the other
#    I/O on the machine; bench/bench_store counts SQLite's own writes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
secs=${2:-60}
# Exported, not prefixed to `.`: bash keeps such assignments only while the
# file is sourced, and lib.sh's functions need them later.
export GAPSENSE=$build/gateway/gapsense GS_SOURCE_DIR=$here/..
. "$here/../tests/integration/lib.sh"
[ -x "$GAPSENSE" ] || fail "no gapsense binary at $GAPSENSE (build first)"
command -v sqlite3 >/dev/null || fail "sqlite3 is missing"

gs_start_broker

# $1 label, $2 speed, $3 customers per day, $4 real seconds, $5 (may be
# absent) [storage] sync_interval; prints the figures.
phase() {
	local label=$1 speed=$2 customers=$3 secs=$4 sync=${5:-}
	local tag=$speed${sync:+-sync$sync}
	local db=$GS_TMP/$tag.db conf=$GS_TMP/busy-store-$tag.conf
	# busy-store.conf with this broker and a scratch database, as
	# gs_write_sim_config does for the simulated store's template.
	# Each its own client id: a second client under the same id would
	# take the first one's session over, again and again.
	sed -e "s|^broker = .*|broker = mqtt://127.0.0.1:$MQTT_PORT\nclient_id = bench-$tag|" \
		-e "s|^database = .*|database = $db${sync:+\nsync_interval = $sync}|" \
		"$GS_SOURCE_DIR/tests/data/scenarios/busy-store.conf" >"$conf"
	grep -q "127.0.0.1:$MQTT_PORT" "$conf" || fail "no broker line in $conf"
	python3 "$here/measure.py" --warmup 10 --json "$GS_TMP/$tag.json" \
		${GS_SMAPS:+--smaps "$GS_SMAPS-$tag"} "$label" -- \
		"$GAPSENSE" simulate -c "$conf" --db "$db" --speed "$speed" \
		--duration "$((secs * speed))s" --start 2026-11-23T12:00:00Z \
		--customers "$customers" --seed 3 2>"$GS_TMP/$tag.log" ||
		fail "simulate exited $?: $(tail -5 "$GS_TMP/$tag.log")"
	grep -o 'input done: .*' "$GS_TMP/$tag.log" | tail -1
	python3 - "$GS_TMP/$tag.json" "$secs" \
		"$(sqlite3 "$db" 'SELECT count(*) FROM events')" \
		"$(grep -o 'input done: [0-9]*' "$GS_TMP/$tag.log" | grep -o '[0-9]*$')" <<-'PY'
		import json, sys
		f = json.load(open(sys.argv[1]))
		secs, events, edges = float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
		rate = events / secs
		print(f"  {edges / secs:.1f} edges/s, {rate:.1f} events/s ({events} stored); "
		      f"written {f['write_bytes'] / events:.0f} B/event from the start", end="")
		if "steady_s" in f:
		    print(f", {f['steady_write_bytes'] / f['steady_s'] / rate:.0f} B/event "
		          f"in the steady state")
		else:
		    print()
	PY
}

if [ -n "${GS_SYNC:-}" ]; then
	pids=()
	for sync in $GS_SYNC; do
		# Fewer customers: over minutes the store fills up, and 330,000
		# make ~30 events/s after 5 minutes.
		phase "live, 20 events/s, $((2 * secs))s, sync_interval $sync" \
			2 220000 $((2 * secs)) "$sync" >"$GS_TMP/out-$sync" 2>&1 &
		pids+=($!)
	done
	# A phase that fails says so; the others run on (the broker stays).
	status=0
	for pid in "${pids[@]}"; do wait "$pid" || status=1; done
	for sync in $GS_SYNC; do cat "$GS_TMP/out-$sync"; done
	exit $status
fi
phase "live, 50 edges/s, ${secs}s" 1 400000 "$secs"
phase "live, 20 events/s, $((2 * secs))s" 2 330000 $((2 * secs))
