"""`--engine db`: the batch engine reading the service's store gives exactly the live scores.

The store (SQLite and PostgreSQL: both are required, never skipped) is filled through the service's own
import path; then every lead is scored twice, by the reference evaluator over the store's records (what
live scoring does) and by the compiled definition over the layout built from the store in DuckDB.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import ibis
import psycopg
import pytest
from sqlalchemy import select, text

from batch.test_conformance import compare
from leadgate.batch.engine import rescore
from leadgate.batch.store import layout_from_store, read_store, score_store
from leadgate.data.generate import generate
from leadgate.data.intake import Intake
from leadgate.definition import Definition, load_definition
from leadgate.scoring import score_leads
from leadgate.service import versions
from leadgate.service.importing import import_file
from leadgate.service.mapping import load_mapping
from leadgate.service.store import open_store, tables
from leadgate.service.store.reading import Readers, load_leads
from leadgate.service.workspace import DefinitionCache, ensure_workspace, utc_now

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A store filled with generated data through `leadgate import`'s path."""
    folder = tmp_path_factory.mktemp("store")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'leadgate.db'}"
        name = None
    else:
        name = f"lg_batch_{uuid.uuid4().hex[:10]}"
        try:
            with psycopg.connect(f"{POSTGRES}/test", autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
        except psycopg.OperationalError as exc:
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is required for these tests: {exc}")
        url = f"{POSTGRES}/{name}"
    generate(folder, 150, seed=31)
    store = open_store(url)
    with store.transaction() as session:
        workspace = ensure_workspace(session)
        source = (EXAMPLES / "b2b-saas.yaml").read_text()
        versions.publish(session, workspace, source, "for the test", "test", utc_now())
    cache = DefinitionCache()
    versions.activate(store, "default", 1, "test", cache, utc_now)
    for kind, file in (("accounts", "accounts.csv"), ("leads", "leads.csv"), ("events", "events.jsonl"),
                       ("calls", "answers.csv")):  # fmt: skip
        import_file(store, "default", load_mapping(None, kind), folder / file, Intake("fail"), cache)
    # a value stored under an older vocabulary that the definition's type no longer takes: missing
    with store.transaction() as session:
        first = session.scalar(select(tables.Account.id).order_by(tables.Account.id))
        row = session.get(tables.Account, first)
        assert row is not None
        row.fields = {**row.fields, "employees": "ten", "is_customer": "maybe"}
    store.close()
    yield url
    if name is not None:
        with psycopg.connect(f"{POSTGRES}/test", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reference(url: str, definition: Definition, as_of: datetime) -> dict[str, Any]:
    store = open_store(url)
    with store.reading() as session:
        keys = list(session.scalars(select(tables.Lead.id)))
        loaded = load_leads(session, definition, Readers.of(definition), keys, as_of)
    store.close()
    return {
        s.lead_id: s
        for s in score_leads(
            definition, loaded.leads.values(), loaded.accounts, loaded.events, loaded.calls, as_of
        )
    }


@pytest.mark.parametrize(
    "example", ["b2b-saas.yaml", "specialty-chemicals.yaml", "bant-telequalification.yaml"]
)
def test_the_store_scores_as_live_scoring_does(store_url: str, example: str) -> None:
    definition = load_definition(EXAMPLES / example)
    as_of = datetime.fromisoformat("2026-09-30T00:00:00+00:00")
    expected = reference(store_url, definition, as_of)
    con = ibis.duckdb.connect()
    got = rescore(
        definition,
        con,
        layout_from_store(con, definition, read_store(store_url, "default", definition.event_types)),
        as_of,
    )
    rows = {r["lead_id"]: r for r in got.results.to_dict("records")}
    assert set(rows) == set(expected)
    trace: dict[str, list[tuple[Any, ...]]] = {lead: [] for lead in rows}
    for t in got.trace.to_dict("records"):
        trace[t["lead_id"]].append(
            (t["kind"], t["rule"], float(t["points"]), t["reason"], int(t["events"]), float(t["raw_points"]))
        )
    differences = [
        f"{lead_id}: {difference}"
        for lead_id, want in expected.items()
        if (difference := compare(want, rows[lead_id], sorted(trace[lead_id])))
    ]
    assert not differences, "\n".join(differences[:5])
    assert len({r.stage for r in expected.values()}) >= 2, (
        "a case where every lead is in one stage proves little"
    )


def test_an_unknown_workspace_is_an_error(store_url: str) -> None:
    with pytest.raises(Exception, match="no workspace 'nope'"):
        read_store(store_url, "nope", ())


def test_the_unfit_value_is_missing_on_both_paths(store_url: str) -> None:
    store = open_store(store_url)
    with store.reading() as session:
        stored = session.execute(text("SELECT fields FROM accounts ORDER BY id LIMIT 1")).scalar_one()
    store.close()
    assert "ten" in str(stored)
    definition = load_definition(EXAMPLES / "b2b-saas.yaml")
    raw = read_store(store_url, "default", definition.event_types)
    con = ibis.duckdb.connect()
    tabs = layout_from_store(con, definition, raw)
    first = raw["accounts"].column("account_id")[0].as_py()
    row = con.execute(tabs.accounts.filter(tabs.accounts.account_id == first)).to_dict("records")[0]
    assert (
        row["account__employees"] is None or row["account__employees"] != row["account__employees"]
    )  # null/NaN
    assert row["account__is_customer"] is None


@pytest.mark.parametrize("example", ["b2b-saas.yaml", "bant-telequalification.yaml"])
def test_score_store_gives_the_references_documents(store_url: str, example: str) -> None:
    """What activation stores (the batch engine's results as `LeadScore`s) is what live scoring stores."""
    definition = load_definition(EXAMPLES / example)
    as_of = datetime.fromisoformat("2026-09-30T00:00:00+00:00")
    expected = reference(store_url, definition, as_of)
    got = {s.lead_id: s for s in score_store(definition, store_url, "default", as_of)}
    assert set(got) == set(expected)
    different = [lead for lead, want in expected.items() if got[lead].as_dict() != want.as_dict()]
    assert not different, (
        f"{different[:3]}: {got[different[0]].as_dict()} != {expected[different[0]].as_dict()}"
    )
    assert any(s.trace for s in got.values())


def test_rescore_engine_db_reads_the_store_with_the_active_version(store_url: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from leadgate.cli.app import app

    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(
        app,
        [
            "rescore",
            "--engine",
            "db",
            "--database-url",
            store_url,
            "--as-of",
            "2026-09-30",
            "--out",
            str(out),
        ],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.output
    assert "Rescored 150 leads" in result.stdout + result.stderr
    rows = out.read_text().splitlines()
    assert len(rows) == 151 and rows[0].startswith("lead_id,")
    expected = reference(
        store_url,
        load_definition(EXAMPLES / "b2b-saas.yaml"),
        datetime.fromisoformat("2026-09-30T00:00:00+00:00"),
    )
    header = rows[0].split(",")
    got = {r.split(",")[0]: float(r.split(",")[header.index("score")]) for r in rows[1:]}
    assert got == pytest.approx({k: v.score for k, v in expected.items()}, abs=1e-9)
