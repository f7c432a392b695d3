"""Whether a build would change nothing, found without doing it.

``.cache/state.json`` records what the last complete build of ``site/`` was made from (the size and
modification time of every file under ``content/``, the inbox, ``themes/`` and the config file; the
code and library versions; the build's settings) and what it wrote (the size, modification time and
inode of every file in ``site/``). When all of that is still the same, ``python build.py`` says so
and stops: at 5,000 articles that is some 15,000 ``stat`` calls instead of a build.

As with make and git, a change that keeps a file's size and modification time is not seen, and an
input modified within two seconds of a build's start is never trusted (it could change again within
the same clock tick: "racy git"): the next build then does the whole work. ``--no-cache`` skips this
check, and only speed depends on the file: delete it and the next build is a full one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digest.config import Config
from digest.jsonfile import load_json, save_json
from digest.sourcedigest import PACKAGE, source_digest

STATE_VERSION = 1
RACY_NS = 2_000_000_000
"""Inputs modified less than this before a build started are not trusted by the next one."""
_LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "jinja2", "markupsafe", "pyyaml", "pagefind-bin",
              "trafilatura", "charset-normalizer", "lxml")
"""The libraries whose output ends up in site/: a new version means a new build."""

Listing = dict[str, list[int]]
"""Path (relative to the project) -> its stat numbers."""


@functools.cache
def code_version() -> str:
    """A digest of digest's own source and the versions of the libraries it builds with."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(source_digest(tuple(sorted(path.relative_to(PACKAGE).as_posix()
                                             for path in PACKAGE.rglob("*.py")))).encode())
    installed = _installed_versions()
    for name in _LIBRARIES:
        # No entry (or "", an egg-info install seen on the path): importlib.metadata knows better.
        digest.update(f"{name}={installed.get(_normal(name)) or _version_of(name)}\0".encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def _normal(name: str) -> str:
    """A distribution's name as PEP 503 compares them (``PyYAML``, ``pyyaml``: the same)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_versions() -> dict[str, str]:
    """The version of each distribution with a ``<name>-<version>.dist-info`` folder on sys.path
    (the first found, as ``importlib.metadata`` finds it; "" when an ``.egg-info`` comes first), by
    its normalised name: read from the folders' names, without importing ``importlib.metadata``
    and its email parser (~15 ms of every build, a no-change one included)."""
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info") and "-" in name:
                project, _, version = name[:-len(".dist-info")].partition("-")
                found.setdefault(_normal(project), version)
            elif name.endswith(".egg-info"):  # another kind of install: left to importlib.metadata
                found.setdefault(_normal(name[:-len(".egg-info")].partition("-")[0]), "")
    return found


def _version_of(name: str) -> str:
    """What ``importlib.metadata`` says of a distribution installed some other way (an egg-info
    folder, a zip): "-" when it is not installed."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def _list(folder: Path, root: Path, into: Listing, numbers: str) -> bool:
    """Every file under ``folder`` by its path relative to ``root``: ``numbers`` "ms" gives
    [mtime_ns, size], "msi" adds the inode; a symlink also gives its own mtime. Symlinked folders
    are not entered (a loop would never end); returns False when there was one, or ``folder``
    itself is a link: what lies behind it is not watched, so such a tree is never trusted."""
    prefix = os.path.join(os.path.abspath(root), "")
    inode = numbers == "msi"
    plain = True

    def visit(current: str) -> None:
        nonlocal plain
        try:
            with os.scandir(current) as listing:
                entries = list(listing)
        except OSError:
            return
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    visit(entry.path)
                    continue
                if entry.is_symlink() and entry.is_dir():
                    plain = False
                    continue
                status = entry.stat()
                stamp = [status.st_mtime_ns, status.st_size]
                if inode:
                    stamp.append(status.st_ino)
                if entry.is_symlink():  # the link itself, so pointing it elsewhere is a change
                    stamp.append(entry.stat(follow_symlinks=False).st_mtime_ns)
            except OSError:
                continue
            into[entry.path[len(prefix):] if entry.path.startswith(prefix) else entry.path] = stamp

    start = os.path.abspath(folder)
    if os.path.islink(start):
        return False
    visit(start)
    return plain


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a build is about to be made from, taken before it reads anything."""

    key: str
    """A digest of the code, the libraries, the settings, the config as loaded (with what the
    environment changes in it) and the environment that matter."""
    inputs: Listing
    taken_ns: int
    plain: bool = True
    """False when an input folder is or holds a symlinked folder, whose files are not listed."""

    @property
    def trusted(self) -> bool:
        """False when an input changed so recently that it could change again unseen, or some
        inputs could not be listed."""
        return self.plain and all(stamp[0] < self.taken_ns - RACY_NS for stamp in self.inputs.values())


def snapshot(config: Config, config_path: Path, settings: dict[str, Any]) -> Snapshot:
    """The inputs of a build of ``config`` with ``settings`` (the command line's choices)."""
    taken = time.time_ns()
    inputs: Listing = {}
    root = config.root
    plain = True
    for folder in sorted({root / "themes", config.content_dir, config.inbox_dir}):
        plain = _list(folder, root, inputs, "ms") and plain
    try:
        status = config_path.stat()
        inputs[str(config_path.resolve())] = [status.st_mtime_ns, status.st_size]
    except OSError:
        inputs[str(config_path)] = [-1, -1]  # no config file: the defaults
    environment = {name: os.environ.get(name) for name in ("SOURCE_DATE_EPOCH", "TZ")}
    key = hashlib.blake2b(json.dumps([STATE_VERSION, code_version(), settings, environment, repr(config),
                                      str(config.output_dir.resolve())], sort_keys=True).encode(),
                          digest_size=16).hexdigest()
    return Snapshot(key, dict(sorted(inputs.items())), taken, plain)


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the last build said, for an unchanged build to say again."""

    messages: list[str]
    """Its warnings, as printed."""
    code: int
    pages: int
    files: int
    checked: int
    """Files compared to find nothing changed (inputs and outputs)."""


def _path(config: Config) -> Path:
    return config.root / ".cache" / "state.json"


def unchanged(config: Config, now: Snapshot) -> Recorded | None:
    """The last build's record when ``now`` is what it was made from and site/ is what it wrote."""
    try:
        data = load_json(_path(config))
        if not isinstance(data, dict) or data.get("key") != now.key or data.get("inputs") != now.inputs:
            return None
        output = config.output_dir
        if output.is_symlink() or not output.is_dir() or _leftovers(output):
            return None  # the build reports the first, and cleans up the last
        outputs: Listing = {}
        if not _list(output, output, outputs, "msi") or not outputs or data.get("outputs") != outputs:
            return None
        return Recorded([str(line) for line in data["messages"]], int(data["code"]), int(data["pages"]),
                        int(data["files"]), len(now.inputs) + len(outputs))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _leftovers(output: Path) -> bool:
    """Whether a killed build left its half-made or old tree beside site/ (the next build removes it)."""
    try:
        return any(name.startswith((".site-build-", ".site-old-")) for name in os.listdir(output.parent))
    except OSError:
        return True


def record(config: Config, made_from: Snapshot, messages: list[str], code: int, pages: int, files: int,
           outputs: Listing | None = None) -> None:
    """Note that site/ is now the build of ``made_from`` (after a complete build); forget it when
    an input was too fresh to trust. ``outputs``: site/'s files as the build's writer left them
    (``SiteWriter.listing``); else they are listed here."""
    path = _path(config)
    if not made_from.trusted:
        path.unlink(missing_ok=True)
        return
    if outputs is None:
        outputs = {}
        _list(config.output_dir, config.output_dir, outputs, "msi")
    save_json(path, {"key": made_from.key, "inputs": made_from.inputs, "outputs": outputs,
                     "messages": messages, "code": code, "pages": pages, "files": files})


def forget(config: Config) -> None:
    """A build is about to change site/ (or failed half-way through the caches): no record holds."""
    _path(config).unlink(missing_ok=True)
