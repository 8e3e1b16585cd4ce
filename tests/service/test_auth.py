"""Tokens and roles on both backends: who may do what, revoked tokens, secrets stored only as hashes."""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import select

from leadgate.service import tokens
from leadgate.service.store import tables
from service.support import Workspace, now

LEAD = {"lead_id": "L-1", "email": "pat@example.com"}
EVENT = {"lead_id": "L-1", "type": "page_viewed", "properties": {"url": "/pricing"}}
IDENTIFY = {"batch": [{"type": "identify", "userId": "L-2", "traits": {"email": "sam@example.com"}}]}


def test_no_token_or_an_unknown_one_is_a_401(workspace: Workspace) -> None:
    anonymous = workspace.client(None)
    for method, path in (
        ("GET", "/v1/leads"),
        ("POST", "/v1/events"),
        ("GET", "/v1/definitions"),
        ("POST", "/v1/batch"),
    ):
        r = anonymous.request(method, path, json={})
        assert r.status_code == 401, (method, path, r.text)
        assert "Bearer" in r.headers["www-authenticate"]
    for header in ("Bearer lg_not-a-token", "Basic bm90LWEta2V5Og==", "Basic !!!", "Token abc"):
        r = anonymous.get("/v1/leads", headers={"Authorization": header})
        assert r.status_code == 401, header
    assert anonymous.get("/healthz").status_code == 200


def test_who_is_asking_is_answered_before_what_is_wrong_with_the_body(workspace: Workspace) -> None:
    """A request without a valid token learns nothing about its body: 401 first."""
    malformed = {"content": b'{"lead_id": "L-1",', "headers": {"content-type": "application/json"}}
    for who, client in (
        ("no token", workspace.client(None)),
        ("an unknown token", workspace.client(None, token="lg_not-a-token")),
        ("an unknown write key", workspace.client(None, auth=("wk_not-a-key", ""))),
    ):
        for path in ("/v1/leads", "/v1/events", "/v1/batch"):
            assert client.post(path, **malformed).status_code == 401, (who, path)  # type: ignore[arg-type]
        assert client.post("/v1/leads", json={"lead_id": 42}).status_code == 401, who
    # with a valid token, the body's problems are answered as before
    r = workspace.client("admin").post("/v1/leads", **malformed)  # type: ignore[arg-type]
    assert r.status_code == 422 and r.json()["errors"][0]["message"].startswith("malformed JSON")
    write = workspace.client(None, auth=(workspace.secrets["write"], ""))
    assert write.post("/v1/batch", **malformed).status_code == 422  # type: ignore[arg-type]
    assert workspace.count(tables.Lead) == 0


def test_a_token_revoked_through_the_api_stops_working_at_once(workspace: Workspace) -> None:
    marketing = workspace.client("marketing")
    assert marketing.get("/v1/leads").status_code == 200
    prefix = workspace.secrets["marketing"][:10]
    assert marketing.delete(f"/v1/tokens/{prefix}").status_code == 403  # only an admin may
    r = workspace.client("admin").delete(f"/v1/tokens/{prefix}")
    assert r.status_code == 200, r.text
    assert r.json() == {"revoked": 1}
    r = marketing.get("/v1/leads")
    assert r.status_code == 401
    assert r.json()["errors"][0]["message"] == "unknown or revoked token"
    assert workspace.client("admin").delete(f"/v1/tokens/{prefix}").status_code == 404
    assert workspace.client("admin").get("/v1/leads").status_code == 200


def test_a_token_revoked_in_the_store_stops_working_within_the_cache_time(workspace: Workspace) -> None:
    """`leadgate tokens revoke` writes to the store; the test server remembers tokens for 1 s."""
    marketing = workspace.client("marketing")
    assert marketing.get("/v1/leads").status_code == 200
    with workspace.store.transaction() as session:
        row = session.get(tables.Workspace, workspace.pk)
        assert row is not None
        assert tokens.revoke(session, row, workspace.secrets["marketing"][:10], now()) == 1
    time.sleep(1.2)
    r = marketing.get("/v1/leads")
    assert r.status_code == 401
    assert r.json()["errors"][0]["message"] == "unknown or revoked token"
    assert workspace.client("admin").get("/v1/leads").status_code == 200


def test_a_write_key_sends_events_and_segment_calls_but_reads_nothing(workspace: Workspace) -> None:
    write = workspace.client("write")
    assert write.post("/v1/events", json=EVENT).status_code == 201
    assert write.post("/v1/batch", json=IDENTIFY).status_code == 200
    basic = workspace.client(None, auth=(workspace.secrets["write"], ""))  # as Segment's SDKs send it
    assert basic.post("/v1/track", json={"userId": "L-1", "event": "Email Clicked"}).status_code == 200
    for method, path, body in (
        ("GET", "/v1/leads", None),
        ("GET", "/v1/leads/L-1", None),
        ("GET", "/v1/definitions", None),
        ("POST", "/v1/leads", LEAD),
        ("POST", "/v1/leads/L-1/calls", {"outcome": "reached"}),
        ("POST", "/v1/tokens", {"role": "admin", "name": "me"}),
    ):
        r = write.request(method, path, json=body)
        assert r.status_code == 403, (method, path, r.text)
        assert "a write token may not" in r.json()["errors"][0]["message"]
    assert basic.get("/v1/leads").status_code == 403
    assert workspace.count(tables.Event) == 2
    assert workspace.count(tables.Lead) == 2


def test_a_sales_token_reads_and_records_calls_but_writes_no_leads(workspace: Workspace) -> None:
    assert workspace.client("marketing").post("/v1/leads", json=LEAD).status_code == 201
    sales = workspace.client("sales")
    assert sales.get("/v1/leads").json()["total"] == 1
    assert sales.get("/v1/leads/L-1").status_code == 200
    r = sales.post("/v1/leads/L-1/calls", json={"outcome": "reached", "answers": {"budget": "confirmed"}})
    assert r.status_code == 201, r.text
    for method, path, body in (
        ("POST", "/v1/leads", {"lead_id": "L-2"}),
        ("POST", "/v1/accounts", {"domain": "acme.com"}),
        ("POST", "/v1/events", EVENT),
        ("POST", "/v1/definitions", {"source": "x", "note": "y"}),
        ("POST", "/v1/definitions/1/activate", None),
        ("GET", "/v1/tokens", None),
    ):
        r = sales.request(method, path, json=body)
        assert r.status_code == 403, (method, path, r.text)
    assert workspace.count(tables.Lead) == 1
    assert workspace.count(tables.Event) == 0


def test_marketing_publishes_but_only_an_admin_activates(workspace: Workspace) -> None:
    marketing = workspace.client("marketing")
    source = workspace.client("admin").get("/v1/definitions/1").json()["source"]
    assert marketing.post("/v1/definitions", json={"source": source, "note": "again"}).status_code == 201
    assert marketing.post("/v1/definitions/2/activate").status_code == 403
    assert (
        marketing.post(
            "/v1/definitions", json={"source": source, "note": "and", "activate": True}
        ).status_code
        == 403
    )
    assert marketing.post("/v1/tokens", json={"role": "admin", "name": "me"}).status_code == 403
    refused = marketing.post("/v1/definitions/rescore")
    assert refused.status_code == 403
    assert "a marketing token may not rescore all leads" in refused.json()["errors"][0]["message"]
    assert workspace.client("admin").post("/v1/definitions/2/activate").status_code == 200


def test_a_token_sees_only_its_own_workspace(new_workspace: object) -> None:
    first, second = new_workspace(), new_workspace()  # type: ignore[operator]
    assert first.client().post("/v1/leads", json=LEAD).status_code == 201
    assert second.client().get("/v1/leads/L-1").status_code == 404
    assert second.client().get("/v1/leads").json()["total"] == 0


def test_tokens_are_created_by_an_admin_and_stored_hashed(workspace: Workspace) -> None:
    admin = workspace.client("admin")
    unnamed = admin.post("/v1/tokens", json={"role": "write"})  # the name is optional, as in the CLI
    assert unnamed.status_code == 201 and unnamed.json()["name"] == "api"
    r = admin.post("/v1/tokens", json={"role": "sales", "name": "Dana"})
    assert r.status_code == 201, r.text
    secret = r.json()["token"]
    assert secret.startswith("lg_") and len(secret) > 30
    fresh = workspace.client(token=secret)
    assert fresh.get("/v1/leads").status_code == 200
    listed = admin.get("/v1/tokens").json()["tokens"]
    assert {"name": "Dana", "role": "sales", "prefix": secret[:10]}.items() <= listed[-1].items()
    assert secret not in str(listed)

    every_secret = [*workspace.secrets.values(), secret, unnamed.json()["token"]]
    with workspace.store.reading() as session:
        rows = session.execute(
            select(tables.ApiToken.__table__).where(tables.ApiToken.workspace_pk == workspace.pk)
        ).all()
    stored = " ".join(str(value) for row in rows for value in row)
    assert len(rows) == 6
    for each in every_secret:
        assert each not in stored
        assert hashlib.sha256(each.encode()).hexdigest() in stored
