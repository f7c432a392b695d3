"""Slugs: URL- and file-system-safe names made from titles, never a path, never empty."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_SLUG_BYTES = 64
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def slugify(text: str, fallback: str = "article") -> str:
    """``"Kyiv Under Attack!"`` -> ``"kyiv-under-attack"``; Unicode letters kept when not foldable."""
    text = unicodedata.normalize("NFC", text)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    # Fold to ASCII only when that keeps most of the letters; otherwise keep the script.
    letters = sum(ch.isalnum() for ch in text)
    base = folded if letters and sum(ch.isalnum() for ch in folded) * 2 >= letters else text
    words = [word for word in _NOT_WORD.split(base.lower().replace("_", " ")) if word]
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate.encode("utf-8")) > MAX_SLUG_BYTES:
            if not slug:  # one very long word: cut it on a character boundary
                slug = candidate.encode("utf-8")[:MAX_SLUG_BYTES].decode("utf-8", "ignore")
            break
        slug = candidate
    slug = "".join(ch for ch in slug if unicodedata.category(ch)[0] in "LNP" and ch not in "/\\.")
    slug = slug.strip("-")
    if not slug:
        return fallback
    if slug in _WINDOWS_RESERVED:
        slug = f"{slug}-page"
    return slug


def unique_slugs(wanted: Iterable[str]) -> list[str]:
    """Give repeated slugs deterministic ``-2``, ``-3`` suffixes, in the order given.

    Comparison ignores case, so a site checks out cleanly on case-insensitive file systems.
    """
    taken: set[str] = set()
    result: list[str] = []
    for slug in wanted:
        candidate, number = slug, 2
        while candidate.casefold() in taken:
            candidate = f"{slug}-{number}"
            number += 1
        taken.add(candidate.casefold())
        result.append(candidate)
    return result
