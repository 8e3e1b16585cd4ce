"""Type-checking conditions against a scope: names, types, operators, literals, named lists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadgate.conditions import And, Field, Kind, Literal, Not, Or, Scope, ValueType, check, parse
from leadgate.conditions import tree as nodes
from leadgate.conditions.check import parse_time, suggest
from leadgate.conditions.tree import render
from leadgate.errors import ConditionError, Problem

SENIORITY = ValueType(Kind.ENUM, ("c_level", "vp", "Director"))
INTERESTS = ValueType(Kind.LIST, ("ai", "Security"))

SCOPE = Scope(
    "a fit rule",
    {
        "lead.title": ValueType(Kind.STRING),
        "lead.department": ValueType(Kind.STRING),
        "lead.seniority": SENIORITY,
        "lead.employees": ValueType(Kind.NUMBER),
        "lead.budget": ValueType(Kind.NUMBER),
        "lead.is_customer": ValueType(Kind.BOOLEAN),
        "lead.signed_on": ValueType(Kind.DATE),
        "lead.created_at": ValueType(Kind.DATETIME),
        "lead.tags": ValueType(Kind.LIST),
        "lead.interests": INTERESTS,
    },
    {"sizes": (10.0, 50.0), "titles": ("CEO", "cto"), "levels": ("VP", "c_level")},
    {"score": "the score is available in stage conditions", "persona": "personas are decided later"},
)


def checked(text: str) -> nodes.Condition:
    return check(parse(text), SCOPE)


def problem_of(text: str) -> Problem:
    with pytest.raises(ConditionError) as caught:
        checked(text)
    [problem] = caught.value.problems
    return problem


def values_of(text: str) -> list[object]:
    return [getattr(a, "value", None) for a in only_test(text).args]


def only_test(text: str) -> nodes.Test:
    result = checked(text)
    assert isinstance(result, nodes.Test)
    return result


# -- names ----------------------------------------------------------------------------------------


def test_an_unknown_field_is_named_with_a_suggestion() -> None:
    problem = problem_of("lead.employees > 1 and lead.titel == 'x'")
    assert problem.message == "unknown field 'lead.titel' in a fit rule"
    assert problem.hint == "did you mean 'lead.title'?"
    assert (problem.line, problem.column) == (1, 24)


def test_an_unknown_field_with_nothing_close_has_no_suggestion() -> None:
    problem = problem_of("company.xyz > 1")
    assert problem.message == "unknown field 'company.xyz' in a fit rule"
    assert problem.hint is None


def test_a_field_compared_with_an_unknown_field_is_reported_at_the_second_one() -> None:
    problem = problem_of("lead.employees < lead.employes")
    assert problem.message == "unknown field 'lead.employes' in a fit rule"
    assert problem.hint == "did you mean 'lead.employees'?"
    assert problem.column == 18


def test_a_name_known_elsewhere_says_why_it_cannot_be_used_here() -> None:
    problem = problem_of("score > 50")
    assert (
        problem.message == "'score' cannot be used in a fit rule: the score is available in stage conditions"
    )
    assert (problem.line, problem.column) == (1, 1)


def test_suggestions_come_from_names_usable_here_and_elsewhere() -> None:
    assert problem_of("scores > 5").hint == "did you mean 'score'?"
    assert suggest("lead.titel", ["lead.title", "lead.tags"]) == "did you mean 'lead.title'?"
    assert suggest("zzz", ["lead.title"]) is None


def test_every_field_comes_back_typed() -> None:
    result = checked("lead.employees > 5 and (not lead.is_customer or lead.employees < lead.budget)")
    assert isinstance(result, And)
    first, second = result.items
    assert isinstance(first, nodes.Test) and first.field.type == ValueType(Kind.NUMBER)
    assert isinstance(second, Or)
    negated, compared = second.items
    assert isinstance(negated, Not) and isinstance(negated.item, nodes.Test)
    assert negated.item.field.type == ValueType(Kind.BOOLEAN)
    assert isinstance(compared, nodes.Test) and isinstance(compared.args[0], Field)
    assert compared.args[0].type == ValueType(Kind.NUMBER)


# -- enums ---------------------------------------------------------------------------------------


def test_enum_literals_take_the_declared_spelling() -> None:
    assert only_test("lead.seniority == 'VP'").args == (Literal("vp", (1, 19)),)
    assert only_test("lead.seniority == 'director'").args[0] == Literal("Director", (1, 19))
    assert values_of("lead.seniority in ['C_LEVEL', 'vP']") == ["c_level", "vp"]


def test_an_enum_literal_that_is_not_a_value_is_named_with_a_suggestion() -> None:
    problem = problem_of("lead.seniority == 'vpp'")
    assert problem.message == "'lead.seniority' is one of 'c_level', 'vp', 'Director'; got 'vpp'"
    assert problem.hint == "did you mean 'vp'?"
    assert (problem.line, problem.column) == (1, 19)


def test_a_named_list_of_enum_values_is_checked_and_canonicalised() -> None:
    test = only_test("lead.seniority in @levels")
    assert values_of("lead.seniority in @levels") == ["vp", "c_level"]
    assert test.list_name == "levels"
    assert render(test) == "lead.seniority in @levels"


def test_list_items_declared_with_values_are_enum_items() -> None:
    assert only_test("lead.interests contains 'AI'").args[0].value == "ai"  # type: ignore[union-attr]
    assert only_test("any lead.interests == 'security'").args[0].value == "Security"  # type: ignore[union-attr]
    problem = problem_of("lead.interests contains 'blockchain'")
    assert problem.message.startswith("'lead.interests' is one of 'ai', 'Security'; got 'blockchain'")


def test_list_items_without_values_take_any_text() -> None:
    assert only_test("lead.tags contains 'Anything'").args[0].value == "Anything"  # type: ignore[union-attr]


# -- dates -----------------------------------------------------------------------------------------


def test_date_literals_are_parsed_to_midnight_utc() -> None:
    test = only_test("lead.signed_on >= '2026-03-01'")
    assert test.args[0].value == datetime(2026, 3, 1, tzinfo=UTC)  # type: ignore[union-attr]


def test_timestamps_are_converted_to_utc_and_naive_ones_taken_as_utc() -> None:
    with_offset = only_test("lead.created_at < '2026-03-01T10:00:00+02:00'")
    assert with_offset.args[0].value == datetime(2026, 3, 1, 8, tzinfo=UTC)  # type: ignore[union-attr]
    naive = only_test("lead.created_at < '2026-03-01T10:00:00'")
    assert naive.args[0].value == datetime(2026, 3, 1, 10, tzinfo=UTC)  # type: ignore[union-attr]
    assert parse_time(" 2026-03-01T10:00:00Z ") == datetime(2026, 3, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("literal", ["'2026-13-01'", "'2026-02-30'", "'yesterday'", "'01/02/2026'"])
def test_a_date_that_cannot_be_read_is_an_error(literal: str) -> None:
    problem = problem_of(f"lead.signed_on > {literal}")
    assert (
        problem.message == f"'lead.signed_on' is a date; got {literal}, which is not an ISO date (YYYY-MM-DD)"
    )
    assert problem.column == 18


def test_dates_between_two_dates() -> None:
    test = only_test("lead.created_at between '2026-01-01' and '2026-02-01T00:00:00Z'")
    assert [a.value for a in test.args] == [  # type: ignore[union-attr]
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 2, 1, tzinfo=UTC),
    ]


# -- literals of the wrong type --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("lead.employees == 'ten'", "'lead.employees' is a number; got 'ten'", None),
        ("lead.employees > true", "'lead.employees' is a number; got true", None),
        ("lead.title == 5", "'lead.title' is text; got 5", "write '5' in quotes"),
        ("lead.title == true", "'lead.title' is text; got true", "write 'true' in quotes"),
        ("lead.is_customer == 'yes'", "'lead.is_customer' is true or false; got 'yes'", None),
        ("lead.signed_on > 20260101", "'lead.signed_on' is a date; got 2.02601e+07", None),
        ("lead.title in @sizes", "'lead.title' is text; got 10", "write '10' in quotes"),
        ("lead.employees in @titles", "'lead.employees' is a number; got 'CEO'", None),
    ],
)
def test_a_literal_must_have_the_fields_type(text: str, message: str, hint: str | None) -> None:
    problem = problem_of(text)
    assert problem.message == message
    assert problem.hint == hint


# -- operators that do not fit ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lead.title > 'a'", "'>' needs a number or a date; 'lead.title' is text"),
        (
            "lead.seniority <= 'vp'",
            "'<=' needs a number or a date; 'lead.seniority' is one of 'c_level', 'vp', 'Director'",
        ),
        ("lead.title between 'a' and 'b'", "'between' needs a number or a date; 'lead.title' is text"),
        ("lead.is_customer < true", "'<' needs a number or a date; 'lead.is_customer' is true or false"),
        ("lead.employees within 3 days", "'within' needs a date field; 'lead.employees' is a number"),
        ("lead.created_at within 0 days", "'within' needs a positive number of days; got 0"),
        ("lead.created_at within -2 days", "'within' needs a positive number of days; got -2"),
        ("lead.employees contains '1'", "'contains' needs text; 'lead.employees' is a number"),
        (
            "lead.seniority starts with 'v'",
            "'starts with' needs text; 'lead.seniority' is one of 'c_level', 'vp', 'Director'",
        ),
        ("lead.created_at ends with 'Z'", "'ends with' needs text; 'lead.created_at' is a date and time"),
        (
            "lead.is_customer in [true]",
            "'in' needs text, an enum or a number; 'lead.is_customer' is true or false",
        ),
        (
            "lead.signed_on not in ['2026-01-01']",
            "'not in' needs text, an enum or a number; 'lead.signed_on' is a date",
        ),
        ("lead.title in []", "'in' needs at least one value"),
        ("lead.title", "'lead.title' is text, not true/false: compare it (==, in, contains, ...)"),
        (
            "lead.employees",
            "'lead.employees' is a number, not true/false: compare it (==, in, contains, ...)",
        ),
    ],
)
def test_an_operator_must_fit_the_field(text: str, message: str) -> None:
    assert problem_of(text).message == message


@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("lead.tags == 'ai'", "=="),
        ("lead.tags != 'ai'", "!="),
        ("lead.tags in ['ai']", "in"),
        ("lead.interests not in ['ai']", "not in"),
        ("lead.tags starts with 'a'", "starts with"),
        ("lead.tags ends with 'a'", "ends with"),
    ],
)
def test_a_list_field_needs_contains_any_or_all(text: str, op: str) -> None:
    name = text.split()[0]
    assert problem_of(text).message == (
        f"{name!r} is a list: use '{name} contains …', 'any {name} …' or 'all {name} …' instead of '{op}'"
    )


def test_a_list_field_can_be_missing_or_not() -> None:
    assert only_test("lead.tags is missing").op == "is missing"
    assert only_test("lead.interests is not missing").op == "is not missing"


def test_a_quantifier_needs_a_list_field() -> None:
    assert problem_of("any lead.title == 'x'").message == "'any' needs a list field; 'lead.title' is text"
    assert (
        problem_of("all lead.employees == 1").message
        == "'all' needs a list field; 'lead.employees' is a number"
    )


@pytest.mark.parametrize(
    "tail", ["< 'a'", "between 'a' and 'b'", "is missing", "is not missing", "within 3 days"]
)
def test_a_quantifier_takes_only_item_tests(tail: str) -> None:
    problem = problem_of(f"any lead.tags {tail}")
    assert problem.message.endswith("cannot test the items of a list")
    assert (problem.line, problem.column) == (1, 1)


def test_a_quantifier_compares_items_with_values_not_with_fields() -> None:
    problem = problem_of("any lead.tags == lead.title")
    assert problem.message == "'any lead.tags' compares each item with a value; got the field 'lead.title'"
    assert problem.column == 18


def test_quantified_enum_items_take_text_tests() -> None:
    test = only_test("any lead.interests starts with 'Sec'")
    assert test.quantifier == "any"
    assert test.args[0] == Literal("Sec", (1, 32))


# -- named lists -----------------------------------------------------------------------------------


def test_a_named_list_is_resolved_into_its_values() -> None:
    test = only_test("lead.employees in @sizes")
    assert [a.value for a in test.args] == [10.0, 50.0]  # type: ignore[union-attr]
    assert test.list_name == "sizes"


def test_an_unknown_named_list_is_named_with_a_suggestion() -> None:
    problem = problem_of("lead.title in @title")
    assert problem.message == "unknown list '@title'"
    assert problem.hint == "did you mean 'titles'?"
    assert problem_of("lead.title not in @nothing_close").hint is None


# -- field against field ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "lead.employees < lead.budget",
        "lead.signed_on <= lead.created_at",
        "lead.title == lead.department",
        "lead.title != lead.seniority",
        "lead.employees between lead.budget and 100",
    ],
)
def test_fields_of_compatible_types_can_be_compared(text: str) -> None:
    test = only_test(text)
    assert all(a.type is not None for a in test.args if isinstance(a, Field))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "lead.employees == lead.title",
            "'lead.employees' is a number and cannot be compared with 'lead.title', which is text",
        ),
        (
            "lead.created_at > lead.budget",
            "'lead.created_at' is a date and time and cannot be compared with 'lead.budget', which is a number",
        ),
        (
            "lead.is_customer == lead.title",
            "'lead.is_customer' is true or false and cannot be compared with 'lead.title', which is text",
        ),
    ],
)
def test_fields_of_other_types_cannot_be_compared(text: str, message: str) -> None:
    assert problem_of(text).message == message


def test_text_operators_take_a_value_not_a_field() -> None:
    problem = problem_of("lead.title contains lead.department")
    assert "got the field 'lead.department'" in problem.message
    assert problem.column == 21


# -- positions and structure ------------------------------------------------------------------------


def test_problems_inside_a_multi_line_condition_keep_their_line() -> None:
    problem = problem_of("lead.employees > 5\n  and lead.title == 'x'\n  and lead.seniority == 'boss'")
    assert (problem.line, problem.column) == (3, 25)


def test_checking_keeps_the_shape_of_the_condition() -> None:
    text = "not (lead.employees > 5 or lead.title == 'x') and lead.is_customer"
    result = checked(text)
    assert render(result) == render(parse(text))


@pytest.mark.parametrize(
    "text",
    [
        "lead.seniority in @levels and lead.signed_on > '2026-01-01'",
        "lead.created_at >= '2026-03-01T10:30:00Z' or lead.interests contains 'security'",
        "all lead.interests == 'AI' or lead.title starts with 'vp'",
    ],
)
def test_a_checked_condition_renders_to_text_that_checks_to_the_same_tree(text: str) -> None:
    once = checked(text)
    twice = checked(render(once))
    assert render(twice) == render(once)
    assert _values(twice) == _values(once)


def _values(condition: nodes.Condition) -> list[object]:
    if isinstance(condition, And | Or):
        return [v for item in condition.items for v in _values(item)]
    if isinstance(condition, Not):
        return _values(condition.item)
    return [condition.op, condition.field.name, *(getattr(a, "value", None) for a in condition.args)]
