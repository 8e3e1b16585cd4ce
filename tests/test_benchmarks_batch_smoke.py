"""benchmarks/batch.py runs end to end on tiny data and writes every figure (no timing thresholds)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark_support import assert_positive

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "batch.py"
SECTIONS = {"command", "machine", "git", "definition", "dataset", "sizes", "reference", "checks", "targets"}

pytestmark = pytest.mark.slow


def test_batch_benchmark_runs_on_tiny_data(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    tiny = ["--leads", "300", "--events", "6000", "--skip-spark", "--skip-trace"]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *tiny, "--cache-dir", str(tmp_path / "cache"), "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| events | leads |" in done.stdout
    result = json.loads(out.read_text())
    assert set(result) >= SECTIONS

    dataset = result["dataset"]
    assert dataset["cached"] is False
    assert dataset["generated"]["leads"] == 300
    assert dataset["generated"]["events"] >= 6000
    assert_positive(dataset, "events_per_lead_used", "generate_seconds", "convert_seconds")

    sizes = result["sizes"]
    assert [s["target_events"] for s in sizes] == [600, 1500, 6000]
    assert [s["events"] for s in sizes] == sorted(s["events"] for s in sizes)
    assert sizes[0]["events"] >= 600 and sizes[1]["events"] >= 1500
    for size in sizes:
        assert_positive(size, "events", "leads", "accounts", "parquet_bytes")
        for floor in (size["floor"], size["floor_json"]):
            assert_positive(floor, "seconds")
            assert floor["rows"] > 0
        rescore = size["rescore"]
        assert rescore["ok"], rescore.get("stderr_tail")
        assert_positive(rescore, "wall_s", "peak_rss_mb")
        assert rescore["rows"] == size["leads"]
        assert "leadgate rescore" in rescore["command"]
        pandas = size["pandas"]
        assert pandas["ok"], pandas.get("stderr_tail")
        assert_positive(pandas, "wall_s", "peak_rss_mb")
        assert pandas["rows"] == size["leads"]

    reference = result["reference"]
    assert reference["leads"] == 300 and reference["extrapolated"] is True
    assert_positive(reference, "seconds", "load_seconds", "extrapolated_seconds")

    checks = result["checks"]
    assert set(checks) == {
        "rescore vs pandas",
        "rescore vs reference",
        "pandas vs reference",
        "rescore vs pandas, largest size",
    }
    for name, check in checks.items():
        assert check["leads_compared"] == 300, name
        assert check["ok"], (name, check)

    assert {"floor_ratio", "peak_memory", "linear", "pandas_speedup"} <= set(result["targets"])
    for target in result["targets"].values():
        assert isinstance(target["met"], bool)
    assert "spark" not in result
