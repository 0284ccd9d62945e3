"""When a dossier's clock runs and when it is overdue: one rule for the ward's lists and pages
and the hub's city-wide overdue list.

A dossier is *open* in statuses 1, 2, 4, 5 and 6 (the national list, ``schemas/dossier.json``).
Its clock runs while it is open, except in status 5: awaiting a supplement stops the clock, and
the due date moves when the citizen brings the papers. A dossier is *overdue* while its clock
runs and its due time is past: a computed flag, never a status.

The same rule reads two ways: :func:`is_overdue` for a record in hand, and :data:`OVERDUE_SQL`
for a query. Due times are stored as ISO 8601 with an offset; both compare them as instants
(SQLite's ``julianday`` reads the offset), whatever offset a writer used.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

OPEN_STATUSES = frozenset({1, 2, 4, 5, 6})
AWAITING_SUPPLEMENT = 5
CLOCK_RUNNING = OPEN_STATUSES - {AWAITING_SUPPLEMENT}

_RUNNING = ", ".join(str(s) for s in sorted(CLOCK_RUNNING))
# A WHERE fragment with one parameter, now as an ISO 8601 string: the dossiers overdue then.
OVERDUE_SQL = (
    f"(status IN ({_RUNNING}) AND due_at IS NOT NULL AND julianday(due_at) < julianday(?))"
)


def _instant(value: Any) -> datetime | None:
    if not value:
        return None
    found = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return found if found.tzinfo else found.replace(tzinfo=UTC)  # stored times are UTC


def clock_running(dossier: dict[str, Any]) -> bool:
    """Whether ``dossier``'s clock runs: open and not awaiting a supplement."""
    return int(dossier["status"]) in CLOCK_RUNNING


def is_overdue(dossier: dict[str, Any], now: datetime) -> bool:
    """Whether ``dossier`` (a record with ``status`` and ``due_at``) is overdue at ``now`` (an
    aware datetime): its clock runs and its due time is before ``now``. A dossier without a
    due date is never overdue."""
    due = _instant(dossier.get("due_at"))
    return due is not None and clock_running(dossier) and due < now
