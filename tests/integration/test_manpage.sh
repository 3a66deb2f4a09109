#!/usr/bin/env bash
# The man page (deploy/gapsense.1) matches the program: every command of
# `gapsense --help` and every option of `gapsense COMMAND --help` appears in
# it, its version is the program's, and man renders it without warnings.
set -euo pipefail
: "${GAPSENSE:?}" "${GS_SOURCE_DIR:?}"
page=$GS_SOURCE_DIR/deploy/gapsense.1
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
# The page as plain words: roff's \- is a dash.
text=$(sed 's/\\-/-/g' "$page")

commands=$("$GAPSENSE" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
[ "$(wc -w <<<"$commands")" -ge 5 ] || fail "cannot read the commands of --help"
for cmd in $commands; do
	grep -q "^\.B gapsense $cmd\b\|^\.B $cmd\$\|^\.BI \"$cmd " <<<"$text" ||
		fail "the man page does not describe the command '$cmd'"
	"$GAPSENSE" "$cmd" --help >/dev/null 2>&1 ||
		fail "gapsense $cmd --help failed"
	for opt in $("$GAPSENSE" "$cmd" --help | grep -oE -- '(^| )--?[a-z][a-z-]*' |
		tr -d ' ' | sort -u); do
		grep -qE -- "(^|[^a-z-])$opt([^a-z-]|$)" <<<"$text" ||
			fail "the man page lacks option $opt of 'gapsense $cmd'"
	done
done
echo "ok: commands and options: $(tr '\n' ' ' <<<"$commands")"

version=$("$GAPSENSE" --version | awk '{print $2}')
grep -q "^\.TH GAPSENSE 1 \"[0-9-]*\" \"gapsense $version\"" "$page" ||
	fail "the man page is not for version $version: $(grep '^\.TH' "$page")"
echo "ok: version $version"

if command -v man >/dev/null; then
	warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null || true)
	[ -z "$warnings" ] || fail "man warns: $warnings"
	echo "ok: man renders it without warnings"
fi
echo "man page: all checks passed"
