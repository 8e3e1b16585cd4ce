"""The compiled parts of a definition: each rule with its checked condition and its predicate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from leadgate.conditions import Condition, Predicate


@dataclass(frozen=True)
class Guard:
    """A checked condition, the text it came from, and its compiled predicate."""

    text: str
    tree: Condition
    test: Predicate


@dataclass(frozen=True)
class PersonaRule:
    id: str
    guard: Guard
    description: str


@dataclass(frozen=True)
class RollupRule:
    id: str
    measure: str  # contacts | engaged_contacts | engagement
    where: Guard | None
    within_days: float | None
    description: str


@dataclass(frozen=True)
class FitRule:
    id: str
    guard: Guard
    points: float
    description: str


@dataclass(frozen=True)
class Disqualifier:
    id: str
    guard: Guard
    reason: str


@dataclass(frozen=True)
class EngagementRule:
    id: str
    event: str
    guard: Guard | None
    points: float
    max_points: float | None
    half_life_days: float | None  # effective: the rule's, else the default; None when it does not decay
    limit_max: int | None
    limit_per_days: float | None
    limit_keep: str  # latest | earliest
    within_days: float | None
    description: str


@dataclass(frozen=True)
class AnswerOption:
    value: str
    points: float
    holds: bool
    label: str


@dataclass(frozen=True)
class Criterion:
    id: str
    label: str
    question: str
    answers: Mapping[str, AnswerOption]  # by value, as declared
    required: bool


@dataclass(frozen=True)
class Trigger:
    id: str
    event: str | None
    guard: Guard | None
    within_days: float | None
    reason: str


@dataclass(frozen=True)
class StageRule:
    stage: str
    guard: Guard
