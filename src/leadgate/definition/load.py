"""Load a definition file: parse, validate, type-check every condition, and compile it.

All problems found are reported together, each with file, line, column and a suggestion where one
exists. A definition that loads is complete and consistent; it is never checked again while running.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from leadgate.conditions import Scope, check, compile_predicate, parse
from leadgate.conditions.tree import Value
from leadgate.definition import model, rules
from leadgate.definition.compiled import Definition
from leadgate.definition.scopes import (
    ACCOUNT_BUILTINS,
    CRITERIA_SUMMARY,
    LEAD_BUILTINS,
    Scopes,
    account_fields,
    event_fields,
    lead_fields,
)
from leadgate.definition.source import Path_, Source, parse_source, read_source
from leadgate.errors import ConditionError, DefinitionError, Problem
from leadgate.points import quantize


def load_definition(path: str | Path) -> Definition:
    return compile_source(read_source(Path(path)))


def load_text(text: str, name: str = "<definition>") -> Definition:
    return compile_source(parse_source(text, name))


def compile_source(source: Source) -> Definition:
    try:
        spec = model.DefinitionSpec.model_validate(source.data)
    except ValidationError as exc:
        raise DefinitionError(
            [_validation_problem(source, err) for err in _merge_unions(exc.errors())]
        ) from None
    return _Compiler(source, spec).compile()


_UNION_TAGS = {"str": "text", "float": "a number", "int": "a whole number", "bool": "true or false"}


def _merge_unions(errors: list[Any]) -> list[Any]:
    """One problem for a value that fits none of a union's types, rather than one per type."""
    merged: dict[tuple[Any, ...], Any] = {}
    for err in errors:
        loc = tuple(err["loc"])
        if loc and loc[-1] in _UNION_TAGS:
            key = loc[:-1]
            wanted = _UNION_TAGS[loc[-1]]
            if key in merged:
                merged[key]["msg"] += f" or {wanted}"
            else:
                merged[key] = {**err, "loc": key, "msg": f"expected {wanted}"}
        else:
            merged[loc] = err
    return list(merged.values())


def _validation_problem(source: Source, err: Any) -> Problem:
    path: Path_ = tuple(err["loc"])
    message = str(err["msg"]).removeprefix("Value error, ")
    hint = None
    if err["type"] == "extra_forbidden":
        known = _known_keys(path[:-1])
        message = f"unknown key {path[-1]!r}"
        if known:
            match = difflib.get_close_matches(str(path[-1]), known, n=1, cutoff=0.6)
            hint = f"did you mean {match[0]!r}?" if match else "known keys: " + ", ".join(known)
    elif err["type"] == "missing":
        message = f"the key {path[-1]!r} is required"
    elif "input" in err and not isinstance(err["input"], dict) and "got " not in message:
        message = f"{message}; got {err['input']!r}"
    return source.problem(path, message, hint, at_key=err["type"] == "extra_forbidden")


def _known_keys(path: Path_) -> list[str]:
    """The keys a mapping at `path` of the definition allows (empty when it is not a model)."""
    current: Any = model.DefinitionSpec
    for part in path:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            field = current.model_fields.get(part)
            if field is None:
                return []
            current = field.annotation
        else:
            args = typing.get_args(current)
            origin = typing.get_origin(current)
            if origin is tuple and args:
                current = args[0]
            elif origin is dict and len(args) == 2:
                current = args[1]
            else:
                return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


class _Compiler:
    def __init__(self, source: Source, spec: model.DefinitionSpec) -> None:
        self.source = source
        self.spec = spec
        self.problems: list[Problem] = []
        self.lists: dict[str, tuple[Value, ...]] = {
            name: tuple(float(v) if isinstance(v, int | float) else v for v in values)
            for name, values in spec.lists.items()
        }
        self.scopes = Scopes(spec, self.lists)

    def compile(self) -> Definition:
        spec = self.spec
        self._check_names()
        personas = tuple(
            rules.PersonaRule(
                p.id,
                self._guard(p.when, self.scopes.persona, ("personas", "rules", i, "when")),
                p.description,
            )
            for i, p in enumerate(spec.personas.rules)
        )
        rollups = tuple(
            rules.RollupRule(
                r.id,
                r.measure,
                self._guard(r.where, self.scopes.rollup, ("rollups", i, "where")) if r.where else None,
                r.within_days,
                r.description,
            )
            for i, r in enumerate(spec.rollups)
        )
        fit_rules = tuple(
            rules.FitRule(
                r.id,
                self._guard(r.when, self.scopes.fit, ("fit", "rules", i, "when")),
                quantize(r.points),
                r.description,
            )
            for i, r in enumerate(spec.fit.rules)
        )
        disqualifiers = tuple(
            rules.Disqualifier(
                d.id, self._guard(d.when, self.scopes.disqualifier, ("disqualifiers", i, "when")), d.reason
            )
            for i, d in enumerate(spec.disqualifiers)
        )
        engagement = tuple(self._engagement_rule(i, r) for i, r in enumerate(spec.engagement.rules))
        criteria = tuple(self._criterion(c) for c in spec.criteria.items)
        triggers = tuple(self._trigger(i, t) for i, t in enumerate(spec.fast_track.triggers))
        stage_rules = self._stage_rules()
        grades = tuple(
            sorted(spec.fit.grades.items(), key=lambda kv: float("inf") if kv[1] is None else -kv[1])
        )
        if self.problems:
            raise DefinitionError(self.problems)
        return Definition(
            spec=spec,
            source=self.source.name,
            lead_fields=lead_fields(spec),
            account_fields=account_fields(spec),
            event_types={n: event_fields(e) for n, e in spec.vocabulary.events.items()},
            personas=personas,
            default_persona=spec.personas.default,
            rollups=rollups,
            fit_rules=fit_rules,
            grades=tuple((g, None if least is None else quantize(least)) for g, least in grades),
            disqualifiers=disqualifiers,
            engagement_rules=engagement,
            engagement_cap=None
            if spec.engagement.max_points is None
            else quantize(spec.engagement.max_points),
            criteria=criteria,
            criteria_required=spec.criteria.require or len(criteria),
            triggers=triggers,
            fast_track_stage=spec.fast_track.stage,
            funnel=spec.funnel,
            stage_rules=stage_rules,
            disqualified_stage=spec.disqualified_stage,
            warnings=tuple(self._warnings()),
        )

    def _warnings(self) -> list[Problem]:
        spec = self.spec
        reachable = set(spec.stages) | {spec.funnel[0]}
        if spec.fast_track.triggers:
            reachable.add(spec.fast_track.stage)
        return [
            self.source.problem(
                ("funnel",),
                f"the stage {stage!r} has no condition in 'stages' and is not the fast-track stage: "
                "scoring never recommends it",
            )
            for stage in spec.funnel
            if stage not in reachable
        ]

    # -- conditions -------------------------------------------------------------------------------

    def _guard(self, text: str | None, scope: Scope, path: Path_) -> rules.Guard:
        assert text is not None
        try:
            tree = check(parse(text), scope)
        except ConditionError as exc:
            self.problems.extend(self.source.condition_problem(path, p) for p in exc.problems)
            return _NEVER
        return rules.Guard(text, tree, compile_predicate(tree))

    # -- sections ---------------------------------------------------------------------------------

    def _engagement_rule(self, i: int, r: model.EngagementRule) -> rules.EngagementRule:
        path: Path_ = ("engagement", "rules", i)
        guard = None
        scope = self.scopes.events.get(r.event)
        if scope is None:
            self._unknown((*path, "event"), "event type", r.event, self.spec.vocabulary.events)
        elif r.when:
            guard = self._guard(r.when, scope, (*path, "when"))
        half_life = (r.half_life_days or self.spec.engagement.half_life_days) if r.decay else None
        return rules.EngagementRule(
            id=r.id,
            event=r.event,
            guard=guard,
            points=quantize(r.points),
            max_points=None if r.max_points is None else quantize(r.max_points),
            half_life_days=half_life,
            limit_max=r.limit.max if r.limit else None,
            limit_per_days=r.limit.per_days if r.limit else None,
            limit_keep=r.limit.keep if r.limit else "latest",
            within_days=r.within_days,
            description=r.description,
        )

    def _criterion(self, c: model.Criterion) -> rules.Criterion:
        answers = {
            a.value: rules.AnswerOption(
                a.value, quantize(a.points), a.points > 0 if a.holds is None else a.holds, a.label
            )
            for a in c.answers
        }
        return rules.Criterion(c.id, c.label or c.id, c.question, answers, c.required)

    def _trigger(self, i: int, t: model.Trigger) -> rules.Trigger:
        path: Path_ = ("fast_track", "triggers", i)
        guard = None
        if t.event is not None:
            scope = self.scopes.events.get(t.event)
            if scope is None:
                self._unknown((*path, "event"), "event type", t.event, self.spec.vocabulary.events)
            elif t.when:
                guard = self._guard(t.when, scope, (*path, "when"))
        else:
            guard = self._guard(t.when, self.scopes.trigger, (*path, "when"))
        return rules.Trigger(t.id, t.event, guard, t.within_days, t.reason)

    def _stage_rules(self) -> tuple[rules.StageRule, ...]:
        spec = self.spec
        order = {stage: i for i, stage in enumerate(spec.funnel)}
        if len(order) != len(spec.funnel):
            self.problems.append(self.source.problem(("funnel",), "the funnel lists a stage twice"))
        if len(spec.funnel) < 2:
            self.problems.append(self.source.problem(("funnel",), "the funnel needs at least two stages"))
        for stage in spec.stages:
            if stage not in order:
                self._unknown(("stages", stage), "stage", stage, spec.funnel)
            elif order[stage] == 0:
                self.problems.append(
                    self.source.problem(
                        ("stages", stage),
                        f"{stage!r} is the first stage of the funnel: every lead starts there, "
                        "so it takes no condition",
                    )
                )
        if spec.fast_track.triggers and spec.fast_track.stage not in order:
            self._unknown(("fast_track", "stage"), "stage", spec.fast_track.stage, spec.funnel)
        if spec.disqualified_stage in order:
            self.problems.append(
                self.source.problem(
                    ("disqualified_stage",), "the disqualified stage must not be in the funnel"
                )
            )
        ordered = sorted(
            ((s, text) for s, text in spec.stages.items() if s in order), key=lambda st: -order[st[0]]
        )
        return tuple(
            rules.StageRule(stage, self._guard(text, self.scopes.stage, ("stages", stage)))
            for stage, text in ordered
        )

    # -- names ------------------------------------------------------------------------------------

    def _check_names(self) -> None:
        spec = self.spec
        rule_ids: dict[str, Path_] = {}
        sections: list[tuple[Path_, Iterable[Any]]] = [
            (("fit", "rules"), spec.fit.rules),
            (("disqualifiers",), spec.disqualifiers),
            (("engagement", "rules"), spec.engagement.rules),
            (("fast_track", "triggers"), spec.fast_track.triggers),
        ]
        for prefix, items in sections:
            for i, item in enumerate(items):
                path = (*prefix, i, "id")
                if item.id in rule_ids:
                    self.problems.append(
                        self.source.problem(
                            path,
                            f"the rule id {item.id!r} is used twice: rule ids must be unique in a definition",
                            f"first used at {self.source.mark(rule_ids[item.id]).line}"  # type: ignore[union-attr]
                            if self.source.mark(rule_ids[item.id])
                            else None,
                        )
                    )
                else:
                    rule_ids[item.id] = path
        self._distinct(("personas", "rules"), [p.id for p in spec.personas.rules], "persona")
        self._distinct(("rollups",), [r.id for r in spec.rollups], "roll-up")
        self._distinct(("criteria", "items"), [c.id for c in spec.criteria.items], "criterion")
        for name in spec.vocabulary.lead:
            if name in LEAD_BUILTINS:
                self.problems.append(
                    self.source.problem(
                        ("vocabulary", "lead", name), f"'lead.{name}' is built in; choose another name"
                    )
                )
        for name in spec.vocabulary.account:
            if name in ACCOUNT_BUILTINS:
                self.problems.append(
                    self.source.problem(
                        ("vocabulary", "account", name), f"'account.{name}' is built in; choose another name"
                    )
                )
        account_names = set(ACCOUNT_BUILTINS) | set(spec.vocabulary.account)
        for i, r in enumerate(spec.rollups):
            if r.id in account_names:
                self.problems.append(
                    self.source.problem(
                        ("rollups", i, "id"), f"the roll-up {r.id!r} has the name of an account field"
                    )
                )
        for i, c in enumerate(spec.criteria.items):
            if c.id in CRITERIA_SUMMARY:
                self.problems.append(
                    self.source.problem(
                        ("criteria", "items", i, "id"),
                        f"{c.id!r} is reserved (criteria.{c.id} is built in); choose another id",
                    )
                )
        if spec.personas.default in {p.id for p in spec.personas.rules}:
            self.problems.append(
                self.source.problem(("personas", "default"), "the default persona must not also have a rule")
            )

    def _distinct(self, prefix: Path_, ids: list[str], what: str) -> None:
        seen: set[str] = set()
        for i, name in enumerate(ids):
            if name in seen:
                self.problems.append(
                    self.source.problem((*prefix, i, "id"), f"the {what} id {name!r} is used twice")
                )
            seen.add(name)

    def _unknown(self, path: Path_, what: str, name: str, known: Iterable[str]) -> None:
        names = list(known)
        match = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        hint = f"did you mean {match[0]!r}?" if match else ("known: " + ", ".join(names) if names else None)
        self.problems.append(self.source.problem(path, f"unknown {what} {name!r}", hint))


def _never(_ctx: Any, _as_of: Any) -> bool:
    return False


_NEVER = rules.Guard("", parse("false_"), _never)
