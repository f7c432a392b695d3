"""The preview in a real browser: headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.serving import running

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def test_an_open_page_follows_edits_and_shows_errors(project: Path) -> None:
    if not Path(CHROMIUM).exists():  # never skipped silently
        pytest.fail("Chromium is missing: `make test` installs it; or run `apt-get install chromium`")
    from playwright.sync_api import expect, sync_playwright

    with running(project) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 600})
            source = sorted((project / "content" / "articles").glob("*.md"))[0]
            page.goto(f"{server.base}/articles/{source.stem}/")
            expect(page.locator("h1")).to_contain_text("Russia-Ukraine War")
            page.mouse.wheel(0, 800)
            page.wait_for_function("window.scrollY > 500")
            page.evaluate("window.sameDocument = true")
            good = source.read_text(encoding="utf-8")
            source.write_text(good.replace("Kyiv is under heavy bombardment",
                                           "Kyiv is under EDITED bombardment"), encoding="utf-8")
            # No reload by hand: the page reloads itself and keeps its place.
            expect(page.locator(".body")).to_contain_text("EDITED bombardment", timeout=15000)
            page.wait_for_function("window.scrollY > 500", timeout=5000)
            # Swapped in place, not reloaded: the same document shows the new text.
            assert page.evaluate("window.sameDocument === true")
            source.write_text(re.sub(r"^date: .*$", "date: 2024-02-30", good, count=1, flags=re.M),
                              encoding="utf-8")
            overlay = page.locator("#digest-error")
            expect(overlay).to_be_visible(timeout=15000)
            expect(overlay).to_contain_text("is not a valid date")
            source.write_text(good, encoding="utf-8")
            expect(overlay).to_have_count(0, timeout=15000)
            expect(page.locator(".body")).to_contain_text("Kyiv is under heavy bombardment")
            # A style sheet change reloads the page, so the new styles apply; the place is kept.
            style = project / "themes" / "default" / "static" / "style.css"
            style.write_text(style.read_text(encoding="utf-8") + "\nh1 { color: rgb(1, 2, 3); }\n",
                             encoding="utf-8")
            page.wait_for_function("getComputedStyle(document.querySelector('h1')).color === 'rgb(1, 2, 3)'",
                                   timeout=15000)
            assert page.evaluate("window.sameDocument === undefined")
            page.wait_for_function("window.scrollY > 500", timeout=5000)
            # So does a change to the head a swap would keep (here an inline style in the theme).
            page.evaluate("window.sameDocument = true")
            base = project / "themes" / "default" / "templates" / "base.html"
            base.write_text(base.read_text(encoding="utf-8").replace(
                "</head>", "<style>h1 { color: rgb(4, 5, 6); }</style>\n</head>"), encoding="utf-8")
            page.wait_for_function("getComputedStyle(document.querySelector('h1')).color === 'rgb(4, 5, 6)'",
                                   timeout=15000)
            assert page.evaluate("window.sameDocument === undefined")
        finally:
            browser.close()
