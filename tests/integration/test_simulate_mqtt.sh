#!/usr/bin/env bash
# Issue 2's end-to-end test: the real binary simulates a few hours of a shop
# and publishes to a real mosquitto; a subscriber must receive every window,
# in sequence order, with exactly the payload the store holds and with the
# counts that the store's events give when recounted per window.
. "$(dirname "$0")/lib.sh"

gs_start_broker
db="$GS_TMP/gapsense.db"
gs_write_sim_config "$GS_TMP/gapsense.conf" "$db"
topic="gapsense/v1/sim-store/demo-1/metrics"

# A persistent QoS 1 session queues everything published while the
# subscriber is away: no race with the gateway's first message.
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i gs-it-sub -q 1 -t "$topic" \
	-W 1 >/dev/null 2>&1 || true

"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --db "$db" --speed 0 --duration 3h \
	--start 2026-11-23T08:00:00Z --seed 7 2>"$GS_TMP/gapsense.log" ||
	fail "simulate exited $?: $(tail -5 "$GS_TMP/gapsense.log")"

n=$(sqlite3 "$db" 'SELECT count(*) FROM windows')
[ "$n" -ge 12 ] || fail "expected at least 12 windows in the store, found $n"
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i gs-it-sub -q 1 -t "$topic" \
	-C "$n" -W 20 >"$GS_TMP/received.jsonl" ||
	fail "the subscriber did not receive $n windows"

python3 - "$db" "$GS_TMP/received.jsonl" <<'PY'
import json, sqlite3, sys
db, received = sys.argv[1], sys.argv[2]
rows = sqlite3.connect(db).execute(
    "SELECT seq, payload FROM windows ORDER BY seq").fetchall()
msgs = [json.loads(l) for l in open(received)]
seqs = [m["seq"] for m in msgs]
assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), f"out of order: {seqs}"
assert [r[0] for r in rows] == seqs, f"store {[r[0] for r in rows]} != received {seqs}"
for (seq, payload), m in zip(rows, msgs):
    assert json.loads(payload) == m, f"seq {seq}: payload differs from the store"
starts = [m["window_start"] for m in msgs]
assert starts == sorted(starts), "windows out of time order"
total_in = sum(m["footfall"]["in"] for m in msgs)
assert total_in > 0, "a simulated shop with nobody coming in"
assert all(m["schema"] == "gapsense.metrics.v1" for m in msgs)
print(f"ok: {len(msgs)} windows, seq {seqs[0]}..{seqs[-1]}, {total_in} customers in")
PY

# The counts in each message against a recount of the events table.
python3 "$(dirname "$0")/window_recount.py" --config "$GS_TMP/gapsense.conf" \
	--db "$db" --received "$GS_TMP/received.jsonl" ||
	fail "the windows' counts differ from the events the store holds"
