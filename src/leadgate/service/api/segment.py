"""Segment-compatible endpoints: /v1/track, /v1/page, /v1/screen, /v1/identify, /v1/group, /v1/alias,
/v1/batch (and /v1/import). A write key goes as the HTTP Basic user, as Segment's SDKs send it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from leadgate.errors import Problem
from leadgate.service import segment
from leadgate.service.api.deps import BasicDeclared, CallerDep, ServiceDep
from leadgate.service.api.errors import body, problem_json
from leadgate.service.errors import InputError
from leadgate.service.workspace import Context
from leadgate.service.writer import Done, Write

router = APIRouter(prefix="/v1", tags=["segment"], dependencies=[BasicDeclared])


def _answer(outcome: segment.SegmentOutcome) -> dict[str, Any]:
    return {
        "success": True,
        "accepted": outcome.accepted,
        "duplicates": outcome.duplicates,
        "rejected": [{"index": i, "errors": [problem_json(p) for p in ps]} for i, ps in outcome.rejected],
        "notes": outcome.notes,
    }


def _applying(messages: list[Any]) -> Write[segment.SegmentOutcome]:
    def write(session: Session, ctx: Context) -> Done[segment.SegmentOutcome]:
        outcome = segment.apply(session, ctx, messages, live=False)
        return Done(outcome, outcome.causes)

    return write


async def _single(kind: str, message: dict[str, Any], svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    caller.require("send_events")
    outcome = (await svc.write(caller, _applying([{**message, "type": kind}]))).value
    if outcome.rejected:  # refused, so nothing of it was stored
        raise InputError(outcome.rejected[0][1])
    return _answer(outcome)


Message = Annotated[dict[str, Any], Body()]


@router.post("/track", summary="Segment track: an event")
async def track(message: Message, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    return await _single("track", message, svc, caller)


@router.post("/page", summary="Segment page: a page_viewed event")
async def page(message: Message, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    return await _single("page", message, svc, caller)


@router.post("/screen", summary="Segment screen: a screen_viewed event")
async def screen(message: Message, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    return await _single("screen", message, svc, caller)


@router.post("/identify", summary="Segment identify: create or update the lead")
async def identify(message: Message, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    return await _single("identify", message, svc, caller)


@router.post("/group", summary="Segment group: the lead's account")
async def group(message: Message, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    return await _single("group", message, svc, caller)


@router.post("/alias", summary="Segment alias: acknowledged (leadgate matches identities itself)")
async def alias(message: Message, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    return await _single("alias", message, svc, caller)


@router.post("/batch", summary='Segment batch: {"batch": [messages]}; bad messages reported by index')
@router.post("/import", include_in_schema=False)
async def batch(message: Message, svc: ServiceDep, caller: CallerDep) -> Any:
    caller.require("send_events")
    messages = message.get("batch")
    if not isinstance(messages, list) or not messages:
        raise InputError([Problem("expected a non-empty list of messages", path="batch")])
    if len(messages) > svc.max_batch:
        return JSONResponse(
            body(
                "payload too large",
                [
                    Problem(
                        f"a batch holds at most {svc.max_batch} messages; got {len(messages)}", path="batch"
                    )
                ],
            ),
            status_code=413,
        )
    outcome = (await svc.write(caller, _applying(messages))).value
    if outcome.rejected and not outcome.accepted and not outcome.duplicates:
        return JSONResponse({"error": "invalid input", **_answer(outcome), "success": False}, status_code=422)
    return _answer(outcome)
