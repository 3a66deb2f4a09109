#!/usr/bin/env bash
# Issue 5: commands from the cloud. Every malformed input gets an error
# reply naming the problem, valid ones run once per id, resend republishes
# stored windows with their original seq, and the gateway keeps running.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")

gs_start_broker
db="$GS_TMP/gapsense.db"
python3 "$here/mqtt_conf.py" "$GS_SOURCE_DIR/deploy/simulated-store.conf.in" \
	"$GS_TMP/gapsense.conf" "$MQTT_PORT" "$db" gateway.window=1m
base=gapsense/v1/sim-store/demo-1

mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "$base/#" -v \
	>>"$GS_TMP/received.txt" 2>"$GS_TMP/sub.log" &
GS_PIDS+=($!)

# One virtual minute (one window) per second, for longer than the test.
"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --speed 60 --duration 3h \
	--start 2026-11-23T08:00:00Z --seed 3 2>"$GS_TMP/gapsense.log" &
gw=$!
GS_PIDS+=("$gw")

for _ in $(seq 1 100); do
	[ "$(sqlite3 "$db" 'SELECT count(*) FROM windows' 2>/dev/null || echo 0)" -ge 4 ] && break
	sleep 0.1
done
grep -q '"state":"online"' "$GS_TMP/received.txt" || fail "no online status"

python3 "$here/mqtt_cmds.py" "$MQTT_PORT" "$base" "$GS_TMP/received.txt" "$db" ||
	fail "command checks failed; gateway log: $(tail -20 "$GS_TMP/gapsense.log")"

kill -0 "$gw" || fail "the gateway died"
grep -q "mqtt: command .* refused" "$GS_TMP/gapsense.log" ||
	fail "refused commands were not logged"
kill -TERM "$gw"
wait "$gw" || fail "the gateway exited $? on SIGTERM"
status=$(mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t "$base/status" -C 1 -W 5)
case "$status" in
*'"state":"offline"'*'"reason":"shutdown"'*) ;;
*) fail "retained status after a clean stop: $status" ;;
esac
echo "ok: commands validated, gateway alive, offline status retained"
