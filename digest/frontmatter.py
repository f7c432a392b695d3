"""Front matter: the YAML block between ``---`` lines at the very start of a Markdown file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from digest.errors import ContentError, DigestError
from digest.yamlsafe import load_yaml

MAX_FRONT_MATTER_BYTES = 64 * 1024
MAX_TITLE_CHARS = 200
"""Longer titles are refused when read; ingest cuts them to fit."""
_FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Document:
    """A Markdown file split into its front matter and body."""

    meta: dict[str, Any]
    body: str
    body_line: int
    """1-based line of the file on which the body starts."""
    lines: dict[str, int]
    """1-based file line of each top-level front-matter key."""


def split_document(text: str, path: Path) -> Document:
    """Split ``text`` (already decoded, newlines normalised) into front matter and body."""
    text = text.removeprefix("\ufeff")
    if not text.startswith("---") or _FENCE.match(text) is None:
        return Document({}, text, 1, {})
    close = _FENCE.search(text, text.index("\n") + 1 if "\n" in text else len(text))
    if close is None:
        raise ContentError(
            "front matter opened with '---' but never closed",
            path=path,
            line=1,
            hint="add a line '---' after the last front-matter key",
        )
    yaml_text = text[text.index("\n") + 1 : close.start()]
    if len(yaml_text.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        raise ContentError(
            f"front matter larger than {MAX_FRONT_MATTER_BYTES // 1024} KB",
            path=path,
            line=1,
            hint="keep long text in the body, below the closing '---'",
        )
    try:
        document = load_yaml(yaml_text, line_offset=1)
    except DigestError as error:
        raise ContentError(error.message, path=path, line=error.line, hint=error.hint) from None
    meta = document.data
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ContentError(
            f"front matter must be a mapping of keys to values, got {_kind(meta)}",
            path=path,
            line=2,
            hint="write it as 'title: ...' lines",
        )
    lines = {str(path[0]): line for path, line in document.lines.items() if len(path) == 1}
    body_start = close.end() + 1
    body_line = text.count("\n", 0, body_start) + 1
    return Document({str(key): value for key, value in meta.items()}, text[body_start:], body_line, lines)


def _kind(value: Any) -> str:
    return {list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), type(value).__name__
    )




def parse_date(value: Any) -> datetime:
    """An ISO 8601 date or date-time; naive times are taken as UTC. Raises ValueError with why."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if not re.match(r"^\d{4}[-/]\d{2}[-/]\d{2}", text):
            raise ValueError(f"date {value!r} is not in the form YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+00:00")
        if not 1 <= int(text[:4]) <= 9999 or text.startswith("0000"):
            raise ValueError(f"date {value!r} is out of range")
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("/", "-"))
        except ValueError:
            raise ValueError(f"date {value!r} is not a valid date") from None
    else:
        raise ValueError(f"date must be text like 2024-02-25, got {_kind(value)}")
    if parsed.year < 1900 or parsed.year > 2200:
        raise ValueError(f"date {value!r} is out of range (1900 to 2200)")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def format_date(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def document_date(doc: Document, path: Path) -> datetime | None:
    """The front matter's ``date``, checked; ContentError naming the line when it is not a date."""
    if doc.meta.get("date") is None:
        return None
    try:
        return parse_date(doc.meta["date"])
    except ValueError as error:
        raise ContentError(str(error), path=path, line=doc.lines.get("date"),
                           hint="write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+00:00") from None
