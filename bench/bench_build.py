#!/usr/bin/env python3
"""Benchmark digest's build and analysis against named peers, in the same run.

1. Build time of a project of N articles: ``python build.py`` in a subprocess (cold: fresh site/, fresh
   interpreter) and ``digest.pipeline.build`` in-process (with per-stage timings), against the peer
   "bare loop": the same files read with PyYAML, rendered with markdown-it-py and a trivial Jinja2
   template, one index.html per article folder. Runs alternate (digest, bare, digest, bare ...).
2. Per-article analysis time of ``digest.analyze.analyze_article`` (config summarizer "textrank")
   over the BBC + CNN dev articles, against the same call with the "lead" summarizer.

Articles are read from ``<repo>/../shared/corpus`` (never copied into the repository); without it the
benchmark says so and uses synthetic text. It prints figures (medians, ms/article, ratios) and asserts
nothing about time.

Rerun:  make bench
   or:  .venv/bin/python bench/bench_build.py --sizes 50,200,1000 --repeats 3
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
RERUN = ".venv/bin/python bench/bench_build.py"
STAGES = ("config", "ingest", "read", "analyze", "collect", "render", "write")
BARE_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><article><h1>{{ title }}</h1><p><time>{{ date }}</time></p>
{{ body }}
</article></body></html>
"""

Source = tuple[str, list[str]]
"""An article's title and its paragraphs."""


def say(message: str) -> None:
    """Progress goes to stderr, so stdout is only the figures."""
    print(message, file=sys.stderr, flush=True)


# --- inputs ---------------------------------------------------------------------------------------------


def bbc_paths(corpus: Path) -> list[Path]:
    return sorted((corpus / "bbc-dev").glob("*/*.txt"))


def cnn_paths(corpus: Path) -> list[Path]:
    return sorted((corpus / "cnn-dev" / "stories").glob("*.txt"))


def bbc_sources(corpus: Path) -> list[Source]:
    """The BBC dev articles: first line the title, then paragraphs separated by blank lines."""
    from digest.ingest.decode import decode_raw

    sources: list[Source] = []
    warnings: list[str] = []  # one or more files are not UTF-8; decode_raw falls back to cp1252
    for path in bbc_paths(corpus):
        text = decode_raw(path.read_bytes(), path, warnings)
        title, _, rest = text.strip().partition("\n")
        paragraphs = [" ".join(part.split()) for part in rest.split("\n\n") if part.strip()]
        sources.append((title.strip(), paragraphs))
    return sources


_WORDS = (
    "government", "minister", "said", "market", "company", "shares", "growth", "players", "match", "season",
    "film", "music", "album", "record", "internet", "software", "users", "data", "phone", "election", "party",
    "vote", "police", "court", "report", "people", "year", "week", "month", "today", "new", "first", "last",
    "million", "billion", "percent", "plans", "talks", "deal", "team", "coach", "win", "lost", "higher", "lower",
    "city", "country", "world", "national", "local", "public", "private", "says", "told", "added", "expected",
    "announced", "statement",
)


def article_sources(corpus: Path) -> tuple[list[Source], str]:
    """The BBC dev articles, or synthetic stand-ins when the corpus is absent, and a line saying which."""
    if bbc_paths(corpus):
        sources = bbc_sources(corpus)
        return sources, f"{len(sources)} BBC dev articles from {corpus} (cycled; titles numbered)"
    say(f"note: {corpus} not found; using synthetic articles")
    return synthetic_sources(), f"SYNTHETIC text: the corpus {corpus} is absent, so figures are not comparable"


def synthetic_sources(count: int = 50, seed: int = 20240101) -> list[Source]:
    """Deterministic stand-ins when the corpus is absent: 6-10 paragraphs of 2-5 sentences each."""
    rng = random.Random(seed)

    def sentence() -> str:
        words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 24))]
        return " ".join(words).capitalize() + "."

    sources: list[Source] = []
    for index in range(count):
        title = " ".join(rng.choice(_WORDS) for _ in range(6)).title() + f" {index}"
        paragraphs = [" ".join(sentence() for _ in range(rng.randint(2, 5))) for _ in range(rng.randint(6, 10))]
        sources.append((title, paragraphs))
    return sources


def make_project(root: Path, count: int, sources: Sequence[Source]) -> None:
    """A digest project: the repo's config.yaml and themes/, and ``count`` articles with distinct dates."""
    import yaml

    from digest.slugs import slugify

    root.mkdir(parents=True)
    shutil.copy2(REPO / "config.yaml", root / "config.yaml")
    shutil.copytree(REPO / "themes", root / "themes")
    articles = root / "content" / "articles"
    articles.mkdir(parents=True)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for index in range(count):
        title, paragraphs = sources[index % len(sources)]
        title = f"{title} {index + 1}"  # unique titles (and slugs)
        meta = {"title": title, "date": (start + timedelta(hours=index)).isoformat()}
        front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1_000_000)
        text = f"---\n{front}---\n\n" + "\n\n".join(paragraphs) + "\n"
        (articles / f"{index + 1:05d}-{slugify(title)[:48]}.md").write_text(text, encoding="utf-8")


# --- the peer: a bare loop ------------------------------------------------------------------------------


def bare_tools() -> tuple[Any, Any, Any, Any]:
    import yaml
    from jinja2 import Environment
    from markdown_it import MarkdownIt
    from markupsafe import Markup

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader, MarkdownIt("commonmark", {"html": False}), Environment(autoescape=True).from_string(
        BARE_TEMPLATE), Markup


def bare_build(project: Path, tools: tuple[Any, Any, Any, Any]) -> int:
    """Read each article, parse its front matter, render Markdown into a template, write <slug>/index.html."""
    import yaml

    loader, markdown, template, markup = tools
    output = project / "bare-site"
    pages = 0
    for path in sorted((project / "content" / "articles").glob("*.md")):
        _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
        meta = yaml.load(front, Loader=loader)  # CSafeLoader when PyYAML has libyaml: safe
        html = template.render(title=meta["title"], date=meta["date"], body=markup(markdown.render(body)))
        folder = output / path.stem
        folder.mkdir(parents=True)
        (folder / "index.html").write_text(html, encoding="utf-8")
        pages += 1
    return pages


def bare_main(project: Path) -> int:
    """``--bare-loop PROJECT``: the peer as its own process (imports included, as for build.py)."""
    shutil.rmtree(project / "bare-site", ignore_errors=True)
    bare_build(project, bare_tools())
    return 0


# --- measuring ------------------------------------------------------------------------------------------


@dataclass
class SizeResult:
    count: int
    digest_cold: list[float] = field(default_factory=list)
    bare_cold: list[float] = field(default_factory=list)
    digest_warm: list[float] = field(default_factory=list)
    bare_warm: list[float] = field(default_factory=list)
    digest_cached: list[float] = field(default_factory=list)
    """Whole process, fresh site/ but the analysis cache of the previous run kept."""
    digest_nochange: list[float] = field(default_factory=list)
    """Whole process, nothing changed since the last build: site/ and the cache in place."""
    stages: dict[str, list[float]] = field(default_factory=dict)
    digest_pages: int = 0
    bare_pages: int = 0


def timed_subprocess(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return seconds


def bench_size(project: Path, count: int, repeats: int) -> SizeResult:
    from digest.pipeline import build

    result = SizeResult(count)
    tools = bare_tools()
    site, bare_site = project / "site", project / "bare-site"
    for repeat in range(repeats):
        # 1. Whole processes, cold: fresh interpreter, fresh output folder, no analysis cache.
        shutil.rmtree(site, ignore_errors=True)
        shutil.rmtree(project / ".cache", ignore_errors=True)
        result.digest_cold.append(timed_subprocess([sys.executable, str(REPO / "build.py")], project))
        # The same with the analysis cached (fresh site/), then a rebuild with nothing changed.
        shutil.rmtree(site, ignore_errors=True)
        result.digest_cached.append(timed_subprocess([sys.executable, str(REPO / "build.py")], project))
        result.digest_nochange.append(timed_subprocess([sys.executable, str(REPO / "build.py")], project))
        shutil.rmtree(bare_site, ignore_errors=True)
        result.bare_cold.append(timed_subprocess([sys.executable, str(Path(__file__).resolve()), "--bare-loop",
                                                  str(project)], project))
        # 2. In-process (imports done, this process's caches warm after the first run), fresh output folder.
        shutil.rmtree(site, ignore_errors=True)
        gc.collect()
        start = time.perf_counter()
        built = build(project / "config.yaml", echo=lambda _line: None, use_cache=False, workers=1)
        result.digest_warm.append(time.perf_counter() - start)
        result.digest_pages = built.pages
        for name, seconds, _detail in built.timings:
            result.stages.setdefault(name, []).append(seconds)
        shutil.rmtree(bare_site, ignore_errors=True)
        gc.collect()
        start = time.perf_counter()
        result.bare_pages = bare_build(project, tools)
        result.bare_warm.append(time.perf_counter() - start)
        say(f"  N={count} run {repeat + 1}/{repeats}: build.py {result.digest_cold[-1]:.2f} s, "
            f"bare {result.bare_cold[-1]:.2f} s; in-process {result.digest_warm[-1]:.2f} s, "
            f"bare {result.bare_warm[-1]:.2f} s")
    return result


@dataclass
class AnalysisResult:
    label: str
    count: int
    textrank: list[float]
    """Per article: the median over the repeats, in ms."""
    lead: list[float]


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def bench_analysis(paths: Sequence[Path], repeats: int) -> tuple[list[str], list[float], list[float]]:
    """Per-article ms of analyze_article, summarizer textrank vs lead, alternating which goes first."""
    from digest.analyze import analyze_article
    from digest.config import load_config

    config = load_config(REPO / "config.yaml")
    configs = {"textrank": replace(config, summarizer="textrank"), "lead": replace(config, summarizer="lead")}
    warnings: list[str] = []
    from digest.ingest import article_for_analysis

    articles = [article_for_analysis(path, warnings) for path in paths]
    samples: dict[str, list[list[float]]] = {name: [[] for _ in articles] for name in configs}
    for repeat in range(repeats):
        order = list(configs.items()) if repeat % 2 == 0 else list(reversed(configs.items()))
        for index, article in enumerate(articles):
            for name, settings in order:
                start = time.perf_counter_ns()
                analyze_article(article, settings)
                samples[name][index].append((time.perf_counter_ns() - start) / 1e6)
    medians = {name: [statistics.median(runs) for runs in per_article] for name, per_article in samples.items()}
    return [path.parent.parent.name for path in paths], medians["textrank"], medians["lead"]


# --- reporting ------------------------------------------------------------------------------------------


def machine_lines(
    started_at: datetime,
    load: str,
    packages: Sequence[str] = ("markdown-it-py", "mdit-py-plugins", "jinja2", "pyyaml"),
    libs_note: str | None = None,
) -> list[str]:
    """The header every benchmark prints: when, on what machine, with which libraries and commit."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = []
    for package in packages:
        try:
            from importlib.metadata import version

            versions.append(f"{package} {version(package)}")
        except Exception:
            versions.append(f"{package} ?")
    import yaml

    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, check=False).stdout.strip()
    return [
        f"date:    {started_at.isoformat(timespec='seconds')} (start); load average at start: {load}",
        f"machine: {usable} usable core(s) (nproc), {model}; {platform.system()} {platform.release()}",
        f"python:  {platform.python_implementation()} {platform.python_version()} ({sys.executable})",
        f"libs:    {', '.join(versions)}; "
        + (libs_note or f"libyaml CSafeLoader: {'yes' if hasattr(yaml, 'CSafeLoader') else 'no'}"),
        f"digest:  commit {commit}{' + uncommitted changes' if dirty else ''}",
    ]


_SPIN = "total = 0\nfor number in range(6_000_000):\n    total += number * number"
"""A loop of pure Python arithmetic, ~0.3-0.5 s on one core: what ``core_sharing`` times."""


def core_sharing(rounds: int = 3) -> tuple[float, float]:
    """How much two busy processes slow each other here: the median wall seconds of ``_SPIN`` alone,
    and the median ratio of the time two copies started together take (until both end) to its time
    alone, over ``rounds`` alternations. 1.0 is two independent cores. Where two cores share a
    physical one (or, on a virtual machine, its host's time), or slow down when both are busy, it
    is higher, and a build spread over both gains less from the second than one process loses to
    nothing: the ratio of a parallel build (digest) to a one-process one (Pelican) moves with it,
    from run to run. Two copies, whatever the number of cores: the machine of issue 8 has two."""

    def timed(copies: int) -> float:
        started = time.perf_counter()
        processes: list[subprocess.Popen[bytes]] = []
        try:
            for _ in range(copies):
                processes.append(subprocess.Popen([sys.executable, "-I", "-c", _SPIN]))
            for process in processes:
                if process.wait() != 0:
                    raise SystemExit(f"core_sharing: the loop exited with status {process.returncode}")
        finally:
            for process in processes:  # none left running if one failed to start
                if process.poll() is None:
                    process.kill()
                    process.wait()
        return time.perf_counter() - started

    alone: list[float] = []
    ratios: list[float] = []
    for _ in range(rounds):
        single = timed(1)
        alone.append(single)
        ratios.append(timed(2) / single)
    return statistics.median(alone), statistics.median(ratios)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(headers[i]), *(len(row[i]) for row in rows)) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.rjust(width) if i else cell.ljust(width)
                         for i, (cell, width) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return [line(headers), line(["-" * width for width in widths]), *(line(row) for row in rows)]


def spread(values: Sequence[float], scale: float = 1.0, digits: int = 2) -> str:
    """Median, with min-max in brackets when there is more than one run."""
    median = statistics.median(values) * scale
    if len(values) < 2:
        return f"{median:.{digits}f}"
    return f"{median:.{digits}f} ({min(values) * scale:.{digits}f}-{max(values) * scale:.{digits}f})"


def build_report(results: Sequence[SizeResult], repeats: int) -> list[str]:
    lines: list[str] = []
    for title, digest_field, bare_field in (
        ("Build, whole process, cold (fresh interpreter, imports, fresh output folder, no analysis cache)",
         "digest_cold", "bare_cold"),
        ("Build, whole process, analysis cached in .cache/ (fresh output folder)", "digest_cached", "bare_cold"),
        ("Rebuild, whole process, nothing changed (site/ and .cache/ in place)", "digest_nochange", "bare_cold"),
        ("Build, in-process, one process, no analysis cache, fresh output folder",
         "digest_warm", "bare_warm"),
    ):
        rows = []
        for r in results:
            digest_runs: list[float] = getattr(r, digest_field)
            bare_runs: list[float] = getattr(r, bare_field)
            digest_median, bare_median = statistics.median(digest_runs), statistics.median(bare_runs)
            rows.append([
                str(r.count),
                spread(digest_runs),
                f"{digest_median * 1000 / r.count:.2f}",
                spread(bare_runs),
                f"{bare_median * 1000 / r.count:.2f}",
                f"{digest_median / bare_median:.2f}x",
            ])
        lines += [f"{title}; median (min-max) of {repeats} run(s), seconds:", *table(
            ["N", "digest s", "digest ms/art", "bare loop s", "bare ms/art", "digest/bare"], rows), ""]
    lines.append("HTML pages written per build (digest adds the home, 404 and topic pages): " + "; ".join(
        f"N={r.count}: digest {r.digest_pages}, bare loop {r.bare_pages}" for r in results))
    lines.append("")
    rows = []
    for r in results:
        medians = {name: statistics.median(r.stages.get(name, [0.0])) * 1000 for name in STAGES}
        total = sum(medians.values())
        rows.append([str(r.count), *(f"{medians[name]:.1f}" for name in STAGES), f"{total:.1f}",
                     f"{medians['analyze'] / r.count:.2f}"])
    lines += [f"digest stages, in-process, median of {repeats} run(s), ms:", *table(
        ["N", *STAGES, "total", "analyze ms/art"], rows)]
    largest = results[-1]
    medians = {name: statistics.median(largest.stages.get(name, [0.0])) for name in STAGES}
    total = sum(medians.values()) or 1.0
    shares = sorted(medians.items(), key=lambda item: -item[1])
    lines.append(f"share of the stages at N={largest.count}: "
                 + ", ".join(f"{name} {seconds / total:.0%}" for name, seconds in shares if seconds / total >= 0.005))
    return lines


def analysis_report(groups: Sequence[str], textrank: Sequence[float], lead: Sequence[float],
                    repeats: int, source: str) -> list[str]:
    rows = []
    merged: dict[str, list[int]] = {}
    for index, group in enumerate(groups):
        merged.setdefault("synthetic" if group == "raw" else group, []).append(index)
    merged["all"] = list(range(len(groups)))
    for label, indexes in merged.items():
        tr = [textrank[i] for i in indexes]
        ld = [lead[i] for i in indexes]
        rows.append([label, str(len(indexes)),
                     f"{statistics.median(tr):.2f}", f"{p95(tr):.2f}", f"{sum(tr):.0f}",
                     f"{statistics.median(ld):.2f}", f"{p95(ld):.2f}", f"{sum(ld):.0f}",
                     f"{statistics.median(tr) / statistics.median(ld):.2f}x"])
    return [
        f"analyze_article per article ({source}); each article's median of {repeats} run(s), ms; "
        "peer: the same call with summarizer 'lead':",
        *table(["articles", "n", "textrank med", "p95", "sum", "lead med", "p95", "sum", "textrank/lead"], rows),
    ]


# --- main -----------------------------------------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark digest's build and analysis against named peers.")
    parser.add_argument("--sizes", type=parse_sizes, default=[50, 200, 1000],
                        help="project sizes in articles, comma-separated (default: 50,200,1000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each measurement (default: 3)")
    parser.add_argument("--corpus", type=Path, default=CORPUS,
                        help=f"the development corpus (default: {CORPUS}); synthetic text when absent")
    parser.add_argument("--bare-loop", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_loop is not None:
        return bare_main(args.bare_loop)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    corpus = args.corpus.resolve()
    sys.path.insert(0, str(REPO))
    started = time.perf_counter()
    started_at = datetime.now().astimezone()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "?"

    present = bool(bbc_paths(corpus))
    sources, source_note = article_sources(corpus)

    results: list[SizeResult] = []
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as temp:
        for count in args.sizes:
            project = Path(temp) / f"n{count}"
            say(f"building a project of {count} articles in {project}")
            make_project(project, count, sources)
            results.append(bench_size(project, count, args.repeats))
            shutil.rmtree(project, ignore_errors=True)

        say("timing analyze_article")
        if present:
            bbc, cnn = bbc_paths(corpus), cnn_paths(corpus)
            paths = bbc + cnn
            analysis_source = f"{len(bbc)} BBC + {len(cnn)} CNN dev articles"
        else:
            raw = Path(temp) / "raw" / "synthetic"
            raw.mkdir(parents=True)
            paths = []
            for index, (title, paragraphs) in enumerate(synthetic_sources(150, seed=7)):
                path = raw / f"{index:03d}.txt"
                path.write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
                paths.append(path)
            analysis_source = "150 SYNTHETIC articles (corpus absent)"
        groups, textrank, lead = bench_analysis(paths, args.repeats)

    sizes = ",".join(str(count) for count in args.sizes)
    corpus_flag = "" if corpus == CORPUS.resolve() else f" --corpus {corpus}"
    out: list[str] = [
        "digest benchmark (bench/bench_build.py)",
        *machine_lines(started_at, load),
        f"input:   {source_note}",
        "peer:    bare loop = PyYAML + markdown-it-py ('commonmark', html off) + a trivial Jinja2 template,"
        " one <slug>/index.html per article; nothing else",
        "",
        *build_report(results, args.repeats),
        "",
        *analysis_report(groups, textrank, lead, args.repeats, analysis_source),
        "",
        f"whole benchmark: {time.perf_counter() - started:.0f} s",
        f"rerun:   make bench    or    {RERUN} --sizes {sizes} --repeats {args.repeats}{corpus_flag}",
    ]
    print("\n".join(out))
    return 0

if __name__ == "__main__":
    sys.exit(main())
