#!/usr/bin/env bash
# Issue 13 §2: the daily rollup over a real broker. A simulated store runs
# across day_start (set to 10:00 Berlin = 09:00Z, while it trades): one gapsense.daily.v1 message
# goes out live on {base}/daily through the outbox, equal to the stored
# copy and valid against docs/asyncapi.yaml; a second gateway on the same
# database resends it by command with its original seq, "historical": true.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")

gs_start_broker
db="$GS_TMP/gapsense.db"
python3 "$here/mqtt_conf.py" "$GS_SOURCE_DIR/deploy/simulated-store.conf.in" \
	"$GS_TMP/gapsense.conf" "$MQTT_PORT" "$db" gateway.day_start=10:00
base=gapsense/v1/sim-store/demo-1

mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "$base/#" -v \
	>>"$GS_TMP/received.txt" 2>"$GS_TMP/sub.log" &
GS_PIDS+=($!)
sleep 0.3

# 08:00Z to 10:00Z, as fast as possible: the reset at 09:00Z ends a day.
"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --db "$db" --speed 0 \
	--duration 2h --start 2026-11-23T08:00:00Z --seed 5 \
	2>"$GS_TMP/sim1.log" || fail "simulate exited $?: $(tail -5 "$GS_TMP/sim1.log")"

[ "$(sqlite3 "$db" 'SELECT count(*) FROM dailies')" -eq 1 ] ||
	fail "expected one stored daily rollup"
seq=$(sqlite3 "$db" 'SELECT seq FROM dailies')
for _ in $(seq 1 50); do
	grep -q "^$base/daily " "$GS_TMP/received.txt" && break
	sleep 0.1
done
python3 - "$GS_TMP/received.txt" "$base" "$db" "$GS_TMP/printed.jsonl" <<'EOF' ||
import json, sqlite3, sys
received, base, db, out = sys.argv[1:]
daily = [json.loads(l.split(" ", 1)[1]) for l in open(received)
         if l.startswith(base + "/daily ")]
assert len(daily) == 1, f"{len(daily)} daily messages received"
d = daily[0]
stored = sqlite3.connect(db).execute("SELECT seq, payload FROM dailies").fetchone()
assert d["seq"] == stored[0], (d["seq"], stored[0])
assert d == json.loads(stored[1]), "the daily rollup differs from the stored copy"
assert d["day"] == "2026-11-22" and d["day_start"] == "2026-11-22T09:00:00Z", d
assert d["day_end"] == "2026-11-23T09:00:00Z" and d["partial"] is True, d
assert d["historical"] is False and d["windows"]["total"] == 4, d
assert d["footfall"]["in"] > 0 and d["trend"]["days"][-1]["day"] == "2026-11-22", d
# Windows and rollups share one seq: every seq up to the store's arrived.
seqs = {json.loads(l.split(" ", 1)[1])["seq"] for l in open(received)
        if l.split(" ", 1)[0].rsplit("/", 1)[-1] in ("metrics", "alerts", "daily")}
last = sqlite3.connect(db).execute(
    "SELECT value FROM meta WHERE key = 'store.seq'").fetchone()[0]
assert seqs == set(range(1, int(last) + 1)), "seq gaps: %s" % (
    sorted(set(range(1, int(last) + 1)) - seqs)[:10])
with open(out, "w") as f:
    f.write(json.dumps({"topic": base + "/daily", "payload": d}) + "\n")
print("live daily rollup: seq", d["seq"], "in", d["footfall"]["in"])
EOF
	fail "the live daily rollup is wrong"
python3 "$here/mqtt_schema.py" "$GS_SOURCE_DIR/docs/asyncapi.yaml" --print \
	"$GS_TMP/printed.jsonl" || fail "the daily rollup does not match docs/asyncapi.yaml"

# A gateway on the same database, later that day; resend the 22nd and 23rd.
"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --db "$db" --speed 60 \
	--duration 3h --start 2026-11-23T11:00:00Z --seed 6 2>"$GS_TMP/sim2.log" &
gw=$!
GS_PIDS+=("$gw")
for _ in $(seq 1 100); do
	grep -q '"state":"online"' "$GS_TMP/received.txt" && [ "$(grep -c '"state":"online"' "$GS_TMP/received.txt")" -ge 2 ] && break
	sleep 0.1
done
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "$base/cmd" -m \
	'{"id": "daily-1", "cmd": "resend", "from": "2026-11-22T00:00:00Z", "to": "2026-11-24T00:00:00Z"}'
for _ in $(seq 1 100); do
	[ "$(grep -c "^$base/daily " "$GS_TMP/received.txt")" -ge 2 ] && break
	sleep 0.1
done
kill -TERM "$gw"
wait "$gw" || fail "the gateway exited $? on SIGTERM"
grep -q "^$base/cmd/reply .*\"id\":\"daily-1\",\"ok\":true.*\"windows\":[0-9]*,\"dailies\":1" \
	"$GS_TMP/received.txt" || fail "no resend reply counting one daily rollup: $(grep reply "$GS_TMP/received.txt")"
resent=$(grep "^$base/daily " "$GS_TMP/received.txt" | sed -n 2p)
case "$resent" in
*"\"seq\":$seq,"*'"historical":true'*) ;;
*) fail "the resent daily rollup: ${resent:0:200}" ;;
esac
echo "ok: daily rollup published live (seq $seq), stored, valid, resent by command"
