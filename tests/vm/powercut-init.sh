#!/bin/sh
# PID 1 of the power-cut VM (tests/vm/powercut.sh). The kernel command
# line says which cycle this is (gs.cycle=K) and whether it is the last
# boot (gs.last=1). Every boot mounts the virtio disk (ext4 replays its
# journal), copies the database as the power cut left it to /tmp and
# reports on the copy (integrity, events per day, windows), then starts the
# daemon on the original, hot WAL and all. The host cuts the power (SIGKILL
# to qemu) while it records; the last boot lets a short run end instead.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
export PATH=/bin:/sbin TMPDIR=/tmp
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev \
	virtio_pci virtio_blk crc16 crc32c_generic mbcache jbd2 ext4; do
	# Absent: built into this kernel (powercut.sh checked modules.builtin).
	[ -f /lib/modules/$m.ko ] || continue
	insmod /lib/modules/$m.ko || echo "PC-ERROR: insmod $m failed"
done
bye() {
	echo "VM-EXIT: $1"
	poweroff -f
}
cycle=$(sed -n 's/.*gs\.cycle=\([0-9]*\).*/\1/p' /proc/cmdline)
last=$(sed -n 's/.*gs\.last=\([01]\).*/\1/p' /proc/cmdline)
i=0
while [ ! -b /dev/vda ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "PC-ERROR: no /dev/vda"; bye 2; }
	sleep 0.1
done
mkdir -p /mnt
mount -t ext4 /dev/vda /mnt || { echo "PC-ERROR: cannot mount /dev/vda"; bye 2; }

echo "=== check $cycle"
if [ -f /mnt/gapsense.db ]; then
	mkdir /tmp/copy
	cp /mnt/gapsense.db /tmp/copy/
	[ -f /mnt/gapsense.db-wal ] && cp /mnt/gapsense.db-wal /tmp/copy/
	echo "WAL $(wc -c </mnt/gapsense.db-wal 2>/dev/null || echo none)"
	sqlite3 /tmp/copy/gapsense.db "PRAGMA integrity_check" | sed 's/^/INTEGRITY /'
	# A cut before the first sync leaves the file without its schema
	# (the daemon creates it again): nothing was recorded yet.
	tables=$(sqlite3 /tmp/copy/gapsense.db \
		"SELECT count(*) FROM sqlite_master WHERE name IN ('events', 'windows')")
	echo "TABLES $tables"
	if [ "$tables" = 2 ]; then
		sqlite3 -separator ' ' /tmp/copy/gapsense.db \
			"SELECT 'DAY', t_ms / 86400000, count(*), max(t_ms) FROM events GROUP BY 2;
			 SELECT 'WIN', seq, start_ms FROM windows ORDER BY seq;" ||
			echo "PC-ERROR: cannot query the database"
	fi
	rm -rf /tmp/copy
fi

echo "=== run $cycle"
day=$((cycle + 1))
[ $day -lt 10 ] && day=0$day
if [ "$last" = 1 ]; then
	# The daemon starts on what the last cut left and runs to its end.
	gapsense simulate -c /data/powercut.conf --db /mnt/gapsense.db --print --speed 0 \
		--customers 20000 --start 2026-11-${day}T17:00:00Z --duration 10m \
		>/tmp/last.out 2>&1
	rc=$?
	cat /tmp/last.out
	echo "LAST-EXIT: $rc"
	umount /mnt || rc=3
	bye $rc
fi
read up _ </proc/uptime
echo "LAUNCH $up"
# Heartbeats: the host reads the kill's moment from the last one.
(while :; do
	read up _ </proc/uptime
	echo "HB $up"
	sleep 0.1
done) &
gapsense simulate -c /data/powercut.conf --db /mnt/gapsense.db --print --speed 10 \
	--customers 20000 --start 2026-11-${day}T17:00:00Z --duration 2h 2>&1
echo "PC-ERROR: the daemon ended before the power cut: $?"
bye 1
