"""OutputFiles -> ``site/``: every path checked, written beside it, swapped in only when complete.

A build that fails or is killed leaves the previous ``site/`` as it was; leftovers of a killed
build are cleaned up (or the old site restored) by the next one. A build whose output is
byte-identical to what is there touches nothing.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from digest.errors import DigestError
from digest.models import OutputFile

WRITE_THREADS = 4
_TEMP_PREFIX = ".site-build-"
_OLD_PREFIX = ".site-old-"


@dataclass(frozen=True, slots=True)
class WriteReport:
    files: int
    changed: bool
    paths: tuple[str, ...] = ()
    """The files replaced or removed (only ``update_in_place`` lists them)."""


def safe_relative(path: str) -> PurePosixPath:
    """Refuse any output path that could land outside the output folder."""
    pure = PurePosixPath(path)
    if (not path or pure.is_absolute() or "\\" in path or "\x00" in path
            or any(part in ("", ".", "..") for part in path.split("/"))):
        raise DigestError(f"refusing to write unsafe output path {path!r}", hint="this is a bug in digest")
    return pure


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(new: Path, output: Path) -> bool:
    """Swap two folders in one step (Linux renameat2): there is no moment without ``output``,
    so even a kill between the renames cannot leave it missing. False where it is not supported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a libc without it (glibc before 2.28, some musl)
        return False
    done = function(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(output), _RENAME_EXCHANGE)
    if done == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # this file system cannot: rename instead
        return False
    raise OSError(error, os.strerror(error), str(output))


def _recover(output: Path) -> None:
    """Clean up after a build that was killed: restore the old site if the swap was cut short."""
    parent = output.parent
    for leftover in sorted(parent.glob(f"{_OLD_PREFIX}*")):
        if not output.exists() and leftover.is_dir():
            os.replace(leftover, output)
        else:
            shutil.rmtree(leftover, ignore_errors=True)
    for leftover in parent.glob(f"{_TEMP_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _unchanged(files: list[OutputFile], output: Path, known: set[str]) -> list[bool]:
    """For each file, whether site/ already holds exactly these bytes at that path (``known``: paths
    whose bytes were just read from there)."""
    if not output.is_dir():
        return [False] * len(files)
    same = []
    for file in files:
        if file.path in known:
            same.append(True)
            continue
        try:
            same.append((output / file.path).read_bytes() == file.data)
        except OSError:
            same.append(False)
    return same


def _existing_files(output: Path) -> set[str]:
    found: set[str] = set()
    for folder, folders, names in os.walk(output):
        relative = os.path.relpath(folder, output).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        found.update(prefix + name for name in names)
        found.update(prefix + name for name in folders if os.path.islink(os.path.join(folder, name)))
    return found


def write_site(files: list[OutputFile], output: Path, known: set[str] | None = None) -> WriteReport:
    """Write ``files`` as the new content of ``output``, atomically.

    The new site is assembled beside the old one and swapped in; files whose bytes did not
    change are hard links to the old ones (no rewrite, same mtime), and a build that changes
    nothing touches nothing. ``known``: paths whose bytes this build read from ``output`` itself.
    """
    if output.is_symlink() or (output.exists() and not output.is_dir()):
        raise DigestError("the output folder is not a plain folder", path=output,
                          hint="remove it; site/ is made by digest and never edited by hand")
    paths = [safe_relative(file.path) for file in files]
    if len(set(paths)) != len(paths):
        raise DigestError("two pages would be written to the same file", hint="this is a bug in digest")
    output.parent.mkdir(parents=True, exist_ok=True)
    _recover(output)
    same = _unchanged(files, output, known or set())
    if all(same) and _existing_files(output) == {file.path for file in files}:
        return WriteReport(len(files), changed=False)
    temporary = output.parent / f"{_TEMP_PREFIX}{os.getpid()}"
    try:
        temporary.mkdir()
        targets = [temporary.joinpath(*relative.parts) for relative in paths]
        for folder in sorted({target.parent for target in targets} - {temporary}):
            folder.mkdir(parents=True, exist_ok=True)
        jobs = [(file, target, output.joinpath(*relative.parts) if unchanged else None)
                for file, relative, target, unchanged in zip(files, paths, targets, same, strict=True)]
        # Creating a file is a system call that waits on the file system, not on Python: a few
        # threads keep several in flight (the tree is still swapped in only once it is complete).
        with ThreadPoolExecutor(WRITE_THREADS) as pool:
            for _ in pool.map(_put, jobs):
                pass
        if output.exists() and _exchange(temporary, output):
            shutil.rmtree(temporary, ignore_errors=True)  # now the old site; if killed here, the next build removes it
        else:
            # Two renames: a kill between them leaves the old site under .site-old-*, which the
            # next build puts back (see _recover).
            old = output.parent / f"{_OLD_PREFIX}{os.getpid()}"
            if output.exists():
                os.replace(output, old)
            os.replace(temporary, output)
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return WriteReport(len(files), changed=True)


def _put(job: tuple[OutputFile, Path, Path | None]) -> None:
    """One file of the new tree: a hard link to the same bytes already on disk, else written."""
    file, target, same_in_site = job
    for existing in (same_in_site, file.source):
        if existing is not None:
            try:
                os.link(existing, target)
                return
            except OSError:
                pass  # another file system, or no hard links: write the bytes
    target.write_bytes(file.data)


def update_in_place(files: list[OutputFile], output: Path, known: dict[str, tuple[bytes, bytes]]) -> WriteReport:
    """The preview's writer: replace only files whose bytes changed (each atomically), remove the
    ones that went away. ``known`` maps each path to what is on disk (the bytes object written and
    its digest), kept by the caller between builds: a page reused from memory is the same object,
    so unchanged files are neither read nor hashed. Not for site/: a reader could see a mix of two
    builds for a moment, which a preview can afford.
    """
    if len({file.path for file in files}) != len(files):
        raise DigestError("two pages would be written to the same file", hint="this is a bug in digest")
    if not output.is_dir() or output.is_symlink():
        known.clear()
        output.mkdir(parents=True, exist_ok=True)
    changed: list[str] = []
    for file in files:
        remembered = known.get(file.path)
        if remembered is not None and remembered[0] is file.data:
            continue
        digest = hashlib.blake2b(file.data, digest_size=16).digest()
        if remembered is not None and remembered[1] == digest:
            known[file.path] = (file.data, digest)
            continue
        relative = safe_relative(file.path)  # every path is checked before it is first written
        target = output.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_bytes(file.data)
        os.replace(temporary, target)
        known[file.path] = (file.data, digest)
        changed.append(file.path)
    wanted = {file.path for file in files}
    for stale in sorted(set(known) - wanted):
        (output / stale).unlink(missing_ok=True)
        del known[stale]
        changed.append(stale)
    return WriteReport(len(files), changed=bool(changed), paths=tuple(changed))
