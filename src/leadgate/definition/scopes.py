"""Which names each kind of rule may use, and their types.

Rules are evaluated in a fixed order (personas, engagement, roll-ups, fit, disqualifiers, criteria,
triggers, stages); a rule may use what is known at its step. A name used too early gets an error saying
why, rather than "unknown field".
"""

from __future__ import annotations

from collections.abc import Mapping

from leadgate.conditions import Kind, Scope, ValueType
from leadgate.conditions.tree import Value
from leadgate.conditions.types import BOOLEAN, DATETIME, NUMBER, STRING
from leadgate.definition import model

LEAD_BUILTINS: dict[str, ValueType] = {
    "id": STRING,
    "email": STRING,
    "email_domain": STRING,
    "account_id": STRING,
    "created_at": DATETIME,
}
ACCOUNT_BUILTINS: dict[str, ValueType] = {"id": STRING, "domain": STRING, "name": STRING}
CALL_FIELDS: dict[str, ValueType] = {
    "calls.attempts": NUMBER,
    "calls.reached": NUMBER,
    "calls.last_at": DATETIME,
}
CRITERIA_SUMMARY = ("met", "passed", "points")

_LATER = {
    "engagement": "engagement is available in stage conditions",
    "score": "the score is available in stage conditions",
    "fit": "fit points are available in stage conditions",
    "grade": "the grade is available in stage conditions",
    "fast_track": "fast-track is available in stage conditions",
}


def value_type(spec: model.FieldSpec) -> ValueType:
    return ValueType(Kind(spec.type), tuple(spec.values or ()))


def lead_fields(spec: model.DefinitionSpec) -> dict[str, ValueType]:
    return {**LEAD_BUILTINS, **{n: value_type(f) for n, f in spec.vocabulary.lead.items()}}


def account_fields(spec: model.DefinitionSpec) -> dict[str, ValueType]:
    return {**ACCOUNT_BUILTINS, **{n: value_type(f) for n, f in spec.vocabulary.account.items()}}


def event_fields(event: model.EventType) -> dict[str, ValueType]:
    return {n: value_type(f) for n, f in event.properties.items()}


class Scopes:
    """The scope of every role in one definition."""

    def __init__(self, spec: model.DefinitionSpec, lists: Mapping[str, tuple[Value, ...]]) -> None:
        self.lists = lists
        profile = {f"lead.{n}": t for n, t in lead_fields(spec).items()}
        profile |= {f"account.{n}": t for n, t in account_fields(spec).items()}
        personas = tuple(dict.fromkeys([*(p.id for p in spec.personas.rules), spec.personas.default]))
        persona = {"persona": ValueType(Kind.ENUM, personas)}
        rollups = {f"account.{r.id}": NUMBER for r in spec.rollups}
        answers = {
            f"answers.{c.id}": ValueType(Kind.ENUM, tuple(a.value for a in c.answers))
            for c in spec.criteria.items
        }
        criteria = {f"criteria.{c.id}": BOOLEAN for c in spec.criteria.items}
        criteria |= {"criteria.met": NUMBER, "criteria.passed": BOOLEAN, "criteria.points": NUMBER}
        grades = ValueType(Kind.ENUM, tuple(spec.fit.grades))
        results = {
            "fit": NUMBER,
            "grade": grades,
            "engagement": NUMBER,
            "score": NUMBER,
            "fast_track": BOOLEAN,
        }
        later = dict(_LATER)
        later |= {n: "personas are decided from profile fields only" for n in persona}
        later |= {n: "roll-ups are available in fit rules and later" for n in rollups}
        later |= {n: "call answers are available in disqualifiers and later" for n in answers}
        later |= {n: "call answers are available in disqualifiers and later" for n in CALL_FIELDS}
        later |= {n: "criteria are available in triggers and stage conditions" for n in criteria}

        self.persona = self._scope("a persona rule", profile, later)
        self.rollup = self._scope("a roll-up's 'where'", profile | persona, later)
        self.fit = self._scope("a fit rule", profile | persona | rollups, later)
        self.disqualifier = self._scope(
            "a disqualifier", profile | persona | rollups | answers | CALL_FIELDS, later
        )
        self.trigger = self._scope(
            "a trigger condition", profile | persona | rollups | answers | CALL_FIELDS | criteria, later
        )
        self.stage = self._scope(
            "a stage condition", profile | persona | rollups | answers | CALL_FIELDS | criteria | results, {}
        )
        self.events = {
            name: Scope(
                f"a rule on '{name}' events (its properties)",
                event_fields(event),
                lists,
                {n: "event rules test the event's own properties" for n in profile},
            )
            for name, event in spec.vocabulary.events.items()
        }

    def _scope(self, role: str, fields: dict[str, ValueType], later: dict[str, str]) -> Scope:
        return Scope(role, fields, self.lists, {n: why for n, why in later.items() if n not in fields})
