"""Slugs are safe names; Markdown renders once into HTML and analysis blocks, raw HTML escaped."""

from __future__ import annotations

import pytest

from digest.markdown import render_markdown
from digest.slugs import slugify, unique_slugs


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Kyiv Under Attack!", "kyiv-under-attack"),
        ("Café déjà vu", "cafe-deja-vu"),
        ("Київ під атакою", "київ-під-атакою"),
        ("中文标题", "中文标题"),
        ("../../etc/passwd", "etc-passwd"),
        ("/abs/path", "abs-path"),
        ("x/y\\z", "x-y-z"),
        (".", "article"),
        ("", "article"),
        ("CON", "con-page"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_long_slugs_are_cut_at_a_word_within_64_bytes() -> None:
    slug = slugify("word " * 100)
    assert len(slug.encode("utf-8")) <= 64
    assert not slug.endswith("-")
    assert len(slugify("ж" * 300).encode("utf-8")) <= 64


def test_unique_slugs_are_deterministic_and_case_insensitive() -> None:
    assert unique_slugs(["a", "A", "a", "b"]) == ["a", "A-2", "a-3", "b"]


def test_markdown_blocks_and_html_come_from_one_parse() -> None:
    html, blocks = render_markdown(
        "Intro <b>bold</b>.\n\n## Heading\n\n::: caption\nPhoto title\n\nPhoto credit\n:::\n\n"
        "> A quoted line\n\n- item one\n- item two\n"
    )
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert '<figure class="caption"><figcaption>' in html
    assert [(b.kind, b.text) for b in blocks] == [
        ("paragraph", "Intro <b>bold</b>."),
        ("heading", "Heading"),
        ("caption", "Photo title"),
        ("caption", "Photo credit"),
        ("blockquote", "A quoted line"),
        ("list_item", "item one"),
        ("list_item", "item two"),
    ]


def test_script_links_are_not_links() -> None:
    html, _ = render_markdown("[a](javascript:alert(1)) [b](vbscript:x) [c](https://example.org/)")
    assert 'href="javascript' not in html and 'href="vbscript' not in html
    assert '<a href="https://example.org/">c</a>' in html
