#!/usr/bin/env bash
# Issue 10 §6, the real binary on hostile input: files that are not regular
# files are refused at once (never read for ever, never blocked on), a
# scenario that jumps a year is refused at its line instead of writing
# 35,000 empty windows, an empty scenario says so, and control bytes from
# any input come back escaped, never raw.
source "$(dirname "$0")/lib.sh"

conf=$GS_TMP/gapsense.conf
gs_write_sim_config "$conf" "$GS_TMP/unused.db"

# run NAME WANT_EXIT CMD...: runs CMD (at most 10 s), output in $GS_TMP/NAME.
run() {
	local name=$1 want=$2 rc=0
	shift 2
	timeout 10 "$@" >"$GS_TMP/$name" 2>&1 || rc=$?
	[ "$rc" -ne 124 ] || fail "$name: still running after 10 s"
	[ "$rc" -eq "$want" ] || { cat "$GS_TMP/$name" >&2; fail "$name: exit $rc, want $want"; }
}
expect() { # NAME FIXED-STRING
	grep -qF -- "$2" "$GS_TMP/$1" || { cat "$GS_TMP/$1" >&2; fail "$1: no '$2'"; }
}
no_raw_controls() { # NAME: no byte 0x01-0x08, 0x0b-0x1f or 0x7f
	! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$GS_TMP/$1" ||
		{ od -c "$GS_TMP/$1" | head >&2; fail "$1: raw control bytes in the output"; }
}

run zero-config 78 "$GAPSENSE" check-config /dev/zero
expect zero-config "/dev/zero: cannot open: not a regular file (a character device)"
mkfifo "$GS_TMP/fifo"
run fifo-config 78 "$GAPSENSE" check-config "$GS_TMP/fifo"
expect fifo-config "fifo: cannot open: not a regular file (a FIFO)"
run zero-scenario 65 "$GAPSENSE" replay -c "$conf" /dev/zero
expect zero-scenario "/dev/zero: not a regular file (a character device)"

: >"$GS_TMP/empty.csv"
run empty-scenario 65 "$GAPSENSE" replay -c "$conf" "$GS_TMP/empty.csv"
expect empty-scenario "empty.csv: the file is empty (a scenario starts with the header time,chip,line,value)"
! grep -q "empty.csv:0:" "$GS_TMP/empty-scenario" || fail "an empty scenario is reported at line 0"

db=$GS_TMP/gap.db
printf '%s\n' "time,chip,line,value" \
	"2026-11-23T09:00:00.000Z,gpiochip0,GPIO17,0" \
	"2026-11-23T09:00:00.300Z,gpiochip0,GPIO17,1" \
	"2027-11-23T09:00:00.000Z,gpiochip0,GPIO17,0" >"$GS_TMP/gap.csv"
run gap 65 "$GAPSENSE" replay -c "$conf" "$GS_TMP/gap.csv" --db "$db" --print
expect gap "gap.csv:4: time jumps 364 days forward"
windows=$(sqlite3 "$db" "SELECT count(*) FROM windows")
[ "$windows" -le 1 ] || fail "the refused gap still wrote $windows windows"
size=$(stat -c %s "$db")
[ "$size" -lt 1048576 ] || fail "the refused gap still wrote $size bytes"

printf '[gateway]\nid = \033]0;pwned\007x\nsite = s\n' >"$GS_TMP/esc.conf"
run esc-config 78 "$GAPSENSE" check-config "$GS_TMP/esc.conf"
expect esc-config "id: '\\x1b]0;pwned\\x07x'"
no_raw_controls esc-config
run esc-command 64 "$GAPSENSE" $'\033]0;pwned\007'
expect esc-command "unknown command '\\x1b]0;pwned\\x07'"
no_raw_controls esc-command
printf 'time,chip,line,value\n2026-11-23T09:00:00.000Z,gpio\033[2J,GPIO17,0\n' \
	>"$GS_TMP/esc.csv"
run esc-scenario 65 "$GAPSENSE" replay -c "$conf" "$GS_TMP/esc.csv"
expect esc-scenario "esc.csv:2: unknown line GPIO17 on chip gpio\\x1b[2J"
no_raw_controls esc-scenario
echo "ok: non-regular files refused at once, gaps bounded, empty scenario named, control bytes escaped"
