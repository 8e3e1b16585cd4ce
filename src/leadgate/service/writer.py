"""Group commit: the writes of concurrent requests share one transaction, and one re-score.

The API does not write from its request threads. It hands each write (a `Write`: a function of the
session and the workspace's context) to the `Writer`, whose one thread per process (or the one thread
of a writer process of its own: see `writer_process` and `run_group`) takes every write waiting, up to
`max_group`, and runs them together:

1. each write in one transaction. A write that is refused (`InputError`, `Conflict`, ...) gets its
   error; the group is rolled back and the other writes run again, each in a savepoint this time, so
   that a second refusal is rolled back alone (refusals are rare, and a savepoint costs two statements
   per write, so the first run goes without);
2. then the leads the writes touched are re-scored once, with their accounts' leads (roll-ups), each
   with its own cause, in the same transaction (`live.rescore_each`): a lead that three writes touched
   is scored once, with everything they stored;
3. then the transaction commits, and only then is each caller answered, with the changes of the leads
   it touched and of their colleagues. Nothing is acknowledged before it is committed.

Under no load a group is one write, and this is exactly one request, one transaction. Under load the
per-transaction cost (begin, the workspace, the commit) and the re-scoring of shared accounts are paid
once per group instead of once per request. When anything but a refusal fails (say the database
connection), the group is rolled back and every write in it is run again alone, so one write's failure
is never another's.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from leadgate.errors import LeadgateError
from leadgate.service.live import Change, rescore_each
from leadgate.service.store import Store
from leadgate.service.workspace import Context

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class Done(Generic[T]):
    """What a write hands back: its answer, and the leads to re-score with why (by lead key)."""

    value: T
    causes: dict[int, str] = field(default_factory=dict)


@dataclass
class Written(Generic[T]):
    """A committed write: its answer, and the re-score changes of its leads and their colleagues."""

    value: T
    changes: dict[int, Change]


Write = Callable[[Session, Context], Done[T]]


class _Refused(Exception):
    """A write of a group run without savepoints was refused: the group's transaction is rolled back."""

    def __init__(self, index: int, error: LeadgateError) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error


@dataclass
class _Job:
    workspace_pk: int
    write: Write[Any]
    future: Future[Written[Any]]


class Writer:
    """Runs writes in groups on one thread (see the module's text). `start` before use, `close` after."""

    def __init__(
        self,
        store: Store,
        context: Callable[[Session, int], Context],
        max_group: int = 256,
    ) -> None:
        self.store = store
        self.context = context
        self.max_group = max_group
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.groups = 0  # how many transactions, and how many writes in them (for /healthz and tests)
        self.writes = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="leadgate-writer", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Finish every write queued so far, then stop."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def submit(self, workspace_pk: int, write: Write[T]) -> Future[Written[T]]:
        if self._thread is None:
            raise RuntimeError("the writer is not running")
        future: Future[Written[T]] = Future()
        self._queue.put(_Job(workspace_pk, write, future))
        return future

    async def write(self, workspace_pk: int, write: Write[T]) -> Written[T]:
        """Queue a write and wait, without blocking the event loop, until it is committed."""
        return await asyncio.wrap_future(self.submit(workspace_pk, write))

    # -- the writer's thread ------------------------------------------------------------------------

    def _loop(self) -> None:
        stopping = False
        while not stopping:
            job = self._queue.get()
            if job is None:
                return
            group = [job]
            while len(group) < self.max_group:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                group.append(more)
            self._run(group)

    def run_group(self, writes: list[tuple[int, Write[Any]]]) -> list[Future[Written[Any]]]:
        """Run these (workspace key, write) pairs as one group in the calling thread (a writer process
        does: see `writer_process`), and hand back each one's answer, ready."""
        jobs = [_Job(workspace_pk, write, Future()) for workspace_pk, write in writes]
        self._run(jobs)
        return [job.future for job in jobs]

    def _run(self, group: list[_Job], savepoints: bool = False) -> None:
        try:
            answers = self._commit(group, savepoints)
        except _Refused as refused:  # rolled back: answer the refused write, run the others with savepoints
            group[refused.index].future.set_exception(refused.error)
            rest = group[: refused.index] + group[refused.index + 1 :]
            if rest:
                self._run(rest, savepoints=True)
            return
        except BaseException as exc:  # every caller must be answered
            if len(group) == 1:
                if not isinstance(exc, LeadgateError):
                    log.exception("a write failed")
                group[0].future.set_exception(exc)
                return
            log.warning("a group of %d writes failed (%s); running each alone", len(group), exc)
            for job in group:
                self._run([job])
            return
        self.groups += 1
        self.writes += len(group)
        for job, answer in zip(group, answers, strict=True):
            if isinstance(answer, BaseException):
                job.future.set_exception(answer)
            else:
                job.future.set_result(answer)

    def _commit(self, group: list[_Job], savepoints: bool) -> list[Written[Any] | BaseException]:
        """Without `savepoints`, a refusal rolls the whole group back (`_Refused`): refusals are rare,
        and a savepoint costs two statements per write."""
        savepoints = savepoints and len(group) > 1  # a group of one is rolled back whole anyway
        with self.store.transaction() as session:
            contexts: dict[int, Context] = {}
            done: list[Done[Any] | BaseException] = []
            for index, job in enumerate(group):
                ctx = contexts.get(job.workspace_pk)
                if ctx is None:
                    ctx = contexts[job.workspace_pk] = self.context(session, job.workspace_pk)
                if not savepoints:
                    try:
                        done.append(job.write(session, ctx))
                    except LeadgateError as exc:
                        raise _Refused(index, exc) from exc
                    continue
                try:
                    with session.begin_nested():
                        done.append(job.write(session, ctx))
                except LeadgateError as exc:
                    done.append(exc)
            changes: dict[int, Change] = {}
            for workspace_pk, ctx in contexts.items():
                causes = {
                    pk: cause
                    for job, d in zip(group, done, strict=True)
                    if isinstance(d, Done) and job.workspace_pk == workspace_pk
                    for pk, cause in d.causes.items()
                }
                changes.update(rescore_each(session, ctx, causes))
        by_account: dict[str, dict[int, Change]] = defaultdict(dict)
        for pk, change in changes.items():
            if change.account_id is not None:
                by_account[change.account_id][pk] = change
        out: list[Written[Any] | BaseException] = []
        for d in done:
            if isinstance(d, BaseException):
                out.append(d)
                continue
            mine: dict[int, Change] = {}
            for pk in d.causes:  # each lead it touched, and its colleagues
                own = changes.get(pk)
                if own is not None:
                    mine.update(by_account[own.account_id] if own.account_id else {pk: own})
            out.append(Written(d.value, mine))
        return out
