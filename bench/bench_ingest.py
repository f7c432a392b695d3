#!/usr/bin/env python3
"""Benchmark ``python build.py ingest`` in articles per second, against a bare converter, in the same run.

Inputs (issue 3, "Speed"): the 50 BBC and 100 CNN dev articles, read in place from ``<repo>/../shared/corpus``
(never copied into the repository), a synthetic folder of 5,000 plain-text articles, and, reported apart,
HTML: one page per BBC article and a synthetic folder of 1,000 pages, written by this script from a simple
article-page template. The synthetic folders and the HTML pages are generated deterministically in a
temporary folder that is deleted at the end.

Each input is ingested with ``--workers 1`` (one process) and ``--workers 2`` (a process pool):

1. as a whole ``python build.py ingest <folder> --workers N`` subprocess, in a fresh temporary project (the
   repo's config.yaml and themes/, an empty content/articles): interpreter start-up and imports included;
2. in-process, ``digest.ingest.ingest(...)`` into a fresh project: the per-article cost without start-up.

Peer: the *bare converter*, which reads each file and writes it unchanged as ``<slug>.md`` under a minimal
front matter (``title:`` = its first non-empty line), run the same two ways (always one process). Runs
alternate which of digest and the bare converter goes first. It prints medians and asserts nothing.

Rerun:  .venv/bin/python bench/bench_ingest.py --repeats 3
        .venv/bin/python bench/bench_ingest.py --quick          (smoke run, ~15 s)
        .venv/bin/python bench/bench_ingest.py --profile        (cProfile of one in-process run)
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import html
import json
import os
import pstats
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_build import bbc_paths, cnn_paths, machine_lines, say, spread, synthetic_sources, table

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
RERUN = ".venv/bin/python bench/bench_ingest.py"
TARGET = 500
"""Issue 3: at least this many plain-text articles per second on this 2-core machine."""
SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
SEED = 20240301

# --- the peer: a bare converter -------------------------------------------------------------------------


def bare_files(paths: Sequence[Path]) -> list[Path]:
    """The files under the paths given, in the order ``build.py ingest`` takes them (folders sorted, recursive)."""
    files: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        for current, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            files.extend(Path(current) / name for name in sorted(names)
                         if not name.startswith(".") and name.lower().endswith(SUFFIXES))
    return files


_BARE_SLUG = re.compile(r"[^a-z0-9]+")


def bare_convert(paths: Sequence[Path], articles: Path) -> int:
    """Each file unchanged as ``<slug>.md`` with ``title:`` = its first non-empty line. Nothing else."""
    articles.mkdir(parents=True, exist_ok=True)
    taken: dict[str, int] = {}
    for path in bare_files(paths):
        text = path.read_bytes().decode("utf-8", errors="replace")
        title = next((line.strip() for line in text.splitlines() if line.strip()), path.stem)
        slug = _BARE_SLUG.sub("-", title.lower()).strip("-")[:64].rstrip("-") or "article"
        taken[slug] = count = taken.get(slug, 0) + 1
        name = slug if count == 1 else f"{slug}-{count}"
        # A JSON string is a valid YAML double-quoted scalar: the cheapest correct front matter.
        front = f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\n---\n\n"
        (articles / f"{name}.md").write_text(front + text, encoding="utf-8")
    return sum(taken.values())


def bare_main(articles: Path, paths: Sequence[Path]) -> int:
    """``--bare DEST PATH...``: the peer as its own process (interpreter start-up included, as for build.py)."""
    print(f"bare: {bare_convert(paths, articles)} written")
    return 0


# --- inputs ---------------------------------------------------------------------------------------------

SITE = "The Example Times"
_AUTHORS = ("Jane Doe", "Amir Khan", "Li Wei", "Maria Rossi", "Tom Baker", "Sara Nilsson", "John Smith",
            "Ana Souza", "Kofi Mensah", "Eva Novak")
_DEBRIS = ("Advertisement", "Share this article", "Read more", "Share on Twitter")
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - {site}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="author" content="{author}">
<meta name="date" content="{iso}">
<meta property="article:published_time" content="{iso}">
<meta property="og:site_name" content="{site}">
<link rel="canonical" href="{url}">
<link rel="stylesheet" href="/static/site.css">
<script>window.dataLayer = window.dataLayer || [];</script>
</head>
<body>
<header><a class="logo" href="/">{site}</a></header>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world/">World</a></li>
<li><a href="/business/">Business</a></li><li><a href="/politics/">Politics</a></li>
<li><a href="/sport/">Sport</a></li><li><a href="/tech/">Tech</a></li></ul></nav>
<main>
<article>
<h1>{title}</h1>
<p class="byline">By {author}</p>
<p class="dateline"><time datetime="{iso}">{human}</time></p>
{paragraphs}
</article>
<aside><h2>More stories</h2><ul>
{related}
</ul></aside>
</main>
<footer><p>&copy; 2024 {site}. <a href="/about/">About</a> <a href="/privacy/">Privacy</a>
<a href="/cookies/">Cookie settings</a></p></footer>
</body>
</html>
"""


@dataclass(frozen=True)
class RawArticle:
    title: str
    paragraphs: list[str]
    author: str
    date: datetime


def html_page(article: RawArticle, url: str, related: Sequence[str]) -> str:
    escape = html.escape
    return PAGE.format(
        title=escape(article.title), site=escape(SITE), author=escape(article.author),
        iso=article.date.isoformat(), human=article.date.strftime("%d %B %Y"), url=escape(url),
        paragraphs="\n".join(f"<p>{escape(paragraph)}</p>" for paragraph in article.paragraphs),
        related="\n".join(f'<li><a href="/story/{index}/">{escape(title)}</a></li>'
                          for index, title in enumerate(related)),
    )


def corpus_articles(corpus: Path) -> tuple[list[RawArticle], list[str]]:
    """The BBC dev articles (title, paragraphs; a made-up author and date) and the CNN stories' texts."""
    from digest.ingest.decode import decode_raw

    rng = random.Random(SEED)
    start = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
    bbc: list[RawArticle] = []
    warnings: list[str] = []  # one or more files are not UTF-8; decode_raw falls back to cp1252
    for index, path in enumerate(bbc_paths(corpus)):
        text = decode_raw(path.read_bytes(), path, warnings)
        title, _, rest = text.strip().partition("\n")
        paragraphs = [" ".join(part.split()) for part in rest.split("\n\n") if part.strip()]
        bbc.append(RawArticle(title.strip(), paragraphs, rng.choice(_AUTHORS), start + timedelta(hours=7 * index)))
    cnn = [decode_raw(path.read_bytes(), path, warnings) for path in cnn_paths(corpus)]
    return bbc, cnn


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’']?\s+(?=[\"“‘A-Z])")
_WIRE = re.compile(r"^.{0,60}?\(CNN\)\s*(?:--|—|–|-)?\s*")


def sentence_pool(bbc: Sequence[RawArticle], cnn: Sequence[str]) -> list[str]:
    sentences: list[str] = []
    texts = [paragraph for article in bbc for paragraph in article.paragraphs] + [
        _WIRE.sub("", " ".join(story.split())) for story in cnn]
    for text in texts:
        for sentence in _SENTENCE_END.split(text):
            if 5 <= len(sentence.split()) <= 60 and sentence[:1].isupper() and "http" not in sentence:
                sentences.append(sentence.strip())
    return sentences


def synthetic_articles(count: int, bbc: Sequence[RawArticle], sentences: Sequence[str]) -> list[RawArticle]:
    """``count`` articles of 600-900 words of corpus sentences, with titles whose slugs all differ."""
    from digest.slugs import slugify

    rng = random.Random(SEED + count)
    keywords = sorted({word.strip(".,;:'\"“”‘’()").capitalize() for sentence in sentences for word in sentence.split()
                       if len(word) >= 6 and word.isalpha() and word.islower()})
    start = datetime(2024, 1, 1, 6, 0, tzinfo=UTC)
    slugs: set[str] = set()
    articles: list[RawArticle] = []
    for index in range(count):
        base = bbc[index % len(bbc)].title
        first, second = rng.sample(keywords, 2)
        title = f"{base}: {first} and {second}"
        if slugify(title) in slugs:
            title = f"{first} and {second} {index + 1}: {base}"
        slugs.add(slugify(title))
        target, words = rng.randint(600, 880), 0
        paragraphs: list[str] = []
        while words < target:
            chosen: list[str] = []
            for _ in range(rng.randint(2, 4)):
                sentence = rng.choice(sentences)
                if words + len(sentence.split()) > 900:
                    break
                chosen.append(sentence)
                words += len(sentence.split())
            if not chosen:
                break
            paragraphs.append(" ".join(chosen))
        articles.append(RawArticle(title, paragraphs, rng.choice(_AUTHORS), start + timedelta(minutes=37 * index)))
    return articles


def plain_text(article: RawArticle, rng: random.Random) -> str:
    """A scraped-page text: title, sometimes a byline and a dateline, paragraphs, sometimes page debris."""
    lines = [article.title, ""]
    if rng.random() < 0.4:
        lines += [f"By {article.author}", ""]
    roll = rng.random()
    if roll < 0.3:
        lines += [f"Published: {article.date.isoformat()}", ""]
    elif roll < 0.6:
        lines += [f"Updated {article.date.strftime('%d %b %Y')}", ""]
    for index, paragraph in enumerate(article.paragraphs):
        lines += [paragraph, ""]
        if index == 2 and rng.random() < 0.25:
            lines += [rng.choice(_DEBRIS), ""]
    return "\n".join(lines)


def write_folder(folder: Path, texts: Sequence[tuple[str, str]]) -> None:
    """Files with a fixed modification time, so the dates ingest falls back to do not vary between runs."""
    folder.mkdir(parents=True)
    stamp = datetime(2024, 6, 1, tzinfo=UTC).timestamp()
    for name, text in texts:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        os.utime(path, (stamp, stamp))


@dataclass
class InputSet:
    label: str
    kind: str
    """'plain text' or 'HTML'."""
    paths: list[Path]
    count: int
    small: bool
    """Small sets always get every run; large ones get what the time budget allows (see --budget)."""


def make_inputs(temp: Path, corpus: Path, quick: bool, plain_count: int, html_count: int
                ) -> tuple[list[InputSet], str]:
    present = bool(bbc_paths(corpus)) and bool(cnn_paths(corpus))
    sets: list[InputSet] = []
    if present:
        bbc, cnn = corpus_articles(corpus)
        bbc_files, cnn_files = bbc_paths(corpus), cnn_paths(corpus)
        if quick:
            bbc_files, cnn_files = bbc_files[::5], cnn_files[::10]
            sets += [InputSet("bbc-dev (1 in 5)", "plain text", bbc_files, len(bbc_files), True),
                     InputSet("cnn-dev (1 in 10)", "plain text", cnn_files, len(cnn_files), True)]
        else:
            sets += [InputSet("bbc-dev", "plain text", [corpus / "bbc-dev"], len(bbc_files), True),
                     InputSet("cnn-dev", "plain text", [corpus / "cnn-dev" / "stories"], len(cnn_files), True)]
        note = (f"{len(bbc_files)} BBC + {len(cnn_files)} CNN dev articles read in place from {corpus}; "
                "synthetic folders made of their sentences")
    else:
        say(f"note: the corpus {corpus} is absent: no BBC/CNN rows, and the synthetic folders use generated words")
        rng = random.Random(SEED)
        bbc = [RawArticle(title, paragraphs, rng.choice(_AUTHORS), datetime(2024, 3, 1, tzinfo=UTC))
               for title, paragraphs in synthetic_sources(50)]
        cnn = []
        note = f"SYNTHETIC words only: the corpus {corpus} is absent, so figures are not comparable"
    sentences = sentence_pool(bbc, cnn)
    synthetic = synthetic_articles(max(plain_count, html_count), bbc, sentences)
    rng = random.Random(SEED)
    folder = temp / "input" / f"plain-{plain_count}"
    write_folder(folder, [(f"{index:05d}.txt", plain_text(article, rng))
                          for index, article in enumerate(synthetic[:plain_count])])
    sets.append(InputSet(f"synthetic {plain_count:,}", "plain text", [folder], plain_count, False))

    if present:
        pages = bbc[::5] if quick else bbc
        folder = temp / "input" / "bbc-html"
        write_folder(folder, [
            (f"{index:03d}.html", html_page(article, f"https://news.example.org/story/{index:03d}",
                                            [other.title for other in bbc[index + 1:index + 4]]))
            for index, article in enumerate(pages)])
        sets.append(InputSet("bbc-dev pages", "HTML", [folder], len(pages), True))
    folder = temp / "input" / f"html-{html_count}"
    write_folder(folder, [
        (f"{index:05d}.html", html_page(article, f"https://news.example.org/s/{index:05d}",
                                        [other.title for other in synthetic[index + 1:index + 4]]))
        for index, article in enumerate(synthetic[:html_count])])
    sets.append(InputSet(f"synthetic {html_count:,} pages", "HTML", [folder], html_count, False))
    return sets, note


def make_project(root: Path) -> Path:
    """A fresh project: the repo's config.yaml and themes/, an empty content/articles."""
    root.mkdir(parents=True)
    shutil.copy2(REPO / "config.yaml", root / "config.yaml")
    shutil.copytree(REPO / "themes", root / "themes")
    (root / "content" / "articles").mkdir(parents=True)
    return root


# --- measuring ------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One input, one way (whole process or in-process), one --workers: digest's and the bare runs."""

    inputs: InputSet
    way: str
    """'process' or 'in-process'."""
    workers: int
    digest: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    """digest's CPU seconds per run (user + system, its pool's workers included): less skewed by other load."""
    written: set[int] = field(default_factory=set)
    failed: set[int] = field(default_factory=set)


def cpu_seconds() -> float:
    """User + system time of this process and of its waited-for children (build.py, pool workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Runner:
    def __init__(self, temp: Path) -> None:
        self.temp = temp
        self.projects = 0

    def fresh(self) -> Path:
        self.projects += 1
        return make_project(self.temp / "projects" / f"p{self.projects}")

    def warm_up(self, sets: Sequence[InputSet]) -> None:
        """One untimed in-process ingest of one file of each kind: the lazy imports (trafilatura for HTML,
        the sentence splitter for lead titles) are then done before the in-process runs, as promised."""
        from digest.ingest import ingest

        for inputs in sets:
            project = self.fresh()
            ingest(bare_files(inputs.paths)[:3], project / "content", project, workers=1)
            shutil.rmtree(project, ignore_errors=True)

    def _digest(self, row: Row) -> float:
        project = self.fresh()
        try:
            if row.way == "process":
                command = [sys.executable, str(REPO / "build.py"), "ingest", *map(str, row.inputs.paths),
                           "--workers", str(row.workers)]
                cpu = cpu_seconds()
                start = time.perf_counter()
                done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
                seconds = time.perf_counter() - start
                row.cpu.append(cpu_seconds() - cpu)
                summary = re.search(r"^ingest: (\d+) written, \d+ unchanged, \d+ skipped, (\d+) failed$",
                                    done.stdout, re.MULTILINE)
                if done.returncode not in (0, 1) or summary is None:
                    raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-2000:]}"
                                     f"{done.stderr[-2000:]}")
                row.written.add(int(summary.group(1)))
                row.failed.add(int(summary.group(2)))
                return seconds
            from digest.ingest import ingest

            gc.collect()
            cpu = cpu_seconds()
            start = time.perf_counter()
            report = ingest(list(row.inputs.paths), project / "content", project, workers=row.workers)
            seconds = time.perf_counter() - start
            row.cpu.append(cpu_seconds() - cpu)
            row.written.add(len(report.written))
            row.failed.add(len(report.failed))
            return seconds
        finally:
            shutil.rmtree(project, ignore_errors=True)

    def _bare(self, row: Row) -> float:
        articles = self.temp / "bare" / "content" / "articles"
        shutil.rmtree(articles.parent.parent, ignore_errors=True)
        try:
            if row.way == "process":
                command = [sys.executable, str(Path(__file__).resolve()), "--bare", str(articles),
                           *map(str, row.inputs.paths)]
                start = time.perf_counter()
                done = subprocess.run(command, capture_output=True, text=True, check=False)
                seconds = time.perf_counter() - start
                if done.returncode != 0:
                    raise SystemExit(f"bare converter failed ({done.returncode}):\n{done.stderr[-2000:]}")
                return seconds
            gc.collect()
            start = time.perf_counter()
            bare_convert(row.inputs.paths, articles)
            return time.perf_counter() - start
        finally:
            shutil.rmtree(articles.parent.parent, ignore_errors=True)

    def run(self, row: Row) -> None:
        """One run: digest then bare on even runs, bare then digest on odd ones."""
        first_digest = len(row.digest) % 2 == 0
        if first_digest:
            row.digest.append(self._digest(row))
        row.bare.append(self._bare(row))
        if not first_digest:
            row.digest.append(self._digest(row))
        say(f"  {row.inputs.label:<24} {row.way:<10} --workers {row.workers}  run {len(row.digest)}: "
            f"digest {row.digest[-1]:7.2f} s ({row.inputs.count / row.digest[-1]:6.0f}/s), "
            f"bare {row.bare[-1]:5.2f} s")


def plan_and_run(sets: Sequence[InputSet], runner: Runner, repeats: int, budget: float, started: float
                 ) -> tuple[list[Row], list[str]]:
    """Every run of the small sets; then the large sets' whole-process runs, first runs first; then their
    in-process runs and further runs, each only when its estimate fits the budget (0: no budget)."""
    rows = [Row(inputs, way, workers) for inputs in sets for way in ("process", "in-process") for workers in (1, 2)]
    runner.warm_up(sets)
    for _repeat in range(repeats):
        for row in rows:
            if row.inputs.small:
                runner.run(row)
    large = [row for row in rows if not row.inputs.small]

    def is_target(row: Row) -> bool:
        return row.way == "process" and row.workers == 2 and row.inputs.kind == "plain text"

    # The large sets' runs, most important first: one whole-process run of each (always done), the target
    # row's further runs, one in-process run of each, then the other rows' further runs.
    whole = sorted((row for row in large if row.way == "process"), key=lambda row: not is_target(row))
    queue = [*whole, *[row for row in whole if is_target(row)] * (repeats - 1),
             *[row for row in large if row.way == "in-process"],
             *[row for row in large if not is_target(row)] * (repeats - 1)]
    for row in queue:
        mandatory = row.way == "process" and not row.digest
        if budget and not mandatory and time.perf_counter() - started + estimate_seconds(row, rows) > budget:
            continue
        runner.run(row)
    left_out = [f"{row.inputs.label} {row.way} --workers {row.workers}: {repeats - len(row.digest)} of {repeats}"
                for row in large if len(row.digest) < repeats]
    return rows, left_out


def estimate_seconds(row: Row, rows: Sequence[Row]) -> float:
    """What the next run of a row should cost: its own last run, else the same input and workers another way."""
    if row.digest:
        return row.digest[-1] + row.bare[-1]
    for other in rows:
        if other.inputs is row.inputs and other.workers == row.workers and other.digest:
            return other.digest[-1] + other.bare[-1]
    return 0.0


# --- reporting ------------------------------------------------------------------------------------------


def header(started_at: datetime, load: str) -> list[str]:
    """bench_build's machine header, with the libraries ingest uses and the pool's start method."""
    import multiprocessing

    import yaml

    return machine_lines(started_at, load, ("trafilatura", "lxml", "pyyaml"),
                         f"libyaml CSafeLoader: {'yes' if hasattr(yaml, 'CSafeLoader') else 'no'} "
                         f"(digest's strict front-matter loader is pure Python); "
                         f"process pool start method: {multiprocessing.get_start_method()}")


def load_average() -> str:
    """Other processes on this 2-core machine skew the figures, the pool's most: printed at start and end."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}"


def report(rows: Sequence[Row], repeats: int, pool_threshold: int) -> list[str]:
    lines: list[str] = []
    for kind in ("plain text", "HTML"):
        for way, title in (("process", "whole process: python build.py ingest <folder> --workers N (fresh "
                                       "interpreter, imports, fresh project)"),
                           ("in-process", "in-process: digest.ingest.ingest(...) (imports done, fresh project)")):
            chosen = [row for row in rows if row.inputs.kind == kind and row.way == way]
            if not chosen:
                continue
            table_rows = []
            for row in chosen:
                count = row.inputs.count
                pool = "" if row.workers == 1 or count >= pool_threshold else " (1 process)"
                if not row.digest:
                    table_rows.append([row.inputs.label, str(count), f"{row.workers}{pool}", "0",
                                       "left out (budget)", *["-"] * 6])
                    continue
                digest, bare = statistics.median(row.digest), statistics.median(row.bare)
                table_rows.append([
                    row.inputs.label, str(count), f"{row.workers}{pool}", str(len(row.digest)),
                    spread(row.digest), rate(count, digest), f"{digest * 1000 / count:.2f}",
                    f"{statistics.median(row.cpu) * 1000 / count:.2f}",
                    rate(count, bare), f"{bare * 1000 / count:.2f}", f"{digest / bare:.1f}x",
                ])
            heading = "Plain text" if kind == "plain text" else "HTML"
            lines += [f"{heading}, {title}; median (min-max) of the runs, seconds:", *table(
                ["input", "n", "workers", "runs", "digest s", "art/s", "ms/art", "cpu ms/art", "bare art/s",
                 "bare ms/art", "digest/bare"], table_rows), ""]
    problems = [f"{row.inputs.label} {row.way} --workers {row.workers}: written {sorted(row.written)}, "
                f"failed {sorted(row.failed)} of {row.inputs.count}"
                for row in rows if row.digest and (row.written != {row.inputs.count} or row.failed != {0})]
    lines.append("every digest run wrote every article, none failed" if not problems
                 else "NOT every article was written: " + "; ".join(problems))
    if any(row.inputs.count < pool_threshold for row in rows):
        lines.append(f"(1 process): below digest.ingest.POOL_THRESHOLD = {pool_threshold} files, --workers 2 "
                     "converts in one process")
    lines.append("ms/art = wall time / n; cpu ms/art = CPU time (user + system, all of digest's processes) / n: "
                 "with a pool, wall < CPU; when other load shares the cores, wall grows and CPU barely does")
    if repeats > 1 and any(len(row.digest) < repeats for row in rows):
        lines.append(f"runs < {repeats}: left out to stay within --budget (see the end)")
    return lines


def verdict(rows: Sequence[Row]) -> list[str]:
    target_rows = [row for row in rows if row.inputs.kind == "plain text" and not row.inputs.small and row.digest]
    lines = []
    for row in target_rows:
        if row.workers != 2:
            continue
        speed = row.inputs.count / statistics.median(row.digest)
        held = "HOLDS" if speed >= TARGET else f"does NOT hold ({TARGET / speed:.1f}x short)"
        lines.append(f"target:  >= {TARGET} plain-text articles/s, {row.inputs.label} folder, --workers 2, {row.way}: "
                     f"{speed:,.0f}/s -> {held}"
                     + ("" if row.inputs.count >= 5000 else " (the issue's target is for a 5,000-article folder)"))
    return lines


# --- profile --------------------------------------------------------------------------------------------


def profile(sets: Sequence[InputSet], runner: Runner, top: int) -> list[str]:
    """One in-process --workers 1 ingest of the large plain-text folder under cProfile: digest's top functions."""
    from digest.ingest import ingest

    inputs = next(item for item in sets if item.kind == "plain text" and not item.small)
    project = runner.fresh()
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(ingest, list(inputs.paths), project / "content", project, workers=1)
    seconds = time.perf_counter() - start
    stats = pstats.Stats(profiler)
    total = max(stats.total_tt, 1e-9)
    own = str(REPO / "digest")
    entries = []
    for (filename, line, name), (_calls, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        if filename.startswith(own):
            entries.append((cumtime, tottime, ncalls, f"{Path(filename).relative_to(REPO)}:{line}({name})"))
    entries.sort(reverse=True)
    # The outer frames (ingest, _prepare_all, _prepare) hold everything: show them, then the first `top` below.
    wrappers = ("(ingest)", "(_prepare_all)", "(_prepare)")
    table_rows = [[where, f"{ncalls:,}", f"{cumtime:.2f}", f"{cumtime / total:.0%}", f"{tottime:.2f}"]
                  for cumtime, tottime, ncalls, where in entries
                  if not where.endswith(wrappers)][:top]
    outer = [f"{where} {cumtime:.2f} s" for cumtime, _tottime, _ncalls, where in entries if where.endswith(wrappers)]
    shutil.rmtree(project, ignore_errors=True)
    return [
        f"cProfile of one in-process ingest of {inputs.label} ({inputs.count} plain-text files), --workers 1: "
        f"{seconds:.1f} s under the profiler ({inputs.count / seconds:,.0f}/s); profiled total {total:.1f} s",
        f"outer frames: {', '.join(outer)}",
        f"top {top} of digest's functions below them, by cumulative time:",
        *table(["function", "calls", "cum s", "share", "own s"], table_rows),
    ]


# --- main -----------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark digest's ingest (articles/s) against a bare converter.")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each measurement (default: 3)")
    parser.add_argument("--plain", type=int, default=5000, help="synthetic plain-text articles (default: 5000)")
    parser.add_argument("--html", type=int, default=1000, help="synthetic HTML pages (default: 1000)")
    parser.add_argument("--budget", type=float, default=240.0,
                        help="seconds: the large synthetic folders' extra runs (in-process, repeats) are left out "
                             "when they would not finish by then; 0 for no limit (default: 240)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 in 5 BBC and 1 in 10 CNN articles, 200 + 20 synthetic files, 1 run")
    parser.add_argument("--profile", action="store_true",
                        help="instead of the benchmark: cProfile one in-process --workers 1 ingest of the synthetic "
                             "plain-text folder and print digest's top functions")
    parser.add_argument("--top", type=int, default=5, help="functions listed by --profile (default: 5)")
    parser.add_argument("--corpus", type=Path, default=CORPUS,
                        help=f"the development corpus (default: {CORPUS}); synthetic words when absent")
    parser.add_argument("--bare", nargs="+", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare is not None:
        return bare_main(args.bare[0], args.bare[1:])
    if args.quick:
        args.repeats, args.plain, args.html, args.budget = 1, 200, 20, 0.0
    if args.repeats < 1 or args.plain < 1 or args.html < 1 or args.budget < 0:
        parser.error("--repeats, --plain and --html must be at least 1, --budget at least 0")
    corpus = args.corpus.resolve()
    sys.path.insert(0, str(REPO))
    from digest.ingest import POOL_THRESHOLD

    started = time.perf_counter()
    started_at = datetime.now().astimezone()
    load = load_average()
    with tempfile.TemporaryDirectory(prefix="digest-bench-ingest-") as temp:
        say(f"writing the inputs in {temp}")
        sets, note = make_inputs(Path(temp), corpus, args.quick, args.plain, args.html)
        runner = Runner(Path(temp))
        if args.profile:
            out = ["digest ingest profile (bench/bench_ingest.py --profile)", *header(started_at, load),
                   f"input:   {note}", "", *profile(sets, runner, args.top), "",
                   f"rerun:   {RERUN} --profile --plain {args.plain}{'' if args.top == 5 else f' --top {args.top}'}"]
            print("\n".join(out))
            return 0
        rows, left_out = plan_and_run(sets, runner, args.repeats, args.budget, started)

    flags = "--quick" if args.quick else (f"--repeats {args.repeats} --plain {args.plain} --html {args.html} "
                                         f"--budget {args.budget:g}")
    corpus_flag = "" if corpus == CORPUS.resolve() else f" --corpus {corpus}"
    out = [
        "digest ingest benchmark (bench/bench_ingest.py)",
        *header(started_at, load),
        f"input:   {note}; synthetic: 600-900 words each, 40% with a byline, 60% with a dateline, some debris; "
        f"HTML: one page per article from the bench's template (head meta, nav, article, aside, footer)",
        "peer:    bare converter = read each file, write it unchanged as <slug>.md under 'title: <first line>'; "
        "one process; nothing else",
        "",
        *report(rows, args.repeats, POOL_THRESHOLD),
        "",
        *verdict(rows),
        *([f"left out to stay within --budget {args.budget:g} s (runs): " + "; ".join(left_out)] if left_out else []),
        f"whole benchmark: {time.perf_counter() - started:.0f} s; load average at end: {load_average()}",
        f"rerun:   {RERUN} {flags}{corpus_flag}",
    ]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
