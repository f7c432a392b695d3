#!/usr/bin/env python3
"""Build times beside other busy programs: digest, Hugo and Pelican, idle and with every core busy.

A writer's laptop is seldom idle. This runs the bench's generated site (``bench_peers.corpus``, the
first N articles) with each tool twice per round: on an idle machine, and beside one busy program per
usable core (a Python loop at the usual priority, as a compile or a video call would be). digest runs
a cold build with no cache and, over that site, a build after one article gained a paragraph (the
second of two such edits is timed, as in bench_peers.py). It prints the medians, each tool's
slowdown beside the busy programs, and digest's stage timings in both.

A tool that uses every core shares them with the busy programs: with two cores, two busy programs
and two of digest's workers, each gets half a core, so ~2x is what sharing fairly costs; a
single-process tool (Pelican) gets two thirds of a core, ~1.5x. Far more means the build gave its
work away: before 2ecbc6f digest ran the Pagefind processes it starts early at the lowest priority,
and beside two busy programs its cold build of 1,000 articles took 78-84 s instead of 11-13
(bench/README.md). The check line fails above 3x.

Rerun:  make bench
   or:  .venv/bin/python bench/bench_busy.py [--articles 1000] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from bench_build import machine_lines, say, table
from bench_peers import (
    EDITED_PARAGRAPHS,
    PEERS_VENV,
    Run,
    Trash,
    compile_analysis,
    compile_digest,
    corpus,
    export_head,
    run_measured,
    write_digest,
    write_hugo,
    write_pelican,
)
from bench_serve import hugo_binary

CONDITIONS = ("idle", "busy")
COLD, EDIT = "digest, no cache", "digest, one article edited"
MAX_SLOWDOWN = 3.0
"""The check's bound on digest's slowdown beside one busy program per core (fair sharing: ~2x)."""
STAGES = ("read", "analyze", "collect", "render", "search")


BUSY_LOOP = "import os\nparent = os.getppid()\nwhile os.getppid() == parent:\n    for _ in range(100_000): pass\n"
"""A program that keeps a core busy until this one ends (killed or not: its parent then changes)."""


@contextmanager
def busy_programs(count: int) -> Iterator[None]:
    """``count`` programs that keep a core each busy, at the usual priority, while the block runs."""
    loops: list[subprocess.Popen[bytes]] = []
    try:
        loops.extend(subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(count))
        time.sleep(0.5)  # running before the first timed build starts
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


def stage_ms(run: Run) -> dict[str, float]:
    """The stage lines digest printed: name -> ms."""
    found = {}
    for line in run.output.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in STAGES and parts[2] == "ms":
            found[parts[0]] = float(parts[1])
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build times of digest, Hugo and Pelican on an idle machine "
                                     "and beside one busy program per core.")
    parser.add_argument("--articles", type=int, default=1000, help="articles in the site (default: 1000)")
    parser.add_argument("--repeats", type=int, default=2, help="rounds, each idle then busy (default: 2)")
    args = parser.parse_args(argv)
    if args.articles < 1 or args.repeats < 1:
        parser.error("--articles and --repeats: at least 1")
    # ``make bench`` stopped: the busy programs are killed on the way out (``busy_programs``).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    started_at = datetime.now().astimezone()
    load_start = " ".join(f"{value:.2f}" for value in os.getloadavg())
    hugo, hugo_note = hugo_binary(None)
    pelican = PEERS_VENV / "bin" / "pelican"
    missing = [*([] if hugo is not None else [f"hugo ({hugo_note})"]),
               *([] if pelican.is_file() else [f"pelican ({pelican}; make bench installs it)"])]
    for note in missing:
        say(f"not installed, left out: {note}")
    runs: dict[tuple[str, str], list[Run]] = {}

    with tempfile.TemporaryDirectory(prefix="digest-busy-") as temp:
        work = Path(temp)
        source = work / "digest-head"
        commit = export_head(source)
        compile_digest(source)
        compiled = compile_analysis(source)
        articles = corpus(args.articles)
        say(f"writing the projects of {args.articles:,} articles in {work}")
        digest_root, hugo_root, pelican_root = work / "digest", work / "hugo", work / "pelican"
        write_digest(digest_root, articles, source)
        if hugo is not None:
            write_hugo(hugo_root, articles)
        if pelican.is_file():
            write_pelican(pelican_root, articles)
        trash = Trash(work / ".trash")
        build = [sys.executable, str(source / "build.py"), "build", "--config", str(digest_root / "config.yaml")]
        edited = digest_root / "content" / "articles" / f"{articles[len(articles) // 2].slug}.md"
        original = edited.read_bytes()

        def timed(name: str, condition: str, command: list[str], cwd: Path) -> None:
            run = run_measured(command, cwd)
            runs.setdefault((name, condition), []).append(run)
            say(f"  {condition:<5} {name:<28} {run.seconds:7.2f} s")

        for repeat in range(args.repeats):
            for condition in CONDITIONS:
                say(f"round {repeat + 1}/{args.repeats}, {condition}")
                with busy_programs(cores if condition == "busy" else 0):
                    trash.set_aside(digest_root / "site")
                    trash.set_aside(digest_root / ".cache")
                    timed(COLD, condition, build, digest_root)
                    if hugo is not None:
                        trash.set_aside(hugo_root / "public")
                        trash.set_aside(hugo_root / "cache")
                        timed("hugo", condition, [str(hugo), "--quiet", "--noBuildLock", "--cacheDir",
                                                  str(hugo_root / "cache")], hugo_root)
                    if pelican.is_file():
                        trash.set_aside(pelican_root / "output")
                        timed("pelican", condition, [str(pelican), "content", "--output", "output", "--settings",
                                                     "pelicanconf.py", "--quiet"], pelican_root)
                    edited.write_bytes(original + EDITED_PARAGRAPHS[0].encode("utf-8"))
                    run_measured(build, digest_root)  # untimed: the first edit
                    edited.write_bytes(original + "".join(EDITED_PARAGRAPHS).encode("utf-8"))
                    timed(EDIT, condition, build, digest_root)
                    edited.write_bytes(original)
        trash.empty()

    names = [name for name in (COLD, EDIT, "hugo", "pelican") if (name, "idle") in runs]
    median = {key: statistics.median(run.seconds for run in value) for key, value in runs.items()}
    rows = [[name, f"{median[name, 'idle']:.2f}", f"{median[name, 'busy']:.2f}",
             f"{median[name, 'busy'] / median[name, 'idle']:.2f}x",
             f"{statistics.median(run.cpu for run in runs[name, 'busy']):.2f}"] for name in names]
    stage_rows = []
    for name in (COLD, EDIT):
        for condition in CONDITIONS:
            stages = [stage_ms(run) for run in runs[name, condition]]
            stage_rows.append([name, condition, *(f"{statistics.median(s.get(stage, 0) for s in stages):.0f}"
                                                  for stage in STAGES)])
    slowdown = median[COLD, "busy"] / median[COLD, "idle"]
    out = [
        "Build times beside busy programs (bench/bench_busy.py)",
        *machine_lines(started_at, load_start)[:4],
        f"digest:  HEAD {commit} (git archive); {compiled}",
        f"site:    the first {args.articles:,} articles of bench_peers.py's corpus; {args.repeats} round(s), "
        f"each idle then beside {cores} busy program(s) (one per usable core, usual priority)",
        *(f"left out: {note}" for note in missing),
        "",
        "median wall seconds; slowdown = busy / idle; cpu s = median CPU seconds of the busy runs:",
        *table(["tool", "idle s", "busy s", "slowdown", "cpu s"], rows),
        "",
        "digest's stage timings, median ms:",
        *table(["build", "machine", *STAGES], stage_rows),
        "",
        f"{'PASS' if slowdown <= MAX_SLOWDOWN else 'FAIL'}  digest's cold build beside {cores} busy program(s) "
        f"<= {MAX_SLOWDOWN:.0f}x its idle time: {slowdown:.2f}x (sharing the cores fairly: ~2x or less)",
        "",
        "rerun:   make bench    or    .venv/bin/python bench/bench_busy.py "
        f"--articles {args.articles} --repeats {args.repeats}",
    ]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
