"""What scoring returns: the numbers, the decision, and the trace that explains them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

import orjson

from leadgate.points import show

Kind = Literal["fit", "engagement", "engagement_cap", "criteria", "disqualifier", "fast_track"]


@dataclass(frozen=True, slots=True)
class Contribution:
    """One rule's part in a lead's result. The points of all contributions add up to the score."""

    kind: Kind
    rule: str
    points: float
    reason: str
    events: int = 0  # engagement: how many events counted
    raw_points: float = 0.0  # engagement: the rule's points before its cap

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rule": self.rule,
            "points": self.points,
            "reason": self.reason,
            "events": self.events,
            "raw_points": self.raw_points,
        }


@dataclass(frozen=True, slots=True)
class LeadScore:
    lead_id: str
    account_id: str | None
    as_of: datetime
    definition_version: str
    score: float
    fit: float
    grade: str
    engagement: float
    criteria: float
    criteria_met: tuple[str, ...]
    criteria_passed: bool
    persona: str
    disqualified: bool
    disqualified_reasons: tuple[str, ...]
    fast_track: str | None
    stage: str
    trace: tuple[Contribution, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        """The decision in a few words: disqualifiers, the fast-track trigger, then the biggest points."""
        out = [f"disqualified: {r}" for r in self.disqualified_reasons]
        out += [f"fast-track: {c.reason}" for c in self.trace if c.kind == "fast_track"]
        scored = [c for c in self.trace if c.points]
        scored.sort(key=_weight)
        out += [_line(c.points, c.reason) for c in scored[:4]]
        return tuple(out)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "account_id": self.account_id,
            "as_of": self.as_of.isoformat().replace("+00:00", "Z"),
            "definition_version": self.definition_version,
            "score": self.score,
            "fit": self.fit,
            "grade": self.grade,
            "engagement": self.engagement,
            "criteria": self.criteria,
            "criteria_met": list(self.criteria_met),
            "criteria_passed": self.criteria_passed,
            "persona": self.persona,
            "disqualified": self.disqualified,
            "disqualified_reasons": list(self.disqualified_reasons),
            "fast_track": self.fast_track,
            "stage": self.stage,
            "reasons": list(self.reasons),
            "trace": [c.as_dict() for c in self.trace],
        }

    def as_json(self, **extra: Any) -> bytes:
        """`as_dict()`, with `extra` keys, as JSON."""
        document = self.as_dict()
        document.update(extra)
        return orjson.dumps(document)


def _weight(c: Contribution) -> tuple[float, str]:
    return (-abs(c.points), c.rule)


@lru_cache(maxsize=8192)
def _line(points: float, reason: str) -> str:
    """A reason line: a rule's fit points and reasons come back lead after lead."""
    return f"{'+' if points > 0 else ''}{show(points)} {reason}"
