"""A digest of some of digest's own modules, so a cache written by other code is never reused."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

PACKAGE = Path(__file__).parent


@functools.cache
def source_digest(names: tuple[str, ...]) -> str:
    """The digest of these files of the package (paths relative to it), names included."""
    digest = hashlib.blake2b(digest_size=16)
    for name in names:
        digest.update(name.encode("utf-8") + b"\0" + (PACKAGE / name).read_bytes() + b"\0")
    return digest.hexdigest()
