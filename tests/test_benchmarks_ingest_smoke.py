"""benchmarks/ingest.py runs end to end on tiny numbers, on SQLite and PostgreSQL, and writes every figure
(no timing thresholds). It needs the machine's PostgreSQL at 127.0.0.1:5432, as the store tests do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark_support import assert_positive

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "ingest.py"
SECTIONS = {"command", "machine", "git", "definition", "options", "backends", "targets"}
PHASES = {"single": 1, "events_batch": 50, "segment_batch": 50}  # events per request with --quick

pytestmark = pytest.mark.slow


def test_ingest_benchmark_runs_on_tiny_numbers(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| measure | SQLite | PostgreSQL | target |" in done.stdout
    assert "| target | backend | result |" in done.stdout
    result = json.loads(out.read_text())
    assert set(result) >= SECTIONS
    assert result["options"]["quick"] is True
    assert set(result["backends"]) == {"sqlite", "postgresql"}

    for name, backend in result["backends"].items():
        setup = backend["setup"]
        assert setup["leads"] == 60, name
        assert_positive(setup, "accounts", "events", "seconds", "rescored_leads_per_event_mean")

        for key, per_request in PHASES.items():
            phase = backend[key]
            assert phase["events_per_request"] == per_request, (name, key)
            assert phase["connections"] == 2, (name, key)
            assert phase["errors"] == 0, (name, key, phase["error_kinds"])
            assert_positive(
                phase, "window_s", "requests", "events", "events_per_s", "server_cpu_ms_per_event"
            )
            assert_positive(phase["latency_ms"], "p50", "p99", "max")
            assert phase["latency_ms"]["p50"] <= phase["latency_ms"]["p99"] <= phase["latency_ms"]["max"]
            check = phase["store_check"]
            assert check["ok"] and check["stored"] == check["acknowledged"] > 0, (name, key, check)
            assert "server_cpu_s" in phase["cpu"] and "client_cpu_s" in phase["cpu"]
        for key in ("events_batch", "segment_batch"):
            assert_positive(backend[key], "ratio_to_floor", "ratio_to_store_writes")
        assert_positive(backend["events_batch"], "leads_rescored_per_request")

        floor = backend["floor"]
        assert floor["rows"] == 500 and floor["rows_per_transaction"] == 50
        assert_positive(floor["executemany"], "seconds", "rows_per_s")
        assert_positive(floor["insert_events"], "seconds", "rows_per_s")
        for part in ("store_writes", "store_writes_two_requests"):
            assert_positive(floor[part], "seconds", "rows_per_s", "leads_per_transaction", "cpu_us_per_event")

        rescore = backend["rescore"]
        assert rescore["events"] == 500 and rescore["runs"] == 10
        for part in ("rescore", "rescore_cpu", "rescore_with_transaction", "rescore_after_a_read",
                     "load_leads", "score_lead"):  # fmt: skip
            assert_positive(rescore[part], "median_ms", "p95_ms")
        assert_positive(rescore, "ratio_to_floor")
        assert isinstance(rescore["target_met"], bool)
        assert backend["store_check_ok"] is True
        assert backend["sample_lead"]["score"] is not None

    targets = result["targets"]
    assert {(t["backend"], t["target"].split(":")[0]) for t in targets} >= {
        ("sqlite", "single events on SQLite"),
        ("sqlite", "/v1/batch"),
        ("postgresql", "/v1/batch"),
        ("sqlite", "re-score a lead with 500 events"),
        ("postgresql", "re-score a lead with 500 events"),
    }
    assert all(isinstance(t["met"], bool) for t in targets)
