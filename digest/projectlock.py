"""One build of a project at a time: a build, an ingest, the preview's rebuilds and the part of a
deploy that reads ``site/`` hold the project's lock, and another one started meanwhile waits for
it (as Cargo waits for its build folder).

Two builds at once ingested the same new inbox files twice (a second copy of each article in
``content/articles/``, under a ``-2`` name), and each could swap its ``site/`` in over the
other's, made from the same cache. The lock is ``flock`` on the project's folder itself: no file
is made for it, and the system lets it go when the process ends, however it ends (a killed build
leaves nothing that blocks the next). A forked child (a worker, a process pool's) closes its copy
at once: a child left running after its build was killed must not keep the next one waiting.
Within a process the lock is per thread and may be taken again (``deploy`` builds, the command
line's ``build`` calls the pipeline's). Where there is no ``flock`` (Windows), the file system
has none, or the folder cannot be opened for reading, builds are not kept apart.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

_held = threading.local()
"""The project folders this thread holds the lock of (resolved), each with how deep it is taken."""
_descriptors: set[int] = set()
"""The descriptors of every lock this process holds or waits for (all threads): what a forked
child closes."""
_registry = threading.Lock()
_UNSUPPORTED = frozenset({errno.ENOLCK, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOSYS})
"""What ``flock`` answers where the file system has no such locks."""
POLL_SECONDS = 0.1
"""How often a wait that may be given up (the preview's) tries the lock again."""


class GaveUp(Exception):
    """A wait for the lock was given up (``give_up`` said so): the preview is stopping."""


def _close_in_child() -> None:
    global _registry
    _registry = threading.Lock()  # the parent's was held across the fork (``_before_fork``)
    for descriptor in _descriptors:
        with contextlib.suppress(OSError):
            os.close(descriptor)
    _descriptors.clear()
    _held.__dict__.pop("depth", None)  # the child holds nothing: its own builds lock anew


def _before_fork() -> None:
    _registry.acquire()  # no fork between a descriptor's opening (or closing) and its registration


def _after_fork_in_parent() -> None:
    _registry.release()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_close_in_child)


def say_waiting(root: Path) -> None:
    """The command line's word that it waits (on stderr; a stderr that cannot be written to does
    not stop the wait)."""
    with contextlib.suppress(OSError, ValueError):
        print(f"waiting for another build of {root} to finish (a build, ingest, deploy or preview of this "
              "project is running)", file=sys.stderr, flush=True)


@contextlib.contextmanager
def project_lock(root: Path, waiting: Callable[[Path], None] | None = say_waiting,
                 give_up: Callable[[], bool] | None = None) -> Iterator[bool]:
    """Hold the lock of the project in ``root`` (the folder of its config file) while the block
    runs, first waiting for whoever holds it; ``waiting`` is told once, when it must wait. Gives
    whether it waited. ``give_up``: asked while it waits; once true, GaveUp is raised."""
    folder = root.resolve()
    depth: dict[Path, int] = _held.__dict__.setdefault("depth", {})
    if depth.get(folder, 0):
        depth[folder] += 1
        try:
            yield False
        finally:
            depth[folder] -= 1
        return
    descriptor, waited = _locked(folder, waiting, give_up)
    depth[folder] = 1
    try:
        yield waited
    finally:
        depth[folder] = 0
        if descriptor is not None:
            _release(descriptor)


def _release(descriptor: int) -> None:
    with _registry:
        if descriptor in _descriptors:  # not after a fork: the child closed its copy
            _descriptors.discard(descriptor)
            os.close(descriptor)  # lets the lock go


def _locked(folder: Path, waiting: Callable[[Path], None] | None,
            give_up: Callable[[], bool] | None) -> tuple[int | None, bool]:
    """The folder opened and locked, and whether that meant waiting; None for the descriptor where
    it cannot be locked (no ``flock``, none on this file system, a folder that cannot be opened)."""
    if fcntl is None:
        return None, False
    with _registry:  # registered as it opens: a fork while this waits must not leave the child a copy
        try:
            descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            return None, False
        _descriptors.add(descriptor)
    waited = False
    try:
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | (fcntl.LOCK_NB if give_up is not None or not waited else 0))
                return descriptor, waited
            except BlockingIOError:
                pass
            except OSError as error:
                if error.errno not in _UNSUPPORTED:
                    raise
                _release(descriptor)
                return None, False
            if not waited:
                waited = True
                if waiting is not None:
                    waiting(folder)
            elif give_up is not None:
                if give_up():
                    raise GaveUp
                time.sleep(POLL_SECONDS)
    except BaseException:  # given up, interrupted while waiting, or a bug
        _release(descriptor)
        raise
