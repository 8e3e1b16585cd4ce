"""Read leads with their account, events and calls from the store, as the records scoring works on.

Only what the definition can use is read: events of the types it declares, profile fields and
properties of its vocabulary (typed as declared). Values that no longer fit the vocabulary are left
out and named in `Loaded.unfit`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import bindparam, func, select, text, union_all
from sqlalchemy.orm import Session

from leadgate.conditions import ValueType
from leadgate.definition import Definition
from leadgate.records import Account, Call, Event, Lead
from leadgate.service.store import tables
from leadgate.service.store.statements import stored_time
from leadgate.service.vocabulary import Converters, converters, stored_fields, typed


@dataclass
class Loaded:
    leads: dict[int, Lead] = field(default_factory=dict)  # by lead key
    accounts: dict[str, Account] = field(default_factory=dict)  # by account_id
    events: dict[str, list[Event]] = field(default_factory=dict)  # by lead_id
    calls: dict[str, list[Call]] = field(default_factory=dict)  # by lead_id
    unfit: dict[int, list[str]] = field(default_factory=dict)  # fields left out (lead. and account.)
    current: dict[int, tuple[float, str, str]] = field(default_factory=dict)  # stored (score, grade, stage)
    # what the stored score used: its definition version's key, and the roll-ups it read (None: unknown)
    used: dict[int, tuple[int, dict[str, Any] | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class Readers:
    """What a definition types, and the converters for it, built once per definition version."""

    lead_fields: Mapping[str, ValueType]  # checked and typed in a lead's `fields` (see `stored_fields`)
    account_fields: Mapping[str, ValueType]
    lead: Converters
    account: Converters
    events: dict[str, Converters]

    @classmethod
    def of(cls, definition: Definition) -> Readers:
        lead, account = stored_fields(definition, "lead"), stored_fields(definition, "account")
        return cls(
            lead,
            account,
            converters(lead),
            converters(account),
            {kind: converters(props) for kind, props in definition.event_types.items()},
        )


_EVENTS = text(
    "SELECT id, lead_pk, event_id, type, time, properties FROM events"
    " WHERE lead_pk IN :keys AND type IN :kinds AND time <= :as_of"
).bindparams(bindparam("keys", expanding=True), bindparam("kinds", expanding=True))


def read_events(
    session: Session,
    readers: Readers,
    keys: list[int],
    kinds: list[str],
    as_of: datetime,
) -> dict[int, list[tuple[int, Event]]]:
    """(row id, event) per lead key, for events up to `as_of`.

    `Event.lead_id` is left empty: events are grouped by lead key, and a lead's id may change (an
    anonymous lead identified) while the writers' memory keeps its events."""
    rows = (
        session.connection()
        .execute(
            _EVENTS,
            {
                "keys": keys,
                "kinds": kinds,
                "as_of": stored_time(session.get_bind().dialect.name, as_of),
            },
        )
        .all()
    )
    return _typed_events(readers, rows)


def _typed_events(readers: Readers, rows: Sequence[Any]) -> dict[int, list[tuple[int, Event]]]:
    out: dict[int, list[tuple[int, Event]]] = defaultdict(list)
    for row_id, lead_pk, event_id, kind, time, props in rows:
        properties = _json(props) or {}
        out[lead_pk].append(
            (row_id, Event(event_id, "", kind, _aware(time), typed(properties, readers.events[kind])))
        )
    return out


FAR_FUTURE = datetime.max.replace(tzinfo=UTC)  # the writers' memory keeps future events and calls too


def _aware(value: datetime | str) -> datetime:
    """A stored time as an aware UTC datetime (SQLite gives text in UTC, PostgreSQL an aware datetime)."""
    if isinstance(value, str):  # SQLite's text is UTC without a zone; JSON from PostgreSQL has one
        parsed = datetime.fromisoformat(value)
        return parsed.astimezone(UTC) if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# the hot path's statements, built once (on Core tables: no ORM work per execution)
_lead, _account, _call = tables.Lead.__table__, tables.Account.__table__, tables.Call.__table__
_scores = tables.LeadScore.__table__
LEAD_COLUMNS = (
    _lead.c.id,
    _lead.c.lead_id,
    _lead.c.email,
    _lead.c.created_at,
    _lead.c.fields,
    _account.c.id,
    _account.c.account_id,
    _account.c.domain,
    _account.c.name,
    _account.c.fields,
    _scores.c.score,
    _scores.c.grade,
    _scores.c.stage,
    _scores.c.definition_pk,
    _scores.c.rollups,
)
LEAD_JOINS = _lead.outerjoin(_account, _account.c.id == _lead.c.account_pk).outerjoin(
    _scores, _scores.c.lead_pk == _lead.c.id
)


def calls_column(dialect: str) -> Any:
    """Each lead's calls up to `as_of`, as one JSON array of [call_id, called_at, outcome, answers]
    (a correlated subquery: no round trip of its own)."""
    c = _call.c
    if dialect == "postgresql":
        aggregate = func.json_agg(func.json_build_array(c.call_id, c.called_at, c.outcome, c.answers))
    else:
        aggregate = func.json_group_array(
            func.json_array(c.call_id, c.called_at, c.outcome, func.json(c.answers))
        )
    return (
        select(aggregate)
        .where(c.lead_pk == _lead.c.id, c.called_at <= bindparam("as_of", type_=c.called_at.type))
        .scalar_subquery()
    )


@lru_cache(maxsize=8)
def _leads_query(dialect: str, colleagues: bool, calls: bool) -> Any:
    """The leads asked for (with `colleagues`, every lead of their accounts too, some twice), with their
    accounts, current scores and (with `calls`) calls."""
    columns = (*LEAD_COLUMNS, calls_column(dialect)) if calls else LEAD_COLUMNS
    base = select(*columns).select_from(LEAD_JOINS)
    asked = base.where(_lead.c.id.in_(bindparam("keys", expanding=True)))
    if not colleagues:
        return asked
    return union_all(
        asked,
        base.where(
            _lead.c.account_pk.in_(
                select(_lead.c.account_pk).where(
                    _lead.c.id.in_(bindparam("keys", expanding=True)), _lead.c.account_pk.is_not(None)
                )
            )
        ),
    )


@dataclass(frozen=True, slots=True)
class Record:
    """One lead row, as the records scoring works on, with the values that do not fit left out."""

    lead: Lead
    account: Account | None
    lead_unfit: tuple[str, ...]  # lead.<name> for each field left out
    account_unfit: tuple[str, ...]  # account.<name>
    calls: tuple[Call, ...]


def records_of(rows: Sequence[Any], readers: Readers) -> dict[int, Record]:
    """Rows of `LEAD_COLUMNS` (then, optionally, the calls column) as records, by lead key."""
    out: dict[int, Record] = {}
    accounts: dict[int, tuple[Account, tuple[str, ...]]] = {}  # typed once for all its leads
    for (
        pk,
        lead_id,
        email,
        created_at,
        fields,
        account_pk,
        account_id,
        domain,
        name,
        account_fields,
        *rest,
    ) in rows:
        account: Account | None = None
        account_unfit: tuple[str, ...] = ()
        if account_pk is not None:
            found = accounts.get(account_pk)
            if found is None:
                bad: list[str] = []
                typed_account = Account(
                    account_id, domain, name, typed(account_fields or {}, readers.account, bad)
                )
                found = accounts[account_pk] = (typed_account, tuple(f"account.{n}" for n in bad))
            account, account_unfit = found
        bad = []
        lead_fields = typed(fields or {}, readers.lead, bad)
        called = _json(rest[-1]) if len(rest) > 5 and rest[-1] is not None else None
        calls = (
            tuple(
                Call(call_id, lead_id, _aware(at), outcome, dict(answers or {}))
                for call_id, at, outcome, answers in called
            )
            if called
            else ()
        )
        out[pk] = Record(
            Lead(lead_id, email, account_id, created_at, lead_fields),
            account,
            tuple(f"lead.{n}" for n in bad),
            account_unfit,
            calls,
        )
    return out


def load_leads(
    session: Session,
    definition: Definition,
    readers: Readers,
    lead_pks: Collection[int],
    as_of: datetime,
    colleagues: bool = False,
) -> Loaded:
    """The leads (with `colleagues`, every lead of their accounts too) with their accounts, events and
    calls up to `as_of`, and their current scores, straight from the store (live scoring reads through
    the writers' memory instead: see `service.memory`)."""
    out = Loaded()
    if not lead_pks:
        return out
    connection = session.connection()
    with_calls = bool(definition.criteria)
    params: dict[str, Any] = {"keys": sorted(lead_pks)}
    if with_calls:
        params["as_of"] = as_of
    lead_rows = connection.execute(
        _leads_query(connection.dialect.name, colleagues, with_calls), params
    ).all()
    if colleagues:  # a lead and its colleague both asked for come twice
        lead_rows = list({row[0]: row for row in lead_rows}.values())
    records = records_of(lead_rows, readers)
    for row in lead_rows:
        pk, score = row[0], row[10]
        record = records[pk]
        if score is not None:
            out.current[pk] = (score, row[11], row[12])
            out.used[pk] = (row[13], row[14])
        out.leads[pk] = record.lead
        if record.account is not None:
            out.accounts[record.account.account_id] = record.account
        if record.calls:
            out.calls[record.lead.lead_id] = list(record.calls)
        unfit = [*record.account_unfit, *record.lead_unfit]
        if unfit:
            out.unfit[pk] = unfit
    kinds = list(definition.event_types)
    if kinds:
        read = read_events(session, readers, sorted(records), kinds, as_of)
        out.events = {
            out.leads[pk].lead_id: [e for _, e in found]
            for pk, found in read.items()
            if found and pk in out.leads
        }
    return out


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value
