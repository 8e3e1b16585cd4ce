"""Reading files inside DuckDB accepts and rejects exactly what the Python readers do."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from leadgate.batch.files import load_files
from leadgate.data.generate import generate
from leadgate.data.intake import Intake
from leadgate.data.read import load_dataset
from leadgate.definition import Definition, load_definition
from leadgate.errors import DataError, UsageError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("files")
    generate(out, 120, seed=5)
    return out


@pytest.fixture
def definition() -> Definition:
    return load_definition(EXAMPLES / "b2b-saas.yaml")


def files(folder: Path) -> tuple[Path, Path, Path, Path]:
    return folder / "leads.csv", folder / "accounts.csv", folder / "events.jsonl", folder / "answers.csv"


def native(definition: Definition, folder: Path, on_error: str = "fail") -> Intake:
    leads, accounts, events, answers = files(folder)
    _, intake = load_files(duckdb.connect(), definition, leads, accounts, events, answers, Intake(on_error))  # type: ignore[arg-type]
    return intake


def python(definition: Definition, folder: Path, on_error: str = "fail") -> Intake:
    leads, accounts, events, answers = files(folder)
    return load_dataset(definition, leads, accounts, events, answers, Intake(on_error)).intake  # type: ignore[arg-type]


def test_good_files_are_read_like_the_python_readers(definition: Definition, generated: Path) -> None:
    ours, theirs = native(definition, generated), python(definition, generated)
    assert ours.accepted == theirs.accepted
    assert ours.rejects == theirs.rejects == []
    assert sorted(ours.notes) == sorted(theirs.notes)


def copy_with(folder: Path, tmp_path: Path, name: str, extra: str) -> Path:
    out = tmp_path / "copy"
    out.mkdir(exist_ok=True)
    for f in folder.iterdir():
        (out / f.name).write_bytes(f.read_bytes())
    with (out / name).open("a", newline="") as handle:
        handle.write(extra)
    return out


BAD_ROWS = [
    ("leads.csv", "L9,x@y.com,,yesterday,,,,,,,,\n", "created_at"),
    ("leads.csv", "L9,not-an-email,,,,,,,,,,\n", "email"),
    ("leads.csv", "L0000001,a@b.com,,,,,,,,,,\n", "lead_id"),
    ("leads.csv", "L9,a@b.com,A404,,,,,,,,,\n", "account_id"),
    ("accounts.csv", "A9,z.com,Z,software,many,,,,\n", "employees"),
    ("events.jsonl", '{"event_id": "X1", "lead_id": "L404", "type": "page_viewed", "time": "2026-03-01"}\n', "lead_id"),
    ("events.jsonl", '{"event_id": "X1", "lead_id": "L0000001", "type": "page_viewed", "time": "soon"}\n', "time"),
    ("events.jsonl", '{"event_id": "X1", "lead_id": "L0000001", "type": "page_viewed", "time": "2026-03-01", '
     '"properties": {"duration_s": "long"}}\n', "properties.duration_s"),
    ("answers.csv", "C9,L0000001,2026-03-01,reached,budget,maybe\n", "answer"),
    ("answers.csv", "C9,L0000001,2026-03-01,busy,,\n", "outcome"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "row", "field"), BAD_ROWS)
def test_a_bad_row_is_reported_at_the_same_line_and_field(
    definition: Definition, generated: Path, tmp_path: Path, name: str, row: str, field: str
) -> None:
    folder = copy_with(generated, tmp_path, name, row)
    with pytest.raises(DataError) as ours:
        native(definition, folder)
    with pytest.raises(DataError) as theirs:
        python(definition, folder)
    (mine,), (reference,) = ours.value.problems, theirs.value.problems
    assert (mine.file, mine.line, mine.path) == (reference.file, reference.line, reference.path)
    assert mine.path == field
    skipped = native(definition, folder, "skip")
    assert [(r.file, r.line, r.field) for r in skipped.rejects] == [(mine.file, mine.line, field)]


def test_an_unknown_file_type_is_a_usage_error(
    definition: Definition, generated: Path, tmp_path: Path
) -> None:
    odd = tmp_path / "leads.xlsx"
    odd.write_text("x")
    with pytest.raises(UsageError, match=r"\.csv, \.jsonl or \.parquet"):
        load_files(duckdb.connect(), definition, odd)


def test_a_missing_column_names_the_header(definition: Definition, tmp_path: Path) -> None:
    leads = tmp_path / "leads.csv"
    with leads.open("w", newline="") as out:
        csv.writer(out).writerows([["id", "email"], ["L1", "a@b.com"]])
    with pytest.raises(DataError, match="lead_id"):
        load_files(duckdb.connect(), definition, leads)


def test_a_key_first_seen_on_a_rejected_row_is_accepted_later_as_in_python(
    definition: Definition, generated: Path, tmp_path: Path
) -> None:
    rows = "L9,bad-email,,,,,,,,,,\nL9,ok@b.com,,,,,,,,,,\nL9,again@b.com,,,,,,,,,,\n"  # second accepted, third twice
    folder = copy_with(generated, tmp_path, "leads.csv", rows)
    with (folder / "events.jsonl").open("a") as out:  # an event id used twice: the second is rejected
        out.write('{"event_id": "X1", "lead_id": "L9", "type": "page_viewed", "time": "2026-03-01"}\n' * 2)
    ours, theirs = native(definition, folder, "skip"), python(definition, folder, "skip")
    assert [(r.line, r.field) for r in ours.rejects] == [(r.line, r.field) for r in theirs.rejects]
    assert [r.field for r in ours.rejects] == ["email", "lead_id", "event_id"]
    assert ours.accepted == theirs.accepted
