"""The values passed between stages. Frozen and slotted: a stage returns new values, never patches."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar, overload

from digest.fingerprint import article_digest, text_digest

BlockKind = Literal["paragraph", "heading", "caption", "blockquote", "list_item"]


@dataclass(frozen=True, slots=True)
class Block:
    """One block of an article body, as the analysis reads it."""

    kind: BlockKind
    """What the block is; only paragraphs and list items feed summaries."""
    text: str
    """Plain text, Markdown markup removed."""

    def __reduce__(self) -> tuple[type[Block], tuple[BlockKind, str]]:
        # Pickled as a call: half the time of a slotted dataclass's own state functions, and a cold
        # build sends each article's ~25 blocks between processes twice (read, then analysis).
        return Block, (self.kind, self.text)


Item = TypeVar("Item")


class Stored(Sequence[Item]):
    """Values a cache keeps as one JSON text, made only when something reads them: an article's
    blocks, an analysis's candidate sentences and signature, which a build whose analyses, topic
    stories and search index are all cached never reads (at 5,000 articles, ~200,000 objects and
    30 MB of JSON, ~0.2 s of loading the caches). Equal to the tuple of the same values, and sent
    to another process as that tuple."""

    __slots__ = ("_decode", "_encoded", "_items")

    def __init__(self, encoded: str, decode: Callable[[str], tuple[Item, ...]]) -> None:
        self._encoded: str | None = encoded
        self._decode = decode
        self._items: tuple[Item, ...] = ()

    @property
    def items(self) -> tuple[Item, ...]:
        # One read of the text: a thread making search records may decode the same values.
        encoded = self._encoded
        if encoded is not None:
            self._items = self._decode(encoded)
            self._encoded = None
        return self._items

    @property
    def encoded(self) -> str | None:
        """The text they were stored as, while they were not read: what the cache writes again."""
        return self._encoded

    @overload
    def __getitem__(self, index: int) -> Item: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Item, ...]: ...
    def __getitem__(self, index: int | slice) -> Item | tuple[Item, ...]:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Stored):
            other = other.items
        return self.items == other if isinstance(other, tuple) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.items)

    def __repr__(self) -> str:
        return repr(self.items)

    def __reduce__(self) -> tuple[type[tuple[Any, ...]], tuple[tuple[Item, ...]]]:
        return tuple, (self.items,)


@dataclass(frozen=True, slots=True)
class Quote:
    """A direct quotation found in (or pinned to) an article."""

    text: str
    """The words inside the quotation marks, without the marks."""
    speaker: str | None
    """The fullest name the article gives the speaker, or None when unattributed."""

    def __reduce__(self) -> tuple[type[Quote], tuple[str, str | None]]:
        return Quote, (self.text, self.speaker)  # as Block's: the analysis's workers send them back


@dataclass(frozen=True, slots=True)
class Article:
    """An article as read from ``content/articles/``: front matter checked, body parsed once."""

    path: Path
    """The Markdown file it came from."""
    slug: str
    """URL-safe name, unique in the site: the page lives at ``articles/<slug>/``."""
    title: str
    date: datetime | None
    """Publication time, always timezone-aware; None when the file gives none."""
    author: str | None
    source: str | None
    """Where the article was taken from: an http(s) URL or a file name."""
    body_html: str
    """The body rendered to HTML (raw HTML in the Markdown is escaped, never passed through)."""
    blocks: tuple[Block, ...] | Stored[Block]
    """The body as plain-text blocks, for analysis (Stored: as the read cache kept them)."""
    word_count: int
    pinned_summary: tuple[str, ...] | None = None
    """A summary the user wrote in front matter: always wins over the computed one."""
    pinned_topics: tuple[str, ...] | None = None
    pinned_quote: Quote | None = None
    language: str | None = None
    text_digest: str = ""
    """A digest of what the analysis reads (title, pins, blocks), which the analysis cache's key is
    made from; ``digest``: of every field but ``path`` and ``slug``, which a page showing the
    article depends on. Both are made here when not given (the read cache gives the ones it
    kept): ``dataclasses.replace`` keeps them, so it may change only ``path`` and ``slug``."""
    digest: str = ""

    def __post_init__(self) -> None:
        if not self.text_digest:
            object.__setattr__(self, "text_digest", text_digest(self))
        if not self.digest:
            object.__setattr__(self, "digest", article_digest(self))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence offered for the topic digest: its text, place in the article and score."""

    text: str
    position: int
    score: float

    def __reduce__(self) -> tuple[type[Candidate], tuple[str, int, float]]:
        return Candidate, (self.text, self.position, self.score)  # as Block's


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the analysis derives from one article alone."""

    summary: tuple[str, ...]
    """Sentences from the article, in document order."""
    quotes: tuple[Quote, ...]
    """Pull-quote candidates, best first."""
    keywords: tuple[str, ...]
    topics: tuple[str, ...]
    """Slugs of the topics the article belongs to."""
    candidates: tuple[Candidate, ...] | Stored[Candidate] = ()
    """The article's best sentences for a topic digest, best first."""
    signature: tuple[int, ...] | Stored[int] = ()
    """MinHash of the body's word shingles, to find near-duplicates across the site."""


@dataclass(frozen=True, slots=True)
class AnalyzedArticle:
    """An article together with its analysis; what collect and render consume."""

    article: Article
    analysis: Analysis
    key: str = ""
    """The analysis cache's key: a digest of all the analysis read (``cache.article_key``); empty
    when the analysis was not cached. What collect makes from analyses is cached by it."""


@dataclass(frozen=True, slots=True)
class Page:
    """A standalone page from ``content/pages/`` (about, colophon ...)."""

    path: Path
    slug: str
    title: str
    body_html: str


@dataclass(frozen=True, slots=True)
class DigestSentence:
    """One sentence of a topic's story, with the article it came from."""

    text: str
    article_slug: str


@dataclass(frozen=True, slots=True)
class TopicQuote:
    quote: Quote
    article_slug: str


@dataclass(frozen=True, slots=True)
class TopicDigest:
    """A topic's page: its story across articles, its best quotes, its articles (by slug)."""

    slug: str
    name: str
    description: str
    story: tuple[DigestSentence, ...]
    quotes: tuple[TopicQuote, ...]
    article_slugs: tuple[str, ...]
    """Newest first."""
    discovered: bool = False
    """True when the topic was not declared in config.yaml but grouped from keywords."""


@dataclass(frozen=True, slots=True)
class Site:
    """Everything the renderer needs; holds slugs, not copies, between its parts."""

    articles: tuple[AnalyzedArticle, ...]
    """Newest first; undated articles last, then by slug."""
    topics: tuple[TopicDigest, ...]
    pages: tuple[Page, ...]
    duplicates: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Near-duplicate stories: (the slug shown, the slugs of the same story from elsewhere)."""
    related: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Slug -> the slugs of related articles, best first (shared keywords and topics)."""


Stamp = tuple[int, int, int]
"""A file's modification time (ns), size and inode: how ``digest.uptodate`` knows site/ is unchanged."""


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One file of the built site: a relative POSIX path under ``site/`` and its bytes."""

    path: str
    data: bytes
    source: Path | None = None
    """A read-only file in ``.cache/`` holding exactly these bytes: the writer links it instead of
    writing a copy (the search index's thousand small files). ``data`` may then be left empty:
    ``content()`` reads it from there."""
    written: Stamp | None = None
    """Already in the writer's new tree, written there by the render worker that made it
    (``SiteWriter.tree_for_workers``): its modification time (ns), size and inode as the worker
    found them, which the writer only notes (``SiteWriter.listing``). ``data`` is then empty."""

    def content(self) -> bytes:
        return self.source.read_bytes() if self.source is not None and not self.data else self.data
