"""Rescore files end to end: read them in DuckDB, score on the chosen engine, write the results."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import ibis

from leadgate.batch.compile import Checkpoint, Tables, compile_definition
from leadgate.batch.engine import checkpoint_in, connect, load_tables
from leadgate.batch.files import load_files
from leadgate.batch.store import layout_from_store, read_store
from leadgate.data.intake import Intake
from leadgate.definition import Definition
from leadgate.errors import UsageError

OUTPUTS = (".parquet", ".csv")
TABLES = ("leads", "accounts", "events", "calls", "answers")


@dataclass(frozen=True)
class Inputs:
    leads: Path
    events: Path | None = None
    accounts: Path | None = None
    answers: Path | None = None


@dataclass
class Summary:
    leads: int = 0
    by_stage: dict[str, int] = field(default_factory=dict)
    by_grade: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # per step: read, score, write


def _check_output(path: Path | None, what: str) -> None:
    if path is not None and path.suffix.lower() not in OUTPUTS:
        raise UsageError(f"{what} must end in .parquet or .csv; got {path.name!r}")


def rescore_files(
    definition: Definition,
    inputs: Inputs,
    as_of: datetime,
    out: Path,
    trace_out: Path | None = None,
    engine: str = "duckdb",
    intake: Intake | None = None,
    database_url: str | None = None,
    master: str = "local[1]",
    step: Callable[[str], None] = lambda _name: None,
    memory_limit: str = "4GB",
) -> tuple[Summary, Intake]:
    """Read, score and write. `step(name)` is called as each step starts (for a progress display)."""
    _check_output(out, "--out")
    _check_output(trace_out, "--trace-out")
    summary = Summary()
    started = time.perf_counter()
    step("reading the files")
    files, spill = _duckdb(memory_limit)
    loaded, intake = load_files(
        files.con, definition, inputs.leads, inputs.accounts, inputs.events, inputs.answers, intake
    )
    if engine == "duckdb":
        con: Any = files
        tables = Tables(*(files.table(loaded.tables[name]) for name in TABLES))
    else:
        step(f"loading the tables into {engine}")
        con = connect(engine, database_url, master)
        arrow = {name: files.con.table(loaded.tables[name]).to_arrow_table() for name in TABLES}
        tables = load_tables(con, arrow)
    summary.seconds["read"] = time.perf_counter() - started

    score_and_write(con, engine, definition, tables, as_of, out, trace_out, summary, step)
    files.disconnect()
    spill.cleanup()
    return summary, intake


def rescore_store(
    definition: Definition,
    url: str,
    workspace: str,
    as_of: datetime,
    out: Path,
    trace_out: Path | None = None,
    step: Callable[[str], None] = lambda _name: None,
    memory_limit: str = "4GB",
) -> Summary:
    """`--engine db`: read the service's store through Ibis, score in DuckDB, write the files."""
    _check_output(out, "--out")
    _check_output(trace_out, "--trace-out")
    summary = Summary()
    started = time.perf_counter()
    step("reading the store")
    con, spill = _duckdb(memory_limit)
    tables = layout_from_store(con, definition, read_store(url, workspace, definition.event_types))
    summary.seconds["read"] = time.perf_counter() - started
    score_and_write(con, "duckdb", definition, tables, as_of, out, trace_out, summary, step)
    con.disconnect()
    spill.cleanup()
    return summary


def _duckdb(memory_limit: str) -> tuple[Any, tempfile.TemporaryDirectory[str]]:
    """An in-memory DuckDB that spills to a temporary directory (removed by the caller) past the limit:
    by default DuckDB would cache up to 80 % of the machine's memory."""
    con = ibis.duckdb.connect()
    con.con.execute("SET memory_limit = ?", [memory_limit])
    spill = tempfile.TemporaryDirectory(prefix="leadgate-duckdb-")
    con.con.execute("SET temp_directory = ?", [spill.name])
    return con, spill


def score_and_write(
    con: Any,
    engine: str,
    definition: Definition,
    tables: Tables,
    as_of: datetime,
    out: Path,
    trace_out: Path | None,
    summary: Summary,
    step: Callable[[str], None],
) -> None:
    """Score in the engine, count by stage and grade into `summary`, and write the files."""
    step(f"scoring on {engine}")
    started = time.perf_counter()
    checkpoint = scoring_checkpoint(con, engine, trace=trace_out is not None)
    compiled = compile_definition(definition, tables, as_of, checkpoint)
    results = checkpoint(compiled.results, "results")
    counts = con.execute(results.group_by(["stage", "grade"]).aggregate(n=results.count()))
    for row in counts.to_dict("records"):
        summary.by_stage[row["stage"]] = summary.by_stage.get(row["stage"], 0) + int(row["n"])
        summary.by_grade[row["grade"]] = summary.by_grade.get(row["grade"], 0) + int(row["n"])
    summary.leads = sum(summary.by_stage.values())
    summary.seconds["score"] = time.perf_counter() - started
    step("writing the results")
    started = time.perf_counter()
    _write(con, results, out)
    if trace_out is not None:
        _write(con, compiled.trace, trace_out)
    summary.seconds["write"] = time.perf_counter() - started


def scoring_checkpoint(con: Any, engine: str, trace: bool) -> Checkpoint:
    """Which steps of the compiled definition are materialised. Every step, except on DuckDB without a
    trace: there the scores are one query, and only the results are kept (they are counted, then written).
    The steps in between (a row per lead with every field and flag, a row per lead and engagement rule) are
    used again only by the trace; DuckDB pipelines them instead of writing them out."""
    checkpoint = checkpoint_in(con)
    if engine != "duckdb" or trace:
        return checkpoint

    def results_only(table: Any, name: str) -> Any:
        return checkpoint(table, name) if name == "results" else table

    return results_only


def _write(con: Any, table: Any, path: Path) -> None:
    if path.suffix.lower() == ".parquet":
        con.to_parquet(table, path)
    else:
        con.to_csv(table, path)
