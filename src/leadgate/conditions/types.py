"""Value types of the vocabulary: what a field holds and how conditions may compare it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    ENUM = "enum"
    LIST = "list"


@dataclass(frozen=True)
class ValueType:
    """A field's type. `values` lists the allowed values of an enum, or of a list's items (optional)."""

    kind: Kind
    values: tuple[str, ...] = ()

    @property
    def is_time(self) -> bool:
        return self.kind in (Kind.DATE, Kind.DATETIME)

    @property
    def is_text(self) -> bool:
        return self.kind in (Kind.STRING, Kind.ENUM)

    def describe(self) -> str:
        if self.kind is Kind.ENUM:
            return "one of " + ", ".join(repr(v) for v in self.values)
        if self.kind is Kind.LIST:
            return "a list of text"
        return {
            Kind.STRING: "text",
            Kind.NUMBER: "a number",
            Kind.BOOLEAN: "true or false",
            Kind.DATE: "a date",
            Kind.DATETIME: "a date and time",
        }[self.kind]


STRING = ValueType(Kind.STRING)
NUMBER = ValueType(Kind.NUMBER)
BOOLEAN = ValueType(Kind.BOOLEAN)
DATE = ValueType(Kind.DATE)
DATETIME = ValueType(Kind.DATETIME)
