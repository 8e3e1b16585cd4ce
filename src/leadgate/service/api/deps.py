"""What every request needs: the service (store, definition cache, clock) and who is calling."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from leadgate.errors import Problem
from leadgate.service.errors import NotFound, TooLarge, Unauthorized
from leadgate.service.store import Store, tables
from leadgate.service.tokens import Caller, Callers, caller_of
from leadgate.service.workspace import Context, DefinitionCache, context_by_key, utc_now
from leadgate.service.writer import Write, Writer, Written
from leadgate.service.writer_process import WriterProcess

T = TypeVar("T")


@dataclass
class Service:
    """Held by the app for its lifetime (`app.state.service`). `start` the writer, `close` at the end."""

    store: Store
    cache: DefinitionCache = field(default_factory=DefinitionCache)
    clock: Callable[[], datetime] = utc_now
    max_batch: int = 5000
    callers: Callers = field(default_factory=Callers)
    writer_mode: str = "thread"  # or "process": see `leadgate.service.writer_process`
    writer: Writer | WriterProcess = field(init=False)

    def __post_init__(self) -> None:
        if self.writer_mode == "process":
            self.writer = WriterProcess(self.store.url, self.clock)
        else:
            self.writer = Writer(self.store, self.workspace_context)

    def context(self, session: Session, caller: Caller) -> Context:
        return self.workspace_context(session, caller.workspace_pk)

    def workspace_context(self, session: Session, workspace_pk: int) -> Context:
        return context_by_key(session, workspace_pk, self.cache, self.clock)

    def workspace(self, session: Session, caller: Caller) -> tables.Workspace:
        workspace = session.get(tables.Workspace, caller.workspace_pk)
        if workspace is None:
            raise NotFound("the token's workspace no longer exists")
        return workspace

    def check_batch(self, size: int, path: str, items: str = "events") -> None:
        """413 for a batch over `max_batch` items (LEADGATE_MAX_BATCH)."""
        if size > self.max_batch:
            raise TooLarge(
                [Problem(f"a batch holds at most {self.max_batch} {items}; got {size}", path=path)]
            )

    async def write(self, caller: Caller, write: Write[T]) -> Written[T]:
        """Run a write through the group-committing writer (see `leadgate.service.writer`)."""
        return await self.writer.write(caller.workspace_pk, write)


async def service(request: Request) -> Service:
    found: Service = request.app.state.service
    return found


bearer = HTTPBearer(auto_error=False, description="an API token (lg_…) or a write key (wk_…)")
basic = HTTPBasic(auto_error=False, description="a write key as the user name (Segment, RudderStack)")


async def caller(
    svc: Annotated[Service, Depends(service)],
    token: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    request: Request,
) -> Caller:
    secret = token.credentials if token is not None else _basic_user(request)
    if not secret:
        raise Unauthorized("send a token: Authorization: Bearer <token> (or a write key as the Basic user)")
    found = svc.callers.get(secret)
    if found is None:
        found = await run_in_threadpool(_look_up, svc.store, secret)
        svc.callers.remember(secret, found)
    return found


async def authenticate(request: Request) -> Caller:
    """The caller of a request whose parameters did not validate (see `api.errors`): a request with no
    valid token is told so (401) before anything about its body."""
    return await caller(await service(request), await bearer(request), request)


def _look_up(store: Store, secret: str) -> Caller:
    with store.reading() as session:
        return caller_of(session, secret)


def _basic_user(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        user = base64.b64decode(value.strip(), validate=True).decode().partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("the Basic credentials are not valid base64") from None
    return user or None


# documented in OpenAPI: the Basic scheme is declared so /docs offers it
async def _declare_basic(_creds: Annotated[HTTPBasicCredentials | None, Depends(basic)]) -> None:
    return None


ServiceDep = Annotated[Service, Depends(service)]
CallerDep = Annotated[Caller, Depends(caller)]
BasicDeclared = Depends(_declare_basic)
