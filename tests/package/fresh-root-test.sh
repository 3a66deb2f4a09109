#!/usr/bin/env bash
# The install path, proved (issue 9): a bare Debian root of SUITE (bookworm
# or trixie, debootstrap --variant=minbase: nothing but what every Debian
# has), a clean export of the tree (git ls-files: no build directories, no
# host tools), then exactly what the README tells a new user to run: the
# demo (deploy/demo.sh, which installs what it needs by itself),
# deploy/install-deps.sh, a build with warnings as errors, and a slice of
# the suites (every unit test, the quick integration tests with a real
# mosquitto). A program or Python module a test needs that the installer
# does not bring fails here, whatever the CI machine happens to have.
# With --deb it also builds the package in that root (deploy/build-deb.sh:
# Depends from dpkg-shlibdeps against SUITE's own libraries), runs that
# release's lintian on it, copies it to WORK_DIR/SUITE.deb and runs the
# package test with it in another fresh root of SUITE (install, check-config,
# a simulated run, an unattended upgrade keeping the settings, purge).
#
#   tests/package/fresh-root-test.sh [--deb] SUITE [WORK_DIR]
#
# Needs root (debootstrap, chroot; exit 77 otherwise) and a Debian archive:
# the one apt uses here (GS_DEBIAN_MIRROR overrides), through apt's proxy
# if it has one. Downloads are kept in GS_CACHE_DIR (default
# /var/cache/gapsense-test): the minbase root as a tarball, apt's .debs.
# Both are checked by apt/dpkg on use; delete the directory to start over.
# The first run of a suite downloads about 40 MB for the root and 150 MB of
# packages; later runs only `apt-get update`.
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
want_deb=false
if [ "${1:-}" = --deb ]; then
	want_deb=true
	shift
fi
suite=${1:?usage: fresh-root-test.sh [--deb] SUITE [WORK_DIR]}
work=${2:-$src/build-fresh-root}
case "$suite" in
bookworm | trixie) ;;
*)
	echo "fresh-root: unknown suite '$suite' (bookworm, trixie)" >&2
	exit 64
	;;
esac

fail() {
	echo "FAIL: fresh $suite root: $*" >&2
	exit 1
}
step() { printf '\n--- fresh %s root: %s\n' "$suite" "$*"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: needs root for debootstrap and chroot" >&2
	exit 77
fi
for tool in debootstrap chroot git tar; do
	command -v "$tool" >/dev/null ||
		fail "$tool is missing (deploy/install-deps.sh cross)"
done
git -C "$src" rev-parse --git-dir >/dev/null 2>&1 ||
	fail "$src is not a git checkout (the export uses git ls-files)"

mkdir -p "$work"
work=$(cd "$work" && pwd)
root=$work/$suite-root
cache=${GS_CACHE_DIR:-/var/cache/gapsense-test}
archives=$cache/archives-$suite

. "$src/tests/package/roots.sh"
in_root() {
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# --- the root ---------------------------------------------------------------
start_all=$(date +%s)
step "root (cache: $cache)"
tarball=$(roots_tarball "$suite" "$work/debootstrap-$suite.log")
remove_root
roots_unpack "$tarball" "$root" "$suite"
# A throwaway root: dpkg need not fsync every file.
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/unsafe-io"
mount_in_root -t proc proc "$root/proc"
mount_in_root -t tmpfs tmpfs "$root/dev/shm"
mount_in_root -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
roots_debs_in "$suite" "$root"
echo "Debian $(cat "$root/etc/debian_version"), archive $roots_mirror"

# --- the tree, as a clone has it ----------------------------------------------
step "a clean export of the tree (git ls-files)"
mkdir -p "$root/src/gapsense"
(cd "$src" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"
	done | tar --null -T - -cf -) | tar -C "$root/src/gapsense" -xf -
[ -x "$root/src/gapsense/deploy/install-deps.sh" ] || fail "the export lacks the installer"
echo "$(find "$root/src/gapsense" -type f | wc -l) files"

# --- the README's steps -------------------------------------------------------
# The quick start's first command, first, as a newcomer runs it: it must
# install what it needs by itself (a short run keeps it under a minute).
step "deploy/demo.sh (the README's first command)"
t=$(date +%s)
in_root sh -c 'cd /src/gapsense && ./deploy/demo.sh --hours 1' \
	>"$work/$suite-demo.log" 2>&1 ||
	fail "deploy/demo.sh failed: $(tail -20 "$work/$suite-demo.log")"
grep -q 'the broker acknowledged all of them' "$work/$suite-demo.log" ||
	fail "deploy/demo.sh did not see every message acknowledged: $(tail -5 "$work/$suite-demo.log")"
grep 'gapsense demo: the' "$work/$suite-demo.log" | sed 's/^/  /'
echo "demo ran in $(($(date +%s) - t)) s"

step "deploy/install-deps.sh test"
t=$(date +%s)
before=$(in_root dpkg-query -W -f='${Installed-Size}\n' | awk '{ s += $1 } END { print s }')
in_root /src/gapsense/deploy/install-deps.sh test >"$work/$suite-install.log" 2>&1 ||
	fail "install-deps.sh test failed: $(tail -20 "$work/$suite-install.log")"
after=$(in_root dpkg-query -W -f='${Installed-Size}\n' | awk '{ s += $1 } END { print s }')
echo "installed $(((after - before) / 1024)) MB of packages in $(($(date +%s) - t)) s" \
	"($(du -sm "$root/var/cache/apt/archives" | cut -f1) MB of .debs, kept in $archives)"

step "build (warnings are errors) against $suite's libraries"
t=$(date +%s)
in_root sh -c 'cd /src/gapsense &&
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGS_WERROR=ON &&
	cmake --build build -j2' >"$work/$suite-build.log" 2>&1 ||
	fail "the build failed: $(grep -m 20 -E 'error|warning|Error' "$work/$suite-build.log")"
gcc_version=$(in_root gcc -dumpfullversion)
gpiod_version=$(in_root pkg-config --modversion libgpiod)
echo "built with gcc $gcc_version, libgpiod $gpiod_version in $(($(date +%s) - t)) s"

step "unit tests and quick integration tests"
t=$(date +%s)
# Quick: not slow, vm or package, and valgrind (minutes under valgrind).
rc=0
in_root sh -c 'cd /src/gapsense && ctest --test-dir build -L "unit|integration" \
	-LE "slow|vm|package|fresh" -E "^test_valgrind$" --output-on-failure -j2' \
	>"$work/$suite-ctest.log" 2>&1 || rc=$?
grep -E '^ *[0-9]+/[0-9]+ Test +#|tests passed|Skipped|Failed' "$work/$suite-ctest.log" || true
[ "$rc" -eq 0 ] || fail "tests failed in the fresh root:
$(sed -n '/The following tests/,$p' "$work/$suite-ctest.log")
(full log: $work/$suite-ctest.log)"
echo "tests ran in $(($(date +%s) - t)) s"

if $want_deb; then
	step "the $suite packages (deploy/build-deb.sh, deploy/cross-arm64.sh, lintian of $suite)"
	t=$(date +%s)
	in_root /src/gapsense/deploy/install-deps.sh cross \
		>"$work/$suite-cross-install.log" 2>&1 ||
		fail "install-deps.sh cross failed: $(tail -20 "$work/$suite-cross-install.log")"
	deb=$(in_root sh -c 'cd /src/gapsense && deploy/build-deb.sh /src/build-deb' \
		2>"$work/$suite-deb.log" | tail -n 1) ||
		fail "build-deb.sh failed: $(tail -20 "$work/$suite-deb.log")"
	[ -f "$root$deb" ] || fail "no package"
	lint=$(in_root lintian --pedantic "$deb" 2>&1 |
		grep -v 'running with root privileges' || true)
	[ -n "$lint" ] && printf '  %s\n' "$lint"
	grep -q '^E: ' <<<"$lint" && fail "lintian of $suite reports errors"
	cp "$root$deb" "$work/$suite.deb"
	echo "$(basename "$deb") -> $work/$suite.deb: Depends: $(dpkg-deb -f "$work/$suite.deb" Depends)"
	# arm64: the sysroot from this root's (so $suite's) arm64 packages,
	# Depends from their shlibs; the unit tests under qemu-aarch64.
	in_root sh -c 'cd /src/gapsense && deploy/cross-arm64.sh /src/build-arm64' \
		>"$work/$suite-arm64.log" 2>&1 ||
		fail "cross-arm64.sh failed: $(tail -30 "$work/$suite-arm64.log")"
	deb_arm64=$(find "$root/src/build-arm64/cmake" -maxdepth 1 -name 'gapsense_*_arm64.deb' | head -n 1)
	[ -n "$deb_arm64" ] || fail "no arm64 package"
	grep -E '^ *[0-9]+/[0-9]+ Test +#|tests passed' "$work/$suite-arm64.log" | tail -n 1
	cp "$deb_arm64" "$work/$suite-arm64.deb"
	echo "$(basename "$deb_arm64") -> $work/$suite-arm64.deb: Depends: $(dpkg-deb -f "$work/$suite-arm64.deb" Depends)"
	for d in "$work/$suite.deb" "$work/$suite-arm64.deb"; do
		grep -q 'libgpiod' <<<"$(dpkg-deb -f "$d" Depends)" ||
			fail "$(basename "$d"): Depends lacks libgpiod"
	done
	echo "packages built in $(($(date +%s) - t)) s"

	# The real-kernel GPIO test on this release's own kernel (trixie:
	# 6.12, where configfs is built in and gpio-sim a module): what the
	# CI machine's bookworm kernel cannot show.
	step "the GPIO VM test on $suite's kernel (deploy/install-deps.sh vm)"
	t=$(date +%s)
	in_root /src/gapsense/deploy/install-deps.sh vm \
		>"$work/$suite-vm-install.log" 2>&1 ||
		fail "install-deps.sh vm failed: $(tail -20 "$work/$suite-vm-install.log")"
	rc=0
	in_root sh -c 'cd /src/gapsense && GS_VM_CACHE=/root/.cache/gapsense/vm \
		ctest --test-dir build -R "^test_vm_gpio$" --output-on-failure' \
		>"$work/$suite-vm.log" 2>&1 || rc=$?
	grep -E '^ *[0-9]+/[0-9]+ Test +#|run-vm: ' "$work/$suite-vm.log" || true
	[ "$rc" -eq 0 ] || fail "the VM test failed on $suite's kernel: $(tail -30 "$work/$suite-vm.log")"
	grep -q "Passed" "$work/$suite-vm.log" ||
		fail "the VM test did not run on $suite's kernel: $(tail -10 "$work/$suite-vm.log")"
	echo "kernel $(ls "$root/root/.cache/gapsense/vm" | head -n 1): VM test in $(($(date +%s) - t)) s"
fi

remove_root
if $want_deb; then
	step "the $suite package in a fresh $suite root (tests/package/package-test.sh)"
	bash "$src/tests/package/package-test.sh" --suite "$suite" \
		--deb "$work/$suite.deb" "$work/package" ||
		fail "the package test of the $suite package failed"
fi
echo
echo "fresh $suite root: install-deps, build and tests passed in $(($(date +%s) - start_all)) s"
