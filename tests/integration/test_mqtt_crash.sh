#!/usr/bin/env bash
# Issue 5: the gateway is killed with SIGKILL at random moments, many times,
# and restarted on the same database. After a last clean run the
# subscriber must hold every seq exactly once after dedupe, with no gap,
# and the database must pass PRAGMA integrity_check. MQTT 5 here (the
# other delivery tests use 3.1.1).
#   GS_CRASH_KILLS (default 40) sets the number of kills.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
kills=${GS_CRASH_KILLS:-40}

gs_start_broker
db="$GS_TMP/gapsense.db"
python3 "$here/mqtt_conf.py" "$GS_SOURCE_DIR/deploy/simulated-store.conf.in" \
	"$GS_TMP/gapsense.conf" "$MQTT_PORT" "$db" gateway.window=1m \
	mqtt.reconnect_min=100ms mqtt.reconnect_max=1s mqtt.drain_rate=2000 \
	storage.commit_interval=100ms mqtt.protocol=5

mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i gs-crash-sub -q 1 \
	-t 'gapsense/v1/#' -v >>"$GS_TMP/received.txt" 2>"$GS_TMP/sub.log" &
GS_PIDS+=($!)
sleep 0.5

RANDOM=$$
# Days from today on: event time stays within the outbox age quota.
start=$(($(date -u +%s) / 86400 * 86400 + 8 * 3600))
for i in $(seq 1 "$kills"); do
	# Each run simulates its own day: windows never collide in the store.
	day=$(date -u -d "@$((start + i * 86400))" +%Y-%m-%dT%H:%M:%SZ)
	"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --db "$db" --speed 3000 \
		--duration 12h --start "$day" --seed "$i" \
		2>>"$GS_TMP/gapsense.log" &
	gw=$!
	# 50 ms .. 1.5 s: before the first connection, while publishing,
	# while committing.
	sleep "$(printf '0.%03d' $((RANDOM % 1000)))"
	[ $((RANDOM % 3)) -eq 0 ] && sleep 0.5
	kill -KILL "$gw" 2>/dev/null || true
	wait "$gw" 2>/dev/null || true
done
echo "killed the gateway $kills times"

# A last run that ends by itself once the broker acknowledged everything.
day=$(date -u -d "@$((start + (kills + 1) * 86400))" +%Y-%m-%dT%H:%M:%SZ)
"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --db "$db" --speed 0 --duration 1h \
	--start "$day" --seed 999 --drain-timeout 60s 2>>"$GS_TMP/gapsense.log" ||
	fail "the last run exited $?: $(tail -5 "$GS_TMP/gapsense.log")"

python3 - "$db" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
res = con.execute("PRAGMA integrity_check").fetchall()
assert res == [("ok",)], f"integrity_check: {res}"
pending = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
assert pending == 0, f"{pending} messages still in the outbox"
print("integrity_check: ok; outbox empty")
PY
python3 "$here/mqtt_check.py" --received "$GS_TMP/received.txt" --db "$db" \
	--timeout 30 || fail "delivery check failed"
echo "ok: $kills SIGKILLs, nothing lost"
