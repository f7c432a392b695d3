"""What collect makes, kept between command-line builds in ``.cache/collect.json``.

Each article's related articles (about a second at 5,000 articles, the same until a keyword, topic,
date or slug changes: ``collect.related_key``; with what they were found from, so that an edit
makes again only the lists it can change: ``related.related_again``), each topic's story and quotes and the
near-duplicate groups (the same until an article of theirs changes: ``collect.made_key``). A build
whose analyses all come from the cache then needs no analysis code at all. Only speed depends on
this file: delete it and the next build makes all of it again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from digest.collect import CollectMemo
from digest.jsonfile import load_json, save_json
from digest.models import DigestSentence, Quote, TopicQuote
from digest.sourcedigest import source_digest

_COLLECT_CODE = ("related.py", "collect.py", "models.py", "analyze/summarize.py", "analyze/text.py",
                 "analyze/quotes.py", "analyze/dedup.py")


def cache_path(root: Path) -> Path:
    return root / ".cache" / "collect.json"


def _encode(kind: str, made: Any) -> Any:
    if kind == "story":
        return [[sentence.text, sentence.article_slug] for sentence in made]
    if kind == "quotes":
        return [[entry.quote.text, entry.quote.speaker, entry.article_slug] for entry in made]
    return [[shown, list(others)] for shown, others in made]  # duplicates


def _decode(kind: str, data: Any) -> Any:
    if kind == "story":
        return tuple(DigestSentence(str(text), str(slug)) for text, slug in data)
    if kind == "quotes":
        return tuple(TopicQuote(Quote(str(text), None if speaker is None else str(speaker)), str(slug))
                     for text, speaker, slug in data)
    if kind == "duplicates":
        return tuple((str(shown), tuple(str(other) for other in others)) for shown, others in data)
    raise ValueError(f"unknown kind {kind!r}")


def load_collect_memo(root: Path) -> CollectMemo:
    """A memo holding what the last build made, if its file is there and was written by this code."""
    memo = CollectMemo()
    try:
        data = load_json(cache_path(root))
        if isinstance(data, dict) and data.get("version") == source_digest(_COLLECT_CODE):
            saved = {str(key): _decode(str(kind), made) for key, (kind, made) in data["made"].items()}
            related = (str(data["key"]), {str(slug): tuple(str(other) for other in others)
                                          for slug, others in data["related"].items()})
            memo.saved, memo.related = saved, related
            inputs, hidden = data.get("inputs"), data.get("hidden")
            if isinstance(inputs, dict) and isinstance(hidden, list):
                # As JSON (lists), turned into values entry by entry only after an edit that needs them.
                memo.related_from = (inputs, frozenset(str(slug) for slug in hidden))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        pass  # made again
    return memo


def save_collect_memo(root: Path, memo: CollectMemo, loaded: str | None) -> None:
    """Record what this build used, unless it is what was loaded (``loaded``: the related key)."""
    if memo.related is None or (memo.related[0] == loaded and memo.used.keys() == memo.saved.keys()):
        return
    key, related = memo.related
    inputs: dict[str, Any] = {}
    if memo.related_from is not None:
        inputs = {"inputs": {slug: [list(keywords), list(topics), when] for slug, (keywords, topics, when)
                             in sorted(memo.related_from[0].items())},
                  "hidden": sorted(memo.related_from[1])}
    save_json(cache_path(root), {
        "version": source_digest(_COLLECT_CODE), "key": key,
        "related": {slug: list(others) for slug, others in sorted(related.items())},
        **inputs,
        "made": {made_key: [kind, _encode(kind, made)] for made_key, (kind, made) in sorted(memo.used.items())},
    })
