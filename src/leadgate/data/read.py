"""Read leads, accounts, events and calls from files into records, checked against the vocabulary.

Formats are described in docs/data.md. Each reader accepts good rows, hands bad ones to the `Intake`
(which stops or sets them aside), and never changes a value it cannot read.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from leadgate.conditions import Kind, ValueType
from leadgate.data.intake import Intake
from leadgate.data.values import BadValue, enum_value, from_text, json_converter, time_value
from leadgate.definition import Definition
from leadgate.errors import DataError, Problem
from leadgate.records import CALL_OUTCOMES, Account, Call, Event, Lead

LEAD_COLUMNS = ("lead_id", "email", "account_id", "created_at")
ACCOUNT_COLUMNS = ("account_id", "domain", "name")
ANSWER_COLUMNS = ("call_id", "lead_id", "called_at", "outcome", "criterion", "answer")


@dataclass
class Dataset:
    """Everything read for one scoring run."""

    leads: dict[str, Lead] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    events_by_lead: dict[str, list[Event]] = field(default_factory=dict)
    calls_by_lead: dict[str, list[Call]] = field(default_factory=dict)
    intake: Intake = field(default_factory=Intake)

    def account_of(self, lead: Lead) -> Account | None:
        return self.accounts.get(lead.account_id) if lead.account_id else None


def load_dataset(
    definition: Definition,
    leads: Path,
    accounts: Path | None = None,
    events: Path | None = None,
    answers: Path | None = None,
    intake: Intake | None = None,
) -> Dataset:
    data = Dataset(intake=intake or Intake())
    if accounts is not None:
        data.accounts = read_accounts(accounts, definition, data.intake)
    data.leads = read_leads(leads, definition, data.intake, data.accounts if accounts is not None else None)
    if events is not None:
        data.events_by_lead = read_events(events, definition, data.intake, data.leads)
    if answers is not None:
        data.calls_by_lead = read_answers(answers, definition, data.intake, data.leads)
    return data


# -- CSV ------------------------------------------------------------------------------------------


def csv_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str], list[str]]]:
    """(line, row, header) for each data row; the header must hold the required columns."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise DataError([Problem(f"cannot read the file: {exc.strerror}", file=str(path))]) from None
    with handle:
        reader = csv.reader(handle)
        header = _header(path, reader)
        require_columns(path, header, required)
        refuse_repeated_columns(path, header)
        line = reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as exc:
                raise DataError(
                    [Problem(f"cannot read the row: {exc}", file=str(path), line=line + 1)]
                ) from None
            start, line = line + 1, reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                row = dict(zip(header, cells, strict=False))
                row["__width__"] = f"expected {len(header)} cells as in the header; got {len(cells)}"
                row["__row__"] = csv_text(cells)  # every cell, those past the header's too
            else:
                row = dict(zip(header, cells, strict=True))
            yield start, row, header


def csv_header(path: Path) -> list[str]:
    """A CSV file's header row, as `csv_rows` reads it (a byte-order mark dropped, names trimmed)."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise DataError([Problem(f"cannot read the file: {exc.strerror}", file=str(path))]) from None
    with handle:
        return _header(path, csv.reader(handle))


def _header(path: Path, reader: Iterator[list[str]]) -> list[str]:
    try:
        return [h.strip() for h in next(reader)]
    except StopIteration:
        raise DataError(
            [Problem("the file is empty: expected a header row", file=str(path), line=1)]
        ) from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise DataError([Problem(f"cannot read the header: {exc}", file=str(path), line=1)]) from None


def refuse_repeated_columns(path: Path, header: list[str]) -> None:
    """A header names each column once: with a name twice, a row would keep one cell and lose the other."""
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise DataError([Problem(f"the header repeats the column(s) {', '.join(repeated)}",
                                 file=str(path), line=1, hint="rename or remove one of each")])  # fmt: skip


def require_columns(path: Path, header: list[str], required: tuple[str, ...]) -> None:
    """A file must have the columns it is read by; say which are missing and what was found."""
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(
            [
                Problem(
                    f"the header must have the column(s) {', '.join(missing)}; found {', '.join(header)}",
                    file=str(path),
                    line=1,
                )
            ]
        )


def _raw(row: Mapping[str, str]) -> str:
    """The row as read, for the rejects file."""
    return row.get("__row__") or csv_text(v for k, v in row.items() if k != "__width__")


def csv_text(cells: Iterable[str]) -> str:
    """A row's cells as one CSV line, quoted where CSV needs it: a rejected row can be read again."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def vocabulary_columns(
    fields: Mapping[str, ValueType],
    columns_of: Mapping[str, str],
    header: list[str],
    builtins: tuple[str, ...],
    path: Path,
    intake: Intake,
) -> dict[str, tuple[str, ValueType]]:
    """Map each vocabulary field to its column; note fields with no column and columns nobody uses."""
    found: dict[str, tuple[str, ValueType]] = {}
    absent = []
    for name, vtype in fields.items():
        if name in builtins or name in ("id", "email_domain"):
            continue
        column = columns_of.get(name, name)
        if column in header:
            found[name] = (column, vtype)
        else:
            absent.append(column)
    if absent:
        intake.notes.append(
            f"{path}: no column for {', '.join(absent)}: those fields are missing for every row"
        )
    used = {c for c, _ in found.values()} | set(builtins)
    unused = [h for h in header if h not in used]
    if unused:
        intake.notes.append(
            f"{path}: columns not in the definition's vocabulary, not used: {', '.join(unused)}"
        )
    return found


def _typed_fields(
    row: Mapping[str, str], columns: Mapping[str, tuple[str, ValueType]]
) -> tuple[dict[str, Any], tuple[str, str] | None]:
    """The row's vocabulary fields, or the first (column, message) that does not fit."""
    values: dict[str, Any] = {}
    for name, (column, vtype) in columns.items():
        try:
            value = from_text(row.get(column, ""), vtype)
        except BadValue as exc:
            return values, (column, str(exc))
        if value is not None:
            values[name] = value
    return values, None


def read_accounts(path: Path, definition: Definition, intake: Intake) -> dict[str, Account]:
    accounts: dict[str, Account] = {}
    columns: dict[str, tuple[str, ValueType]] | None = None
    name = str(path)
    for line, row, header in csv_rows(path, ACCOUNT_COLUMNS[:2]):
        if columns is None:
            columns = vocabulary_columns(
                definition.account_fields,
                columns_of(definition, "account"),
                header,
                ACCOUNT_COLUMNS,
                path,
                intake,
            )
        if "__width__" in row:
            intake.reject(name, line, None, row["__width__"], _raw(row))
            continue
        account_id = row["account_id"].strip()
        if not account_id:
            intake.reject(name, line, "account_id", "account_id must not be empty", _raw(row))
            continue
        if account_id in accounts:
            intake.reject(name, line, "account_id", f"account_id {account_id!r} appears twice", _raw(row))
            continue
        values, problem = _typed_fields(row, columns)
        if problem:
            intake.reject(name, line, problem[0], problem[1], _raw(row))
            continue
        domain = row["domain"].strip().lower() or None
        accounts[account_id] = Account(account_id, domain, (row.get("name") or "").strip() or None, values)
        intake.accepted[name] += 1
    return accounts


def read_leads(
    path: Path, definition: Definition, intake: Intake, accounts: Mapping[str, Account] | None
) -> dict[str, Lead]:
    leads: dict[str, Lead] = {}
    columns: dict[str, tuple[str, ValueType]] | None = None
    by_domain = {a.domain: a.account_id for a in (accounts or {}).values() if a.domain}
    name = str(path)
    for line, row, header in csv_rows(path, ("lead_id",)):
        if columns is None:
            columns = vocabulary_columns(
                definition.lead_fields, columns_of(definition, "lead"), header, LEAD_COLUMNS, path, intake
            )
        if "__width__" in row:
            intake.reject(name, line, None, row["__width__"], _raw(row))
            continue
        lead_id = row["lead_id"].strip()
        if not lead_id:
            intake.reject(name, line, "lead_id", "lead_id must not be empty", _raw(row))
            continue
        if lead_id in leads:
            intake.reject(name, line, "lead_id", f"lead_id {lead_id!r} appears twice", _raw(row))
            continue
        email = (row.get("email") or "").strip().lower() or None
        if email is not None and (email.count("@") != 1 or email.startswith("@") or email.endswith("@")):
            intake.reject(
                name, line, "email", f"expected an email address (name@domain); got {email!r}", _raw(row)
            )
            continue
        created_text = (row.get("created_at") or "").strip()
        try:
            created_at = time_value(created_text) if created_text else None
        except BadValue as exc:
            intake.reject(name, line, "created_at", str(exc), _raw(row))
            continue
        account_id = (row.get("account_id") or "").strip() or None
        if account_id is not None and accounts is not None and account_id not in accounts:
            intake.reject(
                name, line, "account_id", f"no account {account_id!r} in the accounts file", _raw(row)
            )
            continue
        if account_id is None and email is not None:
            account_id = by_domain.get(email.rsplit("@", 1)[1])
        values, problem = _typed_fields(row, columns)
        if problem:
            intake.reject(name, line, problem[0], problem[1], _raw(row))
            continue
        leads[lead_id] = Lead(lead_id, email, account_id, created_at, values)
        intake.accepted[name] += 1
    return leads


def columns_of(definition: Definition, section: str) -> dict[str, str]:
    """Vocabulary fields whose data column has another name (`column:` in the vocabulary)."""
    specs = definition.spec.vocabulary.lead if section == "lead" else definition.spec.vocabulary.account
    return {n: f.column for n, f in specs.items() if f.column}


# -- events (JSON Lines) --------------------------------------------------------------------------


def read_events(
    path: Path, definition: Definition, intake: Intake, leads: Mapping[str, Lead]
) -> dict[str, list[Event]]:
    by_lead: dict[str, list[Event]] = {}
    seen: set[str] = set()
    unused: Counter[str] = Counter()
    converters = {
        name: tuple((prop, json_converter(vtype)) for prop, vtype in props.items())
        for name, props in definition.event_types.items()
    }
    name = str(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise DataError([Problem(f"cannot read the file: {exc.strerror}", file=name)]) from None
    with handle:
        for line, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            event = _event(raw, converters, leads)
            if isinstance(event, _Unused):
                unused[event.type] += 1
                continue
            if isinstance(event, _Bad):
                intake.reject(name, line, event.field, event.message, raw.decode("utf-8", "replace").rstrip())
                continue
            if event.event_id in seen:
                intake.reject(
                    name,
                    line,
                    "event_id",
                    f"event_id {event.event_id!r} appears twice",
                    raw.decode("utf-8", "replace").rstrip(),
                )
                continue
            seen.add(event.event_id)
            by_lead.setdefault(event.lead_id, []).append(event)
            intake.accepted[name] += 1
    if unused:
        listed = ", ".join(f"{t} ({n})" for t, n in unused.most_common())
        intake.notes.append(
            f"{path}: {sum(unused.values())} events of types the definition does not use, not scored: {listed}"
        )
    return by_lead


@dataclass(frozen=True, slots=True)
class _Unused:
    type: str


@dataclass(frozen=True, slots=True)
class _Bad:
    field: str | None
    message: str


_EVENT_KEYS = ("event_id", "lead_id", "type", "time")


def _event(
    raw: bytes,
    converters: Mapping[str, tuple[tuple[str, Callable[[Any], Any]], ...]],
    leads: Mapping[str, Lead],
) -> Event | _Unused | _Bad:
    """The event; or _Unused for a type the definition does not declare; or what is wrong with it."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return _Bad(None, f"expected one JSON object per line; {exc}")
    if type(obj) is not dict:
        return _Bad(None, f"expected a JSON object; got {type(obj).__name__}")
    event_id, lead_id, kind, when = (obj.get(k) for k in _EVENT_KEYS)
    for key, value in zip(_EVENT_KEYS, (event_id, lead_id, kind, when), strict=True):
        if type(value) is not str:
            if not isinstance(value, int) or isinstance(value, bool):
                return _Bad(key, f"{key} is required (text); got {value!r}")
        elif not value:
            return _Bad(key, f"{key} is required (text); got ''")
    lead_id, kind = str(lead_id), str(kind)
    if lead_id not in leads:
        return _Bad("lead_id", f"unknown lead {lead_id!r}: not in the leads file")
    try:
        moment: datetime = time_value(str(when))
    except BadValue as exc:
        return _Bad("time", str(exc))
    props = obj.get("properties")
    if props is None:
        props = {}
    elif type(props) is not dict:
        return _Bad("properties", f"expected an object of properties; got {props!r}")
    declared = converters.get(kind)
    if declared is None:
        return _Unused(kind)
    values: dict[str, Any] = {}
    for prop, convert in declared:
        try:
            value = convert(props.get(prop))
        except BadValue as exc:
            return _Bad(f"properties.{prop}", str(exc))
        if value is not None:
            values[prop] = value
    return Event(str(event_id), lead_id, kind, moment, values)


# -- answers (calls) ------------------------------------------------------------------------------


def read_answers(
    path: Path, definition: Definition, intake: Intake, leads: Mapping[str, Lead]
) -> dict[str, list[Call]]:
    calls: dict[str, dict[str, Any]] = {}
    unused: Counter[str] = Counter()
    criteria = definition.criteria_by_id
    name = str(path)
    outcome_type = ValueType(Kind.ENUM, CALL_OUTCOMES)
    for line, row, _header in csv_rows(path, ANSWER_COLUMNS[:4]):
        if "__width__" in row:
            intake.reject(name, line, None, row["__width__"], _raw(row))
            continue
        call_id, lead_id = row["call_id"].strip(), row["lead_id"].strip()
        if not call_id:
            intake.reject(name, line, "call_id", "call_id must not be empty", _raw(row))
            continue
        if lead_id not in leads:
            intake.reject(
                name, line, "lead_id", f"unknown lead {lead_id!r}: not in the leads file", _raw(row)
            )
            continue
        try:
            called_at = time_value(row["called_at"])
        except BadValue as exc:
            intake.reject(name, line, "called_at", str(exc), _raw(row))
            continue
        try:
            outcome = enum_value(row["outcome"].strip(), outcome_type)
        except BadValue as exc:
            intake.reject(name, line, "outcome", str(exc), _raw(row))
            continue
        criterion = (row.get("criterion") or "").strip()
        answer = (row.get("answer") or "").strip()
        call = calls.get(call_id)
        if call is None:
            call = calls[call_id] = {
                "lead_id": lead_id,
                "called_at": called_at,
                "outcome": outcome,
                "answers": {},
            }
        elif (call["lead_id"], call["called_at"], call["outcome"]) != (lead_id, called_at, outcome):
            intake.reject(
                name,
                line,
                "call_id",
                f"call {call_id!r} appears with another lead, time or outcome than on its first row",
                _raw(row),
            )
            continue
        if not criterion and not answer:
            intake.accepted[name] += 1
            continue
        if not criterion or not answer:
            intake.reject(
                name,
                line,
                "criterion" if not criterion else "answer",
                "criterion and answer go together: both filled or both empty",
                _raw(row),
            )
            continue
        if outcome != "reached":
            intake.reject(
                name,
                line,
                "answer",
                f"only a reached call has answers; this call's outcome is {outcome}",
                _raw(row),
            )
            continue
        known = criteria.get(criterion)
        if known is None:
            unused[criterion] += 1
            intake.accepted[name] += 1
            continue
        allowed = {v.lower(): v for v in known.answers}
        if answer.lower() not in allowed:
            intake.reject(
                name,
                line,
                "answer",
                f"criterion {criterion!r} allows {', '.join(repr(v) for v in known.answers)}; got {answer!r}",
                _raw(row),
            )
            continue
        call["answers"][criterion] = allowed[answer.lower()]
        intake.accepted[name] += 1
    if unused:
        listed = ", ".join(f"{c} ({n})" for c, n in unused.most_common())
        intake.notes.append(f"{path}: answers to criteria the definition does not have, not used: {listed}")
    by_lead: dict[str, list[Call]] = {}
    for call_id, c in calls.items():
        by_lead.setdefault(c["lead_id"], []).append(
            Call(call_id, c["lead_id"], c["called_at"], c["outcome"], dict(c["answers"]))
        )
    return by_lead


# -- outcomes -------------------------------------------------------------------------------------

OUTCOMES = ("won", "lost", "open")


@dataclass(frozen=True)
class Outcome:
    lead_id: str
    outcome: str  # won | lost | open
    closed_at: datetime | None
    revenue: float | None


def read_outcomes(path: Path, intake: Intake) -> dict[str, Outcome]:
    """What became of each lead (for reports that check a definition against history)."""
    out: dict[str, Outcome] = {}
    name = str(path)
    kind = ValueType(Kind.ENUM, OUTCOMES)
    number = ValueType(Kind.NUMBER)
    for line, row, _header in csv_rows(path, ("lead_id", "outcome")):
        if "__width__" in row:
            intake.reject(name, line, None, row["__width__"], _raw(row))
            continue
        lead_id = row["lead_id"].strip()
        try:
            outcome = enum_value(row["outcome"].strip(), kind)
            closed_text = (row.get("closed_at") or "").strip()
            closed_at = time_value(closed_text) if closed_text else None
            revenue = from_text(row.get("revenue") or "", number)
        except BadValue as exc:
            intake.reject(name, line, None, str(exc), _raw(row))
            continue
        if not lead_id or lead_id in out:
            intake.reject(
                name, line, "lead_id", f"lead_id must be present and unique; got {lead_id!r}", _raw(row)
            )
            continue
        out[lead_id] = Outcome(lead_id, outcome, closed_at, revenue)
        intake.accepted[name] += 1
    return out
