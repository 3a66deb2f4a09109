#!/usr/bin/env bash
# Issue 9 §7: the demo speaks to a shop owner. deploy/demo.sh --help exits
# 0 and bad arguments are refused (64) before anything is installed or
# built; the subscriber prints a legend, windows in the shop's local time,
# alerts as plain sentences (no JSON), and counts status messages apart
# from the data.
. "$(dirname "$0")/lib.sh"
demo=$GS_SOURCE_DIR/deploy/demo.sh
"$demo" --help >"$GS_TMP/help" || fail "demo.sh --help exits $?"
grep -q "^usage: " "$GS_TMP/help" || fail "demo.sh --help prints no usage"
for args in "--hours x" "--hours 0" "--speed -3" "--seed 1.5" "--from 25:00" "--bogus" "--hours"; do
	rc=0
	# shellcheck disable=SC2086
	timeout 10 "$demo" $args >"$GS_TMP/bad" 2>&1 || rc=$?
	[ "$rc" -eq 64 ] || fail "demo.sh $args: exit $rc, not 64: $(head -3 "$GS_TMP/bad")"
	! grep -qi "cmake\|apt\|install" "$GS_TMP/bad" || fail "demo.sh $args built something first"
done
echo "ok   demo.sh --help exits 0; 7 kinds of bad arguments exit 64 before any build"

base=gapsense/v1/sim-store/demo-1
{
	echo "gapsense-demo/ready ready"
	echo "$base/status {\"schema\":\"gapsense.status.v1\",\"state\":\"online\"}"
	echo "$base/metrics {\"seq\":1,\"window_start\":\"2026-11-23T15:00:00.000Z\",\"window_end\":\"2026-11-23T15:15:00.000Z\",\"footfall\":{\"in\":33,\"out\":9,\"occupancy\":24},\"queue\":{\"served\":9,\"wait_avg_s\":95.0,\"service_level_pct\":100.0},\"feedback\":{\"responses\":2,\"index\":null},\"staff\":{\"index\":66.7},\"gap\":{\"quadrant\":null}}"
	echo "$base/metrics {\"seq\":1,\"window_start\":\"2026-11-23T15:00:00.000Z\",\"window_end\":\"2026-11-23T15:15:00.000Z\",\"footfall\":{\"in\":33,\"out\":9,\"occupancy\":24},\"queue\":{\"served\":9,\"wait_avg_s\":95.0,\"service_level_pct\":100.0},\"feedback\":{\"responses\":2,\"index\":null},\"staff\":{\"index\":66.7},\"gap\":{\"quadrant\":null}}"
	echo "$base/alerts {\"seq\":2,\"time\":\"2026-11-23T18:04:56.120Z\",\"type\":\"discontent_burst\",\"sensor\":\"smiley-exit\",\"details\":{\"negative\":5,\"presses\":7,\"negative_pct\":71.4,\"first_press\":\"2026-11-23T17:55:00.000Z\",\"window_s\":600,\"burst_min\":5,\"burst_share_pct\":50}}"
	echo "$base/alerts {\"seq\":3,\"time\":\"2026-11-23T18:10:00.000Z\",\"type\":\"sensor_fault\",\"sensor\":\"entrance\",\"details\":{\"line\":\"GPIO17\",\"role\":\"beam A\",\"active_since\":\"2026-11-23T18:09:00.000Z\"}}"
	echo "$base/status {\"schema\":\"gapsense.status.v1\",\"state\":\"online\",\"outputs\":[{\"name\":\"lamp\",\"state\":\"blink\"}]}"
	echo "$base/acks {\"seq\":5,\"time\":\"2026-11-23T18:07:17.000Z\",\"alert\":{\"time\":\"2026-11-23T18:04:56.120Z\",\"type\":\"discontent_burst\",\"sensor\":\"smiley-exit\"},\"output\":\"lamp\",\"by\":\"lamp-button\",\"button\":null,\"response_s\":140.9}"
	echo "$base/status {\"schema\":\"gapsense.status.v1\",\"state\":\"online\",\"outputs\":[{\"name\":\"lamp\",\"state\":\"off\"}]}"
	echo "$base/daily {\"seq\":4,\"day\":\"2026-11-22\",\"footfall\":{\"in\":812},\"gap\":{\"perceived\":62.4,\"actual\":91.0,\"quadrant\":\"perception_lag\"},\"trend\":{\"streak\":{\"days\":3},\"finding\":\"perception_lag\"}}"
	echo "$base/status {\"schema\":\"gapsense.status.v1\",\"state\":\"offline\",\"reason\":\"shutdown\"}"
} | python3 "$GS_SOURCE_DIR/deploy/demo-subscriber.py" --state "$GS_TMP/state" \
	--ready-topic gapsense-demo/ready --timezone Europe/Berlin >"$GS_TMP/out"
for word in "occ " "SL " "index " "staff " "  -  "; do
	grep -q "^  *${word# }" "$GS_TMP/out" || grep -q "^ *$word" "$GS_TMP/out" ||
		fail "the legend does not explain '$word': $(head -12 "$GS_TMP/out")"
done
grep -q "^16:00-16:15  33   9  24 |      9   1m35s  100% |     -   2    67 | -$" "$GS_TMP/out" ||
	fail "the window is not in local time with '-' for no data: $(grep -- '-16:15' "$GS_TMP/out")"
grep -q "!! 19:04:56  smiley-exit: customers are unhappy right now: 5 of the last 7 presses were unhappy (71%) within 10m00s" "$GS_TMP/out" ||
	fail "the burst is not a plain sentence: $(grep '!!' "$GS_TMP/out")"
grep -q "!! 19:10:00  entrance: sensor fault: beam A (line GPIO17) has been active since 19:09:00" "$GS_TMP/out" ||
	fail "the fault is not a plain sentence: $(grep '!!' "$GS_TMP/out")"
grep -q "== the day 2026-11-22 ended: 812 came in, service level 91%, customers' index 62: fast, but customers are unhappy; 3 days in a row: the queue has been fast for days, but customers have not noticed yet" "$GS_TMP/out" ||
	fail "the daily rollup is not a plain sentence: $(grep '==' "$GS_TMP/out")"
! grep -q '[{}]' "$GS_TMP/out" || fail "raw JSON in the output: $(grep '[{}]' "$GS_TMP/out")"
grep -q "^  \*\* lamp: blink$" "$GS_TMP/out" && grep -q "^  \*\* lamp: off$" "$GS_TMP/out" ||
	fail "the lamp's state is not shown: $(grep -F '**' "$GS_TMP/out")"
grep -q "ok 19:07:17  lamp-button pressed: lamp acknowledged 2m21s after the discontent_burst alert of 19:04:56 (smiley-exit)" "$GS_TMP/out" ||
	fail "the acknowledgement is not a plain sentence: $(grep ' ok ' "$GS_TMP/out")"
[ "$(grep -c 'the gateway is online' "$GS_TMP/out")" = 1 ] ||
	fail "an unchanged online status printed again"
[ "$(cat "$GS_TMP/state")" = "1 1 2 4 1 1" ] ||
	fail "counts (ready metrics alerts status duplicates acks): $(cat "$GS_TMP/state"), not 1 1 2 4 1 1"
echo "ok   subscriber: legend, local time, plain alerts, the lamp and its acknowledgement, status counted apart"
echo "ok: demo"
