"""build(): the stages, top to bottom, each timed. Every build is a full, correct build."""

from __future__ import annotations

import gc
import io
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2.sandbox import ImmutableSandboxedEnvironment

from digest.cache import AnalysisCache, analyses_ahead, analyze_all, load_analysis_code, settings_key
from digest.collect import CollectMemo, collect
from digest.collectcache import load_collect_memo, save_collect_memo
from digest.compiled import in_use as compiled_analysis
from digest.config import Config, load_config
from digest.errors import BuildErrors, CacheNotSaved, DigestError
from digest.heap import return_free_memory
from digest.models import OutputFile, Site
from digest.pagecache import load_pages, save_pages
from digest.projectlock import project_lock, say_waiting
from digest.read import ContentReport, ReadMemo, read_content
from digest.readcache import load_read_memo, save_read_memo
from digest.render import PageMemo, ViewMemo, make_environment, render_site, template_cache
from digest.search import (
    BUILD_RECORDS,
    BackgroundIndex,
    Record,
    RecordMemo,
    article_record,
    bundle_parts,
    cached_parts,
    last_topic_records,
    page_records,
    part_count,
    prune_parts,
    records,
    records_count,
    save_topic_records,
    search_bundle,
    search_cache,
    search_files,
    search_is_current,
    spread_count,
    start_article_parts,
    start_first_part,
    start_first_part_articles,
    topic_records,
    uncached_records,
)
from digest.theme import load_theme
from digest.uptodate import code_version
from digest.workers import Workers
from digest.write import SiteWriter, remove_trash, update_in_place, write_site

if TYPE_CHECKING:
    import cProfile


@dataclass(slots=True)
class BuildResult:
    output: Path = Path("site")
    pages: int = 0
    files: int = 0
    changed: bool = False
    changed_paths: tuple[str, ...] = ()
    """The files a preview build replaced or removed (it updates its folder in place)."""
    timings: list[tuple[str, float, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[DigestError] = field(default_factory=list)
    """Inbox files and articles left out of the site, with why (only with ``keep_going``)."""
    outputs: dict[str, list[int]] | None = None
    """Each file of the new site/ with its modification time, size and inode, when the writer knows
    them all (``SiteWriter.listing``): what ``digest.uptodate`` records."""
    model: object = None
    """The site model of a command-line build whose search index needed no Pagefind, kept until
    the process ends: ``cli.run`` ends it without freeing objects one by one, and freeing the
    model at 5,000 articles took 50-75 ms that no later stage needed the memory of."""


MAX_RENDER_WORKERS = 8
"""Render workers by default at most: a site of thousands of pages is 25 or so chunks of 200."""


def usable_cores() -> int:
    """The cores this process may run on (its affinity, which containers and ``taskset`` narrow),
    for the default number of workers."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


class _Stages:
    """Times each stage and reports it as one line when it ends."""

    def __init__(self, result: BuildResult, echo: Callable[[str], None], freeze: bool, profile: bool = False) -> None:
        self.result = result
        self.echo = echo
        self.detail = ""
        self.freeze = freeze
        self.profile = profile

    @contextmanager
    def stage(self, name: str, loads: bool = False) -> Iterator[None]:
        """``loads``: the stage makes many objects that live on (parsed articles, analyses): the
        cyclic garbage collector is off meanwhile in a command-line build, as every pass over the
        growing heap would find nothing to free (a third of loading 5,000 parsed articles went
        there). What the stage makes is frozen at its end in any case."""
        self.detail = ""
        collecting = gc.isenabled()
        if loads and self.freeze:
            gc.disable()
        profiler = None
        if self.profile:
            import cProfile  # only here: every build would pay for its import

            profiler = cProfile.Profile()
        start = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        try:
            yield
        finally:
            if profiler is not None:
                profiler.disable()
            if collecting:
                gc.enable()
        if self.freeze:
            # What the stages made lives until the build ends: the cyclic garbage collector need
            # not look at it again and again (a sixth of a 5,000-article build's CPU time went
            # there); ``build`` hands it back to the collector when it ends.
            gc.freeze()
        seconds = time.perf_counter() - start
        self.result.timings.append((name, seconds, self.detail))
        self.echo(f"{name:<8} {seconds * 1000:8.1f} ms  {self.detail}".rstrip())
        if profiler is not None:
            self.echo(_hot_spots(profiler))


PROFILE_LINES = 12


def _hot_spots(profiler: cProfile.Profile) -> str:
    """The functions that took longest in a stage, by time including what they called."""
    import pstats

    text = io.StringIO()
    pstats.Stats(profiler, stream=text).strip_dirs().sort_stats("cumulative").print_stats(PROFILE_LINES)
    lines = text.getvalue().splitlines()
    start = next((index for index, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    return "\n".join("    " + line for line in lines[start:] if line.strip())


@dataclass(slots=True)
class BuildMemory:
    """What a long-running process (the preview server) keeps between builds, so a rebuild after
    one edit rereads and reanalyses one article. Only speed depends on it, never the output."""

    articles: ReadMemo = field(default_factory=dict)
    cache: AnalysisCache | None = None
    """Saved to disk by the owner (not after every build: that is off the edit-to-screen path)."""
    written: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)
    """Each file last written to the output (its bytes and their digest): a rebuild writes only
    what changed."""
    templates: tuple[dict[str, str], ImmutableSandboxedEnvironment] | None = None
    """The compiled templates of the last build, reused while the theme's files are the same."""
    pages: PageMemo = field(default_factory=dict)
    """Pages rendered by the last builds with those templates, reused when their values match."""
    views: ViewMemo = field(default_factory=dict)
    """Digests of article views, by the article and analysis objects they were made from."""
    search: dict[str, list[OutputFile]] = field(default_factory=dict)
    """The last search bundle, by the digest of the records it indexes."""
    defer_search: bool = False
    """Keep the last search bundle when the searchable text changed, and leave the new one in
    ``search_pending`` for the owner to make after the pages are shown (the preview: Pagefind
    takes seconds on a big site, and the edited page should not wait for it)."""
    search_pending: tuple[Config, list[Record]] | None = None
    records: RecordMemo = field(default_factory=dict)
    """Each article's search record, by the article object it was made from."""
    collected: CollectMemo = field(default_factory=CollectMemo)
    """Topic stories and quotes, related articles and near-duplicates, by what they were made from."""
    pages_written: list[OutputFile] = field(default_factory=list)
    """The last build's files other than the search bundle."""


def build(
    config_path: Path,
    echo: Callable[[str], None] = print,
    required: bool = False,
    use_cache: bool = True,
    workers: int = 0,
    output: Path | None = None,
    base_url: str | None = None,
    memory: BuildMemory | None = None,
    keep_going: bool = False,
    profile: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> BuildResult:
    """Load the config, ingest the inbox, read content/, analyse, collect, render and write site/.

    ``required``: the config file must exist (it was named with --config); otherwise a missing
    ``config.yaml`` means the defaults. ``use_cache``: reuse per-article analyses from
    ``.cache/`` (the output is the same either way). ``workers``: processes for a cold analysis
    and a large inbox (0: one per core). ``output`` and ``base_url`` replace site/ and the
    configured base URL (the preview server builds elsewhere, for its own address).

    Raises DigestError (often BuildErrors, listing every problem) on bad input; site/ is then
    left exactly as it was. ``keep_going``: inbox files and articles that cannot be read are left
    out (listed in ``result.skipped``) and the rest is built; config and theme errors still stop it.
    """
    # A long-running preview keeps its memory from build to build: it is not frozen.
    stages = _Stages(BuildResult(), echo, freeze=memory is None, profile=profile)
    # One build of a project at a time (see digest.projectlock): taken here, or again where the command
    # line's build or the preview took it first.
    with project_lock(config_path.parent, waiting=None if memory is not None else say_waiting):
        # A command-line build renders in processes forked now, while this one is small: forked
        # later, each would count the whole site model again in its memory. The preview never forks.
        if memory is None and analyses_ahead(config_path.parent.resolve(), use_cache):
            load_analysis_code()  # shared with the workers forked next (see its note)
        renderers = Workers.fork(workers or min(usable_cores(), MAX_RENDER_WORKERS)) if memory is None else None
        if memory is None and use_cache:
            code_version()  # what the compiled templates are kept by: looked up once, outside the stages
        # The old sites and search parts earlier builds replaced, removed beside this build's first stages.
        removing = remove_trash(_trash(config_path.parent.resolve())) if memory is None and use_cache else None
        try:
            return _build(stages, config_path, required, use_cache, workers, output, base_url, memory, keep_going,
                          progress, renderers)
        finally:
            try:
                if removing is not None:
                    removing.wait()
            finally:
                if renderers is not None:
                    renderers.close()
                if stages.freeze:
                    gc.unfreeze()


def _build(stages: _Stages, config_path: Path, required: bool, use_cache: bool, workers: int,
           output: Path | None, base_url: str | None, memory: BuildMemory | None, keep_going: bool,
           progress: Callable[[int, int], None] | None, renderers: Workers | None) -> BuildResult:
    result = stages.result
    started_ns = time.time_ns()  # pages.json records the stamps only of files older than this
    with stages.stage("config"):
        config = load_config(config_path, required=required)
        if base_url is not None:
            config = replace(config, base_url=base_url)
        theme = load_theme(config)
        result.output = output or config.output_dir
        stages.detail = f"theme {config.theme}, {len(config.topics)} declared topic(s)"
    with stages.stage("ingest"):
        report = None
        if config.inbox_dir.is_dir():
            # Imported only for an inbox: most builds have none, and every build would pay for it.
            from digest.ingest import ingest

            report = ingest([config.inbox_dir], config.content_dir, config.root, workers=workers or usable_cores())
        if report is not None:
            result.warnings.extend(report.warnings)
            result.warnings.extend(f"{name}: skipped: {why}" for name, why in report.skipped)
            result.skipped.extend(report.failed)  # reported with the articles' problems, below
            stages.detail = report.summary()
        else:
            stages.detail = "no inbox folder"
    with stages.stage("read", loads=True):
        # The preview keeps parsed articles in memory; a command-line build, on disk (when caching).
        parsed = memory.articles if memory is not None else load_read_memo(config.root) if use_cache else None
        parsed_before = dict(parsed) if parsed is not None and memory is None else None
        # A command-line build parses many new articles in forked processes; the preview never forks.
        content = read_content(config.content_dir, parsed, keep_going=True,
                               workers=1 if memory is not None else workers or usable_cores(), forked=renderers)
        result.skipped.extend(content.skipped)
        if result.skipped and not keep_going:  # every bad file of the batch at once, then stop
            raise BuildErrors(result.skipped)
        result.warnings.extend(content.warnings)
        stages.detail = f"{len(content.articles)} article(s), {len(content.pages)} page(s)"
    writer = None
    # Where a command-line build leaves what it replaces (the old site, old parts of the search
    # index) for the next one to remove in a process of its own.
    trash = _trash(config.root) if memory is None and use_cache else None
    background: BackgroundIndex | None = None
    prestarted: list[BackgroundIndex] = []  # parts of the search index started after the read
    found_collected: list[Record] | None = None  # the search records, when made right after collect
    topics_made: list[Record] | None = None
    try:
        with stages.stage("analyze", loads=True):
            cache = None
            if use_cache:
                if memory is not None and memory.cache is None:
                    memory.cache = AnalysisCache(config.root, result.warnings.append)
                cache = memory.cache if memory is not None else AnalysisCache(config.root, result.warnings.append)
            # After an edit: Pagefind starts on the article's part of the index now, beside the
            # analysis and collect (the first part too, its topics taken to be the last build's).
            # A cold build of a small site starts its article parts now too (see
            # ``_indexes_articles_early``). Not when the analysis may fork a pool (no workers were
            # forked): its thread must not be.
            if (memory is None and cache is not None and _indexes_articles_early(content)
                    and (renderers is not None or (workers or usable_cores()) < 2)):
                prestarted = _index_articles(content, cache, config, workers)
            analyzed, fresh = analyze_all(content.articles, config, cache, workers or usable_cores(), progress,
                                          forked=renderers)
            compiled = " (analysis compiled)" if fresh and compiled_analysis() else ""
            stages.detail = f"{fresh} analysed, {len(analyzed) - fresh} from cache{compiled}"
        with stages.stage("collect", loads=True):
            # The preview remembers what collect made in memory; a command-line build keeps the
            # related articles on disk (when caching).
            collected = (memory.collected if memory is not None
                         else load_collect_memo(config.root) if use_cache else None)
            related_loaded = collected.related[0] if collected is not None and collected.related is not None else None
            site = collect(analyzed, content.pages, config, collected)
            stages.detail = f"{len(site.topics)} topic(s)"
            if memory is None and use_cache:
                topics_made = topic_records(site, config)  # kept for the next build's first part
                prestarted = _confirmed(prestarted, topics_made)
                if any(index.rest is not None for index in prestarted):
                    # A first part started with its articles only: now the rest of its records.
                    found_collected = records(site, config)
                    prestarted = [index for index in prestarted
                                  if index.complete(found_collected, config.language, search_cache(config))]
        # The page views live on until the search stage; the cyclic collector walked them
        # ~500 times at 5,000 articles (0.27 s) finding only the few cycles templates leave.
        with stages.stage("render", loads=True):
            env = None
            if memory is not None:
                if memory.templates is None or memory.templates[0] != theme.templates:
                    memory.templates = (theme.templates, make_environment(theme))
                    memory.pages.clear()  # rendered with other templates
                env = memory.templates[1]
            # The preview remembers pages in memory; a command-line build, beside site/ (when caching).
            stored = load_pages(config.root, result.output, theme) if memory is None and use_cache else None
            page_memo = memory.pages if memory is not None else stored
            # A command-line build renders in its worker processes and writes each page as it comes;
            # the preview keeps its pages.
            # A command-line build's processes load the compiled templates the last one kept (the
            # preview compiles them once and keeps its environment).
            rendering = render_site(site, config, theme, env, page_memo,
                                    memory.views if memory is not None else None,
                                    workers=renderers,
                                    compiled=template_cache(config.root) if memory is None and use_cache else None)
            files: list[OutputFile] = []
            early: _EarlySearch | None = None
            if memory is not None:
                files = list(rendering)
            else:
                writer = SiteWriter(result.output, stored.is_reused if stored is not None else None, trash=trash)
                rendering.pages.into = writer.tree_for_workers() if renderers is not None else None
                found_early = records(site, config) if 0 < fresh <= EARLY_INDEX_ARTICLES else None
                if found_early is not None:
                    background = _index_early(found_early, config, workers, prestarted, trash)
                if background is None:
                    early = _EarlySearch(writer, site, config,
                                         found_early if found_early is not None else found_collected)
                    rendering.pages.meanwhile = chain(rendering.pages.meanwhile or (), early.steps)
                writer.add(rendering)
                del rendering  # its page views are not needed for the rest: Pagefind's memory is
                if renderers is None:
                    # Every page was rendered here (one worker, one core): what the templates left
                    # in cycles (~12 KB a page) is collected once, before the stage's objects are
                    # frozen for the rest of the build. With workers, the ~30 pages rendered here
                    # leave ~50,000 such objects: not worth a collection (0.1 s at 5,000 articles).
                    gc.collect()
            if renderers is not None:
                renderers.close()
            if stored is not None:
                stages.detail = f"{len(stored.reused)} page(s) unchanged"
            if part_count(records_count(site)) > 1 and "search_parts" not in theme.templates.get("search.html", ""):
                result.warnings.append(
                    f"{theme.origins.get('search.html', 'search.html')}: the search index of this many pages "
                    "comes in parts, and this search page loads only the first (search finds only some "
                    "articles): give the search box the parts as the default theme's search.html and "
                    "static/search.js do (search_parts, data-parts, mergeIndex)")
        with stages.stage("search"):
            linked: list[OutputFile] | None = None  # the index's files, when linked while rendering
            if memory is not None:
                deferred = _deferred_search(memory, site, config, files)
                bundle = deferred if deferred is not None else search_files(
                    site, config, memory.search, workers=workers or usable_cores())
            else:
                found = []
                if early is not None:
                    early.finish()  # what is left of it (all of it, when the render had no workers)
                    found, linked = early.found, early.linked
                    del early
                # Past here a command-line build needs only the records and what it writes. The
                # caches kept by content are saved now (they hold true whether or not the rest of
                # the build succeeds) and the site model let go: Pagefind's processes are the peak
                # of the build's memory, and the model added ~25 MB to it at 5,000 articles.
                # They are written by a thread while Pagefind starts and indexes in its own
                # processes (~90 ms at 1,000 articles, ~0.4 s at 5,000, a core otherwise idle).
                saves: list[Callable[[], None]] = []
                if cache is not None:
                    saves.append(cache.save)
                if parsed is not None and not _same_entries(parsed, parsed_before):
                    saves.append(partial(save_read_memo, config.root, parsed, parsed_before))
                if collected is not None:
                    saves.append(partial(save_collect_memo, config.root, collected, related_loaded))
                if linked is None:  # Pagefind runs next: its processes are the peak of the build's memory
                    del site, content, analyzed, cache, parsed, parsed_before, collected
                else:
                    result.model = (site, content, analyzed, cache, parsed, parsed_before, collected)
                saving = _CacheSaves(result, saves, collect=linked is None)  # once the model is let go
                del saves
                try:
                    if background is not None:
                        bundle = background.files()
                    elif linked is not None:
                        bundle = linked
                        if prestarted:
                            # Every part was in the cache, any part started early among them (one
                            # still at work is not needed, and is stopped): the parts they replace
                            # go, as ``search_bundle`` removes them.
                            BackgroundIndex.cancel_all(prestarted)
                            prune_parts(found, config, trash)
                    else:
                        bundle = search_bundle(found, config, workers=workers or usable_cores(), lazy=True,
                                               underway=prestarted, trash=trash)[1]
                finally:
                    saving.join()
                del found
            stages.detail = f"{len(bundle)} file(s)" + (", all from the cache" if bundle is linked else "")
            if writer is not None:
                if bundle is not linked:
                    writer.add(bundle)
                result.files = len(writer.paths)
                result.pages = writer.html_files
            else:
                files.extend(bundle)
                result.files = len(files)
                result.pages = sum(1 for file in files if file.path.endswith(".html"))
        with stages.stage("write"):
            if writer is not None:
                written = writer.commit()
                result.outputs = writer.listing()
            elif memory is not None and output is not None:  # the preview: update in place
                written = update_in_place(files, result.output, memory.written)
            else:
                written = write_site(files, result.output)
            result.changed = written.changed
            result.changed_paths = written.paths
            stages.detail = f"{written.files} file(s)" + ("" if written.changed else ", nothing changed")
            # Only after a complete build: it describes the site/ just written. (A long-running
            # owner of the memory keeps its own.)
            if topics_made is not None:
                save_topic_records(topics_made, config)  # for the next build's first part
            if stored is not None:
                _save_cache(result, partial(save_pages, config.root, stored, theme,
                                            writer.stamps if writer is not None and written.changed else None,
                                            started_ns))
    except BaseException:
        try:
            # First: Pagefind stops now, not running on for a build that failed.
            BackgroundIndex.cancel_all([background, *prestarted])
            if renderers is not None:
                renderers.close()  # first: a worker may still be writing pages into the new tree
        finally:
            if writer is not None:
                writer.abort()
        raise
    return result


EARLY_INDEX_ARTICLES = 100
"""Articles analysed again (an edit, a few new ones) up to which a command-line build looks, before
rendering, for parts of the search index to make, and starts Pagefind on them then (see
``_index_early``). Past it (a cold build) the records are made while the workers render, and
Pagefind runs after the render, the site model let go: at 5,000 articles, Pagefind's eight parts
beside the render would take the build's memory above Hugo's. After an edit, one part's Pagefind
(~190 MB while it builds, at 5,000) runs beside the model instead."""


def _indexes_articles_early(content: ContentReport) -> bool:
    """Whether a command-line build starts the parts of the search index as soon as the articles
    are read: those of articles only (``start_article_parts``), and the
    first with the last build's topics (``start_first_part``) or, without them, with its
    articles alone, its topics sent after collect (``start_first_part_articles``).

    After an edit (up to EARLY_INDEX_ARTICLES parsed again), and in a cold build of a site whose
    articles fit in BUILD_RECORDS (~1,200): there Pagefind works beside the analysis, collect and
    render, where it ran after the render with a core idle beside it (at the lowest priority, as it
    first did, its search stage at 1,000 articles went 1.79 -> 1.49 s, medians of 6 alternating
    no-cache pairs, with the same peak memory, ~350 MiB). A bigger site's parts wait for the
    render, as its memory needs (see EARLY_INDEX_ARTICLES)."""
    return content.parsed > 0 and (content.parsed <= EARLY_INDEX_ARTICLES
                                   or len(content.articles) <= BUILD_RECORDS)


def _index_early(found: list[Record], config: Config, workers: int,
                 underway: list[BackgroundIndex], trash: Path | None) -> BackgroundIndex | None:
    """The search index of the records ``found`` started now, in the background, when parts of it
    are to be made and they hold at most BUILD_RECORDS records: Pagefind then works beside the
    render, and its memory stays what one part built alone takes. ``underway``: the parts
    ``_index_articles`` started, waited for rather than made again. ``trash``: where the parts it
    replaces go."""
    if 0 < uncached_records(found, config, underway) <= BUILD_RECORDS:
        return BackgroundIndex.of(found, config, workers or usable_cores(), underway, trash)
    return None


def _index_articles(content: ContentReport, cache: AnalysisCache, config: Config,
                    workers: int) -> list[BackgroundIndex]:
    """``start_article_parts`` for the articles read, with the analysis cache's keys of them (which
    ``analyze_all`` then reuses); and ``start_first_part``, the topics taken to be the last build's,
    or without them ``start_first_part_articles``, the topics sent once collect made them."""
    settings = settings_key(config)
    found = [article_record(article, cache.key_of(article, settings), config.language)
             for article in content.articles]
    started: list[BackgroundIndex] = []
    articles = start_article_parts(found, config, workers or usable_cores())
    if articles is not None:
        started.append(articles)
    topics = last_topic_records(config)
    first = (start_first_part(found, topics, page_records(content.pages, config), config, workers or usable_cores())
             if topics is not None else start_first_part_articles(found, config))
    if first is not None:
        started.append(first)
    return started


def _confirmed(early: list[BackgroundIndex], topics: list[Record]) -> list[BackgroundIndex]:
    """``early`` once collect made ``topics``: a first part started on other topics is stopped
    (not waited for: it will not be used) and left out."""
    kept = []
    for index in early:
        if index.assumed is not None and index.assumed != topics:
            index.cancel()
        else:
            kept.append(index)
    return kept


class _EarlySearch:
    """A command-line build's search records, and when every part of the index is in the cache,
    its files linked into the new site: done a step at a time while the workers render (see
    ``_Pages.meanwhile``), once the first pages went out (made before them, the records and the
    parts' keys kept the workers waiting ~0.15 s at 5,000 articles), not after them with a core
    left idle."""

    def __init__(self, writer: SiteWriter, site: Site, config: Config, found: list[Record] | None = None) -> None:
        self.found: list[Record] = []
        self.linked: list[OutputFile] | None = None
        """The index's files, linked: None when a part is not in the cache (Pagefind makes it later)."""
        self.steps = self._steps(writer, site, config, found)

    def _steps(self, writer: SiteWriter, site: Site, config: Config, found: list[Record] | None) -> Iterator[None]:
        """``found``: the records, when made already."""
        self.found = records(site, config) if found is None else found
        yield
        parts = cached_parts(self.found, config)
        if parts is None:
            return
        linked: list[OutputFile] = []
        for part in parts:
            yield
            files = part()
            for start in range(0, len(files), LINKS_PER_STEP):
                writer.add(files[start:start + LINKS_PER_STEP])
                yield
            linked.extend(files)
        self.linked = linked

    def finish(self) -> None:
        for _ in self.steps:
            pass


LINKS_PER_STEP = 250
"""Files linked per step while the workers render: ~10 ms, so a worker that finishes a chunk waits
little for the next."""


def _trash(root: Path) -> Path | None:
    """Where the writer moves the old site, and the search index the parts it replaced, for the next
    build to remove (``.cache/trash``); None when ``.cache`` or it is a symbolic link: what it
    points to is not ours to remove."""
    cache = root / ".cache"
    trash = cache / "trash"
    return None if cache.is_symlink() or trash.is_symlink() else trash


class _CacheSaves:
    """``_save_cache`` for each of ``saves``, in a thread; ``join`` waits for them and raises what
    one raised (a bug: a file that cannot be written is a warning). ``collect``: then the site
    model, let go by the build, is collected (see ``_collect_frozen``)."""

    def __init__(self, result: BuildResult, saves: list[Callable[[], None]], collect: bool = False) -> None:
        self.result, self.saves, self.collect = result, saves, collect
        self.failure: BaseException | None = None
        self.thread: threading.Thread | None = threading.Thread(target=self._run, name="cache saves")
        self.thread.start()

    def _run(self) -> None:
        try:
            while self.saves:
                # Each one taken from the list and dropped once written: what it holds (the
                # parsed articles, the analyses) is let go then, with Pagefind still starting.
                save = self.saves.pop(0)
                _save_cache(self.result, save)
                del save
            if self.collect:
                _collect_frozen()
        except BaseException as error:  # raised again by ``join``, in the build's thread
            self.failure = error

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure


def _collect_frozen() -> None:
    """The garbage among the objects the stages froze, collected: the site model a command-line
    build lets go before Pagefind runs is tied in cycles (the pages rendered in this process keep
    their template contexts, which hold the article views), so freed by nothing else. At 5,000
    articles that took ~25 MB off the build's own process while Pagefind builds, the peak of its
    memory, for ~0.1 s of a core that was waiting. What is left is frozen again."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return_free_memory()


def _save_cache(result: BuildResult, save: Callable[[], None]) -> None:
    """Save a file of ``.cache/``; one that cannot be saved is a warning, not a failed build (the
    next build only does more work: ``pages.json`` is checked against the bytes in site/)."""
    try:
        save()
    except CacheNotSaved as error:
        result.warnings.append(str(error))


def _deferred_search(memory: BuildMemory, site: Site, config: Config,
                     pages: list[OutputFile]) -> list[OutputFile] | None:
    """The preview's search index to serve now with ``pages``, its remake left in
    ``memory.search_pending`` for later; None when it must be made now: nothing was indexed yet,
    or the number of parts changed (the site crossed 1,000, 2,000, 4,000... pages) and the search
    page just rendered names the new parts."""
    if not memory.defer_search or not memory.search:
        return None
    served = next(iter(memory.search.values()))
    current, found = search_is_current(site, config, memory.search, memory.records)
    if not current and part_count(spread_count(found)) != bundle_parts(served):
        return None
    memory.search_pending = None if current else (config, found)
    memory.pages_written = list(pages)
    return served


def _same_entries(memo: ReadMemo, before: ReadMemo | None) -> bool:
    """Whether the reader left ``memo`` as it was loaded (the same entry objects): then the file it
    came from already says the same and is not written again."""
    return before is not None and memo.keys() == before.keys() and all(
        entry is before[name] for name, entry in memo.items())
