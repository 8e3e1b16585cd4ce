"""Import a file of leads, accounts, events or calls through the same ingestion as the API.

Rows become payloads with a mapping (`mapping`), then are stored in chunks, each chunk one transaction,
and every stored change re-scores its leads, exactly as if the rows had come through the API.

What happens to bad rows follows the intake policy:
- `fail` (default): the whole file is read and checked first (payload and vocabulary); the first bad
  row stops the import before anything is stored. A row the store itself refuses (an email that
  belongs to another lead) stops it where it is, and the summary says how many rows were stored;
- `skip`: every bad row is set aside as a reject (file, line, field, reason, the row as read), the
  others are stored; the rejects are in the order of the file's lines.
Accepted rows are counted per file; nothing accepted is dropped. A problem found by the service names
the column that fed the target (`employees → fields.employees`), as one found while reading does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadgate.data.intake import Intake
from leadgate.errors import DataError, LeadgateError, Problem
from leadgate.service import ingest
from leadgate.service.errors import InputError, NotFound
from leadgate.service.live import rescore
from leadgate.service.mapping import Mapping
from leadgate.service.payloads import AccountIn, CallIn, EventIn, LeadIn
from leadgate.service.rows import Imported, read_payloads
from leadgate.service.store import Store
from leadgate.service.workspace import Context, DefinitionCache, context_of, find_workspace, utc_now

CHUNK = 500


@dataclass
class ImportSummary:
    kind: str
    file: str
    stored: int = 0  # payloads stored: leads or accounts created or updated, events new, calls
    created: int = 0  # leads or accounts created (not updated); every stored call and event is new
    leads_created: int = 0  # events: leads created for events of leads not stored before
    duplicates: int = 0  # events stored before (same event_id)
    rejected: int = 0  # rows
    rescored: set[int] = field(default_factory=set)  # the leads re-scored, by key, each once
    notes: list[str] = field(default_factory=list)

    @property
    def leads_rescored(self) -> int:
        return len(self.rescored)


def import_file(
    store: Store,
    workspace: str,
    mapping: Mapping,
    path: Path,
    intake: Intake,
    cache: DefinitionCache | None = None,
    clock: Callable[[], Any] = utc_now,
    progress: Callable[[int], None] | None = None,
    chunk: int = CHUNK,
) -> ImportSummary:
    """Store the file's rows; `progress(rows)` after each chunk. Raises DataError under `fail`."""
    cache = cache or DefinitionCache()
    with store.reading() as session:
        ctx = context_of(session, find_workspace(session, workspace), cache, clock)
    if ctx.active is None:
        raise LeadgateError(
            [
                Problem(
                    f"workspace {workspace!r} has no active definition",
                    hint="leadgate definitions publish FILE --note ... --activate",
                )
            ]
        )
    name = str(path)
    summary = ImportSummary(mapping.kind, name)
    if intake.on_error == "fail":
        for item in read_payloads(path, mapping, ctx.active.definition, Intake("fail")):
            _precheck(ctx, item, name)
    before = len(intake.rejects)
    committed = 0
    for items in _chunks(read_payloads(path, mapping, ctx.active.definition, intake), chunk):
        try:
            with store.transaction() as session:
                _store(session, ctx, mapping.kind, items, intake, name, summary)
        except DataError as exc:  # `fail`, and the store refused a row: its chunk is rolled back
            first = exc.problems[0]
            raise DataError(
                [
                    Problem(
                        first.message,
                        file=first.file,
                        line=first.line,
                        path=first.path,
                        hint=f"{committed:,} rows before this row's chunk of {chunk} were stored and kept; "
                        "the chunk was not stored. Fix the row and import again (stored rows are updated, "
                        "events deduplicated), or use --on-error skip",
                    )
                ]
            ) from None
        committed += sum(i.rows for i in items)
        if progress:
            progress(sum(i.rows for i in items))
    intake.rejects[before:] = sorted(intake.rejects[before:], key=lambda r: r.line)  # the file's order
    summary.rejected = len(intake.rejects) - before
    summary.notes = list(intake.notes)
    return summary


def _chunks(items: Iterator[Imported], size: int) -> Iterator[list[Imported]]:
    batch: list[Imported] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _precheck(ctx: Context, item: Imported, name: str) -> None:
    """The vocabulary checks ingestion makes, without the store: so `fail` stops before storing."""
    payload = item.payload
    try:
        if isinstance(payload, LeadIn):
            ingest.checked_fields(ctx, payload.fields, "lead", "fields")
            if payload.account is not None:
                ingest.checked_fields(ctx, payload.account.fields, "account", "account.fields")
        elif isinstance(payload, AccountIn):
            ingest.checked_fields(ctx, payload.fields, "account", "fields")
        elif isinstance(payload, EventIn):
            ingest.checked_properties(ctx, payload, set())
        elif isinstance(payload, CallIn):
            ingest.checked_answers(ctx, payload.answers)
    except InputError as exc:
        _reject(Intake("fail"), name, item, exc.problems[0])


def _reject(intake: Intake, name: str, item: Imported, problem: Problem) -> None:
    """Set aside every row the item stands for, as read, the problem named by the column that fed it."""
    for line, raw in item.raws or ((item.line, ""),):
        intake.reject(name, line, item.named(problem.path), problem.message, raw)


def _store(
    session: Any,
    ctx: Context,
    kind: str,
    items: list[Imported],
    intake: Intake,
    name: str,
    summary: ImportSummary,
) -> None:
    if kind == "events":
        outcome = ingest.add_events(
            session, ctx, [i.payload for i in items], cause=f"import {Path(name).name}"
        )
        bad = dict(outcome.rejected)
        for index, item in enumerate(items):
            if index in bad:
                _reject(intake, name, item, bad[index][0])
            else:
                intake.accepted[name] += item.rows
        summary.stored += outcome.accepted
        summary.duplicates += outcome.duplicates
        summary.leads_created += outcome.leads_created
        summary.rescored |= outcome.changes.keys()
        return
    touched: set[int] = set()
    for item in items:
        try:
            with session.begin_nested():
                stored = _store_one(session, ctx, item)
        except LeadgateError as exc:  # refused (InputError, NotFound, Conflict): rolled back alone
            _reject(intake, name, item, exc.problems[0])
            continue
        intake.accepted[name] += item.rows
        summary.stored += 1
        summary.created += stored.created
        touched |= stored.touched
    # one re-score per chunk, in the chunk's transaction: the same result as re-scoring row by row
    summary.rescored |= rescore(session, ctx, touched, f"import {Path(name).name}").keys()


def _store_one(session: Any, ctx: Context, item: Imported) -> ingest.Outcome:
    payload = item.payload
    if isinstance(payload, LeadIn):
        return ingest.upsert_lead(session, ctx, payload, live=False)
    if isinstance(payload, AccountIn):
        return ingest.upsert_account(session, ctx, payload, live=False)
    if isinstance(payload, CallIn):
        lead_id = item.lead_id
        if lead_id is None and item.email is not None:
            lead = ingest.find_lead(session, ctx, None, item.email, None)
            lead_id = lead.lead_id if lead is not None else None
        if lead_id is None:
            raise InputError([Problem(f"no lead with email {item.email!r}", path="email")])
        try:
            return ingest.add_call(session, ctx, lead_id, payload, live=False)
        except NotFound as exc:  # no such lead: the error names the column of the call's lead
            raise InputError([Problem(exc.problems[0].message, path="lead_id")]) from None
    raise AssertionError(f"unexpected payload {type(payload).__name__}")
