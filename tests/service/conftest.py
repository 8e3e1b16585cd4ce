"""The service's fixtures: every store and API test runs on SQLite and on PostgreSQL.

- `database_url`: one store per backend and test session (a SQLite file; a PostgreSQL database with a
  random name, dropped at the end). PostgreSQL is not optional: when it cannot be reached, the tests
  fail saying so; they are never skipped.
- `server`: a real `uvicorn` process serving `leadgate.service.api:create_app` on that store.
- `workspace`: a fresh workspace per test (a token of every role; b2b-saas.yaml published and active),
  made through the store layer, so the tests share one server and still cannot see each other's data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from leadgate.service.store import Store, open_store
from service.support import (
    BACKENDS,
    EXAMPLE_TEXT,
    Databases,
    Server,
    Workspace,
    backend_of,
    make_workspace,
    start_server,
    stop_server,
)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    found = Databases(tmp_path_factory.mktemp("stores"))
    yield found
    found.drop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, databases: Databases) -> str:
    """The store of this backend's server (one per backend and test session)."""
    return databases.new(request.param)


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new store of each backend for one test, dropped after it (tests of the store's own parts)."""
    databases = Databases(tmp_path)
    yield databases.new(request.param)
    databases.drop_all()


@pytest.fixture
def empty_database_url(database_url: str, databases: Databases) -> str:
    """A new, empty store of the same backend (for tests that migrate it up and down)."""
    return databases.new(backend_of(database_url))


@pytest.fixture(scope="session")
def store(database_url: str) -> Iterator[Store]:
    """The test process's own connection to the server's store (migrated before the server starts)."""
    opened = open_store(database_url)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def server(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server process on the session's store."""
    running = start_server(
        store.url, tmp_path_factory.mktemp("server") / "server.log", LEADGATE_TOKEN_CACHE_SECONDS="1"
    )
    yield running
    stop_server(running)


@pytest.fixture
def new_workspace(store: Store, server: Server) -> Iterator[Callable[..., Workspace]]:
    """Makes workspaces on the shared server: `new_workspace(definition=None)` has no definition yet."""
    made: list[Workspace] = []

    def make(definition: str | None = EXAMPLE_TEXT) -> Workspace:
        ws = make_workspace(store, server, definition)
        made.append(ws)
        return ws

    yield make
    for ws in made:
        ws.close()


@pytest.fixture
def workspace(new_workspace: Callable[..., Workspace]) -> Workspace:
    """A fresh workspace with b2b-saas.yaml published as version 1 and active."""
    return new_workspace()


@pytest.fixture
def api(workspace: Workspace) -> httpx.Client:
    """The workspace's admin client."""
    return workspace.client("admin")
