"""The build's worker processes: a worker that dies or fails is a clear error, never a hang.

Each check runs in a fresh interpreter: workers are only forked from a process with no other
threads, and the test session has some (the browser tests').
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import REPO


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, capture_output=True,
                          text=True, timeout=60, check=False)


def test_a_worker_that_dies_or_fails_is_reported_and_the_others_stop() -> None:
    done = run_python("""
        import os, signal
        from digest.workers import WorkerFailed, Workers

        def double(number):
            return 2 * number

        def fail():
            raise ValueError("no such thing")

        workers = Workers.fork(3)
        assert workers is not None
        first, second, third = workers.connections
        workers.call(first, double, 21)
        print("answer", workers.result(first))
        os.kill(workers.pids[1], signal.SIGKILL)  # as the system's out-of-memory killer would
        os.waitpid(workers.pids[1], 0)  # dead before it is sent work: sending fails, not only the answer
        try:
            workers.call(second, double, 1)
            workers.result(second)
        except WorkerFailed as error:
            print("died:", error.message)
        workers.call(third, fail)
        try:
            workers.result(third)
        except WorkerFailed as error:
            print("failed:", error.message.splitlines()[-1])
        pids = [pid for pid in workers.pids if pid != workers.pids[1]]
        workers.close()
        for pid in pids:
            try:
                os.kill(pid, 0)
                print("still running", pid)
            except ProcessLookupError:
                pass
    """)
    assert done.returncode == 0, done.stderr
    assert "answer 42" in done.stdout
    assert "died: a worker process stopped unexpectedly (out of memory?)" in done.stdout
    assert "failed: ValueError: no such thing" in done.stdout
    assert "still running" not in done.stdout


def test_workers_are_not_forked_beside_other_threads_or_for_one_process() -> None:
    done = run_python("""
        import threading
        from digest.workers import Workers

        print("one:", Workers.fork(1))
        stop = threading.Event()
        thread = threading.Thread(target=stop.wait)
        thread.start()
        print("beside a thread:", Workers.fork(2))
        stop.set()
        thread.join()
        workers = Workers.fork(2)
        print("alone:", len(workers.pids))
        workers.close()
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["one: None", "beside a thread: None", "alone: 2"]


def test_map_gives_results_in_order_and_leaves_the_workers_free_after_a_failure() -> None:
    # The analysis of a cold build goes through map: the site must not depend on which worker
    # finished first, and a failed chunk must not leave an answer behind for the next caller.
    done = run_python("""
        import os, time
        from digest.workers import WorkerFailed, Workers

        def slow_square(number):
            time.sleep(0.02 if number % 7 == 0 else 0)  # chunks finish out of order
            return number * number

        def fussy(number):
            if number == 13:
                raise ValueError("thirteen")
            time.sleep(0.01)
            return number

        def reversed_text(text):
            return text[::-1]

        def dies(number):
            if number == 9:
                os._exit(1)  # as the system's out-of-memory killer would end it
            return number

        # Defined before the fork: a worker finds a function sent to it by its name.
        workers = Workers.fork(2)
        assert workers is not None
        print("squares ok:", list(workers.map(slow_square, range(100), 3)) == [n * n for n in range(100)])
        try:
            list(workers.map(fussy, range(40), 2))
        except WorkerFailed as error:
            print("failed:", error.message.splitlines()[-1])
        print("after:", list(workers.map(slow_square, [1, 2, 3, 4, 5], 1)))

        # Calls and answers each far bigger than a pipe holds (a worker is sent its next chunk as
        # soon as its answer is read, while others may be writing theirs): no side waits forever.
        texts = [str(number) * 300_000 for number in range(12)]
        print("big ok:", list(workers.map(reversed_text, texts, 2)) == [text[::-1] for text in texts])

        try:
            list(workers.map(dies, range(20), 2))
        except WorkerFailed as error:
            print("died:", error.message)
        workers.close()
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["squares ok: True", "failed: ValueError: thirteen",
                                        "after: [1, 4, 9, 16, 25]", "big ok: True",
                                        "died: a worker process stopped unexpectedly (out of memory?)"]


def test_map_chunks_cover_every_item_once_and_shrink_toward_the_end() -> None:
    # Smaller last chunks: a cold build's last analysis chunk (312 articles at 5,000, ~2 s) would
    # otherwise leave one core idle while the other finishes it.
    from digest.workers import _spans

    for count in (0, 1, 7, 100, 1001, 5000):
        for chunk in (1, 3, 62, 312):
            for workers in (1, 2, 4):
                spans = _spans(count, chunk, workers)
                assert [start for start, _ in spans] == [0, *(end for _, end in spans[:-1])][:len(spans)]
                assert (spans[-1][1] if spans else 0) == count
                assert all(0 < end - start <= chunk for start, end in spans)
    sizes = [end - start for start, end in _spans(5000, 312, 2)]
    assert sizes[0] == 312
    assert max(sizes[-4:]) <= 312 // 8 + 1
