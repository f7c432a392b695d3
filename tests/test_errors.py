"""Bad config or front matter: one clear line per problem (file, line, key), exit 1, site/ untouched."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli, tree_bytes


def built(project: Path) -> dict[str, bytes]:
    result = run_cli(project)
    assert result.code == 0, result.err
    return tree_bytes(project / "site")


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def test_config_errors_are_all_reported_with_line_and_key(project: Path) -> None:
    before = built(project)
    (project / "config.yaml").write_text(
        "site:\n"
        "  title: 3\n"
        "  base_url: javascript:alert(1)\n"
        "analysis:\n"
        "  summary_sentences: 0\n"
        "  sumarizer: textrank\n"
        "topics:\n"
        "  - description: no name\n"
    )
    result = run_cli(project)
    assert result.code == 1
    assert "Traceback" not in result.err
    lines = error_lines(result.err)
    assert len(lines) == 5, result.err
    assert any(line.startswith("error: config.yaml:2: 'site.title': must be text") for line in lines)
    assert any(line.startswith("error: config.yaml:3: 'site.base_url'") for line in lines)
    assert any(line.startswith("error: config.yaml:5: 'analysis.summary_sentences'") for line in lines)
    assert any("config.yaml:6: 'analysis.sumarizer': unknown key (did you mean 'summarizer'?)" in line
               for line in lines)
    assert any(line.startswith("error: config.yaml:8:") and "needs a name" in line for line in lines)
    assert "site/ was left as it was" in result.err
    assert tree_bytes(project / "site") == before


def test_config_yaml_syntax_error_names_the_line(project: Path) -> None:
    (project / "config.yaml").write_text("site:\n  title: [unclosed\ntheme: default\n")
    result = run_cli(project)
    assert result.code == 1
    assert re.search(r"^error: config\.yaml:\d+: invalid YAML", result.err, re.M), result.err
    assert "Traceback" not in result.err


def test_front_matter_errors_name_file_line_and_key(project: Path) -> None:
    before = built(project)
    articles = project / "content" / "articles"
    (articles / "a-unclosed.md").write_text("---\ntitle: Open\n\nBody text.\n")
    (articles / "b-date.md").write_text("---\ntitle: Bad date\ndate: 2024-02-30\n---\n\nBody.\n")
    (articles / "c-notitle.md").write_text("---\nauthor: Someone\n---\n\nBody.\n")
    (articles / "d-alias.md").write_text("---\ntitle: &a Hello\nauthor: *a\n---\n\nBody.\n")
    (articles / "e-tag.md").write_text("---\ntitle: !!python/object/apply:os.system ['touch /tmp/x']\n---\nB\n")
    (articles / "f-dup.md").write_text("---\ntitle: One\ndate: 2024-01-01\ntitle: Two\n---\nB\n")
    result = run_cli(project)
    assert result.code == 1
    assert "Traceback" not in result.err
    lines = error_lines(result.err)
    assert len(lines) == 6, result.err
    expected = [
        r"content/articles/a-unclosed\.md:1: front matter opened with '---' but never closed",
        r"content/articles/b-date\.md:3: date '2024-02-30' is not a valid date",
        r"content/articles/c-notitle\.md:1: title missing \(add a line 'title: \.\.\.'",
        r"content/articles/d-alias\.md:2: YAML anchors are not allowed",
        r"content/articles/e-tag\.md:2: unsupported YAML tag",
        r"content/articles/f-dup\.md:4: duplicate key 'title' \(first on line 2\)",
    ]
    for pattern in expected:
        assert any(re.search(pattern, line) for line in lines), (pattern, lines)
    assert tree_bytes(project / "site") == before


def test_broken_template_stops_the_build_and_keeps_the_site(project: Path) -> None:
    before = built(project)
    theme = project / "themes" / "default" / "templates" / "topic.html"
    theme.write_text("{% extends 'base.html' %}{% block main %}{{ topic.name }{% endblock %}")
    result = run_cli(project)
    assert result.code == 1
    assert "Traceback" not in result.err
    assert re.search(r"^error: themes/default/templates/topic\.html:1: template error", result.err, re.M), result.err
    assert tree_bytes(project / "site") == before
    assert not list(project.glob(".site-*"))


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform != "linux", reason="a file size limit (RLIMIT_FSIZE) on Linux")
@pytest.mark.parametrize("fresh", [False, True], ids=["over-a-site", "into-no-site"])
def test_a_page_that_cannot_be_written_stops_the_build_with_one_clear_line(project: Path, fresh: bool) -> None:
    """The disk refuses the pages (here: a limit on file size, as a full disk would): the build
    says which file and why, in one line, and leaves site/ as it was. Into a fresh site/ the
    render workers write the pages themselves; over an old one, the build does."""
    import random
    import resource

    from tests.test_kill import _leftovers, write_articles

    write_articles(project, random.Random(5))  # enough pages for the render workers
    built(project)
    for article in (project / "content" / "articles").iterdir():
        os.utime(article, (1_700_000_000, 1_700_000_000))  # not just written: the next build trusts its cache
    before = built(project)  # the caches made: the next build writes nothing but pages
    if fresh:
        shutil.rmtree(project / "site")
    else:
        with (project / "themes" / "default" / "templates" / "base.html").open("a", encoding="utf-8") as base:
            base.write("<!-- every page changes -->\n")

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # the article pages are bigger

    done = subprocess.run([sys.executable, str(REPO / "build.py"), "build", "--workers", "2"], cwd=project,
                          capture_output=True, text=True, timeout=120, check=False, preexec_fn=small_files,
                          env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 1, done.stderr
    assert re.search(r"^error: .*\.site-build-\d+/\S+: could not write this file of the new site: File too large",
                     done.stderr, re.M), done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert "site/ was left as it was" in done.stderr
    if fresh:
        assert not (project / "site").exists()
    else:
        assert tree_bytes(project / "site") == before
    assert _leftovers(project) == []


@pytest.mark.parametrize("arguments", [
    ["build", "--workers", "-3"], ["ingest", "--workers", "0", "content/inbox"],
    ["ingest", "--date", "2024-02-30", "content/inbox"], ["ingest", "--date", "yesterday", "content/inbox"],
    ["serve", "--port", "99999"], ["analyze", "--summary-words", "3", "x.txt"],
    ["analyze", "--summary-sentences", "51", "x.txt"],
], ids=["workers-negative", "ingest-workers-0", "impossible-date", "date-in-words", "port-too-big", "too-few-words",
        "too-many-sentences"])
def test_a_wrong_value_on_the_command_line_exits_2_naming_the_option(project: Path, arguments: list[str]) -> None:
    before = tree_bytes(project)
    result = run_cli(project, *arguments)
    assert result.code == 2, (result.code, result.err)
    assert f"argument {arguments[1]}:" in result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert tree_bytes(project) == before  # nothing ingested or built before the refusal


def test_a_python_without_the_packages_is_told_how_to_get_them(project: Path) -> None:
    # `python build.py` run by a Python other than .venv's (-S: without any site-packages).
    done = subprocess.run([sys.executable, "-S", str(REPO / "build.py")], cwd=project, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: the package '") and "make site" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def _packages_but(tmp_path: Path, missing: str) -> Path:
    """A folder holding every installed package but ``missing`` (links): with ``python -S`` and it
    on PYTHONPATH, a Python that really lacks that one package."""
    import jinja2

    site_packages = Path(jinja2.__file__).parent.parent
    folder = tmp_path / "packages"
    folder.mkdir()
    for entry in site_packages.iterdir():
        if not entry.name.startswith(missing):
            (folder / entry.name).symlink_to(entry)
    return folder


def test_a_package_missing_when_the_build_needs_it_is_named_not_called_a_bug(project: Path, tmp_path: Path) -> None:
    # The Markdown parser is imported only when an article is first parsed: past the imports at start.
    packages = _packages_but(tmp_path, "markdown_it")
    done = subprocess.run([sys.executable, "-S", str(REPO / "build.py")], cwd=project, capture_output=True,
                          text=True, timeout=120, check=False,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join([str(packages), str(REPO)])})
    assert done.returncode == 1, done.stderr
    assert "error: the package 'markdown_it' is not installed" in done.stderr, done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert not (project / "site").exists()


def test_a_module_missing_from_an_installed_package_is_a_bug_not_a_missing_package(
        project: Path, tmp_path: Path) -> None:
    # digest importing a module its dependency does not have is digest's bug: it must not be
    # blamed on the user's installation.
    sitecustomize = tmp_path / "hooks"
    sitecustomize.mkdir()
    (sitecustomize / "sitecustomize.py").write_text(
        "import digest.pipeline\n"
        "def build(*args, **kwargs):\n"
        "    import markdown_it.no_such_module  # noqa\n"
        "digest.pipeline.build = build\n", encoding="utf-8")
    result = run_cli(project, env={"PYTHONPATH": os.pathsep.join([str(sitecustomize), str(REPO)])})
    assert result.code == 70, result.err
    assert "internal error: ModuleNotFoundError" in result.err
    assert "is not installed" not in result.err


def test_a_misspelt_front_matter_key_is_named_with_the_key_it_resembles(project: Path) -> None:
    articles = project / "content" / "articles"
    (articles / "pinned.md").write_text(
        "---\ntitle: A pinned story\ntopic: [Culture]\nsummery: The pin.\ntags: [kept, quiet]\nsubtitle: Its own\n"
        "source_url: https://x.example/\nog_title: Shared\n---\n\nIt reads well.\n",
        encoding="utf-8")
    result = run_cli(project)
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if "front-matter key" in line]
    assert warnings == [
        "warning: content/articles/pinned.md:3: unknown front-matter key 'topic' does nothing (did you mean 'topics'?)",
        "warning: content/articles/pinned.md:4: unknown front-matter key 'summery' does nothing (did you mean 'summary'?)",
    ]  # other tools' keys ('tags', 'subtitle', 'source_url', 'og_title') are left alone
    assert "nothing changed" in (again := run_cli(project)).out and warnings[0] in again.err


def test_a_slug_taken_by_another_article_is_said_with_where_the_article_went(project: Path) -> None:
    articles = project / "content" / "articles"
    for name, title, slug in (("a.md", "First", "the-slug"), ("b.md", "Second", "the-slug"),
                              ("c.md", "Third", "the-slug-2")):
        (articles / name).write_text(f"---\ntitle: {title}\nslug: {slug}\n---\n\nBody of {title}.\n", encoding="utf-8")
    result = run_cli(project)
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if "is taken by" in line]
    assert warnings == [
        "warning: content/articles/b.md: slug 'the-slug' is taken by content/articles/a.md; published at "
        "articles/the-slug-2/ (give one of them another 'slug:')",
        "warning: content/articles/c.md: slug 'the-slug-2' is taken by content/articles/b.md; published at "
        "articles/the-slug-2-2/ (give one of them another 'slug:')",
    ]
    assert (project / "site" / "articles" / "the-slug-2-2" / "index.html").is_file()


@pytest.mark.parametrize(("front_matter", "line", "words"), [
    ("title: One\nlanguage: en\ntopics: [Sport\n", 4, "did not find expected ',' or ']'"),  # where it opens
    ("title: One\nlanguage: en\n\tsummary: x\n", 4, "tab character"),  # the tab's line, not the one before
    ('title: "unterminated\nlanguage: en\n', 2, "quoted scalar"),
    ("title: One\nsummary: a: b\nlanguage: en\n", 3, "mapping values are not allowed"),
    ('title: Storm\ndate: 2024-05-01\nauthor: "Jane" Doe\n', 4, "did not find expected key"),  # not the block's start
    ("title: Rain\ntopics:\n  - weather\n - news\n", 5, "did not find expected key"),
], ids=["unclosed-bracket", "tab-indent", "unclosed-quote", "colon-in-value", "text-after-quote", "list-indent"])
def test_a_yaml_mistake_in_front_matter_names_the_line_it_is_on(
        project: Path, front_matter: str, line: int, words: str) -> None:
    (project / "content" / "articles" / "wrong.md").write_text(f"---\n{front_matter}---\n\nBody.\n",
                                                               encoding="utf-8")
    result = run_cli(project)
    assert result.code == 1
    [error] = error_lines(result.err)
    assert error.startswith(f"error: content/articles/wrong.md:{line}: invalid YAML"), error
    assert words in error
    if "tab" in words:
        assert "indent with spaces, not tabs" in error
