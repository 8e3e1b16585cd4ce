"""The writer in a process of its own: the server's writes use a second core.

A server process spends its CPU in two places: the event loop (HTTP, routing, validation, answers)
and the writer (storing, re-scoring, committing: see `leadgate.service.writer`). In one process the
two share one core, because only one thread runs Python at a time. `WriterProcess` runs the same
`Writer` in a child process (started with `spawn`, with its own store connection and event cache),
so the two run side by side:

- the server sends each write (a picklable function of the session and the workspace's context, such
  as `ingest.AddEvents`) down a pipe, and a thread reads the answers (`Written`, or the error the write
  raised) as the child commits them;
- the child's main thread reads the pipe and queues each write on its `Writer`, whose thread groups
  them exactly as in one process: nothing is answered before it is committed;
- `close` sends a stop, and the child finishes every write it has received before it exits. A child
  that dies fails the writes waiting on it (`Unavailable`: the server answers 503) and is started again at the next
  write. The child ignores SIGINT (Ctrl-C reaches the whole process group): the server stops it.

`LEADGATE_WRITER=thread` keeps the writer in the server's process (see `api.create_app`).
"""

from __future__ import annotations

import asyncio
import functools
import io
import itertools
import logging
import multiprocessing
import pickle
import signal
import threading
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
        self._process: multiprocessing.process.BaseProcess | None = None
        self._pipe: Connection | None = None
        self._reader: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            self._start()

    def _start(self) -> None:
        """Start the child and wait until it has opened the store (its errors surface here)."""
        if self._process is not None:
            self._process.join(timeout=0)  # a child that died: reaped
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_child,
            args=(theirs, self.url, self.clock, self.max_group),
            name="leadgate-writer",
            daemon=True,
        )
        process.start()
        theirs.close()
        try:
            ready = ours.recv()
        except EOFError:
            process.join()
            raise RuntimeError(f"the writer process exited at start ({process.exitcode})") from None
        if isinstance(ready, BaseException):
            process.join()
            raise ready
        self._process, self._pipe = process, ours
        self._reader = threading.Thread(
            target=self._read, args=(ours,), name="leadgate-writer-answers", daemon=True
        )
        self._reader.start()

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
            try:
                self._pipe.send_bytes(pickle.dumps(key) + message)
            except OSError as exc:
                del self._pending[key]
                raise Unavailable(f"the writer process is gone ({exc})") from exc
        return future

    async def write(self, workspace_pk: int, write: Write[T]) -> Written[T]:
        """Queue a write and wait, without blocking the event loop, until it is committed."""
        return await asyncio.wrap_future(self.submit(workspace_pk, write))

    def close(self) -> None:
        """Let the child finish every write sent so far, then stop it."""
        with self._lock:
            pipe, process, reader = self._pipe, self._process, self._reader
            self._process = None  # no restart from here on
        if pipe is not None:
            try:
                with self._lock:
                    pipe.send_bytes(b"")
            except OSError:
                pass
        if reader is not None:
            reader.join()
        if process is not None:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
                process.join()

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


def _child(pipe: Connection, url: str, clock: Callable[[], datetime], max_group: int) -> None:
    """The child process: a `Writer` on its own store, fed from the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from leadgate.service.store import open_store

    try:
        store = open_store(url, migrate=False)
        with store.reading() as session:  # reachable now, not at the first write
            session.execute(text("SELECT 1"))
    except BaseException as exc:  # the server reports it at start
        pipe.send(_sendable(exc))
        return
    cache = DefinitionCache()
    writer = Writer(store, lambda session, pk: context_by_key(session, pk, cache, clock), max_group)
    sending = threading.Lock()

    def answer(key: int, future: Future[Any]) -> None:
        error = future.exception()
        message = (key, error is None, future.result() if error is None else _sendable(error))
        try:
            data = pickle.dumps((*message, writer.groups, writer.writes), pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an answer that does not pickle (it was committed)
            lost = RuntimeError(f"committed, but the answer does not pickle: {type(exc).__name__}: {exc}")
            data = pickle.dumps((key, False, lost, writer.groups, writer.writes))
        with sending:
            pipe.send_bytes(data)

    writer.start()
    pipe.send(True)
    try:
        while True:
            try:
                data = pipe.recv_bytes()
            except EOFError:  # the server is gone: finish what was received
                break
            if not data:
                break
            message = io.BytesIO(data)  # the write's key, then the write
            key = pickle.load(message)
            try:
                workspace_pk, write = pickle.load(message)
            except Exception as exc:
                with sending:
                    pipe.send_bytes(pickle.dumps((key, False, _sendable(exc), writer.groups, writer.writes)))
                continue
            writer.submit(workspace_pk, write).add_done_callback(functools.partial(answer, key))
    finally:
        writer.close()
        store.close()
        pipe.close()


def _sendable(error: BaseException) -> BaseException:
    """The error itself when it survives pickling, else a plain one with its text."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
