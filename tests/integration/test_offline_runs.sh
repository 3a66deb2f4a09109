#!/usr/bin/env bash
# Issue 9 §5: simulate, replay and --print need no state directory unless
# --db asks for one (a temporary store, removed at exit), and a run that
# ends with messages the broker never acknowledged is a failure (exit 75)
# that keeps and names the store holding them: after --drain-timeout, after
# SIGTERM, and by default (30 s) instead of waiting for ever.
. "$(dirname "$0")/lib.sh"
export TMPDIR=$GS_TMP/tmp
mkdir -p "$TMPDIR"
state=$GS_TMP/state # must never be created
sed -e "s|^database = .*|database = $state/gapsense.db|" \
	"$GS_SOURCE_DIR/deploy/gapsense.conf.example" >"$GS_TMP/example.conf"
grep -q "^database = $state/" "$GS_TMP/example.conf" || fail "cannot point the example's database elsewhere"

"$GAPSENSE" simulate -c "$GS_TMP/example.conf" --speed 0 --duration 2h \
	--print >"$GS_TMP/example.jsonl" 2>"$GS_TMP/example.log" ||
	fail "simulate of the shipped example: exit $?: $(tail -2 "$GS_TMP/example.log")"
[ -s "$GS_TMP/example.jsonl" ] || fail "the example's simulation printed nothing"
[ ! -e "$state" ] || fail "simulate --print created the state directory"
[ -z "$(ls -A "$TMPDIR")" ] || fail "the temporary store was left behind: $(ls "$TMPDIR")"
echo "ok   simulate --print of the example: $(wc -l <"$GS_TMP/example.jsonl") messages, no state directory, nothing left"

# No broker at all: port 1 refuses at once.
sed -e "s|@PORT@|1|" -e "s|@DB@|$state/gapsense.db|" \
	"$GS_SOURCE_DIR/deploy/simulated-store.conf.in" >"$GS_TMP/nobroker.conf"
"$GAPSENSE" simulate -c "$GS_TMP/nobroker.conf" --speed 0 --duration 1h \
	--start 2026-11-23T09:00:00Z --record "$GS_TMP/hour.csv" --print >/dev/null 2>&1 ||
	fail "simulate --record failed"

# kept LOG: the store named as kept exists and holds the messages.
kept() {
	local db
	db=$(sed -n 's/.*notice: kept \(.*\.db\) with the undelivered messages.*/\1/p' "$1")
	[ -n "$db" ] || fail "$1: no kept store named: $(tail -3 "$1")"
	[ -f "$db" ] || fail "$1: names $db, which does not exist"
	n=$(sqlite3 "$db" 'SELECT count(*) FROM outbox')
	[ "$n" -gt 0 ] || fail "$db keeps no message"
	echo "$db ($n messages)"
}

# The default drain timeout runs meanwhile (30 s).
start=$SECONDS
"$GAPSENSE" replay -c "$GS_TMP/nobroker.conf" "$GS_TMP/hour.csv" \
	2>"$GS_TMP/default.log" &
default_pid=$!
GS_PIDS+=("$default_pid")

rc=0
"$GAPSENSE" replay -c "$GS_TMP/nobroker.conf" "$GS_TMP/hour.csv" \
	--drain-timeout 1s 2>"$GS_TMP/timeout.log" || rc=$?
[ "$rc" -eq 75 ] || fail "replay with no broker, --drain-timeout 1s: exit $rc, not 75"
grep -q "did not acknowledge" "$GS_TMP/timeout.log" || fail "no reason given: $(tail -3 "$GS_TMP/timeout.log")"
echo "ok   --drain-timeout 1s: exit 75, kept $(kept "$GS_TMP/timeout.log")"

"$GAPSENSE" replay -c "$GS_TMP/nobroker.conf" "$GS_TMP/hour.csv" \
	2>"$GS_TMP/term.log" &
pid=$!
for _ in $(seq 50); do grep -q "input done" "$GS_TMP/term.log" && break; sleep 0.1; done
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 75 ] || fail "replay stopped by SIGTERM with nothing published: exit $rc, not 75"
grep -q "stopped with [0-9]* messages the broker has not acknowledged" "$GS_TMP/term.log" ||
	fail "SIGTERM: no message: $(tail -3 "$GS_TMP/term.log")"
echo "ok   SIGTERM: exit 75, kept $(kept "$GS_TMP/term.log")"

rc=0
wait "$default_pid" || rc=$?
took=$((SECONDS - start))
[ "$rc" -eq 75 ] || fail "replay with no broker by default: exit $rc, not 75"
[ "$took" -lt 60 ] || fail "replay by default waited $took s"
echo "ok   default: gave up after $took s with exit 75, kept $(kept "$GS_TMP/default.log")"
[ ! -e "$state" ] || fail "a replay created the state directory"
echo "ok: offline runs"
