#!/usr/bin/env bash
# No leaks and no invalid accesses under valgrind, through every layer: a
# simulation recorded to a scenario, its replay, and a run publishing to a
# real broker (Paho's threads included).
. "$(dirname "$0")/lib.sh"

vg=(valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99)
gs_start_broker
gs_write_sim_config "$GS_TMP/gapsense.conf" "$GS_TMP/gapsense.db"

"${vg[@]}" "$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --speed 0 \
	--duration 2h --start 2026-11-23T10:00:00Z --seed 3 \
	--record "$GS_TMP/day.csv" --print --db "$GS_TMP/sim.db" \
	>"$GS_TMP/sim.jsonl" 2>"$GS_TMP/sim.log" ||
	fail "simulate under valgrind: $(grep -v '^gapsense' "$GS_TMP/sim.log" | head -30)"
[ -s "$GS_TMP/sim.jsonl" ] || fail "simulate printed no message"

"${vg[@]}" "$GAPSENSE" replay -c "$GS_TMP/gapsense.conf" "$GS_TMP/day.csv" \
	--print >"$GS_TMP/replay.jsonl" 2>"$GS_TMP/replay.log" ||
	fail "replay under valgrind: $(grep -v '^gapsense' "$GS_TMP/replay.log" | head -30)"
[ -s "$GS_TMP/replay.jsonl" ] || fail "replay printed no message"

"${vg[@]}" "$GAPSENSE" replay -c "$GS_TMP/gapsense.conf" "$GS_TMP/day.csv" \
	--drain-timeout 60s 2>"$GS_TMP/publish.log" ||
	fail "replay to a broker under valgrind: $(grep -v '^gapsense' "$GS_TMP/publish.log" | head -30)"
echo "ok: no leaks or memory errors in simulate, replay and publish"
