"""A workspace as one request sees it: its settings, its active definition version, and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from threading import Lock
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from leadgate.definition import Definition, load_text
from leadgate.service.errors import NotFound
from leadgate.service.memory import recall_of
from leadgate.service.store import tables
from leadgate.service.store.reading import Readers

UNKNOWN_LEADS = ("create", "reject")
UNKNOWN_EVENT_TYPES = ("keep", "reject")
DEFAULT_WORKSPACE = "default"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ActiveDefinition:
    pk: int
    number: int
    definition: Definition
    readers: Readers


@dataclass(frozen=True)
class Context:
    """What ingestion and scoring need to know about the workspace they work in."""

    workspace_pk: int
    name: str
    unknown_leads: str
    unknown_event_types: str
    active: ActiveDefinition | None
    clock: Callable[[], datetime] = utc_now


@dataclass
class DefinitionCache:
    """Published versions are immutable, so each is compiled once per process."""

    _compiled: dict[int, ActiveDefinition] = field(default_factory=dict)
    _lock: Lock = field(default_factory=Lock)

    def get(self, session: Session, pk: int) -> ActiveDefinition:
        found = self._compiled.get(pk)
        if found is not None:
            return found
        row = session.get(tables.DefinitionVersion, pk)
        if row is None:
            raise NotFound(f"no definition version with key {pk}")
        definition = load_text(row.source, f"definition v{row.number}")
        compiled = ActiveDefinition(pk, row.number, definition, Readers.of(definition))
        with self._lock:
            self._compiled[pk] = compiled
        return compiled


def ensure_workspace(session: Session, name: str = DEFAULT_WORKSPACE) -> tables.Workspace:
    """The workspace called `name`, created (with the default settings) when it does not exist."""
    row = session.scalar(select(tables.Workspace).where(tables.Workspace.name == name))
    if row is None:
        row = tables.Workspace(name=name, unknown_leads="create", unknown_event_types="keep")
        session.add(row)
        session.flush()
    return row


def find_workspace(session: Session, name: str) -> tables.Workspace:
    row = session.scalar(select(tables.Workspace).where(tables.Workspace.name == name))
    if row is None:
        raise NotFound(f"no workspace {name!r}")
    return row


def context_of(
    session: Session,
    workspace: tables.Workspace,
    cache: DefinitionCache,
    clock: Callable[[], datetime] = utc_now,
) -> Context:
    return _context(session, workspace.id, workspace, cache, clock)


_workspaces = tables.Workspace.__table__
_SETTINGS = select(
    _workspaces.c.name,
    _workspaces.c.unknown_leads,
    _workspaces.c.unknown_event_types,
    _workspaces.c.active_definition_pk,
).where(_workspaces.c.id == bindparam("workspace"))


def context_by_key(
    session: Session,
    workspace_pk: int,
    cache: DefinitionCache,
    clock: Callable[[], datetime] = utc_now,
) -> Context:
    """As `context_of`, for the workspace with this key (one Core query: the write path's; none when
    the writers' memory knows the workspace's settings)."""
    recall = recall_of(session)
    row = recall.settings(workspace_pk) if recall is not None else None
    if row is None:
        row = session.connection().execute(_SETTINGS, {"workspace": workspace_pk}).first()
        if row is None:
            raise NotFound("the token's workspace no longer exists")
        if recall is not None:
            recall.read_settings(workspace_pk, row)
    return _context(session, workspace_pk, row, cache, clock)


def _context(
    session: Session, pk: int, settings: Any, cache: DefinitionCache, clock: Callable[[], datetime]
) -> Context:
    """`settings`: a workspace row, or the columns of one (name, the two settings, the active version)."""
    active_pk = settings.active_definition_pk
    active = cache.get(session, active_pk) if active_pk is not None else None
    return Context(pk, settings.name, settings.unknown_leads, settings.unknown_event_types, active, clock)
