#!/usr/bin/env bash
# Issue 5: a full disk degrades, it does not stop the gateway. The database
# lives on a 24 MiB tmpfs (in a private mount namespace, so nothing is left
# mounted) and the broker is away, so the outbox and the events fill the
# disk: the store releases its reserve, the gateway drops the oldest
# undelivered messages (counted) and old history, the log stays short, the
# database stays sound, and a second start on the full disk runs too.
# Needs root for the mount (exit 77: skipped otherwise).
source "$(dirname "$0")/lib.sh"

disk=$GS_TMP/disk
mkdir "$disk"
gs_write_sim_config "$GS_TMP/gapsense.conf" "$disk/gapsense.db"
# Port 1: nothing listens, the outbox only grows.
sed -i 's|^broker = .*|broker = mqtt://127.0.0.1:1|' "$GS_TMP/gapsense.conf"

export GAPSENSE GS_TMP disk
unshare -m --propagation private bash -euo pipefail -c '
	mount -t tmpfs -o size=24m tmpfs "$disk" || exit 77
	run() { # START DURATION LOG
		local rc=0
		"$GAPSENSE" simulate -c "$GS_TMP/gapsense.conf" --db "$disk/gapsense.db" --speed 0 \
			--duration "$2" --start "$1" --seed 3 --drain-timeout 1s \
			>/dev/null 2>"$GS_TMP/$3" || rc=$?
		echo "$rc" >"$GS_TMP/$3.rc"
	}
	run 2026-06-01T00:00:00Z 120d first.log
	run 2026-10-01T00:00:00Z 2d second.log
	df -k "$disk" | tail -n1 >"$GS_TMP/df.txt"
	sqlite3 "$disk/gapsense.db" "PRAGMA integrity_check" >"$GS_TMP/integrity.txt"
	sqlite3 "$disk/gapsense.db" \
		"SELECT value FROM meta WHERE key = '\''store.outbox_dropped'\''" \
		>"$GS_TMP/dropped.txt"
' || {
	rc=$?
	[ "$rc" -eq 77 ] && { echo "skipped: cannot mount a tmpfs (not root?)"; exit 77; }
	fail "the full-disk run failed ($rc)"
}

for log in first second; do
	rc=$(cat "$GS_TMP/$log.log.rc")
	# 75: the broker never acknowledged (it is away); anything else, and
	# above all a signal, is a failure.
	[ "$rc" -eq 75 ] || { tail -20 "$GS_TMP/$log.log" >&2; fail "$log run exited $rc"; }
	lines=$(grep -vc "mqtt: cannot connect" "$GS_TMP/$log.log" || true)
	[ "$lines" -le 60 ] || fail "$log run logged $lines lines on the full disk"
done
echo "disk: $(awk '{print $3 " of " $2 " KiB used"}' "$GS_TMP/df.txt")"
grep -q "disk full: released the .* reserve" "$GS_TMP/first.log" ||
	fail "the store did not release its reserve: $(grep -i full "$GS_TMP/first.log" | head -3)"
grep -q "disk full: dropping the oldest quarter of the outbox" "$GS_TMP/first.log" ||
	fail "the gateway made no room on the full disk"
[ "$(cat "$GS_TMP/integrity.txt")" = ok ] ||
	fail "integrity_check: $(cat "$GS_TMP/integrity.txt")"
dropped=$(cat "$GS_TMP/dropped.txt")
[ "${dropped:-0}" -gt 0 ] || fail "no dropped messages counted"
echo "ok: full disk: $dropped undelivered messages dropped and counted, database sound, a second start runs"
