"""Definition versions: publish (immutable, numbered), list, show, compare, activate; re-score every lead.

Exactly one version is active per workspace (the workspace row points at it). Publishing checks the
file completely first: a definition that does not load is refused with its problems, and nothing is
stored. Activating a version re-scores every lead with it, in chunks of leads (each chunk one
transaction), and every score records the version that produced it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadgate.definition import Definition, load_text
from leadgate.service.diff import Difference, diff
from leadgate.service.errors import InputError, NotFound
from leadgate.service.live import record
from leadgate.service.memory import recall_of
from leadgate.service.store import Store, tables
from leadgate.service.workspace import Context, DefinitionCache, context_of, find_workspace


@dataclass(frozen=True)
class Version:
    number: int
    name: str
    label: str
    fingerprint: str
    note: str
    published_by: str
    published_at: datetime
    active: bool
    activated_at: datetime | None
    activated_by: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "number": self.number,
            "name": self.name,
            "label": self.label,
            "fingerprint": self.fingerprint,
            "note": self.note,
            "published_by": self.published_by,
            "published_at": self.published_at.isoformat().replace("+00:00", "Z"),
            "active": self.active,
            "activated_at": self.activated_at.isoformat().replace("+00:00", "Z")
            if self.activated_at
            else None,
            "activated_by": self.activated_by,
        }


def same_as(session: Session, workspace: tables.Workspace, version: Version) -> int | None:
    """The first other version of the workspace with the same definition (the same fingerprint)."""
    return session.scalar(
        select(func.min(tables.DefinitionVersion.number)).where(
            tables.DefinitionVersion.workspace_pk == workspace.id,
            tables.DefinitionVersion.fingerprint == version.fingerprint,
            tables.DefinitionVersion.number != version.number,
        )
    )


def same_note(version: Version, earlier: int) -> str:
    return (f"version {version.number} is the same definition as version {earlier} (fingerprint "
            f"{version.fingerprint}): only its note differs")  # fmt: skip


def _version(row: tables.DefinitionVersion, active_pk: int | None) -> Version:
    return Version(
        row.number,
        row.name,
        row.label,
        row.fingerprint,
        row.note,
        row.published_by,
        row.published_at,
        row.id == active_pk,
        row.activated_at,
        row.activated_by,
    )


def publish(
    session: Session,
    workspace: tables.Workspace,
    source: str,
    note: str,
    by: str,
    now: datetime,
    source_name: str = "definition",
) -> Version:
    """Check and store a new version (not yet active). A file that does not load raises DefinitionError,
    its problems placed in `source_name` (the file's path, for the CLI)."""
    if not note.strip():
        raise InputError("a published version needs a note saying why (--note)")
    definition = load_text(source, source_name)
    number = (
        session.scalar(
            select(func.max(tables.DefinitionVersion.number)).where(
                tables.DefinitionVersion.workspace_pk == workspace.id
            )
        )
        or 0
    ) + 1
    row = tables.DefinitionVersion(
        workspace_pk=workspace.id,
        number=number,
        name=definition.name,
        label=definition.version,
        fingerprint=definition.fingerprint,
        source=source,
        note=note.strip(),
        published_by=by,
        published_at=now,
    )
    session.add(row)
    session.flush()
    return _version(row, workspace.active_definition_pk)


def versions(session: Session, workspace: tables.Workspace) -> list[Version]:
    rows = session.scalars(
        select(tables.DefinitionVersion)
        .where(tables.DefinitionVersion.workspace_pk == workspace.id)
        .order_by(tables.DefinitionVersion.number)
    )
    return [_version(r, workspace.active_definition_pk) for r in rows]


def version_row(session: Session, workspace: tables.Workspace, number: int) -> tables.DefinitionVersion:
    row = session.scalar(
        select(tables.DefinitionVersion).where(
            tables.DefinitionVersion.workspace_pk == workspace.id, tables.DefinitionVersion.number == number
        )
    )
    if row is None:
        raise NotFound(f"no definition version {number} in workspace {workspace.name!r}")
    return row


def show(session: Session, workspace: tables.Workspace, number: int) -> tuple[Version, str]:
    row = version_row(session, workspace, number)
    return _version(row, workspace.active_definition_pk), row.source


def compare(
    session: Session, workspace: tables.Workspace, cache: DefinitionCache, old: int, new: int
) -> list[Difference]:
    a = cache.get(session, version_row(session, workspace, old).id).definition
    b = cache.get(session, version_row(session, workspace, new).id).definition
    return diff(a, b)


def set_active(session: Session, workspace: tables.Workspace, number: int, by: str, now: datetime) -> Version:
    row = version_row(session, workspace, number)
    workspace.active_definition_pk = row.id
    recall = recall_of(session)
    if recall is not None:
        recall.forget_workspace(workspace.id)
    row.activated_at = now
    row.activated_by = by
    session.flush()
    return _version(row, row.id)


@dataclass(frozen=True)
class Activation:
    version: Version
    leads: int
    changed: int  # leads whose score, grade or stage changed


def activate(
    store: Store,
    workspace_name: str,
    number: int,
    by: str,
    cache: DefinitionCache,
    clock: Callable[[], datetime],
    progress: Callable[[int, int], None] | None = None,
    chunk: int = 2000,
) -> Activation:
    """Make version `number` active, then re-score every lead with it; `progress(done, total)`.

    The batch engine (DuckDB, reading the store through Ibis) scores every lead at once, exactly as live
    scoring would (the conformance tests hold it to that); the scores are then stored in chunks of
    leads, each chunk one transaction, with the same history rows as live scoring."""
    with store.transaction() as session:
        workspace = find_workspace(session, workspace_name)
        version = set_active(session, workspace, number, by, clock())
        ctx = context_of(session, workspace, cache, clock)
    done = _rescore_store(store, ctx, f"definition v{number} activated", True, clock, progress, chunk)
    return Activation(version, done.leads, done.changed)


@dataclass(frozen=True)
class Rescore:
    leads: int  # leads scored
    changed: int  # leads whose stored score, grade or stage changed
    newer: int  # leads left as they were: re-scored live after the re-score began


def rescore_active(
    store: Store,
    workspace_name: str,
    cache: DefinitionCache,
    clock: Callable[[], datetime],
    progress: Callable[[int, int], None] | None = None,
    chunk: int = 2000,
) -> Rescore:
    """Re-score every lead with the active version, as of now (run it nightly, say). Engagement fades
    with time, but a lead is re-scored live only when something happens to it (or to a roll-up of its
    account that a rule reads), so a quiet lead keeps the score of its last change until this runs.
    History rows are written for leads whose grade or stage moved (a score fading is not news)."""
    with store.reading() as session:
        ctx = context_of(session, find_workspace(session, workspace_name), cache, clock)
    if ctx.active is None:
        raise NotFound("no definition version is active: publish one and activate it first")
    return _rescore_store(store, ctx, "re-score of every lead", False, clock, progress, chunk)


def _rescore_store(
    store: Store,
    ctx: Context,
    cause: str,
    news: bool,
    clock: Callable[[], datetime],
    progress: Callable[[int, int], None] | None,
    chunk: int,
) -> Rescore:
    """Score every lead of the workspace with the active version at once (the batch engine: DuckDB
    reading the store through Ibis, exactly as live scoring would, as the conformance tests hold it),
    then store the scores in chunks of leads, each chunk one transaction, with history rows as live
    scoring writes them (`news`: for every lead whose score moved; else only when grade or stage did).
    A lead re-scored live with the same version after the scores' `as_of` keeps that newer score."""
    from leadgate.batch.store import score_store

    assert ctx.active is not None
    with store.reading() as session:
        pk_of: dict[str, int] = {
            lead_id: pk
            for lead_id, pk in session.execute(
                select(tables.Lead.lead_id, tables.Lead.id).where(
                    tables.Lead.workspace_pk == ctx.workspace_pk
                )
            )
        }
    total = len(pk_of)
    if progress:
        progress(0, total)
    as_of = clock()
    scores = score_store(ctx.active.definition, store.url, ctx.name, as_of) if pk_of else []
    done = changed = newer = 0
    for start in range(0, len(scores), chunk):
        part = [s for s in scores[start : start + chunk] if s.lead_id in pk_of]
        with store.transaction() as session:
            later = set(
                session.scalars(
                    select(tables.LeadScore.lead_pk).where(
                        tables.LeadScore.lead_pk.in_([pk_of[s.lead_id] for s in part]),
                        tables.LeadScore.definition_pk == ctx.active.pk,
                        tables.LeadScore.as_of > as_of,
                    )
                )
            )
            kept = [s for s in part if pk_of[s.lead_id] not in later]
            about = {pk_of[s.lead_id] for s in kept} if news else set()
            causes = {pk_of[s.lead_id]: cause for s in kept}
            changes = record(session, ctx, kept, pk_of, causes, about)
        done += len(part)
        newer += len(part) - len(kept)
        changed += sum(1 for c in changes.values() if c.moved)
        if progress:
            progress(done, total)
    return Rescore(total, changed, newer)


def active_definition(
    session: Session, workspace: tables.Workspace, cache: DefinitionCache
) -> Definition | None:
    if workspace.active_definition_pk is None:
        return None
    return cache.get(session, workspace.active_definition_pk).definition
