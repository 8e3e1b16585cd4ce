"""The store's tables (SQLAlchemy 2). The Alembic migrations in `migrations/versions` create them.

Every row belongs to a workspace. Public identifiers (`lead_id`, `event_id`, `call_id`, `account_id`)
are unique per workspace; rows refer to each other by integer keys (`*_pk`). Times are stored in UTC.
Events are append-only. A lead's current score is one row in `lead_scores`; every change of score,
grade or stage adds a row to `score_changes`, and every change of stage a row to `stage_changes`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored in UTC (SQLite keeps no time zone, so it is normalised here)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a stored time must carry its time zone; got {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Key = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY only
Document = JSON().with_variant(postgresql.JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _now() -> datetime:
    return datetime.now(UTC)


class Workspace(Base):
    """A team's space: its leads, its definition versions, its tokens and its ingestion settings."""

    __tablename__ = "workspaces"
    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # what an event for a lead nobody has seen does: "create" an anonymous lead, or "reject" the event
    unknown_leads: Mapped[str] = mapped_column(String(20), default="create")
    # what an event of a type the active definition does not declare does: "keep" it, or "reject" it
    unknown_event_types: Mapped[str] = mapped_column(String(20), default="keep")
    active_definition_pk: Mapped[int | None] = mapped_column(
        Key, ForeignKey("definition_versions.id", use_alter=True, name="fk_workspaces_active_definition")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class DefinitionVersion(Base):
    """A published definition: immutable, numbered 1, 2, 3… per workspace."""

    __tablename__ = "definition_versions"
    __table_args__ = (UniqueConstraint("workspace_pk", "number"),)
    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    workspace_pk: Mapped[int] = mapped_column(Key, ForeignKey("workspaces.id"))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(100))  # the file's own `version`, or its fingerprint
    fingerprint: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(Text)  # the file as published, byte for byte
    note: Mapped[str] = mapped_column(Text)  # why it was published
    published_by: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last time it became active
    activated_by: Mapped[str | None] = mapped_column(String(200))


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("workspace_pk", "account_id"),
        UniqueConstraint("workspace_pk", "domain"),
    )
    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    workspace_pk: Mapped[int] = mapped_column(Key, ForeignKey("workspaces.id"))
    account_id: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(500))
    fields: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        UniqueConstraint("workspace_pk", "lead_id"),
        UniqueConstraint("workspace_pk", "email"),
        UniqueConstraint("workspace_pk", "anonymous_id"),
        Index(None, "account_pk"),
    )
    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    workspace_pk: Mapped[int] = mapped_column(Key, ForeignKey("workspaces.id"))
    lead_id: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    anonymous_id: Mapped[str | None] = mapped_column(String(200))
    account_pk: Mapped[int | None] = mapped_column(Key, ForeignKey("accounts.id"))
    owner: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(100))
    fields: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)  # when the lead came to be
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)  # when leadgate first saw it
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class Event(Base):
    """Append-only. `time` is when it happened; `received_at` when leadgate stored it."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("workspace_pk", "event_id"), Index(None, "lead_pk", "time"))
    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    workspace_pk: Mapped[int] = mapped_column(Key, ForeignKey("workspaces.id"))
    event_id: Mapped[str] = mapped_column(String(200))
    lead_pk: Mapped[int] = mapped_column(Key, ForeignKey("leads.id"))
    type: Mapped[str] = mapped_column(String(100))
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    properties: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)


class Call(Base):
    """A qualification call attempt: who called, when, how it went, and the answers given."""

    __tablename__ = "calls"
    __table_args__ = (UniqueConstraint("workspace_pk", "call_id"), Index(None, "lead_pk"))
    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    workspace_pk: Mapped[int] = mapped_column(Key, ForeignKey("workspaces.id"))
    call_id: Mapped[str] = mapped_column(String(200))
    lead_pk: Mapped[int] = mapped_column(Key, ForeignKey("leads.id"))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime)
    caller: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(20))  # reached | voicemail | no_answer
    answers: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)  # criterion id -> answer
    notes: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class LeadScore(Base):
    """A lead's current score under the active definition, with the full result and trace."""

    __tablename__ = "lead_scores"
    __table_args__ = (Index(None, "workspace_pk", "score"), Index(None, "workspace_pk", "stage", "grade"))
    lead_pk: Mapped[int] = mapped_column(Key, ForeignKey("leads.id"), primary_key=True)
    workspace_pk: Mapped[int] = mapped_column(Key, ForeignKey("workspaces.id"))
    definition_pk: Mapped[int] = mapped_column(Key, ForeignKey("definition_versions.id"))
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    score: Mapped[float] = mapped_column(Float)
    fit: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(50))
    engagement: Mapped[float] = mapped_column(Float)
    criteria: Mapped[float] = mapped_column(Float)
    criteria_passed: Mapped[bool] = mapped_column(Boolean)
    persona: Mapped[str] = mapped_column(String(100))
    disqualified: Mapped[bool] = mapped_column(Boolean)
    fast_track: Mapped[str | None] = mapped_column(String(100))
    stage: Mapped[str] = mapped_column(String(50))  # the stage the definition recommends
    result: Mapped[dict[str, Any]] = mapped_column(Document)  # LeadScore.as_dict(): reasons and trace
    # the account roll-ups the score used, of those the definition's rules read (None: not known)
    rollups: Mapped[dict[str, Any] | None] = mapped_column(Document, nullable=True)


class ScoreChange(Base):
    """One re-score that changed a lead's score, grade or stage: old → new, why, and under which version."""

    __tablename__ = "score_changes"
    __table_args__ = (Index(None, "lead_pk", "at"),)
    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    workspace_pk: Mapped[int] = mapped_column(Key, ForeignKey("workspaces.id"))
    lead_pk: Mapped[int] = mapped_column(Key, ForeignKey("leads.id"))
    definition_pk: Mapped[int] = mapped_column(Key, ForeignKey("definition_versions.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    cause: Mapped[str] = mapped_column(String(200))  # e.g. "event ev-1 (page_viewed)", "definition v3"
    old_score: Mapped[float | None] = mapped_column(Float)
    new_score: Mapped[float] = mapped_column(Float)
    old_grade: Mapped[str | None] = mapped_column(String(50))
    new_grade: Mapped[str] = mapped_column(String(50))
    old_stage: Mapped[str | None] = mapped_column(String(50))
    new_stage: Mapped[str] = mapped_column(String(50))


class StageChange(Base):
    """A change of the recommended stage, with who or what moved it and why."""

    __tablename__ = "stage_changes"
    __table_args__ = (Index(None, "lead_pk", "at"),)
    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    workspace_pk: Mapped[int] = mapped_column(Key, ForeignKey("workspaces.id"))
    lead_pk: Mapped[int] = mapped_column(Key, ForeignKey("leads.id"))
    definition_pk: Mapped[int] = mapped_column(Key, ForeignKey("definition_versions.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    from_stage: Mapped[str | None] = mapped_column(String(50))
    to_stage: Mapped[str] = mapped_column(String(50))
    cause: Mapped[str] = mapped_column(String(200))
    reasons: Mapped[list[str]] = mapped_column(Document, default=list)


class StoreRevision(Base):
    """One row: how many write transactions the store has committed (see `Store.transaction`)."""

    __tablename__ = "store_revision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)


class ApiToken(Base):
    """An API token (Bearer) or a write key (events only). Only a hash of the secret is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    workspace_pk: Mapped[int] = mapped_column(Key, ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # admin | marketing | sales | write
    prefix: Mapped[str] = mapped_column(String(20))  # the first characters, to recognise it in lists
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
