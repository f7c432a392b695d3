"""Screenshots of the built example site for the README, in Debian's headless Chromium.

    .venv/bin/python docs/screenshots.py

Builds the seed and the golden test articles written for this project (tests/golden/ingest/) in a
temporary project, serves it under /repo/ on 127.0.0.1 like GitHub Pages, and writes
docs/screenshots/*.png at desktop and phone widths.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "screenshots"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def build(folder: Path) -> Path:
    project = folder / "project"
    project.mkdir()
    shutil.copy(REPO / "config.yaml", project / "config.yaml")
    shutil.copytree(REPO / "themes", project / "themes")
    shutil.copytree(REPO / "content" / "pages", project / "content" / "pages")
    inbox = project / "content" / "inbox"
    inbox.mkdir(parents=True)
    sources = [*sorted((REPO / "content" / "inbox").glob("*.txt")),
               *sorted(path for path in (REPO / "tests" / "golden" / "ingest").iterdir()
                       if not path.name.endswith(".expected.md"))]
    for day, source in enumerate(sources):
        target = inbox / source.name
        shutil.copy(source, target)
        stamp = 1_700_000_000 + day * 86_400 * 9  # spread over months: a real archive
        os.utime(target, (stamp, stamp))
    env = {**os.environ, "PYTHONPATH": str(REPO), "DIGEST_BASE_URL": "http://127.0.0.1:8765/repo/"}
    subprocess.run([sys.executable, str(REPO / "build.py")], cwd=project, env=env, check=True)
    return project / "site"


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        site = build(Path(scratch))
        served = Path(scratch) / "served"
        served.mkdir()
        (served / "repo").symlink_to(site)
        handler = functools.partial(SimpleHTTPRequestHandler, directory=str(served))
        server = ThreadingHTTPServer(("127.0.0.1", 8765), handler)
        handler.log_message = lambda *args: None  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        article = sorted((site / "articles").iterdir())[0].name
        topic = sorted(path.name for path in (site / "topics").iterdir() if path.is_dir())[0]
        shots = [("home", "", 1280, 900), ("topic", f"topics/{topic}/", 1280, 900),
                 ("article", f"articles/{article}/", 1280, 1400), ("article-phone", f"articles/{article}/", 390, 844),
                 ("archive", "archive/", 1280, 900), ("search", "search/", 1280, 900)]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            for name, path, width, height in shots:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(f"http://127.0.0.1:8765/repo/{path}")
                if name == "search":
                    page.fill("input", "Zelensky")
                    page.wait_for_selector(".pagefind-ui__result")
                page.screenshot(path=str(OUT / f"{name}.png"))
                page.close()
            browser.close()
        server.shutdown()
    print(f"wrote {len(shots)} screenshots to {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
