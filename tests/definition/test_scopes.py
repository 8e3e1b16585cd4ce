"""Which names each kind of rule may use: what is known at its step, and why a name is not."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from leadgate.errors import DefinitionError

if TYPE_CHECKING:
    from conftest import Build

VOCABULARY = """\
vocabulary:
  lead:
    seniority: {type: enum, values: [vp, manager]}
  account:
    employees: {type: number}
  events:
    page_viewed: {properties: {url: {type: string}}}
personas: {rules: [{id: buyer, when: "lead.seniority == 'vp'"}]}
rollups: [{id: contacts, measure: contacts}]
criteria: {items: [{id: budget, answers: [{value: confirmed, points: 10}]}]}
"""

ROLES = {
    "persona": "personas: {rules: [{id: p, when: %s}]}",
    "rollup": "rollups: [{id: r, measure: contacts, where: %s}]",
    "fit": "fit: {rules: [{id: f, when: %s, points: 1}]}",
    "disqualifier": "disqualifiers: [{id: d, when: %s, reason: r}]",
    "trigger": "fast_track: {triggers: [{id: t, when: %s, reason: r}]}",
    "stage": "stages: {MQL: %s}",
    "event": "engagement: {rules: [{id: e, event: page_viewed, when: %s, points: 1}]}",
}

CONDITIONS = {
    "profile": "lead.seniority == 'vp' and account.employees > 10 and lead.email_domain ends with '.com'",
    "persona": "persona == 'buyer'",
    "rollup": "account.contacts >= 2",
    "answers": "answers.budget == 'confirmed'",
    "calls": "calls.attempts >= 3 or calls.last_at within 7 days",
    "criteria": "criteria.passed or criteria.budget or criteria.met >= 1 or criteria.points > 5",
    "results": "score > 50 and grade == 'A' and fit > 1 and engagement > 1 and fast_track",
    "event property": "url contains '/pricing'",
}

# what each role may use, in the order rules are evaluated
ALLOWED = {
    "persona": {"profile"},
    "rollup": {"profile", "persona"},
    "fit": {"profile", "persona", "rollup"},
    "disqualifier": {"profile", "persona", "rollup", "answers", "calls"},
    "trigger": {"profile", "persona", "rollup", "answers", "calls", "criteria"},
    "stage": {"profile", "persona", "rollup", "answers", "calls", "criteria", "results"},
    "event": {"event property"},
}


def load(build: Build, role: str, condition: str) -> list[str]:
    section = ROLES[role] % ('"' + condition + '"')
    if role in ("persona", "rollup"):  # these sections are in the vocabulary block already: replace it
        key = "personas:" if role == "persona" else "rollups:"
        base = "\n".join(line for line in VOCABULARY.splitlines() if not line.startswith(key))
        text = base + "\n" + section + "\n"
    else:
        text = VOCABULARY + section + "\n"
    try:
        build.definition(text)
    except DefinitionError as exc:
        return [p.message for p in exc.problems]
    return []


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("what", list(CONDITIONS))
def test_a_rule_may_use_what_is_known_at_its_step(build: Build, role: str, what: str) -> None:
    problems = load(build, role, CONDITIONS[what])
    if what in ALLOWED[role]:
        assert problems == []
    else:
        assert len(problems) == 1
        assert "cannot be used in" in problems[0] or "unknown field" in problems[0]


@pytest.mark.parametrize(
    ("role", "condition", "message"),
    [
        (
            "persona",
            "persona == 'buyer'",
            "'persona' cannot be used in a persona rule: personas are decided from profile fields only",
        ),
        ("fit", "account.contacts >= 2", None),
        (
            "persona",
            "account.contacts >= 2",
            "'account.contacts' cannot be used in a persona rule: roll-ups are available in fit rules and later",
        ),
        (
            "fit",
            "answers.budget == 'confirmed'",
            "'answers.budget' cannot be used in a fit rule: call answers are available in disqualifiers and later",
        ),
        (
            "fit",
            "calls.attempts > 1",
            "'calls.attempts' cannot be used in a fit rule: call answers are available in disqualifiers and later",
        ),
        (
            "disqualifier",
            "criteria.passed",
            "'criteria.passed' cannot be used in a disqualifier: criteria are available in triggers and stage conditions",
        ),
        (
            "trigger",
            "score > 5",
            "'score' cannot be used in a trigger condition: the score is available in stage conditions",
        ),
        (
            "fit",
            "grade == 'A'",
            "'grade' cannot be used in a fit rule: the grade is available in stage conditions",
        ),
        (
            "event",
            "lead.seniority == 'vp'",
            "'lead.seniority' cannot be used in a rule on 'page_viewed' events (its properties): event rules test the event's own properties",
        ),
    ],
)
def test_a_name_used_too_early_says_when_it_becomes_available(
    build: Build, role: str, condition: str, message: str | None
) -> None:
    assert load(build, role, condition) == ([message] if message else [])


def test_event_triggers_test_the_events_properties(build: Build) -> None:
    text = (
        VOCABULARY
        + "fast_track: {triggers: [{id: t, event: page_viewed, when: \"url contains '/demo'\", reason: r}]}\n"
    )
    assert build.definition(text).triggers[0].guard is not None
    with pytest.raises(DefinitionError, match="unknown field 'persona' in a rule on 'page_viewed' events"):
        build.definition(
            VOCABULARY
            + "fast_track: {triggers: [{id: t, event: page_viewed, when: persona == 'buyer', reason: r}]}\n"
        )


def test_persona_values_are_the_rules_and_the_default(build: Build) -> None:
    problem = load(build, "fit", "persona == 'buyr'")
    assert problem == ["'persona' is one of 'buyer', 'unknown'; got 'buyr'"]


def test_grade_values_are_the_declared_grades(build: Build) -> None:
    assert load(build, "stage", "grade in ['a', 'B']") == []
    assert load(build, "stage", "grade == 'E'") == ["'grade' is one of 'A', 'B', 'C', 'D'; got 'E'"]


def test_answers_are_enums_of_the_declared_answers(build: Build) -> None:
    assert load(build, "disqualifier", "answers.budget == 'CONFIRMED'") == []
    assert load(build, "disqualifier", "answers.budget == 'confirm'") == [
        "'answers.budget' is one of 'confirmed'; got 'confirm'"
    ]
