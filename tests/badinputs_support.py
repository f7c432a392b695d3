"""Machinery for tests/test_bad_inputs.py: run one bad-input case through the real CLI and record
everything the contract talks about (exit codes, stderr, wall time, what changed on disk, the pages).

A case runs in its own folder ``<case>/project``, a copy of a baseline project made once per session
with ``make_project(with_seed=False)``, one harmless article and a good build; so a failed build can be
checked against a previous good ``site/``. Everything else under ``<case>/`` (and the battery files the
case reads) is fingerprinted before and after: the CLI may change ``site/`` and ``content/`` only.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO, SHARED, make_project, tree_bytes

GENERATOR = SHARED / "bad_inputs" / "gen_bad_inputs.py"
CAP_SECONDS = 10.0
"""Hard cap per CLI run (generous, for CI noise); a run killed here breaks the contract."""
BUDGET_SECONDS = 2.0
"""The README's DoS budget per article: runs over it are reported as warnings, not failures."""
MARKER = "BADINPUT-MARKER-5f1c0a"
"""Written only into files outside the project that symlinks point at: it must never reach site/."""

BASELINE_ARTICLE = """\
---
title: Baseline harmless article
date: 2024-04-30T08:00:00
---

The library reopened on Monday after a long renovation.

Readers said the new reading room was bright and quiet.
"""


# ---------------------------------------------------------------------------------------------
# Running the CLI


@dataclass
class Step:
    label: str
    code: int | None
    """None: killed at CAP_SECONDS."""
    out: str
    err: str
    seconds: float
    utf8: bool
    """stdout and stderr were valid UTF-8."""


def _decode(data: bytes | str | None) -> tuple[str, bool]:
    if data is None:
        return "", True
    if isinstance(data, str):
        return data, True
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("utf-8", "backslashreplace"), False


def run_timed(project: Path, label: str, *args: str) -> Step:
    """``python build.py ARGS`` in ``project``, like conftest.run_cli, but timed, capped and byte-safe."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(REPO / "build.py"), *args],
            cwd=project, capture_output=True, timeout=CAP_SECONDS, env=env, check=False,
        )
    except subprocess.TimeoutExpired as expired:
        out, out_ok = _decode(expired.stdout)
        err, err_ok = _decode(expired.stderr)
        return Step(label, None, out, err, time.perf_counter() - start, out_ok and err_ok)
    seconds = time.perf_counter() - start
    out, out_ok = _decode(done.stdout)
    err, err_ok = _decode(done.stderr)
    return Step(label, done.returncode, out, err, seconds, out_ok and err_ok)


# ---------------------------------------------------------------------------------------------
# Disk snapshots


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def snapshot(root: Path, skip: frozenset[Path] = frozenset()) -> dict[str, str]:
    """Every entry under ``root`` (links not followed) -> what it is; entries in ``skip`` left out."""
    found: dict[str, str] = {}
    if not root.exists():
        return found
    for current, dirs, files in os.walk(root, followlinks=False):
        here = Path(current)
        dirs[:] = [name for name in dirs if here / name not in skip]
        for name in [*dirs, *files]:
            path = here / name
            if path in skip:
                continue
            key = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[key] = "link -> " + os.readlink(path)
            elif path.is_dir():
                found[key] = "dir"
            else:
                found[key] = "file " + _sha(path.read_bytes())
    return found


def diff(before: dict[str, str], after: dict[str, str]) -> list[str]:
    changes = [f"created {key!r}" for key in sorted(after.keys() - before.keys())]
    changes += [f"removed {key!r}" for key in sorted(before.keys() - after.keys())]
    changes += [f"changed {key!r}" for key in sorted(before.keys() & after.keys()) if before[key] != after[key]]
    return changes


# ---------------------------------------------------------------------------------------------
# Reading built pages

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_ACTIVE_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet"}
_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "data"}
_SCRIPT_URL = re.compile(r"(?:javascript|vbscript|data):", re.IGNORECASE)
_THEME_SCRIPT = re.compile(r"(?:\.\./)*(?:\./)?(?:static|pagefind)/[\w.-]+\.js")
"""The theme's own script files (the search page's): relative links into static/ or pagefind/."""


def theme_script(values: dict[str, str]) -> bool:
    """A script element the default theme writes, never text from an article: structured data
    (JSON-LD, which browsers do not run, written with tojson so nothing can close the element)
    or one of the site's own script files."""
    if values.get("type", "").strip().lower() == "application/ld+json" and "src" not in values:
        return True
    return bool(_THEME_SCRIPT.fullmatch(values.get("src", ""))) and set(values) <= {"src", "defer"}


def _as_browser_reads(url: str) -> str:
    """Browsers drop tabs and newlines anywhere in a URL and control characters or spaces before it."""
    return re.sub(r"[\t\n\r]", "", url).lstrip("".join(map(chr, range(33))))


class Page(HTMLParser):
    """One built HTML page: what a browser would run, and the parts of the theme the checks read."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.active: list[str] = []
        self.hrefs: list[str] = []
        self.title = ""
        self.h1: list[str] = []
        self.summary: list[str] = []
        self.quotes: list[str] = []
        self.body_tags: list[str] = []
        self.article_dir: str | None = None
        self.times: list[str] = []
        self._text: list[str] = []
        self._body_text: list[str] = []
        self._stack: list[list[str]] = []
        self._open: Counter[str] = Counter()
        self.feed(html)
        self.close()

    @property
    def text(self) -> str:
        return "".join(self._text)

    @property
    def body_text(self) -> str:
        return "".join(self._body_text)

    def _in(self, key: str) -> bool:
        return self._open[key] > 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values: dict[str, str] = {name: value or "" for name, value in attrs}
        if tag in _ACTIVE_TAGS and not (tag == "script" and theme_script(values)):
            self.active.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.active.append(f"<{tag} {name}=...>")
            if name in _URL_ATTRS and value and _SCRIPT_URL.match(_as_browser_reads(value)):
                self.active.append(f"<{tag} {name}={value[:60]!r}>")
        classes = values.get("class", "").split()
        if tag == "article" and "article" in classes:
            self.article_dir = values.get("dir")
        if tag == "time":
            self.times.append(values.get("datetime", ""))
        if tag in ("a", "link") and "href" in values:
            self.hrefs.append(values["href"])
        if self._in("div.body"):
            self.body_tags.append(tag)
        if tag == "li" and self._in("aside.summary-box"):
            self.summary.append("")
        if tag == "blockquote" and self._in("figure.pullquote"):
            self.quotes.append("")
        if tag == "h1":
            self.h1.append("")
        if tag not in _VOID:
            keys = [tag, *(f"{tag}.{name}" for name in classes)]
            self._stack.append(keys)
            self._open.update(keys)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                for keys in self._stack[index:]:
                    self._open.subtract(keys)
                del self._stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if self._in("script") or self._in("style"):
            return
        self._text.append(data)
        if self._in("title"):
            self.title += data
        if self._in("h1") and self.h1:
            self.h1[-1] += data
        if self._in("li") and self._in("aside.summary-box") and self.summary:
            self.summary[-1] += data
        if self._in("blockquote") and self._in("figure.pullquote") and self.quotes:
            self.quotes[-1] += data
        if self._in("div.body"):
            self._body_text.append(data)


def front_matter(text: str) -> dict[str, Any]:
    """The YAML front matter of a Markdown text, read leniently (for the test's own expectations)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.startswith("---\n") or "\n---\n" not in text[3:]:
        return {}
    try:
        meta = yaml.safe_load(text[4 : text.index("\n---\n", 3)])
    except (yaml.YAMLError, ValueError, RecursionError):
        return {}
    return meta if isinstance(meta, dict) else {}


def markdown_body(text: str) -> str:
    text = text.removeprefix("\ufeff")
    if text.startswith("---\n") and "\n---\n" in text[3:]:
        return text[text.index("\n---\n", 3) + 5 :]
    return text


# ---------------------------------------------------------------------------------------------
# Cases


@dataclass(frozen=True)
class Case:
    group: str
    """'raw' (ingested, then built), 'md' or 'fs' (dropped into content/articles/, then built)."""
    name: str
    """The battery file (the test id), or a label for a combination of files."""
    files: tuple[str, ...]
    """Battery files used, in the order they are placed."""
    subject: str | None = None
    """The file an error must name (None: no single file)."""
    twin: bool = False
    """Also run the same bytes with LF newlines and no BOM, in a project of their own, to compare."""
    reverse: bool = False
    """Also build with the files placed in the reverse order, to compare."""
    marker: str | None = None
    """fs: 'file' or 'dir': a symlink from content/articles to MARKER files outside the project."""

    @property
    def folder(self) -> str:
        return self.group + "-" + re.sub(r"[^A-Za-z0-9_.+-]", "_", self.name)[:60]


@dataclass(repr=False)
class Outcome:
    case: Case
    project: Path
    steps: list[Step] = field(default_factory=list)
    """The case's own runs: ingest then build (raw), or build."""
    extra: list[Step] = field(default_factory=list)
    """Comparison runs (LF twin, reverse order): they obey the contract too."""
    missing: list[str] = field(default_factory=list)
    harness_error: str | None = None
    outside_before: dict[str, str] = field(default_factory=dict)
    outside_after: dict[str, str] = field(default_factory=dict)
    content_before: dict[str, str] = field(default_factory=dict)
    content_after: dict[str, str] = field(default_factory=dict)
    site_before: dict[str, bytes] = field(default_factory=dict)
    site_after: dict[str, bytes] = field(default_factory=dict)
    site_names: list[str] = field(default_factory=list)
    """Every name under site/ and content/, as os.walk gives it (to look for NULs, bad encodings)."""
    pages: dict[str, Page] = field(default_factory=dict)
    """Every built HTML file (site-relative path) after the case."""
    html_not_utf8: list[str] = field(default_factory=list)
    ingested: dict[str, str] = field(default_factory=dict)
    """Files the case created or changed in content/articles/ (name -> text)."""
    twin_ingested: dict[str, str] = field(default_factory=dict)
    twin_site: dict[str, bytes] = field(default_factory=dict)
    reverse_site: dict[str, bytes] = field(default_factory=dict)

    def __repr__(self) -> str:  # short: pytest prints it in every failing frame
        return f"<Outcome {self.case.group}/{self.case.name}: exit {self.code}>"

    @property
    def code(self) -> int | None:
        """The case's exit code: the first run that did not succeed, else 0."""
        return next((step.code for step in self.steps if step.code != 0), 0)

    @property
    def stderr(self) -> str:
        return "".join(step.err for step in self.steps)

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("warning:")]

    def new_articles(self) -> dict[str, Page]:
        """Article pages the case added (slug -> page)."""
        found: dict[str, Page] = {}
        for path, page in self.pages.items():
            parts = path.split("/")
            if len(parts) == 3 and parts[0] == "articles" and parts[2] == "index.html" and path not in self.site_before:
                found[parts[1]] = page
        return found

    def new_paths(self, under: str) -> set[str]:
        return {path for path in self.site_after.keys() - self.site_before.keys() if path.startswith(under)}


def make_baseline(folder: Path) -> Path:
    """A fresh project with one harmless article and a good build: the site a failed build must keep."""
    project = make_project(folder, with_seed=False)
    (project / "content" / "articles" / "baseline.md").write_text(BASELINE_ARTICLE, encoding="utf-8")
    step = run_timed(project, "baseline build")
    if step.code != 0:
        raise RuntimeError(f"the baseline build failed ({step.code}):\n{step.err}")
    return project


def _place(sources: list[Path], articles: Path) -> None:
    for source in sources:
        # Symlinks are recreated as they are (same target text), never followed.
        shutil.copy2(source, articles / source.name, follow_symlinks=False)


def _plant_marker(case: Case, case_dir: Path, articles: Path) -> None:
    outside = case_dir / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(f"---\ntitle: {MARKER}\n---\n\n{MARKER} body.\n", encoding="utf-8")
    if case.marker == "file":
        os.symlink("../../../outside/secret.md", articles / "symlink_to_outside_file.md")
    else:
        os.symlink("../../../outside", articles / "symlink_to_outside_dir")


def _articles_changed(project: Path, before: dict[str, str]) -> dict[str, str]:
    articles = project / "content" / "articles"
    after = snapshot(articles)
    changed: dict[str, str] = {}
    for name, what in after.items():
        if what.startswith("file ") and before.get(name) != what:
            changed[name] = (articles / name).read_bytes().decode("utf-8", "backslashreplace")
    return changed


def _lf_bytes(data: bytes) -> bytes:
    return data.removeprefix(codecs.BOM_UTF8).replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def run_case(case: Case, battery: Path, baseline: Path, workdir: Path) -> Outcome:
    try:
        return _run_case(case, battery, baseline, workdir)
    except Exception:
        return Outcome(case, workdir, harness_error=traceback.format_exc())


def _run_case(case: Case, battery: Path, baseline: Path, workdir: Path) -> Outcome:
    case_dir = workdir / case.folder
    project = case_dir / "project"
    outcome = Outcome(case, project)
    sources = [battery / case.group / name for name in case.files]
    outcome.missing = [name for name, path in zip(case.files, sources, strict=True) if not os.path.lexists(path)]
    if outcome.missing:
        return outcome
    shutil.copytree(baseline, project, symlinks=True)
    articles = project / "content" / "articles"
    site, content = project / "site", project / "content"

    if case.group != "raw":
        _place(sources, articles)
    if case.marker:
        _plant_marker(case, case_dir, articles)

    def outside() -> dict[str, str]:
        # .cache/ holds digest's analysis cache (DESIGN.md): the one other folder a build may write.
        found = snapshot(case_dir, frozenset({site, content, project / ".cache"}))
        if case.group == "raw":  # the raw file is read where it is: it must stay as it was
            found.update({f"<battery>/{p.name}": "file " + _sha(p.read_bytes()) for p in sources})
        return found

    outcome.outside_before = outside()
    outcome.content_before = snapshot(content)
    articles_before = snapshot(articles)
    outcome.site_before = tree_bytes(site)

    if case.group == "raw":
        outcome.steps.append(run_timed(project, "ingest", "ingest", *map(str, sources)))
        if outcome.steps[-1].code == 0:
            outcome.steps.append(run_timed(project, "build"))
    else:
        outcome.steps.append(run_timed(project, "build"))

    outcome.outside_after = outside()
    outcome.content_after = snapshot(content)
    outcome.site_after = tree_bytes(site)
    outcome.ingested = _articles_changed(project, articles_before)
    for folder in (site, content):
        for _, dirs, files in os.walk(folder):
            outcome.site_names.extend(dirs + files)
    for path, data in outcome.site_after.items():
        if path.endswith(".html"):
            try:
                html = data.decode("utf-8")
            except UnicodeDecodeError:
                outcome.html_not_utf8.append(path)
                html = data.decode("utf-8", "replace")
            outcome.pages[path] = Page(html)

    if case.twin and case.group == "raw":
        twin = make_project(case_dir / "twin", with_seed=False)
        lf_file = case_dir / "lf" / sources[0].name
        lf_file.parent.mkdir()
        lf_file.write_bytes(_lf_bytes(sources[0].read_bytes()))
        shutil.copystat(sources[0], lf_file)  # same mtime: the same file-mtime date
        twin_before = snapshot(twin / "content" / "articles")
        outcome.extra.append(run_timed(twin, "ingest (LF twin)", "ingest", str(lf_file)))
        outcome.twin_ingested = _articles_changed(twin, twin_before)
    elif case.twin:
        twin = case_dir / "twin"
        shutil.copytree(baseline, twin, symlinks=True)
        (twin / "content" / "articles" / sources[0].name).write_bytes(_lf_bytes(sources[0].read_bytes()))
        outcome.extra.append(run_timed(twin, "build (LF twin)"))
        outcome.twin_site = tree_bytes(twin / "site")
    if case.reverse:
        other = case_dir / "reverse"
        shutil.copytree(baseline, other, symlinks=True)
        _place(list(reversed(sources)), other / "content" / "articles")
        outcome.extra.append(run_timed(other, "build (reverse order)"))
        outcome.reverse_site = tree_bytes(other / "site")
    return outcome
