"""Parsed articles kept between builds in ``.cache/articles/``, in SHARDS files by a hash of the path.

Reading an article means checking its YAML front matter and rendering its Markdown: about a
millisecond each, most of a rebuild's time once the analysis is cached. A file whose modification
time and size are what they were when it was parsed (the test git's index uses) is taken from here.
The key also holds a digest of the code that parses, so a new digest never reuses an old parse.
Only speed depends on these files: delete them and the next build parses everything again.

A build that parsed a few files again writes only the shards that hold them: at 10,000 articles
the whole cache is ~100 MB, and writing it took 0.2-0.45 s of every build after an edit.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections import defaultdict
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


SHARDS = 16
"""Files the parsed articles are kept in: an edit rewrites one (~6 MB at 10,000 articles)."""


def cache_path(root: Path) -> Path:
    """The folder of the shards."""
    return root / ".cache" / "articles"


def _shard_of(path: str) -> int:
    digest = hashlib.blake2b(path.encode("utf-8", "surrogatepass"), digest_size=4).digest()
    return int.from_bytes(digest, "big") % SHARDS


def _by_shard(memo: ReadMemo) -> dict[int, list[str]]:
    """The paths of ``memo`` in each shard, sorted."""
    shards: dict[int, list[str]] = defaultdict(list)
    for path in sorted(memo):
        shards[_shard_of(path)].append(path)
    return shards


def _shard_file(root: Path, shard: int) -> Path:
    return cache_path(root) / f"{shard:02d}.json"


def load_read_memo(root: Path) -> ReadMemo:
    """The articles parsed by the last build; a shard that is missing, unreadable or was written by
    other parsing code adds none (its articles are parsed again)."""
    memo: ReadMemo = {}
    version = source_digest(_PARSING_CODE)
    for shard in range(SHARDS):
        try:
            data = load_json(_shard_file(root, shard))
            if not isinstance(data, dict) or data.get("version") != version:
                continue
            entries = {}
            for name, (mtime, size, warnings, row) in data["articles"].items():
                entries[name] = ((mtime, size), _decode(Path(name), row), tuple(warnings))
            memo.update(entries)
        except (OSError, ValueError, TypeError, KeyError):
            continue
    return memo


def save_read_memo(root: Path, memo: ReadMemo, before: ReadMemo | None = None) -> None:
    """Write ``memo`` (the articles of the build that just succeeded), each shard atomically; with
    ``before`` (the memo as loaded), only the shards whose entries are not the very ones loaded."""
    # A file changed within the last seconds could change again within the same clock tick and
    # keep its size: it is parsed again next time rather than trusted ("racy git").
    settled = time.time_ns() - 2_000_000_000
    shards, old = _by_shard(memo), _by_shard(before or {})
    version = source_digest(_PARSING_CODE)
    for shard in range(SHARDS):
        paths = shards[shard]
        if not paths:  # no article of this build's hashes to it: a file left there holds none either
            with contextlib.suppress(OSError):
                _shard_file(root, shard).unlink(missing_ok=True)
            continue
        if (before is not None and paths == old[shard] and all(memo[path] is before[path] for path in paths)
                and _shard_file(root, shard).is_file()):
            continue  # what it holds already
        articles = {path: [stamp[0], stamp[1], list(warnings), _encode(article)]
                    for path in paths for stamp, article, warnings in [memo[path]] if stamp[0] < settled}
        save_json(_shard_file(root, shard), {"version": version, "articles": articles})
    with contextlib.suppress(OSError):  # the one file of earlier versions
        (root / ".cache" / "articles.json").unlink(missing_ok=True)
