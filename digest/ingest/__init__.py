"""Raw articles (plain text, Markdown) -> ``content/articles/<slug>.md`` the user then owns.

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
from digest.frontmatter import format_date, parse_date, split_document
from digest.ingest.decode import decode_raw
from digest.ingest.plaintext import parse_plain_text
from digest.markdown import render_markdown
from digest.models import Article
from digest.read import read_article
from digest.slugs import slugify

RAW_SUFFIXES = {".txt", ".md", ".markdown"}
MAX_RAW_BYTES = 8 * 1024 * 1024
_STAMP = re.compile(r"^ingested_sha256: ([0-9a-f]{64})\n", re.MULTILINE)
_SOURCE_HASH = re.compile(r"^source_sha256: ['\"]?([0-9a-f]{64})", re.MULTILINE)
_SOURCE = re.compile(r"^source: (.+)$", re.MULTILINE)


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


def convert(raw: bytes, path: Path, source: str, warnings: list[str], date: datetime | None = None) -> Ingested:
    """Turn one raw file's bytes into an Ingested article; raise IngestError naming the file."""
    if len(raw) > MAX_RAW_BYTES:
        raise IngestError(f"larger than {MAX_RAW_BYTES // (1024 * 1024)} MB", path=path,
                          hint="split it into several articles")
    text = decode_raw(raw, path, warnings)
    if not text.strip():
        raise IngestError("empty article", path=path, hint="the file has no text; delete it or add the article")
    suffix = path.suffix.lower()
    meta: dict[str, Any] = {}
    if suffix in (".md", ".markdown"):
        doc = split_document(text, path)
        body = doc.body.strip() + "\n"
        title = doc.meta.get("title")
        title_source = "front-matter"
        if not isinstance(title, str) or not title.strip():
            heading = re.search(r"^#{1,2}\s+(.+)$", body, re.MULTILINE)
            first_line = next((line for line in body.split("\n") if line.strip()), "")
            title = heading.group(1) if heading else first_line.lstrip("# ")
            title_source = "heading" if heading else "text"
            if heading:
                body = body.replace(heading.group(0), "", 1).strip() + "\n"
        extra = {key: value for key, value in doc.meta.items() if key not in ("title", "date")}
        found_date = None
        if doc.meta.get("date") is not None:
            try:
                found_date = parse_date(doc.meta["date"])
            except ValueError as error:
                raise IngestError(str(error), path=path, line=doc.lines.get("date")) from None
        author = extra.pop("author", None)
    elif suffix == ".txt":
        parsed = parse_plain_text(text)
        title, title_source, body, author, found_date = (
            parsed.title, parsed.title_source, parsed.body, parsed.author, parsed.date)
        extra = {}
    else:
        raise IngestError(f"cannot ingest '{suffix}' files yet", path=path,
                          hint="save the article as .txt or .md")
    title = " ".join(str(title).split())
    if not title or not body.strip():
        raise IngestError("empty article: no title or no text", path=path,
                          hint="an article needs a first line (its title) and some text")
    if date is not None:
        found_date, date_source = date, "command-line"
    elif found_date is not None:
        date_source = "text"
    else:
        found_date = datetime.fromtimestamp(int(path.stat().st_mtime), tz=UTC)
        date_source = "file-mtime"
    meta["title"] = title
    if title_source == "lead":
        meta["title_source"] = "lead"
    meta["date"] = format_date(found_date)
    meta["date_source"] = date_source
    if author:
        meta["author"] = author
    meta["source"] = source
    meta["source_sha256"] = _sha256(raw)
    meta["topics"] = []
    meta.update({key: value for key, value in extra.items() if key not in meta})
    return Ingested(slugify(title), meta, body)


def _existing_sources(articles: Path) -> dict[str, Path]:
    """source_sha256 -> file, for every article already in content/articles/."""
    found: dict[str, Path] = {}
    if not articles.is_dir():
        return found
    for path in sorted(articles.rglob("*.md")):
        if path.is_symlink() or not path.is_file():
            continue
        try:
            head = path.read_bytes()[:65536].decode("utf-8", "replace")
        except OSError:
            continue
        match = _SOURCE_HASH.search(head)
        if match:
            found.setdefault(match.group(1), path)
    return found


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
    known = _existing_sources(articles)
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
        existing = known.get(_sha256(raw))
        if existing is not None and not force:
            report.unchanged.append(f"{name} -> {display_path(existing)}")
            continue
        try:
            source = path.resolve().relative_to(project_root.resolve()).as_posix()
        except ValueError:
            source = path.name
        try:
            item = convert(raw, path, source, report.warnings, date)
        except DigestError as error:
            report.failed.append(error)
            continue
        target = _choose_target(articles, item, source, existing, force, report, name)
        if target is None:
            continue
        text = render_file(item)
        if dry_run:
            report.written.append(f"{name} -> {display_path(target)} (dry run, not written)")
            continue
        articles.mkdir(parents=True, exist_ok=True)
        replaced = target.exists()
        _write_atomic(target, text)
        known[item.meta["source_sha256"]] = target
        report.written.append(f"{name} -> {display_path(target)}" + (" (replaced)" if replaced else ""))
    return report


def _choose_target(
    articles: Path, item: Ingested, source: str, existing: Path | None, force: bool, report: IngestReport, name: str
) -> Path | None:
    """Where to write: the file this source wrote before, or a free ``<slug>.md`` / ``<slug>-2.md``."""
    if existing is not None:  # --force on an unchanged source: rewrite the same file
        return existing
    number = 1
    while True:
        target = articles / (f"{item.slug}.md" if number == 1 else f"{item.slug}-{number}.md")
        if not target.resolve().is_relative_to(articles.resolve()):
            report.failed.append(IngestError("unsafe file name from title", path=name))
            return None
        if not target.exists():
            return target
        text = target.read_text(encoding="utf-8", errors="replace")
        source_match = _SOURCE.search(text)
        same_source = source_match is not None and source_match.group(1).strip().strip("'\"") == source
        if same_source:
            if is_unedited(text) or force:
                return target
            report.skipped.append((name, f"{display_path(target)} was edited by you; --force replaces it"))
            return None
        number += 1


def article_for_analysis(path: Path, warnings: list[str]) -> Article:
    """A raw or Markdown file as an Article, as ingest would make it, without writing anything."""
    if path.suffix.lower() in (".md", ".markdown"):
        try:
            return read_article(path, path.parent)
        except DigestError as error:
            if "title missing" not in error.message:
                raise
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise IngestError(f"cannot read: {error.strerror}", path=path) from None
    item = convert(raw, path, path.name, warnings)
    html, blocks = render_markdown(item.body)
    return Article(
        path=path, slug=item.slug, title=item.meta["title"], date=parse_date(item.meta["date"]),
        author=item.meta.get("author"), source=item.meta.get("source"), body_html=html, blocks=blocks,
        word_count=sum(len(block.text.split()) for block in blocks),
    )
