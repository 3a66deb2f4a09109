#!/usr/bin/env bash
# Installs what gapsense needs from Debian 12 (bookworm) or Debian 13
# (trixie) packages, idempotently: one
# `apt-get update` and one `apt-get install` for every profile asked for,
# and neither when nothing is missing. The other installers
# (install-vm-deps.sh, install-cross-deps.sh, gpiod2-prefix.sh) call this
# one, so deploy/test.sh, which asks for `all` first, updates apt's lists
# once per run.
#
#   deploy/install-deps.sh [build|test|vm|cross|gpiod2|all]...   (default: build)
#
# build:  compilers and libraries.
# test:   build plus mosquitto, cmocka, python3 and the test suites' tools.
# vm:     the real-kernel GPIO test (tests/vm/, see install-vm-deps.sh).
# cross:  the arm64 cross build and the package suites (install-cross-deps.sh).
# gpiod2: Debian's bookworm-backports suite in apt's sources, for the
#         libgpiod 2.x build (gpiod2-prefix.sh); nothing is installed from it.
#         Its archive is the one apt already uses for bookworm (a local
#         mirror or apt proxy keeps working). On trixie, whose own libgpiod
#         is 2.x, there is nothing to add.
# all:    every profile above.
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config ca-certificates
	libpaho-mqtt-dev libssl-dev libgpiod-dev gpiod libsqlite3-dev
	libinih-dev libcjson-dev tzdata)
# Every program and Python module a test uses (tests/package/fresh-root-test.sh
# proves it: it runs this installer in a bare minbase root, then the tests).
# systemd: systemd-analyze (test_systemd_unit). chromium renders
# `gapsense report` to a PNG (tests/integration/test_report.sh).
# python3-paho-mqtt: bench/ uses it (bench/baseline/shop.py, the Python
# script a shop would run instead, which bench/bench_replay.sh times).
test_pkgs=(libcmocka-dev mosquitto mosquitto-clients python3
	python3-jsonschema python3-yaml python3-paho-mqtt sqlite3 openssl
	valgrind procps systemd chromium)
# qemu boots Debian's stock kernel, busybox makes the initramfs, the headers
# and source build the gpio-sim module. The kernel image is not installed
# here: the test fetches its package with `apt-get download`, so no /boot,
# initramfs or boot loader hook runs on this machine.
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
vm_pkgs=(qemu-system-x86 busybox-static cpio xz-utils kmod build-essential
	linux-headers-amd64 e2fsprogs)
case "$codename" in
bookworm) vm_pkgs+=(linux-source-6.1) ;;
*) vm_pkgs+=(linux-source) ;;
esac
# Debian's cross toolchain and qemu-user-static (the arm64 unit tests run on
# this machine); lintian, debootstrap (the package test's Debian 12 root),
# systemd (systemd-analyze verify/security), systemd-container (the service
# test's container), man-db. The :arm64 libraries are not installed here:
# cross-arm64.sh unpacks them into a sysroot in its build directory.
cross_pkgs=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	binutils-aarch64-linux-gnu qemu-user-static dpkg-dev file
	lintian debootstrap systemd systemd-container man-db gzip)
backports=$codename-backports
backports_file=/etc/apt/sources.list.d/$backports.sources

want=()
want_backports=false
for profile in "${@:-build}"; do
	case "$profile" in
	build) want+=("${build_pkgs[@]}") ;;
	test) want+=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
	vm) want+=("${vm_pkgs[@]}") ;;
	cross) want+=("${cross_pkgs[@]}") ;;
	gpiod2) want_backports=true ;;
	all)
		want+=("${build_pkgs[@]}" "${test_pkgs[@]}" "${vm_pkgs[@]}"
			"${cross_pkgs[@]}")
		want_backports=true
		;;
	*)
		echo "install-deps: unknown profile '$profile'" \
			"(build, test, vm, cross, gpiod2, all)" >&2
		exit 64
		;;
	esac
done

declare -A seen=()
missing=()
for pkg in "${want[@]}"; do
	[ -n "${seen[$pkg]:-}" ] && continue
	seen[$pkg]=1
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
		grep -q "install ok installed"; then
		missing+=("$pkg")
	fi
done

# Backports are only ever installed when asked for by name, so adding the
# suite is harmless. Its lists are fetched by the same update as the rest.
add_backports=false
update=false
# Only bookworm needs backports (its libgpiod is 1.6).
[ "$codename" = bookworm ] || want_backports=false
if $want_backports; then
	# (Captured first: grep -q leaving early would fail a pipe.)
	targets=$(apt-get indextargets --format '$(RELEASE)' 2>/dev/null || true)
	fetched=$(apt-cache policy 2>/dev/null || true)
	if ! grep -qx -- "$backports" <<<"$targets"; then
		add_backports=true
		update=true
	elif ! grep -q -- " $backports/main " <<<"$fetched"; then
		update=true # in the sources, its lists never fetched
	fi
fi
[ ${#missing[@]} -gt 0 ] && update=true
$update || exit 0

if [ "$(id -u)" -ne 0 ]; then
	$add_backports &&
		echo "install-deps: run as root to add $backports to apt's sources" >&2
	[ ${#missing[@]} -gt 0 ] &&
		echo "install-deps: run as root to install: ${missing[*]}" >&2
	$add_backports || [ ${#missing[@]} -gt 0 ] ||
		echo "install-deps: run as root to fetch apt's lists of $backports" >&2
	exit 77
fi
if $add_backports; then
	# The archive apt fetches $codename's main suite from: a shop's mirror
	# or apt proxy (http://proxy:3142/debian) stays in use.
	uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(ORIGIN)' \
		'Created-By: Packages' 2>/dev/null |
		awk -v s="$codename" '$2 == s && $3 == "Debian" { print $1; exit }')
	if [ -z "$uri" ]; then
		echo "install-deps: no Debian $codename archive in apt's sources" \
			"to take $backports from" >&2
		exit 1
	fi
	echo "install-deps: adding $backports ($uri) to apt's sources"
	cat >"$backports_file" <<SOURCES
Types: deb
URIs: $uri
Suites: $backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
