#!/usr/bin/env bash
# Installs what the real-kernel GPIO test (tests/vm/) needs from Debian 12
# packages, idempotently: qemu to boot Debian's stock kernel, busybox for
# the initramfs, and the kernel headers and source to build the gpio-sim
# module. The kernel image itself is not installed on this machine: the
# test fetches its package into its cache with `apt-get download`, so no
# /boot, initramfs or boot loader hook runs here.
#
#   deploy/install-vm-deps.sh
#
# The package list is install-deps.sh's profile vm: one installer owns apt,
# so a run that asks for several profiles updates apt's lists once.
set -euo pipefail

exec "$(dirname "$0")/install-deps.sh" vm
