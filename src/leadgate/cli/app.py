"""`leadgate`: check a lead definition, score leads with it, and explain every score."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from leadgate import __version__
from leadgate.cli import demo, generate, importing, rescore, score, service
from leadgate.cli.errors import err, reports_errors
from leadgate.definition import load_definition
from leadgate.definition.model import DefinitionSpec

app = typer.Typer(
    name="leadgate",
    help="The agreed definition of a qualified lead, applied to every lead, with a reason for every point.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        out.print(f"leadgate {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """leadgate: lead qualification you can read, test and explain."""


@app.command()
@reports_errors
def validate(
    definitions: Annotated[
        list[Path], typer.Argument(metavar="DEFINITIONS", help="definition files (YAML or JSON)")
    ],
    today: Annotated[
        str | None, typer.Option(help="check the review date against this day (YYYY-MM-DD); default: today")
    ] = None,
) -> None:
    """Check definition files: structure, types, every condition, and whether a review is due."""
    day = date.fromisoformat(today) if today else date.today()
    for path in definitions:
        definition = load_definition(path)
        spec = definition.spec
        out.print(
            f"[green]ok[/] {path}: {spec.name!r} version {definition.version} — "
            f"{len(definition.fit_rules)} fit rules, {len(definition.engagement_rules)} engagement rules, "
            f"{len(definition.disqualifiers)} disqualifiers, {len(definition.criteria)} criteria, "
            f"{len(definition.triggers)} fast-track triggers, stages {' → '.join(definition.funnel)}"
        )
        for warning in definition.warnings:
            err.print(f"[yellow]warning[/]: {warning}")
        if definition.review_overdue(day):
            err.print(
                f"[yellow]warning[/]: {path}: the review was due on {definition.review_due().isoformat()} "
                f"(agreed {spec.agreed.isoformat()}, reviewed every {spec.review_every_days} days): "
                f"{spec.owners.marketing} and {spec.owners.sales} should meet and revisit it",
            )


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--out", help="write to this file instead of stdout")] = None,
) -> None:
    """Print the JSON Schema of the definition file (for editor autocompletion and checks)."""
    document = DefinitionSpec.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "leadgate definition"
    text = json.dumps(document, indent=2)
    if output is None:
        print(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        err.print(f"wrote {output}")


app.command(name="generate")(reports_errors(generate.generate_command))
app.command(name="score")(reports_errors(score.score_command))
app.command(name="explain")(reports_errors(score.explain_command))
app.command(name="rescore")(reports_errors(rescore.rescore_command))
app.command(name="demo")(reports_errors(demo.demo_command))
app.command(name="serve")(reports_errors(service.serve_command))
app.command(name="import")(reports_errors(importing.import_command))
app.add_typer(service.tokens_app, name="tokens")
app.add_typer(service.definitions_app, name="definitions")
app.add_typer(service.workspace_app, name="workspace")


def main() -> None:
    app()
