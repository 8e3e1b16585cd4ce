"""`leadgate rescore`: the same scores as `leadgate score`, from CSV, JSON Lines or Parquet, on any engine."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from leadgate.cli.app import app
from leadgate.data.generate import generate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SAAS = str(EXAMPLES / "b2b-saas.yaml")
runner = CliRunner()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rescore")
    generate(out, 200, seed=17)
    return out


def inputs(folder: Path, suffix: dict[str, str] | None = None) -> list[str]:
    s = {"leads": ".csv", "accounts": ".csv", "events": ".jsonl", "answers": ".csv", **(suffix or {})}
    return [
        "--leads", str(folder / f"leads{s['leads']}"), "--accounts", str(folder / f"accounts{s['accounts']}"),
        "--events", str(folder / f"events{s['events']}"), "--answers", str(folder / f"answers{s['answers']}"),
        "--as-of", "2026-09-30",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def reference(data: Path) -> dict[str, dict]:
    result = runner.invoke(app, ["score", SAAS, *inputs(data), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    return {row["lead_id"]: row for row in map(json.loads, result.stdout.splitlines())}


def same_as_reference(scores: pd.DataFrame, reference: dict[str, dict]) -> None:
    assert len(scores) == len(reference)
    for row in scores.to_dict("records"):
        want = reference[row["lead_id"]]
        assert abs(row["score"] - want["score"]) <= 1e-9
        assert (row["stage"], row["grade"], row["persona"]) == (want["stage"], want["grade"], want["persona"])
        met = row["criteria_met"].split(";") if row["criteria_met"] else []
        assert met == want["criteria_met"]


def test_rescore_writes_parquet_and_a_trace_equal_to_score(
    data: Path, reference: dict, tmp_path: Path
) -> None:
    out, trace = tmp_path / "scored.parquet", tmp_path / "trace.parquet"
    result = runner.invoke(
        app, ["rescore", SAAS, *inputs(data), "--out", str(out), "--trace-out", str(trace)]
    )
    assert result.exit_code == 0, result.output
    assert "Rescored 200 leads on duckdb" in result.stderr
    same_as_reference(pd.read_parquet(out), reference)
    rows = pd.read_parquet(trace)
    totals = rows.groupby("lead_id")["points"].sum()
    for lead_id, total in totals.items():
        assert total == reference[lead_id]["score"]
    reasons = sorted(rows[["lead_id", "kind", "rule", "reason"]].itertuples(index=False, name=None))
    wanted = [(lead, c["kind"], c["rule"], c["reason"]) for lead, r in reference.items() for c in r["trace"]]
    assert reasons == sorted(wanted)
    built = [r for *_, r in reasons if ", capped at " in r or " before decay" in r]  # from the data
    assert built


def test_rescore_reads_parquet_inputs(data: Path, reference: dict, tmp_path: Path) -> None:
    con = duckdb.connect()
    for name in ("leads", "accounts", "answers"):
        con.execute(
            f"COPY (SELECT * FROM read_csv('{data / name}.csv', all_varchar=true)) TO '{tmp_path / name}.parquet'"
        )
    con.execute(
        f"COPY (SELECT event_id, lead_id, type, CAST(time AS TIMESTAMPTZ) AS time, to_json(properties) AS properties "
        f"FROM read_json('{data / 'events.jsonl'}', format='newline_delimited')) TO '{tmp_path / 'events.parquet'}'"
    )
    out = tmp_path / "scored.csv"
    parquet = {"leads": ".parquet", "accounts": ".parquet", "events": ".parquet", "answers": ".parquet"}
    result = runner.invoke(app, ["rescore", SAAS, *inputs(tmp_path, parquet), "--out", str(out)])
    assert result.exit_code == 0, result.output
    same_as_reference(pd.read_csv(out, keep_default_na=False, dtype={"criteria_met": str}), reference)


def test_rescore_on_sqlite(data: Path, reference: dict, tmp_path: Path) -> None:
    out = tmp_path / "scored.parquet"
    result = runner.invoke(app, ["rescore", SAAS, *inputs(data), "--out", str(out), "--engine", "sqlite"])
    assert result.exit_code == 0, result.output
    same_as_reference(pd.read_parquet(out), reference)


def test_rescore_refuses_an_unknown_engine_or_output(data: Path, tmp_path: Path) -> None:
    bad_engine = runner.invoke(app, ["rescore", SAAS, *inputs(data), "--out", str(tmp_path / "x.parquet"),
                                     "--engine", "oracle"])  # fmt: skip
    assert bad_engine.exit_code == 2
    assert "--engine must be one of duckdb, sqlite, postgres, spark, db; got 'oracle'" in bad_engine.stderr
    bad_out = runner.invoke(app, ["rescore", SAAS, *inputs(data), "--out", str(tmp_path / "x.xlsx")])
    assert bad_out.exit_code == 2
    assert "--out must end in .parquet or .csv" in bad_out.stderr


def test_rescore_sets_bad_rows_aside(data: Path, tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(
        (data / "events.jsonl").read_text()
        + '{"event_id": "Z", "lead_id": "nobody", "type": "page_viewed", "time": "2026-01-01"}\n'
    )
    rejects = tmp_path / "rejects.csv"
    args = ["rescore", SAAS, "--leads", str(data / "leads.csv"), "--events", str(events), "--as-of", "2026-09-30",
            "--out", str(tmp_path / "s.parquet")]  # fmt: skip
    failed = runner.invoke(app, args)
    assert failed.exit_code == 4
    assert "unknown lead 'nobody'" in failed.stderr
    skipped = runner.invoke(app, [*args, "--on-error", "skip", "--rejects", str(rejects)])
    assert skipped.exit_code == 0, skipped.output
    assert "rejected 1" in skipped.stderr
    assert "nobody" in rejects.read_text()
