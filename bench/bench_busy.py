#!/usr/bin/env python3
"""Build times beside other busy programs: digest, Hugo and Pelican, idle and with every core busy.

A writer's laptop is seldom idle. This runs the bench's generated site (``bench_peers.corpus``, the
first N articles) with each tool twice per round: on an idle machine, and beside one busy program per
usable core (a Python loop at the usual priority, as a compile or a test run would be). digest runs
a cold build with no cache and, over that site, a build after one article gained a paragraph (the
second of two such edits is timed, as in bench_peers.py). It prints the medians, each tool's
slowdown beside the busy programs, and digest's stage timings in both.

The busy programs run in the tool's own session, as a second job of the same terminal, a CI step's
other work or ``make -j`` would: Linux shares the CPU between sessions first where its autogroup is
on (it is here), so programs of another session would leave a tool one session's share, however
many processes it runs and at whatever priority. Each run's command is ``BESIDE``, which starts the
busy programs and then becomes the tool (the idle runs go through it too, with none).

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
import statistics
import sys
import tempfile
from collections.abc import Sequence
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
"""A program that keeps a core busy until the tool that started it ends (its parent then changes)."""
BESIDE = ("import os, subprocess, sys\n"
          "for _ in range(int(sys.argv[1])):\n"
          "    subprocess.Popen([sys.executable, '-c', sys.argv[2]], process_group=0)\n"
          "os.execv(sys.argv[3], sys.argv[3:])\n")
"""Start the busy programs, then become the tool's command: they share its session, each in a process
group of its own (the tree's memory and the CPU time measured stay the tool's), and end with it."""


def beside(busy: int, command: list[str]) -> list[str]:
    """``command`` run with ``busy`` busy programs beside it, in its session."""
    return [sys.executable, "-c", BESIDE, str(busy), BUSY_LOOP, *command]


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
        busy = {"idle": 0, "busy": cores}  # busy programs beside each run
        build = [sys.executable, str(source / "build.py"), "build", "--config", str(digest_root / "config.yaml")]
        edited = digest_root / "content" / "articles" / f"{articles[len(articles) // 2].slug}.md"
        original = edited.read_bytes()

        def timed(name: str, condition: str, command: list[str], cwd: Path) -> None:
            run = run_measured(beside(busy[condition], command), cwd)
            runs.setdefault((name, condition), []).append(run)
            say(f"  {condition:<5} {name:<28} {run.seconds:7.2f} s")

        for repeat in range(args.repeats):
            for condition in CONDITIONS:
                say(f"round {repeat + 1}/{args.repeats}, {condition}")
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
                run_measured(beside(busy[condition], build), digest_root)  # untimed: the first edit
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
        f"each idle then beside {cores} busy program(s) (one per usable core, usual priority, in the tool's session)",
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
