"""What every request needs: the service (store, definition cache, clock) and who is calling."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer
from sqlalchemy.orm import Session

from leadgate.service.errors import NotFound, Unauthorized
from leadgate.service.store import Store, tables
from leadgate.service.tokens import Caller, caller_of
from leadgate.service.workspace import Context, DefinitionCache, context_of, utc_now


@dataclass
class Service:
    """Held by the app for its lifetime (`app.state.service`)."""

    store: Store
    cache: DefinitionCache = field(default_factory=DefinitionCache)
    clock: Callable[[], datetime] = utc_now
    max_batch: int = 5000

    def context(self, session: Session, caller: Caller) -> Context:
        return context_of(session, self.workspace(session, caller), self.cache, self.clock)

    def workspace(self, session: Session, caller: Caller) -> tables.Workspace:
        workspace = session.get(tables.Workspace, caller.workspace_pk)
        if workspace is None:
            raise NotFound("the token's workspace no longer exists")
        return workspace


def service(request: Request) -> Service:
    found: Service = request.app.state.service
    return found


bearer = HTTPBearer(auto_error=False, description="an API token (lg_…) or a write key (wk_…)")
basic = HTTPBasic(auto_error=False, description="a write key as the user name (Segment, RudderStack)")


def caller(
    svc: Annotated[Service, Depends(service)],
    token: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    request: Request,
) -> Caller:
    secret = token.credentials if token is not None else _basic_user(request)
    if not secret:
        raise Unauthorized("send a token: Authorization: Bearer <token> (or a write key as the Basic user)")
    with svc.store.reading() as session:
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
def _declare_basic(_creds: Annotated[HTTPBasicCredentials | None, Depends(basic)]) -> None:
    return None


ServiceDep = Annotated[Service, Depends(service)]
CallerDep = Annotated[Caller, Depends(caller)]
BasicDeclared = Depends(_declare_basic)
