"""One build of a project at a time: real builds in real processes, started over one another.

Two builds at once used to ingest the same new inbox files twice (a second copy of each article,
named ``-2``). Now the second waits for the first, says so, and then finds the articles ingested;
a killed build (its workers left behind, stopped) keeps nobody waiting.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, make_project, tree_bytes

STORIES = 40
WORDS = ["harbour", "council", "budget", "rail", "schools", "river", "market", "court", "storm", "energy",
         "hospital", "museum", "bridge", "festival", "farmers", "airport", "library", "police", "water", "housing"]


def _stories(project: Path) -> None:
    """Raw articles in the inbox, as a user drops them: a title line, then paragraphs."""
    rng = random.Random(7)
    for number in range(STORIES):
        title = f"The {rng.choice(WORDS)} plan number {number} is approved by the {rng.choice(WORDS)} board"
        paragraphs = [" ".join(" ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "." for _ in range(3))
                      for _ in range(5)]
        story = project / "content" / "inbox" / f"story-{number:02}.txt"
        story.write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
        os.utime(story, (1700000000, 1700000000))  # the date taken from the file: the same in each project


class _Build:
    """``python build.py ARGS`` in its own process group, its output read as it comes."""

    def __init__(self, project: Path, *args: str, own_group: bool = True) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "build.py"), *args], cwd=project, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=own_group)
        self.own_group = own_group
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = [threading.Thread(target=self._read, args=(stream, lines), daemon=True)
                        for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err))]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _read(stream: object, lines: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.append(line)

    def wait_for(self, text: str, where: list[str], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in list(where)):
            assert self.process.poll() is None or any(text in line for line in list(where)), (
                f"ended without saying {text!r}:\n{''.join(self.out)}{''.join(self.err)}")
            assert time.monotonic() < deadline, f"no {text!r} in {timeout} s"
            time.sleep(0.01)

    def finish(self, timeout: float = 120) -> int:
        code = self.process.wait(timeout)
        for reader in self.readers:
            reader.join(10)
        return code

    def kill_group(self) -> None:
        if not self.own_group:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
            os.killpg(self.process.pid, signal.SIGCONT)
        except ProcessLookupError:
            pass


def _articles(project: Path) -> list[str]:
    return sorted(path.name for path in (project / "content" / "articles").glob("*.md"))


@pytest.mark.parametrize("second", [("build",), ("ingest", "content/inbox")])
def test_a_second_build_waits_for_the_first_then_ingests_nothing_twice(tmp_path: Path, second: tuple[str, ...]) -> None:
    alone = make_project(tmp_path / "alone")
    _stories(alone)
    first_alone = _Build(alone, "build", "--workers", "2")
    assert first_alone.finish() == 0, "".join(first_alone.err)
    expected = _articles(alone)
    assert len(expected) == STORIES + 1  # the stories and the seed

    project = make_project(tmp_path / "project")
    _stories(project)
    first = _Build(project, "build", "--workers", "2")
    other: _Build | None = None
    try:
        first.wait_for("config", first.out)  # it holds the lock from before its first stage
        os.killpg(first.process.pid, signal.SIGSTOP)  # and its workers: held up mid-build
        other = _Build(project, *second)
        other.wait_for("waiting for another build", other.err)
        time.sleep(1.0)
        assert other.process.poll() is None, "the second ran while the first was still building"
        assert not (project / "site").exists()
        os.killpg(first.process.pid, signal.SIGCONT)
        assert first.finish() == 0, "".join(first.err)
        assert other.finish() == 0, "".join(other.err)
    finally:
        first.kill_group()
        if other is not None:
            other.kill_group()
    assert _articles(project) == expected, "an inbox file was ingested twice"
    assert "0 written" in "".join(other.out)
    assert tree_bytes(project / "content") == tree_bytes(alone / "content")


def test_builds_started_together_ingest_each_story_once(tmp_path: Path) -> None:
    alone = make_project(tmp_path / "alone")
    _stories(alone)
    assert _Build(alone, "build", "--workers", "2").finish() == 0
    for trial in range(2):
        project = make_project(tmp_path / f"project-{trial}")
        _stories(project)
        builds = [_Build(project, "build", "--workers", "2") for _ in range(2)]
        codes = [build.finish() for build in builds]
        assert codes == [0, 0], [("".join(build.err)) for build in builds]
        names = _articles(project)
        assert len(names) == STORIES + 1 and not [name for name in names if name.endswith("-2.md")], names
        assert tree_bytes(project / "site") == tree_bytes(alone / "site"), "site/ is not what one build makes"


def test_a_killed_build_keeps_no_one_waiting_even_with_its_workers_left(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    _stories(project)
    # In the test's own process group: when the build is killed, its workers (stopped) are left
    # as they are (an orphaned group of its own would be sent SIGHUP by the system, and end).
    killed = _Build(project, "build", "--workers", "2", own_group=False)
    workers: list[int] = []
    try:
        killed.wait_for("config", killed.out)  # its render workers are forked by now
        os.kill(killed.process.pid, signal.SIGSTOP)
        workers = _children(killed.process.pid)
        assert workers, "the build forked no workers"
        for pid in workers:
            os.kill(pid, signal.SIGSTOP)
        os.kill(killed.process.pid, signal.SIGKILL)
        killed.process.wait(30)
        following = _Build(project, "build", "--workers", "2")
        assert following.finish(timeout=60) == 0, "".join(following.err)
        assert not any("waiting" in line for line in following.err), "".join(following.err)
        assert all(_alive(pid) for pid in workers), "the killed build's workers were to be left for this test"
    finally:
        killed.kill_group()
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert len(_articles(project)) == STORIES + 1
    assert (project / "site" / "index.html").is_file()


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == parent:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"
