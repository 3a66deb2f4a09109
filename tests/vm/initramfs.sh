# Sourced by run-vm.sh and powercut.sh: the parts of a busybox initramfs
# that both VMs share. Bash functions; the caller has `set -euo pipefail`.

# initramfs_base ROOT BUSYBOX: the directories, busybox and its applets,
# a UTC zone (the configs' time zone) and names for getpwuid().
initramfs_base() {
	local root=$1 busybox=$2 applet
	chmod 755 "$root" # it becomes the VM's /, which other users enter
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,data,mnt,lib/modules,etc}
	cp "$busybox" "$root/bin/busybox"
	for applet in $("$busybox" --list); do
		[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
	done
	mkdir -p "$root/usr/share/zoneinfo"
	cp -L /usr/share/zoneinfo/UTC "$root/usr/share/zoneinfo/UTC"
	echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
	echo "root:x:0:" >"$root/etc/group"
}

# The shared libraries FILE needs, one path a line (with the loader).
initramfs_needed() {
	ldd "$1" | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }'
}

# initramfs_add_programs ROOT PROGRAM...: each into /bin, with the shared
# libraries ldd finds, the loader, and the libraries a gapsense build
# loads itself (gateway/dynlib.h: Paho, libcrypto), which it lists in
# dlopen-sonames beside its gateway/ directory.
initramfs_add_programs() {
	local root=$1 bin lib dest sonames soname cache
	shift
	cache=$(/sbin/ldconfig -p)
	for bin in "$@"; do
		cp "$bin" "$root/bin/$(basename "$bin")"
		initramfs_needed "$bin"
		sonames=$(dirname "$bin")/../dlopen-sonames
		[ -f "$sonames" ] || continue
		while read -r soname; do
			lib=$(awk -v s="$soname" <<<"$cache" \
				'$1 == s && /x86-64/ { print $NF; exit }')
			[ -n "$lib" ] || continue # not installed: gapsense says so
			echo "$lib"
			initramfs_needed "$lib"
		done <"$sonames"
	done | sort -u | while read -r lib; do
		case $lib in
		/lib/* | /lib64/* | /usr/lib/*) dest=$lib ;;
		# Found through RUNPATH (libgpiod 2.x from its build-local
		# prefix, which may sit under /tmp, a tmpfs in the VM): into
		# the loader's default directory instead.
		*) dest=/lib/x86_64-linux-gnu/$(basename "$lib") ;;
		esac
		mkdir -p "$root$(dirname "$dest")"
		cp -L "$lib" "$root$dest"
	done
	# Debian's loader is /lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/.
	if [ ! -e "$root/lib64/ld-linux-x86-64.so.2" ]; then
		mkdir -p "$root/lib64"
		cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
	fi
}

# initramfs_pack ROOT: ROOT.cpio.gz.
initramfs_pack() {
	(cd "$1" && find . | cpio -o -H newc --quiet) | gzip -1 >"$1.cpio.gz"
}
