"""Property-based tests: for any input, the readers, ingesters and analysers give a value or a
DigestError (never another exception), slugs stay inside site/, and rendered HTML runs nothing.

``make test`` runs the bounded "default" profile, derandomised so CI always checks the same
examples; ``make fuzz`` (HYPOTHESIS_PROFILE=fuzz) runs many more, random ones. Every failure
either profile found is a regular test at the end of this file.
"""

from __future__ import annotations

import contextlib
import os
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from digest.analyze.quotes import MAX_QUOTE_CHARS, find_quotes, pull_quotes
from digest.analyze.sentences import MAX_SENTENCE_CHARS, article_sentences
from digest.analyze.text import split_sentences
from digest.errors import DigestError
from digest.frontmatter import split_document
from digest.ingest import convert, render_file
from digest.ingest.plaintext import escape_markdown, parse_plain_text
from digest.markdown import render_markdown
from digest.models import Article, Block
from digest.read import article_from_text, check_article, check_fields, decode_markdown
from digest.slugs import MAX_SLUG_BYTES, slugify, unique_slugs
from digest.write import safe_relative

# No deadline: the machine is shared, and a slow example is not a wrong one (test_bad_inputs
# holds the per-article time limit).
_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("default", max_examples=150, derandomize=True, database=None, **_COMMON)
# The long run keeps what it found in .cache/ so a failure replays first next time.
settings.register_profile("fuzz", max_examples=5000, database=DirectoryBasedExampleDatabase(
    Path(__file__).resolve().parent.parent / ".cache" / "hypothesis"), **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ARTICLE = Path("content/articles/fuzz.md")
NOW = datetime(2024, 5, 1, tzinfo=UTC)

# Pieces that exercise the parsers' edges: Markdown and HTML syntax, quotation marks, YAML
# specials, sentence ends, scripts without capitals, and the payloads that must never run.
HOSTILE = [
    "\n", "\n\n", " ", "\t", "---", "---\n", ":::", "::: caption\n", "#", "## ", "> ", "- ", "1. ", "* ",
    "|", "`", "```", "~~", "*", "_", "[", "]", "](", ")", "![", "<", ">", "&", "&amp;", "&#106;", "\\",
    '"', "'", "“", "”", "‘", "’", "«", "»", "「", "」", "。", "！", "？", ".", "!", "?", "...", "…",
    "Mr.", "U.S.", "Dr. ", "said", " he said.", "said John Smith", "Smith said:", "according to",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg/onload=alert(1)>",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:msgbox(1)", "data:text/html,<b>",
    "[x](javascript:alert(1))", "[x](<java\tscript:alert(1)>)", "![x](javascript:alert(1))",
    "<javascript:alert(1)>", "<http://example.com>", "[x]: javascript:alert(1)\n\n[x]",
    "{{ 7*7 }}", "{% if true %}", "&a ", "*a", "!!python/object/apply:os.system", "NO", "~",
    "2024-02-30", "9999-12-31", "\x00", "\ufeff", "\u200d", "\u0301", "Київ", "中文", "שלום", "عربي",
    "CON", "..", "/", "./", "../../etc/passwd",
]
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12)), max_size=40).map("".join)
any_text = st.one_of(st.text(max_size=300), hostile_text)

# The only tags and attributes markdown-it (html off, tables, strikethrough) and the caption
# container can emit: anything else in the output came from the input.
ALLOWED_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "s", "a", "img", "code", "pre", "blockquote",
    "ul", "ol", "li", "hr", "br", "table", "thead", "tbody", "tr", "th", "td", "figure", "figcaption",
}
ALLOWED_ATTRIBUTES = {"href", "src", "alt", "title", "class", "start", "style"}
_URL_ATTRIBUTES = {"href", "src"}
_SAFE_DATA = re.compile(r"^data:image/(gif|png|jpeg|webp);")


def _scheme_that_runs(url: str) -> bool:
    """Whether a browser would run this URL: it drops leading C0 controls and spaces, and every
    tab and newline, before reading the scheme."""
    cleaned = re.sub(r"[\t\n\r]", "", url).lstrip("".join(map(chr, range(33)))).lower()
    if cleaned.startswith("data:"):
        return _SAFE_DATA.match(cleaned) is None
    return cleaned.startswith(("javascript:", "vbscript:"))


class _Active(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name not in ALLOWED_ATTRIBUTES:
                self.found.append(f"<{tag} {name}=>")
            if name in _URL_ATTRIBUTES and value is not None and _scheme_that_runs(value):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name == "style" and value is not None and not re.fullmatch(r"text-align:(left|right|center)", value):
                self.found.append(f"<{tag} style={value!r}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def active_content(html: str) -> list[str]:
    """What in ``html`` a browser could run, or anything outside what the renderer emits."""
    found = ["<script"] if re.search(r"<\s*script", html, re.IGNORECASE) else []
    parser = _Active()
    parser.feed(html)
    parser.close()
    return found + parser.found


def assert_safe_slug(slug: str) -> None:
    assert slug, "empty slug"
    assert "/" not in slug and "\\" not in slug and "\x00" not in slug, slug
    assert ".." not in slug and not slug.startswith("."), slug
    assert len(slug.encode("utf-8")) <= MAX_SLUG_BYTES + len("-page"), slug
    safe_relative(f"articles/{slug}/index.html")  # the writer's own check accepts it
    site = Path("/srv/site")
    assert (site / slug).resolve().parent == site


def assert_safe_article(article: Article) -> None:
    assert_safe_slug(article.slug)
    assert active_content(article.body_html) == [], article.body_html
    assert article.source is None or not _scheme_that_runs(article.source), article.source


# Front matter: YAML keys and values the reader must check, then any body.
KEYS = ["title", "date", "slug", "author", "source", "summary", "topics", "pull_quote", "language", "x", "title"]
VALUES = [
    "", "Hello", "'quoted'", '"<script>alert(1)</script>"', "[a, b]", "{text: hi, speaker: Ann}", "{text: 3}",
    "2024-05-01", "2024-02-30", "0000-01-01", "1899-12-31T00:00:00", "NO", "3", "1e400", "null", "~", "&a x",
    "*a", "!!python/object/apply:os.system [ls]", "!!binary aGk=", "|\n  block", ">\n  folded", "[unclosed",
    "javascript:alert(1)", "../../etc/passwd", "'..'", "'.hidden'", "CON", "- x", "- [nested, [deep]]",
]
front_matter = st.builds(
    lambda pairs, body, close: "---\n" + "".join(f"{k}: {v}\n" for k, v in pairs) + ("---\n" if close else "") + body,
    st.lists(st.tuples(st.sampled_from(KEYS), st.one_of(st.sampled_from(VALUES), st.text(max_size=20))), max_size=8),
    any_text,
    st.booleans(),
)


@given(st.one_of(front_matter, any_text))
@example("---\ntitle: x\nslug: '..'\n---\nbody")
@example("---\ntitle: '[a](javascript:alert(1))'\nsource: ' javascript:alert(1)'\n---\n")
def test_front_matter_reader_gives_an_article_or_a_content_error(text: str) -> None:
    warnings: list[str] = []
    try:
        fields = check_article(text, ARTICLE, warnings)
    except DigestError:
        with pytest.raises(DigestError):
            article_from_text(text, ARTICLE)
        return
    article = article_from_text(text, ARTICLE)
    assert article.title == fields.title and article.title.strip()
    assert_safe_article(article)


@given(st.binary(max_size=400))
def test_any_bytes_decode_to_text_or_a_content_error(raw: bytes) -> None:
    try:
        text = decode_markdown(raw, ARTICLE)
    except DigestError:
        return
    assert "\r" not in text and "\x00" not in text
    with contextlib.suppress(DigestError):
        assert_safe_article(article_from_text(text, ARTICLE))


def _what_ingest_writes(raw: bytes, name: str) -> None:
    """convert, then what ingest writes must be what the build reads: both refuse it or both take it."""
    path = Path("content/inbox") / name
    try:
        item = convert(raw, path, f"content/inbox/{name}", [], date=NOW)
    except DigestError:
        return
    assert_safe_slug(item.slug)
    try:
        check_fields(split_document(render_file(item), path), path)
    except DigestError:
        return  # ingest reports it and writes nothing
    assert_safe_article(article_from_text(render_file(item), Path("content/articles") / f"{item.slug}.md"))


@given(st.one_of(any_text, st.lists(any_text, max_size=6).map("\n\n".join)))
def test_raw_text_ingest_gives_a_readable_article_or_an_ingest_error(text: str) -> None:
    _what_ingest_writes(text.encode("utf-8", "surrogatepass"), "fuzz.txt")


@given(st.binary(max_size=300))
def test_raw_bytes_ingest_gives_a_readable_article_or_an_ingest_error(raw: bytes) -> None:
    _what_ingest_writes(raw, "fuzz.txt")


@given(st.one_of(any_text, front_matter))
def test_markdown_ingest_gives_a_readable_article_or_an_error(text: str) -> None:
    _what_ingest_writes(text.encode("utf-8", "surrogatepass"), "fuzz.md")


@given(st.lists(st.text(max_size=80).filter(lambda line: "\x00" not in line), max_size=8))
def test_plain_text_parser_never_fails(lines: list[str]) -> None:
    parsed = parse_plain_text("\n".join(lines))
    assert isinstance(parsed.title, str) and isinstance(parsed.body, str)


@given(st.text(max_size=200))
@example("~~struck~~ text")
@example("0)")
def test_escaped_scraped_text_reads_literally(line: str) -> None:
    # What ingest escapes is shown as the words scraped, not as Markdown syntax.
    line = " ".join(line.replace("\x00", "").split())
    if not line:
        return
    html, blocks = render_markdown(escape_markdown(line))
    assert " ".join(block.text for block in blocks) == line, html


# HTML pages: a small grammar of tags, attributes and text, with what a scraped page may hide.
TAGS = ["p", "div", "article", "main", "h1", "h2", "span", "a", "b", "em", "script", "style", "title",
        "time", "li", "ul", "table", "td", "tr", "iframe", "noscript", "template", "svg", "math"]
ATTRIBUTES = [
    "", ' href="javascript:alert(1)"', ' src="x" onerror="alert(1)"', ' onclick="alert(1)"', ' class="content"',
    ' datetime="2024-05-01T10:00:00Z"', ' datetime="bad"', ' lang="fr"', ' style="x:expression(alert(1))"',
]
HEAD = [
    "", '<meta charset="utf-8">', '<meta charset="koi8-r">', '<meta charset="nonsense">',
    '<meta property="article:published_time" content="2024-05-01T10:00:00+02:00">',
    '<link rel="canonical" href="javascript:alert(1)">', '<link rel="canonical" href="https://example.com/a">',
    '<base href="javascript:alert(1)//">', '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
]


@st.composite
def html_pages(draw: st.DrawFn) -> str:
    def element(depth: int) -> str:
        tag = draw(st.sampled_from(TAGS))
        inner = "".join(
            element(depth + 1) if depth < 3 and draw(st.booleans()) else draw(any_text)
            for _ in range(draw(st.integers(0, 3)))
        )
        closing = draw(st.sampled_from([f"</{tag}>", f"</{tag}>", ""]))
        return f"<{tag}{draw(st.sampled_from(ATTRIBUTES))}>{inner}{closing}"

    head = "".join(draw(st.lists(st.sampled_from(HEAD), max_size=3)))
    body = "".join(element(0) for _ in range(draw(st.integers(0, 5))))
    doctype = draw(st.sampled_from(["<!DOCTYPE html>", "", "<?xml version='1.0'?>"]))
    return f"{doctype}<html><head>{head}</head><body>{body}</body></html>"


@settings(max_examples=max(10, settings().max_examples // 3))  # trafilatura is slow: a third as many
@given(st.one_of(html_pages(), st.binary(max_size=200)))
def test_html_ingest_gives_a_safe_readable_article_or_an_ingest_error(page: str | bytes) -> None:
    _what_ingest_writes(page.encode("utf-8", "surrogatepass") if isinstance(page, str) else page, "fuzz.html")


@given(st.one_of(st.text(max_size=120), hostile_text))
@example("..")
@example("...-...")
@example(".hidden")
@example("a\u0301.b")
def test_any_slug_stays_inside_site(title: str) -> None:
    assert_safe_slug(slugify(title))


@given(st.lists(st.one_of(st.sampled_from(["a", "A", "a-2", "A-2", "con", "x"]), st.text(max_size=8)), max_size=12))
def test_unique_slugs_are_unique_ignoring_case(titles: list[str]) -> None:
    slugs = unique_slugs(slugify(title) for title in titles)
    assert len({slug.casefold() for slug in slugs}) == len(slugs)
    for slug in slugs:
        assert_safe_slug(slug)


@given(any_text)
def test_sentence_splitter_loses_nothing(text: str) -> None:
    sentences = split_sentences(text)
    assert all(sentence and sentence == sentence.strip() for sentence in sentences)
    # Nothing lost, nothing added: the sentences are the text, cut.
    assert "".join("".join(sentences).split()) == "".join(text.split())


@given(st.lists(st.tuples(st.sampled_from(["paragraph", "heading", "caption", "blockquote", "list_item"]),
                          any_text), max_size=6))
def test_article_sentences_are_bounded(parts: list[tuple[str, str]]) -> None:
    blocks = tuple(Block(kind, text) for kind, text in parts)  # type: ignore[arg-type]
    for sentence in article_sentences(blocks):
        assert 0 < len(sentence.text) <= MAX_SENTENCE_CHARS + 1


QUOTED = st.lists(st.one_of(
    st.sampled_from(['"', "“", "”", "«", "»", "‘", "’", "'", " said ", " he said. ", "John Smith", "Smith",
                     ", an economist,", "according to ", ". ", "\n", "President ", "the QCA", "(QCA)"]),
    st.text(max_size=10)), max_size=50).map("".join)


@given(st.lists(st.tuples(st.sampled_from(["paragraph", "blockquote", "list_item", "heading"]),
                          st.one_of(QUOTED, any_text)), max_size=6))
def test_quote_extractor_gives_quotes_from_the_text(parts: list[tuple[str, str]]) -> None:
    blocks = [Block(kind, text) for kind, text in parts]  # type: ignore[arg-type]
    prose = "".join("".join(text.split()) for kind, text in parts if kind != "heading")
    for quote in [*find_quotes(blocks), *pull_quotes(blocks)]:
        assert quote.text.strip() and len(quote.text) <= MAX_QUOTE_CHARS
        assert quote.speaker is None or quote.speaker.strip()
        # The words are the article's own ("," at the end may become "."): no quote is made up.
        assert "".join(quote.text.rstrip(".").split()) in prose


@given(any_text)
@example("[a](<java\tscript:alert(1)>) [b](\x01javascript:alert(1)) <vbscript:x> ![c](data:text/html,x)")
@example("<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n::: caption\n<b>x</b>\n:::")
def test_rendered_markdown_runs_nothing(text: str) -> None:
    html, _ = render_markdown(text)
    assert active_content(html) == [], html


def test_the_checker_sees_active_content() -> None:
    # The property above is only as good as this checker: it must see each way of running code.
    for html in ['<script>x</script>', '<p onclick="x">', '<a href=" java&#09;script:x">', '<img src="vbscript:x">',
                 '<a href="data:text/html,x">', '<iframe src="x">', '<a href="x" target="_top">']:
        assert active_content(html), html
    assert active_content('<p><a href="https://x">a</a> <img src="data:image/png;base64,AA" alt=""></p>') == []




@given(st.lists(st.tuples(st.sampled_from(["paragraph", "heading", "quote"]),
                          st.one_of(any_text, st.integers(0, 30_000).map(lambda size: "w" * size))), max_size=8))
def test_a_search_record_made_later_is_the_record_made_now(rows: list[tuple[str, str]]) -> None:
    """A cached build's article records keep only the blocks their HTML shows (the first 20,000
    characters), and make the HTML if their part of the index is made: the same HTML."""
    from digest.search import _article_document, _shown

    blocks = tuple(Block(kind, text) for kind, text in rows)  # type: ignore[arg-type]
    assert _article_document("A title", _shown(blocks), "en") == _article_document("A title", blocks, "en")


# Failures the fuzzing found, kept as plain tests.

def test_struck_through_scraped_text_stays_literal() -> None:
    # Found by test_escaped_scraped_text_reads_literally: "~~" was not escaped and became <s>.
    assert escape_markdown("~~x~~ ~ y") == "\\~\\~x\\~\\~ ~ y"
    html, _ = render_markdown(escape_markdown("~~struck~~ text"))
    assert html == "<p>~~struck~~ text</p>\n"


def test_a_line_starting_like_an_ordered_list_shows_no_backslash() -> None:
    # Found by the fuzz profile: "0)" was escaped as "\\0)", and a backslash before a digit shows.
    for line in ("0) zero", "1984. A year", "12) twelve"):
        html, blocks = render_markdown(escape_markdown(line))
        assert blocks[0].text == line, html
        assert "<ol" not in html


def test_an_html_page_with_control_characters_is_ingested() -> None:
    # Found by test_html_ingest_...: lxml parsed a page holding U+0008, then refused to copy the text.
    page = b"<html><head><title>Bells</title></head><body><p>Ring\x08 the \x1fbell, said the ringer.</p></body></html>"
    item = convert(page, Path("content/inbox/bells.html"), "content/inbox/bells.html", [], date=NOW)
    assert item.meta["title"] == "Bells"
    assert "Ring the bell, said the ringer." in item.body
