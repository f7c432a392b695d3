"""Command line: ``python build.py [build|ingest|analyze] ...``. No traceback reaches the user."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from digest.blas import one_blas_thread
from digest.config import CONFIG_NAME, SUMMARY_SENTENCES, SUMMARY_WORDS, Config, load_config
from digest.errors import BuildErrors, CacheNotSaved, DigestError, display_path, missing_package
from digest.projectlock import project_lock, say_waiting

if TYPE_CHECKING:
    from digest.uptodate import Snapshot

# The analysis, ingest and rendering modules are imported by the commands that use them: a build
# that finds nothing changed (digest.uptodate) is done before they would have finished loading.

COMMANDS = ("build", "ingest", "analyze", "serve", "deploy")


def _whole(minimum: int, meaning: str = "", most: int | None = None) -> Callable[[str], int]:
    """An argument type: a whole number of at least ``minimum`` (and at most ``most``, when given); a
    wrong one exits 2, as argparse's own errors do."""
    def number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if value < minimum or (most is not None and value > most):
            within = f"from {minimum} to {most}" if most is not None else f"{minimum}{meaning} or more"
            raise argparse.ArgumentTypeError(f"must be {within}, not {value}")
        return value
    return number


def _date(text: str) -> datetime:
    from digest.frontmatter import parse_date

    try:
        return parse_date(text)
    except ValueError as problem:
        raise argparse.ArgumentTypeError(str(problem)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="build.py",
        description="digest: turn a pile of articles into a digest site. With no command, builds.",
    )
    sub = parser.add_subparsers(dest="command")
    build_cmd = sub.add_parser("build", help="ingest the inbox, analyse content/ and write site/ (the default)")
    build_cmd.add_argument("--config", type=Path, help="the config file (default: config.yaml)")
    build_cmd.add_argument("--no-cache", action="store_true",
                           help="analyse every article again instead of reusing .cache/ (same output)")
    build_cmd.add_argument("--workers", type=_whole(0, " (one per core)"), default=0, metavar="N",
                           help="processes for parsing, analysis, ingest and rendering of large batches "
                                "(default: one per core; 1: none)")
    build_cmd.add_argument("--keep-going", action="store_true",
                           help="leave out articles and inbox files with errors, build the rest (still exits 1)")
    build_cmd.add_argument("--profile", action="store_true",
                           help="after each stage's line, the functions that took longest in it (this process "
                                "only, not its worker processes; slower); builds even when nothing changed")

    ingest_cmd = sub.add_parser("ingest", help="turn raw articles into content/articles/<slug>.md")
    ingest_cmd.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                            help="raw files or folders (searched recursively)")
    ingest_cmd.add_argument("--config", type=Path, help="the config file (default: config.yaml)")
    ingest_cmd.add_argument("--force", action="store_true", help="replace files even if you edited them")
    ingest_cmd.add_argument("--dry-run", action="store_true", help="show what would be written; write nothing")
    ingest_cmd.add_argument("--date", type=_date,
                            help="publication date for these articles (YYYY-MM-DD[THH:MM+00:00])")
    ingest_cmd.add_argument("--workers", type=_whole(1), default=os.cpu_count() or 1, metavar="N",
                            help="processes converting a large batch (default: one per core)")

    serve_cmd = sub.add_parser("serve", help="preview the site: rebuild on every save and reload the browser")
    serve_cmd.add_argument("--config", type=Path, help="the config file (default: config.yaml)")
    serve_cmd.add_argument("--host", default="127.0.0.1",
                           help="address to listen on (default 127.0.0.1; anything else is visible to your network)")
    serve_cmd.add_argument("--port", type=_whole(1, most=65535), help="port (default 8000, or the next free one)")
    serve_cmd.add_argument("--open", action="store_true", help="open the preview in your browser")

    analyze_cmd = sub.add_parser("analyze", help="print the analysis of articles; builds and writes nothing")
    # Kept as typed: the JSON 'path' is exactly what was given on the command line.
    analyze_cmd.add_argument("paths", nargs="+", metavar="FILE", help="raw (.txt, .html) or Markdown articles")
    analyze_cmd.add_argument("--json", action="store_true", help="one JSON object per line per file")
    analyze_cmd.add_argument("--config", type=Path, help="the config file (default: config.yaml, if present)")
    budget = analyze_cmd.add_mutually_exclusive_group()
    # The same ranges as config.yaml's analysis.summary_sentences and summary_words.
    budget.add_argument("--summary-sentences", type=_whole(SUMMARY_SENTENCES[0], most=SUMMARY_SENTENCES[1]),
                        metavar="N", help="summary length in sentences")
    budget.add_argument("--summary-words", type=_whole(SUMMARY_WORDS[0], most=SUMMARY_WORDS[1]), metavar="N",
                        help="summary length in words")

    deploy_cmd = sub.add_parser("deploy", help="build, then commit site/ onto the gh-pages branch and push it")
    deploy_cmd.add_argument("--config", type=Path, help="the config file (default: config.yaml)")
    deploy_cmd.add_argument("--no-build", action="store_true", help="publish site/ as it is, without building")
    deploy_cmd.add_argument("--dry-run", action="store_true",
                            help="show what would be pushed (files, tree, parent); commit and push nothing")
    deploy_cmd.add_argument("--force", action="store_true",
                            help="replace the branch's history with this one commit (force-push)")
    deploy_cmd.add_argument("--branch", metavar="B", help="the branch to publish to (default: deploy.branch, gh-pages)")
    deploy_cmd.add_argument("--remote", metavar="R", help="the git remote to push to (default: deploy.remote, origin)")
    deploy_cmd.add_argument("--message", metavar="M",
                            help="the commit's first line (the source commit and time are always recorded)")
    return parser


def _report_error(error: DigestError) -> None:
    errors = error.errors if isinstance(error, BuildErrors) else [error]
    for item in errors:
        print(f"error: {item}", file=sys.stderr)
    if len(errors) > 1:
        # What was left as it was is the caller's to say: a build's ingest may have written articles.
        print(f"{len(errors)} problems", file=sys.stderr)


def config_of(args: argparse.Namespace) -> Config:
    """The config named by --config (which must exist), else ./config.yaml or the defaults."""
    explicit: Path | None = args.config
    return load_config(explicit or Path(CONFIG_NAME), required=explicit is not None)


def run_build(args: argparse.Namespace) -> int:
    from digest.uptodate import snapshot, unchanged

    start = time.perf_counter()
    config_path = args.config or Path(CONFIG_NAME)
    config = load_config(config_path, required=args.config is not None)
    checked = not args.no_cache and not args.profile

    def up_to_date(since: float) -> tuple[Snapshot | None, int | None]:
        """The inputs as they are now, and the last build's exit code when they are the ones it built."""
        if not checked:
            return None, None
        now = snapshot(config, config_path, {"required": args.config is not None, "keep_going": args.keep_going})
        last = unchanged(config, now)
        if last is None:
            return now, None
        for line in last.messages:
            print(line, file=sys.stderr)
        print(f"nothing changed since the last build: {display_path(config.output_dir)}/ is up to date "
              f"({last.pages} pages, {last.files} files; {last.checked} files checked in "
              f"{time.perf_counter() - since:.2f} s)")
        return now, last.code

    def before_waiting(root: Path) -> None:
        """Another build of the project runs: nothing to wait for if site/ is up to date already
        (a check that only reads: what site/ was made from, and the inputs)."""
        code = up_to_date(start)[1]
        if code is not None:
            raise _UpToDate(code)
        say_waiting(root)

    try:
        with project_lock(config.root, waiting=before_waiting) as waited:  # one build of a project at a time
            # Checked here, under the lock: the build that held it may have built these very inputs.
            before, code = up_to_date(time.perf_counter() if waited else start)
            if code is not None:
                return code
            return _build_and_record(args, config, config_path, before, start)
    except _UpToDate as done:
        return done.code


class _UpToDate(Exception):
    """site/ is up to date: no need to wait for the build that holds the lock."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _build_and_record(args: argparse.Namespace, config: Config, config_path: Path, before: Snapshot | None,
                      start: float) -> int:
    from digest.heap import one_arena
    from digest.pipeline import build
    from digest.uptodate import record

    one_arena()  # a command-line build, before any thread starts (see digest.heap)
    result = build(config_path, required=args.config is not None,
                   use_cache=not args.no_cache, workers=args.workers, keep_going=args.keep_going,
                   profile=args.profile, progress=partial(_progress_bar, stage="analyze"))
    messages = [f"warning: {warning}" for warning in result.warnings]
    messages += [f"warning: skipped {error}" for error in result.skipped]
    if result.skipped:
        # Like make -k: the rest is built, but the exit code still says something was wrong.
        names = sorted({display_path(error.path) for error in result.skipped})
        messages.append(f"--keep-going: skipped {len(names)} file(s) with errors: {', '.join(names)}")
    code = 1 if result.skipped else 0
    for line in messages[:len(messages) - bool(result.skipped)]:
        print(line, file=sys.stderr)
    print(f"built {result.pages} pages ({result.files} files) in {time.perf_counter() - start:.2f} s"
          f" -> {display_path(result.output)}")
    if result.skipped:
        print(messages[-1], file=sys.stderr)
    if before is not None:
        with contextlib.suppress(OSError, CacheNotSaved):  # only speed depends on it
            record(config, before, messages, code, result.pages, result.files, result.outputs)
    _FINISHED[:] = [result]
    return code


_FINISHED: list[object] = []
"""The last build's result (with its site model, ``BuildResult.model``), kept until ``run`` ends
the process without freeing it object by object."""


def _progress_bar(done: int, total: int, stage: str = "ingest") -> None:
    """A one-line progress bar on stderr, only on a terminal and only for batches worth watching."""
    if total < 20 or not sys.stderr.isatty():
        return
    width = 30
    filled = width * done // total
    end = "\n" if done == total else ""
    print(f"\r{stage:<8} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, file=sys.stderr,
          flush=True)


def run_ingest(args: argparse.Namespace) -> int:
    from digest.ingest import ingest as ingest_paths

    config = config_of(args)
    # One at a time per project, as builds (a dry run writes nothing: it need not wait).
    with contextlib.nullcontext() if args.dry_run else project_lock(config.root):
        report = ingest_paths(args.paths, config.content_dir, config.root, force=args.force, dry_run=args.dry_run,
                              date=args.date, workers=args.workers, progress=_progress_bar)
    for line in report.written:
        print(f"written    {line}")
    for line in report.unchanged:
        print(f"unchanged  {line}")
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for failure in report.failed:
        print(f"error: {failure}", file=sys.stderr)
    # The closing table: every file counted once, with why for what was not written.
    print(f"ingest: {report.summary()}")
    for name, why in report.skipped:
        print(f"  skipped  {name}: {why}")
    for failure in report.failed:
        print(f"  failed   {failure}")
    return 1 if report.failed else 0


def run_analyze(args: argparse.Namespace) -> int:
    from digest.analyze import analyze_article
    from digest.collect import with_discovered_topics
    from digest.ingest import article_for_analysis
    from digest.models import AnalyzedArticle

    config = config_of(args)
    if args.summary_sentences is not None:
        config = replace(config, summary_sentences=args.summary_sentences, summary_words=None)
    if args.summary_words is not None:
        config = replace(config, summary_words=args.summary_words)
    warnings: list[str] = []
    results: list[tuple[str, AnalyzedArticle | None]] = []
    failed = 0
    for given in args.paths:
        try:
            article = article_for_analysis(Path(given), warnings)
            results.append((given, AnalyzedArticle(article, analyze_article(article, config))))
        except DigestError as error:
            _report_error(error)
            results.append((given, None))
            failed += 1
    done = [item for _, item in results if item is not None]
    with_topics, _ = with_discovered_topics(done, config)
    analyzed = iter(with_topics)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for shown, item in results:
        if item is None:
            continue
        finished = next(analyzed)
        analysis = finished.analysis
        record = {
            "path": shown,
            "title": finished.article.title,
            "summary": list(analysis.summary),
            "quotes": [{"text": quote.text, "speaker": quote.speaker} for quote in analysis.quotes],
            "keywords": list(analysis.keywords),
            "topics": list(analysis.topics),
        }
        if args.json:
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(f"{shown}\n  title:    {record['title']}")
            for sentence in analysis.summary:
                print(f"  summary:  {sentence}")
            for quote in analysis.quotes:
                print(f"  quote:    “{quote.text}” — {quote.speaker or 'unattributed'}")
            print(f"  keywords: {', '.join(analysis.keywords)}\n  topics:   {', '.join(analysis.topics)}")
    return 1 if failed else 0


def run_deploy(args: argparse.Namespace) -> int:
    from digest.pipeline import build
    from digest.publish import Publisher  # only deploy runs git

    config = config_of(args)
    publisher = Publisher(config, args.config, remote=args.remote, branch=args.branch)
    publisher.prepare()  # the repository, the remote and base_url are checked before a build is spent
    if not args.no_build:
        from digest.heap import one_arena

        one_arena()
        start = time.perf_counter()
        try:
            result = build(args.config or Path(CONFIG_NAME), required=args.config is not None)
        except DigestError as error:
            _report_error(error)
            print("build stopped; site/ was left as it was; nothing was pushed", file=sys.stderr)
            return 1
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"built {result.pages} pages ({result.files} files) in {time.perf_counter() - start:.2f} s"
              f" -> {display_path(result.output)}")
    publisher.publish(message=args.message, force=args.force, dry_run=args.dry_run)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    one_blas_thread()  # now, while this is the only thread (the preview analyses in one of its own)
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if arguments and not arguments[0].startswith("-") and arguments[0] not in COMMANDS:
        close = difflib.get_close_matches(arguments[0], COMMANDS, n=1)
        parser.error(f"unknown command '{arguments[0]}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    if not arguments or (arguments[0] not in COMMANDS and arguments[0] not in ("-h", "--help")):
        arguments = ["build", *arguments]
    args = parser.parse_args(arguments)
    try:
        if args.command == "analyze":
            return run_analyze(args)
        if args.command == "serve":
            from digest.serve import serve  # only the preview needs watchdog and the HTTP server

            config_of(args)  # a bad or missing --config is reported before anything starts
            return serve(args.config or Path(CONFIG_NAME), host=args.host, port=args.port or 8000,
                         explicit_port=args.port is not None, open_browser=args.open)
        if args.command == "ingest":
            return run_ingest(args)
        if args.command == "deploy":
            return run_deploy(args)
        return run_build(args)
    except DigestError as error:
        _report_error(error)
        if args.command == "build":
            print("build stopped; site/ was left as it was", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except ModuleNotFoundError as error:  # imported late (the preview's watchdog, ingest's trafilatura)
        if (line := missing_package(error)) is None:
            return _internal_error(error)
        print(line, file=sys.stderr)
        return 1
    except Exception as error:  # a bug in digest, not in the user's files
        return _internal_error(error)


def _internal_error(error: Exception) -> int:
    if os.environ.get("DIGEST_DEBUG"):
        traceback.print_exception(error)
    print(f"internal error: {type(error).__name__}: {error} "
          "(a bug in digest; set DIGEST_DEBUG=1 to see where, and please report it)", file=sys.stderr)
    return 70


def run() -> NoReturn:
    """``main`` as a program: once the output is flushed, the process ends at once, without
    freeing a big build's objects one by one (at 5,000 articles that took most of a second)."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a closed pipe (build.py | head): nothing more to say there
            stream.flush()
    os._exit(code)

