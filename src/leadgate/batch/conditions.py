"""Compile a checked condition tree into an Ibis boolean expression: the reference semantics in SQL.

Values are in the batch layout (see `layout`): text folded, times as epoch seconds, lists encoded as
one text value. Every test is wrapped in coalesce(…, false), so a test on a missing value is false and
`not` and `or` never see a null, exactly as in the reference evaluator.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import ibis
import ibis.expr.types as ir

from leadgate.batch.layout import ITEM_END, ITEM_START
from leadgate.conditions import And, Condition, Field, Kind, Literal, Not, Or, Test
from leadgate.conditions.tree import Operand

Resolve = Callable[[str], ir.Value]
DAY = 86400.0


def number(value: float) -> ir.FloatingValue:
    """A float64 constant. Written as CAST('<repr>' AS DOUBLE): Spark reads a bare 1.5 as a decimal, and
    the text of repr() parses back to exactly the same double on every engine."""
    return ibis.literal(repr(float(value)), type="string").cast("float64")


def text(value: str) -> ir.StringScalar:
    return ibis.literal(value, type="string")


FALSE = ibis.literal(False)


def to_ibis(condition: Condition, resolve: Resolve, as_of: float) -> ir.BooleanValue:
    if isinstance(condition, And):
        parts = [to_ibis(c, resolve, as_of) for c in condition.items]
        out = parts[0]
        for part in parts[1:]:
            out = out & part
        return out
    if isinstance(condition, Or):
        parts = [to_ibis(c, resolve, as_of) for c in condition.items]
        out = parts[0]
        for part in parts[1:]:
            out = out | part
        return out
    if isinstance(condition, Not):
        return ~to_ibis(condition.item, resolve, as_of)
    return ibis.coalesce(_test(condition, resolve, as_of), FALSE)


def _value(operand: Operand, resolve: Resolve) -> ir.Value:
    if isinstance(operand, Field):
        return resolve(operand.name)
    return _literal(operand)


def _literal(operand: Literal) -> ir.Scalar:
    value = operand.value
    if isinstance(value, bool):
        return ibis.literal(value)
    if isinstance(value, float):
        return number(value)
    if isinstance(value, datetime):
        return number(value.timestamp())
    return text(value.lower())


def _test(test: Test, resolve: Resolve, as_of: float) -> ir.BooleanValue:
    vtype = test.field.type
    assert vtype is not None, "compile a checked condition"
    col = resolve(test.field.name)
    op = test.op
    if op == "is missing":
        return col.isnull()
    if op == "is not missing":
        return col.notnull()
    if test.quantifier is not None or vtype.kind is Kind.LIST:
        return _list_test(test, col)
    if op == "is true":
        return col == ibis.literal(True)
    if op == "within days":
        days = test.args[0]
        assert isinstance(days, Literal) and isinstance(days.value, float)
        return col.between(number(as_of - days.value * DAY), number(as_of))
    args = [_value(a, resolve) for a in test.args]
    if op in ("in", "not in"):
        found = col.isin(args)
        return found if op == "in" else ~found
    if op == "between":
        return col.between(args[0], args[1])
    if op == "contains":
        return col.contains(args[0])
    if op == "starts with":
        return col.startswith(args[0])
    if op == "ends with":
        return col.endswith(args[0])
    compare: dict[str, Callable[[ir.Value, ir.Value], ir.BooleanValue]] = {
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    return compare[op](col, args[0])


def _item(value: str) -> str:
    return f"{ITEM_START}{value}{ITEM_END}"


def _lits(test: Test) -> list[str]:
    out = []
    for arg in test.args:
        assert isinstance(arg, Literal) and isinstance(arg.value, str), "list tests take text values"
        out.append(arg.value.lower())
    return out


def _without(col: ir.StringValue, items: list[str]) -> ir.StringValue:
    for value in items:
        col = col.replace(_item(value), "")
    return col


def _list_test(test: Test, col: ir.StringValue) -> ir.BooleanValue:
    """Tests on the items of an encoded list (null when the list is missing or empty)."""
    values = _lits(test)
    op, quantifier = test.op, test.quantifier or "any"
    if op == "contains" and test.quantifier is None:  # membership
        return col.contains(_item(values[0]))
    if quantifier == "any":
        if op == "==":
            return col.contains(_item(values[0]))
        if op == "in":
            return _any_of([col.contains(_item(v)) for v in values])
        if op in ("!=", "not in"):
            return _without(col, values) != text("")
        if op == "contains":
            return col.contains(values[0])
        if op == "starts with":
            return col.contains(ITEM_START + values[0])
        return col.contains(values[0] + ITEM_END)  # ends with
    if op in ("==", "in"):
        return _without(col, values) == text("")
    if op in ("!=", "not in"):
        return ~_any_of([col.contains(_item(v)) for v in values])
    other = f"[^{ITEM_END}]*"
    needle = re.escape(values[0])
    pattern = {
        "contains": f"{ITEM_START}{other}{needle}{other}{ITEM_END}",
        "starts with": f"{ITEM_START}{needle}{other}{ITEM_END}",
        "ends with": f"{ITEM_START}{other}{needle}{ITEM_END}",
    }[op]
    return col.re_replace(pattern, "") == text("")


def _any_of(parts: list[ir.BooleanValue]) -> ir.BooleanValue:
    out = parts[0]
    for part in parts[1:]:
        out = out | part
    return out
