"""``config.yaml``: a typed schema with defaults; every problem reported with its key and line."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from digest.errors import BuildErrors, ConfigError, DigestError
from digest.regular import read_regular
from digest.slugs import slugify
from digest.yamlsafe import load_yaml

CONFIG_NAME = "config.yaml"
SUMMARIZER_NAMES = ("textrank", "lead")
"""The summary strategies a config may name; digest.analyze.summarize.SUMMARIZERS implements them."""
MAX_CONFIG_BYTES = 256 * 1024
BASE_URL_ENV = "DIGEST_BASE_URL"
"""When set (and not empty), replaces ``site.base_url``: CI passes the Pages address this way."""


@dataclass(frozen=True, slots=True)
class TopicConfig:
    """A topic declared by the user."""

    slug: str
    name: str
    description: str
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Config:
    """The whole site configuration, validated. Paths are absolute."""

    root: Path
    """The project folder: where config.yaml is."""
    title: str = "Digest"
    """Site name, shown in the header, the <title> of every page and the feeds."""
    description: str = ""
    """One line about the site, for the home page and search engines."""
    base_url: str = "/"
    """Where the site is published, e.g. ``https://user.github.io/repo/``. Pages link to each
    other relatively, so the site works from any folder; canonical URLs, feeds and the 404
    page use this."""
    language: str = "en"
    """The ``lang`` of every page, unless an article says otherwise."""
    per_page: int = 30
    """``site.per_page``: articles on each page of the archive."""
    feed_entries: int = 20
    """``site.feed_entries``: the newest articles in each Atom feed."""
    theme: str = "default"
    """A folder in ``themes/``; templates it lacks come from ``themes/default``."""
    inbox: str = "content/inbox"
    """Raw articles dropped here are ingested by every build."""
    summary_sentences: int = 3
    """Sentences in each article's summary (ignored when summary_words is set)."""
    summary_words: int | None = None
    """Word budget for each article's summary instead of a sentence count."""
    summarizer: str = "textrank"
    """Summary strategy, one of SUMMARIZER_NAMES."""
    digest_sentences: int = 5
    """Sentences in each topic's story."""
    quotes_per_topic: int = 3
    """Pull-quotes shown on a topic page."""
    keywords_per_article: int = 8
    topic_threshold: float = 0.3
    """The share (0 to 1) of an article's evidence for all declared topics that its best topic must
    hold for the article to join it; 0 takes the best-matching topic whenever one of its keywords
    appears. A topic within 80% of the best one that also reaches it is assigned too."""
    topics: tuple[TopicConfig, ...] = ()
    deploy_branch: str = "gh-pages"
    """``deploy.branch``: the branch ``deploy`` commits site/ onto."""
    deploy_remote: str = "origin"
    """``deploy.remote``: the git remote ``deploy`` fetches from and pushes to."""
    deploy_cname: str | None = None
    """``deploy.cname``: a custom domain written to the published ``CNAME`` file. Without it, a
    CNAME already on the branch is kept."""

    @property
    def base_path(self) -> str:
        """The path part of base_url, always starting and ending with '/'."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def output_dir(self) -> Path:
        return self.root / "site"

    @property
    def inbox_dir(self) -> Path:
        return self.root / self.inbox


_SITE_KEYS = {"title", "description", "base_url", "language", "per_page", "feed_entries"}
_ANALYSIS_KEYS = {
    "summary_sentences",
    "summary_words",
    "summarizer",
    "digest_sentences",
    "quotes_per_topic",
    "keywords_per_article",
    "topic_threshold",
}
_TOP_KEYS = {"site", "theme", "inbox", "analysis", "topics", "deploy"}
_DEPLOY_KEYS = {"branch", "remote", "cname"}
_HOSTNAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?")
_TOPIC_KEYS = {"name", "slug", "description", "keywords"}


class _Checker:
    """Collects every problem with its key path and line, then raises them together."""

    def __init__(self, path: Path, lines: dict[tuple[str | int, ...], int]) -> None:
        self.path = path
        self.lines = lines
        self.errors: list[DigestError] = []

    def fail(self, keys: tuple[str | int, ...], message: str, hint: str | None = None) -> None:
        name = ".".join(str(key) for key in keys)
        line = self.lines.get(keys)
        while line is None and keys:
            keys = keys[:-1]
            line = self.lines.get(keys)
        text = f"'{name}': {message}" if name else message
        self.errors.append(ConfigError(text, path=self.path, line=line, hint=hint))

    def mapping(self, value: Any, keys: tuple[str | int, ...], allowed: set[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(keys, f"must be a mapping of keys to values, got {type(value).__name__}")
            return {}
        for key in value:
            if str(key) not in allowed:
                close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                hint = f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(sorted(allowed))
                self.fail((*keys, str(key)), "unknown key", hint)
        return {str(key): item for key, item in value.items() if str(key) in allowed}

    def text(self, data: dict[str, Any], key: str, keys: tuple[str | int, ...], default: str) -> str:
        value = data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, str):
            self.fail((*keys, key), f"must be text, got {type(value).__name__}", "put it in quotes")
            return default
        return value

    def integer(
        self, data: dict[str, Any], key: str, keys: tuple[str | int, ...], default: int | None, low: int, high: int
    ) -> int | None:
        value = data.get(key, default)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail((*keys, key), f"must be a whole number from {low} to {high}, got {value!r}")
            return default
        return value


SUMMARY_SENTENCES = (1, 50)
SUMMARY_WORDS = (5, 2000)
"""The ranges a summary's length may take, in config.yaml and on analyze's command line."""

_LANGUAGE_TAG = re.compile(r"(?:[A-Za-z]{2,3}|[xXiI])(?:-[A-Za-z0-9]{1,8})*")
"""A language tag as HTML's ``lang`` and Pagefind take it: ``en``, ``en-GB``, ``pt-BR``, ``zh-Hant``."""


_RIGHT_TO_LEFT = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ps", "sd", "syr", "ug", "ur", "yi"})
"""Languages written right to left (by their primary subtag): a site in one has ``dir="rtl"``."""


def text_direction(language: str) -> str:
    """``rtl`` for a language written right to left (``ar``, ``he-IL``), else ``ltr``."""
    return "rtl" if language.partition("-")[0].lower() in _RIGHT_TO_LEFT else "ltr"


def _language(check: _Checker, site: dict[str, Any]) -> str:
    language = check.text(site, "language", ("site",), "en")
    if not _LANGUAGE_TAG.fullmatch(language):
        check.fail(("site", "language"), f"must be a language tag such as en, en-GB or ar, got {language!r}",
                   "the search index and every page's lang take it")
        return "en"
    return language


def parse_config(text: str, path: Path) -> Config:
    """Validate the text of a config file; raise BuildErrors listing every problem."""
    try:
        document = load_yaml(text)
    except DigestError as error:
        raise ConfigError(error.message, path=path, line=error.line, hint=error.hint) from None
    check = _Checker(path, document.lines)
    top = check.mapping(document.data, (), _TOP_KEYS)
    site = check.mapping(top.get("site"), ("site",), _SITE_KEYS)
    analysis = check.mapping(top.get("analysis"), ("analysis",), _ANALYSIS_KEYS)

    base_url = check.text(site, "base_url", ("site",), "/")
    from_environment = os.environ.get(BASE_URL_ENV, "").strip()
    if from_environment:  # CI passes the Pages address; a trailing '/' is implied
        base_url = from_environment if from_environment.endswith("/") else from_environment + "/"
    parts = urlsplit(base_url)
    absolute_url = parts.scheme in ("http", "https") and bool(parts.netloc)
    if not (absolute_url or (not parts.scheme and not parts.netloc and base_url.startswith("/"))):
        problem = f"must be an http(s) URL or a path starting with '/', got {base_url!r}"
        if from_environment:
            check.errors.append(ConfigError(f"{BASE_URL_ENV} (replaces 'site.base_url'): {problem}",
                                            hint="for example https://user.github.io/repo/ or /repo/"))
        else:
            check.fail(("site", "base_url"), problem, "for example https://user.github.io/repo/ or /repo/")
    theme = check.text(top, "theme", (), "default")
    if not theme or slugify(theme, fallback="") != theme.lower() or "/" in theme:
        check.fail(("theme",), f"must be the name of a folder in themes/, got {theme!r}")
        theme = "default"
    inbox = check.text(top, "inbox", (), "content/inbox")
    root = path.parent.resolve()
    inbox_path = (root / inbox).resolve()
    # The inbox holds raw files only: never the project itself, nor what digest writes or reads.
    owned = [root / "content" / "articles", root / "content" / "pages", root / "site", root / "themes"]
    if not inbox_path.is_relative_to(root) or inbox_path in (root, root / "content") or any(
        inbox_path.is_relative_to(folder) for folder in owned
    ):
        check.fail(("inbox",), f"must be a folder of its own inside the project, got {inbox!r}",
                   "for example content/inbox")
        inbox = "content/inbox"

    summarizer = check.text(analysis, "summarizer", ("analysis",), "textrank")
    if summarizer not in SUMMARIZER_NAMES:
        check.fail(("analysis", "summarizer"), f"unknown summarizer {summarizer!r}",
                   "choose one of " + ", ".join(SUMMARIZER_NAMES))
        summarizer = "textrank"
    threshold = analysis.get("topic_threshold", 0.3)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        check.fail(("analysis", "topic_threshold"), f"must be a number from 0 to 1, got {threshold!r}")
        threshold = 0.3

    config = Config(
        root=path.parent.resolve(),
        title=check.text(site, "title", ("site",), "Digest"),
        description=check.text(site, "description", ("site",), ""),
        base_url=base_url,
        language=_language(check, site),
        per_page=check.integer(site, "per_page", ("site",), 30, 1, 1000) or 30,
        feed_entries=check.integer(site, "feed_entries", ("site",), 20, 1, 1000) or 20,
        theme=theme,
        inbox=inbox,
        summary_sentences=check.integer(analysis, "summary_sentences", ("analysis",), 3, *SUMMARY_SENTENCES) or 3,
        summary_words=check.integer(analysis, "summary_words", ("analysis",), None, *SUMMARY_WORDS),
        summarizer=summarizer,
        digest_sentences=check.integer(analysis, "digest_sentences", ("analysis",), 5, 1, 50) or 5,
        quotes_per_topic=check.integer(analysis, "quotes_per_topic", ("analysis",), 3, 0, 20) or 0,
        keywords_per_article=check.integer(analysis, "keywords_per_article", ("analysis",), 8, 0, 50) or 0,
        topic_threshold=float(threshold),
        topics=_topics(top.get("topics"), check),
        **_deploy(top.get("deploy"), check),
    )
    if check.errors:
        raise BuildErrors(check.errors)
    return config


def _topics(value: Any, check: _Checker) -> tuple[TopicConfig, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        check.fail(("topics",), "must be a list of topics", "start each topic with '- name: ...'")
        return ()
    topics: list[TopicConfig] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        keys: tuple[str | int, ...] = ("topics", index)
        data = check.mapping(item, keys, _TOPIC_KEYS)
        name = check.text(data, "name", keys, "").strip()
        if not name:
            check.fail(keys, "a topic needs a name")
            continue
        slug = slugify(check.text(data, "slug", keys, "") or name)
        if slug in seen:
            check.fail((*keys, "name"), f"topic slug '{slug}' is used twice", "give one of them another slug")
            continue
        seen.add(slug)
        keywords = data.get("keywords") or []
        if not isinstance(keywords, list) or not all(isinstance(word, str) for word in keywords):
            check.fail((*keys, "keywords"), "must be a list of words")
            keywords = []
        topics.append(
            TopicConfig(
                slug=slug,
                name=name,
                description=check.text(data, "description", keys, ""),
                keywords=tuple(word.strip() for word in keywords if word.strip()),
            )
        )
    return tuple(topics)


def _valid_branch(name: str) -> bool:
    """A branch name git accepts (the rules of ``git check-ref-format --branch``)."""
    return (
        bool(name)
        and not name.startswith(("-", "/", "."))
        and not name.endswith(("/", ".", ".lock"))
        and not any(bad in name for bad in ("..", "@{", "//", "/."))
        and name != "@"
        and not re.search(r"[\x00-\x20\x7f~^:?*\[\\]", name)
    )


def _deploy(value: Any, check: _Checker) -> dict[str, Any]:
    """The optional ``deploy:`` section, as keyword arguments of Config."""
    keys: tuple[str | int, ...] = ("deploy",)
    data = check.mapping(value, keys, _DEPLOY_KEYS)
    branch = check.text(data, "branch", keys, "gh-pages").strip()
    if not _valid_branch(branch):
        check.fail((*keys, "branch"), f"not a valid git branch name: {branch!r}", "for example gh-pages")
        branch = "gh-pages"
    remote = check.text(data, "remote", keys, "origin").strip()
    if not remote or remote.startswith("-") or re.search(r"[\x00-\x20\x7f]", remote):
        check.fail((*keys, "remote"), f"not a git remote name: {remote!r}", "for example origin")
        remote = "origin"
    cname: str | None = check.text(data, "cname", keys, "").strip().rstrip(".").lower() or None
    if cname is not None and not _HOSTNAME.fullmatch(cname):
        check.fail((*keys, "cname"), f"must be a domain name, got {cname!r}",
                   "for example www.example.org, without https:// or a path")
        cname = None
    return {"deploy_branch": branch, "deploy_remote": remote, "deploy_cname": cname}


def load_config(path: Path, required: bool = False) -> Config:
    """Read and validate a config file; a missing ``config.yaml`` that was not asked for gives the defaults."""
    if not path.exists():
        if required:
            raise ConfigError("config file not found", path=path, hint="check the --config path")
        if path.parent.is_dir():
            return parse_config("", path)  # the defaults, with DIGEST_BASE_URL applied
        raise ConfigError("project folder not found", path=path.parent)
    try:
        raw = read_regular(path, MAX_CONFIG_BYTES)  # a named pipe would hang a plain read
    except OSError as error:
        raise ConfigError(f"cannot read: {error.strerror}", path=path) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"larger than {MAX_CONFIG_BYTES // 1024} KB", path=path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ConfigError(f"not UTF-8 (byte {error.start})", path=path, hint="save it as UTF-8") from None
    return parse_config(text.replace("\r\n", "\n").replace("\r", "\n"), path)
