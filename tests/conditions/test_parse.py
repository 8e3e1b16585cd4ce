"""Parsing conditions: every operator, precedence, positions, readable syntax errors, and render round-trips."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.conditions import And, Condition, Field, Literal, Not, Or, parse
from leadgate.conditions import tree as nodes
from leadgate.conditions.tree import fields_of, render
from leadgate.errors import ConditionError, DefinitionError


def unplaced(condition: Any) -> Any:
    """The condition with every position set to (1, 1): trees compared "positions aside"."""
    if isinstance(condition, And | Or):
        return type(condition)(tuple(unplaced(c) for c in condition.items))
    if isinstance(condition, Not):
        return Not(unplaced(condition.item))
    if isinstance(condition, nodes.Test):
        return dataclasses.replace(
            condition,
            field=unplaced(condition.field),
            args=tuple(unplaced(a) for a in condition.args),
            pos=(1, 1),
        )
    return dataclasses.replace(condition, pos=(1, 1))


def t(
    op: str, name: str, *args: Any, quantifier: str | None = None, list_name: str | None = None
) -> nodes.Test:
    """A test with positions aside; a `Field` arg stays a field, anything else becomes a literal."""
    operands = tuple(a if isinstance(a, Field) else Literal(a) for a in args)
    return nodes.Test(op, Field(name), operands, quantifier, list_name)


# -- operators ------------------------------------------------------------------------------------

OPERATORS = [
    ("lead.n == 5", t("==", "lead.n", 5.0)),
    ("lead.n = 5", t("==", "lead.n", 5.0)),
    ("lead.n != 5", t("!=", "lead.n", 5.0)),
    ("lead.n < -2.5", t("<", "lead.n", -2.5)),
    ("lead.n <= 0", t("<=", "lead.n", 0.0)),
    ("lead.n > 10", t(">", "lead.n", 10.0)),
    ("lead.n >= 1.25", t(">=", "lead.n", 1.25)),
    ("lead.title == 'VP Sales'", t("==", "lead.title", "VP Sales")),
    ('lead.title == "it\'s"', t("==", "lead.title", "it's")),
    ("lead.flag == true", t("==", "lead.flag", True)),
    ("lead.flag != FALSE", t("!=", "lead.flag", False)),
    ("lead.n < account.m", t("<", "lead.n", Field("account.m"))),
    ("lead.x in ['a', 'B', 3]", t("in", "lead.x", "a", "B", 3.0)),
    ("lead.x not in ['a']", t("not in", "lead.x", "a")),
    ("lead.x in @free_mail", t("in", "lead.x", list_name="free_mail")),
    ("lead.x not in @competitors", t("not in", "lead.x", list_name="competitors")),
    ("lead.n between 1 and 10", t("between", "lead.n", 1.0, 10.0)),
    ("lead.n between lead.low and 10", t("between", "lead.n", Field("lead.low"), 10.0)),
    ("lead.title contains 'sales'", t("contains", "lead.title", "sales")),
    ("lead.email starts with 'ceo'", t("starts with", "lead.email", "ceo")),
    ("lead.email ends with '.edu'", t("ends with", "lead.email", ".edu")),
    ("lead.phone is missing", t("is missing", "lead.phone")),
    ("lead.phone is not missing", t("is not missing", "lead.phone")),
    ("lead.created_at within 30 days", t("within days", "lead.created_at", 30.0)),
    ("lead.created_at within 1.5 days", t("within days", "lead.created_at", 1.5)),
    ("lead.flag", t("is true", "lead.flag")),
    ("any lead.tags == 'ai'", t("==", "lead.tags", "ai", quantifier="any")),
    ("all lead.tags != 'ai'", t("!=", "lead.tags", "ai", quantifier="all")),
    ("any account.technologies in @crm", t("in", "account.technologies", quantifier="any", list_name="crm")),
    ("all lead.tags not in ['x', 'y']", t("not in", "lead.tags", "x", "y", quantifier="all")),
    ("any lead.tags starts with 'sec'", t("starts with", "lead.tags", "sec", quantifier="any")),
    ("any lead.tags contains 'o'", t("contains", "lead.tags", "o", quantifier="any")),
]


@pytest.mark.parametrize(("text", "expected"), OPERATORS, ids=[text for text, _ in OPERATORS])
def test_every_operator_parses_to_one_test(text: str, expected: nodes.Test) -> None:
    assert unplaced(parse(text)) == expected


@pytest.mark.parametrize(("text", "_expected"), OPERATORS, ids=[text for text, _ in OPERATORS])
def test_render_round_trips(text: str, _expected: nodes.Test) -> None:
    tree = parse(text)
    rendered = render(tree)
    assert unplaced(parse(rendered)) == unplaced(tree)
    assert render(parse(rendered)) == rendered  # the canonical text is a fixed point


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("lead.n = 5", "lead.n == 5"),
        ("LEAD.N   >=   5.50", "LEAD.N >= 5.5"),
        ("lead.x IN [\"a\" , 'b']", "lead.x in ['a', 'b']"),
        ("lead.x NOT IN @Free", "lead.x not in @Free"),
        ("x IS NOT MISSING", "x is not missing"),
        ("ANY x STARTS WITH 'a'", "any x starts with 'a'"),
        ("x WITHIN 7 DAYS", "x within 7 days"),
        ("x BETWEEN -1 AND 1", "x between -1 and 1"),
        ("x == TRUE", "x == true"),
        ("x == 0.0000001", "x == 0.0000001"),
        ("x == 'say \"hi\"'", "x == 'say \"hi\"'"),
        ('x == "it\'s"', 'x == "it\'s"'),
        ("(a or b) and c", "(a or b) and c"),
        ("a or (b and c)", "a or b and c"),
        ("not (a and b)", "not (a and b)"),
        ("not not a", "not (not a)"),
        ("a or (b or c)", "a or b or c"),
    ],
)
def test_render_writes_canonical_text(text: str, canonical: str) -> None:
    assert render(parse(text)) == canonical


def test_keywords_are_case_insensitive() -> None:
    lower = parse("not a and b or any c in ['x'] or d is not missing or e between 1 and 2")
    upper = parse("NOT a AND b OR ANY c IN ['x'] Or d Is NoT MiSsInG OR e BETWEEN 1 AND 2")
    assert unplaced(upper) == unplaced(lower)


def test_field_names_keep_their_case_and_text_literals_theirs() -> None:
    assert unplaced(parse("Lead.Title == 'ViCe'")) == t("==", "Lead.Title", "ViCe")


@pytest.mark.parametrize(
    "name", ["order", "android", "notes", "inbox", "anyway", "alloy", "within_days", "is_vip"]
)
def test_keywords_inside_field_names_are_not_keywords(name: str) -> None:
    assert unplaced(parse(f"{name} == 1")) == t("==", name, 1.0)
    assert unplaced(parse(f"lead.{name}")) == t("is true", f"lead.{name}")


# -- and, or, not -------------------------------------------------------------------------------

a, b, c, d = (t("is true", n) for n in "abcd")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a or b and c", Or((a, And((b, c))))),
        ("a and b or c", Or((And((a, b)), c))),
        ("(a or b) and c", And((Or((a, b)), c))),
        ("not a and b", And((Not(a), b))),
        ("not (a and b)", Not(And((a, b)))),
        ("not a or not b", Or((Not(a), Not(b)))),
        ("not not a", Not(Not(a))),
        ("a and b and c and d", And((a, b, c, d))),
        ("a or b or c", Or((a, b, c))),
        ("a or (b or c)", Or((a, b, c))),
        ("(a and b) and (c and d)", And((a, b, c, d))),
        ("((a))", a),
        ("a and (b or c) and d", And((a, Or((b, c)), d))),
    ],
)
def test_not_binds_tighter_than_and_tighter_than_or(text: str, expected: Condition) -> None:
    tree = parse(text)
    assert unplaced(tree) == expected
    assert unplaced(parse(render(tree))) == expected


def test_not_applies_to_a_whole_test() -> None:
    assert unplaced(parse("not lead.n > 5")) == Not(t(">", "lead.n", 5.0))
    assert unplaced(parse("not lead.x in ['a']")) == Not(t("in", "lead.x", "a"))


# -- positions ------------------------------------------------------------------------------------


def test_positions_are_line_and_column_of_each_part() -> None:
    tree = parse("lead.n > 5 and\n  any lead.tags in ['x', 'y']")
    assert isinstance(tree, And)
    first, second = tree.items
    assert isinstance(first, nodes.Test) and isinstance(second, nodes.Test)
    assert first.pos == (1, 1) and first.field.pos == (1, 1) and first.args[0].pos == (1, 10)
    assert second.pos == (2, 3)  # a quantified test starts at its quantifier
    assert second.field.pos == (2, 7)
    assert [arg.pos for arg in second.args] == [(2, 21), (2, 26)]


def test_within_keeps_the_position_of_its_number() -> None:
    test = parse("x within 14 days")
    assert isinstance(test, nodes.Test)
    assert test.args[0].pos == (1, 10)


def test_fields_of_lists_every_field_read() -> None:
    tree = parse("lead.n between lead.low and account.high or not account.flag or any lead.tags in ['a']")
    assert fields_of(tree) == {"lead.n", "lead.low", "account.high", "account.flag", "lead.tags"}


# -- syntax errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "fragments"),
    [
        ("a ==", 1, 5, ["found the end of the condition", "a number", "quoted text", "a field name"]),
        ("a == ", 1, 5, ["found the end of the condition"]),
        ("(a", 1, 3, ["found the end of the condition", "')'"]),
        ("a and", 1, 6, ["found the end of the condition", "'not'", "a field name"]),
        ("a == 1\nand", 2, 4, ["found the end of the condition"]),
        ("a ~ 1", 1, 3, ["found '~ 1'", "a comparison (==, !=, <, <=, >, >=)", "'contains'"]),
        ("a == 1 b", 1, 8, ["found 'b'", "expected 'and', 'or', the end of the condition"]),
        ("x in [1 2]", 1, 9, ["found '2'", "expected ',', ']'"]),
        ("x in [1,", 1, 9, ["found the end of the condition"]),
        ("x between 1", 1, 12, ["expected 'and'"]),
        ("x is", 1, 5, ["expected 'missing', 'not'"]),
        ("any x", 1, 6, ["'between'", "'within'"]),
        ("a\n  == \n ~", 3, 2, ["found '~'"]),
        ("x within days", 1, 10, ["found 'days'", "a number"]),
        ("x in @", 1, 7, ["found the end of the condition"]),
        ("x == 1e5", 1, 7, ["found 'e5'"]),
    ],
)
def test_syntax_errors_say_where_what_was_found_and_what_was_expected(
    text: str, line: int, column: int, fragments: list[str]
) -> None:
    with pytest.raises(ConditionError) as caught:
        parse(text)
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == (line, column)
    assert problem.message.startswith("cannot read the condition here")
    for fragment in fragments:
        assert fragment in problem.message


def test_expectations_name_only_what_can_follow_here() -> None:
    with pytest.raises(ConditionError) as caught:
        parse("a == 1 b")
    # ',' and ']' only follow a literal inside a list; they are not offered after a comparison
    assert "','" not in caught.value.problems[0].message
    assert "']'" not in caught.value.problems[0].message


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_an_empty_condition_is_an_error(text: str) -> None:
    with pytest.raises(ConditionError, match="must not be empty"):
        parse(text)


def test_condition_errors_are_definition_errors() -> None:
    with pytest.raises(DefinitionError) as caught:
        parse("a ==")
    assert isinstance(caught.value, ConditionError)
    assert caught.value.exit_code == DefinitionError.exit_code
    assert str(caught.value).startswith("1:5: cannot read the condition here")


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "__import__('os').system('true')",
        "exec('x = 1')",
        "lambda: 1",
        "a == 1; import os",
        "[x for x in y]",
        "a + 1 > 2",
        "a == `id`",
        "{'a': 1}",
    ],
)
def test_python_is_not_a_condition(text: str) -> None:
    with pytest.raises(ConditionError):
        parse(text)


def test_a_dunder_name_is_only_a_field_name() -> None:
    # parses as a test of a (non-existent) field; the type checker then rejects it as unknown
    assert unplaced(parse("__import__")) == t("is true", "__import__")


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab.'\"()[]@,=<>!-019 \n\tanotirsbewmdyhcl_ANDOR")), max_size=40)
)
def test_any_text_parses_or_raises_a_placed_condition_error(text: str) -> None:
    try:
        tree = parse(text)
    except ConditionError as exc:
        [problem] = exc.problems
        assert problem.line is not None and problem.line >= 1
        assert problem.column is not None and problem.column >= 1
        assert problem.line <= max(1, text.count("\n") + 1)
    else:
        assert unplaced(parse(render(tree))) == unplaced(tree)


# -- generated trees round-trip through render ----------------------------------------------------

KEYWORDS = {"and", "or", "not", "in", "between", "contains", "starts", "ends", "is", "missing", "within"}
KEYWORDS |= {"days", "any", "all", "true", "false", "with"}

names = st.from_regex(r"[a-z_][a-z0-9_]{0,6}(\.[a-z_][a-z0-9_]{0,6}){0,2}", fullmatch=True).filter(
    lambda n: not (set(n.split(".")) & KEYWORDS)
)
numbers = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False).map(
    lambda x: 0.0 if x == 0 else x
)
texts = st.one_of(
    st.text(st.characters(exclude_characters="'\n", codec="utf-8"), max_size=12),
    st.text(st.characters(exclude_characters='"\n', codec="utf-8"), max_size=12),
)
literals = st.builds(Literal, st.one_of(numbers, texts, st.booleans()))
operands = st.one_of(literals, st.builds(Field, names))


@st.composite
def leaves(draw: st.DrawFn) -> nodes.Test:
    op = draw(
        st.sampled_from(
            [
                "==",
                "!=",
                "<",
                ">=",
                "in",
                "not in",
                "between",
                "contains",
                "starts with",
                "ends with",
                "is missing",
                "is not missing",
                "within days",
                "is true",
            ]
        )
    )
    field = Field(draw(names))
    quantifier = None if op == "is true" else draw(st.sampled_from([None, "any", "all"]))
    list_name = None
    if op in ("in", "not in"):
        if draw(st.booleans()):
            list_name = draw(names.filter(lambda n: "." not in n))
            args: tuple[Any, ...] = ()
        else:
            args = tuple(draw(st.lists(literals, min_size=1, max_size=4)))
    elif op == "between":
        args = (draw(operands), draw(operands))
    elif op == "within days":
        args = (Literal(draw(st.floats(min_value=0.001, max_value=1e6, allow_nan=False))),)
    elif op in ("is missing", "is not missing", "is true"):
        args = ()
    else:
        args = (draw(operands),)
    return nodes.Test(op, field, args, quantifier, list_name)


def _flat(kind: type[And] | type[Or], items: list[Condition]) -> Condition:
    out: list[Condition] = []
    for item in items:
        out.extend(item.items if isinstance(item, kind) else [item])
    return kind(tuple(out))


conditions = st.recursive(
    leaves(),
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.lists(inner, min_size=2, max_size=3).map(lambda items: _flat(And, items)),
        st.lists(inner, min_size=2, max_size=3).map(lambda items: _flat(Or, items)),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(conditions)
def test_any_tree_renders_to_text_that_parses_back_to_it(tree: Condition) -> None:
    text = render(tree)
    assert unplaced(parse(text)) == tree
