"""Worker processes forked at the start of a command-line build, while the parent is still small.

A process forked late, after the site model is loaded, shares the parent's pages, but its RSS
counts every one of them: two render workers forked at 5,000 articles each showed the parent's
200 MiB again. Forked before the content is read, a worker holds only the code and what it is
sent. They analyse a cold build's articles (``map``) and render its pages. Each works through
calls sent over its own pipe, one at a time, and sends back the result; there are no threads, so
the parent can still fork later (the read stage's pool).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import Any, NoReturn

from digest.errors import DigestError


class WorkerFailed(DigestError):
    """A worker process died or raised: a bug in digest, or the system killed it."""


class Workers:
    """Processes that run ``function(*args)`` calls for the parent (see ``call``/``result``)."""

    def __init__(self, connections: list[Connection], pids: list[int]) -> None:
        self.connections = connections
        self.pids = pids

    @classmethod
    def fork(cls, count: int) -> Workers | None:
        """``count`` workers, or None where forking is not possible or not safe: one core, no
        ``fork`` (Windows), or other threads running (a lock one holds would be copied held)."""
        if (count < 2 or "fork" not in multiprocessing.get_all_start_methods()
                or threading.active_count() > 1):
            return None
        workers = cls([], [])
        try:
            for _ in range(count):
                mine, theirs = multiprocessing.Pipe()
                # Ctrl-C held back while forking: a worker must be inside ``_serve`` (which ends
                # it) before it can be interrupted, never back in the build's code.
                held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
                try:
                    pid = os.fork()
                    if pid == 0:  # the worker: never returns into the build
                        _serve(theirs, [mine, *workers.connections], held)
                finally:
                    signal.pthread_sigmask(signal.SIG_SETMASK, held)
                theirs.close()
                workers.connections.append(mine)
                workers.pids.append(pid)
        except OSError:  # no more processes allowed: the build renders alone
            workers.close()
            return None
        return workers

    def call(self, connection: Connection, function: Callable[..., Any], *args: Any) -> None:
        """Start ``function(*args)`` in the worker at ``connection``; ``result`` waits for it. One
        call at a time per worker: with a second one queued, both sides could block writing a
        big message into a full pipe."""
        self.send(connection, self.message(function, *args))

    @staticmethod
    def message(function: Callable[..., Any], *args: Any) -> bytes:
        """The call ``function(*args)`` ready to ``send``: pickled now (while the workers are busy)."""
        return bytes(ForkingPickler.dumps((function, args)))

    def send(self, connection: Connection, message: bytes) -> None:
        """``call``, with the call made earlier by ``message``."""
        try:
            connection.send_bytes(message)
        except OSError:  # it died while waiting for work
            raise _stopped() from None

    def result(self, connection: Connection) -> Any:
        """What the call started by ``call`` returned (raising WorkerFailed if it raised)."""
        return self.result_of(self.answer(connection))

    @staticmethod
    def answer(connection: Connection) -> bytes:
        """The worker's answer, read off its pipe but not unpickled (``result_of``): once it is
        read, the worker may be sent its next call."""
        try:
            return connection.recv_bytes()
        except (EOFError, OSError):
            raise _stopped() from None

    @staticmethod
    def result_of(answer: bytes) -> Any:
        status, value = ForkingPickler.loads(answer)
        if status != "ok":
            raise WorkerFailed(f"a worker process failed:\n{value}", hint="this is a bug in digest")
        return value

    def map(self, function: Callable[[Any], Any], items: Sequence[Any], chunk: int) -> Iterator[Any]:
        """``function(item)`` for each item, in chunks of at most ``chunk`` across the workers, in
        the items' order. Every call sent is answered before this returns (or raises), so the
        workers are free for the next caller however the iteration ends."""
        chunks = [items[start:end] for start, end in _spans(len(items), chunk, len(self.connections))]
        chunks.reverse()  # popped from the end
        count = len(chunks)
        busy: dict[Connection, int] = {}  # a worker's pipe -> the number of the chunk it works on
        finished: dict[int, list[Any]] = {}
        # The next calls, pickled while the workers work: one that finishes gets its next chunk as
        # soon as its answer is read off the pipe, before that answer is unpickled (a worker
        # otherwise waited ~6-12 ms for both at each chunk of a cold build's analysis).
        ahead: deque[bytes] = deque()
        sent = 0

        def feed(connection: Connection) -> None:
            nonlocal sent
            if ahead or chunks:
                self.send(connection, ahead.popleft() if ahead else self.message(_each, function, chunks.pop()))
                busy[connection] = sent
                sent += 1

        try:
            for connection in self.connections:
                feed(connection)
            for number in range(count):
                while number not in finished:
                    while chunks and len(ahead) < len(self.connections):
                        ahead.append(self.message(_each, function, chunks.pop()))
                    for ready in wait(list(busy)):
                        assert isinstance(ready, Connection)
                        number_done = busy.pop(ready)  # answered, even if with an error
                        answer = self.answer(ready)
                        feed(ready)
                        finished[number_done] = self.result_of(answer)
                yield from finished.pop(number)
        finally:
            for connection in list(busy):  # answered, and dropped, before anyone else calls
                with contextlib.suppress(WorkerFailed):
                    self.result(connection)

    def close(self) -> None:
        """Stop the workers and wait for them (they end at once: each is between calls)."""
        for connection in self.connections:
            with contextlib.suppress(OSError):  # it is gone already
                connection.send(None)
            # Closed at once: a worker still sending a chunk nobody will read gets an error and ends.
            connection.close()
        for pid in self.pids:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.connections = []
        self.pids = []


def _spans(count: int, chunk: int, workers: int) -> list[tuple[int, int]]:
    """Where each chunk of ``count`` items starts and ends: ``chunk`` items, then smaller ones
    (a share of what is left, as in guided scheduling), so that no worker is left alone on one
    last big chunk while the others have nothing to do."""
    spans = []
    start = 0
    smallest = max(1, chunk // 8)  # below this, a chunk's message would cost more than it spreads
    while start < count:
        size = max(smallest, min(chunk, (count - start) // (2 * max(1, workers))))
        spans.append((start, min(count, start + size)))
        start += size
    return spans


def _each(function: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    """In a worker: one chunk of ``Workers.map``."""
    return [function(item) for item in items]


def _stopped() -> WorkerFailed:
    return WorkerFailed("a worker process stopped unexpectedly (out of memory?)",
                        hint="run the build again; with --workers 1 it uses no worker processes")


def _serve(connection: Connection, parents: list[Connection], mask: set[int | signal.Signals]) -> NoReturn:
    code = 1
    try:
        for other in parents:  # the build's ends of this and the earlier workers' pipes
            other.close()
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        while True:
            # The call's arguments (thousands of objects) live until it returns: the cyclic
            # collector need not walk them again and again, as they are unpickled (~20% of
            # unpickling a chunk) or meanwhile (it may once they are gone).
            gc.disable()
            if (message := connection.recv()) is None:
                break
            gc.freeze()
            gc.enable()
            function, args = message
            try:
                reply: tuple[str, Any] = ("ok", function(*args))
            except Exception:  # a bug: the parent reports it with this trace
                reply = ("error", traceback.format_exc())
            finally:
                del message, args
                gc.unfreeze()
            connection.send(reply)
        code = 0
    except BaseException:  # the parent is gone (EOF) or Ctrl-C: nothing to clean up
        code = 1
    finally:
        os._exit(code)
