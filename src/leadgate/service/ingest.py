"""Ingestion: accounts, leads, events and calls into the store, each change re-scored at once.

Every function works in the caller's session and transaction, never commits, and raises `InputError`
(field by field) or `Conflict` before it has written anything for a payload it refuses.

Identity:
- a lead is found by `lead_id`, else `email`, else `anonymous_id`. A lead created without a
  `lead_id` gets a generated one (`anon:<anonymous_id>` or `auto:<random>`); such a lead takes the
  `lead_id` of the first payload that names it (how an anonymous visitor becomes a known lead);
  a given `lead_id` never changes. An email that belongs to another lead is a conflict.
- a lead's account is the one given (`account_id`, or `account` to create or update), else the
  account whose domain is the lead's email domain, if there is one.
- an event for a lead nobody has seen creates an anonymous lead, or is refused, per the workspace's
  `unknown_leads` setting; an event type the active definition does not declare is kept (stored, not
  scored) or refused, per `unknown_event_types`. An event whose `event_id` is stored already is a
  duplicate: acknowledged, not stored twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import BaseModel, ValidationError
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadgate.errors import Problem
from leadgate.records import Event
from leadgate.service.errors import Conflict, InputError, NotFound, validation_problem
from leadgate.service.live import Change, rescore
from leadgate.service.memory import recall_of
from leadgate.service.payloads import AccountIn, CallIn, EventIn, LeadIn, ParsedEvent, Refused
from leadgate.service.store import tables
from leadgate.service.store.statements import event_row, run_many, stored_event_ids
from leadgate.service.vocabulary import check_values, stored_form, typed
from leadgate.service.workspace import Context
from leadgate.service.writer import Done

GENERATED = ("anon:", "auto:")

_events, _leads = cast(Table, tables.Event.__table__), cast(Table, tables.Lead.__table__)
_LEAD_KEY = {
    name: select(_leads.c.id).where(
        _leads.c.workspace_pk == bindparam("workspace"), _leads.c[name] == bindparam("value")
    )
    for name in ("lead_id", "email", "anonymous_id")
}

_LEAD_KEYS = {  # a batch's leads: one query per kind of key
    name: select(_leads.c[name], _leads.c.id).where(
        _leads.c.workspace_pk == bindparam("workspace"),
        _leads.c[name].in_(bindparam("values", expanding=True)),
    )
    for name in ("lead_id", "email", "anonymous_id")
}


@dataclass
class Outcome:
    """What one ingestion call did."""

    created: bool = False
    changes: dict[int, Change] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)  # leads to re-score (when the caller defers it)
    key: int | None = None  # the lead's or account's row key
    cause: str = ""  # why they are re-scored, in a few words

    @property
    def causes(self) -> dict[int, str]:
        """The leads to re-score, each with why (what a deferred re-score takes)."""
        return dict.fromkeys(self.touched, self.cause)


def parse(model: type[BaseModel], data: Any, prefix: str = "") -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError([validation_problem(err, prefix) for err in exc.errors()]) from None


# -- accounts -------------------------------------------------------------------------------------


def upsert_account(session: Session, ctx: Context, payload: AccountIn, live: bool = True) -> Outcome:
    """Create or update an account, then re-score its leads (`live=False`: leave that to the caller,
    who re-scores `Outcome.touched` before the transaction ends)."""
    fields, notes = checked_fields(ctx, payload.fields, "account", "fields")
    row, created = _account_row(session, ctx, payload, fields)
    outcome = Outcome(created=created, notes=notes, key=row.id, cause=f"account {row.account_id} updated")
    if not created:
        outcome.touched = set(session.scalars(select(tables.Lead.id).where(tables.Lead.account_pk == row.id)))
    _forget(session, outcome.touched, [row.id])
    if not created and live:
        outcome.changes = rescore(session, ctx, outcome.touched, outcome.cause)
    return outcome


def _account_row(
    session: Session, ctx: Context, payload: AccountIn, fields: dict[str, Any], retry: bool = True
) -> tuple[tables.Account, bool]:
    account = tables.Account
    row = None
    if payload.account_id is not None:
        row = session.scalar(
            select(account).where(
                account.workspace_pk == ctx.workspace_pk, account.account_id == payload.account_id
            )
        )
    if row is None and payload.domain is not None:
        row = session.scalar(
            select(account).where(account.workspace_pk == ctx.workspace_pk, account.domain == payload.domain)
        )
        if row is not None and payload.account_id is not None:
            raise Conflict(
                [
                    Problem(
                        f"domain {payload.domain!r} belongs to account {row.account_id!r}",
                        path="domain",
                    )
                ]
            )
    now = ctx.clock()
    if row is None:
        row = account(
            workspace_pk=ctx.workspace_pk,
            account_id=payload.account_id or payload.domain,
            domain=payload.domain,
            name=payload.name,
            fields=_merged({}, fields),
            created_at=now,
            updated_at=now,
        )
        if _inserted(session, row):
            return row, True
        if not retry:
            raise Conflict([Problem("the account was changed by another request; send it again")])
        return _account_row(session, ctx, payload, fields, retry=False)  # now found: updated
    if payload.domain is not None and payload.domain != row.domain:
        taken = session.scalar(
            select(account.account_id).where(
                account.workspace_pk == ctx.workspace_pk, account.domain == payload.domain
            )
        )
        if taken is not None:
            raise Conflict(
                [Problem(f"domain {payload.domain!r} belongs to account {taken!r}", path="domain")]
            )
        row.domain = payload.domain
    if payload.name is not None:
        row.name = payload.name
    row.fields = _merged(row.fields, fields)
    row.updated_at = now
    session.flush()
    return row, False


# -- leads ----------------------------------------------------------------------------------------


def upsert_lead(
    session: Session, ctx: Context, payload: LeadIn, cause: str | None = None, live: bool = True
) -> Outcome:
    """Create or update a lead, then re-score it (and its old and new accounts' leads)."""
    fields, notes = checked_fields(ctx, payload.fields, "lead", "fields")
    account_fields: dict[str, Any] = {}
    if payload.account is not None:
        account_fields, more = checked_fields(ctx, payload.account.fields, "account", "account.fields")
        notes += more
    row, created, old_account = _lead_row(session, ctx, payload, fields, account_fields)
    touched = {row.id}
    if old_account is not None and old_account != row.account_pk:
        touched |= set(session.scalars(select(tables.Lead.id).where(tables.Lead.account_pk == old_account)))
    _forget(session, [row.id], [old_account, row.account_pk])
    what = cause or f"lead {row.lead_id} {'created' if created else 'updated'}"
    outcome = Outcome(created, {}, notes, touched, row.id, what)
    if live:
        outcome.changes = rescore(session, ctx, touched, what)
    return outcome


def _lead_row(
    session: Session,
    ctx: Context,
    payload: LeadIn,
    fields: dict[str, Any],
    account_fields: dict[str, Any],
) -> tuple[tables.Lead, bool, int | None]:
    """(the row, whether it was created, its account key before the change)."""
    row = find_lead(session, ctx, payload.lead_id, payload.email, payload.anonymous_id)
    if row is not None:
        _check_identity(session, ctx, row, payload)
    account_pk = _account_of(session, ctx, payload, account_fields)
    now = ctx.clock()
    source = payload.source
    if source is None and isinstance(fields.get("source"), str):
        source = fields["source"]
    if row is None:
        email_account = _account_by_email(session, ctx, payload.email) if account_pk is None else None
        row = tables.Lead(
            workspace_pk=ctx.workspace_pk,
            lead_id=payload.lead_id or generated_id(payload.anonymous_id),
            email=payload.email,
            anonymous_id=payload.anonymous_id,
            account_pk=account_pk if account_pk is not None else email_account,
            owner=payload.owner,
            source=source,
            fields=_merged({}, fields),
            created_at=payload.created_at or now,
            received_at=now,
            updated_at=now,
        )
        if _inserted(session, row):
            return row, True, None
        row = _stored_by_another(session, ctx, payload.lead_id, payload.email, payload.anonymous_id)
        _check_identity(session, ctx, row, payload)
    old_account = row.account_pk
    if payload.lead_id is not None and row.lead_id != payload.lead_id:
        row.lead_id = payload.lead_id  # a generated id, replaced by the caller's (checked above)
    if payload.email is not None and payload.email != row.email:
        row.email = payload.email
        if account_pk is None and "account_id" not in payload.model_fields_set:
            account_pk = _account_by_email(session, ctx, payload.email) or row.account_pk
    if payload.anonymous_id is not None and row.anonymous_id is None:
        row.anonymous_id = payload.anonymous_id
    if account_pk is not None:
        row.account_pk = account_pk
    if "owner" in payload.model_fields_set:
        row.owner = payload.owner
    if source is not None:
        row.source = source
    if payload.created_at is not None:
        row.created_at = payload.created_at
    row.fields = _merged(row.fields, fields)
    row.updated_at = now
    session.flush()
    return row, False, old_account


def _inserted(session: Session, row: tables.Lead | tables.Account) -> bool:
    """Store a new row in a savepoint; False when another request stored the same identity first (on
    PostgreSQL two requests may create the same lead or account at once): then the caller uses theirs."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def _stored_by_another(
    session: Session, ctx: Context, lead_id: str | None, email: str | None, anonymous_id: str | None
) -> tables.Lead:
    row = find_lead(session, ctx, lead_id, email, anonymous_id)
    if row is None:  # the clash was on something else: say so rather than guess
        raise Conflict([Problem("the lead was changed by another request; send it again")])
    return row


def lead_key(
    session: Session, ctx: Context, lead_id: str | None, email: str | None, anonymous_id: str | None
) -> int | None:
    """The key of the lead `find_lead` finds (the event path's lookup: no ORM object)."""
    connection = session.connection()
    for name, value in (("lead_id", lead_id), ("email", email), ("anonymous_id", anonymous_id)):
        if value is not None:
            found = connection.scalar(_LEAD_KEY[name], {"workspace": ctx.workspace_pk, "value": value})
            if found is not None:
                return int(found)
    return None


def find_lead(
    session: Session, ctx: Context, lead_id: str | None, email: str | None, anonymous_id: str | None
) -> tables.Lead | None:
    """The lead with this lead_id, else email, else anonymous_id (see the module's text)."""
    key = lead_key(session, ctx, lead_id, email, anonymous_id)
    return session.get(tables.Lead, key) if key is not None else None


def _check_identity(session: Session, ctx: Context, row: tables.Lead, payload: LeadIn) -> None:
    lead = tables.Lead
    if (
        payload.lead_id is not None
        and row.lead_id != payload.lead_id
        and not row.lead_id.startswith(GENERATED)
    ):
        raise Conflict(
            [
                Problem(
                    f"lead {row.lead_id!r} has this email or anonymous_id; a lead_id never changes "
                    f"(got {payload.lead_id!r})",
                    path="lead_id",
                )
            ]
        )
    for column, value, name in (
        (lead.email, payload.email, "email"),
        (lead.anonymous_id, payload.anonymous_id, "anonymous_id"),
    ):
        if value is None:
            continue
        other = session.scalar(
            select(lead.lead_id).where(
                lead.workspace_pk == ctx.workspace_pk, column == value, lead.id != row.id
            )
        )
        if other is not None:
            raise Conflict([Problem(f"{name} {value!r} belongs to lead {other!r}", path=name)])


def _account_of(
    session: Session, ctx: Context, payload: LeadIn, account_fields: dict[str, Any]
) -> int | None:
    if payload.account is not None:
        row, _ = _account_row(session, ctx, payload.account, account_fields)
        return row.id
    if payload.account_id is not None:
        row, _ = _account_row(session, ctx, AccountIn(account_id=payload.account_id), {})
        return row.id
    return None


def _account_by_email(session: Session, ctx: Context, email: str | None) -> int | None:
    if email is None:
        return None
    domain = email.rsplit("@", 1)[1]
    return session.scalar(
        select(tables.Account.id).where(
            tables.Account.workspace_pk == ctx.workspace_pk, tables.Account.domain == domain
        )
    )


def generated_id(anonymous_id: str | None) -> str:
    return f"anon:{anonymous_id}" if anonymous_id else f"auto:{uuid.uuid4().hex[:16]}"


# -- events ---------------------------------------------------------------------------------------


@dataclass
class EventsOutcome:
    accepted: int = 0  # stored now
    duplicates: int = 0  # stored before (same event_id): acknowledged, not stored twice
    rejected: list[tuple[int, list[Problem]]] = field(default_factory=list)  # (index, problems)
    leads_created: int = 0
    changes: dict[int, Change] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)  # leads to re-score (when the caller defers it)
    cause: str = ""  # why, in a few words

    @property
    def causes(self) -> dict[int, str]:
        return dict.fromkeys(self.touched, self.cause)


CheckedEvent = EventIn | ParsedEvent  # an event as checked (see `parse_events`)


def parse_events(items: Sequence[Any]) -> list[ParsedEvent | Refused]:
    """Each item (a JSON object) checked as an `EventIn`, or refused with its problems: the API does
    this before it hands a batch to the writer (whose process has more to do)."""
    out: list[ParsedEvent | Refused] = []
    for item in items:
        try:
            out.append(ParsedEvent.of(parse(EventIn, item)))
        except InputError as exc:
            out.append(Refused(list(exc.problems)))
    return out


@dataclass(frozen=True)
class AddEvents:
    """`add_events` as a write for the writer (`POST /v1/events`): the leads are re-scored after, with
    the other writes of its group. A value, not a closure, so that it can go to a writer process.
    `items`: as `add_events` takes them, best already parsed (`parse_events`)."""

    items: Sequence[Any]
    atomic: bool = False

    def __call__(self, session: Session, ctx: Context) -> Done[EventsOutcome]:
        outcome = add_events(session, ctx, self.items, atomic=self.atomic, live=False)
        return Done(outcome, outcome.causes)


def add_events(
    session: Session,
    ctx: Context,
    items: Sequence[Any],
    atomic: bool = False,
    cause: str | None = None,
    live: bool = True,
) -> EventsOutcome:
    """Store a batch of events (dicts, `EventIn`, or as `parse_events` gives them) and re-score every
    lead they touched, once.

    A bad item is reported by its index and the good ones are stored; with `atomic`, one bad item
    refuses the whole batch (`InputError` with every item's problems, nothing stored).
    """
    outcome = EventsOutcome()
    now = ctx.clock()
    checked: list[tuple[int, CheckedEvent, dict[str, Any]]] = []
    undeclared: set[str] = set()
    for index, item in enumerate(items):
        if isinstance(item, Refused):
            outcome.rejected.append((index, list(item.problems)))
            continue
        try:
            event = item if isinstance(item, EventIn | ParsedEvent) else parse(EventIn, item)
            props = checked_properties(ctx, event, undeclared)
        except InputError as exc:
            outcome.rejected.append((index, list(exc.problems)))
            continue
        checked.append((index, event, props))
    if atomic and outcome.rejected:
        raise InputError(
            [replace_path(p, f"events.{i}") for i, problems in outcome.rejected for p in problems]
        )
    rows: list[dict[str, Any]] = []
    # every stored lead the events name, at once (from the writers' memory, else the store)
    leads = _known_leads(session, ctx, [event for _, event, _ in checked])
    for index, event, props in checked:
        try:
            lead_pk, created = _lead_of_event(session, ctx, event, leads)
        except InputError as exc:
            if atomic:
                raise InputError([replace_path(p, f"events.{index}") for p in exc.problems]) from None
            outcome.rejected.append((index, list(exc.problems)))
            continue
        outcome.leads_created += created
        rows.append(
            {
                "workspace_pk": ctx.workspace_pk,
                "event_id": event.event_id or uuid.uuid4().hex,
                "lead_pk": lead_pk,
                "type": event.type,
                "time": event.time or now,
                "received_at": now,
                "properties": props,
            }
        )
    stored = insert_events(session, rows)
    _remember_events(session, ctx, stored)
    outcome.accepted = len(stored)
    outcome.duplicates = len(rows) - len(stored)
    outcome.rejected.sort(key=lambda r: r[0])
    if undeclared:
        outcome.notes.append(
            f"event types the active definition does not declare, stored and not scored: {', '.join(sorted(undeclared))}"
        )
    touched = {row["lead_pk"] for row in stored}
    outcome.touched = touched
    if touched:
        if cause is None:
            first = stored[0]
            cause = (
                f"event {first['event_id']} ({first['type']})"
                if len(stored) == 1
                else f"{len(stored)} events"
            )
        outcome.cause = cause
        if live:
            outcome.changes = rescore(session, ctx, touched, cause)
    return outcome


def replace_path(problem: Problem, prefix: str) -> Problem:
    return Problem(
        problem.message, path=f"{prefix}.{problem.path}" if problem.path else prefix, hint=problem.hint
    )


def insert_events(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert, skipping event ids stored before; the rows inserted now (an id twice in `rows`: its first
    row). Write transactions run one at a time, so the ids this finds stored are all there are (the
    unique index stands behind it)."""
    if not rows:
        return []
    # the same id twice in one batch: the first is stored, the second is a duplicate
    unique: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        unique.setdefault((row["workspace_pk"], row["event_id"]), row)
    connection = session.connection()
    stored: set[tuple[int, str]] = set()
    for workspace_pk in {w for w, _ in unique}:
        ids = [i for w, i in unique if w == workspace_pk]
        stored.update((workspace_pk, i) for i in stored_event_ids(connection, workspace_pk, ids))
    dialect = connection.dialect.name
    fresh = [row for key, row in unique.items() if key not in stored]
    run_many(connection, "events", [event_row(dialect, row) for row in fresh])
    return fresh


def _remember_events(session: Session, ctx: Context, stored: list[dict[str, Any]]) -> None:
    """Tell the writers' memory about the events stored (those of the types the definition declares,
    typed as scoring reads them from the store)."""
    recall = recall_of(session)
    active = ctx.active
    if recall is None or active is None or not stored:
        return
    readers = active.readers.events
    added: dict[int, list[Event]] = {}
    for row in stored:
        kind = row["type"]
        if kind in readers:
            event = Event(row["event_id"], "", kind, row["time"], typed(row["properties"], readers[kind]))
            added.setdefault(row["lead_pk"], []).append(event)
    recall.add_events(active, added)


def _forget(session: Session, leads: Iterable[int], accounts: Iterable[int | None] = ()) -> None:
    """Leads, or accounts (their rows, their leads), changed: the writers' memory reads them again."""
    recall = recall_of(session)
    if recall is not None:
        recall.forget(leads, accounts)


def checked_properties(ctx: Context, event: CheckedEvent, undeclared: set[str]) -> dict[str, Any]:
    if ctx.active is None:
        return dict(event.properties)
    declared = ctx.active.definition.event_types.get(event.type)
    if declared is None:
        if ctx.unknown_event_types == "reject":
            known = ", ".join(sorted(ctx.active.definition.event_types))
            raise InputError(
                [Problem(f"unknown event type {event.type!r}; the definition declares {known}", path="type")]
            )
        undeclared.add(event.type)
        return dict(event.properties)
    stored, problems, _extra = check_values(event.properties, declared, "properties")
    if problems:
        raise InputError(problems)
    return {k: v for k, v in stored.items() if v is not None}


def _known_leads(session: Session, ctx: Context, events: list[CheckedEvent]) -> dict[tuple[str, str], int]:
    """The stored leads a batch's events name, by (kind of key, value), read at once (see `lead_key`:
    an event's lead is the one its lead_id names, else its email, else its anonymous_id): from the
    writers' memory, and from the store those it does not hold."""
    connection = session.connection()
    recall = recall_of(session)
    found: dict[tuple[str, str], int] = {}
    for name, statement in _LEAD_KEYS.items():
        values = {v for event in events if (v := getattr(event, name))}
        missing = []
        for value in values:
            pk = recall.key(ctx.workspace_pk, name, value) if recall is not None else None
            if pk is None:
                missing.append(value)
            else:
                found[(name, value)] = pk
        if missing:
            rows = connection.execute(statement, {"workspace": ctx.workspace_pk, "values": sorted(missing)})
            found.update(((name, value), int(pk)) for value, pk in rows)
    return found


def _lead_of_event(
    session: Session, ctx: Context, event: CheckedEvent, seen: dict[tuple[str, str], int]
) -> tuple[int, bool]:
    """The event's lead, and whether it was created now. `seen`: every stored lead the batch's events
    name (`_known_leads`), and those made so far, by key."""
    if event.lead_id:  # the usual case: a known lead by its lead_id
        found_pk = seen.get(("lead_id", event.lead_id))
        if found_pk is not None:
            return found_pk, False
    keys = [
        (k, v)
        for k, v in (("lead_id", event.lead_id), ("email", event.email), ("anonymous_id", event.anonymous_id))
        if v
    ]
    for key in keys:
        if key in seen:
            return seen[key], False
    if ctx.unknown_leads == "reject":
        named = ", ".join(f"{k} {v!r}" for k, v in keys)
        raise InputError([Problem(f"no lead with {named}; create the lead first", path=keys[0][0])])
    now = ctx.clock()
    row = tables.Lead(
        workspace_pk=ctx.workspace_pk,
        lead_id=event.lead_id or generated_id(event.anonymous_id),
        email=event.email,
        anonymous_id=event.anonymous_id,
        account_pk=_account_by_email(session, ctx, event.email),
        fields={},
        created_at=event.time or now,
        received_at=now,
        updated_at=now,
    )
    created = _inserted(session, row)
    if not created:
        row = _stored_by_another(session, ctx, event.lead_id, event.email, event.anonymous_id)
    _forget(session, [row.id], [row.account_pk])  # a new member of its account
    for k in keys:
        seen[k] = row.id
    return row.id, created


# -- calls ----------------------------------------------------------------------------------------


def add_call(session: Session, ctx: Context, lead_id: str, payload: CallIn, live: bool = True) -> Outcome:
    lead = find_lead(session, ctx, lead_id, None, None)
    if lead is None:
        raise NotFound(f"no lead {lead_id!r}")
    answers = checked_answers(ctx, payload.answers)
    call_id = payload.call_id or uuid.uuid4().hex
    exists = session.scalar(
        select(tables.Call.id).where(
            tables.Call.workspace_pk == ctx.workspace_pk, tables.Call.call_id == call_id
        )
    )
    if exists is not None:
        raise Conflict([Problem(f"call {call_id!r} is stored already", path="call_id")])
    now = ctx.clock()
    session.execute(
        insert(tables.Call).values(
            workspace_pk=ctx.workspace_pk,
            call_id=call_id,
            lead_pk=lead.id,
            called_at=payload.called_at or now,
            caller=payload.caller,
            outcome=payload.outcome,
            answers=answers,
            notes=payload.notes,
            received_at=now,
        )
    )
    session.execute(update(tables.Lead).where(tables.Lead.id == lead.id).values(updated_at=now))
    _forget(session, [lead.id])
    outcome = Outcome(True, touched={lead.id}, key=lead.id, cause=f"call {call_id} ({payload.outcome})")
    if live:
        outcome.changes = rescore(session, ctx, {lead.id}, outcome.cause)
    return outcome


def checked_answers(ctx: Context, answers: Mapping[str, str]) -> dict[str, str]:
    if ctx.active is None:
        return dict(answers)
    criteria = ctx.active.definition.criteria_by_id
    out: dict[str, str] = {}
    problems = []
    for criterion, answer in answers.items():
        known = criteria.get(criterion)
        if known is None:
            problems.append(
                Problem(
                    f"unknown criterion {criterion!r}; the definition asks about {', '.join(criteria) or 'nothing'}",
                    path=f"answers.{criterion}",
                )
            )
            continue
        allowed = {v.lower(): v for v in known.answers}
        value = allowed.get(answer.strip().lower())
        if value is None:
            problems.append(
                Problem(
                    f"criterion {criterion!r} allows {', '.join(repr(v) for v in known.answers)}; got {answer!r}",
                    path=f"answers.{criterion}",
                )
            )
            continue
        out[criterion] = value
    if problems:
        raise InputError(problems)
    return out


# -- shared ---------------------------------------------------------------------------------------


def checked_fields(
    ctx: Context, values: Mapping[str, Any], section: str, path: str
) -> tuple[dict[str, Any], list[str]]:
    if ctx.active is None:
        return {k: stored_form(v) for k, v in values.items()}, []
    readers = ctx.active.readers
    declared = readers.lead_fields if section == "lead" else readers.account_fields
    stored, problems, undeclared = check_values(values, declared, path)
    if problems:
        raise InputError(problems)
    notes = (
        [
            f"{path}: not in the definition's vocabulary, stored and not scored: {', '.join(sorted(undeclared))}"
        ]
        if undeclared
        else []
    )
    return stored, notes


def _merged(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The stored fields with the changes applied: a null removes a field."""
    out = dict(current)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out
