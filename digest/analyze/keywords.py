"""Keywords: the words and names an article is about, by frequency, spread and prominence."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from digest.analyze.text import STOPWORDS, stem, words
from digest.models import Block

_PROPER_RUN = re.compile(r"(?<![\w'’])[A-Z][\w'’-]+(?:[ ][A-Z][\w'’-]+){1,3}")


def keywords(title: str, blocks: Sequence[Block], limit: int = 8) -> list[str]:
    """Top terms, shown in the form the article uses most (``Kyiv``, ``missile``)."""
    if limit <= 0:
        return []
    texts = [block.text for block in blocks if block.kind != "caption"]
    score: dict[str, float] = defaultdict(float)
    surface: dict[str, Counter[str]] = defaultdict(Counter)
    first_seen: dict[str, int] = {}
    position = 0
    for text in [title, *texts]:
        boost = 2.0 if text is title else 1.0
        for match in re.finditer(r"[^\W_]+(?:['’][^\W_]+)*", text):
            word = match.group(0)
            lower = word.lower().replace("’", "'")
            if lower in STOPWORDS or lower.isdigit() or len(lower) < 3:
                continue
            if lower.endswith(("'s", "’s")):
                lower, word = lower[:-2], word[:-2]
            key = stem(lower)
            score[key] += boost
            surface[key][word if word[:1].isupper() and not word.isupper() else lower] += 1
            first_seen.setdefault(key, position)
            position += 1
    total = max(position, 1)
    ranked: dict[str, float] = {}
    for key, count in score.items():
        if count < 2 and total > 40:
            continue
        early = 1.0 + 0.5 * (1 - first_seen[key] / total)
        ranked[key] = math.log(1 + count) * early
    best = sorted(ranked, key=lambda key: (-ranked[key], key))[:limit]
    return [surface[key].most_common(1)[0][0] for key in best]


def keyword_terms(text: str) -> set[str]:
    return {stem(word) for word in words(text) if word not in STOPWORDS}
