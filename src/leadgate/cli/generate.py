"""`leadgate generate`: realistic synthetic leads, accounts, behaviour, calls and outcomes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadgate.cli.errors import err
from leadgate.cli.output import counting_bar
from leadgate.conditions.check import parse_time
from leadgate.data.generate import DEFAULT_END, GenerateSummary, generate
from leadgate.errors import UsageError


def generate_command(
    out: Annotated[Path, typer.Option("--out", help="directory to write the files into")],
    leads: Annotated[int, typer.Option("--leads", min=1, help="how many leads")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="random seed: the same seed gives the same files")] = 0,
    end: Annotated[
        str | None, typer.Option("--end", help="the data's 'now': no event or call after it (ISO 8601)")
    ] = None,
    events_per_lead: Annotated[
        float, typer.Option("--events-per-lead", min=0.0, help="mean events per lead")
    ] = 25.0,
) -> None:
    """Write accounts.csv, leads.csv, events.jsonl, answers.csv and outcomes.csv (see docs/data.md)."""
    summary = run_generate(out, leads, seed, end, events_per_lead)
    err.print(
        f"wrote {summary.out_dir}: {summary.accounts:,} accounts, {summary.leads:,} leads, "
        f"{summary.events:,} events, {summary.calls:,} calls ({summary.answers:,} answers); outcomes: "
        f"{summary.won:,} won, {summary.lost:,} lost, {summary.open:,} open; data as of "
        f"{summary.end.isoformat().replace('+00:00', 'Z')}",
        markup=False,
    )


def run_generate(
    out: Path, leads: int, seed: int, end: str | None, events_per_lead: float
) -> GenerateSummary:
    try:
        end_time = parse_time(end) if end else DEFAULT_END
    except ValueError:
        raise UsageError(f"--end must be an ISO 8601 date or timestamp; got {end!r}") from None
    with counting_bar("generating", err) as progress:
        task = progress.add_task("leads", total=leads)
        return generate(
            out,
            leads,
            seed=seed,
            end=end_time,
            events_per_lead=events_per_lead,
            progress=lambda n: progress.update(task, completed=n),
        )
