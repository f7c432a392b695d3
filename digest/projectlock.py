"""One build of a project at a time: a build, an ingest or a deploy holds the project's lock while
it runs, and another one started meanwhile waits for it (as Cargo waits for its build folder).

Two builds at once ingested the same new inbox files twice (a second copy of each article in
``content/articles/``, under a ``-2`` name), and each could swap its ``site/`` in over the
other's, made from the same cache. The lock is ``flock`` on the project's folder itself: no file
is made for it, and the system lets it go when the process ends, however it ends (a killed build
leaves nothing that blocks the next). A forked child (a worker, a process pool's) closes its copy
at once: a child left running after its build was killed must not keep the next one waiting.
Within a process the lock is per thread and may be taken again (``deploy`` builds while it holds
it). Where there is no ``flock`` (Windows), or the file system has none, builds are not kept apart.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

_held = threading.local()
"""The project folders this thread holds the lock of (resolved), each with how deep it is taken."""
_descriptors: set[int] = set()
"""The descriptors of every lock this process holds (all threads): what a forked child closes."""
_registry = threading.Lock()


def _close_in_child() -> None:
    for descriptor in _descriptors:
        with contextlib.suppress(OSError):
            os.close(descriptor)
    _descriptors.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_in_child)


def say_waiting(root: Path) -> None:
    print(f"waiting for another build of {root} to finish (a build, ingest or deploy of this project is running)",
          file=sys.stderr, flush=True)


@contextlib.contextmanager
def project_lock(root: Path, waiting: Callable[[Path], None] | None = say_waiting) -> Iterator[None]:
    """Hold the lock of the project in ``root`` (the folder of its config file) while the block
    runs, first waiting for whoever holds it; ``waiting`` is told once, when it must wait."""
    folder = root.resolve()
    depth: dict[Path, int] = _held.__dict__.setdefault("depth", {})
    if depth.get(folder, 0):
        depth[folder] += 1
        try:
            yield
        finally:
            depth[folder] -= 1
        return
    descriptor = _locked(folder, waiting)
    depth[folder] = 1
    try:
        yield
    finally:
        depth[folder] = 0
        if descriptor is not None:
            with _registry:
                mine = descriptor in _descriptors  # not in a forked child, which closed it
                _descriptors.discard(descriptor)
            if mine:
                os.close(descriptor)  # lets the lock go


def _locked(folder: Path, waiting: Callable[[Path], None] | None) -> int | None:
    """The folder opened and locked; None where it cannot be locked (no ``flock``, a file system
    without it, a folder that cannot be opened): the build then goes on without it."""
    if fcntl is None:
        return None
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting(folder)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
    except OSError:
        os.close(descriptor)
        return None
    except BaseException:  # interrupted while waiting
        os.close(descriptor)
        raise
    with _registry:
        _descriptors.add(descriptor)
    return descriptor
