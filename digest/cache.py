"""The analysis cache: what one article alone yields, kept between builds.

An entry is keyed on everything its analysis reads (the article's title, body blocks and pinned
fields), the analysis settings and ANALYSIS_VERSION, so an unchanged article is never analysed
twice and any change to it, to the settings or to the code's version makes a fresh entry. Whole
pages are never cached: they depend on other articles. The cache is one JSON file under
``.cache/``, rewritten atomically once a build has rendered its pages, with only the entries that build used.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from itertools import repeat
from pathlib import Path
from typing import Any

from digest import __version__
from digest.config import Config
from digest.jsonfile import from_json, load_json, save_json, stored_text
from digest.models import Analysis, AnalyzedArticle, Article, Candidate, Quote, Stored
from digest.workers import Workers

ANALYSIS_VERSION = f"{__version__}-a5"
"""Bump the suffix whenever the analysis code changes what it returns."""
CACHE_FILE = Path(".cache") / "analysis.json"
POOL_THRESHOLD = 48
"""Below this many articles to analyse, a process pool costs more to start than it saves."""


def analyses_ahead(root: Path, use_cache: bool) -> bool:
    """Whether a build of the project at ``root`` will surely analyse its articles: it keeps no
    analyses (``--no-cache``, or no ``.cache/analysis.json`` yet: a first build)."""
    return not use_cache or not (root / CACHE_FILE).is_file()


def load_analysis_code() -> None:
    """Import the analysis and numpy now (~0.1 s). A command-line build that will analyse does it
    before forking its workers, which then share them: each worker imported both at its first
    article otherwise (~0.12 s each, on the critical path), and the build's own process too (the
    analysis in ``analyze_all``, numpy in collect). Its arrays module holds numpy to one thread
    first (``digest.blas``), so no thread runs when the workers fork."""
    import digest.analyze
    import digest.analyze.arrays  # noqa: F401 (numpy)


def settings_key(config: Config) -> str:
    """The analysis settings an entry depends on."""
    topics = [(t.slug, t.name, t.description, list(t.keywords)) for t in config.topics]
    return json.dumps(
        [ANALYSIS_VERSION, config.summarizer, config.summary_sentences, config.summary_words,
         config.digest_sentences, config.keywords_per_article, config.topic_threshold, topics],
        ensure_ascii=False,
    )


@functools.lru_cache(maxsize=8)
def _settings_digest(settings: str) -> str:
    return hashlib.sha256(settings.encode("utf-8")).hexdigest()


def article_key(article: Article, settings: str) -> str:
    """A digest of the settings and all the analysis reads of ``article`` (``Article.text_digest``,
    made once when the article was parsed)."""
    return hashlib.sha256((_settings_digest(settings) + article.text_digest).encode("ascii")).hexdigest()


def _to_json(analysis: Analysis) -> dict[str, Any]:
    """What ``dataclasses.asdict`` gives, field by field: a third of its time (it deep-copies each
    value), which was 1.1 s of saving the analyses of 5,000 articles. The candidates and the
    signature are kept as JSON text, read only when used (``Stored``); as they came, if never read."""
    return {
        "summary": list(analysis.summary),
        "quotes": [{"text": quote.text, "speaker": quote.speaker} for quote in analysis.quotes],
        "keywords": list(analysis.keywords),
        "topics": list(analysis.topics),
        "candidates": stored_text(analysis.candidates, lambda candidates: [
            [candidate.text, candidate.position, candidate.score] for candidate in candidates]),
        "signature": stored_text(analysis.signature, list),
    }


def _from_json(data: dict[str, Any], again: _AnalysedAgain | None = None) -> Analysis:
    """The analysis an entry holds; its candidates and signature are read when used, through
    ``again`` (without it, a damaged one raises ValueError then)."""
    candidates, signature = data["candidates"], data["signature"]
    reader = again or _AnalysedAgain(None)
    return Analysis(
        summary=tuple(data["summary"]),
        quotes=tuple(Quote(q["text"], q["speaker"]) for q in data["quotes"]),
        keywords=tuple(data["keywords"]),
        topics=tuple(data["topics"]),
        # Lists: an entry written before they were kept as text.
        candidates=Stored(candidates, reader.candidates) if isinstance(candidates, str) else tuple(
            Candidate(c["text"], c["position"], c["score"]) for c in candidates),
        signature=Stored(signature, reader.signature) if isinstance(signature, str) else tuple(signature),
    )


class _AnalysedAgain:
    """Reads an entry's candidates and signature when they are used (collect, long after the file
    was loaded and checked in one piece). Text found damaged by then is made again as a missing
    entry would be: the article is analysed again (once for both), and the cache saves the fresh
    entry at its next save. A build never fails on its cache, and a preview never keeps the damage."""

    __slots__ = ("analysis", "made")

    def __init__(self, made: tuple[Article, Config, AnalysisCache] | None) -> None:
        self.made = made
        """The article, the settings and the cache; None: a damaged part raises ValueError."""
        self.analysis: Analysis | None = None

    def candidates(self, encoded: str) -> tuple[Candidate, ...]:
        try:
            candidates = tuple(Candidate(text, position, score) for text, position, score in from_json(encoded))
            if all(isinstance(c.text, str) and type(c.position) is int and type(c.score) in (int, float)
                   for c in candidates):
                return candidates
        except (ValueError, TypeError):
            pass
        return tuple(self._again().candidates)

    def signature(self, encoded: str) -> tuple[int, ...]:
        try:
            signature = tuple(from_json(encoded))
            if all(type(value) is int for value in signature):
                return signature
        except (ValueError, TypeError):
            pass
        return tuple(self._again().signature)

    def _again(self) -> Analysis:
        if self.made is None:
            raise ValueError(f"{CACHE_FILE}: an analysis kept there is damaged")
        if self.analysis is None:
            from digest.analyze import analyze_article

            article, config, cache = self.made
            self.analysis = analyze_article(article, config)
            cache.added = True  # the file holds the damage: written again at the next save
        return self.analysis


_DECODED: dict[str, Any] = {}
"""Stands for an entry held only as its decoded analysis (``AnalysisCache.decoded``)."""


class AnalysisCache:
    """Entries loaded from and saved to ``<root>/.cache/analysis.json``."""

    def __init__(self, root: Path, warn: Callable[[str], None]) -> None:
        self.path = root / CACHE_FILE
        self.entries: dict[str, dict[str, Any]] = {}
        self.used: set[str] = set()
        self.added = False
        """Whether an entry was made since loading (the file on disk is then out of date)."""
        # Within one process (the preview server), what was already decoded or hashed is kept:
        # analyses by key, and each article object's key (the reader hands back the same object
        # for a file that did not change).
        self.decoded: dict[str, Analysis] = {}
        self.keys: dict[int, tuple[Article, str, str]] = {}
        if self.path.is_file() and not self.path.is_symlink():
            try:
                data = load_json(self.path)
                if isinstance(data, dict) and data.get("version") == ANALYSIS_VERSION:
                    self.entries = dict(data.get("entries", {}))
            except (OSError, ValueError) as error:
                warn(f"{self.path}: analysis cache unreadable ({error}); analysing everything again")

    def key_of(self, article: Article, settings: str) -> str:
        remembered = self.keys.get(id(article))
        if remembered is not None and remembered[0] is article and remembered[1] == settings:
            return remembered[2]
        key = article_key(article, settings)
        self.keys[id(article)] = (article, settings, key)
        return key

    def get(self, key: str, article: Article | None = None, config: Config | None = None) -> Analysis | None:
        """The analysis kept for ``key``; ``article`` and ``config``, what it is made from, make again
        a part of it found damaged when read (``_AnalysedAgain``)."""
        if key in self.decoded:
            self.used.add(key)
            return self.decoded[key]
        data = self.entries.get(key)
        if data is None:
            return None
        try:
            again = _AnalysedAgain((article, config, self)) if article is not None and config is not None else None
            analysis = _from_json(data, again)
        except (KeyError, TypeError, ValueError):
            return None
        self.used.add(key)
        self.decoded[key] = analysis
        # Decoded, the entry is kept once: ``save`` writes it from the analysis (the same JSON).
        self.entries[key] = _DECODED
        return analysis

    def put(self, key: str, analysis: Analysis) -> None:
        self.added = True
        self.entries[key] = _DECODED
        self.decoded[key] = analysis
        self.used.add(key)

    def save(self) -> None:
        """Write the entries this build used (and only those), atomically; nothing when that is
        what the file already holds."""
        if not self.added and self.used == self.entries.keys() and self.path.is_file():
            return
        kept = {key: _to_json(self.decoded[key]) if self.entries[key] is _DECODED else self.entries[key]
                for key in sorted(self.used)}
        save_json(self.path, {"version": ANALYSIS_VERSION, "entries": kept})
        self.added = False  # only once saved: a save that failed is tried again


def analyze_all(
    articles: Sequence[Article], config: Config, cache: AnalysisCache | None, workers: int,
    progress: Callable[[int, int], None] | None = None, forked: Workers | None = None,
) -> tuple[list[AnalyzedArticle], int]:
    """Every article with its analysis, from the cache where possible; returns how many were analysed.

    Misses are analysed in worker processes when there are many (``forked``, a command-line
    build's, or else a pool of ``workers``); the results are the same values a single process
    computes, in the same order. ``progress(done, total)`` hears of each one.
    """
    settings = settings_key(config)
    if cache is not None:
        keys = [cache.key_of(article, settings) for article in articles]
        alive = {id(article) for article in articles}  # forget articles no longer read
        cache.keys = {ident: entry for ident, entry in cache.keys.items() if ident in alive}
    else:
        keys = [article_key(article, settings) for article in articles]
    found: list[Analysis | None] = (
        [cache.get(key, article, config) for key, article in zip(keys, articles, strict=True)]
        if cache is not None else [None] * len(keys))
    missing = [index for index, analysis in enumerate(found) if analysis is None]
    todo = [articles[index] for index in missing]
    fresh: list[Analysis] = []
    if todo:
        # Imported only with something to analyse: a build whose analyses are all cached never
        # needs the analysis (~0.15 s of imports, mostly compiling its patterns).
        from digest.analyze import analyze_article
    if forked is not None and len(todo) >= POOL_THRESHOLD:
        # The processes forked while this one was small: a pool forked now would count the
        # parsed articles again in each process's memory (~130 MB each at 5,000 articles).
        chunk = max(1, len(todo) // (len(forked.connections) * 8))
        for analysis in forked.map(functools.partial(analyze_article, config=config), todo, chunk):
            fresh.append(analysis)
            if progress is not None:
                progress(len(fresh), len(todo))
    elif workers > 1 and len(todo) >= POOL_THRESHOLD:
        from concurrent.futures import ProcessPoolExecutor  # ~40 ms to import: only for a pool

        with ProcessPoolExecutor(max_workers=workers) as pool:
            for analysis in pool.map(analyze_article, todo, repeat(config),
                                     chunksize=max(1, len(todo) // (workers * 8))):
                fresh.append(analysis)
                if progress is not None:
                    progress(len(fresh), len(todo))
    else:
        for article in todo:
            fresh.append(analyze_article(article, config))
            if progress is not None:
                progress(len(fresh), len(todo))
    for index, analysis in zip(missing, fresh, strict=True):
        found[index] = analysis
        if cache is not None:
            cache.put(keys[index], analysis)
    return [AnalyzedArticle(article, analysis, key if cache is not None else "")
            for article, analysis, key in zip(articles, found, keys, strict=True) if analysis is not None], len(todo)
