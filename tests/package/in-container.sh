#!/bin/bash
# Runs inside the booted Debian 12 container of tests/package/service-test.sh
# (as a oneshot unit after multi-user.target): starts gapsense.service with
# the packaged unit and its whole sandbox, on simulated sensors (the
# container has no GPIO chip), and checks what systemd and the broker see.
# Writes "ok: ..." / "FAIL: ..." lines to /root/service-test.out, then
# powers the container off.
set -u
out=/root/service-test.out
: >"$out"
failed=0
ok() { echo "ok: $*" >>"$out"; }
bad() {
	echo "FAIL: $*" >>"$out"
	failed=1
}
prop() { systemctl show -P "$1" gapsense.service; }
finish() {
	journalctl -u gapsense.service -o short-monotonic --no-pager \
		>/root/gapsense.journal 2>&1
	[ "$failed" -eq 0 ] && echo "service test: all checks passed" >>"$out"
	systemctl poweroff
	exit 0
}

systemctl is-active -q mosquitto.service || systemctl start mosquitto.service ||
	bad "mosquitto does not start"

# Only the command changes: simulated sensors instead of GPIO; everything
# else (user, sandbox, notify, watchdog) is the packaged unit. A short
# watchdog makes the stuck-loop check quick.
mkdir -p /etc/systemd/system/gapsense.service.d
cat >/etc/systemd/system/gapsense.service.d/test.conf <<'EOF'
[Service]
ExecStart=
ExecStart=/usr/bin/gapsense simulate --config /etc/gapsense/gapsense.conf --db /var/lib/gapsense/gapsense.db --speed 60 --duration 30d --start 2026-11-23T08:00:00Z
WatchdogSec=2s
RestartSec=1s
EOF
systemctl daemon-reload

# The commands of docs/installing.md, sections 1 and 6.
dpkg --print-architecture | grep -qx amd64 || bad "dpkg --print-architecture"
timedatectl >/root/timedatectl.txt 2>&1 &&
	grep -q 'System clock synchronized' /root/timedatectl.txt ||
	bad "timedatectl: $(cat /root/timedatectl.txt)"
command -v gpioinfo >/dev/null || bad "gpiod's gpioinfo is missing"
gapsense check-config /etc/gapsense/gapsense.conf >/dev/null ||
	bad "check-config of the installed config failed"
# Type=notify: enable --now returns only after READY=1.
if timeout 60 systemctl enable --now gapsense; then
	ok "systemctl enable --now returned (READY=1): $(prop ActiveState)/$(prop SubState)"
else
	bad "systemctl enable --now failed: $(prop Result)"
	finish
fi
systemctl is-enabled -q gapsense || bad "not enabled"
systemctl status gapsense --no-pager >/root/status.txt 2>&1 ||
	bad "systemctl status: $(cat /root/status.txt)"
grep -q 'Active: active (running)' /root/status.txt ||
	bad "systemctl status does not say active (running)"
# The retained status message, exactly as the guide checks it.
if timeout 40 mosquitto_sub -h localhost -t 'gapsense/v1/store-042/till-1/status' \
	-C 1 -v -W 30 >/root/first-message.txt 2>&1 &&
	grep -q '"state":"online"' /root/first-message.txt; then
	ok "the broker has: $(cut -c1-100 /root/first-message.txt)"
else
	bad "no online status at the broker: $(cat /root/first-message.txt)"
fi
# STATUS= (issue 10): systemd shows the daemon's one-line summary, and
# `gapsense status` reads the running unit (exit 0 ok or 1 degraded).
sleep 2
status_line=$(prop StatusText)
case $status_line in
connected\;*sensors\ ok*|connected\;*sensors\ faulted*) ok "STATUS=: $status_line" ;;
*) bad "no STATUS= summary from the daemon: '$status_line'" ;;
esac
rc=0
gapsense status >/root/gs-status.txt 2>&1 || rc=$?
if [ "$rc" -le 1 ] && grep -q '^gapsense: running' /root/gs-status.txt &&
	grep -q '^broker: *connected since' /root/gs-status.txt; then
	ok "gapsense status (exit $rc): $(head -3 /root/gs-status.txt | tr '\n' ' ')"
else
	bad "gapsense status exit $rc: $(cat /root/gs-status.txt)"
fi
journalctl -u gapsense -n 50 --no-pager | grep -q 'simulating: gateway till-1' ||
	bad "journalctl -u gapsense -n 50 lacks the start line"
timeout 2 journalctl -u gapsense -f --no-pager >/root/follow.txt 2>&1
grep -q 'simulating: gateway till-1' /root/follow.txt ||
	bad "journalctl -u gapsense -f shows nothing"
journalctl -u gapsense -p warning --no-pager >/dev/null ||
	bad "journalctl -u gapsense -p warning failed"
ok "journalctl -u gapsense (-n 50, -f, -p warning), timedatectl, dpkg --print-architecture"
pid=$(prop MainPID)
[ "$pid" -gt 0 ] || bad "no main PID"

# The process as systemd set it up.
status=/proc/$pid/status
gpio_gid=$(getent group gpio | cut -d: -f3)
uid=$(id -u gapsense)
grep -q "^Uid:[[:space:]]*${uid}[[:space:]]" "$status" ||
	bad "runs as uid $(awk '/^Uid:/ {print $2}' "$status"), not gapsense ($uid)"
grep -q "^Groups:.*\b$gpio_gid\b" "$status" ||
	bad "not in group gpio ($gpio_gid): $(grep '^Groups:' "$status")"
grep -q '^CapEff:[[:space:]]*0000000000000000$' "$status" ||
	bad "has capabilities: $(grep '^CapEff:' "$status")"
grep -q '^NoNewPrivs:[[:space:]]*1$' "$status" || bad "NoNewPrivs is not set"
grep -q '^Seccomp:[[:space:]]*2$' "$status" || bad "no seccomp filter"
ok "process: user gapsense, groups $(id -nG gapsense | tr ' ' ,), no capabilities, NoNewPrivs, seccomp"

db=/var/lib/gapsense/gapsense.db
[ "$(stat -c %U "$db" 2>/dev/null)" = gapsense ] ||
	bad "$db missing or not owned by gapsense"
[ "$(stat -c %a /var/lib/gapsense)" = 750 ] ||
	bad "/var/lib/gapsense has mode $(stat -c %a /var/lib/gapsense)"
ok "StateDirectory: $db owned by gapsense"

# Watchdog pings: alive well past 2 x WatchdogSec, no restart.
sleep 5
[ "$(prop ActiveState)" = active ] && [ "$(prop NRestarts)" = 0 ] ||
	bad "not healthy after 5 s: $(prop ActiveState), $(prop NRestarts) restarts"
ok "watchdog: still active after 5 s with WatchdogSec=2s, 0 restarts"

# What the sandbox denied shows up in the log as errors.
if journalctl -u gapsense.service -o cat --no-pager |
	grep -Ei 'permission denied|operation not permitted|read-only file system|boot_id'; then
	bad "the sandbox denied something (log lines above)"
else
	ok "no permission errors in the journal"
fi
grep -q '^<' <(journalctl -u gapsense.service -o cat --no-pager) &&
	bad "journal lines still carry <N> prefixes"
levels=$(journalctl -u gapsense.service -o json --no-pager |
	grep -o '"PRIORITY":"[0-9]"' | sort | uniq -c | tr -s ' ' | paste -sd,)
ok "journal priorities from <N> prefixes:${levels}"

# systemd's own rating of the running unit (the guide quotes it).
score=$(systemd-analyze security gapsense.service --no-pager 2>/dev/null |
	sed -n 's/.*Overall exposure level for gapsense.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' ||
	bad "systemd-analyze security gapsense: exposure '$score'"
ok "systemd-analyze security gapsense (loaded unit): exposure $score"

# reload sends SIGHUP (the simulator ignores it; run mode re-reads the
# config) and the service stays up.
if ! systemctl reload gapsense; then
	bad "systemctl reload failed"
else
	for _ in $(seq 1 20); do
		journalctl -u gapsense -o cat --no-pager | grep -q 'SIGHUP' && break
		sleep 0.1
	done
	if ! journalctl -u gapsense -o cat --no-pager | grep -q 'SIGHUP'; then
		bad "reload did not reach the daemon"
	elif [ "$(prop ActiveState)" != active ]; then
		bad "not active after reload"
	else
		ok "systemctl reload: SIGHUP delivered, still active"
	fi
fi

# adjtimex(2) (is NTP synchronised?) is allowed: ProtectClock=yes would
# deny even its read-only use.
filter=$(prop SystemCallFilter)
grep -qw adjtimex <<<"$filter" && grep -qw clock_adjtime <<<"$filter" &&
	! grep -qw settimeofday <<<"$filter" ||
	bad "system call filter: adjtimex/clock_adjtime not allowed, or settimeofday allowed"
ok "system call filter allows adjtimex and clock_adjtime, not settimeofday"

# A stuck event loop: SIGSTOP stops the pings; systemd must kill and
# restart the daemon.
kill -STOP "$pid"
for _ in $(seq 1 100); do
	[ "$(prop NRestarts)" -ge 1 ] && [ "$(prop ActiveState)" = active ] &&
		[ "$(prop MainPID)" != "$pid" ] && break
	sleep 0.2
done
if [ "$(prop NRestarts)" -ge 1 ] && [ "$(prop ActiveState)" = active ]; then
	ok "watchdog: a stopped loop was killed and restarted (NRestarts=$(prop NRestarts))"
else
	bad "watchdog did not restart a stuck daemon: $(prop ActiveState), NRestarts=$(prop NRestarts)"
fi
journalctl -u gapsense.service -o cat --no-pager | grep -q 'Watchdog timeout' ||
	bad "no 'Watchdog timeout' in the journal"

# SIGTERM: STOPPING=1, a clean exit.
pid=$(prop MainPID)
if timeout 60 systemctl stop gapsense.service; then
	result=$(prop Result) code=$(prop ExecMainStatus)
	[ "$result" = success ] && [ "$code" = 0 ] ||
		bad "stop: result $result, exit status $code"
	ok "systemctl stop: result $result, exit status $code"
else
	bad "systemctl stop timed out"
fi
rc=0
gapsense status --json >/root/gs-status.json 2>&1 || rc=$?
[ "$rc" -eq 3 ] && grep -q '"state":"not running"' /root/gs-status.json &&
	ok "gapsense status after the stop: exit 3, not running" ||
	bad "gapsense status after the stop: exit $rc: $(cat /root/gs-status.json)"

# A config that fails validation exits 78: systemd must not restart it
# (RestartPreventExitStatus=78) but leave it failed for the installer.
cp /etc/gapsense/gapsense.conf /root/gapsense.conf.good
echo "bogus = 1" >>/etc/gapsense/gapsense.conf
systemctl reset-failed gapsense.service 2>/dev/null || true
restarts=$(prop NRestarts)
systemctl start gapsense.service 2>/dev/null && bad "started with a bad config"
sleep 3
code=$(prop ExecMainStatus) state=$(prop ActiveState)
[ "$code" = 78 ] && [ "$state" = failed ] && [ "$(prop NRestarts)" = "$restarts" ] ||
	bad "bad config: exit $code, state $state, NRestarts $restarts -> $(prop NRestarts)"
ok "bad config: exit status $code, $state, not restarted"
journalctl -u gapsense.service -o cat --no-pager | grep -q 'bogus' ||
	bad "the journal does not name the bad key"
cp /root/gapsense.conf.good /etc/gapsense/gapsense.conf
systemctl reset-failed gapsense || bad "systemctl reset-failed gapsense"
timeout 60 systemctl restart gapsense || bad "restart with the fixed config failed"
ok "fixed config: systemctl restart gapsense: $(prop ActiveState)"
systemctl stop gapsense
finish
