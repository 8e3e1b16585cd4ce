"""Compile a checked condition tree into a Python predicate: the reference semantics.

A predicate takes a context (a mapping from field names to values; a missing field is absent or None)
and `as_of`. Semantics, the same on every engine:
- a test on a missing value is false, except `is missing`;
- text compares without regard to case: `contains`, `starts with` and `ends with` always, and every test
  on free text; enum values and list items declared with values compare exactly (data and literals are
  brought to the declared spelling when read), so in effect case never matters;
- `within N days` holds for as_of - N days <= value <= as_of;
- `any` and `all` over a missing (or empty) list are false.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from leadgate.conditions.tree import And, Condition, Field, Literal, Not, Or, Test
from leadgate.conditions.types import Kind, ValueType

Context = Mapping[str, Any]
Predicate = Callable[[Context, datetime], bool]
_ValueTest = Callable[[Any, tuple[Any, ...], datetime], bool]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _within(value: datetime, args: tuple[Any, ...], as_of: datetime) -> bool:
    return as_of - timedelta(days=args[0]) <= value <= as_of


def _binary(compare: Callable[[Any, Any], bool]) -> _ValueTest:
    return lambda v, a, _t: compare(v, a[0])


_OPS: dict[str, _ValueTest] = {
    **{op: _binary(f) for op, f in _COMPARE.items()},
    "in": lambda v, a, _t: v in a[0],
    "not in": lambda v, a, _t: v not in a[0],
    "between": lambda v, a, _t: a[0] <= v <= a[1],
    "contains": lambda v, a, _t: a[0] in v,
    "starts with": lambda v, a, _t: v.startswith(a[0]),
    "ends with": lambda v, a, _t: v.endswith(a[0]),
    "within days": _within,
    "is true": lambda v, a, _t: v is True,
}


def compile_predicate(condition: Condition) -> Predicate:
    if isinstance(condition, And):
        parts = tuple(compile_predicate(c) for c in condition.items)
        return lambda ctx, as_of: all(p(ctx, as_of) for p in parts)
    if isinstance(condition, Or):
        parts = tuple(compile_predicate(c) for c in condition.items)
        return lambda ctx, as_of: any(p(ctx, as_of) for p in parts)
    if isinstance(condition, Not):
        inner = compile_predicate(condition.item)
        return lambda ctx, as_of: not inner(ctx, as_of)
    return _compile_test(condition)


_TEXT_OPS = frozenset({"contains", "starts with", "ends with"})


def _folds_case(test: Test, vtype: ValueType) -> bool:
    """Whether this test compares without regard to case.

    Text tests (contains, starts with, ends with) always do; so do tests on free text and on list items
    without declared values, and comparisons of two text fields. Enum values and declared list items are
    brought to their declared spelling when read, so they compare exactly.
    """
    if test.op in _TEXT_OPS or vtype.kind is Kind.STRING or (vtype.kind is Kind.LIST and not vtype.values):
        return True
    return vtype.is_text and any(
        isinstance(a, Field) and a.type is not None and a.type.is_text for a in test.args
    )


def _compile_test(test: Test) -> Predicate:
    name = test.field.name
    vtype = test.field.type
    assert vtype is not None, "compile a checked condition"
    if test.op == "is missing":
        return lambda ctx, _t: _absent(ctx.get(name))
    if test.op == "is not missing":
        return lambda ctx, _t: not _absent(ctx.get(name))
    fold = _folds_case(test, vtype)
    op = _OPS[test.op]
    if test.quantifier is not None:
        element = _element_test(op, test, fold)
        quantify = any if test.quantifier == "any" else all

        def quantified(ctx: Context, as_of: datetime) -> bool:
            items = ctx.get(name)
            if not items:
                return False
            return quantify(element(x, as_of) for x in items)

        return quantified
    if vtype.kind is Kind.LIST:  # `contains` on a list: membership
        wanted = _lit(test.args[0], fold)

        def has(ctx: Context, _as_of: datetime) -> bool:
            items = ctx.get(name)
            if not items:
                return False
            return any(x.lower() == wanted for x in items) if fold else wanted in items

        return has
    if any(isinstance(a, Field) for a in test.args):
        return _compile_field_args(test, op, fold)
    args = _const_args(test, fold)
    fast = _specialised(test.op, name, args, fold)
    if fast is not None:
        return fast
    if fold:
        return lambda ctx, as_of: (v := ctx.get(name)) is not None and op(v.lower(), args, as_of)
    return lambda ctx, as_of: (v := ctx.get(name)) is not None and op(v, args, as_of)


def _specialised(op: str, name: str, args: tuple[Any, ...], fold: bool) -> Predicate | None:
    """Direct closures for the common tests on constants: the same semantics as `_OPS`, fewer calls.

    Event rules run once per event, so this is the evaluator's hot path.
    """
    a: Any = args[0] if args else None
    if fold:
        folded: dict[str, Predicate] = {
            "contains": lambda ctx, _t: (v := ctx.get(name)) is not None and a in v.lower(),
            "==": lambda ctx, _t: (v := ctx.get(name)) is not None and v.lower() == a,
            "!=": lambda ctx, _t: (v := ctx.get(name)) is not None and v.lower() != a,
            "in": lambda ctx, _t: (v := ctx.get(name)) is not None and v.lower() in a,
            "not in": lambda ctx, _t: (v := ctx.get(name)) is not None and v.lower() not in a,
            "starts with": lambda ctx, _t: (v := ctx.get(name)) is not None and v.lower().startswith(a),
            "ends with": lambda ctx, _t: (v := ctx.get(name)) is not None and v.lower().endswith(a),
        }
        return folded.get(op)
    if op == "between":
        low, high = args
        return lambda ctx, _t: (v := ctx.get(name)) is not None and low <= v <= high
    exact: dict[str, Predicate] = {
        "==": lambda ctx, _t: (v := ctx.get(name)) is not None and v == a,
        "!=": lambda ctx, _t: (v := ctx.get(name)) is not None and v != a,
        "in": lambda ctx, _t: (v := ctx.get(name)) is not None and v in a,
        "not in": lambda ctx, _t: (v := ctx.get(name)) is not None and v not in a,
        "<": lambda ctx, _t: (v := ctx.get(name)) is not None and v < a,
        "<=": lambda ctx, _t: (v := ctx.get(name)) is not None and v <= a,
        ">": lambda ctx, _t: (v := ctx.get(name)) is not None and v > a,
        ">=": lambda ctx, _t: (v := ctx.get(name)) is not None and v >= a,
        "is true": lambda ctx, _t: ctx.get(name) is True,
    }
    return exact.get(op)


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, list | tuple) and not value)


def _lit(arg: Field | Literal, fold: bool) -> Any:
    assert isinstance(arg, Literal)
    value = arg.value
    return value.lower() if fold and isinstance(value, str) else value


def _const_args(test: Test, fold: bool) -> tuple[Any, ...]:
    values = tuple(_lit(a, fold) for a in test.args)
    if test.op in ("in", "not in"):
        return (frozenset(values),)
    return values


def _element_test(op: _ValueTest, test: Test, fold: bool) -> Callable[[Any, datetime], bool]:
    args = _const_args(test, fold)
    if fold:
        return lambda x, as_of: op(x.lower(), args, as_of)
    return lambda x, as_of: op(x, args, as_of)


def _compile_field_args(test: Test, op: _ValueTest, fold: bool) -> Predicate:
    name = test.field.name
    getters = [_getter(arg, fold) for arg in test.args]

    def holds(ctx: Context, as_of: datetime) -> bool:
        v = ctx.get(name)
        if v is None:
            return False
        args = tuple(g(ctx) for g in getters)
        if any(a is None for a in args):
            return False
        if fold:
            v = v.lower()
            args = tuple(a.lower() if isinstance(a, str) else a for a in args)
        return op(v, args, as_of)

    return holds


def _getter(arg: Field | Literal, fold: bool) -> Callable[[Context], Any]:
    if isinstance(arg, Field):
        other = arg.name
        return lambda ctx: ctx.get(other)
    value = _lit(arg, fold)
    return lambda _ctx: value
