"""Writes for the writer-process tests: values, not closures, so that they can go to the child."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from leadgate.service.errors import Conflict
from leadgate.service.workspace import Context
from leadgate.service.writer import Done


@dataclass(frozen=True)
class Sleep:
    """Holds the writer for a while, and stores nothing."""

    seconds: float

    def __call__(self, _session: Session, _ctx: Context) -> Done[None]:
        time.sleep(self.seconds)
        return Done(None)


@dataclass(frozen=True)
class Refuse:
    """Refused, as a write that contradicts the store is."""

    why: str

    def __call__(self, _session: Session, _ctx: Context) -> Done[None]:
        raise Conflict(self.why)


@dataclass(frozen=True)
class AnswerUnpicklable:
    """Commits, but answers with a value that cannot be pickled."""

    def __call__(self, _session: Session, _ctx: Context) -> Done[Any]:
        return Done(lambda: None)
