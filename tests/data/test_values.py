"""Typing values: each type's fast converter gives exactly what `from_json` gives, or the same error."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.conditions import Kind, ValueType
from leadgate.data.values import BadValue, from_json, json_converter

TYPES = [
    ValueType(Kind.STRING),
    ValueType(Kind.NUMBER),
    ValueType(Kind.BOOLEAN),
    ValueType(Kind.ENUM, ("vp", "Manager", "c_level")),
    ValueType(Kind.LIST),
    ValueType(Kind.LIST, ("salesforce", "hubspot", "Marketo")),
    ValueType(Kind.DATETIME),
]
words = st.sampled_from(["vp", "VP", " vp", "Manager", "manager", "c_level", "salesforce", "HubSpot",
                         "Marketo", "marketo ", "", "  ", "other", "a;b", "2026-05-04T10:12:00Z", "yes"])  # fmt: skip
values = st.one_of(
    st.none(),
    words,
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.lists(st.one_of(words, st.integers(0, 3)), max_size=4),
)


def outcome(convert: Any, value: Any) -> tuple[str, Any]:
    try:
        return ("value", convert(value))
    except BadValue as exc:
        return ("error", str(exc))


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(TYPES), values)
def test_the_fast_converters_agree_with_from_json(vtype: ValueType, value: Any) -> None:
    fast = outcome(json_converter(vtype), value)
    slow = outcome(lambda v: from_json(v, vtype), value)
    if fast[0] == "value" and isinstance(fast[1], float) and fast[1] != fast[1]:
        pytest.fail("NaN is never a value")
    assert fast == slow


def test_a_stored_list_keeps_its_items() -> None:
    techs = json_converter(ValueType(Kind.LIST, ("salesforce", "hubspot")))
    assert techs(["hubspot", "salesforce"]) == ("hubspot", "salesforce")
    assert techs(["HubSpot"]) == ("hubspot",)  # the declared spelling
    assert techs([]) is None
    with pytest.raises(BadValue, match="expected"):
        techs(["pipedrive"])
    assert json_converter(ValueType(Kind.LIST))([" a ", "", "b"]) == ("a", "b")
