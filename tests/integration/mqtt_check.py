#!/usr/bin/env python3
"""Checks what a subscriber received against the gateway's database.

    mqtt_check.py --received FILE --db DB [--timeout S] [--allow-dropped]
                  [--max-dup N] [--expect-historical] [--no-order]
                  [--stamped [--drain-rate R --drain-burst B]]

FILE holds "topic payload" lines (mosquitto_sub -v), or with --stamped
"arrival topic payload" lines (mosquitto_sub -F '%U %t %p': the arrival
in Unix seconds). Waits up to --timeout seconds for every seq of the store
(1..meta store.seq) to arrive, then asserts: none missing (or, with
--allow-dropped, at most the store's drop count), at most N duplicates,
first arrivals in seq order within each (kind, historical) lane, and
every metrics payload equal to the stored window apart from "historical".

--drain-rate asserts the backlog's rate limit from the arrival times: the
first arrivals of the n historical messages span at least about
(n - B) / R seconds (B: the token bucket's burst), and live messages
arrived in between (the backlog did not hold them up). Prints one summary
line (and one for the drain).
"""
import argparse
import json
import sqlite3
import sys
import time


def meta(db, key, default=0):
    con = sqlite3.connect(db)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    finally:
        con.close()
    return int(row[0]) if row and row[0] is not None else default


def load(path, stamped=False):
    """[(kind, payload, arrival or None)] in arrival order."""
    msgs = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            t = None
            if stamped:
                stamp, _, line = line.partition(" ")
                try:
                    t = float(stamp)
                except ValueError:
                    continue
            topic, _, payload = line.partition(" ")
            kind = topic.rsplit("/", 1)[-1]
            if kind not in ("metrics", "alerts", "daily"):
                continue
            try:
                msgs.append((kind, json.loads(payload), t))
            except json.JSONDecodeError:
                # A line cut short while the subscriber writes it.
                continue
    return msgs


def check_drain(msgs, rate, burst, errors):
    """The rate limit and the interleaving, from first arrivals."""
    firsts, seen = [], set()
    for _, m, t in msgs:
        if m["seq"] not in seen:
            seen.add(m["seq"])
            firsts.append((t, m.get("historical") is True))
    hist = [t for t, h in firsts if h]
    if len(hist) < 2:
        errors.append(f"{len(hist)} historical message(s): no drain to time")
        return
    span = hist[-1] - hist[0]
    want = (len(hist) - burst) / rate
    live = sum(1 for t, h in firsts if not h and hist[0] < t < hist[-1])
    print(f"drain: {len(hist)} historical messages in {span:.2f} s "
          f"({(len(hist) - 1) / span if span > 0 else float('inf'):.1f}/s; "
          f"the limit {rate:g}/s allows no less than {want:.2f} s), "
          f"{live} live message(s) in between")
    # Slack for timer granularity and the network: 10% and 0.25 s.
    if span < want * 0.9 - 0.25:
        errors.append(f"the backlog of {len(hist)} drained in {span:.2f} s: "
                      f"faster than drain_rate {rate:g}/s allows "
                      f"({want:.2f} s)")
    if live == 0:
        errors.append("no live message arrived while the backlog drained: "
                      "live traffic waited behind it")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--received", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--allow-dropped", action="store_true")
    ap.add_argument("--max-dup", type=int, default=-1)
    ap.add_argument("--expect-historical", action="store_true")
    ap.add_argument("--no-order", action="store_true")
    ap.add_argument("--stamped", action="store_true")
    ap.add_argument("--drain-rate", type=float)
    ap.add_argument("--drain-burst", type=float, default=1)
    a = ap.parse_args()
    if a.drain_rate and not a.stamped:
        ap.error("--drain-rate needs --stamped arrival times")

    last = meta(a.db, "store.seq")
    dropped = meta(a.db, "store.outbox_dropped")
    want = set(range(1, last + 1))
    deadline = time.monotonic() + a.timeout
    while True:
        msgs = load(a.received, a.stamped)
        seen = {m["seq"] for _, m, _ in msgs}
        missing = want - seen
        if not missing or (a.allow_dropped and len(missing) <= dropped):
            # Give stragglers (duplicates) a moment to land as well.
            time.sleep(0.5)
            msgs = load(a.received, a.stamped)
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)

    seen = {m["seq"] for _, m, _ in msgs}
    missing = sorted(want - seen)
    extra = sorted(seen - want)
    dups = len(msgs) - len(seen)
    errors = []
    if extra:
        errors.append(f"seqs never handed out arrived: {extra[:10]}")
    if missing and not (a.allow_dropped and len(missing) <= dropped):
        errors.append(f"{len(missing)} seq(s) missing (dropped by quota: "
                      f"{dropped}): {missing[:20]}")
    if a.max_dup >= 0 and dups > a.max_dup:
        errors.append(f"{dups} duplicates, at most {a.max_dup} allowed")

    first = {}
    order = []
    for kind, m, _ in msgs:
        if m["seq"] not in first:
            first[m["seq"]] = (kind, bool(m.get("historical", False)))
            order.append(m["seq"])
    if not a.no_order:
        lanes = {}
        for seq in order:
            lanes.setdefault(first[seq], []).append(seq)
        for lane, seqs in lanes.items():
            bad = [(x, y) for x, y in zip(seqs, seqs[1:]) if y <= x]
            if bad:
                errors.append(f"lane {lane} out of seq order at {bad[:5]}")
    n_hist = sum(1 for k in first.values() if k[1])
    if a.expect_historical and n_hist == 0:
        errors.append("no historical message although there was an outage")

    con = sqlite3.connect(a.db)
    stored = dict(con.execute("SELECT seq, payload FROM windows"))
    con.close()
    for kind, m, _ in msgs:
        if kind != "metrics" or m["seq"] not in stored:
            continue
        s = json.loads(stored[m["seq"]])
        got = dict(m)
        hist = got.pop("historical", None)
        s.pop("historical", None)
        if got != s:
            errors.append(f"seq {m['seq']}: payload differs from the store")
            break
        if not isinstance(hist, bool):
            errors.append(f"seq {m['seq']}: historical is {hist!r}")
            break

    if a.drain_rate:
        check_drain(msgs, a.drain_rate, a.drain_burst, errors)

    print(f"received {len(msgs)} messages: {len(seen)} distinct seqs of "
          f"{last}, {dups} duplicate(s), {len(missing)} missing, "
          f"{dropped} dropped by quota, {n_hist} historical")
    if errors:
        for e in errors:
            print("FAIL:", e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
