"""Parsed articles kept between builds in ``.cache/articles.json``.

Reading an article means checking its YAML front matter and rendering its Markdown: about a
millisecond each, most of a rebuild's time once the analysis is cached. A file whose modification
time and size are what they were when it was parsed (the test git's index uses) is taken from here.
The key also holds a digest of the code that parses, so a new digest never reuses an old parse.
Only speed depends on this file: delete it and the next build parses everything again.
"""

from __future__ import annotations

import time
from datetime import datetime
from itertools import starmap
from pathlib import Path
from typing import Any

from digest.jsonfile import from_json, load_json, save_json, stored_text
from digest.models import Article, Block, Quote, Stored
from digest.read import ReadMemo, read_article
from digest.sourcedigest import source_digest

_PARSING_CODE = ("read.py", "regular.py", "frontmatter.py", "yamlsafe.py", "markdown.py", "slugs.py", "models.py",
                 "fingerprint.py", "readcache.py")


def _encode(article: Article) -> list[Any]:
    quote = article.pinned_quote
    # Blocks are kept as one string (parsed only when read: Stored).
    encoded = stored_text(article.blocks, lambda blocks: [[block.kind, block.text] for block in blocks])
    return [article.slug, article.title, article.date.isoformat() if article.date else None, article.author,
            article.source, article.body_html, encoded,
            article.word_count, article.pinned_summary, article.pinned_topics,
            [quote.text, quote.speaker] if quote else None, article.language, article.text_digest, article.digest]


def _decode(path: Path, row: list[Any]) -> Article:
    (slug, title, date, author, source, body_html, blocks, word_count, summary, topics, quote, language,
     text_digest, digest) = row
    if not isinstance(text_digest, str) or not isinstance(digest, str) or not isinstance(blocks, str):
        raise TypeError("not what _encode wrote")
    return Article(
        path=path, slug=slug, title=title, date=datetime.fromisoformat(date) if date else None, author=author,
        source=source, body_html=body_html, blocks=Stored(blocks, _BlocksOf(path)),
        word_count=word_count, pinned_summary=tuple(summary) if summary is not None else None,
        pinned_topics=tuple(topics) if topics is not None else None,
        pinned_quote=Quote(quote[0], quote[1]) if quote else None, language=language,
        text_digest=text_digest, digest=digest)


class _BlocksOf:
    """Turns one article's stored blocks into blocks, when they are read (``Stored``)."""

    __slots__ = ("path",)

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, encoded: str) -> tuple[Block, ...]:
        try:
            blocks = tuple(starmap(Block, from_json(encoded)))
            if all(isinstance(block.kind, str) and isinstance(block.text, str) for block in blocks):
                return blocks
        except (ValueError, TypeError):
            pass
        # Damaged since it was written (whatever loads in one piece is checked when loaded): the
        # file, whose stamp this build found unchanged, is parsed again. Only speed depends on the cache.
        return tuple(read_article(self.path).blocks)


def cache_path(root: Path) -> Path:
    return root / ".cache" / "articles.json"


def load_read_memo(root: Path) -> ReadMemo:
    """The articles parsed by the last build; empty when the file is missing, unreadable or was
    written by other parsing code."""
    try:
        data = load_json(cache_path(root))
        if not isinstance(data, dict) or data.get("version") != source_digest(_PARSING_CODE):
            return {}
        memo: ReadMemo = {}
        for name, (mtime, size, warnings, row) in data["articles"].items():
            memo[name] = ((mtime, size), _decode(Path(name), row), tuple(warnings))
        return memo
    except (OSError, ValueError, TypeError, KeyError):
        return {}


def save_read_memo(root: Path, memo: ReadMemo) -> None:
    """Write ``memo`` (the articles of the build that just succeeded) atomically."""
    # A file changed within the last seconds could change again within the same clock tick and
    # keep its size: it is parsed again next time rather than trusted ("racy git").
    settled = time.time_ns() - 2_000_000_000
    articles = {path: [stamp[0], stamp[1], list(warnings), _encode(article)]
                for path, (stamp, article, warnings) in sorted(memo.items()) if stamp[0] < settled}
    save_json(cache_path(root), {"version": source_digest(_PARSING_CODE), "articles": articles})
