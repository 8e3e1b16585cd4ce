"""Read leads with their account, events and calls from the store, as the records scoring works on.

Only what the definition can use is read: events of the types it declares, profile fields and
properties of its vocabulary (typed as declared). Values that no longer fit the vocabulary are left
out and named in `Loaded.unfit`.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from threading import Lock
from typing import Any

import orjson
from sqlalchemy import bindparam, func, select, text, union_all
from sqlalchemy.orm import Session

from leadgate.conditions import ValueType
from leadgate.definition import Definition
from leadgate.records import Account, Call, Event, Lead
from leadgate.scoring.matches import Matches
from leadgate.service.store import tables
from leadgate.service.vocabulary import Converters, converters, stored_fields, typed


@dataclass
class Loaded:
    leads: dict[int, Lead] = field(default_factory=dict)  # by lead key
    accounts: dict[str, Account] = field(default_factory=dict)  # by account_id
    events: dict[str, list[Event]] = field(default_factory=dict)  # by lead_id (without an event cache)
    calls: dict[str, list[Call]] = field(default_factory=dict)  # by lead_id
    unfit: dict[int, list[str]] = field(default_factory=dict)  # fields left out (lead. and account.)
    current: dict[int, tuple[float, str, str]] = field(default_factory=dict)  # stored (score, grade, stage)
    matches: dict[str, Matches] = field(default_factory=dict)  # by lead_id: the events, from the event cache
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


def _read_events(
    session: Session,
    readers: Readers,
    keys: list[int],
    kinds: list[str],
    as_of: datetime,
) -> dict[int, list[tuple[int, Event]]]:
    """(row id, event) per lead key, for events up to `as_of`.

    `Event.lead_id` is left empty: events are grouped by lead key, and a lead's id may change (an
    anonymous lead identified) while its cached events stay."""
    rows = (
        session.connection()
        .execute(
            _EVENTS,
            {
                "keys": keys,
                "kinds": kinds,
                "as_of": _stored_time(session, as_of),
            },
        )
        .all()
    )
    return _typed_events(readers, rows)


def _read_newer(
    session: Session, readers: Readers, after: Mapping[int, int], kinds: list[str]
) -> tuple[dict[int, list[tuple[int, Event]]], int | None]:
    """(row id, event) per lead key, for each lead's rows above its own `after` id (the cache's read),
    and the table's last id (None when no row came back). One query: the (lead, after) pairs are a
    table (VALUES on SQLite, unnest on PostgreSQL) joined to the events."""
    pairs = sorted(after.items())
    connection = session.connection()
    # the table's last id comes along, on a row of its own when no event is newer
    select_events = (
        " SELECT n.id, n.lead_pk, n.event_id, n.type, n.time, n.properties, t.top"
        " FROM (SELECT max(id) AS top FROM events) AS t LEFT JOIN (SELECT e.id, e.lead_pk, e.event_id,"
        " e.type, e.time, e.properties FROM k JOIN events e ON e.lead_pk = k.pk AND e.id > k.after"
    )
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            text(
                "WITH k(pk, after) AS (SELECT * FROM unnest(CAST(:pks AS bigint[]), CAST(:afters AS bigint[])))"
                + select_events
                + " WHERE e.type = ANY(CAST(:kinds AS text[]))) AS n ON 1 = 1"
            ),
            {"pks": [k for k, _ in pairs], "afters": [a for _, a in pairs], "kinds": kinds},
        ).all()
        return _typed_events(readers, rows), _top(rows)
    found: list[Any] = []
    for start in range(0, len(pairs), _PAIRS):  # SQLite takes at most 32,766 parameters
        part = pairs[start : start + _PAIRS]
        sql = (
            f"WITH k(pk, after) AS (VALUES {', '.join(['(?, ?)'] * len(part))})"
            + select_events
            + f" WHERE e.type IN ({', '.join(['?'] * len(kinds))})) AS n ON 1 = 1"
        )
        params = tuple(x for pair in part for x in pair) + tuple(kinds)
        found += connection.exec_driver_sql(sql, params).all()
    return _typed_events(readers, found), _top(found)


_PAIRS = 10_000


def _top(rows: Sequence[Any]) -> int | None:
    """The table's last id, as every row of a newer read carries it (None: the table is empty)."""
    return next((int(r[-1]) for r in rows if r[-1] is not None), None)


def _typed_events(readers: Readers, rows: Sequence[Any]) -> dict[int, list[tuple[int, Event]]]:
    out: dict[int, list[tuple[int, Event]]] = defaultdict(list)
    for row_id, lead_pk, event_id, kind, time, props, *_rest in rows:
        if row_id is None:
            continue  # the newer read's row for the table's last id alone
        properties = _json(props) or {}
        out[lead_pk].append(
            (row_id, Event(event_id, "", kind, _aware(time), typed(properties, readers.events[kind])))
        )
    return out


@dataclass(frozen=True, slots=True)
class Cached:
    """A lead's events as a transaction read them: the table's last id then, and the events sorted to
    the definition's rules (`scoring.matches`), which is all that scoring reads of them."""

    last: int
    matches: Matches


class EventCache:
    """Typed events per lead, kept between re-scores, so a re-score reads only the rows added since.

    Events are append-only and never change, and write transactions commit one at a time, in the order
    they began (SQLite's write lock; a PostgreSQL advisory lock, see `store.database`), so row ids grow
    in commit order and "every row above the table's last id when the lead was read" is exactly what is
    new. Reads happen in write transactions only (readers' sessions have no cache).
    What a transaction reads is kept only when it commits (`after_commit`); a lead's events are kept
    for one definition version (properties are typed by its vocabulary); least recently used leads are
    dropped past `max_events`. Events later than the re-score's `as_of` are read too (scoring leaves them out).
    Each lead's events are also kept sorted to the rules (`scoring.matches`): a rule's condition is
    tested on an event once, not at every re-score.
    """

    def __init__(self, max_events: int = 500_000) -> None:
        self.max_events = max_events
        self._leads: OrderedDict[tuple[int, int], Cached] = OrderedDict()
        self._size = 0
        self._lock = Lock()

    def events(
        self,
        session: Session,
        definition: Definition,
        readers: Readers,
        definition_pk: int,
        keys: list[int],
        kinds: list[str],
    ) -> dict[int, Matches]:
        """Each lead's events sorted to the definition's rules (scoring leaves out those after its
        `as_of`)."""
        with self._lock:
            known = {
                pk: self._leads[(definition_pk, pk)] for pk in keys if (definition_pk, pk) in self._leads
            }
            for pk in known:
                self._leads.move_to_end((definition_pk, pk))
        fresh = [pk for pk in keys if pk not in known]
        matches: dict[int, Matches] = {}
        if fresh:
            read = _read_events(session, readers, fresh, kinds, _FAR_FUTURE)
            for pk in fresh:
                matches[pk] = Matches.of(definition, (e for _, e in read.get(pk, ())))
        top: int | None = None
        if known:
            newer, top = _read_newer(session, readers, {pk: c.last for pk, c in known.items()}, kinds)
            for pk, cached in known.items():
                added = newer.get(pk)
                matches[pk] = (
                    cached.matches.plus(definition, (e for _, e in added)) if added else cached.matches
                )
        # every row up to the table's last id is sorted now (this transaction holds the write lock), so
        # the next read of these leads starts there, not at each lead's own last event
        if top is None:
            top = session.connection().scalar(_TOP) or 0
        pending = session.info.setdefault("leadgate_events", {})
        for pk in keys:
            pending[(definition_pk, pk)] = Cached(top, matches[pk])
        return matches

    def keep(self, pending: dict[tuple[int, int], Cached]) -> None:
        """Keep what a committed transaction read."""
        with self._lock:
            for key, cached in pending.items():
                old = self._leads.pop(key, None)
                if old is not None:
                    self._size -= old.matches.count
                self._leads[key] = cached
                self._size += cached.matches.count
            while self._size > self.max_events and self._leads:
                _key, dropped = self._leads.popitem(last=False)
                self._size -= dropped.matches.count


_TOP = text("SELECT max(id) FROM events")
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)  # the cache keeps future events too; see `events`


def _stored_time(session: Session, moment: datetime) -> datetime | str:
    """A time as the store compares it: on SQLite, the text SQLAlchemy writes (UTC, microseconds)."""
    if session.get_bind().dialect.name == "sqlite":
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


def _aware(value: datetime | str) -> datetime:
    """A stored time as an aware UTC datetime (SQLite gives text in UTC, PostgreSQL an aware datetime)."""
    if isinstance(value, str):  # SQLite's text is UTC without a zone; JSON from PostgreSQL has one
        parsed = datetime.fromisoformat(value)
        return parsed.astimezone(UTC) if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# the hot path's statements, built once (on Core tables: no ORM work per execution)
_lead, _account, _call = tables.Lead.__table__, tables.Account.__table__, tables.Call.__table__
_scores = tables.LeadScore.__table__
_LEAD_COLUMNS = (
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
_LEAD_JOINS = _lead.outerjoin(_account, _account.c.id == _lead.c.account_pk).outerjoin(
    _scores, _scores.c.lead_pk == _lead.c.id
)


def _calls_column(dialect: str) -> Any:
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
    columns = (*_LEAD_COLUMNS, _calls_column(dialect)) if calls else _LEAD_COLUMNS
    base = select(*columns).select_from(_LEAD_JOINS)
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


def load_leads(
    session: Session,
    definition: Definition,
    readers: Readers,
    lead_pks: Collection[int],
    as_of: datetime,
    definition_pk: int = 0,
    colleagues: bool = False,
) -> Loaded:
    """The leads (with `colleagues`, every lead of their accounts too) with their accounts, events and
    calls up to `as_of`, and their current scores. In write transactions events come through the
    session's `EventCache` (keyed by `definition_pk`) as `matches`, sorted to the rules; else straight
    from the store, up to `as_of`, as `events`."""
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
    keys = sorted(row[0] for row in lead_rows)
    account_unfit: dict[str, list[str]] = {}  # each account's fields left out, for each of its leads
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
        score,
        grade,
        stage,
        scored_by,
        rollups,
        *called,
    ) in lead_rows:
        if score is not None:
            out.current[pk] = (score, grade, stage)
            out.used[pk] = (scored_by, rollups)
        unfit: list[str] = []
        if account_pk is not None:
            if account_id not in out.accounts:
                bad: list[str] = []
                out.accounts[account_id] = Account(
                    account_id, domain, name, typed(account_fields or {}, readers.account, bad)
                )
                account_unfit[account_id] = [f"account.{field_name}" for field_name in bad]
            unfit += account_unfit[account_id]
        bad = []
        lead_fields = typed(fields or {}, readers.lead, bad)
        unfit += [f"lead.{field_name}" for field_name in bad]
        out.leads[pk] = Lead(lead_id, email, account_id, created_at, lead_fields)
        found = _json(called[0]) if called and called[0] is not None else None
        if found:
            out.calls[lead_id] = [
                Call(call_id, lead_id, _aware(at), outcome, dict(answers or {}))
                for call_id, at, outcome, answers in found
            ]
        if unfit:
            out.unfit[pk] = unfit
    kinds = list(definition.event_types)
    cache: EventCache | None = session.info.get("leadgate_event_cache")
    if kinds:
        if cache is None:
            read = _read_events(session, readers, keys, kinds, as_of)
            by_pk = {pk: [e for _, e in rows] for pk, rows in read.items()}
        else:
            matches = cache.events(session, definition, readers, definition_pk, keys, kinds)
            out.matches = {out.leads[pk].lead_id: m for pk, m in matches.items() if pk in out.leads}
            return out
        out.events = {
            out.leads[pk].lead_id: found for pk, found in by_pk.items() if found and pk in out.leads
        }
    return out


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value
