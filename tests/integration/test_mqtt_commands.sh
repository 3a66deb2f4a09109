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

# A retained command waits on the broker: the gateway gets it at its
# subscription, as at every reconnect, and must never run it.
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "$base/cmd" -r \
	-m '{"id": "kept-1", "cmd": "ping"}'

# One virtual minute (one window) per second, for longer than the test.
"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --db "$db" --speed 60 --duration 3h \
	--start 2026-11-23T08:00:00Z --seed 3 2>"$GS_TMP/gapsense.log" &
gw=$!
GS_PIDS+=("$gw")

for _ in $(seq 1 100); do
	[ "$(sqlite3 "$db" 'SELECT count(*) FROM windows' 2>/dev/null || echo 0)" -ge 4 ] && break
	sleep 0.1
done
grep -q '"state":"online"' "$GS_TMP/received.txt" || fail "no online status"

python3 "$here/mqtt_cmds.py" "$MQTT_PORT" "$base" "$GS_TMP/received.txt" "$db" \
	"$GS_TMP/burst.txt" ||
	fail "command checks failed; gateway log: $(tail -20 "$GS_TMP/gapsense.log")"

kill -0 "$gw" || fail "the gateway died"
grep -q "mqtt: command .* refused" "$GS_TMP/gapsense.log" ||
	fail "refused commands were not logged"
kill -TERM "$gw"
wait "$gw" || fail "the gateway exited $? on SIGTERM"
# The burst: what got no reply was ignored or its refusal had no place,
# and the log counts every one of them, in a few lines (rate-limited).
read -r _ _ unanswered <"$GS_TMP/burst.txt"
logged=$(sed -n -e 's/.*mqtt: \([0-9]*\) command(s) ignored (not run, no reply).*/\1/p' \
	-e 's/.*mqtt: \([0-9]*\) refusal(s) not sent.*/\1/p' "$GS_TMP/gapsense.log" |
	awk '{ s += $1 } END { print s + 0 }')
[ "$logged" -eq "$unanswered" ] ||
	fail "$unanswered burst commands got no reply, the log accounts for $logged"
flood_lines=$(grep -cE "command\(s\) ignored|refusal\(s\) not sent" "$GS_TMP/gapsense.log" || true)
[ "$flood_lines" -le 6 ] || fail "the flood was logged in $flood_lines lines"
grep -q "mqtt: 1 retained message(s) on $base/cmd ignored" "$GS_TMP/gapsense.log" ||
	fail "the retained command was not logged"
status=$(mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t "$base/status" -C 1 -W 5)
case "$status" in
*'"state":"offline"'*'"reason":"shutdown"'*) ;;
*) fail "retained status after a clean stop: $status" ;;
esac
echo "ok: commands validated, gateway alive, offline status retained"
