"""Ingestion through the API, on both backends: leads (dedupe, accounts, conflicts) and events
(single, batch, idempotency, unknown leads and types, bad items, atomic batches)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from leadgate.service.store import tables
from service.support import Workspace, iso, now


def lead(api: httpx.Client, expect: int, **payload: Any) -> dict[str, Any]:
    r = api.post("/v1/leads", json=payload)
    assert r.status_code == expect, r.text
    return r.json()  # type: ignore[no-any-return]


def event(
    lead_id: str, event_id: str, kind: str = "page_viewed", days_ago: float = 1, **props: Any
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "lead_id": lead_id,
        "type": kind,
        "time": iso(now() - timedelta(days=days_ago)),
        "properties": props,
    }


# -- leads ----------------------------------------------------------------------------------------


def test_a_lead_is_created_then_updated_and_deduplicated_by_email(
    workspace: Workspace, api: httpx.Client
) -> None:
    made = lead(api, 201, lead_id="L-1", email="Pat@Example.com", fields={"seniority": "manager"})
    assert made["created"] is True
    assert made["lead"]["email"] == "pat@example.com"
    assert made["lead"]["score"]["persona"] == "influencer"

    same = lead(api, 200, email="pat@example.com ", fields={"seniority": "vp", "title": "VP Ops"})
    assert same["created"] is False
    assert same["lead"]["lead_id"] == "L-1"
    assert same["lead"]["fields"] == {"seniority": "vp", "title": "VP Ops"}
    assert same["lead"]["score"]["persona"] == "decision_maker"

    cleared = lead(api, 200, lead_id="L-1", fields={"title": None})
    assert cleared["lead"]["fields"] == {"seniority": "vp"}
    assert workspace.count(tables.Lead) == 1


def test_a_lead_without_an_id_gets_one_and_keeps_it(workspace: Workspace, api: httpx.Client) -> None:
    made = lead(api, 201, email="sam@example.com")
    generated = made["lead"]["lead_id"]
    assert generated.startswith("auto:")
    again = lead(api, 200, email="sam@example.com", owner="Marco")
    assert again["lead"]["lead_id"] == generated
    assert again["lead"]["owner"] == "Marco"
    # the first payload with a lead_id names it; a given id never changes after that
    named = lead(api, 200, lead_id="L-sam", email="sam@example.com")
    assert named["lead"]["lead_id"] == "L-sam"
    refused = api.post("/v1/leads", json={"lead_id": "L-other", "email": "sam@example.com"})
    assert refused.status_code == 409
    assert workspace.count(tables.Lead) == 1


def test_the_account_comes_from_the_email_domain_or_as_given(workspace: Workspace, api: httpx.Client) -> None:
    r = api.post(
        "/v1/accounts",
        json={"domain": "https://www.Acme.com/about", "name": "Acme", "fields": {"employees": 300}},
    )
    assert r.status_code == 201, r.text
    assert r.json()["account"] == {
        "account_id": "acme.com",
        "domain": "acme.com",
        "name": "Acme",
        "fields": {"employees": 300},
    }

    by_domain = lead(api, 201, lead_id="L-a", email="ann@ACME.com")
    assert by_domain["lead"]["account"]["account_id"] == "acme.com"
    assert by_domain["lead"]["score"]["fit"] == 20  # icp-size, from the account

    given = lead(api, 201, lead_id="L-b", email="bob@gmail.com", account_id="acme.com")
    assert given["lead"]["account"]["account_id"] == "acme.com"

    new_account = lead(
        api,
        201,
        lead_id="L-c",
        email="cy@globex.io",
        account={"account_id": "globex", "domain": "globex.io", "fields": {"industry": "fintech"}},
    )
    assert new_account["lead"]["account"]["account_id"] == "globex"
    assert new_account["lead"]["account"]["fields"] == {"industry": "fintech"}
    assert workspace.count(tables.Account) == 2

    nobody = lead(api, 201, lead_id="L-d", email="dee@initech.com")
    assert nobody["lead"]["account"] is None


def test_a_changed_email_moves_the_lead_to_that_domains_account(api: httpx.Client) -> None:
    assert (
        api.post("/v1/accounts", json={"domain": "acme.com", "fields": {"employees": 300}}).status_code == 201
    )
    lead(api, 201, lead_id="L-m", email="mo@initech.com")
    moved = lead(api, 200, lead_id="L-m", email="mo@acme.com")
    assert moved["lead"]["account"]["account_id"] == "acme.com"
    assert moved["lead"]["score"]["fit"] == 20


def test_an_email_of_another_lead_is_a_conflict(workspace: Workspace, api: httpx.Client) -> None:
    lead(api, 201, lead_id="L-1", email="one@example.com")
    lead(api, 201, lead_id="L-2", email="two@example.com")
    r = api.post("/v1/leads", json={"lead_id": "L-2", "email": "one@example.com"})
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "email"
    assert "L-1" in r.json()["errors"][0]["message"]
    r = api.post("/v1/leads", json={"lead_id": "L-3", "email": "one@example.com"})
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "lead_id"
    with workspace.store.reading() as session:
        emails = dict(
            session.execute(
                select(tables.Lead.lead_id, tables.Lead.email).where(tables.Lead.workspace_pk == workspace.pk)
            ).all()
        )
    assert emails == {"L-1": "one@example.com", "L-2": "two@example.com"}


def test_the_same_ids_in_another_workspace_are_another_lead_and_event(new_workspace: Any) -> None:
    first, second = new_workspace(), new_workspace()
    for ws in (first, second):
        lead(ws.client(), 201, lead_id="L-1", email="pat@example.com")
        r = ws.client().post("/v1/events", json=event("L-1", "e-1"))
        assert (r.status_code, r.json()["accepted"]) == (201, 1)
    assert first.count(tables.Lead) == second.count(tables.Lead) == 1
    assert first.count(tables.Event) == second.count(tables.Event) == 1
    assert second.client().get("/v1/leads").json()["total"] == 1


# -- events ---------------------------------------------------------------------------------------


def test_one_event_and_a_batch(workspace: Workspace, api: httpx.Client) -> None:
    lead(api, 201, lead_id="L-1", email="pat@example.com")
    r = api.post("/v1/events", json=event("L-1", "e-1", url="/pricing"))
    assert r.status_code == 201, r.text
    assert r.json()["accepted"] == 1
    assert r.json()["changes"][0]["lead_id"] == "L-1"
    assert r.json()["changes"][0]["new_score"] > r.json()["changes"][0]["old_score"]

    batch = [event("L-1", f"e-{i}", url="/product") for i in range(2, 6)]
    r = api.post("/v1/events", json={"events": batch})
    assert r.status_code == 201, r.text
    assert (r.json()["accepted"], r.json()["duplicates"], r.json()["rejected"]) == (4, 0, [])
    assert workspace.count(tables.Event) == 5


def test_a_batchs_events_find_their_leads_by_id_then_email_then_anonymous_id(
    workspace: Workspace, api: httpx.Client
) -> None:
    lead(api, 201, lead_id="K-1", email="kim@example.com")
    lead(api, 201, lead_id="K-2", email="kai@example.com")
    lead(api, 201, anonymous_id="visitor-9")
    items = [
        {**event("K-1", "k-1"), "lead_id": None, "email": "kim@example.com"},  # by email
        {**event("K-1", "k-2"), "email": "kai@example.com"},  # the lead_id wins over another's email
        {**event("K-1", "k-3"), "lead_id": "K-404", "email": "kai@example.com"},  # unknown id: the email
        {**event("K-1", "k-4"), "lead_id": None, "anonymous_id": "visitor-9"},
        {**event("K-1", "k-5"), "lead_id": "K-new"},  # created (the workspace creates unknown leads)
        {**event("K-1", "k-6"), "lead_id": "K-new"},  # the lead the batch made
    ]
    r = api.post("/v1/events", json={"events": items})
    assert r.status_code == 201, r.text
    assert (r.json()["accepted"], r.json()["leads_created"]) == (6, 1)
    with workspace.store.reading() as session:
        owners = dict(
            session.execute(
                select(tables.Event.event_id, tables.Lead.lead_id)
                .join(tables.Lead, tables.Lead.id == tables.Event.lead_pk)
                .where(tables.Event.workspace_pk == workspace.pk)
            ).all()
        )
    anonymous = owners["k-4"]
    assert anonymous.startswith("anon:")
    assert owners == {
        "k-1": "K-1",
        "k-2": "K-1",
        "k-3": "K-2",
        "k-4": anonymous,
        "k-5": "K-new",
        "k-6": "K-new",
    }


def test_the_same_event_id_is_stored_once(workspace: Workspace, api: httpx.Client) -> None:
    lead(api, 201, lead_id="L-1", email="pat@example.com")
    first = api.post("/v1/events", json=event("L-1", "e-1", url="/pricing"))
    again = api.post("/v1/events", json=event("L-1", "e-1", url="/pricing"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 1)
    assert again.json()["changes"] == []

    mixed = api.post(
        "/v1/events",
        json={"events": [event("L-1", "e-1"), event("L-1", "e-2"), event("L-1", "e-2"), event("L-1", "e-3")]},
    )
    assert mixed.status_code == 201
    assert (mixed.json()["accepted"], mixed.json()["duplicates"]) == (2, 2)
    assert workspace.count(tables.Event) == 3
    score = api.get("/v1/leads/L-1").json()["score"]
    pricing = [c for c in score["trace"] if c["rule"] == "pricing-page"]
    assert pricing[0]["events"] == 1  # the resent event counted once


def test_unknown_leads_are_created_or_refused_per_the_setting(
    workspace: Workspace, api: httpx.Client
) -> None:
    r = api.post(
        "/v1/events",
        json={"anonymous_id": "visitor-7", "type": "page_viewed", "properties": {"url": "/pricing"}},
    )
    assert r.status_code == 201, r.text
    assert r.json()["leads_created"] == 1
    anonymous = api.get("/v1/leads/anon:visitor-7")
    assert anonymous.status_code == 200
    assert anonymous.json()["anonymous_id"] == "visitor-7"
    assert anonymous.json()["score"]["engagement"] > 0

    r = api.post("/v1/events", json={"email": "new@acme.com", "type": "page_viewed"})
    assert r.status_code == 201
    assert api.get("/v1/leads", params={"sort": "lead_id"}).json()["total"] == 2

    workspace.set(unknown_leads="reject")
    r = api.post(
        "/v1/events",
        json={"events": [event("nobody", "e-x"), {"anonymous_id": "visitor-7", "type": "page_viewed"}]},
    )
    assert r.status_code == 201, r.text
    assert r.json()["accepted"] == 1  # the known (anonymous) lead's event
    assert [item["index"] for item in r.json()["rejected"]] == [0]
    assert r.json()["rejected"][0]["errors"][0]["field"] == "lead_id"
    single = api.post("/v1/events", json=event("nobody", "e-y"))
    assert single.status_code == 422
    assert "create the lead first" in single.json()["errors"][0]["message"]
    assert workspace.count(tables.Lead) == 2
    assert workspace.count(tables.Event, event_id="e-x") == 0


def test_unknown_event_types_are_kept_or_refused_per_the_setting(
    workspace: Workspace, api: httpx.Client
) -> None:
    lead(api, 201, lead_id="L-1", email="pat@example.com")
    before = api.get("/v1/leads/L-1").json()["score"]["score"]
    kept = api.post("/v1/events", json=event("L-1", "e-1", kind="chat_started", topic="pricing"))
    assert kept.status_code == 201, kept.text
    assert "chat_started" in kept.json()["notes"][0]
    assert workspace.count(tables.Event, type="chat_started") == 1
    assert api.get("/v1/leads/L-1").json()["score"]["score"] == before  # stored, not scored

    workspace.set(unknown_event_types="reject")
    refused = api.post("/v1/events", json=event("L-1", "e-2", kind="chat_started"))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "type"
    assert "page_viewed" in refused.json()["errors"][0]["message"]
    assert workspace.count(tables.Event, type="chat_started") == 1


def test_a_batch_reports_bad_items_by_index_and_stores_the_good_ones(
    workspace: Workspace, api: httpx.Client
) -> None:
    lead(api, 201, lead_id="L-1", email="pat@example.com")
    items = [
        event("L-1", "good-1", url="/pricing"),
        {"event_id": "bad-1", "lead_id": "L-1", "type": "page_viewed", "time": "last tuesday"},
        event("L-1", "good-2", kind="form_submitted", form="newsletter"),
        {"event_id": "bad-2", "lead_id": "L-1", "type": "form_submitted", "properties": {"form": "fax"}},
        {"event_id": "bad-3", "lead_id": "L-1"},
        {"event_id": "bad-4", "lead_id": "L-1", "type": "page_viewed", "colour": "red"},
    ]
    r = api.post("/v1/events", json={"events": items})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["accepted"] == 2
    rejected = {item["index"]: item["errors"] for item in body["rejected"]}
    assert sorted(rejected) == [1, 3, 4, 5]
    assert rejected[1][0]["field"] == "time"
    assert rejected[3][0]["field"] == "properties.form"
    assert "fax" in rejected[3][0]["message"]
    assert rejected[4] == [{"field": "type", "message": "this field is required"}]
    assert rejected[5] == [{"field": "colour", "message": "unknown field"}]
    with workspace.store.reading() as session:
        stored = set(
            session.scalars(select(tables.Event.event_id).where(tables.Event.workspace_pk == workspace.pk))
        )
    assert stored == {"good-1", "good-2"}


def test_an_atomic_batch_with_a_bad_item_stores_nothing(workspace: Workspace, api: httpx.Client) -> None:
    lead(api, 201, lead_id="L-1", email="pat@example.com")
    items = [
        event("L-1", "good-1"),
        {"event_id": "bad", "lead_id": "L-1", "type": "page_viewed", "time": "soon"},
    ]
    r = api.post("/v1/events", params={"atomic": "true"}, json={"events": items})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["events.1.time"]
    assert workspace.count(tables.Event) == 0

    workspace.set(unknown_leads="reject")
    items = [event("L-1", "good-1"), event("nobody", "good-2")]
    r = api.post("/v1/events?atomic=true", json={"events": items})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["events.1.lead_id"]
    assert workspace.count(tables.Event) == 0

    r = api.post("/v1/events?atomic=true", json={"events": items[:1]})
    assert r.status_code == 201
    assert workspace.count(tables.Event) == 1


def test_a_batch_with_only_bad_items_is_a_422(workspace: Workspace, api: httpx.Client) -> None:
    r = api.post("/v1/events", json={"events": [{"lead_id": "L-1"}, {"type": "page_viewed"}]})
    assert r.status_code == 422
    assert [item["index"] for item in r.json()["rejected"]] == [0, 1]
    assert workspace.count(tables.Event) == 0


def test_every_acknowledged_event_is_in_the_store(workspace: Workspace) -> None:
    """Concurrent senders, new and known leads, resends: every event a 2xx counted is stored, once."""
    api = workspace.client("admin")
    lead(api, 201, lead_id="L-known", email="known@example.com")

    def send(sender: int) -> tuple[int, int, int]:
        client = workspace.client("write")
        accepted = duplicates = errors = 0
        for n in range(6):
            items = [
                event("L-known", f"s{sender}-n{n}-a", url="/pricing"),
                event(f"L-new-{sender}", f"s{sender}-n{n}-b", kind="email_clicked"),
                event("L-known", f"shared-{n}"),  # every sender sends these: stored once
            ]
            r = client.post("/v1/events", json={"events": items})
            if r.status_code in (200, 201):
                accepted += r.json()["accepted"]
                duplicates += r.json()["duplicates"]
            else:
                errors += 1
        return accepted, duplicates, errors

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(send, range(4)))
    assert sum(r[2] for r in results) == 0, results
    accepted = sum(r[0] for r in results)
    assert accepted == 4 * 6 * 2 + 6
    assert sum(r[1] for r in results) == 3 * 6
    assert workspace.count(tables.Event) == accepted
    assert workspace.count(tables.Lead) == 5
    assert workspace.count(tables.LeadScore) == 5


def test_events_for_the_same_new_lead_at_the_same_time_make_one_lead(workspace: Workspace) -> None:
    """Four senders at once, each round naming a lead nobody has seen: all succeed, one lead per name."""
    barrier = threading.Barrier(4)

    def send(sender: int) -> list[int]:
        client = workspace.client("write")
        statuses = []
        for n in range(4):
            barrier.wait()
            r = client.post(
                "/v1/events",
                json={"event_id": f"{sender}-{n}", "anonymous_id": f"v-{n}", "type": "page_viewed"},
            )
            statuses.append(r.status_code)
        return statuses

    with ThreadPoolExecutor(4) as pool:
        statuses = [s for result in pool.map(send, range(4)) for s in result]
    assert statuses == [201] * 16
    assert workspace.count(tables.Lead) == 4
    assert workspace.count(tables.Event) == 16
    assert workspace.count(tables.LeadScore) == 4


def test_the_same_new_lead_and_account_sent_at_the_same_time_are_made_once(workspace: Workspace) -> None:
    barrier = threading.Barrier(4)

    def send(sender: int) -> list[int]:
        client = workspace.client("marketing")
        statuses = []
        for n in range(3):
            barrier.wait()
            payload = {
                "email": f"p{n}@d{n}.com",
                "account": {"account_id": f"acct-{n}", "domain": f"d{n}.com"},
            }
            statuses.append(client.post("/v1/leads", json=payload).status_code)
        return statuses

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(s for result in pool.map(send, range(4)) for s in result)
    assert statuses == [200] * 9 + [201] * 3
    assert workspace.count(tables.Lead) == 3
    assert workspace.count(tables.Account) == 3
