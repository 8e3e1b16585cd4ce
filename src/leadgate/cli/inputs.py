"""Options shared by the commands that read a definition and data files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from leadgate.cli.errors import err
from leadgate.conditions.check import parse_time
from leadgate.data.intake import Intake, OnError
from leadgate.data.read import Dataset, load_dataset
from leadgate.definition import Definition
from leadgate.errors import UsageError

LeadsOpt = Annotated[Path, typer.Option("--leads", help="leads.csv", exists=False, dir_okay=False)]
AccountsOpt = Annotated[Path | None, typer.Option("--accounts", help="accounts.csv", dir_okay=False)]
EventsOpt = Annotated[Path | None, typer.Option("--events", help="events.jsonl", dir_okay=False)]
AnswersOpt = Annotated[
    Path | None, typer.Option("--answers", help="answers.csv (qualification calls)", dir_okay=False)
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="score as of this date or time (ISO 8601, UTC when no offset); default: now"
    ),
]
OnErrorOpt = Annotated[
    str,
    typer.Option("--on-error", help="fail: stop at the first bad row; skip: set bad rows aside as rejects"),
]
RejectsOpt = Annotated[
    Path, typer.Option("--rejects", help="where skipped rows go, with the reason (with --on-error skip)")
]


def as_of_time(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        return parse_time(text)
    except ValueError:
        raise UsageError(f"--as-of must be an ISO 8601 date or timestamp; got {text!r}") from None


def on_error_policy(text: str) -> OnError:
    if text == "fail":
        return "fail"
    if text == "skip":
        return "skip"
    raise UsageError(f"--on-error must be 'fail' or 'skip'; got {text!r}")


def read_inputs(
    definition: Definition,
    leads: Path,
    accounts: Path | None,
    events: Path | None,
    answers: Path | None,
    on_error: str,
    rejects: Path,
) -> Dataset:
    """Read the data files, report counts and notes on stderr, and write the rejects file if any."""
    intake = Intake(on_error_policy(on_error))
    data = load_dataset(definition, leads, accounts, events, answers, intake)
    report_intake(intake, rejects)
    return data


def report_intake(intake: Intake, rejects: Path) -> None:
    """Counts per file, notes, and the rejects file (written only when there are rejects)."""
    rejected = intake.rejected_by_file()
    for file, accepted in intake.accepted.items():
        extra = f", rejected {rejected[file]:,}" if rejected.get(file) else ""
        err.print(f"read {file}: accepted {accepted:,}{extra}", markup=False)
    for file in rejected:
        if file not in intake.accepted:
            err.print(f"read {file}: accepted 0, rejected {rejected[file]:,}", markup=False)
    for note in intake.notes:
        err.print(f"note: {note}", markup=False)
    if intake.rejects:
        intake.write_rejects(rejects)
        err.print(
            f"{len(intake.rejects):,} rejected rows written to {rejects} with the reason for each",
            markup=False,
        )
