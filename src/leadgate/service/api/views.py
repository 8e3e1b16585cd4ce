"""How stored leads, scores and changes look in responses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadgate.service.store import tables


def when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def account_view(row: tables.Account | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"account_id": row.account_id, "domain": row.domain, "name": row.name, "fields": row.fields}


def score_view(row: tables.LeadScore | None, number: int | None, full: bool) -> dict[str, Any] | None:
    if row is None:
        return None
    out: dict[str, Any] = {
        "score": row.score,
        "fit": row.fit,
        "grade": row.grade,
        "engagement": row.engagement,
        "criteria": row.criteria,
        "criteria_passed": row.criteria_passed,
        "persona": row.persona,
        "disqualified": row.disqualified,
        "fast_track": row.fast_track,
        "stage": row.stage,
        "as_of": when(row.as_of),
        "definition_version": number,
        "reasons": row.result.get("reasons", []),
    }
    if full:
        for key in ("criteria_met", "disqualified_reasons", "trace", "unfit_fields"):
            if key in row.result:
                out[key] = row.result[key]
    return out


def lead_view(
    row: tables.Lead,
    account: tables.Account | None,
    score: tables.LeadScore | None,
    number: int | None,
    full: bool = False,
) -> dict[str, Any]:
    return {
        "lead_id": row.lead_id,
        "email": row.email,
        "anonymous_id": row.anonymous_id,
        "owner": row.owner,
        "source": row.source,
        "created_at": when(row.created_at),
        "received_at": when(row.received_at),
        "updated_at": when(row.updated_at),
        "fields": row.fields,
        "account": account_view(account),
        "score": score_view(score, number, full),
    }


def history(session: Session, lead_pk: int, limit: int = 50) -> dict[str, Any]:
    """The lead's latest score and stage changes, each with the number of the version that made it."""
    number = tables.DefinitionVersion.number
    scores = session.execute(
        select(tables.ScoreChange, number)
        .join(tables.DefinitionVersion, tables.DefinitionVersion.id == tables.ScoreChange.definition_pk)
        .where(tables.ScoreChange.lead_pk == lead_pk)
        .order_by(tables.ScoreChange.at.desc(), tables.ScoreChange.id.desc())
        .limit(limit)
    ).all()
    stages = session.execute(
        select(tables.StageChange, number)
        .join(tables.DefinitionVersion, tables.DefinitionVersion.id == tables.StageChange.definition_pk)
        .where(tables.StageChange.lead_pk == lead_pk)
        .order_by(tables.StageChange.at.desc(), tables.StageChange.id.desc())
        .limit(limit)
    ).all()
    return {
        "score_changes": [
            {
                "at": when(c.at),
                "cause": c.cause,
                "old_score": c.old_score,
                "new_score": c.new_score,
                "old_grade": c.old_grade,
                "new_grade": c.new_grade,
                "old_stage": c.old_stage,
                "new_stage": c.new_stage,
                "definition_version": version,
            }
            for c, version in scores
        ],
        "stage_changes": [
            {
                "at": when(c.at),
                "from": c.from_stage,
                "to": c.to_stage,
                "cause": c.cause,
                "reasons": c.reasons,
                "definition_version": version,
            }
            for c, version in stages
        ],
    }
