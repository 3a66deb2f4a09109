#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""compare.py EXPECTED ACTUAL: compares the metrics, alerts and daily messages of
`gapsense replay --print` output with a golden file, semantically: the
envelope's whitespace does not matter, but message order, key order and
every value does, numbers as written ("50.0" is not "50"). Other topics
(status) are ignored. Prints each difference with its message and path;
exit status 1 if any."""

import json
import sys


class Obj(list):
    """A JSON object: its (key, value) pairs in order (arrays stay lists)."""


def literal(s):
    return ("num", s)


def load(path):
    msgs = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line, object_pairs_hook=Obj,
                                 parse_float=literal, parse_int=literal)
            except ValueError as e:
                sys.exit("%s:%d: not JSON: %s" % (path, n, e))
            top = dict(obj)
            topic = top.get("topic", "")
            if topic.endswith(("/metrics", "/alerts", "/daily")):
                msgs.append((n, topic, top.get("payload")))
    return msgs


def show(v):
    if isinstance(v, tuple):
        return v[1]
    if isinstance(v, Obj):
        return "{" + ",".join("%s:%s" % (k, show(x)) for k, x in v) + "}"
    return json.dumps(v)


def diff(exp, act, path, out):
    if isinstance(exp, Obj) and isinstance(act, Obj):
        ek = [k for k, _ in exp]
        ak = [k for k, _ in act]
        if ek != ak:
            out.append("%s: keys %s, expected %s" % (path or ".", ak, ek))
        ad = dict(act)
        for k, v in exp:
            if k in ad:
                diff(v, ad[k], path + "." + k, out)
        return
    if type(exp) is list and type(act) is list:
        if len(exp) != len(act):
            out.append("%s: %d items, expected %d" % (path, len(act),
                                                      len(exp)))
        for i, (e, a) in enumerate(zip(exp, act)):
            diff(e, a, "%s[%d]" % (path, i), out)
        return
    if exp != act:
        out.append("%s: %s, expected %s" % (path, show(act), show(exp)))


def describe(msg):
    d = dict(msg[2]) if isinstance(msg[2], list) else {}
    what = d.get("window_start") or d.get("time") or d.get("day")
    kind = d.get("type") or ("day" if "day" in d else "window")
    return "%s %s" % (kind, what)


def main():
    exp = load(sys.argv[1])
    act = load(sys.argv[2])
    problems = []
    for i in range(max(len(exp), len(act))):
        if i >= len(act):
            problems.append("missing message %d: %s" % (i + 1,
                                                         describe(exp[i])))
            continue
        if i >= len(exp):
            problems.append("unexpected message %d: %s" % (i + 1,
                                                           describe(act[i])))
            continue
        out = []
        if exp[i][1] != act[i][1]:
            out.append("topic %s, expected %s" % (act[i][1], exp[i][1]))
        diff(exp[i][2], act[i][2], "", out)
        for o in out:
            problems.append("message %d (%s, expected line %d): %s"
                            % (i + 1, describe(exp[i]), exp[i][0], o))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
