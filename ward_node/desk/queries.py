"""Read-only queries behind the desk's work lists, the printed forms and the statistics.

Stored times are ISO 8601 strings in UTC, so SQL narrows a range by comparing strings with a
day's margin either side (a record written with another offset still sorts within a day), and
Python then decides on the parsed, local times. Nothing here writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from office import OPEN_STATUSES, OVERDUE_SQL, VIETNAM, is_overdue
from sync import select_records

from ..dossiers import WorkCalendar, find_procedure, iso

__all__ = [
    "awaiting_reception",
    "due_soon",
    "for_statistics",
    "local_day",
    "mine",
    "moment",
    "overdue",
    "procedure_by_code",
    "received_between",
    "received_on",
    "register_number",
    "steps_of",
]

_OPEN = ",".join(str(s) for s in sorted(OPEN_STATUSES))
_MARGIN = timedelta(days=1)


def moment(value: Any) -> datetime | None:
    """A stored time as an aware datetime (UTC assumed without offset); ``None`` when empty."""
    if not value:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def local_day(value: Any) -> date | None:
    """The local (Huế) date of a stored time; ``None`` when empty."""
    found = moment(value)
    return found.astimezone(VIETNAM).date() if found else None


def _day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The local period ``first`` 00:00 to the midnight after ``last`` (exclusive)."""
    start = datetime.combine(first, time(0), tzinfo=VIETNAM)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=VIETNAM)
    return start, end


def _flag(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    for item in items:
        item["overdue"] = is_overdue(item, now)
    return items


def _by_due(item: dict[str, Any]) -> tuple[str, str]:
    return (item.get("due_at") or "9999", item.get("code") or "")


def awaiting_reception(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Online dossiers in status 1 (submitted, awaiting reception), oldest first."""
    return _flag(select_records(conn, "dossier", "WHERE status = 1 ORDER BY received_at, code"))


def received_on(conn: sqlite3.Connection, day: date) -> list[dict[str, Any]]:
    """Dossiers received at the desk on local ``day`` (by ``received_at`` or by a reception
    step that day, for an online dossier accepted later than it was submitted), newest first."""
    start, end = _day_bounds(day, day)
    low, high = iso(start - _MARGIN), iso(end + _MARGIN)
    found = select_records(
        conn,
        "dossier",
        "WHERE status <> 1 AND (received_at BETWEEN ? AND ? OR id IN ("
        "  SELECT dossier_id FROM dossier_step WHERE action = 'receive' AND at BETWEEN ? AND ?))"
        " ORDER BY received_at DESC, code DESC",
        (low, high, low, high),
    )
    steps = _receive_steps(conn, [d["id"] for d in found])
    return _flag(
        [
            d
            for d in found
            if local_day(d["received_at"]) == day
            or any(local_day(at) == day for at in steps.get(d["id"], ()))
        ]
    )


def _receive_steps(conn: sqlite3.Connection, ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        for dossier_id, at in conn.execute(
            "SELECT dossier_id, at FROM dossier_step "
            f"WHERE action = 'receive' AND dossier_id IN ({marks})",
            chunk,
        ):
            found.setdefault(dossier_id, []).append(at)
    return found


def mine(conn: sqlite3.Connection, username: str) -> list[dict[str, Any]]:
    """Open dossiers whose current handler is ``username``, the soonest due first."""
    found = select_records(
        conn, "dossier", f"WHERE handler = ? AND status IN ({_OPEN})", (username,)
    )
    return _flag(sorted(found, key=_by_due))


def _open(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return select_records(conn, "dossier", f"WHERE status IN ({_OPEN}) AND due_at IS NOT NULL")


def overdue(conn: sqlite3.Connection, now: datetime) -> list[dict[str, Any]]:
    """Dossiers overdue at ``now`` (``office/dossier_time.py``: a dossier waiting for a
    supplement has its clock stopped, so it is never overdue), the longest overdue first."""
    found = select_records(conn, "dossier", f"WHERE {OVERDUE_SQL}", (iso(now),))
    for d in found:
        d["overdue"] = True
    return sorted(found, key=_by_due)


def due_soon(
    conn: sqlite3.Connection, now: datetime, calendar: WorkCalendar, days: int = 2
) -> list[dict[str, Any]]:
    """Open dossiers not yet overdue whose due date falls today or within the next ``days``
    working days (on a Friday with ``days=2``: due Friday, Monday or Tuesday), soonest first."""
    today = now.astimezone(VIETNAM).date()
    found = []
    for d in _open(conn):
        due = moment(d["due_at"])
        if due is None or due < now:
            continue
        if calendar.working_days_between(today, due.astimezone(VIETNAM).date()) <= days:
            d["overdue"] = False
            found.append(d)
    return sorted(found, key=_by_due)


def received_between(conn: sqlite3.Connection, first: date, last: date) -> list[dict[str, Any]]:
    """Dossiers received from local ``first`` to ``last`` inclusive, for the register (Mẫu số 07),
    in order of reception. Online dossiers still awaiting reception (status 1) are not in it."""
    start, end = _day_bounds(first, last)
    found = select_records(
        conn,
        "dossier",
        "WHERE status <> 1 AND received_at BETWEEN ? AND ? ORDER BY received_at, code",
        (iso(start - _MARGIN), iso(end + _MARGIN)),
    )
    kept = [d for d in found if start <= (moment(d["received_at"]) or start) < end]
    return sorted(kept, key=lambda d: (moment(d["received_at"]), d["code"]))


def register_number(dossier: dict[str, Any]) -> int | None:
    """The dossier's line in the register book of its year (Form 07), as its receipt (Form 01)
    prints it: the number the ward gave it at reception, or for a dossier received before
    numbers were kept (release 0.1.0) the counter at the end of its code, which its receipt
    printed (``H57.19786-261127-0012`` → 12); ``None`` before reception."""
    if dossier.get("register_number"):
        return int(dossier["register_number"])
    if int(dossier.get("status") or 0) == 1:
        return None  # an online dossier awaiting reception is in no book yet
    tail = (dossier.get("code") or "").rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


def steps_of(conn: sqlite3.Connection, dossier_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The steps of the given dossiers, in time order."""
    found: list[dict[str, Any]] = []
    for chunk in _chunks(list(dossier_ids)):
        marks = ",".join("?" * len(chunk))
        found += select_records(conn, "dossier_step", f"WHERE dossier_id IN ({marks})", chunk)
    return sorted(found, key=lambda s: (s["at"], s["id"]))


def for_statistics(
    conn: sqlite3.Connection, first: date, last: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The dossiers (and their steps) that can count in the statistics of ``first``–``last``.

    Left out: dossiers received after the period, and those closed before it began (no step,
    completion or return since then and not open now): they are neither carried over nor
    received, resolved or pending in the period.
    """
    start, end = _day_bounds(first, last)
    since, until = iso(start - _MARGIN), iso(end + _MARGIN)
    found = select_records(
        conn,
        "dossier",
        "WHERE received_at <= ? AND ("
        f" status IN ({_OPEN}) OR received_at >= ? OR completed_at >= ? OR returned_at >= ?"
        " OR id IN (SELECT dossier_id FROM dossier_step WHERE at >= ?))",
        (until, since, since, since, since),
    )
    return found, steps_of(conn, [d["id"] for d in found])


def procedure_by_code(conn: sqlite3.Connection, code: str) -> dict[str, Any] | None:
    """The catalogue's procedure ``code``, active or not (a dossier keeps its procedure even
    after the catalogue retires it or renumbers it); ``None`` when unknown here."""
    return find_procedure(conn, code)


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
