"""Sentences and words: one splitter and one tokenizer that every analysis reads."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

_python_lower: Callable[[str], str] = str.lower


def lower(text: str) -> str:
    """``text.lower()`` as Python does it. Compiled by mypyc (``digest/compiled.py``), ``lower()`` on
    text that is not ASCII misses Unicode's final-sigma rule ("ΣΟΦΟΣ" gives "σοφοσ", not "σοφος"):
    there the method is called as an object, which is Python's own."""
    return text.lower() if text.isascii() else _python_lower(text)


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
# Abbreviations that often close a sentence ("... moved to the U.S. He ..."): after them a
# capitalised pronoun or article starts a new sentence, where a name ("U.S. Army") would not.
_SENTENCE_FINAL = word_set("u.s u.k u.n e.u u.s.a d.c etc inc ltd co corp jr sr")
_SENTENCE_STARTERS = word_set("the a an he she it they we this that these those there his her its their our but")
# After "8 p.m." a time zone, a weekday or a lower-case word continues the sentence ("8 p.m. Friday").
_AFTER_TIME = word_set(
    """
    et est edt pt pst pdt ct cst gmt bst utc cet cest msk local eastern pacific central mountain
    monday tuesday wednesday thursday friday saturday sunday
    """
)
OPENING_QUOTES = "\"“«„「『"
_BOUNDARY = re.compile(r"([.!?…؟।]+|[。！？]+)([\"”“’'»」』)\]]*)(\s+|$)|([。！？]+[」』”]?)")
_BOUNDARY_START = re.compile(r"[.!?…؟।。！？]")
"""Where a match of _BOUNDARY can begin."""
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_QUOTE_MARK = re.compile(r"[\"“”«»„「」『』]")
# Which closing marks end a quotation opened by each mark ("„" closes with "“" in German).
_CLOSERS = {'"': '"', "“": "”", "„": "“”", "«": "»", "「": "」", "『": "』"}
_LETTERS = re.compile(r"[^\W\d_]+")
_FEET_INCHES = re.compile(r"\d['’]\d{1,2}$")
# Joined initials ("A.J. Pero", "J.R.R. Tolkien"): like "U.S.", they end a sentence only before a
# capitalised pronoun or article, or a quotation.
_INITIALS = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")

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


_ALNUM = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
"""What a word pattern's letter class (not \\W, not _) matches in ASCII text."""


def spaces_but(keep: bytes) -> bytes:
    """A ``bytes.translate`` table that keeps the bytes of ``keep`` and makes every other one a space."""
    return bytes([code if code in keep else 0x20 for code in range(256)])


_NOT_ASCII = bytes(range(128, 256))
"""The bytes of UTF-8 that encode characters beyond ASCII: kept by the tables, so the text after
``translate`` is still UTF-8, each such character whole."""
ALNUM_RUNS = spaces_but(_ALNUM + _NOT_ASCII)
"""For ``runs_matched`` with a pattern of letters and digits alone (``dedup._WORD``)."""
_WORD_RUNS = spaces_but(_ALNUM + b"'" + _NOT_ASCII)


def split_runs(text: str, table: bytes) -> list[str]:
    """``text`` split wherever ``table`` (from ``spaces_but``) makes an ASCII character a space, and at
    every other space: all in C (encoded as UTF-8, ``bytes.translate``, ``str.split``)."""
    if text.isascii():
        return text.encode("ascii").translate(table).decode("ascii").split()
    return text.encode("utf-8", "surrogatepass").translate(table).decode("utf-8", "surrogatepass").split()


def runs_matched(text: str, table: bytes, pattern: re.Pattern[str]) -> list[str]:
    """``pattern.findall(text)``, at a third of the time, for a pattern whose matches hold no space
    and no ASCII character but those ``table`` keeps (letters and digits, perhaps an apostrophe):
    the text is first split there (``split_runs``), and a run of ASCII letters and digits is one
    whole match. The pattern reads only the other runs (an apostrophe, which ``_WORD`` drops where it
    joins no letters, as in "'quoted'"; a letter or a mark beyond ASCII)."""
    runs = split_runs(text, table)
    if text.isascii() and ("'" not in text or table[0x27] == 0x20):
        return runs  # every run is ASCII letters and digits alone
    found: list[str] = []
    for run in runs:
        if run.isascii() and run.isalnum():
            found.append(run)
        else:
            found.extend(pattern.findall(run))
    return found


def word_matches(text: str) -> list[str]:
    """``_WORD.findall(text)``, by ``runs_matched``."""
    return runs_matched(text, _WORD_RUNS, _WORD)


def word_starts(text: str, found: list[str]) -> list[int]:
    """Where each of ``found`` (``word_matches(text)``) starts in ``text``: the first place at or
    after the previous word's end. Nothing between two matches can begin a word (a match begins at
    any letter or digit), so that is where the pattern matched."""
    starts: list[int] = []
    end = 0
    for word in found:
        start = text.find(word, end)
        starts.append(start)
        end = start + len(word)
    return starts


def marks_table(marks: bytes) -> bytes:
    """A ``bytes.translate`` table that makes each byte of ``marks`` a 1 and every other byte a 0."""
    return bytes([1 if code in marks else 0 for code in range(256)])


def matches(pattern: re.Pattern[str], starts: re.Pattern[str], text: str,
            ascii_starts: bytes | None = None) -> Iterator[re.Match[str]]:
    """The matches of ``pattern.finditer(text)``, the pattern tried only where ``starts`` matches.

    The re module tries a pattern that opens with a group or an assertion at every position of the
    text; ``starts`` (one character, a plain class) is searched for in C, which skips the rest. It must
    match wherever a match of ``pattern`` can begin, and ``pattern`` must never match the empty string.

    ``ascii_starts``: ``marks_table`` of the ASCII characters ``starts`` matches. In ASCII text they
    are found with ``bytes.find``: ~10x faster than the re module's scan for a class holding a
    character beyond ASCII ("…"), which reads every character.
    """
    end = 0
    match = pattern.match
    if ascii_starts is not None and text.isascii():
        marked = text.encode("ascii").translate(ascii_starts)
        position = marked.find(1)
        while position >= 0:
            found = match(text, position)
            if found:
                end = found.end()
                yield found
            position = marked.find(1, max(end, position + 1))
        return
    for start in starts.finditer(text):
        position = start.start()
        if position >= end and (found := match(text, position)):
            end = found.end()
            yield found


_BOUNDARY_ASCII_STARTS = marks_table(b".!?")
"""What _BOUNDARY_START matches in ASCII text."""


def _abbreviation_before(text: str, end: int) -> str:
    """The word (with inner dots) that ends just before position ``end`` (a full stop)."""
    start = end
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "."):
        start -= 1
    return lower(text[start:end])


@dataclass(frozen=True, slots=True)
class QuoteSpan:
    """A quotation in a paragraph: from its opening mark to just past its closing mark."""

    start: int
    end: int
    closed: bool
    """False for a quotation left open at a sentence end because the next one opens: the
    convention for a quote running over paragraphs, once the paragraphs are joined."""

    @property
    def inner(self) -> tuple[int, int]:
        """Where the quoted words are, marks excluded."""
        return self.start + 1, self.end - 1 if self.closed else self.end


def _straight_role(text: str, index: int, pending: bool) -> str | None:
    """Whether the '"' at ``index`` opens or closes a quotation, from the characters around it."""
    before = text[index - 1] if index else " "
    after = text[index + 1] if index + 1 < len(text) else " "
    if before.isdigit() and _FEET_INCHES.search(text, max(0, index - 6), index):
        return None  # 5'11": a measurement, not a quotation mark
    opens = not after.isspace() and (before.isspace() or before in "([{—–-/:;,“‘«'")
    closes = not before.isspace() and (after.isspace() or after in ",.;:!?)]}…—–-'’\"")
    if opens and not closes:
        return "open"
    if closes and not opens:
        return "close"
    return "close" if pending else ("open" if opens else None)


def quote_spans(text: str, open_tail: bool = False) -> list[QuoteSpan]:
    """Quotations in ``text``, paired mark by mark in one pass; a mark left unpaired quotes nothing.

    Pairing by direction (rather than counting marks) keeps an unclosed quote, an inch mark or a
    German „…“ from turning everything up to some later, unrelated quotation into one quote.

    With ``open_tail``, a quotation still open when ``text`` ends, after a sentence end, is given too
    (``closed=False``, up to that end): the first paragraph of a quote running over paragraphs,
    which closes only in a later one. The caller decides whether the next paragraph carries it on.
    """
    return list(_quote_spans(text, open_tail))


@lru_cache(maxsize=4096)
def _quote_spans(text: str, open_tail: bool) -> tuple[QuoteSpan, ...]:
    # Remembered: the sentence splitter and the quote finder both read each paragraph's quotations.
    spans: list[QuoteSpan] = []
    pending: list[tuple[str, int]] = []  # opening marks not closed yet, innermost last
    for match in _QUOTE_MARK.finditer(text):
        mark, index = match.group(0), match.start()
        if mark == '"':
            role = _straight_role(text, index, any(opener == '"' for opener, _ in pending))
        elif mark == "“":
            role = "close" if any(opener == "„" for opener, _ in pending) else "open"
        else:
            role = "open" if mark in _CLOSERS else "close"
        if role == "open":
            same = [k for k, (opener, _) in enumerate(pending) if opener == mark]
            if same:
                # Quotation marks of one kind do not nest: the earlier one was never closed. When a
                # sentence ended just before this one, it is a quote running on (BBC style).
                head = index
                while head and text[head - 1].isspace():
                    head -= 1
                if head and text[head - 1] in ".!?…":
                    spans.append(QuoteSpan(pending[same[-1]][1], head, closed=False))
                del pending[same[-1] :]
            pending.append((mark, index))
        elif role == "close":
            matching = [k for k, (opener, _) in enumerate(pending) if mark in _CLOSERS[opener]]
            if matching:
                spans.append(QuoteSpan(pending[matching[-1]][1], index + 1, closed=True))
                del pending[matching[-1] :]
    if open_tail and pending:
        end = len(text.rstrip())
        tail = text[:end].rstrip("\"”’'»)")
        if tail.endswith((".", "!", "?", "…")) and pending[0][1] < end - 1:
            spans.append(QuoteSpan(pending[0][1], end, closed=False))
    return tuple(sorted(spans, key=lambda span: (span.start, -span.end)))


def _continues_after_abbreviation(abbreviation: str, after: str) -> bool:
    """True when the full stop of ``abbreviation`` does not end the sentence before ``after``."""
    words_after = _LETTERS.findall(after[:40])
    next_word = lower(words_after[0]) if words_after and after[:1].isalpha() else ""
    if abbreviation in ("a.m", "p.m"):
        # "8 p.m. ET", "9 a.m. Friday", "9 a.m. Moscow time"; otherwise a new sentence.
        return next_word in _AFTER_TIME or (len(words_after) > 1 and words_after[1] == "time")
    if abbreviation in _SENTENCE_FINAL or (abbreviation not in ABBREVIATIONS and _INITIALS.fullmatch(abbreviation)):
        return not (next_word in _SENTENCE_STARTERS or after[:1] in OPENING_QUOTES)
    return True


def split_sentences(text: str) -> list[str]:
    """Split one paragraph into sentences, keeping quotations and abbreviations whole."""
    text = " ".join(text.split()) if "\n" in text or "  " in text else text.strip()
    # Sentence ends inside these spans do not split: the quote goes on to close in this paragraph.
    # Outermost ones only, so they do not overlap and a binary search finds the one around a point.
    closed: list[QuoteSpan] = []
    for span in quote_spans(text):
        if span.closed and (not closed or span.start >= closed[-1].end):
            closed.append(span)
    starts = [span.start for span in closed]
    sentences: list[str] = []
    start = 0
    for match in matches(_BOUNDARY, _BOUNDARY_START, text, _BOUNDARY_ASCII_STARTS):
        if match.group(4):  # CJK full stop: a boundary unless inside a quotation
            end = match.end()
            if end < len(text) and text[end] == "と" and match.group(4)[-1] in "」』”":
                continue  # 「…？」と彼は言った: the quote is part of the sentence
            position = match.start(4)
        else:
            end = match.end(2)
            position = match.start(1)
            after = text[match.end() : match.end() + 40]
            if not after:
                continue
            first = after[0]
            # Scripts without capitals (Hebrew, Arabic, Devanagari ...) start sentences in any letter.
            caseless = first.isalpha() and not first.isupper() and not first.islower()
            if not (first.isupper() or first.isdigit() or caseless or first in OPENING_QUOTES + "'‘(["):
                continue
            if match.group(1) == ".":
                word = _abbreviation_before(text, match.start(1))
                bare = word.rstrip(".")
                initials = bare in ABBREVIATIONS or (len(bare) == 1 and bare.isalpha()) or _INITIALS.fullmatch(bare)
                if initials and _continues_after_abbreviation(
                    bare, after
                ):
                    continue
        around = bisect_left(starts, position) - 1  # the last quotation opened before this point
        if around >= 0 and end < closed[around].end:
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
    return list(_tokens(text))


@lru_cache(maxsize=8192)
def _tokens(text: str) -> tuple[str, ...]:
    # Remembered: the summary, the quotes and the keywords each tokenise the same sentences.
    if text.isascii():
        # Lower-casing ASCII keeps every character's class, so the whole text can be lowered first.
        return tuple(word_matches(text.lower()))
    # Elsewhere lower() can change what is a word ("İ" -> "i" + a combining dot): each word alone.
    return tuple(lower(word).replace("’", "'") for word in word_matches(text))


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
    return [term for term in map(_content_term, _tokens(text)) if term]


@lru_cache(maxsize=65536)
def _content_term(word: str) -> str:
    # One look-up per word instead of three tests and a stem; "" for a word that carries no meaning
    # (a stem is never empty).
    if word in STOPWORDS or word.isdigit() or len(word) <= 1:
        return ""
    return stem(word)
