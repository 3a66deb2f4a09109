#!/usr/bin/env bash
# Unpacks libgpiod 2.x from Debian's bookworm-backports into a build-local
# prefix, beside the system's 1.6 and without replacing it, so gapsense can
# be built and tested against the v2 API:
#
#   prefix=$(deploy/gpiod2-prefix.sh DIR)
#   cmake -S . -B build-gpiod2 -DGS_GPIOD_PREFIX="$prefix"
#
# Prints the prefix (DIR, made absolute). The packages are fetched with
# `apt-get download` and unpacked with `dpkg -x`; nothing is installed. The
# backports suite is added to apt's sources if missing (as root, by
# `install-deps.sh gpiod2`): backports are only ever installed when asked
# for by name, so this is harmless.
# Reuses DIR when it already holds the wanted version.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: gpiod2-prefix.sh DIR}
suite=bookworm-backports
pkgs=(libgpiod-dev libgpiod3)
want_version=2.1.3

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pc=$(ls "$dir"/usr/lib/*/pkgconfig/libgpiod.pc 2>/dev/null | head -n1 || true)
if [ -n "$pc" ] && grep -q "^Version: $want_version" "$pc"; then
	echo "$dir"
	exit 0
fi

candidate() {
	apt-cache policy "$1" 2>/dev/null |
		awk -v s="$suite" '/^ \*\*\* |^     [^ ]/ { v = $1 == "***" ? $2 : $1 }
			/^        / && $0 ~ s { print v; exit }'
}

# apt does not know the suite yet: install-deps.sh adds it and fetches its
# lists (deploy/test.sh has already done so with `install-deps.sh all`, in
# its one apt-get update). Its messages go to stderr: stdout is the prefix.
if [ -z "$(candidate libgpiod3)" ]; then
	"$here/install-deps.sh" gpiod2 >&2
fi
version=$(candidate libgpiod3)
if [ -z "$version" ]; then
	echo "gpiod2-prefix: no libgpiod3 in $suite" >&2
	exit 1
fi

dl=$(mktemp -d)
trap 'rm -rf "$dl"' EXIT
(cd "$dl" && apt-get download -qq -o APT::Sandbox::User=root "${pkgs[@]/%/=$version}" >&2)
for deb in "$dl"/*.deb; do
	dpkg -x "$deb" "$dir"
done
pc=$(ls "$dir"/usr/lib/*/pkgconfig/libgpiod.pc | head -n1)
if ! grep -q "^Version: 2\." "$pc"; then
	echo "gpiod2-prefix: $pc is not libgpiod 2.x" >&2
	exit 1
fi
echo "$dir"
