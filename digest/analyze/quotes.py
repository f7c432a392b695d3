"""Pull-quotes: direct quotations, their speaker resolved to the fullest name the article gives."""

from __future__ import annotations

import re
from collections.abc import Sequence

from digest.analyze.text import split_sentences, word_set, words
from digest.models import Block, Quote

MAX_QUOTE_CHARS = 600
_QUOTE_SPANS = re.compile(
    r'"(?P<a>[^"\n]{1,600}?)"|“(?P<b>[^”“\n]{1,600}?)”|«\s?(?P<c>[^»«\n]{1,600}?)\s?»|„(?P<d>[^“”„\n]{1,600}?)[“”]'
    r"|「(?P<e>[^」\n]{1,600}?)」"
)
_SPEECH_VERBS = (
    r"said|says|told|added|asked|stated|explained|warned|insisted|declared|noted|wrote|tweeted|"
    r"argued|claimed|replied|continued|remarked|announced|urged|admitted|vowed|recalled|concluded"
)
_NAME = r"(?:[A-Z][\w'’-]+|[A-Z]\.)(?:[ ](?:[A-Z][\w'’-]+|[A-Z]\.|de|van|von|bin|al)(?![\w'’-]))*"
_TITLES = word_set(
    """
    president minister prime secretary chancellor senator governor mayor general spokesman
    spokeswoman spokesperson chief director chairman ceo professor prof dr mr mrs ms sir lord lady
    king queen prince princess pope judge sheriff commissioner ambassador leader coach manager
    reporter correspondent editor analyst economist
    """
)
_PRONOUNS = frozenset(["he", "she", "they", "i", "we"])
_NOT_NAMES = word_set(
    """
    the a an in on at but and it this that these those then there he she they we i according however
    meanwhile monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december
    """
)
_AFTER = re.compile(
    rf"^\s*[,:]?\s*(?:(?P<pronoun>he|she|they|I|we)\s+(?:{_SPEECH_VERBS})\b"
    rf"|(?:(?P<role1>the\s+[a-z]+(?:\s+[a-z]+)?)\s+(?:{_SPEECH_VERBS})\b)"
    rf"|(?P<name1>{_NAME})\s+(?:{_SPEECH_VERBS})\b"
    rf"|(?:{_SPEECH_VERBS})\s+(?P<name2>{_NAME}))"
)
_BEFORE = re.compile(
    rf"(?:(?P<name>{_NAME})\s+(?:{_SPEECH_VERBS})|according\s+to\s+(?P<name3>{_NAME}))\s*[,:]?\s*$"
)


def person_names(text: str) -> list[str]:
    """Capitalised word runs that look like people's names, titles and possessives removed."""
    names: list[str] = []
    for match in re.finditer(_NAME, text):
        tokens = match.group(0).split()
        # Keep what follows the last title or possessive: "Ukraine's President Volodymyr Zelensky".
        cut = 0
        for index, token in enumerate(tokens):
            if token.lower().strip(".") in _TITLES or token.endswith(("'s", "’s")):
                cut = index + 1
        tokens = [token for token in tokens[cut:] if token.lower() not in _NOT_NAMES]
        if tokens:
            names.append(" ".join(tokens).rstrip(".,"))
    return names


def resolve_speaker(raw: str | None, names: Sequence[str], text: str) -> str | None:
    """'Zelensky' -> 'Volodymyr Zelensky'; 'the president' -> the one person called President."""
    if not raw:
        return None
    raw = raw.strip().rstrip(".,")
    if raw.lower().startswith("the "):
        role = raw.split()[-1].lower()
        holders = {
            " ".join(t for t in m.group(1).split() if t.lower() not in _NOT_NAMES)
            for m in re.finditer(rf"\b{role.capitalize()}\s+({_NAME})", text)
        }
        holders = {h for h in holders if h}
        if len(holders) == 1:
            raw = holders.pop()
        else:
            return None
    tokens = [t for t in raw.split() if t.lower().strip(".") not in _TITLES]
    if not tokens:
        return None
    surname = tokens[-1]
    fuller = [name for name in names if name.split()[-1] == surname and len(name.split()) > len(tokens)]
    if fuller:
        # The fullest form, and among equals the first the article gives.
        return max(fuller, key=lambda name: len(name.split()))
    return " ".join(tokens)


def _clean(text: str) -> str:
    text = " ".join(text.split()).strip()
    if text.endswith(","):
        text = text[:-1] + "."
    return text


def is_scare_quote(text: str) -> bool:
    """One to four words, or no sentence inside: 'heroes', 'target number one'."""
    return len(words(text)) < 5


def find_quotes(blocks: Sequence[Block]) -> list[Quote]:
    """Every direct quotation of five words or more, with its speaker where the text names one."""
    prose = [block.text for block in blocks if block.kind in ("paragraph", "blockquote", "list_item")]
    full_text = "\n".join(prose)
    names = person_names(full_text)
    quotes: list[Quote] = []
    last_speaker: str | None = None
    for paragraph in prose:
        for match in _QUOTE_SPANS.finditer(paragraph):
            inner = next(group for group in match.groups() if group is not None)
            if is_scare_quote(inner) or len(inner) > MAX_QUOTE_CHARS:
                continue
            raw_speaker: str | None = None
            after = _AFTER.match(paragraph[match.end() : match.end() + 120])
            before = _BEFORE.search(paragraph[max(0, match.start() - 120) : match.start()])
            if after:
                if after.group("pronoun"):
                    raw_speaker = last_speaker if after.group("pronoun").lower() in _PRONOUNS else None
                else:
                    raw_speaker = after.group("name1") or after.group("name2") or after.group("role1")
            elif before:
                raw_speaker = before.group("name") or before.group("name3")
            speaker = resolve_speaker(raw_speaker, names, full_text)
            if speaker and speaker.split()[0].lower() in _NOT_NAMES:
                speaker = None
            if speaker:
                last_speaker = speaker
            quotes.append(Quote(_clean(inner), speaker))
    return quotes


def pull_quote_score(quote: Quote) -> float:
    """Prefer complete, self-contained quotes of 8 to 40 words with a named speaker."""
    count = len(words(quote.text))
    score = 1.0
    if count < 8:
        score *= 0.4
    elif count > 40:
        score *= max(0.3, 40 / count)
    if quote.speaker:
        score *= 1.5
    if quote.text[:1].isupper():
        score *= 1.2
    if quote.text.endswith((".", "!", "?")):
        score *= 1.1
    return score


def shorten(quote: Quote, max_words: int = 40) -> Quote:
    """Cut a long quote at a sentence end so a pull-quote stays readable."""
    if len(words(quote.text)) <= max_words:
        return quote
    kept: list[str] = []
    for sentence in split_sentences(quote.text):
        if kept and len(words(" ".join([*kept, sentence]))) > max_words:
            break
        kept.append(sentence)
    return Quote(" ".join(kept), quote.speaker)


def pull_quotes(blocks: Sequence[Block], limit: int = 3) -> list[Quote]:
    """The best quotes of an article, best first."""
    quotes = find_quotes(blocks)
    ranked = sorted(range(len(quotes)), key=lambda i: (-pull_quote_score(quotes[i]), i))
    return [quotes[i] for i in ranked[:limit]]
