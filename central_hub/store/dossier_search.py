"""The console's list and search of dossiers across wards (docs/operations.md, "Dossiers across
wards"): filters (ward, procedure, status, received dates, overdue) and one look-up at a time,
latest received first, on SQLite and PostgreSQL.

Order and paging: ``ORDER BY received_at DESC, id DESC``, paged by a keyset cursor (the last
row's ``(received_at, id)``, never an OFFSET), so page 2,000 costs what page 1 costs. Every
filter has an index that gives that order (``(unit, received_at, id)``, ``(status, …)``,
``(procedure_code, …)``, ``(received_at, id)`` for the dates), and "overdue" walks a partial
index holding only the dossiers whose clock runs (docs/domain.md, "Overdue and time classes"),
with their ``due_at`` in the index, so a page reads index entries until its 50 overdue ones and
touches the table 50 times. ``received_at`` is compared and ordered as text: every writer
stores it in UTC as ``iso()`` writes it (``ward_node/dossiers/rules.py``, the portal).

A look-up by code, personal ID number or phone is exact and goes through an index of its own
(the code's column; an expression index on the applicant's ID number and phone, written in
each engine's JSON syntax by :func:`applicant_key`): it never reads the folded search text,
so it costs the same on 100 or 100,000 dossiers. A name is matched word by word against the
folded ``_search`` text (docs/domain.md, "Names"). A common name matches densely, so walking
the list's index newest first stops at its 50th match soon; a rare one (or one nobody has)
would walk the whole index, so the matching ids are first read from a narrow ``(_search,
id)`` index (:data:`NAME_SCAN_AT_MOST` of them at most), and when there are fewer the page
reads just those rows (:func:`name_ids`).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from office import CLOCK_RUNNING
from sync import Replica, ValidationError, is_postgres, record_type

LOOKUP_KINDS = ("code", "id_number", "phone", "name")
RECEIVED = re.compile(r"\d{4}-\d\d-\d\dT[0-9:.]{5,18}(Z|[+-]\d\d:\d\d)")
ROW_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def applicant_key(conn: sqlite3.Connection, key: str) -> str:
    """The SQL expression of one key of the dossier's ``applicant`` object (its JSON text),
    exactly as its expression index is declared: the planner uses the index only for the same
    expression."""
    if key not in ("id_number", "phone"):
        raise ValueError(key)
    if is_postgres(conn):
        return f"((applicant::jsonb) ->> '{key}')"
    return f"json_extract(applicant, '$.{key}')"


# Overdue (docs/domain.md, "Overdue and time classes"; the rule of office.OVERDUE_SQL, the
# clock runs and the due time is past, compared as instants): spelt for the partial indexes
# below. Their predicate, RUNNING, is written exactly as the query's clause so that both
# engines prove the query implies it; ``status + 0`` keeps the (status, received_at, id)
# index out of play, which SQLite would otherwise take for the IN list and then sort every
# running dossier to find the newest.
RUNNING = (
    f"status + 0 IN ({', '.join(str(s) for s in sorted(CLOCK_RUNNING))}) AND due_at IS NOT NULL"
)
# The instants are compared (julianday) only where the text cannot tell. A due time is stored
# with an offset between -12:00 and +14:00, so its text (the local wall time) reads at most
# 14 hours ahead of its instant and 12 hours behind: text before "now - 13 h" (as UTC text)
# is surely past, text from "now + 15 h" on is surely not, and only the 28 hours between
# need the exact comparison. Both bounds are read from the index's entries.
OVERDUE = f"({RUNNING} AND due_at < ? AND (due_at < ? OR julianday(due_at) < julianday(?)))"
SURELY_NOT_YET = timedelta(hours=15)
SURELY_PAST = timedelta(hours=13)


def _utc_text(moment: datetime) -> str:
    # Whole minutes: a stored time has at least them, so text order decides before seconds.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


ORDER = "received_at DESC, id DESC"


def create_indexes(conn: sqlite3.Connection) -> None:
    """The indexes of the console's list: exact look-ups, and one per filter in the list's
    order (``received_at``, ``id``), so that a page stops at its 51st row."""
    for key in ("id_number", "phone"):
        conn.execute(
            f"CREATE INDEX IF NOT EXISTS dossier_applicant_{key} "
            f"ON dossier ({applicant_key(conn, key)})"
        )
    conn.execute("CREATE INDEX IF NOT EXISTS dossier_code ON dossier (code)")
    conn.execute("CREATE INDEX IF NOT EXISTS dossier_received ON dossier (received_at, id)")
    for column in ("unit", "status", "procedure_code"):
        conn.execute(
            f"CREATE INDEX IF NOT EXISTS dossier_{column}_received "
            f"ON dossier ({column}, received_at, id)"
        )
    if not is_postgres(conn):  # a name's matches, read without the table's rows (name_ids)
        conn.execute("CREATE INDEX IF NOT EXISTS dossier_name_search ON dossier (_search, id)")
    # Overdue: only running dossiers, due_at read from the index (docs/operations.md).
    conn.execute(
        "CREATE INDEX IF NOT EXISTS dossier_running "
        f"ON dossier (received_at, id, due_at, status) WHERE {RUNNING}"
    )
    conn.execute(
        "CREATE INDEX IF NOT EXISTS dossier_running_unit "
        f"ON dossier (unit, received_at, id, due_at, status) WHERE {RUNNING}"
    )


class BadCursor(ValidationError):
    """A page's cursor that is not one this list wrote (edited or cut short): 400."""

    status = 400


def cursor_of(row: dict[str, Any]) -> str:
    """The cursor of the page after ``row``: its received time and id."""
    return f"{row['received_at']}~{row['id']}"


def parse_cursor(text: str) -> tuple[str, str]:
    """``(received_at, id)`` of a cursor :func:`cursor_of` wrote; :class:`BadCursor` else."""
    received, _sep, row_id = text.partition("~")
    if not (RECEIVED.fullmatch(received) and ROW_ID.fullmatch(row_id)):
        raise BadCursor(
            "Địa chỉ trang sau không hợp lệ (có thể đã bị sửa hoặc cắt mất một phần). "
            "Hãy mở lại danh sách hồ sơ từ trang đầu.",
            field="cursor",
        )
    return received, row_id


@dataclass(frozen=True)
class DossierQuery:
    """What the console asks: every field optional. ``received_from``/``received_before`` are
    UTC ISO 8601 instants (the local days' bounds, computed by the caller); ``overdue_at``
    the instant "overdue" is judged at; ``lookup`` one of :data:`LOOKUP_KINDS` with its
    already normalised ``value`` (a name folded)."""

    unit: str | None = None
    procedure_code: str | None = None
    status: int | None = None
    received_from: str | None = None
    received_before: str | None = None
    overdue_at: str | None = None
    lookup: str | None = None
    value: str | None = None
    ids: list[str] | None = None  # a rare name's matching ids, found by name_ids()

    def where(self, conn: sqlite3.Connection) -> tuple[list[str], list[Any]]:
        """The WHERE clauses and their parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("unit", self.unit),
            ("procedure_code", self.procedure_code),
            ("status", self.status),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.received_from:
            clauses.append("received_at >= ?")
            params.append(self.received_from)
        if self.received_before:
            clauses.append("received_at < ?")
            params.append(self.received_before)
        if self.overdue_at:
            moment = datetime.fromisoformat(self.overdue_at)
            clauses.append(OVERDUE)
            params += [
                _utc_text(moment + SURELY_NOT_YET),
                _utc_text(moment - SURELY_PAST),
                self.overdue_at,
            ]
        if self.lookup and self.value:
            if self.lookup == "code":
                clauses.append("code = ?")
                params.append(self.value)
            elif self.lookup in ("id_number", "phone"):
                clauses.append(f"{applicant_key(conn, self.lookup)} = ?")
                params.append(self.value)
            elif self.lookup == "name" and self.ids is not None:
                clauses.append(f"id IN ({', '.join('?' for _ in self.ids) or 'NULL'})")
                params += self.ids
            elif self.lookup == "name":
                more, values = name_clauses(self.value)
                clauses += more
                params += values
            else:
                raise ValueError(self.lookup)
        return clauses, params


NAME_SCAN_AT_MOST = 2_000  # ids of a name read from the narrow index before walking the list's


def name_clauses(value: str) -> tuple[list[str], list[str]]:
    """The clauses matching a folded name, word by word anywhere in ``_search``."""
    clauses, params = [], []
    for word in value.split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append("_search LIKE ? ESCAPE '\\'")
        params.append(f"%{escaped}%")
    return clauses, params


def name_ids(conn: sqlite3.Connection, query: DossierQuery) -> DossierQuery:
    """``query`` with the ids its name matches when they are few (a rare name, or one nobody
    has): read from the narrow ``(_search, id)`` index, not by walking the list's index
    through the whole table. A common name is left to the walk, which finds its first page
    of matches early. On PostgreSQL, whose planner reads the folded text in one scan either
    way, ``query`` is returned as it is."""
    if query.lookup != "name" or not query.value or query.ids is not None or is_postgres(conn):
        return query  # not a name, its ids already read, or PostgreSQL
    clauses, params = name_clauses(query.value)
    rows = conn.execute(
        "SELECT id FROM dossier INDEXED BY dossier_name_search "
        f"WHERE {' AND '.join(clauses)} LIMIT ?",
        [*params, NAME_SCAN_AT_MOST + 1],
    ).fetchall()
    if len(rows) > NAME_SCAN_AT_MOST:
        return query
    return replace(query, ids=[r["id"] for r in rows])


def page(
    conn: sqlite3.Connection, query: DossierQuery, *, after: str | None = None, limit: int = 50
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the dossiers matching ``query``, latest received first, decoded as records:
    those after the cursor ``after`` (the previous page's), at most ``limit``; and the cursor
    of the next page (None on the last). Raises :class:`BadCursor` for a cursor this function
    did not write."""
    clauses, params = name_ids(conn, query).where(conn)
    if after:
        received, row_id = parse_cursor(after)
        # Keyset: the rows after (received, id) in the list's order. The range on received_at
        # alone is what both engines scan the filter's index with (an OR of the two cases
        # makes SQLite merge two searches and sort); the OR only drops the ties already shown.
        clauses.append("received_at <= ? AND (received_at < ? OR id < ?)")
        params += [received, received, row_id]
    rtype = record_type("dossier")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = conn.execute(
        f"SELECT {', '.join(rtype.fields)} FROM dossier {where} ORDER BY {ORDER} LIMIT ?",
        [*params, limit + 1],
    ).fetchall()
    items = [Replica.decode(rtype, [r[f] for f in rtype.fields]) for r in rows[:limit]]
    return items, (cursor_of(items[-1]) if len(rows) > limit else None)


def count(conn: sqlite3.Connection, query: DossierQuery, cap: int = 10_000) -> int:
    """How many dossiers match ``query``, counted up to ``cap`` + 1 (a page says "more than
    10.000" rather than read the whole city to say how many more): at most ``cap`` + 1 entries
    of the filter's index, whatever the store holds."""
    clauses, params = name_ids(conn, query).where(conn)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    row = conn.execute(
        f"SELECT count(*) AS n FROM (SELECT 1 FROM dossier {where} LIMIT ?) AS found",
        [*params, cap + 1],
    ).fetchone()
    return int(row["n"])


def procedures_in_use(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The procedures of the catalogue (code, name), by name: the list's filter."""
    rows = conn.execute("SELECT code, name FROM procedure ORDER BY name, code").fetchall()
    return [{"code": r["code"], "name": r["name"]} for r in rows]


def attachments(conn: sqlite3.Connection, dossier_id: str) -> list[dict[str, Any]]:
    """The live files attached to one dossier, oldest first, decoded as records."""
    rtype = record_type("attachment")
    rows = conn.execute(
        f"SELECT {', '.join(rtype.fields)} FROM attachment WHERE parent_type = 'dossier' "
        "AND parent_id = ? AND coalesce(deleted, 0) = 0 ORDER BY uploaded_at, id",
        (dossier_id,),
    ).fetchall()
    return [Replica.decode(rtype, [r[f] for f in rtype.fields]) for r in rows]


def attachment(conn: sqlite3.Connection, dossier_id: str, sha256: str) -> dict[str, Any] | None:
    """The live attachment of one dossier naming the file ``sha256``, or None."""
    found = [a for a in attachments(conn, dossier_id) if a["sha256"] == sha256]
    return found[0] if found else None
