"""Service commands: serve, tokens, definitions (publish, list, show, diff, activate, rescore), workspace."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from leadgate.cli.errors import err, reports_errors
from leadgate.cli.output import counting_bar
from leadgate.errors import UsageError
from leadgate.service import tokens as token_ops
from leadgate.service import versions
from leadgate.service.store import Store, default_url, open_store
from leadgate.service.workspace import (
    DEFAULT_WORKSPACE,
    UNKNOWN_EVENT_TYPES,
    UNKNOWN_LEADS,
    DefinitionCache,
    ensure_workspace,
    find_workspace,
    utc_now,
)

out = Console(highlight=False, soft_wrap=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="LEADGATE_DATABASE_URL",
        help="the store: sqlite:///leadgate.db (default) or postgresql://user@host/db",
        show_default=False,
    ),
]
WorkspaceName = Annotated[str, typer.Option("--workspace", help="the workspace")]


def serve_command(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    database_url: DatabaseUrl = None,
    workers: Annotated[int, typer.Option(help="server processes")] = 1,
) -> None:
    """Run the REST API (OpenAPI docs at /docs) on the store, creating or upgrading its schema."""
    import uvicorn

    url = database_url or default_url()
    store = open_store(url)  # migrate once, before the workers start
    with store.transaction() as session:
        ensure_workspace(session)
    store.close()
    err.print(f"leadgate: store {url}; API docs at http://{host}:{port}/docs")
    os.environ["LEADGATE_DATABASE_URL"] = url  # the workers' app factory reads it
    uvicorn.run(
        "leadgate.service.api:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


tokens_app = typer.Typer(help="API tokens and write keys.", no_args_is_help=True)


@tokens_app.command("create")
@reports_errors
def tokens_create(
    role: Annotated[str, typer.Option(help="admin | marketing | sales | write (a write key: events only)")],
    name: Annotated[str, typer.Option(help="who or what holds it, e.g. 'website' or 'Dana'")] = "cli",
    workspace: WorkspaceName = DEFAULT_WORKSPACE,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a token and print its secret (shown only this once; only a hash is stored)."""
    if role not in token_ops.ROLES:  # a bad option is a usage error (exit 2), before the store is opened
        raise UsageError(f"--role must be one of {', '.join(token_ops.ROLES)}; got {role!r}")
    store = open_store(database_url)
    with store.transaction() as session:
        secret, _row = token_ops.create_token(
            session, ensure_workspace(session, workspace), role, name, utc_now()
        )
    print(secret)
    err.print(
        f"created the token {name!r} with the role {role} in workspace {workspace!r}; keep it secret, it is not shown again"
    )


@tokens_app.command("list")
@reports_errors
def tokens_list(workspace: WorkspaceName = DEFAULT_WORKSPACE, database_url: DatabaseUrl = None) -> None:
    """List the workspace's tokens (names, roles and prefixes; never the secrets)."""
    store = open_store(database_url)
    with store.reading() as session:
        rows = token_ops.token_list(session, find_workspace(session, workspace))
        table = Table("prefix", "role", "name", "created", "revoked")
        for r in rows:
            table.add_row(
                r.prefix,
                r.role,
                r.name,
                f"{r.created_at:%Y-%m-%d %H:%M}",
                f"{r.revoked_at:%Y-%m-%d}" if r.revoked_at else "",
            )
    out.print(table)


@tokens_app.command("revoke")
@reports_errors
def tokens_revoke(
    prefix: Annotated[
        str, typer.Argument(metavar="PREFIX", help="the token's prefix, as `tokens list` shows it")
    ],
    workspace: WorkspaceName = DEFAULT_WORKSPACE,
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a token: it stops working at once."""
    store = open_store(database_url)
    with store.transaction() as session:
        count = token_ops.revoke(session, find_workspace(session, workspace), prefix, utc_now())
    if not count:
        raise UsageError(f"no active token with prefix {prefix!r} in workspace {workspace!r}")
    err.print(f"revoked {count} token(s)")


definitions_app = typer.Typer(help="Published definition versions.", no_args_is_help=True)


@definitions_app.command("publish")
@reports_errors
def definitions_publish(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="the definition file (YAML or JSON)")],
    note: Annotated[str, typer.Option(help="why this version: what changed, who agreed")],
    by: Annotated[str, typer.Option(help="who publishes it")] = "cli",
    activate: Annotated[bool, typer.Option(help="also make it active (re-scores every lead)")] = False,
    workspace: WorkspaceName = DEFAULT_WORKSPACE,
    database_url: DatabaseUrl = None,
) -> None:
    """Publish a definition file as the next numbered version (checked completely; immutable)."""
    try:
        source = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{file}: cannot read the file: {exc.strerror}") from None
    store = open_store(database_url)
    with store.transaction() as session:
        row = ensure_workspace(session, workspace)
        version = versions.publish(session, row, source, note, by, utc_now(), source_name=str(file))
        earlier = versions.same_as(session, row, version)
    err.print(
        f"published version {version.number}: {version.name!r} ({version.label}, {version.fingerprint})"
    )
    if earlier is not None:
        err.print(f"note: {versions.same_note(version, earlier)}", markup=False)
    if activate:
        _activate(store, workspace, version.number, by)


@definitions_app.command("list")
@reports_errors
def definitions_list(workspace: WorkspaceName = DEFAULT_WORKSPACE, database_url: DatabaseUrl = None) -> None:
    """List published versions; the active one is marked."""
    store = open_store(database_url)
    with store.reading() as session:
        found = versions.versions(session, find_workspace(session, workspace))
    table = Table("", "version", "name", "label", "published", "by", "note")
    for v in found:
        table.add_row(
            "[green]active[/]" if v.active else "",
            str(v.number),
            v.name,
            v.label,
            f"{v.published_at:%Y-%m-%d %H:%M}",
            v.published_by,
            v.note,
        )
    out.print(table)


@definitions_app.command("show")
@reports_errors
def definitions_show(
    number: Annotated[int, typer.Argument(metavar="NUMBER", help="the version number")],
    workspace: WorkspaceName = DEFAULT_WORKSPACE,
    database_url: DatabaseUrl = None,
) -> None:
    """Print a published version's file, as published."""
    store = open_store(database_url)
    with store.reading() as session:
        _version, source = versions.show(session, find_workspace(session, workspace), number)
    print(source, end="" if source.endswith("\n") else "\n")


@definitions_app.command("diff")
@reports_errors
def definitions_diff(
    old: Annotated[int, typer.Argument(metavar="A", help="version A")],
    new: Annotated[int, typer.Argument(metavar="B", help="version B")],
    workspace: WorkspaceName = DEFAULT_WORKSPACE,
    database_url: DatabaseUrl = None,
) -> None:
    """What changed from version A to version B: rules added, removed and changed, in words."""
    store = open_store(database_url)
    with store.reading() as session:
        changes = versions.compare(session, find_workspace(session, workspace), DefinitionCache(), old, new)
    if not changes:
        out.print(f"versions {old} and {new} are the same definition")
    for change in changes:
        colour = {"added": "green", "removed": "red"}.get(change.kind, "yellow")
        out.print(
            f"[{colour}]{change.kind}[/] {change.what}" + (f": {change.detail}" if change.detail else "")
        )


@definitions_app.command("activate")
@reports_errors
def definitions_activate(
    number: Annotated[int, typer.Argument(metavar="NUMBER", help="the version to make active")],
    by: Annotated[str, typer.Option(help="who activates it")] = "cli",
    workspace: WorkspaceName = DEFAULT_WORKSPACE,
    database_url: DatabaseUrl = None,
) -> None:
    """Make a version active and re-score every lead with it."""
    _activate(open_store(database_url), workspace, number, by)


@definitions_app.command("rescore")
@reports_errors
def definitions_rescore(
    workspace: WorkspaceName = DEFAULT_WORKSPACE,
    database_url: DatabaseUrl = None,
) -> None:
    """Re-score every lead with the active version, as of now (run it nightly: engagement fades with
    time, and a lead is re-scored live only when something happens to it)."""
    with counting_bar("re-scoring", err) as bar:
        task = bar.add_task("leads", total=None)
        done = versions.rescore_active(
            open_store(database_url),
            workspace,
            DefinitionCache(),
            utc_now,
            lambda n, total: bar.update(task, completed=n, total=total),
        )
    newer = f"; {done.newer} kept the newer score live scoring gave them meanwhile" if done.newer else ""
    err.print(f"re-scored {done.leads} leads, {done.changed} changed score, grade or stage{newer}")


def _activate(store: Store, workspace: str, number: int, by: str) -> None:
    with counting_bar("re-scoring", err) as bar:
        task = bar.add_task("leads", total=None)
        activation = versions.activate(
            store,
            workspace,
            number,
            by,
            DefinitionCache(),
            utc_now,
            lambda done, total: bar.update(task, completed=done, total=total),
        )
    err.print(
        f"version {number} is active; re-scored {activation.leads} leads, {activation.changed} changed score, grade or stage"
    )


workspace_app = typer.Typer(help="Workspace settings.", no_args_is_help=True)


@workspace_app.command("set")
@reports_errors
def workspace_set(
    unknown_leads: Annotated[
        str | None, typer.Option(help="an event for an unknown lead: create (an anonymous lead) | reject")
    ] = None,
    unknown_event_types: Annotated[
        str | None,
        typer.Option(
            help="an event type the definition does not declare: keep (stored, not scored) | reject"
        ),
    ] = None,
    workspace: WorkspaceName = DEFAULT_WORKSPACE,
    database_url: DatabaseUrl = None,
) -> None:
    """Change how the workspace treats unknown leads and event types; prints the settings."""
    if unknown_leads is not None and unknown_leads not in UNKNOWN_LEADS:
        raise UsageError(f"--unknown-leads must be one of {', '.join(UNKNOWN_LEADS)}; got {unknown_leads!r}")
    if unknown_event_types is not None and unknown_event_types not in UNKNOWN_EVENT_TYPES:
        raise UsageError(
            f"--unknown-event-types must be one of {', '.join(UNKNOWN_EVENT_TYPES)}; got {unknown_event_types!r}"
        )
    store = open_store(database_url)
    with store.transaction() as session:
        row = ensure_workspace(session, workspace)
        if unknown_leads is not None:
            row.unknown_leads = unknown_leads
        if unknown_event_types is not None:
            row.unknown_event_types = unknown_event_types
        out.print(
            f"workspace {row.name}: unknown_leads={row.unknown_leads} unknown_event_types={row.unknown_event_types}"
        )
