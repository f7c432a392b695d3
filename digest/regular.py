"""Reading a file that must be a regular file, safely: apart from the readers that use it, so that
loading the config (all a build that finds nothing changed does) needs no Markdown or YAML parser."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def read_regular(path: Path, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of a regular file (one more than allowed tells it is too big).

    Opened without blocking and refused unless it is a regular file: reading a named pipe with
    no writer would hang the build, and a device could be endless. Raises OSError.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise OSError(0, "not a regular file (a named pipe, socket or device)", str(path))
        return file.read(limit + 1)
