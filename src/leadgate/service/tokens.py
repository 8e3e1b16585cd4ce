"""API tokens and write keys. The secret is shown once, when created; only its SHA-256 is stored.

Roles and what they may do (`ALLOWED`):
- admin: everything, including tokens, activating definition versions and re-scoring every lead;
- marketing: read and write leads, accounts and events, import, publish definition versions;
- sales: read leads, record qualification calls;
- write (a write key): send events, and the Segment-compatible calls (track, page, identify, group,
  batch) — the key a website or a CDP holds; it cannot read anything.
Tokens go in `Authorization: Bearer <token>`; a write key also as the HTTP Basic user (as Segment's
and RudderStack's SDKs send it).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from threading import Lock

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadgate.service.errors import Forbidden, InputError, Unauthorized
from leadgate.service.store import tables

ROLES = ("admin", "marketing", "sales", "write")
ALLOWED: dict[str, frozenset[str]] = {
    "read": frozenset({"admin", "marketing", "sales"}),
    "write_leads": frozenset({"admin", "marketing"}),
    "send_events": frozenset({"admin", "marketing", "write"}),
    "record_calls": frozenset({"admin", "sales"}),
    "publish": frozenset({"admin", "marketing"}),
    "activate": frozenset({"admin"}),
    "rescore_all_leads": frozenset({"admin"}),  # with the active version (as activating one does)
    "manage_tokens": frozenset({"admin"}),
}


@dataclass(frozen=True)
class Caller:
    """Who is asking: the token's workspace, role and name."""

    workspace_pk: int
    role: str
    name: str

    def require(self, action: str) -> None:
        if self.role not in ALLOWED[action]:
            allowed = ", ".join(sorted(ALLOWED[action]))
            raise Forbidden(
                f"a {self.role} token may not {action.replace('_', ' ')}; roles allowed: {allowed}"
            )


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session, workspace: tables.Workspace, role: str, name: str, now: datetime
) -> tuple[str, tables.ApiToken]:
    """(the secret, to show once; its row)."""
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    secret = ("wk_" if role == "write" else "lg_") + secrets.token_urlsafe(32)
    row = tables.ApiToken(
        workspace_pk=workspace.id,
        name=name,
        role=role,
        prefix=secret[:10],
        secret_hash=digest(secret),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return secret, row


def caller_of(session: Session, secret: str) -> Caller:
    row = session.execute(
        select(
            tables.ApiToken.workspace_pk,
            tables.ApiToken.role,
            tables.ApiToken.name,
            tables.ApiToken.revoked_at,
        ).where(tables.ApiToken.secret_hash == digest(secret))
    ).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("unknown or revoked token")
    return Caller(row.workspace_pk, row.role, row.name)


@dataclass
class Callers:
    """Who each secret is, remembered for `ttl` seconds so that a request need not read the store.

    A token revoked through this server's API stops working at once (`forget`); one revoked anywhere
    else (the CLI, another server process) within `ttl` seconds. Unknown secrets are not remembered."""

    ttl: float = 10.0
    _known: dict[str, tuple[float, Caller]] = field(default_factory=dict)
    _lock: Lock = field(default_factory=Lock)

    def get(self, secret: str) -> Caller | None:
        found = self._known.get(digest(secret))
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def remember(self, secret: str, caller: Caller) -> None:
        with self._lock:
            if len(self._known) > 10_000:
                self._known.clear()
            self._known[digest(secret)] = (time.monotonic() + self.ttl, caller)

    def forget(self) -> None:
        with self._lock:
            self._known.clear()


def revoke(session: Session, workspace: tables.Workspace, prefix: str, now: datetime) -> int:
    rows = session.scalars(
        select(tables.ApiToken).where(
            tables.ApiToken.workspace_pk == workspace.id,
            tables.ApiToken.prefix == prefix,
            tables.ApiToken.revoked_at.is_(None),
        )
    ).all()
    for row in rows:
        row.revoked_at = now
    session.flush()
    return len(rows)


def token_list(session: Session, workspace: tables.Workspace) -> list[tables.ApiToken]:
    return list(
        session.scalars(
            select(tables.ApiToken)
            .where(tables.ApiToken.workspace_pk == workspace.id)
            .order_by(tables.ApiToken.id)
        )
    )
