"""Errors the service raises on purpose; `api.errors` maps each class to one HTTP status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadgate.errors import LeadgateError, Problem


class InputError(LeadgateError):
    """A payload that cannot be accepted: each problem names the field (`path`) and what was expected."""

    exit_code = 4


class NotFound(LeadgateError):
    """The thing asked for does not exist in this workspace."""

    exit_code = 5


class Conflict(LeadgateError):
    """The request contradicts what is stored (e.g. an email that belongs to another lead)."""

    exit_code = 6


class TooLarge(LeadgateError):
    """A request over a documented size limit (a batch's items)."""

    exit_code = 4


class Forbidden(LeadgateError):
    """The token is valid but its role may not do this."""

    exit_code = 7


class Unauthorized(LeadgateError):
    """No token, or one that is unknown or revoked."""

    exit_code = 7


class Unavailable(LeadgateError):
    """The service cannot answer now (its writer process ended before it answered: the write may or
    may not be stored, and sending it again is safe where it is idempotent, as events are)."""

    exit_code = 1


def input_error(path: str, message: str) -> InputError:
    return InputError([Problem(message, path=path)])


def validation_problem(err: Mapping[str, Any], prefix: str = "") -> Problem:
    """One of Pydantic's errors as a problem with the field's path (`events.3.time`), in our wording."""
    loc = [str(p) for p in err.get("loc", ())]
    message = str(err.get("msg", "")).removeprefix("Value error, ")
    kind = err.get("type")
    if kind == "missing":
        message = "this field is required"
    elif kind == "extra_forbidden":
        message = "unknown field"
    elif kind == "json_invalid":
        message = f"malformed JSON: {(err.get('ctx') or {}).get('error', message)}"
        loc = []
    return Problem(message, path=f"{prefix}{'.'.join(loc)}".strip(".") or None)
