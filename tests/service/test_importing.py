"""Importing files into the store: what the service refuses is set aside with the row as read and named
by its column, rejects come in the file's order, and the counts say what they count. On both backends."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadgate.data.intake import Intake
from leadgate.errors import DataError
from leadgate.service import versions
from leadgate.service.importing import ImportSummary, import_file
from leadgate.service.mapping import load_mapping
from leadgate.service.store import Store, open_store
from leadgate.service.workspace import DefinitionCache, ensure_workspace, utc_now
from service.rows_support import write
from service.support import BACKENDS, EXAMPLE_TEXT, Databases


@pytest.fixture(params=BACKENDS)
def fresh(request: pytest.FixtureRequest, databases: Databases) -> Iterator[Store]:
    """An empty store whose default workspace has b2b-saas.yaml active."""
    store = open_store(databases.new(request.param))
    with store.transaction() as session:
        versions.publish(session, ensure_workspace(session), EXAMPLE_TEXT, "for the test", "test", utc_now())
    versions.activate(store, "default", 1, "test", DefinitionCache(), utc_now)
    yield store
    store.close()


def run(
    store: Store, kind: str, path: Path, on_error: str = "skip", mapping: str | None = None, chunk: int = 500
) -> tuple[ImportSummary, Intake]:
    intake = Intake("skip" if on_error == "skip" else "fail")
    summary = import_file(store, "default", load_mapping(mapping, kind), path, intake, chunk=chunk)
    return summary, intake


ACCOUNTS = """\
account_id,name,domain,employees
A1,Acme,acme.com,300
A2,"Beta, Inc.",beta.com,lots
A3,Gamma,not a domain,200
A4,Delta,delta.com,many
"""


def test_rows_the_service_refuses_keep_their_text_and_column_in_line_order(
    fresh: Store, tmp_path: Path
) -> None:
    path = write(tmp_path, "accounts.csv", ACCOUNTS)
    summary, intake = run(fresh, "accounts", path)
    assert (summary.stored, summary.rejected) == (1, 3)
    # line 3 and 5 are refused by the vocabulary when stored, line 4 when read: in the file's order
    assert [(r.line, r.field) for r in intake.rejects] == [
        (3, "employees → fields.employees"),
        (4, "domain"),
        (5, "employees → fields.employees"),
    ]
    assert intake.rejects[0].message == "expected a number; got 'lots'"
    assert intake.rejects[0].row == 'A2,"Beta, Inc.",beta.com,lots'
    # the rejects file's rows, fixed, import again
    rejects = tmp_path / "rejects.csv"
    intake.write_rejects(rejects)
    with rejects.open(encoding="utf-8", newline="") as handle:
        rows = [r["row"] for r in csv.DictReader(handle)]
    assert rows[0] == 'A2,"Beta, Inc.",beta.com,lots' and all(rows)
    fixed = ACCOUNTS.splitlines()[0] + "\n" + "\n".join(rows).replace("lots", "40").replace("many", "50")
    again, retried = run(
        fresh, "accounts", write(tmp_path, "fixed.csv", fixed.replace("not a domain", "g.com"))
    )
    assert (again.stored, again.created, again.rejected, retried.rejects) == (3, 3, 0, [])


def test_leads_and_calls_the_vocabulary_refuses_name_their_column(fresh: Store, tmp_path: Path) -> None:
    leads = write(tmp_path, "leads.csv", "lead_id,email,seniority\nL1,a@acme.com,vp\nL2,b@acme.com,emperor\n")
    summary, intake = run(fresh, "leads", leads)
    (reject,) = intake.rejects
    assert (summary.stored, reject.line, reject.field) == (1, 3, "seniority → fields.seniority")
    assert reject.row == "L2,b@acme.com,emperor"
    calls = write(
        tmp_path,
        "calls.csv",
        "Id,Lead,Outcome,Budget\nC1,L1,reached,millions\nC2,L1,reached,confirmed\n",
    )
    mapping = write(
        tmp_path,
        "calls.yaml",
        "calls:\n  call_id: Id\n  lead_id: Lead\n  outcome: Outcome\n  answers.budget: Budget\n",
    )
    summary, intake = run(fresh, "calls", calls, mapping=str(mapping))
    (reject,) = intake.rejects
    assert (summary.stored, reject.line, reject.field) == (1, 2, "Budget → answers.budget")
    assert reject.row == "C1,L1,reached,millions"
    assert reject.message == "criterion 'budget' allows 'confirmed', 'planned', 'none'; got 'millions'"


def test_every_row_of_a_refused_call_in_the_long_format_is_set_aside(fresh: Store, tmp_path: Path) -> None:
    run(fresh, "leads", write(tmp_path, "leads.csv", "lead_id,email\nL1,a@acme.com\n"))
    path = write(
        tmp_path,
        "answers.csv",
        """\
        call_id,lead_id,called_at,outcome,criterion,answer
        C1,L1,2026-05-04T10:00:00Z,reached,budget,millions
        C2,L9,2026-05-04T11:00:00Z,no_answer,,
        C1,L1,2026-05-04T10:00:00Z,reached,need,urgent
        """,
    )
    summary, intake = run(fresh, "calls", path)
    assert summary.stored == 0 and summary.rejected == 3
    assert [(r.line, r.field, r.row.split(",")[0]) for r in intake.rejects] == [
        (2, "answer", "C1"),
        (3, "lead_id", "C2"),  # no lead L9: the store refused it
        (4, "answer", "C1"),
    ]


def test_under_fail_a_value_the_vocabulary_refuses_names_its_column(fresh: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "accounts.csv", ACCOUNTS.replace("not a domain", "gamma.com"))
    with pytest.raises(DataError) as caught:
        run(fresh, "accounts", path, on_error="fail")
    (problem,) = caught.value.problems
    assert (problem.line, problem.path) == (3, "employees → fields.employees")


def test_each_lead_re_scored_counts_once(fresh: Store, tmp_path: Path) -> None:
    run(fresh, "leads", write(tmp_path, "leads.csv", "lead_id,email\nL1,a@acme.com\nL2,b@acme.com\n"))
    events = io.StringIO()
    for n in range(6):  # each lead in every chunk of two events
        lead = f"L{n % 2 + 1}"
        events.write(
            f'{{"event_id": "e{n}", "lead_id": "{lead}", "type": "page_viewed", "time": "2026-05-04"}}\n'
        )
    events.write('{"event_id": "e9", "email": "new@acme.com", "type": "page_viewed", "time": "2026-05-04"}\n')
    path = write(tmp_path, "events.jsonl", events.getvalue())
    summary, _ = run(fresh, "events", path, chunk=2)
    assert summary.leads_rescored == 3  # L1, L2 and the lead of new@acme.com; not once per chunk
    assert (summary.stored, summary.duplicates, summary.leads_created) == (7, 0, 1)
    again, _ = run(fresh, "events", path, chunk=2)
    assert (again.stored, again.duplicates, again.leads_created, again.leads_rescored) == (0, 7, 0, 0)
