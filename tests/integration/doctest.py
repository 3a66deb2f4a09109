#!/usr/bin/env python3
"""Runs the shell blocks of README.md and docs/*.md, so the docs cannot drift
from the program (issue 9 §5).

    doctest.py SOURCE_DIR GAPSENSE WORKDIR

Every fenced block tagged sh, bash or console, or untagged with a line
that starts with `gapsense` or `$ `, is a command block. Each must run, or
say why not in an HTML comment on the line just before it:

    <!-- doctest: skip REASON -->      not run (hardware, root, a package)
    <!-- doctest: usage -->            a synopsis: each `gapsense CMD ...`
                                       line's options are in CMD --help
    <!-- doctest: config SPEC; vars NAME=VALUE ... -->
        SPEC says what /etc/gapsense/gapsense.conf is for this block:
        a file of the source tree, or `example+ini` (the shipped example's
        [gateway], [storage] and [mqtt] with the ini blocks of this page so
        far as its sensors); vars replace placeholders (FILE, out.csv) in
        the commands.

Commands run with bash in WORKDIR (a fresh directory per page), with
`gapsense` the binary under test and `sudo` running its command as is, and
must exit 0. In a console block, the lines after a `$ command` are its
expected standard output, compared line for line; "files checked for user
NAME" is compared without the name (root checks for the packaged user,
which a build machine lacks).
"""
import glob
import os
import re
import shutil
import subprocess
import sys

CMD_RE = re.compile(r"^(\$ |sudo |gapsense |\./deploy/)")


def blocks(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        k = i - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        mark = re.match(r"^<!-- doctest: (.*?) -->$", lines[k].strip()) if k >= 0 else None
        yield i + 1, m.group(1), lines[i + 1:j], mark.group(1) if mark else None
        i = j + 1


def commands(body):
    """(command, expected output lines or None) pairs."""
    out, cur = [], None
    console = any(l.startswith("$ ") for l in body)
    buf = ""
    for line in body:
        if console:
            if line.startswith("$ "):
                cur = [line[2:], []]
                out.append(cur)
            elif cur is not None:
                cur[1].append(line)
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        buf += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            out.append([re.sub(r"\s+#\s.*$", "", buf).strip(), None])
            buf = ""
    return out


def make_config(src, page_lines_upto, spec, dest):
    if spec == "example+ini":
        text = open(os.path.join(src, "deploy/gapsense.conf.example")).read()
        text = text[: text.index("[sensor ")]
        text += "\n" + "\n\n".join(page_lines_upto)
    else:
        text = open(os.path.join(src, spec)).read()
    with open(dest, "w") as f:
        f.write(text + "\n")


def main():
    src, gapsense, work = sys.argv[1:4]
    shim = os.path.join(work, "bin")
    os.makedirs(shim, exist_ok=True)
    os.symlink(os.path.abspath(gapsense), os.path.join(shim, "gapsense"))
    with open(os.path.join(shim, "sudo"), "w") as f:
        f.write('#!/bin/sh\nexec "$@"\n')
    os.chmod(os.path.join(shim, "sudo"), 0o755)
    env = dict(os.environ, PATH=shim + ":" + os.environ["PATH"], TMPDIR=work)
    pages = [os.path.join(src, "README.md")] + sorted(
        glob.glob(os.path.join(src, "docs", "*.md")))
    failures, ran, skipped = [], 0, []
    for page in pages:
        rel = os.path.relpath(page, src)
        pdir = os.path.join(work, re.sub(r"\W", "_", rel))
        os.makedirs(pdir)
        ini_so_far = []
        for line, lang, body, mark in blocks(page):
            where = f"{rel}:{line}"
            if lang == "ini":
                ini_so_far.append("\n".join(body))
                continue
            is_cmd = lang in ("sh", "bash", "console") or (
                lang == "" and any(CMD_RE.match(l) for l in body))
            if not is_cmd:
                continue
            if mark and mark.startswith("skip"):
                reason = mark[4:].strip()
                if not reason:
                    failures.append(f"{where}: skip without a reason")
                skipped.append(f"{where}: {reason}")
                continue
            if mark == "usage":
                for l in body:
                    m = re.match(r"^gapsense ([a-z-]+)(.*?)(\s{2,}.*)?$", l)
                    if not m:
                        continue
                    h = subprocess.run([gapsense, m.group(1), "--help"],
                                       capture_output=True, text=True)
                    if h.returncode != 0:
                        failures.append(f"{where}: gapsense {m.group(1)} --help exits {h.returncode}")
                        continue
                    for opt in re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", m.group(2)):
                        if opt not in h.stdout:
                            failures.append(f"{where}: gapsense {m.group(1)} has no {opt}")
                    ran += 1
                continue
            conf = "deploy/gapsense.conf.example"
            subst = {}
            if mark:
                for part in mark.split(";"):
                    part = part.strip()
                    if part.startswith("config "):
                        conf = part[7:].strip()
                    elif part.startswith("vars "):
                        for kv in part[5:].split():
                            k, _, v = kv.partition("=")
                            subst[k] = v
                    else:
                        failures.append(f"{where}: unknown doctest mark '{part}'")
            etc = os.path.join(pdir, "gapsense.conf")
            make_config(src, ini_so_far, conf, etc)
            for cmd, expected in commands(body):
                run = cmd.replace("/etc/gapsense/gapsense.conf", etc)
                for k, v in subst.items():
                    run = re.sub(rf"(?<![\w/.-]){re.escape(k)}(?![\w-])", v, run)
                run = run.replace("tests/data/", os.path.join(src, "tests/data/"))
                p = subprocess.run(["bash", "-c", run], cwd=pdir, env=env,
                                   capture_output=True, text=True, timeout=300)
                ran += 1
                if p.returncode != 0:
                    failures.append(f"{where}: `{cmd}` exits {p.returncode}: "
                                    f"{p.stderr.strip()[-300:]}")
                    continue
                if expected is None:
                    continue
                got = p.stdout.replace(etc, "/etc/gapsense/gapsense.conf").split("\n")
                got = [l for l in got if l.strip()]
                want = [l for l in expected if l.strip()]
                norm = lambda l: re.sub(r"files checked for user \S+\)",
                                        "files checked for user NAME)", l)
                if [norm(l) for l in got] != [norm(l) for l in want]:
                    failures.append(f"{where}: `{cmd}` printed {got!r}, the doc shows {want!r}")
    for s in skipped:
        print(f"skip {s}")
    for f in failures:
        print(f"FAIL {f}")
    print(f"doctest: {ran} commands run, {len(skipped)} blocks skipped with a reason, "
          f"{len(failures)} failures")
    if failures:
        print("A block that cannot run in a test (hardware, root, systemd, a "
              "package) says why on the line before it: "
              "<!-- doctest: skip REASON -->; see tests/integration/doctest.py.")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
