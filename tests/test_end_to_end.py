"""The example project built as a user builds it: `python build.py` in a fresh folder."""

from __future__ import annotations

import re
import shutil
import urllib.request
from html import unescape
from pathlib import Path

import pytest

from tests.conftest import run_cli, tree_bytes
from tests.sitecheck import crawl, serve

STAGES = ("config", "ingest", "read", "analyze", "collect", "render", "write")


def text_of(path: Path) -> str:
    """The visible text of a page, tags removed and entities decoded."""
    html = path.read_text(encoding="utf-8")
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def only_article(project: Path) -> Path:
    pages = sorted((project / "site" / "articles").glob("*/index.html"))
    assert len(pages) == 1, pages
    return pages[0]


def test_build_prints_each_stage_and_a_total(project: Path) -> None:
    result = run_cli(project)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    for stage in STAGES:
        assert any(re.match(rf"^{stage}\s+\d+\.\d ms", line) for line in lines), (stage, result.out)
    assert re.match(r"^built \d+ pages \(\d+ files\) in \d+\.\d\d s", lines[-1]), lines[-1]
    assert "Traceback" not in result.err


def test_profile_shows_where_each_stage_spent_its_time_and_always_builds(project: Path) -> None:
    assert run_cli(project).code == 0
    result = run_cli(project, "build", "--profile")  # nothing changed, but a profile is wanted: it builds
    assert result.code == 0, result.err
    assert "nothing changed since the last build" not in result.out
    sections = re.split(r"^(config|ingest|read|analyze|collect|render|search|write) +[\d.]+ ms.*$", result.out,
                        flags=re.MULTILINE)
    profiled = dict(zip(sections[1::2], sections[2::2], strict=True))
    assert list(profiled) == ["config", "ingest", "read", "analyze", "collect", "render", "search", "write"]
    assert all("ncalls" in text and "cumtime" in text for text in profiled.values())
    assert "load_config" in profiled["config"] and "render_site" in profiled["render"]
    assert "commit" in profiled["write"]  # the new site swapped in (its pages were written as rendered)
    assert "ncalls" not in run_cli(project).out  # without --profile: the stage lines only


def test_a_long_analysis_shows_a_progress_bar_on_a_terminal_only(project: Path) -> None:
    """The analysis of many new articles draws a bar on stderr when stderr is a terminal (a real
    pseudo-terminal here); piped output gets only the stage lines."""
    import os
    import pty
    import subprocess
    import sys

    from tests.conftest import REPO

    for number in range(25):
        (project / "content" / "articles" / f"n{number}.md").write_text(
            f"---\ntitle: Note {number}\n---\n\nThe council met on Tuesday about item {number}.\n", encoding="utf-8")
    parent, child = pty.openpty()
    try:
        done = subprocess.run([sys.executable, str(REPO / "build.py")], cwd=project, stdout=subprocess.PIPE,
                              stderr=child, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120, check=False)
        os.close(child)
        shown = b""
        while True:
            try:
                chunk = os.read(parent, 65536)
            except OSError:  # the terminal's other end is closed: all was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(parent)
    assert done.returncode == 0, shown
    text = shown.decode("utf-8", "replace")
    assert "analyze  [" in text and "] 26/26" in text, text  # the 25 notes and the seed
    assert "analyze  [" not in done.stdout.decode("utf-8")
    piped = run_cli(project, "build", "--no-cache")
    assert piped.code == 0 and "[#" not in piped.err + piped.out


def test_seed_becomes_a_digest_site(project: Path) -> None:
    assert run_cli(project).code == 0
    site = project / "site"
    ingested = list((project / "content" / "articles").glob("*.md"))
    assert len(ingested) == 1

    article = text_of(only_article(project))
    assert "Russia-Ukraine War: Kyiv Under Heavy Bombing" in article
    assert "[VIDEOS]" not in article and "• Updated" not in article
    assert "Summary" in article and "They're killing people" in article and "Volodymyr Zelensky" in article
    article_html = only_article(project).read_text(encoding="utf-8")
    assert "<h2>Kyiv Under Attack</h2>" in article_html
    assert "<h2>Fighting Till the Last Breath</h2>" in article_html
    assert re.search(r'<figure class="caption"><figcaption>\s*<p>Explosions rock Kiev</p>', article_html)
    assert "content/inbox" not in article  # a local file path is no public source

    topic_pages = sorted((site / "topics").glob("*/index.html"))
    assert len(topic_pages) == 1
    topic_html = topic_pages[0].read_text(encoding="utf-8")
    story = re.search(r'<section class="story".*?</section>', topic_html, re.S)
    assert story is not None
    story_text = unescape(re.sub(r"<[^>]+>", " ", story.group(0)))
    assert "Kyiv" in story_text and ("bombardment" in story_text or "attack" in story_text.lower())
    quote = re.search(r'<figure class="pullquote">.*?</figure>', topic_html, re.S)
    assert quote is not None
    quote_text = " ".join(unescape(re.sub(r"<[^>]+>", " ", quote.group(0))).split())
    assert quote_text.startswith("They're killing people")
    assert "Volodymyr Zelensky" in quote_text
    assert "heroes" not in {q.strip() for q in re.findall(r"<blockquote><p>(.*?)</p>", topic_html)}
    # Each article on the topic page carries its own summary.
    assert '<p class="summary">' in topic_html

    home = text_of(site / "index.html")
    topic_name = text_of(topic_pages[0]).split(" Digest ")[1].split()[0]
    assert topic_name in home
    assert "Latest articles" in home and "Russia-Ukraine War" in home
    assert (site / "404.html").exists() and (site / "about" / "index.html").exists()


def test_every_link_works_at_the_root_and_under_a_sub_path(project: Path, tmp_path: Path) -> None:
    config = project / "config.yaml"
    config.write_text(config.read_text().replace("https://example.org/", "https://example.org/repo/"))
    assert run_cli(project).code == 0
    site = project / "site"
    with serve(site) as base:
        seen, broken = crawl(base + "/")
    assert broken == []
    assert len(seen) >= 6
    hosted = tmp_path / "host"
    shutil.copytree(site, hosted / "repo")
    with serve(hosted) as base:
        seen_sub, broken_sub = crawl(base + "/repo/")
        # The 404 page is served at whatever URL was asked for: its links carry the base path.
        not_found, broken_404 = crawl(base + "/repo/404.html")
    assert broken_sub == []
    assert len(seen_sub) == len(seen)
    assert broken_404 == []
    assert any(url.endswith("/repo/topics/") for url in not_found)


@pytest.mark.parametrize("sub_path", ["", "repo/"])
def test_feeds_sitemap_and_canonical_urls_resolve_at_the_root_and_under_a_sub_path(
    project: Path, tmp_path: Path, sub_path: str
) -> None:
    hosted = tmp_path / "host"
    hosted.mkdir()
    with serve(hosted) as base:
        root = f"{base}/{sub_path}"
        assert run_cli(project, env={"DIGEST_BASE_URL": root}).code == 0
        shutil.copytree(project / "site", hosted / sub_path, dirs_exist_ok=True)

        def get(url: str) -> str:
            with urllib.request.urlopen(url, timeout=10) as response:
                assert response.status == 200, url
                return str(response.read().decode("utf-8"))

        sitemap = re.findall(r"<loc>([^<]+)</loc>", get(root + "sitemap.xml"))
        feeds = [root + "feed.xml", *(root + f"topics/{p.parent.name}/feed.xml"
                                      for p in (project / "site" / "topics").glob("*/feed.xml"))]
        urls = list(sitemap)
        for feed in feeds:
            text = get(feed)
            assert f'<link rel="self" type="application/atom+xml" href="{feed}"/>' in text
            urls += re.findall(r'<link rel="alternate" type="text/html" href="([^"]+)"/>', text)
        assert f"Sitemap: {root}sitemap.xml" in get(root + "robots.txt")
        for url in sorted(set(urls)):
            assert url.startswith(root), url
            page = get(url)
            if "<link rel=\"canonical\"" in page:  # every page names itself, under this base
                assert f'<link rel="canonical" href="{url}">' in page, url
                assert f'<meta property="og:url" content="{url}">' in page, url
        assert len(sitemap) >= 8


def test_rebuild_is_byte_identical_and_touches_nothing(project: Path) -> None:
    assert run_cli(project).code == 0
    first = tree_bytes(project / "site")
    content_before = tree_bytes(project / "content")
    mtimes = {p: p.stat().st_mtime_ns for p in (project / "site").rglob("*")}
    again = run_cli(project)
    assert again.code == 0
    assert "0 written, 1 unchanged" in again.out
    assert "nothing changed" in again.out
    assert tree_bytes(project / "site") == first
    assert tree_bytes(project / "content") == content_before
    assert {p: p.stat().st_mtime_ns for p in (project / "site").rglob("*")} == mtimes
    shutil.rmtree(project / "site")
    assert run_cli(project).code == 0
    assert tree_bytes(project / "site") == first
