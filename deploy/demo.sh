#!/usr/bin/env bash
# The quick start's first command: installs what is needed, builds, starts a
# private mosquitto on a free loopback port, runs the gateway on a simulated
# store and prints the metrics as they arrive at the broker. Ends by itself
# once the simulated hours are published and every message has reached the
# subscriber (or after a bounded wait that says what is missing), or on
# Ctrl-C; either way no process and no temporary file is left behind.
#
#   deploy/demo.sh [--hours N] [--speed N] [--from HH:MM] [--seed N]
#
# By default four hours from 15:00 UTC: the afternoon and the evening rush,
# when the queue runs long, customers' feedback turns (discontent bursts,
# queue alerts) and the quadrant moves through all four.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
hours=4
speed=720
from=15:00
# A day (the same whatever the date) with all the demo is about: two
# discontent bursts, a queue alert, and every quadrant.
seed=10
usage="usage: $0 [--hours N] [--speed N] [--from HH:MM] [--seed N]
Runs the gateway on a simulated shop for N hours (default $hours) of shop
time from HH:MM UTC (default $from), N times faster than real time (default
$speed), and shows what a cloud service receives, as a shop owner would read
it. --seed N picks another simulated day (default $seed)."
bad() {
	echo "$0: $*" >&2
	echo "$usage" >&2
	exit 64
}
# Every argument is checked here, before anything is installed or built.
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) echo "$usage"; exit 0 ;;
	--hours | --speed | --from | --seed)
		[ $# -ge 2 ] || bad "$1 needs a value"
		case "$1" in
		--hours) hours=$2 ;;
		--speed) speed=$2 ;;
		--from) from=$2 ;;
		--seed) seed=$2 ;;
		esac
		shift 2 ;;
	*) bad "unknown argument '$1'" ;;
	esac
done
[[ $hours =~ ^[0-9]+$ ]] && [ "$hours" -ge 1 ] && [ "$hours" -le 24 ] ||
	bad "--hours $hours: expected a whole number of hours, 1 to 24"
[[ $speed =~ ^[0-9]+$ ]] && [ "$speed" -ge 1 ] ||
	bad "--speed $speed: expected a whole number, 1 or more (times real time)"
[[ $seed =~ ^[0-9]+$ ]] || bad "--seed $seed: expected a whole number"
[[ $from =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]] ||
	bad "--from $from: expected a time of day, HH:MM (UTC)"

"$src/deploy/install-deps.sh" build test
build="$src/build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target gapsense >/dev/null
gapsense="$build/gateway/gapsense"

work=$(mktemp -d "${TMPDIR:-/tmp}/gapsense-demo.XXXXXX")
pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
# Ctrl-C (or SIGTERM) ends the script and cleanup stops the rest; while the
# gateway runs, it stops the gateway cleanly instead (below).
trap 'exit 130' INT TERM

die() {
	echo "gapsense demo: $*" >&2
	exit 1
}

# Polls "$@" every 0.1 s for at most $1 seconds.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' \
	"$port" >"$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
pids+=($!)
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
wait_for 10 listening ||
	die "mosquitto does not listen on port $port: $(tail -3 "$work/mosquitto.log")"

db="$work/gapsense.db"
sed -e "s|@PORT@|$port|" -e "s|@DB@|$db|" \
	"$src/deploy/simulated-store.conf.in" >"$work/gapsense.conf"

# The gateway's own log goes to a file, so that it does not cut through
# the table; it outlives the demo for a look afterwards.
log=${TMPDIR:-/tmp}/gapsense-demo.log
echo "gapsense demo: a simulated shop, $hours h from $from UTC at ${speed}x real time."
echo "The gateway publishes to a private broker (127.0.0.1:$port); below is what a"
echo "subscriber receives. The gateway's own log goes to $log."
echo

# The subscriber: one line per metrics window, alert or status. mosquitto_sub
# and the formatter are two processes joined by a FIFO, so that each has a
# pid of its own to stop. A retained probe published beforehand proves that
# the subscription is in place before the gateway sends its first message.
probe=gapsense-demo/ready
mosquitto_pub -h 127.0.0.1 -p "$port" -q 1 -r -t "$probe" -m ready
mkfifo "$work/sub.fifo"
mosquitto_sub -h 127.0.0.1 -p "$port" -q 1 -v -t 'gapsense/v1/#' \
	-t "$probe" >"$work/sub.fifo" 2>"$work/sub.log" &
pids+=($!)
tz=$(sed -n 's/^timezone = //p' "$work/gapsense.conf")
python3 -u "$src/deploy/demo-subscriber.py" --state "$work/sub.state" \
	--ready-topic "$probe" --timezone "$tz" --window 15 --target-wait 180 \
	<"$work/sub.fifo" &
pids+=($!)
# sub.state: ready metrics alerts status duplicates acks
received() { read -r ready metrics alerts status dups acks <"$work/sub.state"; }
sub_ready() { [ -s "$work/sub.state" ] && received && [ "$ready" = 1 ]; }
wait_for 10 sub_ready ||
	die "the subscriber did not get the probe: $(tail -3 "$work/sub.log")"

# The simulated shop is open 08:00-20:00 UTC (docs/scenario.md).
t0=$SECONDS
# simulate returns once the broker has acknowledged every message of the
# outbox, or with 75 (EX_TEMPFAIL) after its drain timeout (30 s). It runs
# in the background so that a signal reaches this script's trap at once
# (bash defers traps while a foreground command runs); the trap asks the
# gateway to stop, which it does cleanly, and the summary says so.
interrupted=false
trap 'interrupted=true; kill -TERM "$gw" 2>/dev/null || true' INT TERM
"$gapsense" simulate -c "$work/gapsense.conf" --db "$db" --speed "$speed" \
	--duration "${hours}h" --start "$(date -u +%Y-%m-%d)T$from:00Z" --seed "$seed" \
	2>"$log" &
gw=$!
pids+=("$gw")
while :; do
	rc=0
	wait "$gw" || rc=$?
	# Still there: the wait was cut short by the trap, not by its exit.
	kill -0 "$gw" 2>/dev/null || break
done
trap 'exit 130' INT TERM

# Acknowledged by the broker is not yet delivered to the subscriber: wait
# (boundedly) until it has every seq the store handed out.
query() { sqlite3 "$db" "$1"; }
windows=$(query 'SELECT count(*) FROM windows')
last_seq=$(query "SELECT coalesce((SELECT value FROM meta WHERE key = 'store.seq'), 0)")
pending=$(query 'SELECT count(*) FROM outbox')
want_alerts=$(query 'SELECT count(*) FROM alerts')
want_acks=$(query 'SELECT count(*) FROM acks')
all_arrived() {
	received && [ "$metrics" -ge "$windows" ] && [ "$alerts" -ge "$want_alerts" ] &&
		[ "$acks" -ge "$want_acks" ]
}
$interrupted || wait_for 10 all_arrived || true
received
secs=$((SECONDS - t0))

alerts_word=$([ "$want_alerts" -eq 1 ] && echo alert || echo alerts)
echo
if $interrupted; then
	echo "gapsense demo: interrupted after $secs s."
fi
echo "gapsense demo: the gateway stored $windows windows, $want_alerts $alerts_word and" \
	"$want_acks acknowledgements of the lamp;" \
	"$([ "$pending" -eq 0 ] && echo "the broker acknowledged all of them" ||
		echo "$pending of them are still waiting for the broker")."
echo "gapsense demo: the subscriber received $metrics windows, $alerts $alerts_word and $acks acknowledgements" \
	"(and $status status messages, which are not data) in $secs s." \
	"The gateway's log: $log"
$interrupted && exit 130
if [ "$rc" -ne 0 ]; then
	die "gapsense simulate exited $rc: $(tail -3 "$log")"
fi
if [ "$metrics" -ne "$windows" ] || [ "$alerts" -ne "$want_alerts" ] ||
	[ "$acks" -ne "$want_acks" ]; then
	die "expected $windows windows, $want_alerts alerts and $want_acks acknowledgements at the subscriber"
fi
# The day on one page, from the gateway's own store (gapsense report): it
# outlives the demo, like the log.
report=${TMPDIR:-/tmp}/gapsense-demo-report.html
if "$gapsense" report -c "$work/gapsense.conf" -o "$report" 2>>"$log"; then
	echo "gapsense demo: the day's report, one page to open in a browser: $report"
else
	echo "gapsense demo: the day report failed; see $log" >&2
fi
