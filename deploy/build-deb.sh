#!/usr/bin/env bash
# Builds the gapsense Debian package for this machine's architecture the way
# a Debian build would: hardening flags from dpkg-buildflags, no test
# targets, stripped by CPack, Depends from dpkg-shlibdeps.
#
#   deploy/build-deb.sh [BUILD_DIR]     (default: build-deb)
#
# Prints the path of the .deb on the last line of standard output.
# deploy/cross-arm64.sh builds the arm64 package.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-deb}
jobs=$(nproc)
[ "$jobs" -gt 2 ] && jobs=2

for tool in cmake cpack dpkg-buildflags dpkg-shlibdeps gzip; do
	if ! command -v "$tool" >/dev/null; then
		echo "build-deb: $tool is missing (deploy/install-deps.sh build)" >&2
		exit 69
	fi
done

# -ffile-prefix-map in dpkg's flags maps the current directory away: run
# from the source tree so the paths in the debug info are relative to it.
cd "$src"
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cflags="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
ldflags=$(dpkg-buildflags --get LDFLAGS)

# CMAKE_BUILD_TYPE=None: only the flags above, as Debian's cmake helper does.
mkdir -p "$build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=None \
	-DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
	-DGS_BUILD_TESTS=OFF >"$build/configure.log" 2>&1 || {
	cat "$build/configure.log" >&2
	exit 1
}
cmake --build "$build" -j"$jobs" >&2
rm -f "$build"/gapsense_*.deb
(cd "$build" && cpack -G DEB >&2)

deb=$(find "$build" -maxdepth 1 -name 'gapsense_*.deb' -print | head -n 1)
if [ -z "$deb" ]; then
	echo "build-deb: cpack made no gapsense_*.deb in $build" >&2
	exit 1
fi
echo "$deb"
