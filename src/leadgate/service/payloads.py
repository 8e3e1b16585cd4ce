"""What the service accepts: one schema per use (`LeadIn`, `EventIn`, …), shared by the REST API,
the Segment translation and `leadgate import`.

Top-level keys are checked (an unknown key is an error, so a typo is not silently ignored); the
profile `fields` and event `properties` are checked against the active definition's vocabulary when
they are stored (see `vocabulary`). Times are ISO 8601; one without a time zone is taken as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from leadgate.data.values import BadValue, time_value
from leadgate.errors import Problem
from leadgate.records import CALL_OUTCOMES


def moment(value: Any) -> Any:
    """An ISO 8601 time (or a datetime) as an aware datetime in UTC; one without a zone is UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 timestamp (2026-05-04T10:12:00Z); got {value!r}")
    try:
        return time_value(value)
    except BadValue as exc:
        raise ValueError(str(exc)) from None


Moment = Annotated[datetime, BeforeValidator(moment)]
Id = Annotated[str, Field(min_length=1, max_length=200)]
Outcome = Literal["reached", "voicemail", "no_answer"]
assert set(Outcome.__args__) == set(CALL_OUTCOMES)  # type: ignore[attr-defined]
# checked field by field, so a bad one is reported with its field's name
Email = Annotated[str, Field(max_length=320), AfterValidator(lambda text: normalise_email(text))]
Domain = Annotated[
    str, Field(min_length=3, max_length=255), AfterValidator(lambda text: normalise_domain(text))
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AccountIn(_In):
    """An account (company). Identified by `account_id`, else by `domain` (which then is its id)."""

    account_id: Id | None = None
    domain: Domain | None = None
    name: Annotated[str, Field(max_length=500)] | None = None
    fields: dict[str, Any] = Field(default_factory=dict, description="profile fields of the vocabulary")

    @model_validator(mode="after")
    def _identified(self) -> AccountIn:
        if self.account_id is None and self.domain is None:
            raise ValueError("an account needs an account_id or a domain")
        return self


class LeadIn(_In):
    """Create or update a lead. It is found by `lead_id`, else `email`, else `anonymous_id`.

    Only the keys given change: a field set to null is removed. The account is the one given
    (`account_id`, or `account` to create or update it), else the account whose domain is the email's.
    """

    lead_id: Id | None = None
    email: Email | None = None
    anonymous_id: Id | None = None
    account_id: Id | None = None
    account: AccountIn | None = None
    owner: Annotated[str, Field(max_length=200)] | None = None
    source: Annotated[str, Field(max_length=100)] | None = None
    created_at: Moment | None = None
    fields: dict[str, Any] = Field(default_factory=dict, description="profile fields of the vocabulary")

    @model_validator(mode="after")
    def _identified(self) -> LeadIn:
        if self.lead_id is None and self.email is None and self.anonymous_id is None:
            raise ValueError("a lead needs a lead_id, an email or an anonymous_id")
        if self.account_id is not None and self.account is not None:
            raise ValueError("give account_id or account, not both")
        return self


class EventIn(_In):
    """Something a lead did. `event_id` makes it idempotent: the same id twice is stored once."""

    event_id: Id | None = None
    lead_id: Id | None = None
    email: Email | None = None
    anonymous_id: Id | None = None
    type: Annotated[str, Field(min_length=1, max_length=100)]
    time: Moment | None = Field(default=None, description="when it happened; default: when received")
    properties: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _identified(self) -> EventIn:
        if self.lead_id is None and self.email is None and self.anonymous_id is None:
            raise ValueError("an event needs the lead's lead_id, email or anonymous_id")
        return self


class ParsedEvent(NamedTuple):
    """An `EventIn` as checked, in a form that costs little to send to the writer's process (the API
    parses events before it hands them over: see `ingest.parse_events`). Read like an `EventIn`."""

    event_id: str | None
    lead_id: str | None
    email: str | None
    anonymous_id: str | None
    type: str
    time: datetime | None
    properties: dict[str, Any]

    @classmethod
    def of(cls, event: EventIn) -> ParsedEvent:
        return cls(
            event.event_id,
            event.lead_id,
            event.email,
            event.anonymous_id,
            event.type,
            event.time,
            event.properties,
        )


class Refused(NamedTuple):
    """An item refused when it was parsed: its problems, reported by its index with the others."""

    problems: list[Problem]


class EventBatchIn(_In):
    events: Annotated[list[dict[str, Any]], Field(min_length=1)]


class CallIn(_In):
    """A qualification call attempt. Only a reached call may carry answers (criterion id → answer)."""

    call_id: Id | None = None
    called_at: Moment | None = Field(default=None, description="default: when received")
    caller: Annotated[str, Field(max_length=200)] | None = None
    outcome: Outcome
    answers: dict[str, str] = Field(default_factory=dict)
    notes: Annotated[str, Field(max_length=20_000)] | None = None

    @model_validator(mode="after")
    def _answers_need_reach(self) -> CallIn:
        if self.answers and self.outcome != "reached":
            raise ValueError(f"only a reached call has answers; this call's outcome is {self.outcome}")
        return self


def normalise_email(text: str) -> str:
    email = text.strip().lower()
    if email.count("@") != 1 or email.startswith("@") or email.endswith("@") or " " in email:
        raise ValueError(f"expected an email address (name@domain); got {text!r}")
    return email


def normalise_domain(text: str) -> str:
    """`https://www.Example.com/about` → `example.com`."""
    domain = text.strip().lower()
    for prefix in ("https://", "http://"):
        domain = domain.removeprefix(prefix)
    domain = domain.split("/", 1)[0].removeprefix("www.")
    if "." not in domain or " " in domain:
        raise ValueError(f"expected a domain (example.com); got {text!r}")
    return domain
