"""Scraped text never runs in a reader's browser; nothing is written outside site/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from digest.errors import DigestError
from digest.models import OutputFile
from digest.write import SiteWriter, safe_relative, write_site
from tests.badinputs_support import Page
from tests.conftest import REPO, run_cli, tree_bytes


def active_content(html: str) -> list[str]:
    """What a browser would run in a built page, besides the theme's own scripts."""
    return Page(html).active


def test_hostile_article_renders_as_text(project: Path) -> None:
    (project / "content" / "articles" / "hostile.md").write_text(
        "---\n"
        "title: \"<script>alert(1)</script> {{ 7*7 }}\"\n"
        "author: '\"><img src=x onerror=alert(1)>'\n"
        "source: 'javascript:alert(1)'\n"
        "date: 2024-05-01\n"
        "---\n\n"
        "Raw <script>alert(2)</script> and <img src=x onerror=alert(3)> in the body.\n\n"
        "A [link](javascript:alert(4)) and {{ 7*7 }} and {% if true %}x{% endif %}.\n",
        encoding="utf-8",
    )
    result = run_cli(project)
    assert result.code == 0, result.err
    for path, data in tree_bytes(project / "site").items():
        if path.endswith(".html"):
            assert active_content(data.decode("utf-8")) == [], path
    page = (project / "site" / "articles" / "hostile" / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}" in page
    assert "{% if true %}x{% endif %}" in page
    assert "49" not in page


def test_symlinks_out_of_content_are_never_read(project: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: SECRET-TITLE\n---\n\nSECRET-BODY\n", encoding="utf-8")
    articles = project / "content" / "articles"
    os.symlink(secret, articles / "outside.md")
    os.symlink(articles / "missing.md", articles / "dangling.md")
    os.symlink(articles / "loop-b.md", articles / "loop-a.md")
    os.symlink(articles / "loop-a.md", articles / "loop-b.md")
    result = run_cli(project)
    assert result.code == 0, result.err
    assert "outside.md: skipped: symlink points outside content/" in result.err
    assert "dangling.md: skipped: broken or looping symlink" in result.err
    assert "loop-a.md: skipped: broken or looping symlink" in result.err
    for data in tree_bytes(project / "site").values():
        assert b"SECRET" not in data


@pytest.mark.parametrize("bad", ["../x", "/abs/x", "a/../../x", "", "a//b", "a\\b", "a/\x00"])
def test_output_paths_that_escape_are_refused(bad: str) -> None:
    with pytest.raises(DigestError):
        safe_relative(bad)


def test_a_failed_write_keeps_the_old_site_and_leaves_no_temp_folder(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_site([OutputFile("index.html", b"old")], site)
    with pytest.raises(DigestError):
        write_site([OutputFile("index.html", b"new"), OutputFile("../escape.html", b"x")], site)
    assert (site / "index.html").read_bytes() == b"old"
    assert not (tmp_path / "escape.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_leftovers_of_a_killed_build_are_recovered(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_site([OutputFile("index.html", b"v1")], site)
    # A build killed between its two renames: the old site moved aside, the new one not in place.
    os.replace(site, tmp_path / ".site-old-99999")
    (tmp_path / ".site-build-99998").mkdir()
    (tmp_path / ".site-build-99998" / "index.html").write_bytes(b"half")
    report = write_site([OutputFile("index.html", b"v1")], site)
    assert not report.changed  # the old site was restored, and it already matches
    assert (site / "index.html").read_bytes() == b"v1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_killed_builds_tree_goes_to_the_trash_for_the_next_build_to_remove(tmp_path: Path) -> None:
    """A command-line build (which has a trash) moves a killed build's half-made tree into the
    trash in one rename, rather than unlinking its thousands of files in its own thread; the
    next build's remover takes it away."""
    from digest.write import remove_trash

    site, trash = tmp_path / "site", tmp_path / ".cache" / "trash"
    write_site([OutputFile("index.html", b"v1")], site)
    half = tmp_path / ".site-build-99998"
    (half / "articles").mkdir(parents=True)
    (half / "articles" / "index.html").write_bytes(b"half")
    writer = SiteWriter(site, trash=trash)
    [moved] = [path for path in trash.iterdir() if path.name.startswith(".site-build-99998-")]
    assert (moved / "articles" / "index.html").read_bytes() == b"half"  # moved whole
    writer.add([OutputFile("index.html", b"v2")])
    writer.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".cache", "site"]
    assert (site / "index.html").read_bytes() == b"v2"
    remover = remove_trash(trash)
    assert remover is not None and remover.wait(timeout=60) == 0
    assert not moved.exists()


def test_only_the_folders_a_build_makes_count_as_its_leftovers(tmp_path: Path) -> None:
    """Files and links beside site/ that are only named like a build's folders (no pid, or not a
    folder) are the user's: a build leaves them where they are."""
    site, trash = tmp_path / "site", tmp_path / ".cache" / "trash"
    write_site([OutputFile("index.html", b"v1")], site)
    notes = tmp_path / ".site-build-notes.txt"
    notes.write_bytes(b"mine")
    backup = tmp_path / "backup"
    backup.mkdir()
    (tmp_path / ".site-old-backup").symlink_to(backup, target_is_directory=True)
    (tmp_path / ".site-old-12345").write_bytes(b"a file, not a folder")
    writer = SiteWriter(site, trash=trash)
    writer.add([OutputFile("index.html", b"v2")])
    writer.commit()
    assert notes.read_bytes() == b"mine"
    assert (tmp_path / ".site-old-backup").is_symlink() and (tmp_path / ".site-old-12345").is_file()
    assert (site / "index.html").read_bytes() == b"v2"


def test_the_remover_unlinks_what_is_no_folder_in_the_trash_without_following_it(tmp_path: Path) -> None:
    """A file or a link in the trash (put where a folder was) is unlinked by the next build's
    remover, not left there for every build after; what a link points to stays."""
    from digest.write import remove_trash

    trash = tmp_path / ".cache" / "trash"
    trash.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_bytes(b"keep")
    (trash / "site-0a1b").symlink_to(outside, target_is_directory=True)
    (trash / "stray").write_bytes(b"x")
    (trash / "gone").symlink_to(tmp_path / "nowhere")
    remover = remove_trash(trash)
    assert remover is not None and remover.wait(timeout=60) == 0
    assert list(trash.iterdir()) == []
    assert (outside / "keep.txt").read_bytes() == b"keep"


def test_no_old_site_is_reused_where_names_ignore_case(tmp_path: Path) -> None:
    """Where the file system ignores case (macOS's, Windows' by default), a file kept in the old
    site under an old name is the file a page now names in other letters, and the old name would
    be removed with it: the site is then made anew, not from the old one. (Here the file system
    keeps case: ``SITE`` beside the kept ``site`` stands for it, as it would resolve there.)"""
    site, trash = tmp_path / "site", tmp_path / ".cache" / "trash"

    def build(files: dict[str, bytes]) -> bool:
        writer = SiteWriter(site, trash=trash)
        writer.add([OutputFile(path, data) for path, data in files.items()])
        writer.commit()
        assert tree_bytes(site) == files
        return writer.reused

    build({"static/Logo.png": b"logo", "index.html": b"1"})
    build({"static/Logo.png": b"logo", "index.html": b"2"})
    (trash / "SITE").symlink_to(trash / "site", target_is_directory=True)
    assert not build({"static/logo.png": b"logo", "index.html": b"3"})
    (trash / "SITE").unlink()
    assert build({"static/logo.png": b"logo", "index.html": b"4"})


def test_a_second_build_leaves_a_running_builds_new_tree_alone(tmp_path: Path) -> None:
    """Builds stream their pages into a new tree for seconds: a build started meanwhile (another
    process) must not clean that tree up as a killed build's leftover."""
    site = tmp_path / "site"
    write_site([OutputFile("a/0.html", b"old")], site)
    writer = SiteWriter(site)
    writer.add([OutputFile(f"a/{number}.html", b"new") for number in range(5)])
    other = subprocess.run(
        [sys.executable, "-c", "import sys; from pathlib import Path; from digest.models import OutputFile; "
         "from digest.write import write_site; write_site([OutputFile('b.html', b'other')], Path(sys.argv[1]))",
         str(site)], cwd=REPO, capture_output=True, text=True, check=False)
    assert other.returncode == 0, other.stderr
    writer.add([OutputFile(f"c/{number}.html", b"new") for number in range(5)])
    writer.commit()
    assert tree_bytes(site) == {**{f"a/{n}.html": b"new" for n in range(5)}, **{f"c/{n}.html": b"new" for n in range(5)}}


def test_a_build_whose_new_tree_is_removed_fails_and_leaves_the_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_site([OutputFile("a/0.html", b"old")], site)
    writer = SiteWriter(site)
    writer.add([OutputFile(f"a/{number}.html", b"new") for number in range(5)])
    tree = next(tmp_path.glob(".site-build-*"))
    while tree.exists():  # as a build that did not know of this one would (its writes may still land)
        shutil.rmtree(tree, ignore_errors=True)
    writer.add([OutputFile(f"c/{number}.html", b"new") for number in range(5)])
    with pytest.raises(DigestError, match="removed while it was being written"):
        writer.commit()
    writer.abort()
    assert tree_bytes(site) == {"a/0.html": b"old"}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["site"]


def test_stale_files_disappear_from_the_new_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_site([OutputFile("a/index.html", b"a"), OutputFile("b/index.html", b"b")], site)
    write_site([OutputFile("a/index.html", b"a")], site)
    assert tree_bytes(site) == {"a/index.html": b"a"}


def test_pages_named_like_site_folders_do_not_collide(project: Path) -> None:
    pages = project / "content" / "pages"
    (pages / "topics.md").write_text("---\ntitle: About topics\n---\n\nText.\n", encoding="utf-8")
    (pages / "topics-page.md").write_text("---\ntitle: Another\n---\n\nText.\n", encoding="utf-8")
    result = run_cli(project)
    assert result.code == 0, result.err
    assert (project / "site" / "topics-page" / "index.html").exists()
    assert (project / "site" / "topics-page-2" / "index.html").exists()
    assert "Topics" in (project / "site" / "topics" / "index.html").read_text(encoding="utf-8")


def test_an_empty_pinned_pull_quote_is_an_error(project: Path) -> None:
    (project / "content" / "articles" / "q.md").write_text(
        "---\ntitle: Q\npull_quote:\n  text: '  '\n---\n\nBody.\n", encoding="utf-8")
    result = run_cli(project)
    assert result.code == 1
    assert "error: content/articles/q.md:3: pull_quote must be text" in result.err
