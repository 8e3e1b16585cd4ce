"""A lead's events sorted to the rules that can count them, each rule's by time.

Scoring tests each engagement rule's and each event trigger's `when` on every event of its type. The
test does not depend on `as_of` unless the condition reads the time (`within N days`), so the events
are sorted to the rules once: `Matches.of(definition, events)`, then `matches.plus(definition, newer)`
as events arrive (live scoring keeps a lead's matches between re-scores). Each rule's events are kept
in time order, so that scoring finds those up to `as_of`, or within a window, by bisection. Scoring
sorts the events itself when it is not given their matches; given them, it skips those tests, and the
result is exactly the same (every other step, `as_of` and the windows included, is unchanged).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from leadgate.conditions.tree import Condition, Not, Test
from leadgate.definition import Definition
from leadgate.definition.rules import Guard
from leadgate.records import Event
from leadgate.scoring.derived import PerDefinition

Candidates = list[tuple[float, Event]]  # (epoch seconds, event), by time


@dataclass(frozen=True, slots=True)
class Plan:
    """How a definition sorts events. Slots: the engagement rules, then the triggers (a state trigger's
    slot stays empty). `by_type`: per event type, its slots, each with the `when` to test while sorting
    (None: none, or one that reads the time, which scoring tests). `*_timed`: per rule and per trigger,
    whether scoring still tests its `when`."""

    by_type: dict[str, tuple[tuple[int, Guard | None], ...]]
    rules_timed: tuple[bool, ...]
    triggers_timed: tuple[bool, ...]


def _plan(definition: Definition) -> Plan:
    slots: list[tuple[str | None, Guard | None]] = [(r.event, r.guard) for r in definition.engagement_rules]
    slots += [(t.event, t.guard) for t in definition.triggers]
    timed = [reads_time(guard) for _, guard in slots]
    by_type: dict[str, list[tuple[int, Guard | None]]] = {}
    for index, ((event, guard), later) in enumerate(zip(slots, timed, strict=True)):
        if event is not None:
            by_type.setdefault(event, []).append((index, None if later else guard))
    n = len(definition.engagement_rules)
    return Plan({event: tuple(found) for event, found in by_type.items()}, tuple(timed[:n]), tuple(timed[n:]))


plan_of = PerDefinition(_plan)


def reads_time(guard: Guard | None) -> bool:
    """Whether a condition's truth can change with `as_of` (it has a `within N days` test)."""
    return guard is not None and _timed(guard.tree)


def _timed(condition: Condition) -> bool:
    if isinstance(condition, Test):
        return condition.op == "within days"
    if isinstance(condition, Not):
        return _timed(condition.item)
    return any(_timed(item) for item in condition.items)


@dataclass(frozen=True, slots=True)
class Matches:
    """Per engagement rule (definition order): the events of its type whose `when` holds, or all of
    them when the `when` reads the time; per trigger, likewise (empty for a state trigger). Each slot
    is sorted by time (events at the same time in the order they came), with its times apart in
    `rule_times` / `trigger_times`, so that scoring finds the events up to `as_of`, or in a window,
    by bisection. Events after any `as_of` are kept: scoring leaves them out, as it does without
    matches."""

    rules: tuple[Candidates, ...]
    triggers: tuple[Candidates, ...]
    rule_times: tuple[list[float], ...]
    trigger_times: tuple[list[float], ...]
    count: int = 0  # how many events were sorted, matched or not

    @classmethod
    def of(cls, definition: Definition, events: Iterable[Event]) -> Matches:
        plan = plan_of(definition)
        rules: tuple[Candidates, ...] = tuple([] for _ in plan.rules_timed)
        triggers: tuple[Candidates, ...] = tuple([] for _ in plan.triggers_timed)
        empty = cls(rules, triggers, tuple([] for _ in rules), tuple([] for _ in triggers))
        return empty.plus(definition, events)

    def plus(self, definition: Definition, events: Iterable[Event]) -> Matches:
        """These matches and those of more events (which came after the ones already sorted). The
        slots no event goes to are shared with these matches (neither is ever changed)."""
        plan = plan_of(definition)
        found = [*self.rules, *self.triggers]
        times = [*self.rule_times, *self.trigger_times]
        copied: set[int] = set()
        by_type = plan.by_type
        count = self.count
        for event in events:
            count += 1
            wanted = by_type.get(event.type)
            if wanted is None:
                continue
            props = event.properties
            ts = event.ts
            for slot, guard in wanted:
                if guard is None or guard.test(props, _NEVER):
                    if slot not in copied:
                        found[slot], times[slot] = list(found[slot]), list(times[slot])
                        copied.add(slot)
                    at = times[slot]
                    if not at or at[-1] <= ts:  # the usual case: the newest event comes last
                        at.append(ts)
                        found[slot].append((ts, event))
                    else:
                        where = bisect_right(at, ts)
                        at.insert(where, ts)
                        found[slot].insert(where, (ts, event))
        n = len(plan.rules_timed)
        return Matches(tuple(found[:n]), tuple(found[n:]), tuple(times[:n]), tuple(times[n:]), count)


# sorting tests only conditions that do not read the time: they are given one they never look at
_NEVER = datetime.min.replace(tzinfo=UTC)

__all__ = ["Matches", "Plan", "plan_of", "reads_time"]
