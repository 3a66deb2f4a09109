#!/usr/bin/env python3
"""Runs a command and prints its wall time, CPU time, peak RSS and the bytes
it wrote to storage (from /proc/PID/io, sampled until it exits).

    bench/measure.py LABEL -- COMMAND [ARGS...]
"""
import os
import resource
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__)
    label, cmd = sys.argv[1], sys.argv[3:]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    write_bytes = 0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/io") as f:
                for line in f:
                    if line.startswith("write_bytes:"):
                        write_bytes = int(line.split()[1])
        except OSError:
            pass
        time.sleep(0.02)
    wall = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"{label}: exit {proc.returncode}, wall {wall:.3f} s, "
          f"cpu {ru.ru_utime + ru.ru_stime:.3f} s, "
          f"peak RSS {ru.ru_maxrss / 1024:.1f} MiB, "
          f"written {write_bytes / 1024:.0f} KiB")
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
