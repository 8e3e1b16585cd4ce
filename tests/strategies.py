"""Hypothesis strategies shared by the property tests and the engine conformance suite: random
definitions (loaded through the real loader), leads, accounts, events and calls."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from leadgate.definition import Definition, load_text
from leadgate.records import Account, Call, Event, Lead

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
    "account.contacts >= 2",
    "account.bosses >= 1 and account.engaged >= 1",
    "account.attention > 10",
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
        "rollups": [
            {"id": "contacts", "measure": "contacts"},
            {"id": "bosses", "measure": "contacts", "where": "persona == 'boss'"},
            {"id": "engaged", "measure": "engaged_contacts", "within_days": draw(days)},
            {"id": "attention", "measure": "engagement", "where": "lead.size > 100"},
        ],
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
