"""The writer in a process of its own: the server's writes use a second core.

A server process spends its CPU in two places: the event loop (HTTP, routing, validation, answers)
and the writer (storing, re-scoring, committing: see `leadgate.service.writer`). In one process the
two share one core, because only one thread runs Python at a time. `WriterProcess` runs the same
`Writer` in a child process (`python -m leadgate.service.writer_process`, with its own store
connection and event cache), so the two run side by side:

- the server sends each write (a picklable function of the session and the workspace's context, such
  as `ingest.AddEvents`) down a socket pair from a thread of its own, so that a big batch never holds
  up the event loop, and another thread reads the answers (`Written`, or the error the write raised);
- the child, one thread, takes every write waiting (up to `max_group`) and runs them as one group with
  `Writer.run_group`, exactly as the writer's thread does in one process; it answers once the group
  has committed, so nothing is answered before it is stored;
- `close` sends a stop, and the child finishes every write sent before it, then exits. A child that
  dies fails the writes waiting on it (`Unavailable`: the server answers 503) and is started again at
  the next write. The child ignores SIGINT and SIGTERM (Ctrl-C and service managers signal the whole
  process group): the server stops it after its last answers, and it stops by itself when the server's
  end of the pipe closes.

`LEADGATE_WRITER=thread` keeps the writer in the server's process (see `api.create_app`).
"""

from __future__ import annotations

import asyncio
import gc
import io
import itertools
import logging
import os
import pickle
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from sqlalchemy import text

from leadgate.service.errors import Unavailable
from leadgate.service.workspace import DefinitionCache, context_by_key, utc_now
from leadgate.service.writer import Write, Writer, Written

T = TypeVar("T")
log = logging.getLogger(__name__)
WRITER_MODES = ("process", "thread")


class WriterProcess:
    """`Writer`'s interface (`start`, `submit`, `write`, `close`, `groups`, `writes`), run in a child
    process on the store at `url`."""

    def __init__(self, url: str, clock: Callable[[], datetime] = utc_now, max_group: int = 256) -> None:
        self.url = url
        self.clock = clock
        self.max_group = max_group
        self.groups = 0  # as the child last counted them
        self.writes = 0
        self._ids = itertools.count()
        self._pending: dict[int, Future[Any]] = {}
        self._lock = threading.Lock()  # the pipe's sending end and `_pending`
        self._process: subprocess.Popen[bytes] | None = None
        self._pipe: Connection | None = None
        self._reader: threading.Thread | None = None
        self._outbox: queue.SimpleQueue[tuple[Connection, int, bytes] | None] = queue.SimpleQueue()
        self._sender: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            self._start()

    def _start(self) -> None:
        """Start the child and wait until it has opened the store (its errors surface here)."""
        if self._process is not None:
            self._process.poll()  # a child that died: reaped
        ours, theirs = socket.socketpair()
        with theirs:
            process = subprocess.Popen(
                [sys.executable, "-m", "leadgate.service.writer_process", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                # the server's import path, so that the child can unpickle every write it is sent
                env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
            )
        pipe = Connection(ours.detach())
        try:
            pipe.send((self.url, self.clock, self.max_group))
            ready = pipe.recv()
        except (EOFError, OSError):
            pipe.close()
            code = process.wait()
            raise RuntimeError(f"the writer process exited at start ({code})") from None
        if isinstance(ready, BaseException):
            pipe.close()
            process.wait()
            raise ready
        self._process, self._pipe = process, pipe
        self._reader = threading.Thread(
            target=self._read, args=(pipe,), name="leadgate-writer-answers", daemon=True
        )
        self._reader.start()
        if self._sender is None:
            self._sender = threading.Thread(target=self._send, name="leadgate-writer-sends", daemon=True)
            self._sender.start()

    def submit(self, workspace_pk: int, write: Write[T]) -> Future[Written[T]]:
        future: Future[Written[T]] = Future()
        message = pickle.dumps((workspace_pk, write), pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if self._pipe is None:
                if self._process is None:
                    raise RuntimeError("the writer is not running")
                self._start()  # it died: a new one for this write
            assert self._pipe is not None
            key = next(self._ids)
            self._pending[key] = future
            self._outbox.put((self._pipe, key, pickle.dumps(key) + message))
        return future

    def _send(self) -> None:
        """The sender thread: writes go down the pipe in order, and a big one never holds up the
        event loop while the child is busy (it reads the pipe between groups)."""
        while True:
            item = self._outbox.get()
            if item is None:
                return
            pipe, key, data = item
            try:
                pipe.send_bytes(data)
            except OSError as exc:
                with self._lock:
                    future = self._pending.pop(key, None)
                if future is not None:
                    future.set_exception(Unavailable(f"the writer process is gone ({exc})"))

    async def write(self, workspace_pk: int, write: Write[T]) -> Written[T]:
        """Queue a write and wait, without blocking the event loop, until it is committed."""
        return await asyncio.wrap_future(self.submit(workspace_pk, write))

    def close(self) -> None:
        """Let the child finish every write sent so far, then stop it."""
        with self._lock:
            pipe, process, reader, sender = self._pipe, self._process, self._reader, self._sender
            self._process = self._sender = None  # no restart from here on
            if pipe is not None:
                self._outbox.put((pipe, -1, b""))  # after every write sent so far
            self._outbox.put(None)
        if sender is not None:
            sender.join()
        if reader is not None:
            reader.join()
        if process is not None:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _read(self, pipe: Connection) -> None:
        """The answers, as the child sends them, until the pipe closes."""
        while True:
            try:
                key, ok, value, groups, writes = pickle.loads(pipe.recv_bytes())
            except (EOFError, OSError):
                break
            self.groups, self.writes = groups, writes
            with self._lock:
                future = self._pending.pop(key, None)
            if future is None:
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        with self._lock:
            lost, self._pending = self._pending, {}
            if self._pipe is pipe:
                self._pipe = None
            pipe.close()
        if lost:
            log.error("the writer process ended with %d writes unanswered", len(lost))
        for future in lost.values():
            future.set_exception(Unavailable("the writer process ended before it answered this write"))


def _child(pipe: Connection) -> None:
    """The child process: a `Writer` on its own store, fed from the pipe."""
    from leadgate.service.store import open_store

    url, clock, max_group = pipe.recv()

    try:
        store = open_store(url, migrate=False, checkpoints="background")
        with store.reading() as session:  # reachable now, not at the first write
            session.execute(text("SELECT 1"))
    except BaseException as exc:  # the server reports it at start
        pipe.send(_sendable(exc))
        return
    cache = DefinitionCache()
    writer = Writer(store, lambda session, pk: context_by_key(session, pk, cache, clock), max_group)
    collector = Collector()
    pipe.send(True)
    try:
        stopping = False
        while not stopping:
            try:
                batch = [pipe.recv_bytes()]
                while len(batch) < max_group and pipe.poll():
                    batch.append(pipe.recv_bytes())
            except EOFError:  # the server is gone
                break
            if b"" in batch:  # the stop: after the writes before it
                batch, stopping = batch[: batch.index(b"")], True
            _run(pipe, writer, batch)
            collector.after_group()
    finally:
        store.close()
        pipe.close()


def _run(pipe: Connection, writer: Writer, batch: list[bytes]) -> None:
    """Run the writes received as one group, and send each its answer."""
    keys: list[int] = []
    writes: list[tuple[int, Any]] = []
    answers: list[bytes] = []
    for data in batch:
        message = io.BytesIO(data)  # the write's key, then the write
        key = pickle.load(message)
        try:
            writes.append(pickle.load(message))
            keys.append(key)
        except Exception as exc:  # answered at once: it never reaches the store
            answers.append(_answer(writer, key, exc))
    futures = writer.run_group(writes) if writes else []
    for key, future in zip(keys, futures, strict=True):
        error = future.exception()
        answers.append(_answer(writer, key, future.result() if error is None else error))
    for data in answers:
        pipe.send_bytes(data)


class Collector:
    """Python's garbage collection, as the writer's process runs it. The writers' memory keeps many
    objects for long (`service.memory`), and the collector's full passes over all of them cost the
    writer about a seventh of its work under load. So after each group, what survived it (the memory's
    new states, mostly) is frozen (`gc.freeze`: collections no longer look at it) once the young
    generations are collected; every `every` seconds everything is unfrozen and collected once, so that
    garbage in cycles among frozen objects is not kept for long. Objects without cycles (most of the
    memory's) are freed when they are dropped, frozen or not."""

    def __init__(self, every: float = 300.0) -> None:
        self.every = every
        self._full = time.monotonic()
        gc.set_threshold(10_000, 10, 10)  # young collections every 10,000 allocations, not 700

    def after_group(self) -> None:
        if time.monotonic() - self._full > self.every:
            gc.unfreeze()
            gc.collect()
            self._full = time.monotonic()
        else:
            gc.collect(1)
        gc.freeze()


def _answer(writer: Writer, key: int, value: Any) -> bytes:
    """One answer as the server reads it: (key, ok, the value or the error, the writer's counts)."""
    ok = not isinstance(value, BaseException)
    try:
        return pickle.dumps(
            (key, ok, value if ok else _sendable(value), writer.groups, writer.writes),
            pickle.HIGHEST_PROTOCOL,
        )
    except Exception as exc:  # a value that does not pickle (the write was committed)
        lost = RuntimeError(f"committed, but the answer does not pickle: {type(exc).__name__}: {exc}")
        return pickle.dumps((key, False, lost, writer.groups, writer.writes))


def _sendable(error: BaseException) -> BaseException:
    """The error itself when it survives pickling, else a plain one with its text."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")


def main(argv: list[str]) -> None:
    """`python -m leadgate.service.writer_process FD`: the child, on the socket FD (see `WriterProcess`)."""
    # Ctrl-C, or a service manager's SIGTERM, reaches the whole process group: the server stops us once
    # it has its last answers (and if the server is gone, the pipe's end stops us)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _child(Connection(int(argv[0])))


if __name__ == "__main__":
    main(sys.argv[1:])
