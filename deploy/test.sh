#!/usr/bin/env bash
# The quick start's second command: installs what is needed, builds (also
# with AddressSanitizer + UndefinedBehaviorSanitizer, against libgpiod 2.x,
# and cross-compiled for arm64) and runs every test suite through ctest.
#
#   deploy/test.sh            everything (what CI runs)
#   deploy/test.sh --fast     the unit tests only, in the normal build
#
# Suites by ctest label (tests/CMakeLists.txt): unit (cmocka, seconds in
# all), integration (real mosquitto, the real binary), slow (the integration
# tests over ~15 s: the crash, outage, quota and TLS loops; and the package
# test; and the VM power-cut test), vm (real kernel GPIO and power cuts under
# qemu), package (debootstrap, lintian, a container boot; skipped, exit 77,
# unless root), fresh (bare bookworm and trixie roots: install-deps.sh, the
# build and the quick suites from a clean export of the tree, and the trixie
# packages; root only). A test that cannot run here exits 77: the summary at
# the end names every skipped and every failed test. `ctest --test-dir build
# -L unit` runs the fast ones alone, `-L integration -LE slow` the quick
# end-to-end ones.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
fast=false
[ "${1:-}" = --fast ] && fast=true

step() { printf '\n=== %s\n' "$*"; }

step "dependencies"
if $fast; then
	"$src/deploy/install-deps.sh" test
else
	"$src/deploy/install-deps.sh" all
fi

step "build (warnings are errors)"
cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DGS_WERROR=ON >/dev/null
cmake --build "$src/build" -j"$jobs"

if $fast; then
	step "unit tests"
	ctest --test-dir "$src/build" -L unit --output-on-failure -j"$jobs"
	exit 0
fi

failed=()
failed_tests=()
skipped_tests=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Runs one suite, keeping its output to name every failed and skipped test
# (from ctest's result lines) in the final summary.
run_suite() {
	local name=$1 rc=0 line
	shift
	step "$name"
	"$@" 2>&1 | tee "$log" || rc=$?
	[ "$rc" -eq 0 ] || failed+=("$name")
	while IFS= read -r line; do
		case "$line" in
		*'***Skipped'*)
			skipped_tests+=("$(awk '{ print $4 }' <<<"$line") ($name)") ;;
		*'***'* | *'Not Run'*)
			failed_tests+=("$(awk '{ print $4 }' <<<"$line") ($name)") ;;
		esac
	done < <(grep -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: ' "$log" || true)
}

run_suite "all test suites (libgpiod $(pkg-config --modversion libgpiod))" \
	ctest --test-dir "$src/build" --output-on-failure -j"$jobs"

step "sanitizer build (ASan + UBSan)"
cmake -S "$src" -B "$src/build-asan" -DCMAKE_BUILD_TYPE=Debug \
	-DGS_SANITIZE=ON -DGS_WERROR=ON >/dev/null
cmake --build "$src/build-asan" -j"$jobs"
run_suite "unit tests under ASan + UBSan" \
	env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir "$src/build-asan" -L unit --output-on-failure -j"$jobs"

# On bookworm (libgpiod 1.6) a second build against 2.x from backports; on
# trixie the main build is already 2.x, and test_fresh_root_bookworm builds
# and tests against 1.6.
if [ "$(. /etc/os-release && echo "${VERSION_CODENAME:-}")" = bookworm ]; then
	step "libgpiod 2.x build"
	prefix=$("$src/deploy/gpiod2-prefix.sh" "$src/build-gpiod2-prefix")
	cmake -S "$src" -B "$src/build-gpiod2" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DGS_WERROR=ON -DGS_GPIOD_PREFIX="$prefix" >/dev/null
	cmake --build "$src/build-gpiod2" -j"$jobs"
	run_suite "unit and VM tests against libgpiod 2.x" \
		ctest --test-dir "$src/build-gpiod2" -L 'unit|vm' -LE slow \
		--output-on-failure -j"$jobs" # the power cut does not depend on libgpiod
fi

run_suite "arm64 cross build, unit tests under qemu-aarch64" \
	"$src/deploy/cross-arm64.sh" "$src/build-arm64"

step "summary"
for t in "${skipped_tests[@]}"; do
	printf 'skipped: %s\n' "$t"
done
for t in "${failed_tests[@]}"; do
	printf 'FAILED test: %s\n' "$t" >&2
done
if [ ${#failed[@]} -gt 0 ]; then
	for t in "${failed[@]}"; do
		printf 'FAILED suite: %s\n' "$t" >&2
	done
	exit 1
fi
printf 'All suites passed (%d tests skipped).\n' "${#skipped_tests[@]}"
