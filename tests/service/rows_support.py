"""Helpers for the tests of reading import files (`leadgate.service.mapping`, `leadgate.service.rows`)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from leadgate.data.intake import Intake
from leadgate.definition import Definition
from leadgate.service.mapping import load_mapping
from leadgate.service.rows import Imported, read_payloads


def write(directory: Path, name: str, text: str, bom: bool = False) -> Path:
    path = directory / name
    path.write_text(("\ufeff" if bom else "") + textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def read(
    path: Path, kind: str, definition: Definition, mapping: str | Path | None = None, on_error: str = "skip"
) -> tuple[list[Imported], Intake]:
    intake = Intake("skip" if on_error == "skip" else "fail")
    items = list(read_payloads(path, load_mapping(mapping, kind), definition, intake))
    return items, intake


def data_rows(path: Path) -> int:
    lines = [line for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    return len(lines) - (1 if path.suffix == ".csv" else 0)


def nothing_dropped(items: list[Imported], intake: Intake, path: Path) -> None:
    assert sum(i.rows for i in items) + len(intake.rejects) == data_rows(path)


def rejects(intake: Intake) -> list[tuple[int, str | None]]:
    return [(r.line, r.field) for r in intake.rejects]
