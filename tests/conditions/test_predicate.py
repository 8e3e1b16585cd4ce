"""Predicates, the reference semantics: missing values, case, time windows, quantifiers, fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadgate.conditions import Kind, Scope, ValueType, check, compile_predicate, parse

AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

SCOPE = Scope(
    "a stage condition",
    {
        "title": ValueType(Kind.STRING),
        "other": ValueType(Kind.STRING),
        "seniority": ValueType(Kind.ENUM, ("vp", "Director")),
        "n": ValueType(Kind.NUMBER),
        "m": ValueType(Kind.NUMBER),
        "flag": ValueType(Kind.BOOLEAN),
        "day": ValueType(Kind.DATE),
        "at": ValueType(Kind.DATETIME),
        "tags": ValueType(Kind.LIST),
        "interests": ValueType(Kind.LIST, ("ai", "Security")),
    },
    {"nums": (1.0, 2.0), "words": ("Alpha", "beta")},
)


def holds(text: str, ctx: dict[str, Any], as_of: datetime = AS_OF) -> bool:
    return compile_predicate(check(parse(text), SCOPE))(ctx, as_of)


# -- missing values ---------------------------------------------------------------------------------

TESTS_OF_A_VALUE = [
    "title == 'a'",
    "title != 'a'",
    "title in ['a']",
    "title not in ['a']",
    "title not in @words",
    "title contains 'a'",
    "title starts with 'a'",
    "title ends with 'a'",
    "seniority == 'vp'",
    "seniority != 'vp'",
    "seniority not in ['vp']",
    "n == 1",
    "n != 1",
    "n < 1",
    "n <= 1",
    "n > 1",
    "n >= 1",
    "n between 0 and 10",
    "n not in @nums",
    "n < m",
    "n != m",
    "title == other",
    "flag",
    "flag == false",
    "flag != true",
    "day > '2020-01-01'",
    "at within 30 days",
    "tags contains 'x'",
    "interests contains 'ai'",
    "any tags == 'x'",
    "all tags != 'x'",
    "any tags not in ['x']",
    "all interests != 'ai'",
]


@pytest.mark.parametrize("text", TESTS_OF_A_VALUE)
@pytest.mark.parametrize("missing", [{}, {"title": None, "n": None, "flag": None, "at": None, "tags": None}])
def test_a_test_on_a_missing_value_is_false_and_its_negation_true(text: str, missing: dict[str, Any]) -> None:
    assert holds(text, missing) is False
    assert holds(f"not ({text})", missing) is True


@pytest.mark.parametrize(
    "text", ["tags contains 'x'", "any tags == 'x'", "all tags != 'x'", "any tags not in ['x']"]
)
def test_an_empty_list_counts_as_missing(text: str) -> None:
    assert holds(text, {"tags": ()}) is False
    assert holds(text, {"tags": []}) is False
    assert holds("tags is missing", {"tags": ()}) is True
    assert holds("tags is not missing", {"tags": []}) is False


@pytest.mark.parametrize(
    ("ctx", "missing"),
    [({}, True), ({"n": None}, True), ({"n": 0}, False), ({"title": ""}, False), ({"flag": False}, False)],
)
def test_is_missing_and_is_not_missing(ctx: dict[str, Any], missing: bool) -> None:
    name = next(iter(ctx), "n")
    assert holds(f"{name} is missing", ctx) is missing
    assert holds(f"{name} is not missing", ctx) is not missing


def test_a_field_compared_with_a_missing_field_is_false() -> None:
    assert holds("n < m", {"n": 1}) is False
    assert holds("n < m", {"m": 1}) is False
    assert holds("n != m", {"n": 1}) is False
    assert holds("n between 0 and m", {"n": 1}) is False
    assert holds("n < m", {"n": 1, "m": 2}) is True


# -- text and enums ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("title == 'VP Sales'", "vp sales", True),
        ("title != 'VP Sales'", "VP SALES", False),
        ("title in ['CEO', 'cto']", "Cto", True),
        ("title not in ['CEO', 'cto']", "ceo", False),
        ("title in @words", "ALPHA", True),
        ("title contains 'SALES'", "Head of sales", True),
        ("title starts with 'head'", "HEAD of sales", True),
        ("title ends with 'SALES'", "Head of Sales", True),
        ("title ends with 'sales'", "sales manager", False),
        ("title contains 'x'", "Head of sales", False),
    ],
)
def test_text_compares_without_regard_to_case(text: str, value: str, expected: bool) -> None:
    assert holds(text, {"title": value}) is expected


def test_enum_values_compare_exactly_in_their_declared_spelling() -> None:
    assert holds("seniority == 'director'", {"seniority": "Director"}) is True  # literal canonicalised
    assert holds("seniority == 'director'", {"seniority": "director"}) is False  # data is not
    assert holds("seniority in ['VP']", {"seniority": "vp"}) is True
    assert holds("seniority != 'vp'", {"seniority": "Director"}) is True


def test_text_fields_compared_with_each_other_ignore_case() -> None:
    assert holds("title == other", {"title": "Acme", "other": "ACME"}) is True
    assert holds("title != other", {"title": "Acme", "other": "acme"}) is False


def test_contains_on_a_list_ignores_case_with_or_without_declared_values() -> None:
    assert holds("tags contains 'CRM'", {"tags": ("crm", "erp")}) is True
    assert holds("tags contains 'crm'", {"tags": ("erp",)}) is False
    assert holds("interests contains 'ai'", {"interests": ("ai",)}) is True
    assert holds("interests contains 'ai'", {"interests": ("AI",)}) is True
    assert holds("interests contains 'ai'", {"interests": ("security",)}) is False


def test_text_tests_on_declared_list_items_ignore_case() -> None:
    assert holds("any interests starts with 'SEC'", {"interests": ("Security",)}) is True
    assert holds("any interests ends with 'ITY'", {"interests": ("ai",)}) is False


def test_an_enum_compared_with_a_text_field_ignores_case_from_either_side() -> None:
    assert holds("seniority == title", {"seniority": "Director", "title": "DIRECTOR"}) is True
    assert holds("title == seniority", {"seniority": "Director", "title": "DIRECTOR"}) is True


# -- numbers and booleans -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "n", "expected"),
    [
        ("n between 1 and 10", 1, True),
        ("n between 1 and 10", 10, True),
        ("n between 1 and 10", 10.5, False),
        ("n between 1 and 10", 0.999, False),
        ("n in @nums", 2, True),
        ("n in @nums", 2.0, True),
        ("n in @nums", 3, False),
        ("n not in [1, 2]", 3, True),
        ("n >= 5", 5, True),
        ("n > 5", 5, False),
        ("n <= -1", -1, True),
        ("n == 0.5", 0.5, True),
    ],
)
def test_number_tests(text: str, n: float, expected: bool) -> None:
    assert holds(text, {"n": n}) is expected


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), (None, False)])
def test_a_bare_boolean_field_is_a_test_that_it_is_true(value: bool | None, expected: bool) -> None:
    assert holds("flag", {"flag": value}) is expected
    assert holds("flag == true", {"flag": value}) is expected
    assert holds("not flag", {"flag": value}) is not expected


def test_and_or_not() -> None:
    ctx = {"n": 5, "title": "CEO"}
    assert holds("n > 1 and title == 'ceo'", ctx) is True
    assert holds("n > 10 and title == 'ceo'", ctx) is False
    assert holds("n > 10 or title == 'ceo'", ctx) is True
    assert holds("n > 10 or title == 'cto'", ctx) is False
    assert holds("not n > 10 and not (title == 'cto' or m > 1)", ctx) is True
    assert holds("n > 10 or n > 1 and title == 'cto'", ctx) is False  # and binds tighter


# -- time ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(0), True),
        (timedelta(days=3), True),
        (timedelta(days=7), True),  # exactly N days ago: inside
        (timedelta(days=7, seconds=1), False),
        (timedelta(seconds=-1), False),  # after as_of: not in the last N days
        (timedelta(days=400), False),
    ],
)
def test_within_n_days_is_as_of_minus_n_days_to_as_of_inclusive(age: timedelta, expected: bool) -> None:
    assert holds("at within 7 days", {"at": AS_OF - age}) is expected


def test_within_a_fraction_of_a_day() -> None:
    assert holds("at within 0.5 days", {"at": AS_OF - timedelta(hours=12)}) is True
    assert holds("at within 0.5 days", {"at": AS_OF - timedelta(hours=12, seconds=1)}) is False


def test_within_moves_with_as_of() -> None:
    at = datetime(2026, 5, 1, tzinfo=UTC)
    assert holds("at within 10 days", {"at": at}, as_of=datetime(2026, 5, 5, tzinfo=UTC)) is True
    assert holds("at within 10 days", {"at": at}, as_of=datetime(2026, 5, 20, tzinfo=UTC)) is False


def test_dates_compare_as_moments() -> None:
    assert holds("day >= '2026-03-01'", {"day": datetime(2026, 3, 1, tzinfo=UTC)}) is True
    assert holds("day > '2026-03-01'", {"day": datetime(2026, 3, 1, tzinfo=UTC)}) is False
    assert holds("at < '2026-03-01T10:00:00+02:00'", {"at": datetime(2026, 3, 1, 7, 59, tzinfo=UTC)}) is True
    assert holds(
        "day <= at", {"day": datetime(2026, 3, 1, tzinfo=UTC), "at": datetime(2026, 3, 1, tzinfo=UTC)}
    )


# -- quantifiers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tags", "expected"),
    [
        ("any tags == 'a'", ("b", "A"), True),
        ("any tags == 'a'", ("b", "c"), False),
        ("all tags == 'a'", ("a", "A"), True),
        ("all tags == 'a'", ("a", "b"), False),
        ("all tags != 'a'", ("b", "c"), True),
        ("any tags in @words", ("gamma", "BETA"), True),
        ("all tags not in @words", ("gamma", "delta"), True),
        ("all tags not in @words", ("gamma", "alpha"), False),
        ("any tags starts with 'sal'", ("marketing", "Salesforce"), True),
        ("all tags ends with 'force'", ("Salesforce", "workforce"), True),
        ("any tags contains 'spot'", ("HubSpot",), True),
        ("any tags == 'a'", (), False),
        ("all tags == 'a'", (), False),
        ("all tags != 'a'", (), False),
    ],
)
def test_any_and_all_over_the_items_of_a_list(text: str, tags: tuple[str, ...], expected: bool) -> None:
    assert holds(text, {"tags": tags}) is expected


def test_quantifiers_over_enum_items_take_the_declared_spelling_and_text_tests_ignore_case() -> None:
    assert holds("any interests == 'security'", {"interests": ("Security",)}) is True
    assert holds("all interests in ['ai', 'Security']", {"interests": ("ai", "Security")}) is True
    assert holds("any interests starts with 'Sec'", {"interests": ("Security",)}) is True
    assert holds("any interests starts with 'sec'", {"interests": ("Security",)}) is True
    assert holds("any interests starts with 'ai'", {"interests": ("Security",)}) is False


# -- properties ---------------------------------------------------------------------------------------

numbers = st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False))


@given(numbers, st.integers(-1000, 1000), st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
def test_a_comparison_agrees_with_python_and_not_is_its_negation(n: float, k: int, op: str) -> None:
    expected = {"<": n < k, "<=": n <= k, ">": n > k, ">=": n >= k, "==": n == k, "!=": n != k}[op]
    assert holds(f"n {op} {k}", {"n": n}) is expected
    assert holds(f"not n {op} {k}", {"n": n}) is (not expected)
    assert holds(f"n {op} m", {"n": n, "m": float(k)}) is expected


@given(st.lists(st.sampled_from(["a", "B", "c"]), max_size=5))
def test_all_is_not_any_of_the_opposite_except_on_an_empty_list(tags: list[str]) -> None:
    ctx = {"tags": tuple(tags)}
    if tags:
        assert holds("all tags == 'b'", ctx) is not holds("any tags != 'b'", ctx)
    else:
        assert holds("all tags == 'b'", ctx) is holds("any tags != 'b'", ctx) is False
