"""The rows of a file to the service's payloads: the reading half of `leadgate import`.

`leadgate import leads|accounts|events|calls FILE [--mapping hubspot|salesforce|MAPPING.yaml]` reads FILE
(CSV, UTF-8 with or without a BOM; or JSON Lines: .jsonl, .ndjson, .json), turns each row into a payload
(`LeadIn`, `AccountIn`, `EventIn`, `CallIn`) with a mapping (`leadgate.service.mapping`), and stores each
payload through the service (`leadgate.service.importing`). This module does everything up to the
validated payload:

    mapping = load_mapping("hubspot", "leads")     # a built-in, a mapping file, or None (identity)
    for item in read_payloads(path, mapping, definition, intake):
        ...  # store item.payload; on success count item.rows as accepted, else reject item.raws

A bad row is handed to `intake.reject(file, line, field, message, row)` and not yielded: the field is
named as in the file and as the target (`Create Date → created_at`), the message reads "what must hold;
what was found". The row is kept as read: a CSV row's cells as one CSV line (quoted where needed), a
JSON line as it is. A payload keeps the rows it was read from (`Imported.raws`) and the source of each
target (`Imported.named`), so that a row the service refuses later is set aside the same way. A header
that feeds no identity (or no event type, no call outcome) stops the file at once. docs/import.md
describes all of this for users.

## Notes (intake.notes) rather than rejects
    column X → fields.y: not in the definition's vocabulary, not used (also answers.<id> for an unknown
    criterion); columns of the file no target uses; mapped columns the file does not have; values that fell
    to a map's default, with counts; lead rows whose company columns give no account id or domain (their
    account is left out: the service links a lead to the account of its email's domain); times taken as UTC.

## The identity mapping (no --mapping)
The columns already carry the target names, as `leadgate generate` writes them. In a CSV a column that is
not a target becomes `fields.<column>` (leads, accounts; a vocabulary field's `column:` alias is honoured),
`properties.<column>` (events) or `answers.<column>` (calls); a lead column that is both a payload key and a
vocabulary field (`source`) feeds both. A JSON Lines object is the payload as is (`fields`, `properties`,
`answers`, `account` nested, plus `lead_id`/`email` for a call); a key the payload does not have rejects it.

## Calls
`CallIn` carries no lead, so each call comes with the lead's `lead_id` or `email` (`Imported.lead_id`,
`Imported.email`). Two shapes: wide, one row per call and a column per criterion (`answers.budget: Budget`);
and long, as `leadgate generate` writes answers.csv (call_id, lead_id, called_at, outcome, criterion, answer):
a row per answer, or one row without a criterion for a call without answers. Mapping `criterion` and
`answer` selects the long format. Its rows are grouped by call_id (adjacent or not) into one `CallIn`, each
yielded when the whole file is read, with its first line and its number of rows; a row that disagrees with
its call's first row on the lead, time or outcome is rejected.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from leadgate.data.intake import Intake
from leadgate.data.read import csv_rows, csv_text  # one CSV reader for the project: BOM, widths, lines
from leadgate.definition import Definition
from leadgate.errors import DataError, Problem, UsageError
from leadgate.service.mapping import (
    TARGETS,
    BadValue,
    ColumnSpec,
    Mapping,
    Tally,
    Target,
    convert,
    is_missing,
    target_problem,
)
from leadgate.service.payloads import AccountIn, CallIn, EventIn, LeadIn

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}

_CONTAINER = {"leads": "fields", "accounts": "fields", "events": "properties", "calls": "answers"}
_IDENTITY = {
    "leads": ("lead_id", "email", "anonymous_id"),
    "accounts": ("account_id", "domain"),
    "events": ("lead_id", "email", "anonymous_id"),
    "calls": ("lead_id", "email"),
}
_REQUIRED = {"events": "type", "calls": "outcome"}
_MODELS: dict[str, type[LeadIn] | type[AccountIn] | type[EventIn] | type[CallIn]] = {
    "leads": LeadIn,
    "accounts": AccountIn,
    "events": EventIn,
    "calls": CallIn,
}


@dataclass(frozen=True, slots=True)
class Imported:
    """One payload read from the file, ready for the service."""

    line: int  # the row's line (a call in the long format: its first row's)
    payload: LeadIn | AccountIn | EventIn | CallIn
    rows: int = 1  # the rows of the file it stands for: count them as accepted once it is stored
    lead_id: str | None = None  # calls only: whose call it is (CallIn carries no lead)
    email: str | None = None  # calls only
    raws: tuple[tuple[int, str], ...] = ()  # each row it stands for: (line, the row as read)
    sources: dict[str, str] = field(default_factory=dict)  # by target: the source that fed it

    def named(self, path: str | None) -> str | None:
        """A problem's path (`fields.employees`) as the error names it: with the column that fed it
        (`employees → fields.employees`), as a bad row read from the file is named."""
        if path is None:
            return None
        near = (s for p, s in self.sources.items() if path.startswith(p + ".") or p.startswith(path + "."))
        return self.sources.get(path) or next(near, path)


def file_format(path: Path) -> str:
    """`csv` or `jsonl`, from the file's extension."""
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise UsageError(
            [
                Problem(
                    f"the file's extension must be {', '.join(FORMATS)}; got {path.suffix or 'none'!r}",
                    file=str(path),
                )
            ]
        )
    return found


def read_payloads(path: Path, mapping: Mapping, definition: Definition, intake: Intake) -> Iterator[Imported]:
    """Each good row of `path` as a validated payload; each bad one to `intake.reject` (see the docstring).

    Nothing is counted as accepted here: the caller counts `Imported.rows` once it has stored the payload.
    Notes are added to `intake.notes` when the file has been read.
    """
    jsonl = file_format(path) == "jsonl"
    records = _jsonl_records(path) if jsonl else _csv_records(path)
    first = next(records, None)
    if first is None:
        return
    reader = _Reader(path, jsonl, mapping, definition, intake)
    long = mapping.long_calls or (
        mapping.targets is None and mapping.kind == "calls" and not jsonl and "criterion" in first.columns
    )
    try:
        rows = itertools.chain([first], records)
        if long:
            yield from reader.long_calls(rows)
        else:
            for record in rows:
                item = reader.one(record)
                if item is not None:
                    yield item
    finally:
        reader.write_notes()


@dataclass(frozen=True, slots=True)
class _Record:
    line: int
    values: dict[str, Any]
    raw: str
    columns: tuple[str, ...]  # a CSV's header; a JSON object's keys
    problem: str | None = None  # the row cannot be read at all


def _csv_records(path: Path) -> Iterator[_Record]:
    for line, row, header in csv_rows(path, ()):
        problem = row.pop("__width__", None)
        raw = row.pop("__row__", None) or csv_text(row.values())
        yield _Record(line, row, raw, tuple(header), problem)


def _jsonl_records(path: Path) -> Iterator[_Record]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise DataError([Problem(f"cannot read the file: {exc.strerror}", file=str(path))]) from None
    with handle:
        for line, raw in enumerate(handle, start=1):
            raw = raw.removeprefix(b"\xef\xbb\xbf") if line == 1 else raw
            if not raw.strip():
                continue
            text = raw.decode("utf-8", "replace").rstrip()
            if line == 1 and raw.lstrip().startswith(b"["):
                raise DataError(
                    [
                        Problem(
                            "expected JSON Lines (one object per line); the file holds a JSON array",
                            file=str(path),
                            line=1,
                            hint="convert it with: jq -c '.[]' FILE",
                        )
                    ]
                )
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                yield _Record(line, {}, text, (), f"expected one JSON object per line; {exc}")
                continue
            if type(obj) is not dict:
                yield _Record(line, {}, text, (), f"expected a JSON object; got {type(obj).__name__}")
                continue
            yield _Record(line, obj, text, tuple(obj))


@dataclass(frozen=True, slots=True)
class _Bad:
    field: str | None
    message: str


_Plan = tuple[tuple[Target, tuple[str, ...]], ...]  # each target with the columns that may feed it


@dataclass
class _Call:
    line: int
    head: dict[str, Any]  # the call but its answers
    sources: dict[str, str]  # by target: the source that fed it
    answers: dict[str, str] = field(default_factory=dict)
    lines: list[int] = field(default_factory=list)
    raws: list[str] = field(default_factory=list)


class _Reader:
    """The rows of one file to payloads; collects what is worth a note and writes it at the end."""

    def __init__(
        self, path: Path, jsonl: bool, mapping: Mapping, definition: Definition, intake: Intake
    ) -> None:
        self.name = str(path)
        self.jsonl = jsonl
        self.kind = mapping.kind
        self.mapping = mapping
        self.intake = intake
        vocabulary = definition.spec.vocabulary
        self.lead_fields, self.account_fields = set(vocabulary.lead), set(vocabulary.account)
        own = vocabulary.lead if self.kind == "leads" else vocabulary.account
        self.aliases = (
            {f.column: n for n, f in own.items() if f.column} if self.kind in ("leads", "accounts") else {}
        )
        self.criteria = set(definition.criteria_by_id)
        self.notes: dict[str, None] = {}  # in order, without repeats
        self.tally = Tally()  # what the transforms met: values sent to a default, times without a zone
        self.seen: set[str] = set()  # JSON keys of the mapping that had a value in some row
        self.unused_criteria: Counter[str] = Counter()
        self.no_account = 0
        self.plans: dict[tuple[str, ...], _Plan | _Bad] = {}
        self.explicit = None if mapping.targets is None else self._usable(mapping.targets)

    # -- which targets, fed by which columns ------------------------------------------------------

    def _usable(self, targets: Sequence[Target]) -> tuple[Target, ...]:
        """The targets less those the definition has no use for (each one noted)."""
        kept = []
        for target in targets:
            path = target.path
            if path.startswith("account.fields.") or (path.startswith("fields.") and self.kind == "accounts"):
                known, what = self.account_fields, "the definition's vocabulary"
            elif path.startswith("fields."):
                known, what = self.lead_fields, "the definition's vocabulary"
            elif path.startswith("answers."):
                known, what = self.criteria, "the definition's criteria"
            else:
                kept.append(target)
                continue
            if path.removeprefix("account.").split(".", 1)[1] in known:
                kept.append(target)
            else:
                self._note(f"column {target.source()}: not in {what}, not used")
        return tuple(kept)

    def _plan(self, record: _Record) -> _Plan | _Bad:
        columns = record.columns
        if self.jsonl and self.explicit is None:
            flat = _flat_keys(record.values, self.kind)
            if isinstance(flat, _Bad):
                return flat
            columns = flat
        plan = self.plans.get(columns)
        if plan is None:
            plan = self.plans[columns] = self._plan_for(columns)
        return plan

    def _plan_for(self, columns: tuple[str, ...]) -> _Plan | _Bad:
        if self.explicit is None:
            targets = self._identity_jsonl(columns) if self.jsonl else self._identity_csv(columns)
            if isinstance(targets, _Bad):
                return targets
            return tuple((t, t.spec.column or ()) for t in targets)
        if self.jsonl:
            return tuple((t, t.spec.column or ()) for t in self.explicit)
        by_name = {c: c for c in columns} | {c.casefold(): c for c in reversed(columns)}
        plan: list[tuple[Target, tuple[str, ...]]] = []
        absent = []
        for target in self.explicit:
            if target.spec.column is None:
                plan.append((target, ()))
                continue
            found = tuple(
                by_name[c] if c in by_name else by_name.get(c.casefold(), "") for c in target.spec.column
            )
            if any(found):
                plan.append((target, tuple(f for f in found if f)))
            else:
                absent.append(target.source())
        used = {
            by_name.get(c.casefold(), "") for t in self.mapping.targets or () for c in t.spec.column or ()
        }
        unused = [c for c in columns if c not in used]
        if unused:
            self._note(f"columns no target uses, not used: {', '.join(unused)}")
        if absent:
            self._note(f"mapped columns the file does not have: {'; '.join(absent)}")
        self._require(columns, [t for t, _found in plan])
        return tuple(plan)

    def _identity_csv(self, header: tuple[str, ...]) -> tuple[Target, ...]:
        long = self.kind == "calls" and "criterion" in header
        targets, unused = [], []
        for column in header:
            paths = [column] if target_problem(self.kind, column, set(header)) is None else []
            if self.kind == "leads" and column in TARGETS["leads"] and column in self.lead_fields:
                paths.append(f"fields.{column}")  # e.g. source: the lead's source and a vocabulary field
            if not paths and long:
                unused.append(column)
            elif not paths:
                paths.append(f"{_CONTAINER[self.kind]}.{self.aliases.get(column, column)}")
            targets += [Target.of(p, ColumnSpec(column=(column,))) for p in paths]
        if unused:
            self._note(f"columns no target uses, not used: {', '.join(unused)}")
        usable = self._usable(targets)
        self._require(header, usable)
        return usable

    def _identity_jsonl(self, keys: tuple[str, ...]) -> tuple[Target, ...] | _Bad:
        targets = []
        for key in keys:
            known = target_problem(self.kind, key, set()) is None and key not in ("criterion", "answer")
            if not known and not (self.kind == "calls" and key in ("lead_id", "email")):
                allowed = [p for p in TARGETS[self.kind] if "." not in p and p not in ("criterion", "answer")]
                allowed += [_CONTAINER[self.kind]] + (["account"] if self.kind == "leads" else [])
                return _Bad(key, f"unknown key {key!r}; {_a(self.kind[:-1])} has {', '.join(allowed)}")
            targets.append(Target.of(key, ColumnSpec(column=(key,))))
        return self._usable(targets)

    def _require(self, header: tuple[str, ...], targets: Sequence[Target]) -> None:
        """A CSV whose header feeds no identity (or no event type, no call outcome) fails at once."""
        folded = {h.casefold() for h in header}

        def fed(path: str) -> bool:
            return any(
                t.path == path
                and (t.spec.column is None or any(c.casefold() in folded for c in t.spec.column))
                for t in targets
            )

        wanted = [_IDENTITY[self.kind], *([(_REQUIRED[self.kind],)] if self.kind in _REQUIRED else [])]
        for paths in wanted:
            if not any(fed(p) for p in paths):
                sources = [t.source() for t in self.mapping.targets or () if t.path in paths] or list(paths)
                raise DataError(
                    [
                        Problem(
                            f"the header must have a column for {' or '.join(paths)} ({'; '.join(sources)}); found {', '.join(header)}",
                            file=self.name,
                            line=1,
                        )
                    ]
                )

    # -- one row ----------------------------------------------------------------------------------

    def one(self, record: _Record) -> Imported | None:
        built = self._build(record)
        if isinstance(built, _Bad):
            self.intake.reject(self.name, record.line, built.field, built.message, record.raw)
            return None
        payload, sources = built
        lead_id = email = None
        if self.kind == "calls":
            lead_id, email = payload.pop("lead_id", None), payload.pop("email", None)
        try:
            model = _MODELS[self.kind].model_validate(payload)
        except ValidationError as exc:
            bad = _validation_bad(exc, sources)
            self.intake.reject(self.name, record.line, bad.field, bad.message, record.raw)
            return None
        return Imported(record.line, model, 1, lead_id, email, ((record.line, record.raw),), sources)

    def _build(self, record: _Record) -> tuple[dict[str, Any], dict[str, str]] | _Bad:
        """The row as a payload and, by target, the source that fed it; or what is wrong with the row."""
        if record.problem is not None:
            return _Bad(None, record.problem)
        plan = self._plan(record)
        if isinstance(plan, _Bad):
            return plan
        payload: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for target, columns in plan:
            column, raw = self._pick(record.values, target, columns)
            if column is None:
                continue
            try:
                value = convert(self.mapping, target, raw, self.tally)
            except BadValue as exc:
                return _Bad(target.source(column), str(exc))
            if value is not None:
                _put(payload, target.path, value)
                sources[target.path] = target.source(column)
        return self._complete(payload, sources, [t for t, _columns in plan])

    def _pick(
        self, values: dict[str, Any], target: Target, columns: tuple[str, ...]
    ) -> tuple[str | None, Any]:
        """The first of the columns that has a value in the row, and that value (a constant: "")."""
        if target.spec.column is None:
            return "", target.spec.value
        for column in columns:
            value = _walk(values, column) if self.jsonl else values.get(column)
            if not is_missing(value):
                self.seen.add(column)
                return column, value
        return None, None

    def _complete(
        self, payload: dict[str, Any], sources: dict[str, str], targets: Sequence[Target]
    ) -> tuple[dict[str, Any], dict[str, str]] | _Bad:
        """The checks that span targets: an identity, an event type or call outcome, a findable account."""

        def fed_by(paths: Sequence[str]) -> str:
            return "; ".join(t.source() for t in targets if t.path in paths) or " or ".join(paths)

        identity = _IDENTITY[self.kind]
        if not any(p in payload for p in identity):
            whose = "" if self.kind in ("leads", "accounts") else "its lead's "
            return _Bad(
                fed_by(identity),
                f"{_a(self.kind[:-1])} needs {whose}{' or '.join(identity)}; the row has none",
            )
        required = _REQUIRED.get(self.kind)
        if required is not None and required not in payload:
            return _Bad(fed_by([required]), f"{required} is required; the row has none")
        if payload.get("answers") and payload.get("outcome") != "reached":
            answered = [sources[f"answers.{c}"] for c in payload["answers"]]
            return _Bad(
                "; ".join(answered),
                f"only a reached call has answers; this call's outcome is {payload['outcome']}",
            )
        account = payload.get("account")
        if isinstance(account, dict) and "account_id" not in account and "domain" not in account:
            del payload["account"]
            self.no_account += 1
        return payload, sources

    def _source_of(self, path: str) -> str:
        return "; ".join(t.source() for t in self.mapping.targets or () if t.path == path) or path

    # -- calls in the long format: rows grouped by call_id ----------------------------------------

    def long_calls(self, records: Iterator[_Record]) -> Iterator[Imported]:
        calls: dict[str, _Call] = {}
        for record in records:
            built = self._build(record)
            bad = built if isinstance(built, _Bad) else self._answer_row(record, *built, calls)
            if bad is not None:
                self.intake.reject(self.name, record.line, bad.field, bad.message, record.raw)
        for call in calls.values():
            head = dict(call.head)
            lead_id, email = head.pop("lead_id", None), head.pop("email", None)
            try:
                model = CallIn.model_validate({**head, "answers": call.answers})
            except ValidationError as exc:
                bad = _validation_bad(exc, {})
                for line, raw in zip(call.lines, call.raws, strict=True):
                    self.intake.reject(self.name, line, bad.field, bad.message, raw)
                continue
            raws = tuple(zip(call.lines, call.raws, strict=True))
            yield Imported(call.line, model, len(call.lines), lead_id, email, raws, call.sources)

    def _answer_row(
        self, record: _Record, payload: dict[str, Any], sources: dict[str, str], calls: dict[str, _Call]
    ) -> _Bad | None:
        call_id = payload.get("call_id")
        if call_id is None:
            return _Bad(self._source_of("call_id"), "call_id is required: it groups the rows of one call")
        criterion, answer = payload.pop("criterion", None), payload.pop("answer", None)
        call = calls.get(call_id) or _Call(record.line, payload, dict(sources))
        if any(call.head.get(k) != payload.get(k) for k in ("lead_id", "email", "called_at", "outcome")):
            return _Bad(
                sources.get("call_id"),
                f"call {call_id!r} appears with another lead, time or outcome than on its first row (line {call.line})",
            )
        if (criterion is None) != (answer is None):
            which = "criterion" if criterion is None else "answer"
            return _Bad(self._source_of(which), "criterion and answer go together: both filled or both empty")
        if criterion is not None:
            if call.head["outcome"] != "reached":
                return _Bad(
                    sources.get("answer"),
                    f"only a reached call has answers; this call's outcome is {call.head['outcome']}",
                )
            if criterion not in self.criteria:
                self.unused_criteria[criterion] += 1
            elif call.answers.setdefault(criterion, answer) != answer:
                return _Bad(
                    sources.get("answer"),
                    f"criterion {criterion!r} of call {call_id!r} has two answers: {call.answers[criterion]!r} and {answer!r}",
                )
            else:
                call.sources[f"answers.{criterion}"] = sources["answer"]
        calls.setdefault(call_id, call)
        call.lines.append(record.line)
        call.raws.append(record.raw)
        return None

    # -- notes ------------------------------------------------------------------------------------

    def _note(self, text: str) -> None:
        self.notes[text] = None

    def write_notes(self) -> None:
        if self.jsonl and self.explicit:
            absent = [
                t.source() for t in self.explicit if t.spec.column and not self.seen & set(t.spec.column)
            ]
            if absent:
                self._note(f"mapped keys no row has: {'; '.join(absent)}")
        for target, values in self.tally.fallbacks.values():
            listed = ", ".join(f"{v!r} ({n})" for v, n in values.most_common(10))
            more = f" and {len(values) - 10} more" if len(values) > 10 else ""
            became = "left out" if target.spec.default is None else f"taken as {target.spec.default!r}"
            self._note(f"column {target.source()}: values not in the map, {became}: {listed}{more}")
        if self.unused_criteria:
            listed = ", ".join(f"{c} ({n})" for c, n in self.unused_criteria.most_common())
            self._note(f"answers to criteria the definition does not have, not used: {listed}")
        if self.no_account:
            self._note(
                f"{self.no_account} rows have company columns but no account id or domain: their account is left "
                "out (the service links a lead to the account of its email's domain)"
            )
        if self.tally.naive_times:
            self._note(
                f"{self.tally.naive_times} times have no time zone: taken as UTC (set time_zone in the mapping)"
            )
        self.intake.notes.extend(f"{self.name}: {note}" for note in self.notes)
        self.notes.clear()


def _flat_keys(obj: dict[str, Any], kind: str) -> tuple[str, ...] | _Bad:
    """A JSON object's keys, those of its `fields` / `properties` / `answers` / `account` as `a.b`."""
    keys: list[str] = []
    for key, value in obj.items():
        nested = key in ("fields", "properties", "answers") or (key == "account" and kind == "leads")
        if not nested:
            keys.append(key)
        elif is_missing(value):
            continue
        elif not isinstance(value, dict):
            return _Bad(key, f"{key} must be an object of name: value; got {value!r}")
        else:
            for sub, inner in value.items():
                if key == "account" and sub == "fields" and not is_missing(inner):
                    if not isinstance(inner, dict):
                        return _Bad(
                            "account.fields",
                            f"account.fields must be an object of name: value; got {inner!r}",
                        )
                    keys += [f"account.fields.{name}" for name in inner]
                elif key != "account" or sub != "fields":
                    keys.append(f"{key}.{sub}")
    return tuple(keys)


def _put(payload: dict[str, Any], path: str, value: Any) -> None:
    """Set a target in the nested payload: `account.fields.industry` → payload["account"]["fields"][…]."""
    for prefix in ("account.fields.", "fields.", "properties.", "answers.", "account."):
        if path.startswith(prefix):
            node = payload
            for part in prefix.rstrip(".").split("."):
                node = node.setdefault(part, {})
            node[path[len(prefix) :]] = value
            return
    payload[path] = value


def _validation_bad(exc: ValidationError, sources: dict[str, str]) -> _Bad:
    """The first problem pydantic found, named by the column that fed it."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = f"unknown key {str(err['loc'][-1])!r}: the payload has no such key"
    elif "input" in err and not isinstance(err["input"], dict) and "got " not in message:
        message = f"{message}; got {err['input']!r}"
    source = sources.get(loc) or next(
        (s for p, s in sources.items() if loc and p.startswith(loc + ".")), None
    )
    return _Bad(source or loc or None, message)


def _walk(obj: dict[str, Any], column: str) -> Any:
    """`column` in a JSON object: a key, else `a.b` for `b` inside `a`; names match ignoring case last."""
    if column in obj:
        return obj[column]
    for i, char in enumerate(column):
        if char == "." and isinstance(obj.get(column[:i]), dict):
            found = _walk(obj[column[:i]], column[i + 1 :])
            if found is not None:
                return found
    folded = column.casefold()
    for key, value in obj.items():
        if key.casefold() == folded:
            return value
    return None


def _a(noun: str) -> str:
    """`an event`, `a lead`."""
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"
