"""Properties of the evaluator over random definitions, events and calls.

The trace adds up to the score exactly, in any order; caps are never exceeded; decay never gives more
points later; the order of the inputs does not matter; nothing after `as_of` counts.
"""

from __future__ import annotations

import random
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.definition import Definition
from leadgate.points import GRID
from leadgate.records import Account, Call, Event, Lead
from leadgate.scoring import LeadScore, score_lead
from strategies import AS_OF, accounts, calls, definitions, events, leads

DAY = 86_400


def on_grid(x: float) -> bool:
    return (x * GRID).is_integer()


@settings(max_examples=150, deadline=None)
@given(definitions(), leads(), accounts, events(), calls(), st.randoms(use_true_random=False))
def test_the_trace_adds_up_to_the_score_exactly_in_any_order(
    definition: Definition,
    lead: Lead,
    account: Account | None,
    lead_events: list[Event],
    lead_calls: list[Call],
    rnd: random.Random,
) -> None:
    result = score_lead(definition, lead, lead_events, lead_calls, AS_OF, account)
    contributions = [c.points for c in result.trace]
    shuffled = contributions[:]
    rnd.shuffle(shuffled)
    assert sum(contributions) == result.score
    assert sum(reversed(contributions)) == result.score
    assert sum(shuffled) == result.score
    assert result.fit + result.engagement + result.criteria == result.score
    assert sum(c.points for c in result.trace if c.kind == "fit") == result.fit
    assert (
        sum(c.points for c in result.trace if c.kind in ("engagement", "engagement_cap")) == result.engagement
    )
    assert sum(c.points for c in result.trace if c.kind == "criteria") == result.criteria
    assert all(on_grid(p) for p in contributions)
    assert all(c.points == 0.0 for c in result.trace if c.kind in ("disqualifier", "fast_track"))


@settings(max_examples=150, deadline=None)
@given(definitions(), events(), st.randoms(use_true_random=False))
def test_caps_are_never_exceeded(
    definition: Definition, lead_events: list[Event], rnd: random.Random
) -> None:
    result = score_lead(definition, Lead("l1"), lead_events, [], AS_OF)
    caps_by_rule = {r.id: r.max_points for r in definition.engagement_rules}
    for contribution in result.trace:
        if contribution.kind != "engagement":
            continue
        cap = caps_by_rule[contribution.rule]
        if cap is not None:
            assert abs(contribution.points) <= cap
            if abs(contribution.raw_points) > cap:
                assert abs(contribution.points) == cap  # a cap that bites is reached exactly
    if definition.engagement_cap is not None:
        assert result.engagement <= definition.engagement_cap
        cap_entries = [c for c in result.trace if c.kind == "engagement_cap"]
        if cap_entries:
            assert result.engagement == definition.engagement_cap
            assert cap_entries[0].points < 0


@settings(max_examples=150, deadline=None)
@given(definitions(), leads(), accounts, events(), calls(), st.randoms(use_true_random=False))
def test_the_order_of_events_and_calls_does_not_matter(
    definition: Definition,
    lead: Lead,
    account: Account | None,
    lead_events: list[Event],
    lead_calls: list[Call],
    rnd: random.Random,
) -> None:
    result = score_lead(definition, lead, lead_events, lead_calls, AS_OF, account)
    shuffled_events, shuffled_calls = lead_events[:], lead_calls[:]
    rnd.shuffle(shuffled_events)
    rnd.shuffle(shuffled_calls)
    assert score_lead(definition, lead, shuffled_events, shuffled_calls, AS_OF, account) == result
    assert score_lead(definition, lead, lead_events[::-1], lead_calls[::-1], AS_OF, account) == result


@settings(max_examples=100, deadline=None)
@given(definitions(), leads(), events(future=False), calls(), events(), st.integers(1, 30 * DAY))
def test_nothing_after_as_of_counts(
    definition: Definition,
    lead: Lead,
    past: list[Event],
    lead_calls: list[Call],
    more: list[Event],
    offset: int,
) -> None:
    past_calls = [c for c in lead_calls if c.called_at <= AS_OF]
    later = [
        Event(f"later-{i}", e.lead_id, e.type, AS_OF + timedelta(seconds=offset + i), e.properties)
        for i, e in enumerate(more)
    ]
    later_calls = [
        Call(f"later-{c.call_id}", c.lead_id, AS_OF + timedelta(seconds=offset), c.outcome, c.answers)
        for c in lead_calls
    ]
    result = score_lead(definition, lead, past, past_calls, AS_OF)
    assert score_lead(definition, lead, past + later, past_calls + later_calls, AS_OF) == result


@settings(max_examples=150, deadline=None)
@given(definitions(monotonic=True), events(future=False), st.integers(1, 120 * DAY))
def test_decay_never_gives_more_points_later(
    definition: Definition, lead_events: list[Event], later: int
) -> None:
    earlier = score_lead(definition, Lead("l1"), lead_events, [], AS_OF)
    after = score_lead(definition, Lead("l1"), lead_events, [], AS_OF + timedelta(seconds=later))

    def by_rule(result: LeadScore) -> dict[str, float]:
        return {c.rule: c.points for c in result.trace if c.kind == "engagement"}

    before_points, after_points = by_rule(earlier), by_rule(after)
    assert set(after_points) <= set(before_points)
    for rule, value in after_points.items():
        assert 0.0 <= value <= before_points[rule]
    assert after.engagement <= earlier.engagement


@settings(max_examples=75, deadline=None)
@given(definitions(), events(future=False))
def test_one_half_life_later_every_event_has_half_its_points(
    definition: Definition, lead_events: list[Event]
) -> None:
    now = score_lead(definition, Lead("l1"), lead_events, [], AS_OF)
    now_points = {c.rule: c for c in now.trace if c.kind == "engagement"}
    for rule in definition.engagement_rules:
        plain = rule.max_points is None and rule.limit_max is None and rule.within_days is None
        if rule.half_life_days is None or not plain or rule.id not in now_points:
            continue
        later = score_lead(
            definition, Lead("l1"), lead_events, [], AS_OF + timedelta(days=rule.half_life_days)
        )
        halved = {c.rule: c.points for c in later.trace}[rule.id]
        # each event's points are halved, up to the grid's rounding of each event
        assert abs(halved - now_points[rule.id].points / 2) <= now_points[rule.id].events / GRID
