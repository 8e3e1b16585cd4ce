"""Account roll-ups: measures over all of an account's leads, usable in rules as `account.<id>`.

- `contacts`: how many of the account's leads satisfy `where` (all of them when it is absent);
- `engaged_contacts`: how many of those earned positive engagement points from an event in the last
  `within_days` days (the latest counted event of a positive rule is within the window);
- `engagement`: the sum of those leads' engagement.
A lead counts itself. A lead with no account has no roll-ups (they are missing).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from leadgate.conditions.tree import fields_of
from leadgate.definition import Definition


@dataclass(frozen=True, slots=True)
class Member:
    """What roll-ups need of one lead: its profile context (with persona) and its engagement."""

    context: Mapping[str, Any]
    engagement: float
    last_positive_at: float | None  # epoch seconds


def compute_rollups(
    definition: Definition,
    members: Iterable[Member],
    as_of: datetime,
    only: Collection[str] | None = None,
) -> dict[str, float]:
    """The account's roll-ups over its leads (`only`: these roll-ups)."""
    people = list(members)
    now = as_of.timestamp()
    out: dict[str, float] = {}
    for rollup in definition.rollups:
        if only is not None and rollup.id not in only:
            continue
        where = rollup.where
        chosen = [m for m in people if where is None or where.test(m.context, as_of)]
        if rollup.measure == "contacts":
            out[rollup.id] = float(len(chosen))
        elif rollup.measure == "engaged_contacts":
            assert rollup.within_days is not None
            horizon = now - rollup.within_days * 86400.0
            out[rollup.id] = float(
                sum(1 for m in chosen if m.last_positive_at is not None and m.last_positive_at >= horizon)
            )
        else:
            out[rollup.id] = float(sum(m.engagement for m in chosen))
    return out


@lru_cache(maxsize=32)
def rollups_read(definition: Definition) -> tuple[str, ...]:
    """The roll-ups some rule reads (`account.<id>` in a fit rule, a disqualifier, a state trigger or a
    stage rule): a lead's score can move with these only. The others are measures for people to read."""
    guards = [r.guard for r in definition.fit_rules]
    guards += [d.guard for d in definition.disqualifiers]
    guards += [t.guard for t in definition.triggers if t.event is None and t.guard is not None]
    guards += [s.guard for s in definition.stage_rules]
    names = set().union(*(fields_of(g.tree) for g in guards))
    return tuple(r.id for r in definition.rollups if f"account.{r.id}" in names)
