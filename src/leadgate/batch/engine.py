"""Engines: connect to DuckDB, SQLite, PostgreSQL or Spark through Ibis, load the layout's tables, run.

DuckDB (in memory) is the default. Every engine runs the same compiled expression.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from leadgate.batch.compile import Checkpoint, Compiled, Tables, compile_definition
from leadgate.definition import Definition
from leadgate.errors import UsageError

ENGINES = ("duckdb", "sqlite", "postgres", "spark")


def connect(engine: str, url: str | None = None, master: str = "local[1]") -> Any:
    """An Ibis backend. `url`: a database URL for sqlite/postgres; `master`: Spark's master."""
    if engine == "duckdb":
        return ibis.duckdb.connect(url or ":memory:")
    if engine == "sqlite":
        return ibis.sqlite.connect(url or ":memory:")
    if engine == "postgres":
        return ibis.connect(url or "postgres://postgres@127.0.0.1:5432/test")
    if engine == "spark":
        from pyspark.sql import SparkSession

        session = (
            SparkSession.builder.master(master)
            .appName("leadgate")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="leadgate-spark-"))
            .getOrCreate()
        )
        return ibis.pyspark.connect(session)
    raise UsageError(f"the engine must be one of {', '.join(ENGINES)}; got {engine!r}")


def load_tables(con: Any, tables: Mapping[str, pa.Table], prefix: str = "leadgate_") -> Tables:
    """Create the layout's tables in the engine (replacing tables of the same names)."""
    if con.name == "pyspark":  # temporary views, not managed tables in a warehouse directory
        made = {}
        for name, table in tables.items():
            view = f"{prefix}{name}"
            con._session.createDataFrame(table, schema=_spark_schema(table)).createOrReplaceTempView(view)
            made[name] = con.table(view)
    else:
        made = {
            name: con.create_table(f"{prefix}{name}", table, overwrite=True) for name, table in tables.items()
        }
    return Tables(made["leads"], made["accounts"], made["events"], made["calls"], made["answers"])


def checkpoint_in(con: Any) -> Checkpoint:
    """Materialise a step inside the engine: a temporary table, or on Spark a cached temporary view."""

    def checkpoint(table: Any, name: str) -> Any:
        step = f"leadgate_step_{name}"
        if con.name == "pyspark":  # no temporary tables in ibis's pyspark backend
            frame = con._session.sql(con.compile(table)).cache()
            frame.createOrReplaceTempView(step)
            return con.table(step)
        return con.create_table(step, table, temp=True, overwrite=True)

    return checkpoint


@dataclass(frozen=True)
class BatchResult:
    results: pd.DataFrame
    trace: pd.DataFrame


def rescore(definition: Definition, con: Any, tables: Tables, as_of: datetime) -> BatchResult:
    """Run the compiled definition in the engine and fetch the results and the trace."""

    compiled: Compiled = compile_definition(definition, tables, as_of, checkpoint_in(con))
    results = con.execute(compiled.results)
    results["criteria_met"] = results["criteria_met"].map(_items)
    trace = con.execute(compiled.trace)
    return BatchResult(results, trace)


def _items(joined: str | None) -> list[str]:
    return joined.split(";") if joined else []


def _spark_schema(table: pa.Table) -> str:
    """A Spark DDL schema for a layout table (so empty tables keep their types)."""
    names = {pa.string(): "string", pa.float64(): "double", pa.bool_(): "boolean", pa.int64(): "bigint"}
    return ", ".join(f"`{f.name}` {names[f.type]}" for f in table.schema)
