"""One place maps leadgate's errors to HTTP statuses and one JSON shape:
`{"error": "...", "errors": [{"field": "events.3.time", "message": "..."}]}`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from leadgate.errors import DefinitionError, LeadgateError, Problem
from leadgate.service.errors import (
    Conflict,
    Forbidden,
    InputError,
    NotFound,
    TooLarge,
    Unauthorized,
    Unavailable,
    validation_problem,
)

STATUS: tuple[tuple[type[LeadgateError], int, str], ...] = (
    (Unauthorized, 401, "unauthorized"),
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "not found"),
    (Conflict, 409, "conflict"),
    (TooLarge, 413, "payload too large"),
    (DefinitionError, 422, "the definition does not load"),
    (InputError, 422, "invalid input"),
    (Unavailable, 503, "service unavailable"),
    (LeadgateError, 400, "bad request"),
)


def problem_json(problem: Problem) -> dict[str, Any]:
    out: dict[str, Any] = {"field": problem.path, "message": problem.message}
    if problem.line is not None:
        out["line"] = problem.line
        out["column"] = problem.column
    if problem.hint:
        out["hint"] = problem.hint
    return out


def body(error: str, problems: list[Problem]) -> dict[str, Any]:
    return {"error": error, "errors": [problem_json(p) for p in problems]}


def validation_problems(errors: list[Any]) -> list[Problem]:
    """FastAPI's request errors, with the location inside the body as the field (`events.3.time`)."""
    return [_whole_body(err) or validation_problem({**err, "loc": tuple(err.get("loc", ()))[1:]})
            if _in_body(err) else validation_problem(err) for err in errors]  # fmt: skip


def _whole_body(err: Any) -> Problem | None:
    """A problem with the body as a whole, said in words: none sent, not JSON, or malformed (where)."""
    loc, kind = tuple(err.get("loc", ())), err.get("type")
    if kind == "json_invalid":
        at = f" at character {loc[1]}" if len(loc) > 1 and isinstance(loc[1], int) else ""
        return Problem(f"malformed JSON{at}: {(err.get('ctx') or {}).get('error', err.get('msg'))}")
    if len(loc) > 1:
        return None
    if kind == "missing":
        return Problem("a JSON body is required")
    if kind in ("dict_type", "model_attributes_type", "model_type"):
        return Problem("expected a JSON object, sent with Content-Type: application/json")
    return None


def _in_body(err: Any) -> bool:
    loc = tuple(err.get("loc", ()))
    return bool(loc) and loc[0] == "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(LeadgateError)
    async def _leadgate(_request: Request, exc: LeadgateError) -> JSONResponse:
        return answer(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # the API's routes check the body before the token: who is asking is answered first
        if request.url.path.startswith("/v1/"):
            from leadgate.service.api.deps import authenticate

            try:
                await authenticate(request)
            except Unauthorized as refused:
                return answer(refused)
        return JSONResponse(body("invalid input", validation_problems(list(exc.errors()))), status_code=422)


def answer(exc: LeadgateError) -> JSONResponse:
    """The HTTP answer to an error the service raised on purpose (`STATUS`)."""
    for cls, status, error in STATUS:
        if isinstance(exc, cls):
            headers = {"WWW-Authenticate": 'Bearer, Basic realm="leadgate"'} if status == 401 else None
            return JSONResponse(body(error, list(exc.problems)), status_code=status, headers=headers)
    raise AssertionError("unreachable: LeadgateError is in STATUS")  # pragma: no cover
