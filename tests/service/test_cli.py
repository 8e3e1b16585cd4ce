"""The service commands on both backends: run as subprocesses against a running server (the refusals,
which write nothing, run in-process: each subprocess costs seconds of imports)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from leadgate.cli.app import app
from leadgate.service import tokens
from leadgate.service.store import open_store, tables
from leadgate.service.workspace import ensure_workspace
from service.support import LEADGATE, Workspace, backend_of, cli, now, start_server, stop_server

pytestmark = pytest.mark.slow  # each command is a new Python process
runner = CliRunner()


def test_a_token_made_on_the_command_line_works_until_revoked(workspace: Workspace) -> None:
    url, ws = workspace.store.url, ["--workspace", workspace.name]
    made = cli(url, "tokens", "create", "--role", "admin", "--name", "ops", *ws)
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("lg_") and "\n" not in secret
    assert "not shown again" in made.stderr
    client = workspace.client(token=secret)
    assert client.get("/v1/leads").status_code == 200
    assert client.post("/v1/leads", json={"lead_id": "L-1"}).status_code == 201
    assert workspace.client("admin").get("/v1/leads/L-1").status_code == 200

    with ThreadPoolExecutor(2) as pool:
        listed = pool.submit(cli, url, "tokens", "list", *ws)
        revoked = pool.submit(cli, url, "tokens", "revoke", secret[:10], *ws)
        listed, revoked = listed.result(), revoked.result()
    assert listed.returncode == 0, listed.stderr
    assert secret[:10] in listed.stdout and "ops" in listed.stdout
    assert secret not in listed.stdout
    assert revoked.returncode == 0, revoked.stderr
    assert client.get("/v1/leads").status_code == 401

    refused = runner.invoke(app, ["tokens", "create", "--role", "owner", "--database-url", url, *ws])
    assert refused.exit_code == 2  # a bad option: usage
    assert "role must be one of admin, marketing, sales, write; got 'owner'" in refused.output
    again = runner.invoke(app, ["tokens", "revoke", secret[:10], "--database-url", url, *ws])
    assert again.exit_code != 0
    assert "no active token with prefix" in again.output


def test_workspace_settings_change_what_the_server_does(workspace: Workspace) -> None:
    write = workspace.client("write")
    event = {"lead_id": "stranger-1", "type": "page_viewed"}
    assert write.post("/v1/events", json=event).status_code == 201
    url, ws = workspace.store.url, ["--workspace", workspace.name]

    changed = cli(url, "workspace", "set", "--unknown-leads", "reject", *ws)
    assert changed.returncode == 0, changed.stderr
    assert "unknown_leads=reject unknown_event_types=keep" in changed.stdout
    r = write.post("/v1/events", json={"lead_id": "stranger-2", "type": "page_viewed"})
    assert r.status_code == 422
    assert "create the lead first" in r.json()["errors"][0]["message"]
    assert write.post("/v1/events", json=event).status_code == 201  # a known lead is still fine
    assert workspace.count(tables.Lead) == 1
    assert workspace.count(tables.Event) == 2

    refused = runner.invoke(
        app, ["workspace", "set", "--unknown-event-types", "maybe", "--database-url", url, *ws]
    )
    assert refused.exit_code == 2
    assert "--unknown-event-types must be one of keep, reject; got 'maybe'" in refused.output
    with workspace.store.reading() as session:
        row = session.get(tables.Workspace, workspace.pk)
        assert row is not None
        assert (row.unknown_leads, row.unknown_event_types) == ("reject", "keep")


def test_serve_runs_the_api_on_a_new_store(empty_database_url: str, tmp_path: Path) -> None:
    """`leadgate serve` migrates an empty store, makes the default workspace and serves the API."""
    command = [LEADGATE, "serve", "--host", "127.0.0.1"]
    server = start_server(empty_database_url, tmp_path / "serve.log", command=command)
    store = open_store(empty_database_url, migrate=False)
    try:
        health = httpx.get(f"{server.url}/healthz").json()
        assert (health["status"], health["database"]) == ("ok", backend_of(empty_database_url))
        with store.reading() as session:
            names = list(session.scalars(select(tables.Workspace.name)))
        assert names == ["default"]  # made by serve
        with store.transaction() as session:
            secret, _ = tokens.create_token(session, ensure_workspace(session), "marketing", "t", now())
        headers = {"Authorization": f"Bearer {secret}"}
        r = httpx.post(
            f"{server.url}/v1/leads", json={"lead_id": "L-1", "email": "pat@example.com"}, headers=headers
        )
        assert r.status_code == 201, r.text
        assert r.json()["lead"]["score"] is None  # no definition is active yet
        assert httpx.get(f"{server.url}/v1/leads", headers=headers).json()["total"] == 1
    finally:
        store.close()
        stop_server(server)
    assert server.process.returncode is not None
