"""Bad files in a batch: all reported at once; with --keep-going the rest is built (exit still 1)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli, tree_bytes


def _bad_batch(project: Path) -> None:
    articles = project / "content" / "articles"
    (articles / "good.md").write_text("---\ntitle: A good story\ndate: 2024-05-01\n---\n\nIt reads well.\n",
                                      encoding="utf-8")
    (articles / "bad-date.md").write_text("---\ntitle: Bad date\ndate: 2024-02-30\n---\n\nBody.\n", encoding="utf-8")
    (articles / "unclosed.md").write_text("---\ntitle: Open\n\nBody.\n", encoding="utf-8")
    (project / "content" / "inbox" / "empty.txt").write_text("   \n", encoding="utf-8")


def test_without_keep_going_every_bad_file_is_reported_and_site_is_kept(project: Path) -> None:
    assert run_cli(project).code == 0
    before = tree_bytes(project / "site")
    _bad_batch(project)
    result = run_cli(project)
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if line.startswith("error: ")]
    # The inbox's problem and the articles' problems together, not only the first stage's.
    assert errors == [
        "error: content/inbox/empty.txt: empty article (the file has no text; delete it or add the article)",
        "error: content/articles/bad-date.md:3: date '2024-02-30' is not a valid date "
        "(write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+00:00)",
        "error: content/articles/unclosed.md:1: front matter opened with '---' but never closed "
        "(add a line '---' after the last front-matter key)",
    ], result.err
    assert "3 problems\nbuild stopped; site/ was left as it was" in result.err
    assert tree_bytes(project / "site") == before


def test_keep_going_builds_the_rest_says_what_it_skipped_and_exits_1(project: Path) -> None:
    _bad_batch(project)
    result = run_cli(project, "build", "--keep-going")
    assert result.code == 1, result.err
    assert "Traceback" not in result.err
    assert "error: " not in result.err
    assert "warning: skipped content/inbox/empty.txt: empty article" in result.err
    assert "warning: skipped content/articles/bad-date.md:3: date '2024-02-30' is not a valid date" in result.err
    assert "warning: skipped content/articles/unclosed.md:1: front matter opened with '---'" in result.err
    assert result.err.rstrip().endswith(
        "--keep-going: skipped 3 file(s) with errors: content/articles/bad-date.md, "
        "content/articles/unclosed.md, content/inbox/empty.txt")
    assert "built " in result.out
    site = project / "site"
    assert (site / "articles" / "good" / "index.html").is_file()
    assert (site / "index.html").is_file()
    assert not (site / "articles" / "bad-date").exists()
    assert not (site / "articles" / "unclosed").exists()
    assert not list(project.glob(".site-*"))

    # Fixed, the next build takes the files back and exits 0.
    (project / "content" / "articles" / "bad-date.md").write_text(
        "---\ntitle: Bad date\ndate: 2024-02-28\n---\n\nBody.\n", encoding="utf-8")
    (project / "content" / "articles" / "unclosed.md").unlink()
    (project / "content" / "inbox" / "empty.txt").unlink()
    fixed = run_cli(project, "build", "--keep-going")
    assert fixed.code == 0, fixed.err
    assert "skipped" not in fixed.err
    assert (site / "articles" / "bad-date" / "index.html").is_file()


def test_keep_going_without_problems_is_a_plain_build(project: Path) -> None:
    assert run_cli(project, "build", "--keep-going").code == 0
    kept = tree_bytes(project / "site")
    assert run_cli(project).code == 0
    assert tree_bytes(project / "site") == kept


def test_keep_going_does_not_skip_a_broken_config(project: Path) -> None:
    assert run_cli(project).code == 0
    before = tree_bytes(project / "site")
    (project / "config.yaml").write_text("site:\n  title: [unclosed\n", encoding="utf-8")
    result = run_cli(project, "build", "--keep-going")
    assert result.code == 1
    assert "error: config.yaml:" in result.err
    assert "build stopped; site/ was left as it was" in result.err
    assert tree_bytes(project / "site") == before


def test_a_build_that_stops_says_what_it_left_and_keeps_what_ingest_wrote(project: Path) -> None:
    # Ingest runs before the articles are read: a new inbox file is written even when the build
    # then stops on bad articles, and the closing lines must not say that nothing was written.
    assert run_cli(project).code == 0
    before = tree_bytes(project / "site")
    _bad_batch(project)
    (project / "content" / "inbox" / "empty.txt").unlink()
    (project / "content" / "inbox" / "fresh.txt").write_text(
        "Harbour Opens\n\nThe new harbour opened to fishing boats this morning.\n", encoding="utf-8")
    result = run_cli(project)
    assert result.code == 1
    assert "1 written" in result.out
    assert (project / "content" / "articles" / "harbour-opens.md").is_file()
    assert "nothing was written" not in result.err
    assert result.err.endswith("2 problems\nbuild stopped; site/ was left as it was\n"), result.err
    assert tree_bytes(project / "site") == before
