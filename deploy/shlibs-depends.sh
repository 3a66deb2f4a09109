#!/usr/bin/env bash
# Prints the Depends of a set of shared libraries, "pkg (>= v), ...", from
# dpkg shlibs files: what dpkg-shlibdeps does for a binary's NEEDED entries,
# for sonames it cannot see. Used for the libraries gapsense loads itself
# (dlopen: Paho's two builds, libcrypto; gateway/dynlib.h) and by
# deploy/cross-arm64.sh, whose sysroot dpkg-shlibdeps cannot look into.
#
#   deploy/shlibs-depends.sh SHLIBS SONAME...
#     SHLIBS  a file of shlibs lines, or "dpkg" for this machine's packages
set -euo pipefail

[ $# -ge 1 ] || {
	echo "usage: $0 SHLIBS|dpkg SONAME..." >&2
	exit 2
}
shlibs=$1
shift
if [ "$shlibs" = dpkg ]; then
	shlibs=$(mktemp)
	trap 'rm -f "$shlibs"' EXIT
	cat /var/lib/dpkg/info/*.shlibs >"$shlibs" 2>/dev/null || true
fi

deps=()
for soname in "$@"; do
	if [[ $soname =~ ^(.+)\.so\.([0-9.]+)$ ]]; then
		name=${BASH_REMATCH[1]} ver=${BASH_REMATCH[2]}
	elif [[ $soname =~ ^(.+)-([0-9.]+)\.so$ ]]; then
		name=${BASH_REMATCH[1]} ver=${BASH_REMATCH[2]}
	else
		echo "shlibs-depends: cannot parse soname $soname" >&2
		exit 1
	fi
	# shlibs line: "[type:] name version dependency"; udebs are not ours.
	dep=$(awk -v n="$name" -v v="$ver" '
		$1 ~ /:$/ { next }
		$1 == n && $2 == v { $1 = $2 = ""; sub(/^ +/, ""); print; exit }' \
		"$shlibs")
	if [ -z "$dep" ]; then
		echo "shlibs-depends: no installed package provides $soname" >&2
		exit 1
	fi
	deps+=("$dep")
done
[ ${#deps[@]} -eq 0 ] || printf '%s\n' "${deps[@]}" | sort -u | paste -sd, | sed 's/,/, /g'
