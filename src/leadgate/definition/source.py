"""Read a definition file (YAML, or JSON) into plain data, remembering where every value stands."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from leadgate.errors import DefinitionError, Problem

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based
    style: str | None  # YAML scalar style: None (plain), "'", '"', "|", ">"


@dataclass(frozen=True)
class Source:
    """A definition document as data, with the position of every key and value."""

    name: str
    data: Any
    marks: dict[Path_, Mark]
    key_marks: dict[Path_, Mark] = field(default_factory=dict)  # where the key of each mapping entry stands
    # For text values whose characters do not sit at "start + offset" (block scalars, values folded over
    # several lines, quoted values with escapes): (line, column) in the value -> (line, column) in the file.
    spans: dict[Path_, dict[tuple[int, int], tuple[int, int]]] = field(default_factory=dict)

    def mark(self, path: Path_) -> Mark | None:
        """The position of `path`, or of its nearest enclosing value that has one."""
        for end in range(len(path), -1, -1):
            found = self.marks.get(tuple(path[:end]))
            if found is not None:
                return found
        return None

    def problem(self, path: Path_, message: str, hint: str | None = None, *, at_key: bool = False) -> Problem:
        """A problem at `path`'s value, or with `at_key`, at its key (e.g. an unknown key)."""
        mark = (self.key_marks.get(path) if at_key else None) or self.mark(path)
        return Problem(
            message,
            file=self.name,
            line=mark.line if mark else None,
            column=mark.column if mark else None,
            path=dotted(path),
            hint=hint,
        )

    def condition_problem(self, path: Path_, problem: Problem) -> Problem:
        """Place a problem found inside a condition's text at its line and column in the file."""
        mark = self.marks.get(path)
        line, column = problem.line or 1, problem.column or 1
        if mark is None:
            return Problem(problem.message, file=self.name, path=dotted(path), hint=problem.hint)
        spans = self.spans.get(path, {})
        after = spans.get(
            (line, column - 1)
        )  # a problem at the end of the text: just after its last character
        found = spans.get((line, column)) or (after and (after[0], after[1] + 1))
        if found:
            file_line, file_column = found
        elif mark.style in ("|", ">"):
            file_line, file_column = mark.line + line, None
        elif line == 1:
            file_line, file_column = mark.line, mark.column + column - 1 + (1 if mark.style else 0)
        else:
            file_line, file_column = mark.line + line - 1, None
        return Problem(
            problem.message,
            file=self.name,
            line=file_line,
            column=file_column,
            path=dotted(path),
            hint=problem.hint,
        )


def dotted(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def read_source(path: Path) -> Source:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError([Problem(f"cannot read the definition: {exc}", file=str(path))]) from None
    return parse_source(text, str(path))


def parse_source(text: str, name: str) -> Source:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"the file is not valid YAML: {exc.problem or exc.context}"
        raise DefinitionError(
            [
                Problem(
                    message,
                    file=name,
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                )
            ]
        ) from None
    finally:
        loader.dispose()
    if node is None:
        raise DefinitionError([Problem("the definition is empty", file=name, line=1)])
    builder = _Builder(name)
    data = builder.build(node, ())
    if builder.problems:
        raise DefinitionError(builder.problems)
    if not isinstance(data, dict):
        raise DefinitionError(
            [Problem("the definition must be a mapping of keys to values", file=name, line=1)]
        )
    return Source(name, data, builder.marks, builder.key_marks, builder.spans)


_UNREADABLE = object()


class _Builder:
    """Plain data from a YAML node tree, recording the position of every value and key."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.marks: dict[Path_, Mark] = {}
        self.key_marks: dict[Path_, Mark] = {}
        self.spans: dict[Path_, dict[tuple[int, int], tuple[int, int]]] = {}
        self.problems: list[Problem] = []
        self.constructor = yaml.SafeLoader("")
        self.open: set[int] = set()  # collections being built: an alias back to one is a cycle

    def build(self, node: yaml.Node, path: Path_) -> Any:
        start = node.start_mark
        self.marks[path] = Mark(start.line + 1, start.column + 1, getattr(node, "style", None))
        if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            value = self.construct(node, path)
            if isinstance(value, str) and isinstance(node, yaml.ScalarNode):
                spans = _spans(node, value)
                if spans:
                    self.spans[path] = spans
            return value
        if id(node) in self.open:
            self.problems.append(
                self.problem(node, "a value must not contain itself (an alias to an enclosing anchor)", path)
            )
            return _UNREADABLE
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            return self.mapping(node, path)
        finally:
            self.open.discard(id(node))

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct(key_node, path)
            if key is _UNREADABLE:
                continue
            if not isinstance(key, str | int | float | bool):
                self.problems.append(self.problem(key_node, "a key must be plain text", path))
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                self.problems.append(
                    self.problem(key_node, f"the key {key!r} appears twice in the same mapping", path)
                )
                continue
            start = key_node.start_mark
            self.key_marks[(*path, key)] = Mark(
                start.line + 1, start.column + 1, getattr(key_node, "style", None)
            )
            out[key] = self.build(value_node, (*path, key))
        return out

    def construct(self, node: yaml.Node, path: Path_) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            # e.g. `2026-02-30` (a date that does not exist), an unknown tag, a `<<` merge key
            self.constructor.recursive_objects.pop(node, None)
            detail = getattr(exc, "problem", None) or str(exc)
            self.problems.append(self.problem(node, f"cannot read this value: {detail}", path))
            return _UNREADABLE

    def problem(self, node: yaml.Node, message: str, path: Path_) -> Problem:
        start = node.start_mark
        return Problem(
            message, file=self.name, line=start.line + 1, column=start.column + 1, path=dotted(path)
        )


_BLANK = " \t\r\n"


def _spans(node: yaml.ScalarNode, value: str) -> dict[tuple[int, int], tuple[int, int]] | None:
    """Where each character of a text value stands in the file, when that is not start + offset.

    The value's characters are matched to the file's text in order: a line break with the blanks around it
    stands for the space (or line break) it was folded into; indentation, escapes and doubled quotes are
    skipped. None for a one-line value without escapes, whose columns are its start plus the offset.
    """
    start, end = node.start_mark, node.end_mark
    if start.buffer is None:
        return None
    raw = start.buffer[start.pointer : end.pointer]
    escaped = (node.style == '"' and "\\" in raw) or (node.style == "'" and "''" in raw)
    if node.style not in ("|", ">") and start.line == end.line and not escaped:
        return None
    i, line, column = 0, start.line + 1, start.column + 1

    def step() -> None:
        nonlocal i, line, column
        line, column = (line + 1, 1) if raw[i] == "\n" else (line, column + 1)
        i += 1

    if node.style in ("|", ">"):
        while i < len(raw) and raw[i] != "\n":  # the block's header: indicator, chomping, comment
            step()
    elif node.style in ("'", '"') and raw:
        step()  # the opening quote
    out: dict[tuple[int, int], tuple[int, int]] = {}
    at, k = (1, 1), 0
    while k < len(value):
        ch = value[k]
        if node.style == '"' and i < len(raw) and raw[i] == "\\":
            if raw[i + 1 : i + 2] in ("\n", "\r"):  # an escaped line break: nothing in the value
                step()
                while i < len(raw) and raw[i] in _BLANK:
                    step()
                continue
            out[at] = (line, column)  # an escape stands for one character
            for _ in range({"x": 4, "u": 6, "U": 10}.get(raw[i + 1 : i + 2], 2)):
                if i < len(raw):
                    step()
        else:
            if i < len(raw) and raw[i] != ch and raw[i] in _BLANK:
                j = i
                while j < len(raw) and raw[j] in _BLANK:
                    j += 1
                folded = ch in " \n" and "\n" in raw[i:j]
                if folded:
                    out[at] = (line, column)
                while i < j:
                    step()
                if not folded:
                    continue  # indentation before the character: match it again
            else:
                while i < len(raw) and raw[i] != ch:  # a doubled quote
                    step()
                out[at] = (line, column)
                if i < len(raw):
                    step()
        at = (at[0] + 1, 1) if ch == "\n" else (at[0], at[1] + 1)
        k += 1
    return out
