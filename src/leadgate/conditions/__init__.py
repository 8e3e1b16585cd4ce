"""The condition language: parsed once into an immutable tree, type-checked against a scope.

`parse` turns text into a tree, `check` types it against the names a rule may use, and
`compile_predicate` turns a checked tree into a Python predicate (the reference semantics).
"""

from leadgate.conditions.check import Scope, check
from leadgate.conditions.parse import parse
from leadgate.conditions.predicate import Predicate, compile_predicate
from leadgate.conditions.tree import And, Condition, Field, Literal, Not, Or, Test
from leadgate.conditions.types import Kind, ValueType

__all__ = [
    "And",
    "Condition",
    "Field",
    "Kind",
    "Literal",
    "Not",
    "Or",
    "Predicate",
    "Scope",
    "Test",
    "ValueType",
    "check",
    "compile_predicate",
    "parse",
]
