#!/usr/bin/env bash
# Alert latency: from the edge that triggers an alert (or, for a timer
# alert, the instant it falls due) to its arrival at a subscriber of a
# private loopback mosquitto. Issue 4's target: p99 under 50 ms.
#
#   bench/bench_alert_latency.sh [BUILD_DIR]      (about 100 s)
#   MIN_BREAK=0ms bench/bench_alert_latency.sh ... the doors' min_break
#                                                  (default 30ms)
#
# What is measured: `gapsense simulate` runs the daemon's whole pipeline
# (decode stage, metrics engine, SQLite outbox with its commit per alert,
# the MQTT client at QoS 1) on edges that the simulated store hands over
# when their virtual time comes up: virtual t is read at wall time
# T0 + (t - start) / speed. The alert's `time` field is the triggering
# edge (sensor_fault: activation + fault_after), so the subscriber can
# tell how late each alert arrives; bench/alert_latency.py explains the
# time origin T0. Two phases, each shop tuned so alerts are frequent:
#
#  A "doors", speed 1 (real time, 50 s): 24 crowded beam-pair doors with
#    fault_after = 1s. Merged breaks longer than 1 s raise sensor_fault
#    (timer: due at activation + 1 s) and their clearing edge raises
#    sensor_recovered (edge). Real time matters here: every edge of every
#    sensor queues behind a beam activation younger than min_break (30 ms,
#    sensors/decode.c), a wait that a faster speed would shrink.
#  B "terminals", speed 90 (60 virtual minutes in 40 s): 30 smiley
#    terminals and a queue, no beams (so nothing in the pipeline waits in
#    virtual time and the speed-up does not shorten any wait); the press
#    completing a burst raises discontent_burst (edge), a serve can raise
#    queue_wait_high (edge). Customers only press after browsing for
#    minutes, which is why this phase cannot run in real time here.
#
# `gapsense run` takes the same path from the decode stage on; there the
# decoder goes up to the clock at every read and at a timer armed for its
# next deadline + 1 ms (gateway/gateway_time.c, gw_arm_tick), where simulate
# advances at the simulator's reads (its next action, at most 100 ms apart):
# on a quiet site simulate can raise a timer alert later than run would.
# docs/metrics.md, "Alert latency", has the figures and their causes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
bin=$build/gateway/gapsense
[ -x "$bin" ] || bin=$build/gapsense
export GAPSENSE=$bin GS_SOURCE_DIR=$here/..
. "$here/../tests/integration/lib.sh"
command -v mosquitto_sub >/dev/null || fail "mosquitto_sub is missing (mosquitto-clients)"

gs_start_broker

# $1 config file, $2 gateway id, $3 beam doors, $4 smiley terminals,
# $5 fault_after; the [alerts] thresholds are short so alerts are frequent.
write_config() {
	local line=2 i
	{
		cat <<-EOF
			[gateway]
			id = $2
			site = bench
			timezone = Europe/Berlin
			window = 15m

			[storage]
			database = $GS_TMP/$2.db
			commit_interval = 500ms

			[mqtt]
			broker = mqtt://127.0.0.1:$MQTT_PORT

			[alerts]
			burst_window = 1m
			burst_min = 2
			burst_share = 50
			queue_window = 1m

			[sensor "till-queue"]
			type = queue
			chip = gpiochip0
			lines = 0, 1
			target_wait = 1s
			fault_after = $5
		EOF
		for ((i = 0; i < $3; i++)); do
			printf '\n[sensor "door-%d"]\ntype = beam_pair\nchip = gpiochip0\n' "$i"
			printf 'lines = %d, %d\nactive_low = true\nfault_after = %s\n' \
				"$line" $((line + 1)) "$5"
			[ -z "${MIN_BREAK:-}" ] || echo "min_break = $MIN_BREAK"
			line=$((line + 2))
		done
		for ((i = 0; i < $4; i++)); do
			printf '\n[sensor "smiley-%d"]\ntype = smiley\nchip = gpiochip0\n' "$i"
			printf 'lines = %d, %d, %d, %d\nactive_low = true\nfault_after = %s\n' \
				"$line" $((line + 1)) $((line + 2)) $((line + 3)) "$5"
			line=$((line + 4))
		done
	} >"$1"
	"$GAPSENSE" check-config "$1" >/dev/null
}

# $1 label, $2 gateway id, then the simulation's options.
phase() {
	local label=$1 id=$2
	shift 2
	python3 "$here/alert_latency.py" run --gapsense "$GAPSENSE" \
		--config "$GS_TMP/$id.conf" --port "$MQTT_PORT" \
		--topic "gapsense/v1/bench/$id" --label "$label" \
		--samples "$GS_TMP/samples" "$@"
}

write_config "$GS_TMP/bench-doors.conf" bench-doors 24 0 1s
write_config "$GS_TMP/bench-terminals.conf" bench-terminals 0 30 1d

echo "alert latency, triggering edge (timer: due instant) -> loopback subscriber"
phase "A doors, speed 1, 50 s" bench-doors --speed 1 \
	--start 2026-11-23T12:30:00Z --duration 50s --customers 3000000
phase "B terminals, speed 90, 60 min" bench-terminals --speed 90 \
	--start 2026-11-23T12:00:00Z --duration 60m --customers 150000
python3 "$here/alert_latency.py" summary "$GS_TMP/samples"
