"""The README is part of the product: its commands run, and every command and option is in it."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from leadgate.cli.app import app
from leadgate.data.generate import generate

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_quick_start_has_exactly_two_commands() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].endswith("leadgate demo")
    assert commands[1].endswith("pytest")
    assert "pytest" in (ROOT / ".ci" / "run").read_text()


def _commands() -> dict[str, Any]:
    """Every command by its full name, the subcommands of groups (`definitions publish`) included."""
    group = typer.main.get_command(app)
    commands = getattr(group, "commands", None)
    assert isinstance(commands, dict)
    found = dict(commands)
    for name, command in commands.items():
        for sub, inner in (getattr(command, "commands", None) or {}).items():
            found[f"{name} {sub}"] = inner
    return found


def test_every_command_is_documented() -> None:
    commands = _commands()
    assert {"validate", "schema", "generate", "score", "explain", "demo"} <= set(commands)
    for name in commands:
        assert f"leadgate {name}" in README, f"'leadgate {name}' is not in the README"


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_option_is_documented(name: str) -> None:
    for param in _commands()[name].params:
        for option in getattr(param, "opts", []):
            if option.startswith("--"):
                assert option in README, f"{option} of 'leadgate {name}' is not in the README"


def test_the_readme_score_example_runs(tmp_path: Path) -> None:
    demo = tmp_path / "leadgate-demo"
    generate(demo, 200, seed=5)
    block = re.search(r"```bash\n(leadgate score .*?)```", README, re.S)
    assert block is not None
    words = shlex.split(block.group(1).replace("\\\n", " "))
    args = [w.replace("leadgate-demo/", f"{demo}/") for w in words[1:]]
    args = [str(ROOT / a) if a.startswith("examples/") else a for a in args]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 200
    documented = re.search(r"`--format jsonl` writes one object per lead with `(.*?)`", README, re.S)
    assert documented is not None
    fields = [f.strip() for f in documented.group(1).replace("\n", " ").split(",")]
    assert set(fields) <= set(rows[0])


def test_the_readme_error_example_is_what_validate_prints(tmp_path: Path) -> None:
    example = re.search(r"  (definition\.yaml:\d+:\d+: .*)\n", README)
    assert example is not None
    text = (ROOT / "examples" / "b2b-saas.yaml").read_text()
    broken = text.replace(
        "account.employees between 200 and 5000", "account.employes between 200 and 5000", 1
    )
    path = tmp_path / "definition.yaml"
    path.write_text(broken)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 3
    assert example.group(1) in result.stderr.replace(str(path), "definition.yaml")


def test_the_readme_rescore_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demo = tmp_path / "leadgate-demo"
    generate(demo, 150, seed=9)
    block = re.search(r"```bash\n(leadgate rescore .*?)```", README, re.S)
    assert block is not None
    words = shlex.split(block.group(1).replace("\\\n", " "))
    args = [str(ROOT / a) if a.startswith("examples/") else a for a in words[1:]]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Rescored 150 leads on duckdb" in result.stderr
    assert (tmp_path / "scores.parquet").stat().st_size > 0
    assert (tmp_path / "trace.parquet").stat().st_size > 0
