"""The store on SQLite and PostgreSQL: migrations, the models they create, uniqueness, times in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from leadgate.errors import UsageError
from leadgate.service.store import Store, database, open_store, tables
from leadgate.service.store.database import make_engine
from leadgate.service.store.migrate import current_revision, downgrade, head_revision, upgrade
from leadgate.service.workspace import ensure_workspace
from service.support import Databases

TABLES = {
    "workspaces",
    "definition_versions",
    "accounts",
    "leads",
    "events",
    "calls",
    "store_revision",
    "lead_scores",
    "score_changes",
    "stage_changes",
    "api_tokens",
}


def differences(store: Store) -> list[object]:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, tables.Base.metadata))


def table_names(store: Store) -> set[str]:
    return set(inspect(store.engine).get_table_names()) - {"alembic_version"}


@pytest.fixture
def empty_store(empty_database_url: str) -> Store:
    opened = open_store(empty_database_url, migrate=False)
    yield opened
    opened.close()


def test_migrations_upgrade_to_head_and_match_the_models(empty_store: Store) -> None:
    assert current_revision(empty_store.engine) is None
    upgrade(empty_store.engine)
    assert current_revision(empty_store.engine) == head_revision() is not None
    assert table_names(empty_store) == TABLES
    assert differences(empty_store) == []


def test_migrations_downgrade_to_base_and_upgrade_again(empty_store: Store) -> None:
    upgrade(empty_store.engine)
    downgrade(empty_store.engine, "base")
    assert current_revision(empty_store.engine) is None
    assert table_names(empty_store) == set()
    upgrade(empty_store.engine)
    assert table_names(empty_store) == TABLES
    assert differences(empty_store) == []


def test_opening_a_store_twice_leaves_it_at_head(empty_database_url: str) -> None:
    for _ in range(2):
        opened = open_store(empty_database_url)
        assert current_revision(opened.engine) == head_revision()
        opened.close()


def _lead(workspace_pk: int, lead_id: str, email: str | None) -> tables.Lead:
    return tables.Lead(workspace_pk=workspace_pk, lead_id=lead_id, email=email, fields={})


def test_an_email_is_unique_per_workspace_not_across_workspaces(store: Store) -> None:
    with store.transaction() as session:
        first = ensure_workspace(session, "store-unique-a").id
        second = ensure_workspace(session, "store-unique-b").id
        session.add_all([_lead(first, "a-1", "pat@example.com"), _lead(second, "b-1", "pat@example.com")])
    with pytest.raises(IntegrityError), store.transaction() as session:
        session.add(_lead(first, "a-2", "pat@example.com"))
    with store.reading() as session:
        found = session.scalars(
            select(tables.Lead.lead_id).where(
                tables.Lead.email == "pat@example.com", tables.Lead.workspace_pk.in_([first, second])
            )
        )
        assert sorted(found) == ["a-1", "b-1"]


def test_times_come_back_aware_in_utc(store: Store) -> None:
    berlin = timezone(timedelta(hours=2))
    moment = datetime(2026, 5, 4, 12, 30, 15, 123456, tzinfo=berlin)
    with store.transaction() as session:
        pk = ensure_workspace(session, "store-times").id
        row = _lead(pk, "t-1", None)
        row.created_at = moment
        session.add(row)
    with store.reading() as session:
        back = session.scalar(select(tables.Lead.created_at).where(tables.Lead.lead_id == "t-1"))
    assert back is not None
    assert back.utcoffset() == timedelta(0)
    assert back.tzinfo is not None
    assert back == moment
    assert back.replace(tzinfo=None) == datetime(2026, 5, 4, 10, 30, 15, 123456)
    assert back.astimezone(UTC) == back


def test_a_time_without_a_zone_is_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="time zone"), store.transaction() as session:
        pk = ensure_workspace(session, "store-naive").id
        row = _lead(pk, "n-1", None)
        row.created_at = datetime(2026, 5, 4, 12, 0)
        session.add(row)
        session.flush()


def test_a_transaction_that_raises_stores_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as session:
        ensure_workspace(session, "store-rolled-back")
        session.flush()
        raise RuntimeError("stop")
    with store.reading() as session:
        assert (
            session.scalar(select(tables.Workspace).where(tables.Workspace.name == "store-rolled-back"))
            is None
        )


def test_a_pooled_connection_the_server_dropped_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: idle pooled connections are tested before use (here at once: no idle time needed)."""
    databases = Databases(tmp_path)
    url = databases.new("postgresql")
    monkeypatch.setattr(database, "IDLE_BEFORE_PING", 0.0)
    store = open_store(url)
    with store.reading() as session:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
    other = make_engine(url)
    with other.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    other.dispose()
    with store.transaction() as session:  # the dropped connection is found dead and replaced
        assert session.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    store.close()
    databases.drop_all()


def test_sqlite_syncs_every_commit_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def synchronous() -> int:
        engine = make_engine(f"sqlite:///{tmp_path / 'sync.db'}")
        try:
            with engine.connect() as connection:
                return int(connection.exec_driver_sql("PRAGMA synchronous").scalar_one())
        finally:
            engine.dispose()

    assert synchronous() == 1  # NORMAL: a commit survives the process, not a power cut
    monkeypatch.setenv("LEADGATE_SQLITE_SYNCHRONOUS", "FULL")
    assert synchronous() == 2  # FULL
    monkeypatch.setenv("LEADGATE_SQLITE_SYNCHRONOUS", "sometimes")
    with pytest.raises(
        UsageError, match="LEADGATE_SQLITE_SYNCHRONOUS must be normal or full; got 'sometimes'"
    ):
        make_engine(f"sqlite:///{tmp_path / 'sync.db'}")


def test_every_write_transaction_adds_one_to_the_store_revision(store: Store) -> None:
    with store.transaction() as session:
        first = session.info["leadgate_revision"]
    with store.transaction() as session:
        assert session.info["leadgate_revision"] == first + 1
    with pytest.raises(RuntimeError), store.transaction() as session:  # rolled back: not counted
        assert session.info["leadgate_revision"] == first + 2
        raise RuntimeError("rolled back")
    with store.transaction() as session:
        assert session.info["leadgate_revision"] == first + 2
    with store.reading() as session:  # reading does not count
        assert "leadgate_revision" not in session.info
    with store.transaction() as session:
        assert session.info["leadgate_revision"] == first + 3
