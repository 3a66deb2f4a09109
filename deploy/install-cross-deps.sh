#!/usr/bin/env bash
# Installs the tools of the arm64 cross build and of the package suites from
# Debian 12 packages, idempotently (apt-get update only if something is
# missing). deploy/install-deps.sh all calls it.
#
#   cross:    gcc-aarch64-linux-gnu (Debian's cross toolchain) and
#             qemu-user-static (runs the arm64 unit tests on this machine).
#   packages: lintian, debootstrap (the package test's Debian 12 root),
#             systemd (systemd-analyze verify/security), systemd-container
#             (systemd-nspawn boots the service test's container), man-db.
#
# The arm64 libraries themselves are not installed on this machine:
# deploy/cross-arm64.sh unpacks Debian's :arm64 development packages into a
# sysroot in its build directory (see there why).
set -euo pipefail

pkgs=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu
	qemu-user-static dpkg-dev file
	lintian debootstrap systemd systemd-container man-db gzip)

missing=()
for pkg in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
		grep -q "install ok installed"; then
		missing+=("$pkg")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-cross-deps: run as root to install: ${missing[*]}" >&2
	exit 77
fi
echo "install-cross-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
