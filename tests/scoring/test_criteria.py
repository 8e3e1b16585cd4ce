"""Sales criteria from qualification calls: the latest answer, K of N, required criteria, calls.*."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import pytest

from leadgate.scoring import score_lead
from leadgate.scoring.criteria import score_criteria

if TYPE_CHECKING:
    from conftest import Build
    from leadgate.definition import Definition

BANT = """\
criteria:
  require: {require}
  items:
    - id: budget
      label: Budget
      answers:
        - {{value: confirmed, points: 15}}
        - {{value: planned, points: 5, holds: true}}
        - {{value: none, points: -10}}
    - id: authority
      label: Authority
      required: {required}
      answers:
        - {{value: decision_maker, points: 10, label: signs the contract}}
        - {{value: none, points: 0}}
    - id: need
      answers:
        - {{value: urgent, points: 10}}
        - {{value: unclear, points: 5, holds: false}}
"""


def bant(build: Build, require: int = 2, required: bool = False, more: str = "") -> Definition:
    text = BANT.format(require=require, required="true" if required else "false")
    return build.definition(text + textwrap.dedent(more).lstrip("\n"))


def test_the_latest_answer_to_each_criterion_counts(build: Build) -> None:
    calls = [
        build.call(10, budget="none", need="unclear"),
        build.call(5, budget="planned"),
        build.call(2, budget="confirmed"),
        build.call(1, authority="decision_maker"),
    ]
    result = score_criteria(bant(build), calls, build.as_of)
    assert result.answers == {"budget": "confirmed", "authority": "decision_maker", "need": "unclear"}
    assert result.met == ("budget", "authority")  # in definition order
    assert result.points == 15 + 10 + 5
    assert [(c.kind, c.rule, c.points) for c in result.contributions] == [
        ("criteria", "budget", 15.0),
        ("criteria", "authority", 10.0),
        ("criteria", "need", 5.0),
    ]


def test_the_answer_order_in_the_input_does_not_matter(build: Build) -> None:
    calls = [build.call(1, budget="none"), build.call(3, budget="confirmed")]
    assert score_criteria(bant(build), calls, build.as_of).answers["budget"] == "none"
    assert score_criteria(bant(build), calls[::-1], build.as_of).answers["budget"] == "none"


@pytest.mark.parametrize("order", [1, -1])
def test_answers_at_the_same_time_take_the_greatest_value(build: Build, order: int) -> None:
    calls = [build.call(1, budget="confirmed"), build.call(1, budget="planned"), build.call(1, budget="none")]
    result = score_criteria(bant(build), calls[::order], build.as_of)
    assert result.answers["budget"] == "planned"  # "planned" > "none" > "confirmed"


def test_calls_after_as_of_are_ignored(build: Build) -> None:
    calls = [build.call(3, budget="none"), build.call(-1, budget="confirmed"), build.call(-2, "no_answer")]
    result = score_criteria(bant(build), calls, build.as_of)
    assert result.answers == {"budget": "none"}
    assert (result.attempts, result.reached) == (1, 1)
    assert result.last_call_at == build.ago(3)


def test_only_reached_calls_give_answers_but_every_call_is_an_attempt(build: Build) -> None:
    calls = [
        build.call(5, "no_answer"),
        build.call(4, "voicemail", budget="confirmed"),
        build.call(2, "reached"),
    ]
    result = score_criteria(bant(build), calls, build.as_of)
    assert result.answers == {}
    assert result.contributions == ()
    assert (result.attempts, result.reached, result.last_call_at) == (3, 1, build.ago(2))


def test_answers_the_definition_does_not_know_are_ignored(build: Build) -> None:
    calls = [build.call(1, budget="Confirmed", timeline="this_quarter", need="urgent")]
    result = score_criteria(bant(build), calls, build.as_of)
    assert result.answers == {"need": "urgent"}


def test_without_calls_nothing_is_met(build: Build) -> None:
    result = score_criteria(bant(build), [], build.as_of)
    assert (result.met, result.passed, result.points, result.attempts) == ((), False, 0.0, 0)
    assert result.last_call_at is None


# -- K of N and required -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "passed"),
    [
        ({"budget": "confirmed", "authority": "decision_maker"}, True),
        ({"budget": "planned", "need": "urgent"}, True),
        ({"budget": "confirmed", "need": "unclear"}, False),  # unclear earns points but does not hold
        ({"budget": "none", "authority": "none", "need": "urgent"}, False),
        ({"budget": "confirmed", "authority": "decision_maker", "need": "urgent"}, True),
    ],
)
def test_criteria_pass_when_k_of_them_hold(build: Build, answers: dict[str, str], passed: bool) -> None:
    result = score_criteria(bant(build, require=2), [build.call(1, **answers)], build.as_of)
    assert result.passed is passed


def test_a_required_criterion_must_hold_whatever_the_count(build: Build) -> None:
    definition = bant(build, require=2, required=True)
    without = score_criteria(definition, [build.call(1, budget="confirmed", need="urgent")], build.as_of)
    assert without.met == ("budget", "need") and without.passed is False
    with_it = score_criteria(
        definition, [build.call(1, budget="confirmed", authority="decision_maker")], build.as_of
    )
    assert with_it.passed is True


def test_by_default_every_criterion_must_hold(build: Build) -> None:
    definition = build.definition(
        "criteria: {items: [{id: a, answers: [{value: y, points: 1}]}, {id: b, answers: [{value: y, points: 1}]}]}\n"
    )
    assert score_criteria(definition, [build.call(1, a="y")], build.as_of).passed is False
    assert score_criteria(definition, [build.call(1, a="y", b="y")], build.as_of).passed is True


def test_a_definition_without_criteria_never_passes_them(build: Build) -> None:
    result = score_criteria(build.definition(), [build.call(1, budget="confirmed")], build.as_of)
    assert result.passed is False and result.points == 0.0


def test_the_reason_names_the_criterion_and_the_answer(build: Build) -> None:
    result = score_criteria(
        bant(build), [build.call(1, authority="decision_maker", need="unclear")], build.as_of
    )
    assert [c.reason for c in result.contributions] == [
        "Authority: signs the contract (holds)",
        "need: unclear",
    ]


# -- in the lead's score and in conditions -------------------------------------------------------------


def test_criteria_points_are_part_of_the_score(build: Build) -> None:
    score = score_lead(
        bant(build), build.lead(), [], [build.call(1, budget="none", need="urgent")], build.as_of
    )
    assert score.criteria == 0.0 == score.score
    assert score.criteria_met == ("need",)
    assert score.criteria_passed is False
    assert [c.points for c in score.trace] == [-10.0, 10.0]


def test_calls_and_answers_in_disqualifiers(build: Build) -> None:
    definition = bant(
        build,
        more="""
        disqualifiers:
          - {id: no-budget, when: "answers.budget == 'none'", reason: no budget}
          - {id: unreachable, when: "calls.attempts >= 3 and calls.reached == 0", reason: unreachable}
        """,
    )
    no_budget = score_lead(definition, build.lead(), [], [build.call(1, budget="none")], build.as_of)
    assert no_budget.disqualified_reasons == ("no budget",)
    unreachable = score_lead(
        definition, build.lead(), [], [build.call(d, "no_answer") for d in (1, 2, 3)], build.as_of
    )
    assert unreachable.disqualified_reasons == ("unreachable",)
    twice = score_lead(
        definition, build.lead(), [], [build.call(d, "no_answer") for d in (1, 2)], build.as_of
    )
    assert twice.disqualified is False


def test_calls_last_at_in_a_stage_condition(build: Build) -> None:
    definition = bant(build, more="stages: {MQL: calls.last_at within 7 days}\n")
    recent = score_lead(definition, build.lead(), [], [build.call(7, "voicemail")], build.as_of)
    old = score_lead(definition, build.lead(), [], [build.call(8, "voicemail")], build.as_of)
    never = score_lead(definition, build.lead(), [], [], build.as_of)
    assert (recent.stage, old.stage, never.stage) == ("MQL", "Lead", "Lead")


def test_criteria_in_stage_conditions_and_triggers(build: Build) -> None:
    definition = bant(
        build,
        more="""
        fast_track:
          triggers: [{id: budget-confirmed, when: "criteria.budget and answers.budget == 'confirmed'", reason: money}]
        stages:
          MQL: criteria.met >= 1
          SQL: criteria.passed and criteria.points >= 25
        """,
    )

    def stage(**answers: str) -> tuple[str, str | None]:
        score = score_lead(definition, build.lead(), [], [build.call(1, **answers)], build.as_of)
        return score.stage, score.fast_track

    assert stage() == ("Lead", None)
    assert stage(need="urgent") == ("MQL", None)
    assert stage(need="urgent", budget="planned") == ("MQL", None)  # passed, but 15 points
    assert stage(need="urgent", budget="confirmed") == ("SQL", "budget-confirmed")
    assert stage(budget="confirmed") == ("MQL", "budget-confirmed")
