"""Markdown articles, with or without front matter -> title, date, body and the user's own fields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from digest.frontmatter import document_date, split_document
from digest.ingest.plaintext import shorten_title

# Fields ingest computes itself: copies of them in an incoming file are dropped, not duplicated.
INGEST_OWNED = frozenset(
    {"title", "title_source", "date", "date_source", "source_sha256", "ingested_from", "ingested_sha256"}
)


@dataclass(frozen=True, slots=True)
class ParsedMarkdown:
    title: str
    title_source: str
    """'front-matter', 'heading' (the first # or ## heading) or 'text' (the first line)."""
    body: str
    date: datetime | None
    meta: dict[str, Any]
    """The file's other front-matter fields, kept as the user wrote them."""


def parse_markdown(text: str, path: Path) -> ParsedMarkdown:
    doc = split_document(text, path)
    body = doc.body.strip() + "\n"
    title = doc.meta.get("title")
    title_source = "front-matter"
    if not isinstance(title, str) or not title.strip():
        heading = re.search(r"^#{1,2}[ \t]+(.+)$", body, re.MULTILINE)
        if heading:
            title, title_source = heading.group(1).strip(" #"), "heading"
            body = (body[: heading.start()] + body[heading.end() :]).strip() + "\n"
        else:
            title = next((line for line in body.split("\n") if line.strip()), "")
            title_source = "text"
    date = document_date(doc, path)
    meta = {key: value for key, value in doc.meta.items() if key not in INGEST_OWNED}
    return ParsedMarkdown(shorten_title(" ".join(str(title).split())), title_source, body, date, meta)
