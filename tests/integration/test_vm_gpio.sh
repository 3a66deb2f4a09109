#!/usr/bin/env bash
# The libgpiod backend against the real kernel GPIO character device:
# Debian's stock kernel under qemu with the gpio-sim driver (built as a
# module at test time: tests/vm/), the real gapsense binary inside the VM.
# It drives every sensor type (people in and out and a turn-back at the
# beam pair, a queue entry and till, smiley presses (one that bounces, one
# held), a staff terminal and a counter pulse) and checks what `gapsense
# wiring` and `gapsense run --print` make of them, on the libgpiod the
# build uses (deploy/test.sh runs it for 1.6 and 2.x); then alert outputs
# on a second bank, read back from gpio-sim: `wiring --output`, and the
# daemon lighting a lamp on a sensor fault until the ack button is
# pressed. ctest label: vm.
source "$(dirname "$0")/lib.sh"

vm=$GS_SOURCE_DIR/tests/vm
log=$GS_TMP/console.log
start=$(date +%s)
if ! "$vm/run-vm.sh" "$GAPSENSE" "$vm/gpio-test.sh" "$vm/gapsense-vm.conf.in" \
	>"$log" 2>&1; then
	cat "$log" >&2
	fail "the VM did not run to its end"
fi
echo "VM test: $(($(date +%s) - start)) s"
# Keep the transcript for people: the last run of each build.
cp "$log" "$GS_BUILD_DIR/vm-gpio-console.log" 2>/dev/null || true

section() { # the console between "=== $1" and the next "=== "
	tr -d '\r' <"$log" | awk -v s="=== $1" '$0 == s { on = 1; next } /^=== / { on = 0 } on'
}
expect() { # SECTION PATTERN [COUNT]: PATTERN (grep -E) occurs COUNT times
	local got
	got=$(section "$1" | grep -cE -- "$2" || true)
	if [ "$got" -ne "${3:-1}" ]; then
		section "$1" >&2
		fail "[$1] expected ${3:-1} line(s) matching '$2', got $got"
	fi
}

grep -q "^VM-EXIT: 0" <(tr -d '\r' <"$log") || {
	cat "$log" >&2
	fail "the script in the VM failed"
}
api=$(tr -d '\r' <"$log" | grep -o 'libgpiod [0-9.]*$' | head -n1 || true)
want=$(sed -n 's/^GPIOD_VERSION:INTERNAL=//p' "$GS_BUILD_DIR/CMakeCache.txt")
[ "$api" = "libgpiod $want" ] || fail "the VM ran '$api', the build has libgpiod $want"

# --- gapsense wiring ---------------------------------------------------
expect wiring "^wiring exit: 0$"
expect wiring "^  beam A +line DOOR_A +clear$"
# Broken when the view started: the state, then an edge at start.
expect wiring "^  entry beam +line 2 +broken$"
expect wiring "^  till beam +line 3 +clear$"
expect wiring "^  button 4 \(very happy\) +line BTN4 +released$"

expect wiring "^  counter output +line COUNT +idle$"
expect wiring "entrance: beam A broken$" 3
expect wiring "entrance: beam B broken$" 2
expect wiring "entrance: IN \(total 1\)$"
expect wiring "entrance: OUT \(total 1\)$"
expect wiring "entrance: (IN|OUT) \(total 2\)$" 0
expect wiring "till-queue: entry beam broken$" 2
expect wiring "till-queue: joined the queue \(in the queue now: 1\)$"
expect wiring "till-queue: joined the queue \(in the queue now: 2\)$"
expect wiring "till-queue: served at the till \(in the queue now: 1\)$"
expect wiring "smiley-exit: happy \(button 3\)$"
# Its press bounced (four changes within the 100 ms debounce): shown once, as `run`
# counts it, whichever libgpiod debounces.
expect wiring "smiley-exit: button 3 \(happy\) pressed$"
expect wiring "smiley-exit: button 3 \(happy\) released$"
expect wiring "staff: button 1 \(unhappy\) pressed$"
expect wiring "staff: unhappy \(button 1\)$"
expect wiring "^  staff: .* 1 presses, 0 faults$"
expect wiring "smiley-exit: very happy \(button 4\)$"
# Pressed 0.25 s after button 4: inside the 500 ms lockout.
expect wiring "smiley-exit: very unhappy \(button 1\) within the lockout"
# A counter with direction = in counts footfall.
expect wiring "counter: IN \(total 1\)$"
expect wiring "smiley-exit: FAULT: button 2 \(unhappy\) active for more than 1s"
expect wiring "smiley-exit: recovered: button 2 \(unhappy\) back to normal$"
expect wiring "^  entrance: 1 in, 1 out, 0 pulses"
expect wiring "^  smiley-exit: .* 4 presses, 1 faults$"

# --- clear errors --------------------------------------------------------
expect errors "sensor 'entrance': chip 'no-such-chip' not found; chips here: gpiochip[0-9]+ \[gapsense-sim, 12 lines\]"
expect errors "^bad chip exit: 78$"
expect errors "bad-line.conf:[0-9]+: sensor 'entrance': line 'DOOR_X' not found on gpiochip[0-9]+ \[gapsense-sim\]"
expect errors "sensor 'till-queue': line 40 does not exist: gpiochip[0-9]+ \[gapsense-sim\] has 12 lines \(0-11\)"

expect errors "sensor 'entrance': permission denied opening /dev/gpiochip[0-9]+: add user 'pi' to group 'gpio' \(sudo usermod -aG gpio pi, then log in again\)"
expect errors "^denied exit: 77$"
expect errors "^as pi in group gpio exit: 0$"

# --- the daemon ------------------------------------------------------------
expect run "sensor 'entrance': line DOOR_A \(gpiochip[0-9]+ offset 0\) is busy: the gapsense service is running and holds the lines: stop it with .systemctl stop gapsense. first"
expect run "^busy exit: 75$"
expect run "^run exit: 0$"
expect run "configuration reloaded$"
# [storage] sync_interval changes on a reload: the WAL's sync timer re-armed.
expect run "^sync timer before the reload: it_interval: \(7, 0\) $"
expect run "^sync timer after the reload: it_interval: \(3, 0\) $"
expect run "sensor 'entrance': line 'DOOR_X' not found"
expect run "reload rejected" 2
expect run '^\{"topic": "[^"]*/alerts", .*"type":"sensor_fault","sensor":"smiley-exit","details":\{"line":"BTN1"'
expect run '^\{"topic": "[^"]*/alerts", .*"type":"sensor_recovered","sensor":"smiley-exit"'
window=$(section run | grep -E '^\{"topic": "[^"]*/metrics"' | head -n1)
[ -n "$window" ] || { section run >&2; fail "no metrics window published"; }
python3 - "$window" <<'PY' || fail "the 09:00 window is wrong: $window"
import json, sys
m = json.loads(sys.argv[1])["payload"]
assert m["window_start"] == "2026-11-23T09:00:00Z", m["window_start"]
ent = m["sensors"]["entrance"]
assert (ent["in"], ent["out"]) == (2, 1), ent
# The counter (direction = in) adds its pulse to the footfall.
assert (m["footfall"]["in"], m["footfall"]["out"]) == (3, 1), m["footfall"]
fb = m["feedback"]
assert fb["responses"] == 3 and fb["counts"]["very_happy"] == 1, fb
sm = m["sensors"]["smiley-exit"]
assert sm["faults"] == 1, sm
# BTN4's press bounced: still one press, no misuse (debounce).
assert sm["misuse"] == 0, sm
q = m["sensors"]["till-queue"]
assert (q["joined"], q["served"], q["waits"]) == (1, 1, 1), q
assert m["queue"]["served"] == 1, m["queue"]
st = m["staff"]
assert st["responses"] == 1 and st["index"] == 100.0, st
assert m["sensors"]["staff"]["responses"] == 1, m["sensors"]["staff"]
PY
# --- a crash and a restart mid-window ---------------------------------------
expect restart "^killed exit: 137$"
expect restart "^restarted exit: 0$"
# Occupancy is the day's: two in and one out (and the counter's one in)
# in the run before, one in before the crash.
expect restart "restored the running state from [0-9]+ stored events \(occupancy 3\)"
window=$(section restart | grep -E '^\{"topic": "[^"]*/metrics"' || true)
[ "$(printf '%s\n' "$window" | grep -c .)" -eq 1 ] || {
	section restart >&2
	fail "expected exactly one metrics window after the restart"
}
python3 - "$window" <<'PY' || fail "the 09:01 window lost counts across the crash: $window"
import json, sys
m = json.loads(sys.argv[1])["payload"]
assert m["window_start"] == "2026-11-23T09:01:00Z", m["window_start"]
ent = m["sensors"]["entrance"]
assert (ent["in"], ent["out"]) == (1, 1), ent
assert m["footfall"]["occupancy"] == 2, m["footfall"]
PY
# --- alert outputs ----------------------------------------------------------
expect outputs "^lamp before: 0$"
expect outputs "gapsense wiring: --output 'siren': no such output in /tmp/alerts.conf; its outputs: lamp, buzzer$"
expect outputs "^unknown output exit: 64$"
expect outputs "^  output +line LAMP +off \(held off while wiring runs\)$" 2
expect outputs "^  output \(active-low\) +line 1 +off \(held off while wiring runs\)$" 2
expect outputs "^testing output 'lamp' \(gapsense-alerts line LAMP\): on for 1 s, off for 1 s, 5 times"
for n in 1 2 3 4 5; do
	expect outputs "  lamp: on \($n of 5\)$"
done
expect outputs "  lamp: off$" 5
expect outputs "^  output 'lamp': switched on 5 of 5 times, and off at the end$"
expect outputs "^lamp test exit: 0$"
# Ten seconds of switching sampled four times a second: about 20 each.
samples=$(section outputs | sed -n 's/^lamp samples: lit \([0-9]*\) dark \([0-9]*\)$/\1 \2/p')
read -r lit dark <<<"$samples"
[ "${lit:-0}" -ge 8 ] && [ "${dark:-0}" -ge 8 ] ||
	fail "the lamp did not switch on and off: '$samples' (lit, dark samples)"
# The ack button pressed while the lamp blinks: shown with what it
# acknowledges.
expect outputs "  ack: button pressed$"
expect outputs "  ack: pressed \(acknowledges 'lamp' when lit\)$"
expect outputs "^buzzer while off: 1$"
expect outputs "^buzzer while on: 0$"
expect outputs "^  output 'buzzer': switched on 2 of 5 times, and off at the end$"
expect outputs "^buzzer test exit: 0$"
# The daemon lights the lamp on the fault and puts it out on the ack.
expect outputs "^lamp pulled up before the daemon: 1$"
expect outputs "^lamp at start: 0$"
expect outputs '^\{"topic": "[^"]*/alerts", .*"type":"sensor_fault","sensor":"door"'
expect outputs "^lamp after the fault: 1$"
expect outputs "^lamp after the beam cleared: 1$"
expect outputs "^lamp after the ack: 0$"
expect outputs '^\{"topic": "[^"]*/acks", .*"schema":"gapsense.ack.v1",.*"alert":\{[^}]*"type":"sensor_fault","sensor":"door"\},"output":"lamp","by":"ack"'

expect outputs "^alerts run exit: 0$"
expect outputs "^lamp after the daemon stopped: 0$"
# Restarts: an acknowledged alert stays dark; one the daemon was killed
# with lights the lamp again, and its ack puts it out.
expect outputs "^lamp after a restart: 0$"
expect outputs "^lamp after a second fault: 1$"
expect outputs "^lamp after SIGKILL: 0$"
expect outputs "^lamp after the restart: 1$"
expect outputs "^lamp after its ack: 0$"
expect outputs "^restarted run exit: 0$"
expect outputs "restored the running state from [0-9]+ stored events" 2

echo "VM GPIO test passed ($api)"
