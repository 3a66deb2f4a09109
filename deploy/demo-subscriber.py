#!/usr/bin/env python3
"""Formats `mosquitto_sub -v` output of gapsense topics, one line a message."""
import json
import sys


def fmt(v, unit=""):
    return "-" if v is None else f"{v}{unit}"


for line in sys.stdin:
    topic, _, payload = line.rstrip("\n").partition(" ")
    try:
        m = json.loads(payload)
    except ValueError:
        print(f"{topic}: {payload[:120]}")
        continue
    kind = topic.rsplit("/", 1)[-1]
    if kind == "metrics":
        q, f, g = m["queue"], m["feedback"], m["gap"]
        print(f"#{m['seq']:<4} {m['window_start'][11:16]}-{m['window_end'][11:16]}"
              f"  in {m['footfall']['in']:>3} out {m['footfall']['out']:>3}"
              f" occ {m['footfall']['occupancy']:>3}"
              f" | queue served {q['served']:>3} wait avg {fmt(q['wait_avg_s'], 's'):>7}"
              f" SL {fmt(q['service_level_pct'], '%'):>6}"
              f" | feedback {f['responses']:>3} index {fmt(f['index']):>5}"
              f" staff {fmt(m['staff']['index']):>5}"
              f" | {fmt(g['quadrant'])}")
    elif kind == "alerts":
        print(f"#{m['seq']:<4} ALERT {m['time']} {m['type']} {m['sensor']} "
              f"{json.dumps(m.get('details', {}))}")
    elif kind == "status":
        print(f"      status: {m.get('state')} (outbox pending "
              f"{m.get('outbox', {}).get('pending')})")
    else:
        print(f"{topic}: {payload[:120]}")
