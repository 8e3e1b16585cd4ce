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
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from leadgate.definition import Definition
from leadgate.definition.rules import EngagementRule
from leadgate.points import decayed_sum, quantize, show
from leadgate.records import Event
from leadgate.scoring.derived import PerDefinition
from leadgate.scoring.matches import Candidates, Matches, plan_of
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
    if matches is None:
        matches = Matches.of(definition, events)
    now = as_of.timestamp()
    timed = plan_of(definition).rules_timed
    reasons = _reasons_of(definition)
    contributions: list[Contribution] = []
    last_positive: float | None = None
    for index, rule in enumerate(definition.engagement_rules):
        times = matches.rule_times[index]
        hi = bisect_right(times, now)  # events up to as_of
        if not hi:
            continue
        lo = 0 if rule.within_days is None else bisect_left(times, now - rule.within_days * DAY)
        if lo >= hi:
            continue
        kept = _kept(rule, matches.rules[index], times, lo, hi, now, as_of, timed[index])
        if not kept:
            continue
        contributions.append(_rule_total(rule, kept, now, reasons[index]))
        if rule.points > 0:
            latest = max(kept)
            last_positive = latest if last_positive is None or latest > last_positive else last_positive
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


def last_positive_at(definition: Definition, as_of: datetime, matches: Matches) -> float | None:
    """`score_engagement(...).last_positive_at` alone (what the `engaged_contacts` roll-up reads of a
    lead), without the points."""
    now = as_of.timestamp()
    timed = plan_of(definition).rules_timed
    last: float | None = None
    for index, rule in enumerate(definition.engagement_rules):
        if rule.points <= 0:
            continue
        times = matches.rule_times[index]
        hi = bisect_right(times, now)
        if not hi or (last is not None and times[hi - 1] <= last):  # nothing later to find here
            continue
        lo = 0 if rule.within_days is None else bisect_left(times, now - rule.within_days * DAY)
        if lo >= hi:
            continue
        if not timed[index] and (rule.limit_max is None or rule.limit_keep == "latest"):
            latest = times[hi - 1]  # the latest event counts: a limit that keeps the latest keeps it
        else:
            kept = _kept(rule, matches.rules[index], times, lo, hi, now, as_of, timed[index])
            if not kept:
                continue
            latest = max(kept)
        last = latest if last is None or latest > last else last
    return last


def _kept(
    rule: EngagementRule,
    candidates: Candidates,
    times: list[float],
    lo: int,
    hi: int,
    now: float,
    as_of: datetime,
    test_when: bool,
) -> list[float]:
    """The times of the events the rule counts, of those in `candidates[lo:hi]` (sorted by time, up to
    as_of, in its window): those whose `when` holds (`test_when`: it reads the time, so it is tested
    now), then those its count limit keeps. Which of several events at the same time a limit keeps
    does not change the result, which depends only on their times."""
    if test_when and rule.guard is not None:
        matched = _matching(rule, candidates[lo:hi], now, as_of, True)
        return [ts for ts, _ in matched]
    limit = rule.limit_max
    if limit is None or (hi - lo <= limit and rule.limit_per_days is None):
        return times[lo:hi]
    latest = rule.limit_keep == "latest"
    if rule.limit_per_days is None:
        return times[max(lo, hi - limit) : hi] if latest else times[lo : min(hi, lo + limit)]
    width = rule.limit_per_days * DAY
    per_window: dict[int, int] = {}
    kept = []
    for ts in reversed(times[lo:hi]) if latest else times[lo:hi]:
        window = math.floor((now - ts) / width)
        seen = per_window.get(window, 0)
        if seen < limit:
            per_window[window] = seen + 1
            kept.append(ts)
    return kept


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


Reasons = dict[tuple[int, bool, bool], str]


# per engagement rule, its reasons as written so far, by (events, decayed, capped): a rule's reason
# depends on nothing else, and scoring the same leads again and again writes the same few
def _no_reasons(definition: Definition) -> tuple[Reasons, ...]:
    return tuple({} for _ in definition.engagement_rules)


_reasons_of = PerDefinition(_no_reasons)


def _rule_total(rule: EngagementRule, kept: list[float], now: float, reasons: Reasons) -> Contribution:
    half_life = rule.half_life_days
    points = rule.points
    n = len(kept)
    if half_life is None:
        raw = quantize(points) * n
    else:
        raw = decayed_sum(points, [(now - ts) / DAY for ts in kept], half_life)
    total = raw
    capped = rule.max_points is not None and abs(raw) > rule.max_points
    if capped:
        assert rule.max_points is not None
        total = math.copysign(rule.max_points, raw)
    undecayed = points * n
    decayed = half_life is not None and undecayed != raw
    reason = reasons.get((n, decayed, capped))
    if reason is None:
        what = rule.description or (f"{rule.event} where {rule.guard.text}" if rule.guard else rule.event)
        reason = f"{what}: {n} event{'s' if n != 1 else ''}"
        if decayed:
            reason += f", {show(undecayed)} before decay"
        if capped:
            reason += f", capped at {show(total)}"
        reasons[(n, decayed, capped)] = reason
    return Contribution("engagement", rule.id, total, reason, events=n, raw_points=raw)
