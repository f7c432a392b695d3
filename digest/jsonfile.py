"""The files of ``.cache/``: JSON written whole and swapped in, so a killed build leaves the old file."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson

from digest.errors import CacheNotSaved
from digest.models import Stored


def load_json(path: Path) -> Any:
    """The value in the JSON file ``path``; ValueError when it is not JSON. Read by orjson, which
    parses the big caches (51 MB of parsed articles at 5,000) in ~60% of the time ``json`` takes."""
    return from_json(path.read_bytes())


def from_json(data: bytes | str) -> Any:
    """The value ``data`` holds as JSON (``load_json``); ValueError when it is not JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        # orjson refuses the escaped lone surrogates (\udcxx) a file name that is not UTF-8 leaves
        # in a cache; ``json`` reads them back (and raises, a ValueError too, on what is not JSON).
        return json.loads(data)


def json_text(value: Any) -> str:
    """``value`` as JSON text (see ``_encoded``), for a value kept as one string inside a cache."""
    return _encoded(value).decode("utf-8")


def stored_text(values: Sequence[Any], rows: Callable[[Sequence[Any]], list[Any]]) -> str:
    """What a cache keeps of ``values`` as one JSON text: the text they were loaded from while
    nothing read them (``Stored``), else ``rows(values)`` written anew."""
    encoded = values.encoded if isinstance(values, Stored) else None
    return encoded if encoded is not None else json_text(rows(values))


def _encoded(value: Any) -> bytes:
    """``value`` (plain JSON values; floats finite: orjson writes NaN as null) as JSON, by orjson,
    which encodes several times faster than ``json`` (saving the parsed articles of 5,000 articles,
    written again after any edit: 1.26 -> 0.57 s, most of the rest making the values). A file
    name that is not UTF-8 holds lone surrogates, which orjson refuses and only an escaped string
    can carry: then ``json`` writes it, as ASCII. Dates and dataclasses, which orjson would write
    and ``json`` refuses, go to ``json`` too: a caller passing one is a bug to raise, not a cache
    that reads back as something else."""
    try:
        return orjson.dumps(value, option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS)
    except orjson.JSONEncodeError:
        return json.dumps(value).encode("ascii")


def save_json(path: Path, value: Any) -> None:
    """Write ``value`` to ``path`` atomically, as JSON (see ``_encoded``). Temporary files left by
    builds killed while saving are removed first."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(path.parent)
        temporary.write_bytes(_encoded(value))
        os.replace(temporary, path)
    except OSError as error:  # a full disk, say: what was there stays
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise CacheNotSaved(f"could not save this cache file: {error.strerror or error}", path=path,
                            hint="check the free disk space and the limit on file size; .cache/ only makes "
                                 "builds faster and can be deleted") from None


def remove_leftovers(folder: Path) -> None:
    """Temporary files (``.<name>.<pid>.tmp``) of builds killed while saving; a running build's own
    is left alone."""
    if os.name != "posix":  # signal 0 below only probes on POSIX
        return
    for leftover in folder.glob(".*.*.tmp"):
        pid = leftover.name.rsplit(".", 2)[1]
        if pid.isdigit() and int(pid) != os.getpid() and not running_elsewhere(pid):
            leftover.unlink(missing_ok=True)


def running_elsewhere(pid: str) -> bool:
    """Whether ``pid`` (digits from a leftover's name) is another process, still running. False for
    this process, for what is no pid, and where it cannot be told (not POSIX)."""
    if os.name != "posix" or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether it exists
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, someone else's
    return True
