"""The reference evaluator: the executable specification every other engine must match.

`score_lead` is a pure function of (definition, lead, events, calls, as_of, account, roll-ups). Steps:
1. persona: the first persona rule that holds on the lead's profile, else the default;
2. engagement from events (see `engagement`);
3. roll-ups over the account's leads (see `rollups`);
4. fit: the sum of the points of every fit rule that holds; the grade is the first grade (highest
   minimum first) whose minimum fit reaches, else the catch-all grade;
5. disqualifiers: every one that holds is listed with its reason;
6. criteria from calls (see `criteria`);
7. fast-track triggers (none for a disqualified lead), in definition order: an event trigger fires on any event of its type at or before
   as_of (in the last `within_days`, when set) whose properties satisfy `when`; a state trigger fires
   when its condition holds. The first that fires is the lead's `fast_track`;
8. stage: the disqualified stage when disqualified; otherwise the highest funnel stage whose condition
   holds, raised to the fast-track stage when a trigger fired, else the funnel's first stage.
score = fit + engagement + criteria points, and equals the sum of the trace's points exactly.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadgate.definition import Definition
from leadgate.records import Account, Call, Event, Lead
from leadgate.scoring.criteria import CriteriaResult, score_criteria
from leadgate.scoring.derived import PerDefinition
from leadgate.scoring.engagement import DAY, EngagementResult, score_engagement
from leadgate.scoring.matches import Matches, plan_of, reads_time
from leadgate.scoring.result import Contribution, LeadScore
from leadgate.scoring.rollups import Member, compute_rollups, rollups_read


def profile_context(lead: Lead, account: Account | None) -> dict[str, Any]:
    """The lead's and account's fields under `lead.*` and `account.*`."""
    ctx: dict[str, Any] = {f"lead.{k}": v for k, v in lead.fields.items()}
    ctx["lead.id"] = lead.lead_id
    ctx["lead.email"] = lead.email
    ctx["lead.email_domain"] = lead.email_domain
    ctx["lead.account_id"] = lead.account_id
    ctx["lead.created_at"] = lead.created_at
    if account is not None:
        ctx.update({f"account.{k}": v for k, v in account.fields.items()})
        ctx["account.id"] = account.account_id
        ctx["account.domain"] = account.domain
        ctx["account.name"] = account.name
    return ctx


def decide_persona(definition: Definition, ctx: Mapping[str, Any], as_of: datetime) -> str:
    for persona in definition.personas:
        if persona.guard.test(ctx, as_of):
            return persona.id
    return definition.default_persona


def score_lead(
    definition: Definition,
    lead: Lead,
    events: Sequence[Event],
    calls: Sequence[Call],
    as_of: datetime,
    account: Account | None = None,
    rollups: Mapping[str, float] | None = None,
    matches: Matches | None = None,
) -> LeadScore:
    """Score one lead. Without `rollups`, an account's roll-ups count this lead alone. `matches`: the
    same events sorted to the rules (see `matches`), which spares testing their conditions again."""
    if matches is None:
        matches = Matches.of(definition, events)
    ctx = lead_context(definition, lead, account, as_of)
    engagement = score_engagement(definition, (), as_of, matches)
    if rollups is None and account is not None and definition.rollups:
        rollups = compute_rollups(
            definition, [Member(ctx, engagement.total, engagement.last_positive_at)], as_of
        )
    return finish(definition, lead, ctx, engagement, rollups or {}, calls, as_of, matches)


def score_leads(
    definition: Definition,
    leads: Iterable[Lead],
    accounts: Mapping[str, Account],
    events_by_lead: Mapping[str, Sequence[Event]],
    calls_by_lead: Mapping[str, Sequence[Call]],
    as_of: datetime,
    matches_by_lead: Mapping[str, Matches] | None = None,
    keep: Callable[[Lead, Mapping[str, float]], bool] | None = None,
) -> Iterator[LeadScore]:
    """Score many leads, with roll-ups computed over every account's leads in the batch.
    `matches_by_lead`: the leads' events sorted to the rules (see `matches`), for some or all leads.
    `keep(lead, its account's roll-ups)`: whether to score a lead (all by default); a lead left out
    still counts in its account's roll-ups."""
    given = matches_by_lead or {}

    def matches_of(lead: Lead) -> Matches:
        found = given.get(lead.lead_id)
        return found if found is not None else Matches.of(definition, events_by_lead.get(lead.lead_id, ()))

    if not definition.rollups and keep is None:
        for lead in leads:
            account = accounts.get(lead.account_id) if lead.account_id else None
            yield score_lead(
                definition,
                lead,
                (),
                calls_by_lead.get(lead.lead_id, ()),
                as_of,
                account,
                matches=matches_of(lead),
            )
        return
    prepared: list[tuple[Lead, dict[str, Any], EngagementResult, Matches]] = []
    members: dict[str, list[Member]] = defaultdict(list)
    for lead in leads:
        account = accounts.get(lead.account_id) if lead.account_id else None
        ctx = lead_context(definition, lead, account, as_of)
        matches = matches_of(lead)
        engagement = score_engagement(definition, (), as_of, matches)
        prepared.append((lead, ctx, engagement, matches))
        if account is not None:
            members[account.account_id].append(Member(ctx, engagement.total, engagement.last_positive_at))
    account_rollups = {aid: compute_rollups(definition, group, as_of) for aid, group in members.items()}
    for lead, ctx, engagement, matches in prepared:
        rollups = account_rollups.get(ctx.get("account.id") or "", {})
        if keep is not None and not keep(lead, rollups):
            continue
        yield finish(
            definition, lead, ctx, engagement, rollups, calls_by_lead.get(lead.lead_id, ()), as_of, matches
        )


@dataclass(frozen=True, slots=True)
class _Timing:
    """Which steps' conditions read the time (`within N days`): those are never remembered."""

    persona: bool
    fit: bool
    disqualifiers: bool
    state_triggers: bool
    rollups: tuple[str, ...]  # the roll-ups some rule reads (`rollups_read`): what a step's memo is keyed by


def _timing_of(definition: Definition) -> _Timing:
    return _Timing(
        any(reads_time(p.guard) for p in definition.personas),
        any(reads_time(r.guard) for r in definition.fit_rules),
        any(reads_time(d.guard) for d in definition.disqualifiers),
        any(reads_time(t.guard) for t in definition.triggers if t.event is None),
        rollups_read(definition),
    )


_timing = PerDefinition(_timing_of)


def lead_context(
    definition: Definition,
    lead: Lead,
    account: Account | None,
    as_of: datetime,
    memo: dict[Any, Any] | None = None,
) -> dict[str, Any]:
    """`profile_context` with the persona decided (a new dict: scoring adds to it). `memo`: a dict kept
    with the lead (and its account) between scorings, see `finish`."""
    if memo is None:
        ctx = profile_context(lead, account)
        ctx["persona"] = decide_persona(definition, ctx, as_of)
        return ctx
    timed = _timing(definition).persona
    base = memo.get(("profile", timed))
    if base is None:
        base = profile_context(lead, account)
        if not timed:
            base["persona"] = decide_persona(definition, base, as_of)
        memo[("profile", timed)] = base
    ctx = dict(base)
    if timed:
        ctx["persona"] = decide_persona(definition, ctx, as_of)
    return ctx


def finish(
    definition: Definition,
    lead: Lead,
    ctx: dict[str, Any],
    engagement: EngagementResult,
    rollups: Mapping[str, float],
    calls: Sequence[Call],
    as_of: datetime,
    matches: Matches,
    memo: dict[Any, Any] | None = None,
) -> LeadScore:
    """Steps 4 to 8 of the module's text, for a lead whose context (`lead_context`), engagement and
    account roll-ups are known. `memo`: a dict kept with the lead between scorings, as long as its
    profile, its account and its calls do not change (a live scorer's): the steps that read neither
    the events nor the time are remembered there, keyed by what they read that can change (the
    persona, the roll-ups rules read; calls count once none is later than as_of). The result is
    exactly that of scoring without it."""
    for name, value in rollups.items():
        ctx[f"account.{name}"] = value
    timing = _timing(definition) if memo is not None else None
    key = (ctx["persona"], tuple(map(rollups.get, timing.rollups))) if timing is not None else None
    fit_part = memo.get(("fit", key)) if memo is not None else None
    if fit_part is None:
        fit_trace = tuple(
            Contribution("fit", rule.id, rule.points, rule.description or rule.guard.text)
            for rule in definition.fit_rules
            if rule.guard.test(ctx, as_of)
        )
        fit = sum((c.points for c in fit_trace), 0.0)
        fit_part = (fit_trace, fit, _grade(definition, fit))
        if memo is not None and timing is not None and not timing.fit:
            memo[("fit", key)] = fit_part
    fit_trace, fit, grade = fit_part
    criteria, settled, said, criteria_ctx = _criteria(definition, calls, as_of, memo)
    ctx.update(said)
    remember = memo is not None and timing is not None and settled
    disqualified = memo.get(("disqualified", key)) if remember and memo is not None else None
    if disqualified is None:
        disqualified = tuple(d for d in definition.disqualifiers if d.guard.test(ctx, as_of))
        if remember and memo is not None and timing is not None and not timing.disqualifiers:
            memo[("disqualified", key)] = disqualified
    trace = list(fit_trace)
    trace.extend(Contribution("disqualifier", d.id, 0.0, d.reason) for d in disqualified)
    trace.extend(engagement.contributions)
    trace.extend(criteria.contributions)
    ctx.update(criteria_ctx)
    states = None
    if remember and memo is not None and timing is not None and not timing.state_triggers:
        states = memo.get(("state_triggers", key))
        if states is None:
            states = memo[("state_triggers", key)] = _state_triggers(definition, ctx, as_of)
    fired = [] if disqualified else _fired_triggers(definition, ctx, as_of, matches, states)
    trace.extend(Contribution("fast_track", t_id, 0.0, reason) for t_id, reason in fired)
    score = fit + engagement.total + criteria.points
    stage = _stage(
        definition, ctx, bool(disqualified), bool(fired), fit, grade, engagement.total, score, as_of
    )
    return LeadScore(
        lead_id=lead.lead_id,
        account_id=ctx.get("account.id"),
        as_of=as_of,
        definition_version=definition.version,
        score=score,
        fit=fit,
        grade=grade,
        engagement=engagement.total,
        criteria=criteria.points,
        criteria_met=criteria.met,
        criteria_passed=criteria.passed,
        persona=ctx["persona"],
        disqualified=bool(disqualified),
        disqualified_reasons=tuple(d.reason for d in disqualified),
        fast_track=fired[0][0] if fired else None,
        stage=stage,
        trace=tuple(trace),
    )


def _criteria(
    definition: Definition, calls: Sequence[Call], as_of: datetime, memo: dict[Any, Any] | None
) -> tuple[CriteriaResult, bool, dict[str, Any], dict[str, Any]]:
    """The criteria; whether every call counts (none is later than as_of: then they are the same at
    any later as_of, and remembered); and the names they give conditions (`context()`, then
    `criteria_context()`)."""
    if memo is not None:
        found = memo.get(("criteria",))
        if found is not None and (found[1] is None or as_of >= found[1]):
            return found[0], True, found[2], found[3]
    result = score_criteria(definition, calls, as_of)
    latest = max((c.called_at for c in calls), default=None)
    settled = latest is None or as_of >= latest
    said, criteria_ctx = result.context(), result.criteria_context(definition)
    if memo is not None and settled:
        memo[("criteria",)] = (result, latest, said, criteria_ctx)
    return result, settled, said, criteria_ctx


def _state_triggers(definition: Definition, ctx: Mapping[str, Any], as_of: datetime) -> tuple[bool, ...]:
    """Whether each state trigger's condition holds (False for event triggers)."""
    return tuple(
        t.event is None and t.guard is not None and t.guard.test(ctx, as_of) for t in definition.triggers
    )


def _grade(definition: Definition, fit: float) -> str:
    for grade, least in definition.grades:
        if least is None or fit >= least:
            return grade
    return definition.grades[-1][0]  # pragma: no cover - the catch-all grade always matches


def _fired_triggers(
    definition: Definition,
    ctx: Mapping[str, Any],
    as_of: datetime,
    matches: Matches,
    states: tuple[bool, ...] | None = None,
) -> list[tuple[str, str]]:
    """`states`: the state triggers' results, when known (`_state_triggers`)."""
    fired: list[tuple[str, str]] = []
    now = as_of.timestamp()
    timed = plan_of(definition).triggers_timed
    for index, trigger in enumerate(definition.triggers):
        if trigger.event is None:
            holds = (
                states[index]
                if states is not None
                else trigger.guard is not None and trigger.guard.test(ctx, as_of)
            )
            if holds:
                fired.append((trigger.id, trigger.reason))
            continue
        # of its type and past its `when` (unless that reads the time), by time: those up to as_of,
        # in its window
        times = matches.trigger_times[index]
        hi = bisect_right(times, now)
        lo = 0 if trigger.within_days is None else bisect_left(times, now - trigger.within_days * DAY)
        if lo >= hi:
            continue
        test = trigger.guard if timed[index] else None
        if test is None or any(test.test(e.properties, as_of) for _, e in matches.triggers[index][lo:hi]):
            fired.append((trigger.id, trigger.reason))
    return fired


def _stage(
    definition: Definition,
    ctx: dict[str, Any],
    disqualified: bool,
    fast_tracked: bool,
    fit: float,
    grade: str,
    engagement: float,
    score: float,
    as_of: datetime,
) -> str:
    if disqualified:
        return definition.disqualified_stage
    ctx.update(fit=fit, grade=grade, engagement=engagement, score=score, fast_track=fast_tracked)
    stage = definition.funnel[0]
    for rule in definition.stage_rules:
        if rule.guard.test(ctx, as_of):
            stage = rule.stage
            break
    if fast_tracked:
        order = definition.funnel.index
        if order(stage) < order(definition.fast_track_stage):
            stage = definition.fast_track_stage
    return stage


__all__ = ["decide_persona", "finish", "lead_context", "profile_context", "score_lead", "score_leads"]
