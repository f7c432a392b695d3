"""Saved HTML pages -> title, metadata and Markdown body, with trafilatura (the field's reference
extractor): navigation, ads, scripts, styles and comments are left out.

The publication time is read from the page's own metadata (``article:published_time``,
``datePublished``, ``<time datetime>``) so it keeps its time zone; trafilatura's date (a day) is
the fallback.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import trafilatura
from lxml.etree import ParserError

from digest.errors import IngestError, display_path
from digest.ingest.plaintext import (
    SHORT_DEBRIS_WORDS,
    escape_markdown,
    is_debris,
    same_words,
    shorten_title,
    unescape_markdown,
)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.IGNORECASE)
_DATE_PATHS = (
    "//meta[@property='article:published_time']/@content",
    "//meta[@property='og:published_time']/@content",
    "//meta[@name='date']/@content",
    "//meta[@itemprop='datePublished']/@content",
    "//*[@itemprop='datePublished']/@datetime",
    "//time[@datetime]/@datetime",
)
MAX_HTML_ELEMENTS = 200_000
# Stand-ins while trafilatura works: plain letters, which it neither strips nor escapes.
_BACKSLASH, _AMPERSAND = "QzxBackslashQzx", "QzxAmpersandQzx"
_PROTECT = str.maketrans({"\\": _BACKSLASH, "&": _AMPERSAND})
# Put before each paragraph of a <blockquote>: trafilatura's Markdown keeps a quotation as a bare
# paragraph, and the marker tells which to write as "> ".
_QUOTED = "QzxQuotedQzx"
# Characters XML cannot hold: lxml parses a page with them, then refuses them in a copied element.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class ParsedHtml:
    title: str
    title_source: str
    """'html' (the page's title) or 'text' (its first line: the page had no title)."""
    body: str
    """Markdown."""
    author: str | None
    date: datetime | None
    url: str | None
    """The page's canonical URL, when it gives one."""
    site_name: str | None
    language: str | None


def decode_html(raw: bytes, path: Path, warnings: list[str]) -> str:
    """UTF-8 when the bytes are UTF-8 (whatever the page claims), else the declared charset, else cp1252."""
    declared_match = _META_CHARSET.search(raw[:4096])
    declared = declared_match.group(1).decode("ascii", "replace").lower() if declared_match else None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        if declared and declared.replace("_", "-") not in ("utf-8", "utf8") and not raw.isascii():
            warnings.append(f"{display_path(path)}: page says charset {declared}, but its bytes are UTF-8; "
                            "read as UTF-8")
        return text
    if declared:
        try:
            return raw.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    warnings.append(f"{display_path(path)}: not valid UTF-8 and no usable charset; decoded as cp1252")
    return raw.decode("cp1252", errors="replace")


def _published(tree: lxml.html.HtmlElement) -> datetime | None:
    values = [str(value) for xpath in _DATE_PATHS for value in tree.xpath(xpath)]
    for value in [*values, *_linked_data_dates(tree)]:
        text = value.strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            continue
        if 1900 <= parsed.year <= 2200:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _linked_data_dates(tree: lxml.html.HtmlElement) -> list[str]:
    """Every ``datePublished`` in the page's JSON-LD (``<script type="application/ld+json">``), in
    the order written; a script that is not JSON is passed over."""
    found: list[str] = []

    def visit(value: object) -> None:
        if isinstance(value, dict):
            published = value.get("datePublished")
            if isinstance(published, str):
                found.append(published)
            for inner in value.values():
                visit(inner)
        elif isinstance(value, list):
            for inner in value:
                visit(inner)

    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            visit(json.loads(str(script)))
        except (ValueError, RecursionError):
            continue
    return found


def _mark_quotations(tree: lxml.html.HtmlElement) -> None:
    """Start each paragraph of each <blockquote> with ``_QUOTED`` (see ``_quotations``)."""
    for quotation in tree.iter("blockquote"):
        for paragraph in [*quotation.iter("p")] or [quotation]:
            paragraph.text = _QUOTED + (paragraph.text or "")


def _quotations(body: str) -> str:
    """The marked paragraphs as Markdown quotations (none for a quotation left empty: an image's,
    a list's); a marker left inside a line is dropped."""
    lines = [("> " + line[len(_QUOTED):].lstrip()) if line.startswith(_QUOTED) else line
             for line in body.split("\n") if line.strip() != _QUOTED]
    return "\n".join(lines).replace(_QUOTED, "")


def _without_debris(body: str) -> str:
    """The body without short paragraphs of one line that are page furniture ("Advertisement",
    "Read more: …", "Photo: NASA/Getty Images"), by the plain-text rules. A longer paragraph is
    prose, however it starts ("Sign up rates for the new pension scheme fell …")."""
    blocks = body.split("\n\n")
    kept = [block for block in blocks
            if "\n" in block.strip() or block.lstrip().startswith(("#", ">", "-", "|", "*"))
            or len(block.split()) > SHORT_DEBRIS_WORDS or not is_debris(unescape_markdown(block.strip()))]
    return "\n\n".join(kept)


def _first(tree: lxml.html.HtmlElement, xpath: str) -> str | None:
    values = [str(value).strip() for value in tree.xpath(xpath) if str(value).strip()]
    return values[0] if values else None


def parse_html(text: str, path: Path) -> ParsedHtml:
    """The article in an HTML page; IngestError when the page holds no article text."""
    text = _NOT_XML.sub("", text)  # invisible, and no page text needs them
    if text.count("<") > MAX_HTML_ELEMENTS:
        raise IngestError(f"more than {MAX_HTML_ELEMENTS} HTML tags", path=path,
                          hint="save only the article's page, not a whole archive")
    try:
        tree = lxml.html.document_fromstring(text)
    except (ParserError, ValueError) as error:
        raise IngestError(f"not an HTML page: {error}", path=path) from None
    document = trafilatura.bare_extraction(copy.deepcopy(tree), with_metadata=True, include_comments=False)
    # trafilatura's Markdown escapes * _ [ ] < itself, but decodes entities a second time
    # ("&amp;amp;" -> "&") and leaves backslashes alone: hide both from it, restore them escaped.
    protected = copy.deepcopy(tree)
    _mark_quotations(protected)
    for element in protected.iter():
        if isinstance(element.tag, str) and element.text:
            element.text = element.text.translate(_PROTECT)
        if element.tail:
            element.tail = element.tail.translate(_PROTECT)
    body = trafilatura.extract(
        protected, output_format="markdown", include_formatting=True, include_comments=False,
        include_tables=True, include_images=False, include_links=False,
    ) or ""
    body = _without_debris(_quotations(body.replace(_BACKSLASH, "\\\\").replace(_AMPERSAND, "\\&")))
    body = re.sub(r"\n{3,}", "\n\n", body)  # where a paragraph was left out
    if not body.strip():
        # Too little text for trafilatura's heuristics: its baseline gives the page's plain text.
        _, text, _ = trafilatura.baseline(copy.deepcopy(tree))
        body = "\n\n".join(escape_markdown(line.strip()) for line in text.split("\n") if line.strip())
    title = getattr(document, "title", None) or _first(tree, "//title/text()") or ""
    title_source = "html"
    lines = body.strip().split("\n")
    if not title.strip() and lines[0]:
        title, title_source = unescape_markdown(lines[0].lstrip("#").strip()), "text"
    title = shorten_title(" ".join(title.split()))
    # trafilatura repeats the page's <h1> at the top of the body: the title is in front matter.
    # (The two may differ in curly and straight apostrophes, or case.)
    if lines[0].startswith("# ") and same_words(unescape_markdown(lines[0][2:]), title):
        lines = lines[1:]
    body = "\n".join(lines).strip() + "\n"
    day = getattr(document, "date", None)
    date = _published(tree)
    if date is None and day:
        try:
            date = datetime.fromisoformat(day).replace(tzinfo=UTC)
        except ValueError:
            date = None
    url = _first(tree, "//link[@rel='canonical']/@href") or _first(tree, "//meta[@property='og:url']/@content")
    return ParsedHtml(
        title=title,
        title_source=title_source,
        body=body,
        author=getattr(document, "author", None),
        date=date,
        url=url if url and re.match(r"^https?://", url) else None,
        site_name=getattr(document, "sitename", None),
        language=_first(tree, "/html/@lang"),
    )
