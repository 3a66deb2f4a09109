#!/usr/bin/env bash
# Boots Debian's stock kernel (6.1 on bookworm, 6.12 on trixie) under qemu (software emulation) with a
# busybox initramfs holding the gpio-sim module, the given gapsense binary
# with its shared libraries, and a test script; prints the VM's console.
#
#   tests/vm/run-vm.sh GAPSENSE SCRIPT [FILE...]
#
# SCRIPT runs inside the VM as /test.sh once gpio-sim is loaded and
# configfs is mounted; FILEs are copied to /data. The VM powers off when
# the script ends; its exit status is printed as "VM-EXIT: N".
#
# Environment: GS_VM_CACHE (default ~/.cache/gapsense/vm) keeps the kernel
# and the module between runs, keyed by kernel release; GS_VM_TIMEOUT
# (default 300 s) bounds the VM's run time.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/initramfs.sh"
gapsense=${1:?usage: run-vm.sh GAPSENSE SCRIPT [FILE...]}
script=${2:?usage: run-vm.sh GAPSENSE SCRIPT [FILE...]}
shift 2
cache=${GS_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gapsense/vm}
timeout_s=${GS_VM_TIMEOUT:-300}

need() {
	echo "run-vm: $*" >&2
	exit 1
}
for tool in qemu-system-x86_64 busybox cpio apt-get dpkg-deb; do
	command -v "$tool" >/dev/null || need "$tool missing: run deploy/install-vm-deps.sh"
done
busybox=$(command -v busybox)
if ldd "$busybox" >/dev/null 2>&1; then
	need "$busybox is not static: install busybox-static"
fi

# The newest kernel whose headers are installed.
kver=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sed 's|.*/linux-headers-||' |
	sort -V | tail -n1)
[ -n "$kver" ] || need "no linux-headers-*-amd64: run deploy/install-vm-deps.sh"
kdir=$cache/$kver
mkdir -p "$kdir"

# Kernel, and the modules it needs that are not built in, from the image
# package, once per release. configfs is a module in bookworm's 6.1 and
# built in in trixie's 6.12; gpio-sim is off in 6.1 (built here, see
# build-gpio-sim.sh) and may be a module of newer kernels (used as is).
# Modules may be xz- or zstd-compressed: busybox's insmod takes plain ones.
(
	flock 9
	# (modules.v2: caches of the first version may hold an empty
	# gpio-sim.ko, see below, and are extracted again.)
	if [ ! -f "$kdir/vmlinuz" ] || [ ! -f "$kdir/modules.v2" ]; then
		version=$(dpkg-query -W -f='${Version}' "linux-headers-$kver")
		dl=$(mktemp -d)
		trap 'rm -rf "$dl"' EXIT
		echo "run-vm: fetching linux-image-$kver $version" >&2
		# The module must match the kernel exactly: the image of the
		# installed headers' very version.
		if ! (cd "$dl" && apt-get download -qq -o APT::Sandbox::User=root \
			"linux-image-$kver=$version" >&2); then
			echo "run-vm: cannot fetch linux-image-$kver $version (gone from the archive?);" \
				"update the headers: apt-get update && apt-get install linux-headers-amd64" >&2
			exit 1
		fi
		mkdir "$dl/x"
		dpkg-deb --fsys-tarfile "$dl"/linux-image-*.deb | tar -x -C "$dl/x"
		vmlinuz=$(find "$dl/x" -path "*/boot/vmlinuz-$kver" | head -n 1)
		[ -n "$vmlinuz" ] || need "linux-image-$kver has no vmlinuz-$kver"
		rm -f "$kdir"/*.ko
		for m in fs/configfs/configfs drivers/gpio/gpio-sim; do
			ko=$(find "$dl/x" -path "*/modules/$kver/kernel/$m.ko*" | head -n 1)
			# Built in, or (gpio-sim) off: no file at all. (Not a
			# case branch: the redirection below would create an
			# empty module before the branch ran.)
			[ -n "$ko" ] || continue
			case $ko in
			*.xz) xz -dc "$ko" ;;
			*.zst) zstd -qdc "$ko" ;;
			*) cat "$ko" ;;
			esac >"$kdir/$(basename "$m").ko"
		done
		cp "$vmlinuz" "$kdir/vmlinuz"
		touch "$kdir/modules.v2"
	fi
	if [ ! -s "$kdir/gpio-sim.ko" ]; then
		"$here/build-gpio-sim.sh" "$kver" "$kdir/gpio-sim"
	fi
) 9>"$kdir/.lock"

# The initramfs: busybox, the modules, gapsense with what ldd finds.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
initramfs_base "$root" "$busybox"
# init.sh loads these in this order when present.
[ ! -s "$kdir/configfs.ko" ] || cp "$kdir/configfs.ko" "$root/lib/modules/"
if [ -s "$kdir/gpio-sim.ko" ]; then
	cp "$kdir/gpio-sim.ko" "$root/lib/modules/"
else
	cp "$kdir/gpio-sim/gpio-sim.ko" "$root/lib/modules/"
fi
initramfs_add_programs "$root" "$gapsense"
cp "$here/init.sh" "$root/init"
cp "$script" "$root/test.sh"
chmod +x "$root/init" "$root/test.sh"
for f in "$@"; do
	cp "$f" "$root/data/"
done
initramfs_pack "$root"
trap 'rm -rf "$root" "$root.cpio.gz"' EXIT

# TCG: /dev/kvm may exist here but does not boot a kernel.
timeout "$timeout_s" qemu-system-x86_64 -machine q35,accel=tcg -m 512M \
	-smp 1 -nographic -no-reboot -nodefaults -serial stdio \
	-kernel "$kdir/vmlinuz" -initrd "$root.cpio.gz" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init" </dev/null
