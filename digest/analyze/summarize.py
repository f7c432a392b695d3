"""Extractive summaries: sentences ranked by centrality with a position prior, in document order.

Strategies are plain functions looked up by name (``analysis.summarizer`` in config.yaml).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache
from itertools import chain
from typing import Protocol

from digest.analyze.sentences import Sentence
from digest.analyze.text import words

# A sentence starting like this leans on the one before it and reads badly alone.
_DANGLING_START = re.compile(
    r"^(?:he|she|it|they|this|that|these|those|but|and|or|so|also|however|meanwhile|instead|"
    r"then|yet|still|such|there)\b",
    re.IGNORECASE,
)
_DATELINE = re.compile(r"^[A-Z][A-Z .,'-]{2,40}(?:\(\w+\))?\s*[-—–]")


def cosine(a: Mapping[str, float], b: Mapping[str, float], norm_a: float, norm_b: float) -> float:
    if not norm_a or not norm_b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    # Floats are summed from lists, not generators, here and in topics.py: compiled (digest/compiled.py),
    # a generator's sum() is a plain loop, where Python 3.12's sum() of floats compensates rounding.
    return sum([count * b[term] for term, count in a.items() if term in b]) / (norm_a * norm_b)


def _vectors(sentences: Sequence[Sentence]) -> tuple[Sequence[Mapping[str, float]], Sequence[float]]:
    """TF-IDF vectors of the sentences (terms in order of first use) and their norms."""
    return _term_vectors(tuple(sentence.terms for sentence in sentences))


@lru_cache(maxsize=16)
def _term_vectors(
    terms: tuple[tuple[str, ...], ...],
) -> tuple[tuple[Mapping[str, float], ...], tuple[float, ...]]:
    # Remembered: the centrality and the selection of one summary both read the same sentences.
    document_frequency = Counter(chain.from_iterable(map(set, terms)))
    total = len(terms)
    weight = {term: math.log(1 + total / count) for term, count in document_frequency.items()}
    # A sentence has a dozen terms, so tuple.count() beats building a Counter for each.
    vectors = tuple(
        {term: sentence.count(term) * weight[term] for term in dict.fromkeys(sentence)} for sentence in terms
    )
    norms = tuple(math.sqrt(sum([value * value for value in vector.values()])) for vector in vectors)
    return vectors, norms


MAX_RANKED_SENTENCES = 200
"""Centrality is quadratic in sentences: past this many, later sentences rank by position only."""


CENTRALITY_DECIMALS = 12
"""Centrality is rounded to this many decimals: the matrix library adds the same numbers in another
order for each copy of a sentence (and may from one machine or version to the next), and a
last-bit difference would reorder sentences that tie, which is common (copies, sentences sharing
no terms). Two values an ulp apart can still round apart when they straddle a rounding boundary:
that is rare (none in 3,000 seeded cases of tripled sentences), not impossible."""


def centrality(sentences: Sequence[Sentence]) -> list[float]:
    """TextRank over TF-IDF cosine similarity; scores sum to 1 over the ranked sentences."""
    count = min(len(sentences), MAX_RANKED_SENTENCES)
    if count == 0:
        return [0.0] * len(sentences)
    # Imported here: the cached build reads this module (collect's ``cosine``) but never ranks.
    from digest.analyze.arrays import np

    vectors, norms = _vectors(sentences[:count])
    # Matrix arithmetic rather than loops over sentence pairs and iterations: ~3x faster on a news
    # article's ~50 sentences, and the same scores as the pairwise loop it replaced to ~1e-16 (before
    # the rounding below).
    columns: dict[str, int] = {}
    rows: list[int] = []
    places: list[int] = []
    weights: list[float] = []
    for row, (vector, norm) in enumerate(zip(vectors, norms, strict=True)):
        if norm:  # a sentence with no content terms is similar to nothing
            for term, weight in vector.items():
                rows.append(row)
                places.append(columns.setdefault(term, len(columns)))
                weights.append(weight / norm)
    unit = np.zeros((count, len(columns)))
    unit[rows, places] = weights
    similarity = unit @ unit.T  # cosine: every value is >= 0, as every weight is
    np.fill_diagonal(similarity, 0.0)
    out_sums = similarity.sum(axis=0)
    out_sums[out_sums == 0] = 1.0  # a sentence similar to nothing passes nothing on
    # transition[i, j]: the share of sentence j's score that goes to sentence i.
    transition = similarity / out_sums
    scores = np.full(count, 1.0 / count)
    damping = 0.85
    teleport = (1 - damping) / count
    for _ in range(50):
        new = transition @ scores
        new *= damping
        new += teleport
        new /= new.sum()  # > 0: every score gets the teleport share
        delta = float(np.abs(new - scores).sum())
        scores = new
        if delta < 1e-6:
            break
    ranked: list[float] = scores.round(CENTRALITY_DECIMALS).tolist()
    return ranked + [0.0] * (len(sentences) - count)


@lru_cache(maxsize=8192)
def standalone_factor(text: str) -> float:
    """Penalty for sentences that cannot stand alone in a summary.

    Remembered: each sentence is ranked twice, for the topic digest and for the summary's budget."""
    factor = 1.0
    word_count = len(words(text))
    if _DANGLING_START.match(text):
        factor *= 0.55
    if word_count < 6:
        factor *= 0.3
    elif word_count > 55:
        factor *= 0.6
    if text.endswith("?"):
        factor *= 0.6
    quote_marks = text.count('"') + text.count("“") + text.count("”")
    if quote_marks % 2 == 1:  # a fragment of a quotation that spans sentences
        factor *= 0.4
    if _DATELINE.match(text):
        factor *= 0.8
    return factor


LEAD_WEIGHT = 0.8
"""Weight of the lead prior against centrality (0.6) when the summary is a small part of the article."""
CENTRALITY_WEIGHT = 0.6
MIN_LEAD_WORDS = 3
"""A first sentence this short is a scraped fragment ("• Updated"), not a lead: it is penalised."""


def budget_share(sentences: Sequence[Sentence], max_sentences: int, max_words: int | None) -> float:
    """How much of the article a summary of this budget covers, from 0 to 1: its words (or sentences,
    without a word budget) over the article's."""
    if not sentences:
        return 0.0
    if max_words is not None:
        total = sum(len(sentence.text.split()) for sentence in sentences)
        return min(1.0, max_words / total) if total else 1.0
    return min(1.0, max(0, max_sentences) / len(sentences))


def rank_sentences(
    sentences: Sequence[Sentence],
    title: str = "",
    share: float = 0.0,
    central: Sequence[float] | None = None,
) -> list[float]:
    """Score each sentence: centrality, a prior for the lead, and standalone penalties.

    ``share`` is the part of the article the summary will cover (``budget_share``). A short summary
    (a headline's worth, share near 0) should be the lead, and every sentence in it must stand alone.
    A long one (half the article) takes what is central wherever it is, and the sentence a dependent
    one leans on is likely in it too. So with ``context = 1 - share`` the lead prior weighs
    ``LEAD_WEIGHT * context**2`` and each standalone penalty ``f`` becomes ``f ** context**4``. The
    first sentence is not penalised (nothing comes before it to lean on, and a news lead is written to
    open the story) unless it is a fragment of under MIN_LEAD_WORDS words ("• Updated"). ``central`` is
    ``centrality(sentences)`` when the caller already has it.
    """
    if not sentences:
        return []
    scores_central = list(central) if central is not None else centrality(sentences)
    top = max(scores_central) or 1.0
    context = 1.0 - min(1.0, max(0.0, share))
    lead_weight = LEAD_WEIGHT * context**2
    strictness = context**4
    title_words = words(title)
    scores: list[float] = []
    for sentence, score in zip(sentences, scores_central, strict=True):
        sentence_words = words(sentence.text)
        if title_words and sentence_words == title_words:
            scores.append(0.0)  # never repeat the title
            continue
        position_prior = 1.0 / math.sqrt(1 + sentence.position)
        if sentence.position == 0 and len(sentence_words) >= MIN_LEAD_WORDS:
            factor = 1.0
        else:
            factor = standalone_factor(sentence.text) ** strictness
        scores.append((CENTRALITY_WEIGHT * score / top + lead_weight * position_prior) * factor)
    return scores


def repeats_title(text: str, title: str) -> bool:
    """True when a sentence is the title again (scraped bodies often open with it)."""
    title_words = words(title)
    return bool(title_words) and words(text) == title_words


def is_redundant(
    index: int, chosen: Sequence[int], vectors: Sequence[Mapping[str, float]], norms: Sequence[float]
) -> bool:
    """True when a sentence mostly repeats one already chosen, or all of them together."""
    if not chosen:
        return False
    if any(cosine(vectors[index], vectors[j], norms[index], norms[j]) > 0.45 for j in chosen):
        return True
    union: dict[str, float] = {}
    for j in chosen:
        for term, weight in vectors[j].items():
            union[term] = weight + union.get(term, 0.0)
    union_norm = math.sqrt(sum([v * v for v in union.values()]))
    return cosine(vectors[index], union, norms[index], union_norm) > 0.55


def select(
    sentences: Sequence[Sentence],
    scores: Sequence[float],
    max_sentences: int,
    max_words: int | None,
) -> list[Sentence]:
    """Best sentences within the budget, near-repeats skipped, returned in document order."""
    if max_sentences <= 0 and max_words is None:
        return []
    order = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    vectors, norms = _vectors(sentences)
    chosen: list[int] = []
    seen: set[tuple[str, ...]] = set()
    used_words = 0
    for index in order:
        if scores[index] <= 0:
            continue
        # The same words twice are redundant even when they carry no content terms to compare.
        key = tuple(words(sentences[index].text))
        if key in seen or is_redundant(index, chosen, vectors, norms):
            continue
        length = len(sentences[index].text.split())
        if max_words is not None:
            if used_words + length > max_words and chosen:
                continue
            chosen.append(index)
            seen.add(key)
            used_words += length
            if used_words >= max_words:
                break
        else:
            chosen.append(index)
            seen.add(key)
            if len(chosen) >= max_sentences:
                break
    return [sentences[i] for i in sorted(chosen)]


def textrank(
    sentences: Sequence[Sentence],
    title: str,
    max_sentences: int,
    max_words: int | None,
    central: Sequence[float] | None = None,
) -> list[str]:
    """Centrality (TextRank over TF-IDF cosine) with a lead prior and standalone penalties, both
    weighed by how much of the article the budget covers (see ``rank_sentences``).

    ``central`` is ``centrality(sentences)`` when the caller already has it.
    """
    share = budget_share(sentences, max_sentences, max_words)
    scores = rank_sentences(sentences, title, share, central)
    return [sentence.text for sentence in select(sentences, scores, max_sentences, max_words)]


def lead(
    sentences: Sequence[Sentence],
    title: str,
    max_sentences: int,
    max_words: int | None,
    central: Sequence[float] | None = None,
) -> list[str]:
    """The first sentences: the baseline every summary must beat. ``central`` is not used."""
    scores = [0.0 if repeats_title(s.text, title) else 1.0 / (1 + s.position) for s in sentences]
    return [sentence.text for sentence in select(sentences, scores, max_sentences, max_words)]


class Summarizer(Protocol):
    """A summary strategy: sentences in, the chosen ones out, in document order."""

    def __call__(
        self,
        sentences: Sequence[Sentence],
        title: str,
        max_sentences: int,
        max_words: int | None,
        central: Sequence[float] | None = None,
    ) -> list[str]: ...


SUMMARIZERS: dict[str, Summarizer] = {"textrank": textrank, "lead": lead}
"""Implements digest.config.SUMMARIZER_NAMES, the names a config may choose."""
