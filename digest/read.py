"""``content/`` -> Articles and Pages: files found safely, front matter checked, bodies parsed once."""

from __future__ import annotations

import difflib
import multiprocessing
import os
import re
import threading
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from digest.errors import BuildErrors, ContentError, DigestError, display_path
from digest.frontmatter import MAX_TITLE_CHARS, Document, document_date, split_document
from digest.markdown import render_markdown
from digest.models import Article, Page, Quote
from digest.regular import read_regular
from digest.slugs import slugify, unique_slugs

if TYPE_CHECKING:
    from digest.workers import Workers

MARKDOWN_SUFFIXES = {".md", ".markdown"}
MAX_ARTICLE_BYTES = 8 * 1024 * 1024
RESERVED_PAGE_SLUGS = {"articles", "topics", "static", "404", "index"}


@dataclass(slots=True)
class ContentReport:
    """What reading ``content/`` produced, and what it passed over (with why)."""

    articles: list[Article] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[DigestError] = field(default_factory=list)
    """Files left out because they could not be read (only with ``keep_going``)."""
    parsed: int = 0
    """How many of the articles were parsed from their files, not taken from the memo."""


def find_markdown(folder: Path, root: Path, warnings: list[str]) -> list[str]:
    """Markdown files under ``folder`` in a stable order; hidden, editor-temp and unsafe links skipped.

    Symlinks are followed only when they stay inside ``root``; their targets are never read otherwise.
    Paths come as strings: a rebuild looks up a thousand of them, and Path objects cost more than
    the lookups.
    """
    found: list[str] = []
    if not folder.is_dir():
        return found
    real_root = root.resolve()

    def visit(current: str) -> None:
        # os.scandir tells links and folders from the directory listing itself: no stat per file.
        with os.scandir(current) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
        folders = [entry.path for entry in entries
                   if entry.is_dir(follow_symlinks=False) and not entry.name.startswith((".", "_"))]
        for entry in entries:  # a folder's own files first, then its subfolders, as os.walk gives them
            name = entry.name
            if entry.is_dir(follow_symlinks=False):
                continue
            if name.startswith((".", "#", "~")) or name.endswith("~"):
                continue
            if os.path.splitext(name)[1].lower() not in MARKDOWN_SUFFIXES:
                continue
            if entry.is_symlink():
                path = Path(entry.path)
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    warnings.append(f"{display_path(path)}: skipped: broken or looping symlink")
                    continue
                if not target.is_relative_to(real_root):
                    warnings.append(f"{display_path(path)}: skipped: symlink points outside content/")
                    continue
                if not target.is_file():
                    continue
            found.append(entry.path)
        for subfolder in folders:
            visit(subfolder)

    visit(str(folder))
    return found


def decode_markdown(raw: bytes, path: Path) -> str:
    if b"\x00" in raw:
        raise ContentError(f"not text: NUL byte at offset {raw.index(0)}", path=path,
                           hint="save the file as UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ContentError(f"not valid UTF-8 (byte {error.start})", path=path, line=line,
                           hint="save the file as UTF-8") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def _text_field(doc: Document, key: str, path: Path, required: bool = False) -> str | None:
    value = doc.meta.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ContentError(f"{key} missing", path=path, line=doc.lines.get(key, 1),
                               hint=f"add a line '{key}: ...' to the front matter")
        return None
    if not isinstance(value, str):
        raise ContentError(f"{key} must be text, got {type(value).__name__} {value!r}"[:200], path=path,
                           line=doc.lines.get(key), hint="put the value in quotes")
    return " ".join(value.split())


def _text_list(doc: Document, key: str, path: Path) -> tuple[str, ...] | None:
    value = doc.meta.get(key)
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ContentError(f"{key} must be a list of text", path=path, line=doc.lines.get(key),
                           hint=f"write it as '{key}: [first, second]'")
    return tuple(" ".join(item.split()) for item in items if item.strip())


def _pinned_quote(doc: Document, path: Path) -> Quote | None:
    value: Any = doc.meta.get("pull_quote")
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return Quote(" ".join(value.split()), None)
    if isinstance(value, dict) and isinstance(value.get("text"), str) and value["text"].strip():
        speaker = value.get("speaker")
        if speaker is not None and not isinstance(speaker, str):
            raise ContentError("pull_quote.speaker must be text", path=path, line=doc.lines.get("pull_quote"))
        return Quote(" ".join(value["text"].split()), speaker)
    raise ContentError("pull_quote must be text, or a mapping with 'text' and 'speaker'", path=path,
                       line=doc.lines.get("pull_quote"))


def safe_source(source: str | None) -> str | None:
    """Keep a source only if it is an http(s) URL or plain text (never a script URL)."""
    if source is None:
        return None
    scheme = urlsplit(source).scheme.lower()
    if scheme and scheme not in ("http", "https") and len(scheme) > 1:
        return None
    return source


def read_text(path: Path) -> str:
    """A Markdown file's text: size-capped, strict UTF-8, newlines normalised, NFC."""
    try:
        raw = read_regular(path, MAX_ARTICLE_BYTES)
    except OSError as error:
        raise ContentError(f"cannot read: {error.strerror}", path=path) from None
    if len(raw) > MAX_ARTICLE_BYTES:
        raise ContentError(f"larger than {MAX_ARTICLE_BYTES // (1024 * 1024)} MB", path=path,
                           hint="split it into several articles")
    return decode_markdown(raw, path)


_LATE_FENCE = re.compile(r"\A(?:[ \t]*\n)+---[ \t]*\n")
_HEADING = re.compile(r"^#{1,2}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def _without_front_matter(doc: Document, text: str, path: Path, warnings: list[str]) -> Document:
    """A file with no front matter takes its title from its first heading (or first line)."""
    late = _LATE_FENCE.match(text)
    if late:
        line = text.count("\n", 0, late.end())
        warnings.append(f"{display_path(path)}:{line}: looks like front matter, but front matter must start "
                        "on line 1; read as text")
    heading = _HEADING.search(doc.body)
    if heading:
        title = heading.group(1)
        body = doc.body[: heading.start()] + doc.body[heading.end() :]
    else:
        title = next((line.strip() for line in doc.body.split("\n") if line.strip()), "")
        body = doc.body
    if title:
        warnings.append(f"{display_path(path)}: no front matter; title taken from the text: {title[:60]!r}")
    return Document({"title": title[:MAX_TITLE_CHARS]} if title else {}, body, doc.body_line, {})


@dataclass(frozen=True, slots=True)
class _Fields:
    """The front matter of an article, checked: everything of an Article but its rendered body."""

    title: str
    date: datetime | None
    slug: str
    author: str | None
    source: str | None
    summary: tuple[str, ...] | None
    topics: tuple[str, ...] | None
    quote: Quote | None
    language: str | None
    body: str


FRONT_MATTER_KEYS = ("title", "title_source", "date", "date_source", "author", "source", "source_sha256",
                     "ingested_sha256", "ingested_from", "site_name", "slug", "topics", "summary", "pull_quote",
                     "language")
"""The keys digest reads or ingest writes; others (another tool's ``tags``, ``draft``) are left alone."""
_KNOWN_KEYS = frozenset(FRONT_MATTER_KEYS)


def check_article(text: str, path: Path, warnings: list[str] | None = None) -> _Fields:
    """Markdown text (front matter + body) checked as the build reads it; ContentError naming
    ``path`` and the line. A file with front matter must give a title; a file with none takes it
    from its first heading or line. Ingest checks what it writes with this, without rendering."""
    doc = split_document(text, path)
    if not doc.meta and not text.lstrip("\ufeff").startswith("---"):
        doc = _without_front_matter(doc, text, path, warnings if warnings is not None else [])
    elif warnings is not None:
        warnings.extend(_misspelt_keys(doc, path))
    return check_fields(doc, path)


def _misspelt_keys(doc: Document, path: Path) -> list[str]:
    """A warning for each key that is not digest's but close to one ('topic', 'summery'): it does
    nothing, and the pin the user meant is silently not there."""
    found = []
    for key in doc.meta:
        if not isinstance(key, str) or key in _KNOWN_KEYS:
            continue
        # 0.8: 'topic', 'summery', 'langauge' are close; 'subtitle', 'author_url', 'og_title' are not.
        close = difflib.get_close_matches(key.lower(), FRONT_MATTER_KEYS, n=1, cutoff=0.8)
        if close:
            line = doc.lines.get(key)
            found.append(f"{display_path(path)}{f':{line}' if line else ''}: unknown front-matter key "
                         f"'{key}' does nothing (did you mean '{close[0]}'?)")
    return found


def check_fields(doc: Document, path: Path) -> _Fields:
    """The checks of ``check_article`` on front matter already parsed (ingest's own values)."""
    title = _text_field(doc, "title", path, required=True)
    assert title is not None
    if len(title) > MAX_TITLE_CHARS:
        raise ContentError(f"title longer than {MAX_TITLE_CHARS} characters", path=path,
                           line=doc.lines.get("title"), hint="shorten it")
    return _Fields(
        title=title,
        date=document_date(doc, path),
        slug=slugify(_text_field(doc, "slug", path) or path.stem),
        author=_text_field(doc, "author", path),
        source=safe_source(_text_field(doc, "source", path)),
        summary=_text_list(doc, "summary", path) or None,
        topics=_text_list(doc, "topics", path) or None,
        quote=_pinned_quote(doc, path),
        language=_text_field(doc, "language", path),
        body=doc.body,
    )


def article_from_text(text: str, path: Path, warnings: list[str] | None = None) -> Article:
    """Markdown text -> Article: checked by ``check_article``, its body rendered once."""
    fields = check_article(text, path, warnings)
    html, blocks = render_markdown(fields.body)
    return Article(
        path=path,
        slug=fields.slug,
        title=fields.title,
        date=fields.date,
        author=fields.author,
        source=fields.source,
        body_html=html,
        blocks=blocks,
        word_count=sum(len(block.text.split()) for block in blocks),
        pinned_summary=fields.summary,
        pinned_topics=fields.topics,
        pinned_quote=fields.quote,
        language=fields.language,
    )


def read_article(path: Path, warnings: list[str] | None = None) -> Article:
    """One Markdown file -> Article; raise ContentError naming the file and line."""
    return article_from_text(read_text(path), path, warnings)


def read_page(path: Path) -> Page:
    doc = split_document(read_text(path), path)
    title = _text_field(doc, "title", path, required=True)
    assert title is not None
    html, _ = render_markdown(doc.body)
    slug = slugify(_text_field(doc, "slug", path) or path.stem)
    # Pages live at the site root, beside the folders the site itself uses.
    return Page(path=path, slug=f"{slug}-page" if slug in RESERVED_PAGE_SLUGS else slug, title=title, body_html=html)


ReadMemo = dict[str, tuple[tuple[int, int], Article, tuple[str, ...]]]
"""Articles read by an earlier build in this process, by file, with the file's (mtime, size)
when read and the warnings it gave: the preview server rereads only files that changed."""


PARALLEL_READS = 200
"""Articles to parse below which a process pool costs more than it saves."""
Parsed = tuple[Article, tuple[str, ...]] | DigestError


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def _parse(path: str) -> Parsed:
    """One article and its warnings, or why it cannot be read (returned: it crosses processes)."""
    own: list[str] = []
    try:
        return read_article(Path(path), own), tuple(own)
    except DigestError as error:
        return error


def _parse_all(paths: list[str], workers: int, forked: Workers | None = None) -> dict[str, Parsed]:
    """Many articles parsed at once, across ``workers`` forked processes when it pays: ``forked``,
    the build's own workers, when it has them (no pool to import, fork and stop: ~40 ms)."""
    if forked is not None and len(paths) >= PARALLEL_READS:
        chunk = max(1, len(paths) // (len(forked.connections) * 8))
        return dict(zip(paths, forked.map(_parse, paths, chunk), strict=True))
    if (workers < 2 or len(paths) < PARALLEL_READS or "fork" not in multiprocessing.get_all_start_methods()
            or threading.active_count() > 1):  # a forked child of a threaded process can deadlock
        return {}  # parsed one by one as they come
    from concurrent.futures import ProcessPoolExecutor  # ~40 ms to import: only for a pool

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return dict(zip(paths, pool.map(_parse, paths, chunksize=max(1, len(paths) // (workers * 8))), strict=True))


def read_content(content_root: Path, memo: ReadMemo | None = None, keep_going: bool = False,
                 workers: int = 1, forked: Workers | None = None) -> ContentReport:
    """Read every article and page; report all problems together, not only the first.

    ``keep_going``: leave the files that cannot be read out (listed in ``skipped``) instead of
    raising BuildErrors. ``memo``: articles parsed before, reused while their file's modification
    time and size are the same. ``workers``: processes for parsing many articles (never from a
    process with threads: the preview's build passes 1); ``forked``: a command-line build's
    worker processes, which parse them instead."""
    report = ContentReport()
    errors: list[DigestError] = []
    paths = find_markdown(content_root / "articles", content_root, report.warnings)
    if memo is not None:
        for gone in set(memo) - set(paths):
            del memo[gone]
    # Each stamp is taken before its file is parsed: a file saved during the build is parsed again next time.
    stamps = {path: _stamp(path) for path in paths} if memo is not None else {}

    def remembered(path: str) -> tuple[tuple[int, int], Article, tuple[str, ...]] | None:
        entry = memo.get(path) if memo is not None else None
        return entry if entry is not None and entry[0] == stamps[path] else None

    parsed = _parse_all([path for path in paths if remembered(path) is None], workers, forked)
    for path in paths:
        entry = remembered(path)
        if entry is not None:
            report.warnings.extend(entry[2])
            report.articles.append(entry[1])
            continue
        outcome = parsed[path] if path in parsed else _parse(path)
        if isinstance(outcome, DigestError):
            errors.append(outcome)
            continue
        article, own = outcome
        report.parsed += 1
        stamp = stamps.get(path)
        if memo is not None and stamp is not None:
            memo[path] = (stamp, article, own)
        report.warnings.extend(own)
        report.articles.append(article)
    for path in find_markdown(content_root / "pages", content_root, report.warnings):
        try:
            report.pages.append(read_page(Path(path)))
        except DigestError as error:
            errors.append(error)
    if errors and not keep_going:
        raise BuildErrors(errors)
    report.skipped = errors
    # Files are visited in sorted path order, so the -2 suffixes do not depend on the file system.
    slugs = unique_slugs(article.slug for article in report.articles)
    report.warnings.extend(_moved_slugs(report.articles, slugs))
    report.articles = [_with_slug(article, slug) for article, slug in zip(report.articles, slugs, strict=True)]
    page_slugs = unique_slugs(page.slug for page in report.pages)
    report.pages = [replace(page, slug=slug) for page, slug in zip(report.pages, page_slugs, strict=True)]
    return report


def _moved_slugs(articles: list[Article], slugs: list[str]) -> list[str]:
    """A warning for each article published under another slug than its own, which an earlier
    article (in path order) has: a slug pinned in front matter must not move unnoticed."""
    owners: dict[str, Article] = {}  # a slug as published -> its article (a moved one too: x-2)
    warnings = []
    for article, slug in zip(articles, slugs, strict=True):
        if slug != article.slug:
            owner = owners[article.slug.casefold()]
            warnings.append(f"{display_path(article.path)}: slug '{article.slug}' is taken by "
                            f"{display_path(owner.path)}; published at articles/{slug}/ (give one of them "
                            "another 'slug:')")
        owners[slug.casefold()] = article
    return warnings


def _with_slug(article: Article, slug: str) -> Article:
    return article if article.slug == slug else replace(article, slug=slug)
