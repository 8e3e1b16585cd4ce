"""Live scoring through the API, on both backends: every change re-scores at once, the same as the
reference evaluator at the score's own `as_of`; the score explains itself and keeps its history."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from leadgate.records import Account, Call, Lead
from leadgate.scoring import score_leads
from leadgate.service.store import tables
from service.support import (
    EXAMPLE_DEFINITION,
    Workspace,
    assert_same_as_reference,
    event_record,
    iso,
    now,
    parse_time,
    reference_score,
    rules,
    trace_total,
)

ACME = {
    "account_id": "acme",
    "domain": "acme.com",
    "name": "Acme",
    "fields": {"employees": 300, "industry": "software"},
}


def post(api: httpx.Client, path: str, payload: dict[str, Any], expect: int = 201) -> dict[str, Any]:
    r = api.post(path, json=payload)
    assert r.status_code == expect, r.text
    return r.json()  # type: ignore[no-any-return]


def get_lead(api: httpx.Client, lead_id: str) -> dict[str, Any]:
    r = api.get(f"/v1/leads/{lead_id}")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


# (days ago, type, properties): rules whose result depends on which events count (limits, caps, decay)
HISTORY = [
    (40, "form_submitted", {"form": "demo_request"}),  # limit max 1: only one demo request counts
    (20, "page_viewed", {"url": "/pricing"}),
    (10, "form_submitted", {"form": "demo_request"}),
    (9, "page_viewed", {"url": "/pricing"}),
    (6, "page_viewed", {"url": "/blog/a"}),  # limit 3 a week: which blog views count depends on time
    (5, "webinar_attended", {"minutes": 45}),
    (4.5, "page_viewed", {"url": "/blog/b"}),
    (4, "page_viewed", {"url": "/blog/c"}),
    (3, "page_viewed", {"url": "/blog/d"}),
    (2, "page_viewed", {"url": "/blog/e"}),
    (1, "page_viewed", {"url": "/careers"}),  # decay: false
]


def events_for(lead_id: str) -> list[dict[str, Any]]:
    t = now()
    return [
        {
            "event_id": f"{lead_id}-{n}",
            "lead_id": lead_id,
            "type": kind,
            "time": iso(t - timedelta(days=days)),
            "properties": props,
        }
        for n, (days, kind, props) in enumerate(HISTORY)
    ]


def pricing_view(event_id: str, lead_id: str) -> dict[str, Any]:
    """A pricing page view two days ago: positive points, so the lead counts as an engaged contact."""
    return {
        "event_id": event_id,
        "lead_id": lead_id,
        "type": "page_viewed",
        "time": iso(now() - timedelta(days=2)),
        "properties": {"url": "/pricing"},
    }


def test_out_of_order_events_score_as_in_order(api: httpx.Client) -> None:
    for lead_id in ("in-order", "out-of-order"):
        post(
            api,
            "/v1/leads",
            {
                "lead_id": lead_id,
                "email": f"{lead_id}@acme.com",
                "fields": {"seniority": "vp"},
                "account_id": "acme",
            },
        )
    in_order, out_of_order = events_for("in-order"), events_for("out-of-order")
    for item in in_order:
        post(api, "/v1/events", item)
    for item in reversed(out_of_order):  # the newest first, the oldest last
        post(api, "/v1/events", item)
    a, b = get_lead(api, "in-order"), get_lead(api, "out-of-order")
    assert_same_as_reference(a, reference_score(a, in_order))
    assert_same_as_reference(b, reference_score(b, out_of_order))
    assert list(rules(a)) == list(rules(b))
    for rule, points in rules(a).items():
        assert rules(b)[rule] == pytest.approx(points, rel=1e-4)
    assert rules(a)["careers-page"] == -10  # decay-free rules give exactly the same points
    # the two leads are scored at their own moments (one's events do not move the other's roll-ups)
    assert rules(b)["webinar"] == pytest.approx(rules(a)["webinar"], rel=1e-4) and rules(b)["webinar"] != 0
    blog = {c["rule"]: c for c in b["score"]["trace"]}["blog"]
    assert blog["events"] == 3  # the weekly limit held although the newest views arrived first


def test_a_lead_explains_its_score_and_keeps_its_history(api: httpx.Client) -> None:
    post(
        api,
        "/v1/leads",
        {"lead_id": "L-1", "email": "pat@acme.com", "fields": {"seniority": "vp"}, "account": ACME},
    )
    post(
        api,
        "/v1/events",
        {
            "event_id": "e-1",
            "lead_id": "L-1",
            "type": "page_viewed",
            "time": iso(now() - timedelta(days=3)),
            "properties": {"url": "/pricing"},
        },
    )
    demo = {
        "event_id": "e-2",
        "lead_id": "L-1",
        "type": "form_submitted",
        "time": iso(now() - timedelta(days=1)),
        "properties": {"form": "demo_request"},
    }
    post(api, "/v1/events", demo)
    view = get_lead(api, "L-1")
    score = view["score"]
    assert score["score"] == pytest.approx(trace_total(view), abs=1e-9)
    assert score["fit"] == 50  # icp-size 20 + target-industry 15 + decision-maker 15
    assert score["grade"] == "B"
    assert (score["stage"], score["fast_track"]) == ("MQL", "demo-request-trigger")
    assert score["reasons"][0] == "fast-track: requested a demo in the last 30 days"
    assert {c["kind"] for c in score["trace"]} >= {"fit", "engagement", "fast_track"}
    assert score["definition_version"] == 1
    assert parse_time(score["as_of"]) <= now()

    changes = view["history"]["score_changes"]
    assert [c["cause"] for c in changes] == [
        "event e-2 (form_submitted)",
        "event e-1 (page_viewed)",
        "lead L-1 created",
    ]
    assert changes[-1]["old_score"] is None
    assert changes[-1]["new_score"] == 50
    for newer, older in itertools.pairwise(changes):
        assert newer["old_score"] == older["new_score"]
        assert newer["new_score"] > newer["old_score"]
    assert changes[0]["new_score"] == pytest.approx(score["score"])
    assert (changes[0]["old_stage"], changes[0]["new_stage"]) == ("Lead", "MQL")
    assert {c["definition_version"] for c in changes} == {1}
    stages = view["history"]["stage_changes"]
    assert [(s["from"], s["to"]) for s in stages] == [("Lead", "MQL"), (None, "Lead")]
    assert stages[0]["cause"] == "event e-2 (form_submitted)"
    assert "fast-track: requested a demo in the last 30 days" in stages[0]["reasons"]


def test_an_unknown_lead_is_a_404(api: httpx.Client) -> None:
    r = api.get("/v1/leads/nobody")
    assert r.status_code == 404
    assert "nobody" in r.json()["errors"][0]["message"]


def test_a_call_with_answers_changes_criteria_and_score(workspace: Workspace, api: httpx.Client) -> None:
    post(
        api,
        "/v1/leads",
        {"lead_id": "L-1", "email": "pat@acme.com", "fields": {"seniority": "vp"}, "account": ACME},
    )
    before = get_lead(api, "L-1")["score"]
    assert (before["criteria"], before["criteria_passed"], before["stage"]) == (0, False, "Lead")

    sales = workspace.client("sales")
    answers = {"budget": "Confirmed", "authority": "decision_maker", "need": "urgent"}
    r = sales.post(
        "/v1/leads/L-1/calls",
        json={"call_id": "c-1", "outcome": "reached", "answers": answers, "caller": "Marco"},
    )
    assert r.status_code == 201, r.text
    score = r.json()["lead"]["score"]
    assert score["criteria"] == 40
    assert score["criteria_passed"] is True
    assert sorted(score["criteria_met"]) == ["authority", "budget", "need"]
    assert score["stage"] == "SQL"
    assert score["score"] == pytest.approx(before["score"] + 40)
    assert r.json()["changes"][0]["old_stage"] == "Lead"
    assert workspace.count(tables.Call) == 1

    view = get_lead(api, "L-1")
    called_at = parse_time(view["score"]["as_of"]) - timedelta(seconds=1)
    call = Call(
        "c-1",
        "L-1",
        called_at,
        "reached",
        {"budget": "confirmed", "authority": "decision_maker", "need": "urgent"},
    )
    assert_same_as_reference(view, reference_score(view, [], calls=[call]))

    again = sales.post("/v1/leads/L-1/calls", json={"call_id": "c-1", "outcome": "voicemail"})
    assert again.status_code == 409
    assert workspace.count(tables.Call) == 1


def test_bad_answers_are_a_422_naming_the_criterion(workspace: Workspace, api: httpx.Client) -> None:
    post(api, "/v1/leads", {"lead_id": "L-1", "email": "pat@acme.com"})
    r = api.post(
        "/v1/leads/L-1/calls", json={"outcome": "reached", "answers": {"budget": "lots", "need": "urgent"}}
    )
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert [e["field"] for e in errors] == ["answers.budget"]
    assert "'confirmed'" in errors[0]["message"] and "'lots'" in errors[0]["message"]
    r = api.post("/v1/leads/L-1/calls", json={"outcome": "reached", "answers": {"colour": "blue"}})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "answers.colour"
    r = api.post("/v1/leads/L-1/calls", json={"outcome": "voicemail", "answers": {"budget": "confirmed"}})
    assert r.status_code == 422
    r = api.post("/v1/leads/L-1/calls", json={"outcome": "hung up"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "outcome"
    assert api.post("/v1/leads/nobody/calls", json={"outcome": "reached"}).status_code == 404
    assert workspace.count(tables.Call) == 0
    assert get_lead(api, "L-1")["score"]["criteria"] == 0


def test_colleagues_engaging_change_a_leads_rollup_fit(api: httpx.Client) -> None:
    """b2b-saas.yaml: `buying-committee` (+10 fit) when 3 contacts at the account engaged in 30 days."""
    members = ["L-a", "L-b", "L-c"]
    for n, lead_id in enumerate(members):
        payload: dict[str, Any] = {
            "lead_id": lead_id,
            "email": f"{lead_id}@acme.com",
            "fields": {"seniority": "vp"},
        }
        payload |= {"account": ACME} if n == 0 else {}
        post(api, "/v1/leads", payload)
    sent: dict[str, list[dict[str, Any]]] = {}
    for lead_id in members:
        item = pricing_view(f"{lead_id}-e", lead_id)
        sent[lead_id] = [item]
        first = get_lead(api, "L-a")
        assert "buying-committee" not in rules(first)
        assert first["score"]["grade"] == "B"
        post(api, "/v1/events", item)

    view = get_lead(api, "L-a")
    assert rules(view)["buying-committee"] == 10
    assert view["score"]["fit"] == 60
    assert view["score"]["grade"] == "A"
    latest = view["history"]["score_changes"][0]
    assert latest["cause"] == "account roll-ups (event L-c-e (page_viewed))"
    assert (latest["old_grade"], latest["new_grade"]) == ("B", "A")

    # the same as the reference evaluator scoring the account's leads together
    views = {lead_id: get_lead(api, lead_id) for lead_id in members}
    as_of = parse_time(view["score"]["as_of"])
    assert {parse_time(v["score"]["as_of"]) for v in views.values()} == {as_of}
    account = Account("acme", "acme.com", "Acme", {"employees": 300.0, "industry": "software"})
    leads = [
        Lead(i, v["email"], "acme", parse_time(v["created_at"]), {"seniority": "vp"})
        for i, v in views.items()
    ]
    events = {i: [event_record(e) for e in sent[i]] for i in members}
    for want in score_leads(EXAMPLE_DEFINITION, leads, {"acme": account}, events, {}, as_of):
        assert_same_as_reference(views[want.lead_id], want)


def test_a_colleague_is_rescored_only_when_the_rollups_its_score_read_move(
    api: httpx.Client, workspace: Workspace
) -> None:
    """b2b-saas.yaml's rules read `account.engaged_contacts` only (not `contacts` or `engagement_total`)."""
    members = ["M-a", "M-b", "M-c"]
    for n, lead_id in enumerate(members):
        payload: dict[str, Any] = {"lead_id": lead_id, "email": f"{lead_id}@acme.com"}
        answer = post(api, "/v1/leads", payload | ({"account": ACME} if n == 0 else {}))
        # a new colleague adds to `contacts`, which no rule reads: the others' scores are left alone
        assert {c["lead_id"] for c in answer["changes"]} == {lead_id}
    first_as_of = {i: get_lead(api, i)["score"]["as_of"] for i in members}

    sent: list[dict[str, Any]] = []

    def event(n: int, lead_id: str) -> set[str]:
        item = pricing_view(f"{lead_id}-{n}", lead_id)
        sent.append(item)
        return {c["lead_id"] for c in post(api, "/v1/events", item)["changes"]}

    assert event(1, "M-a") == set(members)  # M-a engaged: engaged_contacts 0 -> 1 for everyone
    moved = {i: get_lead(api, i)["score"]["as_of"] for i in members}
    assert all(moved[i] > first_as_of[i] for i in members)
    assert event(2, "M-a") == {"M-a"}  # still one engaged contact: M-b and M-c would score the same
    assert {i: get_lead(api, i)["score"]["as_of"] for i in ("M-b", "M-c")} == {
        i: moved[i] for i in ("M-b", "M-c")
    }
    # M-c's score, left alone by the second event, is the reference evaluator's at its own as_of
    view = get_lead(api, "M-c")
    leads = [
        Lead(i, f"{i}@acme.com", "acme", parse_time(get_lead(api, i)["created_at"]), {}) for i in members
    ]
    account = Account("acme", "acme.com", "Acme", {"employees": 300.0, "industry": "software"})
    then = {"M-a": [event_record(sent[0])]}
    want = score_leads(EXAMPLE_DEFINITION, leads, {"acme": account}, then, {}, parse_time(moved["M-c"]))
    assert_same_as_reference(view, next(w for w in want if w.lead_id == "M-c"))
    assert event(3, "M-b") == set(members)  # two engaged contacts

    with workspace.store.transaction() as session:
        stored = dict(
            session.execute(
                select(tables.Lead.lead_id, tables.LeadScore.rollups)
                .join(tables.LeadScore, tables.LeadScore.lead_pk == tables.Lead.id)
                .where(tables.Lead.workspace_pk == workspace.pk, tables.Lead.lead_id.in_(members))
            ).all()
        )
    assert stored == {i: {"engaged_contacts": 2.0} for i in members}

    # a score that does not say which roll-ups it read (as an activation's scores) is redone at the next
    with workspace.store.transaction() as session:
        keys = select(tables.Lead.id).where(
            tables.Lead.workspace_pk == workspace.pk, tables.Lead.lead_id == "M-c"
        )
        session.execute(
            update(tables.LeadScore).where(tables.LeadScore.lead_pk.in_(keys)).values(rollups=None)
        )
    assert event(4, "M-a") == {"M-a", "M-c"}


def test_values_that_no_longer_fit_are_named_on_every_lead_of_the_account(
    api: httpx.Client, workspace: Workspace
) -> None:
    post(api, "/v1/leads", {"lead_id": "N-1", "email": "ann@acme.com", "account": ACME})
    post(api, "/v1/leads", {"lead_id": "N-2", "email": "bea@acme.com", "fields": {"seniority": "vp"}})
    # values stored under another vocabulary (written straight to the store: the API would refuse them)
    with workspace.store.transaction() as session:
        session.execute(
            update(tables.Account)
            .where(tables.Account.workspace_pk == workspace.pk, tables.Account.account_id == "acme")
            .values(fields={"employees": "many", "industry": "software"})
        )
        session.execute(
            update(tables.Lead)
            .where(tables.Lead.workspace_pk == workspace.pk, tables.Lead.lead_id == "N-2")
            .values(fields={"seniority": "wizard"})
        )
    for n, lead_id in enumerate(["N-1", "N-2"]):
        item = {"event_id": f"n-{n}", "lead_id": lead_id, "type": "page_viewed", "time": iso(now())}
        post(api, "/v1/events", item)
    assert get_lead(api, "N-1")["score"]["unfit_fields"] == ["account.employees"]
    assert get_lead(api, "N-2")["score"]["unfit_fields"] == ["account.employees", "lead.seniority"]
    assert rules(get_lead(api, "N-2")).get("decision-maker") is None  # the unfit value counts as missing


def test_an_account_change_rescores_its_leads(api: httpx.Client) -> None:
    post(
        api,
        "/v1/leads",
        {"lead_id": "L-1", "email": "pat@acme.com", "fields": {"seniority": "vp"}, "account": ACME},
    )
    post(api, "/v1/leads", {"lead_id": "L-2", "email": "sam@acme.com"})
    assert get_lead(api, "L-2")["score"]["fit"] == 35
    r = api.post(
        "/v1/accounts", json={"account_id": "acme", "fields": {"employees": 20, "industry": "retail"}}
    )
    assert r.status_code == 200, r.text
    assert {c["lead_id"] for c in r.json()["changes"]} == {"L-1", "L-2"}
    assert get_lead(api, "L-1")["score"]["fit"] == 5  # small-company -10, decision-maker 15
    view = get_lead(api, "L-2")
    assert view["score"]["fit"] == -10
    assert view["history"]["score_changes"][0]["cause"] == "account acme updated"
    assert (view["history"]["score_changes"][0]["old_grade"], view["score"]["grade"]) == ("B", "D")
