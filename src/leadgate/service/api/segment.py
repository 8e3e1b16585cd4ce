"""Segment-compatible endpoints: /v1/track, /v1/page, /v1/screen, /v1/identify, /v1/group, /v1/alias,
/v1/batch (and /v1/import). A write key goes as the HTTP Basic user, as Segment's SDKs send it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from leadgate.errors import Problem
from leadgate.service import segment
from leadgate.service.api.deps import BasicDeclared, CallerDep, ServiceDep
from leadgate.service.api.errors import problem_json
from leadgate.service.errors import InputError

router = APIRouter(prefix="/v1", tags=["segment"], dependencies=[BasicDeclared])


def _answer(outcome: segment.SegmentOutcome) -> dict[str, Any]:
    return {
        "success": True,
        "accepted": outcome.accepted,
        "duplicates": outcome.duplicates,
        "rejected": [{"index": i, "errors": [problem_json(p) for p in ps]} for i, ps in outcome.rejected],
        "notes": outcome.notes,
    }


Message = Annotated[dict[str, Any], Body()]

SINGLE = {
    "track": "Segment track: an event",
    "page": "Segment page: a page_viewed event",
    "screen": "Segment screen: a screen_viewed event",
    "identify": "Segment identify: create or update the lead",
    "group": "Segment group: the lead's account",
    "alias": "Segment alias: acknowledged (leadgate matches identities itself)",
}


def _single(kind: str) -> Callable[..., Awaitable[dict[str, Any]]]:
    """The endpoint for one message of this kind (the message's own `type` is not needed)."""

    async def endpoint(message: Message, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
        caller.require("send_events")
        prepared = segment.prepare([{**message, "type": kind}], received=svc.clock())
        outcome = (await svc.write(caller, segment.ApplyMessages(prepared))).value
        if outcome.rejected:  # refused, so nothing of it was stored
            raise InputError(outcome.rejected[0][1])
        return _answer(outcome)

    endpoint.__name__ = kind
    return endpoint


for _kind, _summary in SINGLE.items():
    router.post(f"/{_kind}", summary=_summary)(_single(_kind))


@router.post("/batch", summary='Segment batch: {"batch": [messages]}; bad messages reported by index')
@router.post("/import", include_in_schema=False)
async def batch(message: Message, svc: ServiceDep, caller: CallerDep) -> Any:
    caller.require("send_events")
    messages = message.get("batch")
    if not isinstance(messages, list) or not messages:
        raise InputError([Problem("expected a non-empty list of messages", path="batch")])
    svc.check_batch(len(messages), "batch", "messages")
    received = svc.clock()
    sent_at = message.get("sentAt")  # the batch's, for the messages without their own
    if sent_at is not None:  # read once; a bad one refuses the batch (422), not each message
        sent_at = segment.instant(sent_at, "sentAt")
    prepared = segment.prepare(messages, received=received, sent_at=sent_at)
    outcome = (await svc.write(caller, segment.ApplyMessages(prepared))).value
    if outcome.rejected and not outcome.accepted and not outcome.duplicates:
        return JSONResponse({"error": "invalid input", **_answer(outcome), "success": False}, status_code=422)
    return _answer(outcome)
