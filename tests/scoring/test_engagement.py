"""Engagement: points per event, decay, windows, count limits, per-rule caps and the global cap."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import pytest

from leadgate.points import decayed, quantize
from leadgate.scoring import score_lead
from leadgate.scoring.engagement import EngagementResult, _matching, score_engagement

if TYPE_CHECKING:
    from conftest import Build
    from leadgate.definition import Definition

EVENTS = """\
vocabulary:
  events:
    page_viewed: {properties: {url: {type: string}}}
    form_submitted: {properties: {form: {type: enum, values: [demo, newsletter]}}}
    email_unsubscribed: {}
"""


def define(build: Build, engagement: str) -> Definition:
    return build.definition(EVENTS + textwrap.dedent(engagement).lstrip("\n"))


def points_by_rule(result: EngagementResult) -> dict[str, float]:
    return {c.rule: c.points for c in result.contributions}


def test_each_event_earns_the_rules_points(build: Build) -> None:
    definition = define(build, "engagement: {rules: [{id: visit, event: page_viewed, points: 3}]}")
    events = [build.event("page_viewed", d) for d in (1, 5, 50)]
    result = score_engagement(definition, events, build.as_of)
    assert result.total == 9.0
    [contribution] = result.contributions
    assert (contribution.kind, contribution.rule, contribution.points, contribution.events) == (
        "engagement",
        "visit",
        9.0,
        3,
    )
    assert contribution.reason == "page_viewed: 3 events"


def test_when_tests_the_events_properties(build: Build) -> None:
    definition = define(
        build,
        """
        engagement:
          rules:
            - {id: pricing, event: page_viewed, when: "url contains '/pricing'", points: 10}
            - {id: demo, event: form_submitted, when: "form == 'demo'", points: 30}
        """,
    )
    events = [
        build.event("page_viewed", 1, url="https://x.io/PRICING"),
        build.event("page_viewed", 1, url="https://x.io/blog"),
        build.event("page_viewed", 1),  # no url: the test on it is false
        build.event("form_submitted", 1, form="newsletter"),
        build.event("form_submitted", 2, form="demo"),
        build.event("webinar_attended", 1),  # a type no rule is about
    ]
    result = score_engagement(definition, events, build.as_of)
    assert points_by_rule(result) == {"pricing": 10.0, "demo": 30.0}
    assert result.contributions[0].reason == "page_viewed where url contains '/pricing': 1 event"


def test_one_event_may_count_for_several_rules(build: Build) -> None:
    definition = define(
        build,
        """
        engagement:
          rules:
            - {id: any-page, event: page_viewed, points: 1}
            - {id: pricing, event: page_viewed, when: "url contains 'pricing'", points: 10}
        """,
    )
    result = score_engagement(definition, [build.event("page_viewed", 0, url="/pricing")], build.as_of)
    assert points_by_rule(result) == {"any-page": 1.0, "pricing": 10.0}


# -- decay --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "points"), [(0, 12.0), (30, 6.0), (60, 3.0), (90, 1.5), (15, quantize(12 * 0.5**0.5))]
)
def test_decay_halves_the_points_every_half_life(build: Build, age: float, points: float) -> None:
    definition = define(
        build, "engagement: {half_life_days: 30, rules: [{id: visit, event: page_viewed, points: 12}]}"
    )
    result = score_engagement(definition, [build.event("page_viewed", age)], build.as_of)
    assert result.total == points


def test_a_rules_half_life_overrides_the_default(build: Build) -> None:
    definition = define(
        build,
        """
        engagement:
          half_life_days: 30
          rules:
            - {id: default, event: page_viewed, points: 8}
            - {id: fast, event: page_viewed, points: 8, half_life_days: 10}
        """,
    )
    result = score_engagement(definition, [build.event("page_viewed", 30)], build.as_of)
    assert points_by_rule(result) == {"default": 4.0, "fast": 1.0}


def test_decay_false_keeps_the_points_whatever_the_default(build: Build) -> None:
    definition = define(
        build,
        """
        engagement:
          half_life_days: 7
          rules:
            - {id: unsubscribed, event: email_unsubscribed, points: -15, decay: false}
        """,
    )
    result = score_engagement(definition, [build.event("email_unsubscribed", 400)], build.as_of)
    assert result.total == -15.0
    assert result.contributions[0].reason == "email_unsubscribed: 1 event"


def test_without_a_half_life_nothing_decays(build: Build) -> None:
    definition = define(build, "engagement: {rules: [{id: visit, event: page_viewed, points: 2.5}]}")
    result = score_engagement(definition, [build.event("page_viewed", 1000)], build.as_of)
    assert result.total == 2.5


def test_the_reason_gives_the_points_before_decay(build: Build) -> None:
    definition = define(
        build,
        "engagement: {half_life_days: 10, rules: [{id: v, event: page_viewed, points: 10, description: visited}]}",
    )
    result = score_engagement(
        definition, [build.event("page_viewed", 10), build.event("page_viewed", 20)], build.as_of
    )
    assert result.total == 7.5
    assert result.contributions[0].reason == "visited: 2 events, 20 before decay"


# -- which events count -------------------------------------------------------------------------------


def test_events_after_as_of_are_ignored(build: Build) -> None:
    definition = define(build, "engagement: {rules: [{id: visit, event: page_viewed, points: 1}]}")
    events = [
        build.event("page_viewed", 0),
        build.event("page_viewed", seconds=-1),
        build.event("page_viewed", -3),
    ]
    result = score_engagement(definition, events, build.as_of)
    assert result.total == 1.0  # the event at as_of counts, the later ones do not


def test_within_days_counts_only_recent_events_boundary_included(build: Build) -> None:
    definition = define(
        build, "engagement: {rules: [{id: visit, event: page_viewed, points: 1, within_days: 7}]}"
    )
    events = [
        build.event("page_viewed", 7),
        build.event("page_viewed", 7, seconds=1),
        build.event("page_viewed", 0.5),
        build.event("page_viewed", 30),
    ]
    assert score_engagement(definition, events, build.as_of).total == 2.0


def test_no_events_no_contributions(build: Build) -> None:
    definition = define(build, "engagement: {rules: [{id: visit, event: page_viewed, points: 1}]}")
    result = score_engagement(definition, [], build.as_of)
    assert result == EngagementResult(0.0, (), None)
    no_match = score_engagement(definition, [build.event("form_submitted", 1, form="demo")], build.as_of)
    assert no_match.contributions == ()


# -- count limits ---------------------------------------------------------------------------------------


def test_a_limit_keeps_the_latest_events_by_default(build: Build) -> None:
    definition = define(
        build,
        "engagement: {half_life_days: 10, rules: [{id: v, event: page_viewed, points: 8, limit: {max: 2}}]}",
    )
    events = [build.event("page_viewed", age) for age in (1, 20, 3, 10, 2)]
    result = score_engagement(definition, events, build.as_of)
    # the two latest are 1 and 2 days old
    assert result.total == decayed(8, 1, 10) + decayed(8, 2, 10)
    assert result.contributions[0].events == 2


def test_a_limit_can_keep_the_first_events_by_time(build: Build) -> None:
    definition = define(
        build,
        "engagement: {half_life_days: 10, rules: "
        "[{id: v, event: page_viewed, points: 8, limit: {max: 2, keep: earliest}}]}",
    )
    events = [build.event("page_viewed", age) for age in (1, 20, 3, 10, 2)]
    result = score_engagement(definition, events, build.as_of)
    # the two earliest are 20 and 10 days old
    assert result.total == decayed(8, 20, 10) + decayed(8, 10, 10) == 2.0 + 4.0
    assert result.contributions[0].events == 2


def test_a_limit_breaks_ties_on_time_by_event_id(build: Build) -> None:
    rule = define(
        build, "engagement: {rules: [{id: v, event: page_viewed, points: 1, limit: {max: 2}}]}"
    ).engagement_rules[0]
    events = [build.event("page_viewed", 1, event_id=i) for i in ("c", "a", "d", "b")]
    kept = _matching(
        rule, [(e.time.timestamp(), e) for e in events], build.as_of.timestamp(), build.as_of, test_when=True
    )
    assert [e.event_id for _, e in kept] == ["a", "b"]


def test_a_limit_counts_only_matching_events(build: Build) -> None:
    definition = define(
        build,
        """
        engagement:
          rules:
            - {id: pricing, event: page_viewed, when: "url contains 'pricing'", points: 5, limit: {max: 1}}
        """,
    )
    events = [build.event("page_viewed", 3, url="/blog"), build.event("page_viewed", 1, url="/pricing")]
    assert score_engagement(definition, events, build.as_of).total == 5.0


def test_a_limit_per_window_counts_back_from_as_of(build: Build) -> None:
    definition = define(
        build,
        """
        engagement:
          half_life_days: 7
          rules:
            - {id: blog, event: page_viewed, points: 4, limit: {max: 1, per_days: 7}}
            - {id: first, event: page_viewed, points: 4, limit: {max: 1, per_days: 7, keep: earliest}}
        """,
    )
    # windows of 7 days back from as_of: [0, 7) holds 0.5, 1, 6.9; [7, 14) holds 7 and 13; [14, 21) holds 14
    ages = [0.5, 1, 6.9, 7, 13, 14]
    result = score_engagement(definition, [build.event("page_viewed", a) for a in ages], build.as_of)
    latest, earliest = result.contributions
    assert latest.events == earliest.events == 3
    # the latest event of each window counts, or with keep: earliest the first
    assert latest.points == decayed(4, 0.5, 7) + decayed(4, 7, 7) + decayed(4, 14, 7)
    assert earliest.points == decayed(4, 6.9, 7) + decayed(4, 13, 7) + decayed(4, 14, 7)


def test_a_limit_per_window_of_several_events(build: Build) -> None:
    definition = define(
        build,
        "engagement: {rules: [{id: blog, event: page_viewed, points: 1, limit: {max: 3, per_days: 7}}]}",
    )
    ages = [0, 1, 2, 3, 4, 5, 8, 9, 30]
    result = score_engagement(definition, [build.event("page_viewed", a) for a in ages], build.as_of)
    assert result.total == 3 + 2 + 1


# -- caps -----------------------------------------------------------------------------------------------


def test_a_rules_cap_limits_its_total(build: Build) -> None:
    definition = define(
        build, "engagement: {rules: [{id: v, event: page_viewed, points: 10, max_points: 25}]}"
    )
    result = score_engagement(definition, [build.event("page_viewed", d) for d in range(4)], build.as_of)
    [contribution] = result.contributions
    assert contribution.points == 25.0
    assert contribution.raw_points == 40.0
    assert contribution.reason == "page_viewed: 4 events, capped at 25"
    assert result.total == 25.0


def test_a_negative_rules_cap_limits_its_size(build: Build) -> None:
    definition = define(
        build, "engagement: {rules: [{id: careers, event: page_viewed, points: -10, max_points: 20}]}"
    )
    result = score_engagement(definition, [build.event("page_viewed", d) for d in range(3)], build.as_of)
    assert result.total == -20.0
    assert result.contributions[0].raw_points == -30.0


def test_a_cap_that_is_not_reached_changes_nothing(build: Build) -> None:
    definition = define(
        build, "engagement: {rules: [{id: v, event: page_viewed, points: 10, max_points: 30}]}"
    )
    result = score_engagement(definition, [build.event("page_viewed", d) for d in range(3)], build.as_of)
    assert result.total == 30.0
    assert "capped" not in result.contributions[0].reason


def test_the_global_cap_adds_a_contribution_so_the_trace_adds_up(build: Build) -> None:
    definition = define(
        build,
        """
        engagement:
          max_points: 50
          rules:
            - {id: visits, event: page_viewed, points: 10}
            - {id: demo, event: form_submitted, points: 30}
        """,
    )
    events = [build.event("page_viewed", d) for d in range(4)] + [
        build.event("form_submitted", 1, form="demo")
    ]
    result = score_engagement(definition, events, build.as_of)
    assert result.total == 50.0
    assert [(c.kind, c.rule, c.points) for c in result.contributions] == [
        ("engagement", "visits", 40.0),
        ("engagement", "demo", 30.0),
        ("engagement_cap", "engagement.max_points", -20.0),
    ]
    assert result.contributions[-1].raw_points == 70.0
    assert result.contributions[-1].reason == "engagement capped at 50 (was 70)"
    assert sum(c.points for c in result.contributions) == result.total


def test_the_global_cap_applies_to_the_total_after_negative_rules(build: Build) -> None:
    definition = define(
        build,
        """
        engagement:
          max_points: 50
          rules:
            - {id: visits, event: page_viewed, points: 10}
            - {id: unsubscribed, event: email_unsubscribed, points: -15}
        """,
    )
    events = [build.event("page_viewed", d) for d in range(6)] + [build.event("email_unsubscribed", 1)]
    result = score_engagement(definition, events, build.as_of)
    assert result.total == 45.0  # 60 - 15 is below the cap
    assert all(c.kind == "engagement" for c in result.contributions)


def test_a_negative_total_is_not_raised_by_the_cap(build: Build) -> None:
    definition = define(
        build, "engagement: {max_points: 10, rules: [{id: u, event: email_unsubscribed, points: -15}]}"
    )
    assert score_engagement(definition, [build.event("email_unsubscribed", 1)], build.as_of).total == -15.0


def test_the_caps_show_in_the_lead_score(build: Build) -> None:
    definition = define(
        build,
        "engagement: {max_points: 15, rules: [{id: v, event: page_viewed, points: 10, max_points: 25}]}",
    )
    events = [build.event("page_viewed", d) for d in range(3)]
    score = score_lead(definition, build.lead(), events, [], build.as_of)
    assert score.engagement == 15.0 == score.score
    assert [c.points for c in score.trace] == [25.0, -10.0]


# -- the latest positive event -----------------------------------------------------------------------


def test_the_latest_counted_event_of_a_positive_rule_is_kept(build: Build) -> None:
    definition = define(
        build,
        """
        engagement:
          rules:
            - {id: visits, event: page_viewed, points: 1, within_days: 30}
            - {id: unsubscribed, event: email_unsubscribed, points: -5}
        """,
    )
    events = [
        build.event("page_viewed", 10),
        build.event("page_viewed", 4),
        build.event("page_viewed", 40),  # outside the window: not counted
        build.event("email_unsubscribed", 1),  # a negative rule
        build.event("page_viewed", -1),  # after as_of
    ]
    result = score_engagement(definition, events, build.as_of)
    assert result.last_positive_at == build.ago(4).timestamp()


def test_no_positive_rule_no_latest_event(build: Build) -> None:
    definition = define(build, "engagement: {rules: [{id: u, event: email_unsubscribed, points: -5}]}")
    assert (
        score_engagement(definition, [build.event("email_unsubscribed", 1)], build.as_of).last_positive_at
        is None
    )
