"""The search index's part size: what the editor's build gains from smaller parts, and what every
reader's search pays for them.

A big site's search index comes in parts (``digest.search.PART_RECORDS`` articles at most, on
average; ``part_count`` makes it a power of two). A smaller part is quicker to index again after
an edit, and two small ones build side by side within Pagefind's memory budget; but the search page
fetches each part's entry, metadata and word chunks. For each size N of the generated corpus of
``bench_peers.py``, this builds the site with the parts as they are and with half of them
(alternating), then:

- times a cold build with no cache (its search stage, the process tree's peak memory) and builds
  after an edit to one article (a paragraph added and removed by turns);
- serves each site on 127.0.0.1 and searches it in headless Chromium (Playwright), with no added
  latency and with 80 ms and 2.5 MB/s (Chromium's network emulation), timing from the query typed
  to the first result, and counting what the page and its worker fetched from ``pagefind/``.

Rerun: ``.venv/bin/python bench/bench_search_parts.py`` (``--sizes 1000,5000 --edits 5``; about
three minutes). Figures and what was decided from them: bench/README.md, "Parts of the search
index half the size".
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_peers import corpus, run_measured, write_digest  # noqa: E402

from digest.search import PART_RECORDS  # noqa: E402
from tests.sitecheck import serve  # noqa: E402 - the tests' static server on 127.0.0.1

# A build with another part size: the same code, its one setting changed before it runs.
LAUNCH = ("import sys, digest.search; digest.search.PART_RECORDS = int(sys.argv[1]); "
          "sys.argv = ['build.py', *sys.argv[2:]]; from digest.cli import run; run()")
QUERIES = ("council budget", "storm", "minister said")
LATENCIES = (0.0, 80.0)
THROUGHPUT = 2_500_000
"""Bytes a second, down, for the emulated slow connection."""
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
EDIT = "\nA paragraph added by bench_search_parts.py, about the council's budget for the storm.\n"


@dataclass
class Variant:
    part_records: int
    project: Path
    cold: list[tuple[float, float, float]] = field(default_factory=list)
    """Each cold build: wall seconds, its search stage's seconds, the tree's peak MiB."""
    edits: list[float] = field(default_factory=list)
    searches: dict[float, list[tuple[float, int, int]]] = field(default_factory=dict)
    """By added latency: each query's seconds to its first result, requests and KiB fetched."""
    parts: int = 0


def build(variant: Variant, *args: str) -> tuple[float, float, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = run_measured([sys.executable, "-c", LAUNCH, str(variant.part_records), "build", *args],
                       variant.project, env)
    stage = re.search(r"^search\s+([0-9.]+) ms", run.output, re.MULTILINE)
    return run.seconds, float(stage.group(1)) / 1000 if stage else 0.0, run.tree_kib / 1024


def cold_build(variant: Variant) -> None:
    for name in ("site", ".cache"):
        shutil.rmtree(variant.project / name, ignore_errors=True)
    variant.cold.append(build(variant, "--no-cache"))
    build(variant)  # the cache the edits build with
    variant.parts = 1 + sum(1 for path in (variant.project / "site" / "pagefind").glob("part-*"))


def edit_build(variant: Variant, number: int) -> None:
    article = sorted((variant.project / "content" / "articles").glob("*.md"))[number]
    text = article.read_text(encoding="utf-8")
    article.write_text(text[:-len(EDIT)] if text.endswith(EDIT) else text + EDIT, encoding="utf-8")
    variant.edits.append(build(variant)[0])


def searches(variant: Variant, browser: Any) -> None:
    with serve(variant.project / "site") as base:
        for latency in LATENCIES:
            for query in QUERIES:
                variant.searches.setdefault(latency, []).append(search(browser, f"{base}/search/", query, latency))


def search(browser: Any, address: str, query: str, latency: float) -> tuple[float, int, int]:
    context = browser.new_context()
    try:
        fetched: list[Any] = []
        # The context's requests include the search worker's, which the page's own timing leaves out.
        context.on("requestfinished", lambda request: fetched.append(request) if "/pagefind/" in request.url else None)
        page = context.new_page()
        if latency:
            session = context.new_cdp_session(page)
            session.send("Network.enable")
            session.send("Network.emulateNetworkConditions", {
                "offline": False, "latency": latency, "downloadThroughput": THROUGHPUT,
                "uploadThroughput": THROUGHPUT})
        page.goto(address)
        page.wait_for_selector("#search input")
        start = time.perf_counter()
        page.fill("#search input", query)
        page.wait_for_selector(".pagefind-ui__result", timeout=60_000)
        seconds = time.perf_counter() - start
        page.wait_for_timeout(1500)  # what the first results still fetch (their excerpts)
        size = sum(request.sizes()["responseBodySize"] for request in fetched)
        return seconds, len(fetched), size // 1024
    finally:
        context.close()


def span(values: Sequence[float], digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def report(results: dict[int, list[Variant]]) -> list[str]:
    lines = ["", "builds: median (min-max) wall seconds; search = the no-cache build's search stage",
             f"{'N':>6}  {'articles/part':>13}  {'parts':>5}  {'no cache':>20}  {'search stage':>20}  "
             f"{'peak MiB':>9}  {'after an edit':>20}"]
    for size, variants in results.items():
        for variant in variants:
            walls, stages, peaks = zip(*variant.cold, strict=True)
            lines.append(f"{size:>6,}  {variant.part_records:>13}  {variant.parts:>5}  {span(walls):>20}  "
                         f"{span(stages):>20}  {max(peaks):>9.0f}  {span(variant.edits):>20}")
    lines += ["", "searches in headless Chromium: seconds from the query typed to the first result, median "
              f"(min-max) of {len(QUERIES)} queries; requests and KiB fetched from pagefind/",
              f"{'N':>6}  {'articles/part':>13}  {'parts':>5}  {'latency':>8}  {'first result s':>20}  "
              f"{'requests':>9}  {'KiB':>12}"]
    for size, variants in results.items():
        for variant in variants:
            for latency, found in variant.searches.items():
                seconds, requests, kib = zip(*found, strict=True)
                lines.append(f"{size:>6,}  {variant.part_records:>13}  {variant.parts:>5}  {latency:>6.0f}ms  "
                             f"{span(seconds):>20}  {min(requests):>4}-{max(requests):<4}  "
                             f"{min(kib):>5}-{max(kib):<6}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000", help="articles, comma-separated (default 1000,5000)")
    parser.add_argument("--edits", type=int, default=5, help="builds after an edit per part size (default 5)")
    parser.add_argument("--rounds", type=int, default=1, help="no-cache builds per part size (default 1)")
    args = parser.parse_args(argv)
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",")]
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    print(f"search index parts (bench/bench_search_parts.py): the parts as they are ({PART_RECORDS} "
          f"articles at most, on average) against half; sizes {sizes}", flush=True)
    results: dict[int, list[Variant]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-parts-") as scratch, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        for size in sizes:
            articles = corpus(size)
            variants = []
            for part_records in (PART_RECORDS, PART_RECORDS // 2):
                project = Path(scratch) / f"{size}-{part_records}"
                write_digest(project, articles, REPO)
                variants.append(Variant(part_records, project))
            for _ in range(args.rounds):
                for variant in variants:  # alternating: both meet the machine's same phase
                    cold_build(variant)
            for _ in range(args.edits):
                for variant in variants:
                    edit_build(variant, size // 2)
            for variant in variants:
                searches(variant, browser)
                shutil.rmtree(variant.project / ".cache", ignore_errors=True)
            results[size] = variants
            print(f"  N={size:,} done", flush=True)
        browser.close()
    print("\n".join(report(results)))
    print("\nrerun: .venv/bin/python bench/bench_search_parts.py --sizes " + ",".join(map(str, sizes))
          + f" --edits {args.edits} --rounds {args.rounds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
