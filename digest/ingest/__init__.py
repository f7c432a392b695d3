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
from digest.frontmatter import format_date, split_document
from digest.ingest.decode import decode_raw
from digest.ingest.markdown import parse_markdown
from digest.ingest.plaintext import parse_plain_text
from digest.models import Article
from digest.read import article_from_text, read_text
from digest.slugs import slugify

RAW_SUFFIXES = {".txt", ".md", ".markdown"}
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


def convert(raw: bytes, path: Path, source: str, warnings: list[str], date: datetime | None = None) -> Ingested:
    """Turn one raw file's bytes into an Ingested article; raise IngestError naming the file.

    What a Markdown file's own front matter says (source, topics, author, a pinned summary ...)
    wins over what ingest would fill in.
    """
    if len(raw) > MAX_RAW_BYTES:
        raise IngestError(f"larger than {MAX_RAW_BYTES // (1024 * 1024)} MB", path=path,
                          hint="split it into several articles")
    text = decode_raw(raw, path, warnings)
    if not text.strip():
        raise IngestError("empty article", path=path, hint="the file has no text; delete it or add the article")
    suffix = path.suffix.lower()
    own: dict[str, Any] = {}
    if suffix in (".md", ".markdown"):
        parsed_md = parse_markdown(text, path)
        title, title_source, body, found_date, own = (
            parsed_md.title, parsed_md.title_source, parsed_md.body, parsed_md.date, parsed_md.meta)
        author = None
    elif suffix == ".txt":
        parsed = parse_plain_text(text)
        title, title_source, body, author, found_date = (
            parsed.title, parsed.title_source, parsed.body, parsed.author, parsed.date)
    else:
        raise IngestError(f"cannot ingest '{suffix}' files yet", path=path,
                          hint="save the article as .txt or .md")
    if not title or not body.strip():
        raise IngestError("empty article: no title or no text", path=path,
                          hint="an article needs a first line (its title) and some text")
    if date is not None:
        found_date, date_source = date, "command-line"
    elif found_date is not None:
        date_source = "front-matter" if suffix in (".md", ".markdown") else "text"
    else:
        found_date = datetime.fromtimestamp(int(path.stat().st_mtime), tz=UTC)
        date_source = "file-mtime"
    meta: dict[str, Any] = {"title": title}
    if title_source == "lead":
        meta["title_source"] = "lead"
    meta["date"] = format_date(found_date)
    meta["date_source"] = date_source
    if author:
        meta["author"] = author
    meta["source"] = source
    meta["source_sha256"] = _sha256(raw)
    meta["topics"] = []
    meta.update(own)  # the user's fields win
    if meta["source"] != source:  # the file names its own source: remember which raw file this was
        meta["ingested_from"] = source
    return Ingested(slugify(title), meta, body)


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
