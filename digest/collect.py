"""Articles -> Site: topics (declared and discovered), each topic's story and best quotes.

The analysis modules are imported where they are used: a build that takes all of this from its
caches never needs them.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from digest.config import Config
from digest.models import AnalyzedArticle, DigestSentence, Page, Site, TopicDigest, TopicQuote
from digest.related import related_again, related_articles, related_inputs

_OLDEST = datetime.min.replace(tzinfo=UTC)
Made = TypeVar("Made")


def newest_first(items: list[AnalyzedArticle]) -> list[AnalyzedArticle]:
    """Newest first; undated articles after dated ones; ties broken by slug for determinism."""
    return sorted(items, key=lambda item: (-(item.article.date or _OLDEST).timestamp(), item.article.slug))


def with_discovered_topics(
    items: list[AnalyzedArticle], config: Config
) -> tuple[list[AnalyzedArticle], dict[str, str]]:
    """Articles matching no topic are grouped by what they are about (``discover_topics``: their title
    and best sentences, newest first); returns the articles and the new topics' names."""
    loose = [index for index, item in enumerate(items) if not item.analysis.topics]
    if not loose:
        return list(items), {}
    from digest.analyze.topics import TopicText, discover_topics

    # Newest first, ties by slug: the grouping does not depend on the order the articles come in.
    loose.sort(key=lambda index: (-(items[index].article.date or _OLDEST).timestamp(), items[index].article.slug))
    declared = {topic.slug for topic in config.topics}
    taken = declared | {slug for item in items for slug in item.analysis.topics}
    found = discover_topics(
        [
            TopicText(
                items[i].article.title,
                " ".join(candidate.text for candidate in items[i].analysis.candidates),
                items[i].analysis.keywords,
            )
            for i in loose
        ],
        taken,
    )
    names: dict[str, str] = {}
    result = list(items)
    for topic in found:
        names[topic.slug] = topic.name
        for member in topic.members:
            index = loose[member]
            result[index] = replace(result[index], analysis=replace(result[index].analysis, topics=(topic.slug,)))
    return result, names


STORY_POOL_PER_SENTENCE = 40
"""Sentences considered per sentence of a topic's story."""


def topic_story(members: list[AnalyzedArticle], budget: int) -> tuple[DigestSentence, ...]:
    """Sentences across the topic's articles, best first with near-repeats removed (MMR),
    then ordered as a story: oldest article first, then by place in the article."""
    from digest.analyze.summarize import cosine
    from digest.analyze.text import content_terms

    # Only the best-scored sentences can win a place (a sentence's redundancy costs at most 0.3 of
    # its gain): MMR over those keeps a topic of thousands of articles from costing seconds.
    strongest = heapq.nsmallest(
        STORY_POOL_PER_SENTENCE * budget,
        ((-candidate.score, item.article.slug, candidate.position, index, candidate)
         for index, item in enumerate(members) for candidate in item.analysis.candidates),
    )
    pool = [
        (candidate.score, candidate.position, members[index], candidate.text, Counter(content_terms(candidate.text)))
        for _, _, _, index, candidate in strongest
    ]
    norms = [math.sqrt(sum(v * v for v in entry[4].values())) for entry in pool]
    chosen: list[int] = []
    remaining = set(range(len(pool)))
    while remaining and len(chosen) < budget:
        def gain(index: int) -> tuple[float, str, int]:
            redundancy = max(
                (cosine(pool[index][4], pool[j][4], norms[index], norms[j]) for j in chosen), default=0.0
            )
            return (0.7 * pool[index][0] - 0.3 * redundancy, pool[index][2].article.slug, -pool[index][1])

        best = max(remaining, key=gain)
        remaining.discard(best)
        if any(cosine(pool[best][4], pool[j][4], norms[best], norms[j]) > 0.6 for j in chosen):
            continue
        chosen.append(best)
    chosen.sort(key=lambda i: ((pool[i][2].article.date or _OLDEST).timestamp(), pool[i][2].article.slug, pool[i][1]))
    return tuple(DigestSentence(pool[i][3], pool[i][2].article.slug) for i in chosen)


def topic_quotes(members: list[AnalyzedArticle], limit: int) -> tuple[TopicQuote, ...]:
    """The best pull-quotes across articles, at most one per speaker."""
    from digest.analyze.quotes import pull_quote_score, shorten

    # A quote the user pinned in front matter comes before any the analysis found.
    ranked = sorted(
        (
            (item.article.pinned_quote is not None and index == 0, pull_quote_score(quote),
             item.article.slug, index, quote)
            for item in members
            for index, quote in enumerate(item.analysis.quotes)
        ),
        key=lambda entry: (not entry[0], -entry[1], entry[2], entry[3]),
    )
    chosen: list[TopicQuote] = []
    speakers: set[str | None] = set()
    for _, _, slug, _, quote in ranked:
        if len(chosen) >= limit:
            break
        if quote.speaker is not None and quote.speaker in speakers:
            continue
        speakers.add(quote.speaker)
        chosen.append(TopicQuote(shorten(quote), slug))
    return tuple(chosen)


def find_duplicates(items: list[AnalyzedArticle]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Near-duplicate groups as (the article shown: the oldest, then by slug; the others)."""
    from digest.analyze.dedup import duplicate_groups

    found = []
    for group in duplicate_groups([item.analysis.signature for item in items]):
        members = sorted((items[i] for i in group),
                         key=lambda item: ((item.article.date or _OLDEST).timestamp(), item.article.slug))
        found.append((members[0].article.slug, tuple(item.article.slug for item in members[1:])))
    return tuple(sorted(found))


@dataclass(slots=True)
class CollectMemo:
    """What ``collect`` made in earlier builds of one process (the preview), with what it was made
    from: a rebuild after one edit redoes only the parts that edit touched. The reader and the
    analysis cache hand back the very same objects for articles that did not change."""

    stories: dict[str, tuple[list[AnalyzedArticle], int, tuple[DigestSentence, ...]]] = field(default_factory=dict)
    """Topic slug -> (its members, the sentence budget, its story)."""
    quotes: dict[str, tuple[list[AnalyzedArticle], int, tuple[TopicQuote, ...]]] = field(default_factory=dict)
    """Topic slug -> (its members, the quote limit, its quotes)."""
    related: tuple[str, dict[str, tuple[str, ...]]] | None = None
    """The digest of what related articles were found from (``related_key``), and what was found;
    a command-line build keeps it in ``.cache/collect.json`` (digest.collectcache)."""
    related_from: tuple[Mapping[str, Sequence[Any]], frozenset[str]] | None = None
    """What ``related`` was found from: each article's keywords, topics and date
    (``related_inputs``, or its JSON form as loaded) and the hidden slugs; after an edit that
    changed some, only the lists they can change are made again (``related_again``)."""
    duplicates: tuple[tuple[object, ...], tuple[tuple[str, tuple[str, ...]], ...]] | None = None
    """Each article's signature, slug and date, and the near-duplicate groups found from them."""
    saved: dict[str, Any] = field(default_factory=dict)
    """Stories, quotes and near-duplicate groups by ``made_key`` (what they were made from): what a
    command-line build loaded from ``.cache/collect.json`` (digest.collectcache)."""
    used: dict[str, tuple[str, Any]] = field(default_factory=dict)
    """What this build used or made, by ``made_key``, with its kind: what the next one needs."""
    pieces: dict[int, str] = field(default_factory=dict)
    """During one ``collect``: each article's part of ``made_key`` by the id of its AnalyzedArticle
    (an article is in its topic's story and quotes, and in the duplicates: made once, not three times)."""

    def reuse(self, kind: str, members: list[AnalyzedArticle], size: int,
              make: Callable[[list[AnalyzedArticle], int], Made]) -> Made:
        """``make(members, size)``, or what it made before from the same values (``made_key``)."""
        key = made_key(kind, members, size, self.pieces)
        if key is None:
            return make(members, size)
        made: Made = self.saved[key] if key in self.saved else make(members, size)
        self.used[key] = (kind, made)
        return made


def made_key(kind: str, members: list[AnalyzedArticle], size: int,
             pieces: dict[int, str] | None = None) -> str | None:
    """A digest of everything a topic's story, its quotes or the near-duplicate groups (``kind``)
    are made from: the articles' slugs and dates, in order, and their analysis cache keys (which
    stand for all the analysis read: candidate sentences, quotes, signatures, pinned fields).
    None when an analysis was not cached (it has no key). ``pieces``: each article's part, as made
    earlier in the same ``collect`` (``CollectMemo.pieces``)."""
    parts = [kind, str(size)]
    for item in members:
        if not item.key:
            return None
        piece = pieces.get(id(item)) if pieces is not None else None
        if piece is None:
            date = item.article.date
            piece = f"{item.article.slug}\0{date.isoformat() if date else ''}\0{item.key}"
            if pieces is not None:
                pieces[id(item)] = piece
        parts.append(piece)
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def same_objects(old: list[AnalyzedArticle], new: list[AnalyzedArticle]) -> bool:
    return len(old) == len(new) and all(
        before.article is after.article and before.analysis is after.analysis
        for before, after in zip(old, new, strict=True))


def remembered(memo: CollectMemo, table: dict[str, tuple[list[AnalyzedArticle], int, Made]], kind: str, slug: str,
               members: list[AnalyzedArticle], size: int, make: Callable[[list[AnalyzedArticle], int], Made]) -> Made:
    """``make(members, size)`` (a topic's story or quotes), reused when the topic has the very same
    article and analysis objects and the same size as when it was made (the preview), or made
    from the same values (``CollectMemo.reuse``)."""
    kept = table.get(slug)
    if kept is not None and kept[1] == size and same_objects(kept[0], members):
        return kept[2]
    made = memo.reuse(kind, members, size, make)
    table[slug] = (members, size, made)
    return made


def remembered_related(ordered: list[AnalyzedArticle], hidden: set[str],
                       memo: CollectMemo | None) -> dict[str, tuple[str, ...]]:
    """``related_articles``, reused while no article's keywords, topics, date or slug changed
    (an edit to a body seldom changes them), and made again for only the articles an edit can
    have changed when it changed some (``related_again``)."""
    if memo is None:
        return related_articles(ordered, hidden)
    key = related_key(ordered, hidden)
    if memo.related is not None and memo.related[0] == key:
        return memo.related[1]
    related = None
    now = related_inputs(ordered)
    if memo.related is not None and memo.related_from is not None and memo.related_from[1] == hidden:
        try:
            related = related_again(ordered, hidden, memo.related_from[0], memo.related[1], now)
        except (ValueError, TypeError, ArithmeticError):  # a damaged entry of collect.json: all made again
            related = None
    if related is None:
        related = related_articles(ordered, hidden)
    memo.related = (key, related)
    memo.related_from = (now, frozenset(hidden))
    return related


def related_key(ordered: list[AnalyzedArticle], hidden: set[str]) -> str:
    """A digest of all ``related_articles`` reads: each article's slug, keywords, topics and date
    (``repr``: the same text in every process and run), in order, and the hidden slugs."""
    read = [(item.article.slug, item.analysis.keywords, item.analysis.topics, item.article.date) for item in ordered]
    return hashlib.blake2b(repr((read, sorted(hidden))).encode("utf-8"), digest_size=16).hexdigest()


def remembered_duplicates(items: list[AnalyzedArticle],
                          memo: CollectMemo | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``find_duplicates``, reused while no article's signature, slug or date changed."""
    if memo is None:
        return find_duplicates(items)
    key = tuple((item.analysis.signature, item.article.slug, item.article.date) for item in items)
    if memo.duplicates is not None and memo.duplicates[0] == key:
        return memo.duplicates[1]
    found = memo.reuse("duplicates", items, 0, lambda members, _: find_duplicates(members))
    memo.duplicates = (key, found)
    return found


def _is_other(name: str) -> bool:
    from digest.analyze.topics import OTHER

    return name == OTHER


def collect(items: list[AnalyzedArticle], pages: list[Page], config: Config,
            memo: CollectMemo | None = None) -> Site:
    """The whole site model, built from values; nothing here touches the disk.

    A near-duplicate keeps its own page, but is listed, summarised and quoted once: as its group's
    first article, which names the other sources.
    """
    if memo is not None and memo.used:  # the preview's last build: what it made is what this one may reuse
        memo.saved = {key: made for key, (_, made) in memo.used.items()}
        memo.used = {}
    if memo is not None:
        memo.pieces = {}  # ids of this build's objects only
    items, discovered = with_discovered_topics(items, config)
    duplicates = remembered_duplicates(items, memo)
    repeated = {slug for _, others in duplicates for slug in others}
    ordered = newest_first(items)
    declared = {topic.slug: topic for topic in config.topics}
    slugs_in_use: list[str] = []
    for item in ordered:
        if item.article.slug in repeated:
            continue
        for slug in item.analysis.topics:
            if slug not in slugs_in_use:
                slugs_in_use.append(slug)
    order = [topic.slug for topic in config.topics if topic.slug in slugs_in_use]
    # Discovered topics by slug, the catch-all "Other" last.
    order += sorted((slug for slug in slugs_in_use if slug not in declared),
                    key=lambda slug: (slug in discovered and _is_other(discovered[slug]), slug))
    # Each topic's members, newest first: one pass over the articles, not one per topic.
    members_of: dict[str, list[AnalyzedArticle]] = {slug: [] for slug in order}
    for item in ordered:
        if item.article.slug not in repeated:
            for slug in dict.fromkeys(item.analysis.topics):  # a topic named twice lists the article once
                members_of[slug].append(item)
    topics: list[TopicDigest] = []
    for slug in order:
        members = members_of[slug]
        topic = declared.get(slug)
        topics.append(
            TopicDigest(
                slug=slug,
                name=topic.name if topic else discovered.get(slug, slug.replace("-", " ").title()),
                description=topic.description if topic else "",
                story=(topic_story(members, config.digest_sentences) if memo is None else
                       remembered(memo, memo.stories, "story", slug, members, config.digest_sentences, topic_story)),
                quotes=(topic_quotes(members, config.quotes_per_topic) if memo is None else
                        remembered(memo, memo.quotes, "quotes", slug, members, config.quotes_per_topic,
                                   topic_quotes)),
                article_slugs=tuple(item.article.slug for item in members),
                discovered=topic is None and slug in discovered,
            )
        )
    if memo is not None:  # topics that no longer exist are not kept
        for table in (memo.stories, memo.quotes):
            for gone in set(table) - set(order):
                del table[gone]
        memo.pieces = {}
    return Site(
        articles=tuple(ordered),
        topics=tuple(topics),
        pages=tuple(sorted(pages, key=lambda page: page.slug)),
        duplicates=duplicates,
        related=remembered_related(ordered, repeated, memo),
    )
