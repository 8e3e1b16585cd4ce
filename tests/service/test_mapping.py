"""Mapping files and the built-in mappings: CRM exports (HubSpot, Salesforce) and user mapping files to
payloads, every transform, mapping files that cannot be loaded, and docs/import.md. The samples are
shaped like real HubSpot and Salesforce exports (column names, value labels, date formats)."""

from __future__ import annotations

import re
import shlex
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from leadgate.cli.app import app
from leadgate.definition import Definition, load_definition
from leadgate.errors import DataError, UsageError
from leadgate.service.mapping import (
    TARGET_PREFIXES,
    TARGETS,
    BadValue,
    ColumnSpec,
    Mapping,
    MappingError,
    Tally,
    Target,
    convert,
    load_mapping,
    parse_time,
    to_domain,
    to_number,
)
from leadgate.service.payloads import AccountIn, CallIn, EventIn, LeadIn
from service.rows_support import nothing_dropped, read, rejects, write

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "src" / "leadgate" / "examples" / "b2b-saas.yaml"
DOC = (ROOT / "docs" / "import.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def definition() -> Definition:
    return load_definition(EXAMPLE)


# -- HubSpot ---------------------------------------------------------------------------------------

HUBSPOT_CONTACTS = """\
Record ID,First Name,Last Name,Email,Job Title,Company Name,Company Domain Name,Website URL,Country/Region,Lifecycle Stage,Lead Status,Contact owner,Original Source,Create Date,Industry,Number of Employees,Annual Revenue,Associated Company ID
51,Maria,Lopez,Maria.Lopez@Acme.com,VP Engineering,Acme Corp,,https://www.acme.com/,Spain,Lead,New,Dana Whitfield,Organic Search,2026-03-02 14:05,Computer Software,100-500,"$1,200,000",9001
52,Tom,Berg,tom@skyways.io,Pilot,Skyways,skyways.io,,Norway,Subscriber,,Marco Reyes,Email Marketing,2026-03-03 09:00,Airlines/Aviation,1200,,
53,Ann,Lee,ann@gmail.com,,Lee Consulting,,,,Lead,,,OFFLINE,2026-03-04 10:30,,,,
"""


def test_hubspot_contacts_become_leads_with_their_company(tmp_path: Path, definition: Definition) -> None:
    path = write(tmp_path, "hubspot-contacts.csv", HUBSPOT_CONTACTS, bom=True)
    items, intake = read(path, "leads", definition, "hubspot")
    assert intake.rejects == []
    nothing_dropped(items, intake, path)
    maria, tom, ann = (i.payload for i in items)
    assert isinstance(maria, LeadIn) and isinstance(tom, LeadIn) and isinstance(ann, LeadIn)
    assert maria.lead_id == "51" and maria.email == "maria.lopez@acme.com" and maria.owner == "Dana Whitfield"
    assert maria.created_at == datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    assert maria.source == "organic" and maria.fields == {
        "title": "VP Engineering",
        "country": "Spain",
        "source": "organic",
    }
    assert maria.account is not None
    assert (maria.account.account_id, maria.account.domain, maria.account.name) == (
        "9001",
        "acme.com",
        "Acme Corp",
    )
    assert maria.account.fields == {"industry": "software", "employees": 100.0, "annual_revenue": 1_200_000.0}
    # a source with no b2b-saas name stays the lead's source, but is no vocabulary value
    assert tom.source == "Email Marketing" and "source" not in tom.fields
    assert tom.account is not None and tom.account.domain == "skyways.io"
    assert tom.account.fields == {"employees": 1200.0}  # Airlines/Aviation: not a b2b-saas industry
    # empty cells are missing, not empty strings; a company without id or domain is left out
    assert ann.source == "list_import" and ann.fields == {"source": "list_import"} and ann.account is None
    notes = "\n".join(intake.notes)
    assert "columns no target uses, not used: First Name, Last Name, Lifecycle Stage, Lead Status" in notes
    assert (
        "Industry → account.fields.industry: values not in the map, left out: 'Airlines/Aviation' (1)"
        in notes
    )
    assert (
        "Original Source → fields.source: values not in the map" in notes and "'Email Marketing' (1)" in notes
    )
    assert "1 rows have company columns but no account id or domain" in notes
    assert "times have no time zone: taken as UTC" in notes


HUBSPOT_COMPANIES = """\
Record ID,Company name,Company Domain Name,Industry,Number of Employees,Annual Revenue,Country/Region,Lifecycle Stage,Company owner
9001,Acme Corp,acme.com,COMPUTER_SOFTWARE,350,25000000,Spain,Customer,Dana Whitfield
9002,Globex,https://globex.example/,Hospital & Health Care,"2,400",,Germany,Opportunity,
"""


def test_hubspot_companies_become_accounts(tmp_path: Path, definition: Definition) -> None:
    path = write(tmp_path, "hubspot-companies.csv", HUBSPOT_COMPANIES)
    items, intake = read(path, "accounts", definition, "hubspot")
    nothing_dropped(items, intake, path)
    acme, globex = (i.payload for i in items)
    assert isinstance(acme, AccountIn) and isinstance(globex, AccountIn)
    assert (acme.account_id, acme.name, acme.domain) == ("9001", "Acme Corp", "acme.com")
    assert acme.fields == {
        "industry": "software",  # the internal value
        "employees": 350.0,
        "annual_revenue": 25_000_000.0,
        "country": "Spain",
        "is_customer": True,
    }
    assert globex.domain == "globex.example"
    assert globex.fields == {
        "industry": "healthcare",
        "employees": 2400.0,
        "country": "Germany",
        "is_customer": False,
    }
    assert any("columns no target uses, not used: Company owner" in n for n in intake.notes)


HUBSPOT_CALLS = """\
Record ID,Call Title,Activity date,Call outcome,Call notes,Activity assigned to,Associated Contact IDs
700,Intro,2026-04-01 09:30,Connected,Budget approved for Q3,Marco Reyes,51
701,Follow-up,2026-04-02 10:00,Left voicemail,,Marco Reyes,52
702,Follow-up,2026-04-03 11:00,No answer,,Marco Reyes,53
703,Follow-up,2026-04-04 11:00,b2cf5968-551e-4856-9783-52b3da59a7d0,,Marco Reyes,54
704,Follow-up,2026-04-05 11:00,Busy,,Marco Reyes,55
705,Follow-up,2026-04-06 11:00,Gatekeeper,,Marco Reyes,56
706,Group call,2026-04-07 11:00,Connected,,Marco Reyes,57;58
707,Follow-up,yesterday,Connected,,Marco Reyes,59
"""


def test_hubspot_calls_map_their_outcomes(tmp_path: Path, definition: Definition) -> None:
    path = write(tmp_path, "hubspot-calls.csv", HUBSPOT_CALLS)
    items, intake = read(path, "calls", definition, "hubspot")
    nothing_dropped(items, intake, path)
    calls = {i.lead_id: i.payload for i in items}
    assert all(isinstance(c, CallIn) for c in calls.values())
    assert {lead: c.outcome for lead, c in calls.items() if isinstance(c, CallIn)} == {
        "51": "reached",
        "52": "voicemail",
        "53": "no_answer",
        "54": "voicemail",  # Left voicemail, by its internal id
        "55": "no_answer",
    }
    first = calls["51"]
    assert isinstance(first, CallIn)
    assert (first.call_id, first.caller, first.notes) == ("700", "Marco Reyes", "Budget approved for Q3")
    assert first.called_at == datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
    assert rejects(intake) == [
        (7, "Call outcome → outcome"),
        (8, "Associated Contact IDs → lead_id"),
        (9, "Activity date → called_at"),
    ]
    outcome, several, when = (r.message for r in intake.rejects)
    assert outcome == "expected reached, voicemail, no_answer (map other values with map:); got 'Gatekeeper'"
    assert several == "expected one value; got 2: 57, 58"
    assert (
        when.startswith("expected a time like 2026-05-04 10:12 (%Y-%m-%d %H:%M)")
        and "got 'yesterday'" in when
    )


def test_an_unknown_outcome_stops_the_run_under_fail(tmp_path: Path, definition: Definition) -> None:
    path = write(tmp_path, "calls.csv", HUBSPOT_CALLS)
    with pytest.raises(DataError) as caught:
        read(path, "calls", definition, "hubspot", on_error="fail")
    (problem,) = caught.value.problems
    assert (problem.line, problem.path) == (7, "Call outcome → outcome")
    assert "got 'Gatekeeper'" in problem.message


def test_hubspot_has_no_events_mapping(definition: Definition) -> None:
    with pytest.raises(MappingError) as caught:
        load_mapping("hubspot", "events")
    assert "the mapping hubspot has no section for events" in str(caught.value)
    assert "write a mapping file for your events export" in str(caught.value)


# -- Salesforce ------------------------------------------------------------------------------------

SALESFORCE_LEADS = """\
Lead ID,First Name,Last Name,Title,Company,Email,Website,Industry,No. of Employees,Annual Revenue,Country,Lead Source,Lead Status,Lead Owner,Create Date
00Q5g00000AbCdE,Priya,Shah,Director of IT,Initech,priya@initech.com,www.initech.com,Technology,"1,500","USD 2,500,000.00",India,Purchased List,Open - Not Contacted,Marco Reyes,"5/4/2026, 10:12 AM"
00Q5g00000AbCdF,Jon,Snow,CFO,Winterfell Ltd,jon@winterfell.co.uk,,Banking,80,,United Kingdom,Phone Inquiry,Working - Contacted,Marco Reyes,5/5/2026 3:00 PM
"""


def test_salesforce_lead_report_becomes_leads(tmp_path: Path, definition: Definition) -> None:
    path = write(tmp_path, "salesforce-leads.csv", SALESFORCE_LEADS)
    items, intake = read(path, "leads", definition, "salesforce")
    assert intake.rejects == []
    priya, jon = (i.payload for i in items)
    assert isinstance(priya, LeadIn) and isinstance(jon, LeadIn)
    assert (priya.lead_id, priya.email, priya.owner) == (
        "00Q5g00000AbCdE",
        "priya@initech.com",
        "Marco Reyes",
    )
    assert priya.created_at == datetime(2026, 5, 4, 10, 12, tzinfo=UTC)
    assert priya.source == "list_import"
    assert priya.fields == {"title": "Director of IT", "country": "India", "source": "list_import"}
    assert priya.account is not None
    assert (priya.account.name, priya.account.domain) == ("Initech", "initech.com")
    assert priya.account.fields == {
        "industry": "software",
        "employees": 1500.0,
        "annual_revenue": 2_500_000.0,
    }
    assert jon.created_at == datetime(2026, 5, 5, 15, 0, tzinfo=UTC)
    assert jon.source == "Phone Inquiry" and "source" not in jon.fields
    assert jon.account is None  # a company name alone does not identify an account
    assert any(
        "columns no target uses, not used: First Name, Last Name, Lead Status" in n for n in intake.notes
    )


def test_salesforce_data_loader_export_uses_api_names(tmp_path: Path, definition: Definition) -> None:
    path = write(
        tmp_path,
        "Lead.csv",
        """\
        Id,Email,Company,Website,Industry,NumberOfEmployees,AnnualRevenue,LeadSource,CreatedDate
        00Q1,ops@umbrella.com,Umbrella,umbrella.com,Chemicals,900,5000000,Web,2026-05-04T10:12:00.000+0000
        """,
    )
    items, intake = read(path, "leads", definition, "salesforce")
    (lead,) = (i.payload for i in items)
    assert isinstance(lead, LeadIn) and lead.account is not None
    assert lead.lead_id == "00Q1" and lead.source == "web"
    assert lead.created_at == datetime(2026, 5, 4, 10, 12, tzinfo=UTC)
    assert lead.account.fields == {"industry": "chemicals", "employees": 900.0, "annual_revenue": 5_000_000.0}
    assert not any("no time zone" in n for n in intake.notes)  # the times carry one


def test_salesforce_contact_report_links_the_account(tmp_path: Path, definition: Definition) -> None:
    path = write(
        tmp_path,
        "salesforce-contacts.csv",
        """\
        Contact ID,Account ID,Account Name,Email,Title,Mailing Country,Lead Source,Contact Owner,Created Date
        0035g00000XyZ,0015g00000Acc,Initech,bill@initech.com,CTO,India,Trade Show,Dana Whitfield,5/6/2026
        """,
    )
    items, _intake = read(path, "leads", definition, "salesforce")
    (lead,) = (i.payload for i in items)
    assert isinstance(lead, LeadIn) and lead.account is not None
    assert (lead.lead_id, lead.owner, lead.source) == ("0035g00000XyZ", "Dana Whitfield", "trade_show")
    assert (lead.account.account_id, lead.account.name) == ("0015g00000Acc", "Initech")
    assert lead.fields == {"title": "CTO", "country": "India", "source": "trade_show"}
    assert lead.created_at == datetime(2026, 5, 6, tzinfo=UTC)


def test_salesforce_account_report_becomes_accounts(tmp_path: Path, definition: Definition) -> None:
    path = write(
        tmp_path,
        "salesforce-accounts.csv",
        """\
        Account ID,Account Name,Website,Industry,Employees,Annual Revenue,Billing Country,Type,Account Owner
        0015g00000Acc,Initech,http://initech.com,Technology,"1,500","$2,500,000",India,Customer - Direct,Dana Whitfield
        0015g00000Acd,Hooli,hooli.xyz,Agriculture,40,,US,Prospect,Dana Whitfield
        """,
    )
    items, _intake = read(path, "accounts", definition, "salesforce")
    initech, hooli = (i.payload for i in items)
    assert isinstance(initech, AccountIn) and isinstance(hooli, AccountIn)
    assert (initech.account_id, initech.name, initech.domain) == ("0015g00000Acc", "Initech", "initech.com")
    assert initech.fields == {
        "industry": "software",
        "employees": 1500.0,
        "annual_revenue": 2_500_000.0,
        "country": "India",
        "is_customer": True,
    }
    assert hooli.fields == {"employees": 40.0, "country": "US", "is_customer": False}


SALESFORCE_TASKS = """\
Activity ID,Subject,Assigned,Date,Call Result,Comments,Lead ID,Budget__c,Timeline__c
00T1,Call,Marco Reyes,5/4/2026,Connected,Wants a demo,00Q1,Approved,This quarter
00T2,Call,Marco Reyes,5/5/2026,Left Voicemail,,00Q2,,
00T3,Call,Marco Reyes,5/6/2026,No Answer,,00Q3,Approved,
00T4,Call,Marco Reyes,5/7/2026,Connected,,,,
"""


def test_salesforce_tasks_with_answers_from_a_user_mapping(tmp_path: Path, definition: Definition) -> None:
    mapping = write(
        tmp_path,
        "my-salesforce.yaml",
        """\
        extends: salesforce
        time_zone: America/New_York
        calls:
          answers.budget: {column: Budget__c, map: {Approved: confirmed, Planned: planned, None: none}}
          answers.timeline: {column: Timeline__c, map: {This quarter: this_quarter, This year: this_year}}
          notes: null
        """,
    )
    path = write(tmp_path, "salesforce-tasks.csv", SALESFORCE_TASKS)
    items, intake = read(path, "calls", definition, mapping)
    nothing_dropped(items, intake, path)
    reached, voicemail = items
    assert isinstance(reached.payload, CallIn) and isinstance(voicemail.payload, CallIn)
    assert reached.lead_id == "00Q1" and reached.payload.call_id == "00T1"
    assert reached.payload.called_at == datetime(2026, 5, 4, 4, 0, tzinfo=UTC)  # midnight in New York
    assert reached.payload.answers == {"budget": "confirmed", "timeline": "this_quarter"}
    assert reached.payload.notes is None  # the user mapping dropped the target
    assert (voicemail.payload.outcome, voicemail.payload.answers) == ("voicemail", {})
    assert rejects(intake) == [
        (4, "Budget__c → answers.budget"),
        (5, "Lead ID | Contact ID | WhoId → lead_id"),
    ]
    assert intake.rejects[0].message == "only a reached call has answers; this call's outcome is no_answer"
    assert intake.rejects[1].message == "a call needs its lead's lead_id or email; the row has none"
    assert not any("no time zone" in n for n in intake.notes)


# -- the transforms --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [("1200", 1200.0), ("1,200", 1200.0), ("$1,200,000.00", 1_200_000.0), ("USD 2,500", 2500.0),
     ("€ 1 200", 1200.0), ("12.5", 12.5), (42, 42.0)],
)  # fmt: skip
def test_number_reads_separators_and_currencies(text: Any, number: float) -> None:
    assert to_number(text) == number


@pytest.mark.parametrize("text", ["ten", "n/a", "nan", "INF", True, "12,5", "1.200,50", "1,20"])
def test_number_refuses_what_is_not_one(text: Any) -> None:
    with pytest.raises(BadValue, match=r"expected a (finite )?number"):
        to_number(text)


def test_domain_strips_scheme_www_and_path() -> None:
    assert to_domain("https://www.Acme.com/about?x=1") == "acme.com"
    assert to_domain("acme.io") == "acme.io"
    with pytest.raises(BadValue, match=r"expected a domain \(example.com\); got 'n/a'"):
        to_domain("n/a")


def test_time_tries_the_formats_then_iso() -> None:
    formats = ["%m/%d/%Y, %I:%M %p", "%m/%d/%Y"]
    assert parse_time("5/4/2026, 1:05 PM", formats) == datetime(2026, 5, 4, 13, 5)
    assert parse_time("5/4/2026", formats) == datetime(2026, 5, 4)
    assert parse_time("2026-05-04T10:12:00Z", formats) == datetime(2026, 5, 4, 10, 12, tzinfo=UTC)
    with pytest.raises(BadValue, match=r"like 05/04/2026, 10:12 AM \(%m/%d/%Y, %I:%M %p\)"):
        parse_time("04.05.2026", formats)


def test_convert_runs_the_transforms_in_order_and_tallies_what_is_worth_a_note() -> None:
    topics = Target.of(
        "fields.interests",
        ColumnSpec(
            column=("Topics",), lower=True, split="|", map={"AI": "ai", "Sec": "security"}, default=None
        ),
    )
    when = Target.of("created_at", ColumnSpec(column=("When",), time=("%d.%m.%Y %H:%M",)))
    utc, berlin = (
        Mapping("m", "leads", (topics, when)),
        Mapping("m", "leads", (topics, when), ZoneInfo("Europe/Berlin")),
    )
    tally = Tally()
    # lower, split, map (each item, deduplicated); a value not in the map falls to the default
    assert convert(utc, topics, " AI|Sec|Blockchain|ai ", tally) == ["ai", "security"]
    assert tally.fallbacks["fields.interests"][1] == Counter({"blockchain": 1})
    assert convert(utc, when, "04.05.2026 10:12", tally) == datetime(2026, 5, 4, 10, 12, tzinfo=UTC)
    assert convert(berlin, when, "04.05.2026 10:12", tally) == datetime(2026, 5, 4, 8, 12, tzinfo=UTC)
    assert tally.naive_times == 1  # only the mapping without a time zone took a time as UTC
    assert convert(utc, topics, "Blockchain", tally) is None  # mapped to the default null: missing
    with pytest.raises(BadValue, match="expected one value; got 2: a, b"):
        convert(utc, Target.of("lead_id", ColumnSpec(column=("Id",), split=";")), "a;b", tally)


def test_every_transform_in_a_user_mapping(tmp_path: Path, definition: Definition) -> None:
    mapping = write(
        tmp_path,
        "crm.yaml",
        """\
        leads:
          lead_id: Contact Id
          email: [Work Email, Email]
          source: {value: trade_show}
          fields.seniority: {column: Level, lower: true, map: {vice president: vp, chief: c_level}, default: other_level}
          fields.interests: {column: Topics, split: "|", map: {AI: ai, Sec: security, Quantum: null}, default: null}
          fields.department: {column: Dept, lower: true}
          created_at: {column: Signed Up, time: "%d.%m.%Y %H:%M"}
          account.domain: {column: Site, domain: true}
          account.fields.employees: {column: Staff, number: true}
          account.fields.technologies: {column: Stack, split: ";"}
        """,
    )
    path = write(
        tmp_path,
        "crm.csv",
        """\
        Contact Id,Work Email,Email,Level,Topics,Dept,Signed Up,Site,Staff,Stack
        c1,,Kim@Wayne.com,Vice President,AI|Sec|Quantum|Blockchain,IT,04.05.2026 10:12,https://wayne.com/,"3,000",hubspot; salesforce
        c2,kim2@wayne.com,old@wayne.com,CHIEF,,Marketing,,,,
        """,
    )
    items, intake = read(path, "leads", definition, mapping)
    first, second = (i.payload for i in items)
    assert isinstance(first, LeadIn) and isinstance(second, LeadIn)
    assert first.email == "kim@wayne.com"  # the first column that is not empty
    assert first.source == "trade_show"  # a constant
    assert first.fields == {"seniority": "vp", "interests": ["ai", "security"], "department": "it"}
    assert first.created_at == datetime(2026, 5, 4, 10, 12, tzinfo=UTC)
    assert first.account is not None and first.account.domain == "wayne.com"
    assert first.account.fields == {"employees": 3000.0, "technologies": ["hubspot", "salesforce"]}
    assert second.email == "kim2@wayne.com" and second.fields == {
        "seniority": "c_level",
        "department": "marketing",
    }
    assert any(
        "Topics → fields.interests: values not in the map, left out: 'Blockchain' (1)" in n
        for n in intake.notes
    )


def test_a_default_constant_and_labels_matching_internal_values(
    tmp_path: Path, definition: Definition
) -> None:
    mapping = write(
        tmp_path,
        "m.yaml",
        """\
        accounts:
          account_id: Id
          fields.industry: {column: Sector, map: {COMPUTER_SOFTWARE: software}, default: retail}
        """,
    )
    path = write(tmp_path, "a.csv", "Id,Sector\na1,Computer Software\na2,computer-software\na3,Bakery\n")
    items, intake = read(path, "accounts", definition, mapping)
    assert [i.payload.fields for i in items if isinstance(i.payload, AccountIn)] == [
        {"industry": "software"},
        {"industry": "software"},
        {"industry": "retail"},
    ]
    assert intake.notes == [
        f"{path}: column Sector → fields.industry: values not in the map, taken as 'retail': 'Bakery' (1)"
    ]


def test_user_mapping_for_events_from_csv_and_nested_jsonl(tmp_path: Path, definition: Definition) -> None:
    mapping = write(
        tmp_path,
        "web.yaml",
        """\
        events:
          event_id: Hit ID
          email: [Visitor Email, visitor.email]
          type: {value: page_viewed}
          time: {column: [Seen At, ts], time: "%Y/%m/%d %H:%M:%S"}
          properties.url: [Page, context.page.url]
          properties.duration_s: {column: [Seconds, context.seconds], number: true}
        """,
    )
    csv_path = write(
        tmp_path,
        "web.csv",
        """\
        Hit ID,Visitor Email,Page,Seen At,Seconds,Browser
        h1,kim@wayne.com,https://x.com/pricing,2026/05/04 10:12:00,"1,234",Firefox
        """,
    )
    jsonl_path = write(
        tmp_path,
        "web.jsonl",
        """\
        {"Hit ID": "h2", "visitor": {"email": "kim@wayne.com"}, "ts": "2026-05-04T11:00:00Z", "context": {"page": {"url": "https://x.com/blog"}, "seconds": 30}}
        """,
    )
    (from_csv,), intake = read(csv_path, "events", definition, mapping)
    (from_jsonl,), _ = read(jsonl_path, "events", definition, mapping)
    assert isinstance(from_csv.payload, EventIn) and isinstance(from_jsonl.payload, EventIn)
    assert from_csv.payload.type == "page_viewed" and from_csv.payload.email == "kim@wayne.com"
    assert from_csv.payload.time == datetime(2026, 5, 4, 10, 12, tzinfo=UTC)
    assert from_csv.payload.properties == {"url": "https://x.com/pricing", "duration_s": 1234.0}
    assert from_jsonl.payload.event_id == "h2" and from_jsonl.payload.email == "kim@wayne.com"
    assert from_jsonl.payload.properties == {"url": "https://x.com/blog", "duration_s": 30.0}
    assert any("columns no target uses, not used: Browser" in n for n in intake.notes)


def test_a_field_outside_the_vocabulary_is_noted_not_used(tmp_path: Path, definition: Definition) -> None:
    mapping = write(
        tmp_path, "m.yaml", "leads:\n  lead_id: Id\n  fields.title: Title\n  fields.shoe_size: Shoe Size\n"
    )
    path = write(tmp_path, "l.csv", "Id,Title,Shoe Size\nl1,CTO,44\n")
    (item,), intake = read(path, "leads", definition, mapping)
    assert isinstance(item.payload, LeadIn) and item.payload.fields == {"title": "CTO"}
    assert intake.notes == [
        f"{path}: column Shoe Size → fields.shoe_size: not in the definition's vocabulary, not used"
    ]


def test_a_user_mapping_can_read_the_long_format(tmp_path: Path, definition: Definition) -> None:
    mapping = write(
        tmp_path,
        "m.yaml",
        """\
        calls:
          call_id: Call
          email: Contact
          called_at: When
          outcome: {column: Result, map: {Talked: reached, VM: voicemail}}
          criterion: {column: Question, map: {Money: budget, Deadline: timeline}}
          answer: {column: Answer, lower: true}
        """,
    )
    path = write(
        tmp_path,
        "qual.csv",
        "Call,Contact,When,Result,Question,Answer\nx1,kim@wayne.com,2026-05-04,Talked,Money,Confirmed\n"
        "x1,kim@wayne.com,2026-05-04,Talked,Deadline,This_Quarter\nx2,kim@wayne.com,2026-05-05,VM,,\n",
    )
    items, intake = read(path, "calls", definition, mapping)
    assert intake.rejects == []
    first, second = items
    assert isinstance(first.payload, CallIn) and isinstance(second.payload, CallIn)
    assert first.email == "kim@wayne.com" and first.rows == 2
    assert first.payload.answers == {"budget": "confirmed", "timeline": "this_quarter"}
    assert second.payload.outcome == "voicemail"


# -- mapping files that cannot be loaded -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "leads:\n  lead_id: Id\n  fields.title: {colum: Title}\n",
            "leads.fields.title.colum: unknown key 'colum' (did you mean 'column'?)",
        ),
        (
            "leads:\n  lead_id: Id\n  feilds.title: Title\n",
            ":3:3: leads.feilds.title: unknown target 'feilds.title' for leads",
        ),
        (
            "leads:\n  lead_id: {column: Id, value: x}\n",
            "give a column (or a list of columns) or a value, not both",
        ),
        (
            "leads:\n  lead_id: {column: Id, number: true, domain: true}\n",
            "give at most one of domain, number and time",
        ),
        (
            "leads:\n  lead_id: {column: Id, default: x}\n",
            "default is what a value not in the map becomes: it needs a map",
        ),
        (
            "leads:\n  source: {column: S, map: {yes: web}}\n",
            "leads.source.map.True: YAML reads this key as true or false (quote it: 'yes')",
        ),
        (
            "time_zone: Mars/Olympus\nleads:\n  lead_id: Id\n",
            "time_zone must be an IANA zone (Europe/Berlin); got 'Mars/Olympus'",
        ),
        (
            "extends: pipedrive\nleads:\n  lead_id: Id\n",
            "extends must name a built-in mapping (hubspot, salesforce); got 'pipedrive'",
        ),
        ("calls:\n  call_id: C\n  outcome: O\n  criterion: Q\n", "criterion and answer go together"),
        ("accounts:\n  account_id: Id\n", "the mapping "),
        ("leads: [unclosed\n", "the file is not valid YAML"),
    ],
)
def test_a_bad_mapping_file_says_where_and_why(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(MappingError) as caught:
        load_mapping(path, "calls" if text.startswith("calls") else "leads")
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_every_problem_of_a_mapping_file_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        """\
        extends: hubspot
        time_zone: Mars/Olympus
        leads:
          emial: Work Email
          fields.title: {colum: Position}
          feilds.country: Land
          source: {column: S, map: {yes: web}}
        calls:
          criterion: Question
        """,
    )
    with pytest.raises(MappingError) as caught:
        load_mapping(path, "leads")
    found = [(p.line, p.column, p.path) for p in caught.value.problems]
    assert found == [
        (2, 12, "time_zone"),
        (4, 3, "leads.emial"),
        (5, 18, "leads.fields.title.colum"),
        (6, 3, "leads.feilds.country"),
        (7, 29, "leads.source.map.True"),
        (9, 3, "calls.criterion"),
    ]
    assert all(p.file == str(path) for p in caught.value.problems)
    assert "unknown target 'emial' for leads (did you mean 'email'?)" in str(caught.value)
    store = f"sqlite:///{tmp_path / 'leadgate.db'}"
    result = CliRunner().invoke(
        app, ["import", "leads", str(path), "--mapping", str(path), "--database-url", store]
    )
    assert result.exit_code == 3 and "error: 6 problems" in result.output
    assert not (tmp_path / "leadgate.db").exists()  # the mapping is checked before the store is opened


def test_an_unknown_mapping_name_suggests_the_built_in(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        load_mapping("hubsopt", "leads")
    assert "did you mean 'hubspot'?" in str(caught.value)
    with pytest.raises(
        UsageError, match="the kind must be one of leads, accounts, events, calls; got 'deals'"
    ):
        load_mapping(None, "deals")


@pytest.mark.parametrize("name", ["hubspot", "salesforce"])
@pytest.mark.parametrize("kind", ["leads", "accounts", "calls"])
def test_built_in_targets_are_all_in_the_example_vocabulary(
    name: str, kind: str, definition: Definition
) -> None:
    mapping = load_mapping(name, kind)
    assert mapping.targets
    lead, account = set(definition.spec.vocabulary.lead), set(definition.spec.vocabulary.account)
    for target in mapping.targets:
        if target.path.startswith("account.fields.") or (
            kind == "accounts" and target.path.startswith("fields.")
        ):
            assert target.path.rsplit(".", 1)[1] in account, target.path
        elif target.path.startswith("fields."):
            assert target.path.removeprefix("fields.") in lead, target.path
        for mapped in target.table.values():  # every mapped enum value is one the vocabulary allows
            field = target.path.rsplit(".", 1)[-1]
            spec = (definition.spec.vocabulary.lead | definition.spec.vocabulary.account).get(field)
            if spec is not None and spec.type == "enum" and "fields." in target.path:
                assert mapped in (spec.values or ()), (target.path, mapped)


# -- docs/import.md: its commands run; it lists every target, transform and built-in column ----


def _doc_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC, re.S | re.M)


def test_the_commands_of_the_import_doc_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every bash block in order: heredocs write their files, each `leadgate` command exits as the doc says."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEADGATE_DATABASE_URL", f"sqlite:///{tmp_path / 'leadgate.db'}")
    script = "\n".join(_doc_blocks("bash"))
    for name, text in re.findall(r"^cat > (\S+) <<'EOF'\n(.*?)^EOF$", script, re.S | re.M):
        Path(name).write_text(text, encoding="utf-8")
    outputs: list[str] = []
    for line in re.findall(r"^leadgate .*$", script, re.M):
        exits = re.search(r"# exits (\d+)", line)
        words = [str(ROOT / w) if w.startswith("examples/") else w for w in shlex.split(line, comments=True)]
        result = CliRunner().invoke(app, words[1:])
        assert result.exit_code == (int(exits.group(1)) if exits else 0), (line, result.output)
        outputs.append(result.output)
    shown = _doc_blocks("text")
    assert shown[0].splitlines()[-1] in outputs[3]  # leads.csv of `leadgate generate`
    for expected, output in zip(shown[1].splitlines(), outputs[4:6], strict=True):  # events and calls
        counts = re.sub(r"\d[\d,]*", r"[\\d,]+", re.escape(expected.rsplit(": ", 1)[1]))  # any figures
        assert re.search(counts, output), (expected, output)
    skipped = next(o for o in outputs if "hubspot-rejects.csv" in o)
    for expected in shown[3].splitlines():  # the HubSpot import under skip: counts, notes, summary
        assert expected in skipped
    assert Path("hubspot-rejects.csv").read_text(encoding="utf-8").splitlines() == shown[4].splitlines()


def test_the_import_doc_lists_every_target_and_transform() -> None:
    targets = DOC.split("### Targets", 1)[1].split("\n### ", 1)[0]
    for kind in TARGETS:
        row = next(line for line in targets.splitlines() if line.startswith(f"| `{kind}` |"))
        named = [
            *TARGETS[kind],
            *(f"{p}<{'criterion' if kind == 'calls' else 'name'}>" for p in TARGET_PREFIXES[kind]),
        ]
        assert all(f"`{t}`" in row for t in named), (kind, row)
    for key in ColumnSpec.model_fields:
        assert f"`{key}" in DOC, key
    for key in ("extends", "time_zone", "name", "description"):  # the keys of a mapping file
        assert f"`{key}`" in DOC.split("| key | meaning |", 1)[1].split("\n\n", 1)[0], key


@pytest.mark.parametrize("name", ["hubspot", "salesforce"])
def test_the_import_doc_tables_are_the_built_in_mappings(name: str) -> None:
    section = DOC.split(f"\n### {name}\n", 1)[1].split("\n### ", 1)[0]
    blocks = [
        [line for line in b.splitlines() if line.startswith("| `")] for b in re.split(r"\n\s*\n", section)
    ]
    tables = [rows for rows in blocks if rows]  # the tables of targets; the value maps start otherwise
    assert len(tables) == 3  # leads, accounts, calls
    for kind, table in zip(("leads", "accounts", "calls"), tables, strict=True):
        documented: dict[str, tuple[str, ...]] = {}
        for line in table:
            cells = [c.strip() for c in line.strip("|").split("|")]
            documented[cells[0].strip("`")] = tuple(re.findall(r"`([^`]+)`", cells[1]))
        mapping = load_mapping(name, kind)
        assert documented == {t.path: t.spec.column for t in mapping.targets or ()}, kind
