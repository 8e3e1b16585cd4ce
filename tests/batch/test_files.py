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
    ("answers.csv", "C9,L0000001,notadate,reached,,\n", "called_at"),
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


@pytest.mark.parametrize("row", ["L9,x@y.com,,,,,,,,,,,surplus\n", "L9,x@y.com\n"])
def test_a_row_of_the_wrong_width_stops_the_run_at_its_line_as_in_python(
    definition: Definition, generated: Path, tmp_path: Path, row: str
) -> None:
    folder = copy_with(generated, tmp_path, "leads.csv", row)
    with pytest.raises(DataError) as ours:
        native(definition, folder, "skip")  # this engine cannot set it aside: it says so, where and why
    skipped = python(definition, folder, "skip")
    (mine,), (reference,) = ours.value.problems, skipped.rejects
    assert (mine.file, mine.line, mine.message) == (reference.file, reference.line, reference.message)
    assert "leadgate score --on-error skip" in (mine.hint or "")


def test_a_header_that_repeats_a_column_is_refused_as_in_python(
    definition: Definition, tmp_path: Path
) -> None:
    leads = tmp_path / "leads.csv"
    with leads.open("w", newline="") as out:
        csv.writer(out).writerows([["lead_id", "email", "email"], ["L1", "a@b.com", "c@d.com"]])
    for read in (
        lambda: load_files(duckdb.connect(), definition, leads),
        lambda: load_dataset(definition, leads),
    ):
        with pytest.raises(DataError, match=r"the header repeats the column\(s\) email"):
            read()


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


# -- Parquet: typed columns are taken as they are, and read exactly as their text would be -----------

BAD_EVENTS = [
    '{"event_id": "X1", "lead_id": "L0000001", "type": "page_viewed"}',  # no time
    '{"event_id": "X2", "lead_id": "L404", "type": "page_viewed", "time": "2026-03-01T00:00:00Z"}',
    '{"event_id": "E000000001", "lead_id": "L0000001", "type": "page_viewed", "time": "2026-03-01T00:00:00Z"}',
    '{"event_id": "X3", "lead_id": "L0000001", "type": "page_viewed", "time": "2026-03-01T00:00:00Z", '
    '"properties": {"duration_s": "long"}}',
    '{"event_id": "X4", "lead_id": "L0000001", "type": "page_viewed", "time": "2026-03-01T00:00:00Z", '
    '"properties": [1,2]}',
    '{"event_id": "X5", "lead_id": "L0000001", "type": "fax_sent", "time": "2026-03-01T00:00:00Z"}',
    '{"event_id": "X6", "lead_id": "L0000001", "type": "form_submitted", "time": "2026-03-01T10:00:00.123456Z", '
    '"properties": {"form": " Demo_Request "}}',
    '{"event_id": "X7", "lead_id": "L0000001", "type": "page_viewed", "time": "2026-03-01T00:00:00Z", '
    '"properties": {"duration_s": "x"}}',  # X7 rejected: its id is free for the next row
    '{"event_id": "X7", "lead_id": "L0000002", "type": "page_viewed", "time": "2026-03-02T00:00:00Z"}',
    '{"event_id": "X7", "lead_id": "L0000003", "type": "page_viewed", "time": "2026-03-03T00:00:00Z"}',
]  # fmt: skip
BAD_ROWS_BY_FILE = {
    "events.jsonl": "".join(line + "\n" for line in BAD_EVENTS),
    "leads.csv": "L0000001,dup@x.com,,,,,,,,,,\nL9,not-an-email,,,,,,,,,,\nL8,someone@oscorp-freight1.com,,,,,,,,,,\n",
    "accounts.csv": "A9,z.com,Z,software,nan,,,,\nA0000001,dup.com,Dup,software,1,,,,\n"
    "A8,oscorp-freight1.com,Second Oscorp,logistics,10,,,,\n",
    "answers.csv": "C9,L0000001,2026-03-01T00:00:00Z,busy,,\nC8,L404,2026-03-01T00:00:00Z,reached,,\n"
    "C7,L0000001,2026-03-01T00:00:00Z,reached,,\nC7,L0000002,2026-03-01T00:00:00Z,reached,,\n",
}


def with_bad_rows(generated: Path, tmp_path: Path) -> Path:
    folder = generated
    for name, rows in BAD_ROWS_BY_FILE.items():
        folder = copy_with(folder, tmp_path, name, rows)
    return folder


def as_parquet(folder: Path, out: Path, typed: bool) -> Path:
    """The files as Parquet. `typed`: times as TIMESTAMPTZ and account numbers as DOUBLE, as a warehouse
    export has them; else every column as text, as in the CSV files."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    out.mkdir()
    casts = {
        "leads": "created_at::TIMESTAMPTZ AS created_at",
        "accounts": "employees::DOUBLE AS employees, annual_revenue::DOUBLE AS annual_revenue",
        "answers": "called_at::TIMESTAMPTZ AS called_at",
    }
    for name, cast in casts.items():
        columns = f"* REPLACE ({cast})" if typed else "*"
        con.execute(
            f"COPY (SELECT {columns} FROM read_csv('{folder / name}.csv', all_varchar=true, header=true)) "
            f"TO '{out / name}.parquet'"
        )
    time = "time::TIMESTAMPTZ" if typed else "time"
    con.execute(
        f"COPY (SELECT event_id, lead_id, type, {time} AS time, properties::VARCHAR AS properties "
        f"FROM read_json('{folder / 'events.jsonl'}', format='newline_delimited', columns={{event_id: 'VARCHAR', "
        f"lead_id: 'VARCHAR', type: 'VARCHAR', time: 'VARCHAR', properties: 'JSON'}})) TO '{out / 'events.parquet'}'"
    )
    return out


def loaded(definition: Definition, paths: tuple[Path, Path, Path, Path]) -> tuple[Intake, dict[str, list]]:
    """What the DuckDB reader rejects and accepts: the rejects, and every layout table's rows."""
    con = duckdb.connect()
    leads, accounts, events, answers = paths
    tables, intake = load_files(con, definition, leads, accounts, events, answers, Intake("skip"))  # type: ignore[arg-type]
    rows = {
        name: sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        for name, table in tables.tables.items()
    }
    return intake, rows


def facts(intake: Intake) -> list[tuple[str, int, str | None, str]]:
    """The rejects by file stem, with the row as Parquet numbers it (a CSV's header is its line 1)."""
    return [
        (Path(r.file).stem, r.line - (1 if r.file.endswith(".csv") else 0), r.field, r.message)
        for r in intake.rejects
    ]


@pytest.mark.parametrize("typed", [True, False], ids=["typed", "text"])
def test_parquet_is_read_exactly_as_the_same_rows_in_text(
    definition: Definition, generated: Path, tmp_path: Path, typed: bool
) -> None:
    folder = with_bad_rows(generated, tmp_path)
    text, text_rows = loaded(definition, files(folder))
    parquet = as_parquet(folder, tmp_path / "parquet", typed)
    ours, our_rows = loaded(
        definition, tuple(parquet / f"{n}.parquet" for n in ("leads", "accounts", "events", "answers"))
    )  # type: ignore[arg-type]
    assert facts(ours) == facts(text)
    assert {Path(f).stem: n for f, n in ours.accepted.items()} == {
        Path(f).stem: n for f, n in text.accepted.items()
    }
    assert [n.split(": ", 1)[1] for n in ours.notes] == [n.split(": ", 1)[1] for n in text.notes]
    assert our_rows == text_rows
    # every kind of problem is there: typed null time, unknown lead, keys twice, bad property, not an object
    assert {(f, fld) for f, _, fld, _ in facts(ours)} >= {
        ("events", "time"), ("events", "lead_id"), ("events", "event_id"), ("events", "properties.duration_s"),
        ("events", "properties"), ("leads", "lead_id"), ("leads", "email"), ("accounts", "employees"),
        ("accounts", "account_id"), ("answers", "outcome"), ("answers", "lead_id"), ("answers", "call_id"),
    }  # fmt: skip
    assert [line for f, line, fld, _ in facts(ours) if fld == "event_id"] == [
        len((generated / "events.jsonl").read_text().splitlines()) + i for i in (3, 10)
    ]


def test_the_text_files_with_bad_rows_are_read_like_the_python_readers(
    definition: Definition, generated: Path, tmp_path: Path
) -> None:
    folder = with_bad_rows(generated, tmp_path)
    ours, theirs = native(definition, folder, "skip"), python(definition, folder, "skip")
    assert [(r.file, r.line, r.field) for r in ours.rejects] == [
        (r.file, r.line, r.field) for r in theirs.rejects
    ]
    assert ours.accepted == theirs.accepted
    assert sorted(ours.notes) == sorted(theirs.notes)


def test_blank_lines_and_cells_over_several_lines_keep_the_line_numbers_of_the_python_readers(
    definition: Definition, generated: Path, tmp_path: Path
) -> None:
    folder = copy_with(generated, tmp_path, "leads.csv", "")
    lines = (folder / "leads.csv").read_text().splitlines(keepends=True)
    title = lines[3].split(",")
    title[6] = '"Head of\nGrowth"'  # a quoted cell over two lines
    lines[3] = ",".join(title)
    lines[6:6] = [
        "\n",
        "   \n",
        ",,, ,,,,,,,,\n",
    ]  # blank, spaces only, empty cells: Python's reader skips them
    bad = lines[10].split(",")
    bad[1] = "not-an-email"
    lines[10] = ",".join(bad)
    (folder / "leads.csv").write_text("".join(lines))
    events = (folder / "events.jsonl").read_text().splitlines(keepends=True)
    events[2:2] = ["\n"]
    at = next(i for i, e in enumerate(events) if i > 2 and '"type":"page_viewed"' in e)
    events[at] = events[at].replace('"time":"', '"time":"not ', 1)
    (folder / "events.jsonl").write_text("".join(events))

    ours, theirs = native(definition, folder, "skip"), python(definition, folder, "skip")
    found = [(Path(r.file).name, r.line, r.field) for r in ours.rejects]
    assert found == [(Path(r.file).name, r.line, r.field) for r in theirs.rejects]
    assert ("leads.csv", 12, "email") in found  # the row after three skipped lines and a cell over two
    assert ("events.jsonl", at + 1, "time") in found  # after a blank line
    assert ours.accepted == theirs.accepted
    with pytest.raises(DataError) as stopped:
        native(definition, folder)
    assert stopped.value.problems[0].line in (at + 1, 12)


def test_a_lead_without_an_account_takes_the_last_account_of_its_email_domain(
    definition: Definition, generated: Path, tmp_path: Path
) -> None:
    folder = with_bad_rows(generated, tmp_path)
    con = duckdb.connect()
    leads, accounts, events, answers = files(folder)
    tables, _ = load_files(con, definition, leads, accounts, events, answers, Intake("skip"))
    ours = dict(con.execute(f"SELECT lead_id, account_id FROM {tables.tables['leads']}").fetchall())
    theirs = load_dataset(definition, leads, accounts, events, answers, Intake("skip")).leads
    assert ours == {lead_id: lead.account_id for lead_id, lead in theirs.items()}
    assert ours["L8"] == "A8"  # A0000001 has the same domain, earlier in the file
