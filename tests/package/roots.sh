# Shared by the package and fresh-root tests: pristine Debian roots of a
# suite (bookworm, trixie) made with debootstrap --variant=minbase from the
# Debian archive apt uses here, cached as tarballs. Source it; it expects
# fail() to be defined.
#
# GS_CACHE_DIR (default /var/cache/gapsense-test) holds SUITE-minbase.tar
# and apt's downloaded .debs per suite (archives-SUITE, lent to each root by
# roots_debs_in): both are checked by
# apt and dpkg on use, and deleting the directory only costs downloads.
# GS_DEBIAN_MIRROR / GS_DEBIAN_SECURITY override the archives.

roots_cache=${GS_CACHE_DIR:-/var/cache/gapsense-test}

# --- mounts inside a test root ($root), always undone -----------------------
mounted=()
cleanup() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l "${mounted[i]}" 2>/dev/null || true
	done
	mounted=()
	roots_debs_out
}
trap cleanup EXIT
mount_in_root() { # MOUNT-ARGS... TARGET
	local target=${*: -1}
	mount "$@"
	mounted+=("$target")
}
# Removes the test root, refusing while anything is mounted below it.
remove_root() {
	cleanup
	if findmnt -rn -o TARGET | grep -q "^$root\(/\|$\)"; then
		fail "something is still mounted under $root"
	fi
	rm -rf "$root"
}

# The URI of the Debian archive apt uses here for its main suite (SUFFIX
# empty) or its security suite (SUFFIX -security). Another suite of the same
# archive comes from the same host: a local mirror or apt proxy keeps working.
roots_repo_uri() { # SUFFIX
	apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(ORIGIN)' \
		'Created-By: Packages' 2>/dev/null |
		awk -v s="$1" '$3 == "Debian" && $2 ~ ("^[a-z]+" s "$") { print $1; exit }'
}
roots_mirror=${GS_DEBIAN_MIRROR:-$(roots_repo_uri '')}
roots_security=${GS_DEBIAN_SECURITY:-$(roots_repo_uri '-security')}
# debootstrap fetches with wget: give it apt's proxy if apt has one.
if [ -z "${http_proxy:-}" ]; then
	roots_proxy=$(apt-config dump 2>/dev/null |
		sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p' | head -n 1)
	[ -n "$roots_proxy" ] && export http_proxy=$roots_proxy
fi

# apt's sources for SUITE in one-line format.
roots_sources() { # SUITE
	echo "deb $roots_mirror $1 main"
	echo "deb $roots_mirror $1-updates main"
	[ -z "$roots_security" ] || echo "deb $roots_security $1-security main"
}

# Prints the path of SUITE's minbase tarball, making it first if needed
# (one debootstrap at a time per suite: concurrent tests wait for it).
roots_tarball() { # SUITE LOG
	local suite=$1 log=$2 tarball=$roots_cache/$1-minbase.tar tmp t
	[ -n "$roots_mirror" ] ||
		fail "no Debian archive in apt's sources (set GS_DEBIAN_MIRROR)"
	mkdir -p "$roots_cache"
	(
		flock 9
		[ -s "$tarball" ] && exit 0
		echo "first run: debootstrap --variant=minbase $suite $roots_mirror" >&2
		tmp=$(mktemp -d "$roots_cache/$suite-root.XXXXXX")
		t=$(date +%s)
		debootstrap --variant=minbase "$suite" "$tmp" "$roots_mirror" \
			>"$log" 2>&1 || {
			rm -rf "$tmp"
			echo "debootstrap $suite failed: $(tail -5 "$log")" >&2
			exit 1
		}
		rm -f "$tmp"/var/cache/apt/archives/*.deb
		# mktemp -d made it 0700, and tar keeps the mode of ".": a
		# root whose / only root may enter fails every other user.
		chmod 755 "$tmp"
		tar --numeric-owner -C "$tmp" -cf "$tarball.tmp" . &&
			mv "$tarball.tmp" "$tarball"
		rm -rf "$tmp"
		echo "debootstrap $suite took $(($(date +%s) - t)) s" >&2
	) 9>"$roots_cache/$suite.lock" || fail "no $suite root"
	echo "$tarball"
}

# apt's downloaded .debs of a suite, shared by every test root of it. A root
# gets its own /var/cache/apt/archives, filled from the cache by hard links
# (copies across file systems), and what apt fetched there goes back at
# cleanup. Sharing the directory itself (a bind mount) let two tests of one
# suite collide on apt's lock in it ("Could not get lock
# /var/cache/apt/archives/lock"); apt does not wait for that lock. The
# brief copies hold the cache's own lock, so nobody takes a half-copied
# .deb; apt checks each one's hash anyway.
roots_debs_root=
roots_debs_suite=
roots_debs_copy() { # FROM TO: every .deb of FROM that TO lacks
	find "$1" -maxdepth 1 -name '*.deb' -print0 |
		xargs -0 -r cp -l -n -t "$2" 2>/dev/null ||
		find "$1" -maxdepth 1 -name '*.deb' -print0 |
		xargs -0 -r cp -n -t "$2"
}
roots_debs_in() { # SUITE ROOT
	local cache=$roots_cache/archives-$1
	mkdir -p "$cache" "$2/var/cache/apt/archives/partial"
	(
		flock 9
		roots_debs_copy "$cache" "$2/var/cache/apt/archives"
	) 9>"$cache.lock" || fail "could not lend $cache to $2"
	roots_debs_suite=$1 roots_debs_root=$2
}
roots_debs_out() {
	[ -n "$roots_debs_root" ] || return 0
	local cache=$roots_cache/archives-$roots_debs_suite
	local from=$roots_debs_root/var/cache/apt/archives
	roots_debs_root=
	[ -d "$from" ] || return 0
	(
		flock 9
		roots_debs_copy "$from" "$cache"
	) 9>"$cache.lock" || echo "could not keep the .debs of $from in $cache" >&2
}

# Unpacks TARBALL into ROOT (a new directory) and points apt at SUITE of the
# archive, through apt's proxy, with no daemons started by packages.
roots_unpack() { # TARBALL ROOT SUITE
	mkdir -p "$2"
	tar --numeric-owner -C "$2" -xf "$1"
	chmod 755 "$2" # a tarball of an earlier release may say 0700
	roots_sources "$3" >"$2/etc/apt/sources.list"
	rm -f "$2"/etc/apt/sources.list.d/*
	apt-config dump 2>/dev/null | grep -i '^Acquire::.*::Proxy' \
		>"$2/etc/apt/apt.conf.d/01proxy" || true
	cp -L /etc/resolv.conf "$2/etc/resolv.conf" 2>/dev/null || true
	printf '#!/bin/sh\nexit 101\n' >"$2/usr/sbin/policy-rc.d"
	chmod 755 "$2/usr/sbin/policy-rc.d"
}
