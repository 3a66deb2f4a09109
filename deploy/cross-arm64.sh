#!/usr/bin/env bash
# Cross-compiles gapsense for arm64 (Raspberry Pi OS bookworm 64-bit), runs
# the unit tests and a simulated shop through the arm64 daemon under
# qemu-aarch64-static, and builds and lints the arm64 .deb.
#
#   deploy/cross-arm64.sh [options] [BUILD_DIR]    (default: build-arm64)
#     --no-tests         build and package only
#     --no-package       build and test only
#     --refresh-sysroot  fetch the arm64 packages again
#
# Works on a fresh Debian 12 amd64 machine: installs the cross toolchain and
# qemu (deploy/install-cross-deps.sh), then builds a sysroot in
# BUILD_DIR/sysroot from Debian's arm64 development packages. Why a sysroot
# and not `apt-get install libgpiod-dev:arm64`: the :arm64 packages are all
# Multi-Arch: same, so they can be co-installed, but only at exactly the
# version of their amd64 twins, so on a machine that is behind the mirror
# apt upgrades the host's own libraries (libssl3, libsystemd0, ...) first.
# A sysroot never touches the host and is cached across runs.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=""
run_tests=true
make_package=true
refresh=false
for arg in "$@"; do
	case "$arg" in
	--no-tests) run_tests=false ;;
	--no-package) make_package=false ;;
	--refresh-sysroot) refresh=true ;;
	-h | --help)
		sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	-*)
		echo "cross-arm64: unknown option $arg" >&2
		exit 64
		;;
	*) build=$arg ;;
	esac
done
build=${build:-$src/build-arm64}
mkdir -p "$build"
build=$(cd "$build" && pwd)
jobs=$(nproc)
[ "$jobs" -gt 2 ] && jobs=2
triplet=aarch64-linux-gnu
sysroot=$build/sysroot
aptdir=$build/apt

step() { printf '\n--- cross-arm64: %s\n' "$*"; }

"$src/deploy/install-cross-deps.sh"

# The arm64 packages to build and test against; apt adds their
# dependencies (libc6-dev, libssl3, ...).
dev_pkgs=(libc6-dev libpaho-mqtt-dev libssl-dev libgpiod-dev libsqlite3-dev
	libcmocka-dev libinih-dev libcjson-dev)

# apt with its own state: arm64 only, an empty dpkg status (so it resolves
# every dependency), this machine's Debian sources, keys and proxy settings.
apt_arm64() {
	apt-get -q \
		-o APT::Architecture=arm64 -o APT::Architectures=arm64 \
		-o Dir::Etc::SourceList="$aptdir/sources.list" \
		-o Dir::Etc::SourceParts="$aptdir/sources.list.d" \
		-o Dir::Etc::Preferences=/dev/null \
		-o Dir::Etc::PreferencesParts="$aptdir/preferences.d" \
		-o Dir::State="$aptdir/state" \
		-o Dir::State::status="$aptdir/state/status" \
		-o Dir::Cache="$aptdir/cache" \
		-o Debug::NoLocking=true \
		-o APT::Sandbox::User=root \
		"$@"
}

# Debian repositories this machine uses, as one-line sources for arm64.
write_sources() {
	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg opts
	opts="arch=arm64"
	[ -r "$keyring" ] && opts="$opts signed-by=$keyring"
	# ORIGIN last: it may hold blanks ("Debian Backports").
	apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(ORIGIN)' \
		'Created-By: Packages' 2>/dev/null |
		awk -v o="$opts" '$4 == "Debian" { print "deb [" o "] " $1 " " $2 " " $3 }' |
		sort -u
}

make_sysroot() {
	local stamp=$sysroot/.gapsense-sysroot want
	want="${dev_pkgs[*]}"
	if ! $refresh && [ -f "$stamp" ] && [ "$(head -n 1 "$stamp")" = "$want" ]; then
		echo "sysroot: cached ($(($(wc -l <"$stamp") - 1)) packages in $sysroot)"
		return
	fi
	rm -rf "$sysroot" "$aptdir"
	mkdir -p "$aptdir/sources.list.d" "$aptdir/preferences.d" \
		"$aptdir/state/lists/partial" "$aptdir/cache/archives/partial"
	: >"$aptdir/state/status"
	write_sources >"$aptdir/sources.list"
	if [ ! -s "$aptdir/sources.list" ]; then
		echo "cross-arm64: no Debian repository in apt's sources" \
			"(apt-get update first?)" >&2
		exit 1
	fi
	apt_arm64 update >/dev/null
	apt_arm64 install -y --download-only --no-install-recommends \
		"${dev_pkgs[@]}" >/dev/null
	mkdir -p "$sysroot"
	local deb
	for deb in "$aptdir"/cache/archives/*.deb; do
		dpkg-deb -x "$deb" "$sysroot"
		# Keep the shlibs control files: they give the package's Depends.
		dpkg-deb --info "$deb" shlibs 2>/dev/null >>"$aptdir/shlibs" || true
	done
	# Absolute symlinks (libfoo.so -> /lib/...) must stay inside the sysroot.
	local link target
	while IFS= read -r -d '' link; do
		target=$(readlink "$link")
		case "$target" in
		/*) ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" \
			"$sysroot$target")" "$link" ;;
		esac
	done < <(find "$sysroot" -type l -print0)
	# The ELF interpreter is /lib/ld-linux-aarch64.so.1. Trixie's libc6
	# ships it only under /usr/lib, relying on the merged-/usr /lib link
	# of base-files, which a sysroot of -dev packages lacks.
	if [ ! -e "$sysroot/lib/ld-linux-aarch64.so.1" ]; then
		if [ -e "$sysroot/lib" ] || [ -L "$sysroot/lib" ]; then
			ln -sfn ../usr/lib/ld-linux-aarch64.so.1 \
				"$sysroot/lib/ld-linux-aarch64.so.1"
		else
			ln -s usr/lib "$sysroot/lib"
		fi
	fi
	[ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] || {
		echo "cross-arm64: no ld-linux-aarch64.so.1 in the sysroot" >&2
		exit 1
	}
	{
		echo "$want"
		for deb in "$aptdir"/cache/archives/*.deb; do
			dpkg-deb -f "$deb" Package Version | paste -sd' '
		done
	} >"$stamp"
	echo "sysroot: $(($(wc -l <"$stamp") - 1)) arm64 packages unpacked in $sysroot"
}

# Depends for the arm64 package from the shlibs files of the arm64 library
# packages (what dpkg-shlibdeps does natively; it cannot look into a
# sysroot): the binary's NEEDED entries and the libraries it loads itself
# (the build lists them in dlopen-sonames). Prints "pkg (>= v), ...".
shlibs_depends() {
	local bin=$1
	"$src/deploy/shlibs-depends.sh" "$aptdir/shlibs" \
		$("$triplet-readelf" -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p') \
		$(cat "$build/cmake/dlopen-sonames")
}

step "sysroot of Debian arm64 packages"
make_sysroot

step "configure and build (${triplet}-gcc, Debian's hardening flags)"
cd "$src"
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cflags="$(DEB_HOST_ARCH=arm64 dpkg-buildflags --get CFLAGS 2>/dev/null) \
$(DEB_HOST_ARCH=arm64 dpkg-buildflags --get CPPFLAGS 2>/dev/null)"
ldflags=$(DEB_HOST_ARCH=arm64 dpkg-buildflags --get LDFLAGS 2>/dev/null)
cmake -S "$src" -B "$build/cmake" \
	-DCMAKE_TOOLCHAIN_FILE="$src/deploy/toolchain-aarch64.cmake" \
	-DGS_SYSROOT="$sysroot" -DCMAKE_BUILD_TYPE=None \
	-DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
	-DGS_DEB_SHLIBDEPS=OFF >"$build/configure.log" 2>&1 || {
	cat "$build/configure.log" >&2
	exit 1
}
cmake --build "$build/cmake" -j"$jobs"
file -b "$build/cmake/gateway/gapsense"

status=0
if $run_tests; then
	step "unit tests under qemu-aarch64-static"
	ctest --test-dir "$build/cmake" -L unit --output-on-failure -j"$jobs" ||
		status=1

	step "the arm64 daemon under qemu-aarch64"
	qemu=("$(command -v qemu-aarch64-static || command -v qemu-aarch64)" -L "$sysroot")
	bin=$build/cmake/gateway/gapsense
	smoke=$build/smoke
	rm -rf "$smoke" && mkdir -p "$smoke"
	if "${qemu[@]}" "$bin" --version &&
		"${qemu[@]}" "$bin" check-config "$src/deploy/gapsense.conf.example" &&
		"${qemu[@]}" "$bin" simulate -c "$src/deploy/gapsense.conf.example" \
			--db "$smoke/gapsense.db" --print --speed 0 --duration 2h \
			--start 2026-11-23T08:00:00Z >"$smoke/messages.jsonl" \
			2>"$smoke/simulate.log" &&
		[ "$(wc -l <"$smoke/messages.jsonl")" -gt 0 ]; then
		echo "simulate: $(tail -n 1 "$smoke/simulate.log" | sed 's/^gapsense: info: //')"
	else
		echo "cross-arm64: the arm64 daemon failed: $(tail -n 5 "$smoke/simulate.log" 2>/dev/null)" >&2
		status=1
	fi
fi

if $make_package; then
	step "arm64 package"
	depends=$(shlibs_depends "$build/cmake/gateway/gapsense")
	echo "shared libraries: $depends"
	# deploy/CMakeLists.txt adds the other dependencies to these.
	cmake -DGS_DEB_DEPENDS="$depends" "$build/cmake" >/dev/null
	rm -f "$build/cmake"/gapsense_*.deb
	(cd "$build/cmake" && cpack -G DEB)
	deb=$(find "$build/cmake" -maxdepth 1 -name 'gapsense_*_arm64.deb' | head -n 1)
	if [ -z "$deb" ]; then
		echo "cross-arm64: cpack made no arm64 package" >&2
		exit 1
	fi
	dpkg-deb --info "$deb" | sed -n 's/^ \(Architecture\|Depends\|Version\):/  \1:/p'
	step "lintian $deb"
	lintian_out=$(lintian --info "$deb" 2>&1) || true
	printf '%s\n' "$lintian_out"
	if grep -q '^E: ' <<<"$lintian_out"; then
		echo "cross-arm64: lintian reports errors" >&2
		status=1
	fi
	echo "package: $deb"
fi
exit $status
