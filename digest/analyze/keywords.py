"""Keywords: the words and names an article is about, by frequency, spread and prominence."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from digest.analyze.text import STOPWORDS, stem
from digest.models import Block

_SENTENCE_OPENING = re.compile(r"(?:^|[.!?:\"“‘(]\s*)$")


MAX_KEYWORD_CHARS = 40


def keywords(title: str, blocks: Sequence[Block], limit: int = 8) -> list[str]:
    """Top terms, shown in the form the article uses most (``Kyiv``, ``missile``)."""
    if limit <= 0:
        return []
    texts = [block.text for block in blocks if block.kind != "caption"]
    score: dict[str, float] = defaultdict(float)
    surface: dict[str, Counter[str]] = defaultdict(Counter)
    first_seen: dict[str, int] = {}
    position = 0
    for index, text in enumerate([title, *texts]):
        in_title = index == 0
        boost = 2.0 if in_title else 1.0
        shouting = _mostly_capitals(text)
        for match in re.finditer(r"[^\W_]+(?:['’][^\W_]+)*", text):
            word = match.group(0)
            if len(word) > MAX_KEYWORD_CHARS:  # a run with no spaces is no keyword
                continue
            lower = word.lower().replace("’", "'")
            stopword = lower in STOPWORDS  # before the possessive goes: "let's" is one
            if lower.endswith("'s"):
                lower, word = lower[:-2], word[:-2]
            # An all-capitals word in ordinary text is an acronym (NATO, UK, LSE): keep its form,
            # and keep it even when it is short or spells a stop word ("US").
            acronym = not shouting and word.isupper() and 2 <= len(word) <= 5
            if not acronym and (stopword or lower in STOPWORDS or lower.isdigit() or len(lower) < 3):
                continue
            key = stem(lower)
            score[key] += boost
            form = word if acronym or (word[:1].isupper() and not word.isupper()) else lower
            # Capitals in a title (often Title Case) or opening a sentence are weak evidence of a name.
            weak = in_title or _SENTENCE_OPENING.search(text, max(0, match.start() - 4), match.start()) is not None
            surface[key][form] += 1 if weak and form != lower else 2
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


def _mostly_capitals(text: str) -> bool:
    """True for text in capitals throughout ("BREAKING NEWS"), where capitals mark no acronym."""
    letters = [char for char in text if char.isalpha()]
    return len(letters) >= 8 and sum(char.isupper() for char in letters) > 0.6 * len(letters)
