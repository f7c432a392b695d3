"""Site + Theme -> OutputFiles. Pure: touches no disk (the theme was loaded by digest.theme),
except that a command-line build's render workers may write their pages into the new site
themselves (``_Pages.into``).

Templates run in Jinja2's immutable sandbox with autoescaping on for every file, and get only
plain values (no paths, no file or environment access). Links between pages are relative, so
the same ``site/`` works at a domain root and under any sub-path; only canonical URLs and the
404 page (served at the visitor's URL) use ``base_url``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import posixpath
import re
import shutil
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from multiprocessing.connection import Connection, wait
from pathlib import Path
from types import FunctionType
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit

import markupsafe
from jinja2 import FileSystemBytecodeCache, FunctionLoader, StrictUndefined, TemplateError, TemplateNotFound, nodes
from jinja2.bccache import Bucket
from jinja2.compiler import CodeGenerator
from jinja2.runtime import BlockReference, Context, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from digest.config import Config, text_direction
from digest.errors import DigestError, ThemeError
from digest.models import Analysis, AnalyzedArticle, Article, OutputFile, Site, Stamp
from digest.pagecache import StoredPages, checksum
from digest.search import part_count, part_folders, records_count
from digest.theme import Theme
from digest.uptodate import code_version
from digest.views import REFERENCE_FIELDS, article_view, months_of, paginate, reference, topic_view, years_view
from digest.workers import Workers
from digest.write import write_into

PageMemo = dict[str, tuple[str, bytes]]
"""Output path -> (digest of the values it was rendered from, its bytes)."""
ViewMemo = dict[tuple[int, int], tuple[Article, Analysis, str, dict[str, Any], str, dict[str, Any], str]]
"""(id of article, id of analysis) -> (the article, the analysis, topic names' digest, its view,
the view's digest, its ``reference`` and its ``brief``)."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def digest_of(value: Any) -> str:
    """A short, stable digest of template values (dates and markup as their text)."""
    serialised = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.blake2b(serialised.encode("utf-8"), digest_size=16).hexdigest()


def view_digest(view: dict[str, Any]) -> str:
    """``digest_of`` for an article's view, at half the cost: the body (most of the bytes) is hashed
    as it is rather than escaped into JSON, the rest is its ``repr`` (strings, numbers, dates,
    markup, lists and dicts in a fixed order: the same text in every run)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(str(view["body"]).encode("utf-8", "surrogatepass") + b"\0")
    digest.update(repr([(key, value) for key, value in view.items() if key != "body"]).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def view_key(item: AnalyzedArticle, names: str) -> str:
    """What ``view_digest`` stands for, for an article whose analysis has a cache key: the view is
    made from the article (``Article.digest``, made when it was parsed, covers all but its slug),
    its analysis (the key covers all the analysis read, its settings and version), its topics
    (besides the key: collect gives a discovered topic to an article the analysis gave none, by
    what the other articles are about) and the topics' names (``names``: their digest)."""
    return joined(["view", item.article.digest, item.article.slug, item.key, names, *item.analysis.topics])


def joined(parts: list[str]) -> str:
    """A digest of digests and slugs: faster than ``digest_of`` where every part is a string."""
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=16).hexdigest()


def brief(view: dict[str, Any]) -> str:
    """A digest of what a link to an article shows (the fields of ``views.reference``): pages that
    only link to an article are not rendered again when its body changes."""
    return joined([str(view[key]) for key in REFERENCE_FIELDS])


_DICT_ATTRIBUTES = frozenset(dir(dict))
_as_markup = str.__new__


def _escape_text(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


# markupsafe's own escaping of a plain string (C), when this version of it has one; else the same
# five replacements.
_escape_str: Callable[[str], str] = getattr(markupsafe, "_escape_inner", _escape_text)


def escape_output(value: Any) -> Markup:
    """``markupsafe.escape``, which autoescaping calls for every ``{{ value }}`` (~90 times a page),
    without Markup's constructor written in Python: a plain string is escaped and made Markup
    directly, and Markup is already escaped (``tests/test_theme.py`` compares the two on text
    full of the characters that are escaped)."""
    kind = type(value)
    if kind is str:
        return _as_markup(Markup, _escape_str(value))
    if kind is Markup:
        return value  # type: ignore[no-any-return]
    return escape(value)


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator, but the templates it compiles escape their output with
    ``escape_output`` (``Environment.code_generator_class`` is Jinja's hook for this)."""

    def writeline(self, x: str, node: nodes.Node | None = None, extra: int = 0) -> None:
        super().writeline(x, node, extra)
        if x.startswith("from jinja2.runtime import "):  # the compiled module's imports, escape among them
            super().writeline("escape = environment.escape_output")


_PLAIN_CALLS = frozenset({"Renderer.links.<locals>.url", "Renderer.links.<locals>.absolute"})
"""The functions of this module templates are given to call (``Renderer.links``)."""


class _Environment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with a shortcut for ``view.title`` on the plain dicts templates get:
    the sandbox would first look for a dict attribute named ``title``, fail with an exception and
    only then take the item. A name that is no dict attribute can only be the item, so it is taken
    at once (the same value or undefined; every other lookup is the sandbox's own)."""

    code_generator_class = _CodeGenerator
    escape_output = staticmethod(escape_output)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Calls of the theme's macros and blocks and of ``url``/``absolute`` (a dozen per page) go
        straight to them, as Jinja's context would pass them (a macro takes the evaluation
        context): the sandbox's checks would let them through anyway, after ~3 us each. Every other
        call is the sandbox's."""
        kind = type(__obj)
        if kind is Macro or kind is BlockReference or (kind is FunctionType and __obj.__qualname__ in _PLAIN_CALLS
                                                       and __obj.__module__ == __name__):
            kwargs.pop("_block_vars", None)  # what Jinja passes for callables that take a context
            kwargs.pop("_loop_vars", None)
            return __obj(__context.eval_ctx, *args, **kwargs) if kind is Macro else __obj(*args, **kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


_TEMPLATE_HINT = "fix the template, or delete it to fall back to the default theme"


class _CompiledTemplates(FileSystemBytecodeCache):
    """Jinja's cache of compiled templates in a folder (each checked against its template's source):
    a build's processes load them instead of compiling the theme again, ~0.1 s each. Only speed
    depends on it: a folder that cannot be read or written, or a damaged file, is as good as empty.
    Like Python's own ``__pycache__``, what it holds is code the build runs (see README, "Caches")."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # unreadable, cut short or not Jinja's: compiled again
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


_VERSION_FOLDER = re.compile(r"[0-9a-f]{32}")


def template_cache(root: Path) -> Path | None:
    """The folder of compiled templates under ``.cache/``: one per version of digest's code (which
    compiles them: ``_CodeGenerator``, the environment's settings), Python, Jinja and markupsafe
    (which escapes the templates' constants as they are compiled); older ones are removed. None
    when ``.cache`` or ``.cache/templates`` is a symbolic link: what it points to is not ours."""
    cache = root / ".cache"
    parent = cache / "templates"
    if cache.is_symlink() or parent.is_symlink():
        return None
    version = code_version()  # digest's code, Python's, and the libraries', Jinja and markupsafe among them
    folder = parent / version
    if not folder.is_dir():
        with contextlib.suppress(OSError):
            for old in parent.iterdir() if parent.is_dir() else ():
                if _VERSION_FOLDER.fullmatch(old.name) and old.is_dir() and not old.is_symlink():
                    shutil.rmtree(old, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)
    return folder if folder.is_dir() and not folder.is_symlink() else None


def make_environment(theme: Theme, compiled: Path | None = None) -> ImmutableSandboxedEnvironment:
    """The theme's environment; ``compiled``: a folder of compiled templates to load and keep them in
    (``template_cache``)."""
    templates = theme.templates

    def load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
        # The name as the file name: it is what a traceback through the template shows.
        return (templates[name], name, lambda: True) if name in templates else None

    env = _Environment(
        loader=FunctionLoader(load),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_CompiledTemplates(str(compiled)) if compiled is not None and compiled.is_dir() else None,
    )
    env.filters["longdate"] = _date_filter(lambda value: f"{value.day} {value:%B %Y}")
    env.filters["isodate"] = _date_filter(lambda value: value.isoformat(timespec="seconds"))
    env.filters["shortdate"] = _date_filter(lambda value: f"{value.day} {value:%b %Y}")
    return env


def _date_filter(show: Callable[[datetime], str]) -> Callable[[Any], str]:
    """A date filter that formats each date once: an article's date is shown on its page, on the
    pages linking to it, its topics' pages, the archive and the feeds, and formatting one with its
    zone costs ~10 us. Keyed by the instant and its UTC offset, not the instant alone: equal
    instants in other offsets print other dates (with the same offset, the clock reads the same,
    and no filter shows more than the clock and the offset). Equal dates are equal keys, so copies
    of a date sent to a render worker are formatted once too."""
    shown: dict[tuple[datetime, timedelta | None], str] = {}

    def date_filter(value: Any) -> str:
        if not isinstance(value, datetime):
            return ""
        key = (value, value.utcoffset())
        text = shown.get(key)
        if text is None:
            if len(shown) >= _DATES_REMEMBERED:  # a long-running preview: start over
                shown.clear()
            text = shown[key] = show(value)
        return text

    return date_filter


_DATES_REMEMBERED = 100_000


# An article's link appears on many pages: each target is quoted once. (Not dates: equal
# instants in other offsets compare equal, and a cache would print one for the other.)
@functools.lru_cache(maxsize=65536)
def _quoted(target: str) -> str:
    """A site path as a URL's path: a leading '/' means the site's root, as a theme author may write
    it ('/about/'), not a second '/' after the base."""
    return quote(target.lstrip("/"))


_FULL_URL = re.compile(r"https?://", re.IGNORECASE)


def _off_site(target: str) -> bool:
    """A link off the site, given whole (``https://...``): ``url`` and ``absolute`` keep it as it is."""
    return _FULL_URL.match(target) is not None


def build_time() -> datetime:
    """The time a feed says it was updated when no article has a date: SOURCE_DATE_EPOCH (the
    reproducible-builds convention) or 1970, never the clock, so builds stay byte-identical."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return datetime.fromtimestamp(int(value), UTC) if value.isdigit() else EPOCH


class Renderer:
    """Renders every page of a site with one theme and config."""

    def __init__(
        self,
        config: Config,
        theme: Theme,
        env: ImmutableSandboxedEnvironment | None = None,
        pages: PageMemo | None = None,
        common: dict[str, Any] | None = None,
        common_key: str = "",
        compiled: Path | None = None,
    ) -> None:
        self.config = config
        self.theme = theme
        self.compiled = compiled
        """The folder of compiled templates (``template_cache``), if any."""
        self.env = env or make_environment(theme, compiled)
        self.pages = pages
        self.common = common or {}
        self.common_key = common_key
        parts = urlsplit(config.base_url)
        self.absolute_base = config.base_url.rstrip("/") + "/" if parts.scheme and parts.netloc else None
        self.direction = text_direction(config.language)
        self.prefix = digest_of([config.base_url, config.title, config.description, config.language, common_key])
        """What every page depends on, for ``lookup``'s keys."""

    def public_path(self, output: str) -> str:
        """The path a file is served at under the base URL: ``articles/x/`` for its index.html."""
        if output == "index.html":
            return ""
        return posixpath.dirname(output) + "/" if output.endswith("/index.html") else output

    def links(self, output: str) -> tuple[Callable[[str], str], Callable[[str], str]]:
        """``url`` (relative to ``output``, so the site works from any folder) and ``absolute`` (from
        base_url when it is a full URL, as feeds, sitemaps and canonical links need; else relative)."""
        depth = output.count("/")
        root = self.config.base_path if output == "404.html" else "../" * depth or "./"

        def url(target: str) -> str:
            if _off_site(target):
                return target
            return root + _quoted(target) if target else root

        def absolute(target: str) -> str:
            if _off_site(target):
                return target
            return self.absolute_base + _quoted(target) if self.absolute_base else url(target)

        return url, absolute

    def task(self, template: str, output: str, inputs: list[str] | None = None,
             later: dict[str, Callable[[Renderer], Any]] | None = None, here: bool = False,
             **context: Any) -> PageTask:
        """A page to render from ``template`` to ``output`` (a path under site/), with links relative
        to it; ``pages_of`` renders it.

        ``inputs``: digests of everything ``context`` holds, for reusing an earlier rendering;
        ``later``: values made only if the page is rendered (they follow from the others).
        """
        return PageTask(template, output, inputs, later, context, here)

    def key(self, template: str, output: str, inputs: list[str]) -> str:
        """What a page is remembered by: its template, its place and the digests of its values."""
        return joined([self.prefix, template, output, *inputs])

    def lookup(self, template: str, output: str, inputs: list[str] | None) -> tuple[str | None, OutputFile | None]:
        """The page's key, and the page itself when it was rendered before from the same values."""
        if self.pages is None or inputs is None:
            return None, None
        # Same template, same place, same values: the same bytes (templates are the same: the
        # caller drops this memory with the environment when the theme changes).
        key = self.key(template, output, inputs)
        remembered = self.pages.get(output)
        if remembered is not None and remembered[0] == key:
            if isinstance(self.pages, StoredPages):  # its bytes stay in site/, linked by the writer
                self.pages.reuse(output)
            else:
                self.pages[output] = remembered
            return key, OutputFile(output, remembered[1])
        return key, None

    def keep(self, output: str, key: str | None, data: bytes, sum_of_bytes: str | None = None) -> OutputFile:
        """The page as an output file, remembered with its key (``sum_of_bytes``: its checksum, when
        a worker made it: the memo of a command-line build keeps only that)."""
        if self.pages is not None and key is not None:
            if sum_of_bytes is not None and isinstance(self.pages, StoredPages):
                self.pages.remember(output, key, sum_of_bytes)
            else:
                self.pages[output] = (key, data)
        return OutputFile(output, data)

    def render(self, template: str, output: str, later: dict[str, Callable[[Renderer], Any]] | None,
               context: dict[str, Any]) -> bytes:
        url, absolute = self.links(output)
        page_path = self.public_path(output)
        values = {
            "site": {"title": self.config.title, "description": self.config.description,
                     "language": self.config.language, "direction": self.direction,
                     "base_url": self.config.base_url,
                     "absolute": self.absolute_base is not None},
            "url": url,
            "absolute": absolute,
            "page_path": page_path,
            "canonical": self.absolute_base + quote(page_path) if self.absolute_base else None,
            **self.common,
            **{name: make(self) for name, make in (later or {}).items()},
            **context,
        }
        try:
            html = self.env.get_template(template).render(values)
        except TemplateError as error:
            name, lineno = getattr(error, "name", None), getattr(error, "lineno", None)
            if lineno is None:  # raised while rendering (an undefined value): the line is in the traceback
                name, lineno = self._failing_line(error, template)
            problem = (f"no template '{error.name}' in the theme or the default theme"
                       if isinstance(error, TemplateNotFound) else error.message or error)
            raise ThemeError(f"template error: {problem}",
                             path=self.theme.origins.get(name or template, name or template), line=lineno,
                             hint=_TEMPLATE_HINT) from None
        except Exception as error:  # the template divided by zero, indexed past a list's end...
            name, lineno = self._failing_line(error, template)
            raise ThemeError(f"template error: {type(error).__name__}: {error}",
                             path=self.theme.origins.get(name, name), line=lineno, hint=_TEMPLATE_HINT) from None
        return html.encode("utf-8")

    def _failing_line(self, error: Exception, template: str) -> tuple[str, int | None]:
        """The template and line an error was raised at: Jinja's traceback names each template's
        frame by its file name (the template's name, see ``make_environment``) and line."""
        frames = [frame for frame in traceback.extract_tb(error.__traceback__)
                  if frame.filename in self.theme.templates]
        return (frames[-1].filename, frames[-1].lineno) if frames else (template, None)

    def pages_of(self, tasks: list[PageTask], workers: Workers | None,
                 last: list[OutputFile] | None = None, key_of: Callable[[int], str] | None = None) -> Rendering:
        """The pages of ``tasks`` as they are made: first those remembered, then the others, rendered
        here or by ``workers``; then ``last``. ``key_of(index)``: each page's key, made once it is
        rendered (nothing is looked up: the tasks have no ``inputs``)."""
        reused: list[OutputFile] = []
        missing: dict[int, str | None] = {}
        for index, task in enumerate(tasks):
            key, remembered = self.lookup(task.template, task.output, task.inputs)
            if remembered is None:
                missing[index] = key
            else:
                reused.append(remembered)
        return Rendering(self, reused, _Pages(self, tasks, list(missing), workers), missing, last or [], key_of)

    def feed_id(self, page_path: str) -> str:
        """An Atom id: the page's full URL, or (with no full base_url) a UUID made from its path,
        which stays the same wherever the site is served."""
        if self.absolute_base:
            return self.absolute_base + quote(page_path)
        return uuid.uuid5(uuid.NAMESPACE_URL, "digest:" + page_path).urn

    def static_files(self) -> list[OutputFile]:
        return [OutputFile("static/" + path, data) for path, data in sorted(self.theme.static.items())]


@dataclass(frozen=True, slots=True)
class PageTask:
    template: str
    output: str
    inputs: list[str] | None
    later: dict[str, Callable[[Renderer], Any]] | None
    """Values made only if the page is rendered, by whichever renderer renders it."""
    context: dict[str, Any]
    here: bool = False
    """Rendered in the build's own process: its values hold many articles' full views, which cost
    more to send to a worker than to render."""

    def __reduce__(self) -> tuple[type[PageTask], tuple[Any, ...]]:
        # Pickled as a call, as models.Block: a slotted dataclass's own state functions are
        # Python code run once per task, and every page but a few is sent to a render worker.
        return PageTask, (self.template, self.output, self.inputs, self.later, self.context, self.here)


CHUNK_PAGES = 200
"""Pages per call to a worker: enough that sending costs little against rendering (~120 ms of it)."""
PARALLEL_PAGES = 100
"""Pages to send below which the workers are not worth their start (each loads the templates)."""
_WORKER_RENDERER: Renderer | None = None
"""In a worker: the renderer made from its first call (a worker serves one build)."""


class _Failure(NamedTuple):
    """Why a worker could not make a page, as plain values the parent raises again."""

    in_template: bool
    message: str
    path: str | None
    line: int | None
    hint: str | None


_Rendered = bytes | Stamp | _Failure
"""A page's bytes, or what its file is when the worker wrote it into the new site itself, or why
it could not be made."""


def _render_chunk(setup: tuple[Config, Theme, dict[str, Any], Path | None] | None,
                  tasks: list[PageTask], into: Path | None = None) -> tuple[list[_Rendered], list[str]]:
    """In a worker: render ``tasks`` (``setup`` comes with the first call); each page with its
    checksum (for ``.cache/pages.json``). With ``into`` (the writer's new tree), each page is
    written there rather than sent back."""
    global _WORKER_RENDERER
    if setup is not None:
        config, theme, common, compiled = setup
        _WORKER_RENDERER = Renderer(config, theme, common=common, compiled=compiled)
    renderer = _WORKER_RENDERER
    assert renderer is not None
    done: list[_Rendered] = []
    checksums: list[str] = []
    for task in tasks:
        try:
            data = renderer.render(task.template, task.output, task.later, task.context)
            done.append(data if into is None else write_into(into, task.output, data))
        except DigestError as error:
            done.append(_Failure(isinstance(error, ThemeError), error.message,
                                 str(error.path) if error.path else None, error.line, error.hint))
            checksums.append("")
            continue
        checksums.append(checksum(data))
    return done, checksums


class _Pages:
    """The bytes of ``tasks[i]`` for each index, as ``(i, bytes)`` in the order they are ready.

    With ``workers``, the pages whose values are small to send (articles, archive pages) go to
    them in chunks, and the few that list hundreds of full articles (``PageTask.here``) are
    rendered here meanwhile."""

    def __init__(self, renderer: Renderer, tasks: list[PageTask], indexes: list[int],
                 workers: Workers | None) -> None:
        self.renderer, self.tasks, self.indexes, self.workers = renderer, tasks, indexes, workers
        self.into: Path | None = None
        """The new tree the workers write their pages into (``SiteWriter.tree_for_workers``)."""
        self.meanwhile: Iterator[None] | None = None
        """Work to do a step at a time while the workers render and nothing is left to render here."""

    def _render_here(self, index: int) -> bytes:
        task = self.tasks[index]
        return self.renderer.render(task.template, task.output, task.later, task.context)

    def __iter__(self) -> Iterator[tuple[int, bytes | Stamp, str | None]]:
        """``(index, bytes, or what the file is when a worker wrote it; checksum when a worker made it)``."""
        workers = self.workers
        sent = [index for index in self.indexes if not self.tasks[index].here]
        if workers is None or len(sent) < PARALLEL_PAGES:
            for index in self.indexes:
                yield index, self._render_here(index), None
            return
        here = [index for index in self.indexes if self.tasks[index].here]
        chunks = [sent[start:start + CHUNK_PAGES] for start in range(0, len(sent), CHUNK_PAGES)]
        chunks.reverse()  # popped from the end
        setup = (self.renderer.config, replace(self.renderer.theme, static={}), self.renderer.common,  # no assets
                 self.renderer.compiled)
        busy: dict[Connection, list[int]] = {}
        # The next chunks, pickled while the workers render: a worker that finishes gets one at
        # once (pickling a chunk, ~1.5 MB, took ~20 ms each time a worker waited for it).
        ready: deque[tuple[list[int], bytes]] = deque()

        def feed(connection: Connection, first: bool) -> None:
            if first and chunks:
                chunk = chunks.pop()
                workers.call(connection, _render_chunk, setup, [self.tasks[index] for index in chunk], self.into)
            elif ready or chunks:
                chunk, message = ready.popleft() if ready else prepare(chunks.pop())
                workers.send(connection, message)
            else:
                return
            busy[connection] = chunk

        def prepare(chunk: list[int]) -> tuple[list[int], bytes]:
            return chunk, Workers.message(_render_chunk, None, [self.tasks[index] for index in chunk], self.into)

        def prepare_ahead() -> None:
            while chunks and len(ready) < len(workers.connections):
                ready.append(prepare(chunks.pop()))

        for connection in workers.connections:
            feed(connection, first=True)
        prepare_ahead()
        here.reverse()
        meanwhile = self.meanwhile
        while busy or here:
            # Collect what the workers finished (waiting only when nothing is left to do here).
            finished = []
            for done in wait(list(busy), timeout=0 if here or meanwhile is not None else None):
                assert isinstance(done, Connection)
                chunk = busy.pop(done)
                answer = workers.answer(done)
                feed(done, first=False)  # before unpickling and handing on its pages: keep it busy
                finished.append((chunk, workers.result_of(answer)))
            prepare_ahead()
            for chunk, (results, checksums) in finished:
                for index, result, sum_of_bytes in zip(chunk, results, checksums, strict=True):
                    if isinstance(result, _Failure):
                        raise (ThemeError if result.in_template else DigestError)(
                            result.message, path=result.path, line=result.line, hint=result.hint)
                    yield index, result, sum_of_bytes
            if here:
                index = here.pop()
                yield index, self._render_here(index), None
            elif meanwhile is not None and next(meanwhile, StopIteration) is StopIteration:
                meanwhile = None


class Rendering:
    """A site's files as they are rendered (iterate once): first the pages remembered, then
    those rendered, in the order they are ready, then the theme's static files."""

    def __init__(self, renderer: Renderer, first: list[OutputFile], pages: _Pages, keys: dict[int, str | None],
                 last: list[OutputFile], key_of: Callable[[int], str] | None = None) -> None:
        self.renderer = renderer
        self.first = first
        self.pages = pages
        self.keys = keys
        self.last = last
        self.key_of = key_of

    def __iter__(self) -> Iterator[OutputFile]:
        self.first.reverse()
        while self.first:  # each handed on and forgotten
            yield self.first.pop()
        later: list[tuple[int, str]] = []  # with ``key_of``: pages to remember once all are rendered
        key_of = self.key_of
        for index, data, sum_of_bytes in self.pages:
            output = self.pages.tasks[index].output
            if not isinstance(data, bytes):  # a worker wrote it (and made its checksum)
                assert sum_of_bytes is not None
                if key_of is None:
                    self.renderer.keep(output, self.keys[index], b"", sum_of_bytes)
                else:
                    later.append((index, sum_of_bytes))
                yield OutputFile(output, b"", written=data)
            elif key_of is None:
                yield self.renderer.keep(output, self.keys[index], data, sum_of_bytes)
            else:
                later.append((index, checksum(data) if sum_of_bytes is None else sum_of_bytes))
                yield OutputFile(output, data)
        for index, sum_of_bytes in later:
            assert key_of is not None
            self.renderer.keep(self.pages.tasks[index].output, key_of(index), b"", sum_of_bytes)
        yield from self.last


def newest_date(views: list[dict[str, Any]]) -> datetime:
    dates = [view["date"] for view in views if view["date"] is not None]
    return max(dates) if dates else build_time()


def render_site(
    site: Site,
    config: Config,
    theme: Theme,
    env: ImmutableSandboxedEnvironment | None = None,
    page_memo: PageMemo | None = None,
    view_memo: ViewMemo | None = None,
    workers: Workers | None = None,
    compiled: Path | None = None,
) -> Rendering:
    """Every file of the built site, in a stable order, as it is rendered (iterate once; the
    pages are not all held in memory unless the caller keeps them). ``env``: an environment made earlier by
    ``make_environment`` for this same theme, to reuse its compiled templates; ``page_memo``: the
    pages it rendered before, reused when their template values are the same (the preview);
    ``workers``: processes to render most pages in (a command-line build's); ``compiled``: a folder of
    compiled templates (``template_cache``) for the environments made here and in the workers."""
    topic_names = {topic.slug: topic.name for topic in site.topics}
    # Nothing recorded to look up (a command-line build into a fresh site/): the digests of the
    # values, needed only to record each page once rendered, are made then (``key_of``), while
    # the workers render, not before the first page can be sent.
    later = isinstance(page_memo, StoredPages) and not page_memo.recorded
    articles, keys, links, short, originals = _article_views(site, topic_names, page_memo is not None, view_memo,
                                                             later)
    topics = [topic_view(topic, articles) for topic in site.topics]
    # A near-duplicate names the other sources of its story; the home page lists each story once.
    for shown, others in site.duplicates:
        articles[shown]["also"] = [links[slug] for slug in others]
        for slug in others:
            articles[slug]["same_story"] = links[shown]
    for slug, related in site.related.items():
        articles[slug]["related"] = [links[other] for other in related]
    repeated = {slug for _, others in site.duplicates for slug in others}
    ordered = [articles[item.article.slug] for item in site.articles]
    listed = [article for article in ordered if article["slug"] not in repeated]
    months = months_of(ordered)
    years = years_view(months)
    pages = [{"slug": p.slug, "href": p.slug + "/", "title": p.title,
              "body": Markup(p.body_html)} for p in site.pages]  # noqa: S704 - escaped Markdown output
    common = {"nav_pages": pages, "feed_href": "feed.xml"}
    def finish_keys() -> Iterator[None]:
        """Digests of each value once, so a page can be reused without serialising the whole site;
        a step at a time (see ``_Pages.meanwhile``)."""
        for number, (slug, original) in enumerate(originals, start=1):  # left for now by _article_views
            if slug not in keys:
                keys[slug] = view_digest(original)
            short[slug] = brief(original)
            if number % 250 == 0:
                yield
        if page_memo is None:
            return
        own = dict(keys)
        for view in ordered:
            # Links added after the view's digest: what each link shows is in ``short``.
            linked = [*(other["slug"] for other in view["also"]),
                      view["same_story"]["slug"] if view["same_story"] else "",
                      *(other["slug"] for other in view["related"])]
            if len(linked) > 1 or linked[0]:
                keys[view["slug"]] = joined([own[view["slug"]], *linked, *(short[slug] for slug in linked if slug)])
        yield
        keys.update({"topic:" + t["slug"]: topic_digest(t, keys) for t in topics})

    renderer = Renderer(config, theme, env, page_memo, common, digest_of(pages) if page_memo is not None else "",
                        compiled)
    last = [*renderer.static_files(), OutputFile(".nojekyll", b"")]

    def tasks_of(remember: bool) -> Iterator[PageTask]:
        return _tasks(renderer, config, site, remember, keys, short, links, topics, ordered, listed, months, years,
                      pages)

    if not later:
        for _ in finish_keys():
            pass
        return renderer.pages_of(list(tasks_of(page_memo is not None)), workers, last=last)
    tasks = list(tasks_of(False))
    made: list[list[str] | None] = []

    def make_keys() -> Iterator[None]:
        yield from finish_keys()
        yield
        for number, (task, same) in enumerate(zip(tasks, tasks_of(True), strict=True), start=1):
            assert (same.template, same.output) == (task.template, task.output), "the same pages, in the same order"
            made.append(same.inputs)
            if number % 250 == 0:
                yield

    steps = make_keys()

    def key_of(index: int) -> str:
        """The key of ``tasks[index]``, as ``Renderer.lookup`` makes it from the same values."""
        for _ in steps:  # what is left of it (nothing, once the render loop has had time for it)
            pass
        inputs = made[index]
        assert inputs is not None
        return renderer.key(tasks[index].template, tasks[index].output, inputs)

    rendering = renderer.pages_of(tasks, workers, last=last, key_of=key_of)
    rendering.pages.meanwhile = steps
    return rendering


def _tasks(renderer: Renderer, config: Config, site: Site, remember: bool, keys: dict[str, str],
           short: dict[str, str], links: dict[str, dict[str, Any]], topics: list[dict[str, Any]],
           ordered: list[dict[str, Any]], listed: list[dict[str, Any]], months: list[Any],
           years: list[dict[str, Any]], pages: list[dict[str, Any]]) -> Iterator[PageTask]:
    """Every page to render, in a stable order; with ``remember``, with the digests of its values
    (``PageTask.inputs``, from ``keys`` and ``short``). One at a time: made while the workers
    render, the digests are taken a few hundred pages per step (see ``_Pages.meanwhile``)."""

    def inputs(*parts: Any) -> list[str] | None:
        return [digest_of(list(parts))] if remember else None

    def of(views: Any) -> list[str]:
        """The digests of some article views (empty when nothing is remembered)."""
        return [keys.get(view["slug"], "") for view in views] if remember else []

    every_topic = [keys.get("topic:" + t["slug"], "") for t in topics]
    latest = listed[:20]
    # Pages whose values hold many articles' full views are rendered ``here``, the rest by workers.
    yield renderer.task("index.html", "index.html", inputs(every_topic, of(latest), bool(months)), here=True,
                        topics=topics, articles=latest, archive=bool(months))
    yield renderer.task("topics.html", "topics/index.html", inputs(every_topic), here=True, topics=topics)
    for topic in topics:
        topic_key = keys.get("topic:" + topic["slug"], "")
        yield renderer.task("topic.html", f"topics/{topic['slug']}/index.html", inputs(topic_key),
                            here=True, topic=topic)
        entries = topic["articles"][:config.feed_entries]
        yield feed(renderer, f"topics/{topic['slug']}/feed.xml", topic["href"],
                   f"{topic['name']} · {config.title}", topic["description"], entries, of(entries), remember)
    for index, article in enumerate(ordered):
        newer = ordered[index - 1] if index > 0 else None
        older = ordered[index + 1] if index + 1 < len(ordered) else None
        output = f"articles/{article['slug']}/index.html"
        yield PageTask(
            "article.html", output,
            [keys[article["slug"]], "newer", short[newer["slug"]] if newer else "",
             "older", short[older["slug"]] if older else ""] if remember else None,
            {"article_ld": partial(news_article, article, output)},
            {"article": article, "newer": links[newer["slug"]] if newer else None,
             "older": links[older["slug"]] if older else None})
    for page in pages:
        yield renderer.task("page.html", f"{page['slug']}/index.html", inputs(page), page=page)
    yield from archive_pages(renderer, ordered, months, years, inputs,
                             lambda views: [short[view["slug"]] for view in views] if remember else [], links)
    # The search page merges the index's other parts (a big site's index is split: digest.search).
    search_parts = part_folders(part_count(records_count(site)))[1:]
    yield renderer.task("search.html", "search/index.html", inputs(search_parts), search_parts=search_parts)
    yield renderer.task("404.html", "404.html", inputs())
    entries = listed[:config.feed_entries]
    yield feed(renderer, "feed.xml", "", config.title, config.description, entries, of(entries), remember)
    # A sitemap's addresses must be full URLs (search engines drop relative ones): with a bare path
    # for base_url there is none to write, and robots.txt names none.
    if renderer.absolute_base is not None:
        yield renderer.task("sitemap.xml", "sitemap.xml",
                            inputs([(a["slug"], str(a["date"])) for a in ordered],
                                   [(t["slug"], str(t["articles"][0]["date"]) if t["articles"] else "")
                                    for t in topics], [p["slug"] for p in pages], years, config.per_page)
                            if remember else None,  # every article's date: not made for nothing
                            here=True, articles=ordered, topics=topics,
                            pages=pages, years=years,
                            archive_pages=[p.output for p in paginate(ordered, config.per_page, "archive/")])
    yield renderer.task("robots.txt", "robots.txt", inputs())


def _article_views(
    site: Site, topic_names: dict[str, str], digests: bool, memo: ViewMemo | None, later: bool = False
) -> tuple[dict[str, dict[str, Any]], dict[str, str], dict[str, dict[str, Any]], dict[str, str],
           list[tuple[str, dict[str, Any]]]]:
    """Each article's view (a fresh dict: the caller adds links to it), and with ``digests`` the
    view's digest and its ``brief``; plus what links to it show (``reference``). With ``memo``,
    all of it is made once per (article, analysis) object pair: the reader and the analysis
    cache hand back the same objects for what did not change, so a rebuild after one edit makes
    one view, not thousands. With ``later``, the digests are left to the caller: the views as
    they were made (before links are added) come last, by slug."""
    if not digests or later:
        memo = None  # what it holds was made with digests
    originals: list[tuple[str, dict[str, Any]]] = []
    articles: dict[str, dict[str, Any]] = {}
    keys: dict[str, str] = {}
    links: dict[str, dict[str, Any]] = {}
    short: dict[str, str] = {}
    names = digest_of(topic_names) if digests else ""
    alive: ViewMemo = {}
    for item in site.articles:
        slug = item.article.slug
        ident = (id(item.article), id(item.analysis))
        remembered = memo.get(ident) if memo is not None else None
        if (remembered is not None and remembered[0] is item.article and remembered[1] is item.analysis
                and remembered[2] == names):
            _, _, _, view, digest, link, summary = remembered
        else:
            view = article_view(item, topic_names)
            # A view follows from its article, its analysis (which the analysis cache's key stands
            # for) and the topics' names: their digests make its own, without serialising it.
            digest = view_key(item, names) if digests and item.key else ""
            if digests and not later and not digest:
                digest = view_digest(view)
            link = reference(view)
            summary = brief(view) if digests and not later else ""
            if later:
                originals.append((slug, view))
                if digest:
                    keys[slug] = digest
        if memo is not None:
            alive[ident] = (item.article, item.analysis, names, view, digest, link, summary)
        articles[slug] = dict(view)  # its own copy: links to other articles are added to it
        links[slug] = link
        if digests and not later:
            keys[slug] = digest
            short[slug] = summary
    if memo is not None:
        memo.clear()
        memo.update(alive)
    return articles, keys, links, short, originals


def topic_digest(topic: dict[str, Any], keys: dict[str, str]) -> str:
    """A digest of a topic view, its articles' views standing in as their ``keys``."""
    meta = {key: value for key, value in topic.items() if key not in ("articles", "story", "quotes")}
    story = [[entry["text"], keys[entry["article"]["slug"]]] for entry in topic["story"]]
    quotes = [[entry["text"], entry["speaker"], keys[entry["article"]["slug"]]] for entry in topic["quotes"]]
    return joined([digest_of([meta, story, quotes]), *(article["slug"] for article in topic["articles"]),
                   *(keys[article["slug"]] for article in topic["articles"])])


def feed(renderer: Renderer, output: str, page_href: str, title: str, subtitle: str,
         entries: list[dict[str, Any]], entry_keys: list[str], remember: bool) -> PageTask:
    """An Atom feed of ``entries`` (newest first) for the page at ``page_href``."""
    updated = newest_date(entries)
    page_path = renderer.public_path(output)
    context = {"title": title, "subtitle": subtitle, "page_href": page_href, "updated": updated,
               "id": renderer.feed_id(page_path), "entries": entries,
               "entry_ids": [renderer.feed_id(entry["href"]) for entry in entries]}
    return renderer.task("feed.xml", output,
                         [digest_of([title, subtitle, page_href, str(updated), entry_keys])] if remember else None,
                         here=True, feed=context)


def news_article(article: dict[str, Any], output: str, renderer: Renderer) -> dict[str, Any]:
    """schema.org NewsArticle for search engines (JSON-LD); the template writes it with ``tojson``,
    which escapes ``<``, ``>``, ``&`` and ``'``, so no text can end the script element."""
    _, absolute = renderer.links(output)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article["title"],
        "url": absolute(article["href"]),
        "mainEntityOfPage": absolute(article["href"]),
        "wordCount": article["word_count"],
        "publisher": {"@type": "Organization", "name": renderer.config.title},
    }
    if article["date"] is not None:
        data["datePublished"] = article["date"].isoformat(timespec="seconds")
    if article["author"]:
        data["author"] = {"@type": "Person", "name": article["author"]}
    if article["source_url"]:
        data["isBasedOn"] = article["source_url"]
    if article["summary"]:
        data["description"] = " ".join(article["summary"])
    if article["keywords"]:
        data["keywords"] = ", ".join(article["keywords"])
    return data


def archive_pages(
    renderer: Renderer,
    ordered: list[dict[str, Any]],
    months: list[Any],
    years: list[dict[str, Any]],
    inputs: Callable[..., list[str] | None],
    briefs: Callable[[Any], list[str]],
    links: dict[str, dict[str, Any]],
) -> list[PageTask]:
    """``archive/`` (every article, newest first, paginated), a page per year listing its months,
    and a page per month (paginated)."""
    per_page = renderer.config.per_page
    # Every archive page shows every year and month: their digest, made once, stands for them in
    # each page's inputs (serialised for each page, they took ~40 ms at 5,000 articles).
    every_year = (inputs(years) or [""])[0]
    tasks = []
    for part in paginate(ordered, per_page, "archive/"):
        tasks.append(renderer.task("archive.html", part.output, inputs(every_year, part.pager, briefs(part.items)),
                                   heading="Archive", articles=[links[view["slug"]] for view in part.items],
                                   pager=part.pager, years=years,
                                   current=None))
    for year in years:
        tasks.append(renderer.task("archive_year.html", f"{year['href']}index.html", inputs(every_year, year),
                                   year=year, years=years))
    for month in months:
        view = month.view()
        for part in paginate(month.articles, per_page, month.href):
            tasks.append(renderer.task("archive.html", part.output,
                                       inputs(every_year, view, part.pager, briefs(part.items)),
                                       heading=view["name"], articles=[links[item["slug"]] for item in part.items],
                                       pager=part.pager,
                                       years=years, current=view))
    return tasks
