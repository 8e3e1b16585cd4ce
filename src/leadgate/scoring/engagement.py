"""Engagement: points for what a lead did, with decay, count limits, windows and caps.

For each rule, in definition order:
1. its events are those of the rule's type with time <= as_of, within `within_days` when set, whose
   properties satisfy `when`;
2. a count limit keeps `max` of them, in all or in each window of `per_days` days counted back from
   as_of (window k holds ages in [k * per_days, (k + 1) * per_days)): with `keep: latest` the most
   recent ones, with `keep: earliest` the first ones; events at the same time go by event_id;
3. each kept event earns the rule's points halved every half-life of its age, put on the points grid;
4. the rule's total is their sum, capped at `max_points` in size.
The engagement total is the sum of the rules' totals, capped at the global `max_points`; a cap that
bites adds an `engagement_cap` contribution, so the trace still adds up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from leadgate.definition import Definition
from leadgate.definition.rules import EngagementRule
from leadgate.points import decayed_sum, quantize, show
from leadgate.records import Event
from leadgate.scoring.matches import Matches, plan_of
from leadgate.scoring.result import Contribution

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class EngagementResult:
    total: float
    contributions: tuple[Contribution, ...]
    last_positive_at: float | None  # epoch seconds of the latest counted event of a positive rule


def score_engagement(
    definition: Definition, events: Iterable[Event], as_of: datetime, matches: Matches | None = None
) -> EngagementResult:
    """With `matches` (the same events, sorted to the rules: see `matches`), `events` is not read."""
    now = as_of.timestamp()
    if matches is None:
        rules_by_event = definition.rules_by_event
        by_type: dict[str, list[tuple[float, Event]]] = {}
        for event in events:
            if event.type in rules_by_event:
                ts = event.ts
                if ts <= now:
                    by_type.setdefault(event.type, []).append((ts, event))
        timed = (True,) * len(definition.engagement_rules)
    else:
        timed = plan_of(definition).rules_timed
    contributions: list[Contribution] = []
    last_positive: float | None = None
    for index, rule in enumerate(definition.engagement_rules):
        if matches is None:
            candidates = by_type.get(rule.event)
        else:
            candidates = [(ts, e) for ts, e in matches.rules[index] if ts <= now]
        if not candidates:
            continue
        matched = _matching(rule, candidates, now, as_of, timed[index])
        if not matched:
            continue
        contribution = _rule_total(rule, matched, now)
        contributions.append(contribution)
        if rule.points > 0:
            latest = max(ts for ts, _ in matched)
            last_positive = latest if last_positive is None else max(last_positive, latest)
    raw = sum((c.points for c in contributions), 0.0)
    cap = definition.engagement_cap
    if cap is not None and raw > cap:
        adjustment = quantize(cap - raw)
        contributions.append(
            Contribution(
                "engagement_cap",
                "engagement.max_points",
                adjustment,
                f"engagement capped at {show(cap)} (was {show(raw)})",
                raw_points=raw,
            )
        )
        raw = cap
    return EngagementResult(raw, tuple(contributions), last_positive)


def _matching(
    rule: EngagementRule, candidates: list[tuple[float, Event]], now: float, as_of: datetime, test_when: bool
) -> list[tuple[float, Event]]:
    """`test_when`: whether to test the rule's `when` (False: the candidates passed it when sorted)."""
    horizon = None if rule.within_days is None else now - rule.within_days * DAY
    test = rule.guard.test if rule.guard is not None and test_when else None
    if horizon is None and test is None:
        matched = list(candidates)  # sorted below, and the candidates may be shared by several rules
    else:
        matched = [
            (ts, e)
            for ts, e in candidates
            if (horizon is None or ts >= horizon) and (test is None or test(e.properties, as_of))
        ]
    if rule.limit_max is None or (len(matched) <= rule.limit_max and rule.limit_per_days is None):
        return matched
    if rule.limit_keep == "latest":
        matched.sort(key=lambda te: (-te[0], te[1].event_id))
    else:
        matched.sort(key=lambda te: (te[0], te[1].event_id))
    if rule.limit_per_days is None:
        return matched[: rule.limit_max]
    per_window: dict[int, int] = {}
    kept = []
    width = rule.limit_per_days * DAY
    for ts, e in matched:
        window = math.floor((now - ts) / width)
        seen = per_window.get(window, 0)
        if seen < rule.limit_max:
            per_window[window] = seen + 1
            kept.append((ts, e))
    return kept


def _rule_total(rule: EngagementRule, matched: list[tuple[float, Event]], now: float) -> Contribution:
    half_life = rule.half_life_days
    points = rule.points
    if half_life is None:
        raw = quantize(points) * len(matched)
    else:
        raw = decayed_sum(points, [(now - ts) / DAY for ts, _ in matched], half_life)
    total = raw
    capped = rule.max_points is not None and abs(raw) > rule.max_points
    if capped:
        assert rule.max_points is not None
        total = math.copysign(rule.max_points, raw)
    n = len(matched)
    what = rule.description or (f"{rule.event} where {rule.guard.text}" if rule.guard else rule.event)
    reason = f"{what}: {n} event{'s' if n != 1 else ''}"
    undecayed = rule.points * n
    if half_life is not None and undecayed != raw:
        reason += f", {show(undecayed)} before decay"
    if capped:
        reason += f", capped at {show(total)}"
    return Contribution("engagement", rule.id, total, reason, events=n, raw_points=raw)
