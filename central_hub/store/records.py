"""The synced records as the hub's pages and APIs read them: units, procedures, dossiers and
their steps, attachments, the next number of a document or an invitation, and the dossiers
overdue now (the rule is ``office.OVERDUE_SQL``). Rows are decoded as records, or read by
column name."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from office import OVERDUE_SQL
from sync import Replica, record_type


def _select(
    conn: sqlite3.Connection, type_name: str, tail: str, params: Any = ()
) -> list[dict[str, Any]]:
    rtype = record_type(type_name)
    rows = conn.execute(f"SELECT {', '.join(rtype.fields)} FROM {type_name} {tail}", params)
    return [Replica.decode(rtype, [r[f] for f in rtype.fields]) for r in rows.fetchall()]


# -- units and procedures ---------------------------------------------------------------------


def unit_name(conn: sqlite3.Connection, code: str) -> str | None:
    """The name of the unit ``code``, or None when there is no such unit."""
    row = conn.execute("SELECT name FROM unit WHERE code = ?", (code,)).fetchone()
    return None if row is None else str(row["name"])


def unit_names(conn: sqlite3.Connection) -> dict[str, str]:
    """Unit codes to names."""
    return {r["code"]: r["name"] for r in conn.execute("SELECT code, name FROM unit")}


def unit_exists(conn: sqlite3.Connection, code: str) -> bool:
    """Whether the unit ``code`` is in the reference data (valid or not)."""
    return conn.execute("SELECT 1 FROM unit WHERE code = ?", (code,)).fetchone() is not None


def unit_rows(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every unit: its code, name, kind and validity dates."""
    rows = conn.execute("SELECT code, name, kind, valid_from, valid_to FROM unit").fetchall()
    return [dict(r) for r in rows]


def units_valid_on(conn: sqlite3.Connection, day: str) -> list[tuple[str, str]]:
    """``(code, name)`` of the units whose validity has not ended on ``day`` (ISO), by code."""
    rows = conn.execute(
        "SELECT code, name FROM unit WHERE valid_to IS NULL OR valid_to >= ? ORDER BY code",
        (day,),
    ).fetchall()
    return [(r["code"], r["name"]) for r in rows]


def ward_codes(conn: sqlite3.Connection) -> list[str]:
    """The codes of the wards (units of kind ``ward``)."""
    rows = conn.execute("SELECT code FROM unit WHERE kind = 'ward'").fetchall()
    return [r["code"] for r in rows]


def active_procedure_count(conn: sqlite3.Connection) -> int:
    """How many procedures of the catalogue are active."""
    row = conn.execute("SELECT count(*) AS n FROM procedure WHERE active = 1").fetchone()
    return int(row["n"])


# -- numbering ----------------------------------------------------------------------------------


def last_document_number(conn: sqlite3.Connection, unit: str, year: str, secret: bool) -> int:
    """The highest number ``unit`` gave a document issued in ``year``, in the register of secret
    documents or the ordinary one (0 when none)."""
    row = conn.execute(
        "SELECT max(number) AS used FROM document WHERE unit = ? AND substr(issued_on, 1, 4) = ? "
        f"AND coalesce(secrecy, 'none') {'!=' if secret else '='} 'none'",
        (unit, year),
    ).fetchone()
    return int(row["used"] or 0)


def last_invitation_number(conn: sqlite3.Connection, unit: str, year: str) -> int:
    """The highest number ``unit`` gave an invitation issued in ``year`` (0 when none)."""
    row = conn.execute(
        "SELECT max(number) AS used FROM invitation WHERE unit = ? AND substr(issued_on, 1, 4) = ?",
        (unit, year),
    ).fetchone()
    return int(row["used"] or 0)


# -- dossiers -----------------------------------------------------------------------------------


def dossiers(
    conn: sqlite3.Connection, where: str, params: list[Any], limit: int
) -> list[dict[str, Any]]:
    """Dossiers matching ``where`` (a WHERE clause or ``""``), newest id first, at most
    ``limit``, decoded as records."""
    return _select(conn, "dossier", f"{where} ORDER BY id DESC LIMIT ?", [*params, limit])


def dossier_steps(conn: sqlite3.Connection, dossier_id: str) -> list[dict[str, Any]]:
    """The steps of a dossier, oldest first, decoded as records."""
    return _select(conn, "dossier_step", "WHERE dossier_id = ? ORDER BY at, id", (dossier_id,))


def overdue_counts(
    conn: sqlite3.Connection, now_iso: str, units: Sequence[str] | None = None
) -> dict[str, int]:
    """The number of overdue dossiers of each unit that has any (of ``units`` when given: a
    page of the console reads its own units' dossiers, not the city's), at ``now_iso``."""
    where, params = "", [now_iso, *(units or ())]
    if units is not None:
        if not units:
            return {}
        where = f" AND unit IN ({', '.join('?' * len(units))})"
    rows = conn.execute(
        f"SELECT unit, count(*) AS n FROM dossier WHERE {OVERDUE_SQL}{where} GROUP BY unit", params
    )
    return {str(r["unit"]): int(r["n"]) for r in rows}


def overdue_dossiers(
    conn: sqlite3.Connection, now_iso: str, *, unit: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """Overdue dossiers at ``now_iso`` (of one unit, or all), the longest overdue first,
    decoded as records, with ``days_late`` (whole days past the due time) added."""
    rtype = record_type("dossier")
    sql = (
        f"SELECT {', '.join(rtype.fields)}, julianday(?) - julianday(due_at) AS days_late "
        f"FROM dossier WHERE {OVERDUE_SQL}"
    )
    params: list[Any] = [now_iso, now_iso]
    if unit:
        sql += " AND unit = ?"
        params.append(unit)
    sql += " ORDER BY julianday(due_at), code LIMIT ?"
    params.append(limit)
    items = []
    for row in conn.execute(sql, params):
        record = Replica.decode(rtype, [row[f] for f in rtype.fields])
        items.append({**record, "days_late": int(row["days_late"])})
    return items


# -- attachments --------------------------------------------------------------------------------


def attachment_by_hash(conn: sqlite3.Connection, sha256: str) -> dict[str, Any] | None:
    """The attachment record naming the file ``sha256`` (a live one first, then the latest
    uploaded), or None."""
    found = _select(
        conn,
        "attachment",
        "WHERE sha256 = ? ORDER BY coalesce(deleted, 0), uploaded_at DESC LIMIT 1",
        (sha256,),
    )
    return found[0] if found else None


def report_attachments(conn: sqlite3.Connection, report_ids: list[str]) -> list[dict[str, Any]]:
    """The live attachments of the directive reports ``report_ids``."""
    marks = ", ".join("?" * len(report_ids))
    return _select(
        conn,
        "attachment",
        f"WHERE parent_type = 'directive_report' AND parent_id IN ({marks}) "
        "AND coalesce(deleted, 0) = 0",
        report_ids,
    )


def report_attachment(conn: sqlite3.Connection, sha256: str) -> dict[str, Any] | None:
    """A live attachment of a directive report naming the file ``sha256``, or None."""
    found = _select(
        conn,
        "attachment",
        "WHERE sha256 = ? AND parent_type = 'directive_report' AND coalesce(deleted, 0) = 0 "
        "LIMIT 1",
        (sha256,),
    )
    return found[0] if found else None
