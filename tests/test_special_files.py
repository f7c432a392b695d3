"""Files that are not regular files (named pipes) are refused at once, never waited on."""

from __future__ import annotations

import os
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
