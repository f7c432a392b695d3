"""Digests of an article's fields, made once when the article is parsed and kept with it in the
read cache (``Article.text_digest``, ``Article.digest``).

A build whose articles come from the cache would otherwise hash every article's text again for
the analysis cache's key (~20 us an article) and every article's page values for the page
record (~50 us): at 5,000 articles, ~0.35 s of each such build.

Each field goes in with its length before it (or ``-`` for None), so no two lists of fields give
the same text.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # models imports this module
    from digest.models import Article


def _piece(text: str | None) -> str:
    return "-" if text is None else f"{len(text)}:{text}"



def text_digest(article: Article) -> str:
    """A digest of all the analysis reads of ``article``: its title, its pins and its blocks."""
    pins = [article.pinned_summary, article.pinned_topics,
            None if article.pinned_quote is None else asdict(article.pinned_quote)]
    pinned = json.dumps(pins, ensure_ascii=False) if any(pin is not None for pin in pins) else ""
    pieces = [_piece(article.title), _piece(pinned)]
    add = pieces.append
    for block in article.blocks:  # a block in one piece: the same text, sooner
        kind, text = block.kind, block.text
        add(f"{len(kind)}:{kind}{len(text)}:{text}")
    return hashlib.sha256("".join(pieces).encode("utf-8", "surrogatepass")).hexdigest()


def article_digest(article: Article) -> str:
    """A digest of every field of ``article`` but its path and slug (what its page and the pages
    listing it show of it); ``text_digest`` stands for the fields the analysis reads."""
    pieces = [
        article.text_digest or text_digest(article),
        _piece(article.body_html),
        _piece(None if article.date is None else article.date.isoformat()),
        _piece(article.author),
        _piece(article.source),
        _piece(article.language),
        _piece(str(article.word_count)),
    ]
    return hashlib.blake2b("".join(pieces).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
