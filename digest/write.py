"""OutputFiles -> ``site/``: every path checked, written beside it, swapped in only when complete.

A build that fails or is killed leaves the previous ``site/`` as it was; leftovers of a killed
build are cleaned up (or the old site restored) by the next one. A build whose output is
byte-identical to what is there touches nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath

from digest.errors import DigestError
from digest.jsonfile import running_elsewhere
from digest.models import OutputFile, Stamp

WRITE_THREADS = 4
_TEMP_PREFIX = ".site-build-"
_OLD_PREFIX = ".site-old-"
REUSED = "site"
"""The old site a build swapped out, kept in the trash under this name: the next build makes its new
tree from it (``SiteWriter._reuse``) rather than making every folder and link again."""


@dataclass(frozen=True, slots=True)
class WriteReport:
    files: int
    changed: bool
    paths: tuple[str, ...] = ()
    """The files replaced or removed (only ``update_in_place`` lists them)."""


def safe_relative(path: str) -> PurePosixPath:
    """Refuse any output path that could land outside the output folder."""
    return PurePosixPath(*_parts(path))


def _parts(path: str) -> list[str]:
    """``safe_relative``'s check, giving the path's parts (as strings: the writer handles thousands
    of paths, and making a ``Path`` of each was a third of linking the search index's files)."""
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or "\x00" in path or "" in parts or "." in parts or ".." in parts:
        raise DigestError(f"refusing to write unsafe output path {path!r}", hint="this is a bug in digest")
    return parts


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


def _running_build(leftover: Path) -> bool:
    """Whether ``leftover`` (``.site-build-<pid>``, ``.site-old-<pid>``) belongs to another build
    still running: its tree is in use (a build streams into it for seconds), not left behind."""
    return running_elsewhere(leftover.name.rsplit("-", 1)[-1])


def _recover(output: Path, trash: Path | None = None) -> None:
    """Clean up after a build that was killed: restore the old site if the swap was cut short.
    The trees of builds still running are left to them. The rest goes into ``trash`` (one rename
    each), for the next build's remover, where it can: a killed build's tree may be a whole site
    (~1 s to unlink at 10,000 articles, in this build's own thread). Only folders named as a build
    names them (a prefix and a pid) are leftovers: anything else so named is left where it is."""
    parent = output.parent
    for leftover in sorted(parent.glob(f"{_OLD_PREFIX}*")):
        if not _leftover(leftover) or _running_build(leftover):
            continue
        if not output.exists():
            os.replace(leftover, output)
        elif not into_trash(leftover, trash, leftover.name):
            shutil.rmtree(leftover, ignore_errors=True)
    for leftover in parent.glob(f"{_TEMP_PREFIX}*"):
        if _leftover(leftover) and not _running_build(leftover) and not into_trash(leftover, trash, leftover.name):
            shutil.rmtree(leftover, ignore_errors=True)


def _leftover(path: Path) -> bool:
    """Whether ``path`` is a folder a build made (``.site-build-<pid>``, ``.site-old-<pid>``)."""
    return path.name.rsplit("-", 1)[-1].isdigit() and path.is_dir() and not path.is_symlink()


def _existing_files(output: Path) -> set[str]:
    found: set[str] = set()
    for folder, folders, names in os.walk(output):
        relative = os.path.relpath(folder, output).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        found.update(prefix + name for name in names)
        found.update(prefix + name for name in folders if os.path.islink(os.path.join(folder, name)))
    return found


IN_FLIGHT = 256
"""Files handed to the writing threads and not yet on disk: what a stream of pages holds in memory."""


class SiteWriter:
    """Writes the files of one build as they come (``add``), beside ``output``, and swaps the new
    tree in only when it is complete (``commit``); ``abort`` removes it, leaving ``output`` as it was.

    Files whose bytes did not change become hard links to the old ones (no rewrite, same mtime).
    Until the first file that differs, nothing is created at all: a build that changes nothing
    touches nothing. Each file's bytes are dropped once written, so a stream of thousands of pages
    never sits in memory at once. ``known(path)``: whether this build read that file's bytes from
    ``output`` itself (they need no comparing).

    With ``trash``, the new tree is the site the last build swapped out (``REUSED``), when there
    is one: its files are mostly links to site/'s own already, and only the files that differ are
    placed again (each a new file: one there may be site/'s own), rather than every folder made
    and every file linked anew (at 10,000 articles, 10,700 folders and 21,000 links after each
    edit). What it holds beyond this build's files is removed before the swap.
    """

    def __init__(self, output: Path, known: Callable[[str], bool] | None = None, trash: Path | None = None) -> None:
        if output.is_symlink() or (output.exists() and not output.is_dir()):
            raise DigestError("the output folder is not a plain folder", path=output,
                              hint="remove it; site/ is made by digest and never edited by hand")
        self.output = output
        self.known = known
        self.trash = trash
        """Where the old site goes once swapped out, for the next build to remove (``_discard``); None:
        removed here."""
        self.paths: set[str] = set()
        self.html_files = 0
        self.same: list[str] = []
        """Unchanged files seen before the first change: linked once the new tree exists."""
        self.temporary: Path | None = None
        self.pool: ThreadPoolExecutor | None = None
        self.pending: list[Future[None]] = []
        self.stamps: dict[str, Stamp] = {}
        """Each file placed in the new tree, as it was then (``listing``)."""
        self.folders: set[str] = set()
        """The folders of the new tree made (or found made) so far."""
        self.reused = False
        """Whether the new tree is an old site (``_reuse``): anything may be in it already."""
        self.found: _Listing | None = None
        """What a reused tree held when reused, listed in a thread while the build goes on."""
        self.slots = threading.BoundedSemaphore(IN_FLIGHT)
        output.parent.mkdir(parents=True, exist_ok=True)
        _recover(output, trash)  # first: it may put the old site back
        self.had_output = output.is_dir()

    def add(self, files: Iterable[OutputFile]) -> None:
        for file in files:
            parts = _parts(file.path)
            if file.path in self.paths:
                raise DigestError("two pages would be written to the same file", hint="this is a bug in digest")
            self.paths.add(file.path)
            self.html_files += file.path.endswith(".html")
            if file.written:
                assert self.temporary is not None, "written into a tree the writer made"
                self.stamps[file.path] = file.written
                continue
            if self.reused and file.source is not None:
                # A file to link (the search index's) into a reused tree: one there that is the
                # same file already is kept (``_placed_again``), whatever site/ holds.
                self._submit(file, parts, False)
                continue
            if self._unchanged(file, parts):
                if self.temporary is None:
                    self.same.append(file.path)
                else:
                    self._submit(OutputFile(file.path, b""), parts, True)
                continue
            self._start()
            self._submit(file, parts, False)

    def tree_for_workers(self) -> Path | None:
        """The new tree, made now, for render workers to write their pages into themselves
        (``write_into``), or None when there is an old site: its unchanged files are linked, and
        a build that changes nothing touches nothing, which takes comparing in this process.
        With no old site every file is new: the pages' bytes need not come back here to be
        written (at 5,000 articles, writing them here kept this process busy for ~1.5 s while
        the workers waited)."""
        if self.had_output:
            return None
        self._start()
        return self.temporary

    def _unchanged(self, file: OutputFile, parts: list[str]) -> bool:
        if not self.had_output:
            return False
        if self.known is not None and self.known(file.path):
            return True
        old = os.path.join(self.output, *parts)
        try:
            if file.source is not None and os.path.samefile(old, file.source):  # linked from there last time
                return True
            with open(old, "rb") as existing:
                return existing.read() == file.content()
        except OSError:
            return False

    def _start(self) -> None:
        """Make the new tree at the first file that differs, with the unchanged files seen so far."""
        if self.temporary is not None:
            return
        self.temporary = self.output.parent / f"{_TEMP_PREFIX}{os.getpid()}"
        if not self._reuse():
            self.temporary.mkdir()
        # Creating a file is a system call that waits on the file system, not on Python: a few
        # threads keep several in flight.
        self.pool = ThreadPoolExecutor(WRITE_THREADS)
        for path in self.same:
            self._submit(OutputFile(path, b""), path.split("/"), True)
        self.same.clear()

    def _reuse(self) -> bool:
        """Make the old site kept in the trash (``REUSED``) the new tree: whether it could be.
        Not on a file system that ignores case (macOS's, Windows' by default): there a file kept
        under an old name (``Logo.png``) is the file a page now names (``logo.png``), and the
        old name, none of this build's, would be removed with it."""
        if self.trash is None or not self.had_output:
            return False
        kept = self.trash / REUSED
        try:
            if kept.is_symlink() or not kept.is_dir() or os.path.lexists(self.trash / REUSED.upper()):
                return False
            assert self.temporary is not None
            os.rename(kept, self.temporary)  # taken by another build meanwhile: a new tree instead
        except OSError:
            return False
        self.reused = True
        self.found = _Listing(self.temporary)
        return True

    def _submit(self, file: OutputFile, parts: list[str], unchanged: bool) -> None:
        """Hand the file to a writing thread (``_put``), waiting while IN_FLIGHT are in hand; a link is made at once."""
        assert self.temporary is not None and self.pool is not None
        target = os.path.join(self.temporary, *parts)
        old = os.path.join(self.output, *parts) if unchanged else None
        if old is not None or file.source is not None:
            # A hard link, made here: one quick system call, cheaper than handing it to a thread
            # (thousands of search files linked by four threads into one folder took ~1 s, 0.15 s here).
            self.stamps[file.path] = _placed(file, target, self.temporary, old, self.folders, self.reused)
            return
        self.slots.acquire()
        try:
            self.pending.append(self.pool.submit(_put, file, target, self.temporary, old, self.slots, self.stamps,
                                                 self.folders, self.reused))
        except BaseException:
            self.slots.release()
            raise
        if len(self.pending) >= IN_FLIGHT * 4:  # surface a failed write early, and forget the done ones
            self._settle(wait_all=False)

    def _settle(self, wait_all: bool) -> None:
        left = []
        for future in self.pending:
            if wait_all or future.done():
                future.result()
            else:
                left.append(future)
        self.pending = left

    def commit(self) -> WriteReport:
        """Swap the new tree in (when anything changed); the report of what was written."""
        if self.temporary is None:
            if _existing_files(self.output) == self.paths and self.had_output:
                return WriteReport(len(self.paths), changed=False)
            self._start()  # files went away, or there was no output folder: a new tree all the same
        assert self.temporary is not None and self.pool is not None
        self._settle(wait_all=True)
        self.pool.shutdown()
        temporary, output = self.temporary, self.output
        if not temporary.is_dir():
            raise _removed(temporary)
        if self.found is not None:
            self.found.remove_others(self.paths)
            self.found = None
        if output.exists() and _exchange(temporary, output):
            _discard(temporary, self.trash)  # now the old site; if killed here, the next build removes it
        else:
            # Two renames: a kill between them leaves the old site under .site-old-*, which the
            # next build puts back (see _recover).
            old = output.parent / f"{_OLD_PREFIX}{os.getpid()}"
            if output.exists():
                os.replace(output, old)
            os.replace(temporary, output)
            _discard(old, self.trash)
        self.temporary = None
        return WriteReport(len(self.paths), changed=True)

    def listing(self) -> dict[str, list[int]] | None:
        """After ``commit``: each file of the new site/, by its path, as ``digest.uptodate`` lists
        it (saves walking the tree again: ~0.2 s at 5,000 articles). None when this writer does not
        know every file: nothing changed, and no new tree was made."""
        if set(self.stamps) != self.paths:
            return None
        return {path.replace("/", os.sep): list(stamp) for path, stamp in sorted(self.stamps.items())}

    def abort(self) -> None:
        """Forget the new tree: ``output`` stays as it was. One made from an old site goes to the
        trash for the next build to remove (not to make its tree from: what failed may be in it,
        a folder that cannot be written, and would fail every build after)."""
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
        if self.temporary is not None:
            if not (self.reused and into_trash(self.temporary, self.trash, REUSED)):
                shutil.rmtree(self.temporary, ignore_errors=True)
            self.temporary = None


_REMOVE = """import os, shutil, sys
for path in sys.argv[1:]:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass
"""
"""The remover's program: each folder of the trash removed whole, anything else (a file or a
link put there in place of one) unlinked."""


def _discard(old_site: Path, trash: Path | None) -> None:
    """Remove the old site, swapped out. With ``trash``, it is only moved there (one rename), and
    kept for the next build to make its new tree from (``REUSED``; the one kept before goes, for
    the next build to remove beside its first stages: ``remove_trash``). Unlinking every file and
    folder of a site of 5,000 articles took ~0.7 s, the last thing a rebuild after an edit did.
    Where it cannot be moved (another file system), it is removed now."""
    if trash is None or not _keep(old_site, trash):
        shutil.rmtree(old_site, ignore_errors=True)


def _keep(old_site: Path, trash: Path) -> bool:
    """Move ``old_site`` into ``trash`` as the site to reuse (``REUSED``): whether it could be."""
    kept = trash / REUSED
    if old_site.is_symlink() or not old_site.is_dir():  # no old site (there was no site/): keep the kept one
        return False
    try:
        trash.mkdir(parents=True, exist_ok=True)
        if kept.is_symlink() or kept.exists():  # an older one, not reused: removed by the next build
            os.replace(kept, trash / f"{REUSED}-{os.urandom(6).hex()}")
        os.rename(old_site, kept)
    except OSError:
        return into_trash(old_site, trash, old_site.name)
    return True


def into_trash(folder: Path, trash: Path | None, name: str) -> bool:
    """Move ``folder`` into ``trash`` (one rename, under ``name`` and a random suffix), for the next
    build to remove (``remove_trash``); False where it cannot be moved (no trash, another file
    system, the folder gone): the caller removes it itself."""
    if trash is None:
        return False
    try:
        trash.mkdir(parents=True, exist_ok=True)
        os.replace(folder, trash / f"{name}-{os.urandom(6).hex()}")
    except OSError:
        return False
    return True


def remove_trash(trash: Path | None) -> subprocess.Popen[bytes] | None:
    """Start removing what earlier builds left in ``trash`` (old sites, replaced parts of the search
    index), in a process of its own (its system calls wait on the file system, not on this
    process's cores or lock); the caller waits for it before it ends. Only what is there now: what
    this build replaces stays for the next one. None when there is nothing to remove."""
    if trash is None:
        return None
    try:
        leftovers = [str(path) for path in trash.iterdir() if path.name != REUSED]
    except OSError:  # no trash yet
        return None
    if not leftovers:
        return None
    try:
        return subprocess.Popen([sys.executable, "-I", "-c", _REMOVE, *leftovers], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:  # no process to spare: the next build tries again
        return None


def write_site(files: Iterable[OutputFile], output: Path, known: Callable[[str], bool] | None = None) -> WriteReport:
    """Write ``files`` as the new content of ``output``, atomically (see ``SiteWriter``)."""
    writer = SiteWriter(output, known)
    try:
        writer.add(files)
        return writer.commit()
    except BaseException:
        writer.abort()
        raise


def _put(file: OutputFile, target: str, tree: Path, same_in_site: str | None,
         slots: threading.BoundedSemaphore, stamps: dict[str, Stamp], folders: set[str], reused: bool) -> None:
    """``_placed``, in a writing thread."""
    try:
        stamps[file.path] = _placed(file, target, tree, same_in_site, folders, reused)
    finally:
        slots.release()


def _placed(file: OutputFile, target: str, tree: Path, same_in_site: str | None,
            folders: set[str] | None = None, reused: bool = False) -> Stamp:
    """One file of the new tree: a hard link to the same bytes already on disk, else written.
    ``folders``: the folders of the tree known to exist, the file's own made first when it is not
    among them (a page's own folder, articles/<slug>/, is new: placing the file first, failing and
    making its folders then took three more system calls and a path object's work a page).
    ``reused``: the tree is an old site (``_placed_again``)."""
    try:
        if reused and folders is not None:
            return _placed_again(file, target, tree, same_in_site, folders)
        if folders is not None:
            _own_folder(tree, target, folders)
        _below(tree, target, partial(_place, file, target, same_in_site))
        return _placed_stamp(tree, target)
    except OSError as error:
        raise _not_placed(tree, target, error) from None


def _placed_again(file: OutputFile, target: str, tree: Path, same_in_site: str | None, folders: set[str]) -> Stamp:
    """``_placed``, into a tree that is an old site (``SiteWriter._reuse``): a file there that is
    already the one to link (the same inode) is kept as it is. Anything else there goes first, so
    the file placed is always a new one (the old one may be site/'s own, linked: written over, it
    would change site/ before the swap), and each folder is checked to be one, not a link."""
    # The folders first: the same file seen through a link to site/'s own folder is no file of
    # the tree (kept so, the link itself would be the new site's folder).
    _real_folder(tree, os.path.dirname(target), folders)
    existing = same_in_site if same_in_site is not None else file.source
    if existing is not None:
        kept = _same_file(target, existing)
        if kept is not None:
            return _stamp(kept)
    try:
        os.unlink(target)
    except FileNotFoundError:
        pass
    except OSError:  # a folder where the file goes
        if not os.path.isdir(target) or os.path.islink(target):
            raise
        shutil.rmtree(target)
    _place(file, target, same_in_site)
    return _placed_stamp(tree, target)


def _same_file(target: str, existing: str | Path) -> os.stat_result | None:
    """What the file at ``target`` is, when it is ``existing`` itself (a plain file, not a link to it)."""
    try:
        mine, theirs = os.lstat(target), os.stat(existing)
    except OSError:
        return None
    if stat.S_ISREG(mine.st_mode) and (mine.st_ino, mine.st_dev) == (theirs.st_ino, theirs.st_dev):
        return mine
    return None


_CHECKING_FOLDERS = threading.Lock()
"""Held while a folder of a reused tree is checked: the build's thread and the writing threads
may meet the same file where a folder must be, and only one may remove it."""


def _real_folder(tree: Path, folder: str, folders: set[str]) -> None:
    """Make ``folder`` (and each above it, up to ``tree``) a folder of its own in a reused tree:
    a file or a symbolic link there is removed first (through a link, files would land outside
    the site). Each is checked once, then noted in ``folders``."""
    if folder in folders or folder == str(tree):
        return
    with _CHECKING_FOLDERS:
        _check_folder(tree, folder, folders)


def _check_folder(tree: Path, folder: str, folders: set[str]) -> None:
    """``_real_folder``, its lock held."""
    if folder in folders or folder == str(tree):
        return
    _check_folder(tree, os.path.dirname(folder), folders)
    try:
        kind = os.lstat(folder).st_mode
    except FileNotFoundError:
        kind = None
    if kind is not None and not stat.S_ISDIR(kind):
        os.unlink(folder)
        kind = None
    if kind is None:
        os.mkdir(folder)
    folders.add(folder)


class _Listing:
    """Every file and folder of a reused tree, listed in a thread (its system calls let the build
    go on meanwhile: at 10,000 articles, 10,700 folders take ~0.2 s to read), so that what the
    build does not place there can be removed before the swap (``remove_others``)."""

    def __init__(self, tree: Path) -> None:
        self.tree = tree
        self.files: list[str] = []
        """Relative paths of what is not a folder (a file, a symbolic link)."""
        self.folders: list[str] = []
        self.failure: OSError | None = None
        self.thread = threading.Thread(target=self._list, name="reused tree", daemon=True)
        self.thread.start()

    def _list(self) -> None:
        pending = [("", str(self.tree))]
        while pending:
            prefix, folder = pending.pop()
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        if entry.is_dir(follow_symlinks=False):
                            self.folders.append(prefix + entry.name)
                            pending.append((prefix + entry.name + "/", entry.path))
                        else:
                            self.files.append(prefix + entry.name)
            except (FileNotFoundError, NotADirectoryError):
                continue  # replaced meanwhile by what the build placed there
            except OSError as error:
                self.failure = error
                return

    def remove_others(self, paths: set[str]) -> None:
        """Remove what the tree held that is none of ``paths`` nor a folder above one: the pages
        gone since, what a stopped build left. The build placed each of ``paths`` itself (a new
        file, or the very one to link), and made each folder above one a folder of its own."""
        self.thread.join()
        if self.failure is not None:
            raise _not_written(str(self.tree), self.failure)
        needed: set[str] = set()
        for path in paths:
            while "/" in path:
                path = path.rsplit("/", 1)[0]
                if path in needed:
                    break
                needed.add(path)
        folders = set(self.folders)
        gone: list[str] = []  # folders removed whole: nothing below them is looked at again
        for relative in sorted({*self.files, *folders} - paths - needed):
            if gone and relative.startswith(gone[-1] + "/"):
                continue
            target = os.path.join(self.tree, *relative.split("/"))
            try:
                if relative in folders and not os.path.islink(target):
                    shutil.rmtree(target)
                    gone.append(relative)
                else:
                    os.unlink(target)
            except (FileNotFoundError, NotADirectoryError):
                continue  # under a folder the build replaced with a file
            except OSError as error:
                raise _not_written(target, error) from None


def _own_folder(tree: Path, target: str, folders: set[str]) -> None:
    """Make the folder ``target`` goes in and note it in ``folders``, unless it is noted already or
    is ``tree`` itself (gone means another build removed it). A folder above it that is missing
    too is left to ``_below``."""
    folder = os.path.dirname(target)
    if folder in folders or folder == str(tree):
        return
    try:
        os.mkdir(folder)
    except FileExistsError:  # made by a render worker, or another thread
        pass
    except FileNotFoundError:
        return
    folders.add(folder)


def _stamp(status: os.stat_result) -> Stamp:
    return status.st_mtime_ns, status.st_size, status.st_ino


def _placed_stamp(tree: Path, target: str) -> Stamp:
    """The stamp of a file this build just placed: gone already, it was removed with the tree."""
    try:
        return _stamp(os.stat(target))
    except FileNotFoundError:
        raise _removed(tree) from None


def write_into(tree: Path, path: str, data: bytes) -> Stamp:
    """A page written into the new tree by the render worker that made it
    (``SiteWriter.tree_for_workers``); what the file then is."""
    parts = _parts(path)
    target = os.path.join(tree, *parts)
    try:
        try:
            if len(parts) > 1:  # never the tree itself: gone means another build removed it
                # A page's own folder (articles/<slug>/) is new: made first, rather than after an
                # open that fails (~0.1 ms a page, at thousands of pages).
                with contextlib.suppress(FileExistsError):
                    os.mkdir(os.path.dirname(target))
            with open(target, "wb") as file:
                file.write(data)
                file.flush()  # written, so its modification time and size are final
                return _stamp(os.fstat(file.fileno()))
        except FileNotFoundError:  # the folders above it are missing too
            _below(tree, target, partial(Path(target).write_bytes, data))
            return _placed_stamp(tree, target)
    except OSError as error:
        raise _not_placed(tree, target, error) from None


def _not_placed(tree: Path, target: str, error: OSError) -> DigestError:
    """Why a file could not be placed in the new tree: its folder, made for it if missing, is gone
    again (another build is removing the tree, which is this build's alone), or the write failed."""
    if isinstance(error, FileNotFoundError) and not os.path.isdir(os.path.dirname(target)):
        return _removed(tree)
    return _not_written(target, error)


def _removed(tree: Path) -> DigestError:
    return DigestError("the new site was removed while it was being written (by another build?)",
                       path=tree, hint="run the build again; site/ was left as it was")


def _not_written(target: str, error: OSError) -> DigestError:
    return DigestError(f"could not write this file of the new site: {error.strerror or error}", path=Path(target),
                       hint="check the free disk space, the limit on file size and the permissions of the "
                            "folder site/ is in; site/ was left as it was")


def _below(tree: Path, target: str, place: Callable[[], object]) -> None:
    """``place()`` the file at ``target``, in ``tree``. Its folders are made here, by whichever
    thread or process first finds them missing: only below ``tree``, never ``tree`` itself (gone
    means another build removed it: this build must fail, not carry on into an empty tree)."""
    try:
        place()
    except FileNotFoundError:
        path = Path(target)
        below = len(path.relative_to(tree).parts) - 1  # the folders between tree and the file
        try:
            for folder in reversed([path.parent, *path.parent.parents][:below]):
                with contextlib.suppress(FileExistsError):
                    os.mkdir(folder)
        except FileNotFoundError:
            raise _removed(tree) from None
        place()


def _place(file: OutputFile, target: str, same_in_site: str | None) -> None:
    for existing in (same_in_site, file.source):
        if existing is not None:
            try:
                os.link(existing, target)
                return
            except FileNotFoundError:
                if not os.path.isdir(os.path.dirname(target)):
                    raise  # the folder is missing, not the file linked to
            except OSError:
                pass  # another file system, or no hard links: write the bytes
    if same_in_site is not None:
        Path(target).write_bytes(Path(same_in_site).read_bytes())
        return
    try:
        data = file.content()
    except FileNotFoundError:  # the preview beside this build replaced the search index it links
        raise DigestError("a file of the search index changed while the build used it", path=file.source,
                          hint="run the build again") from None
    Path(target).write_bytes(data)


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
        data = file.content()  # the same object each time, unless it is read from the cache
        if remembered is not None and remembered[0] is data:
            continue
        digest = hashlib.blake2b(data, digest_size=16).digest()
        if remembered is not None and remembered[1] == digest:
            known[file.path] = (data, digest)
            continue
        relative = safe_relative(file.path)  # every path is checked before it is first written
        target = output.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, target)
        known[file.path] = (data, digest)
        changed.append(file.path)
    wanted = {file.path for file in files}
    for stale in sorted(set(known) - wanted):
        (output / stale).unlink(missing_ok=True)
        del known[stale]
        changed.append(stale)
    return WriteReport(len(files), changed=bool(changed), paths=tuple(changed))
