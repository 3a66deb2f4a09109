#!/usr/bin/env bash
# The service under a real systemd: boots a Debian 12 container
# (systemd-nspawn, private network) with the package and mosquitto
# installed, starts gapsense.service with its packaged sandbox on simulated
# sensors and checks READY=1, the process's credentials, the watchdog
# (pings, and a restart when the loop is stuck), the journal levels, a
# message at the broker and a clean stop (tests/package/in-container.sh).
#
#   tests/package/service-test.sh WORK_DIR DEB BASE_TARBALL
#
# BASE_TARBALL is the debootstrapped root of package-test.sh. The root with
# systemd and mosquitto added is cached next to it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$1 deb=$2 base=$3
root=$work/service-root
cached=${base%.tar}-systemd.tar

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
. "$here/roots.sh"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
# apt in the root, with the .debs cached across runs.
apt_in_root() {
	local log=$1
	shift
	cp "$(dirname "$base")"/archives/*.deb "$root/var/cache/apt/archives/" \
		2>/dev/null || true
	mount -t proc proc "$root/proc"
	mounted+=("$root/proc")
	in_root apt-get install -y -q --no-install-recommends "$@" >"$log" 2>&1 ||
		fail "apt-get install $* failed: $(tail -20 "$log")"
	cleanup
	cp -n "$root"/var/cache/apt/archives/*.deb "$(dirname "$base")/archives/" \
		2>/dev/null || true
	rm -f "$root"/var/cache/apt/archives/*.deb
}

command -v systemd-nspawn >/dev/null ||
	fail "systemd-nspawn is missing (deploy/install-cross-deps.sh)"
# A booted container needs a cgroup hierarchy and namespaces from the host;
# a build container often has neither ("No medium found"). That is the
# environment, not the package: say so and skip (77).
if [ ! -e /sys/fs/cgroup/cgroup.controllers ] &&
	[ ! -d /sys/fs/cgroup/systemd ]; then
	echo "skipped: no cgroup hierarchy under /sys/fs/cgroup for systemd-nspawn" >&2
	exit 77
fi
if ! why=$(unshare -m -p -u -i -f true 2>&1); then
	echo "skipped: cannot create namespaces for systemd-nspawn: $why" >&2
	exit 77
fi
# The unit runs with PrivateUsers=, so systemd in the container must create
# a user namespace; the kernel refuses that to anything started from a
# chroot (its root is not its mount namespace's root), container or not.
if ! why=$(unshare -U true 2>&1); then
	echo "skipped: cannot create user namespaces for the unit's PrivateUsers= (in a chroot?): $why" >&2
	exit 77
fi
[ -s "$base" ] || fail "no base root $base"

# What the container needs besides the package: systemd as init, a broker,
# and the tools the installation guide uses.
base_pkgs="systemd systemd-sysv dbus mosquitto mosquitto-clients gpiod"
remove_root
mkdir -p "$root"
if [ ! -s "$cached" ] || [ "$(cat "$cached.pkgs" 2>/dev/null)" != "$base_pkgs" ]; then
	echo "first run: adding systemd and mosquitto to the root ($cached)"
	tar --numeric-owner -C "$root" -xf "$base"
	chmod 755 "$root"
	cp "$work/root-sources.list" "$root/etc/apt/sources.list"
	cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	in_root apt-get -qq update >/dev/null || fail "apt-get update in the root"
	# Nothing starts while installing.
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	# shellcheck disable=SC2086
	apt_in_root "$work/service-base.log" $base_pkgs
	tar --numeric-owner -C "$root" -cf "$cached.tmp" . && mv "$cached.tmp" "$cached"
	echo "$base_pkgs" >"$cached.pkgs"
else
	tar --numeric-owner -C "$root" -xf "$cached"
	chmod 755 "$root" # / must be open to the service's users
	cp "$work/root-sources.list" "$root/etc/apt/sources.list"
	cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	in_root apt-get -qq update >/dev/null || fail "apt-get update in the root"
fi
cp "$deb" "$root/tmp/"
apt_in_root "$work/service-install.log" "/tmp/$(basename "$deb")"
rm -f "$root/usr/sbin/policy-rc.d" "$root/tmp/$(basename "$deb")"

# debootstrap writes no /etc/hosts; an installed system has one.
[ -s "$root/etc/hosts" ] ||
	printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
		>"$root/etc/hosts"
install -m 755 "$here/in-container.sh" "$root/root/in-container.sh"
cat >"$root/etc/systemd/system/gapsense-service-test.service" <<'EOF'
[Unit]
Description=gapsense service test
After=multi-user.target mosquitto.service

[Service]
Type=oneshot
ExecStart=/root/in-container.sh
TimeoutStartSec=4min

[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/gapsense-service-test.service \
	"$root/etc/systemd/system/multi-user.target.wants/gapsense-service-test.service"
# A machine id of its own, so the journal works.
rm -f "$root/etc/machine-id"
systemd-machine-id-setup --root="$root" >/dev/null

echo "booting the container (systemd-nspawn --boot --private-network)"
start=$(date +%s)
# --keep-unit and --register=no: no systemd or D-Bus needed on the host.
timeout 300 systemd-nspawn -q -D "$root" --boot --register=no --keep-unit \
	--private-network --console=pipe </dev/null >"$work/nspawn.log" 2>&1 || {
	rc=$?
	# What the test in the container got through before it stopped.
	echo "--- the test in the container so far" >&2
	cat "$root/root/service-test.out" >&2 2>/dev/null || echo "(nothing)" >&2
	echo "--- the container's console" >&2
	tail -40 "$work/nspawn.log" >&2
	fail "systemd-nspawn exited $rc"
}
echo "container ran for $(($(date +%s) - start)) s"
[ -s "$root/root/service-test.out" ] ||
	fail "the test in the container did not run: $(tail -20 "$work/nspawn.log")"
cat "$root/root/service-test.out"
cp "$root/root/gapsense.journal" "$work/service.journal" 2>/dev/null || true
if ! grep -q '^service test: all checks passed$' "$root/root/service-test.out"; then
	echo "--- journal of gapsense.service" >&2
	tail -40 "$work/service.journal" >&2 || true
	fail "the service test failed"
fi
remove_root
