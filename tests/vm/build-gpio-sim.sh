#!/usr/bin/env bash
# Builds the kernel's gpio-sim driver as an out-of-tree module for Debian's
# stock 6.1 kernel, which does not enable it (CONFIG_GPIO_SIM is off).
#
#   tests/vm/build-gpio-sim.sh KVER OUTDIR
#
# KVER is the kernel release (6.1.0-N-amd64) whose headers are installed.
# Writes OUTDIR/gpio-sim.ko and reuses it when present for the same KVER.
#
# Two things keep the driver from building as it is:
#  - its IRQ helper kernel/irq/irq_sim.c sits behind CONFIG_IRQ_SIM, also
#    off, so it is compiled into the same module;
#  - irq_sim.c dispatches with handle_simple_irq(irq_to_desc(irq)), and
#    irq_to_desc is not exported to modules; generic_handle_domain_irq()
#    does the same through the IRQ domain and is exported.
set -euo pipefail

kver=${1:?usage: build-gpio-sim.sh KVER OUTDIR}
out=${2:?usage: build-gpio-sim.sh KVER OUTDIR}
headers=/usr/src/linux-headers-$kver
# The kernel source of the headers' major.minor (linux-source-6.1 on
# bookworm; trixie's kernel ships gpio-sim and run-vm.sh uses that).
kmaj=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$kver")
tarball=/usr/src/linux-source-$kmaj.tar.xz

if [ -f "$out/gpio-sim.ko" ] && [ "$(cat "$out/kver" 2>/dev/null)" = "$kver" ]; then
	exit 0
fi
for f in "$headers/Makefile" "$tarball"; do
	if [ ! -e "$f" ]; then
		echo "build-gpio-sim: $f missing: run deploy/install-vm-deps.sh" >&2
		exit 77
	fi
done

rm -rf "$out"
mkdir -p "$out/src"
tar -xJf "$tarball" -C "$out/src" --strip-components=1 \
	"linux-source-$kmaj/drivers/gpio/gpio-sim.c" \
	"linux-source-$kmaj/drivers/gpio/gpiolib.h" \
	"linux-source-$kmaj/kernel/irq/irq_sim.c"
mod=$out/mod
mkdir -p "$mod"
# One module of two objects: the object may not share the module's name.
cp "$out/src/drivers/gpio/gpio-sim.c" "$mod/gpio-sim-main.c"
cp "$out/src/drivers/gpio/gpiolib.h" "$mod/gpiolib.h"
sed 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_domain_irq(work_ctx->domain, offset);/' \
	"$out/src/kernel/irq/irq_sim.c" >"$mod/irq_sim.c"
if ! grep -q 'generic_handle_domain_irq(work_ctx->domain, offset)' "$mod/irq_sim.c"; then
	echo "build-gpio-sim: irq_sim.c changed upstream: the irq_to_desc patch no longer applies" >&2
	exit 1
fi
# irqnum is now unused: keep the build free of that warning.
sed -i '/irqnum = irq_find_mapping(work_ctx->domain, offset);/d; /^\tint irqnum;$/d' \
	"$mod/irq_sim.c"
cat >"$mod/Kbuild" <<'KBUILD'
obj-m := gpio-sim.o
gpio-sim-y := gpio-sim-main.o irq_sim.o
KBUILD
make -s -C "$headers" M="$mod" modules >"$out/build.log" 2>&1 || {
	cat "$out/build.log" >&2
	exit 1
}
cp "$mod/gpio-sim.ko" "$out/gpio-sim.ko"
echo "$kver" >"$out/kver"
