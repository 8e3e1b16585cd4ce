"""Reading files into payloads: the identity mapping on what `leadgate generate` writes, bad and unreadable
rows, calls in the long format, and files that cannot be read."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from leadgate.data.generate import generate
from leadgate.definition import Definition, load_definition
from leadgate.errors import DataError, UsageError
from leadgate.service.payloads import AccountIn, CallIn, EventIn, LeadIn
from leadgate.service.rows import Imported
from service.rows_support import nothing_dropped, read, rejects, write

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "leadgate" / "examples" / "b2b-saas.yaml"


@pytest.fixture(scope="module")
def definition() -> Definition:
    return load_definition(EXAMPLE)


# -- the identity mapping on what `leadgate generate` writes ---------------------------------------


def test_identity_mapping_reads_the_generated_files(tmp_path: Path, definition: Definition) -> None:
    summary = generate(tmp_path / "g", 40, seed=7, events_per_lead=4)
    files = {
        "accounts": "accounts.csv",
        "leads": "leads.csv",
        "events": "events.jsonl",
        "calls": "answers.csv",
    }
    read_back: dict[str, list[Imported]] = {}
    for kind, name in files.items():
        path = tmp_path / "g" / name
        items, intake = read(path, kind, definition, None, on_error="fail")
        nothing_dropped(items, intake, path)
        read_back[kind] = items
    assert len(read_back["accounts"]) == summary.accounts and len(read_back["leads"]) == summary.leads
    assert len(read_back["events"]) == summary.events
    assert len(read_back["calls"]) == summary.calls  # answers.csv rows grouped into calls
    assert sum(i.rows for i in read_back["calls"]) == summary.answers

    leads = [i.payload for i in read_back["leads"] if isinstance(i.payload, LeadIn)]
    assert leads[0].lead_id == "L0000001" and leads[0].created_at is not None
    # a payload key that is also a vocabulary field (source) feeds both
    assert any(lead.source for lead in leads) and all(
        lead.source == lead.fields.get("source") for lead in leads
    )
    assert set().union(*(lead.fields for lead in leads)) == {
        "title",
        "seniority",
        "department",
        "country",
        "source",
        "interests",
    }
    account = read_back["accounts"][0].payload
    assert isinstance(account, AccountIn) and account.account_id == "A0000001"
    assert set(account.fields) <= {
        "industry",
        "employees",
        "annual_revenue",
        "country",
        "technologies",
        "is_customer",
    }
    event = read_back["events"][0].payload
    assert isinstance(event, EventIn) and event.event_id == "E000000001" and event.properties
    reached = [i for i in read_back["calls"] if isinstance(i.payload, CallIn) and i.payload.answers]
    assert reached and all(
        i.lead_id and i.payload.outcome == "reached" for i in reached if isinstance(i.payload, CallIn)
    )


def test_identity_notes_generated_columns_outside_the_vocabulary(
    tmp_path: Path, definition: Definition
) -> None:
    generate(tmp_path, 5, seed=1, events_per_lead=1)
    _items, intake = read(tmp_path / "leads.csv", "leads", definition)
    assert (
        f"{tmp_path / 'leads.csv'}: column first_name → fields.first_name: not in the definition's vocabulary, not used"
        in intake.notes
    )


def test_identity_jsonl_is_the_payload_as_is(tmp_path: Path, definition: Definition) -> None:
    path = write(
        tmp_path,
        "leads.jsonl",
        """\
        {"lead_id": "l1", "email": "a@b.com", "fields": {"title": "CTO", "nickname": "Al"}, "account": {"domain": "b.com", "fields": {"employees": 300}}}
        {"lead_id": "l2", "fields": {"title": null}, "colour": "red"}
        {"lead_id": "l3", "account": {"domain": "c.com", "website": "c.com"}}
        [1, 2]
        not json
        """,
    )
    items, intake = read(path, "leads", definition)
    nothing_dropped(items, intake, path)
    (item,) = items
    assert isinstance(item.payload, LeadIn) and item.payload.account is not None
    assert item.payload.fields == {"title": "CTO"} and item.payload.account.fields == {"employees": 300}
    assert rejects(intake) == [(2, "colour"), (3, "account.website"), (4, None), (5, None)]
    assert intake.rejects[0].message.startswith("unknown key 'colour'; a lead has lead_id, email")
    assert intake.rejects[2].message == "expected a JSON object; got list"
    assert any("fields.nickname: not in the definition's vocabulary" in n for n in intake.notes)


def test_identity_jsonl_calls_carry_their_lead(tmp_path: Path, definition: Definition) -> None:
    path = write(
        tmp_path,
        "calls.jsonl",
        """\
        {"call_id": "c1", "lead_id": "l1", "called_at": "2026-05-04T10:00:00Z", "outcome": "reached", "answers": {"budget": "confirmed", "vibe": "good"}}
        {"call_id": "c2", "email": "A@B.com", "outcome": "voicemail"}
        """,
    )
    (first, second), intake = read(path, "calls", definition)
    assert isinstance(first.payload, CallIn) and first.lead_id == "l1"
    assert first.payload.answers == {"budget": "confirmed"}
    assert second.email == "a@b.com" and second.lead_id is None
    assert any("answers.vibe: not in the definition's criteria, not used" in n for n in intake.notes)


# -- bad rows --------------------------------------------------------------------------------------

BAD_LEADS = """\
lead_id,email,created_at,title
l1,ok@acme.com,2026-05-04T10:12:00Z,CTO
l2,ok2@acme.com,last tuesday,CTO
,,,CFO
l4,not-an-email,,CEO
l5,,2026-05-04,
"""


def test_bad_rows_are_set_aside_with_their_line_and_field(tmp_path: Path, definition: Definition) -> None:
    path = write(tmp_path, "leads.csv", BAD_LEADS)
    items, intake = read(path, "leads", definition)
    nothing_dropped(items, intake, path)
    assert [i.line for i in items] == [2, 6]
    assert rejects(intake) == [(3, "created_at"), (4, "lead_id; email"), (5, "email")]
    time, identity, email = (r.message for r in intake.rejects)
    assert time == "expected an ISO 8601 date or timestamp (2026-05-04T10:12:00Z); got 'last tuesday'"
    assert identity == "a lead needs lead_id or email or anonymous_id; the row has none"
    assert email == "expected an email address (name@domain); got 'not-an-email'"
    assert intake.rejects[0].row == "l2,ok2@acme.com,last tuesday,CTO"


def test_bad_rows_stop_the_run_under_fail(tmp_path: Path, definition: Definition) -> None:
    path = write(tmp_path, "leads.csv", BAD_LEADS)
    with pytest.raises(DataError) as caught:
        read(path, "leads", definition, on_error="fail")
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.path) == (str(path), 3, "created_at")


def test_long_format_calls_group_rows_and_check_them(tmp_path: Path, definition: Definition) -> None:
    path = write(
        tmp_path,
        "answers.csv",
        """\
        call_id,lead_id,called_at,outcome,criterion,answer
        c1,l1,2026-05-04T10:00:00Z,reached,budget,confirmed
        c2,l2,2026-05-04T11:00:00Z,no_answer,,
        c1,l1,2026-05-04T10:00:00Z,reached,need,urgent
        c1,l9,2026-05-04T10:00:00Z,reached,timeline,later
        c2,l2,2026-05-04T11:00:00Z,no_answer,budget,none
        c3,l3,2026-05-04T12:00:00Z,reached,budget,
        c4,l4,2026-05-04T12:00:00Z,hung up,,
        c1,l1,2026-05-04T10:00:00Z,reached,budget,planned
        """,
    )
    items, intake = read(path, "calls", definition)
    nothing_dropped(items, intake, path)
    c1, c2 = items
    assert isinstance(c1.payload, CallIn) and isinstance(c2.payload, CallIn)
    assert (c1.line, c1.rows, c1.lead_id) == (2, 2, "l1")  # rows 2 and 4, not adjacent
    assert c1.payload.answers == {"budget": "confirmed", "need": "urgent"}
    assert (c2.payload.outcome, c2.payload.answers, c2.rows) == ("no_answer", {}, 1)
    assert rejects(intake) == [(5, "call_id"), (6, "answer"), (7, "answer"), (8, "outcome"), (9, "answer")]
    messages = [r.message for r in intake.rejects]
    assert (
        messages[0] == "call 'c1' appears with another lead, time or outcome than on its first row (line 2)"
    )
    assert messages[1] == "only a reached call has answers; this call's outcome is no_answer"
    assert messages[2] == "criterion and answer go together: both filled or both empty"
    assert messages[4] == "criterion 'budget' of call 'c1' has two answers: 'confirmed' and 'planned'"


def test_a_payload_keeps_its_rows_as_read_and_the_columns_that_fed_it(
    tmp_path: Path, definition: Definition
) -> None:
    """What the service refuses later is set aside with the row as read and named by its column."""
    path = write(
        tmp_path,
        "accounts.csv",
        """\
        account_id,name,employees,annual_revenue
        a1,"Acme, Inc.",lots,"1,200"
        """,
    )
    (item,), intake = read(path, "accounts", definition)
    assert intake.rejects == []
    (line, raw), *more = item.raws
    assert (line, more) == (2, [])
    assert next(csv.reader(io.StringIO(raw))) == ["a1", "Acme, Inc.", "lots", "1,200"]  # reads back as it was
    assert item.named("fields.employees") == "employees → fields.employees"
    assert item.named("fields.employees.0") == "employees → fields.employees"
    assert item.named("account_id") == "account_id" and item.named(None) is None


def test_a_call_in_the_long_format_keeps_every_row(tmp_path: Path, definition: Definition) -> None:
    path = write(
        tmp_path,
        "answers.csv",
        """\
        call_id,lead_id,called_at,outcome,criterion,answer
        c1,l1,2026-05-04T10:00:00Z,reached,budget,millions
        c2,l2,2026-05-04T11:00:00Z,no_answer,,
        c1,l1,2026-05-04T10:00:00Z,reached,need,urgent
        """,
    )
    c1, _c2 = read(path, "calls", definition)[0]
    assert [line for line, _raw in c1.raws] == [2, 4]
    assert c1.raws[0][1] == "c1,l1,2026-05-04T10:00:00Z,reached,budget,millions"
    assert c1.named("answers.budget") == "answer" and c1.named("outcome") == "outcome"


def test_unreadable_rows_are_rejected_not_skipped(tmp_path: Path, definition: Definition) -> None:
    path = write(tmp_path, "leads.csv", "lead_id,email\nl1,a@b.com\nl2,c@d.com,extra\n\nl3,\n")
    items, intake = read(path, "leads", definition)
    assert [i.line for i in items] == [2, 5]  # a blank line is not a row
    assert rejects(intake) == [(3, None)]
    assert intake.rejects[0].message == "expected 2 cells as in the header; got 3"
    assert intake.rejects[0].row == "l2,c@d.com,extra"  # every cell, the surplus one too


# -- files that cannot be read ---------------------------------------------------------------------


def test_the_format_comes_from_the_extension(tmp_path: Path, definition: Definition) -> None:
    path = write(tmp_path, "leads.xlsx", "whatever")
    with pytest.raises(UsageError, match=r"extension must be .csv, .jsonl, .ndjson, .json; got '.xlsx'"):
        read(path, "leads", definition)
    array = write(tmp_path, "leads.json", '[{"lead_id": "l1"}]')
    with pytest.raises(DataError, match="the file holds a JSON array") as caught:
        read(array, "leads", definition)
    assert caught.value.problems[0].hint == "convert it with: jq -c '.[]' FILE"
    ndjson = write(tmp_path, "leads.ndjson", '{"lead_id": "l1"}\n', bom=True)
    (item,), _ = read(ndjson, "leads", definition)
    assert isinstance(item.payload, LeadIn) and item.payload.lead_id == "l1"


def test_a_header_the_mapping_cannot_identify_rows_in_fails_at_once(
    tmp_path: Path, definition: Definition
) -> None:
    path = write(
        tmp_path, "companies.csv", "Record ID,Company name\n9001,Acme Corp\n"
    )  # companies read as leads
    with pytest.raises(DataError) as caught:
        read(path, "leads", definition, "salesforce")
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == (str(path), 1)
    assert problem.message.startswith(
        "the header must have a column for lead_id or email or anonymous_id (Lead ID | Contact ID | Id → lead_id; "
        "Email → email); found Record ID, Company name"
    )
