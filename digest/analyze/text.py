"""Sentences and words: one splitter and one tokenizer that every analysis reads."""

from __future__ import annotations

import re
from functools import lru_cache


def word_set(text: str) -> frozenset[str]:
    """A set of words written as one spaced string, easier to read and extend than a list."""
    return frozenset(text.split())


# Words that end in a full stop without ending a sentence.
ABBREVIATIONS = word_set(
    """
    mr mrs ms dr prof st sr jr gen col lt sgt capt cmdr adm gov sen rep rev hon pres no nos vs etc
    inc ltd co corp dept univ est approx fig al op ed vol pp p jan feb mar apr jun jul aug sep sept
    oct nov dec mon tue wed thu fri sat sun u.s u.k u.n e.u u.s.a d.c a.m p.m e.g i.e ph.d b.a m.a
    """
)
# After "8 p.m." a time zone or a lower-case word continues the sentence.
_TIME_ZONES = word_set("et est edt pt pst pdt ct cst gmt bst utc cet cest msk local")
OPENING_QUOTES = "\"“«„「『"
CLOSING_QUOTES = "\"”»“」』"
_BOUNDARY = re.compile(r"([.!?…]+|[。！？]+)([\"”’'»」』)\]]*)(\s+|$)|([。！？]+[」』”]?)")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

STOPWORDS = word_set(
    """
    a about above after again against all almost also although am among an and another any are
    aren't around as at be became because become been before being below between both but by can
    cannot could couldn't did didn't do does doesn't doing don't down during each either else even
    ever every few for from further had hadn't has hasn't have haven't having he he'd he'll he's her
    here here's hers herself him himself his how how's however i i'd i'll i'm i've if in into is
    isn't it it's its itself just last least less let's like made make many may me might more most
    much must mustn't my myself near neither never new next no nor not now of off often on once one
    only or other others ought our ours ourselves out over own per perhaps put quite rather really
    said same say says see seen several shall shan't she she'd she'll she's should shouldn't since
    so some still such than that that's the their theirs them themselves then there there's these
    they they'd they'll they're they've this those though three through thus to told too two under
    until up upon us very via was wasn't we we'd we'll we're we've were weren't what what's when
    when's where where's whether which while who who's whom whose why why's will with within without
    won't would wouldn't yet you you'd you'll you're you've your yours yourself yourselves according
    already always among amid away back get got go going good great just know later like lot many mr
    mrs ms new news now people really since take told took use used well went year years time times
    day days week weeks first second
    """
)


def _abbreviation_before(text: str, end: int) -> str:
    """The word (with inner dots) that ends just before position ``end`` (a full stop)."""
    start = end
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "."):
        start -= 1
    return text[start:end].lower()


def _inside_quote(text: str, position: int) -> bool:
    """True when ``position`` is inside a quotation that closes later in the same text."""
    straight_before = text.count('"', 0, position)
    if straight_before % 2 == 1 and '"' in text[position:]:
        return True
    opened = sum(text.count(mark, 0, position) for mark in "“«„「『")
    closed = sum(text.count(mark, 0, position) for mark in "”»」』")
    if opened > closed:
        return any(mark in text[position:] for mark in "”»“」』")
    return False


def split_sentences(text: str) -> list[str]:
    """Split one paragraph into sentences, keeping quotations and abbreviations whole."""
    text = " ".join(text.split()) if "\n" in text or "  " in text else text.strip()
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.group(4):  # CJK full stop: always a boundary
            end = match.end()
        else:
            end = match.end(2)
            after = text[match.end() : match.end() + 12]
            if not after:
                continue
            if not (after[0].isupper() or after[0].isdigit() or after[0] in OPENING_QUOTES + "'‘(["):
                continue
            marks = match.group(1)
            if marks == ".":
                word = _abbreviation_before(text, match.start(1))
                bare = word.rstrip(".")
                if bare in ABBREVIATIONS or (len(bare) == 1 and bare.isalpha()):
                    first = re.match(r"[^\W\d_]+", after)
                    next_word = first.group(0).lower() if first else ""
                    if bare not in ("a.m", "p.m") or next_word in _TIME_ZONES:
                        continue
            if _inside_quote(text, match.start(1)) and not match.group(2):
                continue
        sentence = text[start:end].strip()
        if sentence:
            sentences.append(sentence)
        start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def words(text: str) -> list[str]:
    """Lower-case word tokens, apostrophes kept inside words ("they're")."""
    return [match.group(0).lower().replace("’", "'") for match in _WORD.finditer(text)]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'missiles' with 'missile' and 'fighting' with 'fight'."""
    if len(word) <= 4 or not word.isascii():
        return word
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("edly", ""), ("ed", ""), ("ly", ""),
                         ("es", "e"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: len(word) - len(suffix)] + keep
    return word


def content_terms(text: str) -> list[str]:
    """Stemmed words that carry meaning: no stop words, no numbers."""
    return [stem(word) for word in words(text) if word not in STOPWORDS and not word.isdigit() and len(word) > 1]
