"""Reading the file into data with positions: where every value, key and character of a text stands."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.definition.source import Mark, dotted, parse_source


def test_values_and_keys_have_their_positions() -> None:
    source = parse_source("name: t\nfit:\n  rules:\n    - {id: a, points: 1}\n", "f.yaml")
    assert source.data == {"name": "t", "fit": {"rules": [{"id": "a", "points": 1}]}}
    assert source.marks[("name",)] == Mark(1, 7, None)
    assert source.key_marks[("fit",)] == Mark(2, 1, None)
    assert source.marks[("fit", "rules", 0)] == Mark(4, 7, None)
    assert source.marks[("fit", "rules", 0, "points")] == Mark(4, 23, None)
    assert source.mark(("fit", "rules", 0, "when")) == Mark(4, 7, None)  # absent: the enclosing value


def test_the_style_of_a_scalar_is_kept() -> None:
    source = parse_source("a: 'x'\nb: \"y\"\nc: |\n  z\nd: z\n", "f.yaml")
    assert [source.marks[(k,)].style for k in "abcd"] == ["'", '"', "|", None]


def test_dotted_paths() -> None:
    assert dotted(("fit", "rules", 0, "when")) == "fit.rules[0].when"
    assert dotted(()) == ""
    assert dotted((3,)) == "[3]"


def test_a_problem_names_file_line_column_and_path() -> None:
    source = parse_source("fit:\n  rules: []\n", "f.yaml")
    problem = source.problem(("fit", "rules"), "something is wrong", "try this")
    assert str(problem) == "f.yaml:2:10: fit.rules: something is wrong (try this)"
    assert source.problem(("fit", "rules"), "x", at_key=True).column == 3


texts = st.text(
    st.characters(
        codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters="\ufeff\x85"
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(texts, st.sampled_from([None, "'", '"', "|", ">"]), st.integers(10, 40))
def test_every_character_of_a_text_is_found_where_it_stands(text: str, style: str | None, width: int) -> None:
    document = yaml.dump({"when": text}, default_style=style, width=width, allow_unicode=True)
    source = parse_source(document, "f.yaml")
    value = source.data["when"]
    spans = source.spans.get(("when",))
    lines = document.split("\n")
    if spans is None:  # one line without escapes: the value starts at its mark (after a quote)
        mark = source.marks[("when",)]
        start = mark.column + (1 if mark.style else 0)
        assert lines[mark.line - 1][start - 1 : start - 1 + len(value)] == value
        return
    at = (1, 1)
    for ch in value:
        line, column = spans[at]
        if not ch.isspace():
            # an escape in double quotes stands where its backslash is
            found = lines[line - 1][column - 1]
            assert found == ch or (source.marks[("when",)].style == '"' and found == "\\")
        at = (at[0] + 1, 1) if ch == "\n" else (at[0], at[1] + 1)
