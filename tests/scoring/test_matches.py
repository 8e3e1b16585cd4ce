"""Scoring with events sorted to the rules once (`Matches`) gives exactly the result of scoring the events."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.definition import Definition
from leadgate.records import Account, Call, Event, Lead
from leadgate.scoring import score_lead, score_leads
from leadgate.scoring.matches import Matches, reads_time
from strategies import AS_OF, accounts, calls, definitions, events, leads

if TYPE_CHECKING:
    from conftest import Build

TIMED = """\
vocabulary:
  events:
    page_viewed: {properties: {url: {type: string}}}
    meeting_booked: {properties: {starts: {type: datetime}, kind: {type: enum, values: [demo, intro]}}}
engagement:
  rules:
    - {id: soon, event: meeting_booked, when: "starts within 3 days and kind == 'demo'", points: 20}
    - {id: any-meeting, event: meeting_booked, when: "kind == 'intro'", points: 5}
    - {id: pricing, event: page_viewed, when: "url contains 'pricing'", points: 3, limit: {max: 2, per_days: 7}}
fast_track:
  stage: SQL
  triggers:
    - {id: demo-soon, event: meeting_booked, when: "starts within 2 days", reason: a demo in the next days}
    - {id: pricing-now, event: page_viewed, when: "url contains 'pricing'", within_days: 5, reason: pricing}
"""


@settings(max_examples=200, deadline=None)
@given(definitions(), leads(), accounts, events(), calls(), st.integers(0, 25))
def test_scoring_with_matches_is_scoring_the_events(
    definition: Definition,
    lead: Lead,
    account: Account | None,
    lead_events: list[Event],
    lead_calls: list[Call],
    cut: int,
) -> None:
    plain = score_lead(definition, lead, lead_events, lead_calls, AS_OF, account)
    sorted_once = Matches.of(definition, lead_events)
    in_two = Matches.of(definition, lead_events[:cut]).plus(definition, lead_events[cut:])
    assert in_two == sorted_once
    assert sorted_once.count == len(lead_events)
    assert score_lead(definition, lead, lead_events, lead_calls, AS_OF, account, matches=sorted_once) == plain
    # the events themselves are not read when matches are given
    assert score_lead(definition, lead, [], lead_calls, AS_OF, account, matches=sorted_once) == plain


def test_a_condition_that_reads_the_time_is_tested_at_scoring(build: Build) -> None:
    definition = build.definition(TIMED)
    assert [reads_time(r.guard) for r in definition.engagement_rules] == [True, False, False]
    assert [reads_time(t.guard) for t in definition.triggers] == [True, False]
    lead_events = [
        build.event("meeting_booked", 2, starts=build.ago(1), kind="demo"),
        build.event("meeting_booked", 1, starts=build.ago(-10), kind="intro"),
        *(build.event("page_viewed", d, url=f"/pricing/{d}") for d in (0.5, 1, 2, 3, 9, 20)),
        build.event("page_viewed", 1, url="/blog"),
    ]
    matches = Matches.of(definition, lead_events)
    assert [len(found) for found in matches.rules] == [2, 1, 6]  # `soon` reads the time: tested at scoring
    for shift in (0, 1, 3, 6, 12):  # the demo comes into and goes out of `within 3 days` and `within 2 days`
        as_of = build.as_of + timedelta(days=shift)
        plain = score_lead(definition, build.lead(), lead_events, [], as_of)
        assert score_lead(definition, build.lead(), lead_events, [], as_of, matches=matches) == plain
    early = score_lead(definition, build.lead(), [], [], build.as_of, matches=matches)
    later = score_lead(definition, build.lead(), [], [], build.as_of + timedelta(days=5), matches=matches)
    assert "soon" in {c.rule for c in early.trace} and early.fast_track == "demo-soon"
    assert "soon" not in {c.rule for c in later.trace} and later.fast_track != "demo-soon"


def test_score_leads_takes_matches_for_some_leads(build: Build) -> None:
    definition = build.definition(TIMED)
    people = [build.lead(f"l{i}") for i in range(3)]
    by_lead = {
        p.lead_id: [build.event("page_viewed", d, lead_id=p.lead_id, url="/pricing") for d in range(i + 1)]
        for i, p in enumerate(people)
    }
    plain = list(score_leads(definition, people, {}, by_lead, {}, build.as_of))
    some = {"l1": Matches.of(definition, by_lead["l1"])}
    assert list(score_leads(definition, people, {}, by_lead, {}, build.as_of, some)) == plain
    assert plain[2].engagement == 6.0  # its limit, 2 a week, keeps two of its three
