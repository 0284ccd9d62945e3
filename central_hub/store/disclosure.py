"""What the portal publishes of the one-stop desks' work (docs/portal.md, "Public disclosure"):
the figures of each ward by Huế month, and a ward's hall screen (the dossiers ready to be
returned, today's figures). Counts only: no query here returns a person's data but the name
the hall screen masks.

Dates are Huế dates. A stored time is ISO 8601 with an offset, written by whichever node
acted; :data:`LOCAL_DAY` turns one into the Julian day number of its date in Huế (UTC+7, no
daylight saving) with ``julianday``, which SQLite has and the PostgreSQL store defines
(``sync/postgres.py``), and ``floor``, which both have. Each query first narrows the rows by
comparing the stored text with a range one day wider on each side (so an index serves it
whatever offset a writer used), then groups by the exact Huế month (a CASE over the
Julian day numbers of the months' first days).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from typing import Any

__all__ = [
    "apologies_by_month",
    "day_number",
    "day_of",
    "hall_figures",
    "ready_for_return",
    "received_by_month",
    "resolved_by_month",
]

# Julian day number of a date = its proleptic Gregorian ordinal + this.
_JDN_OFFSET = 1721425
# julianday counts from noon UTC: + 0.5 for midnight, + 7/24 for Huế; the last term keeps a
# time stored as exactly local midnight on its own day despite rounding.
_SHIFT = 0.5 + 7 / 24 + 1e-9


def LOCAL_DAY(column: str) -> str:  # noqa: N802 - reads as the SQL it makes
    """SQL for the Julian day number of the Huế date of the stored time ``column``."""
    return f"floor(julianday({column}) + {_SHIFT!r})"


def day_number(day: date) -> int:
    """The Julian day number of ``day``, as :func:`LOCAL_DAY` computes it in SQL."""
    return day.toordinal() + _JDN_OFFSET


def day_of(number: int) -> date:
    """The date of a Julian day number :func:`LOCAL_DAY` returned."""
    return date.fromordinal(int(number) - _JDN_OFFSET)


def _bounds(first: date, last: date) -> tuple[str, str]:
    """Text bounds one day wider than ``first``..``last`` on each side, for an index."""
    return (first - timedelta(days=1)).isoformat(), (last + timedelta(days=2)).isoformat()


def _month(day_sql: str, year: int) -> tuple[str, list[int]]:
    """SQL for the month (1-12) of ``year`` the local day ``day_sql`` falls in, 0 outside
    the year, and its parameters: grouping by month in SQL returns at most 12 rows a ward.
    ``day_sql`` is a column of a MATERIALIZED common table expression (SQLite 3.35+,
    PostgreSQL 12+), so each row's day is computed once: a plain subquery is flattened and
    its expression repeated in every branch of the CASE (five times slower)."""
    starts = [day_number(date(year, m, 1)) for m in range(1, 13)] + [
        day_number(date(year + 1, 1, 1))
    ]
    cases = " ".join(f"WHEN {day_sql} < ? THEN {m}" for m in range(1, 13))
    return f"CASE WHEN {day_sql} < ? THEN 0 {cases} ELSE 0 END", starts


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[dict[str, int]]:
    return [
        {k: (r[k] if k == "unit" else int(r[k])) for k in r.keys()}  # floor() is a float
        for r in conn.execute(sql, params).fetchall()
    ]


def received_by_month(conn: sqlite3.Connection, year: int) -> list[dict[str, Any]]:
    """``{unit, month, n}``: dossiers received per ward and Huế month of ``year`` (month 0:
    outside the year, for the caller to drop). Online submissions never received (status 1)
    or refused (3) are not received (docs/domain.md, "Statistics")."""
    month, starts = _month("day", year)
    return _rows(
        conn,
        f"WITH d AS MATERIALIZED (SELECT unit, {LOCAL_DAY('received_at')} AS day FROM dossier "
        "WHERE received_at >= ? AND received_at < ? AND status NOT IN (1, 3)) "
        f"SELECT unit, {month} AS month, count(*) AS n FROM d GROUP BY unit, month",
        (*_bounds(date(year, 1, 1), date(year, 12, 31)), *starts),
    )


def resolved_by_month(conn: sqlite3.Connection, year: int) -> list[dict[str, Any]]:
    """``{unit, month, on_time, n}``: dossiers resolved (status 9 or 10) per ward, Huế month
    of ``completed_at`` in ``year`` (0 outside) and whether on time: on or before the local
    date of the ORIGINAL due date when an apology moved it, else of ``due_at`` (a dossier
    without one is on time)."""
    month, starts = _month("day", year)
    due = LOCAL_DAY("coalesce(original_due_at, due_at)")
    on_time = (
        f"CASE WHEN coalesce(original_due_at, due_at) IS NULL "
        f"OR {LOCAL_DAY('completed_at')} <= {due} THEN 1 ELSE 0 END"
    )
    return _rows(
        conn,
        f"WITH d AS MATERIALIZED (SELECT unit, {LOCAL_DAY('completed_at')} AS day, "
        f"{on_time} AS on_time FROM dossier "
        "WHERE completed_at >= ? AND completed_at < ? AND status IN (9, 10)) "
        f"SELECT unit, {month} AS month, on_time, count(*) AS n FROM d "
        "GROUP BY unit, month, on_time",
        (*_bounds(date(year, 1, 1), date(year, 12, 31)), *starts),
    )


def apologies_by_month(conn: sqlite3.Connection, year: int) -> list[dict[str, Any]]:
    """``{unit, month, n}``: apology letters issued (form 04, the ``extend`` step that moves
    the due date) per ward and Huế month of ``year`` (0 outside)."""
    month, starts = _month("day", year)
    return _rows(
        conn,
        f"WITH d AS MATERIALIZED (SELECT unit, {LOCAL_DAY('at')} AS day FROM dossier_step "
        "WHERE action = 'extend' AND at >= ? AND at < ?) "
        f"SELECT unit, {month} AS month, count(*) AS n FROM d GROUP BY unit, month",
        (*_bounds(date(year, 1, 1), date(year, 12, 31)), *starts),
    )


def ready_for_return(conn: sqlite3.Connection, unit: str, limit: int) -> list[dict[str, Any]]:
    """The dossiers of ``unit`` whose result is ready (status 9), longest waiting first, at
    most ``limit``: code, applicant (to be masked by the caller), procedure name and
    ``completed_at``."""
    rows = conn.execute(
        "SELECT code, applicant, procedure_name, completed_at FROM dossier "
        "WHERE unit = ? AND status = 9 ORDER BY completed_at, code LIMIT ?",
        (unit, limit),
    ).fetchall()
    return [
        {
            "code": r["code"],
            "applicant": json.loads(r["applicant"]) if r["applicant"] else {},
            "procedure_name": r["procedure_name"],
            "completed_at": r["completed_at"],
        }
        for r in rows
    ]


def hall_figures(conn: sqlite3.Connection, unit: str, today: date) -> dict[str, int]:
    """Today's figures of ``unit`` for its hall screen: dossiers received, resolved and
    returned today (Huế dates), and now ready to be returned (9), being processed (2, 4, 6)
    and awaiting a supplement (5)."""
    number = day_number(today)
    received, done, returned = (
        LOCAL_DAY("received_at"),
        LOCAL_DAY("completed_at"),
        LOCAL_DAY("returned_at"),
    )
    row = conn.execute(
        "SELECT "
        f"sum(CASE WHEN status NOT IN (1, 3) AND {received} = ? THEN 1 ELSE 0 END) AS received, "
        f"sum(CASE WHEN status IN (9, 10) AND {done} = ? THEN 1 ELSE 0 END) AS resolved, "
        f"sum(CASE WHEN status = 10 AND {returned} = ? THEN 1 ELSE 0 END) AS returned, "
        "sum(CASE WHEN status = 9 THEN 1 ELSE 0 END) AS ready, "
        "sum(CASE WHEN status IN (2, 4, 6) THEN 1 ELSE 0 END) AS processing, "
        "sum(CASE WHEN status = 5 THEN 1 ELSE 0 END) AS supplement "
        "FROM dossier WHERE unit = ?",
        (number, number, number, unit),
    ).fetchone()
    return {k: int(row[k] or 0) for k in row.keys()}
