"""The synthetic data generator: reproducible, consistent files in the documented formats."""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from leadgate.data import generate as generator
from leadgate.data.generate import DEFAULT_END, FILES, GenerateSummary, generate
from leadgate.data.population import (
    COMPETITOR_DOMAINS,
    DEPARTMENTS,
    FREE_MAIL_DOMAINS,
    INDUSTRIES,
    INTERESTS,
    SENIORITIES,
    SOURCES,
    TECHNOLOGIES,
)
from leadgate.data.sales import WIN_MODEL

END = DEFAULT_END
SITE = "https://www.leadgate-demo.com"
PATHS = re.compile(r"^/$|^/pricing$|^/careers$|^/(product|docs|blog|case-studies|integrations)/[a-z0-9-]+$")
CRITERIA = {
    "budget": {"confirmed", "planned", "none"},
    "authority": {"decision_maker", "influencer", "none"},
    "need": {"urgent", "clear", "unclear", "none"},
    "timeline": {"this_quarter", "this_year", "later", "none"},
    "next_step": {"agreed", "not_agreed"},
    "sample_requested": {"yes", "no"},
}
PROPERTIES = {
    "page_viewed": {"url", "duration_s"},
    "email_opened": {"campaign"},
    "email_clicked": {"campaign", "url"},
    "content_downloaded": {"asset", "asset_type"},
    "webinar_registered": {"webinar"},
    "webinar_attended": {"webinar", "minutes"},
    "form_submitted": {"form"},
    "video_watched": {"video", "percent"},
    "trade_show_visit": {"show"},
    "sample_requested": {"product", "channel"},
    "email_unsubscribed": set(),
}
FORMS = {"newsletter", "contact_sales", "demo_request", "trial_signup", "gated_content", "event_registration"}
HAND_RAISE_FORMS = {"contact_sales", "demo_request", "trial_signup"}


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def rows(directory: Path, name: str) -> list[dict[str, str]]:
    with (directory / name).open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        table = list(reader)
    assert all(len(row) == len(header) for row in table), name
    return [dict(zip(header, row, strict=True)) for row in table]


class Dataset:
    def __init__(self, directory: Path, summary: GenerateSummary, progress: list[int]) -> None:
        self.dir, self.summary, self.progress = directory, summary, progress
        self.accounts = rows(directory, "accounts.csv")
        self.leads = rows(directory, "leads.csv")
        self.answers = rows(directory, "answers.csv")
        self.outcomes = rows(directory, "outcomes.csv")
        with (directory / "events.jsonl").open("rb") as f:
            self.events: list[dict[str, Any]] = [orjson.loads(line) for line in f]
        self.manifest = orjson.loads((directory / "manifest.json").read_bytes())
        self.outcome = {r["lead_id"]: r["outcome"] for r in self.outcomes}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    directory = tmp_path_factory.mktemp("generated")
    progress: list[int] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generator, "CHUNK_LEADS", 2_000)  # several chunks: ids must continue across them
        summary = generate(directory, 5_000, seed=11, progress=progress.append)
    return Dataset(directory, summary, progress)


def digests(directory: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((directory / name).read_bytes()).hexdigest()
        for name in (*FILES, "manifest.json")
    }


def test_the_same_seed_gives_the_same_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    generate(tmp_path / "a", 1_500, seed=5, events_per_lead=10)
    generate(tmp_path / "b", 1_500, seed=5, events_per_lead=10.0, end=END.replace(tzinfo=None))
    generate(tmp_path / "c", 1_500, seed=6, events_per_lead=10)
    a, b, c = (digests(tmp_path / name) for name in "abc")
    assert a == b
    assert all(a[name] != c[name] for name in FILES)


def test_counts_match_the_summary_and_the_manifest(data: Dataset) -> None:
    s = data.summary
    assert (s.accounts, s.leads, s.events) == (len(data.accounts), len(data.leads), len(data.events))
    assert s.calls == len({r["call_id"] for r in data.answers})
    assert s.answers == len(data.answers)
    assert Counter(data.outcome.values()) == {"won": s.won, "lost": s.lost, "open": s.open}
    assert s.won > 0 and s.lost > 0 and s.open > s.won + s.lost
    assert s.end == END and s.out_dir == data.dir
    assert data.manifest["seed"] == 11 and data.manifest["end"] == "2026-09-30T00:00:00Z"
    assert data.manifest["version"] == generator.GENERATOR_VERSION
    assert data.manifest["counts"] == {k: getattr(s, k) for k in data.manifest["counts"]}
    assert data.progress == [2_000, 4_000, 5_000]
    assert 2.5 < s.leads / s.accounts < 3.5  # about one account per three leads
    assert 0.8 * 25 < s.events / s.leads < 1.2 * 25


def test_ids_are_unique_and_references_resolve(data: Dataset) -> None:
    lead_ids = [r["lead_id"] for r in data.leads]
    assert lead_ids == [f"L{i:07d}" for i in range(1, len(lead_ids) + 1)]
    account_ids = [r["account_id"] for r in data.accounts]
    assert account_ids == [f"A{i:07d}" for i in range(1, len(account_ids) + 1)]
    assert [e["event_id"] for e in data.events] == [f"E{i:09d}" for i in range(1, len(data.events) + 1)]
    domains = [r["domain"] for r in data.accounts]
    assert len(set(domains)) == len(domains)
    assert len({r["email"] for r in data.leads}) == len(data.leads)
    known_leads, known_accounts = set(lead_ids), set(account_ids)
    assert {e["lead_id"] for e in data.events} <= known_leads
    assert {r["lead_id"] for r in data.answers} <= known_leads
    assert [r["lead_id"] for r in data.outcomes] == lead_ids
    domain_of = dict(zip(account_ids, domains, strict=True))
    for lead in data.leads:
        if lead["account_id"]:
            assert lead["account_id"] in known_accounts
            assert lead["email"].endswith("@" + domain_of[lead["account_id"]])
    sizes = Counter(Counter(r["account_id"] for r in data.leads if r["account_id"]).values())
    assert set(sizes) <= set(range(1, 9)) and sizes[1] > sizes[3] > sizes[8]


def test_times_stay_within_the_year_before_end(data: Dataset) -> None:
    created = {r["lead_id"]: when(r["created_at"]) for r in data.leads}
    assert all(END - timedelta(days=365) <= t <= END for t in created.values())
    times = [(e["lead_id"], when(e["time"])) for e in data.events]
    assert all(t <= END and t >= created[lead] - timedelta(days=30) for lead, t in times)
    assert any(t < created[lead] for lead, t in times)  # anonymous history before the lead was known
    assert all(when(r["called_at"]) <= END for r in data.answers)
    assert all(when(r["closed_at"]) <= END for r in data.outcomes if r["closed_at"])
    pairs = [(e["lead_id"], e["time"]) for e in data.events]
    assert pairs == sorted(pairs)


def test_events_have_the_listed_types_and_properties(data: Dataset) -> None:
    counts: Counter[str] = Counter()
    for event in data.events:
        kind, props = event["type"], event["properties"]
        counts[kind] += 1
        assert set(props) == PROPERTIES[kind], event
        if "url" in props:
            assert props["url"].startswith(SITE) and PATHS.match(props["url"][len(SITE) :]), props
        if kind == "page_viewed":
            assert isinstance(props["duration_s"], int | float) and props["duration_s"] >= 0
        elif kind == "content_downloaded":
            assert props["asset_type"] in {"whitepaper", "ebook", "datasheet", "case_study"}
        elif kind == "webinar_attended":
            assert 0 <= props["minutes"] <= 60
        elif kind == "form_submitted":
            assert props["form"] in FORMS
        elif kind == "video_watched":
            assert 0 <= props["percent"] <= 100
        elif kind == "sample_requested":
            assert props["channel"] in {"web", "trade_show", "sales"}
    assert set(counts) == set(PROPERTIES)
    per_lead = Counter(e["lead_id"] for e in data.events)
    assert max(per_lead.values()) > 8 * 25  # heavy tail


def test_answers_use_the_listed_values_and_follow_the_hand_raise(data: Dataset) -> None:
    calls: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in data.answers:
        assert row["outcome"] in {"reached", "voicemail", "no_answer"}
        assert bool(row["criterion"]) == bool(row["answer"])
        if row["criterion"]:
            assert row["outcome"] == "reached" and row["answer"] in CRITERIA[row["criterion"]], row
        calls[row["call_id"]].append(row)
    keys = [(r["lead_id"], r["called_at"]) for r in data.answers]
    assert keys == sorted(keys)
    attempts = Counter(rows[0]["lead_id"] for rows in calls.values())
    assert max(attempts.values()) <= 8
    assert sum(r["criterion"] == "budget" for r in data.answers) > 50
    raised: dict[str, datetime] = {}
    for e in data.events:
        if e["type"] == "sample_requested" or e["properties"].get("form") in HAND_RAISE_FORMS:
            raised.setdefault(e["lead_id"], when(e["time"]))
    first_call: dict[str, datetime] = {}
    for row in data.answers:
        first_call.setdefault(row["lead_id"], when(row["called_at"]))
    assert all(first_call[lead] > raised[lead] for lead in first_call if lead in raised)
    created = {r["lead_id"]: when(r["created_at"]) for r in data.leads}
    assert all(at > created[lead] for lead, at in first_call.items())
    assert len(first_call) > len(raised.keys() & first_call.keys()) > 0  # busy leads are called too


def test_closed_deals_follow_a_reached_call(data: Dataset) -> None:
    reached = {r["lead_id"]: when(r["called_at"]) for r in data.answers if r["outcome"] == "reached"}
    for row in data.outcomes:
        if row["outcome"] == "open":
            assert row["closed_at"] == "" and row["revenue"] == ""
            continue
        assert when(row["closed_at"]) > reached[row["lead_id"]]
        assert (row["revenue"] != "") == (row["outcome"] == "won")
        if row["outcome"] == "won":
            assert float(row["revenue"]) > 0


def test_budget_and_demo_request_win_far_more_often(data: Dataset) -> None:
    budget = {r["lead_id"] for r in data.answers if (r["criterion"], r["answer"]) == ("budget", "confirmed")}
    demo = {
        e["lead_id"] for e in data.events if e["properties"].get("form") in {"demo_request", "contact_sales"}
    }

    def win_rate(leads: list[str]) -> float:
        return sum(data.outcome[lead] == "won" for lead in leads) / len(leads)

    ids = [r["lead_id"] for r in data.leads]
    both = win_rate([i for i in ids if i in budget and i in demo])
    neither = win_rate([i for i in ids if i not in budget and i not in demo])
    assert both > 0.25 and both > 10 * neither


def test_free_mail_competitor_and_student_leads_never_win(data: Dataset) -> None:
    kinds: Counter[str] = Counter()
    for lead in data.leads:
        domain = lead["email"].rsplit("@", 1)[1]
        kind = ("free_mail" if domain in FREE_MAIL_DOMAINS else "competitor" if domain in COMPETITOR_DOMAINS
                else "student" if domain.endswith(".edu") else "")  # fmt: skip
        if kind:
            kinds[kind] += 1
            assert lead["account_id"] == "" and data.outcome[lead["lead_id"]] != "won"
        if kind == "student":
            assert lead["seniority"] in {"student", ""}
    n = len(data.leads)
    assert 0.08 < kinds["free_mail"] / n < 0.16 and 0 < kinds["competitor"] / n < 0.04
    assert 0.01 < kinds["student"] / n < 0.05


def test_columns_hold_the_documented_values(data: Dataset) -> None:
    def within(rows: list[dict[str, str]], column: str, allowed: set[str], *, listed: bool = False) -> None:
        values = [v for r in rows for v in (r[column].split(";") if listed else [r[column]]) if r[column]]
        assert set(values) <= allowed, column
        assert 0.01 < sum(not r[column] for r in rows) / len(rows) < 0.06, column  # a little noise

    within(data.accounts, "industry", set(INDUSTRIES))
    within(data.accounts, "technologies", set(TECHNOLOGIES), listed=True)
    within(data.accounts, "is_customer", {"true", "false"})
    within(data.leads, "seniority", set(SENIORITIES))
    within(data.leads, "department", set(DEPARTMENTS))
    within(data.leads, "source", set(SOURCES))
    within(data.leads, "interests", set(INTERESTS), listed=True)
    employees = [int(r["employees"]) for r in data.accounts if r["employees"]]
    assert min(employees) >= 5 and max(employees) <= 100_000
    assert all(float(r["annual_revenue"]) > 0 for r in data.accounts if r["annual_revenue"])
    assert all(re.fullmatch(r"[A-Z]{2}", r["country"]) for r in data.leads if r["country"])
    assert 0.02 < sum(r["is_customer"] == "true" for r in data.accounts) / len(data.accounts) < 0.09
    titles = {(r["seniority"], r["title"]) for r in data.leads}
    assert {
        ("vp", "VP of Engineering"),
        ("c_level", "Chief Technology Officer"),
        ("student", "Student"),
    } <= titles


def test_the_docs_state_the_win_model() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "data.md").read_text(encoding="utf-8")
    assert "## Generated data" in docs
    for factor, coefficient, _ in WIN_MODEL:
        assert f"| `{factor}` | {coefficient:+.1f} |" in docs, factor


def test_no_leads_writes_headers_only(tmp_path: Path) -> None:
    summary = generate(tmp_path, 0, end=datetime(2025, 1, 1, tzinfo=UTC))
    assert (summary.leads, summary.events, summary.accounts) == (0, 0, 0)
    assert (tmp_path / "leads.csv").read_text().startswith("lead_id,email,account_id,created_at")
    assert (tmp_path / "events.jsonl").read_bytes() == b""
    with pytest.raises(ValueError):
        generate(tmp_path, -1)


def test_a_negative_seed_is_a_seed_of_its_own(tmp_path: Path) -> None:
    generate(tmp_path / "minus", 300, seed=-3)
    generate(tmp_path / "plus", 300, seed=3)
    assert digests(tmp_path / "minus")["events.jsonl"] != digests(tmp_path / "plus")["events.jsonl"]
