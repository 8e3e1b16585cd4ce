"""Turn a value read from a file into its declared type, or say what was expected."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from leadgate.conditions import Kind, ValueType
from leadgate.conditions.check import parse_time

_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}


class BadValue(ValueError):
    """A value that does not fit its type; the message says what was expected and what was found."""


def from_text(text: str, vtype: ValueType) -> Any:
    """A CSV cell as a value of `vtype`; an empty cell is missing (None)."""
    text = text.strip()
    if not text:
        return None
    kind = vtype.kind
    if kind is Kind.STRING:
        return text
    if kind is Kind.NUMBER:
        try:
            number = float(text)
        except ValueError:
            raise BadValue(f"expected a number; got {text!r}") from None
        if not math.isfinite(number):
            raise BadValue(f"expected a finite number; got {text!r}")
        return number
    if kind is Kind.BOOLEAN:
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise BadValue(f"expected true or false (yes/no, 1/0); got {text!r}")
    if kind in (Kind.DATE, Kind.DATETIME):
        return time_value(text)
    if kind is Kind.ENUM:
        return enum_value(text, vtype)
    items = [item.strip() for item in text.split(";")]
    return list_value([i for i in items if i], vtype)


def from_json(value: Any, vtype: ValueType) -> Any:
    """A JSON value as a value of `vtype`; null (or an empty string or list) is missing."""
    if value is None or value == "" or value == []:
        return None
    kind = vtype.kind
    if isinstance(value, str) and kind is not Kind.LIST:
        return from_text(value, vtype)
    if kind is Kind.STRING and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if kind is Kind.NUMBER and isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise BadValue(f"expected a finite number; got {value!r}")
        return float(value)
    if kind is Kind.BOOLEAN and isinstance(value, bool):
        return value
    if kind is Kind.LIST and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list_value([v.strip() for v in value if v.strip()], vtype)
    if kind is Kind.LIST and isinstance(value, str):
        return from_text(value, vtype)
    raise BadValue(f"expected {vtype.describe()}; got {value!r}")


def time_value(text: str) -> Any:
    try:
        return parse_time(text)
    except ValueError:
        raise BadValue(
            f"expected an ISO 8601 date or timestamp (2026-05-04T10:12:00Z); got {text!r}"
        ) from None


def enum_value(text: str, vtype: ValueType) -> str:
    for allowed in vtype.values:
        if allowed.lower() == text.lower():
            return allowed
    raise BadValue(f"expected {vtype.describe()}; got {text!r}")


def list_value(items: list[str], vtype: ValueType) -> tuple[str, ...] | None:
    if not items:
        return None
    if vtype.values:
        return tuple(enum_value(i, ValueType(Kind.ENUM, vtype.values)) for i in items)
    return tuple(items)


def json_converter(vtype: ValueType) -> Callable[[Any], Any]:
    """`from_json` for one type, with a fast path for the common well-formed value (same results)."""
    kind = vtype.kind

    def slow(value: Any) -> Any:
        return from_json(value, vtype)

    if kind is Kind.STRING:

        def text(value: Any) -> Any:
            if type(value) is str:
                return value.strip() or None
            return slow(value)

        return text
    if kind is Kind.NUMBER:

        def number(value: Any) -> Any:
            if type(value) is float and math.isfinite(value):
                return value
            if type(value) is int:
                return float(value)
            return slow(value)

        return number
    if kind is Kind.ENUM:
        exact = frozenset(vtype.values)

        def member(value: Any) -> Any:
            if type(value) is str and value in exact:
                return value
            return slow(value)

        return member
    if kind is Kind.LIST:
        allowed = frozenset(vtype.values) if vtype.values else None

        def items(value: Any) -> Any:
            # a non-empty list of clean items (as stored) keeps its items as they are
            if type(value) is list and value:
                if allowed is not None:
                    if all(type(v) is str and v in allowed for v in value):
                        return tuple(value)
                elif all(type(v) is str and v and v == v.strip() for v in value):
                    return tuple(value)
            return slow(value)

        return items
    return slow
