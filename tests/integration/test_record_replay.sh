#!/usr/bin/env bash
# A simulated day recorded with --record replays to the very same messages,
# byte for byte (docs/scenario.md): the recording carries every edge and
# the simulation's end, and the pipeline is a function of event time.
source "$(dirname "$0")/lib.sh"

gs_write_sim_config "$GS_TMP/gapsense.conf" "$GS_TMP/unused.db"
for span in "4h 2026-11-23T07:00:00Z" "26h 2026-11-22T23:00:00Z"; do
	set -- $span
	"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --speed 0 --duration "$1" \
		--start "$2" --seed 11 --record "$GS_TMP/day.csv" --print \
		--db "$GS_TMP/sim-$1.db" >"$GS_TMP/sim.jsonl" 2>"$GS_TMP/sim.err" ||
		{ cat "$GS_TMP/sim.err" >&2; fail "simulate $1 failed"; }
	"$GAPSENSE" replay -c "$GS_TMP/gapsense.conf" "$GS_TMP/day.csv" --print \
		>"$GS_TMP/replay.jsonl" 2>"$GS_TMP/replay.err" ||
		{ cat "$GS_TMP/replay.err" >&2; fail "replay of the $1 recording failed"; }
	n=$(grep -c . "$GS_TMP/sim.jsonl")
	windows=$(grep -c '/metrics"' "$GS_TMP/sim.jsonl")
	# The span [start, start + duration) ends in its last window, with no
	# empty window after it.
	last=$(grep -o '"window_start":"[^"]*"' "$GS_TMP/sim.jsonl" | tail -n1)
	want=$(date -u -d "$2 + ${1%h} hours - 15 minutes" +%Y-%m-%dT%H:%M:%SZ)
	[ "$last" = "\"window_start\":\"$want\"" ] ||
		fail "simulate $1 from $2: the last window is $last, not $want"
	cmp -s "$GS_TMP/sim.jsonl" "$GS_TMP/replay.jsonl" || {
		diff "$GS_TMP/sim.jsonl" "$GS_TMP/replay.jsonl" | head -20 >&2
		fail "the $1 recording replays to other messages than the simulation's"
	}
	echo "ok   $1: $n messages ($windows windows), identical in replay"
done
