"""Helpers of tests/test_checkers.py: the example site built from a slice of the dev corpus, served under
/repo/ over real HTTP the way GitHub Pages serves a project site, and the real checkers found or explained."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from tests.conftest import REPO, SHARED

CORPUS = SHARED / "corpus"
PREFIX = "/repo/"
NODE_MODULES = REPO / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
LIGHTHOUSE = NODE_MODULES / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run"]
"""DESIGN.md "Real checkers that run here": what Chromium needs on this machine (plus a fresh profile)."""

BBC_COUNT = 50
CNN_COUNT = 10
FIRST_DATE = 1704096000  # 2024-01-01T08:00:00Z
DAYS_APART = 3
"""60 corpus articles, one every 3 days from 2024-01-01: six months, so archive months and pages exist."""


def require(thing: Path | str, how: str) -> str:
    """The path of a tool the checks need, or a test failure that says how to install it (never a skip)."""
    found = shutil.which(thing) if isinstance(thing, str) else (str(thing) if thing.exists() else None)
    if found is None:
        pytest.fail(f"{thing} is missing: {how}", pytrace=False)
    return found


NPM_HOW = "`make test` installs it (npm ci, from package-lock.json); or run `npm ci --ignore-scripts`"


def corpus_sources() -> list[Path]:
    """All 50 BBC dev articles (5 topics) and the first 10 CNN stories, in a fixed order."""
    bbc = sorted((CORPUS / "bbc-dev").glob("*/*.txt"))
    cnn = sorted((CORPUS / "cnn-dev" / "stories").glob("*.txt"))[:CNN_COUNT]
    if len(bbc) < BBC_COUNT or len(cnn) < CNN_COUNT:
        pytest.fail(f"the dev corpus is missing or incomplete at {CORPUS}: the checkers build the example site "
                    f"from it (../shared/corpus beside the repository)", pytrace=False)
    return bbc[:BBC_COUNT] + cnn


def fill_inbox(inbox: Path) -> None:
    """Copy the corpus slice into the inbox (read from ../shared, never kept in the repository). None has a
    dateline, so each article's date is its file's mtime: one every ``DAYS_APART`` days."""
    for index, source in enumerate(corpus_sources()):
        group = "cnn" if source.parent.name == "stories" else f"bbc-{source.parent.name}"
        target = inbox / f"{group}-{source.stem}.txt"
        shutil.copyfile(source, target)
        stamp = FIRST_DATE + index * DAYS_APART * 86400
        os.utime(target, (stamp, stamp))


@dataclass
class Article:
    slug: str
    title: str
    body: str


def read_articles(folder: Path) -> list[Article]:
    """The ingested articles (``content/articles/<slug>.md``): slug, title and Markdown body."""
    articles = []
    for path in sorted(folder.glob("*.md")):
        _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
        meta: dict[str, Any] = yaml.safe_load(front)
        articles.append(Article(path.stem, str(meta["title"]), body))
    return articles


class _PagesHandler(SimpleHTTPRequestHandler):
    """GitHub Pages for a project site: the site under /repo/, its 404.html (status 404) for any missing
    path there, and the site's robots.txt also at /robots.txt, where crawlers and Lighthouse look for it
    (as when the same site is published at a domain root)."""

    site: Path

    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        # linkchecker waits 0.1-0.6 s between requests to a host unless the host answers with this header
        # (then its maxrequestspersecond applies): this server is ours and on loopback.
        self.send_header("LinkChecker", "local test server")
        super().end_headers()

    def translate_path(self, path: str) -> str:
        clean = unquote(urlsplit(path).path)
        if clean == "/robots.txt":
            return str(self.site / "robots.txt")
        if clean.startswith(PREFIX):
            inner = clean[len(PREFIX):]
            parts = [part for part in inner.split("/") if part not in ("", ".", "..")]
            target = self.site.joinpath(*parts)
            return str(target) + ("/" if inner.endswith("/") or not inner else "")
        return str(self.site / ".outside-repo" / "never")  # no such file: a plain 404

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        inside = unquote(urlsplit(self.path).path).startswith(PREFIX)
        missing = not (path.is_file() or (path.is_dir() and (path / "index.html").is_file()))
        if inside and missing:
            page = self.site / "404.html"
            if page.is_file():
                body = page.read_bytes()
                self.send_response(HTTPStatus.NOT_FOUND)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                return _Bytes(body)
        return super().send_head()


class _Bytes:
    """What send_head returns: something copyfile reads and closes."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, size: int = -1) -> bytes:
        data, self.data = self.data, b""
        return data

    def close(self) -> None:
        pass


@dataclass
class Server:
    origin: str
    port: int
    base: str = field(init=False)

    def __post_init__(self) -> None:
        self.base = self.origin + PREFIX


@contextmanager
def pages_server(site: Path) -> Iterator[Server]:
    """Serve ``site`` at http://127.0.0.1:<free port>/repo/ until the block ends."""
    handler = type("Handler", (_PagesHandler,), {"site": site})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(site)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = int(server.server_address[1])
    try:
        yield Server(f"http://127.0.0.1:{port}", port)
    finally:
        server.shutdown()
        server.server_close()
