"""Which values each page of ``site/`` was rendered from, kept between builds in ``.cache/pages.json``.

Every build still makes the whole site model and the digest of every page's template values; a
page whose digest is the one recorded for the file now in ``site/`` (same theme, same digest code,
same bytes on disk) is taken from there instead of being rendered again. The write stage then
knows those files are unchanged without reading them twice. Only speed depends on this file.

A page's bytes on disk are known to be the same by the file's size, modification time and inode
as a build recorded them (``make``'s rule, as ``digest.uptodate`` reads its inputs), and otherwise
by reading them: reading every page of a 5,000-article site took ~0.5 s of each rebuild after an
edit. A build records the stamps only of files older than its own start: the pages it wrote, and
a file of site/ changed while it ran (after its bytes were checked, before the new tree linked
it), are read by the next build. A file modified within RACY_NS before the record was saved is
read too (it could have changed again within the same clock tick).
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from digest.jsonfile import load_json, save_json
from digest.models import Stamp
from digest.sourcedigest import source_digest
from digest.theme import Theme
from digest.uptodate import RACY_NS

_RENDERING_CODE = ("render.py", "views.py", "related.py", "models.py")


def _version(theme: Theme) -> str:
    digest = hashlib.blake2b(source_digest(_RENDERING_CODE).encode(), digest_size=12)
    for name, text in sorted(theme.templates.items()):
        digest.update(name.encode("utf-8") + b"\0" + text.encode("utf-8") + b"\0")
    return digest.hexdigest()


def checksum(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class StoredPages(dict[str, tuple[str, bytes]]):
    """A page memo (output path -> (values digest, bytes)) backed by ``site/`` and the digests the
    last build recorded; what this build renders is added as usual. It keeps only each page's
    checksum, not its bytes: those are written to the new site as they come."""

    def __init__(self, output: Path, recorded: dict[str, tuple[str, str]],
                 stamps: dict[str, Stamp] | None = None, trusted_before: int = 0) -> None:
        super().__init__()
        self.output = output
        self.recorded = recorded
        self.stamps = stamps or {}
        """What each recorded file was, where the record says (see above)."""
        self.trusted_before = trusted_before
        """Stamps of files modified since (nanoseconds since the epoch) are not trusted."""
        self.checksums: dict[str, str] = {}
        self._from_site: dict[str, str] = {}

    def __setitem__(self, path: str, value: tuple[str, bytes]) -> None:
        key, data = value
        self.remember(path, key, checksum(data))

    def remember(self, path: str, key: str, sum_of_bytes: str) -> None:
        self.checksums[path] = sum_of_bytes
        super().__setitem__(path, (key, b""))

    def get(self, path: str, default: tuple[str, bytes] | None = None) -> tuple[str, bytes] | None:  # type: ignore[override]
        """The recorded key of the page at ``path``, if site/ still holds the bytes recorded for it;
        the bytes are not kept (empty): they stay in site/, and the writer links them from there."""
        record = self.recorded.get(path)
        if record is None:
            return default
        if not self._as_written(path):
            try:
                data = (self.output / path).read_bytes()
            except OSError:
                return default
            if checksum(data) != record[1]:  # edited or replaced since: render it again
                return default
        self._from_site[path] = record[0]
        return record[0], b""

    def _as_written(self, path: str) -> bool:
        """Whether the file at ``path`` is as a build recorded it, by its trusted stamp."""
        stamp = self.stamps.get(path)
        if stamp is None or stamp[0] >= self.trusted_before:
            return False
        try:
            status = os.stat(self.output / path)
        except OSError:
            return False
        return (status.st_mtime_ns, status.st_size, status.st_ino) == stamp

    def reuse(self, path: str) -> None:
        """Keep the page ``get`` found in site/, as it was recorded."""
        key, sum_of_bytes = self.recorded[path]
        self.remember(path, key, sum_of_bytes)

    def is_reused(self, path: str) -> bool:
        """Whether this build took the page at ``path`` from site/ (its bytes are what is there, so
        the writer need not read them again)."""
        key = self._from_site.get(path)
        return key is not None and path in self and self[path][0] == key

    @property
    def reused(self) -> set[str]:
        return {path for path in self._from_site if self.is_reused(path)}


def cache_path(root: Path) -> Path:
    return root / ".cache" / "pages.json"


def load_pages(root: Path, output: Path, theme: Theme) -> StoredPages:
    if not output.is_dir():  # nothing to take pages from (the records stay on disk until saved over)
        return StoredPages(output, {})
    try:
        data = load_json(cache_path(root))
        if not isinstance(data, dict) or data.get("version") != _version(theme) or data.get("output") != str(output):
            return StoredPages(output, {})
        recorded: dict[str, tuple[str, str]] = {}
        stamps: dict[str, Stamp] = {}
        for path, (key, checksum, *stamp) in data["pages"].items():
            recorded[str(path)] = (str(key), str(checksum))
            if len(stamp) == 3:
                stamps[str(path)] = (int(stamp[0]), int(stamp[1]), int(stamp[2]))
        return StoredPages(output, recorded, stamps, int(data.get("saved_ns", 0)) - RACY_NS)
    except (OSError, ValueError, TypeError, KeyError):
        return StoredPages(output, {})


def save_pages(root: Path, pages: StoredPages, theme: Theme, placed: dict[str, Stamp] | None = None,
               started_ns: int = 0) -> None:
    """Record the digests of the pages now in ``site/`` (after a complete build), with what each
    file is: the writer's stamps of the files it placed in the new tree (``placed``) older than the
    build's start (``started_ns``), or, when it made no new tree (``placed`` None: every file of
    site/ is the one there before), the stamps recorded before."""
    known = pages.stamps if placed is None else {
        path: stamp for path, stamp in placed.items() if stamp[0] < started_ns}
    recorded = {path: [key, pages.checksums[path], *known.get(path, ())] for path, (key, _) in sorted(pages.items())}
    save_json(cache_path(root), {"version": _version(theme), "output": str(pages.output), "saved_ns": time.time_ns(),
                                 "pages": recorded})
