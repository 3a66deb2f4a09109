#!/usr/bin/env bash
# Issue 5: a long outage against a tiny outbox quota (1 MiB, the least the
# config allows). The oldest undelivered messages are dropped and counted,
# the gateway keeps running, and once the broker is back the status message
# reports the drops and everything that was kept arrives.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")

MQTT_PORT=$(gs_free_port) # nobody listens yet: the outage
db="$GS_TMP/gapsense.db"
python3 "$here/mqtt_conf.py" "$GS_SOURCE_DIR/deploy/simulated-store.conf.in" \
	"$GS_TMP/gapsense.conf" "$MQTT_PORT" "$db" gateway.window=1m \
	mqtt.outbox_max_bytes=1MiB mqtt.reconnect_min=200ms \
	mqtt.reconnect_max=1s mqtt.drain_rate=5000
today=$(date -u +%Y-%m-%dT08:00:00Z)
later=$(date -u -d "$today + 4 days" +%Y-%m-%dT%H:%M:%SZ)

# Three days of one-minute windows (~6 MB of messages) while the broker is
# away; the quota is enforced every 10 s, so wait that long for the broker.
rc=0
"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --db "$db" --speed 0 --duration 3d \
	--start "$today" --seed 5 --drain-timeout 15s 2>"$GS_TMP/run1.log" || rc=$?
[ "$rc" -eq 75 ] || fail "expected exit 75 (broker never came), got $rc: $(tail -3 "$GS_TMP/run1.log")"
grep -q "outbox quota: dropped" "$GS_TMP/run1.log" || fail "no quota drop logged"
python3 - "$db" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
n, size = con.execute("SELECT count(*), coalesce(sum(bytes), 0) FROM outbox").fetchone()
dropped = int(con.execute("SELECT value FROM meta WHERE key='store.outbox_dropped'").fetchone()[0])
last = int(con.execute("SELECT value FROM meta WHERE key='store.seq'").fetchone()[0])
assert size <= 1 << 20, f"outbox holds {size} bytes, quota 1 MiB"
assert dropped > 0 and n + dropped == last, f"{n} kept + {dropped} dropped != {last}"
print(f"after the outage: {n} messages kept ({size} bytes), {dropped} dropped of {last}")
PY

gs_start_broker
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i gs-quota-sub -q 1 \
	-t 'gapsense/v1/#' -v >>"$GS_TMP/received.txt" 2>"$GS_TMP/sub.log" &
GS_PIDS+=($!)
sleep 0.3
"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --db "$db" --speed 0 --duration 1h \
	--start "$later" --seed 6 --drain-timeout 60s 2>"$GS_TMP/run2.log" ||
	fail "second run exited $?: $(tail -3 "$GS_TMP/run2.log")"

python3 "$here/mqtt_check.py" --received "$GS_TMP/received.txt" --db "$db" \
	--allow-dropped --timeout 30 || fail "delivery check failed"
python3 - "$GS_TMP/received.txt" "$db" <<'PY'
import json, sqlite3, sys
dropped = int(sqlite3.connect(sys.argv[2]).execute(
    "SELECT value FROM meta WHERE key='store.outbox_dropped'").fetchone()[0])
status = [json.loads(l.split(" ", 1)[1]) for l in open(sys.argv[1])
          if l.split(" ", 1)[0].endswith("/status")]
online = [s for s in status if s["state"] == "online"]
assert online, "no online status"
assert online[0]["outbox"]["dropped"] == dropped, \
    f"status reports {online[0]['outbox']['dropped']} dropped, store {dropped}"
ob = online[0]["outbox"]
con = sqlite3.connect(sys.argv[2])
lo, hi = (int(con.execute("SELECT value FROM meta WHERE key = ?", (k,)).fetchone()[0])
          for k in ("store.outbox_dropped_from", "store.outbox_dropped_to"))
def ms(iso):
    from datetime import datetime
    return round(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
assert ob["dropped_from"] and ms(ob["dropped_from"]) == lo and ms(ob["dropped_to"]) == hi, \
    f"status span {ob['dropped_from']}..{ob['dropped_to']}, store {lo}..{hi}"
# What is still there was made after everything dropped (oldest go first).
oldest = con.execute("SELECT min(created_ms) FROM outbox").fetchone()[0]
assert oldest is None or oldest >= hi, f"a kept message ({oldest}) is older than a dropped one ({hi})"
print(f"status reports dropped={dropped} ({ob['dropped_from']} to {ob['dropped_to']}),"
      f" pending={ob['pending']} at connect")
PY
echo "ok: quota enforced, drops counted and reported"
