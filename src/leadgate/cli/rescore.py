"""`leadgate rescore`: score every lead inside an engine (DuckDB by default, or SQLite, PostgreSQL, Spark)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from leadgate.batch.engine import ENGINES
from leadgate.batch.run import Inputs, Summary, rescore_files
from leadgate.cli.errors import err
from leadgate.cli.inputs import AsOfOpt, OnErrorOpt, RejectsOpt, as_of_time, on_error_policy, report_intake
from leadgate.cli.output import step_spinner
from leadgate.data.intake import Intake
from leadgate.definition import load_definition
from leadgate.errors import UsageError

FileOpt = Annotated[Path | None, typer.Option(dir_okay=False)]


def rescore_command(
    definition: Annotated[
        Path | None,
        typer.Argument(
            help="the definition file (YAML or JSON); with --engine db, default: the active version"
        ),
    ] = None,
    leads: Annotated[
        Path | None, typer.Option("--leads", help="leads: .csv, .jsonl or .parquet", dir_okay=False)
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="where the scores go: .parquet or .csv", dir_okay=False)
    ] = Path("scores.parquet"),
    events: Annotated[
        Path | None, typer.Option("--events", help="events: .jsonl or .parquet", dir_okay=False)
    ] = None,
    accounts: Annotated[
        Path | None, typer.Option("--accounts", help="accounts: .csv, .jsonl or .parquet")
    ] = None,
    answers: Annotated[
        Path | None, typer.Option("--answers", help="call answers: .csv, .jsonl or .parquet")
    ] = None,
    as_of: AsOfOpt = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine", help="duckdb (default), sqlite, postgres, spark, or db (read the service's store)"
        ),
    ] = "duckdb",
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="sqlite or postgres: the database to score in; db: the store (default LEADGATE_DATABASE_URL)",
        ),
    ] = None,
    workspace: Annotated[str, typer.Option("--workspace", help="db: the store's workspace")] = "default",
    master: Annotated[
        str, typer.Option("--master", help="spark: the master (local[1] by default)")
    ] = "local[1]",
    trace_out: Annotated[
        Path | None, typer.Option("--trace-out", help="every rule's contribution: .parquet or .csv")
    ] = None,
    memory_limit: Annotated[
        str, typer.Option("--memory-limit", help="DuckDB's memory limit; past it, it spills to disk")
    ] = "4GB",
    on_error: OnErrorOpt = "fail",
    rejects: RejectsOpt = Path("leadgate-rejects.csv"),
) -> None:
    """Rescore every lead inside a database engine; write the scores (and the trace) to files."""
    if engine == "db":
        rescore_from_store(definition, database_url, workspace, as_of, out, trace_out, memory_limit)
        return
    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, db; got {engine!r}")
    if definition is None or leads is None:
        raise UsageError(
            "give the definition file and --leads (or read the service's store with --engine db)"
        )
    loaded = load_definition(definition)
    moment = as_of_time(as_of)
    intake = Intake(on_error_policy(on_error))
    with step_spinner(err) as progress:
        task = progress.add_task("starting", total=None)
        summary, intake = rescore_files(
            loaded, Inputs(leads, events, accounts, answers), moment, out, trace_out, engine, intake, database_url,
            master, step=lambda name: progress.update(task, description=name), memory_limit=memory_limit,
        )  # fmt: skip
    report(summary, intake, rejects, engine, out, trace_out)


def rescore_from_store(
    definition: Path | None,
    database_url: str | None,
    workspace: str,
    as_of: str | None,
    out: Path,
    trace_out: Path | None,
    memory_limit: str,
) -> None:
    """`--engine db`: every lead of the store's workspace, with the given definition or the active one."""
    from leadgate.batch.run import rescore_store
    from leadgate.service.store import default_url, open_store
    from leadgate.service.versions import active_definition
    from leadgate.service.workspace import DefinitionCache, find_workspace

    url = database_url or default_url()
    if definition is not None:
        loaded = load_definition(definition)
    else:
        store = open_store(url, migrate=False)
        with store.reading() as session:
            found = active_definition(session, find_workspace(session, workspace), DefinitionCache())
        store.close()
        if found is None:
            raise UsageError(f"workspace {workspace!r} has no active definition: give a definition file")
        loaded = found
    with step_spinner(err) as progress:
        task = progress.add_task("starting", total=None)
        summary = rescore_store(
            loaded, url, workspace, as_of_time(as_of), out, trace_out,
            step=lambda name: progress.update(task, description=name), memory_limit=memory_limit,
        )  # fmt: skip
    report(summary, Intake(), Path("leadgate-rejects.csv"), f"duckdb, from the store {url}", out, trace_out)


def report(
    summary: Summary, intake: Intake, rejects: Path, engine: str, out: Path, trace_out: Path | None
) -> None:
    report_intake(intake, rejects)
    table = Table(title=f"Rescored {summary.leads:,} leads on {engine}", show_edge=False)
    table.add_column("stage")
    table.add_column("leads", justify="right")
    table.add_column("grade")
    table.add_column("leads", justify="right")
    stages = sorted(summary.by_stage.items(), key=lambda kv: -kv[1])
    grades = sorted(summary.by_grade.items())
    for i in range(max(len(stages), len(grades))):
        s = stages[i] if i < len(stages) else ("", None)
        g = grades[i] if i < len(grades) else ("", None)
        table.add_row(
            s[0], f"{s[1]:,}" if s[1] is not None else "", g[0], f"{g[1]:,}" if g[1] is not None else ""
        )
    Console(stderr=True, highlight=False).print(table)
    seconds = summary.seconds
    err.print(
        f"read {seconds.get('read', 0):.1f} s, scored {seconds.get('score', 0):.1f} s, wrote "
        f"{seconds.get('write', 0):.1f} s; scores in {out}"
        + (f", trace in {trace_out}" if trace_out else ""),
        markup=False,
    )
