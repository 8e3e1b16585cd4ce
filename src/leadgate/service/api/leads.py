"""Leads, accounts and qualification calls: create or update, read with the explanation, list."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy import func, select

from leadgate.service import ingest
from leadgate.service.api.deps import CallerDep, ServiceDep
from leadgate.service.api.views import account_view, history, lead_view
from leadgate.service.errors import NotFound
from leadgate.service.payloads import AccountIn, CallIn, LeadIn
from leadgate.service.store import tables
from leadgate.service.workspace import Context

router = APIRouter(prefix="/v1", tags=["leads"])

SORTS = {
    "score": tables.LeadScore.score,
    "updated_at": tables.Lead.updated_at,
    "created_at": tables.Lead.created_at,
    "lead_id": tables.Lead.lead_id,
}
Sort = Literal[
    "score", "-score", "updated_at", "-updated_at", "created_at", "-created_at", "lead_id", "-lead_id"
]


@router.post("/leads", status_code=201, summary="Create or update a lead (deduplicated by email)")
def post_lead(payload: LeadIn, svc: ServiceDep, caller: CallerDep, response: Response) -> dict[str, Any]:
    """Creates the lead (201) or updates the one with this lead_id, email or anonymous_id (200), then
    re-scores it with the active definition in the same transaction."""
    caller.require("write_leads")
    with svc.store.transaction() as session:
        ctx = svc.context(session, caller)
        outcome = ingest.upsert_lead(session, ctx, payload)
        view = _full_view(session, session.get_one(tables.Lead, outcome.key))
    response.status_code = 201 if outcome.created else 200
    return {
        "created": outcome.created,
        "lead": view,
        "changes": [c.as_dict() for c in outcome.changes.values()],
        "notes": outcome.notes,
    }


@router.post("/accounts", status_code=201, summary="Create or update an account (by account_id or domain)")
def post_account(
    payload: AccountIn, svc: ServiceDep, caller: CallerDep, response: Response
) -> dict[str, Any]:
    caller.require("write_leads")
    with svc.store.transaction() as session:
        ctx = svc.context(session, caller)
        outcome = ingest.upsert_account(session, ctx, payload)
        row = session.get_one(tables.Account, outcome.key)
    response.status_code = 201 if outcome.created else 200
    return {
        "created": outcome.created,
        "account": account_view(row),
        "changes": [c.as_dict() for c in outcome.changes.values()],
        "notes": outcome.notes,
    }


@router.get("/leads/{lead_id}", summary="A lead with its score, the full explanation and its history")
def get_lead(lead_id: str, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    caller.require("read")
    with svc.store.reading() as session:
        row = session.scalar(
            select(tables.Lead).where(
                tables.Lead.workspace_pk == caller.workspace_pk, tables.Lead.lead_id == lead_id
            )
        )
        if row is None:
            raise NotFound(f"no lead {lead_id!r}")
        view = _full_view(session, row)
        view["history"] = history(session, row.id)
    return view


def _full_view(session: Any, row: tables.Lead) -> dict[str, Any]:
    account = session.get(tables.Account, row.account_pk) if row.account_pk else None
    score = session.get(tables.LeadScore, row.id)
    number = session.get(tables.DefinitionVersion, score.definition_pk).number if score else None
    return lead_view(row, account, score, number, full=True)


@router.get("/leads", summary="List leads: filter by stage, grade, owner, source and score; sort; page")
def list_leads(
    svc: ServiceDep,
    caller: CallerDep,
    stage: Annotated[str | None, Query(description="recommended stage, e.g. MQL")] = None,
    grade: Annotated[str | None, Query(description="fit grade, e.g. A")] = None,
    owner: str | None = None,
    source: str | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
    sort: Sort = "-score",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    caller.require("read")
    lead, score = tables.Lead, tables.LeadScore
    query = (
        select(lead, tables.Account, score, tables.DefinitionVersion.number)
        .outerjoin(score, score.lead_pk == lead.id)
        .outerjoin(tables.Account, tables.Account.id == lead.account_pk)
        .outerjoin(tables.DefinitionVersion, tables.DefinitionVersion.id == score.definition_pk)
        .where(lead.workspace_pk == caller.workspace_pk)
    )
    for column, value in (
        (score.stage, stage),
        (score.grade, grade),
        (lead.owner, owner),
        (lead.source, source),
    ):
        if value is not None:
            query = query.where(column == value)
    if min_score is not None:
        query = query.where(score.score >= min_score)
    if max_score is not None:
        query = query.where(score.score <= max_score)
    key = SORTS[sort.lstrip("-")]
    order = key.desc().nulls_last() if sort.startswith("-") else key.asc().nulls_last()
    with svc.store.reading() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.execute(query.order_by(order, lead.id).limit(limit).offset(offset)).all()
        items = [lead_view(r[0], r[1], r[2], r[3]) for r in rows]
        filtered = total == 0 and (stage is not None or grade is not None)
        notes = _unknown_filters(svc.context(session, caller), stage, grade) if filtered else []
    out: dict[str, Any] = {"total": total, "limit": limit, "offset": offset, "leads": items}
    if notes:
        out["notes"] = notes
    return out


def _unknown_filters(ctx: Context, stage: str | None, grade: str | None) -> list[str]:
    """Why a filter may have found nothing: a stage or grade the active definition does not have."""
    if ctx.active is None:
        return []
    definition = ctx.active.definition
    known = {
        "stage": [*definition.funnel, definition.disqualified_stage],
        "grade": [name for name, _least in definition.grades],
    }
    notes = []
    for name, value in (("stage", stage), ("grade", grade)):
        if value is not None and value not in known[name]:
            notes.append(
                f"the active definition has no {name} {value!r}; its {name}s: {', '.join(known[name])}"
            )
    return notes


@router.post("/leads/{lead_id}/calls", status_code=201, summary="Record a qualification call and its answers")
def post_call(lead_id: str, payload: CallIn, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    """The answers feed the definition's sales criteria; the lead is re-scored at once."""
    caller.require("record_calls")
    with svc.store.transaction() as session:
        ctx = svc.context(session, caller)
        outcome = ingest.add_call(session, ctx, lead_id, payload)
        view = _full_view(session, session.get_one(tables.Lead, outcome.key))
    return {"lead": view, "changes": [c.as_dict() for c in outcome.changes.values()]}
