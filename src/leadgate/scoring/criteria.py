"""Sales criteria from qualification calls: the latest answer to each criterion counts.

Only calls with `called_at <= as_of` count. For each criterion the answer of the latest reached call
that answered it is taken (ties on time: the greatest answer value). Answers to criteria the definition
does not have, and values it does not allow, are ignored here (the readers reject or report them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadgate.definition import Definition
from leadgate.records import Call
from leadgate.scoring.result import Contribution


@dataclass(frozen=True, slots=True)
class CriteriaResult:
    answers: dict[str, str]  # criterion id -> current answer
    met: tuple[str, ...]  # criteria that hold, in definition order
    passed: bool
    points: float
    contributions: tuple[Contribution, ...]
    attempts: int
    reached: int
    last_call_at: datetime | None

    def context(self) -> dict[str, Any]:
        """The names call data gives conditions: `answers.*` and `calls.*`."""
        ctx: dict[str, Any] = {f"answers.{c}": v for c, v in self.answers.items()}
        ctx["calls.attempts"] = float(self.attempts)
        ctx["calls.reached"] = float(self.reached)
        ctx["calls.last_at"] = self.last_call_at
        return ctx

    def criteria_context(self, definition: Definition) -> dict[str, Any]:
        """`criteria.<id>`, `criteria.met`, `criteria.passed`, `criteria.points`."""
        met = set(self.met)
        ctx: dict[str, Any] = {f"criteria.{c.id}": c.id in met for c in definition.criteria}
        ctx["criteria.met"] = float(len(self.met))
        ctx["criteria.passed"] = self.passed
        ctx["criteria.points"] = self.points
        return ctx


def score_criteria(definition: Definition, calls: Iterable[Call], as_of: datetime) -> CriteriaResult:
    latest: dict[str, tuple[datetime, str]] = {}
    attempts = reached = 0
    last_at: datetime | None = None
    known = definition.criteria_by_id
    for call in calls:
        if call.called_at > as_of:
            continue
        attempts += 1
        last_at = call.called_at if last_at is None else max(last_at, call.called_at)
        if call.outcome != "reached":
            continue
        reached += 1
        for criterion_id, value in call.answers.items():
            if criterion_id not in known or value not in known[criterion_id].answers:
                continue
            candidate = (call.called_at, value)
            if criterion_id not in latest or candidate > latest[criterion_id]:
                latest[criterion_id] = candidate
    answers: dict[str, str] = {}
    met: list[str] = []
    contributions: list[Contribution] = []
    for criterion in definition.criteria:
        if criterion.id not in latest:
            continue
        value = latest[criterion.id][1]
        option = criterion.answers[value]
        answers[criterion.id] = value
        if option.holds:
            met.append(criterion.id)
        reason = f"{criterion.label}: {option.label or value}" + (" (holds)" if option.holds else "")
        contributions.append(Contribution("criteria", criterion.id, option.points, reason))
    required_ok = all(c.id in met for c in definition.criteria if c.required)
    passed = bool(definition.criteria) and len(met) >= definition.criteria_required and required_ok
    return CriteriaResult(
        answers=answers,
        met=tuple(met),
        passed=passed,
        points=sum((c.points for c in contributions), 0.0),
        contributions=tuple(contributions),
        attempts=attempts,
        reached=reached,
        last_call_at=last_at,
    )
