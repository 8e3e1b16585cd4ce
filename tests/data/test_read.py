"""Reading data files: typed values, matching by domain, and bad rows that stop or are set aside."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadgate.data.intake import Intake
from leadgate.data.read import load_dataset, read_outcomes
from leadgate.definition import Definition, load_text
from leadgate.errors import DataError

DEFINITION = """
name: reading test
owners: {marketing: m, sales: s}
agreed: 2026-01-01
vocabulary:
  lead:
    seniority: {type: enum, values: [vp, manager]}
    interests: {type: list, values: [ai, security]}
    score_hint: {type: number, column: hint}
  account:
    employees: {type: number}
    is_customer: {type: boolean}
    founded: {type: date}
  events:
    page_viewed: {properties: {url: {type: string}, seconds: {type: number}}}
criteria:
  items:
    - id: budget
      answers: [{value: confirmed, points: 10}, {value: none, points: -5}]
"""


@pytest.fixture
def definition() -> Definition:
    return load_text(DEFINITION)


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as out:
        csv.writer(out).writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "accounts": write_csv(
            tmp_path / "accounts.csv",
            [
                ["account_id", "domain", "name", "employees", "is_customer", "founded", "extra"],
                ["A1", "Acme.com", "Acme", "1200", "yes", "2001-04-01", "x"],
                ["A2", "globex.io", "Globex", "", "false", "", ""],
            ],
        ),
        "leads": write_csv(
            tmp_path / "leads.csv",
            [
                ["lead_id", "email", "account_id", "created_at", "seniority", "interests", "hint"],
                ["L1", "Jane@ACME.com", "", "2026-03-01T10:00:00Z", "VP", "ai; security", "7.5"],
                ["L2", "bob@globex.io", "A2", "2026-03-02", "manager", "", ""],
                ["L3", "pat@gmail.com", "", "2026-03-03T00:00:00+02:00", "", "", ""],
            ],
        ),
        "events": write_jsonl(
            tmp_path / "events.jsonl",
            [
                {
                    "event_id": "E1",
                    "lead_id": "L1",
                    "type": "page_viewed",
                    "time": "2026-03-05T00:00:00Z",
                    "properties": {"url": "/pricing", "seconds": 30, "ignored": 1},
                },
                {
                    "event_id": "E2",
                    "lead_id": "L2",
                    "type": "webinar_attended",
                    "time": "2026-03-05T00:00:00Z",
                },
                "",
                {
                    "event_id": "E3",
                    "lead_id": "L2",
                    "type": "page_viewed",
                    "time": "2026-03-06",
                    "properties": {},
                },
            ],
        ),
        "answers": write_csv(
            tmp_path / "answers.csv",
            [
                ["call_id", "lead_id", "called_at", "outcome", "criterion", "answer"],
                ["C1", "L1", "2026-03-10T09:00:00Z", "no_answer", "", ""],
                ["C2", "L1", "2026-03-11T09:00:00Z", "reached", "budget", "Confirmed"],
                ["C2", "L1", "2026-03-11T09:00:00Z", "reached", "next_step", "agreed"],
            ],
        ),
    }


def load(definition: Definition, files: dict[str, Path], on_error: str = "fail"):
    return load_dataset(
        definition, files["leads"], files["accounts"], files["events"], files["answers"], Intake(on_error)
    )  # type: ignore[arg-type]


def test_values_are_read_in_their_declared_types(definition: Definition, files: dict[str, Path]) -> None:
    data = load(definition, files)
    acme = data.accounts["A1"]
    assert acme.domain == "acme.com"
    assert acme.fields == {
        "employees": 1200.0,
        "is_customer": True,
        "founded": datetime(2001, 4, 1, tzinfo=UTC),
    }
    jane = data.leads["L1"]
    assert jane.email == "jane@acme.com"
    assert jane.fields == {"seniority": "vp", "interests": ("ai", "security"), "score_hint": 7.5}
    assert data.leads["L3"].created_at == datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
    assert data.accounts["A2"].fields == {"is_customer": False}


def test_a_lead_without_account_is_matched_by_email_domain(
    definition: Definition, files: dict[str, Path]
) -> None:
    data = load(definition, files)
    assert data.leads["L1"].account_id == "A1"
    assert data.leads["L2"].account_id == "A2"
    assert data.leads["L3"].account_id is None


def test_events_keep_declared_properties_and_report_unused_types(
    definition: Definition, files: dict[str, Path]
) -> None:
    data = load(definition, files)
    (e1,) = data.events_by_lead["L1"]
    assert e1.properties == {"url": "/pricing", "seconds": 30.0}
    assert [e.event_id for e in data.events_by_lead["L2"]] == ["E3"]
    assert any("webinar_attended (1)" in note for note in data.intake.notes)
    assert data.intake.accepted[str(files["events"])] == 2


def test_calls_are_grouped_and_answers_brought_to_the_declared_spelling(
    definition: Definition, files: dict[str, Path]
) -> None:
    data = load(definition, files)
    calls = {c.call_id: c for c in data.calls_by_lead["L1"]}
    assert calls["C1"].outcome == "no_answer" and calls["C1"].answers == {}
    assert calls["C2"].answers == {"budget": "confirmed"}
    assert any("next_step (1)" in note for note in data.intake.notes)


def test_notes_name_unused_columns_and_missing_fields(definition: Definition, files: dict[str, Path]) -> None:
    data = load(definition, files)
    assert any("extra" in n and "not used" in n for n in data.intake.notes)


@pytest.mark.parametrize(
    ("file", "row", "field", "words"),
    [
        ("leads", ["L9", "x@y.com", "", "yesterday", "", "", ""], "created_at", "ISO 8601"),
        ("leads", ["L9", "not-an-email", "", "", "", "", ""], "email", "email address"),
        ("leads", ["L9", "a@b.com", "", "", "ceo", "", ""], "seniority", "one of 'vp', 'manager'; got 'ceo'"),
        ("leads", ["L9", "a@b.com", "", "", "", "ml", ""], "interests", "got 'ml'"),
        ("leads", ["L9", "a@b.com", "", "", "", "", "ten"], "hint", "expected a number; got 'ten'"),
        ("leads", ["L1", "a@b.com", "", "", "", "", ""], "lead_id", "appears twice"),
        ("leads", ["", "a@b.com", "", "", "", "", ""], "lead_id", "must not be empty"),
        ("leads", ["L9", "a@b.com", "A404", "", "", "", ""], "account_id", "no account 'A404'"),
        ("accounts", ["A9", "z.com", "Z", "many", "", "", ""], "employees", "expected a number"),
        ("accounts", ["A9", "z.com", "Z", "", "perhaps", "", ""], "is_customer", "true or false"),
        ("answers", ["C9", "L404", "2026-03-01", "reached", "", ""], "lead_id", "unknown lead 'L404'"),
        ("answers", ["C9", "L1", "2026-03-01", "busy", "", ""], "outcome", "got 'busy'"),
        ("answers", ["C9", "L1", "2026-03-01", "reached", "budget", "maybe"], "answer", "allows"),
        (
            "answers",
            ["C9", "L1", "2026-03-01", "voicemail", "budget", "none"],
            "answer",
            "only a reached call",
        ),
        ("answers", ["C1", "L2", "2026-03-10T09:00:00Z", "no_answer", "", ""], "call_id", "another lead"),
    ],
)
def test_a_bad_csv_row_names_file_line_field_and_what_was_expected(
    definition: Definition, files: dict[str, Path], file: str, row: list[str], field: str, words: str
) -> None:
    with files[file].open("a", newline="") as out:
        csv.writer(out).writerow(row)
    lines = len(files[file].read_text().splitlines())
    with pytest.raises(DataError) as caught:
        load(definition, files)
    (problem,) = caught.value.problems
    assert problem.file == str(files[file])
    assert problem.line == lines
    assert problem.path == field
    assert words in problem.message


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (
            '{"event_id": "E9", "lead_id": "L404", "type": "page_viewed", "time": "2026-03-01"}',
            "lead_id",
            "unknown lead 'L404'",
        ),
        (
            '{"event_id": "E9", "lead_id": "L1", "type": "page_viewed", "time": "last week"}',
            "time",
            "ISO 8601",
        ),
        ('{"event_id": "E9", "lead_id": "L1", "type": "page_viewed"}', "time", "time is required"),
        (
            '{"event_id": "E1", "lead_id": "L1", "type": "page_viewed", "time": "2026-03-01"}',
            "event_id",
            "appears twice",
        ),
        (
            '{"event_id": "E9", "lead_id": "L1", "type": "page_viewed", "time": "2026-03-01", '
            '"properties": {"seconds": "long"}}',
            "properties.seconds",
            "expected a number",
        ),
        (
            '{"event_id": "E9", "lead_id": "L1", "type": "page_viewed", "time": "2026-03-01", "properties": [1]}',
            "properties",
            "expected an object",
        ),
        ('{"event_id": "E9", "lead_id": "L1", ', None, "one JSON object per line"),
        ("[1, 2]", None, "expected a JSON object"),
    ],
)
def test_a_bad_event_line_names_its_line_and_field(
    definition: Definition, files: dict[str, Path], row: str, field: str | None, words: str
) -> None:
    with files["events"].open("a") as out:
        out.write(row + "\n")
    with pytest.raises(DataError) as caught:
        load(definition, files)
    (problem,) = caught.value.problems
    assert problem.line == 5
    assert problem.path == field
    assert words in problem.message


def test_skip_sets_bad_rows_aside_counts_them_and_keeps_good_ones(
    definition: Definition, files: dict[str, Path], tmp_path: Path
) -> None:
    with files["leads"].open("a", newline="") as out:
        csv.writer(out).writerows(
            [["L8", "a@b.com", "", "never", "", "", ""], ["L9", "c@d.com", "", "", "", "", ""]]
        )
    with files["events"].open("a") as out:
        out.write('{"event_id": "E9", "lead_id": "L8", "type": "page_viewed", "time": "2026-03-01"}\n')
    data = load(definition, files, "skip")
    assert "L9" in data.leads and "L8" not in data.leads
    assert data.intake.rejected_by_file() == {str(files["leads"]): 1, str(files["events"]): 1}
    # the event of the rejected lead is itself rejected (unknown lead), not dropped silently
    rejects = tmp_path / "rejects.csv"
    data.intake.write_rejects(rejects)
    rows = list(csv.DictReader(rejects.open()))
    assert [(r["line"], r["field"]) for r in rows] == [("5", "created_at"), ("5", "lead_id")]
    assert "never" in rows[0]["row"]


def test_a_missing_required_column_is_reported_with_the_header(
    definition: Definition, tmp_path: Path
) -> None:
    leads = write_csv(tmp_path / "leads.csv", [["id", "email"], ["L1", "a@b.com"]])
    with pytest.raises(DataError, match="lead_id"):
        load_dataset(definition, leads)


def test_a_row_of_the_wrong_width_is_rejected(definition: Definition, tmp_path: Path) -> None:
    leads = write_csv(tmp_path / "leads.csv", [["lead_id", "email"], ["L1", "a@b.com", "surplus"]])
    with pytest.raises(DataError, match="expected 2 cells"):
        load_dataset(definition, leads)


def test_a_rejected_row_keeps_every_cell_quoted_as_csv(definition: Definition, tmp_path: Path) -> None:
    leads = write_csv(
        tmp_path / "leads.csv",
        [["lead_id", "email"], ["L1", "a@b.com", "surplus, with a comma"], ["L2", "c@d.com"]],
    )
    intake = Intake("skip")
    data = load_dataset(definition, leads, intake=intake)
    assert list(data.leads) == ["L2"]
    assert [(r.line, r.row) for r in intake.rejects] == [(2, 'L1,a@b.com,"surplus, with a comma"')]


def test_a_header_that_repeats_a_column_is_refused(definition: Definition, tmp_path: Path) -> None:
    leads = write_csv(tmp_path / "leads.csv", [["lead_id", "email", "email"], ["L1", "a@b.com", "x@y.com"]])
    with pytest.raises(DataError, match=r"the header repeats the column\(s\) email") as refused:
        load_dataset(definition, leads)
    assert refused.value.problems[0].line == 1


def test_an_unreadable_file_is_a_data_error(definition: Definition, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read"):
        load_dataset(definition, tmp_path / "nope.csv")


def test_outcomes_are_read(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "outcomes.csv",
        [
            ["lead_id", "outcome", "closed_at", "revenue"],
            ["L1", "won", "2026-05-01", "12000"],
            ["L2", "open", "", ""],
        ],
    )
    out = read_outcomes(path, Intake())
    assert out["L1"].outcome == "won" and out["L1"].revenue == 12000.0
    assert out["L2"].closed_at is None
