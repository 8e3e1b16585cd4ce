"""`leadgate score` and `leadgate explain`: apply a definition to leads, and show why."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from leadgate.cli.errors import err
from leadgate.cli.inputs import (
    AccountsOpt,
    AnswersOpt,
    AsOfOpt,
    EventsOpt,
    LeadsOpt,
    OnErrorOpt,
    RejectsOpt,
    as_of_time,
    read_inputs,
)
from leadgate.cli.output import FORMATS, print_table, write_csv, write_jsonl
from leadgate.definition import load_definition
from leadgate.errors import UsageError
from leadgate.points import show
from leadgate.records import Event
from leadgate.scoring import LeadScore, score_lead, score_leads

DefinitionArg = Annotated[
    Path, typer.Argument(metavar="DEFINITION", help="the definition file (YAML or JSON)")
]


def score_command(
    definition: DefinitionArg,
    leads: LeadsOpt,
    accounts: AccountsOpt = None,
    events: EventsOpt = None,
    answers: AnswersOpt = None,
    as_of: AsOfOpt = None,
    format: Annotated[str, typer.Option("--format", help="table, csv or jsonl")] = "table",
    explain: Annotated[bool, typer.Option("--explain", help="include every rule's contribution")] = False,
    top: Annotated[
        int | None, typer.Option("--top", help="table: show the N best-scored leads (default 25; 0: all)")
    ] = None,
    on_error: OnErrorOpt = "fail",
    rejects: RejectsOpt = Path("leadgate-rejects.csv"),
) -> None:
    """Score every lead: fit, grade, engagement, criteria, persona, disqualifiers, fast-track and stage."""
    if format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}; got {format!r}")
    loaded = load_definition(definition)
    moment = as_of_time(as_of)
    data = read_inputs(loaded, leads, accounts, events, answers, on_error, rejects)
    scores = score_leads(
        loaded, data.leads.values(), data.accounts, data.events_by_lead, data.calls_by_lead, moment
    )
    if format == "jsonl":
        n = write_jsonl(scores)
    elif format == "csv":
        n = write_csv(scores, explain=explain)
    else:
        every = sorted(scores, key=lambda s: (-s.score, s.lead_id))
        n = len(every)
        limit = 25 if top is None else top
        shown = every if limit == 0 else every[:limit]
        print_table(
            shown,
            Console(highlight=False),
            explain,
            title=f"{loaded.name} (version {loaded.version}) as of {moment.date().isoformat()}",
        )
        if len(shown) < n:
            err.print(
                f"showing the top {len(shown)} of {n:,} leads by score; --top 0 shows all, "
                "--format csv or jsonl writes every lead"
            )
    sys.stdout.flush()
    err.print(
        f"scored {n:,} leads as of {moment.isoformat().replace('+00:00', 'Z')} "
        f"with {loaded.name!r} version {loaded.version}",
        markup=False,
    )
    note_later_events(data.events_by_lead.values(), moment)


def note_later_events(events_by_lead: Iterable[Sequence[Event]], moment: datetime) -> None:
    """Events dated after the --as-of time count for nothing yet: say how many, not silently."""
    cutoff = moment.timestamp()
    later = [e for events in events_by_lead for e in events if e.ts > cutoff]
    if later:
        latest = max(later, key=lambda e: e.ts).time.isoformat().replace("+00:00", "Z")
        err.print(
            f"note: {len(later):,} events are dated after the --as-of time (the latest {latest}) and did not "
            "count; --as-of defaults to now",
            markup=False,
        )


def explain_command(
    definition: DefinitionArg,
    lead: Annotated[str, typer.Option("--lead", help="the lead_id to explain")],
    leads: LeadsOpt,
    accounts: AccountsOpt = None,
    events: EventsOpt = None,
    answers: AnswersOpt = None,
    as_of: AsOfOpt = None,
    on_error: OnErrorOpt = "fail",
    rejects: RejectsOpt = Path("leadgate-rejects.csv"),
) -> None:
    """Explain one lead's result: every rule that counted, with its points and why."""
    loaded = load_definition(definition)
    moment = as_of_time(as_of)
    data = read_inputs(loaded, leads, accounts, events, answers, on_error, rejects)
    target = data.leads.get(lead)
    if target is None:
        raise UsageError(f"no lead {lead!r} in {leads}")
    if loaded.rollups and target.account_id:
        colleagues = [x for x in data.leads.values() if x.account_id == target.account_id]
        result = next(
            s
            for s in score_leads(
                loaded, colleagues, data.accounts, data.events_by_lead, data.calls_by_lead, moment
            )
            if s.lead_id == lead
        )
    else:
        result = score_lead(
            loaded,
            target,
            data.events_by_lead.get(lead, ()),
            data.calls_by_lead.get(lead, ()),
            moment,
            data.account_of(target),
        )
    render_explanation(result, Console(highlight=False), loaded.name)
    note_later_events([data.events_by_lead.get(lead, ())], moment)


def render_explanation(result: LeadScore, console: Console, definition_name: str) -> None:
    console.print(
        f"[bold]{result.lead_id}[/]  as of {result.as_of.isoformat().replace('+00:00', 'Z')}  "
        f"({definition_name}, version {result.definition_version})"
    )
    console.print(
        f"stage [bold]{result.stage}[/]   score [bold]{show(result.score)}[/] = fit {show(result.fit)} "
        f"(grade {result.grade}) + engagement {show(result.engagement)} + criteria {show(result.criteria)}   "
        f"persona {result.persona}"
    )
    if result.disqualified:
        console.print("[red]disqualified[/]: " + "; ".join(result.disqualified_reasons))
    if result.fast_track:
        console.print(f"[yellow]fast-track[/]: {result.fast_track}")
    if result.criteria_met or result.criteria:
        status = "pass" if result.criteria_passed else "do not pass"
        console.print(f"criteria {status}; holding: {', '.join(result.criteria_met) or 'none'}")
    table = Table(show_edge=False)
    table.add_column("kind")
    table.add_column("rule")
    table.add_column("points", justify="right")
    table.add_column("why", overflow="fold")
    for c in result.trace:
        table.add_row(c.kind, c.rule, ("+" if c.points > 0 else "") + show(c.points), c.reason)
    table.add_row("", "[bold]total[/]", f"[bold]{show(result.score)}[/]", "")
    console.print(table)
