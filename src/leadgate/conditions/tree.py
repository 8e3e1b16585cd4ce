"""The immutable condition tree.

Every test has one shape, `Test(op, field, args)`, so each engine compiles a condition with one lookup
table of operators. Positions are 1-based (line, column) inside the condition's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from leadgate.conditions.types import ValueType

Value = str | float | bool | datetime
Position = tuple[int, int]

# Operators of a Test, with how many arguments each takes (None: any number, for `in`).
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
OPERATORS: dict[str, int | None] = {
    **{op: 1 for op in COMPARISONS},
    "in": None,
    "not in": None,
    "between": 2,
    "contains": 1,
    "starts with": 1,
    "ends with": 1,
    "is missing": 0,
    "is not missing": 0,
    "within days": 1,
    "is true": 0,
}


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    pos: Position = (1, 1)
    type: ValueType | None = None  # filled in by the type checker


@dataclass(frozen=True, slots=True)
class Literal:
    value: Value
    pos: Position = (1, 1)


Operand = Field | Literal


@dataclass(frozen=True, slots=True)
class Test:
    """`field op args`, or with a quantifier, `any|all field op args` over the items of a list field."""

    op: str
    field: Field
    args: tuple[Operand, ...] = ()
    quantifier: str | None = None
    list_name: str | None = None  # `in @name`: the named list the items came from
    pos: Position = (1, 1)


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Condition


Condition = Test | And | Or | Not


def fields_of(condition: Condition) -> set[str]:
    """Every field name a condition reads."""
    if isinstance(condition, Test):
        names = {condition.field.name}
        names.update(a.name for a in condition.args if isinstance(a, Field))
        return names
    if isinstance(condition, Not):
        return fields_of(condition.item)
    out: set[str] = set()
    for item in condition.items:
        out |= fields_of(item)
    return out


def render(condition: Condition) -> str:
    """The condition as canonical text (parses back to an equal tree, positions aside)."""
    if isinstance(condition, And):
        return " and ".join(f"({render(c)})" if isinstance(c, Or) else render(c) for c in condition.items)
    if isinstance(condition, Or):
        return " or ".join(render(c) for c in condition.items)
    if isinstance(condition, Not):
        inner = render(condition.item)
        return f"not {inner}" if isinstance(condition.item, Test) else f"not ({inner})"
    return _render_test(condition)


def _render_test(test: Test) -> str:
    head = (f"{test.quantifier} " if test.quantifier else "") + test.field.name
    op, args = test.op, test.args
    if op == "is true":
        return head
    if op in ("is missing", "is not missing"):
        return f"{head} {op}"
    if op == "within days":
        return f"{head} within {render_value(args[0])} days"
    if op == "between":
        return f"{head} between {render_value(args[0])} and {render_value(args[1])}"
    if op in ("in", "not in"):
        if test.list_name:
            return f"{head} {op} @{test.list_name}"
        return f"{head} {op} [" + ", ".join(render_value(a) for a in args) + "]"
    return f"{head} {op} {render_value(args[0])}"


def render_value(operand: Operand) -> str:
    if isinstance(operand, Field):
        return operand.name
    value = operand.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            return repr(int(value))
        text = repr(value)  # the grammar has no exponents: write 1e-07 as 0.0000001
        return format(Decimal(text), "f") if "e" in text else text
    if isinstance(value, datetime):
        text = value.isoformat().replace("+00:00", "Z")
        return repr(text.removesuffix("T00:00:00Z"))
    return "'" + value + "'" if "'" not in value else '"' + value + '"'
