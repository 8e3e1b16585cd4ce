"""Read data files inside DuckDB into the batch layout: no Python runs per row.

CSV, JSON Lines and Parquet are read by DuckDB. Every value is checked as the Python readers check it
(`leadgate.data.read`, docs/data.md): a row that cannot be accepted goes to the rejects with its file,
row, field and what was expected, or stops the run (`--on-error fail`). Row numbers count data rows as
lines (the header is line 1 of a CSV), so they are exact for files with one row per line.

Each file is read in one pass that runs on every core: it builds the file's rows table, in file order (so
a row's number is its `rowid`), with the values and whether any check fails (`_bad`). Parquet columns of
type TIMESTAMP or TIMESTAMPTZ read as times, and DOUBLE or integer columns read as numbers, are taken as
they are: their text would parse back to the same value. Checks that need another table (the lead of an
event) or other rows (a call's first row), and the search for keys that appear twice, run over that table.
Only for the rows that fail does a second pass find the first failing check, its field and its message,
from each value's text, exactly as the checks are written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from leadgate.batch.layout import ITEM_END, ITEM_START, column, property_column
from leadgate.conditions import Kind, ValueType
from leadgate.data.intake import Intake, Reject
from leadgate.data.read import (
    columns_of,
    csv_header,
    csv_rows,
    refuse_repeated_columns,
    require_columns,
    vocabulary_columns,
)
from leadgate.definition import Definition
from leadgate.errors import DataError, Problem, UsageError
from leadgate.records import CALL_OUTCOMES

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
_TRUE = ("true", "yes", "1", "y", "t")
_FALSE = ("false", "no", "0", "n", "f")
# Parquet types whose text DuckDB parses back to the same value: taken as they are
_TIME_TYPES = ("TIMESTAMP WITH TIME ZONE", "TIMESTAMP")
_NUMBER_TYPES = ("DOUBLE", "BIGINT", "INTEGER", "SMALLINT", "TINYINT")


@dataclass
class Loaded:
    """What was read: counts per file, and the names of the layout tables in the DuckDB connection."""

    tables: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """A row fails when `cond` holds: `field` and `message` (SQL text) say why. A `late` check needs
    another table or other rows, so it runs over the rows table (row number: `rowid`)."""

    cond: str
    field: str
    message: str
    late: bool = False


@dataclass(frozen=True)
class _File:
    path: Path
    text: str  # view: `_row`, the raw row `_json`, every column as trimmed text (for messages)
    fast: str  # view: the same columns in file order, without row numbers; typed where that is exact
    columns: list[str]
    offset: int  # a row's number is its rowid in the rows table + offset
    lines: list[int] | None = None  # the line each row starts on, by its number - offset (None: the number)

    def line(self, row: int) -> int:
        return self.lines[row - self.offset] if self.lines is not None else row


def _physical_lines(path: Path) -> int:
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def _csv_problem(path: Path, message: str, line: int | None = None, text: str | None = None) -> Problem:
    """A CSV row DuckDB cannot read: where and why as the Python readers say it (`line`, `text`), else
    as DuckDB does."""
    hint = "fix the row; `leadgate score --on-error skip` sets such rows aside"
    if text is None:
        text = f"cannot read the file: {message.splitlines()[0]}"
    return Problem(text, file=str(path), line=line, hint=hint)


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _one_of(text: str, values: list[str] | tuple[str, ...]) -> str:
    """`text IN (values)`, the same for every value of text (null gives null), written as `list_contains`:
    DuckDB plans an IN list of five values or more as a join, which need not keep the rows in order."""
    return f"list_contains([{', '.join(_q(v) for v in values)}]::VARCHAR[], {text})"


def _any(conds: list[str]) -> str:
    """Whether any condition holds (null counts as not), as a CASE: its conditions are evaluated like a
    WHERE clause, each part only on the rows that still need it (an OR in a select list evaluates every
    part on every row: a TRY_CAST on every event, a JSON parse on every row)."""
    return "CASE " + " ".join(f"WHEN {c} THEN true" for c in conds) + " ELSE false END" if conds else "false"


def _trimmed(text: str) -> str:
    """NULLIF(trim(text), ''), trimming only text that may need it: `trim` removes the Unicode space
    separators, of which only ' ' is ASCII, so text that is not empty, neither starts nor ends with ' '
    and has no other character than ASCII (as many bytes as characters) is left as it is."""
    needs = f"{text} = '' OR starts_with({text}, ' ') OR ends_with({text}, ' ') OR strlen({text}) <> length({text})"
    return f"CASE WHEN {needs} THEN NULLIF(trim({text}), '') ELSE {text} END"


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
        sql.execute("SET preserve_insertion_order = true")  # rows tables in file order: rowid is the row

    # -- reading ----------------------------------------------------------------------------------

    def _open(
        self,
        path: Path,
        name: str,
        required: tuple[str, ...],
        wanted: list[str],
        times: tuple[str, ...] = (),
        numbers: tuple[str, ...] = (),
    ) -> _File:
        """Create the text and fast views of a file (see `_File`). `times` and `numbers`: the columns read
        as times or numbers, which a Parquet file's own types may give directly."""
        kind = file_format(path)
        view = self.prefix + name
        types: dict[str, str] = {}
        if kind == "jsonl":
            reader = f"read_json_objects({_q(str(path))}, format='newline_delimited')"
            self.sql.execute(
                f"CREATE OR REPLACE TEMP VIEW {view}_raw AS SELECT row_number() OVER () AS _row, json AS _json "
                f"FROM {reader}"
            )
            columns = wanted
            cells = ", ".join(
                f"NULLIF(trim(json_extract_string(_json, {_q('$.' + c)})), '') AS {_ident(c)}"
                for c in columns
            )
            self.sql.execute(
                f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT _row, _json, {cells} FROM {view}_raw"
            )
            paths = "[" + ", ".join(_q("$." + c) for c in columns) + "]"
            raw = {c: f"_c[{i + 1}]" for i, c in enumerate(columns)}
            inner = f"SELECT json AS _json, json_extract_string(json, {paths}) AS _c FROM {reader}"
            offset = 1
            lines = self._lines(path, "jsonl", self._count(reader))
        else:
            reader, lines = self._csv(path) if kind == "csv" else (f"read_parquet({_q(str(path))})", None)
            described = self.sql.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
            columns = [r[0] for r in described]
            types = {r[0]: r[1] for r in described}
            require_columns(path, columns, required)
            cells = ", ".join(
                f"NULLIF(trim(CAST({_ident(c)} AS VARCHAR)), '') AS {_ident(c)}" for c in columns
            )
            raw_row = " || ',' || ".join(f"coalesce(CAST({_ident(c)} AS VARCHAR), '')" for c in columns)
            numbered = (
                f"row_number() OVER () + 1 AS _row, * FROM {reader}"
                if kind == "csv"
                else f"file_row_number + 1 AS _row, * FROM read_parquet({_q(str(path))}, file_row_number=true)"
            )
            self.sql.execute(
                f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT _row, {raw_row} AS _json, {cells} "
                f"FROM (SELECT {numbered})"
            )
            raw = {
                c: _ident(c) if types[c] == "VARCHAR" else f"CAST({_ident(c)} AS VARCHAR)" for c in columns
            }
            inner = f"SELECT * FROM {reader}"
            offset = 2 if kind == "csv" else 1
        fast_cells = []
        for c in columns:
            if kind == "parquet" and c in times and types[c] in _TIME_TYPES:
                fast_cells.append(f"CAST({_ident(c)} AS TIMESTAMPTZ) AS {_ident(c)}")
            elif kind == "parquet" and c in numbers and types[c] in _NUMBER_TYPES:
                fast_cells.append(f"CAST({_ident(c)} AS DOUBLE) AS {_ident(c)}")
            else:
                fast_cells.append(f"{_trimmed(raw[c])} AS {_ident(c)}")
        if kind == "jsonl":
            fast_cells.append("_json")
        self.sql.execute(
            f"CREATE OR REPLACE TEMP VIEW {view}_fast AS SELECT {', '.join(fast_cells)} FROM ({inner})"
        )
        return _File(path, view, f"{view}_fast", columns, offset, lines)

    def _csv(self, path: Path) -> tuple[str, list[int] | None]:
        """A CSV file as DuckDB reads it: the header as Python's reader reads it (each name once), every
        cell text, no guessing; and the line each row starts on, when that is not its place after the
        header (see `_lines`). A row with more or fewer cells than the header stops the run here with
        its line, as `data.read` reports it (this engine cannot set such a row aside). A line Python's
        reader skips as blank, though it holds spaces, DuckDB takes for such a row: then, and only when
        Python's reader finds no row of the wrong width, DuckDB is told to skip the rows it cannot read."""
        header = csv_header(path)
        refuse_repeated_columns(path, header)
        columns = "{" + ", ".join(f"{_q(h)}: 'VARCHAR'" for h in header) + "}"
        blank = " AND ".join(f"coalesce(trim({_ident(h)}), '') = ''" for h in header)

        def scan(more: str = "") -> str:  # a row of empty cells is skipped, as Python's reader skips it
            return (f"(SELECT * FROM read_csv({_q(str(path))}, header=true, auto_detect=false, delim=',', "
                    f"quote='\"', escape='\"', columns={columns}{more}) WHERE NOT ({blank}))")  # fmt: skip

        reader = scan()
        try:
            rows = self._count(reader)
        except duckdb.Error as exc:
            lines = []
            for line, row, _header in csv_rows(path, ()):
                if "__width__" in row:
                    raise DataError([_csv_problem(path, str(exc), line, row["__width__"])]) from None
                lines.append(line)
            if "Expected Number of Columns" not in str(exc):
                raise DataError([_csv_problem(path, str(exc))]) from None
            reader = scan(", ignore_errors=true")  # Python's reader found every row whole: blank lines go
            if self._count(reader) != len(lines):
                raise DataError([_csv_problem(path, str(exc))]) from None
            return reader, lines
        return reader, self._lines(path, "csv", rows)

    def _lines(self, path: Path, kind: str, rows: int) -> list[int] | None:
        """The line each of the `rows` rows starts on, as the Python readers number them, when a row's
        line is not simply its place after the header: blank lines skipped, or a quoted cell over several
        lines. None when it is (the file has one line per row)."""
        if _physical_lines(path) - (1 if kind == "csv" else 0) == rows:
            return None
        if kind == "csv":
            lines = [line for line, _row, _header in csv_rows(path, ())]
        else:
            with path.open("rb") as handle:
                lines = [n for n, raw in enumerate(handle, start=1) if raw.strip()]
        return lines if len(lines) == rows else None

    def _check_rows(
        self,
        name: str,
        file: _File,
        checks: list[Check],
        source: str,
        rows: str,
        selected: str = "*",
        fast: list[str] | None = None,
        late_source: str | None = None,
        key: str | None = None,
        duplicates_first: bool = True,
        key_filter: str = "true",
    ) -> str:
        """Check every row of `file`; return its rows table, with the accepted rows only.

        The rows table `rows` is built from the fast view with the columns `selected` and `_bad`: whether
        any condition of `fast` holds (default: the checks that are not late). The late checks run over
        `late_source`, a query over the rows table with its `rowid` as `_rowid` (default: the rows table
        itself). `key` must be unique: as in the Python readers, a row whose key was already accepted on
        an earlier row is rejected, before its other checks (`duplicates_first`, leads and accounts) or
        after them (events). Only rows matching `key_filter` take part (events of types the definition
        uses). A rejected row's field and message are those of its first failing check, in `source` (the
        text view, or a view over it).
        """
        conds = fast if fast is not None else [c.cond for c in checks if not c.late]
        self.sql.execute(
            f"CREATE OR REPLACE TABLE {rows} AS SELECT {selected}, {_any(conds)} AS _bad FROM {file.fast}"
        )
        late = " OR ".join(f"({c.cond})" for c in checks if c.late)
        among = late_source or f"(SELECT rowid AS _rowid, * FROM {rows})"
        failed, twice = f"{rows}_failed", f"{rows}_twice"
        self.sql.execute(
            f"CREATE OR REPLACE TEMP TABLE {failed} AS SELECT _rowid FROM {among} "
            f"WHERE _bad" + (f" OR coalesce({late}, false)" if late else "")
        )
        n_failed = self._count(failed)
        n_twice = 0
        if key is not None:
            n_twice = self._twice(
                rows, failed if n_failed else None, twice, key, duplicates_first, key_filter
            )
        if n_failed or n_twice:
            rejected = f"SELECT _rowid FROM {failed}" + (
                f" UNION ALL SELECT _rowid FROM {twice}" if n_twice else ""
            )
            self._reject(file, checks, source, rejected, twice if n_twice else None, key)
            self.sql.execute(f"DELETE FROM {rows} WHERE rowid IN ({rejected})")
        self.sql.execute(f"DROP TABLE IF EXISTS {failed}")
        self.sql.execute(f"DROP TABLE IF EXISTS {twice}")
        accepted = self._count(rows)
        self.loaded.rows[str(file.path)] = accepted
        self.intake.accepted[str(file.path)] += accepted
        return rows

    def _count(self, table: str) -> int:
        return int(self.sql.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def _twice(
        self, rows: str, failed: str | None, twice: str, key: str, duplicates_first: bool, key_filter: str
    ) -> int:
        """Fill `twice` (`_rowid`, `_key`) with the rows whose key was accepted on an earlier row; their count."""
        k = _ident(key)
        passed = f"rowid NOT IN (SELECT _rowid FROM {failed})" if failed else "true"
        # distinct hashes prove distinct keys (the usual case; sorting the hashes is cheaper than a hash
        # table of them); only when two are equal is the exact search run
        equal = self.sql.execute(
            f"SELECT count(*) FROM (SELECT _h, lag(_h) OVER (ORDER BY _h) AS _before FROM (SELECT hash({k}) AS _h "
            f"FROM {rows} WHERE {key_filter} AND {passed})) WHERE _h = _before"
        ).fetchone()[0]
        if not equal:
            return 0
        first = (
            f"SELECT {k} AS _k, min(rowid) AS _first FROM {rows} WHERE {key_filter} AND {passed} GROUP BY {k}"
        )
        self.sql.execute(
            f"CREATE OR REPLACE TEMP TABLE {twice} AS SELECT c._rowid, c.{k} AS _key FROM "
            f"(SELECT rowid AS _rowid, * FROM {rows} WHERE {key_filter}"
            + ("" if duplicates_first else f" AND {passed}")
            + f") AS c JOIN ({first}) AS f ON c.{k} = f._k AND c._rowid > f._first"
        )
        return self._count(twice)

    def _reject(
        self, file: _File, checks: list[Check], source: str, rejected: str, twice: str | None, key: str | None
    ) -> None:
        """Hand the `rejected` rows (a query of rowids) to the intake in file order: a key seen twice says so,
        any other row gets the field and message of its first failing check."""
        fld = "CASE " + " ".join(f"WHEN {c.cond} THEN {_q(c.field)}" for c in checks) + " END"
        message = "CASE " + " ".join(f"WHEN {c.cond} THEN {c.message}" for c in checks) + " END"
        off = file.offset
        keys = (
            f"(SELECT _rowid + {off} AS _line, _key FROM {twice})"
            if twice
            else "(SELECT NULL AS _line, NULL AS _key)"
        )
        found = self.sql.execute(
            f"SELECT s._row, s._field, s._problem, s._json, t._key FROM (SELECT _row, {fld} AS _field, "
            f"{message} AS _problem, _json FROM {source}) AS s LEFT JOIN {keys} AS t ON s._row = t._line "
            f"WHERE s._row IN (SELECT _rowid + {off} FROM ({rejected})) ORDER BY s._row"
        ).fetchall()
        for row, field_, problem, raw, twice_key in found:
            if twice_key is not None:
                field_, problem = key, f"{key} '{twice_key}' appears twice"
            if field_ is None or problem is None:  # the fast checks found a problem the checks do not: a bug
                raise RuntimeError(f"{file.path}, row {row}: the fast checks and the checks disagree")
            self.intake.reject(str(file.path), file.line(int(row)), field_, problem, str(raw or ""))

    # -- typed values ---------------------------------------------------------------------------------

    @staticmethod
    def _type_check(cell: str, vtype: ValueType, label: str) -> Check | None:
        """The check that the non-empty text `cell` fits `vtype` (a typed Parquet cell fits as it is)."""
        kind = vtype.kind
        shown = f"'''' || {cell} || ''''"
        if kind is Kind.NUMBER:
            return Check(
                f"{cell} IS NOT NULL AND NOT coalesce(isfinite(TRY_CAST({cell} AS DOUBLE)), false)",
                label,
                f"'expected a number; got ' || {shown}",
            )
        if kind is Kind.BOOLEAN:
            return Check(
                f"{cell} IS NOT NULL AND NOT {_one_of(f'lower({cell})', (*_TRUE, *_FALSE))}",
                label,
                f"'expected true or false (yes/no, 1/0); got ' || {shown}",
            )
        if kind in (Kind.DATE, Kind.DATETIME):
            return Check(
                f"{cell} IS NOT NULL AND TRY_CAST({cell} AS TIMESTAMPTZ) IS NULL",
                label,
                f"'expected an ISO 8601 date or timestamp (2026-05-04T10:12:00Z); got ' || {shown}",
            )
        if kind is Kind.ENUM:
            described = _q(vtype.describe())
            return Check(
                f"{cell} IS NOT NULL AND NOT {_one_of(f'lower({cell})', [v.lower() for v in vtype.values])}",
                label,
                f"'expected ' || {described} || '; got ' || {shown}",
            )
        if kind is Kind.LIST and vtype.values:
            allowed = _one_of("lower(trim(i))", [v.lower() for v in vtype.values])
            return Check(
                f"{cell} IS NOT NULL AND len(list_filter(str_split({cell}, ';'), "
                f"i -> trim(i) <> '' AND NOT {allowed})) > 0",
                label,
                f"'expected items among ' || {_q(', '.join(vtype.values))} || '; got ' || {shown}",
            )
        return None

    @staticmethod
    def _value(cell: str, vtype: ValueType) -> str:
        """The layout's value of a non-empty cell (null stays null); a value that fails its check gives null,
        not an error (its row is rejected)."""
        kind = vtype.kind
        if kind in (Kind.STRING, Kind.ENUM):
            return f"lower({cell})"
        if kind is Kind.NUMBER:
            return f"TRY_CAST({cell} AS DOUBLE)"
        if kind is Kind.BOOLEAN:
            return f"CASE WHEN {cell} IS NULL THEN NULL ELSE {_one_of(f'lower({cell})', _TRUE)} END"
        if kind in (Kind.DATE, Kind.DATETIME):
            return f"epoch_us(TRY_CAST({cell} AS TIMESTAMPTZ)) / 1000000.0"
        items = f"list_filter(str_split({cell}, ';'), i -> trim(i) <> '')"
        encoded = f"array_to_string(list_transform({items}, i -> chr(31) || lower(trim(i)) || chr(30)), '')"
        assert chr(31) == ITEM_START and chr(30) == ITEM_END
        return f"NULLIF({encoded}, '')"

    @staticmethod
    def _read_as(fields: dict[str, tuple[str, ValueType]]) -> dict[str, tuple[str, ...]]:
        """The columns of `fields` read as times and as numbers (see `_open`)."""
        kinds = {col: t.kind for col, t in fields.values()}
        return {
            "times": tuple(c for c, k in kinds.items() if k in (Kind.DATE, Kind.DATETIME)),
            "numbers": tuple(c for c, k in kinds.items() if k is Kind.NUMBER),
        }

    # -- the files ------------------------------------------------------------------------------------

    def accounts(self, path: Path) -> None:
        d = self.d
        renamed = columns_of(d, "account")
        wanted = ["account_id", "domain", "name", *(renamed.get(n, n) for n in d.account_fields)]
        typed = self._read_as({n: (renamed.get(n, n), t) for n, t in d.account_fields.items()})
        file = self._open(path, "accounts_in", ("account_id", "domain"), wanted, **typed)
        present = file.columns
        fields = vocabulary_columns(
            d.account_fields, renamed, present, ("account_id", "domain", "name"), path, self.intake
        )
        checks = [Check("account_id IS NULL", "account_id", "'account_id must not be empty'")]
        checks += [c for n, (col, t) in fields.items() if (c := self._type_check(_ident(col), t, col))]
        rows = self._check_rows(
            "accounts", file, checks, file.text, f"{self.prefix}accounts_rows", key="account_id"
        )
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
            f"{selected} FROM {rows}"
        )
        # a lead without an account takes the account of its email's domain: the last one in the file
        self.sql.execute(
            f"CREATE OR REPLACE TEMP TABLE {self.prefix}account_domains AS SELECT lower(domain) AS _domain, "
            f"arg_max(account_id, rowid) AS account_id FROM {rows} WHERE domain IS NOT NULL GROUP BY 1"
        )
        self.sql.execute(f"DROP TABLE {rows}")
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
        builtins = ("lead_id", "email", "account_id", "created_at")
        typed = self._read_as({n: (renamed.get(n, n), t) for n, t in d.lead_fields.items()})
        file = self._open(
            path,
            "leads_in",
            ("lead_id",),
            [*builtins, *(renamed.get(n, n) for n in d.lead_fields)],
            times=(*typed["times"], "created_at"),
            numbers=typed["numbers"],
        )
        present = file.columns
        fields = vocabulary_columns(d.lead_fields, renamed, present, builtins, path, self.intake)
        email = "lower(email)" if "email" in present else "NULL"
        given = "account_id" if "account_id" in present else "NULL"
        created = "created_at" if "created_at" in present else "NULL"
        accounts = f"{self.prefix}accounts"
        checks = [
            Check("lead_id IS NULL", "lead_id", "'lead_id must not be empty'"),
            Check(
                f"{email} IS NOT NULL AND (len({email}) - len(replace({email}, '@', '')) <> 1 "
                f"OR starts_with({email}, '@') OR ends_with({email}, '@'))",
                "email",
                f"'expected an email address (name@domain); got ''' || {email} || ''''",
            ),
            Check(
                f"{created} IS NOT NULL AND TRY_CAST({created} AS TIMESTAMPTZ) IS NULL",
                "created_at",
                f"'expected an ISO 8601 date or timestamp (2026-05-04T10:12:00Z); got ''' || {created} || ''''",
            ),
        ]
        if with_accounts:
            checks.append(
                Check(
                    f"{given} IS NOT NULL AND {given} NOT IN (SELECT account_id FROM {accounts})",
                    "account_id",
                    f"'no account ''' || {given} || ''' in the accounts file'",
                    late=True,
                )
            )
        checks += [c for n, (col, t) in fields.items() if (c := self._type_check(_ident(col), t, col))]
        rows = self._check_rows("leads", file, checks, file.text, f"{self.prefix}leads_rows", key="lead_id")
        domain = f"CASE WHEN {email} IS NULL THEN NULL ELSE split_part({email}, '@', 2) END"
        resolved = f"coalesce({given}, _by_domain)" if with_accounts else given
        values = {
            "id": "lower(lead_id)", "email": email, "email_domain": domain, "account_id": f"lower({resolved})",
            "created_at": f"epoch_us(TRY_CAST({created} AS TIMESTAMPTZ)) / 1000000.0",
            **{n: self._value(_ident(col), t) for n, (col, t) in fields.items()},
        }  # fmt: skip
        selected = ", ".join(
            f"{values.get(n, 'NULL')}::{_sql_type(t)} AS {column('lead.' + n)}"
            for n, t in d.lead_fields.items()
        )
        in_accounts = (
            f"CASE WHEN {resolved} IN (SELECT account_id FROM {accounts}) THEN {resolved} END"
            if with_accounts
            else "NULL::VARCHAR"
        )
        source = (
            f"(SELECT l.*, m.account_id AS _by_domain FROM (SELECT *, {domain} AS _email_domain FROM {rows}) AS l "
            f"LEFT JOIN {self.prefix}account_domains AS m ON m._domain = l._email_domain)"
            if with_accounts
            else rows
        )
        self.sql.execute(
            f"CREATE OR REPLACE TABLE {self.prefix}leads AS SELECT lead_id, {in_accounts} AS account_id, {selected} "
            f"FROM {source}"
        )
        self.sql.execute(f"DROP TABLE {rows}")
        self.sql.execute(f"DROP TABLE IF EXISTS {self.prefix}account_domains")
        self.loaded.tables["leads"] = f"{self.prefix}leads"

    def events(self, path: Path | None) -> None:
        d = self.d
        props = [(t, p, vt) for t, ps in d.event_types.items() for p, vt in ps.items()]
        if any(vt.kind is Kind.LIST for _, _, vt in props):
            raise UsageError(
                "event properties of type list are read by the Python reader only (leadgate score)"
            )
        events = f"{self.prefix}events"
        if path is None:
            prop_columns = ", ".join(
                f"NULL::{_sql_type(vt)} AS {property_column(t, p)}" for t, p, vt in props
            )
            self.sql.execute(
                f"CREATE OR REPLACE TABLE {events}_rows AS SELECT NULL::VARCHAR AS event_id, "
                f"NULL::VARCHAR AS lead_id, NULL::VARCHAR AS type, NULL::DOUBLE AS ts"
                + (f", {prop_columns}" if prop_columns else "")
                + " LIMIT 0"
            )
            self.sql.execute(f"CREATE OR REPLACE VIEW {events} AS SELECT * FROM {events}_rows")
            self.loaded.tables["events"] = events
            return
        kind = file_format(path)
        wanted = ["event_id", "lead_id", "type", "time"]
        file = self._open(path, "events_in", ("event_id", "lead_id", "type", "time"), wanted, times=("time",))
        has_properties = kind == "jsonl" or "properties" in file.columns
        declared = _one_of("type", list(d.event_types))

        # the text view: each event's properties parsed once, every declared property's text by position
        properties = (
            "json_extract(_json, '$.properties')"
            if kind == "jsonl"
            else ("TRY_CAST(properties AS JSON)" if has_properties else "NULL::JSON")
        )
        names = sorted({p for _, p, _ in props})
        index = {p: i + 1 for i, p in enumerate(names)}
        paths = "[" + ", ".join(_q("$." + p) for p in names) + "]"
        extract = f"json_extract_string(_props, {paths})" if names else "NULL::VARCHAR[]"
        self.sql.execute(
            f"CREATE OR REPLACE TEMP VIEW {self.prefix}events_in2 AS SELECT s.* EXCLUDE (_props), {extract} AS _pv, "
            f"CASE WHEN _props IS NULL THEN 'NULL' ELSE json_type(_props) END AS _props_type, "
            f"CAST(_props AS VARCHAR) AS _props_text, k.lead_id IS NOT NULL AS _known "
            f"FROM (SELECT *, {properties} AS _props FROM {file.text}) AS s "
            f"LEFT JOIN (SELECT lead_id FROM {self.prefix}leads) AS k ON s.lead_id = k.lead_id"
        )
        checks = [
            Check(f"{c} IS NULL", c, _q(f"{c} is required (text); got ''"))
            for c in ("event_id", "lead_id", "type", "time")
        ]
        checks += [
            Check(
                "NOT _known",
                "lead_id",
                "'unknown lead ''' || lead_id || ''': not in the leads file'",
                late=True,
            ),
            Check(
                "TRY_CAST(time AS TIMESTAMPTZ) IS NULL",
                "time",
                "'expected an ISO 8601 date or timestamp (2026-05-04T10:12:00Z); got ''' || time || ''''",
            ),
            Check(
                "_props_type NOT IN ('OBJECT', 'NULL')",
                "properties",
                "'expected an object of properties; got ' || _props_text",
            ),
        ]
        for t, p, vt in props:
            check = self._type_check(f"NULLIF(trim(_pv[{index[p]}]), '')", vt, f"properties.{p}")
            if check:
                checks.append(Check(f"type = {_q(t)} AND {check.cond}", check.field, check.message))

        fast_source, fast, selected, slot_of = self._events_fast(file, kind, has_properties)
        rows = self._check_rows(
            "events",
            _File(file.path, file.text, fast_source, file.columns, file.offset, file.lines),
            checks,
            f"{self.prefix}events_in2",
            f"{events}_rows",
            selected=selected,
            fast=fast,
            late_source=(
                f"(SELECT rowid AS _rowid, _bad, lead_id IN (SELECT lead_id FROM {self.prefix}leads) AS _known "
                f"FROM {events}_rows)"
            ),
            key="event_id",
            duplicates_first=False,
            key_filter=declared,
        )
        unused = self.sql.execute(
            f"SELECT type, count(*) FROM {rows} WHERE NOT {declared} GROUP BY type "
            "ORDER BY count(*) DESC, type"
        ).fetchall()
        if unused:
            total = sum(n for _, n in unused)
            listed = ", ".join(f"{t} ({n})" for t, n in unused)
            self.intake.notes.append(
                f"{path}: {total} events of types the definition does not use, not scored: {listed}"
            )
            self.intake.accepted[str(path)] -= total
        if unused or not d.event_types:
            self.sql.execute(f"DELETE FROM {rows} WHERE NOT coalesce({declared}, false)")
        columns = ", ".join(
            f"CASE WHEN type = {_q(t)} THEN {slot_of[t, p]} END::{_sql_type(vt)} AS {property_column(t, p)}"
            for t, p, vt in props
        )
        self.sql.execute(
            f"CREATE OR REPLACE VIEW {events} AS SELECT event_id, lead_id, type, ts"
            + (f", {columns}" if columns else "")
            + f" FROM {rows}"
        )
        self.loaded.tables["events"] = events

    def _events_fast(
        self, file: _File, kind: str, has_properties: bool
    ) -> tuple[str, list[str], str, dict[tuple[str, str], str]]:
        """The events' fast pass: (its source, its conditions, the rows table's columns, the column of each
        property). Only the properties of each event's own type are parsed, once; a property text that is
        valid JSON is the same JSON as TRY_CAST(... AS JSON), and one that starts with '{' is an object."""
        d = self.d
        props = [(t, p, vt) for t, ps in d.event_types.items() for p, vt in ps.items()]
        by_type = {t: list(ps.items()) for t, ps in d.event_types.items() if ps}
        fast_props = (
            "json_extract(_json, '$.properties')"
            if kind == "jsonl"
            else (
                "CASE WHEN json_valid(properties) THEN properties END" if has_properties else "NULL::VARCHAR"
            )
        )
        # `_k`: the event's type by number (the types with properties), so each row compares its type once
        number = {t: k + 1 for k, t in enumerate(by_type)}
        kind_of = f"list_position([{', '.join(_q(t) for t in by_type)}]::VARCHAR[], type)"
        fast_pv = (
            "CASE _k "
            + " ".join(
                f"WHEN {number[t]} THEN json_extract_string(_props, [{', '.join(_q('$.' + p) for p, _ in ps)}])"
                for t, ps in by_type.items()
            )
            + " END"
            if by_type
            else "NULL::VARCHAR[]"
        )
        position = {(t, p): i + 1 for t, ps in by_type.items() for i, (p, _) in enumerate(ps)}
        width = max((len(ps) for ps in by_type.values()), default=0)
        texts = "".join(f", _pv[{i}] AS _a{i}" for i in range(1, width + 1))
        trimmed = "".join(f", {_trimmed(f'_a{i}')} AS _p{i}" for i in range(1, width + 1))

        def cell(t: str, p: str) -> str:
            return f"_p{position[t, p]}"

        fast = [
            "event_id IS NULL",
            "lead_id IS NULL",
            "type IS NULL",
            "_time IS NULL",  # empty, or not a time
            "_props IS NOT NULL AND NOT starts_with(CAST(_props AS VARCHAR), '{') "
            "AND json_type(_props) NOT IN ('OBJECT', 'NULL')",
        ]
        for t, p, vt in props:
            check = self._type_check(cell(t, p), vt, "")
            if check:
                fast.append(f"_k = {number[t]} AND {check.cond}")
        # property values go to a few shared slots (by SQL type); the events view gives each its column
        slots: dict[tuple[str, int], list[tuple[str, str]]] = {}
        slot_of: dict[tuple[str, str], str] = {}
        for t, ps in by_type.items():
            used: dict[str, int] = {}
            for p, vt in ps:
                sql_type = _sql_type(vt)
                n = used.get(sql_type, 0)
                used[sql_type] = n + 1
                slots.setdefault((sql_type, n), []).append((t, self._value(cell(t, p), vt)))
                slot_of[t, p] = f"_{sql_type.lower()}_{n}"
        slot_values = [
            f"CASE _k {' '.join(f'WHEN {number[t]} THEN {v}' for t, v in values)} END::{sql_type} "
            f"AS _{sql_type.lower()}_{n}"
            for (sql_type, n), values in slots.items()
        ]
        selected = ", ".join(
            ["event_id", "lead_id", "type", "epoch_us(_time) / 1000000.0 AS ts", *slot_values]
        )
        source = (
            f"(SELECT *{trimmed} FROM (SELECT * EXCLUDE (_pv){texts} FROM (SELECT *, {fast_pv} AS _pv FROM ("
            f"SELECT *, TRY_CAST(time AS TIMESTAMPTZ) AS _time, {fast_props} AS _props, {kind_of} AS _k "
            f"FROM {file.fast}))))"
        )
        return source, fast, selected, slot_of

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
        file = self._open(
            path,
            "answers_in",
            ("call_id", "lead_id", "called_at", "outcome"),
            ["call_id", "lead_id", "called_at", "outcome", "criterion", "answer"],
            times=("called_at",),
        )
        present = file.columns
        criterion = "criterion" if "criterion" in present else "NULL"
        answer = "answer" if "answer" in present else "NULL"
        allowed = (
            " OR ".join(
                f"({criterion} = {_q(c.id)} AND NOT {_one_of(f'lower({answer})', [v.lower() for v in c.answers])})"
                for c in d.criteria
            )
            or "false"
        )
        leads = f"{self.prefix}leads"
        # a call's first row (in the file) gives its lead, time and outcome
        first = ("lead_id", "TRY_CAST(called_at AS TIMESTAMPTZ)", "lower(outcome)")
        same = " OR ".join(f"{col} <> _first_{i}" for i, col in enumerate(first))
        checks = [
            Check("call_id IS NULL", "call_id", "'call_id must not be empty'"),
            Check(
                f"lead_id IS NULL OR lead_id NOT IN (SELECT lead_id FROM {leads})",
                "lead_id",
                "'unknown lead ''' || coalesce(lead_id, '') || ''': not in the leads file'",
                late=True,
            ),
            Check(
                "TRY_CAST(called_at AS TIMESTAMPTZ) IS NULL",
                "called_at",
                "'expected an ISO 8601 date or timestamp (2026-05-04T10:12:00Z); got ''' || coalesce(called_at, '') || ''''",
            ),
            Check(
                f"outcome IS NULL OR NOT {_one_of('lower(outcome)', CALL_OUTCOMES)}",
                "outcome",
                f"'expected one of ' || {_q(', '.join(repr(o) for o in CALL_OUTCOMES))} || '; got ''' || coalesce(outcome, '') || ''''",
            ),
            Check(
                same,
                "call_id",
                "'call ''' || call_id || ''' appears with another lead, time or outcome than on its first row'",
                late=True,
            ),
            Check(
                f"({criterion} IS NULL) <> ({answer} IS NULL)",
                "criterion",
                "'criterion and answer go together: both filled or both empty'",
            ),
            Check(
                f"{answer} IS NOT NULL AND lower(outcome) <> 'reached'",
                "answer",
                "'only a reached call has answers; this call''s outcome is ' || lower(outcome)",
            ),
            Check(
                allowed,
                "answer",
                f"'criterion ''' || {criterion} || ''' does not allow ''' || {answer} || ''''",
            ),
        ]
        rows = f"{self.prefix}answers_rows"

        def first_rows(source: str, order: str) -> str:
            windows = ", ".join(
                f"first_value({col}) OVER (PARTITION BY call_id ORDER BY {order}) AS _first_{i}"
                for i, col in enumerate(first)
            )
            return f"(SELECT *, {windows} FROM {source})"

        self._check_rows(
            "answers",
            file,
            checks,
            first_rows(file.text, "_row"),
            rows,
            late_source=first_rows(f"(SELECT rowid AS _rowid, * FROM {rows})", "_rowid"),
        )
        known = ", ".join(_q(c.id) for c in d.criteria) or "NULL"
        unused = self.sql.execute(
            f"SELECT {criterion}, count(*) FROM {rows} WHERE {criterion} IS NOT NULL AND "
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
            f"any_value(epoch_us(TRY_CAST(called_at AS TIMESTAMPTZ)) / 1000000.0) AS ts, "
            f"any_value(lower(outcome)) AS outcome FROM {rows} GROUP BY call_id"
        )
        self.sql.execute(
            f"CREATE OR REPLACE TABLE {self.prefix}answers AS SELECT lead_id, ts, criterion, answer FROM ("
            f"SELECT lead_id, epoch_us(TRY_CAST(called_at AS TIMESTAMPTZ)) / 1000000.0 AS ts, {criterion} AS criterion, "
            f"CASE {canonical or 'WHEN false THEN NULL'} END AS answer, row_number() OVER "
            f"(PARTITION BY call_id, {criterion} ORDER BY rowid DESC) AS _last FROM {rows} "
            f"WHERE {criterion} IN ({known})) WHERE _last = 1"
        )
        self.sql.execute(f"DROP TABLE {rows}")
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
