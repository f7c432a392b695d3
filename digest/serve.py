"""The preview server: builds into .cache/preview/, serves it on 127.0.0.1, rebuilds on every save
and reloads open pages (a long-polled build number: no extra dependency, no websocket).

A failed rebuild keeps the last good site on screen and shows the error over it; fixing the file
removes the overlay. Only files inside the preview folder are ever served.
"""

from __future__ import annotations

import contextlib
import errno
import html
import json
import os
import shutil
import signal
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from digest.config import Config, load_config
from digest.errors import BuildErrors, CacheNotSaved, DigestError
from digest.models import OutputFile
from digest.pipeline import BuildMemory, build
from digest.projectlock import GaveUp, project_lock
from digest.search import Cancelled, Record, search_bundle
from digest.write import update_in_place

PREVIEW = Path(".cache") / "preview"
SEARCH_QUIET_SECONDS = 1.0
"""How long after the last rebuild the preview's search index is made."""
RELOAD_PATH = "/__digest/reload"
LONG_POLL_SECONDS = 25.0
DEBOUNCE_SECONDS = 0.025
MAX_WAIT_SECONDS = 1.0
"""A burst of saves is built once it has been quiet for DEBOUNCE_SECONDS, or at most after this."""
MAX_PATH_CHARS = 2048
_IGNORED_PARTS = {".git", ".cache", "site", "__pycache__", ".venv", "node_modules"}
_IGNORED_SUFFIXES = (".swp", ".swx", ".swo", "~", ".tmp", ".part", ".crdownload")
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "text/javascript",
    ".xml": "application/xml", ".json": "application/json", ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".ico": "image/x-icon", ".woff2": "font/woff2",
}

# Injected before </body> of every page served. When the build number moves, the page fetches its
# new HTML and swaps the body in place: no new document, no styles fetched again, the scroll kept,
# on screen a few frames after the rebuild. It reloads instead when that cannot show the new page
# faithfully: a style sheet, script, image or font changed; the head (but its title and meta data)
# or <html>'s attributes differ; or the page runs scripts of its own (they would not run again).
_CLIENT = """<script data-digest-preview>(() => {
  const key = "digest-scroll:" + location.pathname;
  const saved = sessionStorage.getItem(key);
  if (saved !== null) { sessionStorage.removeItem(key); window.scrollTo(0, Number(saved)); }
  let epoch = %(epoch)d, assets = %(assets)d;
  // What a swap would keep from the old page: the head (all but its title and meta data) and
  // the attributes of <html> (its language). When the new page differs there, it reloads.
  const kept = (doc) => Array.from(doc.head.children).filter((element) => element.tagName !== "TITLE"
      && element.tagName !== "META" && element.type !== "application/ld+json").map((element) => element.outerHTML)
      .concat(Array.from(doc.documentElement.attributes, (attribute) => attribute.name + "=" + attribute.value))
      .join("\\n");
  const scripted = (doc) => Array.from(doc.scripts).some((script) =>
      !script.hasAttribute("data-digest-preview") && script.type !== "application/ld+json");
  async function swap() {
    if (scripted(document)) return false;
    const response = await fetch(location.href, {cache: "no-store"});
    const next = new DOMParser().parseFromString(await response.text(), "text/html");
    if (scripted(next) || kept(next) !== kept(document)) return false;
    const y = window.scrollY;
    document.title = next.title;
    document.body.replaceWith(document.adoptNode(next.body));
    window.scrollTo(0, y);
    return true;
  }
  async function poll() {
    try {
      const response = await fetch("%(endpoint)s?epoch=" + epoch, {cache: "no-store"});
      const state = await response.json();
      if (state.epoch !== epoch) {
        const fresh = state.assets !== assets;
        epoch = state.epoch;
        if (fresh || !(await swap().catch(() => false))) {
          sessionStorage.setItem(key, String(window.scrollY));
          location.reload();
          return;
        }
      }
    } catch (error) { await new Promise((done) => setTimeout(done, 1000)); }
    poll();
  }
  poll();
})();</script>
"""
_ASSET_SUFFIXES = (".css", ".js", ".mjs", ".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".ico",
                   ".woff", ".woff2", ".ttf", ".otf")
"""Files a page loads to draw itself: when one changes, open pages reload rather than swap."""
_OVERLAY = (
    '<div id="digest-error" role="alert" style="position:fixed;inset:0;z-index:2147483647;overflow:auto;'
    "background:rgba(20,20,20,.94);color:#fff;font:16px/1.5 ui-monospace,monospace;padding:2rem\">"
    '<h2 style="color:#ff8a80;margin-top:0">Build failed: the page shows the last good build</h2>'
    '<pre style="white-space:pre-wrap">%s</pre><p>Fix the file and save: this page reloads by itself.</p></div>'
)


_NOTHING_YET = b"<!doctype html><html><body><p>Nothing built yet.</p></body></html>"


@dataclass(slots=True)
class BuildState:
    """The latest build, as the request handlers see it."""

    epoch: int = 0
    error: str | None = None
    assets: int = 0
    """Builds so far that changed a style sheet, script, image or font (pages then reload)."""


class Preview:
    """Builds the site into the preview folder and tells waiting pages when it changed."""

    def __init__(self, config_path: Path, folder: Path, base_url: str, echo: Callable[[str], None]) -> None:
        self.config_path = config_path
        self.folder = folder
        self.base_url = base_url
        self.echo = echo
        self.memory = BuildMemory(defer_search=True)
        self.state = BuildState()
        self.changed = threading.Condition()
        self.writing = threading.Lock()
        """Held while the preview folder or the memory changes: by a build, or by a new search index."""
        self.generation = 0
        """Builds written so far: a search index made for an older one is not written over a newer."""
        self.stopped = False
        self.quitting = threading.Event()
        """Set first thing at Ctrl-C: a rebuild still waiting for another build gives up at once."""
        self.saves = 0
        self.warned: set[str] = set()  # the last build's warnings: each is said when it first appears
        """File events seen so far: a background index in progress gives way when this moves."""
        self.search_wanted = threading.Condition()
        self.search_job: tuple[int, Config, list[Record], list[OutputFile]] | None = None
        self.idle = threading.Event()
        """Set while no search index is being made (the server waits for it before it exits)."""
        self.idle.set()
        threading.Thread(target=self._index_forever, name="digest-search", daemon=True).start()

    def saw_save(self) -> None:
        """A watched file changed: a rebuild is coming, and a background index stops for it."""
        self.saves += 1

    def rebuild(self) -> None:
        self.saves += 1
        start = time.perf_counter()
        error: str | None = None
        job = None
        assets = False
        try:
            # Taken before ``writing`` (which ``stop`` needs), and given up once the preview stops:
            # a command-line build of the project, or a deploy, may hold it for a while.
            with project_lock(self.config_path.parent, waiting=self._say_waiting, give_up=self.quitting.is_set), \
                    self.writing:
                result = build(self.config_path, echo=lambda _line: None, output=self.folder,
                               base_url=self.base_url, memory=self.memory)
                assets = any(path.lower().endswith(_ASSET_SUFFIXES) for path in result.changed_paths)
                self.generation += 1
                pending, self.memory.search_pending = self.memory.search_pending, None
                if pending is not None:
                    job = (self.generation, *pending, list(self.memory.pages_written))
        except GaveUp:
            return  # stopping: nothing was built
        except DigestError as failure:
            problems = failure.errors if isinstance(failure, BuildErrors) else [failure]
            error = "\n".join(str(problem) for problem in problems)
            for problem in problems:
                self.echo(f"error: {problem}")
            self.echo("build failed; still serving the last good build")
        except Exception as failure:  # a bug in digest: keep serving, say so
            error = f"internal error: {type(failure).__name__}: {failure}"
            self.echo(error)
        else:
            for warning in result.warnings:
                if warning not in self.warned:
                    self.echo(f"warning: {warning}")
            self.warned = set(result.warnings)
            self.echo(f"rebuilt in {(time.perf_counter() - start) * 1000:.0f} ms")
        with self.changed:
            self.state.epoch += 1
            self.state.error = error
            self.state.assets += assets
            self.changed.notify_all()
        if job is not None:
            with self.search_wanted:  # only the newest build's text is worth indexing
                self.search_job = job
                self.search_wanted.notify()

    def _say_waiting(self, root: Path) -> None:
        self.echo(f"waiting for another build of {root} to finish before rebuilding")

    def _index_forever(self) -> None:
        """Index the searchable text of the builds just shown, in the background: Pagefind takes
        seconds on a big site, and neither the edited page nor the next edit should wait for it.
        The search page loads the index when it searches, so nothing needs reloading."""
        while True:
            with self.search_wanted:
                self.search_wanted.wait_for(lambda: self.search_job is not None)
                # Wait for a quiet moment: while someone saves again and again, only the last
                # build's text is indexed, and Pagefind does not compete with their rebuilds.
                while self.search_wanted.wait(timeout=SEARCH_QUIET_SECONDS):
                    pass
                job, self.search_job = self.search_job, None
            assert job is not None
            self.idle.clear()
            try:
                self._index(job)
            finally:
                self.idle.set()

    def _index(self, job: tuple[int, Config, list[Record], list[OutputFile]]) -> None:
        generation, config, found, pages = job
        try:
            key, bundle = search_bundle(found, config, cancelled=partial(self._superseded, self.saves))
        except Cancelled:  # indexed again after the rebuild (this one, if that build fails)
            with self.search_wanted:
                if self.search_job is None and not self.stopped:
                    self.search_job = job
            return
        except DigestError as failure:
            self.echo(f"error: search index: {failure}")
            return
        except Exception as failure:  # a bug in digest: say so, and keep indexing later edits
            self.echo(f"internal error: search index: {type(failure).__name__}: {failure}")
            return
        with self.writing:
            if generation == self.generation and not self.stopped:
                self.memory.search.clear()
                self.memory.search[key] = bundle
                update_in_place(pages + bundle, self.folder, self.memory.written)

    def _superseded(self, saves: int) -> bool:
        """Whether a file changed (or the server stopped) since ``saves`` events were seen."""
        return self.saves != saves or self.stopped

    def stop(self) -> None:
        """No more writes to the preview folder (it is about to be removed)."""
        with self.writing:
            self.stopped = True

    def wait(self, epoch: int, timeout: float) -> BuildState:
        with self.changed:
            self.changed.wait_for(lambda: self.state.epoch != epoch, timeout=timeout)
            return BuildState(self.state.epoch, self.state.error, self.state.assets)


class _Debouncer(FileSystemEventHandler):
    """Collects file events; a worker thread rebuilds once a burst of saves has settled."""

    def __init__(self, root: Path, preview: Preview, inbox: Path) -> None:
        self.root = root
        self.inbox = inbox
        self.preview = preview
        self.pending = threading.Event()
        self.first_event = 0.0
        self.last_event = 0.0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="digest-rebuild", daemon=True)
        self.thread.start()

    def relevant(self, path: str) -> bool:
        try:
            relative = Path(path).resolve().relative_to(self.root)
        except (ValueError, OSError):
            return False
        name = relative.name
        if any(part in _IGNORED_PARTS for part in relative.parts) or name.startswith((".#", "#")):
            return False
        if name.endswith(_IGNORED_SUFFIXES) or name == "4913" or (name.startswith(".") and name.endswith(".tmp")):
            return False
        inbox = self.inbox.relative_to(self.root).parts if self.inbox.is_relative_to(self.root) else ()
        return (relative.parts[:1] in (("content",), ("themes",)) or relative == Path("config.yaml")
                or (bool(inbox) and relative.parts[: len(inbox)] == inbox))

    def on_any_event(self, event: FileSystemEvent) -> None:
        paths = [os.fsdecode(event.src_path), os.fsdecode(getattr(event, "dest_path", "") or "")]
        if event.event_type in ("opened", "closed_no_write") or not any(p and self.relevant(p) for p in paths):
            return
        self.preview.saw_save()
        now = time.monotonic()
        if not self.pending.is_set():
            self.first_event = now
        self.last_event = now
        self.pending.set()

    def _run(self) -> None:
        while not self.stopped.is_set():
            if not self.pending.wait(timeout=0.2):
                continue
            # Let the burst settle: quiet for DEBOUNCE_SECONDS, but never wait more than MAX_WAIT_SECONDS.
            while (wait := min(self.last_event + DEBOUNCE_SECONDS,
                               self.first_event + MAX_WAIT_SECONDS) - time.monotonic()) > 0:
                time.sleep(wait)
            self.pending.clear()
            self.preview.rebuild()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)


def _handler(preview: Preview, base_path: str) -> type[BaseHTTPRequestHandler]:
    folder = preview.folder.resolve()

    class Handler(BaseHTTPRequestHandler):
        server_version = "digest-preview"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def do_GET(self) -> None:
            self._serve(head=False)

        def _refuse(self) -> None:
            self.send_error(HTTPStatus.METHOD_NOT_ALLOWED, "only GET and HEAD")

        do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

        def _send(self, status: int, body: bytes, content_type: str, head: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _serve(self, head: bool) -> None:
            raw_path = urlsplit(self.path).path
            if raw_path == RELOAD_PATH:
                self._reload()
                return
            moved = self._with_slash(raw_path)
            if moved is not None:
                # As GitHub Pages and any static server do: the page's relative links (its CSS,
                # its neighbours) are relative to the folder only with the slash. Temporary and
                # never stored: another project previewed on this port may have another base path.
                query = urlsplit(self.path).query
                self.send_response(HTTPStatus.FOUND)
                self.send_header("Location", quote(moved) + (f"?{query}" if query else ""))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            target = self._resolve(raw_path)
            if target is None:
                not_found = folder / "404.html"
                page = not_found.read_bytes() if not_found.is_file() else _NOTHING_YET
                body = self._page(page)
                self._send(HTTPStatus.NOT_FOUND, body, "text/html; charset=utf-8", head)
                return
            content_type = _CONTENT_TYPES.get(target.suffix.lower(), "application/octet-stream")
            data = target.read_bytes()
            if target.suffix.lower() == ".html":
                data = self._page(data)
            self._send(HTTPStatus.OK, data, content_type, head)

        def _with_slash(self, raw_path: str) -> str | None:
            """Where to send a request for a folder of the site without its closing slash (the
            site's root with a sub-path ``base_url`` too, ``/`` or ``/news``); None otherwise.
            Made from the folder's own path, never from the request's: ``//host`` leads nowhere."""
            root = base_path.rstrip("/")
            if raw_path in ("/", root):
                return base_path if root else None
            if raw_path.endswith("/"):
                return None
            candidate = self._inside(raw_path)
            if (candidate is None or candidate == folder or not candidate.is_dir()
                    or self._resolve(raw_path + "/") is None):
                return None
            return f"{root}/{candidate.relative_to(folder).as_posix()}/"

        def _inside(self, raw_path: str) -> Path | None:
            """The path in the preview folder a URL path names, not yet checked to exist; None for
            one outside the base path or holding what no site file's name holds."""
            root = base_path.rstrip("/")
            if len(raw_path) > MAX_PATH_CHARS or not (raw_path == root or raw_path.startswith(root + "/")):
                return None
            relative = unquote(raw_path[len(root):], errors="replace")
            if "\x00" in relative or "\\" in relative:
                return None
            parts = [part for part in relative.split("/") if part not in ("", ".")]
            if any(part == ".." for part in parts):
                return None
            return folder.joinpath(*parts)

        def _resolve(self, raw_path: str) -> Path | None:
            """The file for a URL path, only ever inside the preview folder; None means 404."""
            candidate = self._inside(raw_path)
            if candidate is None:
                return None
            if candidate.is_dir() or raw_path.endswith("/") or candidate == folder:
                candidate = candidate / "index.html"
            try:
                resolved = candidate.resolve(strict=True)
            except (OSError, RuntimeError):
                return None
            if not resolved.is_relative_to(folder) or not resolved.is_file():
                return None
            return resolved

        def _page(self, data: bytes) -> bytes:
            state = preview.state
            extra = _CLIENT % {"epoch": state.epoch, "assets": state.assets, "endpoint": RELOAD_PATH}
            if state.error:
                extra = _OVERLAY % html.escape(state.error) + extra
            text = data.decode("utf-8", "replace")
            index = text.rfind("</body>")
            text = text[:index] + extra + text[index:] if index >= 0 else text + extra
            return text.encode("utf-8")

        def _reload(self) -> None:
            query = urlsplit(self.path).query
            try:
                epoch = int(dict(part.split("=", 1) for part in query.split("&") if "=" in part).get("epoch", "-1"))
            except ValueError:
                epoch = -1
            state = preview.wait(epoch, LONG_POLL_SECONDS)
            body = json.dumps({"epoch": state.epoch, "assets": state.assets, "error": state.error}).encode()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the page went away
                self._send(HTTPStatus.OK, body, "application/json", head=False)

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The port a preview stopped a moment ago is free again at once: its old connections linger
    # (TIME_WAIT) and, without this, kept it "in use" for a minute. Two servers still cannot
    # listen on one port on Linux or macOS; on Windows this option would let them, so not there.
    allow_reuse_address = os.name != "nt"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A visitor closing the connection early is not worth a traceback in the terminal.
        error = sys.exc_info()[1]
        if not isinstance(error, (BrokenPipeError, ConnectionResetError, TimeoutError)):
            super().handle_error(request, client_address)


def _bind(host: str, port: int, explicit_port: bool, handler: type[BaseHTTPRequestHandler]) -> _Server:
    last: OSError | None = None
    for candidate in [port] if explicit_port else range(port, port + 20):
        try:
            server = _Server((host, candidate), handler)
            server.timeout = 1
            return server
        except OSError as error:
            last = error
            if error.errno != errno.EADDRINUSE:
                break
    if explicit_port:
        raise DigestError(f"port {port} is already in use", hint="stop what uses it, or pick another with --port")
    raise DigestError(f"no free port from {port} to {port + 19}: {last}", hint="pick one with --port")


def serve(
    config_path: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    explicit_port: bool = False,
    open_browser: bool = False,
    echo: Callable[[str], None] = print,
) -> int:
    """Build, serve and watch until Ctrl-C; returns the exit code."""
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C stops the server even when it was started with SIGINT ignored (a background job
        # of a script inherits that, and Python then never raises KeyboardInterrupt).
        signal.signal(signal.SIGINT, signal.default_int_handler)
    config: Config = load_config(config_path)
    preview_dir = config.root / PREVIEW  # the preview build: removed again on exit
    base_path = config.base_path
    if host not in ("127.0.0.1", "localhost", "::1"):
        echo(f"warning: serving on {host}: other machines on your network can see this preview")
    if preview_dir.is_dir():  # left by a session that was killed: start from nothing
        shutil.rmtree(preview_dir, ignore_errors=True)
    preview = Preview(config_path, preview_dir, "", echo)
    server = _bind(host, port, explicit_port, _handler(preview, base_path))
    actual_port = server.server_address[1]
    shown_host = host if ":" not in host else f"[{host}]"
    address = f"http://{shown_host}:{actual_port}{base_path}"
    preview.base_url = address
    if not explicit_port and actual_port != port:
        echo(f"port {port} is in use; using {actual_port}")
    preview.rebuild()
    watcher = _Debouncer(config.root.resolve(), preview, config.inbox_dir.resolve())
    observer = Observer()
    watched = {config.root / "content", config.root / "themes", config.inbox_dir}
    for source in sorted(watched):
        inside_another = any(source != other and source.is_relative_to(other) for other in watched)
        if source.is_dir() and not inside_another:
            observer.schedule(watcher, str(source), recursive=True)
    observer.schedule(watcher, str(config.root), recursive=False)
    observer.start()
    thread = threading.Thread(target=server.serve_forever, name="digest-http", daemon=True)
    thread.start()
    try:  # from here on, Ctrl-C stops the server cleanly (the finally below)
        echo(f"serving {address} (Ctrl-C to stop)")
        if open_browser:
            webbrowser.open(address)
        while thread.is_alive():
            thread.join(timeout=0.5)
    except KeyboardInterrupt:
        echo("stopping")
    finally:
        preview.quitting.set()
        server.shutdown()
        server.server_close()
        observer.stop()
        observer.join(timeout=5)
        watcher.stop()
        preview.stop()
        preview.idle.wait(timeout=5)  # a search index being made stops (Pagefind too) and cleans up
        if preview.memory.cache is not None:  # keep what this session analysed for the next build
            with contextlib.suppress(OSError, CacheNotSaved):
                preview.memory.cache.save()
        with preview.changed:  # wake long-polls so their threads end
            preview.state.epoch += 1
            preview.changed.notify_all()
        # Only ever the preview folder under .cache/: nothing the user wrote.
        if preview_dir.resolve().is_relative_to((config.root / ".cache").resolve()):
            shutil.rmtree(preview_dir, ignore_errors=True)
    return 0


def free_port() -> int:
    """A port nobody listens on right now (for tests and benchmarks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
