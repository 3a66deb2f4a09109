#!/usr/bin/env python3
"""Judges the consoles of tests/vm/powercut.sh.

  powercut_judge.py OUTDIR CUTS GAPSENSE CONF

For each cut K (console.K is the run that was cut, console.K+1 the boot
after it): the database passes integrity_check; the daemon started again;
every message printed before the cut (a commit with synchronous=FULL) is
in the database with its seq, and so is every event before the last
printed window's end; what earlier cycles left is untouched; the events
kept are exactly the first ones the simulation made (the same simulation,
run again on the host at full speed, is the truth); and the span lost
before the cut is within the bound CONF's [storage] commit_interval and
sync_interval imply. Prints one line per cut and
the distribution of what was lost.
"""
import datetime
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

SPEED = 10  # virtual seconds per real second, as powercut-init.sh runs it
GRACE_MS = 1000  # powercut.conf
# The kill's moment is known to a heartbeat (0.1 s) and so is the start of
# the simulated clock, an event reaches the store a little after its time
# (decoding), the sync takes time on the emulated disk, and a loaded host
# makes the guest's timers late: measured up to 0.21 s past
# commit_interval + sync_interval on an idle host, so 1 s of margin.
SLACK_S = 1.0
DURATION_RE = re.compile(r"^(\d+)(ms|s|m)$")


def storage_key(conf, key):
    """A duration of CONF's [storage] section, in seconds (None if unset)."""
    section = None
    with open(conf) as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line
            elif section == "[storage]" and "=" in line:
                k, v = (x.strip() for x in line.split("=", 1))
                if k == key:
                    if v == "0":
                        return 0.0
                    m = DURATION_RE.match(v)
                    if not m:
                        sys.exit("%s: %s = %r: not a duration this judge reads"
                                 % (conf, key, v))
                    return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60}[m.group(2)]
    return None


def bound_s(conf):
    """docs/storage.md, "What a power cut loses": the open group
    (commit_interval) and what was committed since the last sync of the WAL
    (sync_interval; 0 syncs every commit)."""
    commit, sync = storage_key(conf, "commit_interval"), storage_key(conf, "sync_interval")
    if commit is None or sync is None:
        sys.exit("%s must set commit_interval and sync_interval: the bound "
                 "follows from them" % conf)
    return commit + sync + SLACK_S

WIN_RE = re.compile(r'"seq":(\d+),"window_start":"([^"]+)","window_end":"([^"]+)"')


def ms(iso):
    return int(datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


def sections(path):
    """{"check": [lines], "run": [lines]} of one console."""
    out, cur = {}, None
    with open(path, "rb") as f:
        for raw in f.read().decode("utf-8", "replace").splitlines():
            line = raw.rstrip("\r")
            m = re.match(r"=== (check|run) \d+$", line)
            if m:
                cur = out.setdefault(m.group(1), [])
            elif cur is not None:
                cur.append(line)
    return out


def check_state(lines):
    days, wins, integ = {}, {}, []
    for line in lines:
        p = line.split()
        if line.startswith("INTEGRITY "):
            integ.append(line[len("INTEGRITY "):])
        elif len(p) == 4 and p[0] == "DAY":
            days[int(p[1])] = (int(p[2]), int(p[3]))
        elif len(p) == 3 and p[0] == "WIN":
            wins[int(p[1])] = int(p[2])
    return integ, days, wins


def truth(gapsense, conf, start, tmp):
    """The event times the simulation makes from START (sorted)."""
    db = os.path.join(tmp, "truth-%d.db" % start)
    if not os.path.exists(db):
        iso = datetime.datetime.fromtimestamp(
            start / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        subprocess.run([gapsense, "simulate", "-c", conf, "--db", db,
                        "--print", "--speed", "0", "--customers", "20000",
                        "--start", iso, "--duration", "2h"],
                       check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    con = sqlite3.connect(db)
    t = [r[0] for r in con.execute("SELECT t_ms FROM events ORDER BY id")]
    con.close()
    return t


def main():
    outdir, cuts, gapsense, conf = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    bound = bound_s(conf)
    print("the bound: %.2f s before the cut (commit_interval + sync_interval "
          "+ %.1f s)" % (bound, SLACK_S))
    errors, rows = [], []
    tmp = tempfile.mkdtemp()
    prev_days = {}
    for k in range(cuts):
        run = sections(os.path.join(outdir, "console.%d" % k))
        nxt = sections(os.path.join(outdir, "console.%d" % (k + 1)))
        start = ms("2026-11-%02dT17:00:00Z" % (k + 1))
        day = start // 86400000

        def err(msg):
            errors.append("cut %d: %s" % (k, msg))

        for line in run.get("run", []) + nxt.get("check", []):
            if line.startswith("PC-ERROR"):
                err(line)
        integ, days, wins = check_state(nxt.get("check", []))
        if integ != ["ok"]:
            err("integrity_check says %r" % integ)
        if not any("simulating:" in l for l in nxt.get("run", [])):
            err("the daemon did not start after the cut")
        for d, v in prev_days.items():
            if days.get(d) != v:
                err("day %d was %r before, %r after the cut" % (d, v, days.get(d)))
        prev_days = {d: v for d, v in days.items()}

        # The kill's moment in event time, from the heartbeats.
        lines = run.get("run", [])
        hb, anchor, printed = None, None, []
        for line in lines:
            if line.startswith("LAUNCH "):
                anchor = (float(line.split()[1]), start)
            elif "simulating:" in line and hb is not None:
                # The simulated clock starts here, not at the launch:
                # opening (or creating) the database comes first, and
                # under qemu that can take a second.
                anchor = (hb, start)
            elif line.startswith("HB "):
                try:
                    hb = float(line.split()[1])
                except (IndexError, ValueError):
                    pass
            for m in WIN_RE.finditer(line):
                printed.append((int(m.group(1)), ms(m.group(2)), ms(m.group(3))))
                if hb is not None:
                    anchor = (hb, ms(m.group(3)) + GRACE_MS)
        if hb is None or anchor is None:
            err("no heartbeat before the cut")
            continue
        # The last heartbeat is at most 0.1 s before the kill.
        kill_v = anchor[1] + int((hb + 0.1 - anchor[0]) * SPEED * 1000)

        for seq, wstart, _ in printed:
            if wins.get(seq) != wstart:
                err("window seq %d (%d) was printed before the cut and is "
                    "gone after it" % (seq, wstart))
        n_rec, t_rec = days.get(day, (0, start))
        tt = truth(gapsense, conf, start, tmp)
        before = lambda t: sum(1 for x in tt if x < t)
        upto = lambda t: sum(1 for x in tt if x <= t)
        if printed:
            end = printed[-1][2]
            if n_rec < before(end):
                err("%d events before the last printed window's end, %d "
                    "kept" % (before(end), n_rec))
        if n_rec and not (before(t_rec) < n_rec <= upto(t_rec)):
            err("the %d events kept are not the simulation's first ones "
                "(up to %d)" % (n_rec, t_rec))
        lost = max(0, upto(kill_v) - n_rec)
        span_s = max(0.0, (kill_v - t_rec) / 1000.0 / SPEED)
        since_msg_s = (kill_v - (printed[-1][2] + GRACE_MS)) / 1000.0 / SPEED \
            if printed else None
        if span_s > bound:
            err("lost %.2f s of events, more than the bound of %.2f s"
                % (span_s, bound))
        rows.append((k, lost, span_s, len(printed), since_msg_s, n_rec))
        print("cut %2d: %3d windows printed, %4d events kept, %3d lost: the "
              "last %.2f s before the cut (last message %s before)"
              % (k, len(printed), n_rec, lost, span_s,
                 "%.2f s" % since_msg_s if since_msg_s is not None else "never"))
    if rows:
        spans = sorted(r[2] for r in rows)
        losts = sorted(r[1] for r in rows)
        pct = lambda v, p: v[min(len(v) - 1, int(p * len(v)))]
        print("lost per cut: events min %d median %d max %d; seconds before "
              "the cut min %.2f median %.2f max %.2f (%d cuts)"
              % (losts[0], pct(losts, 0.5), losts[-1], spans[0],
                 pct(spans, 0.5), spans[-1], len(rows)))
        print("cuts that lost nothing: %d; lost more than the last 0.5 s: %d"
              % (sum(1 for r in rows if r[1] == 0),
                 sum(1 for r in rows if r[2] > 0.5)))
    for e in errors:
        print("FAIL: " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
