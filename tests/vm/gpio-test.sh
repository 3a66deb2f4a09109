#!/bin/sh
# Runs inside the VM (tests/vm/run-vm.sh): creates a gpio-sim bank, drives
# its lines like people at a shop door and at a smiley terminal, and runs
# the real gapsense on them; a second bank carries alert outputs. The host
# checks the console output, which this script frames with "=== NAME"
# markers.
set -u

cfs=/sys/kernel/config/gpio-sim/shop
mkdir $cfs $cfs/bank0
echo gapsense-sim >$cfs/bank0/label
echo 12 >$cfs/bank0/num_lines
i=0
for name in DOOR_A DOOR_B Q_IN Q_OUT BTN1 BTN2 BTN3 BTN4 COUNT STAFF1 STAFF2 STAFF3; do
	mkdir $cfs/bank0/line$i
	echo $name >$cfs/bank0/line$i/name
	i=$((i + 1))
done
echo 1 >$cfs/live
chip=$(cat $cfs/bank0/chip_name)
sim=/sys/devices/platform/$(cat $cfs/dev_name)/$chip
echo "gpio-sim: $chip at $sim"
sed -e "s|@CHIP_NAME@|$chip|" -e "s|@CHIP_PATH@|/dev/$chip|" \
	/data/gapsense-vm.conf.in >/tmp/shop.conf

# Offsets of the lines above. Active-low lines (beams, buttons) are
# active when pulled down; the counter output is active-high.
A=0 B=1 QIN=2 QOUT=3 BTN1=4 BTN2=5 BTN3=6 BTN4=7 COUNT=8
STAFF1=9 STAFF3=11
on() { echo pull-down >$sim/sim_gpio$1/pull; }
off() { echo pull-up >$sim/sim_gpio$1/pull; }
pulse_count() {
	echo pull-up >$sim/sim_gpio$COUNT/pull
	sleep 0.1
	echo pull-down >$sim/sim_gpio$COUNT/pull
}
press() { on $1; sleep ${2:-0.15}; off $1; }
# A press whose contact bounces: four changes within a few ms (well inside
# the smiley's 100 ms debounce, gapsense-vm.conf.in), then held down.
bouncy_press() {
	on $1; off $1; on $1; off $1; on $1
	sleep 0.15
	off $1
}
queue_visit() { on $QIN; sleep 0.1; off $QIN; sleep 0.3; on $QOUT; sleep 0.1; off $QOUT; }
person_in() {
	on $A; sleep 0.1; on $B; sleep 0.1; off $A; sleep 0.1; off $B
}
person_out() {
	on $B; sleep 0.1; on $A; sleep 0.1; off $B; sleep 0.1; off $A
}
turn_back() { on $A; sleep 0.15; off $A; }
# Waits (at most 20 s) until file $1 has a line matching $2: the program
# writing it has requested its lines.
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "timed out waiting for '$2' in $1"; return 1; }
		sleep 0.2
	done
}

echo "=== wiring"
# The queue beams have no bias from the request (as-is): the line keeps
# the level set here. The entry beam is broken when the view starts: it
# shows in the states and as an edge at start.
off $QOUT
on $QIN
gapsense wiring -c /tmp/shop.conf >/tmp/wiring.out 2>&1 &
wpid=$!
wait_for /tmp/wiring.out "^watching"
sleep 0.5
off $QIN; sleep 0.3
person_in; sleep 0.3
person_out; sleep 0.3
turn_back; sleep 0.3
on $QIN; sleep 0.1; off $QIN; sleep 0.3
on $QOUT; sleep 0.1; off $QOUT; sleep 0.3
bouncy_press $BTN3; sleep 0.6
press $BTN4; sleep 0.1
press $BTN1
pulse_count
press $STAFF1
sleep 0.6
# Held past fault_after (1s): the fault comes from the view's timer, not
# from an edge.
press $BTN2 1.6
sleep 0.3
kill -INT $wpid # Ctrl-C
wait $wpid
echo "wiring exit: $?"
cat /tmp/wiring.out

echo "=== errors"
sed 's|^chip = gapsense-sim|chip = no-such-chip|' /tmp/shop.conf >/tmp/bad-chip.conf
gapsense wiring -c /tmp/bad-chip.conf --duration 1s 2>&1
echo "bad chip exit: $?"
sed 's|^lines = DOOR_A, DOOR_B|lines = DOOR_A, DOOR_X|' /tmp/shop.conf >/tmp/bad-line.conf
gapsense wiring -c /tmp/bad-line.conf --duration 1s 2>&1
echo "bad line exit: $?"
sed 's|^lines = 2, 3|lines = 2, 40|' /tmp/shop.conf >/tmp/bad-offset.conf
gapsense wiring -c /tmp/bad-offset.conf --duration 1s 2>&1
echo "bad offset exit: $?"

# An installer's user without access to the GPIO devices, then with it.
echo "pi:x:1000:1000:pi:/tmp:/bin/sh" >>/etc/passwd
echo "pi:x:1000:" >>/etc/group
su pi -c "gapsense wiring -c /tmp/shop.conf --duration 1s" 2>&1
echo "denied exit: $?"
echo "gpio:x:997:pi" >>/etc/group
chgrp gpio /dev/$chip
chmod 660 /dev/$chip
su pi -c "gapsense wiring -c /tmp/shop.conf --duration 1s" >/tmp/pi.out 2>&1
echo "as pi in group gpio exit: $?"
chmod 600 /dev/$chip

echo "=== run"
# Some 22 s before a window boundary (the daemon starts and the sequence
# runs within them, even on a loaded machine): the window closes in the test.
date -s "2026-11-23 09:00:38" >/dev/null
gapsense run -c /tmp/shop.conf --db /tmp/gapsense.db --print >/tmp/run.out 2>/tmp/run.err &
rpid=$!
wait_for /tmp/run.err "running: gateway"
echo "--- wiring while the daemon runs"
gapsense wiring -c /tmp/shop.conf --duration 1s 2>&1
echo "busy exit: $?"
person_in; sleep 0.3
person_in; sleep 0.3
# SIGHUP mid-window: a changed config is taken and the counts so far are
# carried (the window shows both people in); one whose line does not exist
# and one that does not parse are rejected, and the old config stays in
# force with its lines requested again (the presses below still count).
cp /tmp/shop.conf /tmp/shop.conf.orig
# The WAL's sync timer is a periodic timerfd: its period, as the kernel
# has it, before and after a reload that changes sync_interval.
sync_periods() {
	grep -h "^it_interval" /proc/$rpid/fdinfo/* 2>/dev/null |
		grep -E "\((7|3), 0\)" | sort | tr '\n' ' '
}
echo "sync timer before the reload: $(sync_periods)"
sed -e 's/^commit_interval = 100ms/commit_interval = 200ms/' \
	-e 's/^sync_interval = 7s/sync_interval = 3s/' /tmp/shop.conf.orig >/tmp/shop.conf
kill -HUP $rpid
wait_for /tmp/run.err "configuration reloaded"
echo "sync timer after the reload: $(sync_periods)"
sed 's/^lines = DOOR_A, DOOR_B/lines = DOOR_A, DOOR_X/' /tmp/shop.conf.orig >/tmp/shop.conf
kill -HUP $rpid
wait_for /tmp/run.err "DOOR_X"
wait_for /tmp/run.err "reload rejected"
echo "window = 7m" >>/tmp/shop.conf
kill -HUP $rpid
wait_for /tmp/run.err "shop.conf:[0-9]*: .*window"
sleep 0.2
cp /tmp/shop.conf.orig /tmp/shop.conf
person_out; sleep 0.3
turn_back; sleep 0.3
# Every sensor type through the daemon: the queue and the staff terminal
# too (the smiley's press of BTN4 bounces: debounce).
queue_visit; sleep 0.3
press $STAFF3; sleep 0.1
bouncy_press $BTN4; sleep 0.7
press $BTN2; sleep 0.7
# Held longer than fault_after: a fault, then recovery on release.
press $BTN1 1.8
sleep 0.5
pulse_count
# Past 09:01:00 plus grace, the 09:00 window is published.
while [ "$(date +%H%M%S)" -lt 090103 ]; do sleep 0.2; done
kill -TERM $rpid
wait $rpid
echo "run exit: $?"
cat /tmp/run.out
echo "--- run stderr"
cat /tmp/run.err

echo "=== restart"
# A crash mid-window: the daemon restarted on the same database goes on
# with the counts from before the crash (one in before, one out after).
date -s "2026-11-23 09:01:47" >/dev/null
gapsense run -c /tmp/shop.conf --db /tmp/gapsense.db --print >/tmp/run2.out 2>/tmp/run2.err &
rpid=$!
wait_for /tmp/run2.err "running: gateway"
person_in
sleep 0.5 # committed: commit_interval is 100 ms
kill -KILL $rpid
wait $rpid
echo "killed exit: $?"
gapsense run -c /tmp/shop.conf --db /tmp/gapsense.db --print >/tmp/run3.out 2>/tmp/run3.err &
rpid=$!
wait_for /tmp/run3.err "running: gateway"
person_out
while [ "$(date +%H%M%S)" -lt 090203 ]; do sleep 0.2; done
kill -TERM $rpid
wait $rpid
echo "restarted exit: $?"
cat /tmp/run2.out /tmp/run3.out
cat /tmp/run3.err
echo "=== outputs"
# Alert outputs on a gpio-sim bank of their own: a lamp (active-high) and
# a buzzer (active-low), an acknowledgement button and a door beam pair.
# An output's sim_gpioN/value is the level the program drives.
ocfs=/sys/kernel/config/gpio-sim/alerts
mkdir $ocfs $ocfs/bank0
echo gapsense-alerts >$ocfs/bank0/label
echo 5 >$ocfs/bank0/num_lines
i=0
for name in LAMP BUZZER ACK BEAM_A BEAM_B; do
	mkdir $ocfs/bank0/line$i
	echo $name >$ocfs/bank0/line$i/name
	i=$((i + 1))
done
echo 1 >$ocfs/live
osim=/sys/devices/platform/$(cat $ocfs/dev_name)/$(cat $ocfs/bank0/chip_name)
LAMP=0 BUZZER=1 ACK=2 BEAM_A=3
value() { cat $osim/sim_gpio$1/value; }
opull() { echo $2 >$osim/sim_gpio$1/pull; }
cat >/tmp/alerts.conf <<EOF
[gateway]
id = vm-2
site = vm-test
timezone = UTC
window = 1m
grace = 1s
unsynced_hold = 0

[storage]
database = /tmp/alerts.db
commit_interval = 100ms

[mqtt]
broker = mqtt://127.0.0.1:1

[sensor "door"]
type = beam_pair
chip = gapsense-alerts
lines = BEAM_A, BEAM_B
active_low = true
bias = pull-up
fault_after = 2s

[sensor "ack"]
type = button
chip = gapsense-alerts
lines = ACK
active_low = true
bias = pull-up

[output "lamp"]
chip = gapsense-alerts
line = LAMP
alerts = sensor_fault
signal = steady
end = ack
ack = ack

[output "buzzer"]
chip = gapsense-alerts
line = 1
active_low = true
alerts = queue_wait_high
end = hold
hold = 5s
EOF

echo "--- wiring --output"
echo "lamp before: $(value $LAMP)"
gapsense wiring -c /tmp/alerts.conf --output siren 2>&1
echo "unknown output exit: $?"
# The lamp test: sampled four times a second until the view has stopped.
gapsense wiring -c /tmp/alerts.conf --output lamp >/tmp/lamp.out 2>&1 &
wpid=$!
wait_for /tmp/lamp.out "^testing output"
lit=0 dark=0 i=0
while ! grep -q "^stopped after" /tmp/lamp.out && [ $i -lt 80 ]; do
	if [ "$(value $LAMP)" = 1 ]; then lit=$((lit + 1)); else dark=$((dark + 1)); fi
	i=$((i + 1))
	# The acknowledgement button, tried while the lamp blinks.
	[ $i = 10 ] && { opull $ACK pull-down; sleep 0.15; opull $ACK pull-up; }
	sleep 0.25
done
wait $wpid
echo "lamp test exit: $?"
echo "lamp samples: lit $lit dark $dark"
echo "lamp after: $(value $LAMP)"
cat /tmp/lamp.out
# The buzzer is active-low: off is high on the wire, on is low. (Released,
# a gpio-sim line falls back to its pull: what it reads after a program
# has stopped tells nothing.)
gapsense wiring -c /tmp/alerts.conf --output buzzer >/tmp/buzzer.out 2>&1 &
wpid=$!
wait_for /tmp/buzzer.out "^testing output"
wait_for /tmp/buzzer.out "buzzer: off$"
echo "buzzer while off: $(value $BUZZER)"
wait_for /tmp/buzzer.out "buzzer: on (2 of 5)"
echo "buzzer while on: $(value $BUZZER)"
kill -INT $wpid # Ctrl-C
wait $wpid
echo "buzzer test exit: $?"
cat /tmp/buzzer.out

echo "--- run"
# The daemon drives the lamp: a door beam blocked past fault_after raises
# sensor_fault, which lights it; clearing the beam does not (end = ack);
# a press of the ack button puts it out. (--print's messages reach the
# file only at exit: the lamp itself is what is watched.)
# Waits (at most 10 s) until line $1 reads $2, then prints what it reads.
wait_value() {
	i=0
	while [ "$(value $1)" != "$2" ] && [ $i -lt 50 ]; do
		i=$((i + 1))
		sleep 0.2
	done
	value $1
}
# Pulled up, the free line reads 1: a 0 at start is the daemon driving it
# off. A pull does not move an output; back down, it is what the line
# reads once released (gpio-sim), so the value after the daemon stopped
# can only say that nothing drives it on.
opull $LAMP pull-up
echo "lamp pulled up before the daemon: $(value $LAMP)"
gapsense run -c /tmp/alerts.conf --db /tmp/alerts.db --print >/tmp/orun.out 2>/tmp/orun.err &
rpid=$!
wait_for /tmp/orun.err "running: gateway"
echo "lamp at start: $(value $LAMP)"
opull $LAMP pull-down
opull $BEAM_A pull-down
echo "lamp after the fault: $(wait_value $LAMP 1)"
opull $BEAM_A pull-up
sleep 1
echo "lamp after the beam cleared: $(value $LAMP)"
opull $ACK pull-down; sleep 0.15; opull $ACK pull-up
echo "lamp after the ack: $(wait_value $LAMP 0)"
kill -TERM $rpid
wait $rpid
echo "alerts run exit: $?"
echo "lamp after the daemon stopped: $(value $LAMP)"
cat /tmp/orun.out
echo "--- alerts run stderr"
cat /tmp/orun.err

echo "--- restarts"
# A restart goes through the stored events again: the fault was
# acknowledged before it, so the lamp stays dark. A fault still
# unacknowledged when the daemon is killed (SIGKILL: the kernel lets the
# line go, pulled down it reads 0) lights the lamp again at the restart.
gapsense run -c /tmp/alerts.conf --db /tmp/alerts.db >/dev/null 2>/tmp/orun2.err &
rpid=$!
wait_for /tmp/orun2.err "running: gateway"
sleep 1
echo "lamp after a restart: $(value $LAMP)"
opull $BEAM_A pull-down
echo "lamp after a second fault: $(wait_value $LAMP 1)"
opull $BEAM_A pull-up
sleep 1.5 # the recovery's group commit
kill -KILL $rpid
wait $rpid
echo "lamp after SIGKILL: $(value $LAMP)"
gapsense run -c /tmp/alerts.conf --db /tmp/alerts.db >/dev/null 2>/tmp/orun3.err &
rpid=$!
wait_for /tmp/orun3.err "running: gateway"
echo "lamp after the restart: $(wait_value $LAMP 1)"
opull $ACK pull-down; sleep 0.15; opull $ACK pull-up
echo "lamp after its ack: $(wait_value $LAMP 0)"
kill -TERM $rpid
wait $rpid
echo "restarted run exit: $?"
grep -h "restored the running state" /tmp/orun2.err /tmp/orun3.err

echo "=== end"
