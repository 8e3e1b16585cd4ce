"""benchmarks/score.py runs end to end on tiny data and writes every figure (no timing thresholds)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmark_support import assert_positive

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "score.py"
SECTIONS = {"command", "machine", "git", "dataset", "load", "floor", "evaluator", "single_lead", "end_to_end"}


def _run(cache: Path, out: Path) -> subprocess.CompletedProcess[str]:
    tiny = ["--leads", "200", "--events-per-lead", "5", "--repeat", "1", "--single-runs", "5"]
    return subprocess.run(
        [sys.executable, str(SCRIPT), *tiny, "--cache-dir", str(cache), "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_score_benchmark_runs_on_tiny_data(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    done = _run(tmp_path / "cache", out)
    assert done.returncode == 0, done.stderr
    assert "| measure | result | target |" in done.stdout
    result = json.loads(out.read_text())

    assert set(result) >= SECTIONS
    dataset = result["dataset"]
    assert dataset["leads"] == 200
    assert dataset["events"] >= 1000 and dataset["events_target_met"]
    assert dataset["cached"] is False
    assert_positive(dataset, "events", "accounts", "events_per_lead_used")
    assert_positive(result["load"], "seconds", "leads_per_s", "events_per_s")
    assert_positive(result["floor"]["iterate"], "seconds", "events_per_s")
    assert_positive(result["floor"]["timestamp"], "seconds", "leads_per_s", "events_per_s")
    evaluator = result["evaluator"]
    assert_positive(
        evaluator, "seconds", "leads_per_s", "events_per_s", "ratio_to_floor", "target_leads_per_s"
    )
    assert isinstance(evaluator["target_met"], bool)
    single = result["single_lead"]
    assert single["events"] == 500
    assert_positive(single, "median_ms", "p95_ms", "floor_median_ms", "ratio_to_floor", "target_ms")
    assert isinstance(single["target_met"], bool)
    assert set(result["end_to_end"]) == {"jsonl", "csv"}
    for run in result["end_to_end"].values():
        assert_positive(run, "wall_s", "leads_per_s", "peak_rss_mb")
        assert "leadgate score" in run["command"]

    # a second run reuses the cached data set
    again = _run(tmp_path / "cache", out)
    assert again.returncode == 0, again.stderr
    assert json.loads(out.read_text())["dataset"]["cached"] is True
