#!/usr/bin/env bash
# What a one-hour broker outage costs in lost and duplicated messages, and
# how long the backlog takes to drain (issue 5, "Done when").
#
# The simulated store runs at SPEED virtual seconds per real second, so a
# real outage of OUTAGE seconds is SPEED * OUTAGE seconds of shop time: the
# defaults, 120 and 30 s, make one hour. One hour of trading comes before
# the outage and one after. Windows are 1 minute (60 metrics messages an
# hour besides alerts) and the reconnect back-off is scaled down by the
# same factor as time (5 min / 120 = 2.5 s), so the figures are those of a
# real hour; everything else is the default configuration (drain_rate 50,
# inflight 16, MQTT 3.1.1).
#
# A subscriber with a persistent session on a persistent broker stamps
# every arrival; after the gateway has drained and exited, the figures
# come from those stamps and the gateway's database.
#
#   bench/bench_outage.sh [BUILD_DIR] [SPEED] [OUTAGE_SECONDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
speed=${2:-120}
outage=${3:-30}
GAPSENSE=$build/gateway/gapsense
GS_SOURCE_DIR=$here/..
. "$here/../tests/integration/lib.sh"
[ -x "$GAPSENSE" ] || fail "no gapsense binary at $GAPSENSE (build first)"

hour=$((3600 / speed)) # one hour of shop time, in real seconds
persist=("persistence true" "persistence_location $GS_TMP/" "autosave_interval 1")
gs_start_broker "${persist[@]}"
db=$GS_TMP/gapsense.db
python3 "$here/../tests/integration/mqtt_conf.py" \
	"$GS_SOURCE_DIR/deploy/simulated-store.conf.in" "$GS_TMP/gapsense.conf" \
	"$MQTT_PORT" "$db" gateway.window=1m mqtt.reconnect_min=100ms \
	"mqtt.reconnect_max=$((300000 / speed))ms"

mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i gs-bench-outage -q 1 \
	-t 'gapsense/v1/#' -F '%U %t %p' >>"$GS_TMP/received.txt" \
	2>"$GS_TMP/sub.log" &
GS_PIDS+=($!)
sleep 0.5

virtual=$(((2 * hour + outage) * speed))
echo "simulating ${virtual} s of shop time at speed $speed; broker down" \
	"for $outage s ($((outage * speed / 60)) min of shop time) after $hour s"
"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --db "$db" --speed "$speed" \
	--duration "${virtual}s" --start 2026-11-23T08:00:00Z --seed 11 \
	--drain-timeout 300s 2>"$GS_TMP/gapsense.log" &
gw=$!
GS_PIDS+=("$gw")

sleep "$hour"
gs_stop_broker
down=$(date +%s.%N)
sleep "$outage"
gs_start_broker "${persist[@]}"
up=$(date +%s.%N)
wait "$gw" || fail "simulate exited $?: $(tail -5 "$GS_TMP/gapsense.log")"
# The last acknowledgements reach the subscriber a moment later.
sleep 1

python3 - "$GS_TMP/received.txt" "$db" "$down" "$up" "$GS_TMP/gapsense.log" \
	"$speed" <<'PY'
import json, re, sqlite3, sys
received, db, log = sys.argv[1], sys.argv[2], sys.argv[5]
down, up, speed = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[6])
con = sqlite3.connect(db)
meta = dict(con.execute("SELECT key, value FROM meta"))
last = int(meta.get("store.seq", 0))
dropped = int(meta.get("store.outbox_dropped") or 0)
pending = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
con.close()
msgs = []
for line in open(received, encoding="utf-8", errors="replace"):
    stamp, _, rest = line.rstrip("\n").partition(" ")
    topic, _, payload = rest.partition(" ")
    if topic.endswith(("/metrics", "/alerts")):
        msgs.append((float(stamp), json.loads(payload)))
first = {}
for t, m in msgs:
    first.setdefault(m["seq"], (t, m.get("historical") is True))
lost = sorted(set(range(1, last + 1)) - set(first))
hist = sorted(t for t, h in first.values() if h)
during = sum(1 for t, h in first.values() if hist and not h and hist[0] < t < hist[-1])
pub = re.findall(r"mqtt: stopped: (\d+) published, (\d+) acknowledged", open(log).read())
print(f"outage: {up - down:.1f} s real = {(up - down) * speed / 60:.0f} min of shop time")
print(f"messages published (seqs handed out): {last}")
if pub:
    print(f"publish calls (with resends, status, replies): {pub[-1][0]}, "
          f"acknowledged: {pub[-1][1]}")
print(f"messages received: {len(msgs)} ({len(first)} distinct seqs)")
print(f"lost (gaps in seq after dedupe): {len(lost)}"
      + (f" {lost[:10]}" if lost else "")
      + f"; dropped by quota: {dropped}; left in outbox: {pending}")
print(f"duplicates: {len(msgs) - len(first)}")
print(f"historical (backlog) messages: {len(hist)}")
if hist:
    print(f"drain: broker back -> last backlog message {hist[-1] - up:.1f} s "
          f"(reconnect after {hist[0] - up:.1f} s, then {hist[-1] - hist[0]:.1f} s "
          f"at {(len(hist) - 1) / max(hist[-1] - hist[0], 1e-9):.1f}/s); "
          f"{during} live messages interleaved")
PY
