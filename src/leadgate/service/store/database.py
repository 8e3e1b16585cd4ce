"""Connect to the store: an embedded SQLite file by default, PostgreSQL with `LEADGATE_DATABASE_URL`.

SQLite runs in WAL mode (readers never wait for the writer), with a busy timeout, foreign keys on,
and every transaction begun IMMEDIATE, so two writers queue for the lock instead of failing halfway.
`open_store` brings the schema up to date with the Alembic migrations before anything else runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from threading import Lock
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: processes wait on SQLite's busy timeout alone
    fcntl = None  # type: ignore[assignment]

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from leadgate.errors import UsageError
from leadgate.service.store.checkpoints import BACKSTOP_PAGES, Checkpointer

DEFAULT_PATH = Path("leadgate.db")


def default_url() -> str:
    """`LEADGATE_DATABASE_URL`, else the SQLite file `leadgate.db` in the working directory."""
    return os.environ.get("LEADGATE_DATABASE_URL") or f"sqlite:///{DEFAULT_PATH}"


def normalise_url(url: str) -> str:
    """postgresql:// and postgres:// URLs use psycopg 3 (the driver leadgate installs)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, autocheckpoint: int | None = None, **options: Any) -> Engine:
    """`autocheckpoint`: on SQLite, the log's size in pages at which a commit checkpoints (None:
    SQLite's default; see `checkpoints`)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=_dumps,
            json_deserializer=orjson.loads,
            **options,
        )
        event.listen(
            engine,
            "connect",
            partial(_sqlite_pragmas, synchronous=sqlite_synchronous(), autocheckpoint=autocheckpoint),
        )
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(
        url,
        pool_size=10,
        max_overflow=20,
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
        **options,
    )
    event.listen(engine.pool, "checkout", _ping_if_idle)
    event.listen(engine.pool, "checkin", _note_checkin)
    if engine.dialect.name == "postgresql":
        event.listen(engine, "begin", _postgres_begin)
    return engine


IDLE_BEFORE_PING = 1.0  # seconds


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """A pooled connection idle for over a second is tested before use, and replaced when the server
    has gone (a restart, a network cut): the pool's pre-ping, without its round trip on every
    transaction of a busy server. A connection used within the second is taken as alive; if the server
    went in that second, that one transaction fails (and the event writer runs its writes again)."""
    last = record.info.get("checked_in_at")
    if last is not None and time.monotonic() - last < IDLE_BEFORE_PING:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as exc:  # the driver's own errors: the connection is gone
        raise DisconnectionError(f"the pooled connection is gone: {exc}") from exc


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


SYNCHRONOUS = ("normal", "full")


def sqlite_synchronous() -> str:
    """`LEADGATE_SQLITE_SYNCHRONOUS`: `normal` (the default) or `full`. In WAL mode, `normal` loses no
    committed transaction when the process crashes, but an operating system crash or a power cut can
    take back the last ones committed; `full` syncs the log to disk at every commit, so that nothing
    committed is ever lost, for a slower commit (group commit shares it among the writes waiting)."""
    value = os.environ.get("LEADGATE_SQLITE_SYNCHRONOUS", "normal").strip().lower()
    if value not in SYNCHRONOUS:
        raise UsageError(f"LEADGATE_SQLITE_SYNCHRONOUS must be normal or full; got {value!r}")
    return value


def _sqlite_pragmas(
    dbapi_connection: Any, _record: Any, synchronous: str = "normal", autocheckpoint: int | None = None
) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" hook below starts transactions
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")  # one of SYNCHRONOUS
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    if autocheckpoint is not None:
        cursor.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint)}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    reading = connection.get_execution_options().get("leadgate_read", False)
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


class WriteLock:
    """Writers of one SQLite file queue here: the threads of this process on a lock, and processes (the
    workers of `leadgate serve --workers N`, an import) on an `flock` of the file `<database>-writer`
    where the platform has one. A waiting writer starts the moment the last one ends; SQLite's own busy
    wait, which every writer still has underneath, sleeps in growing steps of up to 100 ms."""

    def __init__(self, database: str | None) -> None:
        self._threads = Lock()
        self._path = f"{database}-writer" if database and fcntl is not None else None
        self._fd: int | None = None

    def __enter__(self) -> None:
        self._threads.acquire()
        if self._path is None:
            return
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *_exc: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


WRITERS_LOCK = 0x1EAD6A7E  # the PostgreSQL advisory lock every write transaction holds


def _postgres_begin(connection: Any) -> None:
    """Write transactions on PostgreSQL take one advisory lock until they end, so that they commit one
    at a time, in the order they began, as on SQLite: each sees the store's revision its predecessor
    left, which the writers' memory relies on (`service.memory`), and writers never deadlock on each
    other's rows."""
    if not connection.get_execution_options().get("leadgate_read", False):
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITERS_LOCK})")


@dataclass(frozen=True)
class Store:
    """An open store: the engine and session factories. One unit of work is one `transaction()`.

    On SQLite, writers queue on the `WriteLock` before they begin (see there).
    """

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    readers: sessionmaker[Session]
    write_lock: WriteLock | None
    checkpointer: Checkpointer | None = None  # SQLite's checkpoints in a thread (see `checkpoints`)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed when the block ends, and rolled back if it raises.
        It begins by adding one to the store's revision (`session.info["leadgate_revision"]`: see
        `service.memory`)."""
        if self.write_lock is None:
            with self.sessions.begin() as session:
                _revise(session)
                yield session
            return
        with self.write_lock, self.sessions.begin() as session:
            _revise(session)
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only: it never takes the write lock (and never commits)."""
        with self.readers() as session:
            yield session
            session.rollback()

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.close()
        self.engine.dispose()
        if self.write_lock is not None:
            self.write_lock.close()


_REVISE = "UPDATE store_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision"


def _revise(session: Session) -> None:
    """Write transactions commit one at a time, so each sees the revision its predecessor left."""
    session.info["leadgate_revision"] = int(session.connection().exec_driver_sql(_REVISE).scalar_one())


CHECKPOINTS = ("auto", "background")


def open_store(url: str | None = None, migrate: bool = True, checkpoints: str = "auto") -> Store:
    """Open the store at `url` (default: `default_url()`), upgrading its schema unless told not to.
    `checkpoints`: on SQLite, "auto" (SQLite's own, in the commits) or "background" (in a thread of
    their own, for long-running services: see `checkpoints`)."""
    from leadgate.service.memory import LeadMemory, kept, rolled_back
    from leadgate.service.store.migrate import upgrade

    if checkpoints not in CHECKPOINTS:
        raise ValueError(f"checkpoints must be one of {', '.join(CHECKPOINTS)}; got {checkpoints!r}")
    url = url or default_url()
    background = checkpoints == "background" and normalise_url(url).startswith("sqlite")
    engine = make_engine(url, autocheckpoint=BACKSTOP_PAGES if background else None)
    if migrate:
        upgrade(engine)
    sqlite = engine.dialect.name == "sqlite"
    path = engine.url.database if sqlite and engine.url.database not in (None, "", ":memory:") else None
    checkpointer = Checkpointer(path) if background and path is not None else None
    if checkpointer is not None:
        checkpointer.start()
        event.listen(engine, "commit", lambda _connection: checkpointer.nudge())
    writers = sessionmaker(engine, expire_on_commit=False)
    # the writers' memory of leads (see `service.memory`): one writer commits at a time (SQLite's lock;
    # on PostgreSQL the advisory lock of `_postgres_begin`), each adding one to the store's revision
    writers.configure(info={"leadgate_memory": LeadMemory()})
    event.listen(writers, "after_commit", kept)
    event.listen(writers, "after_soft_rollback", rolled_back)  # a savepoint's too
    return Store(
        url,
        engine,
        writers,
        sessionmaker(engine.execution_options(leadgate_read=True), expire_on_commit=False),
        WriteLock(path) if sqlite else None,
        checkpointer,
    )
