#!/usr/bin/env bash
# Issue 5: the broker is stopped for longer than the live grace in the
# middle of a simulation and started again on the same port. Every seq
# must arrive, first arrivals in seq order within each lane, the backlog
# marked historical and drained at the configured rate; duplicates only
# for what was in flight when the connection dropped. The grace is 2 s
# here ([mqtt] live_grace), so the outage lasts 4 s, not the 13 s that
# the default 10 s needed; test_sync_clock covers the default on a clock
# it drives.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")

persist=("persistence true" "persistence_location $GS_TMP/" "autosave_interval 1")
gs_start_broker "${persist[@]}"
db="$GS_TMP/gapsense.db"
python3 "$here/mqtt_conf.py" "$GS_SOURCE_DIR/deploy/simulated-store.conf.in" \
	"$GS_TMP/gapsense.conf" "$MQTT_PORT" "$db" gateway.window=1m \
	mqtt.reconnect_min=200ms mqtt.reconnect_max=2s mqtt.ack_timeout=5s \
	mqtt.drain_rate=20 mqtt.keepalive=2s mqtt.live_grace=2s

# A persistent session in a persistent broker: the subscriber misses
# nothing across the broker's restart. Each line starts with its arrival
# time, to time the drain.
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i gs-outage-sub -q 1 \
	-t 'gapsense/v1/#' -F '%U %t %p' >>"$GS_TMP/received.txt" \
	2>"$GS_TMP/sub.log" &
GS_PIDS+=($!)
sleep 0.5

"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --db "$db" --speed 300 --duration 80m \
	--start 2026-11-23T08:00:00Z --seed 11 --drain-timeout 90s \
	2>"$GS_TMP/gapsense.log" &
gw=$!
GS_PIDS+=("$gw")

sleep 5
gs_stop_broker
echo "broker stopped at $(date +%T)"
sleep 4
gs_start_broker "${persist[@]}"
echo "broker started again at $(date +%T)"

wait "$gw" || fail "simulate exited $?: $(tail -5 "$GS_TMP/gapsense.log")"
grep -q "connection to .* lost" "$GS_TMP/gapsense.log" ||
	fail "the gateway did not notice the outage"
grep -q "connected to .* again" "$GS_TMP/gapsense.log" ||
	fail "the gateway did not log its reconnection"

# The backlog went out at drain_rate (20/s), not all at once, with live
# messages in between. The token bucket's burst is drain_rate / 10 = 2
# (at most inflight; sync_lanes.c, gs_sync_refill).
python3 "$here/mqtt_check.py" --received "$GS_TMP/received.txt" --db "$db" \
	--timeout 30 --expect-historical --max-dup 16 --stamped \
	--drain-rate 20 --drain-burst 2 ||
	fail "delivery check failed"
grep -E "mqtt" "$GS_TMP/gapsense.log" | head -20
echo "ok: outage survived"
