# Shared by the integration tests: a private mosquitto on a free loopback
# port, a scratch directory, and assertions. Source it; it cleans up on exit.
set -euo pipefail

: "${GAPSENSE:?GAPSENSE must name the gapsense binary (ctest sets it)}"
: "${GS_SOURCE_DIR:?}"
GS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/gapsense-it.XXXXXX")
GS_PIDS=()

gs_cleanup() {
	local pid
	for pid in "${GS_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${GS_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	# GS_KEEP_TMP=1 keeps the files for a look after a failure.
	[ -n "${GS_KEEP_TMP:-}" ] && echo "kept: $GS_TMP" >&2 || rm -rf "$GS_TMP"
}
trap gs_cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# A TCP port nobody listens on now (the kernel picks it).
gs_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until something listens on 127.0.0.1:$1 (at most ~10 s).
gs_wait_port() {
	local i
	for i in $(seq 1 200); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	fail "nothing listens on port $1"
}

# Starts mosquitto on a free port; sets MQTT_PORT and MOSQ_PID. Extra
# config lines may be passed as arguments.
gs_start_broker() {
	MQTT_PORT=${MQTT_PORT:-$(gs_free_port)}
	local conf="$GS_TMP/mosquitto-$MQTT_PORT.conf"
	{
		echo "listener $MQTT_PORT 127.0.0.1"
		echo "allow_anonymous true"
		echo "persistence false"
		local line
		for line in "$@"; do echo "$line"; done
	} >"$conf"
	mosquitto -c "$conf" >"$GS_TMP/mosquitto-$MQTT_PORT.log" 2>&1 &
	MOSQ_PID=$!
	GS_PIDS+=("$MOSQ_PID")
	gs_wait_port "$MQTT_PORT"
}

gs_stop_broker() {
	kill "$MOSQ_PID" 2>/dev/null || true
	wait "$MOSQ_PID" 2>/dev/null || true
}

# Writes a config for the simulated store to $1, broker on MQTT_PORT,
# database $2.
gs_write_sim_config() {
	sed -e "s|@PORT@|${MQTT_PORT:-1883}|" -e "s|@DB@|$2|" \
		"$GS_SOURCE_DIR/deploy/simulated-store.conf.in" >"$1"
}
