"""Keywords: the words and names an article is about, by frequency, spread and prominence."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from operator import itemgetter

from digest.analyze.text import STOPWORDS, lower, stem, word_matches, word_starts
from digest.models import Block

_SENTENCE_OPENING = re.compile(r"(?:^|[.!?:\"“‘(]\s*)$")
_ASCII_LETTERS = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("a"), ord("z") + 1))
_ASCII_CAPITALS = bytes(range(ord("A"), ord("Z") + 1))


MAX_KEYWORD_CHARS = 40


def keywords(title: str, blocks: Sequence[Block], limit: int = 8) -> list[str]:
    """Top terms, shown in the form the article uses most (``Kyiv``, ``missile``)."""
    if limit <= 0:
        return []
    texts = [block.text for block in blocks if block.kind != "caption"]
    score: dict[str, float] = {}
    # Plain dicts, not Counters: the most common form is found the way Counter.most_common(1) does.
    surface: dict[str, dict[str, int]] = {}
    first_seen: dict[str, int] = {}
    position = 0
    for index, text in enumerate([title, *texts]):
        in_title = index == 0
        boost = 2.0 if in_title else 1.0
        term_of = _shouted_term if _mostly_capitals(text) else _term
        found = word_matches(text)
        starts: list[int] | None = None  # found only for a capitalised word, once per text
        for number, word in enumerate(found):
            term = term_of(word)
            if term is None:
                continue
            key, form, lower = term
            score[key] = score.get(key, 0.0) + boost
            forms = surface.setdefault(key, {})
            if form == lower:
                forms[form] = forms.get(form, 0) + 2
            else:
                # Capitals in a title (often Title Case) or opening a sentence are weak evidence of a name.
                if starts is None:
                    starts = word_starts(text, found)
                start = starts[number]
                weak = in_title or _SENTENCE_OPENING.search(text, max(0, start - 4), start) is not None
                forms[form] = forms.get(form, 0) + (1 if weak else 2)
            if key not in first_seen:
                first_seen[key] = position
            position += 1
    total = max(position, 1)
    ranked: dict[str, float] = {}
    for key, count in score.items():
        if count < 2 and total > 40:
            continue
        early = 1.0 + 0.5 * (1 - first_seen[key] / total)
        ranked[key] = math.log(1 + count) * early
    best = sorted(ranked, key=lambda key: (-ranked[key], key))[:limit]
    return [max(surface[key].items(), key=itemgetter(1))[0] for key in best]


@lru_cache(maxsize=65536)
def _term(word: str) -> tuple[str, str, str] | None:
    """A word's stem, the form it is shown in and its lower case; None for a word that is no keyword.
    Remembered: an article repeats its words, and a site its vocabulary (one argument: a cache
    looked up by the word itself, not by a tuple made for each call)."""
    return _make_term(word, False)


@lru_cache(maxsize=4096)
def _shouted_term(word: str) -> tuple[str, str, str] | None:
    """``_term`` of a word in text written in capitals throughout ("BREAKING NEWS")."""
    return _make_term(word, True)


def _make_term(word: str, shouting: bool) -> tuple[str, str, str] | None:
    if len(word) > MAX_KEYWORD_CHARS:  # a run with no spaces is no keyword
        return None
    lowered = lower(word).replace("’", "'")
    stopword = lowered in STOPWORDS  # before the possessive goes: "let's" is one
    if lowered.endswith("'s"):
        lowered, word = lowered[:-2], word[:-2]
    # An all-capitals word in ordinary text is an acronym (NATO, UK, LSE): keep its form,
    # and keep it even when it is short or spells a stop word ("US").
    acronym = not shouting and word.isupper() and 2 <= len(word) <= 5
    if not acronym and (stopword or lowered in STOPWORDS or lowered.isdigit() or len(lowered) < 3):
        return None
    form = word if acronym or (word[:1].isupper() and not word.isupper()) else lowered
    return stem(lowered), form, lowered


def _mostly_capitals(text: str) -> bool:
    """True for text in capitals throughout ("BREAKING NEWS"), where capitals mark no acronym."""
    if text.isascii():
        # The same counts, by deleting bytes in C rather than testing characters one by one.
        data = text.encode("ascii")
        letters = len(data) - len(data.translate(None, _ASCII_LETTERS))
        capitals = len(data) - len(data.translate(None, _ASCII_CAPITALS))
        return letters >= 8 and capitals > 0.6 * letters
    alphabetic = [char for char in text if char.isalpha()]
    return len(alphabetic) >= 8 and sum(char.isupper() for char in alphabetic) > 0.6 * len(alphabetic)
