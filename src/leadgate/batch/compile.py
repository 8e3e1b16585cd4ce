"""Compile a definition into Ibis expressions over the batch layout: per-lead results and the trace.

Each step mirrors a step of the reference evaluator (`leadgate.scoring.evaluate`), in the same order and
with the same arithmetic: points are put on the 2**-20 grid per event, so sums are exact on every engine.
No Python runs per row: the whole computation is one expression the engine executes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import ibis
import ibis.expr.types as ir

from leadgate.batch.conditions import DAY, FALSE, number, text, to_ibis
from leadgate.batch.layout import column, property_column
from leadgate.conditions import Condition
from leadgate.definition import Definition
from leadgate.definition.rules import EngagementRule
from leadgate.points import GRID, quantize, show

TRACE_COLUMNS = ("lead_id", "kind", "rule", "points", "reason", "events", "raw_points")


@dataclass(frozen=True)
class Tables:
    leads: ir.Table
    accounts: ir.Table
    events: ir.Table
    calls: ir.Table
    answers: ir.Table


@dataclass(frozen=True)
class Compiled:
    results: ir.Table  # one row per lead
    trace: ir.Table  # one row per contribution: TRACE_COLUMNS


def on_grid(points: ir.FloatingValue) -> ir.FloatingValue:
    """floor(x * 2**20 + 0.5) / 2**20, as `leadgate.points.quantize`."""
    return (points * number(GRID) + number(0.5)).floor().cast("float64") / number(GRID)


def with_shown(table: ir.Table, value: str, into: str) -> ir.Table:
    """`table` with column `into`: column `value` as `leadgate.points.show` writes it (whole numbers
    plainly, others to two decimals).

    Python's round(x, 2) rounds the exact value of x * 100 to an integer, ties to even. y = x * 100 is
    rounded, so a fraction of exactly .5 in y may hide a tie or not: there the exact error of the product,
    x * 100 - y (Dekker's product: x split into two halves of 26 bits, each times 100 exactly), decides.
    Plain IEEE arithmetic, the same on every engine, in small steps (SQLite's parser refuses deep
    expressions)."""
    x = table[value]
    t = table.mutate(_s_y=x * number(100.0), _s_big=x * number(134217729.0))  # 2**27 + 1
    t = t.mutate(_s_whole=t._s_y.floor().cast("int64"), _s_high=t._s_big - (t._s_big - t[value]))
    t = t.mutate(
        _s_fraction=t._s_y - t._s_whole.cast("float64"),
        _s_error=(t._s_high * number(100.0) - t._s_y) + (t[value] - t._s_high) * number(100.0),
    )
    up = ibis.cases(
        (t._s_fraction > number(0.5), 1),
        (t._s_fraction < number(0.5), 0),
        (t._s_error > number(0.0), 1),
        (t._s_error < number(0.0), 0),
        (t._s_whole % 2 != 0, 1),
        else_=0,
    )
    t = t.mutate(_s_cents=t._s_whole + up)
    t = t.mutate(_s_size=t._s_cents.abs(), _s_sign=ibis.cases((t._s_cents < 0, text("-")), else_=text("")))
    t = t.mutate(_s_hundreds=t._s_size // 100)
    # the hundredths as size - hundreds * 100, not size % 100: SQLite's MOD gives a real ('35.0')
    t = t.mutate(
        _s_units=t._s_sign.concat(t._s_hundreds.cast("string")), _s_rest=t._s_size - t._s_hundreds * 100
    )
    padded = ibis.cases((t._s_rest < 10, text("0")), else_=text("")).concat(t._s_rest.cast("string"))
    shown = ibis.cases((t._s_rest == 0, t._s_units), else_=t._s_units.concat(text("."), padded))
    t = t.mutate(**{into: shown})
    return t.drop(*[c for c in t.columns if c.startswith("_s_")])


def _cases(branches: Sequence[tuple[ir.BooleanValue, ir.Value]], default: ir.Value) -> ir.Value:
    if not branches:
        return default
    return ibis.cases(*branches, else_=default)


def _total(parts: Sequence[ir.FloatingValue]) -> ir.FloatingValue:
    out: ir.FloatingValue = number(0.0)
    for part in parts:
        out = out + part
    return out


def _trace_rows(
    table: ir.Table,
    kind: str,
    rule: str,
    points: ir.Value,
    reason: ir.Value,
    events: ir.Value | None = None,
    raw: ir.Value | None = None,
) -> ir.Table:
    return table.select(
        lead_id=table.lead_id,
        kind=text(kind),
        rule=text(rule),
        points=points.cast("float64"),
        reason=reason.cast("string"),
        events=(events if events is not None else ibis.literal(0)).cast("int64"),
        raw_points=(raw if raw is not None else number(0.0)).cast("float64"),
    )


def attach(left: ir.Table, right: ir.Table, key: str) -> ir.Table:
    """`left` with the columns of `right` where the keys match (a left join keeping one key column)."""
    joined = left.left_join(right, left[key] == right[key])
    return joined.select(*[left[c] for c in left.columns], *[right[c] for c in right.columns if c != key])


Checkpoint = Callable[[ir.Table, str], ir.Table]


def as_expression(table: ir.Table, _name: str) -> ir.Table:
    return table


def compile_definition(
    definition: Definition, tables: Tables, as_of: datetime, checkpoint: Checkpoint = as_expression
) -> Compiled:
    """The definition as expressions. `checkpoint(table, name)` may materialise an intermediate step
    inside the engine (a temporary table) and return it: engines with small query planners (SQLite)
    need it, and it keeps every engine from computing a step twice. By default: one expression."""
    return _Compiler(definition, tables, as_of.timestamp(), checkpoint).compile()


class _Compiler:
    def __init__(self, definition: Definition, tables: Tables, now: float, checkpoint: Checkpoint) -> None:
        self.d = definition
        self.t = tables
        self.now = now
        self.checkpoint = checkpoint

    # -- the steps ----------------------------------------------------------------------------------

    def compile(self) -> Compiled:
        d = self.d
        leads, accounts = self.t.leads, self.t.accounts
        profile = attach(leads, accounts, "account_id")
        persona = _cases(
            [(self._cond(p.guard.tree, profile), text(p.id)) for p in d.personas], text(d.default_persona)
        )
        profile = profile.mutate(persona=persona)

        eng_rows, lead_eng = self._engagement()
        if eng_rows is not None:
            eng_rows = self.checkpoint(eng_rows, "engagement_rules")
            lead_eng = eng_rows.group_by("lead_id").aggregate(
                eng_raw=eng_rows.points.sum(), last_positive=eng_rows.last_positive.max()
            )
        ctx = attach(profile, lead_eng, "lead_id")
        ctx = ctx.mutate(
            eng_raw=ibis.coalesce(ctx.eng_raw, number(0.0)),
        )
        cap = d.engagement_cap
        engagement = (
            ctx.eng_raw
            if cap is None
            else ibis.cases((ctx.eng_raw > number(cap), number(cap)), else_=ctx.eng_raw)
        )
        ctx = ctx.mutate(engagement=engagement)
        if d.rollups:
            ctx = attach(ctx, self._rollups(ctx), "account_id")
        fit_flags = {f"fit__{i}": self._cond(r.guard.tree, ctx) for i, r in enumerate(d.fit_rules)}
        ctx = ctx.mutate(**fit_flags) if fit_flags else ctx
        fit = _total(
            [
                ibis.cases((ctx[f"fit__{i}"], number(r.points)), else_=number(0.0))
                for i, r in enumerate(d.fit_rules)
            ]
        )
        ctx = ctx.mutate(fit=fit)
        grade_branches = [(ctx.fit >= number(least), text(g)) for g, least in d.grades if least is not None]
        catch_all = next(g for g, least in d.grades if least is None)
        ctx = ctx.mutate(grade=_cases(grade_branches, text(catch_all)))
        ctx = self.checkpoint(ctx.mutate(grade__folded=ctx.grade.lower()), "profile")

        ctx = self._calls(ctx)
        dq_flags = {f"dq__{i}": self._cond(q.guard.tree, ctx) for i, q in enumerate(d.disqualifiers)}
        ctx = ctx.mutate(**dq_flags) if dq_flags else ctx
        disqualified = FALSE
        for name in dq_flags:
            disqualified = disqualified | ctx[name]
        ctx = ctx.mutate(disqualified=disqualified)
        ctx = self._criteria(ctx)
        ctx = self._triggers(ctx)
        ctx = ctx.mutate(score=ctx.fit + ctx.engagement + ctx.criteria_points)
        ctx = self.checkpoint(self._stage(ctx), "context")
        results = ctx.select(
            "lead_id", "account_id", "score", "fit", "grade", "engagement",
            criteria=ctx.criteria_points, criteria_met=ctx.criteria_met_items, criteria_passed=ctx.criteria_passed,
            persona=ctx.persona, disqualified=ctx.disqualified, fast_track=ctx.fast_track_id, stage=ctx.stage,
        )  # fmt: skip
        return Compiled(results, self._trace(ctx, eng_rows))

    def _cond(self, tree: Condition, table: ir.Table) -> ir.BooleanValue:
        return to_ibis(tree, lambda name: table[self._context_column(name)], self.now)

    def _event_condition(self, events: ir.Table, event_type: str, tree: Condition) -> ir.BooleanValue:
        """A condition on the properties of events of one type."""
        return to_ibis(tree, lambda name: events[property_column(event_type, name)], self.now)

    @staticmethod
    def _context_column(name: str) -> str:
        if name == "grade":
            return "grade__folded"
        if name == "fast_track":
            return "fast_track_fired"
        if name == "persona":
            return "persona"
        return column(name)

    # -- engagement ---------------------------------------------------------------------------------

    def _engagement(self) -> tuple[ir.Table | None, ir.Table]:
        per_rule = [self._rule_rows(rule) for rule in self.d.engagement_rules]
        if not per_rule:
            empty = self.t.leads.select("lead_id").mutate(
                eng_raw=number(0.0), last_positive=ibis.null("float64")
            )
            return None, empty
        rows = ibis.union(*per_rule, distinct=False) if len(per_rule) > 1 else per_rule[0]
        return rows, rows

    def _rule_rows(self, rule: EngagementRule) -> ir.Table:
        ev = self.t.events
        now = self.now
        ev = ev.filter(ev.type == text(rule.event), ev.ts <= number(now))
        if rule.within_days is not None:
            ev = ev.filter(ev.ts >= number(now - rule.within_days * DAY))
        if rule.guard is not None:
            ev = ev.filter(self._event_condition(ev, rule.event, rule.guard.tree))
        if rule.limit_max is not None:
            order = [ibis.desc("ts"), "event_id"] if rule.limit_keep == "latest" else ["ts", "event_id"]
            groups = ["lead_id"]
            if rule.limit_per_days is not None:
                ev = ev.mutate(window=((number(now) - ev.ts) / number(rule.limit_per_days * DAY)).floor())
                groups.append("window")
            ev = ev.mutate(rank=ibis.row_number().over(group_by=groups, order_by=order))
            ev = ev.filter(ev.rank < rule.limit_max)
        if rule.half_life_days is None:
            pts: ir.FloatingValue = number(quantize(rule.points))
        else:
            age_days = (number(now) - ev.ts) / number(DAY)
            pts = on_grid(number(rule.points) * number(0.5).pow(age_days / number(rule.half_life_days)))
        ev = ev.mutate(pts=pts)
        agg = ev.group_by("lead_id").aggregate(raw=ev.pts.sum(), n=ev.count(), last_ts=ev.ts.max())
        total: ir.FloatingValue = agg.raw
        if rule.max_points is not None:
            limit = number(rule.max_points if rule.points >= 0 else -rule.max_points)
            total = ibis.cases((agg.raw.abs() > number(rule.max_points), limit), else_=agg.raw)
        positive = agg.last_ts if rule.points > 0 else ibis.null("float64")
        return agg.select(
            lead_id=agg.lead_id,
            kind=text("engagement"),
            rule=text(rule.id),
            points=total.cast("float64"),
            events=agg.n.cast("int64"),
            raw_points=agg.raw.cast("float64"),
            last_positive=positive.cast("float64"),
        )

    # -- roll-ups -----------------------------------------------------------------------------------

    def _rollups(self, ctx: ir.Table) -> ir.Table:
        members = ctx.filter(ctx.account_id.notnull())
        horizon = {r.id: self.now - (r.within_days or 0.0) * DAY for r in self.d.rollups}
        measures = {}
        for r in self.d.rollups:
            where = self._cond(r.where.tree, members) if r.where is not None else members.lead_id.notnull()
            if r.measure == "contacts":
                value = ibis.cases((where, number(1.0)), else_=number(0.0))
            elif r.measure == "engaged_contacts":
                engaged = where & ibis.coalesce(members.last_positive >= number(horizon[r.id]), FALSE)
                value = ibis.cases((engaged, number(1.0)), else_=number(0.0))
            else:
                value = ibis.cases((where, members.engagement), else_=number(0.0))
            measures[column(f"account.{r.id}")] = value.sum()
        return members.group_by("account_id").aggregate(**measures)

    # -- calls and criteria -------------------------------------------------------------------------

    def _calls(self, ctx: ir.Table) -> ir.Table:
        calls = self.t.calls.filter(self.t.calls.ts <= number(self.now))
        per_lead = calls.group_by("lead_id").aggregate(
            calls_n=calls.count(),
            reached_n=ibis.cases((calls.outcome == text("reached"), 1), else_=0).sum(),
            calls__last_at=calls.ts.max(),
        )
        answers = self.t.answers.filter(self.t.answers.ts <= number(self.now))
        answers = answers.mutate(
            rank=ibis.row_number().over(
                group_by=["lead_id", "criterion"], order_by=[ibis.desc("ts"), ibis.desc("answer")]
            )
        )
        latest = answers.filter(answers.rank == 0)
        ctx = attach(ctx, per_lead, "lead_id")
        ctx = ctx.mutate(
            calls__attempts=ibis.coalesce(ctx.calls_n, 0).cast("float64"),
            calls__reached=ibis.coalesce(ctx.reached_n, 0).cast("float64"),
        )
        if self.d.criteria:
            pivot = latest.group_by("lead_id").aggregate(
                **{
                    column(f"answers.{c.id}"): ibis.cases(
                        (latest.criterion == text(c.id), latest.answer.lower()), else_=ibis.null("string")
                    ).max()
                    for c in self.d.criteria
                }
            )
            ctx = attach(ctx, pivot, "lead_id")
        return ctx

    def _criteria(self, ctx: ir.Table) -> ir.Table:
        d = self.d
        holds: dict[str, ir.BooleanValue] = {}
        points: list[ir.FloatingValue] = []
        for c in d.criteria:
            answer = ctx[column(f"answers.{c.id}")]
            holding = [text(v.lower()) for v, option in c.answers.items() if option.holds]
            holds[column(f"criteria.{c.id}")] = (
                ibis.coalesce(answer.isin(holding), FALSE) if holding else FALSE
            )
            points.append(
                _cases(
                    [(answer == text(v.lower()), number(o.points)) for v, o in c.answers.items()], number(0.0)
                )
            )
        ctx = ctx.mutate(**holds) if holds else ctx
        met = _total([ibis.cases((ctx[n], number(1.0)), else_=number(0.0)) for n in holds])
        required = ibis.literal(True)
        for c in d.criteria:
            if c.required:
                required = required & ctx[column(f"criteria.{c.id}")]
        passed = (met >= number(d.criteria_required)) & required if d.criteria else FALSE
        met_items = text("")
        for c in d.criteria:  # ";budget;need" -> "budget;need": the criteria that hold, in definition order
            met_items = met_items.concat(
                ibis.cases((ctx[column(f"criteria.{c.id}")], text(f";{c.id}")), else_=text(""))
            )
        met_items = met_items.substr(1)
        return ctx.mutate(
            criteria_points=_total(points),
            criteria__met=met,
            criteria__passed=passed,
            criteria__points=_total(points),
            criteria_passed=passed,
            criteria_met_items=met_items,
        )

    # -- fast-track and stage -----------------------------------------------------------------------

    def _triggers(self, ctx: ir.Table) -> ir.Table:
        d, now = self.d, self.now
        event_rows = []
        for i, trigger in enumerate(d.triggers):
            if trigger.event is None:
                continue
            ev = self.t.events
            ev = ev.filter(ev.type == text(trigger.event), ev.ts <= number(now))
            if trigger.within_days is not None:
                ev = ev.filter(ev.ts >= number(now - trigger.within_days * DAY))
            if trigger.guard is not None:
                ev = ev.filter(self._event_condition(ev, trigger.event, trigger.guard.tree))
            event_rows.append(ev.select(ev.lead_id, trigger=ibis.literal(i)))
        if event_rows:
            rows = ibis.union(*event_rows, distinct=False) if len(event_rows) > 1 else event_rows[0]
            flags = rows.group_by("lead_id").aggregate(
                **{
                    f"trig_event__{i}": ibis.cases((rows.trigger == i, 1), else_=0).max()
                    for i, t in enumerate(d.triggers)
                    if t.event is not None
                }
            )
            ctx = attach(ctx, flags, "lead_id")
        fired: dict[str, ir.BooleanValue] = {}
        for i, trigger in enumerate(d.triggers):
            if trigger.event is None:
                assert trigger.guard is not None
                hit = self._cond(trigger.guard.tree, ctx)
            else:
                hit = ibis.coalesce(ctx[f"trig_event__{i}"] > 0, FALSE)
            fired[f"fired__{i}"] = ~ctx.disqualified & hit
        ctx = ctx.mutate(**fired) if fired else ctx
        any_fired = FALSE
        for name in fired:
            any_fired = any_fired | ctx[name]
        first = _cases(
            [(ctx[f"fired__{i}"], text(t.id)) for i, t in enumerate(d.triggers)], ibis.null("string")
        )
        return ctx.mutate(fast_track_fired=any_fired, fast_track_id=first)

    def _stage(self, ctx: ir.Table) -> ir.Table:
        d = self.d
        order = {stage: i for i, stage in enumerate(d.funnel)}
        index = _cases(
            [(self._cond(r.guard.tree, ctx), ibis.literal(order[r.stage])) for r in d.stage_rules],
            ibis.literal(0),
        )
        ctx = ctx.mutate(stage_index=index)
        if d.triggers:
            lift = order[d.fast_track_stage]
            ctx = ctx.mutate(
                stage_index=ibis.cases(
                    (ctx.fast_track_fired & (ctx.stage_index < lift), ibis.literal(lift)),
                    else_=ctx.stage_index,
                )
            )
        name = _cases([(ctx.stage_index == i, text(s)) for s, i in order.items()], text(d.funnel[0]))
        return ctx.mutate(stage=ibis.cases((ctx.disqualified, text(d.disqualified_stage)), else_=name))

    # -- the trace ----------------------------------------------------------------------------------

    def _engagement_trace(self, rows: ir.Table) -> ir.Table:
        """The engagement rows with their reason, worded as `leadgate.scoring.engagement` words it: what
        counted, how many events, the points before decay when decay changed them, the cap when it bit."""
        rules = self.d.engagement_rules
        undecayed = _cases(
            [
                (rows.rule == text(r.id), number(r.points) * rows.events.cast("float64"))
                for r in rules
                if r.half_life_days is not None
            ],
            ibis.null("float64"),
        )
        rows = with_shown(rows.mutate(_undecayed=undecayed), "_undecayed", "_undecayed_shown")
        n = rows.events
        counted = n.cast("string").concat(ibis.cases((n == 1, text(" event")), else_=text(" events")))
        branches = []
        for r in rules:
            what = r.description or (f"{r.event} where {r.guard.text}" if r.guard else r.event)
            reason = text(f"{what}: ").concat(counted)
            if r.half_life_days is not None:
                decayed = reason.concat(text(", "), rows._undecayed_shown, text(" before decay"))
                reason = ibis.cases((rows._undecayed != rows.raw_points, decayed), else_=reason)
            if r.max_points is not None:  # the capped total takes the sign of the raw points
                limit = ibis.cases(
                    (rows.raw_points < number(0.0), text(show(-r.max_points))), else_=text(show(r.max_points))
                )
                capped = reason.concat(text(", capped at "), limit)
                reason = ibis.cases((rows.raw_points.abs() > number(r.max_points), capped), else_=reason)
            branches.append((rows.rule == text(r.id), reason))
        return rows.mutate(reason=_cases(branches, ibis.null("string"))).select(*TRACE_COLUMNS)

    def _trace(self, ctx: ir.Table, eng_rows: ir.Table | None) -> ir.Table:
        d = self.d
        parts: list[ir.Table] = []
        for i, r in enumerate(d.fit_rules):
            reason = text(r.description or r.guard.text)
            parts.append(_trace_rows(ctx.filter(ctx[f"fit__{i}"]), "fit", r.id, number(r.points), reason))
        for i, q in enumerate(d.disqualifiers):
            parts.append(
                _trace_rows(ctx.filter(ctx[f"dq__{i}"]), "disqualifier", q.id, number(0.0), text(q.reason))
            )
        if eng_rows is not None:
            parts.append(self._engagement_trace(eng_rows))
        if d.engagement_cap is not None:
            capped = with_shown(
                ctx.filter(ctx.eng_raw > number(d.engagement_cap)), "eng_raw", "eng_raw_shown"
            )
            parts.append(
                _trace_rows(
                    capped,
                    "engagement_cap",
                    "engagement.max_points",
                    on_grid(number(d.engagement_cap) - capped.eng_raw),
                    text(f"engagement capped at {show(d.engagement_cap)} (was ").concat(
                        capped.eng_raw_shown, text(")")
                    ),
                    raw=capped.eng_raw,
                )
            )
        for c in d.criteria:
            answer = ctx[column(f"answers.{c.id}")]
            answered = ctx.filter(answer.notnull())
            given = answered[column(f"answers.{c.id}")]
            pts = _cases(
                [(given == text(v.lower()), number(o.points)) for v, o in c.answers.items()], number(0.0)
            )
            reason = _cases(
                [
                    (
                        given == text(v.lower()),
                        text(f"{c.label}: {o.label or v}" + (" (holds)" if o.holds else "")),
                    )
                    for v, o in c.answers.items()
                ],
                ibis.null("string"),
            )
            parts.append(_trace_rows(answered, "criteria", c.id, pts, reason))
        for i, t in enumerate(d.triggers):
            parts.append(
                _trace_rows(ctx.filter(ctx[f"fired__{i}"]), "fast_track", t.id, number(0.0), text(t.reason))
            )
        if not parts:
            return _trace_rows(ctx.filter(FALSE), "fit", "", number(0.0), text(""))
        return ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]
