#!/usr/bin/env bash
# Issue 9 §5: every command README.md and docs/*.md show runs as written
# (tests/integration/doctest.py extracts the shell blocks); blocks that
# need hardware, root or a package say so in a doctest mark with a reason.
. "$(dirname "$0")/lib.sh"
python3 "$(dirname "$0")/doctest.py" "$GS_SOURCE_DIR" "$GAPSENSE" "$GS_TMP/doc"
