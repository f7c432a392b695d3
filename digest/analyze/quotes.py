"""Pull-quotes: direct quotations, their speaker resolved to the fullest name the article gives."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from digest.analyze.text import QuoteSpan, quote_spans, split_sentences, word_set, words
from digest.models import Block, Quote

MAX_QUOTE_CHARS = 600
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
    rf"|(?:{_SPEECH_VERBS})\s+(?P<name2>{_NAME})"
    rf"|according\s+to\s+(?P<name3>{_NAME}))"
)
_BEFORE = re.compile(
    rf"(?:(?P<name>{_NAME})\s+(?:{_SPEECH_VERBS})|[Aa]ccording\s+to\s+(?P<name3>{_NAME}))\s*[,:]?\s*$"
)


def _name_tokens(tokens: Sequence[str]) -> list[str]:
    """What follows the last title or possessive: "Ukraine's President Volodymyr Zelensky" -> the name."""
    cut = 0
    for index, token in enumerate(tokens):
        if token.lower().strip(".") in _TITLES or token.endswith(("'s", "’s")):
            cut = index + 1
    return [token for token in tokens[cut:] if token.lower() not in _NOT_NAMES]


def person_names(text: str) -> list[str]:
    """Capitalised word runs that look like people's names, titles and possessives removed."""
    names: list[str] = []
    for match in re.finditer(_NAME, text):
        tokens = _name_tokens(match.group(0).split())
        if tokens:
            names.append(" ".join(tokens).rstrip(".,"))
    return names


@lru_cache(maxsize=32)
def _role_holders(role: str, text: str) -> frozenset[str]:
    """Everyone the text calls by a role ("President ..."); cached: one scan per article and role."""
    holders = {
        " ".join(t for t in m.group(1).split() if t.lower() not in _NOT_NAMES)
        for m in re.finditer(rf"\b{role.capitalize()}\s+({_NAME})", text)
    }
    return frozenset(holder for holder in holders if holder)


def resolve_speaker(raw: str | None, names: Sequence[str], text: str) -> str | None:
    """'Zelensky' -> 'Volodymyr Zelensky'; 'the president' -> the one person called President."""
    if not raw:
        return None
    raw = raw.strip().rstrip(".,")
    if raw.lower().startswith("the "):
        holders = _role_holders(raw.split()[-1].lower(), text)
        if len(holders) != 1:
            return None
        raw = next(iter(holders))
    # Titles and possessives are not part of the name ("said Ukraine's President Volodymyr Zelensky").
    tokens = _name_tokens(raw.split())
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
    """One to four words: 'heroes', 'target number one'. Such quotes are never pull-quotes."""
    return len(words(text)) < 5


def _named_speaker(paragraph: str, span: QuoteSpan, last_speaker: str | None) -> str | None:
    """The speaker as the text around a quotation names them: 'Zelensky said', 'said Marc Toutai'."""
    after = _AFTER.match(paragraph[span.end : span.end + 120])
    if after:
        if after.group("pronoun"):
            return last_speaker if after.group("pronoun").lower() in _PRONOUNS else None
        return after.group("name1") or after.group("name2") or after.group("name3") or after.group("role1")
    before = _BEFORE.search(paragraph[max(0, span.start - 120) : span.start])
    if before:
        raw = before.group("name") or before.group("name3")
        return last_speaker if raw and raw.lower() in _PRONOUNS else raw  # 'He said: "..."'
    return None


def find_quotes(blocks: Sequence[Block]) -> list[Quote]:
    """Every direct quotation of five words or more, with its speaker where the text names one."""
    prose = [block.text for block in blocks if block.kind in ("paragraph", "blockquote", "list_item")]
    full_text = "\n".join(prose)
    names = list(dict.fromkeys(person_names(full_text)))  # each name once: speakers are resolved per quote
    quotes: list[Quote] = []
    last_speaker: str | None = None
    for paragraph in prose:
        covered = 0
        previous: QuoteSpan | None = None
        run: list[int] = []  # indexes in ``quotes`` of one quotation running on over joined paragraphs
        for span in quote_spans(paragraph):
            if span.start < covered:
                continue  # a quotation inside a longer one: part of that one's text
            covered = span.end
            runs_on = previous is not None and not previous.closed and not paragraph[previous.end : span.start].strip()
            previous = span
            if not runs_on:
                run = []
            inner_start, inner_end = span.inner
            inner = paragraph[inner_start:inner_end]
            if is_scare_quote(inner) or len(inner) > MAX_QUOTE_CHARS:
                run = []
                continue
            speaker = resolve_speaker(_named_speaker(paragraph, span, last_speaker), names, full_text)
            if speaker and speaker.split()[0].lower() in _NOT_NAMES:
                speaker = None
            # The parts of a quotation running on are one person's words: share the name given once.
            if speaker is None and run:
                speaker = quotes[run[-1]].speaker
            elif speaker is not None:
                for index in run:
                    if quotes[index].speaker is None:
                        quotes[index] = Quote(quotes[index].text, speaker)
            if speaker:
                last_speaker = speaker
            run.append(len(quotes))
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
