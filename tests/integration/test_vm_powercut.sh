#!/usr/bin/env bash
# A real power cut: the daemon records a simulated store to an ext4 file
# system on a virtio disk in a VM (Debian's stock kernel under qemu), and
# the VM is killed with SIGKILL at random moments, GS_POWERCUT_CUTS times
# (default 12): the guest's page cache goes with it, as in a power cut.
# After each cut the next boot checks the database and starts the daemon
# on it; tests/vm/powercut_judge.py judges the consoles against the same
# simulation run again on the host, and prints what each cut lost.
# GS_POWERCUT_CONF names another shop than tests/vm/powercut.conf, e.g. with
# another sync_interval (docs/storage.md has runs at 0, 1s and 10s).
# ctest labels: slow, vm. Exits 77 with a reason where no VM can run.
source "$(dirname "$0")/lib.sh"

vm=$GS_SOURCE_DIR/tests/vm
cuts=${GS_POWERCUT_CUTS:-12}
conf=${GS_POWERCUT_CONF:-$vm/powercut.conf}
start=$(date +%s)
rc=0
GS_POWERCUT_CUTS=$cuts GS_POWERCUT_CONF=$conf "$vm/powercut.sh" "$GAPSENSE" "$GS_TMP/vm" || rc=$?
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || fail "the power-cut VM did not run to its end"
echo "power-cut VM: $cuts cuts in $(($(date +%s) - start)) s"
tr -d '\r' <"$GS_TMP/vm/console.$cuts" | grep -q "^LAST-EXIT: 0$" ||
	fail "the daemon did not run to its end on what the last cut left"
# Keep the consoles for people: the last run of each build.
mkdir -p "$GS_BUILD_DIR/vm-powercut"
cp "$GS_TMP"/vm/console.* "$GS_BUILD_DIR/vm-powercut/" 2>/dev/null || true
python3 "$vm/powercut_judge.py" "$GS_TMP/vm" "$cuts" "$GAPSENSE" \
	"$conf" || fail "a power cut lost more than it may"
echo "power-cut test passed"
