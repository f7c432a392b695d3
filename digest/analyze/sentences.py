"""An article's body as a list of candidate sentences, with where each came from."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from digest.analyze.text import content_terms, split_sentences
from digest.models import Block


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    position: int
    """Index among the article's sentences, from 0."""
    terms: tuple[str, ...]
    """Stemmed content words, for similarity."""


MAX_SENTENCE_CHARS = 600
"""Real sentences are far shorter; a longer run (a scraped line with no full stop) is cut."""


def _joins_previous(ch: str) -> bool:
    return bool(unicodedata.combining(ch)) or ch in "\u200d\ufe0e\ufe0f"


def bounded(text: str, limit: int = MAX_SENTENCE_CHARS) -> str:
    """``text`` cut to ``limit`` characters at a word, never inside a character's cluster, with '…'."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    # Never end inside a cluster: a mark, joiner or selector is dropped with the character it joins.
    if len(text) > len(cut) and _joins_previous(text[len(cut)]):
        cut = cut[:-1]
    while cut and _joins_previous(cut[-1]):
        cut = cut[:-2]
    return cut.rstrip(" ,;:") + "…"


def article_sentences(blocks: tuple[Block, ...]) -> list[Sentence]:
    """Sentences of the body text: headings and captions are not prose and are left out."""
    result: list[Sentence] = []
    for block in blocks:
        if block.kind not in ("paragraph", "list_item", "blockquote"):
            continue
        for text in split_sentences(block.text):
            short = bounded(text)
            result.append(Sentence(short, len(result), tuple(content_terms(short))))
    return result
