"""Text -> condition tree, with Lark (LALR). No eval: the grammar is the whole language."""

from __future__ import annotations

from functools import lru_cache

from lark import (
    Lark,
    Token,
    Transformer,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    v_args,
)

from leadgate.conditions.tree import And, Condition, Field, Literal, Not, Operand, Or, Test
from leadgate.errors import ConditionError, Problem

GRAMMAR = r"""
?start: disjunction
?disjunction: conjunction
            | disjunction "or"i conjunction        -> or_
?conjunction: negation
            | conjunction "and"i negation          -> and_
?negation: "not"i negation                         -> not_
         | "(" disjunction ")"
         | test
test: field tail                                   -> simple
    | quantifier field tail                        -> quantified
    | field                                        -> truthy
tail: COMP operand                                 -> t_compare
    | "in"i list_value                             -> t_in
    | "not"i "in"i list_value                      -> t_not_in
    | "between"i operand "and"i operand            -> t_between
    | "contains"i operand                          -> t_contains
    | "starts"i "with"i operand                    -> t_starts
    | "ends"i "with"i operand                      -> t_ends
    | "is"i "missing"i                             -> t_missing
    | "is"i "not"i "missing"i                      -> t_not_missing
    | "within"i NUMBER "days"i                     -> t_within
?operand: field | literal
literal: STRING                                    -> string
       | NUMBER                                    -> number
       | "true"i                                   -> true
       | "false"i                                  -> false
list_value: "[" [literal ("," literal)*] "]"        -> items
          | "@" NAME                               -> named_list
field: NAME ("." NAME)*
quantifier: ANY | ALL
ANY: "any"i
ALL: "all"i
COMP: "==" | "!=" | "<=" | ">=" | "<" | ">" | "="
NAME: /[A-Za-z_][A-Za-z0-9_]*/
STRING: /'[^'\n]*'/ | /"[^"\n]*"/
NUMBER: /-?[0-9]+(\.[0-9]+)?/
%ignore /[ \t\r\n]+/
"""

_TERMINAL_WORDS = {
    "NAME": "a field name",
    "STRING": "quoted text",
    "NUMBER": "a number",
    "COMP": "a comparison (==, !=, <, <=, >, >=)",
    "ANY": "'any'",
    "ALL": "'all'",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "AT": "'@'",
    "DOT": "'.'",
    "$END": "the end of the condition",
}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def _pos(token: Token) -> tuple[int, int]:
    return (token.line or 1, token.column or 1)


@v_args(inline=True)
class _ToTree(Transformer[Token, Condition]):
    # Both sides are flattened, so `a or (b or c)` is the same tree as `a or b or c` (and `render`
    # round-trips: it writes nested disjunctions and conjunctions without parentheses).
    def or_(self, left: Condition, right: Condition) -> Or:
        return Or(_flat(left, Or) + _flat(right, Or))

    def and_(self, left: Condition, right: Condition) -> And:
        return And(_flat(left, And) + _flat(right, And))

    def not_(self, item: Condition) -> Not:
        return Not(item)

    def field(self, *names: Token) -> Field:
        return Field(".".join(str(n) for n in names), _pos(names[0]))

    def string(self, token: Token) -> Literal:
        return Literal(str(token)[1:-1], _pos(token))

    def number(self, token: Token) -> Literal:
        return Literal(float(token), _pos(token))

    def true(self) -> Literal:
        return Literal(True)

    def false(self) -> Literal:
        return Literal(False)

    def items(self, *literals: Literal) -> tuple[tuple[Literal, ...], None]:
        return (literals, None)

    def named_list(self, name: Token) -> tuple[tuple[Literal, ...], str]:
        return ((), str(name))

    def t_compare(self, comp: Token, operand: Operand) -> tuple[str, tuple[Operand, ...], None]:
        op = "==" if str(comp) == "=" else str(comp)
        return (op, (operand,), None)

    def t_in(
        self, values: tuple[tuple[Literal, ...], str | None]
    ) -> tuple[str, tuple[Operand, ...], str | None]:
        return ("in", values[0], values[1])

    def t_not_in(
        self, values: tuple[tuple[Literal, ...], str | None]
    ) -> tuple[str, tuple[Operand, ...], str | None]:
        return ("not in", values[0], values[1])

    def t_between(self, low: Operand, high: Operand) -> tuple[str, tuple[Operand, ...], None]:
        return ("between", (low, high), None)

    def t_contains(self, operand: Operand) -> tuple[str, tuple[Operand, ...], None]:
        return ("contains", (operand,), None)

    def t_starts(self, operand: Operand) -> tuple[str, tuple[Operand, ...], None]:
        return ("starts with", (operand,), None)

    def t_ends(self, operand: Operand) -> tuple[str, tuple[Operand, ...], None]:
        return ("ends with", (operand,), None)

    def t_missing(self) -> tuple[str, tuple[Operand, ...], None]:
        return ("is missing", (), None)

    def t_not_missing(self) -> tuple[str, tuple[Operand, ...], None]:
        return ("is not missing", (), None)

    def t_within(self, days: Token) -> tuple[str, tuple[Operand, ...], None]:
        return ("within days", (Literal(float(days), _pos(days)),), None)

    def simple(self, field: Field, tail: tuple[str, tuple[Operand, ...], str | None]) -> Test:
        op, args, list_name = tail
        return Test(op, field, args, None, list_name, field.pos)

    def quantifier(self, token: Token) -> Token:
        return token

    def quantified(
        self, quant: Token, field: Field, tail: tuple[str, tuple[Operand, ...], str | None]
    ) -> Test:
        op, args, list_name = tail
        return Test(op, field, args, str(quant).lower(), list_name, _pos(quant))

    def truthy(self, field: Field) -> Test:
        return Test("is true", field, (), None, None, field.pos)


def _flat(condition: Condition, kind: type[And] | type[Or]) -> tuple[Condition, ...]:
    return condition.items if isinstance(condition, kind) else (condition,)


def parse(text: str) -> Condition:
    """Parse a condition; raise ConditionError with the line and column of what went wrong."""
    if not text or not text.strip():
        raise ConditionError([Problem("a condition must not be empty", line=1, column=1)])
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise ConditionError([_syntax_problem(text, exc)]) from None
    result = _ToTree().transform(tree)
    if isinstance(result, Test | And | Or | Not):
        return result
    raise ConditionError([Problem(f"not a condition: {text!r}", line=1, column=1)])  # pragma: no cover


def _syntax_problem(text: str, exc: UnexpectedInput) -> Problem:
    line, column = exc.line, exc.column
    token = getattr(exc, "token", None)
    if isinstance(exc, UnexpectedEOF) or line in (None, -1) or (token is not None and token.type == "$END"):
        # Lark places an unexpected end at the last token; the problem is after it.
        lines = text.rstrip().split("\n")
        line, column = len(lines), len(lines[-1]) + 1
        found = "the end of the condition"
    elif isinstance(exc, UnexpectedCharacters):
        found = repr(text.split("\n")[line - 1][column - 1 :][:12])  # Lark counts lines by "\n" only
    else:
        found = repr(str(token)) if token is not None and str(token) else "the end of the condition"
    # `accepts` (what the parser can really take here) is exact; `expected` is the LALR state's
    # lookahead set, which can list tokens only valid elsewhere (e.g. ',' after `a == 1`).
    accepts = getattr(exc, "accepts", None) if isinstance(exc, UnexpectedToken) else None
    terminals = accepts or getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ()
    expected = sorted({_word(t) for t in terminals})
    message = f"cannot read the condition here: found {found}"
    if expected:
        message += "; expected " + ", ".join(expected[:16])
    return Problem(message, line=line, column=column)


def _word(terminal: str) -> str:
    if terminal in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[terminal]
    pattern = _parser().get_terminal(terminal).pattern
    return repr(pattern.value) if pattern.type == "str" else terminal
