"""The client-side search index: Pagefind (https://pagefind.app), run over one small HTML record per
article, topic and page, and written under ``site/pagefind/``. No server is needed to search.

Pagefind takes about 3 ms a page on one core and ~250 MB per thousand pages, so a big site's
records are split into parts of at most ~1,000 (by a hash of each page's address, so a page stays
in its part as the site grows): each part is its own Pagefind bundle, the parts are indexed side
by side on all cores (in Pagefind's memory-heavy build step, side by side only while small:
BUILD_RECORDS), and the search page merges them (``pagefind/`` and ``pagefind/part-N/``).
Each part's bundle is kept in ``.cache/search/<key>/``, where the key is a digest of its records:
an edit re-indexes only the part that holds the page. Records, not the built pages, are indexed:
they hold only what search should find (no navigation, no footers) and exist before the site is
written, so the index is part of the same atomic swap as every other file.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import functools
import hashlib
import html
import importlib.util
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from digest.config import Config
from digest.errors import CacheNotSaved, DigestError
from digest.heap import return_free_memory
from digest.jsonfile import load_json, running_elsewhere, save_json
from digest.models import Article, Block, OutputFile, Page, Site, Stored
from digest.sourcedigest import source_digest
from digest.views import article_href, topic_href
from digest.write import into_trash

PAGEFIND_VERSION = "1.5.2"
"""Pinned in requirements.txt (pagefind-bin); part of the cache key."""
BUNDLE = "pagefind/"
PART_RECORDS = 900
"""Articles per part of the index at most, on average: Pagefind's memory grows with a part's size.
A 1,000-article site's index comes in two parts, made side by side on two cores."""
_UI_FILES = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.", "pagefind-highlight.")
"""Files only the first part needs: the search page loads the UI from there."""
SEND_RECORDS = 50
"""Records sent to Pagefind in one write (~0.5 MB): how often a background index asks whether it
is still wanted while it sends."""
CANCEL_CHECK_SECONDS = 0.05
"""How often a background index asks whether it is still wanted, while Pagefind runs."""


@dataclass(frozen=True, slots=True)
class Record:
    """One searchable document: the page it leads to and the HTML Pagefind reads (``document``)."""

    href: str
    html: str = ""
    """The HTML; empty when ``make`` makes it, only if its part of the index is made."""
    source: str = ""
    """A digest of everything the HTML is made from, standing in for it in the cache key (with
    ``make``): a build whose index is cached makes no HTML at all."""
    make: Callable[[], str] | None = None
    first: bool = False
    """A page of the site's own (a topic, a page): indexed in the first part, whatever its address.
    The other parts then hold articles only, and are known once the articles are read."""

    def document(self) -> str:
        return self.html if self.make is None else self.make()


MAX_RECORD_CHARS = 20_000
"""Text indexed per article: whole news articles, but not all 5 MB of a runaway scrape."""


def _document(title: str, body_html: str, language: str) -> str:
    # No Pagefind filters or extra metadata: Pagefind writes those from hash maps, in a different
    # order on every run, and the site must be byte-identical build after build.
    return (f'<!doctype html><html lang="{html.escape(language)}"><head><title>{html.escape(title)}</title>'
            f"</head><body><main data-pagefind-body><h1>{html.escape(title)}</h1>{body_html}"
            "</main></body></html>")


def _article_document(title: str, blocks: Sequence[Block], language: str) -> str:
    return _document(title, _paragraphs(block.text for block in blocks), language)


def _shown(blocks: Sequence[Block]) -> Sequence[Block]:
    """The blocks ``_paragraphs`` shows (up to MAX_RECORD_CHARS): all a record made later keeps of a
    runaway scrape."""
    room = MAX_RECORD_CHARS
    for number, block in enumerate(blocks):
        if room <= 0:
            return blocks[:number]
        room -= len(block.text)
    return blocks


def _paragraphs(texts: Iterable[str]) -> str:
    """Plain texts as escaped paragraphs, up to MAX_RECORD_CHARS in all."""
    parts: list[str] = []
    room = MAX_RECORD_CHARS
    for text in texts:
        if room <= 0:
            break
        parts.append(f"<p>{html.escape(text[:room])}</p>")
        room -= len(text)
    return "".join(parts)


RecordMemo = dict[int, tuple[Article, Record]]
"""id of an article -> (the article, its record): the preview makes a record once per article read."""


def records(site: Site, config: Config, memo: RecordMemo | None = None) -> list[Record]:
    """Every article (title and text), every topic digest (name, description, story) and page."""
    found = []
    alive: RecordMemo = {}
    for item in site.articles:
        article = item.article
        remembered = memo.get(id(article)) if memo is not None else None
        if remembered is not None and remembered[0] is article and remembered[1].href == article_href(article.slug):
            record = remembered[1]
        else:
            record = article_record(article, item.key, config.language)
        alive[id(article)] = (article, record)
        found.append(record)
    if memo is not None:
        memo.clear()
        memo.update(alive)
    found += topic_records(site, config)
    found += page_records(site.pages, config)
    if not found:  # Pagefind refuses an empty site; the home page keeps the search page working
        found.append(Record("", _document(config.title, f"<p>{html.escape(config.description)}</p>",
                                          config.language), first=True))
    return found


def topic_records(site: Site, config: Config) -> list[Record]:
    """Each topic digest's record (name, description, story): in the first part."""
    return [Record(topic_href(topic.slug), _document(
        topic.name, _paragraphs([topic.description, *(sentence.text for sentence in topic.story)]),
        config.language), first=True) for topic in site.topics]


def page_records(pages: Sequence[Page], config: Config) -> list[Record]:
    """Each page's record: in the first part."""
    return [Record(page.slug + "/", _document(page.title, page.body_html, config.language), first=True)
            for page in pages]


TOPIC_RECORDS = "search-topics.json"
"""The last build's topic records, in ``.cache/``: what ``start_article_parts`` takes the first
part's topics to be before collect makes them (an edit seldom changes a topic's story)."""


def save_topic_records(found: list[Record], config: Config) -> None:
    """Keep ``found`` (``topic_records``) for the next build, when they changed."""
    path = config.root / ".cache" / TOPIC_RECORDS
    value = {"code": _record_code(), "records": [[record.href, record.html] for record in found]}
    with contextlib.suppress(OSError, ValueError):
        if load_json(path) == value:
            return
    with contextlib.suppress(CacheNotSaved):  # only a guess is lost: the next build indexes after collect
        save_json(path, value)


def last_topic_records(config: Config) -> list[Record] | None:
    """The topic records ``save_topic_records`` kept, made by this code; None without them."""
    try:
        value = load_json(config.root / ".cache" / TOPIC_RECORDS)
        if value["code"] != _record_code():
            return None
        return [Record(str(href), str(text), first=True) for href, text in value["records"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def article_record(article: Article, key: str, language: str) -> Record:
    """An article's record. ``key``, the analysis cache's key of the article (it digests the title
    and blocks, all the record is made from, with the language and this module's code in
    ``records_key``), lets the HTML wait until its part of the index is made; without one it is
    made now."""
    if not key:
        return Record(article_href(article.slug), _article_document(article.title, article.blocks, language))
    blocks: Sequence[Block] = article.blocks
    if not isinstance(blocks, Stored) or blocks.encoded is None:
        blocks = _shown(blocks)  # else left unread: a record whose part is cached is never made
    return Record(article_href(article.slug), source=key,
                  make=functools.partial(_article_document, article.title, blocks, language))


def records_key(found: list[Record], language: str) -> str:
    """The digest of what indexing ``found`` makes: Pagefind's version, the code that makes the
    records' HTML, and each record's address and HTML (or what it is made from)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{PAGEFIND_VERSION}\0{_record_code()}\0{language}\0".encode())
    for record in found:
        if record.make is None:
            digest.update(record.href.encode("utf-8") + b"\0" + record.html.encode("utf-8") + b"\0")
        else:
            digest.update(record.href.encode("utf-8") + b"\1" + record.source.encode("utf-8") + b"\0")
    return digest.hexdigest()


@functools.cache
def _record_code() -> str:
    """The digest of this module's source, which makes the records' HTML."""
    return source_digest(("search.py",))


def part_count(records_count: int) -> int:
    """How many parts the index of ``records_count`` records has: a power of two, so that a site
    growing by a page rarely changes it (and every part with it)."""
    count = 1
    while count * PART_RECORDS < records_count:
        count *= 2
    return count


def records_count(site: Site) -> int:
    """How many of the records ``records`` makes for ``site`` are spread over the parts: the
    articles (the site's own pages all go to the first part). It sets the number of parts."""
    return len(site.articles)


def spread_count(found: list[Record]) -> int:
    """``records_count`` of the site ``found`` was made from."""
    return sum(1 for record in found if not record.first)


def part_folders(count: int) -> list[str]:
    """Where each part's bundle goes in site/, the first part (with the UI files) first."""
    return [BUNDLE, *(f"{BUNDLE}part-{number}/" for number in range(1, count))]


def part_of(href: str, count: int) -> int:
    """The part (of ``count``) whose bundle indexes the page at ``href``: from its address alone."""
    return int.from_bytes(hashlib.blake2b(href.encode("utf-8"), digest_size=8).digest(), "big") % count


def bundle_parts(files: list[OutputFile]) -> int:
    """How many parts the index made of ``files`` has."""
    return sum(1 for file in files if file.path.endswith("pagefind-entry.json"))


def _split(found: list[Record]) -> list[list[Record]]:
    """The records of each part, in the order of their addresses: a part's records, and so its key,
    do not depend on the order the site lists its articles in (by date, known only after collect).
    In the first part the articles come first, then the site's own pages (topics, pages): a cold
    build sends that part's articles to Pagefind as soon as they are read, the rest after collect
    (``start_first_part_articles``), and every build indexes them in that one order."""
    count = part_count(spread_count(found))
    parts: list[list[Record]] = [[] for _ in range(count)]
    for record in found:
        parts[0 if record.first else part_of(record.href, count)].append(record)
    for part in parts:
        part.sort(key=_record_order)
    return parts


def _record_order(record: Record) -> tuple[bool, str]:
    return record.first, record.href


def _parts_and_keys(found: list[Record], language: str) -> tuple[list[list[Record]], list[str]]:
    """The records of each part, and each part's cache key."""
    parts = _split(found)
    return parts, [records_key(part, language) for part in parts]


def bundle_key(found: list[Record], language: str) -> str:
    """The digest of the whole index: of each part's key."""
    return _joined_keys(_parts_and_keys(found, language)[1])


def _joined_keys(keys: list[str]) -> str:
    if len(keys) == 1:
        return keys[0]
    return hashlib.blake2b("\0".join(keys).encode(), digest_size=16).hexdigest()


def pagefind_executable() -> Path:
    """The binary the pagefind-bin wheel ships (its Python wrapper adds nothing we need)."""
    spec = importlib.util.find_spec("pagefind_bin")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        for name in ("pagefind_extended", "pagefind"):
            if (Path(folder) / name).is_file():
                return Path(folder) / name
    raise DigestError("the search indexer (pagefind-bin) is not installed",
                      hint="run: make site (or pip install -r requirements.txt)")


def _read_bundle(folder: Path, prefix: str, with_ui: bool, lazy: bool) -> list[OutputFile]:
    """The files of one cached part. ``lazy``: their bytes are left in the cache (``OutputFile.source``)
    for the writer to link, not read (a command-line build; the preview keeps them in memory)."""
    files = []
    try:
        for parent, _, names in os.walk(folder):
            relative = os.path.relpath(parent, folder).replace(os.sep, "/")
            if relative == "." and "pagefind-entry.json" not in names:  # os.walk is silent on a folder gone
                raise FileNotFoundError(errno.ENOENT, "its pagefind-entry.json is gone")
            for name in names:
                if with_ui or not name.startswith(_UI_FILES):
                    path = Path(parent, name)
                    files.append(OutputFile(prefix + (name if relative == "." else f"{relative}/{name}"),
                                            b"" if lazy else path.read_bytes(), source=path))
    except OSError as error:  # another build (the preview beside a command-line build) replaced it
        raise _failed(f"{folder} changed while it was read ({error.strerror})") from None
    if not files:  # the folder itself is gone: os.walk yields nothing
        raise _failed(f"{folder} changed while it was read (it is gone)")
    return sorted(files, key=lambda file: file.path)  # one order whatever the walk's


def search_is_current(site: Site, config: Config, memory: dict[str, list[OutputFile]],
                      memo: RecordMemo | None = None) -> tuple[bool, list[Record]]:
    """Whether ``memory`` holds the bundle for this site's searchable text, and that text."""
    found = records(site, config, memo)
    return bundle_key(found, config.language) in memory, found


class Cancelled(Exception):
    """A background index was given up: the text it indexes is already out of date."""


def search_bundle(found: list[Record], config: Config, cancelled: Callable[[], bool] | None = None,
                  workers: int = 1, lazy: bool = False, yielding: bool | None = None,
                  underway: Sequence[BackgroundIndex] = (), trash: Path | None = None) -> tuple[str, list[OutputFile]]:
    """The Pagefind bundles for the records ``found`` and the digest of what they index: each part
    from the cache, or made now, ``workers`` parts at a time. ``lazy``: the files' bytes stay in the
    cache (``OutputFile.source``) for the writer to link; the preview keeps them in memory.

    ``cancelled``: the preview indexes in the background, while the next edit may be rebuilding.
    Pagefind then gets only the CPU time nothing else wants (``yielding``, by default when
    ``cancelled`` is given), and once ``cancelled()`` is true the work stops (raising Cancelled)
    instead of competing with the rebuild for a stale index; the parts already made are kept.

    ``underway``: parts started earlier (``start_article_parts``, ``start_first_part``,
    ``start_first_part_articles``), not made again here but waited for. ``trash``: where the parts
    no longer needed go (``_remove_part``)."""
    lowest = cancelled is not None if yielding is None else yielding
    parts, keys = _parts_and_keys(found, config.language)
    cache = search_cache(config)
    missing = _to_make(zip(parts, keys, strict=True), cache, underway)
    _make(missing, config, cancelled, workers, lowest)
    for index in underway:
        index.wait(cancelled)  # raises what making its parts raised
    if missing or underway:
        _prune(cache, keys, trash)
    return _joined_keys(keys), [file for read in _part_readers(cache, keys, lazy) for file in read()]


def prune_parts(found: list[Record], config: Config, trash: Path | None = None) -> None:
    """Remove from the cache the parts not in the index of ``found`` (``search_bundle`` does, when
    it made some): for a build that linked every part, some of them made by ``start_article_parts``.
    ``trash``: where they go (``_remove_part``)."""
    _prune(search_cache(config), _parts_and_keys(found, config.language)[1], trash)


def _prune(cache: Path, keys: list[str], trash: Path | None = None) -> None:
    """Only the current parts are kept: the cache holds what the site needs, not its history; and
    the scratch folders of builds killed while Pagefind ran (named with their pid)."""
    for old in cache.iterdir():
        if old.name.startswith(_SCRATCH):
            if _abandoned(old.name):
                shutil.rmtree(old, ignore_errors=True)
        elif old.is_dir() and old.name not in keys:
            _remove_part(old, trash)


def _remove_part(folder: Path, trash: Path | None = None) -> None:
    """Remove a part of the cache no longer needed, in one rename: a build killed meanwhile leaves
    either the whole part or none of it, never a part with its entry file and not all its
    fragments, which a build of that text again would take for whole (it did, in the kill -9 test).

    With ``trash`` (a command-line build's ``.cache/trash``), it is moved there, for the next build
    to remove in its own process (``write.remove_trash``), as the old site is: unlinking a part's
    ~700 files took 0.1-0.45 s of every build after an edit, at its end. Otherwise (the preview,
    which never empties the trash; ``--no-cache``, which runs no remover; a ``.cache`` or trash
    that is a symbolic link; a trash on another file system) it is renamed to a scratch folder of
    this build and removed now."""
    if into_trash(folder, trash, f"search-{folder.name}"):
        return
    gone = folder.with_name(f"{_SCRATCH}{os.getpid()}-old-{folder.name}")
    try:
        folder.rename(gone)
    except OSError:
        return  # removed meanwhile, by another build
    shutil.rmtree(gone, ignore_errors=True)


def _make(jobs: list[tuple[list[Record], Path]], config: Config, cancelled: Callable[[], bool] | None,
          workers: int, lowest: bool) -> None:
    """Index each job's records into its folder of the cache, ``workers`` at a time."""
    if not jobs:
        return
    search_cache(config).mkdir(parents=True, exist_ok=True)
    return_free_memory()

    def index(job: tuple[list[Record], Path]) -> None:
        _index(job[0], config.language, job[1].parent, job[1], cancelled, lowest)

    if workers > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(min(workers, len(jobs))) as pool:
            for _ in pool.map(index, jobs):
                pass
    else:
        for job in jobs:
            index(job)


def _part_readers(cache: Path, keys: list[str], lazy: bool) -> list[Callable[[], list[OutputFile]]]:
    """What reads each cached part's files (``_read_bundle``), in order: the first with the UI's."""
    return [functools.partial(_read_bundle, cache / key, prefix, number == 0, lazy)
            for number, (key, prefix) in enumerate(zip(keys, part_folders(len(keys)), strict=True))]


def search_cache(config: Config) -> Path:
    """Where each part's bundle is kept: ``.cache/search/<key>/``."""
    return config.root / ".cache" / "search"


def _to_make(parts: Iterable[tuple[list[Record], str]], cache: Path,
             underway: Sequence[BackgroundIndex] = ()) -> list[tuple[list[Record], Path]]:
    """The parts (records, key) neither in the cache nor made by ``underway``, with their folders."""
    started = {key for index in underway for key in index.keys}
    return [(part, cache / key) for part, key in parts if key not in started and not _is_cached(cache / key)]


def _is_cached(folder: Path) -> bool:
    """Whether ``folder`` holds a whole part: each is made aside and renamed into the cache, with its
    entry file, once complete."""
    return (folder / "pagefind-entry.json").is_file()


def cached_parts(found: list[Record], config: Config) -> list[Callable[[], list[OutputFile]]] | None:
    """When every part of the index for ``found`` is in the cache already (no Pagefind to run): for
    each part, what reads its files as ``search_bundle(found, config, lazy=True)`` gives them;
    else None."""
    keys = _parts_and_keys(found, config.language)[1]
    cache = search_cache(config)
    return _part_readers(cache, keys, lazy=True) if all(_is_cached(cache / key) for key in keys) else None


def uncached_records(found: list[Record], config: Config, underway: Sequence[BackgroundIndex] = ()) -> int:
    """How many of ``found`` are in parts of the index that are not in the cache: what Pagefind
    would index now (the parts ``underway`` makes left out)."""
    parts, keys = _parts_and_keys(found, config.language)
    return sum(len(part) for part, _ in _to_make(zip(parts, keys, strict=True), search_cache(config), underway))


class BackgroundIndex:
    """Parts of the index made in a thread from now on: ``search_bundle(found, config,
    workers=workers, lazy=True)``, or ``start_article_parts``'s.

    A command-line build that analysed only a few articles again (an edit) starts it before
    rendering: Pagefind re-indexes the parts holding them while the pages render, instead of after
    (a build after an edit at 5,000 articles: 4.78 -> 4.02 s, the medians of 5 alternating pairs;
    its render is mostly this process's work on one core, and Pagefind has the other). At the usual
    priority, as are the parts started after the read (``start_article_parts``): the build waits
    for them as much as for its pages."""

    def __init__(self, work: Callable[[Callable[[], bool]], list[OutputFile]], keys: set[str] | None = None) -> None:
        self.keys: set[str] = keys or set()
        """The parts it makes, when known beforehand (``start_article_parts``)."""
        self.assumed: list[Record] | None = None
        """The topic records it took collect's to be (``start_first_part``)."""
        self.rest: _Rest | None = None
        """What a first part started before collect waits for (``start_first_part_articles``)."""
        self.stop = _Stop()
        self.outcome: list[OutputFile] | BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(work,), name="search-index", daemon=True)
        self.thread.start()

    @classmethod
    def of(cls, found: list[Record], config: Config, workers: int,
           underway: Sequence[BackgroundIndex] = (), trash: Path | None = None) -> BackgroundIndex:
        """``search_bundle(found, config, workers=workers, lazy=True, underway=underway, trash=trash)``."""
        return cls(lambda stop: search_bundle(found, config, stop, workers, lazy=True, yielding=False,
                                              underway=underway, trash=trash)[1])

    def _run(self, work: Callable[[Callable[[], bool]], list[OutputFile]]) -> None:
        try:
            self.outcome = work(self.stop)
        except BaseException as error:  # raised again by ``files``, in the build's own thread
            self.outcome = error

    def files(self) -> list[OutputFile]:
        """The index's files, once made; raises what making them raised."""
        return self.wait(None)

    def wait(self, cancelled: Callable[[], bool] | None) -> list[OutputFile]:
        """``files``, for work that may itself be cancelled meanwhile (raising Cancelled then)."""
        while self.thread.is_alive():
            if cancelled is not None and cancelled():
                raise Cancelled
            self.thread.join(CANCEL_CHECK_SECONDS)
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        assert self.outcome is not None
        return self.outcome

    @staticmethod
    def cancel_all(indexes: Iterable[BackgroundIndex | None]) -> None:
        """``cancel`` them together: every one is told to stop before any is waited for (one may
        be waiting for another, whose Pagefind may hang)."""
        started = [index for index in indexes if index is not None]
        for index in started:
            index.stop.set()
        for index in started:
            index.thread.join()

    def complete(self, found: list[Record], language: str, cache: Path) -> bool:
        """Give a first part started before collect (``rest``) the rest of its records, from
        ``found``, every record of the site as ``records`` makes them. It is stopped instead (and
        the part made with the others) when the records it was sent are not the ones the part
        starts with, or the part is in the cache already; and left out when it failed meanwhile
        (its Pagefind killed while the analysis held the memory, say): whether it goes on. The
        part is then made at the search stage, as without it."""
        if self.rest is None:
            return True
        if not self.thread.is_alive():
            return False  # failed (its error is not the build's: the part is made again) or stopped
        parts, keys = _parts_and_keys(found, language)
        sent = self.rest.sent
        first, kept = parts[0], cache / keys[0]
        same = len(first) >= len(sent) and all(
            (made.href, made.source, made.html) == (early.href, early.source, early.html)
            for made, early in zip(first[:len(sent)], sent, strict=True)) and all(
            record.first for record in first[len(sent):])
        if not same or _is_cached(kept):
            self.cancel()
            return False
        self.keys = {keys[0]}
        self.rest.give(first[len(sent):], kept)
        return True

    def cancel(self) -> None:
        """Stop it, the build having failed: its Pagefind processes are killed now, and the work
        stops at its next check (every SEND_RECORDS records sent, every CANCEL_CHECK_SECONDS while
        it waits); the parts it finished stay in the cache, each whole."""
        self.cancel_all([self])


class _Stop:
    """What a background index's work asks whether to go on (``stop()``). Setting it also kills the
    Pagefind processes that work runs: one that reads nothing (hung) would leave the work blocked
    writing records into a full pipe, never asking."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.services: set[_Service] = set()
        self.lock = threading.Lock()

    def __call__(self) -> bool:
        return self.event.is_set()

    def set(self) -> None:
        with self.lock:
            self.event.set()
            for service in self.services:
                service.process.kill()

    def watch(self, service: _Service) -> None:
        with self.lock:
            self.services.add(service)
            if self.event.is_set():
                service.process.kill()

    def forget(self, service: _Service) -> None:
        with self.lock:
            self.services.discard(service)


def start_article_parts(found: list[Record], config: Config, workers: int) -> BackgroundIndex | None:
    """The parts of the index that hold articles only (all but the first) and are not in the cache,
    started now in the background, from ``found``, the records of every article: none of them
    depends on the analysis, so a build after an edit starts Pagefind on the article's part as
    soon as it is read, and analyses and collects beside it (a cold build of a site of up to
    BUILD_RECORDS articles too). None when there is nothing to make, or more than BUILD_RECORDS
    records to (a cold build of a bigger site: Pagefind then runs after the render, the site
    model let go, within the memory the build has).

    At the usual priority: the build waits for these parts at its search stage. At the lowest
    (nice 19), as they once ran, any other program's work came first, and an unprivileged process
    cannot raise a priority again: with two busy programs beside it, a cold build of 1,000
    articles took 78-84 s instead of 11-13, and a build after an edit 69-79 s instead of 4-5, nearly
    all of it waiting on a starved Pagefind (nice 5: 15 s and 6-7 s). On an idle machine the
    usual priority costs nothing at 1,000 (alternating cold and edit builds) and 5,000 (edits),
    and ~10% after an edit at 10,000 (6 pairs; the main process's collect shares the two cores with
    the part's Pagefind and the removal of the last build's old site, 21,000 files)."""
    parts, keys = _parts_and_keys(found, config.language)
    return _start(config, workers, [(part, key) for number, (part, key) in enumerate(zip(parts, keys, strict=True))
                                    if number > 0])


def start_first_part(found: list[Record], topics: list[Record], pages: list[Record], config: Config,
                     workers: int) -> BackgroundIndex | None:
    """``start_article_parts`` for the first part, with ``topics`` (as the last build made them:
    ``last_topic_records``) standing in for collect's, beside ``pages``. Its own index, which says
    what it assumed (``BackgroundIndex.assumed``): the build stops it once collect made other
    topics (``topic_records``), rather than wait for a part it will not use (a wrong guess cost
    ~0.45 s more than no guess on a 700-article site)."""
    parts, keys = _parts_and_keys([*found, *topics, *pages], config.language)
    index = _start(config, workers, [(parts[0], keys[0])])
    if index is not None:
        index.assumed = topics
    return index


def start_first_part_articles(found: list[Record], config: Config) -> BackgroundIndex | None:
    """The first part of the index started now, with only its articles (from ``found``, the
    records of every article): they come first in the part (``_split``), and Pagefind reads them
    beside the analysis, collect and render; the site's own records
    (topics, pages) follow once collect made them (``BackgroundIndex.complete``), and only then is
    the part built and kept. For a cold build of a small site, which has no topics of an earlier
    build to start it with (``start_first_part``): at the search stage, its two parts then have
    about as much left to do, and finish together on two cores, where the first part, started
    last, was left alone on one."""
    articles = _split(found)[0]
    if not articles or len(found) > BUILD_RECORDS:
        return None
    rest = _Rest(articles)
    cache = search_cache(config)

    def work(stop: Callable[[], bool]) -> list[OutputFile]:
        cache.mkdir(parents=True, exist_ok=True)
        _index(articles, config.language, cache, rest, stop)
        return []

    index = BackgroundIndex(work)
    index.rest = rest
    return index


def _start(config: Config, workers: int, parts: list[tuple[list[Record], str]]) -> BackgroundIndex | None:
    jobs = _to_make(parts, search_cache(config))
    if not jobs or sum(len(part) for part, _ in jobs) > BUILD_RECORDS:
        return None

    def work(stop: Callable[[], bool]) -> list[OutputFile]:
        _make(jobs, config, stop, workers, lowest=False)
        return []

    return BackgroundIndex(work, {folder.name for _, folder in jobs})


def search_files(site: Site, config: Config, memory: dict[str, list[OutputFile]], workers: int = 1) -> list[OutputFile]:
    """The preview's Pagefind bundles for ``site``: from ``memory``, from the cache, or made now."""
    found = records(site, config)
    key = bundle_key(found, config.language)
    if key in memory:
        return memory[key]
    key, files = search_bundle(found, config, workers=workers)
    memory.clear()
    memory[key] = files
    return files


def _lowest_priority(pid: int) -> None:
    """Pagefind at the lowest priority: in the preview it indexes after the pages are served, while
    the next edit may be rebuilding, and the rebuild is what the user waits for. Never in a
    command-line build, which waits for Pagefind (see ``start_article_parts``)."""
    if hasattr(os, "setpriority"):  # POSIX
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, 19)


class _Service:
    """One Pagefind process in its service mode: requests and answers are JSON, base64-encoded and
    ended by a comma, on its standard input and output. The records go to it through the pipe,
    never through thousands of scratch files (creating and deleting those cost more than indexing
    on some file systems, and slowed the next files written)."""

    def __init__(self, cancelled: Callable[[], bool] | None, lowest: bool) -> None:
        self.cancelled = cancelled
        self.process = subprocess.Popen([str(pagefind_executable()), "--service"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env={**os.environ, "NO_COLOR": "1"})
        if lowest:
            _lowest_priority(self.process.pid)
        self.answers: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.errors: list[bytes] = []
        # Each thread alone reads (and, in ``close``, is waited for before anyone closes) its pipe.
        self.threads = [threading.Thread(target=self._read, name="pagefind-answers", daemon=True),
                        threading.Thread(target=self._drain_errors, name="pagefind-errors", daemon=True)]
        for thread in self.threads:
            thread.start()
        self.sent = 0
        if isinstance(cancelled, _Stop):
            cancelled.watch(self)

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        pending: list[bytes] = []  # pieces of an answer not complete yet (the files' answer is megabytes)
        try:
            while chunk := os.read(stream.fileno(), 1 << 20):
                *complete, rest = chunk.split(b",")
                for piece in complete:
                    pending.append(piece)
                    self.answers.put(json.loads(base64.b64decode(b"".join(pending))))
                    pending.clear()
                pending.append(rest)
        except (OSError, ValueError):
            pass  # not an answer (or the pipe broke): ``answer`` stops it and says why
        finally:
            stream.close()  # here, by the one thread that reads it
        self.answers.put(None)  # no more answers

    def _drain_errors(self) -> None:
        stream = self.process.stderr
        assert stream is not None
        try:
            with contextlib.suppress(OSError, ValueError):
                self.errors.append(stream.read())
        finally:
            stream.close()

    def send(self, payload: dict[str, Any]) -> None:
        """Queue a request; the answers come back in order, through ``answer``."""
        self.send_all([payload])

    def send_all(self, payloads: Iterable[dict[str, Any]]) -> None:
        """Queue requests, written in one call. The thread that writes gives the interpreter up
        during each write and must win it back from the build's busy thread after, ~5 ms each time:
        written one by one, a part's 600 records reached Pagefind over ~3 s (a build after an edit)."""
        assert self.process.stdin is not None
        messages = []
        for payload in payloads:
            message = json.dumps({"message_id": self.sent, "payload": payload}).encode("utf-8")
            self.sent += 1
            messages.append(base64.b64encode(message) + b",")
        with contextlib.suppress(BrokenPipeError):  # it exited: ``answer`` says why
            self.process.stdin.write(b"".join(messages))

    def answer(self) -> dict[str, Any]:
        """The next answer's payload, raising DigestError for an error or an exit, Cancelled once
        ``cancelled()``."""
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.flush()
        while True:
            if self.cancelled is not None and self.cancelled():
                self.close()
                raise Cancelled
            try:
                return self._payload(self.answers.get(timeout=CANCEL_CHECK_SECONDS))
            except queue.Empty:
                continue

    def answer_all(self, count: int) -> None:
        """Wait for ``count`` answers, each checked as ``answer`` does; those already come are taken
        without waiting (as with writing, waiting for each would cost ~5 ms)."""
        while count:
            self.answer()
            count -= 1
            while count:
                try:
                    self._payload(self.answers.get_nowait())
                except queue.Empty:
                    break
                count -= 1

    def _payload(self, answer: dict[str, Any] | None) -> dict[str, Any]:
        if answer is None:  # it exited, or wrote what is no answer: stopped either way
            self.close()
            message = b"".join(self.errors).decode("utf-8", "replace").strip().splitlines()
            raise _failed(message[-1] if message else f"pagefind stopped (exit status {self.process.returncode})")
        payload: dict[str, Any] = answer.get("payload", {})
        if payload.get("type") == "Error":
            raise _failed(str(payload.get("message")))
        return payload

    def close(self) -> None:
        """Stop Pagefind. Its output pipes end with it, and the threads reading them close them;
        they are given a moment to, so that what it printed is there to report, never more."""
        self.process.kill()
        self.process.wait()
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        for thread in self.threads:
            thread.join(timeout=1)
        if isinstance(self.cancelled, _Stop):
            self.cancelled.forget(self)


def _failed(why: str) -> DigestError:
    return DigestError(f"the search index could not be built: {why}",
                       hint="run the build again; if it persists, reinstall with make site")


BUILD_RECORDS = 1200
"""Records Pagefind may build into indexes at once, across parts (a part alone always may)."""


class _BuildBudget:
    """Held from asking Pagefind for a part's files until it is stopped. Building triples
    Pagefind's memory (~90 MB, and ~0.27 MB a record past 300: 185 MB for 670 records), so parts
    build side by side only while their records together stay within BUILD_RECORDS: the two
    parts of a 1,000-article site do (~310 MB together), and the eight of ~670 at 5,000 build one
    at a time. At most two parts of ~600 build together (~340 MB, as much as one of ~1,150); a
    part over the budget waits until nothing else builds. It covers a build's parts, and the
    preview's background index beside its foreground one."""

    def __init__(self, records: int) -> None:
        self.records = records
        self.building = 0
        self.changed = threading.Condition()

    @contextlib.contextmanager
    def hold(self, records: int) -> Iterator[None]:
        with self.changed:
            self.changed.wait_for(lambda: not self.building or self.building + records <= self.records)
            self.building += records
        try:
            yield
        finally:
            with self.changed:
                self.building -= records
                self.changed.notify_all()


_BUILDING = _BuildBudget(BUILD_RECORDS)


_SCRATCH = "index-"
"""The names of the folders Pagefind's bundles are made in, in .cache/search: ``index-<pid>-...``."""


def _abandoned(name: str) -> bool:
    """Whether a scratch folder is a killed build's: not this process's, nor another's still running."""
    pid = name[len(_SCRATCH):].split("-", 1)[0]
    if not pid.isdigit():
        return True  # a name from before pids were in it: no build running now makes one
    return int(pid) != os.getpid() and not running_elsewhere(pid)


class _Rest:
    """The records a first part started before collect waits for (the site's own: topics, pages),
    and the folder of the cache its bundle goes to, which depends on them: given once collect made
    them (``BackgroundIndex.complete``)."""

    def __init__(self, sent: list[Record]) -> None:
        self.sent = sent
        """The records sent to Pagefind before: the part's articles."""
        self.given = threading.Event()
        self.records: list[Record] = []
        self.kept: Path | None = None

    def give(self, records: list[Record], kept: Path) -> None:
        self.records, self.kept = records, kept
        self.given.set()

    def wait(self, cancelled: Callable[[], bool] | None) -> tuple[list[Record], Path]:
        while not self.given.wait(CANCEL_CHECK_SECONDS):
            if cancelled is not None and cancelled():
                raise Cancelled
        assert self.kept is not None
        return self.records, self.kept


def _send_records(service: _Service, index: int, found: list[Record], cancelled: Callable[[], bool] | None) -> None:
    for start in range(0, len(found), SEND_RECORDS):
        if cancelled is not None and cancelled():
            raise Cancelled
        service.send_all({"type": "AddFile", "index_id": index, "url": "/" + record.href,
                          "file_contents": record.document()} for record in found[start:start + SEND_RECORDS])


def _index(found: list[Record], language: str, cache: Path, kept: Path | _Rest,
           cancelled: Callable[[], bool] | None, lowest: bool = False) -> None:
    """Index the records with Pagefind, in the order given (the bundle's bytes follow from it), and
    keep its bundle under ``kept``; a ``_Rest``: then the records it is given, after ``found``,
    and the folder it names.

    Building the index takes about half of a part's time but triples Pagefind's memory (50 -> 190
    MB for 670 records), so it is done within ``_BUILDING``'s budget: while one big part builds,
    the other reads its records. Big parts (a 5,000-article site's) build one at a time, and the
    two steps still overlap; small parts build together."""
    with tempfile.TemporaryDirectory(prefix=f"{_SCRATCH}{os.getpid()}-", dir=cache) as scratch:
        bundle = Path(scratch) / "bundle"
        service = _Service(cancelled, lowest)
        try:
            service.send({"type": "NewIndex", "config": {"force_language": language.split("-")[0].lower() or "en"}})
            index = service.answer()["index_id"]
            _send_records(service, index, found, cancelled)
            if isinstance(kept, _Rest):
                # Pagefind reads the records sent meanwhile; the rest come once collect made them.
                more, kept = kept.wait(cancelled)
                _send_records(service, index, more, cancelled)
                found = [*found, *more]
            service.answer_all(len(found))
            # The files come back in the answer and are written here: Pagefind's own WriteFiles
            # answers before its last file is complete, and the process is stopped right after
            # (one run of a 10,000-article benchmark got a cut pagefind.js).
            with _BUILDING.hold(len(found)):
                try:
                    service.send({"type": "GetFiles", "index_id": index})
                    files = service.answer().get("files", [])
                finally:
                    service.close()  # inside: Pagefind's memory goes with it, for the next part's build
        finally:
            service.close()
        names = {_write_bundle_file(bundle, file) for file in files}
        del files
        return_free_memory()  # the part's files, decoded one by one
        if "pagefind-entry.json" not in names:
            raise _failed("it made no pagefind-entry.json")
        try:
            bundle.rename(kept)
        except OSError:
            if not _is_cached(kept):  # not another build's copy of this part
                raise


def _write_bundle_file(bundle: Path, file: Any) -> str:
    """One file of a ``GetFiles`` answer, written read-only under ``bundle``: its path."""
    try:
        path, data = str(file["path"]), base64.b64decode(file["content"], validate=True)
    except (KeyError, TypeError, ValueError) as error:  # binascii.Error is a ValueError
        raise _failed(f"it answered with a file that could not be read ({error})") from None
    relative = PurePosixPath(path)
    if relative.is_absolute() or "\\" in path or ":" in path or not relative.parts or ".." in relative.parts:
        raise _failed(f"it made a file outside its folder: {path!r}")
    target = bundle.joinpath(*relative.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    # Read-only: site/ links these files rather than copying them, so they must not change.
    target.chmod(0o444)
    return relative.as_posix()
