"""Segment's tracking API spec, translated into leadgate's ingestion, so a CDP or the official Segment
and RudderStack SDKs can send to leadgate as they would to Segment.

- `track`: an event; its name becomes the event type in snake case ("Form Submitted" →
  `form_submitted`), `properties` its properties, `messageId` its event_id (so a resent message is
  stored once), `timestamp` its time, taken as given. Without one, `originalTimestamp` (the client's
  clock when the call was made) corrected for the client clock's skew as Segment and RudderStack
  compute it, when the message (or its batch) has `sentAt` (the client's clock when it was sent):
  received − (sentAt − originalTimestamp); else `originalTimestamp` as given; else when received.
- `page`: a `page_viewed` event; `url`, `path`, `title`, `referrer` come from the properties or from
  `context.page`, and the page's `name` and `category` are added as properties.
- `screen`: a `screen_viewed` event, likewise.
- `identify`: creates or updates the lead: `userId` is its lead_id, `anonymousId` ties earlier
  anonymous events to it, `traits` are its fields (in snake case: `jobTitle` → `job_title`;
  `email` and `createdAt` are the lead's own; a `company` trait object is its account).
- `group`: creates or updates the account `groupId` (traits: `name`, `website`/`domain`, the rest are
  fields) and puts the user in it.
- `alias`: accepted and acknowledged; leadgate matches identities itself (see `ingest`).
Messages are applied in order. A message that cannot be accepted is reported by its index; the others
are stored (the endpoint answers 200 so SDKs do not resend the good ones).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from leadgate.errors import Problem
from leadgate.service import ingest
from leadgate.service.errors import Conflict, InputError
from leadgate.service.payloads import AccountIn, EventIn, LeadIn, ParsedEvent, Refused, moment
from leadgate.service.workspace import Context
from leadgate.service.writer import Done

TYPES = ("track", "page", "screen", "identify", "group", "alias")
PAGE_KEYS = ("url", "path", "title", "referrer", "search")
LEAD_TRAITS = {"email", "createdAt", "created_at", "company", "owner", "source"}
ACCOUNT_TRAITS = {"name", "website", "domain"}
# an event's fields, by the message's fields they come from (for the problems of a message)
SEGMENT_FIELDS = {"event_id": "messageId", "lead_id": "userId", "anonymous_id": "anonymousId",
                  "email": "context.traits.email", "type": "event"}  # fmt: skip


@lru_cache(maxsize=4096)  # a stream names the same few events and traits again and again
def snake(name: str) -> str:
    """`Form Submitted`, `formSubmitted`, `form-submitted` → `form_submitted`."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()


@dataclass
class SegmentOutcome:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, list[Problem]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    causes: dict[int, str] = field(default_factory=dict)  # leads to re-score, and why (`live=False`)


Prepared = tuple[str, Any]  # (type, payload as `translate` gives it), or ("refused", Refused)


def prepare(messages: Sequence[Any], received: datetime | None = None, sent_at: Any = None) -> list[Prepared]:
    """Each message translated and checked (`translate`), or refused with its problems; events in a
    form that costs little to send (the API prepares messages before it hands them to the writer,
    whose process has more to do). `received`: when the server received them; `sent_at`: the
    batch's `sentAt`, for the messages without their own."""
    out: list[Prepared] = []
    for message in messages:
        try:
            kind, payload = translate(message, received=received, sent_at=sent_at)
        except InputError as exc:
            out.append(("refused", Refused(list(exc.problems))))
            continue
        out.append((kind, ParsedEvent.of(payload) if isinstance(payload, EventIn) else payload))
    return out


@dataclass(frozen=True)
class ApplyMessages:
    """`apply` as a write for the writer (the Segment endpoints): see `ingest.AddEvents`. `messages`:
    as `prepare` gives them."""

    messages: list[Prepared]

    def __call__(self, session: Session, ctx: Context) -> Done[SegmentOutcome]:
        outcome = apply(session, ctx, self.messages, live=False)
        return Done(outcome, outcome.causes)


def apply(session: Session, ctx: Context, messages: Sequence[Prepared], live: bool = True) -> SegmentOutcome:
    """Apply messages, as `prepare` gives them, in order; consecutive events go to
    `add_events` together. With `live=False` nothing is re-scored: the leads to re-score are in
    `causes`, for the caller to do before commit."""
    outcome = SegmentOutcome()
    pending: list[tuple[int, ParsedEvent]] = []

    def flush() -> None:
        if not pending:
            return
        result = ingest.add_events(session, ctx, [e for _, e in pending], live=live)
        outcome.causes.update(result.causes)
        outcome.accepted += result.accepted
        outcome.duplicates += result.duplicates
        outcome.rejected += [(pending[i][0], problems) for i, problems in result.rejected]
        outcome.notes += result.notes
        pending.clear()

    for index, (_kind, payload) in enumerate(messages):
        if isinstance(payload, Refused):
            outcome.rejected.append((index, list(payload.problems)))
            continue
        if isinstance(payload, ParsedEvent):
            pending.append((index, payload))
            continue
        flush()
        try:
            if isinstance(payload, LeadIn):
                with session.begin_nested():
                    result = ingest.upsert_lead(
                        session,
                        ctx,
                        payload,
                        cause=f"identify {payload.lead_id or payload.anonymous_id}",
                        live=live,
                    )
                outcome.causes.update(result.causes)
                outcome.notes += result.notes
                outcome.accepted += 1
            elif isinstance(payload, tuple):
                account, lead = payload
                with session.begin_nested():
                    result = ingest.upsert_account(session, ctx, account, live=live)
                    joined = (
                        ingest.upsert_lead(session, ctx, lead, cause=f"group {account.account_id}", live=live)
                        if lead is not None
                        else None
                    )
                outcome.causes.update(result.causes)
                if joined is not None:
                    outcome.causes.update(joined.causes)
                outcome.notes += result.notes
                outcome.accepted += 1
            else:  # alias
                outcome.accepted += 1
        except (InputError, Conflict) as exc:
            outcome.rejected.append((index, list(exc.problems)))
    flush()
    outcome.rejected.sort(key=lambda r: r[0])
    outcome.notes = list(dict.fromkeys(outcome.notes))
    return outcome


def translate(
    message: Any, kind: str | None = None, received: datetime | None = None, sent_at: Any = None
) -> tuple[str, Any]:
    """One Segment message as (type, EventIn | LeadIn | (AccountIn, LeadIn | None) | None); see
    `event_time` for `received` and `sent_at`."""
    if not isinstance(message, dict):
        raise InputError([Problem(f"expected a JSON object; got {type(message).__name__}")])
    kind = kind or message.get("type")
    if kind not in TYPES:
        raise InputError([Problem(f"type must be one of {', '.join(TYPES)}; got {kind!r}", path="type")])
    user_id = _text(message.get("userId"))
    anonymous_id = _text(message.get("anonymousId"))
    if kind != "group" and user_id is None and anonymous_id is None:
        raise InputError([Problem("a message needs a userId or an anonymousId", path="userId")])
    context: dict[str, Any] = message["context"] if isinstance(message.get("context"), dict) else {}
    if kind in ("track", "page", "screen"):
        time = event_time(message, received, sent_at)
        props = message.get("properties") or {}
        if not isinstance(props, dict):
            raise InputError([Problem(f"expected an object; got {props!r}", path="properties")])
        props = dict(props)
        if kind == "track":
            name = message.get("event")
            if not isinstance(name, str) or not snake(name):
                raise InputError([Problem("a track call needs the event's name", path="event")])
            event_type = snake(name)
        else:
            event_type = "page_viewed" if kind == "page" else "screen_viewed"
            page: dict[str, Any] = context["page"] if isinstance(context.get("page"), dict) else {}
            for key in PAGE_KEYS:
                if key not in props and page.get(key) is not None:
                    props[key] = page[key]
            for key in ("name", "category"):
                if message.get(key) is not None and key not in props:
                    props[key] = message[key]
        data = {
            "event_id": _text(message.get("messageId")),
            "lead_id": user_id,
            "anonymous_id": anonymous_id,
            "type": event_type,
            "time": time,
            "properties": props,
        }
        traits: dict[str, Any] = context["traits"] if isinstance(context.get("traits"), dict) else {}
        if isinstance(traits.get("email"), str) and user_id is None:
            data["email"] = traits["email"]
        fields = {**SEGMENT_FIELDS, "time": "timestamp" if message.get("timestamp") else "originalTimestamp"}
        try:
            return kind, ingest.parse(EventIn, {k: v for k, v in data.items() if v is not None})
        except InputError as exc:  # its problems named by the message's fields, not leadgate's
            raise InputError([_renamed(p, fields) for p in exc.problems]) from None
    if kind == "identify":
        return kind, _lead(message, user_id, anonymous_id)
    if kind == "group":
        group_id = _text(message.get("groupId"))
        if group_id is None:
            raise InputError([Problem("a group call needs a groupId", path="groupId")])
        traits = message.get("traits") or {}
        if not isinstance(traits, dict):
            raise InputError([Problem(f"expected an object; got {traits!r}", path="traits")])
        account = ingest.parse(AccountIn, _account_data(group_id, traits), "traits.")
        lead = None
        if user_id is not None or anonymous_id is not None:
            lead = ingest.parse(
                LeadIn,
                {k: v for k, v in (("lead_id", user_id), ("anonymous_id", anonymous_id)) if v}
                | {"account_id": account.account_id},
            )
        return kind, (account, lead)
    return kind, None


def _renamed(problem: Problem, fields: dict[str, str]) -> Problem:
    head, dot, rest = (problem.path or "").partition(".")
    if head not in fields:
        return problem
    return Problem(problem.message, path=fields[head] + dot + rest, hint=problem.hint)


def event_time(message: dict[str, Any], received: datetime | None, sent_at: Any = None) -> Any:
    """When a message's event happened, as Segment's spec has it (see the module's text): its
    `timestamp` as given; else its `originalTimestamp` moved by the client clock's skew, which
    `sentAt` (the message's, else `sent_at`, its batch's) against `received` shows; else its
    `originalTimestamp` as given; else None (the writer takes when it received the event)."""
    given = message.get("timestamp")
    if given:
        return given
    original = message.get("originalTimestamp")
    sent = message.get("sentAt") or sent_at
    if not original or not sent or received is None:
        return original or None
    return received - (instant(sent, "sentAt") - instant(original, "originalTimestamp"))


def instant(value: Any, path: str) -> datetime:
    """An ISO 8601 time of a message, or an `InputError` for the field at `path`."""
    try:
        return moment(value)  # type: ignore[no-any-return]
    except ValueError as exc:
        raise InputError([Problem(str(exc), path=path)]) from None


def _lead(message: dict[str, Any], user_id: str | None, anonymous_id: str | None) -> LeadIn:
    traits = message.get("traits") or {}
    if not isinstance(traits, dict):
        raise InputError([Problem(f"expected an object; got {traits!r}", path="traits")])
    data: dict[str, Any] = {"lead_id": user_id, "anonymous_id": anonymous_id}
    if traits.get("email"):
        data["email"] = traits["email"]
    created = traits.get("createdAt") or traits.get("created_at")
    if created:
        data["created_at"] = created
    for key in ("owner", "source"):
        if isinstance(traits.get(key), str):
            data[key] = traits[key]
    company = traits.get("company")
    if isinstance(company, dict) and (company.get("id") or company.get("website") or company.get("domain")):
        data["account"] = _account_data(_text(company.get("id")), company)
    data["fields"] = {snake(k): v for k, v in traits.items() if k not in LEAD_TRAITS}
    return ingest.parse(LeadIn, {k: v for k, v in data.items() if v is not None}, "traits.")  # type: ignore[no-any-return]


def _account_data(account_id: str | None, traits: dict[str, Any]) -> dict[str, Any]:
    domain = traits.get("domain") or traits.get("website")
    data: dict[str, Any] = {
        "account_id": account_id,
        "domain": domain if isinstance(domain, str) else None,
        "name": traits.get("name") if isinstance(traits.get("name"), str) else None,
        "fields": {snake(k): v for k, v in traits.items() if k not in ACCOUNT_TRAITS and k != "id"},
    }
    return {k: v for k, v in data.items() if v is not None}


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    return value.strip() or None if isinstance(value, str) else None
