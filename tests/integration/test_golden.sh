#!/bin/bash
# Golden scenarios (tests/golden/*/): each case's scenario is replayed with
# --print and its metrics and alerts must match the hand-computed
# expected.jsonl message for message, field for field (compare.py); a second
# replay must print byte-identical output.
source "$(dirname "$0")/lib.sh"

golden="$GS_SOURCE_DIR/tests/golden"
mkdir "$GS_TMP/tmp"
failed=0
n=0
for dir in "$golden"/*/; do
	name=$(basename "$dir")
	[ -f "$dir/expected.jsonl" ] || continue
	n=$((n + 1))
	for run in 1 2; do
		# Replay's private database lives under TMPDIR and must go.
		if ! TMPDIR=$GS_TMP/tmp "$GAPSENSE" replay -c "$dir/gapsense.conf" \
			"$dir/scenario.csv" --print >"$GS_TMP/$name.$run" \
			2>"$GS_TMP/$name.$run.err"; then
			echo "FAIL $name: replay exited non-zero:" >&2
			cat "$GS_TMP/$name.$run.err" >&2
			failed=$((failed + 1))
			continue 2
		fi
	done
	if ! cmp -s "$GS_TMP/$name.1" "$GS_TMP/$name.2"; then
		echo "FAIL $name: two replays printed different output" >&2
		diff "$GS_TMP/$name.1" "$GS_TMP/$name.2" | head -20 >&2
		failed=$((failed + 1))
		continue
	fi
	if ! python3 "$golden/compare.py" "$dir/expected.jsonl" \
		"$GS_TMP/$name.1" >"$GS_TMP/$name.diff"; then
		echo "FAIL $name:" >&2
		head -40 "$GS_TMP/$name.diff" >&2
		failed=$((failed + 1))
		continue
	fi
	echo "ok   $name ($(grep -c . "$dir/expected.jsonl") messages)"
done

[ "$n" -gt 0 ] || fail "no golden cases found in $golden"
# Every printed message, daily rollups included, against docs/asyncapi.yaml.
python3 "$GS_SOURCE_DIR/tests/integration/mqtt_schema.py" \
	"$GS_SOURCE_DIR/docs/asyncapi.yaml" --print "$GS_TMP"/*.1 ||
	fail "a golden replay printed a message docs/asyncapi.yaml refuses"
grep -q '"gapsense.daily.v1"' "$GS_TMP"/*.1 ||
	fail "no golden case printed a daily rollup"
left=$(ls -A "$GS_TMP/tmp")
[ -z "$left" ] || fail "replay left files in its TMPDIR: $left"
[ "$failed" -eq 0 ] || fail "$failed of $n golden cases failed"
echo "all $n golden cases pass"
