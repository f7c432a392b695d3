"""What a reader and a feed reader get besides the pages: archive, feeds, sitemap, robots.txt,
social and structured metadata, related articles and the search index."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest

from digest.config import load_config
from digest.search import Cancelled, Record, search_bundle
from tests.conftest import REPO, broken_pagefind, make_project, run_cli, tree_bytes

TOPICS = {"markets": "shares bank profit economy", "football": "match team coach league"}


_WORDS = ("harbour crane ferry tide anchor dock pier quay mooring vessel captain cargo lighthouse "
              "orchard cider blossom ladder basket picker grove frost pruning harvest vineyard barrel "
              "glacier summit rope crampon avalanche ridge basecamp sherpa oxygen descent blizzard tent "
              "violin concerto rehearsal conductor soloist encore audience balcony overture applause "
              "bakery sourdough oven flour starter crust loaf proving bakers morning queue pastry")
VOCABULARY = _WORDS.split()


def article(slug: str, title: str, date: str | None, topic: str, words: str, seed: int) -> str:
    """A short article of its own words (near-duplicates would be folded into one story)."""
    own = [VOCABULARY[(seed * 7 + step * 3) % len(VOCABULARY)] for step in range(24)]
    sentences = [f"The {words} story of {slug} turns on {' and '.join(own[i:i + 3])}." for i in range(0, 24, 3)]
    dated = f"date: {date}\n" if date else ""
    return (f"---\ntitle: \"{title}\"\n{dated}author: Ann Writer\nsource: https://news.example/{slug}\n"
            f"topics: [{topic}]\n---\n\n{' '.join(sentences[:4])} It mentions {TOPICS[topic]}.\n\n"
            f"\"We will see what the next weeks bring for the {own[0]},\" said Maria Lopez of {slug}.\n\n"
            f"{' '.join(sentences[4:])}\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seven articles over three months of two years, two topics, archive pages of two articles."""
    project = make_project(tmp_path_factory.mktemp("features") / "project", with_seed=False)
    config = (project / "config.yaml").read_text(encoding="utf-8")
    config = config.replace("  language: en\n", "  language: en\n  per_page: 2\n  feed_entries: 3\n")
    config = config.replace("base_url: https://example.org/", "base_url: https://news.example.org/digest/")
    (project / "config.yaml").write_text(config, encoding="utf-8")
    articles = project / "content" / "articles"
    specs = [
        ("alpha", "Alpha <rises> & 'falls'", "2024-11-02", "markets", "copper smelter"),
        ("beta", "Beta", "2024-12-05", "markets", "copper smelter"),
        ("gamma", "Gamma", "2024-12-09", "football", "stadium roof"),
        ("delta", "Delta", "2024-12-20", "football", "stadium roof"),
        ("epsilon", "Epsilon", "2025-01-03", "markets", "vineyard harvest"),
        ("zeta", "Zeta", "2025-01-04", "football", "vineyard harvest"),
        ("eta", "Eta", None, "markets", "lighthouse keeper"),
    ]
    for seed, (slug, title, date, topic, words) in enumerate(specs):
        (articles / f"{slug}.md").write_text(article(slug, title, date, topic, words, seed), encoding="utf-8")
    result = run_cli(project)
    assert result.code == 0, result.err
    return project


def page(project: Path, path: str) -> str:
    return (project / "site" / path).read_text(encoding="utf-8")


def links(html: str) -> list[str]:
    return re.findall(r'<a [^>]*href="([^"]+)"', html)


def test_archive_lists_every_article_newest_first_in_pages(built: Path) -> None:
    first, second = page(built, "archive/index.html"), page(built, "archive/page/2/index.html")
    assert re.search(r"Alpha &lt;rises&gt; &amp; (&#39;|')falls", page(built, "archive/page/3/index.html"))
    assert "../../../articles/zeta/" in second or "articles/zeta/" in first
    titles = [re.findall(r'<a href="[^"]*articles/(\w+)/">', page(built, path))
              for path in ("archive/index.html", "archive/page/2/index.html", "archive/page/3/index.html",
                           "archive/page/4/index.html")]
    assert titles == [["zeta", "epsilon"], ["delta", "gamma"], ["beta", "alpha"], ["eta"]]
    assert not (built / "site" / "archive" / "page" / "5").exists()
    assert 'rel="next" href="../../../archive/page/3/"' in second
    assert 'rel="prev" href="../../../archive/"' in second


def test_archive_has_a_page_per_year_and_month(built: Path) -> None:
    december = page(built, "archive/2024/12/index.html")
    assert re.findall(r'articles/(\w+)/">', december) == ["delta", "gamma"]  # two per page
    assert re.findall(r'articles/(\w+)/">', page(built, "archive/2024/12/page/2/index.html")) == ["beta"]
    year = page(built, "archive/2024/index.html").split('class="month-list"')[1].split("</ul>")[0]
    assert "December 2024" in year and "November 2024" in year and "January 2025" not in year
    assert (built / "site" / "archive" / "2025" / "01" / "index.html").is_file()
    # Every archive page links to every other month; its own is marked as the current page.
    assert {"../../../archive/2024/11/", "../../../archive/2025/01/"} <= set(links(december))
    assert '<span aria-current="page">Dec</span>' in december


def test_site_feed_is_atom_with_the_newest_entries_and_absolute_links(built: Path) -> None:
    feed = feedparser.parse(page(built, "feed.xml"))
    assert feed.bozo == 0, feed.bozo_exception
    assert feed.version == "atom10"
    assert feed.feed.title == "The Digest"
    assert [entry.link for entry in feed.entries] == [
        f"https://news.example.org/digest/articles/{slug}/" for slug in ("zeta", "epsilon", "delta")]
    entry = feed.entries[0]
    assert entry.author == "Ann Writer"
    assert entry.published.startswith("2025-01-04")
    assert "vineyard harvest" in entry.content[0].value
    assert entry.tags[0].term == "football"
    assert feed.feed.updated.startswith("2025-01-04")


def test_each_topic_has_its_own_feed(built: Path) -> None:
    feed = feedparser.parse(page(built, "topics/markets/feed.xml"))
    assert feed.bozo == 0, feed.bozo_exception
    assert [entry.link.rsplit("/", 2)[-2] for entry in feed.entries] == ["epsilon", "beta", "alpha"]
    assert '<link rel="alternate" type="application/atom+xml"' in page(built, "topics/markets/index.html")
    assert 'href="../../topics/markets/feed.xml"' in page(built, "topics/markets/index.html")


def test_sitemap_and_robots_name_every_page_under_the_base_url(built: Path) -> None:
    sitemap = page(built, "sitemap.xml")
    locations = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    base = "https://news.example.org/digest/"
    assert all(location.startswith(base) for location in locations)
    for slug in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"):
        assert f"{base}articles/{slug}/" in locations
    assert f"{base}topics/markets/" in locations and f"{base}archive/2024/12/" in locations
    assert f"{base}about/" in locations
    assert len(locations) == len(set(locations))
    for location in locations:  # every URL is a page that was built
        assert (built / "site" / location.removeprefix(base) / "index.html").is_file(), location
    assert page(built, "robots.txt") == f"User-agent: *\nAllow: /\nSitemap: {base}sitemap.xml\n"


def test_with_a_bare_path_for_base_url_there_is_no_sitemap_of_relative_addresses(project: Path) -> None:
    # Search engines take only full URLs in a sitemap: <loc>./</loc> was an invalid sitemap.
    result = run_cli(project, env={"DIGEST_BASE_URL": "/repo/"})
    assert result.code == 0, result.err
    assert (project / "site" / "index.html").is_file()
    assert not (project / "site" / "sitemap.xml").exists()
    assert page(project, "robots.txt") == "User-agent: *\nAllow: /\n"
    # The same project with a full address has one again, all of it full URLs.
    assert run_cli(project, env={"DIGEST_BASE_URL": "https://news.example.org/repo/"}).code == 0
    locations = re.findall(r"<loc>([^<]+)</loc>", page(project, "sitemap.xml"))
    assert locations and all(location.startswith("https://news.example.org/repo/") for location in locations)


class Head(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.ld: list[str] = []
        self._in_ld = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta" and ("property" in values or "name" in values):
            self.meta[values.get("property") or values["name"]] = values.get("content", "")
        if tag == "link" and "rel" in values:
            self.links[values["rel"]] = values.get("href", "")
        self._in_ld = tag == "script" and values.get("type") == "application/ld+json"

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.ld.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_ld = False


def test_article_pages_carry_social_and_structured_metadata(built: Path) -> None:
    head = Head(page(built, "articles/alpha/index.html"))
    url = "https://news.example.org/digest/articles/alpha/"
    assert head.links["canonical"] == url
    assert head.meta["og:url"] == url
    assert head.meta["og:type"] == "article"
    assert head.meta["og:title"].startswith("Alpha <rises> & 'falls'")
    assert head.meta["twitter:card"] == "summary"
    assert head.meta["article:published_time"].startswith("2024-11-02")
    assert head.links["icon"] == "../../static/favicon.svg"
    assert (built / "site" / "static" / "favicon.svg").is_file()
    data = json.loads("".join(head.ld))
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Alpha <rises> & 'falls'"
    assert data["author"] == {"@type": "Person", "name": "Ann Writer"}
    assert data["datePublished"].startswith("2024-11-02")
    assert data["isBasedOn"] == "https://news.example/alpha"
    assert "<rises>" not in "".join(head.ld)  # escaped for the script element


def test_a_title_cannot_close_the_structured_data_script(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", with_seed=False)
    hostile = "</script><script>alert(1)</script>"
    (project / "content" / "articles" / "x.md").write_text(
        f"---\ntitle: '{hostile}'\ndate: 2024-01-01\n---\n\nBody text of the article.\n", encoding="utf-8")
    assert run_cli(project).code == 0
    html = page(project, "articles/x/index.html")
    assert html.count("<script") == 1
    assert json.loads("".join(Head(html).ld))["headline"] == hostile


def test_related_articles_share_keywords_and_topics(built: Path) -> None:
    related = page(built, "articles/gamma/index.html").split('id="related-heading"')[1].split("</section>")[0]
    slugs = re.findall(r'articles/(\w+)/"', related)
    assert slugs and slugs[0] == "delta"  # the other stadium-roof story of the same topic
    assert "gamma" not in slugs


def test_search_index_is_built_and_the_page_finds_it_from_any_folder(built: Path) -> None:
    site = built / "site"
    assert (site / "pagefind" / "pagefind-ui.js").is_file()
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    # Seven articles, two topic digests and the about page are searchable.
    assert entry["languages"]["en"]["page_count"] == 10
    search = page(built, "search/index.html")
    assert 'src="../pagefind/pagefind-ui.js"' in search and 'data-root="../"' in search
    assert "<noscript>" in search


def test_search_index_is_reused_when_nothing_searchable_changed(built: Path) -> None:
    result = run_cli(built)
    assert result.code == 0, result.err
    assert "search" in result.out
    before = tree_bytes(built / "site")
    kept = sorted(path.name for path in (built / ".cache" / "search").iterdir())
    assert len(kept) == 1
    assert run_cli(built).code == 0
    assert tree_bytes(built / "site") == before
    assert sorted(path.name for path in (built / ".cache" / "search").iterdir()) == kept


def _indexed_text(site: Path) -> str:
    """The text of every page in the search index (Pagefind's fragments: gzip, then JSON)."""
    return "\n".join(gzip.decompress(fragment.read_bytes()).decode("utf-8")
                     for fragment in sorted(site.glob("pagefind/**/fragment/*.pf_fragment"))).lower()


def test_an_edit_to_an_article_reaches_the_search_index_of_a_cached_build(tmp_path: Path) -> None:
    """With the analyses cached, an article's search record is known by the cache's key (a digest
    of its title and text) rather than made each build: an edit changes the key, and the index is
    made again with the new words; a build after an edit elsewhere keeps it as it was."""
    project = make_project(tmp_path / "project", with_seed=False)
    articles = project / "content" / "articles"
    for name, words in (("one", "harbour cranes"), ("two", "orchard frost")):
        (articles / f"{name}.md").write_text(f"---\ntitle: Story {name}\ndate: 2024-03-0{len(name)}\n---\n\n"
                                             f"The {words} made the news on Monday.\n", encoding="utf-8")
    assert run_cli(project).code == 0
    assert "harbour cranes" in _indexed_text(project / "site") and "zeppelinwort" not in _indexed_text(project / "site")
    edited = articles / "one.md"
    # A heading: the article's record changes, and nothing else searchable (the topic's story is
    # made of sentences), so only the article's own record can bring the index up to date.
    edited.write_text(edited.read_text(encoding="utf-8") + "\n## Zeppelinwort sightings\n", encoding="utf-8")
    result = run_cli(project)
    assert result.code == 0, result.err
    assert re.search(r"^analyze .* 1 analysed, 1 from cache", result.out, re.M), result.out
    assert "zeppelinwort" in _indexed_text(project / "site")
    indexed = _indexed_text(project / "site")
    kept = sorted(path.name for path in (project / ".cache" / "search").iterdir())
    (project / "config.yaml").write_text((project / "config.yaml").read_text(encoding="utf-8") + "\n",
                                         encoding="utf-8")  # a build that changes no text
    assert run_cli(project).code == 0
    assert sorted(path.name for path in (project / ".cache" / "search").iterdir()) == kept  # not made again
    assert _indexed_text(project / "site") == indexed


def test_feeds_without_a_full_base_url_use_relative_links_and_the_source_date_epoch(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", with_seed=False)
    config = (project / "config.yaml").read_text(encoding="utf-8")
    (project / "config.yaml").write_text(config.replace("base_url: https://example.org/", "base_url: /"),
                                         encoding="utf-8")
    (project / "content" / "articles" / "undated.md").write_text(
        "---\ntitle: Undated\n---\n\nA body with no date at all.\n", encoding="utf-8")
    assert run_cli(project, env={"SOURCE_DATE_EPOCH": "1700000000"}).code == 0
    feed = feedparser.parse(page(project, "feed.xml"), response_headers={
        "content-location": "https://mirror.example/feed.xml", "content-type": "application/atom+xml"})
    assert feed.bozo == 0, feed.bozo_exception
    assert feed.entries[0].link == "https://mirror.example/articles/undated/"
    assert feed.entries[0].id.startswith("urn:uuid:")
    assert feed.feed.updated.startswith("2023-11-14T22:13:20")
    assert "Sitemap:" not in page(project, "robots.txt")


def test_a_background_index_gives_way_to_a_newer_edit(tmp_path: Path) -> None:
    """The preview indexes in the background; once a file changes, the stale index is dropped:
    Pagefind is stopped and nothing half-made is left in the cache (parts already made stay, whole).
    Without that, it is made."""
    config = replace(load_config(REPO / "config.yaml"), root=tmp_path)
    found = [Record(f"articles/note-{number}/", f"<html lang='en'><body><h1>Note {number}</h1>"
                    f"<p>{' '.join(f'word{number * 7 + index}' for index in range(60))}</p></body></html>")
             for number in range(3000)]
    asked: list[int] = []

    def cancelled() -> bool:  # false while the records are written (every 100th), true once Pagefind runs
        asked.append(1)
        return len(asked) > len(found) // 100

    with pytest.raises(Cancelled):
        search_bundle(found, config, cancelled)
    assert len(asked) > len(found) // 100  # it was asked while Pagefind ran
    # No half-made bundle is left: only parts finished before the edit, each whole.
    for kept in (tmp_path / ".cache" / "search").iterdir():
        assert (kept / "pagefind-entry.json").is_file(), kept.name
    running = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True, check=False)
    assert running.stdout == ""  # Pagefind was stopped, not left running
    key, files = search_bundle(found[:50], config)
    assert "pagefind/pagefind-entry.json" in {file.path for file in files}
    assert [path.name for path in (tmp_path / ".cache" / "search").iterdir()] == [key]


def test_a_first_part_started_with_its_articles_takes_its_topics_after_collect_or_is_left_out(
        tmp_path: Path) -> None:
    """A cold build starts the first part of its index with the part's articles alone, and gives it
    the topics once collect made them: the same bytes as a part made in one go. When the articles it
    was sent are not the part's (collect's records differ), or it failed meanwhile, it is left out
    (``complete`` says so) and stopped, and the build makes the part at the search stage."""
    from digest.search import PART_RECORDS, start_first_part_articles

    count = PART_RECORDS + 10  # two parts
    articles = [Record(f"articles/note-{number}/", f"<html lang='en'><body><h1>Note {number}</h1>"
                       f"<p>word{number} and more words</p></body></html>") for number in range(count)]
    topics = [Record(f"topics/t{number}/", f"<html lang='en'><body><h1>Topic {number}</h1></body></html>", first=True)
              for number in range(3)]
    config = replace(load_config(REPO / "config.yaml"), root=tmp_path / "early")
    cache = tmp_path / "early" / ".cache" / "search"

    early = start_first_part_articles(articles, config)
    assert early is not None
    assert early.complete([*articles, *topics], config.language, cache)
    _, files = search_bundle([*articles, *topics], config, workers=2, underway=[early])
    plain = replace(config, root=tmp_path / "plain")
    _, plain_files = search_bundle([*articles, *topics], plain, workers=2)
    assert [(file.path, file.data) for file in files] == [(file.path, file.data) for file in plain_files]

    # Collect's article records are not those sent (here, one article's text changed): left out.
    other = replace(config, root=tmp_path / "other")
    early = start_first_part_articles(articles, other)
    assert early is not None
    changed = [Record(record.href, record.html.replace("more words", "other words")) for record in articles]
    assert not early.complete([*changed, *topics], other.language, tmp_path / "other" / ".cache" / "search")
    assert not early.thread.is_alive()
    # Failed meanwhile (its Pagefind gone): left out too, its error not the build's.
    failed = replace(config, root=tmp_path / "failed")
    early = start_first_part_articles(articles, failed)
    assert early is not None
    early.stop.set()  # kills its Pagefind, as the system's out-of-memory killer would
    early.thread.join()
    assert not early.complete([*articles, *topics], failed.language, tmp_path / "failed" / ".cache" / "search")


def test_an_edit_re_indexes_only_the_part_of_the_search_index_that_holds_the_page(tmp_path: Path) -> None:
    """A big site's index comes in parts, each kept in the cache under the digest of its own records:
    a changed page re-indexes its part only, and the other parts' bundles are reused as they are."""
    from digest.search import PART_RECORDS, part_count, part_folders, part_of

    config = replace(load_config(REPO / "config.yaml"), root=tmp_path)
    count = PART_RECORDS + 10
    found = [Record(f"articles/note-{number}/", f"<html lang='en'><body><h1>Note {number}</h1>"
                    f"<p>word{number} and more words</p></body></html>") for number in range(count)]
    _, files = search_bundle(found, config, workers=2)
    parts = part_count(count)
    assert parts == 2
    cache = tmp_path / ".cache" / "search"
    before = {path.name: path.stat().st_ino for path in cache.iterdir()}
    assert len(before) == parts
    paths = {file.path for file in files}
    for folder in part_folders(parts):
        assert folder + "pagefind-entry.json" in paths
    assert "pagefind/pagefind-ui.js" in paths and "pagefind/part-1/pagefind-ui.js" not in paths
    edited = next(number for number in range(count) if part_of(f"articles/note-{number}/", parts) == 1)
    found[edited] = Record(found[edited].href, found[edited].html.replace("more words", "an edit"))
    search_bundle(found, config, workers=2)
    after = {path.name: path.stat().st_ino for path in cache.iterdir()}
    assert len(after) == parts
    kept = set(before) & set(after)
    assert len(kept) == 1 and all(before[name] == after[name] for name in kept)  # part 0, not made again


def test_a_theme_whose_search_page_loads_one_part_is_warned_about(tmp_path: Path) -> None:
    from digest.search import PART_RECORDS

    project = make_project(tmp_path / "project", with_seed=False)
    theme = project / "themes" / "default" / "templates" / "search.html"
    theme.write_text(theme.read_text(encoding="utf-8").replace(' data-parts="', ' data-x="').replace(
        "search_parts", "[]"), encoding="utf-8")
    for number in range(PART_RECORDS + 1):
        (project / "content" / "articles" / f"n{number}.md").write_text(
            f"---\ntitle: N {number}\n---\n\nA short note.\n", encoding="utf-8")
    result = run_cli(project, timeout=600)
    assert result.code == 0, result.err
    assert "search.html" in result.out + result.err and "parts" in result.out + result.err


def test_dates_show_in_their_own_offset_even_after_an_equal_instant(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from digest.render import make_environment
    from digest.theme import load_theme

    env = make_environment(load_theme(load_config(REPO / "config.yaml")))
    utc = datetime(2024, 3, 1, 23, 30, tzinfo=UTC)
    paris = datetime(2024, 3, 2, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert utc == paris  # the same instant
    for name in ("isodate", "longdate", "shortdate"):
        env.filters[name](utc)
    assert env.filters["isodate"](paris) == "2024-03-02T00:30:00+01:00"
    assert env.filters["longdate"](paris) == "2 March 2024"
    assert env.filters["shortdate"](paris) == "2 Mar 2024"


def test_a_search_indexer_that_answers_nonsense_fails_the_build_with_its_own_message(tmp_path: Path) -> None:
    """Pagefind is a separate program: when what it writes back is no answer, the build stops it and
    fails saying what it printed (no hang, no traceback), and no site/ is written."""
    broken = broken_pagefind(tmp_path / "fake", "#!/bin/sh\necho 'Error: the index is on fire' >&2\n"
                                                "echo 'this is no answer,'\nexec sleep 120\n")
    project = make_project(tmp_path / "project")
    result = run_cli(project, env=broken, timeout=60)
    assert result.code == 1, result.out + result.err
    assert "search index could not be built: Error: the index is on fire" in result.err
    assert "Traceback" not in result.err
    assert not (project / "site").exists()


def test_a_build_that_fails_while_rendering_stops_the_search_index_it_started(tmp_path: Path) -> None:
    """After an edit, a build starts Pagefind on the part of the index holding the page before it
    renders, to run beside the render. When a page then fails to render, the build fails with the
    template's error at once: Pagefind is stopped, not waited for, and site/ and the index kept in
    the cache are as they were."""
    import os

    project = make_project(tmp_path / "project", with_seed=False)
    articles = project / "content" / "articles"
    for number in range(120):  # enough pages for the render to go to the workers, well after Pagefind starts
        (articles / f"n{number}.md").write_text(
            f"---\ntitle: Note {number}\ndate: 2024-03-01\n---\n\nThe harbour note number {number}.\n",
            encoding="utf-8")
    assert run_cli(project, timeout=300).code == 0
    site_before = tree_bytes(project / "site")
    search_before = sorted(path.name for path in (project / ".cache" / "search").iterdir())
    (articles / "n7.md").write_text("---\ntitle: Zeppelin note\ndate: 2024-03-01\n---\n\nAn edit.\n",
                                    encoding="utf-8")
    template = project / "themes" / "default" / "templates" / "article.html"
    template.write_text(template.read_text(encoding="utf-8").replace(
        "{% block title %}", "{% block title %}{% if 'Zeppelin' in article.title %}{{ 1 // 0 }}{% endif %}", 1),
        encoding="utf-8")
    started = tmp_path / "pagefind.pid"
    # A Pagefind that starts and never answers: only being stopped ends it.
    slow = broken_pagefind(tmp_path / "fake", f"#!/bin/sh\necho $$ > '{started}'\nexec sleep 300\n")
    failed = run_cli(project, env=slow, timeout=120)
    assert failed.code == 1, failed.out + failed.err
    assert "template error: ZeroDivisionError" in failed.err and "Traceback" not in failed.err
    assert "search" not in failed.out  # it failed in the render stage, with Pagefind still at work
    pid = int(started.read_text(encoding="utf-8"))  # Pagefind had started
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # and is gone
    assert tree_bytes(project / "site") == site_before
    assert sorted(path.name for path in (project / ".cache" / "search").iterdir()) == search_before


def test_after_an_edit_pagefind_starts_on_the_article_part_of_the_index_before_the_analysis(tmp_path: Path) -> None:
    """Every part of a big site's index but the first holds articles only (topics and pages go to the
    first): after an edit to an article of such a part, the build starts Pagefind on it as soon as
    the article is read, beside the analysis and collect, instead of after them (and so does a
    cold build, when the site's articles are few enough for their parts to build beside the
    analysis). A build that then fails stops that Pagefind too, and leaves site/ and the cached
    index as they were."""
    import base64
    import contextlib
    import os
    import shutil
    import sys
    import threading
    import time

    from digest.search import PART_RECORDS, pagefind_executable, part_count, part_of
    from digest.views import article_href

    project = make_project(tmp_path / "project", with_seed=False)
    articles = project / "content" / "articles"
    count = PART_RECORDS + 1
    for number in range(count):
        (articles / f"n{number}.md").write_text(
            f"---\ntitle: Note {number}\ndate: 2024-03-01\n---\n\nThe harbour note number {number}.\n",
            encoding="utf-8")
        # Saved a while ago: files saved in the last seconds are parsed again by the next build.
        os.utime(articles / f"n{number}.md", (time.time() - 3600, time.time() - 3600))

    # Each build below: the real Pagefind, each start noted, and the build's lines as they come.
    starts = tmp_path / "starts.log"
    # One write per start (the log is opened for appending): two Pagefinds started at once once
    # interleaved their lines, each writing its number and its newline apart (unbuffered).
    noting = broken_pagefind(tmp_path / "noting", f"#!/bin/sh\n'{sys.executable}' -c 'import os, time; "
                                                  f"os.write(1, (repr(time.time()) + chr(10)).encode())' "
                                                  f">> '{starts}'\nexec '{pagefind_executable()}' \"$@\"\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
           **noting}

    def build_noting_pagefind() -> float:
        """Build; how long before the analysis ended Pagefind first started (negative: after)."""
        return max(build_noting_starts("analyze"))

    # Each Pagefind's niceness, sampled while it runs. The build waits for these processes: they
    # must run at its own priority, or any other busy program starves them (at the lowest, a cold
    # build of 1,000 articles beside two busy programs took 78-84 s instead of 11-13).
    niceness: list[int] = []

    def sample_niceness(build: subprocess.Popen[str]) -> None:
        while build.poll() is None:
            with contextlib.suppress(OSError):
                for stat in Path("/proc").glob("[0-9]*/stat"):
                    with contextlib.suppress(OSError, ValueError):
                        text = stat.read_text(encoding="utf-8")
                        name, fields = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
                        if name == "pagefind" and int(fields[1]) == build.pid:  # the noting script, then Pagefind
                            niceness.append(int(fields[16]))
            time.sleep(0.02)  # each Pagefind here runs for well over 0.1 s

    # Where /proc shows this process's own PID namespace (Linux, not a sandbox's other view).
    proc_is_ours = Path("/proc/self/stat").exists() and int(
        Path("/proc/self/stat").read_text(encoding="utf-8").split()[0]) == os.getpid()

    def build_noting_starts(stage: str) -> list[float]:
        """Build; how long before ``stage`` ended each Pagefind started (negative: after)."""
        starts.unlink(missing_ok=True)
        seen: dict[str, float] = {}
        niceness.clear()
        with subprocess.Popen([sys.executable, str(REPO / "build.py")], cwd=project, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) as build:
            sampler = threading.Thread(target=sample_niceness, args=(build,))
            sampler.start()
            assert build.stdout is not None
            for line in build.stdout:
                seen.setdefault(line.split(" ", 1)[0], time.time())
            assert build.wait(timeout=600) == 0, build.stderr.read() if build.stderr else ""
            sampler.join()
        if proc_is_ours:
            assert niceness, "no Pagefind was seen running"
            assert set(niceness) == {os.getpriority(os.PRIO_PROCESS, 0)}, f"Pagefind's niceness: {sorted(set(niceness))}"
        return [seen[stage] - float(line) for line in starts.read_text(encoding="utf-8").split()]

    # The cold build of these 901 articles (two parts, both small) starts both early: the second
    # part, all articles, and the first with its articles, its topics sent once collect made them.
    # (Both before the render ended: the noting script may wait for a core while the analysis takes
    # both.) Its index is the one a build that starts Pagefind only after the render makes
    # (--no-cache).
    assert sorted(start > 0 for start in build_noting_starts("render")) == [True, True]
    cold = tmp_path / "cold"
    shutil.copytree(project, cold, ignore=shutil.ignore_patterns("site", ".cache"))
    assert run_cli(cold, "--no-cache", timeout=600).code == 0
    assert tree_bytes(project / "site" / "pagefind") == tree_bytes(cold / "site" / "pagefind")
    shutil.rmtree(cold)
    parts = part_count(count)
    assert parts == 2
    edited = next(number for number in range(count) if part_of(article_href(f"n{number}"), parts) == 1)
    cache = project / ".cache" / "search"
    search_before = sorted(path.name for path in cache.iterdir())
    site_before = tree_bytes(project / "site")
    # A long article: its analysis takes a while, and Pagefind must have started before it ends.
    long_read = " ".join(f"The quay {word} was rebuilt in stone by the harbour board." for word in range(1500))
    (articles / f"n{edited}.md").write_text(
        f"---\ntitle: Zeppelin note\ndate: 2024-03-01\n---\n\n{long_read}\n", encoding="utf-8")

    # A build that fails in the render, while Pagefind (one that never answers) works on the part.
    template = project / "themes" / "default" / "templates" / "article.html"
    original = template.read_text(encoding="utf-8")
    template.write_text(original.replace(
        "{% block title %}", "{% block title %}{% if 'Zeppelin' in article.title %}{{ 1 // 0 }}{% endif %}", 1),
        encoding="utf-8")
    started = tmp_path / "pagefind.pid"
    # A Pagefind that answers the new index, then reads nothing more: the build is soon blocked
    # writing the long article into its full pipe, and only killing Pagefind ends that.
    new_index = base64.b64encode(b'{"message_id": 0, "payload": {"type": "NewIndex", "index_id": 0}}').decode()
    stuck = broken_pagefind(tmp_path / "stuck", f"#!/bin/sh\necho $$ > '{started}'\nprintf '{new_index},'\n"
                                                "exec sleep 300\n")
    failed = run_cli(project, env=stuck, timeout=120)
    assert failed.code == 1 and "template error: ZeroDivisionError" in failed.err, failed.out + failed.err
    with pytest.raises(ProcessLookupError):
        os.kill(int(started.read_text(encoding="utf-8")), 0)  # it had started, and is gone
    assert tree_bytes(project / "site") == site_before
    assert sorted(path.name for path in cache.iterdir()) == search_before

    # The same edit built.
    template.write_text(original, encoding="utf-8")
    assert build_noting_pagefind() > 0  # Pagefind was at work before the analysis ended
    after = sorted(path.name for path in cache.iterdir())
    assert len(after) == parts and len(set(after) - set(search_before)) >= 1
    assert "Zeppelin note" in (project / "site" / "articles" / f"n{edited}" / "index.html").read_text(
        encoding="utf-8")

    # An article of the first part, which also holds the topics: its part is started as early, the
    # topics taken to be the last build's (made again after collect if they are not).
    first = next(number for number in range(count) if part_of(article_href(f"n{number}"), parts) == 0)
    (articles / f"n{first}.md").write_text(
        f"---\ntitle: Note {first}\ndate: 2024-03-01\n---\n\n{long_read}\n", encoding="utf-8")
    assert build_noting_pagefind() > 0
    assert "rebuilt in stone" in (project / "site" / "articles" / f"n{first}" / "index.html").read_text(
        encoding="utf-8")

    # A wrong guess (the topics kept from the last build are not collect's: here, doctored) is
    # stopped once collect made the real ones, and never reaches site/: the same index as a build
    # from nothing.
    kept = project / ".cache" / "search-topics.json"
    kept.write_text(kept.read_text(encoding="utf-8").replace("<h1>", "<h1>Stale ", 1), encoding="utf-8")
    (articles / f"n{first}.md").write_text(
        f"---\ntitle: Note {first}\ndate: 2024-03-01\n---\n\nThe harbour note number {first}, again.\n",
        encoding="utf-8")
    assert build_noting_pagefind() > 0
    assert len(list(cache.iterdir())) == parts
    fresh = tmp_path / "fresh"
    shutil.copytree(project, fresh, ignore=shutil.ignore_patterns("site", ".cache"))
    assert run_cli(fresh, "--no-cache", timeout=600).code == 0
    assert tree_bytes(project / "site" / "pagefind") == tree_bytes(fresh / "site" / "pagefind")

    # Another article of the second part edited: whichever way the build finds its parts (made while
    # it rendered, or all in the cache by then), the part the edit replaces leaves the cache.
    other = next(number for number in range(count)
                 if number != edited and part_of(article_href(f"n{number}"), parts) == 1)
    (articles / f"n{other}.md").write_text(
        f"---\ntitle: Note {other}\ndate: 2024-03-01\n---\n\nThe harbour note number {other}, amended.\n",
        encoding="utf-8")
    assert run_cli(project, timeout=300).code == 0
    assert len(list(cache.iterdir())) == parts


def test_the_scratch_folders_of_killed_builds_leave_the_search_cache_when_it_is_next_made(tmp_path: Path) -> None:
    """Pagefind makes each part in a scratch folder of .cache/search named with the build's pid: a
    build killed while Pagefind ran leaves one. The next build that indexes removes those of
    processes no longer running (and of older versions, named without a pid), never one of a build
    still running."""
    import os

    project = make_project(tmp_path / "project")
    assert run_cli(project).code == 0
    cache = project / ".cache" / "search"
    killed, older, running = cache / "index-999999999-abc", cache / "index-k2j3h4g5", cache / f"index-{os.getpid()}-x"
    for folder in (killed, older, running):
        (folder / "bundle").mkdir(parents=True)
    article = next((project / "content" / "articles").glob("*.md"))
    article.write_text(article.read_text(encoding="utf-8") + "\n## Zeppelinwort\n", encoding="utf-8")
    result = run_cli(project)
    assert result.code == 0, result.err
    assert "zeppelinwort" in _indexed_text(project / "site")
    assert not killed.exists() and not older.exists() and running.is_dir()


def test_big_parts_of_the_search_index_build_one_at_a_time_and_small_ones_together() -> None:
    """Pagefind's build step holds ~0.27 MB a record: two parts of ~670 records (a 5,000-article
    site) must not build at once, two of ~500 (a 1,000-article site) may."""
    import threading

    from digest.search import BUILD_RECORDS, _BuildBudget

    def second_waits(first: int, second: int) -> bool:
        budget = _BuildBudget(BUILD_RECORDS)
        entered = threading.Event()

        def build_second() -> None:
            with budget.hold(second):
                entered.set()

        with budget.hold(first):
            thread = threading.Thread(target=build_second)
            thread.start()
            waited = not entered.wait(timeout=0.5)
        thread.join(timeout=10)
        assert entered.is_set()  # it builds once the first is done, in any case
        return waited

    assert second_waits(670, 670)
    assert not second_waits(545, 545)
    assert second_waits(100, BUILD_RECORDS)  # a part bigger than the budget builds alone


def test_a_long_archive_pages_through_a_window_of_numbers(tmp_path: Path) -> None:
    """With many archive pages, each pager links to the first, the last and two either side of its
    own page, with an ellipsis where numbers are skipped: not to every page (a 5,000-article
    archive had 167 links on each of its 167 pages)."""
    project = make_project(tmp_path / "project", with_seed=False)
    config = (project / "config.yaml").read_text(encoding="utf-8")
    (project / "config.yaml").write_text(config.replace("  language: en\n", "  language: en\n  per_page: 1\n"),
                                         encoding="utf-8")
    for number in range(9):
        (project / "content" / "articles" / f"a{number}.md").write_text(
            article(f"a{number}", f"Story {number}", f"2024-05-{number + 10}", "markets", "copper smelter", number),
            encoding="utf-8")
    assert run_cli(project).code == 0

    def numbers(path: str) -> list[str]:
        pager = page(project, path).split('<span class="pages">')[1].split("</span>\n")[0]
        return re.findall(r'>(\d+|…)</', pager)

    assert numbers("archive/index.html") == ["1", "2", "3", "…", "9"]
    assert numbers("archive/page/5/index.html") == ["1", "…", "3", "4", "5", "6", "7", "…", "9"]
    assert numbers("archive/page/4/index.html") == ["1", "2", "3", "4", "5", "6", "…", "9"]
    assert numbers("archive/page/9/index.html") == ["1", "…", "7", "8", "9"]
    assert '<span aria-current="page">5</span>' in page(project, "archive/page/5/index.html")
    assert 'href="../../../archive/page/9/"' in page(project, "archive/page/5/index.html")


def test_a_cached_index_part_removed_while_the_build_reads_it_fails_the_build_not_the_site(tmp_path: Path) -> None:
    """A cached build links the index's parts while its workers render, seconds after it found
    them all in the cache; the preview beside it may replace them meanwhile. A part gone by then
    is an error naming it, never a site whose search silently lacks that part."""
    import shutil

    from digest.errors import DigestError
    from digest.search import cached_parts

    config = replace(load_config(REPO / "config.yaml"), root=tmp_path)
    found = [Record(f"articles/note-{number}/", f"<html lang='en'><body><h1>Note {number}</h1>"
                    f"<p>{' '.join(f'word{number * 7 + index}' for index in range(30))}</p></body></html>")
             for number in range(40)]
    search_bundle(found, config)
    parts = cached_parts(found, config)
    assert parts is not None and len(parts) == 1
    assert "pagefind/pagefind-entry.json" in {file.path for file in parts[0]()}
    [folder] = (tmp_path / ".cache" / "search").iterdir()
    shutil.rmtree(folder)
    with pytest.raises(DigestError, match="changed while it was read"):
        parts[0]()


def test_a_quote_the_summary_already_says_is_not_shown_again_unless_pinned(project: Path) -> None:
    articles = project / "content" / "articles"
    said = "We will rebuild the harbour wall before the winter storms arrive"
    other = "The fishermen have waited long enough for a safe place to land their catch"
    body = (f"The council met on Monday about the harbour.\n\n\"{said},\" said Maria Lopez, the council leader.\n\n"
            f"\"{other},\" said Maria Lopez.\n\nWork starts in October, the council said.\n")
    summary = f"summary: ['\"{said},\" said Maria Lopez, the council leader.']\n"
    (articles / "harbour.md").write_text(f"---\ntitle: Harbour wall\n{summary}---\n\n{body}", encoding="utf-8")
    assert run_cli(project).code == 0
    shown = page(project, "articles/harbour/index.html")
    assert said in shown.split('class="summary-box"')[1].split("</aside>")[0]
    quotes = re.findall(r"<blockquote><p>(.*?)</p></blockquote>", shown)
    assert said not in " ".join(quotes) and other in quotes[0], quotes
    # Pinned, it is shown: the user chose it.
    (articles / "harbour.md").write_text(
        f"---\ntitle: Harbour wall\n{summary}pull_quote: {{text: \"{said}\", speaker: Maria Lopez}}\n---\n\n{body}",
        encoding="utf-8")
    assert run_cli(project).code == 0
    quotes = re.findall(r"<blockquote><p>(.*?)</p></blockquote>", page(project, "articles/harbour/index.html"))
    assert quotes[0] == said, quotes
    # Only the same words, whole: 'he will win' is not said by a summary that says 'she will win'.
    (articles / "harbour.md").write_text(
        "---\ntitle: Harbour vote\nsummary: ['She will win the harbour vote by a wide margin, the pollster said.']\n"
        "---\n\nThe vote is on Friday.\n\n\"He will win the harbour vote by a wide margin,\" said John Smith.\n",
        encoding="utf-8")
    assert run_cli(project).code == 0
    quotes = re.findall(r"<blockquote><p>(.*?)</p></blockquote>", page(project, "articles/harbour/index.html"))
    assert [quote.rstrip(".") for quote in quotes] == ["He will win the harbour vote by a wide margin"], quotes


def test_pages_say_their_direction_and_an_arabic_article_reads_right_to_left(project: Path) -> None:
    articles = project / "content" / "articles"
    (articles / "ar.md").write_text("---\ntitle: خبر\nlanguage: ar\n---\n\nوافق مجلس المدينة على الميزانية.\n",
                                    encoding="utf-8")
    (articles / "plain.md").write_text("---\ntitle: Plain\n---\n\nThe council agreed the budget.\n", encoding="utf-8")
    assert run_cli(project).code == 0
    assert '<html lang="en" dir="ltr">' in page(project, "index.html")
    assert '<article class="article" lang="ar" dir="rtl">' in page(project, "articles/ar/index.html")
    assert '<article class="article" dir="auto">' in page(project, "articles/plain/index.html")
