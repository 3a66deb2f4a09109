#!/usr/bin/env python3
"""Validates real published messages against docs/asyncapi.yaml.

    mqtt_schema.py ASYNCAPI RECEIVED BASE_TOPIC

RECEIVED holds "topic payload" lines for BASE_TOPIC/#. Every message on the
metrics, alerts, status and cmd/reply channels must validate against its
channel's schema, and each of these must have been seen at least once:
metrics, an online status, both kinds of offline status (shutdown and the
will), a successful and a failed reply. The cmd schema is checked against
commands the gateway accepts and ones it refuses.

    mqtt_schema.py ASYNCAPI --print FILE...

validates every metrics, alerts, acks and daily message in `gapsense replay
--print` output files (test_golden.sh: the golden cases' daily rollups).
"""
import json
import sys
import warnings

import jsonschema
import yaml


def load_validators(spec_path):
    spec = yaml.safe_load(open(spec_path))
    schemas = spec["components"]["schemas"]
    # RefResolver is what Debian 12's jsonschema (4.10) offers; newer
    # releases deprecate it in favour of "referencing".
    warnings.simplefilter("ignore", DeprecationWarning)
    resolver = jsonschema.RefResolver.from_schema(spec)

    def validator(name):
        schema = schemas[name]
        jsonschema.Draft7Validator.check_schema(schema)
        return jsonschema.Draft7Validator(schema, resolver=resolver)

    return validator


def check_printed(validator, paths):
    """Replay --print output: {"topic": ..., "payload": {...}} lines."""
    by_kind = {"metrics": validator("metrics"), "alerts": validator("alert"),
               "daily": validator("daily"), "acks": validator("ack")}
    errors, seen = [], {}
    for path in paths:
        for n, line in enumerate(open(path), 1):
            msg = json.loads(line)
            kind = msg["topic"].rsplit("/", 1)[-1]
            if kind not in by_kind:
                continue
            seen[kind] = seen.get(kind, 0) + 1
            for e in by_kind[kind].iter_errors(msg["payload"]):
                errors.append(f"{path}:{n}: {kind}: {e.message} at "
                              f"{list(e.absolute_path)}")
    print("validated:", ", ".join(f"{k}: {v}" for k, v in sorted(seen.items())))
    for e in errors[:20]:
        print("FAIL:", e, file=sys.stderr)
    return 1 if errors or not seen else 0


def main():
    if len(sys.argv) > 2 and sys.argv[2] == "--print":
        sys.exit(check_printed(load_validators(sys.argv[1]), sys.argv[3:]))
    spec_path, received, base = sys.argv[1:4]
    validator = load_validators(spec_path)
    by_suffix = {"metrics": validator("metrics"), "alerts": validator("alert"),
                 "daily": validator("daily"), "acks": validator("ack"),
                 "status": validator("status"), "cmd/reply": validator("reply")}
    seen = {}
    errors = []
    for line in open(received, errors="replace"):
        topic, _, payload = line.rstrip("\n").partition(" ")
        suffix = topic[len(base) + 1:] if topic.startswith(base + "/") else None
        if suffix not in by_suffix:
            continue
        msg = json.loads(payload)
        for e in by_suffix[suffix].iter_errors(msg):
            errors.append(f"{suffix}: {e.message} at {list(e.absolute_path)}: {payload[:200]}")
        key = suffix
        if suffix == "status":
            key = f"status {msg.get('state')} {msg.get('reason', '')}".strip()
            for loss in msg.get("losses", []):
                seen[f"status losses {loss.get('kind')}"] = 1
        elif suffix == "cmd/reply":
            key = f"reply ok={msg.get('ok')}"
        seen[key] = seen.get(key, 0) + 1

    for need in ("metrics", "status online", "status offline shutdown",
                 "status offline connection lost", "reply ok=True",
                 "reply ok=False", "status losses seqs"):
        if need not in seen:
            errors.append(f"no {need!r} message was published")

    cmd = validator("cmd")
    good = [{"id": "1", "cmd": "ping"}, {"id": "2", "cmd": "status"},
            {"id": "3", "cmd": "resend", "from": "2026-11-23T08:00:00Z",
             "to": "2026-11-23T09:00:00Z"}]
    bad = [{"cmd": "ping"}, {"id": 5, "cmd": "ping"}, {"id": "4", "cmd": "shell"},
           {"id": "5", "cmd": "resend", "from": "2026-11-23T08:00:00Z"},
           {"id": "6", "cmd": "ping", "x": 1}, {"id": "", "cmd": "ping"}]
    for c in good:
        errors += [f"cmd schema refuses valid {c}: {e.message}" for e in cmd.iter_errors(c)]
    for c in bad:
        if cmd.is_valid(c):
            errors.append(f"cmd schema accepts invalid {c}")

    print("validated:", ", ".join(f"{k}: {v}" for k, v in sorted(seen.items())))
    if errors:
        for e in errors[:20]:
            print("FAIL:", e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
