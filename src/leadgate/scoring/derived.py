"""What scoring derives from a loaded definition once (a plan, reasons written), kept while it lives."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from leadgate.definition import Definition

T = TypeVar("T")


class PerDefinition(Generic[T]):
    """`make(definition)`, once per definition. Looked up by the definition's identity: a weak-keyed
    dictionary's lookup, made on every lead scored, costs more than some of what it spares."""

    def __init__(self, make: Callable[[Definition], T]) -> None:
        self._make = make
        self._found: dict[int, tuple[weakref.ref[Definition], T]] = {}

    def __call__(self, definition: Definition) -> T:
        key = id(definition)
        found = self._found.get(key)
        if found is not None and found[0]() is definition:
            return found[1]
        value = self._make(definition)
        self._found[key] = (weakref.ref(definition, lambda _gone: self._found.pop(key, None)), value)
        return value
