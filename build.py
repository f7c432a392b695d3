#!/usr/bin/env python3
"""digest: `python build.py` builds the site; `python build.py --help` lists the commands."""

from digest.cli import run

if __name__ == "__main__":
    run()
