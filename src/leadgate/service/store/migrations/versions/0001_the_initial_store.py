"""The initial store: workspaces, definition versions, accounts, leads, events, calls, scores, tokens.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import leadgate.service.store.tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unknown_leads", sa.String(length=20), nullable=False),
        sa.Column("unknown_event_types", sa.String(length=20), nullable=False),
        sa.Column(
            "active_definition_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", leadgate.service.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("name", name=op.f("uq_workspaces_name")),
    )
    op.create_table(
        "accounts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("workspace_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", leadgate.service.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", leadgate.service.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_pk"], ["workspaces.id"], name=op.f("fk_accounts_workspace_pk_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("workspace_pk", "account_id", name=op.f("uq_accounts_workspace_pk_account_id")),
        sa.UniqueConstraint("workspace_pk", "domain", name=op.f("uq_accounts_workspace_pk_domain")),
    )
    op.create_table(
        "api_tokens",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("workspace_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("prefix", sa.String(length=20), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", leadgate.service.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", leadgate.service.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_pk"], ["workspaces.id"], name=op.f("fk_api_tokens_workspace_pk_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_tokens_secret_hash")),
    )
    op.create_table(
        "definition_versions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("workspace_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("published_at", leadgate.service.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("activated_at", leadgate.service.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("activated_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_pk"], ["workspaces.id"], name=op.f("fk_definition_versions_workspace_pk_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_definition_versions")),
        sa.UniqueConstraint(
            "workspace_pk", "number", name=op.f("uq_definition_versions_workspace_pk_number")
        ),
    )
    op.create_table(
        "leads",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("workspace_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("anonymous_id", sa.String(length=200), nullable=True),
        sa.Column("account_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", leadgate.service.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", leadgate.service.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", leadgate.service.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_pk"], ["accounts.id"], name=op.f("fk_leads_account_pk_accounts")),
        sa.ForeignKeyConstraint(
            ["workspace_pk"], ["workspaces.id"], name=op.f("fk_leads_workspace_pk_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint("workspace_pk", "anonymous_id", name=op.f("uq_leads_workspace_pk_anonymous_id")),
        sa.UniqueConstraint("workspace_pk", "email", name=op.f("uq_leads_workspace_pk_email")),
        sa.UniqueConstraint("workspace_pk", "lead_id", name=op.f("uq_leads_workspace_pk_lead_id")),
    )
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_workspaces_active_definition", "definition_versions", ["active_definition_pk"], ["id"]
        )

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leads_account_pk"), ["account_pk"], unique=False)

    op.create_table(
        "calls",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("workspace_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("call_id", sa.String(length=200), nullable=False),
        sa.Column("lead_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("called_at", leadgate.service.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("caller", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column(
            "answers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("received_at", leadgate.service.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_pk"], ["leads.id"], name=op.f("fk_calls_lead_pk_leads")),
        sa.ForeignKeyConstraint(
            ["workspace_pk"], ["workspaces.id"], name=op.f("fk_calls_workspace_pk_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("workspace_pk", "call_id", name=op.f("uq_calls_workspace_pk_call_id")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_lead_pk"), ["lead_pk"], unique=False)

    op.create_table(
        "events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("workspace_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("lead_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("time", leadgate.service.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", leadgate.service.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "properties",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["lead_pk"], ["leads.id"], name=op.f("fk_events_lead_pk_leads")),
        sa.ForeignKeyConstraint(
            ["workspace_pk"], ["workspaces.id"], name=op.f("fk_events_workspace_pk_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("workspace_pk", "event_id", name=op.f("uq_events_workspace_pk_event_id")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_lead_pk_time"), ["lead_pk", "time"], unique=False)

    op.create_table(
        "lead_scores",
        sa.Column("lead_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("definition_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("as_of", leadgate.service.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("fit", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(length=50), nullable=False),
        sa.Column("engagement", sa.Float(), nullable=False),
        sa.Column("criteria", sa.Float(), nullable=False),
        sa.Column("criteria_passed", sa.Boolean(), nullable=False),
        sa.Column("persona", sa.String(length=100), nullable=False),
        sa.Column("disqualified", sa.Boolean(), nullable=False),
        sa.Column("fast_track", sa.String(length=100), nullable=True),
        sa.Column("stage", sa.String(length=50), nullable=False),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["definition_pk"],
            ["definition_versions.id"],
            name=op.f("fk_lead_scores_definition_pk_definition_versions"),
        ),
        sa.ForeignKeyConstraint(["lead_pk"], ["leads.id"], name=op.f("fk_lead_scores_lead_pk_leads")),
        sa.ForeignKeyConstraint(
            ["workspace_pk"], ["workspaces.id"], name=op.f("fk_lead_scores_workspace_pk_workspaces")
        ),
        sa.PrimaryKeyConstraint("lead_pk", name=op.f("pk_lead_scores")),
    )
    with op.batch_alter_table("lead_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lead_scores_workspace_pk_score"), ["workspace_pk", "score"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lead_scores_workspace_pk_stage_grade"),
            ["workspace_pk", "stage", "grade"],
            unique=False,
        )

    op.create_table(
        "score_changes",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("workspace_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("definition_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", leadgate.service.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cause", sa.String(length=200), nullable=False),
        sa.Column("old_score", sa.Float(), nullable=True),
        sa.Column("new_score", sa.Float(), nullable=False),
        sa.Column("old_grade", sa.String(length=50), nullable=True),
        sa.Column("new_grade", sa.String(length=50), nullable=False),
        sa.Column("old_stage", sa.String(length=50), nullable=True),
        sa.Column("new_stage", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(
            ["definition_pk"],
            ["definition_versions.id"],
            name=op.f("fk_score_changes_definition_pk_definition_versions"),
        ),
        sa.ForeignKeyConstraint(["lead_pk"], ["leads.id"], name=op.f("fk_score_changes_lead_pk_leads")),
        sa.ForeignKeyConstraint(
            ["workspace_pk"], ["workspaces.id"], name=op.f("fk_score_changes_workspace_pk_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_changes")),
    )
    with op.batch_alter_table("score_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_changes_lead_pk_at"), ["lead_pk", "at"], unique=False)

    op.create_table(
        "stage_changes",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("workspace_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("definition_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", leadgate.service.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("from_stage", sa.String(length=50), nullable=True),
        sa.Column("to_stage", sa.String(length=50), nullable=False),
        sa.Column("cause", sa.String(length=200), nullable=False),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["definition_pk"],
            ["definition_versions.id"],
            name=op.f("fk_stage_changes_definition_pk_definition_versions"),
        ),
        sa.ForeignKeyConstraint(["lead_pk"], ["leads.id"], name=op.f("fk_stage_changes_lead_pk_leads")),
        sa.ForeignKeyConstraint(
            ["workspace_pk"], ["workspaces.id"], name=op.f("fk_stage_changes_workspace_pk_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_changes")),
    )
    with op.batch_alter_table("stage_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stage_changes_lead_pk_at"), ["lead_pk", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stage_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stage_changes_lead_pk_at"))

    op.drop_table("stage_changes")
    with op.batch_alter_table("score_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_changes_lead_pk_at"))

    op.drop_table("score_changes")
    with op.batch_alter_table("lead_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_scores_workspace_pk_stage_grade"))
        batch_op.drop_index(batch_op.f("ix_lead_scores_workspace_pk_score"))

    op.drop_table("lead_scores")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_lead_pk_time"))

    op.drop_table("events")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_lead_pk"))

    op.drop_table("calls")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_account_pk"))

    op.drop_table("leads")
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_constraint("fk_workspaces_active_definition", type_="foreignkey")

    op.drop_table("definition_versions")
    op.drop_table("api_tokens")
    op.drop_table("accounts")
    op.drop_table("workspaces")
