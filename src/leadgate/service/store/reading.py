"""Read leads with their account, events and calls from the store, as the records scoring works on.

Only what the definition can use is read: events of the types it declares, profile fields and
properties of its vocabulary (typed as declared). Values that no longer fit the vocabulary are left
out and named in `Loaded.unfit`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from leadgate.definition import Definition
from leadgate.definition.scopes import ACCOUNT_BUILTINS, LEAD_BUILTINS
from leadgate.records import Account, Call, Event, Lead
from leadgate.service.store import tables
from leadgate.service.vocabulary import Converters, converters, typed


@dataclass
class Loaded:
    leads: dict[int, Lead] = field(default_factory=dict)  # by lead key
    accounts: dict[str, Account] = field(default_factory=dict)  # by account_id
    events: dict[str, list[Event]] = field(default_factory=dict)  # by lead_id
    calls: dict[str, list[Call]] = field(default_factory=dict)  # by lead_id
    unfit: dict[int, list[str]] = field(default_factory=dict)  # lead key -> fields left out


@dataclass(frozen=True)
class Readers:
    """The converters for one definition, built once."""

    lead: Converters
    account: Converters
    events: dict[str, Converters]

    @classmethod
    def of(cls, definition: Definition) -> Readers:
        rollups = frozenset(r.id for r in definition.rollups)
        return cls(
            converters(definition.lead_fields, frozenset(LEAD_BUILTINS)),
            converters(definition.account_fields, frozenset(ACCOUNT_BUILTINS) | rollups),
            {kind: converters(props) for kind, props in definition.event_types.items()},
        )


_EVENTS = text(
    "SELECT lead_pk, event_id, type, time, properties FROM events"
    " WHERE lead_pk IN :keys AND type IN :kinds AND time <= :as_of"
).bindparams(bindparam("keys", expanding=True), bindparam("kinds", expanding=True))


def _stored_time(session: Session, moment: datetime) -> datetime | str:
    """A time as the store compares it: on SQLite, the text SQLAlchemy writes (UTC, microseconds)."""
    if session.get_bind().dialect.name == "sqlite":
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


def _aware(value: datetime | str) -> datetime:
    """A stored time as an aware UTC datetime (SQLite gives text in UTC, PostgreSQL an aware datetime)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def account_members(session: Session, account_pks: Collection[int]) -> set[int]:
    """The keys of every lead of these accounts."""
    if not account_pks:
        return set()
    rows = session.execute(select(tables.Lead.id).where(tables.Lead.account_pk.in_(account_pks)))
    return {pk for (pk,) in rows}


def load_leads(
    session: Session, definition: Definition, readers: Readers, lead_pks: Collection[int], as_of: datetime
) -> Loaded:
    out = Loaded()
    if not lead_pks:
        return out
    keys = sorted(lead_pks)
    lead_rows = session.execute(
        select(
            tables.Lead.id,
            tables.Lead.lead_id,
            tables.Lead.email,
            tables.Lead.created_at,
            tables.Lead.fields,
            tables.Account.id,
            tables.Account.account_id,
            tables.Account.domain,
            tables.Account.name,
            tables.Account.fields,
        )
        .outerjoin(tables.Account, tables.Account.id == tables.Lead.account_pk)
        .where(tables.Lead.id.in_(keys))
    ).all()
    lead_ids: dict[int, str] = {}
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
    ) in lead_rows:
        unfit: list[str] = []
        if account_pk is not None and account_id not in out.accounts:
            out.accounts[account_id] = Account(
                account_id, domain, name, typed(account_fields or {}, readers.account, unfit)
            )
        out.leads[pk] = Lead(lead_id, email, account_id, created_at, typed(fields or {}, readers.lead, unfit))
        lead_ids[pk] = lead_id
        if unfit:
            out.unfit[pk] = unfit
    kinds = list(definition.event_types)
    if kinds:
        event_rows = session.execute(
            _EVENTS, {"keys": keys, "kinds": kinds, "as_of": _stored_time(session, as_of)}
        ).all()
        events: dict[str, list[Event]] = defaultdict(list)
        for lead_pk, event_id, kind, time, props in event_rows:
            lead_id = lead_ids[lead_pk]
            properties = orjson.loads(props) if isinstance(props, str | bytes) else props
            events[lead_id].append(
                Event(event_id, lead_id, kind, _aware(time), typed(properties or {}, readers.events[kind]))
            )
        out.events = dict(events)
    if definition.criteria:
        call_rows = session.execute(
            select(
                tables.Call.lead_pk,
                tables.Call.call_id,
                tables.Call.called_at,
                tables.Call.outcome,
                tables.Call.answers,
            ).where(tables.Call.lead_pk.in_(keys), tables.Call.called_at <= as_of)
        )
        calls: dict[str, list[Call]] = defaultdict(list)
        for lead_pk, call_id, called_at, outcome, answers in call_rows:
            lead_id = lead_ids[lead_pk]
            calls[lead_id].append(Call(call_id, lead_id, called_at, outcome, dict(answers or {})))
        out.calls = dict(calls)
    return out
