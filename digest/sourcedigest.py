"""A digest of some of digest's own modules, so a cache written by other code is never reused."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

PACKAGE = Path(__file__).parent


@functools.cache
def source_digest(names: tuple[str, ...]) -> str:
    """The digest of these files of the package (paths relative to it), names included."""
    return files_digest(PACKAGE, names)


def files_digest(folder: Path, names: tuple[str, ...]) -> str:
    """``source_digest`` of a copy of the package in ``folder``, read now."""
    digest = hashlib.blake2b(digest_size=16)
    for name in names:
        digest.update(name.encode("utf-8") + b"\0" + (folder / name).read_bytes() + b"\0")
    return digest.hexdigest()
