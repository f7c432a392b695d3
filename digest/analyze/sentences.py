"""An article's body as a list of candidate sentences, with where each came from."""

from __future__ import annotations

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


def article_sentences(blocks: tuple[Block, ...]) -> list[Sentence]:
    """Sentences of the body text: headings and captions are not prose and are left out."""
    result: list[Sentence] = []
    for block in blocks:
        if block.kind not in ("paragraph", "list_item", "blockquote"):
            continue
        for text in split_sentences(block.text):
            result.append(Sentence(text, len(result), tuple(content_terms(text))))
    return result
