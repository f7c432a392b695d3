"""Shared test helpers: a throwaway copy of the example project, and the real CLI run on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "content" / "inbox" / "000_de7211a80492f84d.txt"
SHARED = REPO.parent / "shared"


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(project: Path, *args: str, timeout: float = 120, env: dict[str, str] | None = None) -> Run:
    """Run ``python build.py ARGS`` in ``project`` as a user would, with this checkout's code."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    done = subprocess.run(
        [sys.executable, str(REPO / "build.py"), *args],
        cwd=project, capture_output=True, text=True, timeout=timeout, env=env, check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def make_project(folder: Path, with_seed: bool = True) -> Path:
    """A copy of the example project: config, themes, pages, and the seed in the inbox."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "config.yaml", folder / "config.yaml")
    shutil.copytree(REPO / "themes", folder / "themes")
    shutil.copytree(REPO / "content" / "pages", folder / "content" / "pages")
    (folder / "content" / "articles").mkdir(parents=True)
    (folder / "content" / "inbox").mkdir(parents=True)
    if with_seed:
        target = folder / "content" / "inbox" / SEED.name
        shutil.copy(SEED, target)
        os.utime(target, (1645747200, 1645747200))  # 2022-02-25T00:00:00Z: a stable file-mtime date
    return folder


def put_in_inbox(project: Path, stories: list[Path]) -> None:
    """Copy raw stories into the project's inbox, each with one fixed modification time (a date
    taken from the file's time is then the same on every run)."""
    for story in stories:
        copy = project / "content" / "inbox" / story.name
        copy.write_bytes(story.read_bytes())
        os.utime(copy, (1700000000, 1700000000))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes, to compare whole trees."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def broken_pagefind(folder: Path, script: str) -> dict[str, str]:
    """The environment for ``run_cli`` in which the search indexer is ``script`` (a shell script),
    found before the installed one as a broken install would be."""
    package = folder / "pagefind_bin"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    binary = package / "pagefind"
    binary.write_text(script, encoding="utf-8")
    binary.chmod(0o755)
    return {"PYTHONPATH": f"{folder}{os.pathsep}{REPO}"}
