"""A store on PostgreSQL behind the sqlite3 API the engine is written against (docs/operations.md,
"PostgreSQL").

The engine and the hub's store speak SQLite's SQL through ``sqlite3.Connection``: ``execute``
with ``?`` placeholders, rows read by name or position, ``BEGIN IMMEDIATE`` for writes
(:func:`sync.atomic`). :class:`PgConnection` gives a psycopg 3 connection that API, and
:func:`translate` rewrites the handful of SQLite idioms the code uses into PostgreSQL's, once
per distinct statement:

- ``?`` and ``?N`` placeholders become psycopg's ``%s`` (parameters reordered for ``?N``);
- ``BEGIN IMMEDIATE`` (a write transaction) becomes ``BEGIN`` and one database-wide advisory
  lock, held to the commit: writers queue one behind the other as on SQLite, whichever process
  they run in. That is what keeps the journal readable by cursor: a journal position is taken
  (``max(jseq) + 1``) under the lock and committed before the next writer takes the next one,
  so a reader that sees an entry sees every entry before it (docs/sync.md, "Several hub
  processes");
- ``BEGIN``/``BEGIN DEFERRED`` (a read snapshot) becomes a repeatable-read transaction;
- ``INSERT OR IGNORE`` becomes ``ON CONFLICT DO NOTHING``; ``datetime('now')``, ``rowid``,
  ``LIKE`` (case-insensitive in SQLite), and the column types of DDL (``INTEGER`` as
  ``BIGINT``, ``INTEGER PRIMARY KEY AUTOINCREMENT`` as an identity, ``REAL``, ``BLOB``,
  ``WITHOUT ROWID``) their PostgreSQL forms; ``PRAGMA table_info`` reads the catalogue, other
  pragmas do nothing.

Values keep SQLite's shapes: booleans are stored as 0/1, ``numeric`` results (``sum``, ``avg``)
come back as ``int`` when whole, else ``float``. ``julianday`` is a SQL function of the
database, created by :func:`install_functions`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

from .errors import ValidationError

# Any fixed number: the advisory lock every write transaction takes (pg_advisory_xact_lock).
WRITE_LOCK = 0x77617264  # "ward"

# One round trip: the transaction and its lock (the simple protocol takes both statements).
_BEGIN_WRITE = f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"


class Row(tuple[Any, ...]):
    """A result row read by position or by column name, like ``sqlite3.Row``."""

    _index: dict[str, int] = {}
    __slots__ = ()

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor: Any) -> Any:
    description = cursor.description
    if description is None:
        return tuple
    return _row_class(tuple(d.name for d in description))


@lru_cache(maxsize=1024)
def _row_class(names: tuple[str, ...]) -> type[Row]:
    """The row class of one list of column names (made once: a class a query costs)."""
    return type("Row", (Row,), {"_index": {n: i for i, n in enumerate(names)}, "__slots__": ()})


def configure_postgres(conn: Any) -> None:
    """Give a new psycopg connection this module's row and value adapters."""
    from psycopg.types.numeric import (
        Int8BinaryDumper,
        Int8Dumper,
        NumericBinaryLoader,
        NumericLoader,
    )

    class BoolDumper(Int8Dumper):
        def dump(self, obj: Any) -> Any:
            return super().dump(int(obj))

    class BoolBinaryDumper(Int8BinaryDumper):
        def dump(self, obj: Any) -> Any:
            return super().dump(int(obj))

    class WholeLoader(NumericLoader):
        def load(self, data: Any) -> Any:
            return _plain(super().load(data))

    class WholeBinaryLoader(NumericBinaryLoader):
        def load(self, data: Any) -> Any:
            return _plain(super().load(data))

    conn.adapters.register_dumper(bool, BoolDumper)
    conn.adapters.register_dumper(bool, BoolBinaryDumper)
    conn.adapters.register_loader("numeric", WholeLoader)
    conn.adapters.register_loader("numeric", WholeBinaryLoader)
    conn.row_factory = _row_factory
    conn.autocommit = True
    conn.execute("SET TIME ZONE 'UTC'")
    # Short queries on a small working set: JIT compiling one costs more than it saves (up to
    # 0.4 s for the console's totals on a freshly loaded fleet).
    conn.execute("SET jit = off")


def _plain(value: Decimal) -> int | float:
    if value == value.to_integral_value():
        return int(value)
    return float(value)


FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION julianday(t text) RETURNS double precision
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN t ~ '^\d{4}-\d\d-\d\d'
    THEN (extract(epoch FROM t::timestamptz) / 86400.0 + 2440587.5)::double precision END
$$
"""


def install_functions(conn: Any) -> None:
    """Create the SQL functions SQLite has built in and the code uses (``julianday``)."""
    conn.execute(FUNCTIONS)


class _NoRows:
    """What a statement with nothing to run (a pragma of SQLite's) returns."""

    rowcount = -1
    lastrowid = None
    description = None

    def fetchone(self) -> None:
        return None

    def fetchall(self) -> list[Any]:
        return []

    def __iter__(self) -> Iterator[Any]:
        return iter(())


class PgConnection:
    """A psycopg connection behind the part of ``sqlite3.Connection``'s API the code uses.

    ``release`` is called with the psycopg connection on :meth:`close` (a pool takes it back);
    without it the connection is closed.
    """

    dialect = "postgresql"

    def __init__(self, raw: Any, release: Any = None) -> None:
        self.raw = raw
        self._release = release

    # -- statements --------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        statement = translate(sql)
        if statement.begin_write:
            cur = self.raw.cursor()
            cur.execute(_BEGIN_WRITE)
            return cur
        if statement.text is None:
            return _NoRows()
        cur = self.raw.cursor()
        try:
            cur.execute(statement.text, statement.arguments(params))
        except Exception as exc:
            refusal = _refusal(exc)
            if refusal is None:
                raise
            raise refusal from exc
        return cur

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        statement = translate(sql)
        cur = self.raw.cursor()
        assert statement.text is not None
        batch = [statement.arguments(r) for r in rows]
        try:
            if statement.copy is not None and len(batch) >= COPY_FROM:
                # A plain INSERT of many rows (the journal, its routes, a push's records): COPY
                # carries them in one stream, twice as fast as a pipelined INSERT a row; the
                # same outcome, a duplicate key failing the whole statement.
                with cur.copy(statement.copy) as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                cur.executemany(statement.text, batch)
        except Exception as exc:
            refusal = _refusal(exc)
            if refusal is None:
                raise
            raise refusal from exc
        return cur

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        if self.raw is None:
            return False
        return bool(self.raw.info.transaction_status != TransactionStatus.IDLE)

    def commit(self) -> None:
        if self.in_transaction:
            self.raw.execute("COMMIT")

    def rollback(self) -> None:
        if self.in_transaction:
            self.raw.execute("ROLLBACK")

    def close(self) -> None:
        """Give the connection back (rolled back if a transaction was left open)."""
        raw, self.raw = self.raw, None
        if raw is None:
            return
        if self._release is not None:
            self._release(raw)
        else:
            raw.close()

    def __enter__(self) -> PgConnection:
        return self

    def __exit__(self, kind: Any, *exc: Any) -> None:
        # As sqlite3's: the open transaction committed (rolled back on an exception), the
        # connection left open.
        if kind is None:
            self.commit()
        else:
            self.rollback()


# -- translation -----------------------------------------------------------------------------


class Statement:
    """A statement translated: its text (``None``: nothing to run), whether it opens a write
    transaction, and the order of its parameters (``None``: as given)."""

    __slots__ = ("begin_write", "copy", "order", "text")

    def __init__(
        self,
        text: str | None,
        order: tuple[int, ...] | None = None,
        begin_write: bool = False,
        copy: str | None = None,
    ) -> None:
        self.text, self.order, self.begin_write, self.copy = text, order, begin_write, copy

    def arguments(self, params: Sequence[Any] | dict[str, Any]) -> Sequence[Any]:
        if isinstance(params, dict):
            raise TypeError("named parameters are not used with this store")
        if self.order is None:
            return list(params)
        return [params[i] for i in self.order]


_LITERAL = re.compile(r"('(?:[^']|'')*')")
_PLACEHOLDER = re.compile(r"\?(\d*)")
_TABLE_INFO = re.compile(r"PRAGMA\s+table_info\(\s*\"?(\w+)\"?\s*\)", re.I)
_CODE_RULES = [
    (
        re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b", re.I),
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (re.compile(r"\s*\bWITHOUT\s+ROWID\b", re.I), ""),
    (re.compile(r"\bINTEGER\b", re.I), "BIGINT"),
    (re.compile(r"\bREAL\b", re.I), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b", re.I), "BYTEA"),
    (re.compile(r"\browid\b", re.I), "ctid"),
    (re.compile(r"\bNOT\s+LIKE\b", re.I), "NOT ILIKE"),
    (re.compile(r"(?<!NOT )\bLIKE\b", re.I), "ILIKE"),
]
_NOW = re.compile(r"datetime\('now'\)", re.I)
_NOW_PG = "to_char(timezone('UTC', now()), 'YYYY-MM-DD HH24:MI:SS')"
_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.I)
_RETURNING = re.compile(r"\bRETURNING\b", re.I)
# INSERT INTO t (a, b) VALUES (?, ?) and nothing else: what COPY can do instead.
_PLAIN_INSERT = re.compile(
    r"^\s*INSERT\s+INTO\s+(\w+)\s*\(([\w\s,]+)\)\s*VALUES\s*\(\s*\?(?:\s*,\s*\?)*\s*\)\s*;?\s*$",
    re.I,
)
COPY_FROM = 50  # rows from which executemany sends a plain INSERT as COPY


@lru_cache(maxsize=4096)
def translate(sql: str) -> Statement:
    """``sql`` (SQLite's dialect, as the code writes it) for PostgreSQL."""
    head = sql.lstrip()[:40].upper()
    if head.startswith(("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")):
        return Statement(None, begin_write=True)
    if head.startswith("BEGIN"):
        return Statement("BEGIN ISOLATION LEVEL REPEATABLE READ")
    if head.startswith("PRAGMA"):
        info = _TABLE_INFO.match(sql.strip())
        if info:
            return Statement(
                "SELECT ordinal_position - 1 AS cid, column_name AS name, data_type AS type, "
                "(is_nullable = 'NO')::int AS notnull, column_default AS dflt_value, 0 AS pk "
                "FROM information_schema.columns WHERE table_schema = current_schema() "
                f"AND table_name = '{info.group(1).lower()}' ORDER BY ordinal_position"
            )
        if "DATABASE_LIST" in head:
            return Statement("SELECT 0 AS seq, 'main' AS name, '' AS file")
        return Statement(None)
    ignore = bool(_OR_IGNORE.match(sql))
    if ignore:
        sql = _OR_IGNORE.sub("INSERT INTO", sql, count=1)
    parts = _LITERAL.split(_NOW.sub(_NOW_PG, sql))
    order: list[int] = []
    numbered = False
    out = []
    for i, part in enumerate(parts):
        part = part.replace("%", "%%")
        if i % 2 == 0:  # code, not a string literal
            for pattern, replacement in _CODE_RULES:
                part = pattern.sub(replacement, part)

            def placeholder(match: re.Match[str]) -> str:
                nonlocal numbered
                if match.group(1):
                    numbered = True
                    order.append(int(match.group(1)) - 1)
                else:
                    order.append(len(order))
                return "%s"

            part = _PLACEHOLDER.sub(placeholder, part)
        out.append(part)
    text = "".join(out)
    if ignore:
        returning = _RETURNING.search(text)
        if returning:
            text = f"{text[: returning.start()]}ON CONFLICT DO NOTHING {text[returning.start() :]}"
        else:
            text = text.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    plain = _PLAIN_INSERT.match(sql)
    copy = f"COPY {plain.group(1)} ({plain.group(2)}) FROM STDIN" if plain and not ignore else None
    return Statement(text, tuple(order) if numbered else None, copy=copy)


def _refusal(exc: Exception) -> Exception | None:
    """A value PostgreSQL cannot store that SQLite would (U+0000 in a text, from any form or
    request the records' schemas do not cover) refused as bad input, not a crash: the
    caller's transaction rolls back as for any error."""
    if "NUL (0x00)" in str(exc) or "\\u0000" in str(exc):
        return ValidationError(
            "Dữ liệu gửi lên chứa ký tự NUL (U+0000), ký tự không dùng được trong văn bản. "
            "Hãy xóa ký tự đó rồi gửi lại.",
            code="nul_character",
        )
    return None


def is_postgres(conn: Any) -> bool:
    """Whether ``conn`` is a store on PostgreSQL."""
    return getattr(conn, "dialect", "sqlite") == "postgresql"
