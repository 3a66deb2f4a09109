#!/usr/bin/env bash
# The daemon live at about 50 edges/s for a minute (the simulated store in
# real time, scaled up): peak RSS, CPU share of one core, bytes written.
# Targets (DEVELOPERS.md): at most 4 MiB and 0.1% of a core at 50 edges/s;
# at most 256 bytes written to disk per event at 20 events/s.
#
#   bench/bench_live.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
secs=${2:-60}
# Exported, not prefixed to `.`: bash keeps such assignments only while the
# file is sourced, and lib.sh's functions need them later.
export GAPSENSE=$build/gateway/gapsense GS_SOURCE_DIR=$here/..
. "$here/../tests/integration/lib.sh"

gs_start_broker
db=$GS_TMP/gapsense.db
gs_write_sim_config "$GS_TMP/gapsense.conf" "$db"
# ~3.2 edges per customer and ~1 event per customer: 50 edges/s is about
# 16 customers a second at the busiest hour, i.e. speed 1 with a dense day.
python3 "$here/measure.py" "live ${secs}s" -- \
	"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --speed 1 \
	--duration "${secs}s" --start 2026-11-23T12:00:00Z --customers 400000 \
	2>"$GS_TMP/live.log"
grep -o '[0-9]* edges, [0-9]* events.*' "$GS_TMP/live.log" | tail -1
events=$(sqlite3 "$db" 'SELECT count(*) FROM events')
echo "events stored: $events"
