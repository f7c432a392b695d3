"""The bad-input contract of ../shared/bad_inputs/README.md, case by case, through the real CLI.

The battery is generated once per session by the shared generator (never copied into the repo).
Every case runs in a copy of a baseline project (``make_project(with_seed=False)``, one harmless
article, one good build):

* ``raw/<file>``: ``python build.py ingest <file>``, then ``python build.py`` if ingest succeeded;
* ``md/<file>``: the file is copied into ``content/articles/`` and ``python build.py`` runs;
* ``fs/<entry>``: the entry (symlinks recreated as links) is dropped into ``content/articles/``
  beside ``fs/normal.md``, and ``python build.py`` runs.

Two tests per case: ``test_*_contract`` is what every case must do (no traceback, exit 0 or 1, under
the time cap, nothing written outside ``site/`` and ``content/``, no active content, no NUL, a failed
build leaves the previous ``site/`` byte-identical); ``test_*_expected`` is the README table's row:
E (exit 1, one ``error:`` line naming the file, and its line where the README knows it) or G (exit 0,
the page is built; warnings allowed), plus the row's own checks.

Error mode, stated as the README asks: a bad article stops the whole build (exit 1, nothing written,
``site/`` unchanged); there is no ``--keep-going``. Documented choices checked here: ``.MD`` is
accepted; hidden, ``.#`` and ``.bak`` files are ignored; a title-less front matter is an error.

The cases run two at a time (subprocesses) in one session fixture, before the first test of the
module asserts; only the selected cases are run, so ``-k`` stays fast.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.badinputs_support import (
    BUDGET_SECONDS,
    CAP_SECONDS,
    GENERATOR,
    MARKER,
    Case,
    Outcome,
    Page,
    diff,
    front_matter,
    make_baseline,
    markdown_body,
    run_case,
)

if not GENERATOR.is_file():
    pytest.skip(f"the shared bad-input battery is absent ({GENERATOR} not found)", allow_module_level=True)

FAST_SECONDS = 2.5
"""For the cases the README wants far under the budget (37: < 1 s, 77: < 0.1 s): process start included."""
HOSTILE_PATHS = [Path("/tmp/PWNED_digest"), Path("/tmp/pwned")]
"""What 35/36 (a !!python tag running 'touch') and 54 (slug /tmp/pwned) would create."""


@dataclass(frozen=True)
class Expect:
    outcome: str
    """'E', 'G' or 'E|G' (the README allows either)."""
    message: str | None = None
    """Regex the error line must match (E)."""
    line: int | None = None
    """The file line the error must name (E), where the README says it is known."""
    pages: int = 1
    """Article pages a G run adds."""
    check: Callable[[Outcome], None] | None = None
    """The row's own checks, run when the case built (G)."""
    fast: bool = False
    """Must finish within FAST_SECONDS, whatever the outcome."""


# ---------------------------------------------------------------------------------------------
# Helpers for the row checks


def only_page(outcome: Outcome) -> tuple[str, Page]:
    pages = outcome.new_articles()
    assert len(pages) == 1, f"expected one new article page, got {sorted(pages)}"
    return next(iter(pages.items()))


def only_ingested(outcome: Outcome) -> tuple[str, str]:
    assert len(outcome.ingested) == 1, f"expected one ingested file, got {sorted(outcome.ingested)}"
    return next(iter(outcome.ingested.items()))


def titles(outcome: Outcome) -> list[str]:
    return [page.h1[0] for page in outcome.new_articles().values() if page.h1]


def loose(text: str) -> str:
    """Text with quotation marks and spacing ignored, to compare quotes with their source."""
    return " ".join(re.sub(r"[\"'“”‘’«»„「」]", " ", text).split())


def warned(outcome: Outcome, name: str, *words: str) -> bool:
    return any(name in line and all(word.lower() in line.lower() for word in words) for line in outcome.warnings)


def site_text(outcome: Outcome) -> bytes:
    return b"".join(outcome.site_after.values())


# ---------------------------------------------------------------------------------------------
# raw/: row checks


def latin1(o: Outcome) -> None:
    _, text = only_ingested(o)
    assert "Café" in text and "CafÃ©" not in text, text
    assert warned(o, "04_latin1.txt", "cp1252"), o.warnings


def utf16_bom(o: Outcome) -> None:
    _, text = only_ingested(o)
    assert front_matter(text).get("title") == "Заголовок новини", text
    assert only_page(o)[1].h1 == ["Заголовок новини"]


def utf8_bom(o: Outcome) -> None:
    _, text = only_ingested(o)
    title = front_matter(text).get("title")
    assert isinstance(title, str) and not title.startswith("\ufeff"), repr(title)
    assert title == "Headline with BOM"
    assert "\ufeff" not in text
    assert only_page(o)[1].h1 == ["Headline with BOM"]


def same_as_lf(o: Outcome) -> None:
    _, text = only_ingested(o)
    assert len(o.twin_ingested) == 1, "the LF twin was not ingested"
    twin = next(iter(o.twin_ingested.values()))
    # What identifies the raw file (its bytes, where it was) differs; the article must not.
    raw_file = ("source_sha256", "ingested_sha256", "ingested_from")
    ours = {k: v for k, v in front_matter(text).items() if k not in raw_file}
    theirs = {k: v for k, v in front_matter(twin).items() if k not in raw_file}
    assert ours == theirs
    assert markdown_body(text) == markdown_body(twin)
    assert "\r" not in text


def invalid_utf8(o: Outcome) -> None:
    _, text = only_ingested(o)
    assert warned(o, "10_invalid_utf8_mid.txt"), f"decoded without a warning: {o.stderr!r}"
    assert text.count("\ufffd") <= 3, "U+FFFD soup"


def nul_bytes(o: Outcome) -> None:
    _, text = only_ingested(o)
    assert warned(o, "11_nul_bytes.txt", "NUL"), o.warnings
    assert front_matter(text).get("title") == "Headline"


def html_script_style(o: Outcome) -> None:
    _, text = only_ingested(o)
    assert front_matter(text).get("title") == "Tram vote", text
    body = only_page(o)[1].body_text
    assert "Para" in body and "link" in body, body
    for dropped in ("alert", "body{}", "evil"):
        assert dropped not in text, f"{dropped!r} kept in the ingested article"


def html_unclosed(o: Outcome) -> None:
    _, page = only_page(o)
    for word in ("Unclosed", "bold", "italic", "cell"):
        assert word in page.text, word


def html_charset(o: Outcome) -> None:
    _, text = only_ingested(o)
    assert "Заголовок" in text and "Ð" not in text, text
    assert "Заголовок" in only_page(o)[1].text


def html_entities(o: Outcome) -> None:
    _, page = only_page(o)
    shown = page.h1[0] + " | " + page.body_text.strip()
    assert "<script>alert(1)</script>" in shown, f"entities not decoded to text: {shown!r}"
    assert "&amp;" in shown and "&amp;amp;" not in shown, f"'&amp;amp;' must show as '&amp;' (once): {shown!r}"


def only_quotes(o: Outcome) -> None:
    _, page = only_page(o)
    assert page.summary, "empty summary"
    sentences = {loose(s) for s in page.summary} | {loose(" ".join(page.summary))}
    for quote_text in page.quotes:
        assert loose(quote_text) not in sentences, f"the summary repeats the pull-quote {quote_text!r}"


def unbalanced_quotes(o: Outcome) -> None:
    _, page = only_page(o)
    paragraphs = ["He said it was final and then left.", "She replied no way and maybe .", "Tis the season of rock n roll."]
    for quote_text in page.quotes:
        assert len(quote_text.split()) <= 60, f"uncapped pull-quote: {quote_text[:80]!r}"
        assert any(loose(quote_text) in loose(p) for p in paragraphs), f"pull-quote spans paragraphs: {quote_text!r}"


def smart_vs_straight(o: Outcome) -> None:
    _, page = only_page(o)
    for quote_text in page.quotes:
        for not_a_quote in ("11", "’n’", "1990s"):
            assert not_a_quote not in quote_text, f"{not_a_quote!r} taken as a quotation: {quote_text!r}"


def script_page(o: Outcome, rtl: bool = False, cjk: bool = False) -> None:
    slug, page = only_page(o)
    name, _ = only_ingested(o)
    assert slug not in ("", "-", "article") and any(ch.isalnum() for ch in slug), slug
    assert page.h1 and page.h1[0].strip(), "empty title"
    assert page.summary and all(s.strip() for s in page.summary), "empty summary"
    for text in (slug, name):
        assert "\u202e" not in text and "\u200f" not in text, f"bidi control in {text!r}"
    if rtl:
        assert page.article_dir in ("rtl", "auto"), page.article_dir
    if cjk:
        for sentence in page.summary:
            assert "。" not in sentence.rstrip("。！？”\"」"), f"not split on 。: {sentence!r}"


def emoji_zwj(o: Outcome) -> None:
    _, text = only_ingested(o)
    family = "👩\u200d👩\u200d👧\u200d👦"
    assert family in text and family in only_page(o)[1].text
    assert "e\u0301" not in text and "\u00e9" in text, "not NFC"
    for sentence in only_page(o)[1].summary:
        assert "\u200d" not in sentence or family in sentence, f"emoji split: {sentence!r}"


def long_line(o: Outcome) -> None:
    _, page = only_page(o)
    assert sum(len(s) for s in page.summary) <= 10_000, (
        f"summary of {sum(len(s) for s in page.summary):,} characters: it must be truncated")
    assert len(o.site_after["index.html"]) <= 1_000_000, f"index.html is {len(o.site_after['index.html']):,} bytes"


def prompt_like(o: Outcome) -> None:
    _, page = only_page(o)
    for literal in ("{{ 7*7 }}", "$(id)", "{% include '/etc/passwd' %}"):
        assert literal in page.body_text, f"{literal!r} not shown literally"
    assert "49" not in page.body_text + page.title + "".join(page.h1) + "".join(page.summary)


RAW: dict[str, Expect] = {
    "01_empty.txt": Expect("E", r"empty"),
    "02_whitespace_only.txt": Expect("E", r"empty"),
    "03_binary_garbage.txt": Expect("E", r"not text.*offset \d+"),
    "04_latin1.txt": Expect("G", check=latin1),
    "05_utf16_bom.txt": Expect("G", check=utf16_bom),
    "06_utf16be_nobom.txt": Expect("E", r"UTF-16"),
    "07_utf8_bom.txt": Expect("G", check=utf8_bom),
    "08_crlf.txt": Expect("G", check=same_as_lf),
    "09_cr_only.txt": Expect("G", check=same_as_lf),
    "10_invalid_utf8_mid.txt": Expect("E|G", check=invalid_utf8),
    "11_nul_bytes.txt": Expect("E|G", check=nul_bytes),
    "12_html_script_style.html": Expect("G", check=html_script_style),
    "13_html_unclosed.html": Expect("G", check=html_unclosed),
    "14_html_no_body.html": Expect("E", r"no (article )?text|empty"),
    "15_html_charset_mismatch.html": Expect("G", check=html_charset),
    "16_html_entities.html": Expect("G", check=html_entities),
    "17_only_quotes.txt": Expect("G", check=only_quotes),
    "18_unbalanced_quotes.txt": Expect("G", check=unbalanced_quotes),
    "19_smart_vs_straight.txt": Expect("G", check=smart_vs_straight),
    "20_ukrainian.txt": Expect("G", check=script_page),
    "21_arabic_rtl.txt": Expect("G", check=lambda o: script_page(o, rtl=True)),
    "22_chinese_no_spaces.txt": Expect("G", check=lambda o: script_page(o, cjk=True)),
    "23_mixed_scripts_emoji_zwj.txt": Expect("G", check=emoji_zwj),
    "24_very_long_line_1MB_no_spaces.txt": Expect("E|G", check=long_line),
    "25_5MB_single_paragraph.txt": Expect("E|G"),
    "26_only_punctuation.txt": Expect("E|G"),
    "27_many_quotes_one_paragraph.txt": Expect("G"),
    "28_prompt_like_text.txt": Expect("G", check=prompt_like),
}


# ---------------------------------------------------------------------------------------------
# md/: row checks


def aware_utc(o: Outcome) -> None:
    _, page = only_page(o)
    stamp = datetime.fromisoformat(page.times[0])
    assert stamp.tzinfo is not None, page.times[0]
    assert stamp == datetime(2024, 5, 1, 20, 30, tzinfo=UTC), page.times[0]


def title_shown_literally(title: str) -> Callable[[Outcome], None]:
    def check(o: Outcome) -> None:
        _, page = only_page(o)
        assert page.h1 == [title], page.h1
        assert page.title.startswith(title), page.title

    return check


def safe_slug(expected: str | None = None) -> Callable[[Outcome], None]:
    def check(o: Outcome) -> None:
        slug, _ = only_page(o)
        assert slug not in ("", ".", "..") and not re.search(r"[/\\\x00]", slug), slug
        assert o.new_paths("articles/") == {f"articles/{slug}/index.html"}, sorted(o.new_paths("articles/"))
        if expected is not None:
            assert slug == expected

    return check


def unicode_slug(o: Outcome) -> None:
    slug, _ = only_page(o)
    assert unicodedata.is_normalized("NFC", slug), repr(slug)
    assert f"articles/{quote(slug)}/" in " ".join(o.pages["index.html"].hrefs), "link not percent-encoded"


def reserved_slug(o: Outcome) -> None:
    slug, _ = only_page(o)
    reserved = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt") for i in range(10)}
    assert slug.split(".")[0].casefold() not in reserved, slug


def short_slug(o: Outcome) -> None:
    slug, _ = only_page(o)
    assert len(slug.encode("utf-8")) <= 100, f"slug of {len(slug.encode('utf-8'))} bytes"


def distinct_deterministic(o: Outcome) -> None:
    slugs = sorted(o.new_articles())
    assert len({slug.casefold() for slug in slugs}) == 2, slugs
    assert o.reverse_site, "the reverse-order build made no site"
    assert o.site_after == o.reverse_site, "the site depends on the order the files were created in"


def topic_dirs(o: Outcome) -> set[str]:
    return {path.split("/")[1] for path in o.new_paths("topics/")}


def topics_sanitised(o: Outcome) -> None:
    made = topic_dirs(o)
    assert "politics-local" in made, sorted(made)
    for name in made:
        assert name.strip("-") and not name.startswith(".") and not re.search(r"[/\\]", name), repr(name)


def topic_promoted(o: Outcome) -> None:
    assert "politics" in topic_dirs(o), sorted(topic_dirs(o))


def front_matter_late(o: Outcome) -> None:
    assert any("74_front_matter_not_at_start.md" in line and "front matter" in line.lower()
               and re.search(r"\b3\b", line) for line in o.warnings), (
        f"no warning 'looks like front matter on line 3': {o.warnings}")


def same_as_lf_site(o: Outcome) -> None:
    assert o.twin_site, "the LF twin made no site"
    assert o.site_after == o.twin_site, "BOM + CRLF front matter builds differently from LF"


def keeps_hr(o: Outcome) -> None:
    _, page = only_page(o)
    assert "hr" in page.body_tags, page.body_tags
    assert "more: yaml-looking" in page.body_text


def title_not_coerced(o: Outcome) -> None:
    _, page = only_page(o)
    assert page.h1 == ["NO"], page.h1


def title_capped(o: Outcome) -> None:
    slug, page = only_page(o)
    assert len(page.h1[0]) <= 200 and len(slug.encode("utf-8")) <= 100


MD: dict[str, Expect] = {
    "30_unclosed_front_matter.md": Expect("E", r"never closed", line=1),
    "31_front_matter_is_list.md": Expect("E", r"mapping", line=2),
    "32_front_matter_is_scalar.md": Expect("E", r"mapping", line=2),
    "33_front_matter_empty.md": Expect("E", r"title missing"),
    "34_front_matter_invalid_yaml.md": Expect("E", r"YAML", line=2),
    "35_yaml_python_tag.md": Expect("E", r"unsupported YAML tag !!python", line=2),
    "36_yaml_python_name.md": Expect("E", r"unsupported YAML tag !!python", line=3),
    "37_yaml_billion_laughs.md": Expect("E", r"alias|anchor", line=3, fast=True),
    "38_yaml_self_reference.md": Expect("E", r"^(?!.*Circular).*(alias|anchor)", line=3, fast=True),
    "39_yaml_deep_nesting.md": Expect("E", r"nest", line=3),
    "40_yaml_duplicate_keys.md": Expect("E", r"duplicate key 'title'", line=3),
    "41_yaml_type_coercion.md": Expect("E|G", r"title|slug|tags|date", check=title_not_coerced),
    "42_date_impossible_feb30.md": Expect("E", r"date", line=3),
    "43_date_month13.md": Expect("E", r"date", line=3),
    "44_date_weird_formats.md": Expect("E", r"date", line=3),
    "45_date_year0_and_far_future.md": Expect("E", r"out of range", line=3),
    "46_date_tz_naive_vs_aware.md": Expect("G", check=aware_utc),
    "47_title_missing.md": Expect("E", r"title missing"),
    "48_title_empty_and_whitespace.md": Expect("E", r"title missing", line=2),
    "49_title_script.md": Expect("G", check=title_shown_literally(
        "<script>alert('title')</script> & \"quotes\" ' <img src=x onerror=alert(1)>")),
    "50_title_non_string.md": Expect("E", r"title must be", line=2),
    "51_title_10k_chars.md": Expect("E|G", r"title", check=title_capped),
    "52_title_template_syntax.md": Expect("G", check=title_shown_literally(
        "{{ 7*7 }} {% raw %}x{% endraw %} {{ ''.__class__ }}")),
    "53_slug_traversal.md": Expect("E|G", r"slug", check=safe_slug("etc-passwd")),
    "54_slug_absolute.md": Expect("E|G", r"slug", check=safe_slug()),
    "55_slug_nul.md": Expect("E|G", r"slug", check=safe_slug()),
    "56_slug_slashes_backslashes.md": Expect("G", check=safe_slug()),
    "57_slug_unicode.md": Expect("G", check=unicode_slug),
    "58_slug_reserved_names.md": Expect("G", check=reserved_slug),
    "59_slug_dot_and_empty.md": Expect("E|G", r"slug", check=safe_slug()),
    "60_slug_255_plus.md": Expect("G", check=short_slug),
    "61_slug_case_collision_A.md": Expect("G"),
    "62_slug_case_collision_B.md": Expect("G"),
    "63_dup_slug_1.md": Expect("G"),
    "64_dup_slug_2.md": Expect("G"),
    "65_topic_with_slash.md": Expect("G", check=topics_sanitised),
    "66_topic_not_list.md": Expect("E|G", r"topics", check=topic_promoted),
    "67_permalink_traversal.md": Expect("E|G", r"permalink", check=safe_slug()),
    "68_body_raw_html_xss.md": Expect("G"),  # the contract test parses every page for active content
    "69_nested_blockquotes_10k.md": Expect("G"),
    "70_nested_lists_10k.md": Expect("G"),
    "71_nested_mixed_5k.md": Expect("G"),
    "72_nested_brackets_emphasis.md": Expect("G"),
    "73_only_front_matter.md": Expect("E|G", r"body|empty"),
    "74_front_matter_not_at_start.md": Expect("G", check=front_matter_late),
    "75_front_matter_bom_crlf.md": Expect("G", check=same_as_lf_site),
    "76_triple_dash_in_body.md": Expect("G", check=keeps_hr),
    "77_huge_front_matter.md": Expect("E", r"front matter larger than 64 KB", line=1, fast=True),
}
MD_PAIRS: dict[str, tuple[tuple[str, str], Expect]] = {
    "61+62_slug_case_collision": (("61_slug_case_collision_A.md", "62_slug_case_collision_B.md"),
                                  Expect("G", pages=2, check=distinct_deterministic)),
    "63+64_dup_slug": (("63_dup_slug_1.md", "64_dup_slug_2.md"), Expect("G", pages=2, check=distinct_deterministic)),
}


# ---------------------------------------------------------------------------------------------
# fs/: row checks (each entry is dropped in beside fs/normal.md)

BAD_NAME = os.fsdecode(b"bad-\xff\xfe-name.md")
SPACES_NAME = "name with spaces & ünïcødé — київ 市.md"


def built_as(title: str) -> Callable[[Outcome], None]:
    def check(o: Outcome) -> None:
        assert title in titles(o), titles(o)
        for slug in o.new_articles():
            assert not re.search(r"[\s&]", slug) and not slug.endswith("."), repr(slug)

    return check


def ignored(title: str | None) -> Callable[[Outcome], None]:
    def check(o: Outcome) -> None:
        assert titles(o) == ["Normal neighbour"], titles(o)
        if title:
            assert title.encode() not in site_text(o)

    return check


def skipped_link(name: str, *words: str) -> Callable[[Outcome], None]:
    def check(o: Outcome) -> None:
        assert titles(o) == ["Normal neighbour"], titles(o)
        assert warned(o, name, *words), f"no warning naming {name}: {o.warnings}"

    return check


def passwd_never_read(o: Outcome) -> None:
    skipped_link("symlink_to_etc_passwd.md", "outside")(o)
    first = Path("/etc/passwd").read_bytes().split(b"\n")[0] if os.access("/etc/passwd", os.R_OK) else b"root:x:0:0"
    assert first not in site_text(o)


def non_utf8_name(o: Outcome) -> None:
    assert "Non-UTF-8 filename" in titles(o), titles(o)
    for name in o.site_names:
        if name != BAD_NAME:  # the input itself, in content/articles/
            name.encode("utf-8")  # raises on a surrogate-escaped (undecodable) name


def marker_never_read(warn: bool) -> Callable[[Outcome], None]:
    def check(o: Outcome) -> None:
        assert MARKER.encode() not in site_text(o), "a symlink's target outside the project was read"
        assert titles(o) == ["Normal neighbour"], titles(o)
        if warn:
            assert warned(o, "symlink_to_outside_file.md", "outside"), o.warnings

    return check


def everything_at_once(o: Outcome) -> None:
    assert sorted(titles(o)) == sorted(["Normal neighbour", "Spaces and unicode filename", "Trailing dots",
                                        "Upper-case extension", "Non-UTF-8 filename"]), titles(o)
    for link in ("symlink_dangling.md", "symlink_loop_a.md", "symlink_loop_b.md", "symlink_to_etc_passwd.md"):
        assert warned(o, link), f"no warning for {link}: {o.warnings}"


FS: dict[str, Expect] = {
    "normal.md": Expect("G", check=built_as("Normal neighbour")),
    SPACES_NAME: Expect("G", pages=2, check=built_as("Spaces and unicode filename")),
    ".hidden.md": Expect("G", check=ignored("Hidden file")),
    ".#lockfile.md": Expect("G", check=ignored("emacs lock-style")),
    "not-markdown.md.bak": Expect("G", check=ignored("editor backup")),
    "trailing-dot..md": Expect("G", pages=2, check=built_as("Trailing dots")),
    "UPPER.MD": Expect("G", pages=2, check=built_as("Upper-case extension")),  # documented: .MD is accepted
    "symlink_to_etc_passwd.md": Expect("E|G", r"symlink|outside", check=passwd_never_read),
    "symlink_to_parent_dir": Expect("G", check=ignored(None)),
    "symlink_dangling.md": Expect("G", check=skipped_link("symlink_dangling.md")),
    "symlink_loop_a.md": Expect("G", check=skipped_link("symlink_loop_a.md")),
    "symlink_loop_b.md": Expect("G", check=skipped_link("symlink_loop_b.md")),
    BAD_NAME: Expect("G", pages=2, check=non_utf8_name),
}
FS_EXTRA: dict[str, tuple[Case, Expect]] = {
    "all_entries_at_once": (Case("fs", "all_entries_at_once", tuple(sorted(FS))),
                            Expect("G", pages=5, check=everything_at_once)),
    "marker:symlink_to_outside_file": (Case("fs", "marker:symlink_to_outside_file", ("normal.md",), marker="file"),
                                       Expect("G", check=marker_never_read(warn=True))),
    "marker:symlink_to_outside_dir": (Case("fs", "marker:symlink_to_outside_dir", ("normal.md",), marker="dir"),
                                      Expect("G", check=marker_never_read(warn=False))),
}


# ---------------------------------------------------------------------------------------------
# The cases


def _raw_case(name: str) -> Case:
    return Case("raw", name, (name,), subject=name, twin=name in ("08_crlf.txt", "09_cr_only.txt"))


def _fs_case(name: str) -> Case:
    return Case("fs", name, ("normal.md",) if name == "normal.md" else ("normal.md", name), subject=name)


RAW_CASES = [(_raw_case(name), expect) for name, expect in RAW.items()]
MD_CASES = [(Case("md", name, (name,), subject=name, twin=name.startswith("75_")), expect) for name, expect in MD.items()]
MD_CASES += [(Case("md", name, files, reverse=True), expect) for name, (files, expect) in MD_PAIRS.items()]
FS_CASES = [(_fs_case(name), expect) for name, expect in FS.items()] + list(FS_EXTRA.values())


def case_id(value: object) -> str:
    name = value.name if isinstance(value, Case) else "expect"
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _params(cases: list[tuple[Case, Expect]]) -> list[object]:
    return [pytest.param(case, expect, id=case_id(case)) for case, expect in cases]


@pytest.fixture(scope="session")
def battery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad_inputs") / "battery"
    done = subprocess.run([sys.executable, str(GENERATOR), str(folder)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"the battery generator failed:\n{done.stderr}")
    return folder


@pytest.fixture(scope="session")
def hostile_before() -> dict[Path, float | None]:
    return {path: path.lstat().st_mtime if os.path.lexists(path) else None for path in HOSTILE_PATHS}


@pytest.fixture(scope="session")
def outcomes(request: pytest.FixtureRequest, battery: Path, hostile_before: dict[Path, float | None],
             tmp_path_factory: pytest.TempPathFactory) -> dict[Case, Outcome]:
    """Every selected case, run two at a time before the first of them is checked."""
    wanted: list[Case] = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        case = callspec.params.get("case") if callspec is not None else None
        if isinstance(case, Case) and case not in wanted:
            wanted.append(case)
    workdir = tmp_path_factory.mktemp("bad_cases")
    baseline = make_baseline(workdir / "baseline" / "project")
    with ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
        done = list(pool.map(lambda case: run_case(case, battery, baseline, workdir), wanted))
    return dict(zip(wanted, done, strict=True))


def _outcome(outcomes: dict[Case, Outcome], case: Case) -> Outcome:
    outcome = outcomes[case]
    if outcome.harness_error:
        pytest.fail(f"the test harness failed on this case:\n{outcome.harness_error}")
    if outcome.missing:
        pytest.skip(f"not in the generated battery: {outcome.missing}")
    return outcome


# ---------------------------------------------------------------------------------------------
# The universal contract


def check_contract(outcome: Outcome, record_property: Callable[[str, object], None]) -> None:
    __tracebackhide__ = True
    problems: list[str] = []
    for step in outcome.steps + outcome.extra:
        record_property(f"{step.label} seconds", round(step.seconds, 3))
        where = f"{step.label}:"
        if "Traceback" in step.err:
            problems.append(f"{where} a traceback on stderr:\n{step.err[-2000:]}")
        if "internal error" in step.err:
            problems.append(f"{where} {next(line for line in step.err.splitlines() if 'internal error' in line)}")
        if step.code is None:
            problems.append(f"{where} still running after {CAP_SECONDS:.0f} s; killed")
        elif step.code not in (0, 1):
            problems.append(f"{where} exit code {step.code} (only 0 or 1 allowed)")
        elif step.seconds >= CAP_SECONDS:
            problems.append(f"{where} took {step.seconds:.2f} s (cap {CAP_SECONDS:.0f} s)")
        if step.seconds > BUDGET_SECONDS:
            warnings.warn(f"{outcome.case.group}/{case_id(outcome.case)}: {step.label} took {step.seconds:.2f} s, "
                          f"over the README's {BUDGET_SECONDS:.0f} s DoS budget", stacklevel=2)
        if not step.utf8:
            problems.append(f"{where} stdout/stderr is not valid UTF-8 (a file name printed without errors='replace')")
    outside = diff(outcome.outside_before, outcome.outside_after)
    if outside:
        problems.append("written outside site/ and content/: " + ", ".join(outside))
    for path, page in outcome.pages.items():
        if page.active:
            problems.append(f"active content in site/{path}: {page.active}")
    if outcome.html_not_utf8:
        problems.append(f"HTML that is not UTF-8: {outcome.html_not_utf8}")
    for path, data in outcome.site_after.items():
        if not path.startswith("pagefind/") and b"\x00" in data:  # the search index is binary
            problems.append(f"NUL byte in site/{path}")
    for name, text in outcome.ingested.items():
        if "\x00" in text:
            problems.append(f"NUL in the ingested content/articles/{name}")
    problems += [f"NUL in the output file name {name!r}" for name in outcome.site_names if "\x00" in name]
    for step in outcome.steps:
        if step.code == 1 and step.label == "build" and outcome.site_after != outcome.site_before:
            changed = sorted(set(outcome.site_after.items()) ^ set(outcome.site_before.items()))
            problems.append(f"the build failed but site/ changed: {sorted({path for path, _ in changed})[:10]}")
        if step.code == 1 and step.label == "ingest" and outcome.content_after != outcome.content_before:
            problems.append(f"ingest failed but wrote: {diff(outcome.content_before, outcome.content_after)}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# The row's expectation


def check_expected(outcome: Outcome, expect: Expect) -> None:
    case = outcome.case
    code = outcome.code
    summary = f"exit {code}; stderr:\n{outcome.stderr[-3000:]}"
    if expect.fast:
        slowest = max(step.seconds for step in outcome.steps)
        assert slowest < FAST_SECONDS, f"took {slowest:.2f} s; the README wants it far under the budget"
    allowed = {"E": (1,), "G": (0,), "E|G": (0, 1)}[expect.outcome]
    assert code in allowed, f"expected {expect.outcome}, got {summary}"
    if code == 1:
        errors = outcome.errors
        assert len(errors) == 1, f"expected one 'error:' line, got {len(errors)}; {summary}"
        error = errors[0]
        if case.subject is not None:
            assert case.subject in error, f"the error does not name {case.subject}: {error}"
            if expect.line is not None and expect.outcome == "E":
                assert f"{case.subject}:{expect.line}:" in error, f"the error does not name line {expect.line}: {error}"
        if expect.message is not None and expect.outcome == "E":
            assert re.search(expect.message, error, re.IGNORECASE), f"error does not match /{expect.message}/: {error}"
        return
    pages = outcome.new_articles()
    assert len(pages) == expect.pages, f"expected {expect.pages} new article page(s), got {sorted(pages)}; {summary}"
    if case.group == "raw":
        assert len(outcome.ingested) == 1, f"expected one ingested file, got {sorted(outcome.ingested)}"
        meta = front_matter(next(iter(outcome.ingested.values())))
        assert next(iter(pages.values())).h1 == [meta.get("title")], "the page's title is not the ingested title"
    elif case.group == "md" and len(case.files) == 1:
        source = outcome.project / "content" / "articles" / case.files[0]
        title = front_matter(source.read_text(encoding="utf-8", errors="replace")).get("title")
        if isinstance(title, str) and title.strip():
            assert next(iter(pages.values())).h1 == [" ".join(title.split())], "the page's title is not the file's"
    if expect.check is not None:
        expect.check(outcome)


# ---------------------------------------------------------------------------------------------
# Tests


def test_battery_matches_the_readme_table(battery: Path) -> None:
    """A file added to (or dropped from) the battery must get a row here."""
    assert sorted(os.listdir(battery / "raw")) == sorted(RAW)
    assert sorted(os.listdir(battery / "md")) == sorted(MD)
    assert sorted(os.listdir(battery / "fs")) == sorted(FS)


@pytest.mark.parametrize(("case", "expect"), _params(RAW_CASES))
def test_raw_contract(case: Case, expect: Expect, outcomes: dict[Case, Outcome],
                      record_property: Callable[[str, object], None]) -> None:
    __tracebackhide__ = True
    check_contract(_outcome(outcomes, case), record_property)


@pytest.mark.parametrize(("case", "expect"), _params(RAW_CASES))
def test_raw_expected(case: Case, expect: Expect, outcomes: dict[Case, Outcome]) -> None:
    __tracebackhide__ = True
    check_expected(_outcome(outcomes, case), expect)


@pytest.mark.parametrize(("case", "expect"), _params(MD_CASES))
def test_md_contract(case: Case, expect: Expect, outcomes: dict[Case, Outcome],
                     record_property: Callable[[str, object], None]) -> None:
    __tracebackhide__ = True
    check_contract(_outcome(outcomes, case), record_property)


@pytest.mark.parametrize(("case", "expect"), _params(MD_CASES))
def test_md_expected(case: Case, expect: Expect, outcomes: dict[Case, Outcome]) -> None:
    __tracebackhide__ = True
    check_expected(_outcome(outcomes, case), expect)


@pytest.mark.parametrize(("case", "expect"), _params(FS_CASES))
def test_fs_contract(case: Case, expect: Expect, outcomes: dict[Case, Outcome],
                     record_property: Callable[[str, object], None]) -> None:
    __tracebackhide__ = True
    check_contract(_outcome(outcomes, case), record_property)


@pytest.mark.parametrize(("case", "expect"), _params(FS_CASES))
def test_fs_expected(case: Case, expect: Expect, outcomes: dict[Case, Outcome]) -> None:
    __tracebackhide__ = True
    check_expected(_outcome(outcomes, case), expect)


def test_hostile_paths_never_created(outcomes: dict[Case, Outcome], hostile_before: dict[Path, float | None]) -> None:
    """35/36 (!!python tags running 'touch /tmp/PWNED_digest') and 54 (slug '/tmp/pwned') left no trace."""
    for path, mtime in hostile_before.items():
        now = path.lstat().st_mtime if os.path.lexists(path) else None
        assert now == mtime, f"{path} was created or touched during the battery"
