"""Segment-compatible endpoints: /v1/track, /v1/page, /v1/screen, /v1/identify, /v1/group, /v1/alias,
/v1/batch (and /v1/import). A write key goes as the HTTP Basic user, as Segment's SDKs send it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from leadgate.errors import Problem
from leadgate.service import segment
from leadgate.service.api.deps import BasicDeclared, CallerDep, ServiceDep
from leadgate.service.api.errors import body, problem_json
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


def _single(kind: str, message: dict[str, Any], svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    caller.require("send_events")
    message = {**message, "type": kind}
    with svc.store.transaction() as session:
        outcome = segment.apply(session, svc.context(session, caller), [message])
    if outcome.rejected:  # refused, so nothing of it was stored
        raise InputError(outcome.rejected[0][1])
    return _answer(outcome)


Message = Annotated[dict[str, Any], Body()]


@router.post("/track", summary="Segment track: an event")
def track(message: Message, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    return _single("track", message, svc, caller)


@router.post("/page", summary="Segment page: a page_viewed event")
def page(message: Message, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    return _single("page", message, svc, caller)


@router.post("/screen", summary="Segment screen: a screen_viewed event")
def screen(message: Message, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    return _single("screen", message, svc, caller)


@router.post("/identify", summary="Segment identify: create or update the lead")
def identify(message: Message, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    return _single("identify", message, svc, caller)


@router.post("/group", summary="Segment group: the lead's account")
def group(message: Message, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    return _single("group", message, svc, caller)


@router.post("/alias", summary="Segment alias: acknowledged (leadgate matches identities itself)")
def alias(message: Message, svc: ServiceDep, caller: CallerDep) -> dict[str, Any]:
    return _single("alias", message, svc, caller)


@router.post("/batch", summary='Segment batch: {"batch": [messages]}; bad messages reported by index')
@router.post("/import", include_in_schema=False)
def batch(message: Message, svc: ServiceDep, caller: CallerDep) -> Any:
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
    with svc.store.transaction() as session:
        outcome = segment.apply(session, svc.context(session, caller), messages)
    if outcome.rejected and not outcome.accepted and not outcome.duplicates:
        return JSONResponse({"error": "invalid input", **_answer(outcome), "success": False}, status_code=422)
    return _answer(outcome)
