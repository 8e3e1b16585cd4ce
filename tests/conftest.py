"""Shared builders: a fixed clock, definitions from a few lines of YAML, events and calls by age."""

from __future__ import annotations

import itertools
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadgate.definition import Definition, load_text
from leadgate.records import Call, Event, Lead

AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

# The keys every definition needs; a test adds the sections it is about.
HEADER = """\
name: test definition
owners: {marketing: Marketing Ops, sales: Sales Development}
agreed: 2026-01-01
"""

EXAMPLE = Path(__file__).resolve().parents[1] / "src" / "leadgate" / "examples" / "b2b-saas.yaml"


class Build:
    """Builders for tests. Times are given as ages: days before `as_of`."""

    as_of = AS_OF
    header = HEADER
    header_lines = HEADER.count("\n")

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    def text(self, body: str = "") -> str:
        """A definition's text: the header, then `body` (dedented)."""
        return HEADER + textwrap.dedent(body).lstrip("\n")

    def definition(self, body: str = "") -> Definition:
        return load_text(self.text(body), "test.yaml")

    def ago(self, days: float = 0.0, *, seconds: float = 0.0) -> datetime:
        return AS_OF - timedelta(days=days, seconds=seconds)

    def event(
        self,
        type: str,
        days_ago: float = 0.0,
        *,
        seconds: float = 0.0,
        event_id: str | None = None,
        lead_id: str = "l1",
        **properties: Any,
    ) -> Event:
        return Event(
            event_id or f"e{next(self._ids)}", lead_id, type, self.ago(days_ago, seconds=seconds), properties
        )

    def call(
        self,
        days_ago: float = 0.0,
        outcome: str = "reached",
        *,
        call_id: str | None = None,
        lead_id: str = "l1",
        **answers: str,
    ) -> Call:
        return Call(call_id or f"c{next(self._ids)}", lead_id, self.ago(days_ago), outcome, answers)

    def lead(self, lead_id: str = "l1", account_id: str | None = None, **fields: Any) -> Lead:
        return Lead(lead_id, f"{lead_id}@example.com", account_id, self.ago(100), fields)


@pytest.fixture(scope="session")
def build() -> Build:
    return Build()


@pytest.fixture(scope="session")
def as_of() -> datetime:
    return AS_OF


@pytest.fixture(scope="session")
def example_path() -> Path:
    return EXAMPLE
