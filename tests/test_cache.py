"""The analysis cache and the process pool change how fast a build is, never what it writes."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from digest.workers import Workers
from tests.conftest import REPO, SEED, SHARED, broken_pagefind, make_project, put_in_inbox, run_cli, tree_bytes


def analysed(out: str) -> tuple[int, int]:
    match = re.search(r"^analyze\s+[\d.]+ ms\s+(\d+) analysed, (\d+) from cache", out, re.M)
    assert match is not None, out
    return int(match.group(1)), int(match.group(2))


def test_an_unchanged_article_is_analysed_once(project: Path) -> None:
    first = run_cli(project)
    assert first.code == 0, first.err
    assert analysed(first.out) == (1, 0)
    site = tree_bytes(project / "site")
    again = run_cli(project)
    assert analysed(again.out) == (0, 1)
    assert tree_bytes(project / "site") == site
    assert (project / ".cache" / "analysis.json").is_file()


def test_edits_and_settings_make_fresh_analyses(project: Path) -> None:
    (project / "content" / "articles" / "other.md").write_text(
        "---\ntitle: Harbour reopens\ndate: 2024-01-02\n---\n\nThe harbour reopened on Monday after repairs.\n",
        encoding="utf-8",
    )
    assert analysed(run_cli(project).out) == (2, 0)
    other = project / "content" / "articles" / "other.md"
    other.write_text(other.read_text(encoding="utf-8").replace("Monday", "Tuesday"), encoding="utf-8")
    assert analysed(run_cli(project).out) == (1, 1)
    config = project / "config.yaml"
    config.write_text(config.read_text().replace("summary_sentences: 3", "summary_sentences: 2"))
    assert analysed(run_cli(project).out) == (2, 0)


def test_a_corrupt_cache_is_ignored_with_a_warning(project: Path) -> None:
    assert run_cli(project).code == 0
    site = tree_bytes(project / "site")
    (project / ".cache" / "analysis.json").write_text("{not json", encoding="utf-8")
    result = run_cli(project)
    assert result.code == 0, result.err
    assert "analysis cache unreadable" in result.err
    assert analysed(result.out) == (1, 0)
    assert tree_bytes(project / "site") == site


def test_no_cache_gives_the_same_site(project: Path) -> None:
    assert run_cli(project).code == 0
    cached = tree_bytes(project / "site")
    shutil.rmtree(project / "site")
    result = run_cli(project, "build", "--no-cache")
    assert analysed(result.out) == (1, 0)
    assert tree_bytes(project / "site") == cached


def test_one_or_two_workers_and_any_hash_seed_give_identical_sites(tmp_path: Path) -> None:
    stories = sorted((SHARED / "corpus" / "cnn-dev" / "stories").glob("*.txt"))
    if len(stories) < 60:
        pytest.skip(f"needs the CNN dev stories under {SHARED / 'corpus'} for a batch big enough for the pool")
    sites = []
    for workers, seed in (("1", "1"), ("2", "2")):
        project = make_project(tmp_path / f"w{workers}", with_seed=False)
        put_in_inbox(project, stories)
        result = run_cli(project, "build", "--workers", workers, env={"PYTHONHASHSEED": seed})
        assert result.code == 0, result.err[-2000:]
        assert analysed(result.out) == (len(stories), 0)
        sites.append(tree_bytes(project / "site"))
    assert sites[0] == sites[1]


def test_a_fresh_build_records_every_page_for_the_next_to_reuse(tmp_path: Path) -> None:
    """Built into a fresh site/, with enough pages for the render workers, every page is recorded
    in .cache/pages.json with the key the next build looks it up by: that build renders nothing."""
    stories = sorted((SHARED / "corpus" / "cnn-dev" / "stories").glob("*.txt"))
    if len(stories) < 60:
        pytest.skip(f"needs the CNN dev stories under {SHARED / 'corpus'} for a batch big enough for the workers")
    project = make_project(tmp_path / "project", with_seed=False)
    put_in_inbox(project, stories)
    first = run_cli(project, "build", "--workers", "2")
    assert first.code == 0, first.err[-2000:]
    pages = int(re.search(r"^built (\d+) pages", first.out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert pages > 100
    again = run_cli(project, "build", "--workers", "2", "--profile")  # --profile: it builds all the same
    assert again.code == 0, again.err[-2000:]
    unchanged = int(re.search(r"^render .* (\d+) page\(s\) unchanged", again.out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    recorded = json.loads((project / ".cache" / "pages.json").read_text(encoding="utf-8"))["pages"]
    assert len(recorded) >= pages  # the HTML pages, and the feeds, the sitemap and robots.txt
    assert unchanged == len(recorded)
    assert "nothing changed" in again.out


def old_mtime(path: Path, seconds: int = 1_700_000_000) -> None:
    """Give a file an mtime well in the past: the parse cache does not trust files changed seconds ago."""
    os.utime(path, (seconds, seconds))


def test_parsed_articles_are_reused_until_the_file_changes(project: Path) -> None:
    article = project / "content" / "articles" / "harbour.md"
    article.write_text("---\ntitle: Harbour reopens\ndate: 2024-01-02\n---\n\nThe harbour reopened on Monday.\n",
                       encoding="utf-8")
    old_mtime(article)
    assert run_cli(project).code == 0
    for path in (project / "content" / "articles").glob("*.md"):
        old_mtime(path)
    assert run_cli(project).code == 0  # now every file is old enough to be kept parsed
    kept = "".join(shard.read_text(encoding="utf-8") for shard in (project / ".cache" / "articles").glob("*.json"))
    assert "The harbour reopened on Monday." in kept and "Kyiv" in kept
    site = tree_bytes(project / "site")
    assert run_cli(project).code == 0
    assert tree_bytes(project / "site") == site
    # An edit of the same size, at another time: parsed again.
    article.write_text(article.read_text(encoding="utf-8").replace("Monday", "Sunday"), encoding="utf-8")
    old_mtime(article, 1_700_000_100)
    assert run_cli(project).code == 0
    assert "reopened on Sunday" in (project / "site" / "articles" / "harbour" / "index.html").read_text("utf-8")


def test_a_corrupt_parse_cache_is_ignored(project: Path) -> None:
    assert run_cli(project).code == 0
    site = tree_bytes(project / "site")
    shards = list((project / ".cache" / "articles").glob("*.json"))
    assert shards
    for shard in shards:
        shard.write_text('{"version": 1, "articles": [', encoding="utf-8")
    result = run_cli(project)
    assert result.code == 0, result.err
    assert tree_bytes(project / "site") == site


def test_pages_taken_from_site_are_the_ones_a_full_render_gives(project: Path) -> None:
    assert run_cli(project).code == 0
    full = tree_bytes(project / "site")
    again = run_cli(project)
    assert re.search(r"^render .* (\d+) page\(s\) unchanged", again.out, re.M), again.out
    assert tree_bytes(project / "site") == full
    # A page changed by hand in site/ is rendered again, not trusted.
    home = project / "site" / "index.html"
    home.write_text("edited by hand", encoding="utf-8")
    assert run_cli(project).code == 0
    assert tree_bytes(project / "site") == full
    # A theme change renders every page with the new template.
    base = project / "themes" / "default" / "templates" / "base.html"
    base.write_text(base.read_text(encoding="utf-8").replace("Skip to content", "Skip to the story"), "utf-8")
    result = run_cli(project)
    assert "0 page(s) unchanged" in result.out
    assert "Skip to the story" in home.read_text(encoding="utf-8")
    shutil.rmtree(project / ".cache")
    assert run_cli(project).code == 0
    rebuilt = tree_bytes(project / "site")
    assert run_cli(project).code == 0
    assert tree_bytes(project / "site") == rebuilt


def test_after_edits_a_cached_build_equals_a_build_from_nothing(project: Path) -> None:
    articles = project / "content" / "articles"
    for number, (title, words) in enumerate([("Harbour reopens", "harbour ferry cargo crane quay"),
                                             ("Ferry strike ends", "harbour ferry strike union quay"),
                                             ("Crane collapses", "harbour crane cargo inquiry dock")]):
        (articles / f"story-{number}.md").write_text(
            f"---\ntitle: {title}\ndate: 2024-01-0{number + 1}\n---\n\nThe {words} story goes on. "
            f"Officials spoke about the {words} on Monday.\n\nA second paragraph about the {words}.\n",
            encoding="utf-8")
    assert run_cli(project).code == 0
    # A title that neighbours, related lists, archive pages and feeds show, and a new body.
    middle = articles / "story-1.md"
    middle.write_text(middle.read_text(encoding="utf-8").replace("Ferry strike ends", "Ferry strike is over")
                      .replace("goes on", "went on for weeks"), encoding="utf-8")
    old_mtime(middle, 1_700_000_500)
    assert run_cli(project).code == 0
    cached = tree_bytes(project / "site")
    assert any(b"Ferry strike is over" in data for path, data in cached.items() if path.startswith("archive/"))
    shutil.rmtree(project / "site")
    shutil.rmtree(project / ".cache")
    assert run_cli(project).code == 0
    assert tree_bytes(project / "site") == cached


def test_related_articles_kept_on_disk_follow_an_edit_to_keywords(project: Path) -> None:
    """Related articles come from .cache/collect.json while no article's keywords, topics, dates or
    slugs changed; an edit that changes them finds them again, as a build from nothing would."""
    articles = project / "content" / "articles"
    stories = {
        "harbour": ("Harbour reopens", "The harbour reopened after the crane repairs. Cargo ships returned to "
                    "the quay on Monday.\n\nDock workers cheered as the first cargo ship arrived."),
        "strike": ("Ferry strike ends", "Ferry crews ended their strike on Friday. The union accepted the pay "
                   "deal.\n\nPicket lines were cleared from the ferry terminal by the union."),
        "concert": ("Orchestra tours", "The city orchestra began its spring tour. The conductor praised the "
                    "violin section.\n\nThe choir joined the orchestra for the final concert."),
    }
    for number, (slug, (title, body)) in enumerate(stories.items()):
        (articles / f"{slug}.md").write_text(f"---\ntitle: {title}\ndate: 2024-01-0{number + 1}\n---\n\n{body}\n",
                                             encoding="utf-8")

    def related(page: bytes) -> list[str]:
        """The titles the page's "Related articles" list links to (none: no list)."""
        parts = page.decode("utf-8").split('id="related-heading"')
        return re.findall(r'<a href="[^"]*">([^<]*)</a>', parts[1].split("</ul>")[0]) if len(parts) > 1 else []

    assert run_cli(project).code == 0
    assert (project / ".cache" / "collect.json").is_file()
    assert "Ferry strike ends" not in related((project / "site" / "articles" / "concert" / "index.html").read_bytes())
    edited = articles / "concert.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace(
        "The choir joined the orchestra for the final concert.",
        "The strike kept the choir away: the union said its strike would go on, and union crews "
        "joined the strike."), encoding="utf-8")
    old_mtime(edited, 1_700_000_500)
    assert run_cli(project).code == 0
    cached = tree_bytes(project / "site")
    assert related(cached["articles/concert/index.html"])[0] == "Ferry strike ends"
    shutil.rmtree(project / "site")
    shutil.rmtree(project / ".cache")
    assert run_cli(project).code == 0
    assert tree_bytes(project / "site") == cached


def test_topic_stories_kept_on_disk_follow_a_new_date(project: Path) -> None:
    """A topic's story tells its articles oldest first. Its sentences come from .cache/collect.json
    while its articles and their analyses are the same; a new date changes no analysis (the date is
    not analysed) but does change the story's order, as a build from nothing shows."""
    articles = project / "content" / "articles"
    bodies = {
        "first": "The harbour board approved the new ferry timetable on Monday. Ferry crews welcomed the "
                 "harbour timetable.",
        "second": "Harbour engineers finished repairing the ferry crane on Friday. The crane lifts ferry "
                  "cargo at the harbour.",
    }
    for number, (slug, body) in enumerate(bodies.items()):
        (articles / f"{slug}.md").write_text(
            f"---\ntitle: Harbour news {slug}\ndate: 2024-03-0{number + 1}\ntopics: [harbour]\n---\n\n{body}\n",
            encoding="utf-8")
    config = project / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "\ntopics:\n", "\ntopics:\n  - name: Harbour\n    keywords: [harbour]\n", 1), encoding="utf-8")

    assert run_cli(project).code == 0, "first build"
    assert (project / ".cache" / "collect.json").is_file()
    before = (project / "site" / "topics" / "harbour" / "index.html").read_text(encoding="utf-8")
    assert before.index("board approved") < before.index("engineers finished"), "oldest article first"
    edited = articles / "first.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("2024-03-01", "2024-03-09"), encoding="utf-8")
    old_mtime(edited, 1_700_000_900)
    result = run_cli(project)
    assert result.code == 0, result.err
    assert "0 analysed" in result.out  # the analyses came from the cache; the story did not
    cached = tree_bytes(project / "site")
    after = cached["topics/harbour/index.html"].decode("utf-8")
    assert after.index("engineers finished") < after.index("board approved"), "the story follows the new date"
    shutil.rmtree(project / "site")
    shutil.rmtree(project / ".cache")
    assert run_cli(project).code == 0
    assert tree_bytes(project / "site") == cached


def test_near_duplicates_kept_on_disk_follow_a_new_date(project: Path) -> None:
    """Of the same story from two sources, the older is shown and the other names it. The groups
    come from .cache/collect.json while no article changed; a new date changes no analysis but
    does change which one is shown, as a build from nothing shows."""
    story = SEED.read_text(encoding="utf-8").split("\n", 1)[1]
    copy = project / "content" / "articles" / "wire-copy.md"
    copy.write_text("---\ntitle: Kyiv bombarded as Russian tanks close in\ndate: '2030-01-01T10:00:00+00:00'\n"
                    "source: https://wire.example.com/kyiv\n---\n\n" + story + "\n", encoding="utf-8")
    assert run_cli(project).code == 0
    page = (project / "site" / "articles" / "wire-copy" / "index.html").read_text(encoding="utf-8")
    assert "The same story as" in page  # the seed is older: it is the one shown
    copy.write_text(copy.read_text(encoding="utf-8").replace("2030-01-01", "2001-01-01"), encoding="utf-8")
    old_mtime(copy, 1_700_000_900)
    result = run_cli(project)
    assert result.code == 0, result.err
    assert "0 analysed" in result.out
    cached = tree_bytes(project / "site")
    assert "Also reported by" in cached["articles/wire-copy/index.html"].decode("utf-8")  # now the older one
    shutil.rmtree(project / "site")
    shutil.rmtree(project / ".cache")
    assert run_cli(project).code == 0
    assert tree_bytes(project / "site") == cached


def test_the_previews_memory_never_changes_what_is_built(project: Path, tmp_path: Path) -> None:
    from digest.pipeline import BuildMemory, build

    articles = project / "content" / "articles"
    for number in range(4):
        (articles / f"note-{number}.md").write_text(
            f"---\ntitle: Note {number} on the harbour\ndate: 2024-02-0{number + 1}\n---\n\n"
            f"The harbour ferry note {number} says the quay and the crane {number} were repaired. "
            f"Workers said the cargo dock {number} reopened.\n", encoding="utf-8")
    memory = BuildMemory(defer_search=True)
    preview, fresh = tmp_path / "preview", tmp_path / "fresh"
    config, base = project / "config.yaml", "http://127.0.0.1:8000/"
    build(config, echo=lambda _line: None, output=preview, base_url=base, memory=memory)

    def change(name: str, old: str, new: str) -> Callable[[], object]:
        path = articles / name
        return lambda: path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")

    edits = [
        change("note-1.md", "Note 1 on the harbour", "Note 1, the harbour"),  # a title
        change("note-2.md", "were repaired", "are being repaired"),  # a body
        change("note-3.md", "Note 3", "Last note"),
        change("note-2.md", "date: 2024-02-03", "date: 2023-12-30"),  # the order, the archive months
        change("note-0.md", "date: 2024-02-01\n", "date: 2024-02-01\ntopics: [business]\n"),  # pinned topic
        # A near-duplicate of note 1 (the same story from elsewhere), then it goes away again.
        lambda: (articles / "copy.md").write_text(
            (articles / "note-1.md").read_text(encoding="utf-8").replace("title: Note 1,", "title: Copy of note 1,"),
            encoding="utf-8"),
        lambda: (articles / "copy.md").unlink(),
        lambda: (articles / "note-3.md").unlink(),
    ]
    seen: set[str] = set()
    for edit in edits:
        edit()
        build(config, echo=lambda _line: None, output=preview, base_url=base, memory=memory)
        build(config, echo=lambda _line: None, output=fresh, base_url=base, use_cache=False)
        shown, made = tree_bytes(preview), tree_bytes(fresh)
        # The preview keeps the last search index until a quiet moment: compare the pages.
        assert {p: d for p, d in shown.items() if not p.startswith("pagefind/")} == {
            p: d for p, d in made.items() if not p.startswith("pagefind/")}
        seen.add("same story" if b"The same story as" in made.get("articles/note-1/index.html", b"") else "")
    assert "same story" in seen  # the near-duplicate was found, so that part of the memory was tried


def settle(project: Path) -> None:
    """Age every input by a minute, as if edited well before the build (inputs changed in the last
    two seconds are never trusted to be unchanged: they could change again unseen)."""
    old = os.stat(project).st_mtime - 60
    for path in [project / "config.yaml", *(project / "content").rglob("*"), *(project / "themes").rglob("*")]:
        os.utime(path, (old, old))


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.stat().st_ino)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_build_with_nothing_changed_touches_nothing(project: Path) -> None:
    assert run_cli(project).code == 0  # ingests the seed
    settle(project)
    assert "built" in run_cli(project).out  # the build a later one can compare itself with
    written = stamps(project / "site")
    again = run_cli(project)
    assert again.code == 0, again.err
    assert "nothing changed since the last build: site/ is up to date" in again.out
    assert "analyze" not in again.out  # no stage ran
    assert stamps(project / "site") == written  # not a file rewritten


@pytest.mark.parametrize("change", ["article", "new article", "theme", "config", "site file", "site removed",
                                    "source date epoch", "base url from the environment", "killed build's leftovers",
                                    "library upgraded"])
def test_any_change_to_inputs_or_site_gives_a_real_build(project: Path, change: str) -> None:
    assert run_cli(project).code == 0
    settle(project)
    assert run_cli(project).code == 0
    assert "nothing changed since" in run_cli(project).out
    article = next((project / "content" / "articles").glob("*.md"))
    env = None
    if change == "article":
        article.write_text(article.read_text(encoding="utf-8").replace("heavy bombardment", "heavy shelling"),
                           encoding="utf-8")
    elif change == "new article":
        (project / "content" / "articles" / "note.md").write_text(
            "---\ntitle: A note on the harbour\ndate: 2024-01-02\n---\n\nThe harbour reopened.\n", encoding="utf-8")
    elif change == "theme":
        style = project / "themes" / "default" / "static" / "style.css"
        style.write_text(style.read_text(encoding="utf-8") + "\nh1 { letter-spacing: 0.01em; }\n", encoding="utf-8")
    elif change == "config":
        config = project / "config.yaml"
        config.write_text(config.read_text(encoding="utf-8").replace("summary_sentences: 3", "summary_sentences: 2"),
                          encoding="utf-8")
    elif change == "site file":
        page = project / "site" / "index.html"
        page.write_text("edited by hand", encoding="utf-8")
    elif change == "site removed":
        shutil.rmtree(project / "site")
    elif change == "source date epoch":
        env = {"SOURCE_DATE_EPOCH": "1700000000"}
    elif change == "base url from the environment":
        env = {"DIGEST_BASE_URL": "https://example.org/elsewhere/"}
    elif change == "library upgraded":  # another Jinja2 installed ahead of this one on the path
        (project.parent / "newer" / "Jinja2-99.0.dist-info").mkdir(parents=True)
        env = {"PYTHONPATH": os.pathsep.join([str(project.parent / "newer"), os.environ.get("PYTHONPATH", ""),
                                              str(REPO)])}
    else:  # a build killed while it wrote its new tree beside site/
        (project / ".site-build-99999" / "articles").mkdir(parents=True)
    result = run_cli(project, env=env)
    assert result.code == 0, result.err
    assert "nothing changed since" not in result.out and "built" in result.out
    site = project / "site"
    if change == "article":
        assert "heavy shelling" in (site / "articles" / article.stem / "index.html").read_text(encoding="utf-8")
    elif change == "new article":
        assert (site / "articles" / "note" / "index.html").is_file()
    elif change == "theme":
        assert "letter-spacing: 0.01em" in (site / "static" / "style.css").read_text(encoding="utf-8")
    elif change in ("site file", "site removed"):
        assert "The Digest" in (site / "index.html").read_text(encoding="utf-8")
    elif change == "base url from the environment":
        assert "https://example.org/elsewhere/" in (site / "index.html").read_text(encoding="utf-8")
    elif change == "killed build's leftovers":
        assert not (project / ".site-build-99999").exists()


@pytest.mark.parametrize("fresh", [True, False], ids=["into-no-site", "over-a-site"])
def test_a_big_build_is_found_unchanged_by_the_next(project: Path, fresh: bool) -> None:
    """Enough articles for the render workers: into no site/ they write the pages themselves, over
    one the build's threads write or link them, and the search index is linked from .cache/.
    Either way the record of what the build wrote is what is on disk: the next build finds
    nothing changed, and touches nothing."""
    import random

    from tests.test_kill import write_articles

    write_articles(project, random.Random(5))
    assert run_cli(project, "build", "--workers", "2").code == 0  # ingests the seed too
    settle(project)
    first = tree_bytes(project / "site")
    if fresh:
        shutil.rmtree(project / "site")
    else:  # one article changed: the next build rewrites its page and links every other file
        article = project / "content" / "articles" / "a007.md"
        article.write_text(article.read_text(encoding="utf-8") + "\nA line added.\n", encoding="utf-8")
        settle(project)
    built = run_cli(project, "build", "--workers", "2")
    assert built.code == 0, built.err
    assert "built" in built.out
    if fresh:  # the search index's files were linked while the workers rendered
        assert re.search(r"^search .* file\(s\), all from the cache", built.out, re.MULTILINE), built.out
        assert tree_bytes(project / "site") == first
    written = stamps(project / "site")
    assert len(written) > 200
    again = run_cli(project, "build", "--workers", "2")
    assert again.code == 0, again.err
    assert "nothing changed since the last build: site/ is up to date" in again.out
    assert stamps(project / "site") == written


def walked(site: Path) -> dict[str, list[int]]:
    """Each file under ``site`` with its modification time, size and inode, found by walking it."""
    found = {}
    for folder, _, names in os.walk(site):
        for name in names:
            status = os.stat(os.path.join(folder, name))
            found[os.path.relpath(os.path.join(folder, name), site)] = [status.st_mtime_ns, status.st_size,
                                                                          status.st_ino]
    return found


def test_the_writer_knows_what_it_left_in_site_as_a_walk_finds_it(tmp_path: Path) -> None:
    """The no-change record takes each file's stamp from the writer that placed it, instead of
    walking site/ again: written by a thread, by a render worker, linked from the cache or from
    the old site, the stamps are what a walk finds. A build that changes nothing knows none."""
    from digest.models import OutputFile
    from digest.write import SiteWriter, write_into

    site = tmp_path / "site"
    cached = tmp_path / "cache.bin"
    cached.write_bytes(b"indexed")

    def build(files: list[OutputFile], by_worker: dict[str, bytes]) -> dict[str, list[int]] | None:
        writer = SiteWriter(site)
        tree = writer.tree_for_workers()
        placed = [OutputFile(path, b"", written=write_into(tree, path, data)) for path, data in by_worker.items()
                  ] if tree is not None else [OutputFile(path, data) for path, data in by_worker.items()]
        writer.add([*files, *placed])
        writer.commit()
        return writer.listing()

    first = build([OutputFile("index.html", b"home"), OutputFile("pagefind/a.pf", b"", source=cached)],
                  {"articles/two/index.html": b"two" * 5000, "articles/one/index.html": b"one"})  # one: buffered
    assert first == walked(site) and len(first) == 4
    second = build([OutputFile("index.html", b"home, again"), OutputFile("pagefind/a.pf", b"", source=cached),
                    OutputFile("about/index.html", b"new")],
                   {"articles/one/index.html": b"one"})  # two is gone, one is the same
    assert second == walked(site) and len(second) == 4
    assert build([OutputFile("index.html", b"home, again"), OutputFile("pagefind/a.pf", b"", source=cached),
                  OutputFile("about/index.html", b"new")], {"articles/one/index.html": b"one"}) is None


def test_a_file_changed_just_before_a_build_is_not_trusted_by_the_next(project: Path) -> None:
    assert run_cli(project).code == 0
    settle(project)
    article = next((project / "content" / "articles").glob("*.md"))
    article.write_text(article.read_text(encoding="utf-8") + "\nA late line.\n", encoding="utf-8")
    assert "built" in run_cli(project).out  # made from a file changed a moment ago
    assert "built" in run_cli(project).out  # so this one builds too, rather than trust it
    settle(project)
    assert "built" in run_cli(project).out
    assert "nothing changed since" in run_cli(project).out


def test_an_unchanged_build_repeats_the_last_builds_warnings_and_exit_code(project: Path) -> None:
    (project / "content" / "articles" / "broken.md").write_text("---\ntitle: [unclosed\n---\nText.\n",
                                                                encoding="utf-8")
    assert run_cli(project, "--keep-going").code == 1
    settle(project)
    first = run_cli(project, "--keep-going")
    again = run_cli(project, "--keep-going")
    assert first.code == again.code == 1
    assert "nothing changed since" in again.out
    assert "broken.md" in again.err and again.err == first.err
    assert run_cli(project).code == 1  # without --keep-going it is another build, which stops


def test_many_articles_parse_the_same_in_one_process_or_several(tmp_path: Path) -> None:
    from digest.read import PARALLEL_READS, read_content

    articles = tmp_path / "content" / "articles"
    articles.mkdir(parents=True)
    for number in range(PARALLEL_READS + 20):
        (articles / f"note-{number:03d}.md").write_text(
            f"---\ntitle: Note {number} on the harbour\ndate: 2024-02-{number % 28 + 1:02d}\n---\n\n"
            f"## Repairs {number}\n\nThe ferry note {number} says *the quay* was repaired.\n", encoding="utf-8")
    (articles / "note-050.md").write_text("---\ntitle: [unclosed\n---\nText.\n", encoding="utf-8")  # an error
    one = read_content(tmp_path / "content", keep_going=True, workers=1)
    pool = read_content(tmp_path / "content", keep_going=True, workers=2)
    workers = Workers.fork(2)  # a command-line build's own processes parse them, not a pool
    assert workers is not None
    try:
        forked = read_content(tmp_path / "content", keep_going=True, workers=2, forked=workers)
    finally:
        workers.close()
    for several in (pool, forked):
        assert several.articles == one.articles and len(one.articles) == PARALLEL_READS + 19
        assert several.warnings == one.warnings
        assert [str(error) for error in several.skipped] == [str(error) for error in one.skipped]
        # The file and line (where the bracket opens) survive the trip between processes.
        assert "note-050.md:2: invalid YAML" in str(several.skipped[0])


def test_a_symlinked_folder_in_the_inputs_is_never_trusted_and_never_loops(project: Path) -> None:
    articles = project / "content" / "articles"
    (articles / "loop").symlink_to(articles, target_is_directory=True)  # a loop, if it were followed
    assert run_cli(project).code == 0
    settle(project)
    assert "built" in run_cli(project, timeout=60).out
    again = run_cli(project, timeout=60)  # what lies behind the link is not watched: always a build
    assert again.code == 0, again.err
    assert "nothing changed since" not in again.out and "built" in again.out



def test_a_build_that_fails_at_the_search_index_keeps_its_analyses_and_leaves_site_alone(
        tmp_path: Path) -> None:
    """The caches kept by content are saved once the pages are rendered (the build then lets go of
    them before Pagefind runs): a build that fails after that still spares the next one the
    analysis, while site/ and the record of its pages stay those of the last complete build."""
    project = make_project(tmp_path / "project")
    assert run_cli(project).code == 0
    site_before = tree_bytes(project / "site")
    pages_before = (project / ".cache" / "pages.json").read_bytes()
    (project / "content" / "articles" / "harbour-reopens.md").write_text(
        "---\ntitle: The harbour reopens after the storm\ndate: 2024-03-02\n---\n\n"
        "The harbour reopened on Monday after three weeks of repairs to the quay.\n\n"
        '"We lost a month of trade, but the new wall will hold," said Maria Lopez, the harbour master.\n',
        encoding="utf-8")
    broken = broken_pagefind(tmp_path / "fake", "#!/bin/sh\necho 'Error: no space left on device' >&2\nexit 1\n")
    failed = run_cli(project, env=broken, timeout=60)
    assert failed.code == 1, failed.out + failed.err
    assert "search index could not be built: Error: no space left on device" in failed.err
    assert analysed(failed.out) == (1, 1)
    assert tree_bytes(project / "site") == site_before
    assert (project / ".cache" / "pages.json").read_bytes() == pages_before
    again = run_cli(project)
    assert again.code == 0, again.err
    assert analysed(again.out) == (0, 2)  # the failed build's analysis was kept
    assert "The harbour reopens" in (project / "site" / "articles" / "harbour-reopens" / "index.html").read_text(
        encoding="utf-8")


@pytest.mark.parametrize("name", ["analysis.json", "articles", "collect.json", "pages.json", "state.json"])
def test_a_cache_file_that_cannot_be_saved_is_a_warning_and_the_build_goes_on(project: Path, name: str) -> None:
    """Only speed depends on .cache/: a file there that cannot be written (here a folder in its
    place, as a full disk or a read-only .cache/ would refuse it) is named in a warning, and the
    site is built all the same, as with no cache."""
    assert run_cli(project).code == 0
    for path in [project / "config.yaml", *project.glob("content/**/*"), *project.glob("themes/**/*")]:
        os.utime(path, (1_700_000_000, 1_700_000_000))  # old enough to trust: state.json is written
    assert run_cli(project).code == 0
    complete = tree_bytes(project / "site")
    shutil.rmtree(project / "site")
    blocked = project / ".cache" / name
    if name == "articles":  # parsed articles are kept in shards: one of them
        blocked = sorted(blocked.glob("*.json"))[0]
    shown = blocked.relative_to(project).as_posix()
    blocked.unlink()
    (blocked / "in-the-way").mkdir(parents=True)
    result = run_cli(project)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err and "error" not in result.err
    if name != "state.json":  # the record for "nothing changed" is left out silently: a rebuild then builds
        assert re.search(rf"^warning: {re.escape(shown)}: could not save this cache file: ", result.err,
                         re.M), result.err
    assert tree_bytes(project / "site") == complete
    again = run_cli(project)  # still without that cache file
    assert again.code == 0, again.err
    assert tree_bytes(project / "site") == complete


def test_a_cache_holding_a_name_that_is_not_utf8_reads_back(tmp_path: Path) -> None:
    """A file name that is not UTF-8 is kept in a cache as an escaped lone surrogate, which the fast
    JSON reader refuses: the cache still reads back the same (else every build parses everything
    again), and a file that is not JSON is still an error the caches handle (ValueError)."""
    from digest.jsonfile import load_json, save_json

    name = os.fsdecode(b"content/articles/caf\xe9.md")
    value = {"articles": {name: [1, 2, "x"]}, "version": "v"}
    save_json(tmp_path / "a.json", value)
    assert load_json(tmp_path / "a.json") == value
    (tmp_path / "b.json").write_text('{"articles": ', encoding="utf-8")
    with pytest.raises(json.JSONDecodeError):  # a ValueError, which the caches catch
        load_json(tmp_path / "b.json")


def test_an_analysis_is_saved_with_every_field_and_reads_back_the_same() -> None:
    """The analysis cache writes each field by hand (``dataclasses.asdict`` took 1.1 s at 5,000
    articles): a field added to Analysis and not to the cache would be lost without this."""
    from digest.cache import _from_json, _to_json
    from digest.models import Analysis, Candidate, Quote

    analysis = Analysis(summary=("One.", "Two."), quotes=(Quote("We will.", "Ada Lovelace"), Quote("No.", None)),
                        keywords=("engine",), topics=("science",), candidates=(Candidate("One.", 0, 0.5),),
                        signature=(1, 2, 3))
    assert all(getattr(analysis, name) for name in Analysis.__dataclass_fields__)  # none left empty
    saved = json.loads(json.dumps(_to_json(analysis)))
    assert set(saved) == set(Analysis.__dataclass_fields__)
    loaded = _from_json(saved)
    assert json.loads(json.dumps(_to_json(loaded))) == saved  # saved again as it was, before it is read
    assert loaded == analysis and hash(loaded) == hash(analysis)
    assert loaded.candidates[0].text == "One." and list(loaded.signature) == [1, 2, 3]
    assert json.loads(json.dumps(_to_json(loaded))) == saved  # and after


def test_an_analysis_kept_before_its_sentences_were_kept_as_text_still_reads() -> None:
    """Entries written by the version before keep the candidates and the signature as lists: read
    the same, they need no new analysis."""
    from digest.cache import _from_json
    from digest.models import Analysis, Candidate

    old = {"summary": ["One."], "quotes": [], "keywords": ["engine"], "topics": ["science"],
           "candidates": [{"text": "One.", "position": 0, "score": 0.5}], "signature": [1, 2, 3]}
    assert _from_json(old) == Analysis(summary=("One.",), quotes=(), keywords=("engine",), topics=("science",),
                                       candidates=(Candidate("One.", 0, 0.5),), signature=(1, 2, 3))


def _damage_the_kept_analyses(project: Path) -> None:
    """Cut short every kept analysis's candidate sentences (as a crash or a hand edit might), and
    drop the topic stories made from them, so that the next build reads them."""
    kept = project / ".cache" / "analysis.json"
    data = json.loads(kept.read_text(encoding="utf-8"))
    for entry in data["entries"].values():
        entry["candidates"] = '[["cut short'
    kept.write_text(json.dumps(data), encoding="utf-8")
    (project / ".cache" / "collect.json").unlink()


def test_a_damaged_analysis_in_the_cache_is_made_again_and_saved(tmp_path: Path) -> None:
    project = _settled_project(tmp_path, 60)
    _damage_the_kept_analyses(project)
    result = run_cli(project)
    assert result.code == 0, result.err
    assert "cut short" not in (project / ".cache" / "analysis.json").read_text(encoding="utf-8")
    _same_as_a_build_from_nothing(project, tmp_path)


def test_a_damaged_analysis_never_stops_the_preview_nor_stays_in_its_memory(tmp_path: Path) -> None:
    from digest.pipeline import BuildMemory, build

    project = _settled_project(tmp_path, 60)
    _damage_the_kept_analyses(project)
    memory = BuildMemory(defer_search=True)
    preview, fresh = tmp_path / "preview", tmp_path / "fresh"
    config, base = project / "config.yaml", "http://127.0.0.1:8000/"
    article = project / "content" / "articles" / "harbour-007.md"
    for edit in ("", "The crane was tested on Friday."):
        article.write_text(article.read_text(encoding="utf-8") + edit, encoding="utf-8")
        build(config, echo=lambda _line: None, output=preview, base_url=base, memory=memory)
        build(config, echo=lambda _line: None, output=fresh, base_url=base, use_cache=False)
        assert {p: d for p, d in tree_bytes(preview).items() if not p.startswith("pagefind/")} == {
            p: d for p, d in tree_bytes(fresh).items() if not p.startswith("pagefind/")}
    assert memory.cache is not None
    memory.cache.save()  # as the preview does when it stops
    assert "cut short" not in (project / ".cache" / "analysis.json").read_text(encoding="utf-8")


def test_a_front_matter_edit_reuses_the_analysis_and_still_shows_on_every_page(project: Path) -> None:
    """A new author or date is no new analysis (the analysis reads neither), but the pages showing
    the article must change: what they were recorded by covers every field of the article, not
    only the analysis's key."""
    articles = project / "content" / "articles"
    for number, title in enumerate(["Harbour reopens", "Ferry strike ends"]):
        (articles / f"story-{number}.md").write_text(
            f"---\ntitle: {title}\ndate: 2024-01-0{number + 1}\nauthor: Ann Lee\n---\n\n"
            f"The harbour story goes on. Officials spoke about the ferry on Monday.\n", encoding="utf-8")
    assert run_cli(project).code == 0
    story = articles / "story-1.md"
    story.write_text(story.read_text(encoding="utf-8").replace("Ann Lee", "Bo Chen")
                     .replace("2024-01-02", "2024-03-09"), encoding="utf-8")
    old_mtime(story, 1_700_000_500)
    result = run_cli(project)
    assert result.code == 0, result.err
    assert analysed(result.out) == (0, 3)
    cached = tree_bytes(project / "site")
    page = cached["articles/story-1/index.html"].decode("utf-8")
    assert "Bo Chen" in page and "9 March 2024" in page and "Ann Lee" not in page
    assert b"2024/03" in cached["archive/index.html"]
    shutil.rmtree(project / "site")
    shutil.rmtree(project / ".cache")
    assert run_cli(project).code == 0
    assert tree_bytes(project / "site") == cached


def test_an_articles_digests_follow_its_fields() -> None:
    """``Article.text_digest`` changes with what the analysis reads and nothing else, and
    ``Article.digest`` with every field but the path and slug; the read cache hands both back."""
    from dataclasses import fields, replace
    from datetime import UTC, datetime

    from digest.models import Article, Block, Quote
    from digest.readcache import _decode, _encode

    def made(**changes: object) -> Article:
        values: dict[str, object] = dict(
            path=Path("content/articles/a.md"), slug="a", title="Harbour reopens",
            date=datetime(2024, 1, 2, tzinfo=UTC), author="Ann Lee", source="https://example.org/a",
            body_html="<p>The harbour reopened.</p>", blocks=(Block("paragraph", "The harbour reopened."),),
            word_count=3, pinned_summary=None, pinned_topics=None, pinned_quote=None, language="en")
        values.update(changes)
        return Article(**values)  # type: ignore[arg-type]

    first = made()
    analysis_reads = {"title": "Harbour shuts", "blocks": (Block("heading", "The harbour reopened."),),
                      "pinned_summary": ("It reopened.",), "pinned_topics": ("ports",),
                      "pinned_quote": Quote("We are open.", "Ann Lee")}
    page_shows = {"date": datetime(2024, 1, 2, 1, tzinfo=UTC), "author": "Bo Chen", "source": "b.html",
                  "body_html": "<p>The harbour reopened!</p>", "word_count": 4, "language": "fr"}
    assert set(analysis_reads) | set(page_shows) | {"path", "slug", "text_digest", "digest"} == {
        field.name for field in fields(Article)}
    for name, value in analysis_reads.items():
        changed = made(**{name: value})
        assert changed.text_digest != first.text_digest and changed.digest != first.digest, name
    for name, value in page_shows.items():
        changed = made(**{name: value})
        assert changed.text_digest == first.text_digest and changed.digest != first.digest, name
    moved = replace(first, slug="b", path=Path("content/articles/b.md"))
    assert (moved.text_digest, moved.digest) == (first.text_digest, first.digest)
    assert _decode(first.path, json.loads(json.dumps(_encode(first)))) == first


def test_an_articles_page_key_follows_the_topic_collect_gives_it() -> None:
    """collect gives an article the analysis left without a topic a discovered one, by what the
    other articles are about, under the same analysis key: its page's key must still change."""
    from dataclasses import replace

    from digest.models import Analysis, AnalyzedArticle, Article, Block
    from digest.render import view_key

    article = Article(path=Path("a.md"), slug="a", title="Harbour reopens", date=None, author=None, source=None,
                      body_html="<p>The harbour reopened.</p>", blocks=(Block("paragraph", "The harbour reopened."),),
                      word_count=3)
    loose = AnalyzedArticle(article, Analysis(summary=(), quotes=(), keywords=("harbour",), topics=()), key="k")
    grouped = replace(loose, analysis=replace(loose.analysis, topics=("harbour",)))
    moved = replace(loose, analysis=replace(loose.analysis, topics=("ports",)))
    assert len({view_key(loose, "names"), view_key(grouped, "names"), view_key(moved, "names")}) == 3
    assert view_key(grouped, "names") == view_key(replace(grouped), "names")


def _settled_project(tmp_path: Path, count: int) -> Path:
    """A project of ``count`` articles, built twice with their files old enough that the second
    build keeps every one parsed in .cache/articles/."""
    project = make_project(tmp_path / "project", with_seed=False)
    articles = project / "content" / "articles"
    for number in range(count):
        path = articles / f"harbour-{number:03d}.md"
        path.write_text(
            f"---\ntitle: Harbour works, part {number}\ndate: 2024-03-{number % 28 + 1:02d}\n---\n\n"
            f"## The quay {number}\n\nThe harbour master said the quay would reopen in week {number}. "
            f"\"We have rebuilt the north wall twice,\" said Maria Lopez, the harbour master. "
            f"Ferries to the islands will run again in the spring, the council said.\n\n"
            f"- Repairs cost {number + 3} million\n- The ferry timetable returns\n", encoding="utf-8")
        old_mtime(path)
    assert run_cli(project).code == 0
    assert run_cli(project).code == 0
    return project


def _same_as_a_build_from_nothing(project: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    shutil.copytree(project, fresh, ignore=shutil.ignore_patterns(".cache", "site"))
    assert run_cli(fresh, "build", "--no-cache").code == 0
    assert tree_bytes(project / "site") == tree_bytes(fresh / "site")


@pytest.mark.parametrize("count", [3, 60])  # 60: analysed in the worker processes, sent there from the cache
def test_articles_kept_parsed_are_analysed_again_the_same_when_the_settings_change(tmp_path: Path, count: int) -> None:
    project = _settled_project(tmp_path, count)
    config = project / "config.yaml"
    config.write_text(config.read_text().replace("summary_sentences: 3", "summary_sentences: 2"))
    result = run_cli(project)
    assert result.code == 0, result.err
    assert analysed(result.out) == (count, 0)
    _same_as_a_build_from_nothing(project, tmp_path)


def test_an_edit_rewrites_only_the_file_of_the_parse_cache_that_holds_the_article(tmp_path: Path) -> None:
    """Parsed articles are kept in several files (by a hash of the path): a build after an edit
    writes the one holding the edited article, not all of them (~100 MB at 10,000 articles)."""
    project = _settled_project(tmp_path, 60)
    shards = project / ".cache" / "articles"

    def written() -> dict[str, int]:
        return {shard.name: shard.stat().st_mtime_ns for shard in shards.glob("*.json")}

    before = written()
    assert len(before) > 4  # 60 articles spread over the files
    article = project / "content" / "articles" / "harbour-007.md"
    _edit(article, "The ferry ran again on Tuesday.")
    old_mtime(article, 1_700_000_900)
    assert run_cli(project).code == 0
    after = written()
    changed = [name for name in before if after.get(name) != before[name]]
    assert len(changed) == 1 and after.keys() == before.keys()
    assert "ran again on Tuesday" in (shards / changed[0]).read_text(encoding="utf-8")
    _same_as_a_build_from_nothing(project, tmp_path)


def test_a_damaged_article_text_in_the_parse_cache_is_parsed_again(tmp_path: Path) -> None:
    project = _settled_project(tmp_path, 3)
    shards = {shard: json.loads(shard.read_text(encoding="utf-8"))
              for shard in (project / ".cache" / "articles").glob("*.json")}
    name = min(name for data in shards.values() for name in data["articles"])
    kept, data = next((shard, data) for shard, data in shards.items() if name in data["articles"])
    data["articles"][name][3][6] = '[["paragraph", "damaged'  # the article's blocks, cut short
    kept.write_text(json.dumps(data), encoding="utf-8")
    config = project / "config.yaml"  # new settings: the analysis reads the blocks again
    config.write_text(config.read_text().replace("summary_sentences: 3", "summary_sentences: 2"))
    result = run_cli(project)
    assert result.code == 0, result.err
    assert "damaged" not in (project / "site" / "articles" / "harbour-000" / "index.html").read_text("utf-8")
    _same_as_a_build_from_nothing(project, tmp_path)


def _edit(article: Path, sentence: str) -> None:
    article.write_text(article.read_text(encoding="utf-8") + f"\n{sentence}\n", encoding="utf-8")


def test_the_old_site_goes_to_the_trash_and_the_next_build_makes_its_new_site_from_it(tmp_path: Path) -> None:
    """A rebuild swaps the new site in and moves the old one into .cache/trash (one rename), rather
    than unlinking its thousands of files before it ends, and so the part of the search index the
    edit replaced. The next build makes its new site from that old one (its folders and unchanged
    files are already there) rather than making every folder and link again, and removes the rest
    of the trash, in a process of its own beside its first stages, waiting for that before it
    ends. What a stopped removal left goes the same way. A --no-cache build, which runs no remover,
    leaves the trash alone and removes its old site and old part itself."""
    project = make_project(tmp_path / "project")
    assert run_cli(project).code == 0
    trash = project / ".cache" / "trash"
    search = project / ".cache" / "search"
    article = next((project / "content" / "articles").glob("*.md"))
    page = Path("articles") / article.stem / "index.html"

    def edit(sentence: str, *args: str) -> list[Path]:
        """The edited article's page is rebuilt; the old site (as it was before this build) and the
        old part of the index (with any part this build made and replaced itself) are in the trash,
        each whole."""
        parts_before = {part.name for part in search.iterdir()}
        site_before = tree_bytes(project / "site")
        _edit(article, sentence)
        result = run_cli(project, *args)
        assert result.code == 0, result.err
        assert sentence in (project / "site" / page).read_text(encoding="utf-8")
        assert not list(project.glob(".site-*"))
        [replaced] = parts_before - {part.name for part in search.iterdir()}
        assert sorted(path.name for path in trash.iterdir() if not path.name.startswith("search-")) == ["site"]
        assert tree_bytes(trash / "site") == site_before
        parts = [path for path in trash.iterdir() if path.name.startswith("search-")]
        assert any(part.name.startswith(f"search-{replaced}-") for part in parts), parts
        assert all((part / "pagefind-entry.json").is_file() for part in parts)  # moved whole, in one rename
        # The index the new site links is still in the cache, whole: none of the current parts went.
        assert len(list(search.iterdir())) == len(parts_before)
        entry = project / "site" / "pagefind" / "pagefind-entry.json"
        assert any(entry.stat().st_ino == (part / "pagefind-entry.json").stat().st_ino for part in search.iterdir())
        return parts

    first_parts = edit("The quay reopened on Friday.")
    kept = {name: (trash / "site" / name).stat().st_ino for name in ("about", "articles")}
    stopped = trash / ".site-build-99999-0"  # as a removal stopped midway leaves it
    (stopped / "articles").mkdir(parents=True)
    (stopped / "articles" / "index.html").write_bytes(b"old")
    edit("The ferry ran again.")  # only what this build replaced
    assert not any(path.exists() for path in [stopped, *first_parts])
    # The new site is the tree the first edit swapped out: its folders are the very ones (and the
    # page edited is a new file: the old site, in the trash again, still has the page as it was).
    site = project / "site"
    assert {name: (site / name).stat().st_ino for name in ("about", "articles")} == {
        name: kept[name] for name in ("about", "articles")}
    fresh = tmp_path / "fresh"
    shutil.copytree(project, fresh, ignore=shutil.ignore_patterns("site", ".cache"))
    assert run_cli(fresh, "--no-cache").code == 0
    assert tree_bytes(site) == tree_bytes(fresh / "site")

    trash_before = sorted(trash.iterdir())
    parts_before = {part.name for part in search.iterdir()}
    _edit(article, "The gulls came back.")
    assert run_cli(project, "--no-cache").code == 0
    assert sorted(trash.iterdir()) == trash_before  # left alone: it runs no remover
    assert len({part.name for part in search.iterdir()} - parts_before) == 1
    assert len(list(search.iterdir())) == len(parts_before)  # the part it replaced is removed


def test_a_new_site_made_from_the_old_one_in_the_trash_holds_only_what_the_build_made(tmp_path: Path) -> None:
    """The old site kept in the trash may hold anything by the time the next build makes its new
    site from it (a build stopped midway, a hand that went there): a page replaced, files of pages
    gone, a file where a folder must be, a folder that is a link to another place or to site/'s
    own folder (whose files are then the very ones to link). The new site is still exactly what a
    build from nothing makes, nothing is written outside it, and site/ is never changed before the
    swap (the kept files are links to its own): a build that fails leaves it as it was, and the
    next build makes a new tree rather than reuse the one the failure may lie in."""
    project = make_project(tmp_path / "project")
    other = project / "content" / "articles" / "harbour.md"
    other.write_text("---\ntitle: The harbour wall\ndate: 2024-03-01\n---\n\nThe harbour wall was mended.\n",
                     encoding="utf-8")
    assert run_cli(project).code == 0
    article = next(path for path in (project / "content" / "articles").glob("*.md") if path != other)
    _edit(article, "The quay reopened on Friday.")
    assert run_cli(project).code == 0
    kept = project / ".cache" / "trash" / "site"
    assert kept.is_dir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (kept / "search" / "index.html").unlink()
    (kept / "search" / "index.html").write_bytes(b"replaced")  # another file at an unchanged page's path
    shutil.rmtree(kept / "about")
    (kept / "about").symlink_to(project / "site" / "about", target_is_directory=True)
    (kept / "stale" / "deep").mkdir(parents=True)
    (kept / "stale" / "deep" / "index.html").write_bytes(b"a page gone")
    (kept / "articles" / article.stem / "old.txt").write_bytes(b"left over")
    shutil.rmtree(kept / "archive")
    (kept / "archive").write_bytes(b"a file where a folder must be")
    shutil.rmtree(kept / "topics")
    (kept / "topics").symlink_to(outside, target_is_directory=True)
    (kept / "dangling").symlink_to(tmp_path / "nowhere")

    site_before = tree_bytes(project / "site")
    # Another article edited: its page in the kept site is site/'s own file (the last build did not
    # change it). A build that fails once every page is placed (its search index cannot be made)
    # changes nothing in site/: that page was placed as a new file, not written over.
    other_page = project / "site" / "articles" / other.stem / "index.html"
    assert (kept / "articles" / other.stem / "index.html").stat().st_ino == other_page.stat().st_ino
    _edit(other, "The ferry ran again.")
    failing = broken_pagefind(tmp_path / "broken", "#!/bin/sh\nexit 3\n")
    assert run_cli(project, env=failing).code == 1
    assert tree_bytes(project / "site") == site_before
    assert not (project / "site" / "about").is_symlink()
    assert not kept.exists()  # what it was made from is in the trash for removal, not for reuse
    # The same tree, kept again for the next build (as the last build that succeeded would).
    trash_copy = [path for path in kept.parent.iterdir() if path.name.startswith("site-")]
    assert len(trash_copy) == 1
    trash_copy[0].rename(kept)

    result = run_cli(project)
    assert result.code == 0, result.err
    assert list(outside.iterdir()) == []
    assert not [path for path in (project / "site").rglob("*") if path.is_symlink()]
    fresh = tmp_path / "fresh"
    shutil.copytree(project, fresh, ignore=shutil.ignore_patterns("site", ".cache"))
    assert run_cli(fresh, "--no-cache").code == 0
    assert tree_bytes(project / "site") == tree_bytes(fresh / "site")


def test_pages_where_the_old_site_had_a_file_are_placed_by_every_thread_without_failing(tmp_path: Path) -> None:
    """A site made from the old one, where a folder with many new pages replaces a file of the old
    site: the build's writing threads meet that file at once, and only one removes it (the others
    failed the build now and then, "the new site was removed while it was being written")."""
    from digest.models import OutputFile
    from digest.write import SiteWriter

    def build(output: Path, trash: Path, files: dict[str, bytes]) -> None:
        writer = SiteWriter(output, trash=trash)
        try:
            writer.add([OutputFile(path, data) for path, data in files.items()])
            writer.commit()
        except BaseException:
            writer.abort()
            raise

    for trial in range(40):
        output, trash = tmp_path / f"t{trial}" / "site", tmp_path / f"t{trial}" / ".cache" / "trash"
        build(output, trash, {"d": b"a file", "z.html": b"1"})
        build(output, trash, {"d": b"a file", "z.html": b"2"})  # the first site, kept in the trash
        new = {"z.html": b"3", **{f"d/{number}.html": b"page %d" % number for number in range(16)}}
        build(output, trash, new)  # made from the kept site, where d is a file
        assert tree_bytes(output) == new


def test_a_site_made_from_the_old_one_loses_the_pages_that_went_away(tmp_path: Path) -> None:
    """Pages gone since the kept old site was written (an article deleted), also when every page
    left is unchanged (nothing to write, only files to drop): the new site holds only this build's
    files, its folders too."""
    from digest.models import OutputFile
    from digest.write import SiteWriter

    output, trash = tmp_path / "site", tmp_path / ".cache" / "trash"

    def build(files: dict[str, bytes]) -> bool:
        writer = SiteWriter(output, trash=trash)
        writer.add([OutputFile(path, data) for path, data in files.items()])
        reused = writer.reused
        writer.commit()
        assert tree_bytes(output) == files
        return writer.reused or reused

    build({"a/index.html": b"a", "b/index.html": b"b", "c/deep/index.html": b"c", "index.html": b"1"})
    build({"a/index.html": b"a", "b/index.html": b"b", "c/deep/index.html": b"c", "index.html": b"2"})
    assert build({"a/index.html": b"a", "c/deep/index.html": b"c", "index.html": b"3"})  # b went away
    assert not (output / "b").exists()
    assert build({"a/index.html": b"a", "index.html": b"3"})  # c went away, nothing else changed
    assert sorted(path.name for path in output.iterdir()) == ["a", "index.html"]


def test_a_page_its_build_wrote_is_read_again_by_the_next_even_with_its_size_and_time_kept(tmp_path: Path) -> None:
    """A page of site/ is known unchanged by its size, modification time and inode as recorded
    (reading every page of a big site took ~0.5 s of each rebuild), but a build records them only
    for files older than its own start: the pages it wrote are read by the next build. A page
    changed by hand, its size and time put back, is then still seen and rendered again."""
    project = make_project(tmp_path / "project")
    assert run_cli(project).code == 0
    page = project / "site" / "about" / "index.html"  # a page the article below does not change
    rendered = page.read_bytes()
    status = page.stat()
    tampered = rendered.replace(b"<body", b"<BODY", 1)
    assert tampered != rendered and len(tampered) == len(rendered)
    page.write_bytes(tampered)
    os.utime(page, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert (page.stat().st_size, page.stat().st_mtime_ns, page.stat().st_ino) == (
        status.st_size, status.st_mtime_ns, status.st_ino)
    _edit(next((project / "content" / "articles").glob("*.md")), "The quay reopened on Friday.")  # a build runs
    result = run_cli(project)
    assert result.code == 0, result.err
    assert page.read_bytes() == rendered


def test_a_page_replaced_by_another_file_of_the_same_size_and_time_is_rendered_again(tmp_path: Path) -> None:
    """An older page, known by its recorded size, modification time and inode, replaced by another
    file (the way an editor saves: a new file renamed over it) with the same size and time: its
    inode differs, so its bytes are compared and it is rendered again."""
    project = make_project(tmp_path / "project")
    assert run_cli(project).code == 0
    article = next((project / "content" / "articles").glob("*.md"))
    page = project / "site" / "about" / "index.html"
    rendered = page.read_bytes()
    hour_ago = page.stat().st_mtime_ns - 3600 * 10**9
    os.utime(page, ns=(hour_ago, hour_ago))  # old: the next build records its stamp, and the one after trusts it
    _edit(article, "The quay reopened on Friday.")
    assert run_cli(project).code == 0
    assert page.read_bytes() == rendered and page.stat().st_mtime_ns == hour_ago  # the same file, linked
    replacement = page.with_name("index.html.new")
    replacement.write_bytes(rendered.replace(b"<body", b"<BODY", 1))
    os.utime(replacement, ns=(hour_ago, hour_ago))
    os.replace(replacement, page)
    _edit(article, "The ferry ran again.")
    result = run_cli(project)
    assert result.code == 0, result.err
    assert page.read_bytes() == rendered
