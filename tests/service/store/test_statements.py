"""The live path's writes as the driver takes them (`store.statements`) store exactly what SQLAlchemy's
column types would: the same text for times on SQLite (the store's comparisons rely on it), the same
JSON, and rows that read back through the models as written. On both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from leadgate.service.store import open_store, tables
from leadgate.service.store.statements import (
    HISTORY_COLUMNS,
    SCORE_COLUMNS,
    STAGE_COLUMNS,
    run_many,
    stored_event_ids,
    stored_json,
    stored_time,
)
from leadgate.service.workspace import ensure_workspace

moments = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
    )
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(moments)
def test_a_time_is_stored_as_the_column_type_stores_it(moment: datetime) -> None:
    column = tables.LeadScore.__table__.c.as_of
    for dialect in (sqlite.dialect(), postgresql.psycopg.dialect()):
        processor = column.type.dialect_impl(dialect).bind_processor(dialect)
        assert processor is not None
        assert stored_time(dialect.name, moment) == processor(moment)


def test_the_statements_take_the_columns_in_the_models_order() -> None:
    """The live path builds its rows in these orders (`live.record`, `ingest.insert_events`)."""
    assert SCORE_COLUMNS == (
        "workspace_pk", "definition_pk", "as_of", "score", "fit", "grade", "engagement", "criteria",
        "criteria_passed", "persona", "disqualified", "fast_track", "stage", "result", "rollups",
    )  # fmt: skip
    assert HISTORY_COLUMNS == (
        "workspace_pk", "lead_pk", "definition_pk", "at", "cause",
        "old_score", "new_score", "old_grade", "new_grade", "old_stage", "new_stage",
    )  # fmt: skip
    assert STAGE_COLUMNS == (
        "workspace_pk", "lead_pk", "definition_pk", "at", "from_stage", "to_stage", "cause", "reasons",
    )  # fmt: skip


def test_rows_written_by_the_statements_read_back_through_the_models(url: str) -> None:
    store = open_store(url)
    when = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=timezone(timedelta(hours=2)))
    with store.transaction() as session:
        workspace = ensure_workspace(session, "statements")
        lead = tables.Lead(workspace_pk=workspace.id, lead_id="L1", email="a@b.com", fields={})
        session.add(lead)
        session.flush()
        dialect = session.get_bind().dialect.name
        connection = session.connection()
        run_many(connection, "events", [
            (workspace.id, "e1", lead.id, "page_viewed", stored_time(dialect, when), stored_time(dialect, when),
             stored_json({"url": "/pricing", "n": 1.5, "tags": ["a", "b"]})),
        ])  # fmt: skip
        assert stored_event_ids(connection, workspace.id, ["e1", "e2"]) == ["e1"]
        # the time compares as the column type writes it (SQLite compares text)
        later = session.scalars(
            select(tables.Event.event_id).where(tables.Event.time < when + timedelta(microseconds=1))
        )
        assert list(later) == ["e1"]
        assert list(session.scalars(select(tables.Event.event_id).where(tables.Event.time < when))) == []
    with store.reading() as session:
        event = session.scalars(select(tables.Event)).one()
        assert event.time == when and event.time.tzinfo is not None
        assert event.properties == {"url": "/pricing", "n": 1.5, "tags": ["a", "b"]}
    store.close()
