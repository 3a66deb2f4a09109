#!/usr/bin/env python3
"""Shows gapsense's messages (`mosquitto_sub -v` output) to a shop owner:
a legend, then one line per metrics window and one plain sentence per
alert, in the shop's local time.

    mosquitto_sub -v ... | demo-subscriber.py [--state FILE]
        [--ready-topic T] [--timezone ZONE] [--window MIN] [--target-wait S]

With --state, FILE is rewritten (atomically) after every message with what
has arrived so far, as one line "ready METRICS ALERTS STATUS DUPLICATES
ACKS": ready is 1 once the retained message on --ready-topic came in (proof
that the subscription is in place), METRICS, ALERTS and ACKS count distinct
seqs,
STATUS the gateway's status messages (online/offline: not data, so not
counted with the windows), DUPLICATES the QoS 1 redeliveries of a seq
already seen (not printed).
"""
import argparse
import json
import os
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

VERDICT = {
    "aligned_good": "fast, and customers are happy",
    "aligned_bad": "slow, and customers are unhappy",
    "perception_lag": "fast, but customers are unhappy",
    "goodwill": "slow, but customers are happy",
}


def legend(zone, window, target):
    t = f"{target // 60} min" if target % 60 == 0 else f"{target} s"
    print(f"""One line per {window}-minute window, in the shop's local time ({zone}):
  in / out   people who came in and went out through the door
  occ        people in the shop at the end of the window (occupancy)
  served     customers served at the till; wait: their average wait
  SL         service level: share of them served within {t} (the target)
  index      how customers feel, from their smiley presses: 0 = all very
             unhappy, 100 = all very happy (n: how many pressed)
  staff      how the staff think customers feel, on the same scale
  verdict    the till's speed against how customers feel about it
  -          not enough data in that window to say (e.g. fewer than 5
             presses, or nobody waited at the till)
Alerts appear as they happen, marked with !!. The alert lamp by the till
(an output of the gateway) blinks on alerts until staff press its button:
its state comes with the gateway's status (lamp), each acknowledgement
with ok.
""")
    print(f"{'window':<11} {'in':>3} {'out':>3} {'occ':>3} | {'served':>6}"
          f" {'wait':>7} {'SL':>5} | {'index':>5} {'n':>3} {'staff':>5}"
          f" | verdict")


class Shop:
    def __init__(self, zone):
        self.tz = ZoneInfo(zone)

    def local(self, iso, seconds=False):
        t = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        return t.astimezone(self.tz).strftime("%H:%M:%S" if seconds else "%H:%M")


def num(v, fmt="{:.0f}", unit=""):
    return "-" if v is None else fmt.format(v) + unit


def duration(s):
    if s is None:
        return "-"
    s = int(round(s))
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def show_metrics(shop, m):
    q, f, g, ft = m["queue"], m["feedback"], m["gap"], m["footfall"]
    verdict = VERDICT.get(g.get("quadrant"), "-")
    print(f"{shop.local(m['window_start'])}-{shop.local(m['window_end'])}"
          f" {ft['in']:>3} {ft['out']:>3} {ft['occupancy']:>3}"
          f" | {q['served']:>6} {duration(q['wait_avg_s']):>7}"
          f" {num(q['service_level_pct'], unit='%'):>5}"
          f" | {num(f['index']):>5} {f['responses']:>3}"
          f" {num(m['staff']['index']):>5}"
          f" | {verdict}")


FINDING = {
    "perception_lag": "the queue has been fast for days, but customers have"
                      " not noticed yet",
    "goodwill": "customers have stayed kind for days while the queue was"
                " slow",
}


def daily_text(m):
    """The daily rollup (gapsense.daily.v1) as one sentence."""
    g, f, t = m["gap"], m["footfall"], m.get("trend") or {}
    text = (f"the day {m['day']} ended: {f['in']} came in, service level"
            f" {num(g['actual'], unit='%')}, customers' index"
            f" {num(g['perceived'])}: {VERDICT.get(g['quadrant'], '-')}")
    streak = t.get("streak") or {}
    if t.get("finding"):
        text += f"; {streak['days']} days in a row: {FINDING[t['finding']]}"
    return text


def alert_text(shop, m):
    d, s = m.get("details", {}), m["sensor"]
    kind = m["type"]
    if kind == "discontent_burst":
        return (f"{s}: customers are unhappy right now: {d['negative']} of the"
                f" last {d['presses']} presses were unhappy"
                f" ({d['negative_pct']:.0f}%) within"
                f" {duration(d['window_s'])}")
    if kind == "queue_wait_high":
        return (f"{s}: the queue is too slow: customers waited"
                f" {duration(d['wait_avg_s'])} on average (longest"
                f" {duration(d['wait_max_s'])}), the target is"
                f" {duration(d['target_wait_s'])}")
    if kind == "sensor_fault":
        return (f"{s}: sensor fault: {d['role']} (line {d['line']}) has been"
                f" active since {shop.local(d['active_since'], True)};"
                " check it is not blocked or unplugged")
    if kind == "sensor_recovered":
        return f"{s}: the sensor works again ({d['role']}, line {d['line']})"
    return f"{s}: {kind}"


def ack_text(shop, m):
    a = m["alert"]
    by = m["by"] + (f" ({m['button']})" if m.get("button") else "")
    return (f"{by} pressed: {m['output']} acknowledged"
            f" {duration(m['response_s'])} after the {a['type']} alert of"
            f" {shop.local(a['time'], True)} ({a['sensor']})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state")
    ap.add_argument("--ready-topic")
    ap.add_argument("--timezone", default="UTC")
    ap.add_argument("--window", type=int, default=15)
    ap.add_argument("--target-wait", type=int, default=180)
    a = ap.parse_args()
    shop = Shop(a.timezone)

    ready = False
    seqs = {"metrics": set(), "alerts": set(), "acks": set()}
    n_status = dups = 0
    shown = {}  # output name -> state last printed

    def save():
        if not a.state:
            return
        tmp = a.state + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{int(ready)} {len(seqs['metrics'])} {len(seqs['alerts'])}"
                    f" {n_status} {dups} {len(seqs['acks'])}\n")
        os.replace(tmp, a.state)

    save()
    legend(a.timezone, a.window, a.target_wait)
    for line in sys.stdin:
        topic, _, payload = line.rstrip("\n").partition(" ")
        if topic == a.ready_topic:
            ready = True
            save()
            continue
        try:
            m = json.loads(payload)
        except ValueError:
            continue
        kind = topic.rsplit("/", 1)[-1]
        if not isinstance(m, dict):
            continue
        if kind in seqs and "seq" in m:
            if m["seq"] in seqs[kind]:
                dups += 1
                save()
                continue
            seqs[kind].add(m["seq"])
        if kind == "metrics":
            show_metrics(shop, m)
        elif kind == "alerts":
            print(f"  !! {shop.local(m['time'], True)}  {alert_text(shop, m)}")
        elif kind == "acks":
            print(f"  ok {shop.local(m['time'], True)}  {ack_text(shop, m)}")
        elif kind == "daily":
            print(f"  == {daily_text(m)}")
        elif kind == "status":
            n_status += 1
            state = m.get("state")
            outputs = {o["name"]: o["state"] for o in m.get("outputs", [])}
            if state != shown.get(None):
                print(f"  (the gateway is {state}"
                      f"{': ' + m['reason'] if m.get('reason') else ''})")
            for name, st in outputs.items():
                if state == "online" and st != shown.get(name, "off"):
                    print(f"  ** {name}: {st}")
                shown[name] = st
            shown[None] = state
        save()


if __name__ == "__main__":
    try:
        main()
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(130)
