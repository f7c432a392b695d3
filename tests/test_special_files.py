"""Files that are not articles: named pipes are refused at once (never waited on), binary data
is refused, not "decoded" into an article of garbage."""

from __future__ import annotations

import os
import random
from pathlib import Path

from tests.conftest import run_cli, tree_bytes


def test_a_named_pipe_is_refused_not_waited_on(project: Path) -> None:
    # Reading a pipe that has no writer blocks forever: found while writing the README's error list.
    assert run_cli(project).code == 0
    before = tree_bytes(project / "site")
    os.mkfifo(project / "content" / "articles" / "pipe.md")
    os.mkfifo(project / "content" / "inbox" / "pipe.txt")
    result = run_cli(project, timeout=30)
    assert result.code == 1
    assert "error: content/inbox/pipe.txt: cannot read: not a regular file (a named pipe, socket or device)" \
        in result.err
    assert "error: content/articles/pipe.md: cannot read: not a regular file" in result.err
    assert tree_bytes(project / "site") == before
    analyzed = run_cli(project, "analyze", "content/articles/pipe.md", timeout=30)
    assert analyzed.code == 1
    assert "not a regular file" in analyzed.err


def test_a_named_pipe_as_config_is_refused_not_waited_on(project: Path) -> None:
    (project / "config.yaml").unlink()
    os.mkfifo(project / "config.yaml")
    result = run_cli(project, timeout=30)
    assert result.code == 1
    assert "error: config.yaml: cannot read: not a regular file" in result.err
    assert not (project / "site").exists()


def test_random_binary_data_in_the_inbox_is_not_ingested(project: Path) -> None:
    # Found while collecting the README's error messages: random bytes have about one control byte
    # in ten, just under the ratio that refused them, and were ingested as cp1252 text.
    data = random.Random(3).randbytes(2000)  # 196 control bytes: under one in ten
    (project / "content" / "inbox" / "photo.txt").write_bytes(data)
    result = run_cli(project, "ingest", "content/inbox/photo.txt")
    assert result.code == 1
    assert "error: content/inbox/photo.txt: not text: control bytes from offset" in result.err
    assert list((project / "content" / "articles").iterdir()) == []
