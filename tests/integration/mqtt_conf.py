#!/usr/bin/env python3
"""Writes a gapsense config for the MQTT integration tests: the simulated
store's template with @PORT@ and @DB@ filled in and keys overridden.

    mqtt_conf.py TEMPLATE OUT PORT DB [SECTION.KEY=VALUE ...]

An override replaces the key in its section, or is added to the section
(created at the end when missing).
"""
import sys


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    template, out, port, db = sys.argv[1:5]
    text = open(template).read().replace("@PORT@", port).replace("@DB@", db)
    lines = text.splitlines()
    for arg in sys.argv[5:]:
        name, _, value = arg.partition("=")
        section, _, key = name.partition(".")
        if not key:
            sys.exit(f"mqtt_conf.py: bad override {arg!r}")
        header = f"[{section}]"
        try:
            start = lines.index(header)
        except ValueError:
            lines += ["", header]
            start = len(lines) - 1
        end = start + 1
        while end < len(lines) and not lines[end].startswith("["):
            end += 1
        for i in range(start + 1, end):
            if lines[i].split("=")[0].strip() == key:
                lines[i] = f"{key} = {value}"
                break
        else:
            lines.insert(start + 1, f"{key} = {value}")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
