"""Benchmark: live ingestion through the REST API, on SQLite and on PostgreSQL.

    python benchmarks/ingest.py [--backends sqlite,postgresql] [--duration 20] [--connections 8]
                                [--json out.json] [--quick]

What it measures, per backend, against a server running as a separate process on loopback
(`python -m uvicorn --factory leadgate.service.api:create_app`, --server-workers processes, default 1,
log level warning, no access log; its writer in a process of its own, or with --server-writer thread in
the server's process) and a load generator in another process (asyncio, hand-written
HTTP/1.1 over keep-alive connections, so that the client costs as little CPU as possible: client and
server share the machine's cores):
1. set-up: a fresh store (a SQLite file in a temporary directory; a PostgreSQL database created and
   dropped by the script on the server --pg-url names), src/leadgate/examples/b2b-saas.yaml published
   and activated, a write key and an admin token, then `leadgate.data.generate` data (--leads leads,
   their accounts, events and qualification calls, ending now) ingested through
   `leadgate.service.ingest`, so every lead is scored;
2. single events: --connections connections POST one event each to /v1/events for --duration seconds
   (after --warmup seconds not counted); each request stores the event and re-scores its lead (and its
   account's other leads, for the definition's roll-ups) before it answers. Throughput, client-side
   latency p50/p99/max, errors (any answer but 201), and the CPU used during the window by the client,
   the server, PostgreSQL and the machine's other processes (read from /proc), with the server's CPU
   per event;
3. batches: --batch-connections connections POST --batch-size events per request, to /v1/events
   (`{"events": [...]}`) and to the Segment-compatible /v1/batch (track messages, write key as the
   Basic user): events/s, and how many leads a /v1/events batch re-scored;
4. the store is counted after every phase: the events it holds must be exactly those acknowledged;
5. floor: the same event rows inserted straight into the `events` table with SQLAlchemy Core
   executemany, one transaction per --batch-size rows (and with `ingest.insert_events`, the statement the
   service uses: ON CONFLICT DO NOTHING RETURNING); the batch endpoints as a ratio to the floor;
6. re-scoring one lead with 500 stored events, in process: `live.rescore` (median and p95 of
   --rescore-runs runs back to back, and its CPU time; the lead is its account's only member; then the
   same, each run right after a reader's full read of the lead), reading the lead afresh
   (`reading.load_leads`), and the pure evaluator `score_lead` on the same records (the floor of that
   step).
It prints a Markdown table with the targets (≥ 1,000 single events/s with p99 ≤ 50 ms on SQLite;
≥ 20,000 events/s through /v1/batch; re-scoring a lead with 500 events ≤ 5 ms) and, with --json, writes
every figure to a JSON file.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import os
import random
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import environment
import orjson
from environment import git_state, percentile

ROOT = Path(__file__).resolve().parents[1]
DEFINITION = ROOT / "src" / "leadgate" / "examples" / "b2b-saas.yaml"
SCRIPT = Path(__file__).resolve()
SEED = 0
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_SINGLE_PER_S = 1000.0
TARGET_SINGLE_P99_MS = 50.0
TARGET_BATCH_PER_S = 20000.0
TARGET_RESCORE_MS = 5.0
RESCORE_EVENTS = 500
BACKENDS = ("sqlite", "postgresql")
LABEL = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- machine --------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import fastapi
    import psycopg
    import sqlalchemy
    import uvicorn

    return environment.machine(
        sqlite=sqlite3.sqlite_version,
        sqlalchemy=sqlalchemy.__version__,
        fastapi=fastapi.__version__,
        uvicorn=uvicorn.__version__,
        psycopg=psycopg.__version__,
    )


# -- CPU accounting (read from /proc: the client, the server, the database, the whole machine) -----

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int | str) -> tuple[str, int, float] | None:
    """(command, parent pid, CPU seconds) of a process, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    rest = raw[raw.rindex(")") + 2 :].split()
    return name, int(rest[1]), (int(rest[11]) + int(rest[12])) / TICK


PG_SHARED = ("checkpointer", "background writer", "walwriter")  # PostgreSQL's processes for every database


def _serves(pid: int, database: str) -> bool:
    """Whether a PostgreSQL process works for `database` (a backend connected to it, or a shared one)."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return f" {database} " in title or any(shared in title for shared in PG_SHARED)


def _is_writer(pid: int) -> bool:
    """Whether a process of the server's is a writer process (`LEADGATE_WRITER=process`, the default)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"leadgate.service.writer_process" in command


def cpu_snapshot(server_pid: int | None, pg_database: str | None = None) -> dict[str, float]:
    """CPU seconds used so far by this process, the server (and its children), PostgreSQL (for
    `pg_database`; other databases' work counts as the machine's), and the whole machine."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    out = {"client": me.ru_utime + me.ru_stime, "server": 0.0, "postgres": 0.0}
    procs = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            found = _stat(entry)
            if found is not None:
                procs[int(entry)] = found
    if server_pid is not None:  # its main thread: the event loop, when the server is one process
        main = _stat(f"{server_pid}/task/{server_pid}")
        out["server_main_thread"] = main[2] if main is not None else 0.0
        out["server_writer_process"] = 0.0
    family = {server_pid} if server_pid is not None else set()
    grown = True
    while grown:  # the server, its uvicorn workers, their writer processes
        more = {pid for pid, (_name, ppid, _s) in procs.items() if ppid in family} - family
        family |= more
        grown = bool(more)
    for pid, (name, _ppid, seconds) in procs.items():
        if pid in family:
            out["server"] += seconds
            if pid != server_pid and _is_writer(pid):
                out["server_writer_process"] += seconds
        elif name == "postgres" and pg_database is not None and _serves(pid, pg_database):
            out["postgres"] += seconds
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]
        out["machine_busy"] = (sum(fields[:8]) - idle) / TICK
    except (OSError, ValueError, IndexError):
        out["machine_busy"] = 0.0
    return out


def cpu_used(before: dict[str, float], after: dict[str, float], wall: float) -> dict[str, float]:
    """CPU seconds and cores (CPU seconds per wall second) used between two snapshots; `other` is what
    the rest of the machine used (other processes sharing the cores)."""
    seconds = {key: after[key] - before[key] for key in before}
    seconds["other"] = max(
        0.0, seconds["machine_busy"] - seconds["client"] - seconds["server"] - seconds["postgres"]
    )
    out: dict[str, float] = {}
    for key, value in seconds.items():
        out[f"{key}_cpu_s"] = value
        out[f"{key}_cores"] = value / wall if wall > 0 else 0.0
    return out


# -- the load generator (a separate process: `ingest.py --client-worker CONFIG OUT`) ---------------

MARKER = "@@ID@@"


def _title(event_type: str) -> str:
    return " ".join(word.capitalize() for word in event_type.split("_"))


def _pieces(templates: list[dict[str, Any]], mode: str) -> list[tuple[bytes, bytes]]:
    """Each template serialised once, split where the event id goes."""
    out = []
    for t in templates:
        if mode == "segment":
            doc: dict[str, Any] = {"type": "track", "userId": t["lead_id"], "event": _title(t["type"]),
                                   "properties": t["properties"], "messageId": MARKER, "timestamp": t["time"]}  # fmt: skip
        else:
            doc = {"event_id": MARKER, "lead_id": t["lead_id"], "type": t["type"], "time": t["time"],
                   "properties": t["properties"]}  # fmt: skip
        pre, post = orjson.dumps(doc).split(MARKER.encode())
        out.append((pre, post))
    return out


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, whether the server closes the connection) of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    at = lower.find(b"\r\ncontent-length:")
    if at < 0:
        raise ValueError("a response without Content-Length")
    end = lower.index(b"\r\n", at + 2)
    body = await reader.readexactly(int(lower[at + 17 : end]))
    return status, body, b"\r\nconnection: close" in lower


@dataclass
class _Tally:
    latencies: list[float]
    statuses: Counter[int]
    errors: Counter[str]
    accepted: int = 0  # every event acknowledged as stored (warm-up, window and drain)
    accepted_window: int = 0  # acknowledged by a request that completed inside the measured window
    duplicates: int = 0
    rejected_items: int = 0
    requests_window: int = 0
    rescored: int = 0  # leads re-scored, as /v1/events batches report them (`changes`)


async def _connection(
    cfg: dict[str, Any],
    number: int,
    pieces: list[tuple[bytes, bytes]],
    window: tuple[float, float],
    tally: _Tally,
) -> None:
    host, port, per_request, mode = cfg["host"], cfg["port"], cfg["per_request"], cfg["mode"]
    head = (
        f"POST {cfg['path']} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {cfg['authorization']}\r\n"
        "Content-Type: application/json\r\nContent-Length: "
    ).encode()
    opening, closing = {"single": (b"", b""), "events": (b'{"events":[', b"]}"),
                        "segment": (b'{"batch":[', b"]}")}[mode]  # fmt: skip
    prefix = f"{cfg['tag']}-{number}-".encode()
    step = len(pieces) // max(cfg["connections"], 1)
    cursor = number * step
    seq = 0
    start, stop = window
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop:
            items = []
            for _ in range(per_request):
                pre, post = pieces[cursor % len(pieces)]
                cursor += 1
                seq += 1
                items.append(pre + prefix + str(seq).encode() + post)
            body = opening + b",".join(items) + closing
            request = head + str(len(body)).encode() + b"\r\n\r\n" + body
            sent = time.perf_counter()
            try:
                writer.write(request)
                status, answer, close = await _response(reader)
            except (OSError, EOFError, ValueError, asyncio.IncompleteReadError) as exc:
                tally.errors[f"connection: {type(exc).__name__}"] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            done = time.perf_counter()
            tally.statuses[status] += 1
            if mode == "single":
                stored = 1 if status == 201 else 0
                tally.duplicates += status == 200
            elif status in (200, 201):
                found = orjson.loads(answer)
                stored = int(found["accepted"])
                tally.duplicates += int(found["duplicates"])
                tally.rejected_items += len(found["rejected"])
                tally.rescored += len(found.get("changes", ()))
            else:
                stored = 0
            if status not in (200, 201) or (mode == "single" and status != 201):
                tally.errors[f"HTTP {status}: {answer[:200].decode(errors='replace')}"] += 1
            tally.accepted += stored
            if start <= done <= stop:
                tally.latencies.append(done - sent)
                tally.accepted_window += stored
                tally.requests_window += 1
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


async def _load(cfg: dict[str, Any]) -> dict[str, Any]:
    templates = orjson.loads(Path(cfg["templates"]).read_bytes())
    pieces = _pieces(templates, cfg["mode"])
    tally = _Tally([], Counter(), Counter())
    begin = time.perf_counter() + 0.05
    window = (begin + cfg["warmup"], begin + cfg["warmup"] + cfg["duration"])
    snaps: dict[str, dict[str, float]] = {}

    async def snapshot(at: float, name: str) -> None:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        snaps[name] = cpu_snapshot(cfg["server_pid"], cfg["pg_database"])
        snaps[name]["at"] = time.perf_counter()

    gc.disable()  # the client's own pauses would show up as latency
    tasks = [
        asyncio.create_task(_connection(cfg, n, pieces, window, tally)) for n in range(cfg["connections"])
    ]
    tasks += [
        asyncio.create_task(snapshot(window[0], "start")),
        asyncio.create_task(snapshot(window[1], "stop")),
    ]
    await asyncio.gather(*tasks)
    wall = snaps["stop"]["at"] - snaps["start"]["at"]
    return {
        "wall_s": wall,
        "latencies_s": tally.latencies,
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "errors": dict(tally.errors),
        "accepted": tally.accepted,
        "accepted_window": tally.accepted_window,
        "requests_window": tally.requests_window,
        "duplicates": tally.duplicates,
        "rejected_items": tally.rejected_items,
        "rescored": tally.rescored,
        "cpu": cpu_used(
            {k: v for k, v in snaps["start"].items() if k != "at"},
            {k: v for k, v in snaps["stop"].items() if k != "at"},
            wall,
        ),
    }


def client_worker(config: Path, out: Path) -> int:
    cfg = orjson.loads(config.read_bytes())
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(_load(cfg))
        result["loop"] = "asyncio"
    else:
        result = uvloop.run(_load(cfg))
        result["loop"] = "uvloop"
    out.write_bytes(orjson.dumps(result))
    return 0


# -- stores ---------------------------------------------------------------------------------------


@contextmanager
def fresh_database(backend: str, work: Path, pg_admin: str) -> Iterator[str]:
    """A new, empty database's URL; it is removed afterwards."""
    if backend == "sqlite":
        path = work / "sqlite" / "leadgate.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{path}"
        shutil.rmtree(path.parent, ignore_errors=True)
        return
    import psycopg

    name = f"leadgate_bench_{os.getpid()}"
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    base = pg_admin.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(pg_admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def settle(url: str) -> None:
    """After the bulk set-up, what PostgreSQL's autovacuum would do in its own time (VACUUM ANALYZE),
    done now, so that it does not run during, and take CPU from, the measures that follow."""
    if not url.startswith("postgres"):
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def count_events(url: str) -> int:
    from sqlalchemy import func, select

    from leadgate.service.store import open_store, tables

    store = open_store(url, migrate=False)
    try:
        with store.reading() as session:
            return int(session.scalar(select(func.count()).select_from(tables.Event)) or 0)
    finally:
        store.close()


def server_version(url: str) -> str | None:
    from sqlalchemy import text

    from leadgate.service.store import open_store

    store = open_store(url, migrate=False)
    try:
        with store.reading() as session:
            if store.dialect == "postgresql":
                return str(session.scalar(text("SHOW server_version")))
            return str(session.scalar(text("SELECT sqlite_version()")))
    finally:
        store.close()


# -- set-up: generated data through the ingestion layer ---------------------------------------------


@dataclass
class Population:
    tokens: dict[str, str]
    templates: list[dict[str, Any]]  # raw generated events, shuffled: the load replays them
    figures: dict[str, Any]


def populate(url: str, work: Path, leads: int, now: datetime) -> Population:
    from leadgate.data.generate import generate
    from leadgate.data.read import load_dataset
    from leadgate.definition import load_definition
    from leadgate.service import ingest, versions
    from leadgate.service.payloads import AccountIn, CallIn, LeadIn
    from leadgate.service.store import open_store
    from leadgate.service.tokens import create_token
    from leadgate.service.vocabulary import stored_form
    from leadgate.service.workspace import DefinitionCache, context_of, ensure_workspace, utc_now

    data_dir = work / "data"
    if not (data_dir / "manifest.json").exists():
        generate(data_dir, leads, seed=SEED, end=now)
    definition = load_definition(DEFINITION)
    data = load_dataset(definition, data_dir / "leads.csv", data_dir / "accounts.csv",
                        data_dir / "events.jsonl", data_dir / "answers.csv")  # fmt: skip
    raw = [orjson.loads(line) for line in (data_dir / "events.jsonl").read_bytes().splitlines() if line]

    def fields(values: Any) -> dict[str, Any]:
        return {k: stored_form(v) for k, v in values.items()}

    started = time.perf_counter()
    store = open_store(url)
    cache = DefinitionCache()
    try:
        with store.transaction() as session:
            workspace = ensure_workspace(session)
            versions.publish(session, workspace, DEFINITION.read_text(encoding="utf-8"), "ingest benchmark",
                             "benchmark", utc_now())  # fmt: skip
            write_key, _ = create_token(session, workspace, "write", "benchmark load", utc_now())
            admin, _ = create_token(session, workspace, "admin", "benchmark", utc_now())
        versions.activate(store, workspace.name, 1, "benchmark", cache, utc_now)
        with store.transaction() as session:
            ctx = context_of(session, ensure_workspace(session), cache)
            for a in data.accounts.values():
                account = AccountIn(
                    account_id=a.account_id, domain=a.domain, name=a.name, fields=fields(a.fields)
                )
                ingest.upsert_account(session, ctx, account)  # a new account: it has no leads to re-score yet
        people = list(data.leads.values())
        for start in range(0, len(people), 500):
            with store.transaction() as session:
                for lead in people[start : start + 500]:
                    payload = LeadIn(lead_id=lead.lead_id, email=lead.email, account_id=lead.account_id,
                                     created_at=lead.created_at, fields=fields(lead.fields))  # fmt: skip
                    ingest.upsert_lead(session, ctx, payload)
        for start in range(0, len(raw), 1000):
            with store.transaction() as session:
                outcome = ingest.add_events(session, ctx, raw[start : start + 1000], atomic=True)
                assert outcome.accepted == len(raw[start : start + 1000]), outcome
        calls = [c for cs in data.calls_by_lead.values() for c in cs]
        for start in range(0, len(calls), 500):
            with store.transaction() as session:
                for c in calls[start : start + 500]:
                    ingest.add_call(session, ctx, c.lead_id, CallIn(call_id=c.call_id, called_at=c.called_at,
                                                                    outcome=c.outcome, answers=dict(c.answers)))  # fmt: skip
    finally:
        store.close()
    seconds = time.perf_counter() - started

    # how many leads, and stored events, one event's re-score reads (its lead and its account's leads)
    members: dict[str, list[str]] = {}
    for lead in data.leads.values():
        if lead.account_id:
            members.setdefault(lead.account_id, []).append(lead.lead_id)
    stored = {k: len(v) for k, v in data.events_by_lead.items()}
    group_leads, group_events, own_events = [], [], []
    for event in raw:
        lead = data.leads[event["lead_id"]]
        group = members[lead.account_id] if lead.account_id else [lead.lead_id]
        group_leads.append(len(group))
        group_events.append(sum(stored.get(m, 0) for m in group))
        own_events.append(stored.get(lead.lead_id, 0))
    templates = list(raw)
    random.Random(SEED).shuffle(templates)
    figures = {
        "leads": len(data.leads),
        "accounts": len(data.accounts),
        "leads_with_account": sum(1 for lead in data.leads.values() if lead.account_id),
        "events": len(raw),
        "calls": len(calls),
        "generated_end": now.isoformat(),
        "seconds": seconds,
        "rescored_leads_per_event_mean": statistics.fmean(group_leads),
        "rescored_leads_per_event_max": max(group_leads),
        "stored_events_read_per_event_mean": statistics.fmean(group_events),
        "stored_events_read_per_event_median": statistics.median(group_events),
        "stored_events_of_the_lead_itself_per_event_mean": statistics.fmean(own_events),
        "event_types": dict(Counter(e["type"] for e in raw).most_common()),
    }
    return Population({"write": write_key, "admin": admin}, templates, figures)


# -- the server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(
    url: str, work: Path, workers: int, writer: str = "process"
) -> Iterator[tuple[subprocess.Popen[bytes], int, Path]]:
    port = free_port()
    logfile = work / f"server-{port}.log"
    env = {**os.environ, "LEADGATE_DATABASE_URL": url, "LEADGATE_WRITER": writer}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "leadgate.service.api:create_app", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    if workers > 1:
        cmd += ["--workers", str(workers)]
    with logfile.open("wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=work)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited ({proc.returncode}):\n{logfile.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"the server did not answer /healthz in 60 s:\n{logfile.read_text()[-4000:]}"
                )
            time.sleep(0.1)
        yield proc, port, logfile
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def get_json(port: int, path: str, token: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        found: dict[str, Any] = orjson.loads(answer.read())
        return found


# -- load phases ----------------------------------------------------------------------------------


def run_client(cfg: dict[str, Any], work: Path) -> dict[str, Any]:
    config = work / f"client-{cfg['tag']}.json"
    out = work / f"client-{cfg['tag']}-out.json"
    config.write_bytes(orjson.dumps(cfg))
    timeout = cfg["warmup"] + cfg["duration"] + 120
    done = subprocess.run([sys.executable, str(SCRIPT), "--client-worker", str(config), str(out)],
                          capture_output=True, text=True, timeout=timeout, check=False)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"the load generator failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, Any] = orjson.loads(out.read_bytes())
    return result


def phase(
    name: str,
    mode: str,
    args: argparse.Namespace,
    url: str,
    server: tuple[subprocess.Popen[bytes], int, Path],
    population: Population,
    work: Path,
) -> dict[str, Any]:
    proc, port, logfile = server
    single = mode == "single"
    key = population.tokens["write"]
    authorization = (
        "Basic " + base64.b64encode(f"{key}:".encode()).decode() if mode == "segment" else f"Bearer {key}"
    )
    cfg = {
        "tag": f"{name}-{os.getpid()}-{int(time.time())}",
        "host": "127.0.0.1",
        "port": port,
        "path": "/v1/batch" if mode == "segment" else "/v1/events",
        "authorization": authorization,
        "mode": mode,
        "per_request": 1 if single else args.batch_size,
        "connections": args.connections if single else args.batch_connections,
        "warmup": args.warmup,
        "duration": args.duration,
        "server_pid": proc.pid,
        "pg_database": url.rsplit("/", 1)[1] if url.startswith("postgres") else None,
        "templates": str(work / "templates.json"),
    }
    before = count_events(url)
    health_before = get_json(port, "/healthz", population.tokens["admin"])
    log(f"  {name}: {cfg['connections']} connections x {cfg['per_request']} event(s) per request, "
        f"{args.warmup:g} s warm-up + {args.duration:g} s ...")  # fmt: skip
    got = run_client(cfg, work)
    after = count_events(url)
    health_after = get_json(port, "/healthz", population.tokens["admin"])
    writes = health_after["writes"] - health_before["writes"]
    transactions = health_after["transactions"] - health_before["transactions"]
    lat_ms = [x * 1000 for x in got.pop("latencies_s")]
    wall = got["wall_s"]
    events = got["accepted_window"]
    errors = sum(got["errors"].values()) + got["rejected_items"]
    out: dict[str, Any] = {
        "endpoint": f"POST {cfg['path']}",
        "connections": cfg["connections"],
        "events_per_request": cfg["per_request"],
        "warmup_s": args.warmup,
        "window_s": wall,
        "requests": got["requests_window"],
        "events": events,
        "events_per_s": events / wall if wall > 0 else 0.0,
        "requests_per_s": got["requests_window"] / wall if wall > 0 else 0.0,
        "latency_ms": {
            "p50": percentile(lat_ms, 50) if lat_ms else None,
            "p90": percentile(lat_ms, 90) if lat_ms else None,
            "p99": percentile(lat_ms, 99) if lat_ms else None,
            "max": max(lat_ms) if lat_ms else None,
            "mean": statistics.fmean(lat_ms) if lat_ms else None,
        },
        "statuses": got["statuses"],
        "errors": errors,
        "error_kinds": got["errors"],
        "rejected_items": got["rejected_items"],
        "duplicates": got["duplicates"],
        # leads re-scored per request (the /v1/events batch answer lists them; the others do not say)
        "leads_rescored_per_request": got["rescored"] / max(1, sum(got["statuses"].values()))
        if mode == "events"
        else None,
        "cpu": got["cpu"],
        # CPU time is less disturbed than wall time by other work on the machine
        "server_cpu_ms_per_event": got["cpu"]["server_cpu_s"] * 1000 / events if events else None,
        "postgres_cpu_ms_per_event": got["cpu"]["postgres_cpu_s"] * 1000 / events if events else None,
        # one server process: its main thread runs the event loop (HTTP, FastAPI), the others the writer
        "server_event_loop_cpu_ms_per_event": got["cpu"]["server_main_thread_cpu_s"] * 1000 / events
        if events and args.server_workers == 1
        else None,
        # the writer's own process (LEADGATE_WRITER=process, the default); 0 when it runs in a thread
        "server_writer_process_cpu_ms_per_event": got["cpu"]["server_writer_process_cpu_s"] * 1000 / events
        if events
        else None,
        "client_loop": got["loop"],
        # group commit (one server process's counts: /healthz answers from one worker)
        "writes_per_transaction": writes / transactions if transactions else None,
        "store_check": {
            "events_before": before,
            "events_after": after,
            "stored": after - before,
            "acknowledged": got["accepted"],
            "ok": after - before == got["accepted"],
        },
    }
    if errors:
        out["server_log_tail"] = logfile.read_text(errors="replace")[-3000:]
    return out


# -- the floor: the same rows, straight into the events table ---------------------------------------


def floor_inserts(url: str, population: Population, rows: int, batch: int) -> dict[str, Any]:
    from sqlalchemy import insert, select

    from leadgate.service.ingest import insert_events
    from leadgate.service.store import open_store, tables

    store = open_store(url, migrate=False, checkpoints="background")  # as the server's writer opens it
    try:
        with store.reading() as session:
            pk_of: dict[str, int] = {
                lead_id: pk for lead_id, pk in session.execute(select(tables.Lead.lead_id, tables.Lead.id))
            }
            workspace_pk = session.scalar(select(tables.Workspace.id))
        templates = population.templates

        def chunks(tag: str) -> list[list[dict[str, Any]]]:
            now = datetime.now(UTC)
            made = []
            for i in range(rows):
                t = templates[i % len(templates)]
                made.append({"workspace_pk": workspace_pk, "event_id": f"{tag}-{i}", "lead_pk": pk_of[t["lead_id"]],
                             "type": t["type"], "time": datetime.fromisoformat(t["time"]), "received_at": now,
                             "properties": t["properties"]})  # fmt: skip
            return [made[i : i + batch] for i in range(0, len(made), batch)]

        out: dict[str, Any] = {"rows": rows, "rows_per_transaction": batch}
        plain = chunks(f"floor-{os.getpid()}")
        gc.collect()
        start = time.perf_counter()
        for chunk in plain:
            with store.engine.begin() as conn:
                conn.execute(insert(tables.Event), chunk)
        seconds = time.perf_counter() - start
        out["executemany"] = {"seconds": seconds, "rows_per_s": rows / seconds,
                              "statement": "INSERT INTO events (...) VALUES (...), executemany"}  # fmt: skip
        service = chunks(f"floor-rt-{os.getpid()}")
        gc.collect()
        start = time.perf_counter()
        stored = 0
        for chunk in service:
            with store.transaction() as session:
                stored += len(insert_events(session, chunk))
        seconds = time.perf_counter() - start
        assert stored == rows, (stored, rows)
        out["insert_events"] = {"seconds": seconds, "rows_per_s": rows / seconds,
                                "statement": "ingest.insert_events: the ids stored before, then INSERT executemany"}  # fmt: skip
        out["store_writes"] = _floor_store_writes(store, chunks(f"floor-sw-{os.getpid()}"), rows)
        # as the server groups the batch phases' requests (about two per transaction: see their figures)
        paired = chunks(f"floor-sw2-{os.getpid()}")
        out["store_writes_two_requests"] = _floor_store_writes(
            store,
            [a + b for a, b in zip(paired[::2], paired[1::2], strict=False)],
            rows // (2 * batch) * 2 * batch,
        )
        return out
    finally:
        store.close()


def _floor_store_writes(store: Any, chunks: list[list[dict[str, Any]]], rows: int) -> dict[str, Any]:
    """The writes one batch request makes, without the scoring: the ids stored before looked up, its
    events inserted, then for each distinct lead its stored score written again (the row as stored, the
    same size) and a history row, through the statements live scoring uses (`store.statements`), then
    the commit; every row built in stored form before the clock starts. What the store alone costs a
    batch: the floor of `/v1/batch` on this machine."""
    from sqlalchemy import select

    from leadgate.service.store import tables
    from leadgate.service.store.statements import (
        RESCORE_COLUMNS,
        event_row,
        run_many,
        stored_event_ids,
        stored_json,
        stored_time,
    )

    with store.reading() as session:
        stored = {row.lead_pk: row for row in session.execute(select(tables.LeadScore.__table__))}
        dialect = session.get_bind().dialect.name
    at = stored_time(dialect, datetime.now(UTC))
    prepared = []
    for chunk in chunks:
        events = [event_row(dialect, r) for r in chunk]
        scores, history = [], []
        for pk in {r["lead_pk"] for r in chunk}:
            row = stored[pk]
            values = {c: getattr(row, c) for c in RESCORE_COLUMNS}  # same version, grade and stage
            values.update(as_of=at, result=stored_json(row.result), rollups=stored_json(row.rollups))
            scores.append((*values.values(), pk))
            history.append((row.workspace_pk, pk, row.definition_pk, at, "floor", row.score, row.score,
                            row.grade, row.grade, row.stage, row.stage))  # fmt: skip
        prepared.append((chunk[0]["workspace_pk"], [e[1] for e in events], events, scores, history))
    database = store.engine.url.database if dialect == "postgresql" else None
    gc.collect()
    before = cpu_snapshot(None, database)
    start = time.perf_counter()
    for workspace_pk, ids, events, scores, history in prepared:
        with store.transaction() as session:
            connection = session.connection()
            assert not stored_event_ids(connection, workspace_pk, ids)
            run_many(connection, "events", events)
            run_many(connection, "rescores", scores)
            run_many(connection, "history", history)
    seconds = time.perf_counter() - start
    if dialect == "sqlite":  # what the checkpoint thread has not copied yet is charged to the CPU too
        own = sqlite3.connect(store.engine.url.database, isolation_level=None)  # as store.checkpoints does
        try:
            own.execute("PRAGMA busy_timeout=10000")
            own.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            own.close()
    after = cpu_snapshot(None, database)
    # CPU: this process (its writes and the checkpoint thread's copying) and PostgreSQL's for the database
    cpu_s = after["client"] - before["client"] + after["postgres"] - before["postgres"]
    leads = sum(len(p[3]) for p in prepared)
    return {"seconds": seconds, "rows_per_s": rows / seconds, "leads_per_transaction": leads / len(prepared),
            "cpu_s": cpu_s, "cpu_us_per_event": cpu_s / rows * 1e6,
            "statement": "the stored ids looked up, INSERT events, then per lead UPDATE lead_scores and INSERT "
                         "score_changes, one transaction per chunk, rows built beforehand"}  # fmt: skip


# -- re-scoring one lead with 500 events, in process ------------------------------------------------


def rescore_one(url: str, population: Population, runs: int) -> dict[str, Any]:
    from leadgate.definition import load_definition
    from leadgate.scoring import score_lead
    from leadgate.service import ingest
    from leadgate.service.live import rescore
    from leadgate.service.payloads import AccountIn, LeadIn
    from leadgate.service.store import open_store
    from leadgate.service.store.reading import load_leads
    from leadgate.service.workspace import DefinitionCache, context_of, ensure_workspace, utc_now

    store = open_store(url, migrate=False)
    cache = DefinitionCache()
    lead_id = "bench-rescore-500"
    try:
        with store.transaction() as session:
            ctx = context_of(session, ensure_workspace(session), cache)
            ingest.upsert_account(session, ctx, AccountIn(
                account_id="bench-rescore", domain="bench-rescore.example", name="Rescore benchmark",
                fields={"industry": "software", "employees": 800, "country": "US",
                        "technologies": ["salesforce", "aws"], "is_customer": False}))  # fmt: skip
            upserted = ingest.upsert_lead(session, ctx, LeadIn(
                lead_id=lead_id, email="dana@bench-rescore.example", account_id="bench-rescore",
                fields={"title": "VP Engineering", "seniority": "vp", "department": "engineering",
                        "country": "US", "source": "web", "interests": ["analytics", "ai"]}))  # fmt: skip
            (pk,) = upserted.changes
            events = [{**t, "event_id": f"bench-rescore-{i}", "lead_id": lead_id}
                      for i, t in enumerate(population.templates[:RESCORE_EVENTS])]  # fmt: skip
            assert ingest.add_events(session, ctx, events, atomic=True).accepted == RESCORE_EVENTS
        definition = ctx.active.definition if ctx.active else load_definition(DEFINITION)
        readers = ctx.active.readers if ctx.active else None
        assert readers is not None

        def timed_rescore() -> tuple[float, float, float]:
            """(ms in `rescore`, CPU ms of this process in it, ms with the transaction's begin and commit)"""
            begin = time.perf_counter()
            with store.transaction() as session:
                start, cpu = time.perf_counter(), time.process_time()
                changes = rescore(session, ctx, {pk}, "benchmark")
                inside, cpu = time.perf_counter() - start, time.process_time() - cpu
                assert list(changes) == [pk], changes
            return inside * 1000, cpu * 1000, (time.perf_counter() - begin) * 1000

        def timed_load() -> tuple[float, Any]:
            with store.reading() as session:
                start = time.perf_counter()
                loaded = load_leads(session, definition, readers, {pk}, utc_now())
                return (time.perf_counter() - start) * 1000, loaded

        for _ in range(10):  # warm up
            timed_rescore()
            timed_load()
        gc.collect()
        # re-scores back to back, as the server's writer runs its transactions; the reads apart
        rescore_ms, cpu_ms, with_commit_ms = [], [], []
        for _ in range(runs):
            inside, cpu, total = timed_rescore()
            rescore_ms.append(inside)
            cpu_ms.append(cpu)
            with_commit_ms.append(total)
        load_ms = [timed_load()[0] for _ in range(runs)]
        # and each re-score right after a reader's full read of the lead (on another connection): the
        # caches (the CPU's, the database's) are the reader's then; earlier runs measured only this way
        after_read_ms = []
        for _ in range(runs):
            timed_load()
            after_read_ms.append(timed_rescore()[0])
        _, loaded = timed_load()
        lead = loaded.leads[pk]
        lead_events = loaded.events.get(lead_id, [])
        account = loaded.accounts.get(lead.account_id) if lead.account_id else None
        calls = loaded.calls.get(lead_id, [])
        as_of = utc_now()
        assert len(lead_events) == RESCORE_EVENTS, len(lead_events)
        for _ in range(10):
            score_lead(definition, lead, lead_events, calls, as_of, account)
        floor_ms = []
        for _ in range(runs):
            start = time.perf_counter()
            score_lead(definition, lead, lead_events, calls, as_of, account)
            floor_ms.append((time.perf_counter() - start) * 1000)
    finally:
        store.close()

    def summary(values: list[float]) -> dict[str, float]:
        return {"median_ms": statistics.median(values), "p95_ms": percentile(values, 95),
                "min_ms": min(values), "max_ms": max(values)}  # fmt: skip

    median = statistics.median(rescore_ms)
    floor_median = statistics.median(floor_ms)
    return {
        "lead_id": lead_id,
        "events": len(lead_events),
        "runs": runs,
        "rescore": summary(rescore_ms),
        # CPU time of the benchmark's process: wall time less waiting (for the database, or for a core)
        "rescore_cpu": summary(cpu_ms),
        "rescore_with_transaction": summary(with_commit_ms),
        "rescore_after_a_read": summary(after_read_ms),
        "load_leads": summary(load_ms),
        "score_lead": summary(floor_ms),
        "ratio_to_floor": median / floor_median if floor_median > 0 else None,
        "target_ms": TARGET_RESCORE_MS,
        "target_met": percentile(rescore_ms, 95) <= TARGET_RESCORE_MS,
    }


# -- one backend ----------------------------------------------------------------------------------


def run_backend(backend: str, args: argparse.Namespace, work: Path, now: datetime) -> dict[str, Any]:
    out: dict[str, Any] = {"backend": backend}
    with fresh_database(backend, work, args.pg_url) as url:
        out["database"] = url if backend == "postgresql" else "sqlite:///<temporary directory>/leadgate.db"
        log(f"{LABEL[backend]}: set-up ({args.leads:,} generated leads through leadgate.service.ingest) ...")
        population = populate(url, work, args.leads, now)
        settle(url)
        out["server_version"] = server_version(url)
        out["setup"] = population.figures
        (work / "templates.json").write_bytes(orjson.dumps(population.templates))
        log(f"{LABEL[backend]}: re-scoring one lead with {RESCORE_EVENTS} events x {args.rescore_runs} ...")
        out["rescore"] = rescore_one(url, population, args.rescore_runs)
        log(f"{LABEL[backend]}: server ...")
        with running_server(url, work, args.server_workers, args.server_writer) as server:
            out["single"] = phase("single", "single", args, url, server, population, work)
            out["events_batch"] = phase("events-batch", "events", args, url, server, population, work)
            out["segment_batch"] = phase("segment-batch", "segment", args, url, server, population, work)
            sample = population.templates[0]["lead_id"]
            view = get_json(server[1], f"/v1/leads/{sample}", population.tokens["admin"])
            out["sample_lead"] = {"lead_id": sample, "score": (view.get("score") or {}).get("score")}
        out["server_workers"] = args.server_workers
        out["server_writer"] = args.server_writer
        log(f"{LABEL[backend]}: floor (raw inserts of {args.floor_rows:,} rows) ...")
        out["floor"] = floor_inserts(url, population, args.floor_rows, args.batch_size)
        floor_rate = out["floor"]["executemany"]["rows_per_s"]
        writes_rate = out["floor"]["store_writes"]["rows_per_s"]
        for key in ("events_batch", "segment_batch"):
            out[key]["ratio_to_floor"] = out[key]["events_per_s"] / floor_rate
            out[key]["ratio_to_store_writes"] = out[key]["events_per_s"] / writes_rate
        out["store_check_ok"] = all(
            out[k]["store_check"]["ok"] for k in ("single", "events_batch", "segment_batch")
        )
    return out


def targets(backends: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for name, b in backends.items():
        s = b["single"]
        if name == "sqlite":
            out.append({"target": f"single events on SQLite: ≥ {TARGET_SINGLE_PER_S:,.0f} events/s",
                        "backend": name, "value": s["events_per_s"],
                        "met": s["events_per_s"] >= TARGET_SINGLE_PER_S and s["errors"] == 0})  # fmt: skip
            p99 = s["latency_ms"]["p99"]
            out.append({"target": f"single events on SQLite: p99 ≤ {TARGET_SINGLE_P99_MS:g} ms", "backend": name,
                        "value": p99, "met": p99 is not None and p99 <= TARGET_SINGLE_P99_MS})  # fmt: skip
        rate = b["segment_batch"]["events_per_s"]
        out.append({"target": f"/v1/batch: ≥ {TARGET_BATCH_PER_S:,.0f} events/s", "backend": name, "value": rate,
                    "met": rate >= TARGET_BATCH_PER_S and b["segment_batch"]["errors"] == 0})  # fmt: skip
        p95 = b["rescore"]["rescore"]["p95_ms"]
        out.append({"target": f"re-score a lead with {RESCORE_EVENTS} events: p95 ≤ {TARGET_RESCORE_MS:g} ms",
                    "backend": name, "value": p95, "met": b["rescore"]["target_met"]})  # fmt: skip
        out.append({"target": "store holds exactly the events acknowledged", "backend": name,
                    "value": b["store_check_ok"], "met": b["store_check_ok"]})  # fmt: skip
    return out


# -- report ---------------------------------------------------------------------------------------


def _n(x: float) -> str:
    return f"{x:,.0f}"


def _ms(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def _cpu(c: dict[str, float], backend: str) -> str:
    parts = [f"server {c['server_cores']:.2f}", f"client {c['client_cores']:.2f}"]
    if backend == "postgresql":
        parts.append(f"PostgreSQL {c['postgres_cores']:.2f}")
    parts.append(f"other processes {c['other_cores']:.2f}")
    return ", ".join(parts) + " cores"


def _load_cell(p: dict[str, Any], backend: str) -> str:
    lat = p["latency_ms"]
    errors = "" if not p["errors"] else f"; **{p['errors']:,} errors**"
    per_event = p["server_cpu_ms_per_event"]
    db = p["postgres_cpu_ms_per_event"] if backend == "postgresql" else None
    cost = (
        ""
        if per_event is None
        else f"; server CPU {per_event:.2f} ms per event"
        + ("" if db is None else f" (+ PostgreSQL {db:.2f} ms)")
    )
    loop = p.get("server_event_loop_cpu_ms_per_event")
    writer = p.get("server_writer_process_cpu_ms_per_event") or 0.0
    if per_event is not None and loop is not None and writer > 0:
        cost += (f" (event loop thread {loop:.2f}, writer process {writer:.2f}, "
                 f"other threads and processes {per_event - loop - writer:.2f})")  # fmt: skip
    elif per_event is not None and loop is not None:
        cost += f" (event loop thread {loop:.2f}, writer and other threads {per_event - loop:.2f})"
    grouped = p.get("writes_per_transaction")
    if grouped is not None:
        cost += f"; {grouped:.1f} requests per transaction"
    rps = p["requests_per_s"]
    return (f"**{_n(p['events_per_s'])} events/s** ({rps:,.0f} requests/s); latency p50 {_ms(lat['p50'])} / "
            f"p99 {_ms(lat['p99'])} / max {_ms(lat['max'])} ms{errors}; CPU: {_cpu(p['cpu'], backend)}{cost}"
            if rps >= 10 else
            f"**{_n(p['events_per_s'])} events/s** ({rps:.2f} requests/s); latency p50 {_ms(lat['p50'])} / "
            f"max {_ms(lat['max'])} ms{errors}; CPU: {_cpu(p['cpu'], backend)}{cost}")  # fmt: skip


def markdown(r: dict[str, Any]) -> str:
    bs = r["backends"]
    names = list(bs)
    rows: list[tuple[str, list[str], str]] = []

    def row(label: str, cell: Callable[[str, dict[str, Any]], str], target: str = "") -> None:
        rows.append((label, [cell(n, bs[n]) for n in names], target))

    any_b = bs[names[0]]
    setup = any_b["setup"]
    row("set-up through `ingest`", lambda n, b: (
        f"{_n(b['setup']['leads'])} leads ({_n(b['setup']['leads_with_account'])} in {_n(b['setup']['accounts'])} accounts), "
        f"{_n(b['setup']['events'])} events, {_n(b['setup']['calls'])} calls: {b['setup']['seconds']:.1f} s"))  # fmt: skip
    s0 = any_b["single"]
    row(f"single events, `POST /v1/events` ({s0['connections']} connections, {s0['window_s']:.0f} s)",
        lambda n, b: _load_cell(b["single"], n),
        f"SQLite: ≥ {_n(TARGET_SINGLE_PER_S)} events/s, p99 ≤ {TARGET_SINGLE_P99_MS:g} ms")  # fmt: skip
    e0 = any_b["events_batch"]
    row(f"batches, `POST /v1/events` ({e0['events_per_request']} events per request, {e0['connections']} connections)",
        lambda n, b: _load_cell(b["events_batch"], n) + f"; {b['events_batch']['leads_rescored_per_request']:,.0f} leads "
                     f"re-scored per request; {b['events_batch']['ratio_to_floor']:.2f}x the insert floor's rate, "
                     f"{b['events_batch']['ratio_to_store_writes']:.2f}x the store-writes floor's")  # fmt: skip
    g0 = any_b["segment_batch"]
    row(f"batches, `POST /v1/batch` (Segment; {g0['events_per_request']} per request, {g0['connections']} connections)",
        lambda n, b: _load_cell(b["segment_batch"], n) + f"; {b['segment_batch']['ratio_to_floor']:.2f}x the insert floor's rate, "
                     f"{b['segment_batch']['ratio_to_store_writes']:.2f}x the store-writes floor's",
        f"≥ {_n(TARGET_BATCH_PER_S)} events/s")  # fmt: skip
    f0 = any_b["floor"]
    row(f"floor: `INSERT` executemany, {f0['rows_per_transaction']} rows per transaction ({_n(f0['rows'])} rows)",
        lambda n, b: f"**{_n(b['floor']['executemany']['rows_per_s'])} rows/s**")  # fmt: skip
    row(
        "`ingest.insert_events` (the ids stored before, then `INSERT` executemany), same rows",
        lambda n, b: f"{_n(b['floor']['insert_events']['rows_per_s'])} rows/s",
    )
    row(f"floor of a batch's writes, no scoring: its events, then a score and a history row per lead, "
        f"{f0['rows_per_transaction']} events per transaction (`store.statements`)",
        lambda n, b: (f"**{_n(b['floor']['store_writes']['rows_per_s'])} events/s** "
                      f"({b['floor']['store_writes']['leads_per_transaction']:,.0f} leads per transaction); with "
                      f"{2 * f0['rows_per_transaction']} events per transaction, as the server groups two requests: "
                      f"**{_n(b['floor']['store_writes_two_requests']['rows_per_s'])} events/s** "
                      f"({b['floor']['store_writes_two_requests']['leads_per_transaction']:,.0f} leads); CPU per event, "
                      f"checkpoints included: {b['floor']['store_writes']['cpu_us_per_event']:.0f} and "
                      f"{b['floor']['store_writes_two_requests']['cpu_us_per_event']:.0f} µs"))  # fmt: skip
    rs0 = any_b["rescore"]
    row(f"`live.rescore`, one lead with {rs0['events']} events ({rs0['runs']} runs)",
        lambda n, b: (f"median **{_ms(b['rescore']['rescore']['median_ms'])} ms**, p95 **{_ms(b['rescore']['rescore']['p95_ms'])} ms**; "
                      f"CPU median {_ms(b['rescore']['rescore_cpu']['median_ms'])} ms; "
                      f"with begin and commit: median {_ms(b['rescore']['rescore_with_transaction']['median_ms'])} ms; "
                      f"{b['rescore']['ratio_to_floor']:.1f}x the floor"),
        f"≤ {TARGET_RESCORE_MS:g} ms (p95)")  # fmt: skip
    row("the same, each right after a reader's full read of the lead (on another connection)",
        lambda n, b: f"median {_ms(b['rescore']['rescore_after_a_read']['median_ms'])} ms, p95 {_ms(b['rescore']['rescore_after_a_read']['p95_ms'])} ms")  # fmt: skip
    row("reading the lead afresh, without the writers' memory (`reading.load_leads` in a reader's session)",
        lambda n, b: f"median {_ms(b['rescore']['load_leads']['median_ms'])} ms, p95 {_ms(b['rescore']['load_leads']['p95_ms'])} ms")  # fmt: skip
    row("floor: `score_lead` on the same records",
        lambda n, b: f"median {_ms(b['rescore']['score_lead']['median_ms'])} ms, p95 {_ms(b['rescore']['score_lead']['p95_ms'])} ms")  # fmt: skip
    row(
        "store holds exactly the events acknowledged", lambda n, b: "yes" if b["store_check_ok"] else "**NO**"
    )
    lines = ["| measure | " + " | ".join(LABEL[n] for n in names) + " | target |",
             "|---|" + "---|" * len(names) + "---|"]  # fmt: skip
    lines += [f"| {label} | " + " | ".join(cells) + f" | {target} |" for label, cells, target in rows]
    lines += ["", f"One event re-scores its lead and the other leads of its account (the definition has roll-ups): "
              f"{setup['rescored_leads_per_event_mean']:.1f} leads on average (at most {setup['rescored_leads_per_event_max']}), "
              f"with {setup['stored_events_read_per_event_mean']:.0f} stored events on average at the start "
              f"(median {setup['stored_events_read_per_event_median']:.0f}; the lead's own: "
              f"{setup['stored_events_of_the_lead_itself_per_event_mean']:.0f} on average).", ""]  # fmt: skip
    lines += ["| target | backend | result |", "|---|---|---|"]
    for t in r["targets"]:
        value = t["value"]
        shown = (f"{value:,.0f}" if isinstance(value, float) and value >= 100 else f"{value:.2f}"
                 if isinstance(value, float) else str(value))  # fmt: skip
        lines.append(
            f"| {t['target']} | {LABEL[t['backend']]} | {shown}: {'met' if t['met'] else '**missed**'} |"
        )
    return "\n".join(lines)


# -- main -----------------------------------------------------------------------------------------

QUICK = {"leads": 60, "duration": 1.0, "warmup": 0.3, "connections": 2, "batch_connections": 2,
         "batch_size": 50, "rescore_runs": 10, "floor_rows": 500}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(argv if argv is not None else sys.argv[1:])
    if argv[:1] == ["--client-worker"]:
        return client_worker(Path(argv[1]), Path(argv[2]))
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgresql (the default)")
    parser.add_argument("--leads", type=int, default=2000, help="generated leads in the store")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured per load phase")
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="seconds of load before each measured window"
    )
    parser.add_argument("--connections", type=int, default=8, help="client connections sending single events")
    parser.add_argument("--batch-connections", type=int, default=4, help="client connections sending batches")
    parser.add_argument(
        "--batch-size", type=int, default=500, help="events per batch (and per floor transaction)"
    )
    parser.add_argument("--rescore-runs", type=int, default=200)
    parser.add_argument("--floor-rows", type=int, default=50_000)
    parser.add_argument("--server-workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--server-writer",
        choices=("process", "thread"),
        default="process",
        help="LEADGATE_WRITER for the server: the writer in a process of its own (the default) or a thread",
    )
    parser.add_argument(
        "--pg-url", default=PG_ADMIN_URL, help="a PostgreSQL database to create the benchmark's from"
    )
    parser.add_argument("--quick", action="store_true", help="tiny numbers (a smoke test, not a measurement)")
    parser.add_argument("--json", type=Path, default=None, help="write every figure to this JSON file")
    args = parser.parse_args(argv)
    if args.json is not None:  # its folder made first: a long run's figures are not lost at its end
        args.json.parent.mkdir(parents=True, exist_ok=True)
    if args.quick:
        for key, value in QUICK.items():
            if getattr(args, key) == parser.get_default(key):
                setattr(args, key, value)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not backends or any(b not in BACKENDS for b in backends):
        parser.error(f"--backends takes {', '.join(BACKENDS)}; got {args.backends!r}")
    positive = ("leads", "duration", "connections", "batch_connections", "batch_size", "rescore_runs",
                "floor_rows", "server_workers")  # fmt: skip
    if any(getattr(args, k) <= 0 for k in positive) or args.warmup < 0:
        parser.error("--leads, --duration, --connections, --batch-connections, --batch-size, --rescore-runs, "
                     "--floor-rows and --server-workers must be positive")  # fmt: skip

    result: dict[str, Any] = {
        "command": " ".join(["python", "benchmarks/ingest.py", *argv]),
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "git": git_state(),
        "definition": str(DEFINITION.relative_to(ROOT)),
        "options": {k: v for k, v in vars(args).items() if k not in ("json", "pg_url")},
    }
    now = datetime.now(UTC).replace(microsecond=0)
    result["backends"] = {}
    with tempfile.TemporaryDirectory(prefix="leadgate-ingest-bench-") as tmp:
        for backend in backends:
            work = Path(tmp)
            result["backends"][backend] = run_backend(backend, args, work, now)
    result["targets"] = targets(result["backends"])
    result["machine"]["loadavg_at_end"] = os.getloadavg()[0]
    result["git_at_end"] = git_state()

    m, g = result["machine"], result["git"]
    print()
    print(f"command: {result['command']}")
    print(f"code: commit {g['commit']}" + (" with uncommitted changes under src/" if g["src_dirty"] else "")
          + f"; src/ fingerprint {g['src_fingerprint']}")  # fmt: skip
    if result["git_at_end"]["src_fingerprint"] != g["src_fingerprint"]:
        print("WARNING: the code under src/ changed during the run; rerun")
    print(f"machine: {m['nproc']} CPUs ({m['cpu_model']}), Python {m['python']}, SQLite {m['sqlite']}, "
          f"SQLAlchemy {m['sqlalchemy']}, FastAPI {m['fastapi']}, uvicorn {m['uvicorn']}; 1-min load average "
          f"{m['loadavg_at_start']:.2f} at start, {m['loadavg_at_end']:.2f} at end")  # fmt: skip
    for name, b in result["backends"].items():
        if name == "postgresql":
            print(f"PostgreSQL {b['server_version']} at {b['database']}")
        for key in ("single", "events_batch", "segment_batch"):
            if b[key]["errors"]:
                print(f"{LABEL[name]} {key}: errors {b[key]['error_kinds']}")
    print()
    print(markdown(result))
    if args.json is not None:
        args.json.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
        log(f"wrote {args.json}")
    return 0 if all(b["store_check_ok"] for b in result["backends"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
