#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the golden scenario cases: for each, gapsense.conf, scenario.csv
and expected.jsonl (what `gapsense replay -c gapsense.conf scenario.csv
--print` must print, metrics and alerts, one message a line).

The scenarios are built from a few people-level actions (a crossing, a
queue entry, a button press) that expand to physical edges. The expected
messages are NOT computed here: every number below was worked out by hand
from the rules in docs/metrics.md and is written as a literal, with the
working in the comments. This script only lays the literals out in the
message format, so that a reviewer reads one case on one screen.

Run it from anywhere; it rewrites tests/golden/*/ next to itself. The files
it writes are committed; the test (tests/integration/test_golden.sh) reads
only those.
"""

import datetime as dt
import os
import json

HERE = os.path.dirname(os.path.abspath(__file__))


# ---- time ------------------------------------------------------------------

def ms(iso):
    """'2026-11-23T09:00:00.250Z' (or without millis) -> ms since epoch."""
    s = iso.rstrip("Z")
    if "." not in s:
        s += ".000"
    d = dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f")
    return int(d.replace(tzinfo=dt.timezone.utc).timestamp() * 1000 + 0.5)


def iso(t, millis=True):
    d = dt.datetime.fromtimestamp(t / 1000, tz=dt.timezone.utc)
    if millis:
        return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t % 1000)
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- configuration -----------------------------------------------------------

DOOR = ("entrance", "beam_pair", ["GPIO17", "GPIO27"])
QUEUE = ("till-queue", "queue", ["GPIO22", "GPIO23"])
SMILEY = ("smiley-exit", "smiley", ["GPIO5", "GPIO6", "GPIO13", "GPIO19"])
STAFF = ("staff", "staff", ["GPIO12", "GPIO16", "GPIO20", "GPIO21"])
FULL_SITE = [DOOR, QUEUE, SMILEY, STAFF]
LAMP_BUTTON = ("lamp-button", "button", ["GPIO24"])

BUTTONS4 = ["very_unhappy", "unhappy", "happy", "very_happy"]


class Case:
    def __init__(self, name, title, sensors=FULL_SITE, day_start="04:00",
                 active_low=False, max_wait="30m", window=15, outputs=()):
        self.name = name
        self.window = window  # minutes
        self.title = title
        self.sensors = sensors
        self.day_start = day_start
        self.active_low = active_low
        self.max_wait = max_wait
        self.outputs = outputs  # [output] sections, as lines
        self.edges = []  # (t, line, active)
        self.messages = []
        self.comments = []

    # -- config --
    def config(self):
        out = [
            "# Golden case: %s" % self.title,
            "[gateway]",
            "id = till-1",
            "site = store-042",
            "timezone = Europe/Berlin",
            "window = %dm" % self.window,
            "day_start = %s" % self.day_start,
            "",
            "[metrics]",
            "min_responses = 5",
            "gap_threshold = 70",
            "",
            "[alerts]",
            "burst_window = 10m",
            "burst_min = 5",
            "burst_share = 50",
            "queue_window = 10m",
            "queue_rearm = 80",
        ]
        for name, typ, lines in self.sensors:
            out += ["", '[sensor "%s"]' % name, "type = %s" % typ,
                    "chip = gpiochip0", "lines = %s" % ", ".join(lines),
                    "active_low = %s" % ("true" if self.active_low
                                         else "false")]
            if typ == "beam_pair":
                out.append("min_break = 30ms")
            if typ == "queue":
                out += ["target_wait = 3m", "max_wait = %s" % self.max_wait]
            if typ in ("smiley", "staff"):
                out.append("lockout = 2s")
        for section in self.outputs:
            out += [""] + list(section)
        return "\n".join(out) + "\n"

    # -- actions (each ends, and so counts, at the time given) --
    def edge(self, t, line, active):
        self.edges.append((ms(t) if isinstance(t, str) else t, line, active))

    def touch(self, t):
        """An edge repeating an idle line's level: moves scenario time
        (clarification 1) and so fixes the first or last window."""
        self.edge(t, self.sensors[0][2][0], 0)

    def cross_in(self, t):
        """A, A+B, B, clear: an in counted at the final clearing edge t."""
        e = ms(t)
        a, b = DOOR[2]
        self.edge(e - 600, a, 1)
        self.edge(e - 400, b, 1)
        self.edge(e - 200, a, 0)
        self.edge(e, b, 0)

    def cross_out(self, t):
        e = ms(t)
        a, b = DOOR[2]
        self.edge(e - 600, b, 1)
        self.edge(e - 400, a, 1)
        self.edge(e - 200, b, 0)
        self.edge(e, a, 0)

    def join(self, t):
        """Queue entry beam broken at t (the activating edge counts)."""
        self.edge(t, QUEUE[2][0], 1)
        self.edge(ms(t) + 200, QUEUE[2][0], 0)

    def serve(self, t):
        self.edge(t, QUEUE[2][1], 1)
        self.edge(ms(t) + 200, QUEUE[2][1], 0)

    def press(self, t, button, sensor=SMILEY):
        line = sensor[2][button]
        self.edge(t, line, 1)
        self.edge((ms(t) if isinstance(t, str) else t) + 150, line, 0)

    # -- output --
    def scenario(self):
        out = ["# Golden case: %s" % self.title]
        out += ["# " + c for c in self.comments]
        out.append("time,chip,line,value")
        for t, line, active in sorted(self.edges, key=lambda e: e[0]):
            level = (1 - active) if self.active_low else active
            out.append("%s,gpiochip0,%s,%d" % (iso(t), line, level))
        return "\n".join(out) + "\n"

    def write(self):
        d = os.path.join(HERE, self.name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "gapsense.conf"), "w") as f:
            f.write(self.config())
        with open(os.path.join(d, "scenario.csv"), "w") as f:
            f.write(self.scenario())
        with open(os.path.join(d, "expected.jsonl"), "w") as f:
            for seq, (kind, payload) in enumerate(self.messages, 1):
                payload["seq"] = seq
                f.write('{"topic": "gapsense/v1/store-042/till-1/%s", '
                        '"payload": %s}\n' % (kind, dumps(payload)))

    # -- expected messages --
    def metrics(self, start, footfall=(0, 0, 0), queue=None, feedback=None,
                staff=None, gap=None, sensors=None):
        has = {typ for _, typ, _ in self.sensors}
        s = ms(start)
        m = {
            "schema": "gapsense.metrics.v1", "site": "store-042",
            "gateway": "till-1", "seq": 0,
            "window_start": iso(s, False),
            "window_end": iso(s + self.window * 60000, False),
            "window_s": self.window * 60, "clock_synced": True, "historical": False,
            "footfall": {"in": footfall[0], "out": footfall[1],
                         "occupancy": footfall[2]},
            "queue": {"joined": 0, "served": 0, "abandoned": 0,
                      "length_max": 0, "wait_avg_s": None,
                      "wait_p50_s": None, "wait_p90_s": None,
                      "wait_max_s": None,
                      "target_wait_s": D("180.0") if "queue" in has
                      else None,
                      "service_level_pct": None},
            **perception_blocks(has),
            "sensors": {},
        }
        for name, typ, lines in self.sensors:
            if typ == "beam_pair":
                b = {"type": typ, "in": 0, "out": 0}
            elif typ == "button":
                b = {"type": typ}  # presses acknowledge; nothing to count
            elif typ == "queue":
                b = {"type": typ, "joined": 0, "served": 0, "abandoned": 0,
                     "length": 0, "length_max": 0, "waits": 0,
                     "wait_avg_s": None, "wait_p50_s": None,
                     "wait_p90_s": None, "wait_max_s": None,
                     "target_wait_s": D("180.0"),
                     "service_level_pct": None}
            else:
                b = {"type": typ, "buttons": 4, "responses": 0, "misuse": 0,
                     "counts": {k: 0 for k in BUTTONS4}, "index": None}
            b["faulted"] = False
            b["faults"] = 0
            m["sensors"][name] = b
        for key, over in (("queue", queue), ("feedback", feedback),
                          ("staff", staff), ("gap", gap)):
            if over:
                merge(m[key], over)
        for name, over in (sensors or {}).items():
            merge(m["sensors"][name], over)
        self.messages.append(("metrics", m))

    def daily(self, day, start, end, partial=False, footfall=(0, 0, 0),
              queue=None, feedback=None, staff=None, gap=None, windows=None,
              alerts=None, trend=None):
        """A gapsense.daily.v1 rollup; footfall is (in, out,
        occupancy_max); windows the quadrant counts, "none" the rest."""
        has = {typ for _, typ, _ in self.sensors}
        s, e = ms(start), ms(end)
        m = {
            "schema": "gapsense.daily.v1", "site": "store-042",
            "gateway": "till-1", "seq": 0, "day": day,
            "day_start": iso(s, False), "day_end": iso(e, False),
            "day_s": (e - s) // 1000, "partial": partial,
            "clock_synced": True, "historical": False,
            "footfall": {"in": footfall[0], "out": footfall[1],
                         "occupancy_max": footfall[2]},
            "queue": {"joined": 0, "served": 0, "abandoned": 0,
                      "length_max": 0, "waits": 0, "wait_avg_s": None,
                      "wait_p50_s": None, "wait_p90_s": None,
                      "wait_max_s": None, "service_level_pct": None},
            **perception_blocks(has),
            "windows": {"total": 0, "aligned_good": 0, "aligned_bad": 0,
                        "perception_lag": 0, "goodwill": 0, "none": 0},
            "alerts": {"raised": 0, "discontent_burst": 0,
                       "queue_wait_high": 0, "sensor_fault": 0,
                       "sensor_recovered": 0, "acknowledged": 0,
                       "ack_p50_s": None, "ack_max_s": None},
            "trend": trend,
        }
        for key, over in (("queue", queue), ("feedback", feedback),
                          ("staff", staff), ("gap", gap),
                          ("windows", windows), ("alerts", alerts)):
            if over:
                merge(m[key], over)
        m["windows"]["total"] = (e - s) // (self.window * 60000) \
            if m["windows"]["total"] == 0 else m["windows"]["total"]
        m["windows"]["none"] = m["windows"]["total"] - sum(
            v for k, v in m["windows"].items() if k not in ("total", "none"))
        self.messages.append(("daily", m))

    def ack(self, t, alert_t, typ, sensor, output, by, response_s,
            button=None):
        self.messages.append(("acks", {
            "schema": "gapsense.ack.v1", "site": "store-042",
            "gateway": "till-1", "seq": 0, "time": iso(ms(t)),
            "alert": {"time": iso(ms(alert_t)), "type": typ,
                      "sensor": sensor},
            "output": output, "by": by, "button": button,
            "response_s": D(response_s)}))

    def alert(self, t, typ, sensor, details):
        self.messages.append(("alerts", {
            "schema": "gapsense.alert.v1", "site": "store-042",
            "gateway": "till-1", "seq": 0, "time": iso(ms(t)),
            "type": typ, "sensor": sensor, "details": details}))


def period(days, p_avg=None, p_change=None, p_dir=None, a_avg=None,
           a_change=None, a_dir=None, lag=0, goodwill=0):
    """One trend period (last_7, last_28), hand-computed, as written."""
    dec = (lambda v: D(v) if v is not None else None)
    return {"days": days, "perceived_avg": dec(p_avg),
            "perceived_change": dec(p_change), "perceived_direction": p_dir,
            "actual_avg": dec(a_avg), "actual_change": dec(a_change),
            "actual_direction": a_dir, "perception_lag_days": lag,
            "goodwill_days": goodwill}


def trend(days, last_7, last_28=None, streak=(None, 0, None), finding=None):
    """days: (day, perceived, actual, quadrant) oldest first."""
    dec = (lambda v: D(v) if v is not None else None)
    return {"days": [{"day": d, "perceived": dec(p), "actual": dec(a),
                      "quadrant": q} for d, p, a, q in days],
            "last_7": last_7, "last_28": last_28 or last_7,
            "streak": {"quadrant": streak[0], "days": streak[1],
                       "since": streak[2]},
            "finding": finding}


def perception_blocks(has):
    """feedback, staff and gap of a message with nothing in them."""
    return {
        "feedback": {"responses": 0, "misuse": 0,
                     "counts": ({k: 0 for k in BUTTONS4}
                                if "smiley" in has else {}),
                     "index": None, "response_rate_pct": None},
        "staff": {"responses": 0, "index": None},
        "gap": {"perceived": None, "actual": None,
                "perceived_minus_actual": None,
                "staff_minus_customer": None, "quadrant": None},
    }


class D(str):
    """A decimal written exactly as given ("50.0")."""


def merge(dst, over):
    for k, v in over.items():
        if k not in dst:
            raise KeyError("no field %s" % k)
        if isinstance(v, dict) and isinstance(dst[k], dict) and dst[k]:
            merge(dst[k], v)
        else:
            dst[k] = v


def dumps(v):
    """Compact JSON in cJSON's layout, decimals as written."""
    if isinstance(v, D):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ",".join(dumps(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k) + ":" + dumps(x)
                              for k, x in v.items()) + "}"
    raise TypeError(v)


def waits(avg, p50, p90, mx, sl, n=None):
    """Queue wait fields, hand-computed, as written."""
    w = {"wait_avg_s": D(avg), "wait_p50_s": D(p50), "wait_p90_s": D(p90),
         "wait_max_s": D(mx), "service_level_pct": D(sl)}
    if n is not None:
        w["waits"] = n
    return w


# =============================================================================
# The cases
# =============================================================================

def quiet_hour():
    c = Case("quiet-hour", "a quiet hour: two customers, one wait, one "
             "press, two empty-ish windows")
    c.comments = ["10:00-11:00Z: 2 in, 1 out, one 90 s wait, one happy "
                  "press."]
    c.touch("2026-11-23T10:00:00.000Z")
    c.cross_in("2026-11-23T10:05:00.000Z")
    c.join("2026-11-23T10:07:00.000Z")
    c.serve("2026-11-23T10:08:30.000Z")  # wait 90 s
    c.press("2026-11-23T10:09:00.000Z", 2)  # happy
    c.cross_in("2026-11-23T10:40:00.000Z")
    c.cross_out("2026-11-23T10:50:00.000Z")
    c.touch("2026-11-23T10:59:59.999Z")

    # 10:00: 1 in; one wait of 90 s (<= 180: 100 %); one response (< 5:
    # index null); response rate 1 / 1 = 100 %; perceived null, so the
    # differences and the quadrant are null, actual 100.0.
    c.metrics("2026-11-23T10:00:00Z", (1, 0, 1),
              queue={"joined": 1, "served": 1, "length_max": 1,
                     **waits("90.0", "90.0", "90.0", "90.0", "100.0")},
              feedback={"responses": 1, "counts": {"happy": 1},
                        "response_rate_pct": D("100.0")},
              gap={"actual": D("100.0")},
              sensors={"entrance": {"in": 1},
                       "till-queue": {"joined": 1, "served": 1,
                                      "length_max": 1,
                                      **waits("90.0", "90.0", "90.0",
                                              "90.0", "100.0", 1)},
                       "smiley-exit": {"responses": 1,
                                       "counts": {"happy": 1}}})
    # 10:15: nothing; occupancy carried; in = 0 so the rate is null.
    c.metrics("2026-11-23T10:15:00Z", (0, 0, 1))
    c.metrics("2026-11-23T10:30:00Z", (1, 0, 2),
              feedback={"response_rate_pct": D("0.0")},
              sensors={"entrance": {"in": 1}})
    # 10:45: closed by the end of the replay at 10:59:59.999.
    c.metrics("2026-11-23T10:45:00Z", (0, 1, 1),
              sensors={"entrance": {"out": 1}})
    return c


def rush():
    c = Case("rush", "a rush: long queue, unhappy customers, both alerts")
    c.comments = ["11:00-11:30Z: 8 in, 6 queue, waits 240..840 s, 5 "
                  "unhappy presses, staff thinks all is fine."]
    c.touch("2026-11-23T11:00:00.000Z")
    for i in range(8):  # 11:00:10 .. 11:01:20
        c.cross_in(iso(ms("2026-11-23T11:00:10Z") + i * 10000))
    for i in range(6):  # 11:01:30 .. 11:02:20
        c.join(iso(ms("2026-11-23T11:01:30Z") + i * 10000))
    c.serve("2026-11-23T11:05:30.000Z")  # 240 s
    c.press("2026-11-23T11:05:35.000Z", 0)
    c.serve("2026-11-23T11:07:40.000Z")  # 360 s
    c.press("2026-11-23T11:07:45.000Z", 0)
    c.serve("2026-11-23T11:09:50.000Z")  # 480 s
    c.press("2026-11-23T11:09:55.000Z", 1)
    c.press("2026-11-23T11:10:00.000Z", 2, STAFF)
    c.serve("2026-11-23T11:12:00.000Z")  # 600 s
    c.press("2026-11-23T11:12:05.000Z", 0)
    c.serve("2026-11-23T11:14:10.000Z")  # 720 s
    c.press("2026-11-23T11:14:15.000Z", 0)
    c.serve("2026-11-23T11:16:20.000Z")  # 840 s
    c.press("2026-11-23T11:16:25.000Z", 2)
    c.cross_out("2026-11-23T11:20:00.000Z")
    c.cross_out("2026-11-23T11:21:00.000Z")
    c.cross_out("2026-11-23T11:22:00.000Z")
    c.touch("2026-11-23T11:29:59.999Z")

    # First serve: trailing mean 240 > 180 -> queue_wait_high at once.
    c.alert("2026-11-23T11:05:30.000Z", "queue_wait_high", "till-queue",
            {"wait_avg_s": D("240.0"), "wait_max_s": D("240.0"),
             "waits": 1, "target_wait_s": D("180.0"),
             "window_s": D("600.0")})
    # Fifth negative press, all five within 10 min (11:05:35..11:14:15):
    # 5 of 5 = 100 % -> discontent_burst.
    c.alert("2026-11-23T11:14:15.000Z", "discontent_burst", "smiley-exit",
            {"negative": 5, "presses": 5, "negative_pct": D("100.0"),
             "first_press": "2026-11-23T11:05:35.000Z",
             "window_s": D("600.0"), "burst_min": 5,
             "burst_share_pct": D("50.0")})
    # 11:00: waits 240 360 480 600 720: avg 480, p50 rank 3 = 480, p90
    # rank ceil(4.5) = 5 = 720, none <= 180: 0 %. Index (0*4 + 33.33) / 5
    # = 6.67; rate 5 / 8 = 62.5 %; staff 66.67; gap 6.67 - 0 = 6.7;
    # staff - customer 66.67 - 6.67 = 60.0; both below 70: aligned_bad.
    q = waits("480.0", "480.0", "720.0", "720.0", "0.0")
    c.metrics("2026-11-23T11:00:00Z", (8, 0, 8),
              queue={"joined": 6, "served": 5, "length_max": 6, **q},
              feedback={"responses": 5,
                        "counts": {"very_unhappy": 4, "unhappy": 1},
                        "index": D("6.7"), "response_rate_pct": D("62.5")},
              staff={"responses": 1, "index": D("66.7")},
              gap={"perceived": D("6.7"), "actual": D("0.0"),
                   "perceived_minus_actual": D("6.7"),
                   "staff_minus_customer": D("60.0"),
                   "quadrant": "aligned_bad"},
              sensors={"entrance": {"in": 8},
                       "till-queue": {"joined": 6, "served": 5, "length": 1,
                                      "length_max": 6, "waits": 5, **q},
                       "smiley-exit": {"responses": 5,
                                       "counts": {"very_unhappy": 4,
                                                  "unhappy": 1},
                                       "index": D("6.7")},
                       "staff": {"responses": 1, "counts": {"happy": 1},
                                 "index": D("66.7")}})
    # 11:15: one serve (840 s), length 1 at the start; one happy press.
    q = waits("840.0", "840.0", "840.0", "840.0", "0.0")
    c.metrics("2026-11-23T11:15:00Z", (0, 3, 5),
              queue={"served": 1, "length_max": 1, **q},
              feedback={"responses": 1, "counts": {"happy": 1}},
              gap={"actual": D("0.0")},
              sensors={"entrance": {"out": 3},
                       "till-queue": {"served": 1, "length_max": 1,
                                      "waits": 1, **q},
                       "smiley-exit": {"responses": 1,
                                       "counts": {"happy": 1}}})
    return c


def perception_lag():
    c = Case("perception-lag", "perception lag: service is good, "
             "customers rate it poorly")
    c.comments = ["09:00-09:15Z: 6 in, 2 out, five waits of 30..120 s, "
                  "six mostly unhappy presses, staff says very happy."]
    c.touch("2026-11-23T09:00:00.000Z")
    for i in range(6):  # 09:00:30 .. 09:03:00
        c.cross_in(iso(ms("2026-11-23T09:00:30Z") + i * 30000))
    c.join("2026-11-23T09:03:10.000Z")
    c.serve("2026-11-23T09:04:10.000Z")  # 60
    c.press("2026-11-23T09:04:15.000Z", 1)
    c.join("2026-11-23T09:04:20.000Z")
    c.serve("2026-11-23T09:05:00.000Z")  # 40
    c.press("2026-11-23T09:05:05.000Z", 1)
    c.join("2026-11-23T09:05:10.000Z")
    c.serve("2026-11-23T09:06:30.000Z")  # 80
    c.press("2026-11-23T09:06:35.000Z", 2)
    c.join("2026-11-23T09:06:40.000Z")
    c.serve("2026-11-23T09:07:10.000Z")  # 30
    c.press("2026-11-23T09:07:15.000Z", 0)
    c.join("2026-11-23T09:07:20.000Z")
    c.serve("2026-11-23T09:09:20.000Z")  # 120
    c.press("2026-11-23T09:09:25.000Z", 1)
    c.press("2026-11-23T09:10:00.000Z", 2)
    c.press("2026-11-23T09:12:00.000Z", 3, STAFF)
    c.cross_out("2026-11-23T09:13:00.000Z")
    c.cross_out("2026-11-23T09:14:00.000Z")
    c.touch("2026-11-23T09:14:59.999Z")

    # Waits 30 40 60 80 120: avg 66, p50 rank 3 = 60, p90 rank 5 = 120,
    # all <= 180: 100 %. Presses: unhappy x3, happy x2, very_unhappy x1:
    # (0 + 3 * 33.33 + 2 * 66.67) / 6 = 233.33 / 6 = 38.89 -> 38.9; 4
    # negatives, no burst. Rate 6 / 6 = 100 %. Gap 38.89 - 100 = -61.1;
    # staff 100 - 38.89 = 61.1; actual >= 70 > perceived: perception_lag.
    q = waits("66.0", "60.0", "120.0", "120.0", "100.0")
    fb = {"very_unhappy": 1, "unhappy": 3, "happy": 2}
    c.metrics("2026-11-23T09:00:00Z", (6, 2, 4),
              queue={"joined": 5, "served": 5, "length_max": 1, **q},
              feedback={"responses": 6, "counts": fb, "index": D("38.9"),
                        "response_rate_pct": D("100.0")},
              staff={"responses": 1, "index": D("100.0")},
              gap={"perceived": D("38.9"), "actual": D("100.0"),
                   "perceived_minus_actual": D("-61.1"),
                   "staff_minus_customer": D("61.1"),
                   "quadrant": "perception_lag"},
              sensors={"entrance": {"in": 6, "out": 2},
                       "till-queue": {"joined": 5, "served": 5,
                                      "length_max": 1, "waits": 5, **q},
                       "smiley-exit": {"responses": 6, "counts": fb,
                                       "index": D("38.9")},
                       "staff": {"responses": 1,
                                 "counts": {"very_happy": 1},
                                 "index": D("100.0")}})
    return c


def goodwill():
    c = Case("goodwill", "goodwill: the queue is slow, customers are "
             "happy anyway")
    c.comments = ["13:00-13:15Z: 5 in, waits 180..540 s, five happy "
                  "presses, staff fears the worst."]
    c.touch("2026-11-23T13:00:00.000Z")
    for i in range(5):  # 13:00:10 .. 13:00:50
        c.cross_in(iso(ms("2026-11-23T13:00:10Z") + i * 10000))
    c.join("2026-11-23T13:01:00.000Z")
    c.join("2026-11-23T13:01:05.000Z")
    c.join("2026-11-23T13:01:10.000Z")
    c.join("2026-11-23T13:01:15.000Z")
    c.serve("2026-11-23T13:04:00.000Z")  # 180: exactly the target
    c.press("2026-11-23T13:04:05.000Z", 3)
    c.serve("2026-11-23T13:06:05.000Z")  # 300
    c.press("2026-11-23T13:06:10.000Z", 3)
    c.serve("2026-11-23T13:08:10.000Z")  # 420
    c.press("2026-11-23T13:08:15.000Z", 2)
    c.serve("2026-11-23T13:10:15.000Z")  # 540
    c.press("2026-11-23T13:10:20.000Z", 3)
    c.press("2026-11-23T13:11:00.000Z", 2)
    c.press("2026-11-23T13:12:00.000Z", 0, STAFF)
    c.touch("2026-11-23T13:14:59.999Z")

    # 180 alone is not above the target; (180 + 300) / 2 = 240 is.
    c.alert("2026-11-23T13:06:05.000Z", "queue_wait_high", "till-queue",
            {"wait_avg_s": D("240.0"), "wait_max_s": D("300.0"),
             "waits": 2, "target_wait_s": D("180.0"),
             "window_s": D("600.0")})
    # Waits 180 300 420 540: avg 360, p50 rank 2 = 300, p90 rank
    # ceil(3.6) = 4 = 540; 180 is within the target: 1 / 4 = 25 %.
    # Index (100 * 3 + 66.67 * 2) / 5 = 86.67; staff 0; gap 86.67 - 25 =
    # 61.67 -> 61.7; staff - customer -86.7; goodwill.
    q = waits("360.0", "300.0", "540.0", "540.0", "25.0")
    fb = {"happy": 2, "very_happy": 3}
    c.metrics("2026-11-23T13:00:00Z", (5, 0, 5),
              queue={"joined": 4, "served": 4, "length_max": 4, **q},
              feedback={"responses": 5, "counts": fb, "index": D("86.7"),
                        "response_rate_pct": D("100.0")},
              staff={"responses": 1, "index": D("0.0")},
              gap={"perceived": D("86.7"), "actual": D("25.0"),
                   "perceived_minus_actual": D("61.7"),
                   "staff_minus_customer": D("-86.7"),
                   "quadrant": "goodwill"},
              sensors={"entrance": {"in": 5},
                       "till-queue": {"joined": 4, "served": 4,
                                      "length_max": 4, "waits": 4, **q},
                       "smiley-exit": {"responses": 5, "counts": fb,
                                       "index": D("86.7")},
                       "staff": {"responses": 1,
                                 "counts": {"very_unhappy": 1},
                                 "index": D("0.0")}})
    return c


def misuse_mashing():
    c = Case("misuse-mashing", "a child mashing the smiley buttons")
    c.comments = ["14:00-14:15Z: one in; 11 presses within the 2 s lockout "
                  "of the previous press are misuse."]
    c.touch("2026-11-23T14:00:00.000Z")
    c.cross_in("2026-11-23T14:00:05.000Z")
    base = ms("2026-11-23T14:01:00Z")
    for i in range(10):  # very_unhappy every 500 ms: 1 counts, 9 misuse
        c.press(base + i * 500, 0)
    c.press(base + 5000, 3)  # 500 ms after the last: misuse
    c.press("2026-11-23T14:05:00.000Z", 2)  # a real customer
    c.press("2026-11-23T14:05:02.000Z", 1)  # exactly 2 s: misuse
    c.press("2026-11-23T14:05:04.001Z", 3)  # 2.001 s: counts
    c.touch("2026-11-23T14:14:59.999Z")

    # Responses: very_unhappy (14:01:00), happy, very_happy = 3 (< 5:
    # index null); misuse 9 + 1 + 1 = 11 and never in a burst. Rate
    # 3 / 1 = 300 % (not capped).
    fb = {"very_unhappy": 1, "happy": 1, "very_happy": 1}
    c.metrics("2026-11-23T14:00:00Z", (1, 0, 1),
              feedback={"responses": 3, "misuse": 11, "counts": fb,
                        "response_rate_pct": D("300.0")},
              sensors={"entrance": {"in": 1},
                       "smiley-exit": {"responses": 3, "misuse": 11,
                                       "counts": fb}})
    return c


def turn_back():
    c = Case("turn-back", "the door: turn-backs, hesitation, noise, two "
             "people close together")
    c.comments = [
        "15:01 A and back: nothing. 15:02 a plain in. 15:03 A, A+B, A, "
        "A+B, B, clear: one in.",
        "15:04 A, A+B, A, clear: nothing. 15:05 a 20 ms flicker: noise. "
        "15:06 an out.",
        "15:07 an in whose A break lasts exactly min_break (30 ms). 15:08 "
        "a 29 ms flicker, then an in.",
        "15:09 two ins with 1 ms of all-clear between them."]
    a, b = DOOR[2]
    t = ms
    c.touch("2026-11-23T15:00:00.000Z")
    c.edge("2026-11-23T15:01:00.000Z", a, 1)
    c.edge("2026-11-23T15:01:00.800Z", a, 0)
    c.cross_in("2026-11-23T15:02:00.600Z")
    for off, line, lv in ((0, a, 1), (200, b, 1), (400, b, 0), (600, b, 1),
                          (800, a, 0), (1000, b, 0)):
        c.edge(t("2026-11-23T15:03:00Z") + off, line, lv)
    for off, line, lv in ((0, a, 1), (200, b, 1), (400, b, 0), (600, a, 0)):
        c.edge(t("2026-11-23T15:04:00Z") + off, line, lv)
    c.edge("2026-11-23T15:05:00.000Z", a, 1)
    c.edge("2026-11-23T15:05:00.020Z", a, 0)
    c.cross_out("2026-11-23T15:06:00.600Z")
    for off, line, lv in ((0, a, 1), (20, b, 1), (30, a, 0), (200, b, 0)):
        c.edge(t("2026-11-23T15:07:00Z") + off, line, lv)
    c.edge("2026-11-23T15:08:00.000Z", a, 1)
    c.edge("2026-11-23T15:08:00.029Z", a, 0)
    c.cross_in("2026-11-23T15:08:00.700Z")
    c.cross_in("2026-11-23T15:09:00.600Z")
    for off, line, lv in ((601, a, 1), (800, b, 1), (1000, a, 0),
                          (1200, b, 0)):
        c.edge(t("2026-11-23T15:09:00Z") + off, line, lv)
    c.touch("2026-11-23T15:14:59.999Z")

    # Ins at 15:02:00.6, 15:03:01.0, 15:07:00.2, 15:08:00.7, 15:09:00.6,
    # 15:09:01.2 = 6; one out; occupancy 5; rate 0 / 6 = 0 %.
    c.metrics("2026-11-23T15:00:00Z", (6, 1, 5),
              feedback={"response_rate_pct": D("0.0")},
              sensors={"entrance": {"in": 6, "out": 1}})
    return c


def day_boundary():
    c = Case("day-boundary", "occupancy reset at 04:00 Berlin (03:00Z) on "
             "a window boundary", sensors=[DOOR])
    c.comments = ["02:45-03:15Z on 2026-11-24: 3 in and 1 out before the "
                  "reset, an in exactly at it, more outs than ins after."]
    c.touch("2026-11-24T02:45:00.000Z")
    c.cross_in("2026-11-24T02:50:00.000Z")
    c.cross_in("2026-11-24T02:52:00.000Z")
    c.cross_in("2026-11-24T02:54:00.000Z")
    c.cross_out("2026-11-24T02:58:00.000Z")
    c.cross_in("2026-11-24T03:00:00.000Z")  # after the close and reset
    c.cross_out("2026-11-24T03:05:00.000Z")
    c.cross_out("2026-11-24T03:06:00.000Z")  # would be -1: stays 0
    c.cross_in("2026-11-24T03:10:00.000Z")
    c.touch("2026-11-24T03:14:59.999Z")

    # No queue or smiley sensor: target_wait_s null, counts {}.
    # 02:45 shows 2 (the reset belongs to the window starting at 03:00).
    c.metrics("2026-11-24T02:45:00Z", (3, 1, 2),
              feedback={"response_rate_pct": D("0.0")},
              sensors={"entrance": {"in": 3, "out": 1}})
    # The window ending at the reset closes the day of 2026-11-23 (Berlin;
    # 03:00Z to 03:00Z): its rollup comes next. Partial: observed from
    # 02:45Z only, one window; occupancy peaked at 3 (02:54); no smiley,
    # no queue: every ratio null but the response rate (0 of 3 in).
    c.daily("2026-11-23", "2026-11-23T03:00:00Z", "2026-11-24T03:00:00Z",
            partial=True, footfall=(3, 1, 3),
            feedback={"response_rate_pct": D("0.0")}, windows={"total": 1},
            trend=trend([("2026-11-23", None, None, None)], period(1)))
    # 03:00: reset to 0, in 1, out 0 (floor), out 0, in 1.
    c.metrics("2026-11-24T03:00:00Z", (2, 2, 1),
              feedback={"response_rate_pct": D("0.0")},
              sensors={"entrance": {"in": 2, "out": 2}})
    return c


def dst_spring():
    c = Case("dst-spring", "day_start 02:30 on the spring-forward day: "
             "02:30 does not exist, the offset before (+1) gives 01:30Z",
             sensors=[DOOR], day_start="02:30", active_low=True)
    c.comments = ["2026-03-29 01:15-01:45Z; Berlin jumps from 02:00 CET "
                  "to 03:00 CEST at 01:00Z. active_low: 0 = beam broken."]
    c.touch("2026-03-29T01:15:00.000Z")
    c.cross_in("2026-03-29T01:20:00.000Z")
    c.cross_in("2026-03-29T01:25:00.000Z")
    c.cross_in("2026-03-29T01:35:00.000Z")
    c.touch("2026-03-29T01:44:59.999Z")
    c.metrics("2026-03-29T01:15:00Z", (2, 0, 2),
              feedback={"response_rate_pct": D("0.0")},
              sensors={"entrance": {"in": 2}})
    # The day of 2026-03-28 ran from 02:30 CET (01:30Z) to the reset: 24 h
    # (the short day is the next one). Partial, one window, peak 2.
    c.daily("2026-03-28", "2026-03-28T01:30:00Z", "2026-03-29T01:30:00Z",
            partial=True, footfall=(2, 0, 2),
            feedback={"response_rate_pct": D("0.0")}, windows={"total": 1},
            trend=trend([("2026-03-28", None, None, None)], period(1)))
    # Reset at 01:30Z, then one in.
    c.metrics("2026-03-29T01:30:00Z", (1, 0, 1),
              feedback={"response_rate_pct": D("0.0")},
              sensors={"entrance": {"in": 1}})
    return c


def dst_autumn():
    c = Case("dst-autumn", "day_start 02:30 on the fall-back day: 02:30 "
             "happens twice, the first (00:30Z) resets", sensors=[DOOR],
             day_start="02:30", active_low=True)
    c.comments = ["2026-10-25 00:15-01:45Z; Berlin goes from 03:00 CEST "
                  "back to 02:00 CET at 01:00Z, so 02:30 local is 00:30Z "
                  "and 01:30Z."]
    c.touch("2026-10-25T00:15:00.000Z")
    c.cross_in("2026-10-25T00:20:00.000Z")
    c.cross_in("2026-10-25T00:25:00.000Z")
    c.cross_in("2026-10-25T00:40:00.000Z")
    c.cross_in("2026-10-25T01:20:00.000Z")
    c.cross_in("2026-10-25T01:35:00.000Z")  # no second reset at 01:30Z
    c.touch("2026-10-25T01:44:59.999Z")
    rate = {"response_rate_pct": D("0.0")}
    c.metrics("2026-10-25T00:15:00Z", (2, 0, 2), feedback=rate,
              sensors={"entrance": {"in": 2}})
    # The day of 2026-10-24: 02:30 CEST (00:30Z) to the first 02:30 of the
    # 25th (00:30Z): 24 h. Partial, one window, peak 2.
    c.daily("2026-10-24", "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z",
            partial=True, footfall=(2, 0, 2), feedback=rate,
            windows={"total": 1},
            trend=trend([("2026-10-24", None, None, None)], period(1)))
    c.metrics("2026-10-25T00:30:00Z", (1, 0, 1), feedback=rate,
              sensors={"entrance": {"in": 1}})
    c.metrics("2026-10-25T00:45:00Z", (0, 0, 1))
    c.metrics("2026-10-25T01:00:00Z", (0, 0, 1))
    c.metrics("2026-10-25T01:15:00Z", (1, 0, 2), feedback=rate,
              sensors={"entrance": {"in": 1}})
    c.metrics("2026-10-25T01:30:00Z", (1, 0, 3), feedback=rate,
              sensors={"entrance": {"in": 1}})
    return c


def faults_and_walkout():
    c = Case("faults-and-walkout", "a blocked door beam, a held button, "
             "a customer who walks out of the queue", max_wait="5m")
    c.comments = [
        "16:02-16:03:59.5 beam A blocked (fault at 16:03:00, once time "
        "passes it); the crossing it spoils counts nothing.",
        "16:05 entry abandoned at 16:10 (max_wait 5m); 16:06 entry served "
        "exactly at 16:11 = entry + max_wait: still a match.",
        "16:10 very_happy held until 16:17: one press, then a fault at "
        "16:11:00 raised after the serve of that instant."]
    a, b = DOOR[2]
    c.touch("2026-11-23T16:00:00.000Z")
    c.cross_in("2026-11-23T16:01:00.000Z")
    c.edge("2026-11-23T16:02:00.000Z", a, 1)
    c.edge("2026-11-23T16:03:59.000Z", b, 1)
    c.edge("2026-11-23T16:03:59.500Z", a, 0)
    c.edge("2026-11-23T16:04:00.000Z", b, 0)
    c.join("2026-11-23T16:05:00.000Z")
    c.join("2026-11-23T16:06:00.000Z")
    c.edge("2026-11-23T16:10:00.000Z", SMILEY[2][3], 1)
    c.serve("2026-11-23T16:11:00.000Z")
    c.cross_out("2026-11-23T16:12:00.000Z")
    c.edge("2026-11-23T16:17:00.000Z", SMILEY[2][3], 0)
    c.touch("2026-11-23T16:29:59.999Z")

    c.alert("2026-11-23T16:03:00.000Z", "sensor_fault", "entrance",
            {"line": "GPIO17", "role": "A",
             "active_since": "2026-11-23T16:02:00.000Z",
             "limit_s": D("60.0")})
    c.alert("2026-11-23T16:03:59.500Z", "sensor_recovered", "entrance",
            {"line": "GPIO17", "role": "A",
             "active_since": "2026-11-23T16:02:00.000Z",
             "active_s": D("119.5")})
    # 16:05 abandoned at 16:10:00 (processed when time passed it), so the
    # 16:11 serve matches 16:06: wait 300 > 180.
    c.alert("2026-11-23T16:11:00.000Z", "queue_wait_high", "till-queue",
            {"wait_avg_s": D("300.0"), "wait_max_s": D("300.0"),
             "waits": 1, "target_wait_s": D("180.0"),
             "window_s": D("600.0")})
    c.alert("2026-11-23T16:11:00.000Z", "sensor_fault", "smiley-exit",
            {"line": "GPIO19", "role": "very_happy",
             "active_since": "2026-11-23T16:10:00.000Z",
             "limit_s": D("60.0")})
    # 16:00: 1 in, 1 out; joined 2, served 1, abandoned 1, length max 2;
    # one wait of 300 s: 0 % within target; one response (rate 100 %);
    # the button is still faulted at 16:15.
    q = waits("300.0", "300.0", "300.0", "300.0", "0.0")
    c.metrics("2026-11-23T16:00:00Z", (1, 1, 0),
              queue={"joined": 2, "served": 1, "abandoned": 1,
                     "length_max": 2, **q},
              feedback={"responses": 1, "counts": {"very_happy": 1},
                        "response_rate_pct": D("100.0")},
              gap={"actual": D("0.0")},
              sensors={"entrance": {"in": 1, "out": 1, "faults": 1},
                       "till-queue": {"joined": 2, "served": 1,
                                      "abandoned": 1, "length_max": 2,
                                      "waits": 1, **q},
                       "smiley-exit": {"responses": 1,
                                       "counts": {"very_happy": 1},
                                       "faulted": True, "faults": 1}})
    c.alert("2026-11-23T16:17:00.000Z", "sensor_recovered", "smiley-exit",
            {"line": "GPIO19", "role": "very_happy",
             "active_since": "2026-11-23T16:10:00.000Z",
             "active_s": D("420.0")})
    c.metrics("2026-11-23T16:15:00Z", (0, 0, 0))
    return c


def three_days():
    c = Case("three-days", "three trading days, the first across the autumn "
             "change (25 hours): daily rollups, the perception-lag trend "
             "and an alert lamp acknowledged", window=60,
             sensors=FULL_SITE + [LAMP_BUTTON],
             outputs=[['[output "lamp"]', "chip = gpiochip0",
                       "line = GPIO25", "alerts = sensor_fault",
                       "signal = blink", "end = ack",
                       "ack = lamp-button"],
                      ['[output "buzzer"]', "chip = gpiochip0",
                       "line = GPIO26",
                       "alerts = discontent_burst, sensor_fault",
                       "sensors = entrance", "end = hold", "hold = 1h",
                       "ack = staff:4"]])
    c.comments = [
        "day_start 04:00 Berlin, 60-minute windows. 2026-10-24 02:00Z (04:00"
        " CEST) to 2026-10-27 03:00Z (04:00 CET); Berlin falls back at"
        " 01:00Z on the 25th, so the day of the 24th is 25 hours.",
        "Each day at 10:00-11:00Z: 4 in, 2 queue waits of 120 and 180 s,"
        " 5 smiley presses, 1 staff press (happy), 4 out.",
        "On the 25th the door's beam A is blocked 20:00-20:02Z: a fault"
        " (at 20:01, once time passes it) and its recovery.",
        "The fault lights the lamp (until acknowledged) and the buzzer"
        " (for an hour);",
        "lamp-button pressed at 20:05Z acknowledges it: both go off.",
        "lamp-button pressed on the 24th at 12:00Z, with nothing lit, does"
        " nothing;",
        "the staff button that acknowledges the buzzer (very_happy) is"
        " never pressed, so every staff press rates."]
    c.touch("2026-10-24T02:00:00.000Z")  # exactly at day_start: complete
    presses = {
        # day: the five smiley buttons pressed (0 = very_unhappy)
        "2026-10-24": [0, 1, 1, 2, 2],  # 0+33.3+33.3+66.7+66.7 = 200/5 = 40
        "2026-10-25": [1, 1, 2, 2, 3],  # 66.7+133.3+100 = 300/5 = 60
        "2026-10-26": [1, 2, 2, 2, 2],  # 33.3+266.7 = 300/5 = 60
    }
    for day, buttons in presses.items():
        h = day + "T10:"
        for m in ("01", "02", "03", "04"):
            c.cross_in(h + m + ":00.000Z")
        c.join(h + "05:00.000Z")
        c.join(h + "06:00.000Z")
        c.serve(h + "07:00.000Z")  # wait 120 s
        c.serve(h + "09:00.000Z")  # wait 180 s: still within 3m
        for i, b in enumerate(buttons):
            c.press(h + "1%d:00.000Z" % i, b)
        c.press(h + "20:00.000Z", 2, sensor=STAFF)
        for m in ("40", "41", "42", "43"):
            c.cross_out(h + m + ":00.000Z")
    c.edge("2026-10-25T20:00:00.000Z", DOOR[2][0], 1)
    c.edge("2026-10-25T20:02:00.000Z", DOOR[2][0], 0)
    c.press("2026-10-24T12:00:00.000Z", 0, sensor=LAMP_BUTTON)
    c.press("2026-10-25T20:05:00.000Z", 0, sensor=LAMP_BUTTON)
    c.touch("2026-10-27T03:00:00.000Z")

    def busy(start, counts, index, p_minus_a, s_minus_c):
        # 4 in, 4 out (occupancy back to 0); waits 120 and 180: mean 150,
        # p50 rank 1 = 120, p90 rank 2 = 180, max 180, both within 180 s:
        # 100 %; 5 responses of 4 in: 125 %; staff happy: 66.7.
        q = waits("150.0", "120.0", "180.0", "180.0", "100.0")
        c.metrics(start, (4, 4, 0),
                  queue={"joined": 2, "served": 2, "length_max": 2, **q},
                  feedback={"responses": 5, "counts": counts,
                            "index": D(index),
                            "response_rate_pct": D("125.0")},
                  staff={"responses": 1, "index": D("66.7")},
                  gap={"perceived": D(index), "actual": D("100.0"),
                       "perceived_minus_actual": D(p_minus_a),
                       "staff_minus_customer": D(s_minus_c),
                       "quadrant": "perception_lag"},
                  sensors={"entrance": {"in": 4, "out": 4},
                           "till-queue": {"joined": 2, "served": 2,
                                          "length_max": 2, "waits": 2, **q},
                           "smiley-exit": {"responses": 5, "counts": counts,
                                           "index": D(index)},
                           "staff": {"responses": 1,
                                     "counts": {"happy": 1},
                                     "index": D("66.7")}})

    def day(d, start, end, counts, index, p_minus_a, s_minus_c, tr,
            alerts=None):
        q = waits("150.0", "120.0", "180.0", "180.0", "100.0", n=2)
        c.daily(d, start, end, footfall=(4, 4, 4),
                queue={"joined": 2, "served": 2, "length_max": 2, **q},
                feedback={"responses": 5, "counts": counts,
                          "index": D(index), "response_rate_pct": D("125.0")},
                staff={"responses": 1, "index": D("66.7")},
                gap={"perceived": D(index), "actual": D("100.0"),
                     "perceived_minus_actual": D(p_minus_a),
                     "staff_minus_customer": D(s_minus_c),
                     "quadrant": "perception_lag"},
                windows={"perception_lag": 1}, alerts=alerts, trend=tr)

    def hours(first, n):
        for k in range(n):
            c.metrics(iso(ms(first) + k * 3600000, False))

    # Per day: (date, day start, day end, hours before 10:00Z, counts,
    # perceived, perceived - actual, staff - customer, the trend's
    # 7/28-day period). Actual is 100.0 every day: change 0.0, flat.
    days = [
        # 04:00 CEST (02:00Z) to 04:00 CET on the 25th (03:00Z): 25 h, 25
        # windows. Perceived 40.0, actual 100.0: -60.0; staff 66.67 - 40 =
        # 26.7. One day: no change, no direction.
        ("2026-10-24", "2026-10-24T02:00:00Z", "2026-10-25T03:00:00Z", 8,
         {"very_unhappy": 1, "unhappy": 2, "happy": 2}, "40.0", "-60.0",
         "26.7", period(1, "40.0", None, None, "100.0", None, None, 1)),
        # 03:00Z to 03:00Z, 24 windows. Perceived 60.0: -40.0; staff 66.67
        # - 60 = 6.7. Two days: mean 50.0; newer half (60) minus older half
        # (40) = 20.0 >= 5: up.
        ("2026-10-25", "2026-10-25T03:00:00Z", "2026-10-26T03:00:00Z", 7,
         {"unhappy": 2, "happy": 2, "very_happy": 1}, "60.0", "-40.0", "6.7",
         period(2, "50.0", "20.0", "up", "100.0", "0.0", "flat", 2)),
        # Three days: mean 160/3 = 53.3; halves of one day: 60 - 40 = 20.0.
        # The third perception-lag day in a row: the finding.
        ("2026-10-26", "2026-10-26T03:00:00Z", "2026-10-27T03:00:00Z", 7,
         {"unhappy": 1, "happy": 4}, "60.0", "-40.0", "6.7",
         period(3, "53.3", "20.0", "up", "100.0", "0.0", "flat", 3)),
    ]
    seen = []
    for date, start, end, before, counts, perc, p_a, s_c, per in days:
        hours(start, before)
        busy(date + "T10:00:00Z", counts, perc, p_a, s_c)
        alerts = None
        if date == "2026-10-25":
            # The blocked beam: 2 alerts in the 20:00 window, which counts
            # the fault (over by its end); the day's rollup counts both.
            hours(date + "T11:00:00Z", 9)
            c.alert(date + "T20:01:00.000Z", "sensor_fault", "entrance",
                    {"line": "GPIO17", "role": "A",
                     "active_since": date + "T20:00:00.000Z",
                     "limit_s": D("60.0")})
            c.alert(date + "T20:02:00.000Z", "sensor_recovered", "entrance",
                    {"line": "GPIO17", "role": "A",
                     "active_since": date + "T20:00:00.000Z",
                     "active_s": D("120.0")})
            # The lamp (end = ack) stays on after the recovery; the press
            # 4 minutes after the fault acknowledges it: 240.0 s. The
            # alert is acknowledged once, at the first output (in
            # configuration order) whose ack input was pressed.
            c.ack(date + "T20:05:00.000Z", date + "T20:01:00.000Z",
                  "sensor_fault", "entrance", "lamp", "lamp-button",
                  "240.0")
            c.metrics(date + "T20:00:00Z", sensors={"entrance": {"faults": 1}})
            hours(date + "T21:00:00Z", 6)
            alerts = {"raised": 2, "sensor_fault": 1, "sensor_recovered": 1,
                      "acknowledged": 1, "ack_p50_s": D("240.0"),
                      "ack_max_s": D("240.0")}
        else:
            hours(date + "T11:00:00Z", 16)
        seen.append((date, perc, "100.0", "perception_lag"))
        n = len(seen)
        day(date, start, end, counts, perc, p_a, s_c,
            trend(list(seen), per, streak=("perception_lag", n, seen[0][0]),
                  finding="perception_lag" if n >= 3 else None),
            alerts=alerts)
    # The replay ends at 03:00Z: the window it opened is closed as is.
    hours("2026-10-27T03:00:00Z", 1)
    return c


CASES = [quiet_hour, rush, perception_lag, goodwill, misuse_mashing,
         turn_back, day_boundary, dst_spring, dst_autumn,
         faults_and_walkout, three_days]

if __name__ == "__main__":
    for make in CASES:
        make().write()
