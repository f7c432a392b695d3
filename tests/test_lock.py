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
from typing import Any

import pytest

from tests.conftest import REPO, make_project, run_cli, tree_bytes
from tests.serving import running

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

    def __init__(self, project: Path, *args: str, own_group: bool = True, stderr: Any = subprocess.PIPE) -> None:
        # Unbuffered: the stage lines are read as they come (a pipe would hold them until exit).
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "build.py"), *args], cwd=project, env=env, text=True,
            stdout=subprocess.PIPE, stderr=stderr, start_new_session=own_group)
        self.own_group = own_group
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = [threading.Thread(target=self._read, args=(stream, lines), daemon=True)
                        for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err))
                        if stream is not None]
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
        try:
            codes = [build.finish() for build in builds]
        finally:
            for build in builds:
                build.kill_group()
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
        try:
            assert following.finish(timeout=60) == 0, "".join(following.err)
        finally:
            following.kill_group()
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


def _held_up(project: Path) -> _Build:
    """A real build of ``project`` stopped mid-way (SIGSTOP, with its workers): it holds the lock."""
    held = _Build(project, "build", "--no-cache", "--workers", "2")
    held.wait_for("config", held.out)
    os.killpg(held.process.pid, signal.SIGSTOP)
    return held


def test_a_build_with_nothing_to_do_does_not_wait_for_a_running_build(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    _stories(project)
    assert run_cli(project, "build").code == 0
    time.sleep(2.1)  # past the window in which a file just written (the ingested articles) is not trusted
    assert run_cli(project, "build").code == 0  # now what site/ was made from is recorded
    held = _held_up(project)
    try:
        idle = _Build(project, "build")
        assert idle.finish(timeout=30) == 0, "".join(idle.err)
        assert "nothing changed since the last build" in "".join(idle.out)
        assert not any("waiting" in line for line in idle.err)
        # Something to do: then it waits.
        (project / "content" / "articles" / "new.md").write_text(
            "---\ntitle: A new story\ndate: 2024-03-01\n---\n\nThe council met on Monday.\n", encoding="utf-8")
        busy = _Build(project, "build")
        busy.wait_for("waiting for another build", busy.err)
        time.sleep(0.5)
        assert busy.process.poll() is None
        os.killpg(held.process.pid, signal.SIGCONT)
        assert held.finish() == 0 and busy.finish() == 0, "".join(busy.err)
        assert "built" in "".join(busy.out)
    finally:
        held.kill_group()


def test_a_build_that_cannot_say_it_waits_still_waits(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    _stories(project)
    held = _held_up(project)
    try:
        with open(os.devnull if not Path("/dev/full").exists() else "/dev/full", "w") as full:
            mute = _Build(project, "build", stderr=full)
            time.sleep(3)
            assert mute.process.poll() is None, "it built beside the other build"
            assert not (project / "site").exists()
            os.killpg(held.process.pid, signal.SIGCONT)
            assert held.finish() == 0
            assert mute.finish() == 0
        assert len(_articles(project)) == STORIES + 1
    finally:
        held.kill_group()


def test_the_preview_waits_for_a_build_says_so_and_stops_at_ctrl_c(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    _stories(project)
    held: _Build | None = None
    try:
        with running(project) as server:
            held = _held_up(project)
            article = sorted((project / "content" / "articles").glob("*.md"))[0]
            article.write_text(article.read_text(encoding="utf-8") + "\nA line added while a build runs.\n",
                               encoding="utf-8")
            deadline = time.monotonic() + 20
            while not any("waiting for another build" in line for line in server.lines):
                assert time.monotonic() < deadline, server.output()
                time.sleep(0.05)
            stopped = time.monotonic()
            server.process.send_signal(signal.SIGINT)
            assert server.process.wait(timeout=15) == 0, server.output()
            assert time.monotonic() - stopped < 4, "Ctrl-C waited for the other build"
            assert held.process.poll() is None  # the other build is still held up: it was not waited for
        os.killpg(held.process.pid, signal.SIGCONT)
        assert held.finish() == 0
    finally:
        if held is not None:
            held.kill_group()
