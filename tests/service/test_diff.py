"""`diff`: what changed between two definitions, in words (no store needed)."""

from __future__ import annotations

from typing import Any

from leadgate.definition import load_text
from leadgate.service.diff import Difference, diff
from service.support import EXAMPLE_DEFINITION, EXAMPLE_TEXT

VOCABULARY = """
vocabulary:
  lead:
    seniority: {type: enum, values: [vp, manager]}
  account:
    employees: {type: number}
"""
OLD = (
    VOCABULARY
    + """
fit:
  grades: {A: 30, B: 10, C: null}
  rules:
    - {id: big, when: "account.employees > 100", points: 10}
    - {id: senior, when: "lead.seniority == 'vp'", points: 20}
    - {id: gone, when: "account.employees < 10", points: -5}
"""
)
NEW = (
    VOCABULARY
    + """
fit:
  grades: {A: 40, B: 10, C: null}
  rules:
    - {id: big, when: "account.employees > 100", points: 15}
    - {id: senior, when: "lead.seniority in ['vp', 'manager']", points: 20}
    - {id: mid, when: "account.employees between 50 and 100", points: 5}
"""
)


def by_what(changes: list[Difference]) -> dict[str, Difference]:
    return {c.what: c for c in changes}


def test_rules_added_removed_and_changed(build: Any) -> None:
    changes = by_what(diff(build.definition(OLD), build.definition(NEW)))
    assert set(changes) == {"fit rule mid", "fit rule gone", "fit rule big", "fit rule senior", "grade A"}

    assert changes["fit rule mid"].kind == "added"
    assert "between 50 and 100" in changes["fit rule mid"].detail
    assert changes["fit rule gone"].kind == "removed"
    assert "account.employees < 10" in changes["fit rule gone"].detail

    points = changes["fit rule big"]
    assert points.kind == "changed"
    assert points.detail == "points 10 → 15"  # as written, not 10.0
    assert "when" not in points.detail  # only what changed

    condition = changes["fit rule senior"]
    assert condition.kind == "changed"
    assert condition.detail == "when \"lead.seniority == 'vp'\" → \"lead.seniority in ['vp', 'manager']\""
    assert "points" not in condition.detail

    grade = changes["grade A"]
    assert grade.kind == "changed"
    assert grade.detail == "30 → 40"
    assert str(grade) == f"changed grade A: {grade.detail}"


def test_the_same_definition_has_no_differences(build: Any) -> None:
    assert diff(build.definition(OLD), build.definition(OLD)) == []
    assert diff(EXAMPLE_DEFINITION, EXAMPLE_DEFINITION) == []


def test_settings_stages_vocabulary_and_order_in_words() -> None:
    personas = (
        "    - {id: decision_maker, when: \"lead.seniority in ['c_level', 'vp']\"}\n"
        "    - {id: influencer, when: \"lead.seniority in ['director', 'manager']\"}\n"
    )
    swapped = "".join(reversed(personas.splitlines(keepends=True)))
    text = (
        EXAMPLE_TEXT.replace("half_life_days: 30\n", "half_life_days: 45\n")
        .replace("engagement >= 40", "engagement >= 50")
        .replace(personas, swapped)
        .replace("    email_unsubscribed: {}\n", "    email_unsubscribed: {}\n    chat_started: {}\n")
        .replace(
            "{id: email-click, event: email_clicked, points: 2,",
            "{id: email-click, event: email_clicked, points: 3,",
        )
    )
    assert text.count("engagement >= 50") == 1 and text.count("chat_started") == 1
    changes = by_what(diff(EXAMPLE_DEFINITION, load_text(text, "changed.yaml")))
    assert set(changes) == {
        "setting engagement.half_life_days",
        "stage condition MQL",
        "order of personas",
        "event type chat_started",
        "engagement rule email-click",
    }
    assert changes["setting engagement.half_life_days"].detail.startswith("30")
    assert "engagement >= 50" in changes["stage condition MQL"].detail
    assert changes["order of personas"].detail == "decision_maker, influencer → influencer, decision_maker"
    assert changes["event type chat_started"].kind == "added"
    assert changes["engagement rule email-click"].detail.startswith("points 2")
