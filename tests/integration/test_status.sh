#!/usr/bin/env bash
# Issue 10 §4: `gapsense status` while the daemon runs and when it does not
# (exit codes 0 ok, 1 degraded, 3 not running, 4 unknown; --json), STATUS=
# lines for systemd sent only when they change (a NOTIFY_SOCKET of our own),
# and status ages in event time in a simulation.
source "$(dirname "$0")/lib.sh"

gs_start_broker
db=$GS_TMP/gapsense.db
gs_write_sim_config "$GS_TMP/gapsense.conf" "$db"
st() { local rc=0; "$GAPSENSE" status -c "$GS_TMP/gapsense.conf" "$@" || rc=$?; echo "rc=$rc"; }

out=$(st)
[ "${out##*rc=}" = 4 ] || fail "no database yet: expected exit 4, got: $out"

# STATUS= lines: a datagram socket standing in for systemd's.
python3 - "$GS_TMP/notify.sock" >"$GS_TMP/notify.txt" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
try:
    while True:
        msg = s.recv(4096).decode()
        for line in msg.split("\n"):
            if line.startswith("STATUS="):
                print(line, flush=True)
except socket.timeout:
    pass
PY
GS_PIDS+=($!)
for _ in $(seq 100); do [ -S "$GS_TMP/notify.sock" ] && break; sleep 0.05; done

# A year-old simulated day: ages must be in event time, not 365 days.
NOTIFY_SOCKET=$GS_TMP/notify.sock "$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --db "$db" \
	--speed 600 --duration 2h --start 2025-11-23T08:00:00Z --seed 4 \
	2>"$GS_TMP/sim.log" &
sim=$!
GS_PIDS+=("$sim")
sleep 3
out=$(st)
echo "$out"
[ "${out##*rc=}" = 0 ] || fail "running with the broker up: expected 0: $out"
grep -q "^summary: *connected; [0-9]* waiting; 5 sensors ok" <<<"$out" ||
	fail "no summary line"
grep -Eq "^output: +lamp +(off|blink)$" <<<"$out" || fail "no output line"
json=$(st --json)
python3 - "${json%rc=*}" <<'PY' || fail "status --json"
import json, sys
j = json.loads(sys.argv[1])
assert j["state"] == "running", j["state"]
d = j["daemon"]
assert d["broker"]["connected"] is True and d["mode"] == "simulate", d
assert len(d["sensors"]) == 5 and not any(s["faulted"] for s in d["sensors"])
assert [o["name"] for o in d["outputs"]] == ["lamp"], d["outputs"]
assert d["outputs"][0]["state"] in ("off", "blink"), d["outputs"]
assert j["free_bytes"] > 0 and j["database_bytes"] > 0
PY
# The broker goes: degraded (exit 1), and systemd hears of it.
gs_stop_broker
sleep 2.5
out=$(st)
[ "${out##*rc=}" = 1 ] || fail "broker away: expected 1 (degraded): $out"
grep -q "^broker: *not connected since" <<<"$out" || fail "broker line: $out"
gs_start_broker
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t gapsense/v1/sim-store/demo-1/status \
	-W 10 >"$GS_TMP/status.jsonl" 2>/dev/null &
sub=$!
GS_PIDS+=("$sub")
wait "$sim" || fail "simulate exited $?: $(tail -3 "$GS_TMP/sim.log")"
out=$(st)
[ "${out##*rc=}" = 3 ] || fail "after the run: expected 3 (not running): $out"
grep -q "^store: .* last window 2025-11-23T09:45:00Z" <<<"$out" || fail "store line: $out"
wait "$sub" || true
python3 - "$GS_TMP/status.jsonl" <<'PY' || fail "status message ages"
import json, sys
ages = [json.loads(l)["outbox"]["oldest_pending_age_s"] for l in open(sys.argv[1])
        if '"online"' in l]
assert ages, "no online status after the reconnection"
# A year-old simulated day: event time, so hours at most, not a year.
assert all(a is None or a < 86400 for a in ages), ages
print("status ages after the outage:", ages)
PY
cat "$GS_TMP/notify.txt"
grep -q "^STATUS=connected; [0-9]* waiting; 5 sensors ok$" "$GS_TMP/notify.txt" ||
	fail "no STATUS= line for a connected unit"
grep -q "^STATUS=broker not connected" "$GS_TMP/notify.txt" ||
	fail "no STATUS= line for the broker away"
n=$(wc -l <"$GS_TMP/notify.txt")
[ "$n" -le 12 ] || fail "STATUS= sent $n times: not only on change"
# No repeat of the same line twice in a row.
[ -z "$(uniq -d "$GS_TMP/notify.txt")" ] || fail "STATUS= repeated unchanged"
echo "ok: status exit codes 4/0/1/3, --json, $n STATUS= lines"
