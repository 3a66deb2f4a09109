#!/usr/bin/env bash
# The package test as a ctest entry (labels: package, slow): builds both
# .debs, lints them, installs the amd64 one into a debootstrapped Debian 12
# root and checks install, upgrade, remove and purge. The root is cached in
# the build directory (package-test/cache): the first run spends about a
# minute in debootstrap. Exit 77 (skipped) when not root.
set -euo pipefail
: "${GS_SOURCE_DIR:?}" "${GS_BUILD_DIR:?}"
exec bash "$GS_SOURCE_DIR/tests/package/package-test.sh" \
	"$GS_BUILD_DIR/package-test"
