"""The plain data the scoring core works on: accounts, leads, events and qualification calls.

Readers (files, the service's store) build these; the evaluator takes them and `as_of`, nothing else.
Field values are already in their declared types: numbers, booleans, aware UTC datetimes, tuples of
strings for lists; a missing value is absent from `fields`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CALL_OUTCOMES = ("reached", "voicemail", "no_answer")


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    domain: str | None = None
    name: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Lead:
    lead_id: str
    email: str | None = None
    account_id: str | None = None
    created_at: datetime | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def email_domain(self) -> str | None:
        if not self.email or "@" not in self.email:
            return None
        return self.email.rsplit("@", 1)[1].lower()


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    lead_id: str
    type: str
    time: datetime  # aware
    properties: Mapping[str, Any] = field(default_factory=dict)
    ts: float = field(init=False, repr=False, compare=False)  # `time` in epoch seconds, for scoring

    def __post_init__(self) -> None:
        object.__setattr__(self, "ts", self.time.timestamp())


@dataclass(frozen=True, slots=True)
class Call:
    """One qualification call attempt; a reached call may carry answers to sales criteria."""

    call_id: str
    lead_id: str
    called_at: datetime
    outcome: str  # reached | voicemail | no_answer
    answers: Mapping[str, str] = field(default_factory=dict)  # criterion id -> answer value
