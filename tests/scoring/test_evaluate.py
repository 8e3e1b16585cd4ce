"""The reference evaluator end to end: fit and grade, personas, disqualifiers, triggers, stages, trace."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson
import pytest

from leadgate.definition import load_definition
from leadgate.records import Account, Call, Event, Lead
from leadgate.scoring import LeadScore, score_lead

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Build
    from leadgate.definition import Definition

BODY = """\
vocabulary:
  lead:
    seniority: {type: enum, values: [c_level, vp, manager, student]}
    country: {type: string}
  account:
    employees: {type: number}
    industry: {type: enum, values: [software, retail]}
  events:
    page_viewed: {properties: {url: {type: string}}}
    form_submitted: {properties: {form: {type: enum, values: [contact_sales, demo, newsletter]}}}
personas:
  default: user
  rules:
    - {id: executive, when: "lead.seniority == 'c_level'"}
    - {id: decider, when: "lead.seniority in ['c_level', 'vp']"}
fit:
  grades: {A: 50, B: 30, C: 10, D: null}
  rules:
    - {id: size, when: account.employees between 200 and 5000, points: 20}
    - {id: software, when: "account.industry == 'software'", points: 20}
    - {id: decider, when: "persona in ['executive', 'decider']", points: 10}
    - {id: small, when: account.employees < 50, points: -15}
disqualifiers:
  - {id: student, when: "lead.seniority == 'student'", reason: a student}
  - {id: embargo, when: "lead.country in ['KP', 'IR']", reason: country under embargo}
  - {id: free-mail, when: "lead.email_domain == 'gmail.com'", reason: free mail address}
engagement:
  rules:
    - {id: pricing, event: page_viewed, when: "url contains 'pricing'", points: 10}
criteria:
  require: 1
  items: [{id: budget, answers: [{value: confirmed, points: 15}, {value: none, points: -5}]}]
fast_track:
  stage: MQL
  triggers:
    - {id: contact-sales, event: form_submitted, when: "form == 'contact_sales'", within_days: 30, reason: asked for sales}
    - {id: any-form, event: form_submitted, reason: sent a form}
    - {id: executive, when: "persona == 'executive' and account.employees > 1000", reason: a big-company executive}
funnel: [Lead, MQL, SAL, SQL]
stages:
  MQL: grade in ['A', 'B'] and engagement >= 20
  SAL: score >= 80
  SQL: criteria.passed and fit >= 30
"""


@pytest.fixture(scope="module")
def definition(build: Build) -> Definition:
    return build.definition(BODY)


def score(
    build: Build,
    definition: Definition,
    *,
    employees: float | None = None,
    industry: str | None = None,
    events: list[Event] | None = None,
    calls: list[Call] | None = None,
    email: str = "jo@acme.com",
    **lead_fields: str,
) -> LeadScore:
    fields: dict[str, object] = {}
    if employees is not None:
        fields["employees"] = employees
    if industry is not None:
        fields["industry"] = industry
    account = Account("acme", "acme.com", "Acme", fields)
    lead = Lead("l1", email, "acme", build.ago(90), lead_fields)
    return score_lead(definition, lead, events or [], calls or [], build.as_of, account)


# -- fit and grade ------------------------------------------------------------------------------------


def test_fit_is_the_sum_of_the_rules_that_hold(build: Build, definition: Definition) -> None:
    result = score(build, definition, employees=1000, industry="software", seniority="vp")
    assert result.fit == 50.0
    assert [(c.kind, c.rule, c.points) for c in result.trace] == [
        ("fit", "size", 20.0),
        ("fit", "software", 20.0),
        ("fit", "decider", 10.0),
    ]
    assert result.trace[0].reason == "account.employees between 200 and 5000"


@pytest.mark.parametrize(
    ("employees", "industry", "seniority", "fit", "grade"),
    [
        (1000, "software", "vp", 50.0, "A"),  # exactly the minimum of A
        (1000, "software", "manager", 40.0, "B"),
        (1000, None, "vp", 30.0, "B"),  # exactly the minimum of B
        (1000, None, "manager", 20.0, "C"),
        (None, None, "vp", 10.0, "C"),  # exactly the minimum of C
        (None, None, "manager", 0.0, "D"),
        (10, None, "manager", -15.0, "D"),  # below every minimum: the catch-all grade
    ],
)
def test_the_grade_is_the_highest_whose_minimum_fit_reaches(
    build: Build,
    definition: Definition,
    employees: float | None,
    industry: str | None,
    seniority: str,
    fit: float,
    grade: str,
) -> None:
    result = score(build, definition, employees=employees, industry=industry, seniority=seniority)
    assert (result.fit, result.grade) == (fit, grade)


def test_grades_just_below_a_minimum(build: Build) -> None:
    definition = build.definition(
        "fit: {grades: {A: 10, B: null}, rules: [{id: r, when: lead.id == 'l1', points: 9.999}]}\n"
    )
    result = score_lead(definition, build.lead(), [], [], build.as_of)
    assert result.grade == "B"


# -- personas --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seniority", "persona"),
    [("c_level", "executive"), ("vp", "decider"), ("manager", "user"), (None, "user")],
)
def test_the_first_persona_that_holds_else_the_default(
    build: Build, definition: Definition, seniority: str | None, persona: str
) -> None:
    fields: dict[str, Any] = {"seniority": seniority} if seniority else {}
    assert score(build, definition, **fields).persona == persona


# -- disqualifiers ---------------------------------------------------------------------------------------


def test_every_disqualifier_that_holds_is_listed_and_the_stage_is_disqualified(
    build: Build, definition: Definition
) -> None:
    result = score(
        build,
        definition,
        employees=1000,
        industry="software",
        seniority="student",
        country="KP",
        email="kim@gmail.com",
        events=[build.event("form_submitted", 1, form="contact_sales")],
    )
    assert result.disqualified is True
    assert result.disqualified_reasons == ("a student", "country under embargo", "free mail address")
    assert result.stage == "Disqualified"
    assert result.fast_track is None  # a disqualified lead is never fast-tracked
    assert not [c for c in result.trace if c.kind == "fast_track"]
    assert [c.rule for c in result.trace if c.kind == "disqualifier"] == ["student", "embargo", "free-mail"]
    assert all(c.points == 0.0 for c in result.trace if c.kind == "disqualifier")
    assert result.reasons[:3] == (
        "disqualified: a student",
        "disqualified: country under embargo",
        "disqualified: free mail address",
    )


def test_a_disqualified_lead_keeps_its_score(build: Build, definition: Definition) -> None:
    result = score(build, definition, employees=1000, industry="software", country="IR")
    assert result.stage == "Disqualified"
    assert result.score == result.fit == 40.0


def test_the_disqualified_stage_is_named_by_the_definition(build: Build) -> None:
    definition = build.definition(
        "disqualified_stage: Rejected\ndisqualifiers: [{id: d, when: lead.id == 'l1', reason: r}]\n"
    )
    assert score_lead(definition, build.lead(), [], [], build.as_of).stage == "Rejected"


# -- triggers ---------------------------------------------------------------------------------------------


def test_an_event_trigger_fires_on_a_matching_event(build: Build, definition: Definition) -> None:
    result = score(build, definition, events=[build.event("form_submitted", 2, form="contact_sales")])
    assert result.fast_track == "contact-sales"
    assert [(c.kind, c.rule, c.points) for c in result.trace if c.kind == "fast_track"] == [
        ("fast_track", "contact-sales", 0.0),
        ("fast_track", "any-form", 0.0),
    ]
    assert result.stage == "MQL"  # raised to the fast-track stage
    assert result.reasons[0] == "fast-track: asked for sales"


def test_an_event_trigger_looks_back_within_days_boundary_included(
    build: Build, definition: Definition
) -> None:
    at_edge = score(build, definition, events=[build.event("form_submitted", 30, form="contact_sales")])
    too_old = score(
        build, definition, events=[build.event("form_submitted", 30, seconds=1, form="contact_sales")]
    )
    assert at_edge.fast_track == "contact-sales"
    assert too_old.fast_track == "any-form"  # the trigger without a window still fires


def test_event_triggers_ignore_events_after_as_of(build: Build, definition: Definition) -> None:
    result = score(
        build, definition, events=[build.event("form_submitted", seconds=-1, form="contact_sales")]
    )
    assert result.fast_track is None
    assert result.stage == "Lead"


def test_an_event_trigger_tests_the_events_properties(build: Build, definition: Definition) -> None:
    result = score(build, definition, events=[build.event("form_submitted", 1, form="newsletter")])
    assert result.fast_track == "any-form"


def test_a_state_trigger_fires_when_its_condition_holds(build: Build, definition: Definition) -> None:
    assert score(build, definition, employees=2000, seniority="c_level").fast_track == "executive"
    assert score(build, definition, employees=2000, seniority="vp").fast_track is None


def test_the_fast_track_does_not_lower_a_higher_stage(build: Build, definition: Definition) -> None:
    result = score(
        build,
        definition,
        employees=1000,
        industry="software",
        seniority="vp",
        events=[build.event("form_submitted", 1, form="demo")],
        calls=[build.call(1, budget="confirmed")],
    )
    assert result.fast_track == "any-form"
    assert result.stage == "SQL"


# -- stages ------------------------------------------------------------------------------------------


def pricing_views(build: Build, n: int) -> list[Event]:
    return [build.event("page_viewed", 1, url="/pricing") for _ in range(n)]


def test_no_stage_condition_holds_the_lead_is_in_the_first_stage(
    build: Build, definition: Definition
) -> None:
    assert score(build, definition).stage == "Lead"


def test_the_highest_stage_whose_condition_holds(build: Build, definition: Definition) -> None:
    base: dict[str, Any] = {"employees": 1000.0, "industry": "software", "seniority": "vp"}
    mql = score(build, definition, events=pricing_views(build, 2), **base)
    assert (mql.grade, mql.engagement, mql.stage) == ("A", 20.0, "MQL")
    sal = score(build, definition, events=pricing_views(build, 3), **base)
    assert (sal.score, sal.stage) == (80.0, "SAL")
    sql = score(
        build, definition, events=pricing_views(build, 3), calls=[build.call(1, budget="confirmed")], **base
    )
    assert sql.stage == "SQL"  # every condition holds: the highest wins


def test_a_higher_stage_holds_without_the_lower_ones(build: Build, definition: Definition) -> None:
    result = score(
        build, definition, employees=1000, industry="software", calls=[build.call(1, budget="confirmed")]
    )
    assert result.engagement == 0.0
    assert result.stage == "SQL"


def test_stage_conditions_see_the_fast_track(build: Build) -> None:
    definition = build.definition(
        """
        vocabulary: {events: {form_submitted: {}}}
        fast_track: {stage: MQL, triggers: [{id: form, event: form_submitted, reason: r}]}
        stages: {SQL: fast_track}
        """
    )
    result = score_lead(definition, build.lead(), [build.event("form_submitted", 1)], [], build.as_of)
    assert result.stage == "SQL"


# -- the score and its trace ----------------------------------------------------------------------------------


def test_the_score_is_fit_plus_engagement_plus_criteria_and_the_trace_adds_up(
    build: Build, definition: Definition
) -> None:
    result = score(
        build,
        definition,
        employees=10,
        seniority="vp",
        events=pricing_views(build, 2),
        calls=[build.call(2, budget="none")],
    )
    assert (result.fit, result.engagement, result.criteria) == (-5.0, 20.0, -5.0)
    assert result.score == 10.0
    assert sum(c.points for c in result.trace) == result.score
    assert [c.kind for c in result.trace] == ["fit", "fit", "engagement", "criteria"]


def test_the_lead_score_names_the_lead_the_time_and_the_definition(
    build: Build, definition: Definition
) -> None:
    result = score(build, definition)
    assert (result.lead_id, result.account_id, result.as_of) == ("l1", "acme", build.as_of)
    assert result.definition_version == definition.version == definition.fingerprint


def test_as_dict_is_plain_json(build: Build, definition: Definition) -> None:
    result = score(build, definition, employees=1000, events=pricing_views(build, 1))
    data = json.loads(json.dumps(result.as_dict()))
    assert data["as_of"] == "2026-06-01T12:00:00Z"
    assert data["score"] == result.score
    assert [t["rule"] for t in data["trace"]] == [c.rule for c in result.trace]
    assert data["reasons"] == [
        "+20 account.employees between 200 and 5000",
        "+10 page_viewed where url contains 'pricing': 1 event",
    ]


def test_the_reasons_give_the_biggest_points_first(build: Build) -> None:
    definition = build.definition(
        """
        fit:
          rules:
            - {id: a, when: lead.id == 'l1', points: 1, description: one}
            - {id: b, when: lead.id == 'l1', points: -30, description: minus thirty}
            - {id: c, when: lead.id == 'l1', points: 5.5, description: five and a half}
            - {id: d, when: lead.id == 'l1', points: 2, description: two}
            - {id: e, when: lead.id == 'l1', points: 3, description: three}
            - {id: f, when: lead.id == 'l1', points: 0, description: nothing}
        """
    )
    result = score_lead(definition, build.lead(), [], [], build.as_of)
    assert result.reasons == ("-30 minus thirty", "+5.50 five and a half", "+3 three", "+2 two")


def test_scoring_is_a_pure_function_of_its_inputs(build: Build, definition: Definition) -> None:
    events = pricing_views(build, 2)
    first = score(build, definition, employees=1000, events=events, calls=[build.call(1, budget="none")])
    again = score(build, definition, employees=1000, events=events, calls=[build.call(1, budget="none")])
    assert first == again


# -- the example definition ----------------------------------------------------------------------------------


def test_the_example_definition_end_to_end(build: Build, example_path: Path) -> None:
    definition = load_definition(example_path)
    as_of = build.as_of
    account = Account(
        "a1",
        "acme.com",
        "Acme",
        {"industry": "software", "employees": 500.0, "technologies": ("salesforce",)},
    )
    lead = Lead(
        "l1", "jo@acme.com", "a1", as_of - timedelta(days=40), {"seniority": "vp", "department": "it"}
    )
    events = [
        Event(f"p{i}", "l1", "page_viewed", as_of - timedelta(days=i), {"url": "/pricing"}) for i in range(5)
    ]
    events.append(Event("f1", "l1", "form_submitted", as_of - timedelta(days=2), {"form": "contact_sales"}))
    calls = [
        Call(
            "c1",
            "l1",
            as_of - timedelta(days=1),
            "reached",
            {"budget": "confirmed", "need": "urgent", "timeline": "this_quarter"},
        )
    ]
    result = score_lead(definition, lead, events, calls, as_of, account)
    assert (result.persona, result.fit, result.grade) == ("decision_maker", 60.0, "A")
    assert [c.rule for c in result.trace if c.kind == "fit"] == [
        "icp-size",
        "target-industry",
        "decision-maker",
        "buying-department",
        "crm-stack",
    ]
    pricing = next(c for c in result.trace if c.rule == "pricing-page")
    assert (pricing.points, pricing.events) == (30.0, 5)  # capped
    assert result.criteria == 45.0 and result.criteria_passed is True
    assert result.fast_track == "contact-sales"
    assert result.stage == "SQL"
    assert (
        sum(c.points for c in result.trace)
        == result.score
        == result.fit + result.engagement + result.criteria
    )


def test_a_result_as_json_is_its_dict(build: Build) -> None:
    definition = build.definition(BODY)
    events = [build.event("page_viewed", d, url="/pricing") for d in (1, 2, 9)]
    result = score_lead(definition, build.lead(seniority="c_level"), events, [], build.as_of)
    assert len(result.trace) >= 2
    assert orjson.loads(result.as_json()) == result.as_dict()
    with_unfit = orjson.loads(result.as_json(unfit_fields=["lead.x"]))
    assert with_unfit == {**result.as_dict(), "unfit_fields": ["lead.x"]}
