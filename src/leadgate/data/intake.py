"""What happens to a row that cannot be accepted: stop with an error, or set it aside as a reject.

Nothing is dropped silently: with `fail` (the default) the first bad row stops the run with its file,
line, field, what was expected and what was found; with `skip` every bad row is kept as a reject with
the same facts, counted, and written to a rejects file by the caller.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from leadgate.errors import DataError, Problem

OnError = Literal["fail", "skip"]


@dataclass(frozen=True)
class Reject:
    file: str
    line: int
    field: str | None
    message: str
    row: str


@dataclass
class Intake:
    on_error: OnError = "fail"
    rejects: list[Reject] = field(default_factory=list)
    accepted: Counter[str] = field(default_factory=Counter)  # rows accepted, by file
    notes: list[str] = field(default_factory=list)  # things worth knowing that are not errors

    def reject(self, file: str, line: int, fld: str | None, message: str, row: str) -> None:
        if self.on_error == "fail":
            raise DataError(
                [
                    Problem(
                        message,
                        file=file,
                        line=line,
                        path=fld,
                        hint="fix the row, or run with --on-error skip to set bad rows aside",
                    )
                ]
            )
        self.rejects.append(Reject(file, line, fld, message, row[:2000]))

    def rejected_by_file(self) -> Counter[str]:
        return Counter(r.file for r in self.rejects)

    def write_rejects(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["file", "line", "field", "error", "row"])
            for r in self.rejects:
                writer.writerow([r.file, r.line, r.field or "", r.message, r.row])
