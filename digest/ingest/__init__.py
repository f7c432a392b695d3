"""Raw articles (plain text, HTML, Markdown) -> ``content/articles/<slug>.md`` the user then owns.

Re-ingesting the same source changes nothing; a file the user edited is never overwritten
unless ``force`` is given. Every file ingest writes is stamped with ``ingested_sha256``, the
hash of its own text without that line: when the two no longer match, a person edited it.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from digest.errors import DigestError, IngestError, display_path
from digest.frontmatter import format_date, split_document
from digest.ingest.decode import decode_raw
from digest.ingest.language import detect_language
from digest.ingest.markdown import parse_markdown
from digest.ingest.plaintext import parse_plain_text
from digest.models import Article
from digest.read import article_from_text, read_text
from digest.slugs import slugify

RAW_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm"}
MAX_RAW_BYTES = 8 * 1024 * 1024
_STAMP = re.compile(r"^ingested_sha256: ([0-9a-f]{64})\n", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Ingested:
    """One raw file turned into front matter + Markdown, not yet written."""

    slug: str
    meta: dict[str, Any]
    body: str


@dataclass(slots=True)
class IngestReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[DigestError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.written)} written, {len(self.unchanged)} unchanged, "
                f"{len(self.skipped)} skipped, {len(self.failed)} failed")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def render_file(item: Ingested) -> str:
    """Front matter in a stable field order, then the body; stamped so edits can be detected."""
    front = yaml.safe_dump(item.meta, sort_keys=False, allow_unicode=True, width=1_000_000,
                           default_flow_style=None)
    text = f"---\n{front}---\n\n{item.body}"
    stamp = _sha256(text.encode("utf-8"))
    return text.replace("\n---\n\n", f"\ningested_sha256: {stamp}\n---\n\n", 1)


def is_unedited(text: str) -> bool:
    """True when the file is exactly what ingest wrote (its stamp still matches its text)."""
    match = _STAMP.search(text)
    if match is None:
        return False
    return _sha256(_STAMP.sub("", text, count=1).encode("utf-8")) == match.group(1)


@dataclass(slots=True)
class Draft:
    """What one format's parser found, before ingest adds its own fields."""

    title: str
    body: str
    title_source: str = "text"
    author: str | None = None
    date: datetime | None = None
    date_source: str = "text"
    url: str | None = None
    """The original's URL, when the file gives one (an HTML page's canonical link)."""
    site_name: str | None = None
    language: str | None = None
    own: dict[str, Any] = field(default_factory=dict)
    """A Markdown file's own front-matter fields: they win over everything ingest fills in."""


def _draft(raw: bytes, path: Path, warnings: list[str]) -> Draft:
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        if raw.count(b"\x00") * 4 >= max(len(raw), 1):
            raise IngestError("not text: NUL bytes", path=path, hint="save the page as HTML text")
        # Imported here: trafilatura and lxml take a third of a second to load, and most builds
        # ingest no HTML at all.
        from digest.ingest.html import decode_html, parse_html

        page = parse_html(decode_html(raw, path, warnings), path)
        return Draft(page.title, page.body, title_source=page.title_source, author=page.author,
                     date=page.date, date_source="html",
                     url=page.url, site_name=page.site_name, language=page.language)
    text = decode_raw(raw, path, warnings)
    if not text.strip():
        raise IngestError("empty article", path=path, hint="the file has no text; delete it or add the article")
    if suffix in (".md", ".markdown"):
        markdown = parse_markdown(text, path)
        return Draft(markdown.title, markdown.body, title_source=markdown.title_source, date=markdown.date,
                     date_source="front-matter", own=markdown.meta)
    if suffix == ".txt":
        plain = parse_plain_text(text)
        return Draft(plain.title, plain.body, title_source=plain.title_source, author=plain.author, date=plain.date)
    raise IngestError(f"cannot ingest '{suffix}' files", path=path,
                      hint="save the article as .txt, .md or .html")


def convert(raw: bytes, path: Path, source: str, warnings: list[str], date: datetime | None = None) -> Ingested:
    """Turn one raw file's bytes into an Ingested article; raise IngestError naming the file.

    Front matter is written in a stable order: title, date, date_source, author, source,
    source_sha256, language, topics, then what the format gave. What a Markdown file's own front
    matter says (source, topics, author, a pinned summary ...) wins over what ingest fills in.
    """
    if len(raw) > MAX_RAW_BYTES:
        raise IngestError(f"larger than {MAX_RAW_BYTES // (1024 * 1024)} MB", path=path,
                          hint="split it into several articles")
    draft = _draft(raw, path, warnings)
    if not draft.title or not draft.body.strip():
        raise IngestError("empty article: no title or no text", path=path,
                          hint="an article needs a title and some text")
    if date is not None:
        found_date, date_source = date, "command-line"
    elif draft.date is not None:
        found_date, date_source = draft.date, draft.date_source
    else:
        found_date, date_source = datetime.fromtimestamp(int(path.stat().st_mtime), tz=UTC), "file-mtime"
    meta: dict[str, Any] = {"title": draft.title}
    if draft.title_source == "lead":
        meta["title_source"] = "lead"
    meta["date"] = format_date(found_date)
    meta["date_source"] = date_source
    if draft.author:
        meta["author"] = draft.author
    meta["source"] = draft.url or source
    meta["source_sha256"] = _sha256(raw)
    language = draft.language or detect_language(draft.title + "\n" + draft.body)
    if language:
        meta["language"] = language
    meta["topics"] = []
    if draft.site_name:
        meta["site_name"] = draft.site_name
    meta.update(draft.own)  # the user's fields win
    if meta["source"] != source:  # the article names its own source: remember which raw file it was
        meta["ingested_from"] = source
    return Ingested(slugify(draft.title), meta, draft.body)


def raw_file_of(meta: dict[str, Any]) -> str | None:
    """The raw file an ingested article came from: what 'follow the source' matches on."""
    value = meta.get("ingested_from", meta.get("source"))
    return value if isinstance(value, str) else None


@dataclass(slots=True)
class _Existing:
    """What is already in content/articles/: which file each source and each source's bytes went to."""

    by_hash: dict[str, Path] = field(default_factory=dict)
    by_source: dict[str, Path] = field(default_factory=dict)
    """Keyed by the raw file each article was ingested from (see raw_file_of)."""

    @classmethod
    def scan(cls, articles: Path) -> _Existing:
        found = cls()
        if not articles.is_dir():
            return found
        for path in sorted(articles.rglob("*.md")):
            if path.is_symlink() or not path.is_file():
                continue
            try:
                meta = split_document(read_text(path), path).meta
            except DigestError:
                continue  # the build reports it; ingest just won't match against it
            found.remember(meta, path)
        return found

    def remember(self, meta: dict[str, Any], path: Path) -> None:
        if isinstance(meta.get("source_sha256"), str):
            self.by_hash.setdefault(meta["source_sha256"], path)
        raw_file = raw_file_of(meta)
        if raw_file is not None:
            self.by_source.setdefault(raw_file, path)


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8", newline="\n")
    os.replace(temporary, path)


def raw_files(paths: list[Path]) -> list[Path]:
    """The raw articles named, folders searched recursively, hidden and temp files skipped."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            for current, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files.extend(Path(current) / name for name in sorted(names)
                             if not name.startswith((".", "#", "~")) and Path(name).suffix.lower() in RAW_SUFFIXES)
        else:
            files.append(path)
    return files


def ingest(
    paths: list[Path],
    content_dir: Path,
    project_root: Path,
    *,
    force: bool = False,
    dry_run: bool = False,
    date: datetime | None = None,
) -> IngestReport:
    """Ingest every raw file named (folders recursively) into ``content_dir/articles``."""
    report = IngestReport()
    articles = content_dir / "articles"
    existing = _Existing.scan(articles)
    for path in raw_files(paths):
        name = display_path(path)
        try:
            if path.is_symlink() and not path.resolve().is_relative_to(project_root.resolve()):
                raise IngestError("symlink points outside the project; not read", path=path)
            raw = path.read_bytes()
        except IngestError as error:
            report.failed.append(error)
            continue
        except OSError as error:
            report.failed.append(IngestError(f"cannot read: {error.strerror}", path=path))
            continue
        seen = existing.by_hash.get(_sha256(raw))
        if seen is not None and not force:
            report.unchanged.append(f"{name} -> {display_path(seen)}")
            continue
        try:
            source = path.resolve().relative_to(project_root.resolve()).as_posix()
        except ValueError:
            source = path.name
        try:
            item = convert(raw, path, source, report.warnings, date)
            target = _choose_target(articles, item, existing, force, report, name)
            if target is None:
                continue
            text = render_file(item)
            article_from_text(text, target)  # what the build will read must be readable
        except DigestError as error:
            # Lines of an error in the file ingest would write mean nothing to the user: drop them.
            from_raw = error.path == path
            report.failed.append(error if from_raw else IngestError(error.message, path=path, hint=error.hint))
            continue
        if dry_run:
            report.written.append(f"{name} -> {display_path(target)} (dry run, not written)")
            continue
        articles.mkdir(parents=True, exist_ok=True)
        replaced = target.exists()
        _write_atomic(target, text)
        existing.remember(item.meta, target)
        report.written.append(f"{name} -> {display_path(target)}" + (" (replaced)" if replaced else ""))
    return report


def _choose_target(
    articles: Path, item: Ingested, existing: _Existing, force: bool, report: IngestReport, name: str
) -> Path | None:
    """Where to write: the file this source wrote before (its URL stays), or a free ``<slug>.md``.

    A file the user edited is never overwritten unless ``force``; None means skip.
    """
    before = existing.by_source.get(raw_file_of(item.meta) or "")
    if before is not None and before.exists():
        if force or is_unedited(read_text(before)):
            return before
        report.skipped.append((name, f"{display_path(before)} was edited by you; --force replaces it"))
        return None
    number = 1
    while True:
        target = articles / (f"{item.slug}.md" if number == 1 else f"{item.slug}-{number}.md")
        if not target.exists():
            return target
        number += 1


def article_for_analysis(path: Path, warnings: list[str]) -> Article:
    """A raw or Markdown file as the build would see it once ingested; nothing is written."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise IngestError(f"cannot read: {error.strerror}", path=path) from None
    item = convert(raw, path, path.name, warnings)
    try:
        return article_from_text(render_file(item), path)
    except DigestError as error:
        raise IngestError(error.message, path=path, hint=error.hint) from None
