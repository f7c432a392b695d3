"""`python build.py serve`: a real server on 127.0.0.1, driven over HTTP and raw sockets."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import REPO, run_cli, tree_bytes
from tests.serving import free_port, running


def article_file(project: Path) -> Path:
    files = sorted((project / "content" / "articles").glob("*.md"))
    assert len(files) == 1
    return files[0]


def test_serves_the_site_with_live_reload_and_a_real_404(project: Path) -> None:
    themes, pages, config = (tree_bytes(project / "themes"), tree_bytes(project / "content" / "pages"),
                             (project / "config.yaml").read_bytes())
    with running(project) as server:
        status, home = server.get("/")
        assert status == 200
        assert "The Digest" in home and "/__digest/reload" in home
        status, missing = server.get("/no/such/page/")
        assert status == 404
        assert "Page not found" in missing
        assert not (project / "site").exists()  # the preview never touches site/
    assert server.process.returncode == 0
    assert "Traceback" not in server.output()
    assert not (project / ".cache" / "preview").exists()  # Ctrl-C leaves no preview folder
    # ... and nothing the user wrote is touched.
    assert tree_bytes(project / "themes") == themes
    assert tree_bytes(project / "content" / "pages") == pages
    assert (project / "config.yaml").read_bytes() == config


def test_an_edit_is_rebuilt_and_announced_to_waiting_pages(project: Path) -> None:
    with running(project) as server:
        _, state = server.get("/__digest/reload?epoch=-1")
        epoch = json.loads(state)["epoch"]
        answer: list[str] = []
        waiter = threading.Thread(target=lambda: answer.append(server.get(f"/__digest/reload?epoch={epoch}")[1]))
        waiter.start()
        time.sleep(0.3)
        source = article_file(project)
        source.write_text(source.read_text(encoding="utf-8").replace(
            "Kyiv is under heavy bombardment", "Kyiv is under EDITED bombardment"), encoding="utf-8")
        waiter.join(timeout=15)
        assert answer, "the long poll never answered"
        assert json.loads(answer[0])["epoch"] > epoch
        slug = source.stem
        server.wait_for("EDITED bombardment", f"/articles/{slug}/")


def test_a_broken_file_shows_an_overlay_until_it_is_fixed(project: Path) -> None:
    with running(project) as server:
        source = article_file(project)
        good = source.read_text(encoding="utf-8")
        source.write_text(re.sub(r"^date: .*$", "date: 2024-02-30", good, count=1, flags=re.M), encoding="utf-8")
        page = server.wait_for('id="digest-error"', f"/articles/{source.stem}/")
        assert "is not a valid date" in page
        assert "Kyiv" in page  # the last good build is still there, under the overlay
        source.write_text(good, encoding="utf-8")
        deadline = time.monotonic() + 15
        while 'id="digest-error"' in server.get(f"/articles/{source.stem}/")[1]:
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.1)
        assert "is not a valid date" in server.output()  # and the terminal said so


def test_a_burst_of_writes_gives_at_most_two_rebuilds(project: Path) -> None:
    with running(project) as server:
        before = sum(line.startswith("rebuilt") for line in server.lines)
        scratch = project / "content" / "pages" / "scratch.md"
        start = time.monotonic()
        for number in range(500):
            scratch.write_text(f"---\ntitle: Scratch {number}\n---\n\nDraft {number}.\n", encoding="utf-8")
        assert time.monotonic() - start < 1.5
        server.wait_for("Draft 499.", "/scratch/")
        time.sleep(1.0)
        after = sum(line.startswith("rebuilt") for line in server.lines)
        assert 1 <= after - before <= 2, server.output()


def test_hostile_requests_get_nothing_from_outside(project: Path, tmp_path: Path) -> None:
    secret = "SECRET-OUTSIDE-THE-PREVIEW"
    (project / "outside.txt").write_text(secret, encoding="utf-8")
    (tmp_path / "far.txt").write_text(secret, encoding="utf-8")
    with running(project) as server:
        preview = project / ".cache" / "preview"
        os.symlink(project / "outside.txt", preview / "link.txt")
        os.symlink(project, preview / "linked-folder")
        paths = [
            "/../outside.txt", "/%2e%2e/outside.txt", "/%2E%2E%2F%2E%2E%2Foutside.txt", "/..%2foutside.txt",
            "/static/../../outside.txt", "//etc/passwd", "/%2fetc%2fpasswd", f"/{tmp_path}/far.txt",
            "/link.txt", "/linked-folder/outside.txt", "/a%00b", "/index.html%00.txt", "/" + "a" * 5000,
            "/%ff%fe", "/..\\..\\outside.txt", "/%5c..%5c..%5coutside.txt",
        ]
        port = int(server.base.rsplit(":", 1)[1])
        for path in paths:
            reply = raw_request(port, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            assert secret.encode() not in reply, path
            assert b"root:" not in reply, path
        for junk in (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", b"BREW / HTTP/1.1\r\n\r\n",
                     b"garbage\r\n\r\n", b"\x00\x01\x02\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"G" * 70000 + b"\r\n\r\n"):
            raw_request(port, junk)
        half_open = socket.create_connection(("127.0.0.1", port))
        half_open.sendall(b"GET / HTT")  # and never finish
        try:
            status, home = server.get("/")
            assert status == 200 and "The Digest" in home  # still answers
        finally:
            half_open.close()
    assert "Traceback" not in server.output()


def raw_request(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        chunks = []
        try:
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
    return b"".join(chunks)


def test_a_folder_asked_without_its_slash_is_redirected_to_it(project: Path) -> None:
    """As on GitHub Pages: /news/topics is sent to /news/topics/, whose relative links (the CSS, the
    other pages) then work; with a sub-path base_url, / and /news go to /news/. Nothing else
    moves: files, missing pages, and paths that only start like the base path."""
    config = project / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "base_url: https://example.org/", "base_url: https://alice.github.io/news/"), encoding="utf-8")
    with running(project) as server:
        port = int(server.base.rsplit(":", 1)[1])

        def answer(path: str) -> tuple[str, str | None]:
            reply = raw_request(port, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            head = reply.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            location = [line.split(": ", 1)[1] for line in head if line.lower().startswith("location: ")]
            if location:  # a redirect no browser keeps: another project may be previewed here next
                assert "Cache-Control: no-store" in head, head
            return head[0].split(" ", 2)[1], location[0] if location else None

        assert answer("/") == answer("/news") == ("302", "/news/")
        assert answer("/news/topics") == ("302", "/news/topics/")
        assert answer("/news/topics?from=feed") == ("302", "/news/topics/?from=feed")
        assert answer("/news/topics/")[0] == answer("/news/static/style.css")[0] == "200"
        assert answer("//news/topics") == ("302", "/news/topics/")  # never '//news/…', another host
        for nowhere in ("/news/no-such-folder", "/newsindex.html", "/topics"):
            assert answer(nowhere)[0] == "404", nowhere
        status, page = server.get("/news/topics")  # followed, as a browser does
        assert status == 200 and 'href="../static/style.css' in page


def test_a_preview_started_again_at_once_gets_its_port_back(project: Path) -> None:
    """Stopped after serving pages (whose connections linger a minute in TIME_WAIT), the preview
    started again on the same port gets it: it was "already in use" for that minute."""
    port = free_port()
    with running(project, port=port) as server:
        for _ in range(5):
            assert server.get("/")[0] == 200
    with running(project, port=port) as again:
        assert again.get("/")[0] == 200


def test_a_taken_port_is_skipped_or_refused(project: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        refused = run_cli(project, "serve", "--port", str(taken), timeout=30)
        assert refused.code == 1
        assert refused.err.strip() == f"error: port {taken} is already in use (stop what uses it, or pick another with --port)"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        # Without --port, the default 8000 may be free or taken here: run on the module API instead.
        code = (
            "from pathlib import Path; from digest.serve import _bind, _handler, Preview;"
            f"p = Preview(Path('config.yaml'), Path('.'), '', print);"
            f"s = _bind('127.0.0.1', {taken}, False, _handler(p, '/')); print(s.server_address[1]); s.server_close()"
        )
        chosen = subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True,
                                check=True).stdout.strip()
        assert int(chosen) != taken


def test_the_default_address_is_loopback_only(project: Path) -> None:
    port = free_port()
    with running(project, port=port) as server:
        assert any(re.match(rf"serving http://127\.0\.0\.1:{port}/", line) for line in server.lines)
        assert not any("warning" in line for line in server.lines)


def test_the_search_index_follows_an_edit_after_the_page_is_shown(project: Path) -> None:
    with running(project) as server:
        _, entry = server.get("/pagefind/pagefind-entry.json")
        assert '"page_count"' in entry
        source = article_file(project)
        source.write_text(source.read_text(encoding="utf-8") + "\nA zeppelinwort appears in the last line.\n",
                          encoding="utf-8")
        server.wait_for("zeppelinwort", f"/articles/{source.stem}/")
        deadline = time.monotonic() + 20
        while server.get("/pagefind/pagefind-entry.json")[1] == entry:  # the index changed too
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.1)
        status, _ = server.get("/pagefind/pagefind-ui.js")
        assert status == 200
    assert "Traceback" not in server.output()


def test_ctrl_c_stops_a_server_started_with_interrupts_ignored(project: Path) -> None:
    """A background job of a script starts with SIGINT ignored, and Python then never raises
    KeyboardInterrupt: serve still stops on Ctrl-C (SIGINT), cleanly."""
    import signal

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "serve", "--port", str(port)], cwd=project,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # as a background job starts
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("serving "):
                break
        assert any(line.startswith("serving ") for line in lines), "".join(lines)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
        assert "stopping" in process.stdout.read()
        assert not (project / ".cache" / "preview").exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_new_warning_is_said_once_in_the_preview_log(project: Path) -> None:
    with running(project) as server:
        source = article_file(project)
        text = source.read_text(encoding="utf-8")
        source.write_text(text.replace("---\n", "---\ntopic: [Culture]\n", 1), encoding="utf-8")
        wanted = "unknown front-matter key 'topic' does nothing (did you mean 'topics'?)"
        deadline = time.monotonic() + 15
        while not any(wanted in line for line in server.lines):
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.1)
        # Another save that leaves the warning as it was does not say it again.
        rebuilt = sum(line.startswith("rebuilt") for line in server.lines)
        source.write_text(source.read_text(encoding="utf-8").replace(
            "Kyiv is under heavy bombardment", "Kyiv is under EDITED bombardment"), encoding="utf-8")
        server.wait_for("EDITED bombardment", f"/articles/{source.stem}/")
        while sum(line.startswith("rebuilt") for line in server.lines) == rebuilt:
            assert time.monotonic() < deadline + 15, server.output()
            time.sleep(0.1)
        assert sum(wanted in line for line in server.lines) == 1, server.output()
