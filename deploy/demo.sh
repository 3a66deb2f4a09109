#!/usr/bin/env bash
# The quick start's first command: installs what is needed, builds, starts a
# private mosquitto on a free loopback port, runs the gateway on a simulated
# store and prints the metrics as they arrive at the broker. Ends by itself
# after the simulated hours, or on Ctrl-C.
#
#   deploy/demo.sh [--hours N] [--speed N]
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
hours=4
speed=720
while [ $# -gt 0 ]; do
	case "$1" in
	--hours) hours=$2; shift 2 ;;
	--speed) speed=$2; shift 2 ;;
	*) echo "usage: $0 [--hours N] [--speed N]" >&2; exit 64 ;;
	esac
done

"$src/deploy/install-deps.sh" build test
build="$src/build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target gapsense >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/gapsense-demo.XXXXXX")
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' \
	"$port" >"$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done

sed -e "s|@PORT@|$port|" -e "s|@DB@|$work/gapsense.db|" \
	"$src/deploy/simulated-store.conf.in" >"$work/gapsense.conf"

# The subscriber: one line per metrics window or alert.
mosquitto_sub -h 127.0.0.1 -p "$port" -t 'gapsense/v1/#' -v |
	python3 -u "$src/deploy/demo-subscriber.py" &
pids+=($!)
sleep 0.5

echo "gapsense demo: broker on 127.0.0.1:$port, simulating $hours h of a shop at ${speed}x"
"$build/gapsense" simulate -c "$work/gapsense.conf" --speed "$speed" \
	--duration "${hours}h" --start "$(date -u +%Y-%m-%d)T07:00:00Z"
sleep 1
windows=$(sqlite3 "$work/gapsense.db" 'SELECT count(*) FROM windows' 2>/dev/null || echo "?")
echo "gapsense demo: done; $windows windows stored in $work/gapsense.db, all acknowledged by the broker"
