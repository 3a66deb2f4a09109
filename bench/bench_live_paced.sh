#!/usr/bin/env bash
# Live, paced, against Python (issue 12): the same slice of a recorded
# busy-store day, played at its own speed, through gapsense
# (`replay --speed 1`) and through the Python baseline
# (bench/baseline/shop.py --speed 1), alternating them, each measured by
# bench/measure.py: CPU share of one core in the steady state (the first 10
# s, loading and connecting, left out), peak RSS, PSS/USS, and bytes
# written per event; then the medians and their ratios against the targets
# (DEVELOPERS.md): CPU at most 0.2x Python's and 0.1% of a core, RSS at
# most 4 MiB, at most 200 B written per event.
#
#   bench/bench_live_paced.sh [BUILD_DIR] [SECONDS] [RUNS]
#       (default 60 s a run, 2 runs of each; 2 x RUNS x SECONDS in all)
#   GS_CUSTOMERS=N   the recorded day's customers (default 140000)
#
# Unlike bench/bench_live.sh (the simulator), the input is a fixed file that
# anyone can share and replay: the day is recorded once (seed 42, kept in
# bench/out/ and reused), and the slice is SECONDS of it from 12:00, where a
# 140,000-customer day of tests/data/scenarios/busy-store.conf makes ~50
# edges/s (~15 events/s). Both programs hand every edge over at its due
# time and close windows by the edges' time; each stores in its own fresh
# database under TMPDIR (on disk, so written bytes count) and publishes to
# the same loopback mosquitto.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
secs=${2:-60}
runs=${3:-2}
customers=${GS_CUSTOMERS:-140000}
# Exported, not prefixed to `.`: bash keeps such assignments only while the
# file is sourced, and lib.sh's functions need them later.
export GAPSENSE=$build/gateway/gapsense GS_SOURCE_DIR=$here/..
. "$here/../tests/integration/lib.sh"
[ -x "$GAPSENSE" ] || fail "no gapsense binary at $GAPSENSE (build first)"
# shop.py runs on Debian's python3 (its #! line), where apt's module is.
/usr/bin/python3 -c 'import paho.mqtt.client' 2>/dev/null ||
	fail "no python3-paho-mqtt (deploy/install-deps.sh test)"
[ "$secs" -gt 10 ] || fail "SECONDS must be more than the 10 s warm-up"

gs_start_broker
. "$here/busy_store.sh"
# [12:00, 12:00 + SECONDS): ISO times in UTC compare as strings.
from=2026-11-23T12:00:00.000Z
to=$(date -u -d "@$(($(date -u -d 2026-11-23T12:00:00Z +%s) + secs))" \
	+%Y-%m-%dT%H:%M:%S.000Z)
slice=$GS_TMP/slice.csv
awk -F, -v from="$from" -v to="$to" \
	'/^time,/ || ($1 >= from && $1 < to)' "$scenario" >"$slice"
edges=$(($(wc -l <"$slice") - 1))
echo "slice: $from to $to of $scenario: $edges edges" \
	"($((edges / secs)) edges/s)"

for ((run = 1; run <= runs; run++)); do
	python3 "$here/measure.py" --warmup 10 --json "$GS_TMP/gs-$run.json" \
		"gapsense run $run" -- \
		"$GAPSENSE" replay -c "$conf" "$slice" --speed 1 \
		2>"$GS_TMP/gs.log" ||
		fail "replay exited $?: $(tail -5 "$GS_TMP/gs.log")"
	grep -o 'input done: [0-9]* edges, [0-9]* events' "$GS_TMP/gs.log" |
		tail -1 | grep -o '[0-9]* events' | tee "$GS_TMP/gs-$run.events"
	python3 "$here/measure.py" --warmup 10 --json "$GS_TMP/py-$run.json" \
		"python run $run" -- \
		"$here/baseline/shop.py" -c "$conf" --speed 1 "$slice" \
		2>"$GS_TMP/py.log" ||
		fail "shop.py exited $?: $(tail -5 "$GS_TMP/py.log")"
	grep -o 'shop.py: [0-9]* edges, [0-9]* events' "$GS_TMP/py.log" |
		tail -1 | grep -o '[0-9]* events' | tee "$GS_TMP/py-$run.events"
done

python3 - "$GS_TMP" "$runs" "$secs" <<'PY'
import json, statistics, sys
tmp, runs, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])

def figures(who):
    out = []
    for r in range(1, runs + 1):
        f = json.load(open(f"{tmp}/{who}-{r}.json"))
        events = int(open(f"{tmp}/{who}-{r}.events").read().split()[0])
        rate = events / secs
        out.append({
            "cpu": 100 * f["steady_cpu_s"] / f["steady_s"],
            "rss": f["peak_rss_kib"] / 1024,
            "pss": f["pss_kib"] / 1024, "uss": f["uss_kib"] / 1024,
            "bpe": f["write_bytes"] / events,
            "steady_bpe": f["steady_write_bytes"] / f["steady_s"] / rate,
            "rate": rate})
    return out

def med(rows, k):
    v = [r[k] for r in rows]
    return statistics.median(v), min(v), max(v)

gs, py = figures("gs"), figures("py")
print(f"\nmedians of {runs} alternating runs of {secs:.0f} s "
      f"({med(gs, 'rate')[0]:.1f} events/s gapsense, "
      f"{med(py, 'rate')[0]:.1f} Python); [min-max]")
rows = [("CPU, steady state (% of a core)", "cpu", "{:.3f}"),
        ("peak RSS (MiB)", "rss", "{:.2f}"),
        ("PSS (MiB)", "pss", "{:.2f}"), ("USS (MiB)", "uss", "{:.2f}"),
        ("written per event, from the start (B)", "bpe", "{:.0f}"),
        ("written per event, steady state (B)", "steady_bpe", "{:.0f}")]
for label, k, fmt in rows:
    g, p = med(gs, k), med(py, k)
    ratio = g[0] / p[0] if p[0] else float("nan")
    print(f"  {label:40} gapsense {fmt.format(g[0])} "
          f"[{fmt.format(g[1])}-{fmt.format(g[2])}], Python "
          f"{fmt.format(p[0])} [{fmt.format(p[1])}-{fmt.format(p[2])}]: "
          f"{ratio:.2f}x")
g_cpu, p_cpu = med(gs, "cpu")[0], med(py, "cpu")[0]
checks = [
    ("CPU <= 0.2x Python's", g_cpu <= 0.2 * p_cpu,
     f"{g_cpu / p_cpu:.2f}x"),
    ("CPU <= 0.1% of a core", g_cpu <= 0.1, f"{g_cpu:.3f}%"),
    ("peak RSS <= 4 MiB", med(gs, "rss")[0] <= 4,
     f"{med(gs, 'rss')[0]:.2f} MiB"),
    ("<= 200 B written per event (steady state)",
     med(gs, "steady_bpe")[0] <= 200, f"{med(gs, 'steady_bpe')[0]:.0f} B"),
]
print("targets:")
for name, ok, got in checks:
    print(f"  {'met    ' if ok else 'NOT met'} {name}: {got}")
PY
