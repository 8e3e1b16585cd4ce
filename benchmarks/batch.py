"""Benchmark: `leadgate rescore` on DuckDB over 1M leads and 20M events, against a floor and the alternatives.

    python benchmarks/batch.py [--leads 1000000] [--events 20000000] [--cache-dir benchmarks/.cache]
                               [--repeat 1] [--skip-pandas] [--skip-spark] [--skip-trace] [--profile]
                               [--json out.json]

What it measures, in one run, with benchmarks/batch-definition.yaml (42 rules) as of the generator's
DEFAULT_END:
1. data: `leadgate.data.generate.generate` writes --leads leads with about --events events (a pilot of
   50,000 leads measures the generator's mean at the requested events per lead, which falls slightly
   short, and the full run asks for correspondingly more; if it still falls short it is run again), then
   DuckDB converts the files to Parquet (`time` as TIMESTAMPTZ, `properties` as JSON text, lists as
   `;`-separated text). Everything is cached under the cache dir. The smaller sizes (--events / 10 and
   / 4: 2M and 5M) are the first N leads of the same data, N the fewest whose events reach the size;
2. at each size: the floor (a bare DuckDB `GROUP BY lead_id` summing a points column over the same events
   Parquet, written to Parquet; best of 3), `leadgate rescore` on DuckDB (subprocess under
   /usr/bin/time -v: wall time, peak RSS) and a hand-written vectorised pandas version of the same
   definition (subprocess, same measures). pandas is not run at a size where it would not fit in memory
   (estimated from the size before) or after a run past an hour; its figure there is extrapolated
   linearly in events from the largest size it ran, and marked so;
3. at the largest size, `leadgate rescore --trace-out` as well (the trace costs extra);
4. the reference evaluator (`score_leads`, in this process) on the first 10,000 leads, read with
   `load_dataset`; only `score_leads` is timed, and extrapolated linearly to all the leads;
5. `leadgate rescore --engine spark --master local[2]` on the first 10 % of the leads (wall time);
6. checks: on the first 10,000 leads, `leadgate rescore`, the pandas version and the reference evaluator
   against each other; at the largest size, rescore against pandas on every lead; Spark against pandas on
   its sample. A check compares every lead's score, fit, engagement and criteria (to 1e-6) and its
   grade, stage, persona, disqualified, fast_track and criteria_passed (equal);
7. with --profile, at the largest size and in this process: the time of each SQL statement of rescore's
   file loader and of each step of the compiled definition (from leadgate.batch's internals).
It prints a Markdown table and, with --json, writes every figure to a JSON file. The pandas version runs
as `python benchmarks/batch.py --pandas-worker DATA_DIR OUT.parquet`.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import environment
import numpy as np
import orjson
import pandas as pd
from environment import git_state

from leadgate.data.generate import DEFAULT_END, GENERATOR_VERSION, generate

ROOT = Path(__file__).resolve().parents[1]
DEFINITION = ROOT / "benchmarks" / "batch-definition.yaml"
SEED = 0
DATA_FORMAT = "2"  # bump when the cached layout changes
PILOT_LEADS = 50_000
SAMPLE_LEADS = 10_000  # reference evaluator and the checks
SPARK_FRACTION = 0.10
SPARK_MASTER = "local[2]"
FLOOR_RUNS = 3
PANDAS_TIMEOUT_S = 3600.0
RESCORE_TIMEOUT_S = 3 * 3600.0
TOLERANCE = 1e-6
PROFILE_MEMORY_LIMIT = "4GB"  # leadgate rescore's default --memory-limit
TARGET_FLOOR_RATIO = 3.0  # rescore within 3x the floor
TARGET_PANDAS_SPEEDUP = 10.0  # rescore at least 10x faster than pandas
TARGET_PEAK_GB = 6.0  # peak memory under 6 GB
TARGET_LINEAR_SLOPE = 1.1  # d log(time) / d log(events) between consecutive sizes: at most this
TABLES = ("leads", "accounts", "events", "answers")
NUMERIC = ("score", "fit", "engagement", "criteria")
LABELS = ("grade", "stage", "persona", "disqualified", "fast_track", "criteria_passed")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- machine --------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return environment.machine(duckdb=duckdb.__version__, pandas=pd.__version__, numpy=np.__version__)


def available_memory_mb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("inf")


# -- data -----------------------------------------------------------------------------------------


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


def _generate(raw: Path, leads: int, events: int, notes: list[str]) -> tuple[float, float]:
    """Generate at least `events` events (or as near as the generator gets); (events_per_lead used, seconds)."""
    wanted_mean = events / leads
    start = time.perf_counter()
    pilot_n = min(leads, PILOT_LEADS)
    with tempfile.TemporaryDirectory(dir=raw.parent) as tmp:
        pilot = generate(Path(tmp), pilot_n, seed=SEED, end=DEFAULT_END, events_per_lead=wanted_mean)
    ratio = pilot.events / (pilot_n * wanted_mean) if pilot.events else 1.0
    used = round(wanted_mean / ratio * 1.002, 4)
    notes.append(
        f"the generator's mean at events_per_lead={wanted_mean:g} is {pilot.events / pilot_n:.3f} events/lead "
        f"(pilot: first {pilot_n:,} leads); asked for events_per_lead={used:g}"
    )
    log("data: " + notes[-1])
    for _attempt in range(6):
        log(f"data: generating {leads:,} leads with events_per_lead={used:g} into {raw} ...")

        def progress(done: int) -> None:
            if done % 100_000 == 0 or done == leads:
                log(f"data:   {done:,} leads")

        summary = generate(raw, leads, seed=SEED, end=DEFAULT_END, events_per_lead=used, progress=progress)
        if summary.events >= events or summary.events == 0:
            break
        nxt = round(used * events / summary.events * 1.002, 4)
        notes.append(
            f"events_per_lead={used:g} gave {summary.events:,} events < {events:,}; regenerated with "
            f"events_per_lead={nxt:g}"
        )
        log("data: " + notes[-1])
        used = nxt
    return used, time.perf_counter() - start


def _to_parquet(con: duckdb.DuckDBPyConnection, raw: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    q = _sql_path
    con.execute(
        f"COPY (SELECT * REPLACE (created_at::TIMESTAMPTZ AS created_at) "
        f"FROM read_csv({q(raw / 'leads.csv')}, header = true, all_varchar = true)) "
        f"TO {q(out / 'leads.parquet')} (FORMAT parquet)"
    )
    con.execute(
        f"COPY (SELECT * REPLACE (employees::DOUBLE AS employees, annual_revenue::DOUBLE AS annual_revenue, "
        f"is_customer::BOOLEAN AS is_customer) "
        f"FROM read_csv({q(raw / 'accounts.csv')}, header = true, all_varchar = true)) "
        f"TO {q(out / 'accounts.parquet')} (FORMAT parquet)"
    )
    con.execute(
        f"COPY (SELECT * REPLACE (called_at::TIMESTAMPTZ AS called_at) "
        f"FROM read_csv({q(raw / 'answers.csv')}, header = true, all_varchar = true)) "
        f"TO {q(out / 'answers.parquet')} (FORMAT parquet)"
    )
    con.execute(
        f"COPY (SELECT event_id, lead_id, type, time, properties::VARCHAR AS properties "
        f"FROM read_json({q(raw / 'events.jsonl')}, format = 'newline_delimited', columns = "
        f"{{event_id: 'VARCHAR', lead_id: 'VARCHAR', type: 'VARCHAR', time: 'TIMESTAMPTZ', properties: 'JSON'}})) "
        f"TO {q(out / 'events.parquet')} (FORMAT parquet)"
    )


def _subset_parquet(con: duckdb.DuckDBPyConnection, full: Path, n_leads: int, out: Path) -> None:
    """The first n_leads leads of `full` (file order), their events, calls and accounts, as Parquet."""
    out.mkdir(parents=True, exist_ok=True)
    q = _sql_path
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE subset_leads AS SELECT * EXCLUDE (file_row_number) "
        f"FROM read_parquet({q(full / 'leads.parquet')}, file_row_number = true) "
        f"WHERE file_row_number < {n_leads} ORDER BY file_row_number"
    )
    con.execute(f"COPY subset_leads TO {q(out / 'leads.parquet')} (FORMAT parquet)")
    con.execute(
        f"COPY (SELECT * FROM read_parquet({q(full / 'accounts.parquet')}) "
        f"WHERE account_id IN (SELECT account_id FROM subset_leads) "
        f"OR lower(domain) IN (SELECT lower(split_part(email, '@', -1)) FROM subset_leads WHERE account_id IS NULL)) "
        f"TO {q(out / 'accounts.parquet')} (FORMAT parquet)"
    )
    for table in ("events", "answers"):
        con.execute(
            f"COPY (SELECT * EXCLUDE (file_row_number) "
            f"FROM read_parquet({q(full / (table + '.parquet'))}, file_row_number = true) "
            f"WHERE lead_id IN (SELECT lead_id FROM subset_leads) ORDER BY file_row_number) "
            f"TO {q(out / (table + '.parquet'))} (FORMAT parquet)"
        )


def _subset_text(con: duckdb.DuckDBPyConnection, raw: Path, out: Path) -> None:
    """The leads of `out/leads.parquet` from the generator's CSV/JSON Lines files, in those formats."""
    q = _sql_path
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE subset_ids AS SELECT lead_id FROM read_parquet({q(out / 'leads.parquet')})"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE subset_accounts AS SELECT account_id FROM read_parquet({q(out / 'accounts.parquet')})"
    )
    for name, key in (("leads.csv", "lead_id"), ("answers.csv", "lead_id"), ("accounts.csv", "account_id")):
        ids = "subset_ids" if key == "lead_id" else "subset_accounts"
        con.execute(
            f"COPY (SELECT * FROM read_csv({q(raw / name)}, header = true, all_varchar = true) "
            f"WHERE {key} IN (SELECT {key} FROM {ids})) TO {q(out / name)} (HEADER)"
        )
    con.execute(
        f"COPY (SELECT * FROM read_json({q(raw / 'events.jsonl')}, format = 'newline_delimited', columns = "
        f"{{event_id: 'VARCHAR', lead_id: 'VARCHAR', type: 'VARCHAR', time: 'VARCHAR', properties: 'JSON'}}) "
        f"WHERE lead_id IN (SELECT lead_id FROM subset_ids)) TO {q(out / 'events.jsonl')} (FORMAT json)"
    )


def _counts(con: duckdb.DuckDBPyConnection, d: Path) -> dict[str, int]:
    return {t: int(con.execute(f"SELECT count(*) FROM read_parquet({_sql_path(d / (t + '.parquet'))})").fetchone()[0])  # type: ignore[index]
            for t in TABLES}  # fmt: skip


def _bytes(d: Path) -> int:
    return sum(p.stat().st_size for p in d.glob("*.parquet"))


def ensure_data(cache_dir: Path, leads: int, events: int) -> dict[str, Any]:
    """Generate and convert (or reuse) the data set, its subsets and samples; a description of them."""
    root = cache_dir / f"batch-leads{leads}-events{events}-seed{SEED}-gen{GENERATOR_VERSION}"
    manifest_path = root / "batch-manifest.json"
    if manifest_path.is_file():
        manifest = orjson.loads(manifest_path.read_bytes())
        if manifest.get("format") == DATA_FORMAT:
            log(f"data: reusing {root}")
            return {**manifest, "cached": True}
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    raw, full = root / "raw", root / "full"
    raw.mkdir()
    notes: list[str] = []
    used, gen_s = _generate(raw, leads, events, notes)

    log("data: converting to Parquet ...")
    start = time.perf_counter()
    con = _connect()
    _to_parquet(con, raw, full)
    convert_s = time.perf_counter() - start
    per_lead = con.execute(
        f"SELECT coalesce(c.n, 0) FROM read_parquet({_sql_path(full / 'leads.parquet')}, file_row_number = true) l "
        f"LEFT JOIN (SELECT lead_id, count(*) AS n FROM read_parquet({_sql_path(full / 'events.parquet')}) "
        f"GROUP BY lead_id) c USING (lead_id) ORDER BY l.file_row_number"
    ).fetchnumpy()
    cumulative = np.cumsum(next(iter(per_lead.values())).astype(np.int64))
    total = int(cumulative[-1]) if len(cumulative) else 0

    sizes: list[dict[str, Any]] = []
    for target in sorted({max(1, events // 10), max(1, events // 4)}):
        if target >= total:
            continue
        n = int(np.searchsorted(cumulative, target)) + 1  # the fewest leads whose events reach the target
        out = root / f"events{target}"
        log(f"data: subset of the first {n:,} leads ({int(cumulative[n - 1]):,} events) ...")
        _subset_parquet(con, full, n, out)
        sizes.append({"target_events": target, "dir": str(out)})
    sizes.append({"target_events": events, "dir": str(full)})
    for size in sizes:
        size.update(_counts(con, Path(size["dir"])), parquet_bytes=_bytes(Path(size["dir"])))

    samples: dict[str, Any] = {}
    for name, n in (("sample", min(leads, SAMPLE_LEADS)), ("spark", max(1, round(leads * SPARK_FRACTION)))):
        out = root / f"{name}-leads{n}"
        log(f"data: {name}: the first {n:,} leads ...")
        _subset_parquet(con, full, n, out)
        if name == "sample":
            _subset_text(con, raw, out)
        samples[name] = {"dir": str(out), **_counts(con, out), "parquet_bytes": _bytes(out)}
    con.close()
    for big in ("events.jsonl",):  # the full JSON Lines file is only needed to build the Parquet
        (raw / big).unlink()
    raw_counts = orjson.loads((raw / "manifest.json").read_bytes())["counts"]
    manifest = {
        "format": DATA_FORMAT,
        "dir": str(root),
        "seed": SEED,
        "as_of": DEFAULT_END.isoformat(),
        "leads_requested": leads,
        "events_requested": events,
        "events_per_lead_used": used,
        "generated": raw_counts,
        "generate_seconds": gen_s,
        "convert_seconds": convert_s,
        "notes": notes,
        "sizes": sizes,
        "samples": samples,
    }
    manifest_path.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    return {**manifest, "cached": False}


# -- running commands -----------------------------------------------------------------------------


def leadgate_command() -> list[str]:
    script = Path(sys.executable).parent / "leadgate"
    if script.is_file():
        return [str(script)]
    found = shutil.which("leadgate")
    return [found] if found else [sys.executable, "-c", "from leadgate.cli.app import main; main()"]


def _time_v(path: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in path.read_text(errors="replace").splitlines():
        label, _, value = line.strip().rpartition(": ")
        if label == "Maximum resident set size (kbytes)":
            out["peak_rss_mb"] = int(value) / 1024
        elif label == "User time (seconds)":
            out["user_s"] = float(value)
        elif label == "System time (seconds)":
            out["sys_s"] = float(value)
    return out


def measured(cmd: Sequence[str], timeout: float, workdir: Path) -> dict[str, Any]:
    """Run a command under /usr/bin/time -v: wall seconds, peak RSS, CPU seconds, exit code, stderr tail."""
    time_v = Path("/usr/bin/time")
    report = workdir / "time-v.txt"
    use = time_v.is_file() and os.access(time_v, os.X_OK)
    full = [str(time_v), "-v", "-o", str(report), *cmd] if use else list(cmd)
    load = os.getloadavg()[0]
    start = time.perf_counter()
    try:
        done = subprocess.run(full, capture_output=True, cwd=workdir, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        tail = (exc.stderr or b"").decode(errors="replace")[-2000:]
        return {"ok": False, "timeout": True, "wall_s": time.perf_counter() - start, "stderr_tail": tail}
    wall = time.perf_counter() - start
    figures = _time_v(report) if use and report.is_file() else {}
    return {
        "ok": done.returncode == 0,
        "returncode": done.returncode,
        "wall_s": wall,
        "loadavg_before": load,
        **figures,
        "peak_rss_source": "/usr/bin/time -v" if use else None,
        "stdout_tail": done.stdout.decode(errors="replace")[-1000:],
        "stderr_tail": done.stderr.decode(errors="replace")[-2000:],
    }


def best_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if r["ok"]]
    if not ok:
        return {**runs[-1], "runs": len(runs)}
    best = min(ok, key=lambda r: r["wall_s"])
    return {
        **best,
        "wall_s_all": [r["wall_s"] for r in runs],
        "peak_rss_mb": max(r.get("peak_rss_mb", 0.0) for r in ok),
        "peak_rss_mb_all": [r.get("peak_rss_mb") for r in runs],
        "cpu_s_all": [r.get("user_s", 0.0) + r.get("sys_s", 0.0) for r in runs],
        "loadavg_before_all": [r.get("loadavg_before") for r in runs],
        "runs": len(runs),
    }


def rescore_args(data: Path, out: Path, engine: str = "duckdb", trace: Path | None = None) -> list[str]:
    args = [
        "rescore", str(DEFINITION),
        "--leads", str(data / "leads.parquet"),
        "--accounts", str(data / "accounts.parquet"),
        "--events", str(data / "events.parquet"),
        "--answers", str(data / "answers.parquet"),
        "--as-of", DEFAULT_END.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--engine", engine,
        "--out", str(out),
    ]  # fmt: skip
    if engine == "spark":
        args += ["--master", SPARK_MASTER]
    if trace is not None:
        args += ["--trace-out", str(trace)]
    return args


def shown(args: Sequence[str]) -> str:
    """A command as a reader would type it from the repository root."""
    parts = ["leadgate"]
    for a in args:
        parts.append(os.path.relpath(a, ROOT) if a.startswith(str(ROOT)) else a)
    return " ".join(parts)


def _remove(path: Path | None) -> None:
    """Remove an output: a file, or the directory of part files Spark writes."""
    if path is None or not path.exists():
        return
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def _own_steps(stderr: str) -> dict[str, float] | None:
    """The seconds rescore reports for its own steps (`read 1.0 s, scored 2.0 s, wrote 0.1 s`)."""
    found = re.search(r"read ([0-9.]+) s, scored ([0-9.]+) s, wrote ([0-9.]+) s", stderr)
    return dict(zip(("read", "score", "write"), map(float, found.groups()), strict=True)) if found else None


def run_rescore(
    data: Path, work: Path, repeat: int, engine: str = "duckdb", trace: bool = False, keep: Path | None = None
) -> dict[str, Any]:
    """`leadgate rescore` `repeat` times; with `keep`, the last run's scores are moved there."""
    runs = []
    args: list[str] = []
    for i in range(repeat):
        out = work / f"scored-{engine}.parquet"
        trace_out = work / f"trace-{engine}.parquet" if trace else None
        args = rescore_args(data, out, engine, trace_out)
        run = measured([*leadgate_command(), *args], RESCORE_TIMEOUT_S, work)
        if run["ok"]:
            run["rows"] = int(pd.read_parquet(out, columns=["lead_id"]).shape[0])
            run["steps_s"] = _own_steps(run["stderr_tail"])
            if trace_out is not None:
                run["trace_rows"] = int(pd.read_parquet(trace_out, columns=["lead_id"]).shape[0])
            if keep is not None and i == repeat - 1:
                _remove(keep)
                out.rename(keep)
        runs.append(run)
        _remove(out)
        _remove(trace_out)
        if not run["ok"]:
            log(f"rescore ({engine}) failed:\n{run['stderr_tail']}")
            break
    return {**best_of(runs), "command": shown(args)}


def run_pandas(data: Path, work: Path, repeat: int, keep: Path | None = None) -> dict[str, Any]:
    runs = []
    out = work / "scored-pandas.parquet"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--pandas-worker", str(data), str(out)]
    for i in range(repeat):
        run = measured(cmd, PANDAS_TIMEOUT_S, work)
        if run["ok"]:
            run["rows"] = int(pd.read_parquet(out, columns=["lead_id"]).shape[0])
            if keep is not None and i == repeat - 1:
                _remove(keep)
                out.rename(keep)
        runs.append(run)
        _remove(out)
        if not run["ok"]:
            log(f"pandas failed:\n{run['stderr_tail']}")
            break
    return {
        **best_of(runs),
        "command": f"python benchmarks/batch.py --pandas-worker {os.path.relpath(data, ROOT)} OUT",
    }


def profile_rescore(data: Path, work: Path) -> dict[str, Any]:
    """Where `leadgate rescore` (DuckDB) spends its time, in this process: every SQL statement of the file
    loader; the scores as rescore computes them without --trace-out (one query, only the results kept);
    and, as with --trace-out, every step the compiled definition materialises. With rescore's default
    memory limit (PROFILE_MEMORY_LIMIT). Uses leadgate.batch's internals (as leadgate.batch.run does), so
    it may need updating when they change."""
    import ibis

    from leadgate.batch.compile import Tables, compile_definition
    from leadgate.batch.files import load_files
    from leadgate.batch.run import scoring_checkpoint
    from leadgate.definition import load_definition

    statements: list[tuple[float, str]] = []

    class Timed:  # the loader's DuckDB connection, timing each statement
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def execute(self, sql: str, *params: Any) -> Any:
            start = time.perf_counter()
            done = self.inner.execute(sql, *params)
            statements.append((time.perf_counter() - start, " ".join(sql.split())))
            return done

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

    definition = load_definition(DEFINITION)
    con = ibis.duckdb.connect()
    spill = work / "duckdb-spill"
    spill.mkdir(exist_ok=True)
    con.con.execute("SET memory_limit = ?", [PROFILE_MEMORY_LIMIT])
    con.con.execute("SET temp_directory = ?", [str(spill)])
    start = time.perf_counter()
    loaded, _intake = load_files(Timed(con.con), definition, data / "leads.parquet", data / "accounts.parquet",
                                 data / "events.parquet", data / "answers.parquet")  # fmt: skip
    load_s = time.perf_counter() - start
    tables = Tables(
        *(con.table(loaded.tables[n]) for n in ("leads", "accounts", "events", "calls", "answers"))
    )

    def score(trace: bool) -> dict[str, float]:
        checkpoint = scoring_checkpoint(con, "duckdb", trace)
        steps: dict[str, float] = {}

        def timed(table: Any, name: str) -> Any:
            start = time.perf_counter()
            made = checkpoint(table, name)
            steps[name] = time.perf_counter() - start
            return made

        start = time.perf_counter()
        compiled = compile_definition(definition, tables, DEFAULT_END, timed)
        timed(compiled.results, "results")
        steps["all"] = time.perf_counter() - start
        return steps

    scored = {"scores": score(trace=False), "trace": score(trace=True)}
    con.disconnect()
    top = sorted(statements, reverse=True)[:8]
    return {
        "events": None,
        "memory_limit": PROFILE_MEMORY_LIMIT,
        "load_files_s": load_s,
        "load_statements": [{"seconds": t, "sql": sql[:300]} for t, sql in top],
        "score_s": scored["scores"]["all"],
        "score_with_trace_steps_s": scored["trace"],
    }


# -- the floor ------------------------------------------------------------------------------------


def floor_sql(events: Path, out: Path, json: bool = False) -> str:
    """The least any engine must do: read lead_id, type and time of every event, sum a points column per
    lead, write the sums. The points: 10 for a form, 1 for anything else, halved every 30 days.
    With `json`, also the least a rule on a property costs: 10 for a page view whose `url` (read from the
    properties' JSON text) contains /pricing, instead of 10 for a form."""
    now = DEFAULT_END.timestamp()
    weight = (
        "CASE WHEN type = 'page_viewed' AND contains(json_extract_string(properties, '$.url'), '/pricing') "
        "THEN 10.0 ELSE 1.0 END"
        if json
        else "CASE WHEN type = 'form_submitted' THEN 10.0 ELSE 1.0 END"
    )
    return (
        f"COPY (SELECT lead_id, sum({weight} * pow(0.5, ({now!r} - epoch(time)) / 2592000.0)) AS points "
        f"FROM read_parquet({_sql_path(events)}) GROUP BY lead_id) TO {_sql_path(out)} (FORMAT parquet)"
    )


def run_floor(data: Path, work: Path, runs: int, json: bool = False) -> dict[str, Any]:
    seconds = []
    out = work / "floor.parquet"
    sql = floor_sql(data / "events.parquet", out, json)
    for _ in range(runs):
        con = _connect()
        start = time.perf_counter()
        con.execute(sql)
        seconds.append(time.perf_counter() - start)
        con.close()
    rows = int(pd.read_parquet(out).shape[0])
    out.unlink()
    shown_sql = sql.replace(str(ROOT) + "/", "")
    return {"seconds": min(seconds), "seconds_all": seconds, "rows": rows, "sql": shown_sql,
            "threads": os.cpu_count()}  # fmt: skip


# -- the pandas version ---------------------------------------------------------------------------
# What a competent user writes without leadgate: the same definition (benchmarks/batch-definition.yaml),
# rule by rule, as vectorised pandas/numpy (boolean masks, groupby, clip, merge); no per-row Python.
# Text is compared stripped and in lower case, as leadgate does; points are put on the 2**-20 grid per
# event, as docs/definition.md says, so that sums are exact and comparable.

GRID = float(2**20)
DAY = 86400.0
USED_EVENT_TYPES = ["page_viewed", "email_clicked", "content_downloaded", "webinar_registered", "webinar_attended",
                    "video_watched", "form_submitted", "sample_requested", "email_unsubscribed"]  # fmt: skip
COMPETITORS = ["rivalsoft.com", "competiq.io", "scorestack.ai", "leadforge.net"]
EMBARGOED = ["kp", "ir", "cu", "sy"]
CORE_MARKETS = ["us", "gb", "de", "ca"]
CRITERIA = {  # id: {answer: (points, holds)}
    "budget": {"confirmed": (15, True), "planned": (5, True), "none": (-10, False)},
    "authority": {"decision_maker": (10, True), "influencer": (5, True), "none": (0, False)},
    "need": {"urgent": (15, True), "clear": (10, True), "unclear": (0, False), "none": (-15, False)},
    "timeline": {
        "this_quarter": (15, True),
        "this_year": (5, True),
        "later": (0, False),
        "none": (-5, False),
    },
    "next_step": {"agreed": (5, True), "not_agreed": (0, False)},
}


def _grid(x: Any) -> Any:
    return np.floor(x * GRID + 0.5) / GRID


def _text(s: pd.Series) -> pd.Series:
    """Stripped, lower case; empty is missing."""
    s = s.astype("str").str.strip().str.lower()
    return s.where(s != "")


def _json_text(props: pd.Series, key: str) -> pd.Series:
    return _text(props.str.extract(rf'"{key}"\s*:\s*"([^"]*)"', expand=False))


def _json_number(props: pd.Series, key: str) -> pd.Series:
    return pd.to_numeric(props.str.extract(rf'"{key}"\s*:\s*(-?[0-9.eE+-]+)', expand=False), errors="coerce")


def _has_item(lists: pd.Series, items: Sequence[str]) -> pd.Series:
    """A `;`-separated list (already lower case) has one of the items."""
    pattern = r"(?:^|;)\s*(?:" + "|".join(items) + r")\s*(?:;|$)"
    return lists.str.contains(pattern, regex=True, na=False).astype(bool)


def _b(s: pd.Series | np.ndarray) -> np.ndarray:
    """A condition as a plain boolean array: missing is false."""
    return np.asarray(pd.Series(s).fillna(False), dtype=bool)


def pandas_rescore(data: Path, as_of: datetime) -> pd.DataFrame:
    now = as_of.timestamp()

    # profile: leads and their accounts (an account found by the email's domain when account_id is empty)
    leads = pd.read_parquet(data / "leads.parquet",
                            columns=["lead_id", "email", "account_id", "title", "seniority", "department",
                                     "country", "interests"])  # fmt: skip
    accounts = pd.read_parquet(data / "accounts.parquet",
                               columns=["account_id", "domain", "industry", "employees", "annual_revenue", "country",
                                        "technologies", "is_customer"])  # fmt: skip
    n = len(leads)
    lead_index = pd.Index(leads["lead_id"])
    for col in ("title", "seniority", "department", "country", "interests"):
        leads[col] = _text(leads[col])
    email = _text(leads["email"])
    leads["email_domain"] = email.str.extract(r"@([^@]+)$", expand=False)
    by_domain = accounts.assign(domain=_text(accounts["domain"])).dropna(subset=["domain"])
    by_domain = by_domain.drop_duplicates("domain", keep="last").set_index("domain")["account_id"]
    no_account = leads["account_id"].isna()
    leads.loc[no_account, "account_id"] = leads.loc[no_account, "email_domain"].map(by_domain)
    accounts = accounts.rename(columns={c: f"acc_{c}" for c in accounts.columns if c != "account_id"})
    for col in ("acc_industry", "acc_country", "acc_technologies"):
        accounts[col] = _text(accounts[col])
    p = leads.merge(accounts, on="account_id", how="left", validate="many_to_one")
    p.index = pd.RangeIndex(n)
    p["persona"] = np.select([_b(p["seniority"].isin(["c_level", "vp"])),
                              _b(p["seniority"].isin(["director", "manager"]))],
                             ["decision_maker", "influencer"], "user")  # fmt: skip

    # events: the types the rules use, up to as_of, with the lead's position
    ev = pd.read_parquet(data / "events.parquet", columns=["event_id", "lead_id", "type", "time", "properties"],
                         filters=[("type", "in", USED_EVENT_TYPES)])  # fmt: skip
    ev["lead"] = lead_index.get_indexer(ev["lead_id"])
    ev["ts"] = ev["time"].dt.as_unit("us").astype("int64") / 1e6
    ev = ev.loc[(ev["lead"] >= 0) & (ev["ts"] <= now), ["event_id", "lead", "type", "ts", "properties"]]
    by_type = {t: frame for t, frame in ev.groupby("type", sort=False)}
    empty = ev.iloc[:0]

    def of(t: str) -> pd.DataFrame:
        return by_type.get(t, empty)

    pv, form = of("page_viewed"), of("form_submitted")
    url = _json_text(pv["properties"], "url")
    form_name = _json_text(form["properties"], "form")

    totals: dict[str, pd.Series] = {}
    lasts: list[pd.Series] = []

    def rule(rid: str, frame: pd.DataFrame, mask: Any, points: float, half_life: float | None = 30.0,
             cap: float | None = None, within_days: float | None = None, limit: int | None = None,
             per_days: float | None = None, keep: str = "latest") -> None:  # fmt: skip
        sel = frame.loc[_b(mask) if mask is not None else slice(None), ["event_id", "lead", "ts"]]
        if within_days is not None:
            sel = sel[sel["ts"] >= now - within_days * DAY]
        if limit is not None:
            keys = ["lead"]
            if per_days is not None:
                sel = sel.assign(window=np.floor((now - sel["ts"]) / (per_days * DAY)))
                keys.append("window")
            sel = sel.sort_values(["lead", "ts", "event_id"], ascending=[True, keep == "earliest", True])
            sel = sel[sel.groupby(keys).cumcount() < limit]
        if half_life is None:
            pts = np.full(len(sel), _grid(points))
        else:
            pts = _grid(points * np.power(0.5, ((now - sel["ts"].to_numpy()) / DAY) / half_life))
        agg = sel.assign(pts=pts).groupby("lead").agg(raw=("pts", "sum"), last=("ts", "max"))
        raw = agg["raw"]
        if cap is not None:
            raw = raw.clip(upper=cap) if points > 0 else raw.clip(lower=-cap)
        totals[rid] = raw
        if points > 0:
            lasts.append(agg["last"])

    rule("pricing-page", pv, url.str.contains("/pricing", regex=False), 10, cap=30)
    duration = _json_number(pv["properties"], "duration_s")
    rule("pricing-long-read", pv, url.str.contains("/pricing", regex=False) & (duration >= 60), 5, half_life=14,
         cap=15)  # fmt: skip
    rule("product-pages", pv, url.str.contains("/product", regex=False) | url.str.contains("/integrations", regex=False),
         3, cap=15)  # fmt: skip
    rule("case-studies", pv, url.str.contains("/case-studies", regex=False), 4, cap=12, within_days=90)
    rule("blog", pv, url.str.contains("/blog", regex=False), 1, cap=5, limit=3, per_days=7)
    rule("careers-page", pv, url.str.contains("/careers", regex=False), -10, half_life=None, cap=20)
    rule("email-click", of("email_clicked"), None, 2, cap=10)
    content = of("content_downloaded")
    rule("content", content, _json_text(content["properties"], "asset_type").isin(["datasheet", "case_study"]), 6,
         half_life=45, cap=18)  # fmt: skip
    rule("webinar-registered", of("webinar_registered"), None, 2, limit=2, keep="earliest")
    attended = of("webinar_attended")
    rule("webinar", attended, _json_number(attended["properties"], "minutes") >= 20, 10, cap=20)
    video = of("video_watched")
    rule("video", video, _json_number(video["properties"], "percent") >= 50, 3, cap=12)
    rule("trial", form, form_name == "trial_signup", 25, half_life=60, limit=1)
    rule("demo-request", form, form_name.isin(["demo_request", "contact_sales"]), 30, half_life=60, limit=1)
    rule("unsubscribed", of("email_unsubscribed"), None, -15, half_life=None, limit=1)

    eng_raw = pd.DataFrame(totals).sum(axis=1).reindex(p.index, fill_value=0.0)
    p["engagement"] = eng_raw.clip(upper=120.0)
    last_positive = (
        pd.concat(lasts).groupby(level=0).max().reindex(p.index) if lasts else pd.Series(np.nan, p.index)
    )

    # roll-ups over each account's leads
    p["engaged"] = _b(last_positive >= now - 30 * DAY)
    p["decider"] = p["persona"] == "decision_maker"
    rollups = (
        p[p["account_id"].notna()]
        .groupby("account_id")
        .agg(contacts=("lead_id", "size"), engaged_contacts=("engaged", "sum"), deciders=("decider", "sum"))
    )
    p = p.join(rollups, on="account_id")

    # fit and grade
    emp = p["acc_employees"]
    fit_rules = [
        (emp.between(200, 5000), 20),
        (emp < 50, -10),
        (p["acc_industry"].isin(["software", "fintech", "healthcare"]), 15),
        (p["acc_country"].isin(CORE_MARKETS) & (p["acc_annual_revenue"] >= 20_000_000), 5),
        (p["persona"] == "decision_maker", 15),
        ((p["persona"] == "influencer") & p["department"].isin(["engineering", "it", "operations"]), 8),
        (_has_item(p["acc_technologies"], ["salesforce", "hubspot", "marketo"]), 5),
        (
            _has_item(p["interests"], ["automation"])
            | p["title"].str.contains("operations", regex=False, na=False),
            3,
        ),
        ((p["engaged_contacts"] >= 3) | ((p["contacts"] >= 4) & (p["deciders"] >= 1)), 10),
        (p["acc_is_customer"] == True, 5),  # noqa: E712 - missing is not true
    ]
    p["fit"] = sum((np.where(_b(cond), float(pts), 0.0) for cond, pts in fit_rules), np.zeros(n))
    p["grade"] = np.select([p["fit"] >= 55, p["fit"] >= 35, p["fit"] >= 15], ["A", "B", "C"], "D")

    # calls and criteria: the latest answer of a reached call, per criterion (ties: the greatest value)
    ans = pd.read_parquet(data / "answers.parquet", columns=["call_id", "lead_id", "called_at", "outcome",
                                                            "criterion", "answer"])  # fmt: skip
    ans["lead"] = lead_index.get_indexer(ans["lead_id"])
    ans["ts"] = ans["called_at"].dt.as_unit("us").astype("int64") / 1e6
    ans = ans[(ans["lead"] >= 0) & (ans["ts"] <= now)]
    ans["outcome"] = _text(ans["outcome"])
    calls = ans.drop_duplicates("call_id")
    calls = calls.assign(is_reached=calls["outcome"] == "reached")
    per_lead = calls.groupby("lead").agg(attempts=("call_id", "size"), reached=("is_reached", "sum"),
                                         last_at=("ts", "max"))  # fmt: skip
    p = p.join(per_lead)
    p["attempts"] = p["attempts"].fillna(0)
    p["reached"] = p["reached"].fillna(0)
    given = ans.assign(criterion=_text(ans["criterion"]), answer=_text(ans["answer"]))
    valid = {f"{c}|{a}" for c, answers in CRITERIA.items() for a in answers}
    given = given[(given["outcome"] == "reached") & (given["criterion"] + "|" + given["answer"]).isin(valid)]
    latest = given.sort_values(["lead", "criterion", "ts", "answer"]).drop_duplicates(
        ["lead", "criterion"], keep="last"
    )
    current = latest.pivot(index="lead", columns="criterion", values="answer").reindex(
        index=p.index, columns=list(CRITERIA)
    )
    holds = pd.DataFrame(index=p.index)
    criteria_points = np.zeros(n)
    for c, answers in CRITERIA.items():
        criteria_points += current[c].map({a: float(v[0]) for a, v in answers.items()}).fillna(0.0).to_numpy()
        holds[c] = _b(current[c].isin([a for a, v in answers.items() if v[1]]))
    p["criteria"] = criteria_points
    met = holds.sum(axis=1)
    p["criteria_passed"] = (met >= 3) & holds["authority"]
    budget, timeline = current["budget"], current["timeline"]

    # disqualifiers, fast-track triggers, score, stage
    domain = p["email_domain"]
    p["disqualified"] = (
        _b(domain.isin(COMPETITORS))
        | _b((p["seniority"] == "student") | domain.str.endswith(".edu", na=False))
        | _b(p["acc_country"].isin(EMBARGOED) | p["country"].isin(EMBARGOED))
        | _b((budget == "none") & (timeline == "none"))
    )

    def event_fired(frame: pd.DataFrame, mask: Any, within_days: float) -> np.ndarray:
        hit = frame.loc[_b(mask) & (frame["ts"] >= now - within_days * DAY).to_numpy(), "lead"].unique()
        return np.isin(np.arange(n), hit)

    sample = of("sample_requested")
    fired = [
        ("contact-sales", event_fired(form, form_name == "contact_sales", 30)),
        (
            "sample-at-show",
            event_fired(sample, _json_text(sample["properties"], "channel") == "trade_show", 90),
        ),
        ("budget-and-quarter", _b((budget == "confirmed") & (timeline == "this_quarter"))),
    ]
    live = ~p["disqualified"].to_numpy()
    first = np.select([live & f for _, f in fired], [t for t, _ in fired], "")
    fast = first != ""
    p["fast_track"] = pd.Series(first, index=p.index).where(fast)
    p["score"] = p["fit"] + p["engagement"] + p["criteria"]
    recent = (p["last_at"] >= now - 90 * DAY) & (p["last_at"] <= now)
    unreachable = _b((p["attempts"] >= 5) & (p["reached"] == 0) & recent)
    stage = np.select(
        [
            _b(p["criteria_passed"] & (p["grade"] != "D")),
            _b((p["reached"] >= 1) & (met >= 2) & (p["score"] >= 50)),
            _b(p["grade"].isin(["A", "B"]) & (p["engagement"] >= 40)) & ~unreachable,
        ],
        [3, 2, 1],
        0,
    )
    stage = np.where(fast & (stage < 1), 1, stage)
    p["stage"] = np.where(p["disqualified"], "Disqualified", np.array(["Lead", "MQL", "TQL", "SQL"])[stage])
    columns = ["lead_id", "account_id", "score", "fit", "grade", "engagement", "criteria", "criteria_passed",
               "persona", "disqualified", "fast_track", "stage"]  # fmt: skip
    return p[columns]


def pandas_worker(data: Path, out: Path) -> int:
    pandas_rescore(data, DEFAULT_END).to_parquet(out, index=False)
    return 0


# -- the reference evaluator and the checks -------------------------------------------------------


def run_reference(sample: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    from leadgate.data.read import load_dataset
    from leadgate.definition import load_definition
    from leadgate.scoring import score_leads

    definition = load_definition(DEFINITION)
    start = time.perf_counter()
    data = load_dataset(definition, sample / "leads.csv", sample / "accounts.csv", sample / "events.jsonl",
                        sample / "answers.csv")  # fmt: skip
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    results = list(score_leads(definition, data.leads.values(), data.accounts, data.events_by_lead,
                               data.calls_by_lead, DEFAULT_END))  # fmt: skip
    seconds = time.perf_counter() - start
    frame = pd.DataFrame(
        {
            "lead_id": [r.lead_id for r in results],
            **{c: [getattr(r, c) for r in results] for c in (*NUMERIC, *LABELS)},
        }
    )
    events = sum(len(v) for v in data.events_by_lead.values())
    return {"leads": len(results), "events_read": events, "load_seconds": load_s, "seconds": seconds}, frame


def _normalise(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def compare(left: pd.DataFrame, right: pd.DataFrame, left_name: str, right_name: str) -> dict[str, Any]:
    """Every lead's figures in two results: numbers to TOLERANCE, labels equal."""
    joined = left.merge(right, on="lead_id", how="outer", suffixes=("_l", "_r"), indicator=True)
    only = {
        left_name: int((joined["_merge"] == "left_only").sum()),
        right_name: int((joined["_merge"] == "right_only").sum()),
    }
    both = joined[joined["_merge"] == "both"]
    out: dict[str, Any] = {
        "leads_compared": len(both),
        "only_in": only,
        "max_abs_diff": {},
        "mismatches": {},
        "missing_columns": [],
    }
    for col in NUMERIC:
        if f"{col}_l" not in both or f"{col}_r" not in both:
            out["missing_columns"].append(col)
            continue
        diff = (both[f"{col}_l"].astype(float) - both[f"{col}_r"].astype(float)).abs()
        out["max_abs_diff"][col] = float(diff.max()) if len(diff) else 0.0
    examples = []
    for col in LABELS:
        if f"{col}_l" not in both or f"{col}_r" not in both:
            out["missing_columns"].append(col)
            continue
        a = [_normalise(v) for v in both[f"{col}_l"].astype(object)]
        b = [_normalise(v) for v in both[f"{col}_r"].astype(object)]
        differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        out["mismatches"][col] = len(differ)
        if differ:
            i = differ[0]
            examples.append(
                {"column": col, "lead_id": both["lead_id"].iloc[i], left_name: a[i], right_name: b[i]}
            )
    out["examples"] = examples
    out["ok"] = (
        not any(only.values())
        and all(v <= TOLERANCE for v in out["max_abs_diff"].values())
        and not any(out["mismatches"].values())
        and not out["missing_columns"]
    )
    return out


# -- report ---------------------------------------------------------------------------------------


def _n(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


def _s(x: float) -> str:
    if x < 1:
        return f"{x:.3f} s"
    return f"{x:.2f} s" if x < 100 else f"{x:,.0f} s"


def _mib(x: float | None) -> str:
    return "?" if x is None else f"{x:,.0f} MiB"


def _loglog(sizes: list[dict[str, Any]], key: Callable[[dict[str, Any]], float | None]) -> list[float | None]:
    slopes: list[float | None] = []
    for a, b in itertools.pairwise(sizes):
        ta, tb = key(a), key(b)
        slopes.append(math.log(tb / ta) / math.log(b["events"] / a["events"]) if ta and tb else None)
    return slopes


def targets(r: dict[str, Any]) -> dict[str, Any]:
    sizes = r["sizes"]
    largest = sizes[-1]
    rescore = largest["rescore"]
    out: dict[str, Any] = {}
    if rescore.get("ok"):
        ratio = rescore["wall_s"] / largest["floor"]["seconds"]
        out["floor_ratio"] = {
            "target": TARGET_FLOOR_RATIO,
            "value": ratio,
            "met": ratio <= TARGET_FLOOR_RATIO,
        }
        peak_gb = max(s["rescore"].get("peak_rss_mb", 0.0) for s in sizes if s["rescore"].get("ok")) / 1024
        out["peak_memory"] = {
            "target_gb": TARGET_PEAK_GB,
            "value_gb": peak_gb,
            "met": peak_gb < TARGET_PEAK_GB,
        }
        slopes = _loglog(sizes, lambda s: s["rescore"]["wall_s"] if s["rescore"].get("ok") else None)
        known = [x for x in slopes if x is not None]
        out["linear"] = {
            "target_max_slope": TARGET_LINEAR_SLOPE,
            "slopes": slopes,
            "seconds_per_million_events": [
                s["rescore"]["wall_s"] / s["events"] * 1e6 if s["rescore"].get("ok") else None for s in sizes
            ],
            "met": bool(known) and max(known) <= TARGET_LINEAR_SLOPE,
        }
        pandas = largest.get("pandas")
        if pandas and pandas.get("wall_s"):
            speedup = pandas["wall_s"] / rescore["wall_s"]
            out["pandas_speedup"] = {
                "target": TARGET_PANDAS_SPEEDUP,
                "value": speedup,
                "met": speedup >= TARGET_PANDAS_SPEEDUP,
                "pandas_extrapolated": bool(pandas.get("extrapolated")),
            }
    return out


def _cpu(run: dict[str, Any], lead: str = "; ") -> str:
    """The CPU seconds of a run (user + system), when /usr/bin/time gave them."""
    if "user_s" not in run:
        return ""
    return f"{lead}{run['user_s'] + run['sys_s']:.1f} s CPU" + (")" if lead.endswith("(") else "")


def _steps(run: dict[str, Any]) -> str:
    steps = run.get("steps_s")
    return " / ".join(f"{steps[k]:.1f}" for k in ("read", "score", "write")) + " s" if steps else "?"


def markdown(r: dict[str, Any]) -> str:
    lines = [
        f"| events | leads | floor: DuckDB `GROUP BY` (best of {FLOOR_RUNS}) | floor with JSON `url` "
        "| `leadgate rescore` (DuckDB) | rescore / floor | rescore / floor with JSON "
        "| rescore's own read / score / write | rescore peak RSS | pandas | pandas peak RSS | pandas / rescore |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in r["sizes"]:
        fl, fj, rs, pdx = s["floor"], s["floor_json"], s["rescore"], s.get("pandas") or {}
        if rs.get("ok"):
            rescore = f"**{_s(rs['wall_s'])}** ({_n(s['events'] / rs['wall_s'])} events/s{_cpu(rs)})"
            ratio = f"**{rs['wall_s'] / fl['seconds']:.1f}x** | {rs['wall_s'] / fj['seconds']:.1f}x"
            peak, steps = _mib(rs.get("peak_rss_mb")), _steps(rs)
        else:
            rescore, ratio, peak, steps = "failed", " | ", "", ""
        if pdx.get("wall_s") and (pdx.get("ok") or pdx.get("extrapolated")):
            pandas = _s(pdx["wall_s"]) + (
                " (**extrapolated**)" if pdx.get("extrapolated") else _cpu(pdx, " (")
            )
            pandas_peak = "not run" if pdx.get("extrapolated") else _mib(pdx.get("peak_rss_mb"))
            speed = f"{pdx['wall_s'] / rs['wall_s']:.2f}x" if rs.get("ok") else ""
        else:
            pandas, pandas_peak, speed = ("skipped", "", "") if not pdx else ("failed", "", "")
        lines.append(
            f"| {_n(s['events'])} | {_n(s['leads'])} | {_s(fl['seconds'])} ({_n(s['events'] / fl['seconds'])} events/s) "
            f"| {_s(fj['seconds'])} | {rescore} | {ratio} | {steps} | {peak} | {pandas} | {pandas_peak} | {speed} |"
        )
    lines += ["", "| measure | result |", "|---|---|"]
    largest = r["sizes"][-1]
    t = largest.get("rescore_trace")
    if t and t.get("ok"):
        lines.append(
            f"| `leadgate rescore --trace-out`, {_n(largest['events'])} events | {_s(t['wall_s'])} "
            f"(read / score / write {_steps(t)}), {_n(t.get('trace_rows', 0))} trace rows; peak RSS {_mib(t.get('peak_rss_mb'))} |"
        )
    one = r.get("sample_rescore")
    if one and one.get("ok"):
        lines.append(
            f"| `leadgate rescore`, first {_n(one['leads'])} leads ({_n(one['events'])} events): the fixed costs "
            f"(start-up, definition, compiling) | {_s(one['wall_s'])} (read / score / write {_steps(one)}); "
            f"peak RSS {_mib(one.get('peak_rss_mb'))} |"
        )
    ref = r.get("reference")
    if ref:
        lines.append(
            f"| reference evaluator `score_leads`, first {_n(ref['leads'])} leads ({_n(ref['events_read'])} events) "
            f"| {_s(ref['seconds'])} ({_n(ref['leads'] / ref['seconds'])} leads/s); **extrapolated** linearly to "
            f"{_n(ref['extrapolated_to_leads'])} leads: {_s(ref['extrapolated_seconds'])} (reading the files with "
            f"`load_dataset` took {_s(ref['load_seconds'])}, **extrapolated** {_s(ref['extrapolated_load_seconds'])}) |"
        )
    sp = r.get("spark")
    if sp:
        result = (f"{_s(sp['wall_s'])} ({_n(sp['events'] / sp['wall_s'])} events/s; read / score / write {_steps(sp)}); "
                  f"peak RSS {_mib(sp.get('peak_rss_mb'))}" if sp.get("ok") else "failed")  # fmt: skip
        lines.append(
            f"| `leadgate rescore --engine spark --master {sp['master']}`, first {_n(sp['leads'])} leads "
            f"({_n(sp['events'])} events) | {result} |"
        )
    for name, check in r.get("checks", {}).items():
        if "leads_compared" not in check:
            lines.append(f"| check: {name} | **failed** |")
            continue
        diffs = ", ".join(f"{k} {v:.1e}" for k, v in check["max_abs_diff"].items())
        bad = {k: v for k, v in check["mismatches"].items() if v}
        lines.append(
            f"| check: {name}, {_n(check['leads_compared'])} leads | {'**equal**' if check['ok'] else '**DIFFERENT**'}: "
            f"largest difference {diffs}; label mismatches: {bad or 'none'}"
            + (f"; missing columns {check['missing_columns']}" if check["missing_columns"] else "")
            + (f"; leads in one only {check['only_in']}" if any(check["only_in"].values()) else "")
            + " |"
        )
    prof = r.get("profile")
    if prof and "error" not in prof:
        lines += [
            "",
            f"| rescore step, {_n(prof['events'])} events, in process (memory limit {prof['memory_limit']}) | seconds |",
            "|---|---:|",
        ]
        lines.append(f"| file loader (`load_files`), all statements | {prof['load_files_s']:.1f} |")
        for st in prof["load_statements"][:5]:
            sql = st["sql"][:110].replace("|", "\\|")
            lines.append(f"| loader: `{sql}…` | {st['seconds']:.1f} |")
        lines.append(
            f"| compiled definition, as rescore runs it (one query; only the results kept) | {prof['score_s']:.1f} |"
        )
        steps = prof["score_with_trace_steps_s"]
        lines.append(
            f"| compiled definition with every step kept (as for `--trace-out`) | {steps['all']:.1f} |"
        )
        for name, sec in steps.items():
            if name != "all":
                lines.append(f"| with every step kept: step `{name}` | {sec:.1f} |")
    elif prof:
        lines += ["", f"profile failed: {prof['error']}"]
    tg = r.get("targets", {})
    if tg:
        lines += ["", "| target | result |", "|---|---|"]
        if "floor_ratio" in tg:
            t = tg["floor_ratio"]
            lines.append(
                f"| rescore within {t['target']:g}x the floor | {t['value']:.1f}x: {'met' if t['met'] else '**missed**'} |"
            )
        if "pandas_speedup" in tg:
            t = tg["pandas_speedup"]
            ex = " (pandas extrapolated)" if t["pandas_extrapolated"] else ""
            lines.append(
                f"| at least {t['target']:g}x faster than pandas | {t['value']:.2f}x{ex}: {'met' if t['met'] else '**missed**'} |"
            )
        if "peak_memory" in tg:
            t = tg["peak_memory"]
            lines.append(
                f"| peak memory under {t['target_gb']:g} GB | {t['value_gb']:.2f} GiB: {'met' if t['met'] else '**missed**'} |"
            )
        if "linear" in tg:
            t = tg["linear"]
            slopes = ", ".join("?" if x is None else f"{x:.2f}" for x in t["slopes"])
            per = ", ".join("?" if x is None else f"{x:.2f}" for x in t["seconds_per_million_events"])
            lines.append(
                f"| cost linear in events (log-log slope ≤ {t['target_max_slope']:g} from each size to the next) "
                f"| slopes {slopes}; seconds per million events {per}: {'met' if t['met'] else '**missed**'} |"
            )
    return "\n".join(lines)


# -- main -----------------------------------------------------------------------------------------


def measure_sizes(data: dict[str, Any], args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    """Floor, rescore and pandas at each size; the largest size's scores are kept in `work` for a check."""
    sizes: list[dict[str, Any]] = []
    pandas_stop: str | None = "skipped (--skip-pandas)" if args.skip_pandas else None
    for size in data["sizes"]:
        d = Path(size["dir"])
        largest = size is data["sizes"][-1]
        entry: dict[str, Any] = {"target_events": size["target_events"], "events": size["events"],
                                 "leads": size["leads"], "accounts": size["accounts"],
                                 "answers_rows": size["answers"], "parquet_bytes": size["parquet_bytes"],
                                 "dir": str(d)}  # fmt: skip
        log(f"{_n(size['events'])} events: floor x {FLOOR_RUNS} ...")
        entry["floor"] = run_floor(d, work, FLOOR_RUNS)
        entry["floor_json"] = run_floor(d, work, FLOOR_RUNS, json=True)
        log(f"{_n(size['events'])} events: leadgate rescore x {args.repeat} ...")
        entry["rescore"] = run_rescore(
            d, work, args.repeat, keep=work / "largest-rescore.parquet" if largest else None
        )
        if largest and not args.skip_trace and entry["rescore"].get("ok"):
            log(f"{_n(size['events'])} events: leadgate rescore --trace-out ...")
            entry["rescore_trace"] = run_rescore(d, work, 1, trace=True)
        if pandas_stop is None and sizes and sizes[-1].get("pandas", {}).get("ok"):
            before = sizes[-1]
            need = before["pandas"].get("peak_rss_mb", 0.0) * size["events"] / before["events"]
            if need > 0.85 * available_memory_mb():
                pandas_stop = (
                    f"not run: {need:,.0f} MiB estimated from the size before, more than the memory free"
                )
        if pandas_stop is None:
            log(f"{_n(size['events'])} events: pandas x {args.repeat} ...")
            entry["pandas"] = run_pandas(
                d, work, args.repeat, keep=work / "largest-pandas.parquet" if largest else None
            )
            if not entry["pandas"]["ok"]:
                pandas_stop = "not run: failed or ran out of time at a smaller size"
        elif not args.skip_pandas:
            entry["pandas"] = {"ok": False, "note": pandas_stop}
            ran = [s for s in sizes if s.get("pandas", {}).get("ok")]
            if ran:  # linear in events from the largest size that ran
                base = ran[-1]
                entry["pandas"].update(extrapolated=True, extrapolated_from_events=base["events"],
                                       wall_s=base["pandas"]["wall_s"] * size["events"] / base["events"])  # fmt: skip
        sizes.append(entry)
    return sizes


def reference(data: dict[str, Any], sizes: list[dict[str, Any]]) -> tuple[dict[str, Any], pd.DataFrame]:
    sample = data["samples"]["sample"]
    log(f"reference evaluator on the first {_n(sample['leads'])} leads ...")
    ref, frame = run_reference(Path(sample["dir"]))
    total = sizes[-1]
    ref.update(
        extrapolated=True,
        extrapolated_to_leads=total["leads"],
        extrapolated_seconds=ref["seconds"] * total["leads"] / ref["leads"],
        extrapolated_seconds_by_events=ref["seconds"] * total["events"] / max(ref["events_read"], 1),
        extrapolated_load_seconds=ref["load_seconds"] * total["leads"] / ref["leads"],
    )
    return ref, frame


def checks(
    data: dict[str, Any], sizes: list[dict[str, Any]], ref_frame: pd.DataFrame, work: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    """rescore, pandas and the reference on the sample; rescore and pandas on every lead of the largest size."""
    sample = data["samples"]["sample"]
    sample_dir = Path(sample["dir"])
    log("checks on the sample: rescore, pandas, reference ...")
    found: dict[str, Any] = {}
    pandas_sample = pandas_rescore(sample_dir, DEFAULT_END)
    out = work / "sample-rescore.parquet"
    run = measured([*leadgate_command(), *rescore_args(sample_dir, out)], RESCORE_TIMEOUT_S, work)
    sample_run = {k: run.get(k) for k in ("ok", "wall_s", "peak_rss_mb")}
    sample_run.update(
        leads=sample["leads"], events=sample["events"], steps_s=_own_steps(run.get("stderr_tail", ""))
    )
    if run["ok"]:
        scored = pd.read_parquet(out)
        found["rescore vs pandas"] = compare(scored, pandas_sample, "rescore", "pandas")
        found["rescore vs reference"] = compare(scored, ref_frame, "rescore", "reference")
        _remove(out)
    else:
        log(f"rescore on the sample failed:\n{run['stderr_tail']}")
        found["rescore on the sample"] = {"ok": False, "stderr_tail": run["stderr_tail"]}
    found["pandas vs reference"] = compare(pandas_sample, ref_frame, "pandas", "reference")
    kept = work / "largest-rescore.parquet", work / "largest-pandas.parquet"
    if all(k.exists() for k in kept):
        log("check: rescore vs pandas on every lead of the largest size ...")
        found["rescore vs pandas, largest size"] = compare(pd.read_parquet(kept[0]), pd.read_parquet(kept[1]),
                                                           "rescore", "pandas")  # fmt: skip
        found["rescore vs pandas, largest size"]["events"] = sizes[-1]["events"]
    for k in kept:
        _remove(k)
    return found, sample_run


def spark(data: dict[str, Any], work: Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    sp = data["samples"]["spark"]
    log(f"spark on the first {_n(sp['leads'])} leads ...")
    keep = work / "spark.parquet"
    run = {**run_rescore(Path(sp["dir"]), work, 1, engine="spark", keep=keep), "leads": sp["leads"],
           "events": sp["events"], "master": SPARK_MASTER}  # fmt: skip
    check = None
    if keep.exists():
        check = compare(
            pd.read_parquet(keep), pandas_rescore(Path(sp["dir"]), DEFAULT_END), "spark", "pandas"
        )
        _remove(keep)
    return run, check


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(argv if argv is not None else sys.argv[1:])
    if argv[:1] == ["--pandas-worker"]:
        return pandas_worker(Path(argv[1]), Path(argv[2]))
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "benchmarks" / ".cache")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of rescore and pandas per size (best is kept)"
    )
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--skip-trace", action="store_true", help="do not time rescore --trace-out")
    parser.add_argument("--profile", action="store_true",
                        help="also time each step of rescore's loader and scoring at the largest size, in process")  # fmt: skip
    parser.add_argument("--json", type=Path, default=None, help="write every figure to this JSON file")
    args = parser.parse_args(argv)
    if args.json is not None:  # its folder made first: a long run's figures are not lost at its end
        args.json.parent.mkdir(parents=True, exist_ok=True)
    if args.leads < 1 or args.events < 1 or args.repeat < 1:
        parser.error("--leads, --events and --repeat must be positive")

    result: dict[str, Any] = {
        "command": " ".join(["python", "benchmarks/batch.py", *argv]),
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "git": git_state(),
        "definition": str(DEFINITION.relative_to(ROOT)),
        "as_of": DEFAULT_END.isoformat(),
    }
    data = ensure_data(args.cache_dir.resolve(), args.leads, args.events)
    result["dataset"] = {k: v for k, v in data.items() if k not in ("sizes", "samples")}
    result["samples"] = data["samples"]
    for note in data["notes"]:
        print(f"note: {note}")

    with tempfile.TemporaryDirectory(prefix="leadgate-bench-") as tmp:
        work = Path(tmp)
        result["sizes"] = sizes = measure_sizes(data, args, work)
        result["reference"], ref_frame = reference(data, sizes)
        result["checks"], result["sample_rescore"] = checks(data, sizes, ref_frame, work)
        if not args.skip_spark:
            result["spark"], spark_check = spark(data, work)
            if spark_check is not None:
                result["checks"]["spark vs pandas"] = spark_check
        if args.profile:
            log("profile: rescore's steps at the largest size, in process ...")
            try:
                result["profile"] = {
                    **profile_rescore(Path(sizes[-1]["dir"]), work),
                    "events": sizes[-1]["events"],
                }
            except Exception as exc:  # internals changed: say so, keep the other figures
                result["profile"] = {"error": f"{type(exc).__name__}: {exc}"}

    result["targets"] = targets(result)
    result["machine"]["loadavg_at_end"] = os.getloadavg()[0]
    result["git_at_end"] = git_state()
    m, g = result["machine"], result["git"]
    print()
    print(f"command: {result['command']}")
    dirty = [d for d in ("src", "benchmarks") if g[f"{d}_dirty"]]
    print(
        f"code: commit {g['commit']}"
        + (f" with uncommitted changes under {', '.join(dirty)}" if dirty else "")
    )
    end = result["git_at_end"]
    if (end["src_tree"], end["src_dirty"]) != (g["src_tree"], g["src_dirty"]):
        print(f"WARNING: the code under src/ changed during the run (at the end: {end}); rerun")
    elif g["src_dirty"]:
        print("WARNING: uncommitted changes under src/: these figures are not those of a commit")
    print(
        f"machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gb']:.1f} GiB, Python {m['python']}, "
        f"DuckDB {m['duckdb']}, pandas {m['pandas']}; {m['platform']}; 1-min load average "
        f"{m['loadavg_at_start']:.2f} at start, {m['loadavg_at_end']:.2f} at end"
    )
    print(f"rescore: {sizes[-1]['rescore'].get('command')}")
    print(f"floor: {sizes[-1]['floor']['sql']}")
    print()
    print(markdown(result))
    if args.json is not None:
        args.json.write_bytes(
            orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY) + b"\n"
        )
        log(f"wrote {args.json}")
    return 0 if all(s["rescore"].get("ok") for s in sizes) else 1


if __name__ == "__main__":
    sys.exit(main())
