#!/usr/bin/env bash
# replay --speed X: each edge is handed over when it is due, X times faster
# than the scenario's own time from its first edge, and the messages are
# byte for byte those of the unpaced replay (processing runs on event time).
source "$(dirname "$0")/lib.sh"

golden=$GS_SOURCE_DIR/tests/golden

# Same bytes at a high speed on golden cases of 15 and 30 minutes.
for name in goodwill perception-lag rush day-boundary; do
	dir=$golden/$name
	"$GAPSENSE" replay -c "$dir/gapsense.conf" "$dir/scenario.csv" --print \
		>"$GS_TMP/$name.fast" 2>"$GS_TMP/err" ||
		{ cat "$GS_TMP/err" >&2; fail "$name: replay failed"; }
	"$GAPSENSE" replay -c "$dir/gapsense.conf" "$dir/scenario.csv" --print \
		--speed 3600 >"$GS_TMP/$name.paced" 2>"$GS_TMP/err" ||
		{ cat "$GS_TMP/err" >&2; fail "$name: replay --speed 3600 failed"; }
	[ -s "$GS_TMP/$name.fast" ] || fail "$name: the replay printed nothing"
	cmp "$GS_TMP/$name.fast" "$GS_TMP/$name.paced" ||
		fail "$name: --speed 3600 printed other messages"
	echo "ok   $name: $(grep -c . "$GS_TMP/$name.fast") messages, identical at --speed 3600"
done

# The pacing: the rush's first 20 s of edges (11:00:00.000 to 11:00:20.000)
# at --speed 10 take 2 s of wall time, not less, and not much more.
scn=$GS_TMP/twenty.csv
awk -F, '/^time,/ || ($1 ~ /^2026/ && $1 <= "2026-11-23T11:00:20.000Z")' \
	"$golden/rush/scenario.csv" >"$scn"
[ "$(head -n2 "$scn" | tail -n1 | cut -d, -f1)" = 2026-11-23T11:00:00.000Z ] &&
	[ "$(tail -n1 "$scn" | cut -d, -f1)" = 2026-11-23T11:00:20.000Z ] ||
	fail "cannot cut 20 s of edges from the rush scenario"
conf=$golden/rush/gapsense.conf
"$GAPSENSE" replay -c "$conf" "$scn" --print >"$GS_TMP/twenty.fast" 2>"$GS_TMP/err" ||
	{ cat "$GS_TMP/err" >&2; fail "replay of 20 s failed"; }
t0=$(date +%s%N)
"$GAPSENSE" replay -c "$conf" "$scn" --print --speed 10 >"$GS_TMP/twenty.paced" \
	2>"$GS_TMP/err" || { cat "$GS_TMP/err" >&2; fail "replay --speed 10 failed"; }
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -ge 1990 ] || fail "20 s at --speed 10 took $ms ms: faster than paced"
[ "$ms" -le 3000 ] || fail "20 s at --speed 10 took $ms ms, not about 2000"
cmp "$GS_TMP/twenty.fast" "$GS_TMP/twenty.paced" ||
	fail "20 s at --speed 10 printed other messages than unpaced"
echo "ok   20 s of edges at --speed 10: $ms ms, $(grep -c . "$GS_TMP/twenty.fast") identical messages"

# A bad speed is a usage error that says why; run does not take it.
for bad in 0 -1 abc nan inf 1e999 ''; do
	rc=0
	"$GAPSENSE" replay -c "$conf" "$scn" --print --speed "$bad" \
		>/dev/null 2>"$GS_TMP/err" || rc=$?
	[ "$rc" -eq 64 ] || fail "--speed '$bad': exit $rc, not 64"
	grep -q -- "--speed '$bad': expected a number > 0" "$GS_TMP/err" ||
		fail "--speed '$bad': unclear error: $(cat "$GS_TMP/err")"
done
rc=0
"$GAPSENSE" run -c "$conf" --speed 2 >/dev/null 2>"$GS_TMP/err" || rc=$?
[ "$rc" -eq 64 ] && grep -q "does not take --speed" "$GS_TMP/err" ||
	fail "run --speed: exit $rc: $(cat "$GS_TMP/err")"
echo "ok   bad speeds (0, -1, abc, nan, inf, 1e999, empty) are usage errors"
echo "paced replay: all checks passed"
