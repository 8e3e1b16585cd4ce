"""One error tree for leadgate.

Every message reads "what must hold; what was found", and carries where it was found: the file, the
line and column, and the path inside the document or the field of a data row. The CLI maps each error
class to one exit code (`exit_code`); the service maps them to HTTP status codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and where it is."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None
    hint: str | None = None

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        text = self.message
        if self.path:
            text = f"{self.path}: {text}"
        where = self.where()
        if where:
            text = f"{where}: {text}"
        if self.hint:
            text = f"{text} ({self.hint})"
        return text


class LeadgateError(Exception):
    """Base of every error leadgate raises on purpose."""

    exit_code = 1

    def __init__(self, problems: Sequence[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DefinitionError(LeadgateError):
    """A definition file is malformed, mistyped, or refers to something that does not exist."""

    exit_code = 3


class ConditionError(DefinitionError):
    """A condition does not parse or does not type-check against the vocabulary."""


class DataError(LeadgateError):
    """A data file (leads, accounts, events, answers) has a row that cannot be accepted."""

    exit_code = 4


class UsageError(LeadgateError):
    """The command was called with options that do not fit together."""

    exit_code = 2
