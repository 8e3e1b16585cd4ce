"""The `leadgate` command: every command, its formats, and how it reports bad input."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from leadgate import __version__
from leadgate.cli.app import app
from leadgate.data.generate import generate
from leadgate.service.store import open_store, tables

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SAAS = EXAMPLES / "b2b-saas.yaml"
AS_OF = "2026-09-30"

runner = CliRunner()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("data")
    generate(out, 300, seed=11)
    return out


def inputs(data: Path) -> list[str]:
    return [
        "--leads", str(data / "leads.csv"), "--accounts", str(data / "accounts.csv"),
        "--events", str(data / "events.jsonl"), "--answers", str(data / "answers.csv"), "--as-of", AS_OF,
    ]  # fmt: skip


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.stdout


def test_validate_accepts_every_example() -> None:
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert len(files) >= 3
    result = runner.invoke(app, ["validate", *map(str, files), "--today", "2026-07-01"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("ok ") == len(files)
    assert "warning" not in result.stderr


def test_validate_warns_when_the_review_is_overdue() -> None:
    result = runner.invoke(app, ["validate", str(SAAS), "--today", "2030-01-01"])
    assert result.exit_code == 0
    assert "review was due on 2026-11-28" in result.stderr
    assert "Dana Whitfield" in result.stderr


def test_validate_reports_file_line_column_and_a_suggestion(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    text = SAAS.read_text().replace(
        'when: "account.employees between 200 and 5000"', 'when: "account.employes between 200 and 5000"'
    )
    broken.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "account.employes " in t)
    result = runner.invoke(app, ["validate", str(broken)])
    assert result.exit_code == 3
    assert f"{broken}:{line}:" in result.stderr
    assert "unknown field 'account.employes'" in result.stderr
    assert "did you mean 'account.employees'?" in result.stderr


def test_schema_describes_the_definition_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["title"] == "leadgate definition"
    assert {"fit", "engagement", "criteria", "fast_track", "stages", "vocabulary"} <= set(
        document["properties"]
    )
    assert "owners" in document["required"]
    out = tmp_path / "schema.json"
    assert runner.invoke(app, ["schema", "--out", str(out)]).exit_code == 0
    assert json.loads(out.read_text()) == document


def test_generate_writes_the_five_files(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "--leads", "50", "--seed", "3", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for name in ("accounts.csv", "leads.csv", "events.jsonl", "answers.csv", "outcomes.csv"):
        assert (tmp_path / name).stat().st_size > 0
    assert "50 leads" in result.stderr


def test_score_jsonl_has_every_field_and_traces_that_add_up(data: Path) -> None:
    result = runner.invoke(app, ["score", str(SAAS), *inputs(data), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 300
    required = {"lead_id", "score", "fit", "grade", "engagement", "criteria", "criteria_met", "persona",
                "disqualified", "reasons", "fast_track", "stage", "trace"}  # fmt: skip
    for row in rows:
        assert required <= set(row)
        assert sum(c["points"] for c in row["trace"]) == row["score"]
    assert {r["stage"] for r in rows} >= {"Lead", "Disqualified"}
    assert "scored 300 leads" in result.stderr


def test_score_csv_and_explain_column(data: Path) -> None:
    result = runner.invoke(app, ["score", str(SAAS), *inputs(data), "--format", "csv", "--explain"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 300
    assert {"lead_id", "score", "grade", "stage", "reasons", "trace"} <= set(rows[0])
    assert all(isinstance(json.loads(r["trace"]), list) for r in rows)


def test_score_table_shows_the_best_leads_first(data: Path) -> None:
    result = runner.invoke(app, ["score", str(SAAS), *inputs(data), "--top", "5"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "showing the top 5 of 300 leads" in result.stderr
    assert result.stdout.count("│ L0") == 5


def test_score_rejects_an_unknown_format(data: Path) -> None:
    result = runner.invoke(app, ["score", str(SAAS), *inputs(data), "--format", "xml"])
    assert result.exit_code == 2
    assert "--format must be one of table, csv, jsonl; got 'xml'" in result.stderr


def test_events_after_the_as_of_time_are_counted_in_a_note(data: Path) -> None:
    dated = [json.loads(line)["time"] for line in (data / "events.jsonl").open() if line.strip()]
    cut = sorted(dated)[len(dated) // 2]  # about half the events come after it
    later = sum(1 for t in dated if datetime.fromisoformat(t) > datetime.fromisoformat(cut))
    base = ["--leads", str(data / "leads.csv"), "--events", str(data / "events.jsonl")]
    result = runner.invoke(app, ["score", str(SAAS), *base, "--as-of", cut, "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert f"note: {later:,} events are dated after the --as-of time" in result.stderr
    result = runner.invoke(app, ["score", str(SAAS), *base, "--as-of", max(dated), "--format", "jsonl"])
    assert "dated after the --as-of time" not in result.stderr


def test_score_rejects_a_bad_as_of(data: Path) -> None:
    result = runner.invoke(app, ["score", str(SAAS), "--leads", str(data / "leads.csv"), "--as-of", "soon"])
    assert result.exit_code == 2
    assert "--as-of" in result.stderr


def test_a_bad_row_fails_with_its_file_and_line_or_is_set_aside(data: Path, tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    good = (data / "events.jsonl").read_text()
    events.write_text(
        good + '{"event_id": "X1", "lead_id": "L9999999", "type": "page_viewed", "time": "2026-01-01"}\n'
    )
    line = len(good.splitlines()) + 1
    args = ["score", str(SAAS), "--leads", str(data / "leads.csv"), "--events", str(events), "--as-of", AS_OF]
    failed = runner.invoke(app, [*args, "--format", "jsonl"])
    assert failed.exit_code == 4
    assert f"{events}:{line}: lead_id: unknown lead 'L9999999'" in failed.stderr
    rejects = tmp_path / "rejects.csv"
    skipped = runner.invoke(
        app, [*args, "--format", "jsonl", "--on-error", "skip", "--rejects", str(rejects)]
    )
    assert skipped.exit_code == 0, skipped.output
    assert len(skipped.stdout.splitlines()) == 300
    assert "rejected 1" in skipped.stderr
    (reject,) = list(csv.DictReader(rejects.open()))
    assert reject["line"] == str(line) and reject["field"] == "lead_id"


def test_explain_shows_the_trace_and_the_total(data: Path) -> None:
    scored = runner.invoke(app, ["score", str(SAAS), *inputs(data), "--format", "jsonl"])
    best = max((json.loads(x) for x in scored.stdout.splitlines()), key=lambda r: r["score"])
    result = runner.invoke(app, ["explain", str(SAAS), "--lead", best["lead_id"], *inputs(data)],
                           env={"COLUMNS": "200"})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert best["lead_id"] in result.stdout
    assert f"stage {best['stage']}" in result.stdout
    for contribution in best["trace"]:
        assert contribution["rule"] in result.stdout
    assert "total" in result.stdout


def test_explain_an_unknown_lead(data: Path) -> None:
    result = runner.invoke(app, ["explain", str(SAAS), "--lead", "nobody", *inputs(data)])
    assert result.exit_code == 2
    assert "no lead 'nobody'" in result.stderr


def test_demo_replays_through_the_service_scores_live_and_summarises(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["demo", "--leads", "300", "--dir", str(tmp_path / "demo"), "--no-serve"], env={"COLUMNS": "160"}
    )
    assert result.exit_code == 0, result.output
    assert "Generated 300 leads" in result.stdout
    assert "Replayed them through the service's ingestion" in result.stdout
    assert "Recommended stage vs. what happened" in result.stdout
    assert "Lift: the top 10% of scores hold" in result.stdout
    live = re.search(r"(L\d+): score ([\d.]+) → ([\d.]+), stage (\w+) → (\w+)", result.stdout)
    assert live is not None, result.stdout
    assert float(live.group(3)) > float(live.group(2)), "a demo request adds points at once"
    assert "/docs" in result.stdout and "lg_" in result.stdout and "wk_" in result.stdout
    # the live event's service has stopped: the addresses are those `leadgate serve` takes by default
    assert "the service has stopped (--no-serve); serve this store again with:" in result.stdout
    assert "http://127.0.0.1:8000/docs" in result.stdout
    store = open_store(f"sqlite:///{tmp_path / 'demo' / 'leadgate.db'}")
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(tables.Lead)) == 300
        assert session.scalar(select(func.count()).select_from(tables.LeadScore)) == 300
        events = session.scalar(select(func.count()).select_from(tables.Event))
    written = sum(1 for line in (tmp_path / "demo" / "events.jsonl").open() if line.strip())
    assert events == written + 1  # every generated event, and the live one


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_example_scores_the_generated_data(example: str, data: Path) -> None:
    result = runner.invoke(app, ["score", str(EXAMPLES / example), *inputs(data), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 300
    assert all(sum(c["points"] for c in r["trace"]) == r["score"] for r in rows)
    assert len({r["stage"] for r in rows}) >= 2, (
        "an example that puts every lead in one stage decides nothing"
    )


def test_validate_warns_about_a_stage_no_lead_can_reach(tmp_path: Path) -> None:
    path = tmp_path / "unreachable.yaml"
    path.write_text(SAAS.read_text().replace("funnel: [Lead, MQL, SQL]", "funnel: [Lead, MQL, SAL, SQL]"))
    result = runner.invoke(app, ["validate", str(path), "--today", "2026-07-01"])
    assert result.exit_code == 0, result.output
    assert "the stage 'SAL' has no condition" in result.stderr
