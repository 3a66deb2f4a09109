#!/usr/bin/env bash
# The systemd unit (labels: package): systemd-analyze verify accepts it with
# the real binary and man page, its sandbox scores an exposure of at most
# 2.0 in `systemd-analyze security`, it keeps the settings issue 6 requires,
# and the daemon accepts the command line of ExecStart.
set -euo pipefail
: "${GAPSENSE:?}" "${GS_SOURCE_DIR:?}"
unit=$GS_SOURCE_DIR/deploy/gapsense.service
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gapsense-unit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
command -v systemd-analyze >/dev/null ||
	fail "systemd-analyze is missing (deploy/install-deps.sh test)"

# verify: the unit as packaged, but ExecStart= names the binary just built
# (verify checks that it exists) and man finds the man page of the tree.
sed "s#^ExecStart=/usr/bin/gapsense #ExecStart=$GAPSENSE #" "$unit" \
	>"$tmp/gapsense.service"
grep -q "^ExecStart=$GAPSENSE run " "$tmp/gapsense.service" ||
	fail "ExecStart= does not run /usr/bin/gapsense run"
mkdir -p "$tmp/man/man1"
gzip -9nc "$GS_SOURCE_DIR/deploy/gapsense.1" >"$tmp/man/man1/gapsense.1.gz"
man_opt=--man=yes
command -v man >/dev/null || man_opt=--man=no
MANPATH=$tmp/man systemd-analyze verify "$man_opt" "$tmp/gapsense.service" \
	>"$tmp/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$tmp/verify.log")"
if [ -s "$tmp/verify.log" ]; then
	fail "systemd-analyze verify warns: $(cat "$tmp/verify.log")"
fi
echo "ok: systemd-analyze verify"

# security: the unit file itself, offline (no running systemd needed).
systemd-analyze security --offline=true "$unit" >"$tmp/security.txt" 2>&1 || true
grep -v '✓' "$tmp/security.txt"
score=$(sed -n 's/.*Overall exposure level for gapsense.service: \([0-9.]*\).*/\1/p' \
	"$tmp/security.txt")
[ -n "$score" ] || fail "no exposure level in: $(tail -3 "$tmp/security.txt")"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' ||
	fail "exposure $score is above 2.0"
echo "ok: systemd-analyze security exposure $score (at most 2.0)"
for doc in docs/installing.md deploy/README.md; do
	grep -q "exposure $score\b" "$GS_SOURCE_DIR/$doc" ||
		fail "$doc does not quote the exposure $score"
done
echo "ok: the docs quote exposure $score"

# What the service needs and promises; a change here must be deliberate.
for line in 'Type=notify' 'NotifyAccess=main' 'WatchdogSec=30s' \
	'Restart=on-failure' 'StartLimitBurst=5' 'StartLimitIntervalSec=5min' \
	'ExecReload=/bin/kill -HUP $MAINPID' 'User=gapsense' 'Group=gapsense' \
	'SupplementaryGroups=gpio' 'StateDirectory=gapsense' \
	'ConfigurationDirectory=gapsense' 'DevicePolicy=closed' \
	'DeviceAllow=char-gpiochip rw' 'ProtectSystem=strict' \
	'NoNewPrivileges=yes' 'CapabilityBoundingSet=' \
	'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
	'SystemCallArchitectures=native' 'RestartPreventExitStatus=78'; do
	grep -qxF "$line" "$unit" || fail "the unit lacks '$line'"
done
echo "ok: the unit has the settings of issue 6"

# ExecStart's arguments parse: with a missing config the daemon must fail
# on the file (66), not on its command line (64); check-config's exit
# status 78 is what RestartPreventExitStatus= names.
args=$(sed -n 's#^ExecStart=/usr/bin/gapsense ##p' "$unit")
read -ra argv <<<"${args/\/etc\/gapsense\/gapsense.conf/$tmp/missing.conf}"
run_rc=0
"$GAPSENSE" "${argv[@]}" >/dev/null 2>"$tmp/run.log" || run_rc=$?
[ "$run_rc" -ne 64 ] || fail "gapsense rejects ExecStart's arguments: $(cat "$tmp/run.log")"
[ "$run_rc" -ne 0 ] || fail "gapsense run started without a config"
printf '[gateway]\nwindow = 7m\n' >"$tmp/bad.conf"
rc=0
"$GAPSENSE" check-config "$tmp/bad.conf" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 78 ] || fail "check-config of a bad config exits $rc, not 78"
echo "ok: ExecStart's command line parses (exit $run_rc without a config, $rc for a bad one)"
echo "systemd unit: all checks passed"
