"""Benchmark: the reference evaluator and `leadgate score` end to end, on generated data.

    python benchmarks/score.py [--leads 10000] [--events-per-lead 100] [--cache-dir benchmarks/.cache]
                               [--repeat 3] [--json out.json]

What it measures, on ONE core (the process pins itself to the first CPU it may run on; the `leadgate
score` subprocesses inherit the pin):
1. data: `leadgate.data.generate.generate` writes leads x events_per_lead events (cached under the cache
   dir, keyed by leads, events per lead, seed and generator version); if the generator's mean falls short
   of the requested events per lead, it is run again with events_per_lead raised, and the output says so;
2. load: `load_dataset` once (leads/s, events/s parsed);
3. floor: bare Python loops over the same events (iterate; iterate and call `event.time.timestamp()`,
   summed per lead), the least any evaluator must do per event;
4. evaluator: `score_leads` over every lead (b2b-saas example, as_of = the generator's DEFAULT_END), best
   of --repeat runs interleaved with the floor's, against the target of 3,000 leads/s, and as a ratio to
   the floor (best against best);
5. single lead: `score_lead` on one lead with exactly 500 events, many runs: median and p95 against the
   target of 2 ms, and as a ratio to the floor loop over the same 500 events;
6. end to end: `leadgate score ... --format jsonl` and `--format csv` (stdout to /dev/null) as
   subprocesses: wall time (best of --repeat), leads/s, peak RSS (from /usr/bin/time -v when present).
It prints a Markdown table and, with --json, writes every figure to a JSON file.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import environment
import orjson
from environment import git_state, percentile

from leadgate.data.generate import DEFAULT_END, GENERATOR_VERSION, generate
from leadgate.data.read import Dataset, load_dataset
from leadgate.definition import Definition, load_definition
from leadgate.records import Event
from leadgate.scoring import score_lead, score_leads

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]
DEFINITION = ROOT / "examples" / "b2b-saas.yaml"
SEED = 0
TARGET_LEADS_PER_S = 3000.0
TARGET_SINGLE_MS = 2.0
SINGLE_EVENTS = 500
DATA_FILES = ("leads.csv", "accounts.csv", "events.jsonl", "answers.csv")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- machine --------------------------------------------------------------------------------------


def pin_to_one_core() -> int | None:
    """Pin this process (and the children it starts) to the first CPU it may run on."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def machine(pinned: int | None) -> dict[str, Any]:
    return environment.machine(pinned_cpu=pinned)


# -- data -----------------------------------------------------------------------------------------


def _manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = orjson.loads((path / "manifest.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not all((path / name).is_file() for name in DATA_FILES):
        return None
    return data if isinstance(data, dict) else None


def ensure_data(cache_dir: Path, leads: int, events_per_lead: float) -> dict[str, Any]:
    """Generate (or reuse) a data set with at least leads x events_per_lead events."""
    key = f"leads{leads}-epl{events_per_lead:g}-seed{SEED}-gen{GENERATOR_VERSION}"
    out = cache_dir / key
    wanted = round(leads * events_per_lead)
    manifest = _manifest(out)
    cached = manifest is not None and manifest["counts"]["events"] >= wanted
    seconds = 0.0
    notes: list[str] = []
    if cached:
        assert manifest is not None
        log(f"data: reusing {out}")
    else:
        used = events_per_lead
        for _attempt in range(6):
            log(f"data: generating {leads:,} leads with events_per_lead={used:g} into {out} ...")
            start = time.perf_counter()
            summary = generate(out, leads, seed=SEED, end=DEFAULT_END, events_per_lead=used)
            seconds += time.perf_counter() - start
            if summary.events >= wanted or summary.events == 0:
                break
            mean = summary.events / max(leads, 1)
            nxt = round(used * wanted / summary.events * 1.005, 3)
            notes.append(
                f"generator mean at events_per_lead={used:g} is {mean:.2f} events/lead "
                f"({summary.events:,} events < {wanted:,}); regenerated with events_per_lead={nxt:g}"
            )
            log("data: " + notes[-1])
            used = nxt
        manifest = _manifest(out)
        assert manifest is not None
        manifest["benchmark_notes"] = notes
        (out / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    events = int(manifest["counts"]["events"])
    return {
        "dir": str(out),
        "cached": cached,
        "generate_seconds": seconds,
        "seed": SEED,
        "leads_requested": leads,
        "events_per_lead_requested": events_per_lead,
        "events_per_lead_used": manifest["events_per_lead"],
        "events_wanted": wanted,
        "events_in_file": events,
        "events_target_met": events >= wanted,
        "accounts": int(manifest["counts"]["accounts"]),
        "calls": int(manifest["counts"]["calls"]),
        "notes": manifest.get("benchmark_notes", []),
    }


# -- timing helpers -------------------------------------------------------------------------------


def timed(run: Callable[[], T]) -> tuple[float, T]:
    """Seconds taken by one call (after a full collection), and what it returned."""
    gc.collect()
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


# -- the floor (baseline) -------------------------------------------------------------------------


def floor_iterate(order: Sequence[str], events_by_lead: Mapping[str, Sequence[Event]]) -> int:
    n = 0
    for lead_id in order:
        for _event in events_by_lead.get(lead_id, ()):
            n += 1
    return n


def floor_timestamp(order: Sequence[str], events_by_lead: Mapping[str, Sequence[Event]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for lead_id in order:
        total = 0.0
        for event in events_by_lead.get(lead_id, ()):
            total += event.time.timestamp()
        out[lead_id] = total
    return out


def floor_one(events: Sequence[Event]) -> float:
    total = 0.0
    for event in events:
        total += event.time.timestamp()
    return total


# -- the evaluator --------------------------------------------------------------------------------


def run_evaluator(definition: Definition, data: Dataset, as_of: datetime) -> tuple[int, float]:
    n, total = 0, 0.0
    for result in score_leads(
        definition, data.leads.values(), data.accounts, data.events_by_lead, data.calls_by_lead, as_of
    ):
        n += 1
        total += result.score
    return n, total


def lead_with_events(data: Dataset, count: int) -> tuple[str, list[Event], str]:
    """A lead and exactly `count` of generated events (its own, topped up with other leads' if short)."""
    lead_id = max(data.events_by_lead, key=lambda k: len(data.events_by_lead[k]))
    own = sorted(data.events_by_lead[lead_id], key=lambda e: (e.time, e.event_id))
    if len(own) >= count:
        return lead_id, own[-count:], f"the {count} latest of lead {lead_id}'s {len(own)} generated events"
    events = list(own)
    for other, theirs in data.events_by_lead.items():
        if other == lead_id:
            continue
        for e in theirs:
            if len(events) >= count:
                break
            events.append(replace(e, event_id=f"{e.event_id}-{lead_id}", lead_id=lead_id))
        if len(events) >= count:
            break
    events.sort(key=lambda e: (e.time, e.event_id))
    how = (
        f"lead {lead_id}'s {len(own)} generated events (the most of any lead) topped up to {count} "
        "with other generated leads' events"
    )
    return lead_id, events[:count], how


def time_single(definition: Definition, data: Dataset, as_of: datetime, runs: int) -> dict[str, Any]:
    lead_id, events, how = lead_with_events(data, SINGLE_EVENTS)
    lead = data.leads[lead_id]
    account = data.account_of(lead)
    calls = data.calls_by_lead.get(lead_id, [])
    for _ in range(10):  # warm up
        score_lead(definition, lead, events, calls, as_of, account)
        floor_one(events)
    gc.collect()
    ms: list[float] = []
    floor_ms: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        result = score_lead(definition, lead, events, calls, as_of, account)
        ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        floor_one(events)
        floor_ms.append((time.perf_counter() - start) * 1000)
    median = statistics.median(ms)
    floor_median = statistics.median(floor_ms)
    return {
        "lead_id": lead_id,
        "events": len(events),
        "events_source": how,
        "calls": len(calls),
        "runs": runs,
        "score": result.score,
        "median_ms": median,
        "p95_ms": percentile(ms, 95),
        "min_ms": min(ms),
        "max_ms": max(ms),
        "floor_median_ms": floor_median,
        "ratio_to_floor": median / floor_median if floor_median > 0 else None,
        "target_ms": TARGET_SINGLE_MS,
        "target_met": percentile(ms, 95) <= TARGET_SINGLE_MS,
    }


# -- end to end -----------------------------------------------------------------------------------


def leadgate_command() -> list[str]:
    script = Path(sys.executable).parent / "leadgate"
    if script.is_file():
        return [str(script)]
    found = shutil.which("leadgate")
    if found:
        return [found]
    return [sys.executable, "-c", "from leadgate.cli.app import main; main()"]


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


def end_to_end(data_dir: Path, fmt: str, as_of: datetime, repeat: int, leads: int) -> dict[str, Any]:
    prefix = leadgate_command()
    args = [
        *prefix,
        "score",
        str(DEFINITION),
        "--leads", str(data_dir / "leads.csv"),
        "--accounts", str(data_dir / "accounts.csv"),
        "--events", str(data_dir / "events.jsonl"),
        "--answers", str(data_dir / "answers.csv"),
        "--as-of", as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--format", fmt,
    ]  # fmt: skip
    time_v = Path("/usr/bin/time")
    use_time_v = time_v.is_file() and os.access(time_v, os.X_OK)
    walls: list[float] = []
    peaks: list[float] = []
    cpus: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "time.txt"
        for _ in range(repeat):
            cmd = [str(time_v), "-v", "-o", str(report), *args] if use_time_v else args
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            with open(os.devnull, "wb") as sink:
                done = subprocess.run(cmd, stdout=sink, stderr=subprocess.PIPE, cwd=tmp, check=False)
            walls.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if done.returncode != 0:
                raise SystemExit(
                    f"leadgate score --format {fmt} failed ({done.returncode}):\n"
                    + done.stderr.decode(errors="replace")
                )
            scored = f"scored {leads:,} leads".encode()
            if scored not in done.stderr:
                raise SystemExit(f"leadgate score did not report {scored!r}:\n{done.stderr.decode()}")
            if use_time_v:
                figures = _time_v(report)
                peaks.append(figures["peak_rss_mb"])
                cpus.append(figures["user_s"] + figures["sys_s"])
            else:  # the largest child so far: an upper bound for this run
                peaks.append(after.ru_maxrss / 1024)
                cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    best = min(walls)
    shown = [
        "leadgate",
        *(os.path.relpath(a, ROOT) if a.startswith(str(ROOT)) else a for a in args[len(prefix) :]),
    ]
    return {
        "format": fmt,
        "command": " ".join(shown) + " > /dev/null",
        "wall_s": best,
        "wall_s_all": walls,
        "cpu_s": min(cpus),
        "leads_per_s": leads / best,
        "peak_rss_mb": max(peaks),
        "peak_rss_source": "/usr/bin/time -v" if use_time_v else "getrusage(RUSAGE_CHILDREN)",
    }


# -- report ---------------------------------------------------------------------------------------


def fmt_num(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


def _load(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.2f}"


def markdown(r: dict[str, Any]) -> str:
    d, load, ev, one = r["dataset"], r["load"], r["evaluator"], r["single_lead"]
    fl, it = r["floor"]["timestamp"], r["floor"]["iterate"]
    rows = [
        ("data set", f"{fmt_num(d['leads'])} leads, {fmt_num(d['events'])} events, "
                     f"{fmt_num(d['accounts'])} accounts, {fmt_num(d['calls'])} calls", ""),
        ("load_dataset (once)", f"{load['seconds']:.2f} s: {fmt_num(load['leads_per_s'])} leads/s, "
                                f"{fmt_num(load['events_per_s'])} events/s", ""),
        ("floor: iterate events", f"{it['seconds'] * 1000:.1f} ms: {fmt_num(it['events_per_s'])} events/s", ""),
        ("floor: iterate + `event.time.timestamp()`",
         f"{fl['seconds'] * 1000:.1f} ms: {fmt_num(fl['leads_per_s'])} leads/s, "
         f"{fmt_num(fl['events_per_s'])} events/s", ""),
        (f"evaluator `score_leads` (best of {ev['repeat']})",
         f"{ev['seconds']:.2f} s: **{fmt_num(ev['leads_per_s'])} leads/s**, {fmt_num(ev['events_per_s'])} events/s; "
         f"{ev['ratio_to_floor']:.1f}x the floor",
         f"≥ {fmt_num(ev['target_leads_per_s'])} leads/s: {'met' if ev['target_met'] else 'MISSED'}"),
        (f"`score_lead`, {one['events']} events ({one['runs']} runs)",
         f"median **{one['median_ms']:.3f} ms**, p95 **{one['p95_ms']:.3f} ms**; "
         f"floor {one['floor_median_ms']:.3f} ms; median {one['ratio_to_floor']:.1f}x the floor",
         f"≤ {one['target_ms']:g} ms: {'met' if one['target_met'] else 'MISSED'}"),
    ]  # fmt: skip
    for e in r["end_to_end"].values():
        rows.append(
            (
                f"`leadgate score --format {e['format']}` (best of {len(e['wall_s_all'])})",
                f"{e['wall_s']:.2f} s wall ({e['cpu_s']:.2f} s CPU): {fmt_num(e['leads_per_s'])} leads/s; "
                f"peak RSS {fmt_num(e['peak_rss_mb'])} MiB",
                "",
            )
        )
    lines = ["| measure | result | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def in_process(
    generated: dict[str, Any], repeat: int, single_runs: int, as_of: datetime, result: dict[str, Any]
) -> int:
    """Load, floor, evaluator and single lead; fills `result` and returns the number of leads."""
    data_dir = Path(generated["dir"])
    definition = load_definition(DEFINITION)

    log("load: load_dataset ...")
    gc.collect()
    start = time.perf_counter()
    data = load_dataset(
        definition,
        data_dir / "leads.csv",
        data_dir / "accounts.csv",
        data_dir / "events.jsonl",
        data_dir / "answers.csv",
    )
    load_s = time.perf_counter() - start
    n_leads = len(data.leads)
    n_events = sum(len(v) for v in data.events_by_lead.values())
    n_calls = sum(len(v) for v in data.calls_by_lead.values())
    print(
        f"events: {n_events:,} loaded ({generated['events_in_file']:,} in the file; "
        f"{n_events / n_leads:.2f} per lead; wanted >= {generated['events_wanted']:,}: "
        f"{'yes' if n_events >= generated['events_wanted'] else 'NO'})"
    )
    result["dataset"] = {
        **generated,
        "leads": n_leads,
        "events": n_events,
        "calls": n_calls,
        "definition": str(DEFINITION.relative_to(ROOT)),
        "as_of": as_of.isoformat(),
    }
    result["load"] = {"seconds": load_s, "leads_per_s": n_leads / load_s, "events_per_s": n_events / load_s}

    order = list(data.leads)
    log(f"floor and evaluator, interleaved, x {repeat} ...")
    it_all: list[float] = []
    ts_all: list[float] = []
    ev_all: list[float] = []
    for _ in range(repeat):  # interleaved, so the floor and the evaluator see the same conditions
        it_all.append(timed(lambda: floor_iterate(order, data.events_by_lead))[0])
        ts_all.append(timed(lambda: floor_timestamp(order, data.events_by_lead))[0])
        seconds, (scored, checksum) = timed(lambda: run_evaluator(definition, data, as_of))
        assert scored == n_leads, (scored, n_leads)
        ev_all.append(seconds)
    it_s, ts_s, ev_s = min(it_all), min(ts_all), min(ev_all)
    result["floor"] = {
        "iterate": {"seconds": it_s, "seconds_all": it_all, "events_per_s": n_events / it_s},
        "timestamp": {
            "seconds": ts_s,
            "seconds_all": ts_all,
            "leads_per_s": n_leads / ts_s,
            "events_per_s": n_events / ts_s,
        },
    }
    result["evaluator"] = {
        "repeat": repeat,
        "seconds": ev_s,
        "seconds_all": ev_all,
        "leads_per_s": n_leads / ev_s,
        "events_per_s": n_events / ev_s,
        "score_sum": checksum,
        "ratio_to_floor": ev_s / ts_s,
        "ratio_to_floor_per_run": [e / t for e, t in zip(ev_all, ts_all, strict=True)],
        "ratio_to_iterate": ev_s / it_s,
        "target_leads_per_s": TARGET_LEADS_PER_S,
        "target_met": n_leads / ev_s >= TARGET_LEADS_PER_S,
    }

    log(f"single lead: score_lead x {single_runs} ...")
    result["single_lead"] = time_single(definition, data, as_of, single_runs)
    result["process_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return n_leads


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--events-per-lead", type=float, default=100.0)
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "benchmarks" / ".cache")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--single-runs", type=int, default=200, help="runs of score_lead on one lead")
    parser.add_argument("--json", type=Path, default=None, help="write every figure to this JSON file")
    args = parser.parse_args(argv)
    if args.json is not None:  # its folder made first: a long run's figures are not lost at its end
        args.json.parent.mkdir(parents=True, exist_ok=True)
    if args.leads < 1 or args.repeat < 1 or args.single_runs < 1 or args.events_per_lead <= 0:
        parser.error("--leads, --repeat, --single-runs and --events-per-lead must be positive")

    pinned = pin_to_one_core()
    log(f"pinned to CPU {pinned} (one core)" if pinned is not None else "could not pin to one core")
    result: dict[str, Any] = {
        "command": " ".join(["python", "benchmarks/score.py", *(argv if argv is not None else sys.argv[1:])]),
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(pinned),
        "git": git_state(),
    }

    generated = ensure_data(args.cache_dir, args.leads, args.events_per_lead)
    for note in generated["notes"]:
        print(f"note: {note}")
    data_dir = Path(generated["dir"])
    as_of = DEFAULT_END
    n_leads = in_process(generated, args.repeat, args.single_runs, as_of, result)
    gc.collect()

    result["end_to_end"] = {}
    for fmt in ("jsonl", "csv"):
        log(f"end to end: leadgate score --format {fmt} x {args.repeat} ...")
        result["end_to_end"][fmt] = end_to_end(data_dir, fmt, as_of, args.repeat, n_leads)

    m = result["machine"]
    m["loadavg_at_end"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print()
    print(f"command: {result['command']}")
    g = result["git"]
    print(f"code: commit {g['commit']}{' with uncommitted changes under src/' if g['src_dirty'] else ''}")
    print(
        f"machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['implementation']} {m['python']}, "
        f"{m['platform']}; pinned to CPU {m['pinned_cpu']} (one core), children included; "
        f"1-min load average {_load(m['loadavg_at_start'])} at start, {_load(m['loadavg_at_end'])} at end"
    )
    print(f"single lead: {result['single_lead']['events_source']}")
    for e in result["end_to_end"].values():
        print(f"end to end: {e['command']}  (peak RSS from {e['peak_rss_source']})")
    print()
    print(markdown(result))
    if args.json is not None:
        args.json.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
