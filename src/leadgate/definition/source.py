"""Read a definition file (YAML, or JSON) into plain data, remembering where every value stands."""

from __future__ import annotations

from dataclasses import dataclass
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

    def mark(self, path: Path_) -> Mark | None:
        """The position of `path`, or of its nearest enclosing value that has one."""
        for end in range(len(path), -1, -1):
            found = self.marks.get(tuple(path[:end]))
            if found is not None:
                return found
        return None

    def problem(self, path: Path_, message: str, hint: str | None = None) -> Problem:
        mark = self.mark(path)
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
        if mark.style in ("|", ">"):
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
    marks: dict[Path_, Mark] = {}
    problems: list[Problem] = []
    data = _build(node, (), marks, problems, name, yaml.SafeLoader(""))
    if problems:
        raise DefinitionError(problems)
    if not isinstance(data, dict):
        raise DefinitionError([Problem("the definition must be a mapping of keys to values", file=name, line=1)])
    return Source(name, data, marks)


def _build(
    node: yaml.Node,
    path: Path_,
    marks: dict[Path_, Mark],
    problems: list[Problem],
    name: str,
    constructor: yaml.SafeLoader,
) -> Any:
    start = node.start_mark
    marks[path] = Mark(start.line + 1, start.column + 1, getattr(node, "style", None))
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                problems.append(Problem("a key must be plain text", file=name, line=key_node.start_mark.line + 1))
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                problems.append(
                    Problem(
                        f"the key {key!r} appears twice in the same mapping",
                        file=name,
                        line=key_node.start_mark.line + 1,
                        column=key_node.start_mark.column + 1,
                        path=dotted(path),
                    )
                )
                continue
            out[key] = _build(value_node, (*path, key), marks, problems, name, constructor)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), marks, problems, name, constructor) for i, item in enumerate(node.value)]
    return constructor.construct_object(node, deep=True)
