"""Writing scored leads: a table for people, CSV and JSON Lines for tools."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable
from typing import TextIO

import orjson
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from leadgate.points import show
from leadgate.scoring import LeadScore

FORMATS = ("table", "csv", "jsonl")
CSV_COLUMNS = (
    "lead_id",
    "account_id",
    "score",
    "fit",
    "grade",
    "engagement",
    "criteria",
    "criteria_met",
    "criteria_passed",
    "persona",
    "disqualified",
    "fast_track",
    "stage",
    "reasons",
)


def counting_bar(label: str, console: Console) -> Progress:
    """A bar of items done (of the total, when known) with the time taken, gone when it ends."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def step_spinner(console: Console) -> Progress:
    """A spinner naming the step under way (the task's description), with the time taken."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def write_jsonl(scores: Iterable[LeadScore], out: TextIO | None = None) -> int:
    out = out or sys.stdout
    n = 0
    for score in scores:
        out.write(orjson.dumps(score.as_dict()).decode())
        out.write("\n")
        n += 1
    return n


def write_csv(scores: Iterable[LeadScore], out: TextIO | None = None, explain: bool = False) -> int:
    writer = csv.writer(out or sys.stdout, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, *(("trace",) if explain else ())])
    n = 0
    for s in scores:
        row = [
            s.lead_id,
            s.account_id or "",
            _num(s.score),
            _num(s.fit),
            s.grade,
            _num(s.engagement),
            _num(s.criteria),
            ";".join(s.criteria_met),
            str(s.criteria_passed).lower(),
            s.persona,
            str(s.disqualified).lower(),
            s.fast_track or "",
            s.stage,
            " | ".join(s.reasons),
        ]
        if explain:
            row.append(orjson.dumps([c.as_dict() for c in s.trace]).decode())
        writer.writerow(row)
        n += 1
    return n


def _num(points: float) -> str:
    return repr(points) if not points.is_integer() else str(int(points))


def score_table(scores: list[LeadScore], explain: bool = False, title: str | None = None) -> Table:
    table = Table(title=title, show_lines=explain)
    for column, justify in (
        ("lead", "left"),
        ("stage", "left"),
        ("score", "right"),
        ("fit", "right"),
        ("grade", "center"),
        ("engagement", "right"),
        ("criteria", "right"),
        ("persona", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_column("why" if not explain else "trace", overflow="fold")
    for s in scores:
        if explain:
            why = "\n".join(f"{c.kind:<14} {_signed(c.points):>8}  {c.reason}" for c in s.trace)
        else:
            why = "; ".join(s.reasons[:2])
        table.add_row(
            s.lead_id,
            s.stage,
            show(s.score),
            show(s.fit),
            s.grade,
            show(s.engagement),
            show(s.criteria),
            s.persona,
            why,
        )
    return table


def _signed(points: float) -> str:
    return ("+" if points > 0 else "") + show(points)


def print_table(
    scores: list[LeadScore], console: Console, explain: bool = False, title: str | None = None
) -> None:
    console.print(score_table(scores, explain, title))
