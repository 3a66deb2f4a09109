#!/usr/bin/env bash
# Installs the tools of the arm64 cross build and of the package suites from
# Debian 12 packages, idempotently (apt-get update only if something is
# missing).
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
#
# The package list is install-deps.sh's profile cross (`install-deps.sh
# all` includes it): one installer owns apt, so a run that asks for several
# profiles updates apt's lists once.
set -euo pipefail

exec "$(dirname "$0")/install-deps.sh" cross
