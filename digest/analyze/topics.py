"""Topics: front matter wins; else the declared topics an article matches; else discovered groups."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from digest.analyze.text import content_terms
from digest.config import TopicConfig
from digest.slugs import slugify


@dataclass(frozen=True, slots=True)
class TopicMatcher:
    """A declared topic as a set of stemmed words from its name, description and keywords."""

    slug: str
    keyword_terms: frozenset[str]
    description_terms: frozenset[str]

    @classmethod
    def from_config(cls, topic: TopicConfig) -> TopicMatcher:
        keywords = frozenset(content_terms(" ".join([topic.name, *topic.keywords])))
        return cls(topic.slug, keywords, frozenset(content_terms(topic.description)) - keywords)

    def score(self, counts: Counter[str], total: int) -> float:
        """0 to 1: how strongly the article's words are this topic's words."""
        if not total:
            return 0.0
        hits = sum(math.log1p(counts[term]) for term in self.keyword_terms if term in counts)
        hits += 0.5 * sum(math.log1p(counts[term]) for term in self.description_terms if term in counts)
        return 1.0 - math.exp(-hits / 4.0)


def assign_topics(
    title: str,
    text: str,
    declared: Sequence[TopicConfig],
    threshold: float,
) -> tuple[str, ...]:
    """Slugs of the declared topics this article matches: the best, and any close second."""
    terms = content_terms(title) * 2 + content_terms(text)
    counts = Counter(terms)
    scored = [(TopicMatcher.from_config(topic).score(counts, len(terms)), topic.slug) for topic in declared]
    scored = [(score, slug) for score, slug in scored if score >= threshold]
    if not scored:
        return ()
    best = max(score for score, _ in scored)
    return tuple(slug for score, slug in sorted(scored, key=lambda item: (-item[0], item[1])) if score >= 0.8 * best)


def pinned_topic_slugs(names: Sequence[str], declared: Sequence[TopicConfig]) -> tuple[str, ...]:
    """Front-matter topics, matched to declared ones by name or slug; others become their own."""
    by_key = {topic.slug: topic.slug for topic in declared} | {topic.name.lower(): topic.slug for topic in declared}
    slugs: list[str] = []
    for name in names:
        slug = by_key.get(name.lower()) or by_key.get(slugify(name)) or slugify(name, fallback="")
        if slug and slug not in slugs:
            slugs.append(slug)
    return tuple(slugs)


def discovered_name(keywords_lists: Sequence[Sequence[str]]) -> str:
    """A name for a group of articles from the keywords they share most: 'Kyiv, Ukraine'."""
    counts: Counter[str] = Counter()
    for keywords in keywords_lists:
        counts.update(dict.fromkeys(keywords[:5], 1))
    top = [word for word, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:2]]
    return ", ".join(word[:1].upper() + word[1:] for word in top) or "Other"


@dataclass(frozen=True, slots=True)
class DiscoveredTopic:
    slug: str
    name: str
    members: tuple[int, ...]
    """Indexes into the list of articles given to ``discover_topics``."""


OTHER = "Other"


def discover_topics(keyword_lists: Sequence[Sequence[str]], taken: set[str]) -> list[DiscoveredTopic]:
    """Group articles by shared keywords (greedy, in the order given) and name each group.

    ``taken`` holds slugs already in use (declared topics), so a discovered one never collides.
    """
    groups: list[tuple[set[str], list[int]]] = []
    for index, keywords in enumerate(keyword_lists):
        terms = {word.lower() for word in keywords[:6]}
        if not terms:
            # Articles with no keywords share one group rather than getting an "Other" topic each.
            empty = [group for group in groups if not group[0]]
            if empty:
                empty[0][1].append(index)
            else:
                groups.append((set(), [index]))
            continue
        best, best_overlap = None, 0.0
        for group_index, (group_terms, _) in enumerate(groups):
            overlap = len(terms & group_terms) / max(1, min(len(terms), len(group_terms)))
            if overlap > best_overlap:
                best, best_overlap = group_index, overlap
        if best is not None and best_overlap >= 0.34:
            groups[best][0].update(terms)
            groups[best][1].append(index)
        else:
            groups.append((set(terms), [index]))
    # Articles alike to no other are pooled into one "Other" topic rather than a page each.
    loners = [members for terms, members in groups if len(members) == 1 or not terms]
    if len(loners) >= 2:
        groups = [group for group in groups if not (len(group[1]) == 1 or not group[0])]
        groups.append((set(), sorted(index for members in loners for index in members)))
    topics: list[DiscoveredTopic] = []
    used = set(taken)
    for terms, members in groups:
        name = discovered_name([keyword_lists[i] for i in members]) if terms else OTHER
        base = slugify(name, fallback="other")
        slug, number = base, 2
        while slug in used:
            slug, number = f"{base}-{number}", number + 1
        used.add(slug)
        topics.append(DiscoveredTopic(slug, name, tuple(members)))
    return topics
