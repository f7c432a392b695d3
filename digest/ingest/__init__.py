"""Raw articles (plain text, HTML, Markdown) -> ``content/articles/<slug>.md`` the user then owns.

Re-ingesting the same source changes nothing; a file the user edited is never overwritten
unless ``force`` is given. Every file ingest writes is stamped with ``ingested_sha256``, the
hash of its own text without that line: when the two no longer match, a person edited it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import repeat
from pathlib import Path
from typing import Any

import yaml

from digest.errors import DigestError, IngestError, display_path
from digest.frontmatter import Document, format_date, split_document
from digest.ingest.decode import decode_raw
from digest.ingest.language import detect_language
from digest.ingest.markdown import parse_markdown
from digest.ingest.plaintext import parse_plain_text
from digest.models import Article
from digest.read import article_from_text, check_fields, read_text
from digest.regular import read_regular
from digest.slugs import slugify

RAW_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm"}
MAX_RAW_BYTES = 8 * 1024 * 1024
POOL_THRESHOLD = 64
"""Below this many files a process pool costs more to start than it saves."""
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


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """libyaml's safe dumper when present (fast), never writing anchors: the reader refuses them."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render_file(item: Ingested) -> str:
    """Front matter in a stable field order, then the body; stamped so edits can be detected."""
    front = yaml.dump(item.meta, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000,
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


def convert(raw: bytes, path: Path, source: str, warnings: list[str], date: datetime | None = None,
            origin: str | None = None) -> Ingested:
    """Turn one raw file's bytes into an Ingested article; raise IngestError naming the file.

    Front matter is written in a stable order: title, date, date_source, author, source,
    source_sha256, language, topics, then what the format gave. What a Markdown file's own front
    matter says (source, topics, author, a pinned summary ...) wins over what ingest fills in.
    ``origin``: which raw file this is, when ``source`` (the name shown) does not tell it apart
    from others (``outside_origin``).
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
    raw_file = origin or source
    if meta["source"] != raw_file:  # a source URL, or a name others share: remember which raw file it was
        meta["ingested_from"] = raw_file
    return Ingested(slugify(draft.title), meta, draft.body)


_OUTSIDE_ORIGIN = re.compile(r"[^/]+#[0-9a-f]{12}")


def outside_origin(path: Path) -> str:
    """Which raw file outside the project this is: its name and a digest of its full path. Its name
    alone is not enough (scraped pages are often all ``index.html`` or ``story.txt``: a second one
    replaced the first one's article), and the full path is not written into ``content/``, which
    may be published with the repository."""
    where = str(path.resolve()).encode("utf-8", "surrogateescape")
    return f"{path.name}#{hashlib.blake2b(where, digest_size=6).hexdigest()}"


_TOP_LEVEL_FIELD = re.compile(r"^(source_sha256|ingested_from|source|title):[ \t]*(.*?)[ \t]*$")
_ANY_FIELD = re.compile(r"^[\w-]+:(?:[ \t]|$)")


def salvaged_meta(text: str) -> dict[str, Any]:
    """The fields ingest matches on, read line by line from front matter YAML cannot parse: each
    top-level ``key: value`` line from the top to the closing ``---`` or, that one lost, the first
    line of prose after a blank line (the body); the opening ``---`` may be lost too, or pushed
    down by a line typed above it. Blank lines, list items and comments inside are passed over.
    Values are unquoted as ingest writes them. Two lines of prose before any field mean this is
    no front matter (an article quoting ``source:`` lines in its text is no ingested one)."""
    meta: dict[str, Any] = {}
    strays = 0
    after_blank = False
    for line in text.split("\n")[:200]:
        stripped = line.strip()
        if stripped == "---":
            if meta:
                break  # the closing line
            continue  # the opening one
        blank, after_blank = after_blank, not stripped
        if not stripped or line[:1] in " \t":
            continue  # a blank line, a value's continuation
        field_line = _TOP_LEVEL_FIELD.match(line)
        if field_line is None:
            other_field = _ANY_FIELD.match(line) is not None
            # A list item or comment among the fields (but a '#' after a blank line is Markdown's heading).
            among_fields = bool(meta) and (stripped.startswith("- ") or stripped == "-"
                                           or (stripped.startswith("#") and not blank))
            if other_field or among_fields:
                continue
            if meta and blank:
                break  # prose after the fields and a blank line: the body, its '---' lost
            strays += 1  # prose, a heading or a list before any field
            if strays > 1 and not meta:
                return {}
            continue
        if field_line.group(1) in meta:
            continue
        value = field_line.group(2)
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1].replace("''", "'")
        elif len(value) >= 2 and value[0] == value[-1] == '"' and "\\" not in value:
            value = value[1:-1]
        meta[field_line.group(1)] = value
    return meta


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
    titles: dict[Path, Any] = field(default_factory=dict)
    broken: set[Path] = field(default_factory=set)
    """Articles whose front matter does not parse: known by ``salvaged_meta``, never replaced."""

    @classmethod
    def scan(cls, articles: Path) -> _Existing:
        found = cls()
        if not articles.is_dir():
            return found
        salvaged: list[tuple[dict[str, Any], Path]] = []
        for path in sorted(articles.rglob("*.md")):
            if path.is_symlink() or not path.is_file():
                continue
            try:
                text = read_text(path)
            except DigestError:
                continue  # the build reports it; ingest just won't match against it
            try:
                meta = split_document(text, path).meta
            except DigestError:
                meta = None
            # Front matter being edited (a YAML mistake; a lost or displaced '---', which leaves the
            # fields as body text): its source is still its own, read line by line; not taken for
            # an article gone, ingested again beside it as -2 and published twice once it is fixed.
            if meta is None or ("source_sha256" not in meta and raw_file_of(meta) is None):
                rescued = salvaged_meta(text)
                if meta is None or "source_sha256" in rescued:
                    salvaged.append((rescued, path))
                    found.broken.add(path)
                    continue
            found.remember(meta, path)
        for meta, path in salvaged:  # after the articles that parse: a broken copy never wins a source
            found.remember(meta, path)
        return found

    def remember(self, meta: dict[str, Any], path: Path) -> None:
        if isinstance(meta.get("source_sha256"), str):
            self.by_hash.setdefault(meta["source_sha256"], path)
        raw_file = raw_file_of(meta)
        if raw_file is not None:
            self.by_source.setdefault(raw_file, path)
        self.titles.setdefault(path, meta.get("title"))

    def written_before(self, raw_file: str, title: Any) -> Path | None:
        """The file ``raw_file`` was ingested into before. A file outside the project ingested
        before it was known by a digest of its path (``outside_origin``) is known by its name
        alone: that file counts only if it has the same title, else it may be another story."""
        found = self.by_source.get(raw_file)
        if found is None and _OUTSIDE_ORIGIN.fullmatch(raw_file):
            named = self.by_source.get(raw_file.rpartition("#")[0])
            if named is not None and self.titles.get(named) == title:
                return named
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


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One raw file converted and checked, ready to write: the part that can run in any process."""

    path: Path
    sha256: str
    item: Ingested | None = None
    text: str = ""
    error: DigestError | None = None
    warnings: tuple[str, ...] = ()


def _prepare(path: Path, project_root: Path, date: datetime | None, known_hashes: frozenset[str]) -> _Prepared:
    try:
        if path.is_symlink() and not path.resolve().is_relative_to(project_root.resolve()):
            raise IngestError("symlink points outside the project; not read", path=path)
        raw = read_regular(path, MAX_RAW_BYTES)
    except IngestError as error:
        return _Prepared(path, "", error=error)
    except OSError as error:
        return _Prepared(path, "", error=IngestError(f"cannot read: {error.strerror}", path=path))
    digest = _sha256(raw)
    if digest in known_hashes:
        return _Prepared(path, digest)
    origin = None
    try:
        source = path.resolve().relative_to(project_root.resolve()).as_posix()
    except ValueError:
        source, origin = path.name, outside_origin(path)
    warnings: list[str] = []
    try:
        item = convert(raw, path, source, warnings, date, origin)
    except DigestError as error:
        return _Prepared(path, digest, error=error, warnings=tuple(warnings))
    text = render_file(item)
    try:
        # What the build will read must be readable: the same checks, on the values written.
        check_fields(Document(dict(item.meta), item.body, 1, {}), path)
    except DigestError as error:
        # Its line is in the file ingest would have written, which means nothing to the user: drop it.
        problem = IngestError(error.message, path=path, hint=error.hint)
        return _Prepared(path, digest, error=problem, warnings=tuple(warnings))
    return _Prepared(path, digest, item, text, warnings=tuple(warnings))


def _prepare_all(
    paths: list[Path], project_root: Path, date: datetime | None, known: frozenset[str], workers: int
) -> Iterator[_Prepared]:
    """Convert in input order; in a process pool when there are enough files to pay for it."""
    if workers <= 1 or len(paths) < POOL_THRESHOLD:
        for path in paths:
            yield _prepare(path, project_root, date, known)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_prepare, paths, repeat(project_root), repeat(date), repeat(known),
                            chunksize=max(1, len(paths) // (workers * 8)))


def ingest(
    paths: list[Path],
    content_dir: Path,
    project_root: Path,
    *,
    force: bool = False,
    dry_run: bool = False,
    date: datetime | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Ingest every raw file named (folders recursively) into ``content_dir/articles``.

    Files are converted (in ``workers`` processes for large batches) and then written one by
    one in the order given, so the result does not depend on the number of workers.
    """
    report = IngestReport()
    articles = content_dir / "articles"
    existing = _Existing.scan(articles)
    files = raw_files(paths)
    known = frozenset() if force else frozenset(existing.by_hash)
    claimed: set[Path] = set()  # what this run wrote (or, a dry run, would have) so far
    for done, prepared in enumerate(_prepare_all(files, project_root, date, known, workers), start=1):
        if progress is not None:
            progress(done, len(files))
        path, name = prepared.path, display_path(prepared.path)
        report.warnings.extend(prepared.warnings)
        if prepared.error is not None:
            report.failed.append(prepared.error)
            continue
        seen = existing.by_hash.get(prepared.sha256)
        if prepared.item is None or (seen is not None and not force):
            report.unchanged.append(f"{name} -> {display_path(seen or path)}")
            continue
        target = _choose_target(articles, prepared.item, existing, force, report, name, claimed)
        if target is None:
            continue
        # Taken now, written or not: in a dry run too, the next source of the same title goes to -2.
        claimed.add(target)
        existing.remember(prepared.item.meta, target)
        if dry_run:
            replacing = "; it would replace the file there" if target.exists() else ""
            report.written.append(f"{name} -> {display_path(target)} (dry run, not written{replacing})")
            continue
        articles.mkdir(parents=True, exist_ok=True)
        replaced = target.exists()
        _write_atomic(target, prepared.text)
        report.written.append(f"{name} -> {display_path(target)}" + (" (replaced)" if replaced else ""))
    return report


def _choose_target(
    articles: Path, item: Ingested, existing: _Existing, force: bool, report: IngestReport, name: str,
    claimed: set[Path],
) -> Path | None:
    """Where to write: the file this source wrote before (its URL stays), or a free ``<slug>.md``
    (free: neither on disk nor ``claimed`` by this run).

    A file the user edited is never overwritten unless ``force``; None means skip.
    """
    before = existing.written_before(raw_file_of(item.meta) or "", item.meta.get("title"))
    if before is not None and before in claimed:
        return before
    if before is not None and before in existing.broken:
        report.skipped.append((name, f"{display_path(before)} is being edited (its front matter does not parse): "
                                     "fix it, then ingest again"))
        return None  # even with --force: what the user is writing there is theirs
    if before is not None and before.exists():
        try:
            unedited = is_unedited(read_text(before))
        except DigestError:
            unedited = False  # unreadable: certainly not what ingest wrote
        if force or unedited:
            return before
        report.skipped.append((name, f"{display_path(before)} was edited by you; --force replaces it"))
        return None
    number = 1
    while True:
        target = articles / (f"{item.slug}.md" if number == 1 else f"{item.slug}-{number}.md")
        if not target.exists() and target not in claimed:
            return target
        number += 1


def article_for_analysis(path: Path, warnings: list[str]) -> Article:
    """A raw or Markdown file as the build would see it once ingested; nothing is written."""
    try:
        raw = read_regular(path, MAX_RAW_BYTES)
    except OSError as error:
        raise IngestError(f"cannot read: {error.strerror}", path=path) from None
    item = convert(raw, path, path.name, warnings)
    try:
        return article_from_text(render_file(item), path)
    except DigestError as error:
        raise IngestError(error.message, path=path, hint=error.hint) from None
