"""Overdue dossiers across the city, as the hub holds them after sync.

The rule is the ward's (``ward_node.dossiers.is_overdue``): a dossier is overdue while its
clock runs (statuses 1, 2, 4 and 6; status 5, awaiting a supplement, stops it) and its due time
is past. Due times are stored as ISO 8601 with an offset; SQLite's ``julianday`` reads the
offset, so the comparison is in absolute time whatever offset a writer used.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sync import Replica, record_type

CLOCK_RUNNING = (1, 2, 4, 6)
_WHERE = (
    f"status IN ({', '.join(map(str, CLOCK_RUNNING))}) AND due_at IS NOT NULL "
    "AND julianday(due_at) < julianday(?)"
)


def overdue_counts(conn: sqlite3.Connection, now_iso: str) -> dict[str, int]:
    """The number of overdue dossiers of each unit that has any, at ``now_iso``."""
    rows = conn.execute(
        f"SELECT unit, count(*) FROM dossier WHERE {_WHERE} GROUP BY unit", (now_iso,)
    )
    return {str(unit): int(count) for unit, count in rows}


def overdue_dossiers(
    conn: sqlite3.Connection, now_iso: str, *, unit: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """Overdue dossiers at ``now_iso`` (of one unit, or all), the longest overdue first,
    decoded as records, with ``days_late`` (whole days past the due time) added."""
    rtype = record_type("dossier")
    sql = (
        f"SELECT {', '.join(rtype.fields)}, julianday(?) - julianday(due_at) "
        f"FROM dossier WHERE {_WHERE}"
    )
    params: list[Any] = [now_iso, now_iso]
    if unit:
        sql += " AND unit = ?"
        params.append(unit)
    sql += " ORDER BY julianday(due_at), code LIMIT ?"
    params.append(limit)
    items = []
    for row in conn.execute(sql, params):
        record = Replica.decode(rtype, row[:-1])
        items.append({**record, "days_late": int(row[-1])})
    return items
