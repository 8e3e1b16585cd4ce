"""Type-check a condition tree against a scope: the names a rule may use, and their types.

Checking happens once, when a definition is loaded. It resolves named lists, turns literals into the
field's type (dates parsed, enum values matched to their canonical spelling) and rejects operators that
do not fit the field, with "did you mean" suggestions for names and enum values.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from leadgate.conditions.tree import (
    COMPARISONS,
    And,
    Condition,
    Field,
    Literal,
    Not,
    Operand,
    Or,
    Test,
    Value,
)
from leadgate.conditions.types import Kind, ValueType
from leadgate.errors import ConditionError, Problem


@dataclass(frozen=True)
class Scope:
    """What a condition in one place of the definition may refer to."""

    role: str  # e.g. "a fit rule": used in messages
    fields: Mapping[str, ValueType]
    lists: Mapping[str, tuple[Value, ...]] = field(default_factory=dict)
    elsewhere: Mapping[str, str] = field(default_factory=dict)  # known names not usable here, and why


def check(condition: Condition, scope: Scope) -> Condition:
    """Return the condition with every field typed and every literal in its field's type."""
    if isinstance(condition, And):
        return And(tuple(check(c, scope) for c in condition.items))
    if isinstance(condition, Or):
        return Or(tuple(check(c, scope) for c in condition.items))
    if isinstance(condition, Not):
        return Not(check(condition.item, scope))
    return _check_test(condition, scope)


def suggest(name: str, known: Sequence[str]) -> str | None:
    match = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else None


def parse_time(text: str) -> datetime:
    """An ISO 8601 date or timestamp as an aware UTC datetime (a date is midnight UTC)."""
    text = text.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _fail(message: str, pos: tuple[int, int], hint: str | None = None) -> ConditionError:
    return ConditionError([Problem(message, line=pos[0], column=pos[1], hint=hint)])


def _typed_field(item: Field, scope: Scope) -> Field:
    vtype = scope.fields.get(item.name)
    if vtype is not None:
        return replace(item, type=vtype)
    if item.name in scope.elsewhere:
        raise _fail(f"{item.name!r} cannot be used in {scope.role}: {scope.elsewhere[item.name]}", item.pos)
    raise _fail(
        f"unknown field {item.name!r} in {scope.role}",
        item.pos,
        suggest(item.name, [*scope.fields, *scope.elsewhere]),
    )


def _check_test(test: Test, scope: Scope) -> Test:
    subject = _typed_field(test.field, scope)
    assert subject.type is not None
    vtype = subject.type
    name = subject.name
    if test.quantifier is not None:
        if vtype.kind is not Kind.LIST:
            raise _fail(f"'{test.quantifier}' needs a list field; {name!r} is {vtype.describe()}", test.pos)
        if test.op not in ("==", "!=", "in", "not in", "contains", "starts with", "ends with"):
            raise _fail(f"'{test.op}' cannot test the items of a list", test.pos)
        for arg in test.args:  # each item is compared with values; the predicates have no field-vs-item form
            if isinstance(arg, Field):
                raise _fail(
                    f"'{test.quantifier} {name}' compares each item with a value; got the field {arg.name!r}",
                    arg.pos,
                )
        vtype = ValueType(Kind.ENUM, vtype.values) if vtype.values else ValueType(Kind.STRING)
    args = _resolve_list(test, scope)
    try:
        typed_args = _check_op(test.op, name, vtype, args, scope, quantified=test.quantifier is not None)
    except ConditionError as exc:  # operator-level problems without a position of their own
        problem = exc.problems[0]
        if (problem.line, problem.column) == (1, 1):
            problem = replace(problem, line=test.pos[0], column=test.pos[1])
        raise ConditionError([problem]) from None
    return replace(test, field=subject, args=typed_args, list_name=test.list_name)


def _resolve_list(test: Test, scope: Scope) -> tuple[Operand, ...]:
    if test.list_name is None:
        return test.args
    if test.list_name not in scope.lists:
        raise _fail(f"unknown list '@{test.list_name}'", test.pos, suggest(test.list_name, list(scope.lists)))
    return tuple(Literal(v, test.pos) for v in scope.lists[test.list_name])


def _check_op(
    op: str, name: str, vtype: ValueType, args: tuple[Operand, ...], scope: Scope, *, quantified: bool
) -> tuple[Operand, ...]:
    kind = vtype.kind
    if op == "is true":
        if kind is not Kind.BOOLEAN:
            raise _fail(
                f"{name!r} is {vtype.describe()}, not true/false: compare it (==, in, contains, ...)",
                (1, 1),
            )
        return ()
    if op in ("is missing", "is not missing"):
        return ()
    if op == "within days":
        if not vtype.is_time:
            raise _fail(f"'within' needs a date field; {name!r} is {vtype.describe()}", _pos(args[0]))
        days = args[0]
        assert isinstance(days, Literal) and isinstance(days.value, float)
        if days.value <= 0:
            raise _fail(f"'within' needs a positive number of days; got {days.value:g}", days.pos)
        return args
    if kind is Kind.LIST and op not in ("contains",):
        raise _fail(
            f"{name!r} is a list: use '{name} contains …', 'any {name} …' or 'all {name} …' instead of '{op}'",
            _pos(args[0]) if args else (1, 1),
        )
    if op in COMPARISONS or op == "between":
        if op not in ("==", "!=") and not (kind is Kind.NUMBER or vtype.is_time):
            raise _fail(f"'{op}' needs a number or a date; {name!r} is {vtype.describe()}", _pos(args[0]))
        return tuple(_operand(a, name, vtype, scope) for a in args)
    if op in ("in", "not in"):
        if kind not in (Kind.STRING, Kind.ENUM, Kind.NUMBER):
            raise _fail(f"'{op}' needs text, an enum or a number; {name!r} is {vtype.describe()}", (1, 1))
        if not args:
            raise _fail(f"'{op}' needs at least one value", (1, 1))
        return tuple(_literal(a, name, vtype) for a in args)
    if op == "contains" and kind is Kind.LIST:
        item_type = ValueType(Kind.ENUM, vtype.values) if vtype.values else ValueType(Kind.STRING)
        return (_literal(args[0], name, item_type),)
    if op in ("contains", "starts with", "ends with"):
        if kind is not Kind.STRING and not (quantified and kind is Kind.ENUM):
            raise _fail(f"'{op}' needs text; {name!r} is {vtype.describe()}", _pos(args[0]))
        return (_literal(args[0], name, ValueType(Kind.STRING)),)
    raise _fail(f"unknown operator {op!r}", (1, 1))  # pragma: no cover - the grammar has no other


def _pos(operand: Operand) -> tuple[int, int]:
    return operand.pos


def _operand(operand: Operand, name: str, vtype: ValueType, scope: Scope) -> Operand:
    if isinstance(operand, Literal):
        return _literal(operand, name, vtype)
    other = _typed_field(operand, scope)
    assert other.type is not None
    compatible = (
        other.type.kind == vtype.kind
        or (other.type.is_time and vtype.is_time)
        or (other.type.is_text and vtype.is_text)
    )
    if not compatible:
        raise _fail(
            f"{name!r} is {vtype.describe()} and cannot be compared with {other.name!r}, "
            f"which is {other.type.describe()}",
            operand.pos,
        )
    return other


def _literal(operand: Operand, name: str, vtype: ValueType) -> Literal:
    if not isinstance(operand, Literal):
        raise _fail(f"a list of values must hold literals; got the field {operand.name!r}", operand.pos)
    value, kind = operand.value, vtype.kind
    wrong = f"{name!r} is {vtype.describe()}; got {_shown(value)}"
    if kind is Kind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, float):
            raise _fail(wrong, operand.pos)
        return operand
    if kind is Kind.BOOLEAN:
        if not isinstance(value, bool):
            raise _fail(wrong, operand.pos)
        return operand
    if not isinstance(value, str):
        hint = f"write '{_shown(value)}' in quotes" if kind is Kind.STRING else None
        raise _fail(wrong, operand.pos, hint)
    if vtype.is_time:
        try:
            return Literal(parse_time(value), operand.pos)
        except ValueError:
            raise _fail(
                f"{name!r} is {vtype.describe()}; got {value!r}, which is not an ISO date (YYYY-MM-DD)",
                operand.pos,
            ) from None
    if kind is Kind.ENUM:
        canonical = {v.lower(): v for v in vtype.values}
        if value.lower() not in canonical:
            raise _fail(
                f"{name!r} is {vtype.describe()}; got {value!r}", operand.pos, suggest(value, vtype.values)
            )
        return Literal(canonical[value.lower()], operand.pos)
    return operand


def _shown(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else value.isoformat()
