"""A loaded definition: validated, every condition checked and compiled, immutable."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from leadgate.conditions import ValueType
from leadgate.definition import model
from leadgate.definition.rules import (
    Criterion,
    Disqualifier,
    EngagementRule,
    FitRule,
    PersonaRule,
    RollupRule,
    StageRule,
    Trigger,
)
from leadgate.errors import Problem


@dataclass(frozen=True, eq=False)
class Definition:
    spec: model.DefinitionSpec
    source: str
    lead_fields: Mapping[str, ValueType]  # by bare name, built-ins included
    account_fields: Mapping[str, ValueType]
    event_types: Mapping[str, Mapping[str, ValueType]]
    personas: tuple[PersonaRule, ...]
    default_persona: str
    rollups: tuple[RollupRule, ...]
    fit_rules: tuple[FitRule, ...]
    grades: tuple[tuple[str, float | None], ...]  # highest minimum first, the catch-all last
    disqualifiers: tuple[Disqualifier, ...]
    engagement_rules: tuple[EngagementRule, ...]
    engagement_cap: float | None
    criteria: tuple[Criterion, ...]
    criteria_required: int
    triggers: tuple[Trigger, ...]
    fast_track_stage: str
    funnel: tuple[str, ...]
    stage_rules: tuple[StageRule, ...]  # highest funnel stage first
    disqualified_stage: str
    warnings: tuple[Problem, ...] = ()  # legal, but probably not what the authors meant

    @property
    def name(self) -> str:
        return self.spec.name

    @cached_property
    def fingerprint(self) -> str:
        """A short hash of the definition's content: equal content, equal fingerprint."""
        text = json.dumps(self.spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def version(self) -> str:
        return self.spec.version or self.fingerprint

    @cached_property
    def criteria_by_id(self) -> Mapping[str, Criterion]:
        return {c.id: c for c in self.criteria}

    def review_due(self) -> date:
        return self.spec.agreed + timedelta(days=self.spec.review_every_days)

    def review_overdue(self, today: date) -> bool:
        return today > self.review_due()
