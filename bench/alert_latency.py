#!/usr/bin/env python3
"""One phase of the alert latency benchmark (bench/bench_alert_latency.sh).

    alert_latency.py run --gapsense BIN --config CONF --port PORT
                         --topic BASE --label L --speed N --start ISO
                         --duration D --customers C [--seed S]
                         [--samples FILE] [--timeout S]
    alert_latency.py summary FILE

`run` subscribes to BASE/alerts and BASE/status on the loopback broker
(mosquitto_sub -v, QoS 1; every line is stamped with the monotonic clock
as soon as it is read), starts `gapsense simulate` and measures, for each
alert, the time from the instant that triggered it to its arrival here:

    latency = arrival - (T0 + (time - start) / speed)

`time` is the alert's own field (the triggering edge, or for sensor_fault
the instant activation + fault_after at which it became due, in ms of
virtual time). The simulated store reads its edges when the monotonic
clock reaches start + (t - start) / speed of virtual time
(sensors/sim.c, gs_sim_virtual_now), measured from the creation of the
backend; T0 is that instant. It is not observable from outside, so it is
bracketed by two log lines read from the daemon's stderr: "store ...
created" (printed before the backend exists) and "simulating:" (after it
and the MQTT client exist). Latencies use the earlier one, so they are
upper bounds; the bracket width is printed with them.

Alerts due before the gateway's connection was up (its retained "online"
status had not arrived yet) waited for the connection, not the pipeline:
they are counted and left out. Duplicates (QoS 1) count at their first
arrival. Appends "label category type latency_ms" lines (tab-separated) to --samples.
`summary` prints the figures of a samples file per category.
"""
import argparse
import datetime
import json
import math
import os
import selectors
import subprocess
import sys
import time


def iso_ms(s):
    d = datetime.datetime.strptime(s.rstrip("Z")[:23], "%Y-%m-%dT%H:%M:%S.%f"
                                   if "." in s else "%Y-%m-%dT%H:%M:%S")
    d = d.replace(tzinfo=datetime.timezone.utc)
    return round(d.timestamp() * 1000)


def rank(sorted_v, p):
    """Nearest rank: the value at rank ceil(p/100 * n)."""
    return sorted_v[max(1, math.ceil(p / 100 * len(sorted_v))) - 1]


def figures(v):
    v = sorted(v)
    if not v:
        return "n=0"
    return (f"n={len(v):5d}  p50 {rank(v, 50):6.1f}  p90 {rank(v, 90):6.1f}"
            f"  p99 {rank(v, 99):6.1f}  max {v[-1]:6.1f} ms")


def category(kind):
    return "timer" if kind == "sensor_fault" else "edge"


class Lines:
    """Splits a pipe into lines, each stamped with the time it was read."""

    def __init__(self, f):
        self.fd = f.fileno()
        os.set_blocking(self.fd, False)
        self.buf = b""
        self.eof = False

    def read(self):
        try:
            chunk = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return []
        now = time.monotonic()
        if not chunk:
            self.eof = True
            chunk = b"\n" if self.buf else b""
        self.buf += chunk
        *lines, self.buf = self.buf.split(b"\n")
        return [(now, ln.decode(errors="replace")) for ln in lines]


def stop(proc):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(a):
    base = a.topic
    probe = f"bench/probe/{os.getpid()}"
    env = dict(os.environ)
    env.pop("JOURNAL_STREAM", None)  # plain "gapsense: level: " lines
    sub = gs = None
    sel = selectors.DefaultSelector()
    arrivals = {}  # seq -> (arrival, payload)
    t_online = t_lo = t_hi = None
    raised = None
    log_tail = []
    try:
        sub = subprocess.Popen(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(a.port), "-q",
             "1", "-v", "-t", f"{base}/alerts", "-t", f"{base}/status", "-t",
             probe], stdout=subprocess.PIPE)
        sub_lines = Lines(sub.stdout)
        sel.register(sub_lines.fd, selectors.EVENT_READ, sub_lines)
        # Subscribed once a probe comes back: nothing can be missed.
        deadline = time.monotonic() + 10
        seen = False
        while not seen:
            if time.monotonic() > deadline or sub.poll() is not None:
                sys.exit(f"{a.label}: the subscriber did not come up")
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p",
                            str(a.port), "-t", probe, "-m", "x"], check=True)
            for key, _ in sel.select(0.2):
                seen |= any(ln.startswith(probe + " ")
                            for _, ln in key.data.read())

        cmd = [a.gapsense, "simulate", "-c", a.config, "--speed",
               str(a.speed), "--start", a.start, "--duration", a.duration,
               "--customers", str(a.customers), "--seed", str(a.seed),
               "--drain-timeout", "10s"]
        gs = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=env)
        gs_lines = Lines(gs.stderr)
        sel.register(gs_lines.fd, selectors.EVENT_READ, gs_lines)
        hard = time.monotonic() + a.timeout
        done_at = None
        while True:
            now = time.monotonic()
            if now > hard:
                sys.exit(f"{a.label}: no end after {a.timeout} s\n" +
                         "\n".join(log_tail))
            if gs_lines.eof and done_at is None:
                gs.wait()
                done_at = now
            # The daemon exits once the broker acknowledged everything; its
            # deliveries to us may trail that by a little.
            if done_at is not None and (now - done_at > 2 or (
                    raised is not None and len(arrivals) >= raised)):
                break
            for key, _ in sel.select(0.1):
                src = key.data
                for t, ln in src.read():
                    if src is gs_lines:
                        log_tail = (log_tail + [ln])[-20:]
                        if "created (schema" in ln and t_lo is None:
                            t_lo = t
                        elif "simulating:" in ln:
                            t_hi = t
                        elif "input done:" in ln:
                            raised = int(ln.split(" alerts")[0].split()[-1])
                        continue
                    topic, _, payload = ln.partition(" ")
                    if topic.endswith("/status"):
                        if t_online is None and '"online"' in payload:
                            t_online = t
                    elif topic.endswith("/alerts"):
                        msg = json.loads(payload)
                        arrivals.setdefault(msg["seq"], (t, msg))
                if src.eof:
                    sel.unregister(src.fd)
    finally:
        stop(gs)
        stop(sub)
    if gs.returncode != 0:
        sys.exit(f"{a.label}: gapsense exited {gs.returncode}\n" +
                 "\n".join(log_tail))
    if t_lo is None or t_hi is None or t_online is None or raised is None:
        sys.exit(f"{a.label}: missing start, connection or end in the log\n"
                 + "\n".join(log_tail))

    start = iso_ms(a.start)
    by_type, early = {}, 0
    for t, msg in arrivals.values():
        edge = t_lo + (iso_ms(msg["time"]) - start) / 1000 / a.speed
        if edge < t_online:
            early += 1
            continue
        by_type.setdefault(msg["type"], []).append((t - edge) * 1000)
    print(f"{a.label}: {raised} alerts raised, {len(arrivals)} received, "
          f"{early} due before the connection was up (left out); "
          f"time origin bracket {(t_hi - t_lo) * 1000:.1f} ms")
    for kind in sorted(by_type, key=lambda k: (category(k), k)):
        print(f"  {category(kind):5s} {kind:17s} {figures(by_type[kind])}")
    if len(arrivals) < raised:
        sys.exit(f"{a.label}: {raised - len(arrivals)} alerts never arrived")
    if a.samples:
        with open(a.samples, "a") as f:
            for kind, v in by_type.items():
                for x in v:
                    f.write(f"{a.label}\t{category(kind)}\t{kind}\t{x:.3f}\n")


def summary(path):
    cats = {}
    with open(path) as f:
        for ln in f:
            _, cat, _, x = ln.rstrip("\n").split("\t")
            cats.setdefault(cat, []).append(float(x))
            cats.setdefault("all", []).append(float(x))
    for cat in ("edge", "timer", "all"):
        print(f"  {cat:5s} {'(all phases)':17s} {figures(cats.get(cat, []))}")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "summary":
        return summary(sys.argv[2])
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("mode", choices=["run"])
    ap.add_argument("--gapsense", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--speed", type=float, required=True)
    ap.add_argument("--start", required=True)
    ap.add_argument("--duration", required=True)
    ap.add_argument("--customers", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--samples")
    ap.add_argument("--timeout", type=float, default=120)
    run(ap.parse_args())


if __name__ == "__main__":
    main()
