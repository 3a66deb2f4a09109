#!/usr/bin/env python3
"""Sends commands to a running gateway one at a time and checks each reply.

    mqtt_cmds.py PORT BASE_TOPIC SUB_FILE DB BURST_FILE

BASE_TOPIC is {prefix}/{site}/{gateway}; SUB_FILE the "topic payload" lines
a subscriber to BASE_TOPIC/# writes. Every malformed input of issue 5 must
get an error reply (and nothing else); valid ones must succeed, once. A
retained command is never run. In a burst of 300 pings every command that
ran (its id is in the database) got its "ok" reply, the others a "busy"
refusal or nothing; BURST_FILE gets "ok refused unanswered" for the shell,
which checks the unanswered against the gateway's log.
"""
import json
import sqlite3
import subprocess
import sys
import time

PORT, BASE, SUB, DB, BURST = sys.argv[1:6]
failures = []


def lines(suffix):
    out = []
    with open(SUB, encoding="utf-8", errors="replace") as f:
        for line in f:
            topic, _, payload = line.rstrip("\n").partition(" ")
            if topic == f"{BASE}/{suffix}":
                out.append(payload)
    return out


def raw_replies():
    """The reply payloads exactly as received, bytes."""
    out = []
    with open(SUB, "rb") as f:
        for line in f:
            topic, _, payload = line.rstrip(b"\n").partition(b" ")
            if topic == f"{BASE}/cmd/reply".encode():
                out.append(payload)
    return out


def send(payload, empty=False):
    """payload: str (sent as UTF-8) or bytes (sent as they are)."""
    cmd = ["mosquitto_pub", "-h", "127.0.0.1", "-p", PORT, "-q", "1",
           "-t", f"{BASE}/cmd"]
    if empty:
        cmd.append("-n")
    else:
        cmd += ["-s"]
    if isinstance(payload, str):
        payload = payload.encode()
    before = len(lines("cmd/reply"))
    subprocess.run(cmd, input=None if empty else payload, check=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        replies = lines("cmd/reply")
        if len(replies) > before:
            time.sleep(0.2)  # a second reply would be a bug: catch it
            replies = lines("cmd/reply")
            if len(replies) != before + 1:
                failures.append(f"{payload[:60]!r}: {len(replies) - before} replies")
            return json.loads(replies[before])
        time.sleep(0.05)
    failures.append(f"{payload[:60]!r}: no reply")
    return None


def expect_error(name, payload, fragment, rid=None, empty=False):
    r = send(payload, empty)
    if r is None:
        return
    ok = (r.get("ok") is False and fragment in r.get("error", "")
          and r.get("id") == rid and "result" not in r)
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {r}")
    if not ok:
        failures.append(f"{name}: {r}")


def expect_ok(name, payload, rid):
    r = send(payload)
    ok = r is not None and r.get("ok") is True and r.get("id") == rid
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {r}")
    if not ok:
        failures.append(f"{name}: {r}")
    return r


def retained_is_ignored():
    """The shell retained "kept-1" before the gateway subscribed: the
    broker delivered it, flagged retained, at the subscription, as it would
    at every reconnect. It never runs."""
    got = [r for r in lines("cmd/reply") if '"kept-1"' in r]
    # Clear it, so that nothing else ever gets it.
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", PORT, "-q", "1",
                    "-t", f"{BASE}/cmd", "-r", "-n"], check=True)
    ok = not got
    print(f"{'ok  ' if ok else 'FAIL'} retained command ignored: {got}")
    if not ok:
        failures.append(f"a retained command was answered: {got}")


def executed_ids():
    con = sqlite3.connect(DB)
    row = con.execute("SELECT value FROM meta WHERE key = 'sync.cmd_ids'").fetchone()
    con.close()
    if not row:
        return set()
    v = json.loads(row[0])
    ids = v["ids"] if isinstance(v, dict) else v
    return {e[0] for e in ids}


def burst(n=300):
    """n valid pings at once: none runs without its reply."""
    before = len(lines("cmd/reply"))
    body = "".join(json.dumps({"id": f"burst-{i}", "cmd": "ping"}) + "\n"
                   for i in range(n))
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", PORT, "-q", "1",
                    "-t", f"{BASE}/cmd", "-l"], input=body.encode(), check=True)
    # Replies settle: nothing new for a second.
    last, deadline = -1, time.monotonic() + 30
    while time.monotonic() < deadline:
        cur = len(lines("cmd/reply"))
        if cur == last:
            break
        last = cur
        time.sleep(1)
    replies = {}
    for p in lines("cmd/reply")[before:]:
        r = json.loads(p)
        if isinstance(r.get("id"), str) and r["id"].startswith("burst-"):
            if r["id"] in replies:
                failures.append(f"burst: two replies for {r['id']}")
            replies[r["id"]] = r
    ok = {i for i, r in replies.items() if r.get("ok") is True}
    refused = {i for i, r in replies.items()
               if r.get("ok") is False and r.get("error", "").startswith("busy")}
    other = set(replies) - ok - refused
    ran = {i for i in executed_ids() if i.startswith("burst-")}
    unanswered = n - len(replies)
    print(f"burst of {n} pings: {len(ok)} ran and were answered, {len(refused)} "
          f"refused as busy, {unanswered} unanswered; {len(ran)} ids recorded as run")
    if other:
        failures.append(f"burst: unexpected replies {[replies[i] for i in sorted(other)][:3]}")
    if ran != ok:
        failures.append(f"burst: ran without an ok reply: {sorted(ran - ok)[:5]}, "
                        f"ok but not recorded: {sorted(ok - ran)[:5]}")
    if not ok:
        failures.append("burst: no ping ran at all")
    with open(BURST, "w") as f:
        f.write(f"{len(ok)} {len(refused)} {unanswered}\n")


def main():
    expect_error("malformed JSON", '{"id": "a", "cmd": ', "malformed JSON")
    expect_error("not JSON at all", "reboot now", "malformed JSON")
    expect_error("trailing data", '{"id":"t","cmd":"ping"} rm -rf /', "trailing")
    expect_error("empty payload", "", "empty payload", empty=True)
    expect_error("not an object", "[1, 2, 3]", "not a JSON object")
    expect_error("oversized", json.dumps({"id": "big", "cmd": "ping",
                                          "pad": "x" * 5000}), "exceeds")
    # cJSON takes any byte in a string: the gateway must check UTF-8
    # itself and never echo the bad bytes (the reply's id is null).
    for name, bad in [("invalid UTF-8 id", b'{"id": "u-\xff\xfe", "cmd": "ping"}'),
                      ("overlong UTF-8", b'{"id": "u-\xc0\xaf", "cmd": "ping"}'),
                      ("UTF-16 surrogate in UTF-8", b'{"id": "u-\xed\xa0\x80", "cmd": "ping"}'),
                      ("UTF-8 cut short", b'{"id": "u-1", "cmd": "ping", "x": "\xe2\x82"}')]:
        expect_error(name, bad, "not valid UTF-8")
        raw = raw_replies()[-1]
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            failures.append(f"{name}: the reply is not UTF-8: {raw!r}")
    expect_ok("non-ASCII id", '{"id": "café-1", "cmd": "ping"}', "café-1")
    expect_error("missing id", '{"cmd": "ping"}', 'missing "id"')
    expect_error("id of wrong type", '{"id": 5, "cmd": "ping"}', '"id" must be')
    expect_error("id too long", json.dumps({"id": "x" * 65, "cmd": "ping"}),
                 '"id" must be')
    expect_error("missing cmd", '{"id": "c1"}', 'missing "cmd"', "c1")
    expect_error("cmd of wrong type", '{"id": "c2", "cmd": 7}',
                 '"cmd" must be a string', "c2")
    expect_error("unknown command", '{"id": "c3", "cmd": "shell"}',
                 "unknown command", "c3")
    expect_error("unknown field", '{"id": "c4", "cmd": "ping", "x": 1}',
                 "unknown field", "c4")
    expect_error("resend without to",
                 '{"id": "r1", "cmd": "resend", "from": "2026-11-23T08:00:00Z"}',
                 'missing "to"', "r1")
    expect_error("resend with a number",
                 '{"id": "r2", "cmd": "resend", "from": 1, "to": "2026-11-23T09:00:00Z"}',
                 "ISO-8601", "r2")
    expect_error("resend with a bad time",
                 '{"id": "r3", "cmd": "resend", "from": "yesterday", "to": "2026-11-23T09:00:00Z"}',
                 "ISO-8601", "r3")
    expect_error("resend from after to",
                 '{"id": "r4", "cmd": "resend", "from": "2026-11-23T10:00:00Z", "to": "2026-11-23T09:00:00Z"}',
                 "before", "r4")
    expect_error("resend too long a span",
                 '{"id": "r5", "cmd": "resend", "from": "2026-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}',
                 "31 days", "r5")

    # cJSON ends the string at the NUL: "a\u0000b" must not pass as "a".
    expect_error("NUL inside the id", '{"id": "a\\u0000b", "cmd": "ping"}',
                 "printable")
    expect_error("NUL inside the command", '{"id": "n1", "cmd": "ping\\u0000x"}',
                 "NUL")
    expect_ok("escaped backslash then u0000 is no NUL",
              '{"id": "b\\\\u0000", "cmd": "ping"}', "b\\u0000")

    r = expect_ok("ping", '{"id": "p1", "cmd": "ping"}', "p1")
    if r and not isinstance(r.get("result", {}).get("seq"), int):
        failures.append(f"ping result: {r}")
    expect_error("same id again", '{"id": "p1", "cmd": "ping"}', "duplicate", "p1")
    n_status = len(lines("status"))
    expect_ok("status", '{"id": "s1", "cmd": "status"}', "s1")
    time.sleep(0.5)
    if len(lines("status")) <= n_status:
        failures.append("status command did not republish the status")

    con = sqlite3.connect(DB)
    rows = con.execute("SELECT start_ms, seq FROM windows ORDER BY start_ms").fetchall()
    con.close()
    if len(rows) < 3:
        failures.append(f"only {len(rows)} windows stored; cannot test resend")
    else:
        frm, to = rows[0][0], rows[2][0]
        iso = lambda ms: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))
        want = sorted(seq for start, seq in rows if frm <= start < to)
        before = len(lines("metrics"))
        r = expect_ok("resend", json.dumps({"id": "rs1", "cmd": "resend",
                                            "from": iso(frm), "to": iso(to)}), "rs1")
        if r and r.get("result", {}).get("windows") != len(want):
            failures.append(f"resend result {r}, expected {len(want)} windows")
        deadline = time.monotonic() + 10
        got = []
        while time.monotonic() < deadline:
            got = [json.loads(p) for p in lines("metrics")[before:]]
            got = [m for m in got if m.get("historical") is True and m["seq"] in want]
            if len(got) >= len(want):
                break
            time.sleep(0.1)
        if sorted(m["seq"] for m in got) != want:
            failures.append(f"resend republished {[m['seq'] for m in got]}, want {want}")
        else:
            print(f"ok   resend republished seqs {want} with historical: true")
        expect_error("resend, same id", json.dumps({"id": "rs1", "cmd": "resend",
                     "from": iso(frm), "to": iso(to)}), "duplicate", "rs1")
    retained_is_ignored()
    burst()
    if failures:
        for f in failures:
            print("FAIL:", f, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
