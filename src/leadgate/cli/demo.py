"""`leadgate demo`: generate data, replay it through the service with live scoring, show what came out,
send one live event over HTTP, and serve the API."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from leadgate.cli.errors import err
from leadgate.cli.generate import run_generate
from leadgate.cli.output import counting_bar
from leadgate.cli.serving import free_port, running_service, wait_for_interrupt
from leadgate.data.intake import Intake
from leadgate.data.read import Outcome, read_outcomes
from leadgate.definition import Definition, load_definition
from leadgate.points import show
from leadgate.scoring import LeadScore
from leadgate.service import tokens, versions
from leadgate.service.importing import import_file
from leadgate.service.mapping import load_mapping
from leadgate.service.store import open_store, tables
from leadgate.service.workspace import DEFAULT_WORKSPACE, DefinitionCache, ensure_workspace, utc_now


def example_path(name: str) -> Path:
    """The path of an example definition shipped with leadgate."""
    return Path(str(resources.files("leadgate") / "examples" / name))


def demo_command(
    directory: Annotated[
        Path, typer.Option("--dir", help="where to write the generated data and the store")
    ] = Path("leadgate-demo"),
    leads: Annotated[int, typer.Option("--leads", min=10, help="how many leads to generate")] = 3000,
    seed: Annotated[int, typer.Option("--seed")] = 7,
    host: Annotated[str, typer.Option(help="address the service listens on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port the service listens on")] = 8000,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="keep the service running after the summary")
    ] = True,
) -> None:
    """Generate realistic data, replay it through the service's ingestion (live scoring with
    examples/b2b-saas.yaml), show the funnel against outcomes, send one live event over HTTP, and serve."""
    console = Console(highlight=False)
    definition_file = example_path("b2b-saas.yaml")
    now = datetime.now(UTC).replace(microsecond=0)
    summary = run_generate(directory, leads, seed, now.isoformat(), 25.0)
    console.print(
        f"Generated {summary.leads:,} leads at {summary.accounts:,} accounts with {summary.events:,} events "
        f"and {summary.calls:,} qualification calls in {directory}/ (up to now)"
    )
    database = directory / "leadgate.db"
    for stale in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        stale.unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    setup = replay(url, definition_file, directory)
    console.print(
        f"Replayed them through the service's ingestion into {database} (SQLite): every account, lead, event "
        f"and call was stored and re-scored live with [bold]{setup.definition.name}[/] (version 1, active) "
        f"in {setup.seconds:.1f} s."
    )
    outcomes = read_outcomes(directory / "outcomes.csv", Intake("fail"))
    scores = stored_scores(url)
    console.print(funnel_table(setup.definition, scores, outcomes))
    console.print(grade_table(setup.definition, scores, outcomes))
    console.print(lift_line(scores, outcomes))
    with running_service(url, host, port if serve else free_port(host)) as base:
        live_event(console, base, setup, scores)
        if serve:
            where_to_look(console, url, base, setup)
            console.print("\nServing; press Ctrl-C to stop.", style="bold")
            wait_for_interrupt()
    if not serve:  # the service that took the live event has stopped: how to start it again
        options = (f" --host {host}" if host != "127.0.0.1" else "") + (
            f" --port {port}" if port != 8000 else ""
        )
        where_to_look(console, url, f"http://{host}:{port}", setup, stopped=f"leadgate serve{options}")


def where_to_look(console: Console, url: str, base: str, setup: Replayed, stopped: str | None = None) -> None:
    """The service's addresses, its tokens (stored: they work again when it is served again) and
    commands to try, each on one line whatever the terminal's width, so that it can be copied;
    `stopped`: the command that serves the store again, when the demo's service has stopped."""

    def line(text: str) -> None:
        console.print(text, markup=False, soft_wrap=True)

    console.print("\nWhere to look:", style="bold")
    if stopped:
        line(
            f"  the service has stopped (--no-serve); serve this store again with:  LEADGATE_DATABASE_URL={url} {stopped}"
        )
    line(f"  API docs (try it out, Authorize with the admin token):  {base}/docs")
    line(f"  admin token:  {setup.admin_token}")
    line(f"  write key (events only, e.g. for a Segment source):  {setup.write_key}")
    line(
        f'  curl -H "Authorization: Bearer {setup.admin_token}" "{base}/v1/leads?stage=MQL&sort=-score&limit=5"'
    )
    line(f"  LEADGATE_DATABASE_URL={url} leadgate definitions list")


@dataclass(frozen=True)
class Replayed:
    definition: Definition
    admin_token: str
    write_key: str
    seconds: float


def replay(url: str, definition_file: Path, directory: Path) -> Replayed:
    """Publish the definition, make tokens, and import the generated files through the ingestion path."""
    started = time.perf_counter()
    store = open_store(url)
    with store.transaction() as session:
        workspace = ensure_workspace(session)
        versions.publish(
            session,
            workspace,
            definition_file.read_text(encoding="utf-8"),
            "the demo's definition",
            "demo",
            utc_now(),
        )
        admin, _ = tokens.create_token(session, workspace, "admin", "demo admin", utc_now())
        write, _ = tokens.create_token(session, workspace, "write", "demo website", utc_now())
    cache = DefinitionCache()
    versions.activate(store, DEFAULT_WORKSPACE, 1, "demo", cache, utc_now)
    files = (
        ("accounts", "accounts.csv"),
        ("leads", "leads.csv"),
        ("events", "events.jsonl"),
        ("calls", "answers.csv"),
    )
    with counting_bar("replaying {task.description}", err) as bar:
        for kind, name in files:
            path = directory / name
            task = bar.add_task(kind, total=None)
            import_file(
                store, DEFAULT_WORKSPACE, load_mapping(None, kind), path, Intake("fail"), cache,
                progress=partial(bar.advance, task),
            )  # fmt: skip
    definition = load_definition(definition_file)
    store.close()
    return Replayed(definition, admin, write, time.perf_counter() - started)


@dataclass(frozen=True)
class Scored:
    """What the summary tables need of a lead's current score."""

    lead_id: str
    score: float
    grade: str
    stage: str
    disqualified: bool
    reasons: tuple[str, ...]


def stored_scores(url: str) -> list[Scored]:
    store = open_store(url, migrate=False)
    with store.reading() as session:
        rows = session.execute(
            select(
                tables.Lead.lead_id,
                tables.LeadScore.score,
                tables.LeadScore.grade,
                tables.LeadScore.stage,
                tables.LeadScore.disqualified,
                tables.LeadScore.result,
            ).join(tables.LeadScore, tables.LeadScore.lead_pk == tables.Lead.id)
        ).all()
    store.close()
    return [Scored(r[0], r[1], r[2], r[3], r[4], tuple(r[5].get("reasons", ()))) for r in rows]


def live_event(console: Console, base: str, setup: Replayed, scores: list[Scored]) -> None:
    """Send one event over HTTP, as a website would, and show the lead's score and stage move at once."""
    candidates = sorted(
        (s for s in scores if s.stage == "Lead" and s.grade in ("A", "B") and not s.disqualified),
        key=lambda s: (-s.score, s.lead_id),
    )
    if not candidates:
        return
    lead = candidates[0]
    event = {
        "lead_id": lead.lead_id,
        "type": "form_submitted",
        "time": datetime.now(UTC).isoformat(),
        "properties": {"form": "demo_request"},
    }
    with httpx.Client(base_url=base, timeout=30) as client:
        answer = client.post("/v1/events", json=event, headers={"Authorization": f"Bearer {setup.write_key}"})
        answer.raise_for_status()
        change = next(c for c in answer.json()["changes"] if c["lead_id"] == lead.lead_id)
        shown = client.get(
            f"/v1/leads/{lead.lead_id}", headers={"Authorization": f"Bearer {setup.admin_token}"}
        )
        shown.raise_for_status()
    console.print("\nLive: a website posts one event for the best-fitting lead still in Lead:", style="bold")
    console.print(f"  POST {base}/v1/events  {json.dumps(event)}", markup=False, soft_wrap=True)
    console.print(
        f"  {lead.lead_id}: score {show(change['old_score'])} → {show(change['new_score'])}, "
        f"stage {change['old_stage']} → {change['new_stage']} (definition v{change['definition_version']})",
        markup=False,
    )
    for reason in shown.json()["score"]["reasons"]:
        console.print(f"    {reason}", markup=False)


def funnel_table(definition: Definition, scores: Sequence[Scored], outcomes: dict[str, Outcome]) -> Table:
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


def grade_table(definition: Definition, scores: Sequence[Scored], outcomes: dict[str, Outcome]) -> Table:
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


def lift_line(scores: Sequence[Scored], outcomes: dict[str, Outcome]) -> str:
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


def _outcome(outcomes: dict[str, Outcome], score: Scored | LeadScore) -> str:
    found = outcomes.get(score.lead_id)
    return found.outcome if found else "open"
