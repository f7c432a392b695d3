"""After an edit, related articles are found again only for the articles the edit can change
(``related_again``): every list must be the one a whole new search finds."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.models import Analysis, AnalyzedArticle, Article
from digest.related import related_again, related_articles, related_inputs, stale_lists

WORDS = [f"w{number}" for number in range(14)]
TOPICS = ["ferry", "harbour", "council"]


def _item(number: int, keywords: tuple[str, ...], topics: tuple[str, ...], day: int) -> AnalyzedArticle:
    article = Article(path=Path(f"a{number}.md"), slug=f"a{number}", title=f"A{number}",
                      date=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=day), author=None, source=None,
                      body_html="", blocks=(), word_count=0)
    return AnalyzedArticle(article, Analysis(summary=(), quotes=(), keywords=keywords, topics=topics))


def _keywords(rng: random.Random) -> tuple[str, ...]:
    # A few common words (in more than the 50 articles a keyword may be in and still count), many rare.
    return tuple(rng.sample(WORDS, rng.randint(0, 6)))


def _site(rng: random.Random, count: int) -> list[AnalyzedArticle]:
    return [_item(number, _keywords(rng), tuple(rng.sample(TOPICS, rng.randint(0, 2))), rng.randint(0, 40))
            for number in range(count)]


def _edited(rng: random.Random, items: list[AnalyzedArticle]) -> list[AnalyzedArticle]:
    """One to three articles with other keywords, topics or a date; the site's order kept or not."""
    edited = list(items)
    for index in rng.sample(range(len(items)), rng.randint(1, 3)):
        item = edited[index]
        change = rng.choice(["keywords", "topics", "date", "all"])
        analysis, article = item.analysis, item.article
        if change in ("keywords", "all"):
            analysis = replace(analysis, keywords=_keywords(rng))
        if change in ("topics", "all"):
            analysis = replace(analysis, topics=tuple(rng.sample(TOPICS, rng.randint(0, 2))))
        if change in ("date", "all"):
            assert article.date is not None
            article = replace(article, date=article.date + timedelta(days=rng.randint(-5, 5)))
        edited[index] = AnalyzedArticle(article, analysis)
    if rng.random() < 0.5:  # the site lists its articles newest first: a new date moves one
        edited.sort(key=lambda item: (item.article.date, item.article.slug), reverse=True)
    return edited


@pytest.mark.parametrize("seed", range(60))
def test_the_lists_found_again_after_an_edit_are_the_ones_a_whole_search_finds(seed: int) -> None:
    rng = random.Random(seed)
    items = _site(rng, rng.choice([40, 120, 260]))
    hidden = {item.article.slug for item in rng.sample(items, rng.randint(0, 3))}
    found = related_articles(items, hidden)
    before = related_inputs(items)
    edited = _edited(rng, items)
    again = related_again(edited, hidden, before, found)
    whole = related_articles(edited, hidden)
    assert again == whole
    assert list(again) == list(whole)  # in the same order too
    # As the cache keeps what they were found from: JSON, read back as lists.
    stored = json.loads(json.dumps({slug: [list(k), list(t), when] for slug, (k, t, when) in before.items()}))
    assert related_again(edited, hidden, stored, found) == whole


def test_an_edit_finds_again_only_the_lists_it_can_change() -> None:
    """The point of it: at 10,000 articles, finding every list took ~1-2 s of such a build. An
    article given a keyword no other has: its own list, and those of the articles sharing the
    keywords it had."""
    rng = random.Random(7)
    items = _site(rng, 200)
    found = related_articles(items, set())
    before = related_inputs(items)
    edited = [replace(items[0], analysis=replace(items[0].analysis, keywords=("lighthouse",))), *items[1:]]
    stale = stale_lists(edited, set(), before)
    old = set(items[0].analysis.keywords)
    assert stale == {0} | {index for index, item in enumerate(items) if old & set(item.analysis.keywords)}
    assert len(stale) < len(items)
    assert related_again(edited, set(), before, found) == related_articles(edited, set())
    assert stale_lists(items, set(), before) == set()  # nothing changed: nothing found again


def test_a_keyword_that_stops_counting_finds_again_the_lists_it_was_in() -> None:
    """A keyword in more than 50 of these 60 articles relates none of them: one more article with it
    empties the lists of the 50 that had it, though none of them changed."""
    items = [_item(number, ("shared",) if number < 50 else ("other",), (), number) for number in range(60)]
    found = related_articles(items, set())
    assert found["a0"]  # 50 articles: it still counts
    edited = [*items[:50], replace(items[50], analysis=replace(items[50].analysis, keywords=("other", "shared"))),
              *items[51:]]
    whole = related_articles(edited, set())
    assert "a0" not in whole  # 51: it no longer does
    assert related_again(edited, set(), related_inputs(items), found) == whole
    # And back: the lists come again.
    assert related_again(items, set(), related_inputs(edited), whole) == found


def test_other_articles_or_a_damaged_record_mean_a_whole_search() -> None:
    rng = random.Random(3)
    items = _site(rng, 60)
    found = related_articles(items, set())
    before = related_inputs(items)
    assert related_again(items[1:], set(), before, found) is None  # one article gone
    renamed = [replace(items[0], article=replace(items[0].article, slug="renamed")), *items[1:]]
    assert related_again(renamed, set(), before, found) is None
    damaged = {**before, "a0": ["w1"]}  # not keywords, topics and a date
    with pytest.raises(ValueError, match="unpack"):
        related_again(items, set(), damaged, found)


@pytest.mark.parametrize("entry", [["w1"], [["w1"], [], None], [["w1"], [], 10 ** 400], [[["w1"]], [], 0.0]])
def test_a_damaged_record_in_the_cache_means_a_whole_search_not_a_failed_build(entry: list[object]) -> None:
    """What collect.json kept of an article, damaged (cut short, no date, a number no float holds,
    a list for a keyword): the lists are found again whole."""
    from digest.collect import CollectMemo, remembered_related

    rng = random.Random(5)
    items = _site(rng, 60)
    memo = CollectMemo()
    remembered_related(items, set(), memo)
    assert memo.related_from is not None
    stored = {slug: [list(k), list(t), when] for slug, (k, t, when) in related_inputs(items).items()}
    memo.related_from = ({**stored, "a0": entry}, frozenset())
    edited = [*items[:5], replace(items[5], analysis=replace(items[5].analysis, keywords=("w1", "lighthouse"))),
              *items[6:]]
    assert remembered_related(edited, set(), memo) == related_articles(edited, set())
