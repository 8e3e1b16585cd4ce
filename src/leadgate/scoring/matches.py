"""A lead's events sorted to the rules that can count them, once, for a service that scores a lead often.

Scoring tests each engagement rule's and each event trigger's `when` on every event of its type. The
test does not depend on `as_of` unless the condition reads the time (`within N days`), so live scoring,
which re-scores the same leads again and again, sorts each event when it first reads it:
`Matches.of(definition, events)`, then `matches.plus(definition, newer)` as events arrive. Given to
`score_lead`/`score_leads`, the matches replace those tests; the result is exactly that of scoring
the same events in the same order (every other step, `as_of` and the windows included, is unchanged).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from weakref import WeakKeyDictionary

from leadgate.conditions.tree import Condition, Not, Test
from leadgate.definition import Definition
from leadgate.definition.rules import Guard
from leadgate.records import Event

Candidates = list[tuple[float, Event]]  # (epoch seconds, event), in the order the events came


@dataclass(frozen=True, slots=True)
class Plan:
    """How a definition sorts events. Slots: the engagement rules, then the triggers (a state trigger's
    slot stays empty). `by_type`: per event type, its slots, each with the `when` to test while sorting
    (None: none, or one that reads the time, which scoring tests). `*_timed`: per rule and per trigger,
    whether scoring still tests its `when`."""

    by_type: dict[str, tuple[tuple[int, Guard | None], ...]]
    rules_timed: tuple[bool, ...]
    triggers_timed: tuple[bool, ...]


_plans: WeakKeyDictionary[Definition, Plan] = WeakKeyDictionary()


def plan_of(definition: Definition) -> Plan:
    found = _plans.get(definition)
    if found is None:
        slots: list[tuple[str | None, Guard | None]] = [
            (r.event, r.guard) for r in definition.engagement_rules
        ]
        slots += [(t.event, t.guard) for t in definition.triggers]
        timed = [reads_time(guard) for _, guard in slots]
        by_type: dict[str, list[tuple[int, Guard | None]]] = {}
        for index, ((event, guard), later) in enumerate(zip(slots, timed, strict=True)):
            if event is not None:
                by_type.setdefault(event, []).append((index, None if later else guard))
        n = len(definition.engagement_rules)
        found = _plans[definition] = Plan(
            {event: tuple(found) for event, found in by_type.items()}, tuple(timed[:n]), tuple(timed[n:])
        )
    return found


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
    them when the `when` reads the time; per trigger, likewise (empty for a state trigger). Events
    after any `as_of` are kept: scoring leaves them out, as it does without matches."""

    rules: tuple[Candidates, ...]
    triggers: tuple[Candidates, ...]
    count: int = 0  # how many events were sorted, matched or not

    @classmethod
    def of(cls, definition: Definition, events: Iterable[Event]) -> Matches:
        plan = plan_of(definition)
        empty = cls(tuple([] for _ in plan.rules_timed), tuple([] for _ in plan.triggers_timed))
        return empty.plus(definition, events)

    def plus(self, definition: Definition, events: Iterable[Event]) -> Matches:
        """These matches and those of more events (which came after the ones already sorted)."""
        plan = plan_of(definition)
        found = [list(x) for x in (*self.rules, *self.triggers)]
        by_type = plan.by_type
        count = self.count
        for event in events:
            count += 1
            wanted = by_type.get(event.type)
            if wanted is None:
                continue
            props = event.properties
            for slot, guard in wanted:
                if guard is None or guard.test(props, _NEVER):
                    found[slot].append((event.ts, event))
        n = len(plan.rules_timed)
        return Matches(tuple(found[:n]), tuple(found[n:]), count)


# sorting tests only conditions that do not read the time: they are given one they never look at
_NEVER = datetime.min.replace(tzinfo=UTC)

__all__ = ["Matches", "Plan", "plan_of", "reads_time"]
