#!/usr/bin/env bash
# The README's quick start, whole, as a new user runs it (issue 9): a bare
# Debian root of SUITE (bookworm or trixie, debootstrap --variant=minbase),
# git installed and a real `git clone` of this tree in /root/gapsense, then
# exactly the README's two commands, as root, in the clone:
#
#   ./deploy/demo.sh
#   ./deploy/test.sh
#
# each timed, its whole output kept in WORK_DIR (SUITE-demo.log,
# SUITE-test.log) and test.sh's final summary printed. Unlike
# fresh-root-test.sh (a slice of the suites, in CI) this runs everything
# test.sh runs, nested fresh roots, package test and VM tests included:
# 30-60 min per release on 2 cores, so it is an occasional proof and not
# part of the CI command.
#
#   tests/package/whole-root-test.sh SUITE [WORK_DIR]
#
# The clone is of HEAD (commit first: uncommitted changes are not in it).
# The root gets what a booted machine has and the suites need: / as the
# root of its own mount namespace (pivot_root, not chroot: user namespaces,
# unshare --propagation), proc, the host's sys (cgroups for
# systemd-nspawn) and dev (loop devices, dev/pts, dev/shm), a tmpfs on
# /run. Downloads are shared with the host: apt's .debs of SUITE are lent
# from GS_CACHE_DIR/archives-SUITE (roots.sh: roots_debs_in) and
# GS_CACHE_DIR itself is bind-mounted on /var/cache/gapsense-test, where
# the nested fresh-root and package tests find their minbase tarballs and
# .debs; apt and dpkg check every file they take from there. GS_KEEP_ROOT=1 keeps the root
# (unmounted) after a passing run; a failing run always keeps it.
# Needs root (exit 77 otherwise) and the Debian archive apt uses here.
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
suite=${1:?usage: whole-root-test.sh SUITE [WORK_DIR]}
work=${2:-$src/build-whole-root}
case "$suite" in
bookworm | trixie) ;;
*)
	echo "whole-root: unknown suite '$suite' (bookworm, trixie)" >&2
	exit 64
	;;
esac

fail() {
	echo "FAIL: whole $suite root: $*" >&2
	exit 1
}
step() { printf '\n--- whole %s root: %s (%s)\n' "$suite" "$*" "$(date -u +%H:%M:%S)"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: needs root for debootstrap, namespaces and mounts" >&2
	exit 77
fi
for tool in debootstrap unshare pivot_root git tar findmnt; do
	command -v "$tool" >/dev/null || fail "$tool is missing"
done
commit=$(git -C "$src" rev-parse HEAD) || fail "$src is not a git checkout"
[ -z "$(git -C "$src" status --porcelain --untracked-files=no)" ] ||
	echo "note: uncommitted changes in $src are not in the clone" >&2

mkdir -p "$work"
work=$(cd "$work" && pwd)
root=$work/$suite-root
cache=${GS_CACHE_DIR:-/var/cache/gapsense-test}

. "$src/tests/package/roots.sh"
# Not chroot: the kernel refuses user namespaces to a chrooted process (its
# root is not its mount namespace's root), and the packaged unit's
# PrivateUsers= needs one in the package test's container. So each command
# runs in a mount namespace of its own whose root *is* the test root
# (pivot_root), as on a booted machine; what it mounts goes away with it.
in_root() {
	unshare -m --propagation private /bin/sh -c 'cd "$1" && shift &&
		pivot_root . .oldroot && exec /usr/bin/env -i \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive /bin/sh -c \
		'"'"'umount -l /.oldroot && exec "$@"'"'"' sh "$@"' sh "$root" "$@"
}

# --- the root, with what a booted machine has ---------------------------------
start_all=$(date +%s)
step "root (cache: $cache)"
tarball=$(roots_tarball "$suite" "$work/debootstrap-$suite.log")
remove_root
roots_unpack "$tarball" "$root" "$suite"
mount_in_root --bind "$root" "$root"
mount --make-private "$root"
mkdir -p "$root/.oldroot"
mount_in_root -t proc proc "$root/proc"
mount_in_root --rbind /sys "$root/sys"
mount --make-rslave "$root/sys"
mount_in_root --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"
mount_in_root -t tmpfs -o mode=755 tmpfs "$root/run"
mkdir -p "$root/run/lock"
roots_debs_in "$suite" "$root"
mkdir -p "$root/var/cache/gapsense-test"
mount_in_root --bind "$cache" "$root/var/cache/gapsense-test"
echo "Debian $(cat "$root/etc/debian_version"), archive $roots_mirror"

# --- what the user did before the quick start: git, and a clone ---------------
step "git, and a clone of $commit"
in_root sh -c 'apt-get update && apt-get install -y --no-install-recommends git ca-certificates' \
	>"$work/$suite-git.log" 2>&1 || fail "installing git failed: $(tail -20 "$work/$suite-git.log")"
git clone -q --no-hardlinks "$src" "$root/root/gapsense"
git -C "$root/root/gapsense" checkout -q --detach "$commit"
echo "clone at $(git -C "$root/root/gapsense" log -1 --format='%h %s' | cut -c1-100)"

# --- the README's two commands ---------------------------------------------------
rc_demo=0
step "./deploy/demo.sh"
t=$(date +%s)
in_root sh -c 'cd /root/gapsense && ./deploy/demo.sh' </dev/null \
	>"$work/$suite-demo.log" 2>&1 || rc_demo=$?
t_demo=$(($(date +%s) - t))
grep 'gapsense demo: the' "$work/$suite-demo.log" | sed 's/^/  /' || true
echo "demo.sh exited $rc_demo in $((t_demo / 60)) min $((t_demo % 60)) s"

rc_test=0
step "./deploy/test.sh"
t=$(date +%s)
in_root sh -c 'cd /root/gapsense && ./deploy/test.sh' </dev/null \
	>"$work/$suite-test.log" 2>&1 || rc_test=$?
t_test=$(($(date +%s) - t))
sed -n '/^=== summary/,$p' "$work/$suite-test.log" | sed 's/^/  /'
grep -E '^[0-9]+% tests passed' "$work/$suite-test.log" | sed 's/^/  ctest: /' || true
echo "test.sh exited $rc_test in $((t_test / 60)) min $((t_test % 60)) s"

cleanup
if [ "$rc_demo" -ne 0 ] || [ "$rc_test" -ne 0 ]; then
	echo "root kept for a look: $root (logs: $work/$suite-*.log)"
	fail "demo.sh exited $rc_demo, test.sh exited $rc_test"
fi
if [ "${GS_KEEP_ROOT:-0}" = 1 ]; then
	echo "root kept: $root"
else
	remove_root
fi
echo
echo "whole $suite root: demo.sh ($((t_demo / 60)) min $((t_demo % 60)) s) and" \
	"test.sh ($((t_test / 60)) min $((t_test % 60)) s) passed;" \
	"$(($(date +%s) - start_all)) s in all"
