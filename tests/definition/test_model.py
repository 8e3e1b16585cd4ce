"""The definition's schema: the checks each section makes beyond types, and what it compiles to."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from leadgate.conditions import Kind, ValueType
from leadgate.errors import DefinitionError
from leadgate.points import GRID

if TYPE_CHECKING:
    from conftest import Build


def problem_messages(build: Build, body: str) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        build.definition(body)
    return [p.message for p in caught.value.problems]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "vocabulary: {lead: {level: {type: enum}}}",
            "an enum field needs 'values': the list of allowed values",
        ),
        (
            "vocabulary: {lead: {size: {type: number, values: [a]}}}",
            "'values' is only for enum and list fields; this field is number",
        ),
        (
            "vocabulary: {lead: {level: {type: enum, values: [vp, VP]}}}",
            "'values' must not repeat a value (case is ignored)",
        ),
        (
            "fit: {grades: {A: 50, B: 10}}",
            "exactly one grade must have no minimum (null): the grade of leads below every other; found 0",
        ),
        (
            "fit: {grades: {A: 50, B: null, C: null}}",
            "exactly one grade must have no minimum (null): the grade of leads below every other; found 2",
        ),
        (
            "criteria: {require: 2, items: [{id: budget, answers: [{value: y}]}]}",
            "'require' is 2 but only 1 criteria are defined",
        ),
        (
            "criteria: {items: [{id: budget, answers: [{value: confirmed}, {value: Confirmed}]}]}",
            "criterion 'budget' lists an answer twice",
        ),
        ("rollups: [{id: n, measure: engaged_contacts}]", "measure 'engaged_contacts' needs 'within_days'"),
        (
            "rollups: [{id: n, measure: contacts, within_days: 30}]",
            "'within_days' is only for measure 'engaged_contacts', not 'contacts'",
        ),
        (
            "fast_track: {triggers: [{id: t, reason: r}]}",
            "a trigger needs 'event' (with an optional 'when') or a 'when' condition",
        ),
        (
            "fast_track: {triggers: [{id: t, when: score > 1, within_days: 3, reason: r}]}",
            "'within_days' is only for event triggers",
        ),
    ],
)
def test_sections_check_what_types_cannot(build: Build, body: str, message: str) -> None:
    assert problem_messages(build, body + "\n") == [message]


@pytest.mark.parametrize(
    "body",
    [
        "criteria: {items: [{id: budget, answers: []}]}",
        "engagement: {rules: [{id: a, event: e, points: 1, limit: {max: 0}}]}",
        "engagement: {rules: [{id: a, event: e, points: 1, max_points: 0}]}",
        "rollups: [{id: n, measure: everything}]",
        "vocabulary: {lead: {size: {type: integer}}}",
        "vocabulary: {lead: {size: {type: number, category: financial}}}",
        "vocabulary: {lead: {Size: {type: number}}}",
        "owners: {marketing: '', sales: s}",
        "disqualifiers: [{id: d, when: lead.id == 'x', reason: ''}]",
        "fit: {rules: [{id: a, when: '', points: 1}]}",
    ],
)
def test_values_outside_the_schema_are_rejected(build: Build, body: str) -> None:
    assert problem_messages(build, body + "\n")


# -- what a section compiles to ------------------------------------------------------------------------


def test_half_life_is_the_rules_else_the_default_and_none_without_decay(build: Build) -> None:
    definition = build.definition(
        """
        vocabulary: {events: {visit: {}}}
        engagement:
          half_life_days: 30
          rules:
            - {id: default, event: visit, points: 1}
            - {id: own, event: visit, points: 1, half_life_days: 7}
            - {id: never, event: visit, points: 1, decay: false}
        """
    )
    assert [r.half_life_days for r in definition.engagement_rules] == [30.0, 7.0, None]
    with pytest.raises(DefinitionError, match="'half_life_days' has no effect with 'decay: false'"):
        build.definition(
            "vocabulary: {events: {visit: {}}}\n"
            "engagement: {rules: [{id: a, event: visit, points: 1, decay: false, half_life_days: 7}]}\n"
        )
    assert (
        build.definition(
            "vocabulary: {events: {visit: {}}}\nengagement: {rules: [{id: a, event: visit, points: 1}]}\n"
        )
        .engagement_rules[0]
        .half_life_days
        is None
    )


def test_points_and_caps_are_put_on_the_grid(build: Build) -> None:
    definition = build.definition(
        """
        vocabulary: {events: {visit: {}}}
        fit: {grades: {A: 10.1, B: null}, rules: [{id: f, when: lead.id == 'x', points: 0.1}]}
        engagement:
          max_points: 33.3
          rules: [{id: e, event: visit, points: 0.3, max_points: 1.7}]
        criteria: {items: [{id: c, answers: [{value: y, points: 0.7}]}]}
        """
    )
    values = [
        definition.fit_rules[0].points,
        definition.grades[0][1],
        definition.engagement_cap,
        definition.engagement_rules[0].points,
        definition.engagement_rules[0].max_points,
        definition.criteria[0].answers["y"].points,
    ]
    for value in values:
        assert value is not None and (value * GRID).is_integer()
        assert value != round(value)  # still close to what was written, not rounded to a whole number


def test_limits_and_windows_are_kept(build: Build) -> None:
    rule = build.definition(
        """
        vocabulary: {events: {visit: {}}}
        engagement:
          rules: [{id: a, event: visit, points: 1, limit: {max: 3, per_days: 7}, within_days: 90}]
        """
    ).engagement_rules[0]
    assert (rule.limit_max, rule.limit_per_days, rule.within_days) == (3, 7.0, 90.0)


def test_grades_are_ordered_highest_minimum_first_with_the_catch_all_last(build: Build) -> None:
    definition = build.definition("fit: {grades: {C: 10, Z: null, A: 50, B: 30}}\n")
    assert definition.grades == (("A", 50.0), ("B", 30.0), ("C", 10.0), ("Z", None))


def test_an_answer_holds_when_it_earns_points_unless_told_otherwise(build: Build) -> None:
    criterion = build.definition(
        """
        criteria:
          items:
            - id: budget
              answers:
                - {value: confirmed, points: 10}
                - {value: planned, points: 0, holds: true}
                - {value: maybe, points: 5, holds: false}
                - {value: none, points: -5}
        """
    ).criteria[0]
    assert {v: a.holds for v, a in criterion.answers.items()} == {
        "confirmed": True,
        "planned": True,
        "maybe": False,
        "none": False,
    }
    assert criterion.label == "budget"  # the id when no label is given


def test_criteria_require_all_by_default(build: Build) -> None:
    body = "criteria: {%sitems: [{id: a, answers: [{value: y}]}, {id: b, answers: [{value: y}]}]}\n"
    assert build.definition(body % "").criteria_required == 2
    assert build.definition(body % "require: 1, ").criteria_required == 1


def test_stage_rules_run_from_the_highest_funnel_stage(build: Build) -> None:
    definition = build.definition(
        "funnel: [Lead, TQL, MQL, SQL]\nstages: {MQL: score > 10, TQL: score > 5, SQL: score > 20}\n"
    )
    assert [s.stage for s in definition.stage_rules] == ["SQL", "MQL", "TQL"]


def test_field_types_come_from_the_vocabulary(build: Build) -> None:
    definition = build.definition(
        """
        vocabulary:
          lead:
            seniority: {type: enum, values: [vp, manager]}
            interests: {type: list}
          account:
            employees: {type: number}
          events:
            page_viewed: {properties: {url: {type: string}}}
        """
    )
    assert definition.lead_fields["seniority"] == ValueType(Kind.ENUM, ("vp", "manager"))
    assert definition.lead_fields["interests"] == ValueType(Kind.LIST)
    assert definition.lead_fields["created_at"] == ValueType(Kind.DATETIME)
    assert definition.account_fields["employees"] == ValueType(Kind.NUMBER)
    assert definition.account_fields["domain"] == ValueType(Kind.STRING)
    assert definition.event_types == {"page_viewed": {"url": ValueType(Kind.STRING)}}


def test_named_lists_of_numbers_are_numbers(build: Build) -> None:
    definition = build.definition(
        "lists: {sizes: [10, 50.5]}\nvocabulary: {account: {employees: {type: number}}}\n"
        "fit: {rules: [{id: a, when: account.employees in @sizes, points: 1}]}\n"
    )
    test = definition.fit_rules[0].guard.test
    assert test({"account.employees": 10}, build.as_of) is True
    assert test({"account.employees": 50.5}, build.as_of) is True
    assert test({"account.employees": 11}, build.as_of) is False


def test_an_unquoted_yaml_boolean_in_a_list_or_answer_is_refused_with_advice(build: Build) -> None:
    with pytest.raises(DefinitionError) as caught:
        build.definition("lists: {countries: [SE, NO]}\n")
    assert "put the value in quotes" in str(caught.value)
    assert "lists.countries[1]" in str(caught.value)
    with pytest.raises(DefinitionError, match="put the value in quotes"):
        build.definition("criteria: {items: [{id: sample, answers: [{value: yes, points: 5}]}]}\n")


def test_two_grades_with_the_same_minimum_are_refused(build: Build) -> None:
    with pytest.raises(DefinitionError, match="two grades have the same minimum"):
        build.definition("fit: {grades: {A: 50, B: 50, C: null}}\n")
