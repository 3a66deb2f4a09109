#!/usr/bin/env bash
# Backlog drain: an outbox of N messages (default 50,000) drained to a
# private mosquitto on loopback at QoS 1 with an unlimited drain rate.
# Target (issue 5): at least 5,000 messages a second on a 2-core machine.
#
#   bench/bench_drain.sh [BUILD_DIR] [N] [INFLIGHT...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
n=${2:-50000}
shift $(($# > 2 ? 2 : $#))
windows=("$@")
[ ${#windows[@]} -gt 0 ] || windows=(16)
# Exported, not prefixed to `.`: bash keeps such assignments only while the
# file is sourced, and lib.sh's functions need them later.
export GAPSENSE=$build/gateway/gapsense GS_SOURCE_DIR=$here/..
. "$here/../tests/integration/lib.sh"

gs_start_broker
"$build/bench/bench_drain" fill "$GS_TMP/fill.db" "$n"
for w in "${windows[@]}"; do
	for run in 1 2; do
		cp "$GS_TMP/fill.db" "$GS_TMP/drain.db"
		rm -f "$GS_TMP/drain.db-wal" "$GS_TMP/drain.db-shm"
		[ -f "$GS_TMP/fill.db-wal" ] && cp "$GS_TMP/fill.db-wal" "$GS_TMP/drain.db-wal"
		echo -n "inflight $w, run $run: "
		"$build/bench/bench_drain" drain "$GS_TMP/drain.db" "$MQTT_PORT" "$w"
	done
done
