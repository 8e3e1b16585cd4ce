"""The tables an engine scores from, and how values are laid out in them.

Every engine sees the same layout, so one compiled expression runs everywhere:
- text (string and enum fields, event properties) is stored folded to lower case, so comparisons are
  plain equality on every engine (the reference ignores case; enum values are unique ignoring case);
- times are float64 seconds since the epoch (UTC); a date is its midnight;
- a list is one text value: each item folded and wrapped as ITEM_START + item + ITEM_END, concatenated;
  an empty or missing list is null. Item tests become substring tests, which every engine has;
- a missing value is null.

Tables: `leads` (lead_id, account_id, lead__<field>…), `accounts` (account_id, account__<field>…),
`events` (event_id, lead_id, type, ts, p__<type>__<property>…), `calls` (call_id, lead_id, ts, outcome),
`answers` (lead_id, ts, criterion, answer): answers of reached calls, values in their declared spelling.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pyarrow as pa

from leadgate.conditions import Kind, ValueType
from leadgate.data.read import Dataset
from leadgate.definition import Definition
from leadgate.records import Account, Lead

ITEM_START = "\x1f"
ITEM_END = "\x1e"


def column(name: str) -> str:
    """The column of a condition name: `lead.title` -> `lead__title`, `answers.budget` -> `answers__budget`."""
    return name.replace(".", "__")


def property_column(event_type: str, prop: str) -> str:
    return f"p__{event_type}__{prop}"


def stored(value: Any, vtype: ValueType) -> Any:
    """A value as the layout stores it."""
    if value is None:
        return None
    kind = vtype.kind
    if kind in (Kind.STRING, Kind.ENUM):
        return str(value).lower()
    if kind is Kind.LIST:
        items = [str(v).lower() for v in value]
        return "".join(f"{ITEM_START}{item}{ITEM_END}" for item in items) if items else None
    if kind in (Kind.DATE, Kind.DATETIME):
        assert isinstance(value, datetime)
        return value.timestamp()
    if kind is Kind.NUMBER:
        return float(value)
    return bool(value)


def arrow_type(vtype: ValueType) -> pa.DataType:
    if vtype.kind in (Kind.STRING, Kind.ENUM, Kind.LIST):
        return pa.string()
    if vtype.kind is Kind.BOOLEAN:
        return pa.bool_()
    return pa.float64()


def _lead_values(lead: Lead) -> dict[str, Any]:
    return {
        **lead.fields,
        "id": lead.lead_id,
        "email": lead.email,
        "email_domain": lead.email_domain,
        "account_id": lead.account_id,
        "created_at": lead.created_at,
    }


def _account_values(account: Account) -> dict[str, Any]:
    return {**account.fields, "id": account.account_id, "domain": account.domain, "name": account.name}


def _table(rows: Iterable[Mapping[str, Any]], schema: pa.Schema) -> pa.Table:
    columns: dict[str, list[Any]] = {f.name: [] for f in schema}
    for row in rows:
        for name, values in columns.items():
            values.append(row.get(name))
    return pa.table(columns, schema=schema)


def tables_from_dataset(definition: Definition, data: Dataset) -> dict[str, pa.Table]:
    """The layout's tables for data read by `leadgate.data.read` (used for tests and small runs)."""
    lead_schema = pa.schema(
        [("lead_id", pa.string()), ("account_id", pa.string())]
        + [(column(f"lead.{n}"), arrow_type(t)) for n, t in definition.lead_fields.items()]
    )
    leads = _table(
        (
            {
                "lead_id": lead.lead_id,
                "account_id": lead.account_id if lead.account_id in data.accounts else None,
                **{
                    column(f"lead.{n}"): stored(v, definition.lead_fields[n])
                    for n, v in _lead_values(lead).items()
                    if n in definition.lead_fields
                },
            }
            for lead in data.leads.values()
        ),
        lead_schema,
    )
    account_schema = pa.schema(
        [("account_id", pa.string())]
        + [(column(f"account.{n}"), arrow_type(t)) for n, t in definition.account_fields.items()]
    )
    accounts = _table(
        (
            {
                "account_id": account.account_id,
                **{
                    column(f"account.{n}"): stored(v, definition.account_fields[n])
                    for n, v in _account_values(account).items()
                    if n in definition.account_fields
                },
            }
            for account in data.accounts.values()
        ),
        account_schema,
    )
    prop_columns = [
        (property_column(t, p), vtype)
        for t, props in definition.event_types.items()
        for p, vtype in props.items()
    ]
    event_schema = pa.schema(
        [("event_id", pa.string()), ("lead_id", pa.string()), ("type", pa.string()), ("ts", pa.float64())]
        + [(name, arrow_type(vtype)) for name, vtype in prop_columns]
    )
    events = _table(
        (
            {
                "event_id": e.event_id,
                "lead_id": e.lead_id,
                "type": e.type,
                "ts": e.ts,
                **{
                    property_column(e.type, p): stored(v, definition.event_types[e.type][p])
                    for p, v in e.properties.items()
                },
            }
            for events in data.events_by_lead.values()
            for e in events
            if e.type in definition.event_types
        ),
        event_schema,
    )
    call_schema = pa.schema(
        [("call_id", pa.string()), ("lead_id", pa.string()), ("ts", pa.float64()), ("outcome", pa.string())]
    )
    calls = _table(
        (
            {"call_id": c.call_id, "lead_id": c.lead_id, "ts": c.called_at.timestamp(), "outcome": c.outcome}
            for cs in data.calls_by_lead.values()
            for c in cs
        ),
        call_schema,
    )
    answer_schema = pa.schema(
        [("lead_id", pa.string()), ("ts", pa.float64()), ("criterion", pa.string()), ("answer", pa.string())]
    )
    known = definition.criteria_by_id
    answers = _table(
        (
            {"lead_id": c.lead_id, "ts": c.called_at.timestamp(), "criterion": k, "answer": v}
            for cs in data.calls_by_lead.values()
            for c in cs
            if c.outcome == "reached"
            for k, v in c.answers.items()
            if k in known and v in known[k].answers
        ),
        answer_schema,
    )
    return {"leads": leads, "accounts": accounts, "events": events, "calls": calls, "answers": answers}
