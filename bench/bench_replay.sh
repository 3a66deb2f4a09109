#!/usr/bin/env bash
# Replay of a simulated 100k-customer day, first edge to last broker
# acknowledgement, against a private mosquitto on loopback.
# Targets (DEVELOPERS.md): at most 0.31 s and 8 MiB peak RSS.
#
#   bench/bench_replay.sh [BUILD_DIR] [CUSTOMERS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
customers=${2:-100000}
# Exported, not prefixed to `.`: bash keeps such assignments only while the
# file is sourced, and lib.sh's functions need them later.
export GAPSENSE=$build/gateway/gapsense GS_SOURCE_DIR=$here/..
. "$here/../tests/integration/lib.sh"

gs_start_broker
gs_write_sim_config "$GS_TMP/gapsense.conf" "$GS_TMP/unused.db"
scenario=$here/out/day-$customers.csv
mkdir -p "$here/out"
if [ ! -s "$scenario" ]; then
	echo "recording a simulated day of $customers customers to $scenario"
	"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --speed 0 --duration 24h \
		--start 2026-11-23T00:00:00Z --customers "$customers" --seed 42 \
		--record "$scenario" --print --db "$GS_TMP/record.db" >/dev/null
fi
echo "scenario: $(($(grep -vc '^#' "$scenario") - 1)) edges"
for run in 1 2 3; do
	python3 "$here/measure.py" "replay run $run" -- \
		"$GAPSENSE" replay -c "$GS_TMP/gapsense.conf" "$scenario" \
		2>"$GS_TMP/replay.log"
	grep -o '[0-9]* edges, [0-9]* events.*' "$GS_TMP/replay.log" | tail -1
done
