#!/bin/sh
# PID 1 of the test VM: mounts what gapsense and gpio-sim need, loads the
# modules, runs /test.sh and powers off with its status on the console.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
# configfs is built into newer kernels (no module then).
[ ! -f /lib/modules/configfs.ko ] || insmod /lib/modules/configfs.ko
insmod /lib/modules/gpio-sim.ko
mount -t configfs configfs /sys/kernel/config
export PATH=/bin:/sbin TMPDIR=/tmp
sh /test.sh
echo "VM-EXIT: $?"
poweroff -f
