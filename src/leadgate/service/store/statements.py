"""The live path's writes as the database driver takes them: SQL text per dialect and rows as tuples.

SQLAlchemy Core processes every value of every row through its column types (times to UTC text on
SQLite, JSON through the serializer), which for a batch of events and their re-scores costs more than
the database's own work. These statements take rows whose values are already in stored form
(`stored_time`, `stored_json`), as the column types would write them, and go to the driver's
`executemany` in one call (on PostgreSQL, psycopg pipelines it). They run in the session's connection
and transaction like any other statement. The tests hold each stored form to the column type's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Table

from leadgate.service.store import tables

JSON_COLUMNS = frozenset({"properties", "result", "rollups", "reasons", "fields", "answers"})


def stored_time(dialect: str, moment: datetime) -> datetime | str:
    """An aware time as `tables.UTCDateTime` stores it: on SQLite UTC text with microseconds (the text
    SQLAlchemy writes, which the store's comparisons rely on); PostgreSQL takes the datetime."""
    if dialect == "sqlite":
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return moment


def stored_json(value: Any) -> str | None:
    """A JSON column's value as text (PostgreSQL casts it to JSONB in the statement)."""
    return None if value is None else orjson.dumps(value).decode()


def _marker(dialect: str) -> str:
    return "?" if dialect == "sqlite" else "%s"


def _value(dialect: str, table: Table, column: str) -> str:
    marker = _marker(dialect)
    if dialect == "postgresql" and column in JSON_COLUMNS and column in table.c:
        return f"CAST({marker} AS JSONB)"
    return marker


def insert_sql(dialect: str, table: Table, columns: Sequence[str]) -> str:
    values = ", ".join(_value(dialect, table, c) for c in columns)
    return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({values})"


def update_sql(dialect: str, table: Table, columns: Sequence[str], key: str) -> str:
    sets = ", ".join(f"{c} = {_value(dialect, table, c)}" for c in columns)
    return f"UPDATE {table.name} SET {sets} WHERE {key} = {_marker(dialect)}"


_statements: dict[tuple[str, str], str] = {}


def _sql(dialect: str, name: str) -> str:
    found = _statements.get((dialect, name))
    if found is None:
        table, columns, key = _SHAPES[name]
        found = _statements[(dialect, name)] = (
            update_sql(dialect, table, columns, key) if key else insert_sql(dialect, table, columns)
        )
    return found


def run_many(connection: Connection, name: str, rows: list[tuple[Any, ...]]) -> None:
    """One of the statements below over these rows (values in stored form, in the shape's order)."""
    if rows:
        connection.exec_driver_sql(_sql(connection.dialect.name, name), rows)


_events = cast(Table, tables.Event.__table__)
_scores = cast(Table, tables.LeadScore.__table__)
_history = cast(Table, tables.ScoreChange.__table__)
_stages = cast(Table, tables.StageChange.__table__)
EVENT_COLUMNS = ("workspace_pk", "event_id", "lead_pk", "type", "time", "received_at", "properties")
SCORE_COLUMNS = tuple(c.name for c in _scores.columns if c.name != "lead_pk")
# a re-score under the same version that keeps grade and stage: the columns other indexes cover are not
# written (SQLite rewrites an index entry whenever a column it covers is assigned, even to its value)
RESCORE_COLUMNS = tuple(
    c for c in SCORE_COLUMNS if c not in ("workspace_pk", "definition_pk", "grade", "stage")
)
HISTORY_COLUMNS = tuple(c.name for c in _history.columns if c.name != "id")
STAGE_COLUMNS = tuple(c.name for c in _stages.columns if c.name != "id")
_SHAPES: dict[str, tuple[Table, tuple[str, ...], str | None]] = {
    "events": (_events, EVENT_COLUMNS, None),
    "new scores": (_scores, (*SCORE_COLUMNS, "lead_pk"), None),
    "scores": (_scores, SCORE_COLUMNS, "lead_pk"),  # the key last
    "rescores": (_scores, RESCORE_COLUMNS, "lead_pk"),
    "history": (_history, HISTORY_COLUMNS, None),
    "stages": (_stages, STAGE_COLUMNS, None),
}


def event_row(dialect: str, row: Mapping[str, Any]) -> tuple[Any, ...]:
    """An event (as `ingest` builds it: a dict by column) as the "events" statement takes it."""
    return (row["workspace_pk"], row["event_id"], row["lead_pk"], row["type"], stored_time(dialect, row["time"]),
            stored_time(dialect, row["received_at"]), stored_json(row["properties"]))  # fmt: skip


def stored_event_ids(connection: Connection, workspace_pk: int, ids: Sequence[str]) -> list[str]:
    """Which of these event ids the workspace has stored."""
    if connection.dialect.name == "postgresql":
        sql = "SELECT event_id FROM events WHERE workspace_pk = %s AND event_id = ANY(%s)"
        return [row[0] for row in connection.exec_driver_sql(sql, (workspace_pk, list(ids)))]
    out: list[str] = []
    for start in range(0, len(ids), 10_000):  # SQLite takes at most 32,766 parameters
        part = tuple(ids[start : start + 10_000])
        sql = f"SELECT event_id FROM events WHERE workspace_pk = ? AND event_id IN ({', '.join('?' * len(part))})"
        out += [row[0] for row in connection.exec_driver_sql(sql, (workspace_pk, *part))]
    return out
