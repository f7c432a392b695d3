#!/usr/bin/env python3
"""digest: `python build.py` builds the site; `python build.py --help` lists the commands."""

import sys

try:
    from digest.cli import run
except ModuleNotFoundError as missing:  # a Python without the project's packages (not .venv's)
    from digest.errors import missing_package

    if (line := missing_package(missing)) is None:
        raise
    sys.exit(line)

if __name__ == "__main__":
    run()
