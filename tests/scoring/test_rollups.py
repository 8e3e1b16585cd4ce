"""Account roll-ups: contacts, engaged contacts and engagement over an account's leads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pytest

from leadgate.records import Account, Event, Lead
from leadgate.scoring import LeadScore, score_lead, score_leads
from leadgate.scoring.rollups import Member, compute_rollups, rollups_read

if TYPE_CHECKING:
    from conftest import Build
    from leadgate.definition import Definition

BODY = """\
vocabulary:
  lead:
    seniority: {type: enum, values: [vp, manager, individual]}
  account:
    employees: {type: number}
  events:
    page_viewed: {}
    email_unsubscribed: {}
personas:
  rules: [{id: decision_maker, when: "lead.seniority == 'vp'"}]
rollups:
  - {id: contacts, measure: contacts}
  - {id: deciders, measure: contacts, where: "persona == 'decision_maker'"}
  - {id: engaged, measure: engaged_contacts, within_days: 30}
  - {id: attention, measure: engagement}
  - {id: big_attention, measure: engagement, where: "account.employees > 100"}
engagement:
  rules:
    - {id: visit, event: page_viewed, points: 5}
    - {id: unsubscribed, event: email_unsubscribed, points: -3}
fit:
  rules:
    - {id: committee, when: account.engaged >= 2, points: 10}
    - {id: has-decider, when: account.deciders >= 1, points: 7}
    - {id: crowded, when: account.contacts >= 3, points: 1}
    - {id: alone, when: account.contacts == 1, points: 100}
    - {id: no-account, when: account.contacts is missing, points: 1000}
stages:
  MQL: account.attention >= 20
"""


@pytest.fixture
def definition(build: Build) -> Definition:
    return build.definition(BODY)


def rollups_of(definition: Definition, members: list[Member], build: Build) -> dict[str, float]:
    return compute_rollups(definition, members, build.as_of)


def member(
    build: Build, seniority: str, engagement: float, last_days_ago: float | None, employees: float = 500
) -> Member:
    context = {
        "lead.seniority": seniority,
        "persona": "decision_maker" if seniority == "vp" else "unknown",
        "account.employees": employees,
    }
    last = None if last_days_ago is None else build.ago(last_days_ago).timestamp()
    return Member(context, engagement, last)


def test_each_measure_over_the_accounts_leads(build: Build, definition: Definition) -> None:
    members = [
        member(build, "vp", 10.0, 2),
        member(build, "manager", 5.0, 30),  # exactly at the window's edge: engaged
        member(build, "individual", -3.0, None),  # only negative engagement
        member(build, "vp", 2.5, 31),  # engaged, but not in the last 30 days
    ]
    assert rollups_of(definition, members, build) == {
        "contacts": 4.0,
        "deciders": 2.0,
        "engaged": 2.0,
        "attention": 14.5,
        "big_attention": 14.5,
    }


def test_where_chooses_which_leads_count(build: Build, definition: Definition) -> None:
    members = [member(build, "vp", 10.0, 1, employees=50), member(build, "manager", 4.0, 1, employees=500)]
    result = rollups_of(definition, members, build)
    assert result["deciders"] == 1.0
    assert result["big_attention"] == 4.0


def test_an_account_with_no_leads_has_zeros(build: Build, definition: Definition) -> None:
    assert rollups_of(definition, [], build) == dict.fromkeys(
        ("contacts", "deciders", "engaged", "attention", "big_attention"), 0.0
    )


# -- through score_leads ----------------------------------------------------------------------------


def batch(
    build: Build, definition: Definition, leads: list[Lead], events: dict[str, list[Event]]
) -> dict[str, LeadScore]:
    accounts = {"acme": Account("acme", "acme.com", "Acme", {"employees": 500.0}), "solo": Account("solo")}
    scores = score_leads(definition, leads, accounts, events, {}, build.as_of)
    return {s.lead_id: s for s in scores}


def fit_rules(score: LeadScore) -> list[str]:
    return [c.rule for c in score.trace if c.kind == "fit"]


def test_score_leads_rolls_up_every_account_lead_in_the_batch(build: Build, definition: Definition) -> None:
    leads = [
        build.lead("vp", "acme", seniority="vp"),
        build.lead("mgr", "acme", seniority="manager"),
        build.lead("ic", "acme", seniority="individual"),
        build.lead("other", "solo", seniority="vp"),
    ]
    events = {
        "vp": [build.event("page_viewed", 3, lead_id="vp"), build.event("page_viewed", 4, lead_id="vp")],
        "mgr": [build.event("page_viewed", 29, lead_id="mgr")],
        "ic": [
            build.event("page_viewed", 45, lead_id="ic"),
            build.event("email_unsubscribed", 1, lead_id="ic"),
        ],
        "other": [build.event("page_viewed", 1, lead_id="other")],
    }
    scores = batch(build, definition, leads, events)
    # at Acme: 3 contacts, 1 decider, 2 engaged in the last 30 days, engagement 10 + 5 + (5 - 3) = 17
    for lead_id in ("vp", "mgr", "ic"):
        assert fit_rules(scores[lead_id]) == ["committee", "has-decider", "crowded"]
        assert scores[lead_id].stage == "Lead"  # 17 < 20
        assert scores[lead_id].account_id == "acme"
    # the other account has one lead: itself
    assert fit_rules(scores["other"]) == ["has-decider", "alone"]


def test_account_engagement_in_a_stage_condition(build: Build, definition: Definition) -> None:
    leads = [build.lead("a", "acme"), build.lead("b", "acme")]
    events = {
        "a": [build.event("page_viewed", d, lead_id="a") for d in (1, 2)],
        "b": [build.event("page_viewed", d, lead_id="b") for d in (1, 2)],
    }
    scores = batch(build, definition, leads, events)
    assert scores["a"].engagement == 10.0
    assert {s.stage for s in scores.values()} == {"MQL"}  # the account's 20 points lift both


def test_a_lead_without_an_account_has_no_rollups(build: Build, definition: Definition) -> None:
    leads = [build.lead("lonely"), build.lead("lost", "no-such-account")]
    scores = batch(build, definition, leads, {})
    assert fit_rules(scores["lonely"]) == ["no-account"]
    assert fit_rules(scores["lost"]) == ["no-account"]
    assert scores["lost"].account_id is None


def test_score_lead_without_rollups_counts_the_lead_alone(build: Build, definition: Definition) -> None:
    acme = Account("acme", "acme.com", "Acme", {"employees": 500.0})
    events = [build.event("page_viewed", d) for d in range(5)]
    score = score_lead(definition, build.lead("l1", "acme", seniority="vp"), events, [], build.as_of, acme)
    assert fit_rules(score) == ["has-decider", "alone"]
    assert score.stage == "MQL"  # its own 25 points of engagement


def test_score_lead_takes_rollups_computed_elsewhere(build: Build, definition: Definition) -> None:
    acme = Account("acme", "acme.com", "Acme", {"employees": 500.0})
    rollups = {"contacts": 12.0, "deciders": 0.0, "engaged": 5.0, "attention": 80.0, "big_attention": 80.0}
    score = score_lead(
        definition, build.lead("l1", "acme", seniority="vp"), [], [], build.as_of, acme, rollups
    )
    assert fit_rules(score) == ["committee", "crowded"]
    assert score.stage == "MQL"


def test_score_lead_without_an_account_has_no_rollups(build: Build, definition: Definition) -> None:
    score = score_lead(definition, build.lead("l1", "acme"), [], [], build.as_of)
    assert fit_rules(score) == ["no-account"]


def test_score_leads_is_score_lead_when_there_are_no_rollups(build: Build) -> None:
    definition = build.definition(
        """
        vocabulary: {account: {employees: {type: number}}, events: {page_viewed: {}}}
        engagement: {half_life_days: 10, rules: [{id: visit, event: page_viewed, points: 5}]}
        fit: {rules: [{id: big, when: account.employees > 100, points: 30}]}
        """
    )
    accounts = {"acme": Account("acme", fields={"employees": 500.0})}
    leads = [build.lead("a", "acme"), build.lead("b"), build.lead("c", "missing")]
    events = {
        "a": [build.event("page_viewed", 3, lead_id="a")],
        "b": [build.event("page_viewed", 1, lead_id="b")],
    }
    batch_scores = list(score_leads(definition, leads, accounts, events, {}, build.as_of))
    single = [
        score_lead(
            definition,
            lead,
            events.get(lead.lead_id, []),
            [],
            build.as_of,
            accounts.get(lead.account_id or ""),
        )
        for lead in leads
    ]
    assert batch_scores == single
    assert [s.fit for s in batch_scores] == [30.0, 0.0, 0.0]


def test_the_rollups_read_are_those_a_rule_reads(build: Build, definition: Definition) -> None:
    # fit rules read contacts, deciders and engaged; the stage rule reads attention; nothing big_attention
    assert rollups_read(definition) == ("contacts", "deciders", "engaged", "attention")
    body = BODY.replace("    - {id: crowded, when: account.contacts >= 3, points: 1}\n", "")
    body = body.replace("    - {id: alone, when: account.contacts == 1, points: 100}\n", "")
    body = body.replace("    - {id: no-account, when: account.contacts is missing, points: 1000}\n", "")
    body = body.replace("  MQL: account.attention >= 20", "  MQL: score >= 20")
    fewer = build.definition(
        body + "fast_track:\n  triggers: [{id: t, when: account.contacts >= 5, reason: many}]\n"
    )
    assert rollups_read(fewer) == ("contacts", "deciders", "engaged")  # a state trigger reads contacts


def test_score_leads_can_leave_leads_out_and_they_still_count(build: Build, definition: Definition) -> None:
    acme = Account("acme", "acme.com", "Acme", {"employees": 500})
    leads = [build.lead(f"l{i}", "acme", seniority="vp") for i in range(3)]
    events = {f"l{i}": [build.event("page_viewed", 1, lead_id=f"l{i}")] for i in range(3)}
    everyone = list(score_leads(definition, leads, {"acme": acme}, events, {}, build.as_of))
    seen: list[tuple[str, float]] = []

    def only_l1(lead: Lead, rollups: Mapping[str, float]) -> bool:
        seen.append((lead.lead_id, rollups["engaged"]))
        return lead.lead_id == "l1"

    some = list(score_leads(definition, leads, {"acme": acme}, events, {}, build.as_of, keep=only_l1))
    assert some == [everyone[1]]
    assert seen == [("l0", 3.0), ("l1", 3.0), ("l2", 3.0)]
