#!/usr/bin/env bash
# Issue 5, MQTT 5 sessions: every connection starts clean and its session
# ends with it (no session expiry). So the broker keeps nothing for a
# gateway that is gone: a command published at QoS 1 while it is away gets PUBACK 0x10
# "no matching subscribers" at once instead of being queued into a
# session that the next clean start would throw away.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")

gs_start_broker "log_type all"
db="$GS_TMP/gapsense.db"
python3 "$here/mqtt_conf.py" "$GS_SOURCE_DIR/deploy/simulated-store.conf.in" \
	"$GS_TMP/gapsense.conf" "$MQTT_PORT" "$db" gateway.window=1m \
	mqtt.protocol=5
base=gapsense/v1/sim-store/demo-1

# Not $base/#: this subscriber must not match the command topic itself.
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "$base/status" \
	-t "$base/cmd/reply" -v \
	>>"$GS_TMP/received.txt" 2>"$GS_TMP/sub.log" &
GS_PIDS+=($!)

"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --db "$db" --speed 60 --duration 3h \
	--start 2026-11-23T08:00:00Z --seed 5 2>"$GS_TMP/gapsense.log" &
gw=$!
GS_PIDS+=("$gw")

# What a cloud sees: the reason code of the broker's PUBACK.
puback() {
	mosquitto_pub -V 5 -q 1 -d -h 127.0.0.1 -p "$MQTT_PORT" \
		-t "$base/cmd" -m "{\"id\":\"$1\",\"cmd\":\"ping\"}" 2>&1 |
		sed -n 's/.*received PUBACK (Mid: [0-9]*, RC:\([0-9]*\)).*/\1/p'
}

# Connected and subscribed once a ping gets its reply.
for _ in $(seq 1 100); do
	grep -q '"id":"up-1","ok":true' "$GS_TMP/received.txt" && break
	puback up-1 >/dev/null
	sleep 0.2
done
grep -q '"id":"up-1","ok":true' "$GS_TMP/received.txt" ||
	fail "no reply to a ping: $(tail -5 "$GS_TMP/gapsense.log")"
grep -q "as gapsense-demo-1 (p5, c1," "$GS_TMP/mosquitto-$MQTT_PORT.log" ||
	fail "the gateway did not connect with MQTT 5 and clean start"
rc=$(puback online-1)
[ "$rc" = 0 ] || fail "PUBACK while the gateway is subscribed: RC $rc, want 0"

# MQTT 5 subscribes with "retain as published": a command published with
# retain is never run, not even live (docs/mqtt.md).
mosquitto_pub -V 5 -q 1 -h 127.0.0.1 -p "$MQTT_PORT" -t "$base/cmd" -r \
	-m '{"id":"kept-5","cmd":"ping"}'
mosquitto_pub -V 5 -q 1 -h 127.0.0.1 -p "$MQTT_PORT" -t "$base/cmd" \
	-m '{"id":"after-5","cmd":"ping"}'
for _ in $(seq 1 50); do
	grep -q '"id":"after-5"' "$GS_TMP/received.txt" && break
	sleep 0.1
done
mosquitto_pub -V 5 -q 1 -h 127.0.0.1 -p "$MQTT_PORT" -t "$base/cmd" -r -n
grep -q '"id":"after-5","ok":true' "$GS_TMP/received.txt" ||
	fail "no reply to the ping after the retained one"
! grep -q '"id":"kept-5"' "$GS_TMP/received.txt" ||
	fail "a retained command ran (MQTT 5, published live)"
for _ in $(seq 1 30); do
	grep -q "1 retained message(s) on $base/cmd ignored" "$GS_TMP/gapsense.log" && break
	sleep 0.1
done
grep -q "1 retained message(s) on $base/cmd ignored" "$GS_TMP/gapsense.log" ||
	fail "the ignored retained command was not logged"

# Gone without a word: the broker publishes the will, and keeps no session.
kill -KILL "$gw"
wait "$gw" 2>/dev/null || true
for _ in $(seq 1 50); do
	grep -q '"reason":"connection lost"' "$GS_TMP/received.txt" && break
	sleep 0.1
done
grep -q '"reason":"connection lost"' "$GS_TMP/received.txt" ||
	fail "no will after the gateway vanished"
rc=$(puback offline-1)
[ "$rc" = 16 ] ||
	fail "PUBACK while the gateway is away: RC $rc, want 16 (no matching subscribers): the broker kept its session"
echo "ok: clean start, no session kept: a command to an absent gateway gets PUBACK 0x10; a retained command is ignored"
