#!/usr/bin/python3
"""What a shop would run instead of gapsense: the baseline of
bench/bench_replay.sh (issue 12's "Python script, paho-mqtt + sqlite3,
batched commits").

    bench/baseline/shop.py -c CONFIG [--db PATH] [--speed X] SCENARIO

It does the gateway's job on a recorded scenario (docs/scenario.md: one
edge a line, time,chip,line,value) the way a competent developer would
write it in an afternoon: the wiring comes from the same config file
(configparser), every edge becomes an event by the simplest rule that
works, every event is inserted into SQLite (WAL, synchronous=NORMAL,
executemany and one commit per window or per BATCH events; paced, also
every COMMIT_S seconds as gapsense commits), each window's
counts are published as one JSON message with QoS 1 through paho-mqtt's
network thread, and it waits for every PUBACK before it stops the clock.
Nothing is tuned beyond that (no caches, no threads of its own): it is the
script gapsense has to beat, not a strawman and not a race entry.

With --speed X it is paced like `gapsense replay --speed X` (the live
baseline of bench/bench_live_paced.sh): each edge is taken when it is due,
X times faster than the scenario's own time from its first edge, sleeping
until then (time.sleep), as a script reading sensors would wait for them.

It prints one line for the benchmark, on stderr:
    shop.py: E edges, N events, W windows in S s (first edge to last PUBACK)

Its decoder is simpler than gapsense's (sensors/decode.c), so its event
count differs slightly on the same day:
  - a door crossing counts when both beams of a pair have been broken
    between two all-clears, in by the beam broken first; gapsense also
    requires the far beam to be the last one broken, so someone who steps
    into both beams and turns back counts here and not there;
  - a beam break shorter than min_break (30 ms) is not dropped as noise
    (a flicker of one door beam counts nothing in either);
  - buttons are debounced by ignoring a change within `debounce` of the
    line's last accepted change (gapsense also settles a bounce that ends
    on the other level);
  - there is no fault detection (a beam blocked for minutes).
On the recorded 100k-customer day (seed 42) that is 618 more ins (0.6 %),
14 more outs and 5 fewer presses, the same joins and serves: 347,647
events against gapsense's 347,020 (+0.18 %). bench_replay.sh prints both.
"""
import argparse
import collections
import configparser
import datetime
import json
import os
import re
import sqlite3
import sys
import tempfile
import threading
import time
from urllib.parse import urlsplit

# Debian's python3-paho-mqtt (deploy/install-deps.sh test), hence the
# #! line: a python3 earlier in PATH (pyenv, a venv) may not see it.
import paho.mqtt.client as mqtt

BATCH = 1000  # events per commit at most
# Paced (live), a commit at least this often, as gapsense's commit_interval:
# a live script holding 1,000 events for minutes would lose them all in a
# crash, and its bytes written per event would not compare.
COMMIT_S = 0.5
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
MS = datetime.timedelta(milliseconds=1)

# A queue sensor's lines: the entry beam, then the till's.
QUEUE_KINDS = ("join", "serve")


def duration_ms(text):
    """'20ms', '3m', '15m', '2s', '1h' -> milliseconds."""
    m = re.fullmatch(r"\s*(\d+)\s*(ms|s|m|h)\s*", text)
    if not m:
        raise ValueError(f"bad duration {text!r}")
    return int(m[1]) * {"ms": 1, "s": 1000, "m": 60000, "h": 3600000}[m[2]]


class Line:
    """One GPIO line of a sensor, and what the decoder knows of it."""

    def __init__(self, sensor, index, active_low, debounce_ms):
        self.sensor = sensor
        self.index = index
        self.active_low = active_low
        self.debounce_ms = debounce_ms
        self.active = False
        self.changed_ms = None  # last accepted change, for debounce


class Sensor:
    """One sensor of the config, and its decoder's state."""

    def __init__(self, name, kind, n_lines):
        self.name = name
        self.kind = kind  # beam_pair, queue, smiley, staff
        self.broken = [False] * n_lines
        self.first = None  # beam_pair: the beam broken first
        self.both = False  # beam_pair: both beams broken in this sequence


def load_config(path):
    """The gapsense config's sensors, broker, window and names."""
    cp = configparser.ConfigParser(interpolation=None)
    if not cp.read(path):
        sys.exit(f"shop.py: cannot read {path}")
    lines = {}
    for section in cp.sections():
        m = re.fullmatch(r'sensor\s+"(.+)"', section)
        if not m:
            continue
        s = cp[section]
        sensor = Sensor(m[1], s["type"], len(s["lines"].split(",")))
        active_low = s.getboolean("active_low", fallback=False)
        debounce = duration_ms(s.get("debounce", "0ms"))
        for i, name in enumerate(s["lines"].split(",")):
            lines[(s["chip"], name.strip())] = Line(sensor, i, active_low,
                                                    debounce)
    broker = urlsplit(cp["mqtt"]["broker"])
    gw = cp["gateway"]
    return {"lines": lines, "host": broker.hostname,
            "port": broker.port or 1883,
            "window_ms": duration_ms(gw.get("window", "15m")),
            "site": gw["site"], "gateway": gw["id"]}


def read_edges(path):
    """Yields (t_ms, chip, line, value) from a scenario file."""
    with open(path, newline="") as f:
        header = None
        for raw in f:
            if not raw.strip() or raw.startswith("#"):
                continue
            fields = [x.strip() for x in raw.split(",")]
            if header is None:
                header = fields
                if header != ["time", "chip", "line", "value"]:
                    sys.exit(f"shop.py: {path}: no header")
                continue
            t = datetime.datetime.fromisoformat(fields[0])
            yield (t - EPOCH) // MS, fields[1], fields[2], fields[3] == "1"


def decode(line, level, t_ms):
    """An edge on a line -> (kind, value) or None."""
    active = level != line.active_low
    if active == line.active:
        return None  # a repeated level: no change
    if (line.debounce_ms and line.changed_ms is not None
            and t_ms - line.changed_ms < line.debounce_ms):
        return None  # contact bounce
    line.active, line.changed_ms = active, t_ms
    s = line.sensor
    if s.kind == "beam_pair":
        was_clear = not any(s.broken)
        s.broken[line.index] = active
        if active and was_clear:
            s.first, s.both = line.index, False
        elif active:
            s.both = True
        elif not any(s.broken):
            if s.both:
                return ("in" if s.first == 0 else "out"), 0
        return None
    if not active:
        return None
    if s.kind == "queue":
        return QUEUE_KINDS[line.index], 0
    return "press", line.index  # smiley or staff: the button


class Window:
    """One window's counts, as published."""

    def __init__(self, start_ms, length_ms):
        self.start_ms = start_ms
        self.end_ms = start_ms + length_ms
        self.counts = collections.Counter()
        # Presses per button, most unhappy first (terminals have 3 to 5).
        self.ratings = {"customer": [0] * 5, "staff": [0] * 5}
        self.wait_sum_ms = 0
        self.waits = 0

    def add(self, sensor, kind, value):
        if kind == "press":
            who = "staff" if sensor.kind == "staff" else "customer"
            self.ratings[who][value] += 1
        else:
            self.counts[kind] += 1

    def payload(self, site, gateway):
        def iso(ms):
            return (EPOCH + ms * MS).isoformat(timespec="seconds")

        mean = self.wait_sum_ms / self.waits / 1000 if self.waits else None
        return json.dumps({
            "site": site, "gateway": gateway,
            "window_start": iso(self.start_ms),
            "window_end": iso(self.end_ms),
            "footfall": {"in": self.counts["in"], "out": self.counts["out"]},
            "queue": {"joined": self.counts["join"],
                      "served": self.counts["serve"],
                      "wait_mean_s": mean},
            "ratings": self.ratings,
        })


def open_db(path):
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript("""
        CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY,
            t_ms INTEGER NOT NULL, sensor TEXT NOT NULL,
            kind TEXT NOT NULL, value INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS windows(start_ms INTEGER PRIMARY KEY,
            payload TEXT NOT NULL);
    """)
    return db


def connect(host, port, client_id):
    """A paho client with its network thread running, once connected."""
    if hasattr(mqtt, "CallbackAPIVersion"):  # paho-mqtt 2.x
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                             client_id=client_id)
    else:  # 1.x (Debian 12)
        client = mqtt.Client(client_id=client_id)
    connected = threading.Event()

    # 1.x passes (flags, rc), 2.x (flags, reason_code, properties); both
    # compare equal to 0 on success.
    def on_connect(client, userdata, flags, rc, properties=None):
        if rc == 0:
            connected.set()
        else:
            print(f"shop.py: broker refused: {rc}", file=sys.stderr)

    client.on_connect = on_connect
    client.connect(host, port)
    client.loop_start()
    if not connected.wait(10):
        sys.exit(f"shop.py: no connection to {host}:{port}")
    return client


def run(cfg, scenario, db, speed=None):
    """Replays the scenario (paced at speed, if given); returns (edges,
    events, windows, seconds)."""
    client = connect(cfg["host"], cfg["port"], f"shop-{os.getpid()}")
    topic = f"shop/{cfg['site']}/{cfg['gateway']}/metrics"
    length = cfg["window_ms"]
    queues = collections.defaultdict(collections.deque)  # join times
    rows, sent = [], []
    window = None
    edges = events = 0
    t0 = None
    committed = time.monotonic()

    def flush():
        db.executemany("INSERT INTO events(t_ms, sensor, kind, value)"
                       " VALUES(?, ?, ?, ?)", rows)
        rows.clear()

    def close(w):
        payload = w.payload(cfg["site"], cfg["gateway"])
        flush()
        db.execute("INSERT INTO windows VALUES(?, ?)", (w.start_ms, payload))
        db.commit()
        sent.append(client.publish(topic, payload, qos=1))

    for t_ms, chip, name, level in read_edges(scenario):
        if t0 is None:
            t0, first_ms = time.monotonic(), t_ms
        if speed:
            wait = t0 + (t_ms - first_ms) / 1000 / speed - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        edges += 1
        line = cfg["lines"].get((chip, name))
        if line is None:
            sys.exit(f"shop.py: {scenario}: unknown line {chip} {name}")
        # Windows close by the edges' time, empty ones too.
        if window is None:
            window = Window(t_ms - t_ms % length, length)
        while t_ms >= window.end_ms:
            close(window)
            window = Window(window.end_ms, length)
        ev = decode(line, level, t_ms)
        if ev is None:
            continue
        kind, value = ev
        events += 1
        window.add(line.sensor, kind, value)
        if kind == "join":
            queues[line.sensor.name].append(t_ms)
        elif kind == "serve" and queues[line.sensor.name]:
            window.wait_sum_ms += t_ms - queues[line.sensor.name].popleft()
            window.waits += 1
        rows.append((t_ms, line.sensor.name, kind, value))
        if len(rows) >= BATCH or (
                speed and time.monotonic() - committed >= COMMIT_S):
            flush()
            db.commit()
            committed = time.monotonic()
    if window is not None:
        close(window)
    for info in sent:
        info.wait_for_publish()
    secs = time.monotonic() - t0 if t0 is not None else 0.0
    client.disconnect()
    client.loop_stop()
    return edges, events, len(sent), secs


def speed_arg(text):
    """--speed: a finite number > 0."""
    try:
        v = float(text)
    except ValueError:
        v = 0.0
    if not 0 < v < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number > 0, not "
                                         f"{text!r}")
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-c", "--config", required=True)
    ap.add_argument("--db", help="database (default: a temporary one)")
    ap.add_argument("--speed", type=speed_arg,
                    help="paced: X times the scenario's own time (X > 0)")
    ap.add_argument("scenario")
    a = ap.parse_args()
    cfg = load_config(a.config)
    with tempfile.TemporaryDirectory(prefix="shop-") as tmp:
        db = open_db(a.db or os.path.join(tmp, "shop.db"))
        edges, events, windows, secs = run(cfg, a.scenario, db, a.speed)
        db.close()
    # On stderr, as gapsense logs its own (bench/measure.py drops stdout).
    print(f"shop.py: {edges} edges, {events} events, {windows} windows in "
          f"{secs:.3f} s (first edge to last PUBACK)", file=sys.stderr)


if __name__ == "__main__":
    main()
