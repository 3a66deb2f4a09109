#!/usr/bin/env python3
"""Recounts the store's events table for every received metrics window.

    window_recount.py --config CONF --db DB --received FILE

FILE holds one metrics payload a line (mosquitto_sub without -v). For each
window, the events whose t_ms lies in [window_start, window_end) are
counted by kind and by the type of their sensor (from CONF, not from the
message) and compared with footfall.in/out, queue.joined/served/abandoned,
feedback.responses/misuse/counts and staff.responses. Also asserts that
every counted event lies in some received window. Prints one summary line;
exits 1 with every difference found.
"""
import argparse
import configparser
import json
import re
import sqlite3
import sys
from datetime import datetime, timezone

# enum gs_event_kind (sensors/event.h): the integer stored in events.kind.
IN, OUT, PULSE, JOIN, SERVE, ABANDON, PRESS, FAULT, RECOVERED = range(9)
MISUSE = 0x01  # GS_EVF_MISUSE
# Button names by terminal size, most negative first (docs/metrics.md).
BUTTONS = {
    3: ["unhappy", "neutral", "happy"],
    4: ["very_unhappy", "unhappy", "happy", "very_happy"],
    5: ["very_unhappy", "unhappy", "neutral", "happy", "very_happy"],
}


def sensor_types(path):
    """{name: (type, number of lines)} from the [sensor "NAME"] sections."""
    cp = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=("#", ";"))
    cp.read(path)
    out = {}
    for sec in cp.sections():
        m = re.fullmatch(r'sensor\s+"(.+)"', sec)
        if m:
            lines = [x for x in cp[sec]["lines"].split(",") if x.strip()]
            out[m.group(1)] = (cp[sec]["type"].strip(), len(lines))
    return out


def ms(iso):
    return int(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=timezone.utc).timestamp() * 1000)


def expected(rows, types):
    """The site totals of a window's events, shaped like the message."""
    e = {"footfall.in": 0, "footfall.out": 0, "queue.joined": 0,
         "queue.served": 0, "queue.abandoned": 0, "feedback.responses": 0,
         "feedback.misuse": 0, "staff.responses": 0}
    counts = {}
    for name, kind, value, flags in rows:
        typ, n_lines = types[name]
        if typ in ("beam_pair", "pulse") and kind in (IN, OUT):
            e["footfall.in" if kind == IN else "footfall.out"] += 1
        elif typ == "queue" and kind in (JOIN, SERVE, ABANDON):
            e[{JOIN: "queue.joined", SERVE: "queue.served",
               ABANDON: "queue.abandoned"}[kind]] += 1
        elif typ == "smiley" and kind == PRESS:
            if flags & MISUSE:
                e["feedback.misuse"] += 1
            else:
                e["feedback.responses"] += 1
                b = BUTTONS[n_lines][value]
                counts[b] = counts.get(b, 0) + 1
        elif typ == "staff" and kind == PRESS and not flags & MISUSE:
            e["staff.responses"] += 1
    return e, counts


def got(m):
    g = {k: m[k.split(".")[0]][k.split(".")[1]] for k in
         ("footfall.in", "footfall.out", "queue.joined", "queue.served",
          "queue.abandoned", "feedback.responses", "feedback.misuse",
          "staff.responses")}
    return g, {k: v for k, v in m["feedback"]["counts"].items() if v}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--received", required=True)
    a = ap.parse_args()

    types = sensor_types(a.config)
    msgs = [json.loads(line) for line in open(a.received) if line.strip()]
    con = sqlite3.connect(a.db)
    q = ("SELECT s.name, e.kind, e.value, e.flags FROM events e"
         " JOIN sensors s ON s.id = e.sensor"
         " WHERE e.t_ms >= ? AND e.t_ms < ? AND e.kind IN (?, ?, ?, ?, ?, ?)")
    counted = (IN, OUT, JOIN, SERVE, ABANDON, PRESS)
    errors, n_events = [], 0
    for m in msgs:
        start, end = ms(m["window_start"]), ms(m["window_end"])
        rows = con.execute(q, (start, end) + counted).fetchall()
        n_events += len(rows)
        want, want_counts = expected(rows, types)
        have, have_counts = got(m)
        for k in want:
            if want[k] != have[k]:
                errors.append(f"seq {m['seq']} ({m['window_start']}): {k} is "
                              f"{have[k]}, the store holds {want[k]} events")
        if want_counts != have_counts:
            errors.append(f"seq {m['seq']} ({m['window_start']}): feedback."
                          f"counts {have_counts}, the store {want_counts}")
    total = con.execute("SELECT count(*) FROM events WHERE kind IN"
                        " (?, ?, ?, ?, ?, ?)", counted).fetchone()[0]
    con.close()
    if total != n_events:
        errors.append(f"{total - n_events} of {total} stored events lie "
                      "outside every received window")
    print(f"recount: {len(msgs)} windows, {n_events} events of the store "
          f"recounted, {len(errors)} difference(s)")
    for e in errors[:20]:
        print("FAIL:", e, file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
