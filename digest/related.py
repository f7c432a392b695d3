"""Related articles: for each article, the others sharing its rarest keywords and its topics."""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from digest.models import AnalyzedArticle

RELATED_LIMIT = 4
TOPIC_WEIGHT = 0.5
"""A shared topic counts for less than a shared keyword: topics hold hundreds of articles."""


RelatedInputs = dict[str, tuple[tuple[str, ...], tuple[str, ...], float]]
"""Slug -> (keywords, topics, date as a timestamp): all ``related_articles`` reads of an article."""


def related_inputs(items: Sequence[AnalyzedArticle]) -> RelatedInputs:
    """What ``related_articles`` reads of each article, by slug."""
    return {item.article.slug: (tuple(item.analysis.keywords), tuple(item.analysis.topics), _timestamp(item))
            for item in items}


def _timestamp(item: AnalyzedArticle) -> float:
    return item.article.date.timestamp() if item.article.date else 0.0


def _common(count: int) -> int:
    """Articles a keyword may be in and still relate them: one in hundreds relates none."""
    return min(max(50, count // 10), 200)


def related_articles(
    items: Sequence[AnalyzedArticle], hidden: set[str], limit: int = RELATED_LIMIT,
    only: Collection[int] | None = None,
) -> dict[str, tuple[str, ...]]:
    """Slug -> up to ``limit`` related slugs, best first.

    A keyword counts by how rare it is (inverse document frequency); keywords most of the site
    shares are skipped, which keeps this close to linear in the number of articles. ``hidden``:
    slugs never offered (near-duplicates, already linked as the same story). Ties go to the
    article closest in date, then by slug, so the result does not depend on the input order.
    ``only``: the indices of the articles whose lists are wanted (all, by default).
    """
    count = len(items)
    postings: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        if item.article.slug not in hidden:
            for word in dict.fromkeys(item.analysis.keywords):
                postings[word].append(index)
    common = _common(count)
    weights = {word: math.log(1 + count / len(members)) for word, members in postings.items()
               if len(members) <= common}
    timestamps = [_timestamp(item) for item in items]
    topic_sets = [frozenset(item.analysis.topics) for item in items]
    slugs = [item.article.slug for item in items]
    result: dict[str, tuple[str, ...]] = {}
    for index, item in enumerate(items):
        if only is not None and index not in only:
            continue
        scores: dict[int, float] = defaultdict(float)
        # In the keywords' own order, not a set's: float sums in another order differ in the last
        # bit, and equal scores would then rank by PYTHONHASHSEED.
        for word in dict.fromkeys(item.analysis.keywords):
            weight = weights.get(word)
            if weight is None:
                continue
            for other in postings[word]:
                scores[other] += weight
        scores.pop(index, None)
        if not scores:
            continue
        topics, when = topic_sets[index], timestamps[index]
        candidates: Iterable[tuple[int, float]] = scores.items()
        if len(scores) > limit:
            # Shared topics add at most ``bonus``: whatever scores below the limit-th best keyword
            # score by more than that cannot make the list (kept with a margin, so ties still rank).
            bonus = TOPIC_WEIGHT * len(topics)
            floor = heapq.nlargest(limit, scores.values())[-1] - bonus - 1e-9
            candidates = [(other, score) for other, score in candidates if score >= floor]
        ranked = heapq.nsmallest(limit, [
            (-(score + TOPIC_WEIGHT * len(topics & topic_sets[other])), abs(timestamps[other] - when), slugs[other])
            for other, score in candidates
        ])
        result[item.article.slug] = tuple(slug for _, _, slug in ranked)
    return result


def related_again(
    items: Sequence[AnalyzedArticle], hidden: set[str], before: Mapping[str, Sequence[Any]],
    found: Mapping[str, tuple[str, ...]], now: RelatedInputs | None = None, limit: int = RELATED_LIMIT,
) -> dict[str, tuple[str, ...]] | None:
    """``related_articles(items, hidden)``, given what it found (``found``) from the same articles and
    hidden slugs when their keywords, topics and dates were ``before`` (``related_inputs``, or its
    JSON form): only the lists an edit can have changed are made again. None when the articles are
    not the same ones (added, removed, renamed): then everything is made again. ``now``:
    ``related_inputs(items)``, when the caller has it.

    An article's list depends on the others only through the keywords it has: their weights (how
    many articles have each) and who has them. So an article none of whose keywords is one a
    changed article had or has (and one that counts, in at most ``_common`` articles, before or
    after) scores every other article as before, and the changed ones at 0, as before: its list is
    the one ``found``. (At 10,000 articles, making every list took ~1-2 s of a build after an edit
    that changed an article's keywords.)"""
    again = stale_lists(items, hidden, before, now)
    if again is None:
        return None
    made = related_articles(items, hidden, limit, again)
    result: dict[str, tuple[str, ...]] = {}
    for index, item in enumerate(items):  # in the order related_articles gives them
        slug = item.article.slug
        kept = made.get(slug) if index in again else found.get(slug)
        if kept is not None:
            result[slug] = kept
    return result


def stale_lists(items: Sequence[AnalyzedArticle], hidden: set[str], before: Mapping[str, Sequence[Any]],
                now: RelatedInputs | None = None) -> set[int] | None:
    """The indices of the articles whose related lists an edit can have changed (see
    ``related_again``), since their keywords, topics and dates were ``before``; None when the
    articles are not the same ones. ``now``: ``related_inputs(items)``, when the caller has it."""
    if now is None:
        now = related_inputs(items)
    if now.keys() != before.keys():
        return None
    changed = [slug for slug, value in now.items() if _inputs(before[slug]) != value]
    touched: set[str] = set()  # the keywords the changed articles had or have
    shift: dict[str, int] = defaultdict(int)  # how many more articles had each of them, before
    for slug in changed:
        old, new = set(_inputs(before[slug])[0]), set(now[slug][0])
        touched |= old | new
        if slug not in hidden:
            for word in old - new:
                shift[word] += 1
            for word in new - old:
                shift[word] -= 1
    sizes: dict[str, int] = defaultdict(int)
    for slug, (keywords, _, _) in now.items():
        if slug not in hidden:
            for word in dict.fromkeys(keywords):
                if word in touched:
                    sizes[word] += 1
    common = _common(len(items))
    counting = {word for word in touched if sizes[word] <= common or sizes[word] + shift[word] <= common}
    return {index for index, item in enumerate(items)
            if item.article.slug in changed or not counting.isdisjoint(item.analysis.keywords)}


def _inputs(entry: Sequence[Any]) -> tuple[tuple[str, ...], tuple[str, ...], float]:
    """An entry of ``related_inputs``, from itself or its JSON form (lists)."""
    keywords, topics, when = entry
    return tuple(keywords), tuple(topics), float(when)
