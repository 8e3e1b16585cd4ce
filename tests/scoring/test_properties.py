"""Properties of the evaluator over random definitions, events and calls.

The trace adds up to the score exactly, in any order; caps are never exceeded; decay never gives more
points later; the order of the inputs does not matter; nothing after `as_of` counts.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.definition import Definition, load_text
from leadgate.points import GRID
from leadgate.records import Account, Call, Event, Lead
from leadgate.scoring import LeadScore, score_lead

AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = 86_400

EVENT_CONDITIONS: dict[str, list[str | None]] = {
    "visit": [None, "url contains 'pricing'", "seconds >= 30", "url starts with '/blog' or seconds < 10"],
    "form": [None, "kind == 'demo'", "kind in ['demo', 'contact']", "not kind == 'newsletter'"],
    "unsubscribe": [None],
}
FIT_CONDITIONS = [
    "lead.size > 100",
    "lead.size between 10 and 500",
    "lead.tier == 'a'",
    "lead.tier in ['a', 'b']",
    "lead.tags contains 'x'",
    "any lead.tags starts with 'y'",
    "persona == 'boss'",
    "lead.size is missing",
    "account.employees >= 50",
]

points = st.floats(min_value=-100, max_value=100, allow_nan=False, allow_infinity=False)
positive_points = st.floats(min_value=0.001, max_value=100, allow_nan=False, allow_infinity=False)
days = st.floats(min_value=0.01, max_value=120, allow_nan=False, allow_infinity=False)
caps = st.floats(min_value=0.01, max_value=300, allow_nan=False, allow_infinity=False)


@st.composite
def engagement_rules(draw: st.DrawFn, i: int, *, monotonic: bool = False) -> dict[str, Any]:
    event = draw(st.sampled_from(sorted(EVENT_CONDITIONS)))
    rule: dict[str, Any] = {"id": f"rule-{i}", "event": event}
    rule["points"] = draw(positive_points if monotonic else points)
    when = draw(st.sampled_from(EVENT_CONDITIONS[event]))
    if when is not None:
        rule["when"] = when
    if draw(st.booleans()):
        rule["max_points"] = draw(caps)
    if draw(st.integers(0, 4)) == 0:
        rule["decay"] = False
    elif draw(st.booleans()):
        rule["half_life_days"] = draw(days)
    window = draw(st.booleans())
    if window:
        rule["within_days"] = draw(days)
    # a count limit within a window may count a younger event once an older one has left the window,
    # and windows per N days move with as_of: neither is monotonic in as_of, so those tests leave them out
    if not (monotonic and window) and draw(st.booleans()):
        rule["limit"] = {
            "max": draw(st.integers(1, 4)),
            "keep": draw(st.sampled_from(["latest", "earliest"])),
        }
        if not monotonic and draw(st.booleans()):
            rule["limit"]["per_days"] = draw(days)
    return rule


@st.composite
def definitions(draw: st.DrawFn, *, monotonic: bool = False) -> Definition:
    n_rules = draw(st.integers(0, 5))
    engagement: dict[str, Any] = {
        "rules": [draw(engagement_rules(i, monotonic=monotonic)) for i in range(n_rules)],
    }
    if draw(st.integers(0, 3)) > 0:
        engagement["half_life_days"] = draw(days)
    if draw(st.booleans()):
        engagement["max_points"] = draw(caps)
    a, b, c = sorted(draw(st.lists(points, min_size=3, max_size=3, unique=True)))
    spec = {
        "name": "generated",
        "owners": {"marketing": "m", "sales": "s"},
        "agreed": "2026-01-01",
        "vocabulary": {
            "lead": {
                "size": {"type": "number"},
                "tier": {"type": "enum", "values": ["a", "b", "c"]},
                "tags": {"type": "list"},
            },
            "account": {"employees": {"type": "number"}},
            "events": {
                "visit": {"properties": {"url": {"type": "string"}, "seconds": {"type": "number"}}},
                "form": {
                    "properties": {"kind": {"type": "enum", "values": ["demo", "contact", "newsletter"]}}
                },
                "unsubscribe": {},
            },
        },
        "personas": {"rules": [{"id": "boss", "when": "lead.tier == 'a'"}]},
        "fit": {
            "grades": {"A": c, "B": b, "C": a, "D": None},
            "rules": [
                {"id": f"fit-{i}", "when": draw(st.sampled_from(FIT_CONDITIONS)), "points": draw(points)}
                for i in range(draw(st.integers(0, 4)))
            ],
        },
        "disqualifiers": [{"id": "no-budget", "when": "answers.budget == 'none'", "reason": "no budget"}],
        "engagement": engagement,
        "criteria": {
            "require": 1,
            "items": [
                {"id": "budget", "answers": [{"value": v, "points": draw(points)} for v in ("yes", "none")]},
                {
                    "id": "need",
                    "answers": [{"value": v, "points": draw(points)} for v in ("high", "low", "unknown")],
                },
            ],
        },
        "fast_track": {
            "triggers": [
                {
                    "id": "demo",
                    "event": "form",
                    "when": "kind == 'demo'",
                    "within_days": 14,
                    "reason": "demo",
                },
                {"id": "criteria", "when": "criteria.passed", "reason": "criteria"},
            ]
        },
        "stages": {
            "MQL": f"score >= {draw(st.integers(0, 100))}",
            "SQL": "criteria.passed and grade in ['A', 'B']",
        },
    }
    # JSON is YAML: the definition goes through the loader like any file
    return load_text(json.dumps(spec), "generated.json")


PROPERTIES = {
    "visit": st.fixed_dictionaries(
        {},
        optional={
            "url": st.sampled_from(["/pricing", "/blog/post", "/PRICING/enterprise", "/careers"]),
            "seconds": st.integers(0, 120),
        },
    ),
    "form": st.fixed_dictionaries({}, optional={"kind": st.sampled_from(["demo", "contact", "newsletter"])}),
    "unsubscribe": st.just({}),
}

# seconds before AS_OF
ages = st.one_of(st.integers(0, 200 * DAY), st.sampled_from([0, 1, DAY, 7 * DAY, 14 * DAY, 30 * DAY]))


@st.composite
def events(draw: st.DrawFn, *, future: bool = True) -> list[Event]:
    n = draw(st.integers(0, 25))
    earliest = -5 * DAY if future else 0
    seconds = draw(st.lists(st.integers(earliest, 200 * DAY), min_size=n, max_size=n, unique=True))
    out = []
    for i, age in enumerate(seconds):
        if i and draw(st.integers(0, 4)) == 0:
            age = seconds[i - 1]  # a tie on time: limits break it by event id
        kind = draw(st.sampled_from(sorted(PROPERTIES)))
        properties: dict[str, Any] = draw(PROPERTIES[kind])  # type: ignore[arg-type]
        out.append(Event(f"e{i}", "l1", kind, AS_OF - timedelta(seconds=age), properties))
    return out


@st.composite
def calls(draw: st.DrawFn) -> list[Call]:
    answers = st.fixed_dictionaries(
        {},
        optional={
            "budget": st.sampled_from(["yes", "none", "unheard-of"]),
            "need": st.sampled_from(["high", "low", "unknown"]),
            "timeline": st.just("soon"),
        },
    )
    out = []
    for i in range(draw(st.integers(0, 6))):
        when = AS_OF - timedelta(seconds=draw(st.one_of(ages, st.integers(-3 * DAY, -1))))
        outcome = draw(st.sampled_from(["reached", "reached", "voicemail", "no_answer"]))
        out.append(Call(f"c{i}", "l1", when, outcome, draw(answers)))
    return out


@st.composite
def leads(draw: st.DrawFn) -> Lead:
    fields = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "size": st.integers(0, 1000).map(float),
                "tier": st.sampled_from(["a", "b", "c"]),
                "tags": st.lists(st.sampled_from(["x", "yes", "z"]), max_size=3).map(tuple),
            },
        )
    )
    return Lead("l1", "jo@acme.com", "acme", AS_OF - timedelta(days=100), fields)


accounts = st.one_of(
    st.none(),
    st.builds(lambda n: Account("acme", "acme.com", "Acme", {"employees": float(n)}), st.integers(1, 500)),
)


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
