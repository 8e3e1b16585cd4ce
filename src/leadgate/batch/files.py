"""Read data files inside DuckDB into the batch layout: no Python runs per row.

CSV, JSON Lines and Parquet are read by DuckDB. Every value is checked as the Python readers check it
(`leadgate.data.read`, docs/data.md): a row that cannot be accepted goes to the rejects with its file,
row, field and what was expected, or stops the run (`--on-error fail`). Row numbers count data rows as
lines (the header is line 1 of a CSV), so they are exact for files with one row per line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadgate.batch.layout import ITEM_END, ITEM_START, column, property_column
from leadgate.conditions import Kind, ValueType
from leadgate.data.intake import Intake, Reject
from leadgate.data.read import columns_of, require_columns, vocabulary_columns
from leadgate.definition import Definition
from leadgate.errors import DataError, Problem, UsageError
from leadgate.records import CALL_OUTCOMES

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
_TRUE = ("true", "yes", "1", "y", "t")
_FALSE = ("false", "no", "0", "n", "f")


@dataclass
class Loaded:
    """What was read: counts per file, and the names of the layout tables in the DuckDB connection."""

    tables: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def file_format(path: Path) -> str:
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise UsageError(
            f"{path}: the file must be .csv, .jsonl or .parquet; got {path.suffix or 'no suffix'!r}"
        )
    if not path.exists():
        raise DataError([Problem("cannot read the file: no such file", file=str(path))])
    return found


class FileLoader:
    """Builds the layout's tables in a DuckDB connection from the user's files."""

    def __init__(self, sql: Any, definition: Definition, intake: Intake, prefix: str = "leadgate_") -> None:
        self.sql = sql  # a duckdb.DuckDBPyConnection
        self.d = definition
        self.intake = intake
        self.prefix = prefix
        self.loaded = Loaded()
        sql.execute("SET TimeZone = 'UTC'")

    # -- reading ----------------------------------------------------------------------------------

    def _source(self, path: Path, name: str, required: tuple[str, ...], wanted: list[str]) -> list[str]:
        """Create view `name` with row number `_row`, the columns as trimmed text; return the file's columns."""
        kind = file_format(path)
        view = self.prefix + name
        if kind == "jsonl":
            self.sql.execute(
                f"CREATE OR REPLACE TEMP VIEW {view}_raw AS SELECT row_number() OVER () AS _row, json AS _json "
                f"FROM read_json_objects({_q(str(path))}, format='newline_delimited')"
            )
            columns = wanted
            cells = ", ".join(
                f"NULLIF(trim(json_extract_string(_json, {_q('$.' + c)})), '') AS {_ident(c)}"
                for c in columns
            )
            self.sql.execute(
                f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT _row, _json, {cells} FROM {view}_raw"
            )
        else:
            reader = (
                f"read_csv({_q(str(path))}, all_varchar=true, header=true)"
                if kind == "csv"
                else f"read_parquet({_q(str(path))})"
            )
            columns = [r[0] for r in self.sql.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
            require_columns(path, columns, required)
            offset = 1 if kind == "csv" else 0
            cells = ", ".join(
                f"NULLIF(trim(CAST({_ident(c)} AS VARCHAR)), '') AS {_ident(c)}" for c in columns
            )
            raw = " || ',' || ".join(f"coalesce(CAST({_ident(c)} AS VARCHAR), '')" for c in columns)
            self.sql.execute(
                f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT row_number() OVER () + {offset} AS _row, "
                f"{raw} AS _json, {cells} FROM {reader}"
            )
        return columns

    def _reject_and_keep(
        self,
        name: str,
        path: Path,
        checks: list[tuple[str, str, str]],
        source: str,
        key: str | None = None,
        duplicates_first: bool = True,
        key_filter: str = "true",
    ) -> None:
        """Split `source` into rejects (the first failing check of each row) and the view `name`_ok.

        `key` must be unique: as in the Python readers, a row whose key was already accepted on an earlier
        row is rejected, before its other checks (`duplicates_first`, leads and accounts) or after them
        (events). Only rows matching `key_filter` take part (events of types the definition uses).
        """
        view = self.prefix + name
        if checks:
            problem_field = (
                "CASE " + " ".join(f"WHEN {cond} THEN {_q(fld)}" for cond, fld, _ in checks) + " END"
            )
            problem = "CASE " + " ".join(f"WHEN {cond} THEN {msg}" for cond, _, msg in checks) + " END"
        else:
            problem_field = problem = "NULL"
        self.sql.execute(
            f"CREATE OR REPLACE TEMP TABLE {view}_checked AS SELECT * EXCLUDE (_json), {problem_field} AS _field, "
            f"{problem} AS _problem FROM {source}"
        )
        if key is not None:
            before = f"_problem IS NULL OR _field <> {_q(key)}" if duplicates_first else "_problem IS NULL"
            twice = _q(f"{key} '") + f" || c.{key} || " + _q("' appears twice")
            self.sql.execute(
                f"UPDATE {view}_checked AS c SET _field = {_q(key)}, _problem = {twice} "
                f"FROM (SELECT {key} AS k, min(_row) AS first FROM {view}_checked WHERE _problem IS NULL "
                f"AND {key_filter} GROUP BY {key}) AS f "
                f"WHERE c.{key} = f.k AND c._row > f.first AND ({before}) AND {key_filter}"
            )
        bad = self.sql.execute(
            f"SELECT _row, _field, _problem FROM {view}_checked WHERE _problem IS NOT NULL ORDER BY _row"
        ).fetchall()
        if bad:
            rows = ", ".join(str(int(r[0])) for r in bad[:10_000])
            raw = dict(
                self.sql.execute(f"SELECT _row, _json FROM {source} WHERE _row IN ({rows})").fetchall()
            )
            for row, fld, message in bad:
                self.intake.reject(str(path), int(row), fld, message, str(raw.get(row) or ""))
        self.sql.execute(
            f"CREATE OR REPLACE TEMP VIEW {view}_ok AS SELECT * FROM {view}_checked WHERE _problem IS NULL"
        )
        self.loaded.rows[str(path)] = self.sql.execute(f"SELECT count(*) FROM {view}_ok").fetchone()[0]
        self.intake.accepted[str(path)] += self.loaded.rows[str(path)]

    # -- typed values ---------------------------------------------------------------------------------

    @staticmethod
    def _type_check(cell: str, vtype: ValueType, label: str) -> tuple[str, str, str] | None:
        """(condition that the non-empty text `cell` does not fit, field, message) or None."""
        kind = vtype.kind
        shown = f"'''' || {cell} || ''''"
        if kind is Kind.NUMBER:
            return (
                f"{cell} IS NOT NULL AND (TRY_CAST({cell} AS DOUBLE) IS NULL OR NOT isfinite(TRY_CAST({cell} AS DOUBLE)))",
                label,
                f"'expected a number; got ' || {shown}",
            )
        if kind is Kind.BOOLEAN:
            allowed = ", ".join(_q(v) for v in (*_TRUE, *_FALSE))
            return (
                f"{cell} IS NOT NULL AND lower({cell}) NOT IN ({allowed})",
                label,
                f"'expected true or false (yes/no, 1/0); got ' || {shown}",
            )
        if kind in (Kind.DATE, Kind.DATETIME):
            return (
                f"{cell} IS NOT NULL AND TRY_CAST({cell} AS TIMESTAMPTZ) IS NULL",
                label,
                f"'expected an ISO 8601 date or timestamp (2026-05-04T10:12:00Z); got ' || {shown}",
            )
        if kind is Kind.ENUM:
            allowed = ", ".join(_q(v.lower()) for v in vtype.values)
            described = _q(vtype.describe())
            return (
                f"{cell} IS NOT NULL AND lower({cell}) NOT IN ({allowed})",
                label,
                f"'expected ' || {described} || '; got ' || {shown}",
            )
        if kind is Kind.LIST and vtype.values:
            allowed = ", ".join(_q(v.lower()) for v in vtype.values)
            return (
                f"{cell} IS NOT NULL AND len(list_filter(str_split({cell}, ';'), "
                f"i -> trim(i) <> '' AND lower(trim(i)) NOT IN ({allowed}))) > 0",
                label,
                f"'expected items among ' || {_q(', '.join(vtype.values))} || '; got ' || {shown}",
            )
        return None

    @staticmethod
    def _value(cell: str, vtype: ValueType) -> str:
        """The layout's value of a checked, non-empty text cell (null stays null)."""
        kind = vtype.kind
        if kind in (Kind.STRING, Kind.ENUM):
            return f"lower({cell})"
        if kind is Kind.NUMBER:
            return f"CAST({cell} AS DOUBLE)"
        if kind is Kind.BOOLEAN:
            allowed = ", ".join(_q(v) for v in _TRUE)
            return f"CASE WHEN {cell} IS NULL THEN NULL ELSE lower({cell}) IN ({allowed}) END"
        if kind in (Kind.DATE, Kind.DATETIME):
            return f"epoch_us(CAST({cell} AS TIMESTAMPTZ)) / 1000000.0"
        items = f"list_filter(str_split({cell}, ';'), i -> trim(i) <> '')"
        encoded = f"array_to_string(list_transform({items}, i -> chr(31) || lower(trim(i)) || chr(30)), '')"
        assert chr(31) == ITEM_START and chr(30) == ITEM_END
        return f"NULLIF({encoded}, '')"

    def _property_cell(self, prop: str) -> str:
        return f"NULLIF(trim(_pv[{self._property_index[prop]}]), '')"

    # -- the files ------------------------------------------------------------------------------------

    def accounts(self, path: Path) -> None:
        d = self.d
        renamed = columns_of(d, "account")
        present = self._source(
            path,
            "accounts_in",
            ("account_id", "domain"),
            ["account_id", "domain", "name", *(renamed.get(n, n) for n in d.account_fields)],
        )
        fields = vocabulary_columns(
            d.account_fields, renamed, present, ("account_id", "domain", "name"), path, self.intake
        )
        checks = [
            ("account_id IS NULL", "account_id", "'account_id must not be empty'"),
        ]
        checks += [c for n, (col, t) in fields.items() if (c := self._type_check(_ident(col), t, col))]
        self._reject_and_keep("accounts", path, checks, f"{self.prefix}accounts_in", key="account_id")
        values = {
            "id": "lower(account_id)", "domain": "lower(domain)", "name": "lower(name)" if "name" in present else "NULL",
            **{n: self._value(_ident(col), t) for n, (col, t) in fields.items()},
        }  # fmt: skip
        selected = ", ".join(
            f"{values.get(n, 'NULL')}::{_sql_type(t)} AS {column('account.' + n)}"
            for n, t in d.account_fields.items()
        )
        self.sql.execute(
            f"CREATE OR REPLACE TABLE {self.prefix}accounts AS SELECT account_id, lower(domain) AS _domain, "
            f"{selected} FROM {self.prefix}accounts_ok"
        )
        self.loaded.tables["accounts"] = f"{self.prefix}accounts"

    def no_accounts(self) -> None:
        selected = ", ".join(
            f"NULL::{_sql_type(t)} AS {column('account.' + n)}" for n, t in self.d.account_fields.items()
        )
        self.sql.execute(
            f"CREATE OR REPLACE TABLE {self.prefix}accounts AS SELECT NULL::VARCHAR AS account_id, "
            f"NULL::VARCHAR AS _domain, {selected} LIMIT 0"
        )
        self.loaded.tables["accounts"] = f"{self.prefix}accounts"

    def leads(self, path: Path, with_accounts: bool) -> None:
        d = self.d
        renamed = columns_of(d, "lead")
        present = self._source(
            path,
            "leads_in",
            ("lead_id",),
            ["lead_id", "email", "account_id", "created_at", *(renamed.get(n, n) for n in d.lead_fields)],
        )
        fields = vocabulary_columns(
            d.lead_fields,
            renamed,
            present,
            ("lead_id", "email", "account_id", "created_at"),
            path,
            self.intake,
        )
        email = "lower(email)" if "email" in present else "NULL"
        given = "account_id" if "account_id" in present else "NULL"
        created = "created_at" if "created_at" in present else "NULL"
        checks = [
            ("lead_id IS NULL", "lead_id", "'lead_id must not be empty'"),
            (
                f"{email} IS NOT NULL AND (len({email}) - len(replace({email}, '@', '')) <> 1 "
                f"OR starts_with({email}, '@') OR ends_with({email}, '@'))",
                "email",
                f"'expected an email address (name@domain); got ''' || {email} || ''''",
            ),
            (
                f"{created} IS NOT NULL AND TRY_CAST({created} AS TIMESTAMPTZ) IS NULL",
                "created_at",
                f"'expected an ISO 8601 date or timestamp (2026-05-04T10:12:00Z); got ''' || {created} || ''''",
            ),
        ]
        if with_accounts:
            checks.append(
                (
                    f"{given} IS NOT NULL AND {given} NOT IN (SELECT account_id FROM {self.prefix}accounts)",
                    "account_id",
                    f"'no account ''' || {given} || ''' in the accounts file'",
                )
            )
        checks += [c for n, (col, t) in fields.items() if (c := self._type_check(_ident(col), t, col))]
        self._reject_and_keep("leads", path, checks, f"{self.prefix}leads_in", key="lead_id")
        domain = f"CASE WHEN {email} IS NULL THEN NULL ELSE split_part({email}, '@', 2) END"
        resolved = (
            f"coalesce({given}, (SELECT a.account_id FROM {self.prefix}accounts a WHERE a._domain = {domain} LIMIT 1))"
            if with_accounts
            else given
        )
        values = {
            "id": "lower(lead_id)", "email": email, "email_domain": domain, "account_id": f"lower({resolved})",
            "created_at": f"epoch_us(CAST({created} AS TIMESTAMPTZ)) / 1000000.0",
            **{n: self._value(_ident(col), t) for n, (col, t) in fields.items()},
        }  # fmt: skip
        selected = ", ".join(
            f"{values.get(n, 'NULL')}::{_sql_type(t)} AS {column('lead.' + n)}"
            for n, t in d.lead_fields.items()
        )
        in_accounts = (
            f"CASE WHEN {resolved} IN (SELECT account_id FROM {self.prefix}accounts) THEN {resolved} END"
            if with_accounts
            else "NULL::VARCHAR"
        )
        self.sql.execute(
            f"CREATE OR REPLACE TABLE {self.prefix}leads AS SELECT lead_id, {in_accounts} AS account_id, {selected} "
            f"FROM {self.prefix}leads_ok"
        )
        self.loaded.tables["leads"] = f"{self.prefix}leads"

    def events(self, path: Path | None) -> None:
        d = self.d
        props = [(t, p, vt) for t, ps in d.event_types.items() for p, vt in ps.items()]
        if any(vt.kind is Kind.LIST for _, _, vt in props):
            raise UsageError(
                "event properties of type list are read by the Python reader only (leadgate score)"
            )
        prop_columns = ", ".join(f"NULL::{_sql_type(vt)} AS {property_column(t, p)}" for t, p, vt in props)
        if path is None:
            self.sql.execute(
                f"CREATE OR REPLACE TABLE {self.prefix}events AS SELECT NULL::VARCHAR AS event_id, "
                f"NULL::VARCHAR AS lead_id, NULL::VARCHAR AS type, NULL::DOUBLE AS ts"
                + (f", {prop_columns}" if prop_columns else "")
                + " LIMIT 0"
            )
            self.loaded.tables["events"] = f"{self.prefix}events"
            return
        kind = file_format(path)
        self._source(
            path,
            "events_in",
            ("event_id", "lead_id", "type", "time"),
            ["event_id", "lead_id", "type", "time"],
        )
        properties = (
            "json_extract(_json, '$.properties')" if kind == "jsonl" else "TRY_CAST(properties AS JSON)"
        )
        # parse each event's properties once: every declared property's text, by position in `names`
        names = sorted({p for _, p, _ in props})
        self._property_index = {p: i + 1 for i, p in enumerate(names)}
        paths = "[" + ", ".join(_q("$." + p) for p in names) + "]"
        extract = f"json_extract_string(_props, {paths})" if names else "NULL::VARCHAR[]"
        self.sql.execute(
            f"CREATE OR REPLACE TEMP VIEW {self.prefix}events_in2 AS SELECT s.* EXCLUDE (_props), {extract} AS _pv, "
            f"CASE WHEN _props IS NULL THEN 'NULL' ELSE json_type(_props) END AS _props_type, "
            f"CAST(_props AS VARCHAR) AS _props_text, k.lead_id IS NOT NULL AS _known "
            f"FROM (SELECT *, {properties} AS _props FROM {self.prefix}events_in) AS s "
            f"LEFT JOIN (SELECT lead_id FROM {self.prefix}leads) AS k ON s.lead_id = k.lead_id"
        )
        declared = ", ".join(_q(t) for t in d.event_types) or "NULL"
        checks: list[tuple[str, str, str]] = [
            (f"{c} IS NULL", c, _q(f"{c} is required (text); got ''"))
            for c in ("event_id", "lead_id", "type", "time")
        ]
        checks += [
            (
                "NOT _known",
                "lead_id",
                "'unknown lead ''' || lead_id || ''': not in the leads file'",
            ),
            (
                "TRY_CAST(time AS TIMESTAMPTZ) IS NULL",
                "time",
                "'expected an ISO 8601 date or timestamp (2026-05-04T10:12:00Z); got ''' || time || ''''",
            ),
            (
                "_props_type NOT IN ('OBJECT', 'NULL')",
                "properties",
                "'expected an object of properties; got ' || _props_text",
            ),
        ]
        for t, p, vt in props:
            cell = self._property_cell(p)
            check = self._type_check(cell, vt, f"properties.{p}")
            if check:
                checks.append((f"type = {_q(t)} AND {check[0]}", check[1], check[2]))
        self._reject_and_keep(
            "events",
            path,
            checks,
            f"{self.prefix}events_in2",
            key="event_id",
            duplicates_first=False,
            key_filter=f"type IN ({declared})",
        )
        unused = self.sql.execute(
            f"SELECT type, count(*) FROM {self.prefix}events_ok WHERE type NOT IN ({declared}) GROUP BY type "
            "ORDER BY count(*) DESC, type"
        ).fetchall()
        if unused:
            total = sum(n for _, n in unused)
            listed = ", ".join(f"{t} ({n})" for t, n in unused)
            self.intake.notes.append(
                f"{path}: {total} events of types the definition does not use, not scored: {listed}"
            )
            self.intake.accepted[str(path)] -= total
        values = ", ".join(
            f"CASE WHEN type = {_q(t)} THEN {self._value(self._property_cell(p), vt)} END::{_sql_type(vt)} "
            f"AS {property_column(t, p)}"
            for t, p, vt in props
        )
        self.sql.execute(
            f"CREATE OR REPLACE TABLE {self.prefix}events AS SELECT event_id, lead_id, type, "
            f"epoch_us(CAST(time AS TIMESTAMPTZ)) / 1000000.0 AS ts"
            + (f", {values}" if values else "")
            + f" FROM {self.prefix}events_ok WHERE type IN ({declared})"
        )
        self.loaded.tables["events"] = f"{self.prefix}events"

    def answers(self, path: Path | None) -> None:
        d = self.d
        if path is None:
            self.sql.execute(
                f"CREATE OR REPLACE TABLE {self.prefix}calls AS SELECT NULL::VARCHAR AS call_id, NULL::VARCHAR AS "
                "lead_id, NULL::DOUBLE AS ts, NULL::VARCHAR AS outcome LIMIT 0"
            )
            self.sql.execute(
                f"CREATE OR REPLACE TABLE {self.prefix}answers AS SELECT NULL::VARCHAR AS lead_id, NULL::DOUBLE AS ts, "
                "NULL::VARCHAR AS criterion, NULL::VARCHAR AS answer LIMIT 0"
            )
            self.loaded.tables.update(calls=f"{self.prefix}calls", answers=f"{self.prefix}answers")
            return
        present = self._source(
            path,
            "answers_in",
            ("call_id", "lead_id", "called_at", "outcome"),
            ["call_id", "lead_id", "called_at", "outcome", "criterion", "answer"],
        )
        criterion = "criterion" if "criterion" in present else "NULL"
        answer = "answer" if "answer" in present else "NULL"
        outcomes = ", ".join(_q(o) for o in CALL_OUTCOMES)
        allowed = (
            " OR ".join(
                f"({criterion} = {_q(c.id)} AND lower({answer}) NOT IN ({', '.join(_q(v.lower()) for v in c.answers)}))"
                for c in d.criteria
            )
            or "false"
        )
        first = "first_value({col}) OVER (PARTITION BY call_id ORDER BY _row)"
        checks = [
            ("call_id IS NULL", "call_id", "'call_id must not be empty'"),
            (
                f"lead_id IS NULL OR lead_id NOT IN (SELECT lead_id FROM {self.prefix}leads)",
                "lead_id",
                "'unknown lead ''' || coalesce(lead_id, '') || ''': not in the leads file'",
            ),
            (
                "TRY_CAST(called_at AS TIMESTAMPTZ) IS NULL",
                "called_at",
                "'expected an ISO 8601 date or timestamp (2026-05-04T10:12:00Z); got ''' || coalesce(called_at, '') || ''''",
            ),
            (
                f"outcome IS NULL OR lower(outcome) NOT IN ({outcomes})",
                "outcome",
                f"'expected one of ' || {_q(', '.join(repr(o) for o in CALL_OUTCOMES))} || '; got ''' || coalesce(outcome, '') || ''''",
            ),
            (
                f"lead_id <> {first.format(col='lead_id')} OR CAST(called_at AS TIMESTAMPTZ) <> "
                f"{first.format(col='CAST(called_at AS TIMESTAMPTZ)')} OR lower(outcome) <> {first.format(col='lower(outcome)')}",
                "call_id",
                "'call ''' || call_id || ''' appears with another lead, time or outcome than on its first row'",
            ),
            (
                f"({criterion} IS NULL) <> ({answer} IS NULL)",
                "criterion",
                "'criterion and answer go together: both filled or both empty'",
            ),
            (
                f"{answer} IS NOT NULL AND lower(outcome) <> 'reached'",
                "answer",
                "'only a reached call has answers; this call''s outcome is ' || lower(outcome)",
            ),
            (
                allowed,
                "answer",
                f"'criterion ''' || {criterion} || ''' does not allow ''' || {answer} || ''''",
            ),
        ]
        self._reject_and_keep("answers", path, checks, f"{self.prefix}answers_in")
        known = ", ".join(_q(c.id) for c in d.criteria) or "NULL"
        unused = self.sql.execute(
            f"SELECT {criterion}, count(*) FROM {self.prefix}answers_ok WHERE {criterion} IS NOT NULL AND "
            f"{criterion} NOT IN ({known}) GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
        if unused:
            listed = ", ".join(f"{c} ({n})" for c, n in unused)
            self.intake.notes.append(
                f"{path}: answers to criteria the definition does not have, not used: {listed}"
            )
        canonical = " ".join(
            f"WHEN {criterion} = {_q(c.id)} AND lower({answer}) = {_q(v.lower())} THEN {_q(v)}"
            for c in d.criteria
            for v in c.answers
        )
        self.sql.execute(
            f"CREATE OR REPLACE TABLE {self.prefix}calls AS SELECT call_id, any_value(lead_id) AS lead_id, "
            f"any_value(epoch_us(CAST(called_at AS TIMESTAMPTZ)) / 1000000.0) AS ts, any_value(lower(outcome)) AS outcome "
            f"FROM {self.prefix}answers_ok GROUP BY call_id"
        )
        self.sql.execute(
            f"CREATE OR REPLACE TABLE {self.prefix}answers AS SELECT lead_id, ts, criterion, answer FROM ("
            f"SELECT lead_id, epoch_us(CAST(called_at AS TIMESTAMPTZ)) / 1000000.0 AS ts, {criterion} AS criterion, "
            f"CASE {canonical or 'WHEN false THEN NULL'} END AS answer, row_number() OVER "
            f"(PARTITION BY call_id, {criterion} ORDER BY _row DESC) AS _last FROM {self.prefix}answers_ok "
            f"WHERE {criterion} IN ({known})) WHERE _last = 1"
        )
        self.loaded.tables.update(calls=f"{self.prefix}calls", answers=f"{self.prefix}answers")


def _sql_type(vtype: ValueType) -> str:
    if vtype.kind in (Kind.STRING, Kind.ENUM, Kind.LIST):
        return "VARCHAR"
    if vtype.kind is Kind.BOOLEAN:
        return "BOOLEAN"
    return "DOUBLE"


def load_files(
    sql: Any,
    definition: Definition,
    leads: Path,
    accounts: Path | None = None,
    events: Path | None = None,
    answers: Path | None = None,
    intake: Intake | None = None,
    prefix: str = "leadgate_",
) -> tuple[Loaded, Intake]:
    """Read the files in the order the Python readers do (accounts, leads, events, answers)."""
    intake = intake or Intake()
    loader = FileLoader(sql, definition, intake, prefix)
    if accounts is not None:
        loader.accounts(accounts)
    else:
        loader.no_accounts()
    loader.leads(leads, accounts is not None)
    loader.events(events)
    loader.answers(answers)
    return loader.loaded, intake


__all__ = ["FileLoader", "Loaded", "Reject", "load_files"]
