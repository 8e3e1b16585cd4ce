"""The definition file's schema (Pydantic): what a user writes, checked field by field.

Conditions are kept as text here; `leadgate.definition.load` parses and type-checks them against the
vocabulary. Every model forbids unknown keys, so a misspelt key is an error, not a silent default.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    model_validator,
)

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
RuleId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80)]
ConditionText = Annotated[str, Field(min_length=1)]
Points = Annotated[float, Field(ge=-1_000_000, le=1_000_000, allow_inf_nan=False)]
FieldType = Literal["string", "number", "boolean", "date", "datetime", "enum", "list"]
Category = Literal["demographic", "firmographic", "psychographic", "behavioural", "custom"]
IDENTIFIER_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Owners(Strict):
    """Who agreed to the definition, on each side of the handoff."""

    marketing: str = Field(min_length=1)
    sales: str = Field(min_length=1)


class FieldSpec(Strict):
    """One field of the vocabulary."""

    type: FieldType
    values: tuple[str, ...] | None = None  # enum: allowed values (required); list: allowed items (optional)
    category: Category = "custom"
    description: str = ""
    column: str | None = None  # the data column when it is named differently

    @model_validator(mode="after")
    def _values_fit_type(self) -> FieldSpec:
        if self.type == "enum" and not self.values:
            raise ValueError("an enum field needs 'values': the list of allowed values")
        if self.values is not None and self.type not in ("enum", "list"):
            raise ValueError(f"'values' is only for enum and list fields; this field is {self.type}")
        if self.values is not None and len({v.lower() for v in self.values}) != len(self.values):
            raise ValueError("'values' must not repeat a value (case is ignored)")
        return self


class EventType(Strict):
    """One kind of event, with the properties its rules may test."""

    description: str = ""
    properties: dict[Identifier, FieldSpec] = {}


class Vocabulary(Strict):
    lead: dict[Identifier, FieldSpec] = {}
    account: dict[Identifier, FieldSpec] = {}
    events: dict[Identifier, EventType] = {}


class Persona(Strict):
    id: Identifier
    when: ConditionText
    description: str = ""


class Personas(Strict):
    """Checked in order; a lead takes the first persona whose condition holds, else `default`."""

    default: Identifier = "unknown"
    rules: tuple[Persona, ...] = ()


class Rollup(Strict):
    """A measure over all the leads of an account, usable in rules as `account.<id>`."""

    id: Identifier
    measure: Literal["contacts", "engaged_contacts", "engagement"]
    where: ConditionText | None = None  # which of the account's leads count (lead, account fields, persona)
    within_days: PositiveFloat | None = None  # engaged_contacts: engaged in the last N days
    description: str = ""

    @model_validator(mode="after")
    def _window_fits_measure(self) -> Rollup:
        if self.measure == "engaged_contacts" and self.within_days is None:
            raise ValueError("measure 'engaged_contacts' needs 'within_days'")
        if self.measure != "engaged_contacts" and self.within_days is not None:
            raise ValueError(f"'within_days' is only for measure 'engaged_contacts', not {self.measure!r}")
        return self


class FitRule(Strict):
    id: RuleId
    when: ConditionText
    points: Points
    description: str = ""


def _default_grades() -> dict[str, float | None]:
    return {"A": 60.0, "B": 40.0, "C": 20.0, "D": None}


class Fit(Strict):
    """Fit rules add up to fit points; `grades` maps each grade to the least fit points it needs."""

    grades: dict[Annotated[str, Field(min_length=1, max_length=8)], Points | None] = Field(
        default_factory=_default_grades
    )
    rules: tuple[FitRule, ...] = ()

    @model_validator(mode="after")
    def _one_catch_all_grade(self) -> Fit:
        minimums = [least for least in self.grades.values() if least is not None]
        if len(set(minimums)) != len(minimums):
            raise ValueError("two grades have the same minimum: the second could never be given")
        open_ended = [g for g, least in self.grades.items() if least is None]
        if len(open_ended) != 1:
            raise ValueError(
                "exactly one grade must have no minimum (null): the grade of leads below every other; "
                f"found {len(open_ended)}"
            )
        return self


class Disqualifier(Strict):
    id: RuleId
    when: ConditionText
    reason: str = Field(min_length=1)


class Limit(Strict):
    """Count at most `max` events, in all or in each window of `per_days` days.

    `keep: latest` (the default) counts the most recent ones, whose points have faded least;
    `keep: earliest` counts the first times only.
    """

    max: PositiveInt
    per_days: PositiveFloat | None = None
    keep: Literal["latest", "earliest"] = "latest"


class EngagementRule(Strict):
    id: RuleId
    event: Identifier
    when: ConditionText | None = None  # over the event's properties
    points: Points
    max_points: PositiveFloat | None = None  # cap on this rule's total (its size, for negative rules)
    half_life_days: PositiveFloat | None = None  # overrides the engagement default
    decay: bool = True  # false: points never fade
    limit: Limit | None = None
    within_days: PositiveFloat | None = None  # only events in the last N days count
    description: str = ""

    @model_validator(mode="after")
    def _decay_or_half_life(self) -> EngagementRule:
        if not self.decay and self.half_life_days is not None:
            raise ValueError("'half_life_days' has no effect with 'decay: false'; keep one of them")
        return self


class Engagement(Strict):
    half_life_days: PositiveFloat | None = None  # default for every rule; none: no decay
    max_points: PositiveFloat | None = None  # cap on the engagement total
    rules: tuple[EngagementRule, ...] = ()


def _not_a_yaml_boolean(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError(
            f"got {str(value).lower()}: YAML reads unquoted yes/no/on/off/true/false as true or false; "
            "put the value in quotes (e.g. 'no')"
        )
    return value


class Answer(Strict):
    value: Annotated[str, Field(min_length=1), BeforeValidator(_not_a_yaml_boolean)]
    points: Points = 0.0
    holds: bool | None = None  # whether this answer meets the criterion; default: points > 0
    label: str = ""


class Criterion(Strict):
    id: Identifier
    label: str = ""
    question: str = ""
    answers: tuple[Answer, ...] = Field(min_length=1)
    required: bool = False  # must hold for the criteria to pass, whatever the count

    @model_validator(mode="after")
    def _distinct_answers(self) -> Criterion:
        values = [a.value.lower() for a in self.answers]
        if len(set(values)) != len(values):
            raise ValueError(f"criterion {self.id!r} lists an answer twice")
        return self


class Criteria(Strict):
    """Sales criteria answered in qualification calls: they pass when `require` of them hold."""

    require: PositiveInt | None = None  # K of N; default: all
    items: tuple[Criterion, ...] = ()

    @model_validator(mode="after")
    def _k_of_n(self) -> Criteria:
        if self.require is not None and self.require > len(self.items):
            raise ValueError(f"'require' is {self.require} but only {len(self.items)} criteria are defined")
        return self


class Trigger(Strict):
    """An event (with conditions on its properties) or a state that makes a lead sales-ready at once."""

    id: RuleId
    event: Identifier | None = None
    when: ConditionText | None = None
    within_days: PositiveFloat | None = None  # event triggers: only events in the last N days
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _event_or_state(self) -> Trigger:
        if self.event is None and self.when is None:
            raise ValueError("a trigger needs 'event' (with an optional 'when') or a 'when' condition")
        if self.event is None and self.within_days is not None:
            raise ValueError("'within_days' is only for event triggers")
        return self


class FastTrack(Strict):
    stage: str = "MQL"
    triggers: tuple[Trigger, ...] = ()


class DefinitionSpec(Strict):
    """The whole definition file."""

    name: str = Field(min_length=1)
    description: str = ""
    version: str | None = None
    owners: Owners
    agreed: date
    review_every_days: PositiveInt = 180
    lists: dict[Identifier, tuple[Annotated[str | float, BeforeValidator(_not_a_yaml_boolean)], ...]] = {}
    vocabulary: Vocabulary = Vocabulary()
    personas: Personas = Personas()
    rollups: tuple[Rollup, ...] = ()
    fit: Fit = Fit()
    disqualifiers: tuple[Disqualifier, ...] = ()
    engagement: Engagement = Engagement()
    criteria: Criteria = Criteria()
    fast_track: FastTrack = FastTrack()
    funnel: tuple[Annotated[str, Field(min_length=1)], ...] = ("Lead", "MQL", "SQL")
    disqualified_stage: str = "Disqualified"
    stages: dict[str, ConditionText] = {}
