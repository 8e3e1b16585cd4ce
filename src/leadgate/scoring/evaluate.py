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

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from leadgate.definition import Definition
from leadgate.records import Account, Call, Event, Lead
from leadgate.scoring.criteria import score_criteria
from leadgate.scoring.engagement import DAY, EngagementResult, score_engagement
from leadgate.scoring.matches import Matches, plan_of
from leadgate.scoring.result import Contribution, LeadScore
from leadgate.scoring.rollups import Member, compute_rollups


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
    ctx = profile_context(lead, account)
    ctx["persona"] = decide_persona(definition, ctx, as_of)
    engagement = score_engagement(definition, events, as_of, matches)
    if rollups is None and account is not None and definition.rollups:
        rollups = compute_rollups(
            definition, [Member(ctx, engagement.total, engagement.last_positive_at)], as_of
        )
    return _finish(definition, lead, ctx, engagement, rollups or {}, events, calls, as_of, matches)


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
    matches = matches_by_lead or {}
    if not definition.rollups and keep is None:
        for lead in leads:
            account = accounts.get(lead.account_id) if lead.account_id else None
            yield score_lead(
                definition,
                lead,
                events_by_lead.get(lead.lead_id, ()),
                calls_by_lead.get(lead.lead_id, ()),
                as_of,
                account,
                matches=matches.get(lead.lead_id),
            )
        return
    prepared: list[tuple[Lead, dict[str, Any], EngagementResult]] = []
    members: dict[str, list[Member]] = defaultdict(list)
    for lead in leads:
        account = accounts.get(lead.account_id) if lead.account_id else None
        ctx = profile_context(lead, account)
        ctx["persona"] = decide_persona(definition, ctx, as_of)
        engagement = score_engagement(
            definition, events_by_lead.get(lead.lead_id, ()), as_of, matches.get(lead.lead_id)
        )
        prepared.append((lead, ctx, engagement))
        if account is not None:
            members[account.account_id].append(Member(ctx, engagement.total, engagement.last_positive_at))
    account_rollups = {aid: compute_rollups(definition, group, as_of) for aid, group in members.items()}
    for lead, ctx, engagement in prepared:
        rollups = account_rollups.get(ctx.get("account.id") or "", {})
        if keep is not None and not keep(lead, rollups):
            continue
        yield _finish(
            definition,
            lead,
            ctx,
            engagement,
            rollups,
            events_by_lead.get(lead.lead_id, ()),
            calls_by_lead.get(lead.lead_id, ()),
            as_of,
            matches.get(lead.lead_id),
        )


def _finish(
    definition: Definition,
    lead: Lead,
    ctx: dict[str, Any],
    engagement: EngagementResult,
    rollups: Mapping[str, float],
    events: Sequence[Event],
    calls: Sequence[Call],
    as_of: datetime,
    matches: Matches | None = None,
) -> LeadScore:
    ctx.update({f"account.{k}": v for k, v in rollups.items()})
    trace: list[Contribution] = []
    for rule in definition.fit_rules:
        if rule.guard.test(ctx, as_of):
            trace.append(Contribution("fit", rule.id, rule.points, rule.description or rule.guard.text))
    fit = sum((c.points for c in trace), 0.0)
    grade = _grade(definition, fit)
    criteria = score_criteria(definition, calls, as_of)
    ctx.update(criteria.context())
    disqualified = [d for d in definition.disqualifiers if d.guard.test(ctx, as_of)]
    trace.extend(Contribution("disqualifier", d.id, 0.0, d.reason) for d in disqualified)
    trace.extend(engagement.contributions)
    trace.extend(criteria.contributions)
    ctx.update(criteria.criteria_context(definition))
    fired = [] if disqualified else _fired_triggers(definition, ctx, events, as_of, matches)
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


def _grade(definition: Definition, fit: float) -> str:
    for grade, least in definition.grades:
        if least is None or fit >= least:
            return grade
    return definition.grades[-1][0]  # pragma: no cover - the catch-all grade always matches


def _fired_triggers(
    definition: Definition,
    ctx: Mapping[str, Any],
    events: Sequence[Event],
    as_of: datetime,
    matches: Matches | None = None,
) -> list[tuple[str, str]]:
    fired: list[tuple[str, str]] = []
    now = as_of.timestamp()
    timed = plan_of(definition).triggers_timed if matches is not None else ()
    for index, trigger in enumerate(definition.triggers):
        if trigger.event is None:
            if trigger.guard is not None and trigger.guard.test(ctx, as_of):
                fired.append((trigger.id, trigger.reason))
            continue
        horizon = None if trigger.within_days is None else now - trigger.within_days * DAY
        if matches is None:
            candidates: Iterable[tuple[float, Event]] = (
                (event.ts, event) for event in events if event.type == trigger.event
            )
            test = trigger.guard
        else:  # of its type, and past its `when` unless that reads the time
            candidates = matches.triggers[index]
            test = trigger.guard if timed[index] else None
        for ts, event in candidates:
            if ts > now or (horizon is not None and ts < horizon):
                continue
            if test is None or test.test(event.properties, as_of):
                fired.append((trigger.id, trigger.reason))
                break
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


__all__ = ["decide_persona", "profile_context", "score_lead", "score_leads"]
