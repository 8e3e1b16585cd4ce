"""Read the service's store (SQLite or PostgreSQL) through Ibis into the batch layout, in DuckDB.

The store keeps profile fields, event properties and answers as JSON documents, checked against the
definition that was active when they arrived. Ibis reads the workspace's rows (one query per table,
JSON as text); DuckDB then builds the layout's typed columns with its JSON functions, with no Python per
row, following `leadgate.service.vocabulary.typed`: a value that does not fit the definition's type
counts as missing. Scoring then runs in DuckDB as for files (`leadgate rescore --engine db`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Literal

import ibis
import pyarrow as pa

from leadgate.batch.compile import Tables
from leadgate.batch.engine import rescore
from leadgate.batch.layout import ITEM_END, ITEM_START, column, property_column
from leadgate.conditions import Kind, ValueType
from leadgate.definition import Definition
from leadgate.definition.scopes import ACCOUNT_BUILTINS, LEAD_BUILTINS
from leadgate.errors import UsageError
from leadgate.scoring.result import Contribution, LeadScore
from leadgate.service.vocabulary import stored_fields

STORE_TABLES = ("leads", "accounts", "events", "calls")
_NUMBERS = "'DOUBLE', 'BIGINT', 'UBIGINT'"


def ibis_url(url: str) -> str:
    """An SQLAlchemy URL of the store as Ibis takes it."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgres://" + url[len(prefix) :]
    if url.startswith("sqlite:///"):
        return "sqlite://" + url[len("sqlite://") :]
    raise UsageError(f"the store must be sqlite:///FILE or postgresql://…; got {url!r}")


def read_store(url: str, workspace: str, event_types: Collection[str]) -> dict[str, pa.Table]:
    """The workspace's raw rows: leads (with their account's id), accounts, events of these types, calls."""
    store = ibis.connect(ibis_url(url))
    try:
        spaces = store.table("workspaces")
        found = spaces.filter(spaces.name == workspace).select("id").to_pyarrow()
        if found.num_rows == 0:
            raise UsageError(f"no workspace {workspace!r} in the store {url}")
        pk = found.column("id")[0].as_py()
        accounts = store.table("accounts").filter(lambda t: t.workspace_pk == pk)
        leads = store.table("leads").filter(lambda t: t.workspace_pk == pk)
        events = store.table("events").filter(
            lambda t: (t.workspace_pk == pk) & t.type.isin(list(event_types) or [""])
        )
        calls = store.table("calls").filter(lambda t: t.workspace_pk == pk)
        joined = leads.left_join(accounts, leads.account_pk == accounts.id)
        return {
            "leads": joined.select(
                lead_pk=leads.id,
                lead_id=leads.lead_id,
                email=leads.email,
                created_at=leads.created_at,
                fields=leads.fields.cast("string"),
                account_id=accounts.account_id,
            ).to_pyarrow(),
            "accounts": accounts.select(
                "account_id", "domain", "name", fields=accounts.fields.cast("string")
            ).to_pyarrow(),
            "events": events.select(
                "lead_pk", "event_id", "type", "time", properties=events.properties.cast("string")
            ).to_pyarrow(),
            "calls": calls.select(
                "lead_pk", "call_id", "called_at", "outcome", answers=calls.answers.cast("string")
            ).to_pyarrow(),
        }
    finally:
        store.disconnect()


def layout_from_store(
    con: Any, definition: Definition, raw: dict[str, pa.Table], prefix: str = "leadgate_"
) -> Tables:
    """Build the layout's tables in DuckDB (`con`: an Ibis DuckDB backend) from `read_store`'s rows
    (read with the definition's event types)."""
    duck = con.con
    duck.execute("SET TimeZone = 'UTC'")
    for name in STORE_TABLES:
        duck.register(f"{prefix}raw_{name}", raw[name])
    r = f"{prefix}raw_"
    lead_cols = ["l.lead_id", "l.account_id", *_profile_columns(definition, "lead", "l.fields")]
    account_cols = ["account_id", *_profile_columns(definition, "account", "fields")]
    prop_cols = [
        f"CASE WHEN e.type = {_text(kind)} THEN {_typed('e.properties', p, t)} END AS {property_column(kind, p)}"
        for kind, props in definition.event_types.items()
        for p, t in props.items()
    ]
    answers = " OR ".join(
        f"(j.key = {_text(c.id)} AND json_extract_string(c.answers, '$.' || j.key) IN ({', '.join(_text(v) for v in c.answers)}))"
        for c in definition.criteria
    )
    statements = {
        "accounts": f"SELECT {', '.join(account_cols)} FROM {r}accounts",
        "leads": f"SELECT {', '.join(lead_cols)} FROM {r}leads l",
        "events": (
            f"SELECT e.event_id, l.lead_id, e.type, {_epoch('e.time')} AS ts"
            + "".join(f", {c}" for c in prop_cols)
            + f" FROM {r}events e JOIN {r}leads l ON l.lead_pk = e.lead_pk"
        ),
        "calls": (
            f"SELECT c.call_id, l.lead_id, {_epoch('c.called_at')} AS ts, c.outcome"
            f" FROM {r}calls c JOIN {r}leads l ON l.lead_pk = c.lead_pk"
        ),
        "answers": (
            f"SELECT l.lead_id, {_epoch('c.called_at')} AS ts, j.key AS criterion,"
            f" json_extract_string(c.answers, '$.' || j.key) AS answer"
            f" FROM {r}calls c JOIN {r}leads l ON l.lead_pk = c.lead_pk,"
            f" json_each(c.answers) j WHERE c.outcome = 'reached' AND ({answers or 'FALSE'})"
        ),
    }
    made = {}
    for name, sql in statements.items():
        duck.execute(f"CREATE OR REPLACE TABLE {prefix}{name} AS {sql}")
        made[name] = con.table(f"{prefix}{name}")
    for name in STORE_TABLES:
        duck.unregister(f"{prefix}raw_{name}")
    return Tables(made["leads"], made["accounts"], made["events"], made["calls"], made["answers"])


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _epoch(expr: str) -> str:
    """A stored (naive UTC) timestamp as epoch seconds, exactly as Python's `datetime.timestamp()`."""
    return f"(epoch_us({expr}) / 1000000.0)"


def _profile_columns(definition: Definition, scope: Literal["lead", "account"], document: str) -> list[str]:
    """The layout's columns of a lead's or an account's fields: the built-in ones the definition uses,
    then those stored in the `document` JSON column, typed as declared."""
    declared, builtins, builtin = (
        (definition.lead_fields, LEAD_BUILTINS, _lead_builtin)
        if scope == "lead"
        else (definition.account_fields, ACCOUNT_BUILTINS, _account_builtin)
    )
    return [
        *(f"{builtin(n)} AS {column(f'{scope}.{n}')}" for n in declared if n in builtins),
        *(
            f"{_typed(document, n, t)} AS {column(f'{scope}.{n}')}"
            for n, t in stored_fields(definition, scope).items()
        ),
    ]


def _lead_builtin(name: str) -> str:
    return {
        "id": "lower(l.lead_id)",
        "email": "lower(l.email)",
        "email_domain": "lower(CASE WHEN l.email LIKE '%@%' THEN split_part(l.email, '@', -1) END)",
        "account_id": "lower(l.account_id)",
        "created_at": _epoch("l.created_at"),
    }[name]


def _account_builtin(name: str) -> str:
    return {"id": "lower(account_id)", "domain": "lower(domain)", "name": "lower(name)"}[name]


def _typed(document: str, name: str, vtype: ValueType) -> str:
    """A JSON field as the layout stores it; NULL when absent or not of the declared type."""
    path = "'$.\"" + name.replace('"', '\\"').replace("'", "''") + "\"'"
    kind = vtype.kind
    json_type = f"json_type({document}, {path})"
    text = f"json_extract_string({document}, {path})"
    if kind in (Kind.STRING, Kind.ENUM):
        if kind is Kind.ENUM:
            allowed = ", ".join(_text(v.lower()) for v in vtype.values)
            return (
                f"CASE WHEN {json_type} = 'VARCHAR' AND lower({text}) IN ({allowed}) THEN lower({text}) END"
            )
        return f"CASE WHEN {json_type} IN ('VARCHAR', {_NUMBERS}) THEN nullif(lower(trim({text})), '') END"
    if kind is Kind.NUMBER:
        number = (
            f"CASE WHEN {json_type} IN ({_NUMBERS}) THEN CAST({text} AS DOUBLE)"
            f" WHEN {json_type} = 'VARCHAR' THEN TRY_CAST(trim({text}) AS DOUBLE) END"
        )
        return f"CASE WHEN isfinite({number}) THEN {number} END"
    if kind is Kind.BOOLEAN:
        word = f"lower(trim({text}))"
        return (
            f"CASE WHEN {json_type} = 'BOOLEAN' THEN CAST({text} AS BOOLEAN)"
            f" WHEN {json_type} = 'VARCHAR' AND {word} IN ('true', 'yes', '1', 'y', 't') THEN TRUE"
            f" WHEN {json_type} = 'VARCHAR' AND {word} IN ('false', 'no', '0', 'n', 'f') THEN FALSE END"
        )
    if kind in (Kind.DATE, Kind.DATETIME):
        return f"CASE WHEN {json_type} = 'VARCHAR' THEN epoch_us(TRY_CAST({text} AS TIMESTAMPTZ)) / 1000000.0 END"
    items = f"CAST(json_extract({document}, {path}) AS VARCHAR[])"
    encoded = f"list_transform({items}, x -> '{ITEM_START}' || lower(x) || '{ITEM_END}')"
    return f"CASE WHEN {json_type} = 'ARRAY' AND len({items}) > 0 THEN array_to_string({encoded}, '') END"


def score_store(definition: Definition, url: str, workspace: str, as_of: datetime) -> list[LeadScore]:
    """Every lead of the workspace scored by the batch engine, as the reference's `LeadScore`s (with the
    trace in the reference's order), for storing as current scores (activating a definition version)."""
    con = ibis.duckdb.connect()
    try:
        raw = read_store(url, workspace, definition.event_types)
        got = rescore(definition, con, layout_from_store(con, definition, raw), as_of)
    finally:
        con.disconnect()
    order = _rule_order(definition)
    trace: dict[str, list[Contribution]] = {}
    for t in got.trace.to_dict("records"):
        trace.setdefault(t["lead_id"], []).append(
            Contribution(
                t["kind"],
                t["rule"],
                float(t["points"]),
                t["reason"],
                int(t["events"]),
                float(t["raw_points"]),
            )
        )
    scores = []
    for row in got.results.to_dict("records"):
        contributions = tuple(
            sorted(trace.get(row["lead_id"], ()), key=lambda c: order.get((c.kind, c.rule), (99, 0)))
        )
        fast_track = row["fast_track"] if isinstance(row["fast_track"], str) else None
        account_id = row["account_id"] if isinstance(row["account_id"], str) else None
        scores.append(
            LeadScore(
                lead_id=row["lead_id"],
                account_id=account_id,
                as_of=as_of,
                definition_version=definition.version,
                score=float(row["score"]),
                fit=float(row["fit"]),
                grade=row["grade"],
                engagement=float(row["engagement"]),
                criteria=float(row["criteria"]),
                criteria_met=tuple(row["criteria_met"]),
                criteria_passed=bool(row["criteria_passed"]),
                persona=row["persona"],
                disqualified=bool(row["disqualified"]),
                disqualified_reasons=tuple(c.reason for c in contributions if c.kind == "disqualifier"),
                fast_track=fast_track,
                stage=row["stage"],
                trace=contributions,
            )
        )
    return scores


def _rule_order(definition: Definition) -> dict[tuple[str, str], tuple[int, int]]:
    """Where each contribution stands in the reference's trace: fit, disqualifiers, engagement (then its
    cap), criteria, fast track; in definition order within each."""
    order: dict[tuple[str, str], tuple[int, int]] = {}
    sections: list[tuple[str, list[str]]] = [
        ("fit", [r.id for r in definition.fit_rules]),
        ("disqualifier", [d.id for d in definition.disqualifiers]),
        ("engagement", [r.id for r in definition.engagement_rules]),
        ("engagement_cap", ["engagement.max_points"]),
        ("criteria", [c.id for c in definition.criteria]),
        ("fast_track", [t.id for t in definition.triggers]),
    ]
    for rank, (kind, ids) in enumerate(sections):
        for index, rule_id in enumerate(ids):
            order[(kind, rule_id)] = (rank, index)
    return order
