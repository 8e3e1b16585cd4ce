"""Loading a definition file: every problem found, each with file, line, column and a suggestion."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pydantic
import pytest
import yaml

from leadgate.definition import Definition, load_definition, load_text
from leadgate.errors import DefinitionError, Problem

if TYPE_CHECKING:
    from conftest import Build


def problems_of(text: str) -> tuple[Problem, ...]:
    with pytest.raises(DefinitionError) as caught:
        load_text(text, "test.yaml")
    return caught.value.problems


def only_problem(text: str) -> Problem:
    problems = problems_of(text)
    assert len(problems) == 1, problems
    return problems[0]


# -- the example and the smallest definition ---------------------------------------------------------


def test_the_example_definition_loads(example_path: Path) -> None:
    definition = load_definition(example_path)
    assert definition.name == "B2B SaaS lead definition"
    assert definition.version == "2026.2"
    assert definition.source == str(example_path)
    assert [p.id for p in definition.personas] == ["decision_maker", "influencer"]
    assert definition.default_persona == "user"
    assert definition.grades == (("A", 55.0), ("B", 35.0), ("C", 15.0), ("D", None))
    assert [s.stage for s in definition.stage_rules] == ["SQL", "MQL"]  # highest funnel stage first
    assert definition.criteria_required == 3
    assert definition.engagement_cap == 100.0
    assert {r.id: r.half_life_days for r in definition.engagement_rules}["trial"] == 60.0


def test_the_smallest_definition_takes_the_defaults(build: Build) -> None:
    definition = build.definition()
    assert definition.funnel == ("Lead", "MQL", "SQL")
    assert definition.grades == (("A", 60.0), ("B", 40.0), ("C", 20.0), ("D", None))
    assert definition.default_persona == "unknown"
    assert definition.fast_track_stage == "MQL"
    assert definition.disqualified_stage == "Disqualified"
    assert definition.criteria == () and definition.criteria_required == 0
    assert definition.engagement_cap is None
    assert definition.spec.review_every_days == 180
    assert set(definition.lead_fields) == {"id", "email", "email_domain", "account_id", "created_at"}


# -- YAML problems --------------------------------------------------------------------------------


def test_malformed_yaml_is_reported_at_its_line_and_column(build: Build) -> None:
    problem = only_problem(build.text("fit:\n  rules: [\n    {id: a\n  oops: 1\n"))
    assert problem.message.startswith("the file is not valid YAML: ")
    assert problem.file == "test.yaml"
    assert (problem.line, problem.column) == (7, 7)


def test_a_tab_is_malformed_yaml(build: Build) -> None:
    problem = only_problem(build.text("fit:\n\trules: []\n"))
    assert "not valid YAML" in problem.message and "'\\t'" in problem.message
    assert problem.line == 5


def test_a_duplicate_key_is_reported_at_the_second_one(build: Build) -> None:
    problem = only_problem(build.text("fit:\n  rules: []\n  rules: []\n"))
    assert problem.message == "the key 'rules' appears twice in the same mapping"
    assert (problem.line, problem.column, problem.path) == (6, 3, "fit")
    assert str(problem) == "test.yaml:6:3: fit: the key 'rules' appears twice in the same mapping"


def test_a_duplicate_top_level_key(build: Build) -> None:
    problem = only_problem(build.text("name: again\n"))
    assert problem.message == "the key 'name' appears twice in the same mapping"
    assert (problem.line, problem.column) == (4, 1)


@pytest.mark.parametrize(
    ("body", "line", "column", "fragment"),
    [
        ("review_every_days: 2026-02-30\n", 4, 20, "day is out of range for month"),
        ("description: 2026-01-01 25:00:00\n", 4, 14, "hour must be in 0..23"),
        ("review_every_days: !!int soon\n", 4, 20, "invalid literal for int()"),
        ("description: !!python/object:os.system ls\n", 4, 14, "could not determine a constructor"),
        ("base: &base {x: 1}\nother:\n  <<: *base\n", 6, 3, "could not determine a constructor"),
    ],
)
def test_a_value_yaml_cannot_build_is_a_problem_not_a_crash(
    build: Build, body: str, line: int, column: int, fragment: str
) -> None:
    problems = problems_of(build.text(body))
    assert problems[0].message.startswith("cannot read this value: ")
    assert fragment in problems[0].message
    assert (problems[0].line, problems[0].column) == (line, column)


def test_an_alias_to_an_enclosing_value_is_a_problem_not_a_crash(build: Build) -> None:
    problem = only_problem(build.text("lists:\n  loop: &loop [a, *loop]\n"))
    assert problem.message == "a value must not contain itself (an alias to an enclosing anchor)"
    assert problem.line == 5


def test_anchors_and_aliases_are_read(build: Build) -> None:
    definition = build.definition(
        """
        lists:
          mail: &mail [gmail.com, yahoo.com]
          also_mail: *mail
        """
    )
    assert definition.spec.lists["also_mail"] == ("gmail.com", "yahoo.com")


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_an_empty_file_is_an_error(text: str) -> None:
    problem = only_problem(text)
    assert problem.message == "the definition is empty" and problem.line == 1


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n"])
def test_a_definition_must_be_a_mapping(text: str) -> None:
    assert only_problem(text).message == "the definition must be a mapping of keys to values"


def test_a_key_must_be_plain_text(build: Build) -> None:
    problem = only_problem(build.text("? [a, b]\n: 1\n"))
    assert problem.message == "a key must be plain text"
    assert problem.line == 4


def test_keys_that_are_numbers_are_read_as_text(build: Build) -> None:
    problem = only_problem(build.text("stages: {2: 'score > 1'}\n"))
    assert problem.message == "unknown stage '2'"


# -- schema problems ---------------------------------------------------------------------------------


def test_an_unknown_key_is_named_at_its_own_position_with_a_suggestion(build: Build) -> None:
    problem = only_problem(build.text("engagement:\n  hafl_life_days: 14\n"))
    assert problem.message == "unknown key 'hafl_life_days'"
    assert problem.hint == "did you mean 'half_life_days'?"
    assert (problem.line, problem.column, problem.path) == (5, 3, "engagement.hafl_life_days")


def test_an_unknown_key_with_a_value_on_the_next_lines_is_placed_at_the_key(build: Build) -> None:
    problem = only_problem(build.text("fit:\n  grade:\n    A: 50\n"))
    assert (problem.line, problem.column) == (5, 3)
    assert problem.hint == "did you mean 'grades'?"


def test_an_unknown_key_inside_a_list_item(build: Build) -> None:
    problem = only_problem(
        build.text(
            """
            vocabulary: {events: {page_viewed: {}}}
            engagement:
              rules:
                - {id: visits, event: page_viewed, points: 1, hafl_life_days: 7}
            """
        )
    )
    assert problem.path == "engagement.rules[0].hafl_life_days"
    assert problem.hint == "did you mean 'half_life_days'?"
    assert (problem.line, problem.column) == (7, 51)


def test_an_unknown_key_with_nothing_close_lists_the_known_keys(build: Build) -> None:
    problem = only_problem(build.text("owners2: x\n"))
    assert problem.message == "unknown key 'owners2'" and problem.hint == "did you mean 'owners'?"
    problem = only_problem(build.text("criteria:\n  zzz: 1\n"))
    assert problem.hint == "known keys: require, items"


def test_a_value_of_the_wrong_type_says_what_was_found(build: Build) -> None:
    problem = only_problem(build.text("fit:\n  rules:\n    - {id: a, when: lead.id == 'x', points: ten}\n"))
    assert problem.path == "fit.rules[0].points"
    assert problem.message == "Input should be a valid number, unable to parse string as a number; got 'ten'"
    assert (problem.line, problem.column) == (6, 45)


@pytest.mark.parametrize(
    ("body", "path", "fragment"),
    [
        ("review_every_days: soon\n", "review_every_days", "valid integer"),
        ("review_every_days: 0\n", "review_every_days", "greater than 0"),
        ("fit: {rules: {id: a}}\n", "fit.rules", "valid tuple"),
        ("agreed_by: x\n", "agreed_by", "unknown key"),
        ("engagement: {half_life_days: -3}\n", "engagement.half_life_days", "greater than 0"),
        ("engagement: {max_points: .nan}\n", "engagement.max_points", "greater than 0"),
        ("funnel: Lead\n", "funnel", "valid tuple"),
        ("fit: {rules: [{id: 'bad id', when: lead.id == 'x', points: 1}]}\n", "fit.rules[0].id", "pattern"),
        ("personas: {default: Decision-Maker}\n", "personas.default", "pattern"),
        (
            "fit: {rules: [{id: a, when: lead.id == 'x', points: 2000000}]}\n",
            "fit.rules[0].points",
            "less than",
        ),
    ],
)
def test_schema_problems_name_the_path(build: Build, body: str, path: str, fragment: str) -> None:
    problem = only_problem(build.text(body))
    assert problem.path == path
    assert fragment in problem.message or fragment in (problem.hint or "")
    assert problem.line == 4


def test_a_missing_required_key_is_named(build: Build) -> None:
    problems = problems_of(
        "name: t\nagreed: 2026-01-01\nfit:\n  rules:\n    - {id: a, when: lead.id == 'x'}\n"
    )
    assert [(p.path, p.message) for p in problems] == [
        ("owners", "the key 'owners' is required"),
        ("fit.rules[0].points", "the key 'points' is required"),
    ]
    assert (problems[0].line, problems[0].column) == (1, 1)
    assert (problems[1].line, problems[1].column) == (5, 7)  # the mapping that lacks it


# -- names and references ---------------------------------------------------------------------------


def test_a_rule_id_used_twice_across_sections_is_reported_each_time_with_the_first_line(build: Build) -> None:
    problems = problems_of(
        build.text(
            """
            vocabulary: {events: {page_viewed: {}}}
            fit:
              rules:
                - {id: pricing, when: lead.id == 'x', points: 1}
            disqualifiers:
              - {id: pricing, when: lead.id == 'y', reason: r}
            engagement:
              rules:
                - {id: pricing, event: page_viewed, points: 1}
            fast_track:
              triggers:
                - {id: pricing, event: page_viewed, reason: r}
            """
        )
    )
    assert [p.path for p in problems] == [
        "disqualifiers[0].id",
        "engagement.rules[0].id",
        "fast_track.triggers[0].id",
    ]
    for problem in problems:
        assert (
            problem.message == "the rule id 'pricing' is used twice: rule ids must be unique in a definition"
        )
        assert problem.hint == "first used at 7"
    assert [p.line for p in problems] == [9, 12, 15]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "personas: {rules: [{id: vp, when: lead.id == 'a'}, {id: vp, when: lead.id == 'b'}]}\n",
            "the persona id 'vp' is used twice",
        ),
        (
            "rollups: [{id: n, measure: contacts}, {id: n, measure: engagement}]\n",
            "the roll-up id 'n' is used twice",
        ),
        (
            "criteria: {items: [{id: budget, answers: [{value: y}]}, {id: budget, answers: [{value: n}]}]}\n",
            "the criterion id 'budget' is used twice",
        ),
    ],
)
def test_ids_must_be_unique_within_their_section(build: Build, body: str, message: str) -> None:
    assert only_problem(build.text(body)).message == message


def test_an_unknown_event_type_is_named_with_a_suggestion(build: Build) -> None:
    problems = problems_of(
        build.text(
            """
            vocabulary: {events: {page_viewed: {}, form_submitted: {}}}
            engagement:
              rules:
                - {id: visits, event: page_view, points: 1}
            fast_track:
              triggers:
                - {id: forms, event: download, reason: r}
            """
        )
    )
    assert [(p.path, p.message, p.hint) for p in problems] == [
        ("engagement.rules[0].event", "unknown event type 'page_view'", "did you mean 'page_viewed'?"),
        (
            "fast_track.triggers[0].event",
            "unknown event type 'download'",
            "known: page_viewed, form_submitted",
        ),
    ]
    assert (problems[0].line, problems[0].column) == (7, 27)


def test_an_event_type_with_no_event_types_declared(build: Build) -> None:
    problem = only_problem(build.text("engagement: {rules: [{id: a, event: visit, points: 1}]}\n"))
    assert problem.message == "unknown event type 'visit'" and problem.hint is None


@pytest.mark.parametrize(
    ("body", "path", "message", "hint"),
    [
        ("stages: {MQl: 'score > 1'}\n", "stages.MQl", "unknown stage 'MQl'", "did you mean 'MQL'?"),
        ("stages: {Won: 'score > 1'}\n", "stages.Won", "unknown stage 'Won'", "known: Lead, MQL, SQL"),
        (
            "fast_track: {stage: SQl, triggers: [{id: t, when: 'lead.email is missing', reason: r}]}\n",
            "fast_track.stage",
            "unknown stage 'SQl'",
            "did you mean 'SQL'?",
        ),
        (
            "stages: {Lead: 'score > 1'}\n",
            "stages.Lead",
            "'Lead' is the first stage of the funnel: every lead starts there, so it takes no condition",
            None,
        ),
        (
            "disqualified_stage: MQL\n",
            "disqualified_stage",
            "the disqualified stage must not be in the funnel",
            None,
        ),
        ("funnel: [Lead, MQL, Lead]\n", "funnel", "the funnel lists a stage twice", None),
    ],
)
def test_stages_must_be_in_the_funnel(
    build: Build, body: str, path: str, message: str, hint: str | None
) -> None:
    problem = only_problem(build.text(body))
    assert (problem.path, problem.message, problem.hint) == (path, message, hint)
    assert problem.line == 4


def test_a_funnel_of_one_stage_is_too_short(build: Build) -> None:
    problems = problems_of(build.text("funnel: [Lead]\nfast_track: {stage: Lead}\n"))
    assert [p.message for p in problems] == ["the funnel needs at least two stages"]


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        (
            "vocabulary: {lead: {email: {type: string}}}\n",
            "vocabulary.lead.email",
            "'lead.email' is built in; choose another name",
        ),
        (
            "vocabulary: {lead: {created_at: {type: date}}}\n",
            "vocabulary.lead.created_at",
            "'lead.created_at' is built in; choose another name",
        ),
        (
            "vocabulary: {account: {domain: {type: string}}}\n",
            "vocabulary.account.domain",
            "'account.domain' is built in; choose another name",
        ),
        (
            "rollups: [{id: name, measure: contacts}]\n",
            "rollups[0].id",
            "the roll-up 'name' has the name of an account field",
        ),
        (
            "vocabulary: {account: {employees: {type: number}}}\nrollups: [{id: employees, measure: contacts}]\n",
            "rollups[0].id",
            "the roll-up 'employees' has the name of an account field",
        ),
        (
            "criteria: {items: [{id: passed, answers: [{value: y}]}]}\n",
            "criteria.items[0].id",
            "'passed' is reserved (criteria.passed is built in); choose another id",
        ),
        (
            "personas: {default: vp, rules: [{id: vp, when: lead.id == 'a'}]}\n",
            "personas.default",
            "the default persona must not also have a rule",
        ),
    ],
)
def test_names_must_not_collide_with_built_in_names(build: Build, body: str, path: str, message: str) -> None:
    problem = only_problem(build.text(body))
    assert (problem.path, problem.message) == (path, message)


# -- conditions inside the file ------------------------------------------------------------------------


def test_a_condition_error_in_a_plain_scalar_is_placed_at_its_column(build: Build) -> None:
    problem = only_problem(
        build.text(
            "fit:\n  rules:\n    - id: a\n      when: lead.id == 'x' and lead.titel == 'y'\n      points: 1\n"
        )
    )
    assert problem.message == "unknown field 'lead.titel' in a fit rule"
    assert problem.path == "fit.rules[0].when"
    #                      `      when: lead.id == 'x' and lead.titel == 'y'`: lead.titel starts at column 32
    assert (problem.line, problem.column) == (7, 32)
    assert str(problem).startswith("test.yaml:7:32: fit.rules[0].when: unknown field 'lead.titel'")


@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_condition_error_in_a_quoted_scalar_counts_the_quote(build: Build, quote: str) -> None:
    problem = only_problem(
        build.text(
            f"fit:\n  rules:\n    - id: a\n      when: {quote}lead.titel == 1{quote}\n      points: 1\n"
        )
    )
    assert (problem.line, problem.column) == (7, 14)


def test_a_condition_error_in_a_flow_mapping(build: Build) -> None:
    problem = only_problem(build.text('fit: {rules: [{id: a, when: "lead.id ==", points: 1}]}\n'))
    assert problem.message.startswith("cannot read the condition here: found the end of the condition")
    #                     `fit: {rules: [{id: a, when: "lead.id ==", points: 1}]}`: the text ends at column 39
    assert (problem.line, problem.column) == (4, 40)


def position_of(text: str, needle: str) -> tuple[int, int]:
    """The line and column (1-based) where `needle` first stands in `text`."""
    before = text[: text.index(needle)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


WHEN_STYLES = {
    "plain over two lines": "when: lead.id == 'x' and\n        lead.titel == 'y'",
    "plain with trailing blanks": "when: lead.id == 'x' and   \n          lead.titel == 'y'",
    "double quotes over two lines": "when: \"lead.id == 'x'\n        and lead.titel == 'y'\"",
    "single quotes with a doubled quote": "when: 'lead.id == ''x'' and lead.titel == 1'",
    "double quotes with escapes": 'when: "lead.id == \\"x\\" and lead.titel == 1"',
    "literal block": "when: |\n        lead.id == 'x' and\n        lead.titel == 'y'",
    "literal block with a comment": "when: |  # the VPs\n        lead.id == 'x'\n          and lead.titel == 'y'",
    "folded block": "when: >-\n        lead.id == 'x' and\n        lead.titel == 'y'",
}


@pytest.mark.parametrize("when", list(WHEN_STYLES.values()), ids=list(WHEN_STYLES))
def test_a_condition_error_is_placed_where_it_stands_in_any_scalar_style(build: Build, when: str) -> None:
    text = build.text(f"fit:\n  rules:\n    - id: a\n      {when}\n      points: 1\n")
    problem = only_problem(text)
    assert problem.message == "unknown field 'lead.titel' in a fit rule"
    assert (problem.line, problem.column) == position_of(text, "lead.titel")


def test_a_condition_error_in_a_flow_mapping_over_two_lines(build: Build) -> None:
    text = build.text(
        "fit: {rules: [{id: a, when: lead.id == 'x' and\n     lead.titel == 'y', points: 1}]}\n"
    )
    assert (only_problem(text).line, only_problem(text).column) == position_of(text, "lead.titel")


def test_the_end_of_a_condition_over_several_lines(build: Build) -> None:
    text = build.text("stages:\n  MQL: |\n    score > 1 and\n      grade ==\n")
    problem = only_problem(text)
    assert problem.message.startswith("cannot read the condition here: found the end of the condition")
    line, column = position_of(text, "grade ==")
    assert (problem.line, problem.column) == (line, column + len("grade =="))


def test_a_condition_over_lines_in_double_quotes(build: Build) -> None:
    text = build.text("stages:\n  MQL: \"score > 1\n    and grade == 'Z'\"\n")
    problem = only_problem(text)
    assert problem.message == "'grade' is one of 'A', 'B', 'C', 'D'; got 'Z'"
    assert (problem.line, problem.column) == position_of(text, "'Z'")


def test_several_problems_are_reported_together(build: Build) -> None:
    text = build.text(
        """
        vocabulary:
          lead:
            email: {type: string}
          events: {page_viewed: {}}
        fit:
          rules:
            - {id: a, when: lead.titel == 'x', points: 1}
            - {id: b, when: lead.id >> 1, points: 1}
        engagement:
          rules:
            - {id: a, event: page_view, points: 1}
        stages:
          MQL: grade == 'Z'
          Won: score > 1
        """
    )
    with pytest.raises(DefinitionError) as caught:
        load_text(text, "test.yaml")
    problems = caught.value.problems
    assert [p.path for p in problems] == [
        "engagement.rules[0].id",
        "vocabulary.lead.email",
        "fit.rules[0].when",
        "fit.rules[1].when",
        "engagement.rules[0].event",
        "stages.Won",
        "stages.MQL",
    ]
    assert all(p.file == "test.yaml" and p.line is not None for p in problems)
    assert str(caught.value).count("\n") == len(problems) - 1  # one line per problem


def test_schema_problems_are_reported_together(build: Build) -> None:
    problems = problems_of(build.text("review_every_days: soon\nfunnel: 3\nfit: {grades: {A: 1}}\n"))
    assert [p.path for p in problems] == ["review_every_days", "fit", "funnel"]


# -- JSON ----------------------------------------------------------------------------------------


def test_a_json_definition_is_accepted(tmp_path: Path, example_path: Path) -> None:
    data = yaml.safe_load(example_path.read_text())
    data["agreed"] = data["agreed"].isoformat()
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(data, indent=2))
    from_json = load_definition(path)
    from_yaml = load_definition(example_path)
    assert from_json.fingerprint == from_yaml.fingerprint
    assert from_json.source == str(path)


def test_json_problems_have_positions_too(build: Build) -> None:
    text = json.dumps(
        {
            "name": "t",
            "owners": {"marketing": "m", "sales": "s"},
            "agreed": "2026-01-01",
            "fit": {"rules": [{"id": "a", "when": "lead.titel == 'x'", "points": 1}]},
        },
        indent=2,
    )
    problem = only_problem(text)
    assert problem.message == "unknown field 'lead.titel' in a fit rule"
    assert problem.line == 12
    assert problem.column == 18  # the value's quote is at column 17


def test_a_file_that_cannot_be_read_is_a_definition_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(DefinitionError) as caught:
        load_definition(missing)
    assert caught.value.problems[0].file == str(missing)
    assert caught.value.problems[0].message.startswith("cannot read the definition: ")


def test_a_file_that_is_not_utf8_is_a_definition_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(DefinitionError, match="cannot read the definition"):
        load_definition(path)


# -- the loaded definition ------------------------------------------------------------------------------


def test_the_review_is_due_every_n_days_after_agreement(build: Build) -> None:
    definition = build.definition("review_every_days: 90\n")
    assert definition.review_due() == date(2026, 4, 1)
    assert definition.review_overdue(date(2026, 4, 1)) is False
    assert definition.review_overdue(date(2026, 4, 2)) is True
    assert definition.review_overdue(date(2025, 12, 1)) is False


def test_the_fingerprint_depends_on_content_not_on_formatting(build: Build) -> None:
    plain = build.definition("fit:\n  rules:\n    - {id: a, when: \"lead.id == 'x'\", points: 5}\n")
    reformatted = load_text(
        "# a comment\nagreed: 2026-01-01\nowners:\n  sales: Sales Development\n  marketing: Marketing Ops\n"
        "fit: {rules: [{points: 5.0, when: \"lead.id == 'x'\", id: a}]}\nname: test definition\n"
    )
    changed = build.definition("fit:\n  rules:\n    - {id: a, when: \"lead.id == 'x'\", points: 6}\n")
    assert plain.fingerprint == reformatted.fingerprint
    assert plain.fingerprint != changed.fingerprint
    assert len(plain.fingerprint) == 12 and int(plain.fingerprint, 16) >= 0


def test_the_version_is_the_declared_one_else_the_fingerprint(build: Build) -> None:
    assert build.definition().version == build.definition().fingerprint
    assert build.definition("version: '2026.3'\n").version == "2026.3"


def test_a_loaded_definition_is_immutable(build: Build) -> None:
    definition = build.definition(
        """
        vocabulary: {events: {page_viewed: {}}}
        fit: {rules: [{id: a, when: lead.id == 'x', points: 5}]}
        engagement: {rules: [{id: visits, event: page_viewed, points: 1}]}
        """
    )
    assert isinstance(definition, Definition)
    with pytest.raises(dataclasses.FrozenInstanceError):
        definition.fit_rules = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        definition.engagement_rules[0].points = 100.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        definition.fit_rules[0].guard.text = "true"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        definition.spec.name = "changed"  # type: ignore[misc]
    assert isinstance(definition.fit_rules, tuple) and isinstance(definition.engagement_rules, tuple)
