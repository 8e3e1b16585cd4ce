"""The REST API on both backends: listing leads, field-level errors for bad input, body limits, gzip."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from leadgate.service.store import tables
from service.support import Workspace, iso, now

# Five leads, different in what the list filters on. Fit (b2b-saas.yaml) is from the account and role.
ACCOUNTS = [
    {
        "account_id": "big",
        "domain": "big.com",
        "fields": {"employees": 300, "industry": "software"},
    },  # fit 35
    {"account_id": "tiny", "domain": "tiny.com", "fields": {"employees": 10}},  # fit -10
]
LEADS = [
    {"lead_id": "L-1", "email": "a@big.com", "fields": {"seniority": "vp"}, "owner": "dana", "source": "web"},
    {
        "lead_id": "L-2",
        "email": "b@big.com",
        "fields": {"seniority": "manager"},
        "owner": "marco",
        "source": "web",
    },
    {"lead_id": "L-3", "email": "c@big.com", "owner": "dana", "source": "referral"},
    {
        "lead_id": "L-4",
        "email": "d@tiny.com",
        "fields": {"seniority": "vp"},
        "owner": "marco",
        "source": "web",
    },
    {"lead_id": "L-5", "email": "e@nowhere.org"},
]
# fit: L-1 50 (B), L-2 43 (B), L-3 35 (B), L-4 5 (D), L-5 0 (D)


@pytest.fixture
def listed(workspace: Workspace, api: httpx.Client) -> httpx.Client:
    for account in ACCOUNTS:
        assert api.post("/v1/accounts", json=account).status_code == 201
    for lead in LEADS:
        assert api.post("/v1/leads", json=lead).status_code == 201
    demo = {
        "lead_id": "L-3",
        "type": "form_submitted",
        "time": iso(now() - timedelta(days=1)),
        "properties": {"form": "demo_request"},
    }
    assert api.post("/v1/events", json=demo).status_code == 201
    return api


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [lead["lead_id"] for lead in response.json()["leads"]]


def test_leads_are_listed_by_score_with_their_scores(listed: httpx.Client) -> None:
    r = listed.get("/v1/leads")
    assert ids(r) == ["L-3", "L-1", "L-2", "L-4", "L-5"]  # L-3: 35 fit + about 30 for the demo request
    body = r.json()
    assert (body["total"], body["limit"], body["offset"]) == (5, 50, 0)
    scores = [lead["score"]["score"] for lead in body["leads"]]
    assert scores == sorted(scores, reverse=True)
    first = body["leads"][0]
    assert first["score"]["stage"] == "MQL"
    assert first["account"]["account_id"] == "big"
    assert first["score"]["definition_version"] == 1
    assert "trace" not in first["score"]  # the list is the short view; GET /v1/leads/{id} explains


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"stage": "MQL"}, ["L-3"]),
        ({"grade": "B"}, ["L-3", "L-1", "L-2"]),
        ({"grade": "D"}, ["L-4", "L-5"]),
        ({"owner": "dana"}, ["L-3", "L-1"]),
        ({"source": "web"}, ["L-1", "L-2", "L-4"]),
        ({"owner": "marco", "source": "web"}, ["L-2", "L-4"]),
        ({"min_score": 40}, ["L-3", "L-1", "L-2"]),
        ({"max_score": 40}, ["L-4", "L-5"]),
        ({"min_score": 0, "max_score": 45}, ["L-2", "L-4", "L-5"]),
        ({"stage": "SQL"}, []),
        ({"sort": "lead_id"}, ["L-1", "L-2", "L-3", "L-4", "L-5"]),
        ({"sort": "-lead_id"}, ["L-5", "L-4", "L-3", "L-2", "L-1"]),
        ({"sort": "score"}, ["L-5", "L-4", "L-2", "L-1", "L-3"]),
        ({"sort": "created_at"}, ["L-1", "L-2", "L-3", "L-4", "L-5"]),
    ],
)
def test_leads_are_filtered_and_sorted(
    listed: httpx.Client, query: dict[str, Any], expected: list[str]
) -> None:
    r = listed.get("/v1/leads", params=query)
    assert ids(r) == expected
    assert r.json()["total"] == len(expected)


def test_leads_are_paged(listed: httpx.Client) -> None:
    pages = [
        listed.get("/v1/leads", params={"sort": "lead_id", "limit": 2, "offset": o}) for o in (0, 2, 4, 6)
    ]
    assert [ids(p) for p in pages] == [["L-1", "L-2"], ["L-3", "L-4"], ["L-5"], []]
    assert {p.json()["total"] for p in pages} == {5}
    assert [(p.json()["limit"], p.json()["offset"]) for p in pages] == [(2, 0), (2, 2), (2, 4), (2, 6)]
    assert listed.get("/v1/leads", params={"limit": 0}).status_code == 422
    assert listed.get("/v1/leads", params={"limit": 501}).status_code == 422
    assert listed.get("/v1/leads", params={"offset": -1}).status_code == 422
    r = listed.get("/v1/leads", params={"sort": "colour"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "query.sort"


def test_a_filter_that_finds_nothing_says_when_the_definition_has_no_such_stage(listed: httpx.Client) -> None:
    r = listed.get("/v1/leads", params={"stage": "Nope", "grade": "Z"})
    assert r.status_code == 200 and r.json()["total"] == 0
    assert r.json()["notes"] == [
        "the active definition has no stage 'Nope'; its stages: Lead, MQL, SQL, Disqualified",
        "the active definition has no grade 'Z'; its grades: A, B, C, D",
    ]
    assert "notes" not in listed.get("/v1/leads", params={"stage": "SQL", "grade": "D"}).json()  # a known one


# -- bad input ------------------------------------------------------------------------------------


def fields_of(response: httpx.Response) -> list[str | None]:
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid input"
    return [e["field"] for e in response.json()["errors"]]


def test_a_value_of_the_wrong_type_names_its_field(workspace: Workspace, api: httpx.Client) -> None:
    r = api.post("/v1/accounts", json={"account_id": "acme", "fields": {"employees": "ten"}})
    assert fields_of(r) == ["fields.employees"]
    assert "'ten'" in r.json()["errors"][0]["message"]
    r = api.post(
        "/v1/leads",
        json={"lead_id": "L-1", "account": {"account_id": "acme", "fields": {"employees": "ten"}}},
    )
    assert fields_of(r) == ["account.fields.employees"]
    r = api.post(
        "/v1/leads", json={"lead_id": "L-1", "fields": {"seniority": "emperor", "interests": ["ai", "golf"]}}
    )
    assert fields_of(r) == ["fields.seniority", "fields.interests"]
    r = api.post("/v1/leads", json={"lead_id": 42, "owner": ["x"]})
    assert fields_of(r) == ["lead_id", "owner"]
    r = api.post(
        "/v1/events", json={"lead_id": "L-1", "type": "webinar_attended", "properties": {"minutes": "lots"}}
    )
    assert fields_of(r) == ["properties.minutes"]
    assert (
        workspace.count(tables.Lead) == workspace.count(tables.Account) == workspace.count(tables.Event) == 0
    )


def test_missing_and_unknown_fields(api: httpx.Client) -> None:
    r = api.post("/v1/leads", json={"fields": {"title": "CTO"}})
    assert r.status_code == 422
    assert "lead_id, an email or an anonymous_id" in r.json()["errors"][0]["message"]
    assert fields_of(api.post("/v1/events", json={"lead_id": "L-1"})) == ["type"]
    assert (
        api.post("/v1/events", json={"lead_id": "L-1"}).json()["errors"][0]["message"]
        == "this field is required"
    )
    r = api.post("/v1/leads", json={"lead_id": "L-1", "emial": "pat@example.com"})
    assert fields_of(r) == ["emial"]
    assert r.json()["errors"][0]["message"] == "unknown field"
    assert fields_of(api.post("/v1/leads/L-1/calls", json={})) == ["outcome"]
    assert fields_of(api.post("/v1/leads", json={"lead_id": "L-1", "email": "not an email"})) == ["email"]


def test_malformed_json_and_bad_timestamps(api: httpx.Client) -> None:
    for path in ("/v1/leads", "/v1/events"):
        r = api.post(path, content=b'{"lead_id": "L-1",', headers={"content-type": "application/json"})
        assert r.status_code == 422
        assert r.json()["errors"][0]["message"].startswith("malformed JSON at character 18: ")
        r = api.post(path)  # no body
        assert r.status_code == 422
        assert r.json()["errors"] == [{"field": None, "message": "a JSON body is required"}]
        r = api.post(path, content=b'{"lead_id": "L-1"}')  # JSON, but not said so
        assert r.status_code == 422
        assert "Content-Type: application/json" in r.json()["errors"][0]["message"]
    r = api.post("/v1/events", json={"lead_id": "L-1", "type": "page_viewed", "time": "yesterday"})
    assert fields_of(r) == ["time"]
    assert "ISO 8601" in r.json()["errors"][0]["message"]
    r = api.post("/v1/events", json={"lead_id": "L-1", "type": "page_viewed", "time": 1700000000})
    assert fields_of(r) == ["time"]
    r = api.post("/v1/leads", json={"lead_id": "L-1", "created_at": "2026-13-45"})
    assert fields_of(r) == ["created_at"]
    r = api.post(
        "/v1/events",
        json={"events": [{"lead_id": "L-1", "type": "page_viewed", "time": "2026-02-30T10:00:00Z"}]},
    )
    assert r.status_code == 422
    assert r.json()["rejected"][0]["errors"][0]["field"] == "time"
    assert api.post("/v1/events", json={"events": []}).status_code == 422
    assert api.post("/v1/events", json=[{"lead_id": "L-1", "type": "page_viewed"}]).status_code == 422


def test_a_time_without_a_zone_is_taken_as_utc(api: httpx.Client) -> None:
    r = api.post(
        "/v1/events",
        json={"event_id": "e-1", "lead_id": "L-1", "type": "page_viewed", "time": "2026-01-02T03:04:05"},
    )
    assert r.status_code == 201, r.text
    r = api.post("/v1/leads", json={"lead_id": "L-1", "created_at": "2026-01-02T05:04:05+02:00"})
    assert r.json()["lead"]["created_at"] == "2026-01-02T03:04:05Z"


# -- limits and encodings -------------------------------------------------------------------------


def test_a_body_over_the_limit_is_a_413(workspace: Workspace, api: httpx.Client) -> None:
    padding = "x" * 1_100_000  # LEADGATE_MAX_BODY_BYTES defaults to 1 MiB
    r = api.post("/v1/events", json={"lead_id": "L-1", "type": "page_viewed", "properties": {"url": padding}})
    assert r.status_code == 413
    assert "1048576" in r.json()["errors"][0]["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the body is counted as it arrives
        yield b'{"lead_id": "L-1", "type": "page_viewed", "properties": {"url": "'
        for _ in range(12):
            yield b"x" * 100_000
        yield b'"}}'

    r = api.post("/v1/events", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    bomb = gzip.compress(
        json.dumps({"lead_id": "L-1", "type": "page_viewed", "properties": {"url": padding}}).encode()
    )
    assert len(bomb) < 10_000
    r = api.post(
        "/v1/events", content=bomb, headers={"content-type": "application/json", "content-encoding": "gzip"}
    )
    assert r.status_code == 413
    assert workspace.count(tables.Event) == 0


def test_a_batch_over_the_limit_is_a_413(workspace: Workspace, api: httpx.Client) -> None:
    items = [{"lead_id": "L-1", "type": "page_viewed"}] * 5001  # LEADGATE_MAX_BATCH defaults to 5000
    r = api.post("/v1/events", json={"events": items})
    assert r.status_code == 413
    assert r.json()["errors"][0]["field"] == "events"
    assert "5000" in r.json()["errors"][0]["message"]
    write = workspace.client("write")
    r = write.post("/v1/batch", json={"batch": [{"type": "page", "anonymousId": "v-1"}] * 5001})
    assert r.status_code == 413
    assert workspace.count(tables.Event) == 0


def test_a_gzip_body_is_accepted(workspace: Workspace, api: httpx.Client) -> None:
    items = [
        {"event_id": f"e-{n}", "lead_id": "L-1", "type": "page_viewed", "properties": {"url": "/pricing"}}
        for n in range(50)
    ]
    raw = gzip.compress(json.dumps({"events": items}).encode())
    r = api.post(
        "/v1/events", content=raw, headers={"content-type": "application/json", "content-encoding": "gzip"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["accepted"] == 50
    assert workspace.count(tables.Event) == 50
    r = api.post(
        "/v1/events",
        content=b"not gzip",
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    assert r.status_code == 400
    assert "gzip" in r.json()["errors"][0]["message"]


def test_the_openapi_document_and_health(api: httpx.Client) -> None:
    health = api.get("/healthz").json()
    assert health["status"] == "ok"
    assert health["database"] in ("sqlite", "postgresql")
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/v1/leads", "/v1/leads/{lead_id}", "/v1/events", "/v1/batch", "/v1/definitions"} <= set(paths)
