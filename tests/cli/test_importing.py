"""`leadgate import`: what it prints of each import, and the rejects file it writes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadgate.cli.app import app

SAAS = Path(__file__).resolve().parents[2] / "examples" / "b2b-saas.yaml"

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path) -> list[str]:
    """`--database-url` of a new SQLite store with b2b-saas.yaml active."""
    option = ["--database-url", f"sqlite:///{tmp_path / 'leadgate.db'}"]
    published = runner.invoke(
        app, ["definitions", "publish", str(SAAS), "--note", "test", "--activate", *option]
    )
    assert published.exit_code == 0, published.output
    return option


def imported(store: list[str], kind: str, path: Path, *options: str) -> str:
    result = runner.invoke(app, ["import", kind, str(path), *options, *store])
    assert result.exit_code == 0, result.output
    return result.stderr.splitlines()[-1]


def test_the_summary_names_what_each_count_counts(store: list[str], tmp_path: Path) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text("lead_id,email\nL1,a@acme.com\nL2,b@acme.com\n", encoding="utf-8")
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"event_id": "e1", "lead_id": "L1", "type": "page_viewed", "time": "2026-05-04"}\n'
        '{"event_id": "e2", "lead_id": "L2", "type": "page_viewed", "time": "2026-05-04"}\n'
        '{"event_id": "e3", "email": "new@acme.com", "type": "page_viewed", "time": "2026-05-04"}\n',
        encoding="utf-8",
    )
    calls = tmp_path / "calls.csv"
    calls.write_text("call_id,lead_id,outcome,budget\nC1,L1,reached,confirmed\n", encoding="utf-8")
    assert imported(store, "leads", leads) == (
        f"imported leads from {leads}: stored 2 (2 new, 0 updated), rejected 0; re-scored 2 leads"
    )
    assert imported(store, "leads", leads).endswith(
        "stored 2 (0 new, 2 updated), rejected 0; re-scored 2 leads"
    )
    assert imported(store, "events", events).endswith(
        "stored 3 new events, duplicates 0, rejected 0; created 1 leads for events of unknown leads; "
        "re-scored 3 leads"
    )
    assert imported(store, "events", events).endswith(
        "stored 0 new events, duplicates 3, rejected 0; created 0 leads for events of unknown leads; "
        "re-scored 0 leads"
    )
    assert imported(store, "calls", calls).endswith("stored 1 calls, rejected 0; re-scored 1 leads")


def test_the_rejects_file_holds_each_row_as_read_in_line_order(store: list[str], tmp_path: Path) -> None:
    path = tmp_path / "X.csv"
    path.write_text(
        "account_id,domain,employees\nA1,acme.com,300\nA2,beta.com,lots\nA3,bad domain,20\n", encoding="utf-8"
    )
    rejects = tmp_path / "rejects.csv"
    last = imported(store, "accounts", path, "--on-error", "skip", "--rejects", str(rejects))
    assert last.endswith("stored 1 (1 new, 0 updated), rejected 2; re-scored 0 leads")
    with rejects.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[:2] == [
        ["file", "line", "field", "error", "row"],
        [str(path), "3", "employees → fields.employees", "expected a number; got 'lots'", "A2,beta.com,lots"],
    ]
    assert rows[2][1:3] == ["4", "domain"] and rows[2][4] == "A3,bad domain,20"
