"""Site + Theme -> OutputFiles. Pure: touches no disk (the theme was loaded by digest.theme).

Templates run in Jinja2's immutable sandbox with autoescaping on for every file, and get only
plain values (no paths, no file or environment access). Links between pages are relative, so
the same ``site/`` works at a domain root and under any sub-path; only canonical URLs and the
404 page (served at the visitor's URL) use ``base_url``.
"""

from __future__ import annotations

import hashlib
import json
import math
import posixpath
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import DictLoader, StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from digest.config import Config
from digest.errors import ThemeError
from digest.models import Analysis, AnalyzedArticle, Article, OutputFile, Site, TopicDigest
from digest.theme import Theme

WORDS_PER_MINUTE = 220


def digest_of(value: Any) -> str:
    """A short, stable digest of template values (dates and markup as their text)."""
    serialised = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.blake2b(serialised.encode("utf-8"), digest_size=16).hexdigest()


PageMemo = dict[str, tuple[str, bytes]]
"""Output path -> (digest of the values it was rendered from, its bytes)."""
ViewMemo = dict[tuple[int, int], tuple[Article, Analysis, str, str]]
"""(id of article, id of analysis) -> (the article, the analysis, topic names' digest, view digest)."""


def make_environment(theme: Theme) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        loader=DictLoader(theme.templates),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["longdate"] = lambda value: f"{value.day} {value:%B %Y}" if isinstance(value, datetime) else ""
    env.filters["isodate"] = lambda value: value.isoformat(timespec="seconds") if isinstance(value, datetime) else ""
    return env


def article_href(slug: str) -> str:
    return f"articles/{slug}/"


def topic_href(slug: str) -> str:
    return f"topics/{slug}/"


def _host(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return parts.netloc if parts.scheme in ("http", "https") and parts.netloc else None


def article_view(item: AnalyzedArticle, topic_names: dict[str, str]) -> dict[str, Any]:
    """What a template may know about an article: plain values only."""
    article, analysis = item.article, item.analysis
    return {
        "slug": article.slug,
        "href": article_href(article.slug),
        "title": article.title,
        "date": article.date,
        "author": article.author,
        "source": article.source,
        "source_url": article.source if _host(article.source) else None,
        "source_host": _host(article.source),
        "language": article.language,
        "body": Markup(article.body_html),  # noqa: S704 - markdown-it output with raw HTML disabled
        "reading_minutes": max(1, math.ceil(article.word_count / WORDS_PER_MINUTE)),
        "summary": list(analysis.summary),
        "quotes": [{"text": q.text, "speaker": q.speaker} for q in analysis.quotes],
        "keywords": list(analysis.keywords),
        "topics": [{"slug": s, "name": topic_names.get(s, s), "href": topic_href(s)} for s in analysis.topics],
        "also": [],
        "same_story": None,
    }


def topic_view(topic: TopicDigest, articles: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "slug": topic.slug,
        "href": topic_href(topic.slug),
        "name": topic.name,
        "description": topic.description,
        "discovered": topic.discovered,
        "story": [{"text": s.text, "article": articles[s.article_slug]} for s in topic.story],
        "quotes": [
            {"text": q.quote.text, "speaker": q.quote.speaker, "article": articles[q.article_slug]}
            for q in topic.quotes
        ],
        "articles": [articles[slug] for slug in topic.article_slugs],
    }


class Renderer:
    """Renders every page of a site with one theme and config."""

    def __init__(
        self,
        config: Config,
        theme: Theme,
        env: ImmutableSandboxedEnvironment | None = None,
        pages: PageMemo | None = None,
    ) -> None:
        self.config = config
        self.theme = theme
        self.env = env or make_environment(theme)
        self.pages = pages

    def page(self, template: str, output: str, inputs: list[str] | None = None, **context: Any) -> OutputFile:
        """Render ``template`` to ``output`` (a path under site/), with links relative to it.

        ``inputs``: digests of everything ``context`` holds, for reusing an earlier rendering.
        """
        depth = output.count("/")
        root = self.config.base_path if output == "404.html" else "../" * depth or "./"

        def url(target: str) -> str:
            return root + quote(target) if target else root

        canonical_base = self.config.base_url if urlsplit(self.config.base_url).scheme else None
        public_path = posixpath.dirname(output) + "/" if output.endswith("index.html") else output
        public_path = "" if public_path == "/" else public_path
        key = None
        if self.pages is not None and inputs is not None:
            # Same template, same place, same values: the same bytes (templates are the same:
            # the caller drops this memory with the environment when the theme changes).
            key = digest_of([template, output, self.config.base_url, self.config.title,
                             self.config.description, self.config.language, *inputs])
            remembered = self.pages.get(output)
            if remembered is not None and remembered[0] == key:
                return OutputFile(output, remembered[1])
        try:
            html = self.env.get_template(template).render(
                site={"title": self.config.title, "description": self.config.description,
                      "language": self.config.language},
                url=url,
                canonical=(canonical_base.rstrip("/") + "/" + quote(public_path)) if canonical_base else None,
                **context,
            )
        except TemplateError as error:
            lineno = getattr(error, "lineno", None)
            name = getattr(error, "name", None) or template
            raise ThemeError(f"template error: {error.message or error}", path=self.theme.origins.get(name, name),
                             line=lineno,
                             hint="fix the template, or delete it to fall back to the default theme") from None
        data = html.encode("utf-8")
        if self.pages is not None and key is not None:
            self.pages[output] = (key, data)
        return OutputFile(output, data)

    def static_files(self) -> list[OutputFile]:
        return [OutputFile("static/" + path, data) for path, data in sorted(self.theme.static.items())]


def render_site(
    site: Site,
    config: Config,
    theme: Theme,
    env: ImmutableSandboxedEnvironment | None = None,
    page_memo: PageMemo | None = None,
    view_memo: ViewMemo | None = None,
) -> list[OutputFile]:
    """Every file of the built site, in a stable order. ``env``: an environment made earlier by
    ``make_environment`` for this same theme, to reuse its compiled templates; ``page_memo``: the
    pages it rendered before, reused when their template values are the same (the preview)."""
    renderer = Renderer(config, theme, env, page_memo)
    topic_names = {topic.slug: topic.name for topic in site.topics}
    articles = {item.article.slug: article_view(item, topic_names) for item in site.articles}
    keys: dict[str, str] = {}
    if page_memo is not None and view_memo is not None:
        # Each article view's digest, computed once per (article, analysis) object pair: the
        # reader and the analysis cache hand back the same objects for what did not change.
        names = digest_of(topic_names)
        alive: ViewMemo = {}
        for item in site.articles:
            ident = (id(item.article), id(item.analysis))
            remembered = view_memo.get(ident)
            if (remembered is not None and remembered[0] is item.article and remembered[1] is item.analysis
                    and remembered[2] == names):
                digest = remembered[3]
            else:
                digest = digest_of(articles[item.article.slug])
            alive[ident] = (item.article, item.analysis, names, digest)
            keys[item.article.slug] = digest
        view_memo.clear()
        view_memo.update(alive)
    topics = [topic_view(topic, articles) for topic in site.topics]
    # A near-duplicate names the other sources of its story; the home page lists each story once.
    def reference(slug: str) -> dict[str, Any]:  # a flat summary: article views never nest each other
        view = articles[slug]
        return {key: view[key] for key in ("slug", "href", "title", "source_url", "source_host")}

    for shown, others in site.duplicates:
        articles[shown]["also"] = [reference(slug) for slug in others]
        for slug in others:
            articles[slug]["same_story"] = reference(shown)
    repeated = {slug for _, others in site.duplicates for slug in others}
    ordered = [articles[item.article.slug] for item in site.articles]
    listed = [article for article in ordered if article["slug"] not in repeated]
    pages = [{"slug": p.slug, "href": p.slug + "/", "title": p.title,
              "body": Markup(p.body_html)} for p in site.pages]  # noqa: S704 - escaped Markdown output
    common = {"nav_pages": pages}
    # Digests of each value once, so a page can be reused without serialising the whole site.
    if page_memo is not None:
        for view in ordered:
            if view["slug"] not in keys:
                keys[view["slug"]] = digest_of(view)
            elif view["also"] or view["same_story"]:  # the duplicate links were added after
                keys[view["slug"]] = digest_of([keys[view["slug"]], view["also"], view["same_story"]])
        keys |= {"topic:" + t["slug"]: digest_of([{k: v for k, v in t.items() if k != "articles"},
                                                  [a["slug"] for a in t["articles"]],
                                                  [keys[a["slug"]] for a in t["articles"]]]) for t in topics}
        keys["nav"] = digest_of(pages)
    every_topic = [keys.get("topic:" + t["slug"], "") for t in topics]

    def inputs(*parts: str) -> list[str] | None:
        return [*parts, keys["nav"]] if page_memo is not None else None

    files = [renderer.page("index.html", "index.html", inputs(*every_topic, *(keys.get(a["slug"], "") for a in
                                                                               listed[:20])),
                           topics=topics, articles=listed[:20], **common)]
    files.append(renderer.page("topics.html", "topics/index.html", inputs(*every_topic), topics=topics, **common))
    for topic in topics:
        files.append(renderer.page("topic.html", f"topics/{topic['slug']}/index.html",
                                   inputs(keys.get("topic:" + topic["slug"], "")), topic=topic, **common))
    for index, article in enumerate(ordered):
        newer = ordered[index - 1] if index > 0 else None
        older = ordered[index + 1] if index + 1 < len(ordered) else None
        files.append(renderer.page(
            "article.html", f"articles/{article['slug']}/index.html",
            inputs(keys.get(article["slug"], ""), keys.get(newer["slug"], "") if newer else "",
                   keys.get(older["slug"], "") if older else ""),
            article=article, newer=newer, older=older, **common))
    for page in pages:
        files.append(renderer.page("page.html", f"{page['slug']}/index.html", inputs(), page=page, **common))
    files.append(renderer.page("404.html", "404.html", inputs(), **common))
    files.extend(renderer.static_files())
    files.append(OutputFile(".nojekyll", b""))
    return files
