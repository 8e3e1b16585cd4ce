"""API tokens and write keys (admin only)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from leadgate.service import tokens
from leadgate.service.api.deps import CallerDep, ServiceDep
from leadgate.service.api.views import when
from leadgate.service.errors import NotFound

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["admin", "marketing", "sales", "write"]
    name: Annotated[str, Field(min_length=1, max_length=200, description="who or what holds it")] = "api"


@router.post("", status_code=201, summary="Create a token (the secret is shown once)")
def create(payload: Annotated[TokenIn, Body()], svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    caller.require("manage_tokens")
    with svc.store.transaction() as session:
        secret, row = tokens.create_token(
            session, svc.workspace(session, caller), payload.role, payload.name, svc.clock()
        )
        return {"token": secret, "role": row.role, "name": row.name, "prefix": row.prefix}


@router.get("", summary="Tokens of this workspace (never their secrets)")
def listing(svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    caller.require("manage_tokens")
    with svc.store.reading() as session:
        rows = tokens.token_list(session, svc.workspace(session, caller))
        return {
            "tokens": [
                {
                    "name": r.name,
                    "role": r.role,
                    "prefix": r.prefix,
                    "created_at": when(r.created_at),
                    "revoked_at": when(r.revoked_at),
                }
                for r in rows
            ]
        }


@router.delete("/{prefix}", summary="Revoke the tokens whose secret starts with this prefix (at once)")
def revoke(prefix: str, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    caller.require("manage_tokens")
    with svc.store.transaction() as session:
        count = tokens.revoke(session, svc.workspace(session, caller), prefix, svc.clock())
    svc.callers.forget()
    if count == 0:
        raise NotFound(f"no live token with prefix {prefix!r}")
    return {"revoked": count}
