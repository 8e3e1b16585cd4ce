"""Event ingestion: one event or a batch, idempotent by event_id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from fastapi.responses import JSONResponse

from leadgate.service import ingest
from leadgate.service.api.deps import CallerDep, ServiceDep
from leadgate.service.api.errors import problem_json
from leadgate.service.errors import InputError
from leadgate.service.payloads import EventBatchIn, EventIn

router = APIRouter(prefix="/v1", tags=["events"])

EXAMPLE = {
    "event_id": "ev-1001",
    "lead_id": "L-42",
    "type": "page_viewed",
    "time": "2026-11-20T10:12:00Z",
    "properties": {"url": "/pricing"},
}


@router.post(
    "/events",
    summary='Send one event, or a batch as {"events": [...]}',
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {"oneOf": [EventIn.model_json_schema(), EventBatchIn.model_json_schema()]},
                    "example": EXAMPLE,
                }
            },
            "required": True,
        }
    },
)
async def post_events(
    svc: ServiceDep,
    caller: CallerDep,
    response: Response,
    payload: Annotated[dict[str, Any], Body()],
    atomic: Annotated[
        bool, Query(description="refuse the whole batch when any item is bad (default: store the good ones)")
    ] = False,
) -> Any:
    """Each event re-scores its lead in the same transaction (requests arriving together share one:
    see the writer). A batch reports every bad item by index (`rejected`) and stores the good ones —
    or, with `atomic=true`, stores nothing when any is bad.
    Status: 201 when something was stored, 200 when all were duplicates, 422 when nothing was good."""
    caller.require("send_events")
    batch = "events" in payload
    items: list[Any] = ingest.parse(EventBatchIn, payload).events if batch else [payload]
    svc.check_batch(len(items), "events")
    written = await svc.write(caller, ingest.AddEvents(ingest.parse_events(items), atomic))
    outcome = written.value
    if not batch and outcome.rejected:
        raise InputError(outcome.rejected[0][1])
    result = {
        "accepted": outcome.accepted,
        "duplicates": outcome.duplicates,
        "rejected": [
            {"index": i, "errors": [problem_json(p) for p in problems]} for i, problems in outcome.rejected
        ],
        "leads_created": outcome.leads_created,
        "changes": [c.as_dict() for c in written.changes.values()],
        "notes": outcome.notes,
    }
    if outcome.accepted == 0 and outcome.duplicates == 0:
        return JSONResponse({"error": "invalid input", **result}, status_code=422)
    response.status_code = 201 if outcome.accepted else 200
    return result
