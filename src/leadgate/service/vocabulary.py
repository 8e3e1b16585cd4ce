"""Check profile fields and event properties against the active definition's vocabulary.

On the way in, a field the vocabulary declares must fit its type (`employees must be a number; got
'ten'`); its value is stored in JSON form (numbers, booleans, ISO times, lists of text). A field the
vocabulary does not declare is stored as given, and reported back as a note, so a later definition
version can use it. On the way out (`typed`), stored values become the typed values scoring works on;
a stored value that no longer fits a newer vocabulary counts as missing and is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Literal

from leadgate.conditions import ValueType
from leadgate.data.values import BadValue, from_json, json_converter
from leadgate.definition import Definition
from leadgate.definition.scopes import ACCOUNT_BUILTINS, LEAD_BUILTINS
from leadgate.errors import Problem


def stored_form(value: Any) -> Any:
    """A typed value as JSON: times as ISO 8601 text, lists as lists."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def stored_fields(definition: Definition, section: Literal["lead", "account"]) -> dict[str, ValueType]:
    """The vocabulary fields kept in a lead's or account's `fields` document: all but the built-ins,
    which have columns of their own (roll-ups are not profile fields: they are computed)."""
    if section == "lead":
        return {n: t for n, t in definition.lead_fields.items() if n not in LEAD_BUILTINS}
    return {n: t for n, t in definition.account_fields.items() if n not in ACCOUNT_BUILTINS}


def check_values(
    values: Mapping[str, Any], declared: Mapping[str, ValueType], path: str
) -> tuple[dict[str, Any], list[Problem], list[str]]:
    """(values to store, problems, undeclared names). A null value is kept as null (it removes a field)."""
    stored: dict[str, Any] = {}
    problems: list[Problem] = []
    undeclared: list[str] = []
    for name, value in values.items():
        if not isinstance(name, str) or not name:
            problems.append(Problem(f"a field name must be non-empty text; got {name!r}", path=path))
            continue
        vtype = declared.get(name)
        if vtype is None:
            undeclared.append(name)
            stored[name] = value
            continue
        try:
            typed = from_json(value, vtype)
        except BadValue as exc:
            problems.append(Problem(str(exc), path=f"{path}.{name}"))
            continue
        stored[name] = None if typed is None else stored_form(typed)
    return stored, problems, undeclared


Converters = tuple[tuple[str, Callable[[Any], Any]], ...]


def converters(declared: Mapping[str, ValueType]) -> Converters:
    return tuple((name, json_converter(vtype)) for name, vtype in declared.items())


def typed(stored: Mapping[str, Any], convert: Converters, unfit: list[str] | None = None) -> dict[str, Any]:
    """Stored JSON values as typed values for scoring; a value that does not fit is left out (and named)."""
    out: dict[str, Any] = {}
    for name, to_value in convert:
        raw = stored.get(name)
        if raw is None:
            continue
        try:
            value = to_value(raw)
        except BadValue:
            if unfit is not None:
                unfit.append(name)
            continue
        if value is not None:
            out[name] = value
    return out
