"""The app factory: `create_app()` builds the API; the store opens when the app starts, not at import.

Run it with `leadgate serve`, or `uvicorn --factory leadgate.service.api:create_app`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import text

from leadgate import __version__
from leadgate.errors import UsageError
from leadgate.service.api import definitions, errors, events, leads, segment, tokens
from leadgate.service.api.deps import Service
from leadgate.service.api.limits import DEFAULT_MAX_BODY, BodyLimit
from leadgate.service.store import open_store
from leadgate.service.tokens import Callers
from leadgate.service.workspace import utc_now
from leadgate.service.writer_process import WRITER_MODES

DESCRIPTION = """The agreed definition of a qualified lead, applied to every lead as data arrives.

Send leads, events and qualification calls; every change re-scores the lead with the active
definition version, and `GET /v1/leads/{lead_id}` explains the score rule by rule.
Authenticate with `Authorization: Bearer <token>` (`leadgate tokens create --role admin`);
event sources may use a write key, also as the HTTP Basic user (Segment-compatible endpoints)."""


def create_app(
    database_url: str | None = None,
    clock: Callable[[], datetime] | None = None,
    max_body: int | None = None,
    max_batch: int | None = None,
    token_cache_seconds: float | None = None,
    writer: str | None = None,
) -> FastAPI:
    """Settings default to the environment: LEADGATE_DATABASE_URL, LEADGATE_MAX_BODY_BYTES (1 MiB),
    LEADGATE_MAX_BATCH (5000 items), LEADGATE_TOKEN_CACHE_SECONDS (10: how long a token revoked
    outside this server, e.g. with the CLI, may still be accepted; `DELETE /v1/tokens/…` acts at once),
    LEADGATE_WRITER (`process`, the default: writes run in a process of their own, see
    `leadgate.service.writer_process`; `thread`: in this process)."""
    url = database_url or os.environ.get("LEADGATE_DATABASE_URL")
    body_limit = max_body or int(os.environ.get("LEADGATE_MAX_BODY_BYTES", DEFAULT_MAX_BODY))
    batch_limit = max_batch or int(os.environ.get("LEADGATE_MAX_BATCH", 5000))
    token_ttl = (
        token_cache_seconds
        if token_cache_seconds is not None
        else float(os.environ.get("LEADGATE_TOKEN_CACHE_SECONDS", 10))
    )

    writer_mode = writer or os.environ.get("LEADGATE_WRITER", "process").strip().lower()
    if writer_mode not in WRITER_MODES:
        raise UsageError(f"LEADGATE_WRITER must be {' or '.join(WRITER_MODES)}; got {writer_mode!r}")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(url, checkpoints="background")  # see store.checkpoints
        service = Service(
            store,
            clock=clock or utc_now,
            max_batch=batch_limit,
            callers=Callers(token_ttl),
            writer_mode=writer_mode,
        )
        service.writer.start()
        app.state.service = service
        try:
            yield
        finally:
            service.writer.close()  # every write queued is committed and answered first
            store.close()

    app = FastAPI(title="leadgate", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    errors.install(app)
    for module in (leads, events, segment, definitions, tokens):
        app.include_router(module.router)

    @app.get("/healthz", tags=["service"], summary="Is the service up and its store reachable")
    def healthz() -> dict[str, str | int]:
        service: Service = app.state.service
        with service.store.reading() as session:
            session.execute(text("SELECT 1"))
        writer = service.writer
        return {
            "status": "ok",
            "version": __version__,
            "database": service.store.dialect,
            # group commit at work: writes committed, in how many transactions (this process)
            "writes": writer.writes,
            "transactions": writer.groups,
        }

    app.add_middleware(BodyLimit, max_bytes=body_limit)
    return app
