#!/usr/bin/env bash
# Issue 5: never stall silently. A broker that accepts the connection but
# never acknowledges a publish: after ack_timeout the gateway drops the
# connection, says so, and connects again; nothing leaves the outbox.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")

MQTT_PORT=$(gs_free_port)
python3 "$here/mqtt_stall.py" "$MQTT_PORT" "$GS_TMP/connections.log" &
GS_PIDS+=($!)
gs_wait_port "$MQTT_PORT"
db="$GS_TMP/gapsense.db"
python3 "$here/mqtt_conf.py" "$GS_SOURCE_DIR/deploy/simulated-store.conf.in" \
	"$GS_TMP/gapsense.conf" "$MQTT_PORT" "$db" mqtt.ack_timeout=1s \
	mqtt.reconnect_min=100ms mqtt.reconnect_max=1s

rc=0
"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --db "$db" --speed 0 --duration 2h \
	--start 2026-11-23T08:00:00Z --drain-timeout 8s 2>"$GS_TMP/gapsense.log" || rc=$?
[ "$rc" -eq 75 ] || fail "expected exit 75 (nothing acknowledged), got $rc"
grep -q "no acknowledgement for .* dropping the connection" "$GS_TMP/gapsense.log" ||
	fail "no ack-timeout line: $(grep mqtt "$GS_TMP/gapsense.log" | tail -5)"
n=$(wc -l <"$GS_TMP/connections.log")
[ "$n" -ge 3 ] || fail "the gateway connected $n times; it should keep trying"
pending=$(sqlite3 "$db" 'SELECT count(*) FROM outbox')
[ "$pending" -gt 0 ] || fail "messages left the outbox without a PUBACK"
echo "ok: $(grep -m1 'no acknowledgement' "$GS_TMP/gapsense.log"); $n connections; $pending messages kept"
