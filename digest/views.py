"""The plain values templates see: articles, topics, archive months and pagers.

Templates get dicts of strings, numbers, dates and lists only (never paths or objects with
methods), so a theme can show anything about the site and reach nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from digest.config import text_direction
from digest.models import AnalyzedArticle, Quote, TopicDigest

WORDS_PER_MINUTE = 220
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")


def article_href(slug: str) -> str:
    return f"articles/{slug}/"


def topic_href(slug: str) -> str:
    return f"topics/{slug}/"


def source_host(url: str | None) -> str | None:
    """The host of an http(s) source URL; None for file names and other schemes."""
    if not url:
        return None
    parts = urlsplit(url)
    return parts.netloc if parts.scheme in ("http", "https") and parts.netloc else None


def article_view(item: AnalyzedArticle, topic_names: dict[str, str]) -> dict[str, Any]:
    """What a template may know about an article: plain values only."""
    article, analysis = item.article, item.analysis
    host = source_host(article.source)
    return {
        "slug": article.slug,
        "href": article_href(article.slug),
        "title": article.title,
        "date": article.date,
        "author": article.author,
        "source": article.source,
        "source_url": article.source if host else None,
        "source_host": host,
        "language": article.language,
        "direction": text_direction(article.language) if article.language else None,
        "body": Markup(article.body_html),  # noqa: S704 - markdown-it output with raw HTML disabled
        "word_count": article.word_count,
        "reading_minutes": max(1, math.ceil(article.word_count / WORDS_PER_MINUTE)),
        "summary": list(analysis.summary),
        "quotes": [{"text": q.text, "speaker": q.speaker} for q in _shown_quotes(item)],
        "keywords": list(analysis.keywords),
        "topics": [{"slug": s, "name": topic_names.get(s, s), "href": topic_href(s)} for s in analysis.topics],
        "also": [],
        "same_story": None,
        "related": [],
    }


def _plain(text: str) -> str:
    return " ".join(text.casefold().split())


def _says(summary: str, quote: str) -> bool:
    """Whether ``summary`` has ``quote``'s words, whole and in a row ('he will' is not in 'she will').
    Found with ``str.find``, not a pattern made for each quote: every article's view asks."""
    words = _plain(quote).rstrip(".,;:!?…")
    start = summary.find(words) if words else -1
    while start != -1:
        end = start + len(words)
        if not (start and _in_word(summary[start - 1])) and not (end < len(summary) and _in_word(summary[end])):
            return True
        start = summary.find(words, start + 1)
    return False


def _in_word(character: str) -> bool:
    return character.isalnum() or character == "_"


def _shown_quotes(item: AnalyzedArticle) -> list[Quote]:
    """The article's pull-quotes but those its summary already says word for word: a summary
    sentence is often a quotation with its speaker ('"...," said Mr Stening.'), and the page then
    showed it twice, one above the other. A pinned quote is always shown: the user chose it."""
    said = _plain(" ".join(item.analysis.summary))
    pinned = item.article.pinned_quote
    return [quote for quote in item.analysis.quotes
            if (pinned is not None and quote.text == pinned.text) or not _says(said, quote.text)]


REFERENCE_FIELDS = ("slug", "href", "title", "date", "source_url", "source_host")


def reference(view: dict[str, Any]) -> dict[str, Any]:
    """A flat summary of an article view, for links from other articles (views never nest)."""
    return {key: view[key] for key in REFERENCE_FIELDS}


def topic_view(topic: TopicDigest, articles: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "slug": topic.slug,
        "href": topic_href(topic.slug),
        "feed_href": topic_href(topic.slug) + "feed.xml",
        "name": topic.name,
        "description": topic.description,
        "discovered": topic.discovered,
        "story": [{"text": s.text, "article": articles[s.article_slug]} for s in topic.story],
        "quotes": [
            {"text": q.quote.text, "speaker": q.quote.speaker, "article": articles[q.article_slug]}
            for q in topic.quotes
        ],
        "articles": [articles[slug] for slug in topic.article_slugs],
    }


@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int
    articles: tuple[dict[str, Any], ...]

    @property
    def href(self) -> str:
        return f"archive/{self.year:04d}/{self.month:02d}/"

    def view(self) -> dict[str, Any]:
        return {"year": self.year, "month": self.month, "name": f"{MONTH_NAMES[self.month - 1]} {self.year}",
                "month_name": MONTH_NAMES[self.month - 1], "href": self.href, "count": len(self.articles)}


def months_of(ordered: Sequence[dict[str, Any]]) -> list[Month]:
    """Dated articles grouped by the month of their date, newest month first (input newest first)."""
    groups: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for view in ordered:
        if view["date"] is not None:
            groups.setdefault((view["date"].year, view["date"].month), []).append(view)
    return [Month(year, month, tuple(views)) for (year, month), views in
            sorted(groups.items(), key=lambda entry: entry[0], reverse=True)]


def years_view(months: Sequence[Month]) -> list[dict[str, Any]]:
    """Years, newest first, each with its months and article count: the archive's navigation."""
    years: dict[int, list[dict[str, Any]]] = {}
    for month in months:
        years.setdefault(month.year, []).append(month.view())
    return [{"year": year, "href": f"archive/{year:04d}/", "months": entries,
             "count": sum(entry["count"] for entry in entries)} for year, entries in years.items()]


@dataclass(frozen=True, slots=True)
class PageOfList:
    """One page of a paginated list: where it is written and what it shows."""

    output: str
    items: Sequence[dict[str, Any]]
    pager: dict[str, Any]


PAGER_WINDOW = 2
"""Page numbers a pager shows on either side of the current one (besides the first and the last)."""


def pager_numbers(number: int, count: int) -> list[int]:
    """The page numbers a pager on page ``number`` of ``count`` links to: the first, the last and
    a window around this one, as Hugo's and Zola's pagers do. Listing every page made each pager
    of a 5,000-article archive (167 pages) 167 links long, and the archive quadratic in size."""
    window = range(max(1, number - PAGER_WINDOW), min(count, number + PAGER_WINDOW) + 1)
    return sorted({1, *window, count})


def paginate(items: Sequence[dict[str, Any]], per_page: int, folder: str) -> Iterator[PageOfList]:
    """Pages of ``items`` under ``folder`` (``archive/``): the first at ``folder``, the others at
    ``folder/page/<n>/``, as Hugo and Pelican lay them out. An empty list still gets its first page.
    Each pager's ``pages`` are those of ``pager_numbers``; ``gap`` marks one that skips some."""
    count = max(1, math.ceil(len(items) / per_page))

    def href(number: int) -> str:
        return folder if number == 1 else f"{folder}page/{number}/"

    for number in range(1, count + 1):
        shown = pager_numbers(number, count)
        pager = {
            "number": number,
            "count": count,
            "first_href": href(1),
            "last_href": href(count),
            "previous_href": href(number - 1) if number > 1 else None,
            "next_href": href(number + 1) if number < count else None,
            "pages": [{"number": n, "href": href(n), "gap": index > 0 and n > shown[index - 1] + 1}
                      for index, n in enumerate(shown)],
        }
        yield PageOfList(href(number) + "index.html", items[(number - 1) * per_page: number * per_page], pager)
