"""Scoring with events sorted to the rules once (`Matches`) gives exactly the result of scoring the events."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.definition import Definition
from leadgate.records import Account, Call, Event, Lead
from leadgate.scoring import LeadScore, score_lead, score_leads
from leadgate.scoring.engagement import last_positive_at, score_engagement
from leadgate.scoring.evaluate import finish, lead_context
from leadgate.scoring.matches import Matches, reads_time
from strategies import AS_OF, DAY, accounts, calls, definitions, events, leads

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


@settings(max_examples=200, deadline=None)
@given(definitions(), events(), st.lists(st.integers(-3 * DAY, 60 * DAY), min_size=1, max_size=4))
def test_the_latest_event_worth_points_alone_is_what_scoring_finds(
    definition: Definition, lead_events: list[Event], shifts: list[int]
) -> None:
    """`last_positive_at` (what the engaged-contacts roll-up reads of a colleague) without scoring."""
    matches = Matches.of(definition, lead_events)
    for shift in shifts:
        as_of = AS_OF + timedelta(seconds=shift)
        scored = score_engagement(definition, (), as_of, matches)
        assert last_positive_at(definition, as_of, matches) == scored.last_positive_at


@settings(max_examples=200, deadline=None)
@given(
    definitions(),
    leads(),
    accounts,
    events(),
    calls(),
    st.lists(
        st.tuples(st.integers(-3 * DAY, 60 * DAY), st.integers(0, 3), st.integers(0, 2), st.integers(0, 40)),
        min_size=1,
        max_size=5,
    ),
    st.integers(0, 25),
)
def test_scoring_with_a_memo_is_scoring_without(
    definition: Definition,
    lead: Lead,
    account: Account | None,
    lead_events: list[Event],
    lead_calls: list[Call],
    moments: list[tuple[int, int, int, int]],
    cut: int,
) -> None:
    """A live scorer keeps a memo with the lead (`finish`, `lead_context`): its steps that read neither
    events nor time come from it while the roll-ups they read, the persona and the calls allow. Scoring
    at several moments (later and earlier), with other roll-ups and more events, gives exactly what
    scoring without it gives."""

    def scored(
        kept: dict[object, object] | None, as_of: datetime, rollups: dict[str, float], matches: Matches
    ) -> LeadScore:
        ctx = lead_context(definition, lead, account, as_of, kept)
        engagement = score_engagement(definition, (), as_of, matches)
        return finish(definition, lead, ctx, engagement, rollups, lead_calls, as_of, matches, kept)

    memo: dict[object, object] = {}
    matches = Matches.of(definition, lead_events[:cut])
    for step, (shift, contacts, engaged, attention) in enumerate(moments):
        if step == 1:
            matches = matches.plus(definition, lead_events[cut:])
        as_of = AS_OF + timedelta(seconds=shift)
        rollups = {"contacts": float(contacts), "bosses": float(contacts // 2), "engaged": float(engaged),
                   "attention": float(attention)} if account is not None else {}  # fmt: skip
        assert scored(memo, as_of, rollups, matches) == scored(None, as_of, rollups, matches)
