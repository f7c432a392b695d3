"""Start `python build.py serve` as a user does, on a free port, and stop it like Ctrl-C does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import REPO


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[str]
    base: str
    lines: list[str] = field(default_factory=list)

    def get(self, path: str, timeout: float = 10) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def wait_for(self, text: str, path: str = "/", timeout: float = 15) -> str:
        """Poll a page until it contains ``text``; return the page."""
        deadline = time.monotonic() + timeout
        body = ""
        while time.monotonic() < deadline:
            _, body = self.get(path)
            if text in body:
                return body
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared at {path}; server said:\n" + "\n".join(self.lines))

    def output(self) -> str:
        return "\n".join(self.lines)


@contextmanager
def running(project: Path, *args: str, port: int | None = None) -> Iterator[Server]:
    port = port or free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "serve", "--port", str(port), *args],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    server = Server(process, f"http://127.0.0.1:{port}")
    assert process.stdout is not None
    stream = process.stdout

    def pump() -> None:
        for line in stream:
            server.lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    deadline = time.monotonic() + 30
    while not any(line.startswith("serving ") for line in server.lines):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError("serve did not start:\n" + server.output())
        time.sleep(0.05)
    try:
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        reader.join(timeout=5)
