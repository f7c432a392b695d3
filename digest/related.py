"""Related articles: for each article, the others sharing its rarest keywords and its topics."""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence

from digest.models import AnalyzedArticle

RELATED_LIMIT = 4
TOPIC_WEIGHT = 0.5
"""A shared topic counts for less than a shared keyword: topics hold hundreds of articles."""


def related_articles(
    items: Sequence[AnalyzedArticle], hidden: set[str], limit: int = RELATED_LIMIT
) -> dict[str, tuple[str, ...]]:
    """Slug -> up to ``limit`` related slugs, best first.

    A keyword counts by how rare it is (inverse document frequency); keywords most of the site
    shares are skipped, which keeps this close to linear in the number of articles. ``hidden``:
    slugs never offered (near-duplicates, already linked as the same story). Ties go to the
    article closest in date, then by slug, so the result does not depend on the input order.
    """
    count = len(items)
    postings: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        if item.article.slug not in hidden:
            for word in dict.fromkeys(item.analysis.keywords):
                postings[word].append(index)
    common = min(max(50, count // 10), 200)  # capped: a keyword in hundreds of articles relates none
    weights = {word: math.log(1 + count / len(members)) for word, members in postings.items()
               if len(members) <= common}
    timestamps = [item.article.date.timestamp() if item.article.date else 0.0 for item in items]
    topic_sets = [frozenset(item.analysis.topics) for item in items]
    slugs = [item.article.slug for item in items]
    result: dict[str, tuple[str, ...]] = {}
    for index, item in enumerate(items):
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
