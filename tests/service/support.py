"""Helpers for the service tests (imported as `service.support`; the fixtures are in conftest.py):
stores on either backend, a real server process, a workspace per test, the reference evaluator."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql
from sqlalchemy import func, select

from leadgate.data.values import from_json
from leadgate.definition import Definition, load_text
from leadgate.records import Account, Call, Event, Lead
from leadgate.scoring import LeadScore, score_lead
from leadgate.service import tokens, versions
from leadgate.service.store import Store, tables
from leadgate.service.workspace import DefinitionCache, ensure_workspace

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "leadgate" / "examples" / "b2b-saas.yaml"
EXAMPLE_TEXT = EXAMPLE.read_text(encoding="utf-8")
EXAMPLE_DEFINITION = load_text(EXAMPLE_TEXT, "b2b-saas.yaml")

# The PostgreSQL server the tests create their databases on (CI runs one at this address).
POSTGRES_ADMIN_URL = os.environ.get(
    "LEADGATE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")


def now() -> datetime:
    return datetime.now(UTC)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# -- databases ------------------------------------------------------------------------------------


def postgres_admin() -> psycopg.Connection[Any]:
    """A connection to the PostgreSQL server; the test FAILS (never skips) when there is none."""
    try:
        return psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            "PostgreSQL is required: every store and API test runs on SQLite and on PostgreSQL, but "
            f"{POSTGRES_ADMIN_URL} cannot be reached ({str(exc).strip()}). Start PostgreSQL, or set "
            "LEADGATE_TEST_POSTGRES_URL to a server where this user may create databases.",
            pytrace=False,
        )


@dataclass
class Databases:
    """Makes empty stores (a SQLite file, or a PostgreSQL database with a random name); drops them."""

    folder: Path
    created: list[str] = field(default_factory=list)

    def new(self, backend: str) -> str:
        name = f"leadgate_test_{uuid.uuid4().hex[:12]}"
        if backend == "sqlite":
            return f"sqlite:///{self.folder / name}.db"
        with postgres_admin() as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.created.append(name)
        return f"{POSTGRES_ADMIN_URL.rpartition('/')[0]}/{name}"

    def drop_all(self) -> None:
        if not self.created:
            return
        with postgres_admin() as admin:
            for name in self.created:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        self.created.clear()


def backend_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


# -- a real server process ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]


def wait_until_up(server: Server, seconds: float = 60) -> Server:
    deadline = time.monotonic() + seconds
    while True:
        if server.process.poll() is not None:
            pytest.fail(
                f"the server exited with {server.process.returncode}:\n{server.output()}", pytrace=False
            )
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            stop_server(server)
            pytest.fail(
                f"the server did not answer /healthz in {seconds} s:\n{server.output()}", pytrace=False
            )
        time.sleep(0.1)


def start_server(database_url: str, log: Path, command: list[str] | None = None, **env: str) -> Server:
    """`uvicorn --factory leadgate.service.api:create_app` (or `command`, given the port) on `database_url`."""
    port = free_port()
    argv = command or [
        sys.executable, "-m", "uvicorn", "--factory", "leadgate.service.api:create_app",
        "--host", "127.0.0.1", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    environment = {**os.environ, "LEADGATE_DATABASE_URL": database_url, **env}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*argv, "--port", str(port)], env=environment, stdout=out, stderr=subprocess.STDOUT
        )
    return wait_until_up(Server(f"http://127.0.0.1:{port}", database_url, process, log))


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=15)


# -- a workspace per test -------------------------------------------------------------------------


@dataclass
class Workspace:
    """One test's workspace on the shared server: its tokens, and HTTP clients for each role."""

    name: str
    pk: int
    store: Store
    server: Server
    secrets: dict[str, str]
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, role: str | None = "admin", token: str | None = None, **options: Any) -> httpx.Client:
        """An HTTP client for the server with this role's token, or `token` (role None: no token)."""
        secret = token or (self.secrets[role] if role else None)
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        made = httpx.Client(base_url=self.server.url, headers=headers, timeout=60, **options)
        self.clients.append(made)
        return made

    def close(self) -> None:
        for c in self.clients:
            c.close()

    def set(self, **settings: str) -> None:
        """Change the workspace's settings (unknown_leads, unknown_event_types) in the store."""
        with self.store.transaction() as session:
            row = session.get(tables.Workspace, self.pk)
            assert row is not None
            for key, value in settings.items():
                setattr(row, key, value)

    def count(self, table: Any, **where: Any) -> int:
        """Rows of `table` in this workspace (with `column=value` filters)."""
        query = select(func.count()).select_from(table).where(table.workspace_pk == self.pk)
        for column, value in where.items():
            query = query.where(getattr(table, column) == value)
        with self.store.reading() as session:
            return int(session.scalar(query) or 0)


def make_workspace(store: Store, server: Server, definition: str | None = EXAMPLE_TEXT) -> Workspace:
    """A new workspace with a token of every role; `definition` published as version 1 and active."""
    name = f"ws-{uuid.uuid4().hex[:10]}"
    secrets: dict[str, str] = {}
    with store.transaction() as session:
        row = ensure_workspace(session, name)
        for role in tokens.ROLES:
            secrets[role], _ = tokens.create_token(session, row, role, f"{role} token", now())
        pk = row.id
        if definition is not None:
            versions.publish(session, row, definition, "the definition under test", "tests", now())
    if definition is not None:
        versions.activate(store, name, 1, "tests", DefinitionCache(), now)
    return Workspace(name, pk, store, server, secrets)


# -- the reference evaluator ----------------------------------------------------------------------


def _typed(values: dict[str, Any], declared: Any) -> dict[str, Any]:
    return {k: from_json(v, declared[k]) for k, v in values.items() if k in declared and v is not None}


def event_record(item: dict[str, Any], definition: Definition = EXAMPLE_DEFINITION) -> Event:
    """An event as posted (`/v1/events`), as the record the reference evaluator takes."""
    return Event(
        item["event_id"],
        item["lead_id"],
        item["type"],
        parse_time(item["time"]),
        _typed(item.get("properties", {}), definition.event_types[item["type"]]),
    )


def reference_score(
    view: dict[str, Any],
    events: list[dict[str, Any]],
    calls: list[Call] | None = None,
    definition: Definition = EXAMPLE_DEFINITION,
) -> LeadScore:
    """What the reference evaluator scores a lead (as `GET /v1/leads/{id}` shows it) with these events
    (as they were posted), at the served score's own `as_of`. The lead is its account's only contact."""
    as_of = parse_time(view["score"]["as_of"])
    account = None
    if view["account"] is not None:
        a = view["account"]
        account = Account(
            a["account_id"], a["domain"], a["name"], _typed(a["fields"], definition.account_fields)
        )
    lead = Lead(
        view["lead_id"],
        view["email"],
        account.account_id if account else None,
        parse_time(view["created_at"]),
        _typed(view["fields"], definition.lead_fields),
    )
    records = [
        event_record({**e, "lead_id": view["lead_id"]}, definition)
        for e in events
        if e["type"] in definition.event_types and parse_time(e["time"]) <= as_of
    ]
    return score_lead(definition, lead, records, calls or [], as_of, account)


def assert_same_as_reference(view: dict[str, Any], want: LeadScore) -> None:
    got = view["score"]
    assert got["score"] == pytest.approx(want.score, abs=1e-9)
    assert (got["grade"], got["stage"], got["persona"]) == (want.grade, want.stage, want.persona)
    assert got["engagement"] == pytest.approx(want.engagement, abs=1e-9)
    assert [(c["rule"], c["points"]) for c in got["trace"]] == [
        (c.rule, pytest.approx(c.points, abs=1e-9)) for c in want.trace
    ]


def trace_total(view: dict[str, Any]) -> float:
    return float(sum(c["points"] for c in view["score"]["trace"]))


def rules(view: dict[str, Any]) -> dict[str, float]:
    """The served trace as rule -> points."""
    return {c["rule"]: c["points"] for c in view["score"]["trace"]}


# -- the command line -----------------------------------------------------------------------------

LEADGATE = str(Path(sys.executable).with_name("leadgate"))


def cli(database_url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `leadgate ARGS` as a subprocess on the store at `database_url` (as LEADGATE_DATABASE_URL)."""
    env = {**os.environ, "LEADGATE_DATABASE_URL": database_url, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [LEADGATE, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
