"""Related articles kept between command-line builds in ``.cache/related.json``.

Finding every article's related articles compares each with the others sharing its keywords:
about a second at 5,000 articles, and the same answer until a keyword, topic, date or slug changes
(``collect.related_key``). Only speed depends on this file: delete it and the next build finds
them again.
"""

from __future__ import annotations

import json
from pathlib import Path

from digest.collect import CollectMemo
from digest.jsonfile import save_json
from digest.sourcedigest import source_digest

_RELATED_CODE = ("related.py", "collect.py", "models.py")


def cache_path(root: Path) -> Path:
    return root / ".cache" / "related.json"


def load_collect_memo(root: Path) -> CollectMemo:
    """A memo holding the related articles the last build found, if its file is there and was
    written by this code."""
    memo = CollectMemo()
    try:
        data = json.loads(cache_path(root).read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("version") == source_digest(_RELATED_CODE):
            memo.related = (str(data["key"]), {str(slug): tuple(str(other) for other in others)
                                               for slug, others in data["related"].items()})
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        pass  # found again
    return memo


def save_collect_memo(root: Path, memo: CollectMemo, loaded: str | None) -> None:
    """Record what this build found, unless it is what was loaded (``loaded``: its key)."""
    if memo.related is None or memo.related[0] == loaded:
        return
    key, related = memo.related
    save_json(cache_path(root), {"version": source_digest(_RELATED_CODE), "key": key,
                                 "related": {slug: list(others) for slug, others in sorted(related.items())}})
