"""The project's one error family: every problem a user can fix names its file, line and fix."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from pathlib import Path


def display_path(path: str | os.PathLike[str] | None) -> str:
    """A path as a person can read it, even when the file name is not valid UTF-8."""
    if path is None:
        return "<input>"
    text = os.fsdecode(path) if not isinstance(path, str) else path
    if os.path.isabs(text):  # shorter, and what the user typed: relative to where they run digest
        with contextlib.suppress(ValueError):
            text = Path(text).relative_to(Path.cwd()).as_posix()
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class DigestError(Exception):
    """A problem in the user's input or setup, reported as one line: ``path:line: message (hint)``."""

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.hint = hint

    def __str__(self) -> str:
        where = display_path(self.path) if self.path is not None else ""
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return text


class CacheNotSaved(DigestError):
    """A file of ``.cache/`` could not be written: only speed depends on it, so a build says so
    and goes on."""


class ConfigError(DigestError):
    """``config.yaml`` is missing, unreadable or does not fit the schema."""


class ContentError(DigestError):
    """An article or page in ``content/`` cannot be read."""


class IngestError(DigestError):
    """A raw article cannot be turned into Markdown."""


class ThemeError(DigestError):
    """A theme template is missing or broken."""


class BuildErrors(DigestError):
    """Several problems found in one pass; the build reports them all, then stops."""

    def __init__(self, errors: list[DigestError]) -> None:
        super().__init__(f"{len(errors)} problem(s) found")
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


def missing_package(error: ModuleNotFoundError) -> str | None:
    """The one line for a package digest needs that the running Python lacks (``python build.py``
    run outside the project's ``.venv``); None when the package is there (a module missing from
    it, or from digest itself, is a bug)."""
    name = (error.name or "").partition(".")[0]
    if not name or name == "digest" or importlib.util.find_spec(name) is not None:
        return None
    return (f"error: the package '{name}' is not installed for {sys.executable} (run `make site` once, "
            "then `.venv/bin/python build.py`, or activate .venv)")
