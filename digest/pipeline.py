"""build(): the stages, top to bottom, each timed. Every build is a full, correct build."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from digest.cache import AnalysisCache, analyze_all
from digest.collect import collect
from digest.config import load_config
from digest.errors import BuildErrors
from digest.ingest import ingest
from digest.read import read_content
from digest.render import render_site
from digest.theme import load_theme
from digest.write import write_site


@dataclass(slots=True)
class BuildResult:
    output: Path = Path("site")
    pages: int = 0
    files: int = 0
    changed: bool = False
    timings: list[tuple[str, float, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Stages:
    """Times each stage and reports it as one line when it ends."""

    def __init__(self, result: BuildResult, echo: Callable[[str], None]) -> None:
        self.result = result
        self.echo = echo
        self.detail = ""

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.detail = ""
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        self.result.timings.append((name, seconds, self.detail))
        self.echo(f"{name:<8} {seconds * 1000:8.1f} ms  {self.detail}".rstrip())


def build(
    config_path: Path,
    echo: Callable[[str], None] = print,
    required: bool = False,
    use_cache: bool = True,
    workers: int = 0,
) -> BuildResult:
    """Load the config, ingest the inbox, read content/, analyse, collect, render and write site/.

    ``required``: the config file must exist (it was named with --config); otherwise a missing
    ``config.yaml`` means the defaults. ``use_cache``: reuse per-article analyses from
    ``.cache/`` (the output is the same either way). ``workers``: processes for a cold analysis
    and a large inbox (0: one per core).

    Raises DigestError (often BuildErrors, listing every problem) on bad input; site/ is then
    left exactly as it was.
    """
    result = BuildResult()
    stages = _Stages(result, echo)
    with stages.stage("config"):
        config = load_config(config_path, required=required)
        theme = load_theme(config)
        result.output = config.output_dir
        stages.detail = f"theme {config.theme}, {len(config.topics)} declared topic(s)"
    with stages.stage("ingest"):
        report = (
            ingest([config.inbox_dir], config.content_dir, config.root, workers=workers or os.cpu_count() or 1)
            if config.inbox_dir.is_dir()
            else None
        )
        if report is not None:
            result.warnings.extend(report.warnings)
            result.warnings.extend(f"{name}: skipped: {why}" for name, why in report.skipped)
            if report.failed:
                raise BuildErrors(report.failed)
            stages.detail = report.summary()
        else:
            stages.detail = "no inbox folder"
    with stages.stage("read"):
        content = read_content(config.content_dir)
        result.warnings.extend(content.warnings)
        stages.detail = f"{len(content.articles)} article(s), {len(content.pages)} page(s)"
    with stages.stage("analyze"):
        cache = AnalysisCache(config.root, result.warnings.append) if use_cache else None
        analyzed, fresh = analyze_all(content.articles, config, cache, workers or os.cpu_count() or 1)
        stages.detail = f"{fresh} analysed, {len(analyzed) - fresh} from cache"
    with stages.stage("collect"):
        site = collect(analyzed, content.pages, config)
        stages.detail = f"{len(site.topics)} topic(s)"
    with stages.stage("render"):
        files = render_site(site, config, theme)
        result.files = len(files)
        result.pages = sum(1 for file in files if file.path.endswith(".html"))
    with stages.stage("write"):
        written = write_site(files, config.output_dir)
        result.changed = written.changed
        stages.detail = f"{written.files} file(s)" + ("" if written.changed else ", nothing changed")
        if cache is not None:  # only after a complete build: a failed one leaves the cache as it was
            cache.save()
    return result
