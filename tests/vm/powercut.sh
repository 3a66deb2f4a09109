#!/usr/bin/env bash
# Cuts the power of a VM that records to a virtio disk, again and again.
#
#   tests/vm/powercut.sh GAPSENSE OUTDIR
#
# Boots Debian's stock kernel under qemu (the kernel that run-vm.sh
# caches) with a busybox initramfs, the gapsense binary, sqlite3 and the
# virtio/ext4 modules. The disk is a raw ext4 image in OUTDIR. Each boot
# (powercut-init.sh) reports on the database the previous cut left and
# starts `gapsense simulate` on it; this script kills qemu with SIGKILL at a
# random moment while it records: the guest's page cache, with whatever
# SQLite had not synced, is gone, as in a power cut. After GS_POWERCUT_CUTS
# (default 12) cuts, a last boot reports and lets a short run end. The shop
# is GS_POWERCUT_CONF (default tests/vm/powercut.conf). Consoles
# go to OUTDIR/console.K; the host test (tests/integration/
# test_vm_powercut.sh) judges them.
#
# The disk is opened with cache=directsync,aio=native: O_DIRECT|O_DSYNC on
# the image, so every write the guest completed is on the host's disk and
# nothing else is (no host page cache holding writes the guest never
# flushed, as cache=writeback or unsafe would: those survive a SIGKILL of
# qemu, which would make the cut kinder than a real one). The guest sees a
# write-through disk, like an SD card after its flush.
#
# Exits 77 with a reason when the VM cannot be made or booted here.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/initramfs.sh"
gapsense=${1:?usage: powercut.sh GAPSENSE OUTDIR}
out=${2:?usage: powercut.sh GAPSENSE OUTDIR}
cuts=${GS_POWERCUT_CUTS:-12}
conf=${GS_POWERCUT_CONF:-$here/powercut.conf}
cache=${GS_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gapsense/vm}
mkdir -p "$out"

skip() {
	echo "powercut: SKIP: $*" >&2
	exit 77
}
for tool in qemu-system-x86_64 busybox cpio apt-get dpkg-deb mkfs.ext4 sqlite3; do
	command -v "$tool" >/dev/null || skip "$tool missing (deploy/install-vm-deps.sh)"
done
busybox=$(command -v busybox)
if ldd "$busybox" >/dev/null 2>&1; then
	skip "$busybox is not static: install busybox-static"
fi
kver=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sed 's|.*/linux-headers-||' |
	sort -V | tail -n1)
[ -n "$kver" ] || skip "no linux-headers-*-amd64 to choose the kernel (deploy/install-vm-deps.sh)"
kdir=$cache/$kver
mods="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
	virtio_blk crc16 crc32c_generic mbcache jbd2 ext4"
mkdir -p "$kdir/blk"

# The kernel and the block/ext4 modules from the image package, once per
# release (run-vm.sh keeps the kernel in the same place, under the same lock).
(
	flock 9
	missing=
	for m in $mods; do
		[ -f "$kdir/blk/$m.ko" ] || [ -f "$kdir/blk/$m.builtin" ] || missing=1
	done
	[ -f "$kdir/vmlinuz" ] || missing=1
	if [ -n "$missing" ]; then
		version=$(dpkg-query -W -f='${Version}' "linux-headers-$kver")
		dl=$(mktemp -d)
		trap 'rm -rf "$dl"' EXIT
		echo "powercut: fetching linux-image-$kver $version" >&2
		(cd "$dl" && apt-get download -qq -o APT::Sandbox::User=root \
			"linux-image-$kver=$version" >&2) ||
			exit 77
		# Bookworm's image has ./lib/modules and plain .ko files; trixie's
		# (merged /usr) ./usr/lib/modules and .ko.xz, with some of these
		# built in (listed in modules.builtin: nothing to load then).
		mkdir "$dl/x"
		dpkg-deb --fsys-tarfile "$dl"/linux-image-*.deb | tar -x -C "$dl/x"
		builtin=$(find "$dl/x" -path "*/modules/$kver/modules.builtin" | head -n 1)
		rm -f "$kdir/blk/"*
		for m in $mods; do
			ko=$(find "$dl/x" -path "*/modules/$kver/kernel/*" \
				\( -name "$m.ko" -o -name "$m.ko.*" \) | head -n 1)
			if [ -z "$ko" ]; then
				# modules.builtin spells the name as the file, - or _.
				[ -n "$builtin" ] && grep -Eq "/${m//_/[-_]}\.ko$" "$builtin" || exit 1
				touch "$kdir/blk/$m.builtin"
				continue
			fi
			case $ko in
			*.xz) xz -dc "$ko" ;;
			*.zst) zstd -qdc "$ko" ;;
			*) cat "$ko" ;;
			esac >"$kdir/blk/$m.ko"
		done
		vmlinuz=$(find "$dl/x" -path "*/boot/vmlinuz-$kver" | head -n 1)
		[ -n "$vmlinuz" ] || exit 1
		cp "$vmlinuz" "$kdir/vmlinuz"
	fi
) 9>"$kdir/.lock" || {
	rc=$?
	[ $rc -eq 77 ] && skip "cannot fetch linux-image-$kver (offline, or gone from the archive)"
	echo "powercut: cannot extract the kernel modules" >&2
	exit 1
}

# The initramfs: busybox, the modules, gapsense and sqlite3 with their
# libraries.
root=$(mktemp -d)
trap 'rm -rf "$root" "$root.cpio.gz"' EXIT
initramfs_base "$root" "$busybox"
for m in $mods; do
	[ ! -f "$kdir/blk/$m.ko" ] || cp "$kdir/blk/$m.ko" "$root/lib/modules/"
done
initramfs_add_programs "$root" "$gapsense" "$(command -v sqlite3)"
cp "$here/powercut-init.sh" "$root/init"
cp "$conf" "$root/data/powercut.conf"
chmod +x "$root/init"
initramfs_pack "$root"

disk=$out/disk.img
rm -f "$disk"
truncate -s 64M "$disk"
mkfs.ext4 -q -F "$disk"

# boot K LAST: starts qemu in the background (sets $qpid).
boot() {
	rm -f "$out/console.$1"
	qemu-system-x86_64 -machine q35,accel=tcg -m 384M -smp 1 \
		-display none -monitor none -no-reboot -nodefaults \
		-serial "file:$out/console.$1" \
		-drive "file=$disk,format=raw,if=virtio,cache=directsync,aio=native" \
		-kernel "$kdir/vmlinuz" -initrd "$root.cpio.gz" \
		-append "console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init gs.cycle=$1 gs.last=$2" \
		</dev/null >"$out/qemu.$1.log" 2>&1 &
	qpid=$!
}
# seen K PATTERN SECONDS: waits until console K has a line matching PATTERN.
seen() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qa -- "$2" "$out/console.$1" 2>/dev/null && return 0
		kill -0 "$qpid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

RANDOM=${GS_POWERCUT_SEED:-$$}
for ((k = 0; k < cuts; k++)); do
	boot "$k" 0
	if ! seen "$k" "simulating:" 180; then
		kill -9 "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
		if [ "$k" -eq 0 ] && ! grep -qa "=== check" "$out/console.0" 2>/dev/null; then
			cat "$out/qemu.0.log" >&2 || true
			skip "the VM does not boot here (see the qemu log above)"
		fi
		echo "powercut: boot $k did not start the daemon" >&2
		tail -n 40 "$out/console.$k" >&2 || true
		exit 1
	fi
	# The cut: 1 to 15 s after the daemon said it started (a message,
	# a synced commit, leaves every 6 s).
	ms=$((1000 + RANDOM % 14001))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	kill -9 "$qpid"
	wait "$qpid" 2>/dev/null || true
	echo "powercut: cut $k after $ms ms" >&2
done
boot "$cuts" 1
if ! seen "$cuts" "VM-EXIT:" 300; then
	kill -9 "$qpid" 2>/dev/null || true
	echo "powercut: the last boot did not end" >&2
	tail -n 40 "$out/console.$cuts" >&2 || true
	exit 1
fi
wait "$qpid" 2>/dev/null || true
