#!/usr/bin/env python3
"""Formats `mosquitto_sub -v` output of gapsense topics, one line a message.

    mosquitto_sub -v ... | demo-subscriber.py [--state FILE] [--ready-topic T]

With --state, FILE is rewritten (atomically) after every message with what
has arrived so far, as one line "ready METRICS ALERTS STATUS DUPLICATES":
ready is 1 once the retained message on --ready-topic came in (proof that
the subscription is in place), METRICS and ALERTS count distinct seqs,
DUPLICATES the QoS 1 redeliveries of a seq already seen (not printed).
"""
import argparse
import json
import os
import sys


def fmt(v, unit=""):
    return "-" if v is None else f"{v}{unit}"


def show(kind, topic, m):
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
        print(f"{topic}: {json.dumps(m)[:120]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state")
    ap.add_argument("--ready-topic")
    a = ap.parse_args()

    ready = False
    seqs = {"metrics": set(), "alerts": set()}
    n_status = dups = 0

    def save():
        if not a.state:
            return
        tmp = a.state + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{int(ready)} {len(seqs['metrics'])} {len(seqs['alerts'])}"
                    f" {n_status} {dups}\n")
        os.replace(tmp, a.state)

    save()
    for line in sys.stdin:
        topic, _, payload = line.rstrip("\n").partition(" ")
        if topic == a.ready_topic:
            ready = True
            save()
            continue
        try:
            m = json.loads(payload)
        except ValueError:
            print(f"{topic}: {payload[:120]}")
            continue
        kind = topic.rsplit("/", 1)[-1]
        if kind in seqs and isinstance(m, dict) and "seq" in m:
            if m["seq"] in seqs[kind]:
                dups += 1
                save()
                continue
            seqs[kind].add(m["seq"])
        elif kind == "status":
            n_status += 1
        show(kind, topic, m)
        save()


if __name__ == "__main__":
    try:
        main()
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(130)
