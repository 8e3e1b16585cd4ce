"""`leadgate import leads|accounts|events|calls FILE`: CRM exports and event files into the store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leadgate.cli.errors import err
from leadgate.cli.inputs import OnErrorOpt, RejectsOpt, on_error_policy, report_intake
from leadgate.cli.output import counting_bar
from leadgate.cli.service import DatabaseUrl, WorkspaceName
from leadgate.data.intake import Intake
from leadgate.errors import UsageError
from leadgate.service.store import open_store
from leadgate.service.workspace import DEFAULT_WORKSPACE

if TYPE_CHECKING:
    from leadgate.service.importing import ImportSummary


def import_command(
    kind: Annotated[str, typer.Argument(help="leads | accounts | events | calls")],
    file: Annotated[Path, typer.Argument(help="a CSV or JSON Lines file", dir_okay=False)],
    mapping: Annotated[
        str | None,
        typer.Option(
            "--mapping",
            help="hubspot | salesforce | a mapping file (YAML); default: the columns carry leadgate's names",
        ),
    ] = None,
    on_error: OnErrorOpt = "fail",
    rejects: RejectsOpt = Path("rejects.csv"),
    workspace: WorkspaceName = DEFAULT_WORKSPACE,
    database_url: DatabaseUrl = None,
) -> None:
    """Import a file through the service's ingestion: every row stored is re-scored at once."""
    from leadgate.service.importing import import_file
    from leadgate.service.mapping import KINDS, load_mapping

    if kind not in KINDS:
        raise UsageError(f"the kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if not file.is_file():
        raise UsageError(f"{file}: no such file")
    rows = _count_rows(file)
    intake = Intake(on_error_policy(on_error))
    loaded = load_mapping(mapping, kind)  # a bad mapping stops here, before the store is opened
    store = open_store(database_url)
    with counting_bar(f"importing {kind}", err) as bar:
        task = bar.add_task(kind, total=rows)
        summary = import_file(
            store,
            workspace,
            loaded,
            file,
            intake,
            progress=lambda n: bar.advance(task, n),
        )
    report_intake(intake, rejects)
    err.print(f"imported {kind} from {file}: {stored(summary)}", markup=False)


def stored(summary: ImportSummary) -> str:
    """What an import stored, each count named for what it counts (rejected: rows of the file)."""
    rescored = f"re-scored {summary.leads_rescored:,} leads"
    if summary.kind == "events":
        return (
            f"stored {summary.stored:,} new events, duplicates {summary.duplicates:,}, rejected "
            f"{summary.rejected:,}; created {summary.leads_created:,} leads for events of unknown leads; {rescored}"
        )
    if summary.kind == "calls":
        return f"stored {summary.stored:,} calls, rejected {summary.rejected:,}; {rescored}"
    updated = summary.stored - summary.created
    return (
        f"stored {summary.stored:,} ({summary.created:,} new, {updated:,} updated), "
        f"rejected {summary.rejected:,}; {rescored}"
    )


def _count_rows(path: Path) -> int:
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return max(lines - 1, 0) if path.suffix.lower() == ".csv" else lines
