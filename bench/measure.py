#!/usr/bin/env python3
"""Runs a command and prints its wall time, CPU time, peak RSS and the bytes
it wrote to storage, sampling /proc/PID every 20 ms until it exits.

    bench/measure.py [options] LABEL -- COMMAND [ARGS...]

    --warmup S     also report the steady state: CPU share of one core and
                   bytes written from S seconds after the start to the last
                   sample (start-up, i.e. loading libraries, opening the
                   database and connecting, is left out)
    --smaps FILE   write /proc/PID/smaps as it was at the peak RSS to FILE,
                   and a table of the biggest mappings to FILE.top
    --trace FILE   write "seconds rss_kib" at every change of RSS to FILE
    --json FILE    also write the figures to FILE, for scripts

Peak RSS is the kernel's high-water mark of the command's own memory
(VmHWM in /proc/PID/status), so a peak between two samples is not missed;
only growth in the last 20 ms before the exit could be. Not getrusage's
ru_maxrss: exec() folds the RSS of the memory it replaces into it, so a
child started from Python reports Python's 14 MiB however small it is.
CPU is all threads' user + system time (getrusage, less what this
process's children had used before); the steady state's comes from
/proc/PID/task/*/schedstat (ns, not 10 ms ticks). Bytes written are
/proc/PID/io write_bytes: the page-cache pages the process dirtied,
4 KiB at a time (what will reach the disk), counted when dirtied.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def status_kib(pid, key):
    s = read(f"/proc/{pid}/status")
    if s is None:
        return None
    for line in s.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def rollup(pid):
    """(Pss, Uss) KiB from /proc/PID/smaps_rollup, or None."""
    text = read(f"/proc/{pid}/smaps_rollup")
    if not text:
        return None
    v = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 2 and f[0].endswith(":") and f[1].isdigit():
            v[f[0][:-1]] = int(f[1])
    return (v.get("Pss", 0),
            v.get("Private_Clean", 0) + v.get("Private_Dirty", 0))


def write_bytes(pid):
    s = read(f"/proc/{pid}/io")
    if s is None:
        return None
    for line in s.splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return None


def cpu_ns(pid):
    """All threads' run time in ns (schedstat: exact, not in 10 ms ticks);
    falls back to /proc/PID/stat's utime + stime."""
    total, seen = 0, False
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        s = read(f"/proc/{pid}/task/{tid}/schedstat")
        if s:
            total += int(s.split()[0])
            seen = True
    if seen:
        return total
    s = read(f"/proc/{pid}/stat")
    if s is None:
        return None
    f = s.rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) * 1_000_000_000 // TICK


def classify(name, perms, lo, size_kib):
    if name.startswith("/"):
        base = os.path.basename(name)
        if "x" in perms:
            return f"{base} (code)"
        if "w" in perms:
            return f"{base} (data)"
        return f"{base} (read-only)"
    if name in ("[heap]", "[stack]", "[vdso]", "[vvar]"):
        return name
    # glibc gives every thread but the first an 8 MiB stack and every
    # malloc arena but the main one a 64 MiB-aligned reservation.
    if 8184 <= size_kib <= 8196:
        return "[anon: thread stack]"
    if lo % (64 << 20) == 0:
        return "[anon: malloc arena]"
    return "[anon]"


def smaps_top(smaps, out):
    maps, cur = [], None
    for line in smaps.splitlines():
        f = line.split()
        if "-" in f[0] and ":" not in f[0]:
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            cur = {"name": f[5] if len(f) > 5 else "", "perms": f[1], "lo": lo,
                   "size": (hi - lo) // 1024, "rss": 0, "pss": 0, "dirty": 0}
            maps.append(cur)
        elif f[0] == "Rss:":
            cur["rss"] = int(f[1])
        elif f[0] == "Pss:":
            cur["pss"] = int(f[1])
        elif f[0] == "Private_Dirty:":
            cur["dirty"] = int(f[1])
    groups = {}
    for m in maps:
        k = classify(m["name"], m["perms"], m["lo"], m["size"])
        g = groups.setdefault(k, [0, 0, 0])
        g[0] += m["rss"]
        g[1] += m["pss"]
        g[2] += m["dirty"]
    total = [sum(g[i] for g in groups.values()) for i in range(3)]
    # Pss shares each page among the processes that map it: most library
    # pages are also in other processes (libc in all of them).
    with open(out, "w") as f:
        f.write(f"{'mapping':44s} {'Rss KiB':>8s} {'Pss':>8s} {'dirty':>8s}\n")
        for k, g in sorted(groups.items(), key=lambda x: -x[1][0]):
            if g[0]:
                f.write(f"{k:44s} {g[0]:8d} {g[1]:8d} {g[2]:8d}\n")
        f.write(f"{'total':44s} {total[0]:8d} {total[1]:8d} {total[2]:8d}\n")


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("--warmup", type=float)
    ap.add_argument("--json")
    ap.add_argument("--smaps")
    ap.add_argument("--trace")
    ap.add_argument("label")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    if a.cmd and a.cmd[0] == "--":
        a.cmd = a.cmd[1:]
    if not a.cmd:
        sys.exit(__doc__)

    # RUSAGE_CHILDREN is not zero here when python3 was started through a
    # wrapper (a pyenv shim runs children of its own first).
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.Popen(a.cmd, stdout=subprocess.DEVNULL)
    pid = proc.pid
    wb = 0
    last_rss, peak_rss, hwm, trace = -1, 0, 0, []
    split = (0, 0, 0)  # the largest RSS sampled: (total, anon, file) KiB
    shared = (0, 0)  # (Pss, Uss) KiB at that sample
    warm = None  # (time, cpu_ns, write_bytes) at the end of the warm-up
    last = None  # the same at the last sample
    while proc.poll() is None:
        now = time.monotonic() - t0
        w, c, rss = write_bytes(pid), cpu_ns(pid), status_kib(pid, "VmRSS")
        h = status_kib(pid, "VmHWM")
        if h is not None and proc.poll() is None:
            hwm = max(hwm, h)
        if rss is not None and rss > split[0]:
            split = (rss, status_kib(pid, "RssAnon") or 0,
                     status_kib(pid, "RssFile") or 0)
            shared = rollup(pid) or shared
        if w is not None:
            wb = w
        if rss is not None and rss != last_rss:
            trace.append((now, rss))
            last_rss = rss
            # Reading smaps costs the process a little (its mm lock):
            # only when the RSS has grown by 64 KiB past the last copy.
            if a.smaps and rss > peak_rss + 64:
                s = read(f"/proc/{pid}/smaps")
                if s:
                    smaps, peak_rss = s, rss
        if w is not None and c is not None:
            last = (now, c, w)
            if a.warmup is not None and warm is None and now >= a.warmup:
                warm = last
        time.sleep(0.02)
    wall = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru.ru_utime + ru.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    line = (f"{a.label}: exit {proc.returncode}, wall {wall:.3f} s, "
            f"cpu {cpu:.3f} s, peak RSS {hwm / 1024:.2f} MiB, "
            f"written {wb / 1024:.0f} KiB")
    print(line)
    # RssAnon includes the libraries' relocated data (copy-on-write pages
    # of their files); RssFile is the pages shared with the page cache.
    print(f"  largest RSS sampled {split[0] / 1024:.2f} MiB: anonymous "
          f"{split[1] / 1024:.2f} MiB (heap, stacks, relocated library "
          f"data), file pages {split[2] / 1024:.2f} MiB (code, tables)")
    # Pss divides each shared page among the processes mapping it (here
    # also the broker and this script); Uss counts only this process's
    # private pages: what stopping it would give back.
    print(f"  at that sample: PSS {shared[0] / 1024:.2f} MiB, USS "
          f"{shared[1] / 1024:.2f} MiB")
    fig = {"exit": proc.returncode, "wall_s": wall, "cpu_s": cpu,
           "peak_rss_kib": hwm, "write_bytes": wb,
           "sampled_rss_kib": split[0], "anon_kib": split[1],
           "file_kib": split[2], "pss_kib": shared[0],
           "uss_kib": shared[1]}
    if warm and last and last[0] > warm[0]:
        dt = last[0] - warm[0]
        scpu = (last[1] - warm[1]) / 1e9
        dw = last[2] - warm[2]
        print(f"  steady state ({warm[0]:.1f} to {last[0]:.1f} s): "
              f"cpu {scpu:.3f} s = {100 * scpu / dt:.3f}% of a core, "
              f"written {dw / 1024:.0f} KiB = {dw / dt:.0f} B/s")
        fig.update(steady_s=dt, steady_cpu_s=scpu, steady_write_bytes=dw)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(fig, f)
    if a.trace:
        with open(a.trace, "w") as f:
            for t, rss in trace:
                f.write(f"{t:.3f} {rss}\n")
    if a.smaps and peak_rss:
        with open(a.smaps, "w") as f:
            f.write(smaps)
        smaps_top(smaps, a.smaps + ".top")
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
