"""Topics: front matter wins; else the declared topics an article matches; else discovered groups.

Declared topics (``assign_topics``): an article's words are matched with each topic's name, keywords
and description, word families matched as one ("politics", "political", "politician"). The
evidence for a topic is the sum of ``log(1 + count)`` over its keywords found (description words
count half). The article joins its best topic when that holds at least ``topic_threshold`` of the
evidence for all declared topics together, and any other topic that matches nearly as well. So the
decision is relative: one keyword mention can decide, if no other topic is mentioned at all.

Discovered topics (``discover_topics``): articles that join no declared topic are grouped by
average-linkage clustering of their TF-IDF content-word vectors (title counted twice), and each group
is named after the keywords its articles share. Articles alike to no other go to one "Other" topic.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from digest.analyze.text import content_terms, lower
from digest.config import TopicConfig
from digest.slugs import slugify

# Derivational endings stripped to match a word family: "political" ~ "politics", "economic" ~ "economy".
_FAMILY_SUFFIXES = (
    "ational", "ations", "ation", "ically", "icians", "ician", "ical", "ians", "ian", "ists", "ist",
    "isms", "ism", "ments", "ment", "ships", "ship", "ables", "able", "ions", "ion", "ics", "ic", "ers",
    "er", "ors", "or", "ity", "al",
)  # fmt: skip


@lru_cache(maxsize=65536)
def word_family(term: str) -> str:
    """A stemmed content word reduced to its family: 'politic' and 'political' -> 'polit'; 'jobs' ->
    'job'; 'economy', 'economic', 'economist' -> 'econom'. At least four letters always stay."""
    if term.endswith("s") and not term.endswith(("ss", "us", "is")) and len(term) >= 4:
        term = term[:-1]
    if term.endswith("e") and term[:-1].endswith(("ch", "sh", "x", "ss", "z")):
        term = term[:-1]  # "matches" -> "matche" -> "match"
    for suffix in _FAMILY_SUFFIXES:
        if term.endswith(suffix) and len(term) - len(suffix) >= 4:
            return term[: -len(suffix)]
    if term.endswith("y") and len(term) >= 6:  # "economy", "policy"; not "party", which is no "part"
        return term[:-1]
    return term


def word_families(terms: Sequence[str]) -> Counter[str]:
    """How often each word family occurs among stemmed content words."""
    return Counter(map(word_family, terms))


MIN_EVIDENCE = math.log(2)
"""The least evidence that can put an article in a declared topic: one of its keywords, once."""
CLOSE_SECOND = 0.8
"""Another topic with at least this share of the best one's evidence is assigned too."""


@dataclass(frozen=True, slots=True)
class TopicMatcher:
    """A declared topic as word families from its name, keywords and description."""

    slug: str
    keyword_terms: frozenset[str]
    description_terms: frozenset[str]

    @classmethod
    def from_config(cls, topic: TopicConfig) -> TopicMatcher:
        keywords = frozenset(map(word_family, content_terms(" ".join([topic.name, *topic.keywords]))))
        description = frozenset(map(word_family, content_terms(topic.description)))
        return cls(topic.slug, keywords, description - keywords)

    def evidence(self, families: Counter[str]) -> float:
        """How much an article's words (``word_families`` of them) point at this topic: the sum of
        ``log(1 + count)`` over the keywords found, description words counting half."""
        hits = sum([math.log1p(count) for term, count in families.items() if term in self.keyword_terms])
        hits += 0.5 * sum([math.log1p(count) for term, count in families.items() if term in self.description_terms])
        return hits

    def score(self, counts: Counter[str], total: int) -> float:
        """0 to 1: how strongly the article's words (stemmed content words, counted) are this topic's."""
        if not total:
            return 0.0
        families: Counter[str] = Counter()
        for term, count in counts.items():
            families[word_family(term)] += count
        return 1.0 - math.exp(-self.evidence(families) / 4.0)


@lru_cache(maxsize=256)
def _matcher(topic: TopicConfig) -> TopicMatcher:
    return TopicMatcher.from_config(topic)


@lru_cache(maxsize=64)
def _topics_of_family(declared: tuple[TopicConfig, ...]) -> dict[str, list[tuple[int, bool]]]:
    """Each word family the declared topics name -> which topics (by index), and whether as a keyword."""
    index: dict[str, list[tuple[int, bool]]] = {}
    for number, topic in enumerate(declared):
        matcher = _matcher(topic)
        for term in matcher.keyword_terms:
            index.setdefault(term, []).append((number, True))
        for term in matcher.description_terms:
            index.setdefault(term, []).append((number, False))
    return index


def _all_evidence(declared: tuple[TopicConfig, ...], families: Counter[str]) -> list[float]:
    """``TopicMatcher.evidence`` of every declared topic, in one pass over the article's families.

    Each topic's sums add the same terms in the same order (the families'), so the floats are the same.
    """
    index = _topics_of_family(declared)
    keyword_hits = [0.0] * len(declared)
    description_hits = [0.0] * len(declared)
    for term, count in families.items():
        topics = index.get(term)
        if topics:
            value = math.log1p(count)
            for number, keyword in topics:
                if keyword:
                    keyword_hits[number] += value
                else:
                    description_hits[number] += value
    return [hits + 0.5 * half for hits, half in zip(keyword_hits, description_hits, strict=True)]


def assign_topics(
    title: str,
    text: str,
    declared: Sequence[TopicConfig],
    threshold: float,
) -> tuple[str, ...]:
    """Slugs of the declared topics this article matches, best first.

    The best topic is assigned when the article mentions at least one of its keywords and it holds
    at least ``threshold`` (0 to 1) of the evidence for all declared topics together (see
    ``TopicMatcher.evidence``): 0.3 asks that it clearly lead, 0 takes the best topic whatever the
    others score, 1 only a topic no other matches at all. Any other topic that holds ``threshold``
    too and has at least ``CLOSE_SECOND`` of the best one's evidence is assigned as well.
    """
    if not declared:
        return ()
    families = word_families(content_terms(title) * 2 + content_terms(text))
    evidence = sorted(
        zip(_all_evidence(tuple(declared), families), [topic.slug for topic in declared], strict=True),
        key=lambda item: (-item[0], item[1]),
    )
    total = sum([value for value, _ in evidence])
    best = evidence[0][0]
    if best < MIN_EVIDENCE - 1e-9:
        return ()
    return tuple(
        slug
        for value, slug in evidence
        if value >= CLOSE_SECOND * best and value / total >= threshold - 1e-9 and value >= MIN_EVIDENCE - 1e-9
    )


def pinned_topic_slugs(names: Sequence[str], declared: Sequence[TopicConfig]) -> tuple[str, ...]:
    """Front-matter topics, matched to declared ones by name or slug; others become their own."""
    by_key = {topic.slug: topic.slug for topic in declared} | {lower(topic.name): topic.slug for topic in declared}
    slugs: list[str] = []
    for name in names:
        slug = by_key.get(lower(name)) or by_key.get(slugify(name)) or slugify(name, fallback="")
        if slug and slug not in slugs:
            slugs.append(slug)
    return tuple(slugs)


UNNAMED = "More stories"
"""The name of a group whose articles share no keyword."""


def discovered_name(keywords_lists: Sequence[Sequence[str]]) -> str:
    """A name for a group of articles from the keywords they share most: 'Kyiv, Ukraine'."""
    counts: Counter[str] = Counter()
    for keywords in keywords_lists:
        counts.update(dict.fromkeys(keywords[:8], 1))
    # In a group, only words several of its articles share can name it; with none, it has no name.
    least = 2 if len(keywords_lists) > 1 else 1
    shared = {word: count for word, count in counts.items() if count >= least}
    # Ties: capitalised words (names) first, then alphabetical.
    top = [word for word, _ in sorted(shared.items(), key=lambda item: (-item[1], item[0]))[:2]]
    return ", ".join(word[:1].upper() + word[1:] for word in top) or UNNAMED


@dataclass(frozen=True, slots=True)
class DiscoveredTopic:
    slug: str
    name: str
    members: tuple[int, ...]
    """Indexes into the list of articles given to ``discover_topics``."""


@dataclass(frozen=True, slots=True)
class TopicText:
    """What ``discover_topics`` reads of an article."""

    title: str
    text: str
    """What it is about: its best sentences (its analysis's candidates), or its body."""
    keywords: tuple[str, ...]
    """Its keywords, best first: they name the group; they stand in for the text when it has none."""


OTHER = "Other"
LINK_SIMILARITY = 0.07
"""Average-linkage cut: two groups join while the mean cosine similarity between their articles is at
least this. Articles on one subject share names and subject words; unrelated ones share almost none."""
MAX_CLUSTERED = 200
"""Clustering compares every pair, so only the first (newest) this many articles are clustered; each
one after them joins the group it is most alike to on average, if that reaches LINK_SIMILARITY."""
VECTOR_TERMS = 60
"""Each article is compared on its this many strongest words (TF-IDF)."""


@lru_cache(maxsize=8192)
def _family_weights(article: TopicText) -> tuple[tuple[str, float], ...]:
    """An article's word families, each with its sublinear frequency 1 + log(count) (title counted
    twice). Cached: a site rebuilt on every save reads each unchanged article once."""
    terms = content_terms(article.title) * 2 + content_terms(article.text)
    if not article.text.strip():
        terms += content_terms(" ".join(article.keywords))
    return tuple((term, 1 + math.log(count)) for term, count in word_families(terms).items())


def _vectors(articles: Sequence[TopicText]) -> list[dict[str, float]]:
    """Unit TF-IDF vectors of word families (title counted twice), over words at least two share,
    each article's VECTOR_TERMS strongest."""
    counts = [_family_weights(article) for article in articles]
    document_frequency: Counter[str] = Counter()
    for count in counts:
        document_frequency.update(term for term, _ in count)
    total = len(articles)
    idf = {term: math.log(total / df) for term, df in document_frequency.items() if 1 < df < total}
    vectors: list[dict[str, float]] = []
    for count in counts:
        weights = [(frequency * idf[term], term) for term, frequency in count if term in idf]
        strongest = heapq.nlargest(VECTOR_TERMS, weights)  # ties: by word, so no order of input matters
        norm = math.sqrt(sum([weight * weight for weight, _ in strongest]))
        # An article sharing a single word with the others (a "won" or a "said") is alike to none.
        vectors.append({term: weight / norm for weight, term in strongest} if len(strongest) > 1 else {})
    return vectors


def _average_linkage(vectors: Sequence[dict[str, float]], cut: float) -> list[list[int]]:
    """Groups of indexes: the two most alike groups (mean pairwise cosine) join while that is >= cut."""
    count = len(vectors)
    similarity = [[0.0] * count for _ in range(count)]
    postings: dict[str, list[tuple[int, float]]] = {}
    for index, vector in enumerate(vectors):
        for term, weight in vector.items():
            postings.setdefault(term, []).append((index, weight))
    for entries in postings.values():  # only pairs that share a word: a sparse all-pairs product
        for position, (i, weight_i) in enumerate(entries):
            row = similarity[i]
            for j, weight_j in entries[position + 1 :]:
                row[j] += weight_i * weight_j
    for i in range(count):
        for j in range(i + 1, count):
            similarity[j][i] = similarity[i][j]
    size = [1] * count
    members: dict[int, list[int]] = {i: [i] for i in range(count)}
    heap = [(-similarity[i][j], i, j) for i in range(count) for j in range(i + 1, count) if similarity[i][j] >= cut]
    heapq.heapify(heap)
    while heap:
        negative, i, j = heapq.heappop(heap)
        if i not in members or j not in members or -negative != similarity[i][j]:
            continue  # a group merged since, or a similarity since updated
        # j joins i; the new group's mean similarity to each other group (Lance-Williams).
        members[i] += members.pop(j)
        for k in members:
            if k == i:
                continue
            value = (size[i] * similarity[i][k] + size[j] * similarity[j][k]) / (size[i] + size[j])
            similarity[i][k] = similarity[k][i] = value
            if value >= cut:
                heapq.heappush(heap, (-value, min(i, k), max(i, k)))
        size[i] += size[j]
    return [sorted(group) for group in members.values()]


def discover_topics(articles: Sequence[TopicText], taken: set[str]) -> list[DiscoveredTopic]:
    """Group articles by what they are about and name each group after its shared keywords.

    Give the articles newest first: past MAX_CLUSTERED, older ones only join groups the newer ones
    form. Deterministic: the result depends only on the articles and their order. ``taken`` holds
    slugs already in use (declared topics), so a discovered one never collides.
    """
    vectors = _vectors(articles)
    clustered = [index for index in range(min(len(articles), MAX_CLUSTERED)) if vectors[index]]
    linked = _average_linkage([vectors[index] for index in clustered], LINK_SIMILARITY)
    groups = [[clustered[i] for i in group] for group in linked]
    # Older articles join the group they are most alike to on average (the mean of their cosines with
    # its articles: their vector against the sum of the group's, over the words they share).
    index_of_words: dict[str, list[tuple[int, float]]] = {}
    for number, group in enumerate(groups):
        if len(group) < 2:
            continue
        total: dict[str, float] = {}
        for index in group:
            for term, weight in vectors[index].items():
                total[term] = total.get(term, 0.0) + weight / len(group)
        for term, weight in total.items():
            index_of_words.setdefault(term, []).append((number, weight))
    late: dict[int, list[int]] = {}
    unmatched: list[list[int]] = []
    for index in range(MAX_CLUSTERED, len(articles)):
        if not vectors[index]:
            continue
        alike: dict[int, float] = {}
        for term, weight in vectors[index].items():
            for number, group_weight in index_of_words.get(term, ()):
                alike[number] = alike.get(number, 0.0) + weight * group_weight
        best = max(alike.items(), key=lambda item: (item[1], -item[0]), default=(-1, 0.0))
        if best[1] >= LINK_SIMILARITY:
            late.setdefault(best[0], []).append(index)
        else:
            unmatched.append([index])
    grouped = [sorted(group + late.get(number, [])) for number, group in enumerate(groups)] + unmatched
    # Articles with no words to compare, articles alike to no other, and the articles of a group
    # that share no keyword (no name to tell it apart: several such groups were several topics all
    # called "More stories") share one "Other" topic. A lone article keeps a topic of its own
    # only when it is the only one left over and its keywords name it.
    loners = [index for index in range(len(articles)) if not vectors[index]]
    result: list[tuple[str, list[int]]] = []
    for group in grouped:
        name = discovered_name([articles[i].keywords for i in group]) if len(group) > 1 else UNNAMED
        if name == UNNAMED:
            loners += group
        else:
            result.append((name, group))
    loners.sort()
    alone = discovered_name([articles[loners[0]].keywords]) if len(loners) == 1 else UNNAMED
    if alone != UNNAMED:
        result.append((alone, loners))
    elif loners:
        result.append((OTHER, loners))
    result.sort(key=lambda item: item[1][0])
    topics: list[DiscoveredTopic] = []
    used = set(taken)
    for name, members in result:
        base = slugify(name, fallback="other")
        slug, number = base, 2
        while slug in used:
            slug, number = f"{base}-{number}", number + 1
        used.add(slug)
        topics.append(DiscoveredTopic(slug, name, tuple(members)))
    return topics
