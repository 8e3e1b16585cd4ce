"""The mapping of `leadgate import`: which columns of an export feed which targets of a payload, and how.

A mapping is data: a built-in (`hubspot`, `salesforce`: mappings/*.yaml), a mapping file, or the identity
mapping (the columns already carry the targets' names, as `leadgate generate` writes them). `load_mapping`
checks it completely when it is loaded (unknown keys and targets with a suggestion, transforms that do
not go together, a bad time zone; every problem at once) and returns an immutable `Mapping`; `convert` applies one target's
transforms to a value. Reading a file's rows with a mapping is `leadgate.service.rows`. docs/import.md
describes all of this for users.

    mapping = load_mapping("hubspot", "leads")     # a built-in, a mapping file, or None (identity)

## The mapping file (YAML)

    extends: hubspot                 # optional: start from a built-in mapping and change its targets
    time_zone: Europe/Berlin         # optional: the zone of times written without one (default UTC)
    leads:                           # a section per kind: leads, accounts, events, calls
      lead_id: Record ID             # target: the column that feeds it
      email: [Email, Work Email]     # several columns: the first one that is not empty in the row
      source: {value: trade_show}    # a constant
      fields.seniority: {column: Seniority, map: {Vice President: vp, VP: vp}, default: null}
      account.domain: {column: Website URL, domain: true}
      fields.country: null           # (with extends) drop a target of the base mapping

Targets per kind (`<name>`: a vocabulary field, an event property, a criterion id):
    leads     lead_id email anonymous_id account_id owner source created_at fields.<name>
              account.account_id account.domain account.name account.fields.<name>
    accounts  account_id domain name fields.<name>
    events    event_id lead_id email anonymous_id type time properties.<name>
    calls     call_id lead_id email called_at caller outcome notes answers.<criterion>
              criterion answer (the long format, see leadgate.service.rows)

Columns are matched by name, else ignoring case; in JSON Lines `a.b` is the key `b` inside the object `a`.
A target's spec takes `column` (a name or a list) or `value`, then these transforms, in this order:
    lower: true     text to lower case                  `Web` → `web`
    split: ";"      text to a list of items              `AI;Security` → ["AI", "Security"]
    map: {...}      replace values (each item of a list). Keys match ignoring case, spaces and punctuation,
                    so {COMPUTER_SOFTWARE: software} turns the value `COMPUTER_SOFTWARE` and the label
                    `Computer Software` into `software`. A value mapped to null is missing.
    default: x      (with map) what a value not in the map becomes (null: missing); without a default such
                    values pass unchanged. The values that fell to the default are listed in a note.
    domain: true    a URL or host to its domain           `https://www.Acme.com/about` → `acme.com`
    number: true    a number that may carry thousands separators and a currency: `$1,200,000.00` and
                    `USD 1,200,000` → 1200000.0. A comma must separate thousands: `12,5` and `1.200,50`
                    are refused, not guessed.
    time: FORMAT    a strftime format, or a list tried in order; ISO 8601 is always accepted:
                    `time: "%m/%d/%Y %I:%M %p"` reads `5/4/2026 10:12 AM`. A time written without a zone
                    is in `time_zone`, else UTC. `created_at`, `time` and `called_at` are always read as
                    times; another target with `time` gets ISO 8601 text.
At most one of domain, number and time. A target that takes one value (not `fields.*`, `properties.*`)
accepts a split list of one item and rejects a row with several. Empty values (a blank cell, JSON null,
"" or []) are missing: the target is left out of the payload. Emails, domains and the call outcome are
checked here, so that an error names the column; `fields` and `properties` are the service's to check.

## Built-in mappings (mappings/*.yaml)
`hubspot` (contacts, companies and calls exports) and `salesforce` (Lead/Contact, Account and Task report
exports, and Data Loader exports by API name). Neither CRM exports web or email activity per contact in a
standard shape, so neither has an `events` section. Values are mapped to the vocabulary of
examples/b2b-saas.yaml.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from leadgate.conditions.check import suggest
from leadgate.definition.source import Source, parse_source
from leadgate.errors import DefinitionError, Problem, UsageError
from leadgate.records import CALL_OUTCOMES
from leadgate.service.payloads import normalise_domain, normalise_email

KINDS = ("leads", "accounts", "events", "calls")
BUILTIN_MAPPINGS = ("hubspot", "salesforce")

TARGETS: dict[str, tuple[str, ...]] = {  # the targets of each kind with a fixed name
    "leads": ("lead_id", "email", "anonymous_id", "account_id", "owner", "source", "created_at",
              "account.account_id", "account.domain", "account.name"),
    "accounts": ("account_id", "domain", "name"),
    "events": ("event_id", "lead_id", "email", "anonymous_id", "type", "time"),
    "calls": ("call_id", "lead_id", "email", "called_at", "caller", "outcome", "notes", "criterion", "answer"),
}  # fmt: skip
TARGET_PREFIXES: dict[str, tuple[str, ...]] = {  # targets with a name after the prefix; the longest first
    "leads": ("account.fields.", "fields."),
    "accounts": ("fields.",),
    "events": ("properties.",),
    "calls": ("answers.",),
}
_TIMES = ("created_at", "time", "called_at")  # always read as times
_EXAMPLE_TIME = datetime(2026, 5, 4, 10, 12)


class MappingError(DefinitionError):
    """A mapping file is malformed: an unknown target or key, a bad transform, a bad time zone."""


class BadValue(ValueError):
    """A value a target cannot take; the message says what must hold and what was found."""


# -- the mapping ---------------------------------------------------------------------------------


class ColumnSpec(BaseModel):
    """Where one target's value comes from and how it is transformed (see the module's docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: tuple[str, ...] | None = None
    value: str | int | float | bool | None = None
    lower: bool = False
    split: str | None = None
    map: dict[str, str | int | float | bool | None] | None = None
    default: str | int | float | bool | None = None
    domain: bool = False
    number: bool = False
    time: tuple[str, ...] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"column": data} if isinstance(data, str | list) else data

    @field_validator("column", "time", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("map", mode="before")
    @classmethod
    def _text_keys(cls, value: Any) -> Any:
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _consistent(self) -> ColumnSpec:
        if (self.column is None) == ("value" not in self.model_fields_set):
            raise ValueError("give a column (or a list of columns) or a value, not both")
        if self.column is not None and (not self.column or not all(c.strip() for c in self.column)):
            raise ValueError("a column name must not be empty")
        if self.domain + self.number + (self.time is not None) > 1:
            raise ValueError("give at most one of domain, number and time")
        if "default" in self.model_fields_set and self.map is None:
            raise ValueError("default is what a value not in the map becomes: it needs a map")
        if self.split == "":
            raise ValueError("split needs a separator, e.g. ';'")
        if self.time is not None and not self.time:
            raise ValueError("time needs a format, e.g. '%m/%d/%Y %I:%M %p'")
        if self.map is not None:
            keys = Counter(_key(k) for k in self.map)
            twice = [k for k in self.map if keys[_key(k)] > 1]
            if twice:
                raise ValueError(
                    f"map keys must differ ignoring case and punctuation; got {', '.join(twice)}"
                )
        return self


class _MappingFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str = ""
    extends: str | None = None
    time_zone: str | None = None
    leads: dict[str, ColumnSpec | None] | None = None
    accounts: dict[str, ColumnSpec | None] | None = None
    events: dict[str, ColumnSpec | None] | None = None
    calls: dict[str, ColumnSpec | None] | None = None


@dataclass(frozen=True)
class Target:
    path: str  # e.g. "fields.title"
    spec: ColumnSpec
    table: dict[str, Any] = field(default_factory=dict)  # spec.map by _key

    @classmethod
    def of(cls, path: str, spec: ColumnSpec) -> Target:
        return cls(path, spec, {_key(k): v for k, v in (spec.map or {}).items()})

    @property
    def has_default(self) -> bool:
        return "default" in self.spec.model_fields_set

    def source(self, column: str | None = None) -> str:
        """How an error names where the value came from: `Create Date → created_at`."""
        if "value" in self.spec.model_fields_set:
            return f"value {self.spec.value!r} → {self.path}"
        column = column or " | ".join(self.spec.column or ())
        return self.path if column == self.path else f"{column} → {self.path}"


@dataclass(frozen=True)
class Mapping:
    """How the rows of one kind of file become payloads. `targets` None: the identity mapping."""

    name: str
    kind: str
    targets: tuple[Target, ...] | None
    time_zone: ZoneInfo | None = None

    @property
    def long_calls(self) -> bool:
        return self.targets is not None and any(t.path == "criterion" for t in self.targets)


def load_mapping(name_or_path: str | Path | None, kind: str) -> Mapping:
    """The mapping for `kind`: a built-in (`hubspot`, `salesforce`), a mapping file, or None (identity).
    A mapping file is checked completely: all its problems are reported at once, in the file's order."""
    if kind not in KINDS:
        raise UsageError(f"the kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if name_or_path is None:
        return Mapping("identity", kind, None)
    name = str(name_or_path)
    source, problems = _builtin(name) if name in BUILTIN_MAPPINGS else _read(name)
    spec = _spec(source, problems)
    base = _base(source, problems)
    problems += _target_problems(source, base)
    zone = _zone(source, base, problems)
    own, extends = source.data.get(kind), source.data.get("extends")
    if isinstance(own, dict | None) and (extends is None or base is not None):  # else: said above
        given = {**_section(base, kind), **(own or {})}
        if (own is None and base is None) or all(s is None for s in given.values()):
            hint = (
                "neither CRM exports web or email activity per contact as rows: write a mapping file for "
                "your events export (type, time, lead_id or email, properties.<name>)"
                if name in BUILTIN_MAPPINGS
                else None
            )
            problems.append(
                Problem(f"the mapping {name} has no section for {kind}", file=source.name, hint=hint)
            )
    if problems:
        raise MappingError(sorted(problems, key=lambda p: (p.line is None, p.line or 0, p.column or 0)))
    assert spec is not None
    sections = {**_section(base, kind), **_section(spec, kind)}
    targets = tuple(Target.of(path, s) for path, s in sections.items() if s is not None)
    return Mapping(spec.name or name, kind, targets, zone)


def _read(name: str) -> tuple[Source, list[Problem]]:
    path = Path(name)
    if not path.is_file():
        hint = suggest(name, BUILTIN_MAPPINGS)
        raise UsageError(
            [
                Problem(
                    f"the mapping must be {' or '.join(BUILTIN_MAPPINGS)} or a mapping file; no file {name!r}",
                    hint=hint,
                )
            ]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError([Problem(f"cannot read the mapping: {exc}", file=name)]) from None
    return _parse(text, name)


def _builtin(name: str) -> tuple[Source, list[Problem]]:
    text = resources.files("leadgate.service").joinpath(f"mappings/{name}.yaml").read_text(encoding="utf-8")
    return _parse(text, f"<built-in mapping {name}>")


def _parse(text: str, name: str) -> tuple[Source, list[Problem]]:
    """The file as data, and the map keys YAML read as booleans. Text that is not YAML stops here."""
    try:
        source = parse_source(text, name)
    except DefinitionError as exc:
        raise MappingError(exc.problems) from None
    return source, _yaml_booleans(source, text)


def _spec(source: Source, problems: list[Problem]) -> _MappingFile | None:
    """The file's keys and transforms, checked; None when they are not right (each problem added)."""
    try:
        return _MappingFile.model_validate(source.data)
    except ValidationError as exc:
        problems += [_spec_problem(source, err) for err in exc.errors()]
        return None


def _base(source: Source, problems: list[Problem]) -> _MappingFile | None:
    """The built-in mapping the file extends, if it names one."""
    extends = source.data.get("extends")
    if not isinstance(extends, str):  # none, or not text (a problem of the file's keys)
        return None
    if extends not in BUILTIN_MAPPINGS:
        problems.append(
            source.problem(
                ("extends",),
                f"extends must name a built-in mapping ({', '.join(BUILTIN_MAPPINGS)}); got {extends!r}",
            )
        )
        return None
    return _MappingFile.model_validate(_builtin(extends)[0].data)


def _zone(source: Source, base: _MappingFile | None, problems: list[Problem]) -> ZoneInfo | None:
    """The zone of the times written without one: the file's `time_zone`, else its base's."""
    zone_name = source.data.get("time_zone") or (base.time_zone if base else None)
    if not isinstance(zone_name, str):  # none, or not text (a problem of the file's keys)
        return None
    try:
        return ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            source.problem(
                ("time_zone",), f"time_zone must be an IANA zone (Europe/Berlin); got {zone_name!r}"
            )
        )
        return None


def _section(spec: _MappingFile | None, kind: str) -> dict[str, ColumnSpec | None]:
    return (getattr(spec, kind) or {}) if spec is not None else {}


def _target_problems(source: Source, base: _MappingFile | None) -> list[Problem]:
    """Unknown targets and targets that do not go together, in every section of the file."""
    problems = []
    for kind in KINDS:
        own = source.data.get(kind)
        if not isinstance(own, dict):
            continue
        given = {**_section(base, kind), **own}
        paths = {path for path, spec in given.items() if spec is not None}
        for path in (p for p in given if p in paths):
            problem = target_problem(kind, path, paths)
            if problem:
                problems.append(source.problem((kind, path), problem[0], problem[1], at_key=True))
    return problems


def _yaml_booleans(source: Source, text: str) -> list[Problem]:
    """A plain map key yes/no/on/off is read by YAML as true/false: say so rather than never match."""
    problems = []
    lines = text.splitlines()
    for kind in KINDS:
        section = source.data.get(kind)
        for target, spec in section.items() if isinstance(section, dict) else ():
            table = spec.get("map") if isinstance(spec, dict) else None
            for key in table if isinstance(table, dict) else ():
                path = (kind, target, "map", key)
                mark = source.key_marks.get(path)
                if key not in ("True", "False") or mark is None or mark.style is not None:
                    continue
                written = re.split(r"[:,}]", lines[mark.line - 1][mark.column - 1 :])[0].strip()
                if written.lower() != key.lower():
                    problems.append(
                        source.problem(
                            path,
                            "YAML reads this key as true or false",
                            f"quote it: {written!r}",
                            at_key=True,
                        )
                    )
    return problems


def _spec_problem(source: Source, err: Any) -> Problem:
    path = tuple(err["loc"])
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        known = list(ColumnSpec.model_fields if len(path) > 2 else _MappingFile.model_fields)
        hint = suggest(str(path[-1]), known) or "known keys: " + ", ".join(known)
        return source.problem(path, f"unknown key {path[-1]!r}", hint, at_key=True)
    if "input" in err and not isinstance(err["input"], dict) and "got " not in message:
        message = f"{message}; got {err['input']!r}"
    return source.problem(path, message)


def target_problem(kind: str, path: str, paths: set[str]) -> tuple[str, str | None] | None:
    """What is wrong with a target of a mapping file (message, hint), if anything."""
    named = any(path.startswith(p) and len(path) > len(p) for p in TARGET_PREFIXES[kind])
    if path not in TARGETS[kind] and not named:
        known = [*TARGETS[kind], *(p + "<name>" for p in TARGET_PREFIXES[kind])]
        return f"unknown target {path!r} for {kind}", suggest(path, known) or "targets: " + ", ".join(known)
    if path in ("criterion", "answer"):
        if not {"criterion", "answer"} <= paths:
            return "criterion and answer go together (the long format: a row per answer)", None
        if "call_id" not in paths:
            return "the long format (criterion, answer) needs call_id to group a call's rows", None
        if any(p.startswith("answers.") for p in paths):
            return "give answers.<criterion> (a column per criterion) or criterion and answer, not both", None
    return None


# -- values --------------------------------------------------------------------------------------


def _key(value: Any) -> str:
    """A map key: case, spaces and punctuation ignored (`Computer Software` = `COMPUTER_SOFTWARE`)."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return re.sub(r"[^0-9a-z]+", "_", text.casefold()).strip("_")


def is_missing(value: Any) -> bool:
    """None, blank text, [] or {}: the target is left out of the payload (never set to "")."""
    return value is None or value == [] or value == {} or (isinstance(value, str) and not value.strip())


def to_domain(value: Any) -> str:
    try:
        return normalise_domain(str(value))
    except ValueError as exc:
        raise BadValue(str(exc)) from None


_CURRENCY = re.compile(r"^[A-Z]{3}\s*|\s*[A-Z]{3}$|[$€£¥]")
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def to_number(value: Any) -> float:
    """`$1,200,000.00`, `USD 1,200`, `1 200` → a float. A comma must separate thousands: `12,5` is refused."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        text = _SPACES.sub("", _CURRENCY.sub("", str(value).strip()))
        if "," in text and not _THOUSANDS.fullmatch(text):
            raise BadValue(f"expected a number with ',' only between thousands (1,200.50); got {value!r}")
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            raise BadValue(f"expected a number (1200, 1,200 or $1,200.50); got {value!r}") from None
    if not math.isfinite(number):
        raise BadValue(f"expected a finite number; got {value!r}")
    return number


def parse_time(value: Any, formats: Sequence[str]) -> datetime:
    """A time in one of `formats`, else ISO 8601 (a date alone is midnight); naive when written so."""
    if isinstance(value, datetime):
        return value
    text = str(value).strip()
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        if not formats:
            raise BadValue(
                f"expected an ISO 8601 date or timestamp (2026-05-04T10:12:00Z); got {value!r}"
            ) from None
        like = ", ".join(f"{_EXAMPLE_TIME.strftime(f)} ({f})" for f in formats)
        raise BadValue(
            f"expected a time like {like}, or ISO 8601 (2026-05-04T10:12:00Z); got {value!r}"
        ) from None


def in_utc(moment: datetime, zone: tzinfo | None) -> datetime:
    """`moment` in UTC; one without a zone is taken to be in `zone` (else UTC)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone or UTC)).astimezone(UTC)


# -- one target's transforms, applied ------------------------------------------------------------


@dataclass
class Tally:
    """What the transforms met in one file that is worth a note (written by the reader at the end)."""

    # by target: the values that fell to its map's default, with counts
    fallbacks: dict[str, tuple[Target, Counter[str]]] = field(default_factory=dict)
    naive_times: int = 0  # times written without a zone, taken as UTC (a mapping without time_zone)


def convert(mapping: Mapping, target: Target, value: Any, tally: Tally) -> Any:
    """`value` (a CSV cell or a JSON value) through the target's transforms, in the docstring's order;
    None when it is missing. Raises BadValue, saying what must hold and what was found."""
    spec = target.spec
    if isinstance(value, str):
        value = value.strip()
        if spec.lower:
            value = value.lower()
        if spec.split is not None:
            value = [item.strip() for item in value.split(spec.split) if item.strip()]
    if spec.map is not None:
        if isinstance(value, list):
            mapped = (_mapped(target, item, tally) for item in value)
            value = list(dict.fromkeys(v for v in mapped if not is_missing(v)))
        else:
            value = _mapped(target, value, tally)
    if is_missing(value):
        return None
    if spec.domain:
        value = _each(value, to_domain)
    elif spec.number:
        value = _each(value, to_number)
    elif spec.time is not None or target.path in _TIMES:
        value = _each(value, lambda v: _time(mapping, v, spec.time or (), tally))
        if target.path not in _TIMES:
            value = _each(value, lambda v: v.isoformat().replace("+00:00", "Z"))
    return _one_value(mapping.kind, target, value)


def _mapped(target: Target, value: Any, tally: Tally) -> Any:
    key = _key(value)
    if key in target.table:
        return target.table[key]
    if target.has_default:
        tally.fallbacks.setdefault(target.path, (target, Counter()))[1][str(value)] += 1
        return target.spec.default
    return value


def _time(mapping: Mapping, value: Any, formats: Sequence[str], tally: Tally) -> datetime:
    moment = parse_time(value, formats)
    if moment.tzinfo is None and mapping.time_zone is None and mapping.targets is not None:
        tally.naive_times += 1
    return in_utc(moment, mapping.time_zone)


def _one_value(kind: str, target: Target, value: Any) -> Any:
    """A value for a target that takes one: one item, as text; emails, domains, outcomes checked."""
    path = target.path
    if any(path.startswith(p) for p in TARGET_PREFIXES[kind]):
        return value
    if isinstance(value, list):
        if len(value) != 1:
            raise BadValue(f"expected one value; got {len(value)}: {', '.join(map(str, value))}")
        value = value[0]
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value)) if float(value).is_integer() else str(value)
    try:
        if path == "email":
            return normalise_email(str(value))
        if path in ("domain", "account.domain"):
            return normalise_domain(str(value))
    except ValueError as exc:
        raise BadValue(str(exc)) from None
    if path == "outcome":
        outcome = str(value).strip().lower()
        if outcome not in CALL_OUTCOMES:
            raise BadValue(f"expected {', '.join(CALL_OUTCOMES)} (map other values with map:); got {value!r}")
        return outcome
    return value


def _each(value: Any, convert: Callable[[Any], Any]) -> Any:
    return [convert(v) for v in value] if isinstance(value, list) else convert(value)
