#!/usr/bin/env bash
# Issue 13 §3: `gapsense report`. The three-day golden scenario goes into a
# store; the report of its 25-hour day and of a range is one self-contained
# HTML file (no network reference, no script) that headless Chromium
# renders to a PNG without errors, with every chart in its DOM. The report
# also reads the store of a gateway that is running, and refuses bad input
# with a clear error.
. "$(dirname "$0")/lib.sh"

chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || {
	echo "SKIP: chromium is not installed (deploy/install-deps.sh test)"
	exit 77
}

case_dir="$GS_SOURCE_DIR/tests/golden/three-days"
db="$GS_TMP/three.db"
"$GAPSENSE" replay -c "$case_dir/gapsense.conf" "$case_dir/scenario.csv" \
	--db "$db" --print >/dev/null 2>"$GS_TMP/replay.log" ||
	fail "replay failed: $(tail -3 "$GS_TMP/replay.log")"

# The 24th is 25 hours (Berlin falls back on the 25th at 01:00Z).
export TZ=Europe/Berlin
"$GAPSENSE" report --db "$db" --day 2026-10-24 -o "$GS_TMP/day.html" \
	2>"$GS_TMP/report.log" || fail "report failed: $(cat "$GS_TMP/report.log")"
grep -q "report of 2026-10-24 (25 windows) written to $GS_TMP/day.html" \
	"$GS_TMP/report.log" || fail "report said: $(cat "$GS_TMP/report.log")"
html="$GS_TMP/day.html"
size=$(stat -c %s "$html")
[ "$size" -lt 1048576 ] || fail "the report is $size bytes"
# Self-contained: nothing fetched, no script.
if grep -Eiq '(src|href)=|https?:|@import|url\(|<script' "$html"; then
	fail "the report refers to something outside itself: $(grep -Eio '(src|href)=[^ >]*|https?:[^ ]*|<script' "$html" | head -3)"
fi
grep -q "Perception lag" "$html" && fail "no finding is due on the 24th (1 day)"
grep -q "day(s) in a row of perception_lag" "$html" || fail "no streak in the trend"

# The 25th had a blocked door beam: both alerts on the time grid (two
# charts) and in the table.
"$GAPSENSE" report --db "$db" --day 2026-10-25 -o "$GS_TMP/d25.html" 2>/dev/null ||
	fail "report of the 25th failed"
marks=$(grep -o "<g class='al'>" "$GS_TMP/d25.html" | wc -l)
[ "$marks" -eq 4 ] || fail "$marks alert marks on the 25th, expected 2 alerts x 2 charts"
grep -q "<td>2026-10-25 21:01:00</td><td>sensor_fault</td><td>entrance</td>" \
	"$GS_TMP/d25.html" || fail "the fault is not in the alert table (local time)"
# Its acknowledgement at the lamp (the golden case's lamp-button, 20:05Z).
grep -q "<td>entrance</td><td>21:05:00 by lamp-button (240.0 s)</td>" \
	"$GS_TMP/d25.html" || fail "the fault's acknowledgement is not in the alert table"
marks=$(grep -o "<g class='ak'>" "$GS_TMP/d25.html" | wc -l)
[ "$marks" -eq 2 ] || fail "$marks acknowledgement marks on the 25th, expected 1 x 2 charts"

# A range: the three days, with the finding of the third.
"$GAPSENSE" report --db "$db" --from 2026-10-24T02:00:00Z \
	--to 2026-10-27T03:00:00Z -o "$GS_TMP/range.html" 2>/dev/null ||
	fail "range report failed"
grep -q "Perception lag: the queue has been good for days" "$GS_TMP/range.html" ||
	fail "the range report lacks the perception-lag finding"

# Rendered as a person would look at it.
render() { # HTML PNG
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
		--hide-scrollbars --window-size=1040,1900 --enable-logging=stderr \
		--screenshot="$2" "file://$1" >"$GS_TMP/chromium.out" 2>"$GS_TMP/chromium.err" ||
		fail "chromium failed on $1: $(tail -5 "$GS_TMP/chromium.err")"
	[ "$(stat -c %s "$2")" -gt 20000 ] || fail "the screenshot $2 is nearly empty"
	head -c 8 "$2" | od -An -c | grep -q 'P   N   G' || fail "$2 is not a PNG"
	if grep -E 'CONSOLE|Uncaught|SyntaxError' "$GS_TMP/chromium.err"; then
		fail "the page logged errors while rendering"
	fi
}
render "$html" "$GS_TMP/day.png"
render "$GS_TMP/range.html" "$GS_TMP/range.png"
timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --dump-dom \
	"file://$html" >"$GS_TMP/dom.html" 2>/dev/null || fail "chromium --dump-dom failed"
svgs=$(grep -o '<svg' "$GS_TMP/dom.html" | wc -l)
[ "$svgs" -eq 5 ] || fail "the rendered DOM has $svgs charts, expected 5"
grep -q "store-042" "$GS_TMP/dom.html" || fail "the site is not in the rendered page"

# Read-only while a gateway writes the same store.
python3 "$GS_SOURCE_DIR/tests/integration/mqtt_conf.py" \
	"$GS_SOURCE_DIR/deploy/simulated-store.conf.in" "$GS_TMP/live.conf" 1 \
	"$GS_TMP/live.db" gateway.window=1m
"$GAPSENSE" simulate -c "$GS_TMP/live.conf" --db "$GS_TMP/live.db" --print \
	--speed 600 --duration 3h --start 2026-11-23T09:00:00Z >/dev/null \
	2>"$GS_TMP/live.log" &
gw=$!
GS_PIDS+=("$gw")
for _ in $(seq 1 100); do
	[ "$(sqlite3 "$GS_TMP/live.db" 'SELECT count(*) FROM windows' 2>/dev/null || echo 0)" -ge 3 ] && break
	sleep 0.1
done
before=$(sqlite3 "$GS_TMP/live.db" 'SELECT count(*) FROM windows')
"$GAPSENSE" report -c "$GS_TMP/live.conf" -o "$GS_TMP/live.html" 2>"$GS_TMP/live-report.log" ||
	fail "report on a running gateway's store failed: $(cat "$GS_TMP/live-report.log")"
kill -0 "$gw" || fail "the gateway died while the report read its store"
grep -q '<svg' "$GS_TMP/live.html" || fail "no chart in the live report"
sleep 0.5
after=$(sqlite3 "$GS_TMP/live.db" 'SELECT count(*) FROM windows')
[ "$after" -gt "$before" ] || fail "the gateway stopped writing ($before, $after windows)"
kill -TERM "$gw"
wait "$gw" || true

# Bad input: a clear error and the usual exit statuses.
st=0
"$GAPSENSE" report --db "$GS_TMP/nothing.db" -o "$GS_TMP/x.html" 2>"$GS_TMP/err" || st=$?
[ "$st" -eq 66 ] && grep -q "no such database" "$GS_TMP/err" ||
	fail "a missing database: exit $st, $(cat "$GS_TMP/err")"
[ ! -e "$GS_TMP/nothing.db" ] || fail "the report created a database"
st=0
"$GAPSENSE" report --db "$db" --day 2026-13-01 -o "$GS_TMP/x.html" 2>"$GS_TMP/err" || st=$?
[ "$st" -eq 64 ] && grep -q "expected a date" "$GS_TMP/err" ||
	fail "a bad --day: exit $st, $(cat "$GS_TMP/err")"
st=0
"$GAPSENSE" report --db "$db" 2>"$GS_TMP/err" || st=$?
[ "$st" -eq 64 ] || fail "no -o: exit $st"
echo "ok: report of a 25-hour day ($size bytes) and of a range rendered by Chromium; live store read; bad input refused"
