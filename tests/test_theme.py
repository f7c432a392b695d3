"""A user theme overrides the default file by file and falls back to it for the rest."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import run_cli, tree_bytes


def use_theme(project: Path, name: str) -> Path:
    config = project / "config.yaml"
    config.write_text(config.read_text().replace("theme: default", f"theme: {name}"))
    folder = project / "themes" / name
    (folder / "templates").mkdir(parents=True)
    (folder / "static").mkdir()
    return folder


def test_user_theme_overrides_and_falls_back(project: Path) -> None:
    mine = use_theme(project, "mine")
    (mine / "templates" / "404.html").write_text(
        "{% extends 'base.html' %}{% block main %}<h1>Lost at sea</h1>{% endblock %}", encoding="utf-8")
    (mine / "static" / "extra.css").write_text("body { color: red; }", encoding="utf-8")
    result = run_cli(project)
    assert result.code == 0, result.err
    site = project / "site"
    assert "<h1>Lost at sea</h1>" in (site / "404.html").read_text(encoding="utf-8")
    assert (site / "static" / "extra.css").read_text() == "body { color: red; }"
    default_css = (project / "themes" / "default" / "static" / "style.css").read_bytes()
    assert (site / "static" / "style.css").read_bytes() == default_css  # fallback
    assert "The story so far" in next((site / "topics").glob("*/index.html")).read_text(encoding="utf-8")


def test_an_error_in_a_user_template_names_that_file(project: Path) -> None:
    mine = use_theme(project, "mine")
    (mine / "templates" / "page.html").write_text("{% extends 'base.html' %}\n{% block main %}{{ page.title }\n",
                                                  encoding="utf-8")
    result = run_cli(project)
    assert result.code == 1
    assert re.search(r"^error: themes/mine/templates/page\.html:2: template error", result.err, re.M), result.err


def test_templates_cannot_reach_files_or_the_environment(project: Path) -> None:
    mine = use_theme(project, "mine")
    (mine / "templates" / "404.html").write_text(
        "{{ url.__globals__ }}{{ ''.__class__.__mro__ }}", encoding="utf-8")
    result = run_cli(project)
    assert result.code == 1
    assert "template error" in result.err and "unsafe" in result.err


def test_a_missing_theme_is_a_clear_error(project: Path) -> None:
    config = project / "config.yaml"
    config.write_text(config.read_text().replace("theme: default", "theme: nothere"))
    result = run_cli(project)
    assert result.code == 1
    assert "error: themes/nothere: no theme 'nothere': there is no such folder" in result.err


def test_a_theme_of_one_css_file_takes_everything_else_from_the_default(project: Path) -> None:
    assert run_cli(project).code == 0
    default_home = (project / "site" / "index.html").read_bytes()
    (project / "themes" / "plain" / "static").mkdir(parents=True)
    (project / "themes" / "plain" / "static" / "style.css").write_text("body { color: #123456; }\n", encoding="utf-8")
    config = project / "config.yaml"
    config.write_text(config.read_text().replace("theme: default", "theme: plain"))
    result = run_cli(project)
    assert result.code == 0, result.err
    assert (project / "site" / "static" / "style.css").read_text(encoding="utf-8") == "body { color: #123456; }\n"
    assert (project / "site" / "index.html").read_bytes() == default_home
    # Without a default to take the templates from, it is refused before anything is read.
    shutil.rmtree(project / "themes" / "default")
    result = run_cli(project)
    assert result.code == 1
    assert ("error: themes/plain: theme 'plain' has no templates folder, and there is no themes/default to take "
            "them from") in result.err


@pytest.mark.parametrize("fresh", [False, True], ids=["over-a-site", "into-no-site"])
def test_a_template_error_in_a_big_site_is_one_clear_line(project: Path, fresh: bool) -> None:
    # Enough articles that their pages are rendered by worker processes: the error comes back
    # from a worker as the same one line, and site/ is left as it was. With no site/ yet, the
    # workers write their pages into the new tree themselves: it is all removed.
    import random

    from tests.test_kill import _leftovers, write_articles

    write_articles(project, random.Random(3))
    assert len(list((project / "content" / "articles").glob("*.md"))) >= 100
    assert run_cli(project, "build", "--workers", "2").code == 0
    before = tree_bytes(project / "site")
    if fresh:
        shutil.rmtree(project / "site")
    mine = use_theme(project, "mine")
    (mine / "templates" / "article.html").write_text(
        "{% extends 'base.html' %}\n{% block main %}\n{% if article.slug == 'a090' %}{{ article.no_such_field.twice }}"
        "{% endif %}\n{% endblock %}\n", encoding="utf-8")
    result = run_cli(project, "build", "--workers", "2")
    assert result.code == 1
    assert re.search(r"^error: themes/mine/templates/article\.html(:3)?: template error: .*no_such_field",
                     result.err, re.M), result.err
    assert "Traceback" not in result.err
    if fresh:
        assert not (project / "site").exists()
    else:
        assert tree_bytes(project / "site") == before
    assert _leftovers(project) == []


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_template_that_fails_while_rendering_is_one_clear_line_with_any_workers(project: Path, workers: str) -> None:
    """An error Jinja does not raise itself (a division by zero, an index past a list's end) is
    reported like any template error, at its line, whether a worker or the build rendered it."""
    import random

    from tests.test_kill import write_articles

    write_articles(project, random.Random(3))
    assert run_cli(project, "build", "--workers", workers).code == 0
    before = tree_bytes(project / "site")
    mine = use_theme(project, "mine")
    (mine / "templates" / "article.html").write_text(
        "{% extends 'base.html' %}\n{% block main %}\n<p>{{ article.title }}</p>\n{{ 1 / 0 }}\n{% endblock %}\n",
        encoding="utf-8")
    (mine / "templates" / "topic.html").write_text(
        "{% extends 'base.html' %}\n{% block main %}\n{{ topic.articles[100000].title }}\n{% endblock %}\n",
        encoding="utf-8")
    result = run_cli(project, "build", "--workers", workers)
    assert result.code == 1, result.err
    assert re.search(r"^error: themes/mine/templates/(article\.html:4: template error: ZeroDivisionError: division by "
                     r"zero|topic\.html:3: template error: .*)", result.err, re.M), result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert tree_bytes(project / "site") == before


class _Shown:
    """An object a template prints: its own HTML (``__html__``) or its text."""

    def __init__(self, html: str) -> None:
        self.html = html

    def __html__(self) -> str:
        return self.html

    def __str__(self) -> str:
        return "<shown & told>"


@given(st.text() | st.text(alphabet="<>&\"'a é\n"))
def test_template_output_is_escaped_exactly_as_markupsafe_escapes_it(text: str) -> None:
    # Templates escape their output with digest's own escape (faster); it must give the same text.
    from markupsafe import Markup, escape

    from digest.render import _escape_text, escape_output

    class Text(str):
        pass

    for value in (text, Markup(text), Text(text), 42, None, 1.5, _Shown(text)):
        shown = escape_output(value)
        assert type(shown) is Markup
        assert shown == escape(value)
    assert _escape_text(text) == escape(text)  # what is used when markupsafe has no C escaping


def test_compiled_templates_are_kept_and_follow_every_edit(project: Path) -> None:
    """Builds keep the compiled templates in .cache/templates/; an edited template is compiled again,
    and a damaged cache is as good as none: the site is the same as with no cache at all."""
    assert run_cli(project).code == 0
    compiled = list((project / ".cache" / "templates").rglob("*.cache"))
    assert compiled, "the compiled templates are kept"
    from jinja2.bccache import bc_magic

    for number, path in enumerate(compiled):  # not Jinja's, or Jinja's header and then garbage
        path.write_bytes(b"j2 not a template" if number % 2 else bc_magic + b"garbage!")
    result = run_cli(project, "build", "--config", "config.yaml")
    assert result.code == 0, result.err
    mine = use_theme(project, "mine")
    (mine / "templates" / "404.html").write_text(
        "{% extends 'base.html' %}{% block main %}<h1>Lost at sea</h1>{% endblock %}", encoding="utf-8")
    assert run_cli(project).code == 0
    (mine / "templates" / "404.html").write_text(
        "{% extends 'base.html' %}{% block main %}<h1>Adrift</h1>{% endblock %}", encoding="utf-8")
    assert run_cli(project).code == 0
    assert "<h1>Adrift</h1>" in (project / "site" / "404.html").read_text(encoding="utf-8")
    cached = tree_bytes(project / "site")
    assert run_cli(project, "build", "--no-cache").code == 0
    assert tree_bytes(project / "site") == cached


def test_a_symlinked_template_cache_is_left_alone(project: Path, tmp_path: Path) -> None:
    """A .cache/templates that links elsewhere is not used, and nothing it points to is removed."""
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "0123456789abcdef0123456789abcdef").mkdir(parents=True)
    (elsewhere / "0123456789abcdef0123456789abcdef" / "keep.txt").write_text("mine", encoding="utf-8")
    (project / ".cache").mkdir(exist_ok=True)
    (project / ".cache" / "templates").symlink_to(elsewhere, target_is_directory=True)
    result = run_cli(project)
    assert result.code == 0, result.err
    assert (elsewhere / "0123456789abcdef0123456789abcdef" / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert [path.name for path in elsewhere.iterdir()] == ["0123456789abcdef0123456789abcdef"]


def test_url_and_absolute_take_a_leading_slash_and_a_full_address(project: Path) -> None:
    mine = use_theme(project, "mine")
    (mine / "templates" / "page.html").write_text(
        "{{ url('/about/') }}|{{ absolute('/about/') }}|{{ url('https://other.example/x') }}|"
        "{{ absolute('https://other.example/x') }}|{{ url('javascript:alert(1)') }}", encoding="utf-8")
    assert run_cli(project).code == 0
    shown = (project / "site" / "about" / "index.html").read_text(encoding="utf-8")
    assert shown == "../about/|https://example.org/about/|https://other.example/x|https://other.example/x|../javascript%3Aalert%281%29"


def test_an_include_of_a_missing_template_says_it_is_missing(project: Path) -> None:
    mine = use_theme(project, "mine")
    (mine / "templates" / "page.html").write_text('<p>x</p>\n{% include "nosuch.html" %}\n', encoding="utf-8")
    result = run_cli(project)
    assert result.code == 1
    assert ("error: themes/mine/templates/page.html:2: template error: no template 'nosuch.html' in the theme "
            "or the default theme") in result.err, result.err
