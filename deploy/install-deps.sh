#!/usr/bin/env bash
# Installs what gapsense needs from Debian 12 packages, idempotently: runs
# `apt-get update` once and only if something is missing.
#
#   deploy/install-deps.sh [build|test|all]...   (default: build)
#
# build: compilers and libraries; test: plus mosquitto, cmocka, python3 and
# the tools the test suites use; all: test plus the VM, cross-build and
# packaging suites' tools.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

build_pkgs=(build-essential cmake pkg-config ca-certificates
	libpaho-mqtt-dev libssl-dev libgpiod-dev gpiod libsqlite3-dev
	libinih-dev libcjson-dev libsystemd-dev tzdata)
test_pkgs=(libcmocka-dev mosquitto mosquitto-clients python3
	python3-jsonschema sqlite3 openssl valgrind procps)

want=()
for profile in "${@:-build}"; do
	case "$profile" in
	build) want+=("${build_pkgs[@]}") ;;
	test) want+=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
	all) want+=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
	*)
		echo "install-deps: unknown profile '$profile' (build, test, all)" >&2
		exit 64
		;;
	esac
done

missing=()
for pkg in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
		grep -q "install ok installed"; then
		missing+=("$pkg")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: run as root to install: ${missing[*]}" >&2
		exit 77
	fi
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The heavier suites bring their own installers.
for profile in "$@"; do
	if [ "$profile" = all ]; then
		for extra in install-vm-deps.sh install-cross-deps.sh; do
			if [ -x "$here/$extra" ]; then
				"$here/$extra"
			fi
		done
	fi
done
