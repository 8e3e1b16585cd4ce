"""Connect to the store: an embedded SQLite file by default, PostgreSQL with `LEADGATE_DATABASE_URL`.

SQLite runs in WAL mode (readers never wait for the writer), with a busy timeout, foreign keys on,
and every transaction begun IMMEDIATE, so two writers queue for the lock instead of failing halfway.
`open_store` brings the schema up to date with the Alembic migrations before anything else runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

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


def make_engine(url: str, **options: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=_dumps,
            json_deserializer=orjson.loads,
            **options,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        url,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
        **options,
    )


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" hook below starts transactions
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    reading = connection.get_execution_options().get("leadgate_read", False)
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


@dataclass(frozen=True)
class Store:
    """An open store: the engine and session factories. One unit of work is one `transaction()`.

    On SQLite, writers of this process queue on a lock before they begin (fairer and quicker than
    SQLite's own busy wait, which sleeps in growing steps); other processes still wait on SQLite's lock.
    """

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    readers: sessionmaker[Session]
    write_lock: Lock | None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed when the block ends, and rolled back if it raises."""
        if self.write_lock is None:
            with self.sessions.begin() as session:
                yield session
            return
        with self.write_lock, self.sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only: it never takes the write lock (and never commits)."""
        with self.readers() as session:
            yield session
            session.rollback()

    def close(self) -> None:
        self.engine.dispose()


def _keep_events(session: Session) -> None:
    pending = session.info.pop("leadgate_events", None)
    cache = session.info.get("leadgate_event_cache")
    if pending and cache is not None:
        cache.keep(pending)


def _drop_events(session: Session, _transaction: object = None) -> None:
    session.info.pop("leadgate_events", None)


def open_store(url: str | None = None, migrate: bool = True) -> Store:
    """Open the store at `url` (default: `default_url()`), upgrading its schema unless told not to."""
    from leadgate.service.store.migrate import upgrade
    from leadgate.service.store.reading import EventCache

    url = url or default_url()
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    sqlite = engine.dialect.name == "sqlite"
    writers = sessionmaker(engine, expire_on_commit=False)
    if sqlite:  # see EventCache: row ids follow commit order only where one writer commits at a time
        cache = EventCache()
        writers.configure(info={"leadgate_event_cache": cache})
        event.listen(writers, "after_commit", _keep_events)
        event.listen(writers, "after_soft_rollback", _drop_events)  # a savepoint's too: keep nothing doubtful
    return Store(
        url,
        engine,
        writers,
        sessionmaker(engine.execution_options(leadgate_read=True), expire_on_commit=False),
        Lock() if sqlite else None,
    )
