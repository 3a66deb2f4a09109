#!/usr/bin/env bash
# Issue 5: docs/asyncapi.yaml describes what the gateway really publishes.
# A simulated afternoon with alerts, a few commands, a clean stop and a
# SIGKILL (for the will); every message is validated against the schemas.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")

gs_start_broker
db="$GS_TMP/gapsense.db"
python3 "$here/mqtt_conf.py" "$GS_SOURCE_DIR/deploy/simulated-store.conf.in" \
	"$GS_TMP/gapsense.conf" "$MQTT_PORT" "$db" gateway.window=5m \
	mqtt.protocol=5 mqtt.message_expiry=1d
base=gapsense/v1/sim-store/demo-1
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "$base/#" -v \
	>>"$GS_TMP/received.txt" 2>"$GS_TMP/sub.log" &
GS_PIDS+=($!)
sleep 0.3

pub() { mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "$base/cmd" -m "$1"; }

"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --db "$db" --speed 1200 --duration 4h \
	--start 2026-11-23T10:00:00Z --customers 4000 --seed 8 \
	2>"$GS_TMP/gapsense.log" &
gw=$!
GS_PIDS+=("$gw")
sleep 3
pub '{"id": "s-1", "cmd": "ping"}'
pub '{"id": "s-2", "cmd": "launch"}'
pub '{"id": "s-3", "cmd": "resend", "from": "2026-11-23T10:00:00Z", "to": "2026-11-23T10:30:00Z"}'
pub '{"id": "s-4", "cmd": "status"}'
wait "$gw" || fail "simulate exited $?: $(tail -3 "$GS_TMP/gapsense.log")"

# A seq reservation left open (the daemon died while the disk was full,
# docs/storage.md): the next start continues after it and declares the
# seqs it covered as "seqs" in the status's losses.
last=$(sqlite3 "$db" "SELECT value FROM meta WHERE key = 'store.seq'")
sqlite3 "$db" "INSERT OR REPLACE INTO meta VALUES('store.seq_reserved', $((last + 5))),
	('store.seq_reserved_ms', 1795435200000)" || fail "cannot edit $db"
"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --db "$db" --speed 1200 --duration 30m \
	--start 2026-11-23T14:00:00Z --seed 8 2>"$GS_TMP/gap.log" ||
	fail "simulate on an open reservation exited $?: $(tail -3 "$GS_TMP/gap.log")"
grep -q "seqs $((last + 1)) to $((last + 5)) were reserved" "$GS_TMP/gap.log" ||
	fail "the open reservation was not declared: $(cat "$GS_TMP/gap.log")"
next=$(sqlite3 "$db" "SELECT min(seq) FROM (SELECT seq FROM windows UNION
	SELECT seq FROM alerts UNION SELECT seq FROM dailies) WHERE seq > $last")
[ "$next" = $((last + 6)) ] || fail "after the reservation: seq $next, not $((last + 6))"

# The will: a gateway that dies without a word is reported offline.
"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --speed 1 --duration 1h \
	--start 2026-11-24T10:00:00Z --db "$GS_TMP/will.db" 2>"$GS_TMP/will.log" &
gw=$!
GS_PIDS+=("$gw")
for _ in $(seq 1 100); do
	grep -q "connected to" "$GS_TMP/will.log" && break
	sleep 0.1
done
sleep 0.5
kill -KILL "$gw"
wait "$gw" 2>/dev/null || true
for _ in $(seq 1 100); do
	grep -q '"reason":"connection lost"' "$GS_TMP/received.txt" && break
	sleep 0.1
done

python3 "$here/mqtt_schema.py" "$GS_SOURCE_DIR/docs/asyncapi.yaml" \
	"$GS_TMP/received.txt" "$base" || fail "schema validation failed"
echo "ok: published messages match docs/asyncapi.yaml"
