"""`leadgate demo`: generate data, score it with the B2B SaaS example, and show what came out."""

from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from leadgate.cli.generate import run_generate
from leadgate.cli.output import print_table
from leadgate.data.generate import DEFAULT_END
from leadgate.data.intake import Intake
from leadgate.data.read import Outcome, load_dataset, read_outcomes
from leadgate.definition import Definition, load_definition
from leadgate.scoring import LeadScore, score_leads


def example_path(name: str) -> Path:
    """The path of an example definition shipped with leadgate."""
    return Path(str(resources.files("leadgate") / "examples" / name))


def demo_command(
    directory: Annotated[Path, typer.Option("--dir", help="where to write the generated data")] = Path(
        "leadgate-demo"
    ),
    leads: Annotated[int, typer.Option("--leads", min=10, help="how many leads to generate")] = 3000,
    seed: Annotated[int, typer.Option("--seed")] = 7,
) -> None:
    """Generate realistic data, score it with examples/b2b-saas.yaml, print the funnel and the top leads."""
    console = Console(highlight=False)
    definition_file = example_path("b2b-saas.yaml")
    definition = load_definition(definition_file)
    summary = run_generate(directory, leads, seed, None, 25.0)
    console.print(
        f"Generated {summary.leads:,} leads at {summary.accounts:,} accounts with {summary.events:,} events "
        f"and {summary.calls:,} qualification calls in {directory}/"
    )
    data = load_dataset(
        definition,
        directory / "leads.csv",
        directory / "accounts.csv",
        directory / "events.jsonl",
        directory / "answers.csv",
        Intake("fail"),
    )
    outcomes = read_outcomes(directory / "outcomes.csv", Intake("fail"))
    scores = list(
        score_leads(
            definition,
            data.leads.values(),
            data.accounts,
            data.events_by_lead,
            data.calls_by_lead,
            DEFAULT_END,
        )
    )
    console.print(
        f"Scored them with [bold]{definition.name}[/] (version {definition.version}) "
        f"as of {DEFAULT_END.date().isoformat()}.\n"
    )
    console.print(funnel_table(definition, scores, outcomes))
    console.print(
        "Scores are as of the data's last day: a deal closed months ago belongs to a lead whose engagement\n"
        "has faded since, which is why some won leads sit in the first stage today.",
        style="dim",
    )
    console.print(grade_table(definition, scores, outcomes))
    console.print(lift_line(scores, outcomes))
    top = sorted((s for s in scores if not s.disqualified), key=lambda s: (-s.score, s.lead_id))[:10]
    print_table(top, console, title="Top 10 leads, with the reasons")
    first = top[0].lead_id if top else "L0000001"
    files = (
        f"--leads {directory}/leads.csv --accounts {directory}/accounts.csv --events {directory}/events.jsonl "
        f"--answers {directory}/answers.csv --as-of {DEFAULT_END.date().isoformat()}"
    )
    console.print("\nNext:", style="bold")
    console.print(f"  leadgate explain {definition_file} --lead {first} {files}", markup=False)
    console.print(f"  leadgate score {definition_file} {files} --format csv > scored.csv", markup=False)


def funnel_table(definition: Definition, scores: list[LeadScore], outcomes: dict[str, Outcome]) -> Table:
    """Leads per recommended stage, and how many of them were later won: is the definition right?"""
    table = Table(title="Recommended stage vs. what happened")
    for column in ("stage", "leads", "share", "won", "lost", "win rate (closed)"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    by_stage = Counter(s.stage for s in scores)
    won = Counter(s.stage for s in scores if _outcome(outcomes, s) == "won")
    lost = Counter(s.stage for s in scores if _outcome(outcomes, s) == "lost")
    for stage in (*definition.funnel, definition.disqualified_stage):
        n = by_stage.get(stage, 0)
        closed = won[stage] + lost[stage]
        rate = f"{won[stage] / closed:.0%}" if closed else "—"
        table.add_row(
            stage, f"{n:,}", f"{n / max(len(scores), 1):.1%}", f"{won[stage]:,}", f"{lost[stage]:,}", rate
        )
    return table


def grade_table(definition: Definition, scores: list[LeadScore], outcomes: dict[str, Outcome]) -> Table:
    """Leads and wins per fit grade: better grades should win more often."""
    table = Table(title="Fit grade vs. what happened")
    for column in ("grade", "leads", "won", "win rate (all leads)", "share of all wins"):
        table.add_column(column, justify="left" if column == "grade" else "right")
    wins = sum(1 for s in scores if _outcome(outcomes, s) == "won")
    by_grade = Counter(s.grade for s in scores)
    won = Counter(s.grade for s in scores if _outcome(outcomes, s) == "won")
    for grade, _least in definition.grades:
        n = by_grade.get(grade, 0)
        table.add_row(
            grade,
            f"{n:,}",
            f"{won[grade]:,}",
            f"{won[grade] / n:.1%}" if n else "—",
            f"{won[grade] / wins:.0%}" if wins else "—",
        )
    return table


def lift_line(scores: list[LeadScore], outcomes: dict[str, Outcome]) -> str:
    """How many of the won leads the best-scored 10 % and 50 % of leads hold (random: 10 % and 50 %)."""
    ranked = sorted(scores, key=lambda s: (-s.score, s.lead_id))
    wins = sum(1 for s in ranked if _outcome(outcomes, s) == "won")
    if not wins:
        return "No lead in the data was won, so there is no lift to measure."
    shares = []
    for fraction in (0.1, 0.5):
        top = ranked[: max(1, round(len(ranked) * fraction))]
        shares.append(sum(1 for s in top if _outcome(outcomes, s) == "won") / wins)
    return (
        f"Lift: the top 10% of scores hold {shares[0]:.0%} of the {wins:,} won leads; "
        f"the top 50% hold {shares[1]:.0%} (at random: 10% and 50%)."
    )


def _outcome(outcomes: dict[str, Outcome], score: LeadScore) -> str:
    found = outcomes.get(score.lead_id)
    return found.outcome if found else "open"
