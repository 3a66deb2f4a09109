#!/usr/bin/env bash
# Installs what the real-kernel GPIO test (tests/vm/) needs from Debian 12
# packages, idempotently: qemu to boot Debian's stock kernel, busybox for
# the initramfs, and the kernel headers and source to build the gpio-sim
# module. The kernel image itself is not installed on this machine: the
# test fetches its package into its cache with `apt-get download`, so no
# /boot, initramfs or boot loader hook runs here.
#
#   deploy/install-vm-deps.sh
set -euo pipefail

pkgs=(qemu-system-x86 busybox-static cpio xz-utils kmod build-essential
	linux-headers-amd64 linux-source-6.1)

missing=()
for pkg in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
		grep -q "install ok installed"; then
		missing+=("$pkg")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "install-vm-deps: run as root to install: ${missing[*]}" >&2
	exit 77
fi
echo "install-vm-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
