"""A directive as ward and hub both read and answer it (docs/sync.md: the issuer owns the
directive, the addressed units answer only with their own ``directive_report`` records).

What both apps apply the same way lives here once: the status a directive shows from the
issuer's record and the units' reports, its time class, the reports of many directives in one
read, and the fields the issuer writes to confirm completion, send a report of done back or
move the deadline. Who may do each, and which record is written, stays with each app.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from typing import Any

from sync import ValidationError, clean_text, labels, select_records

from .timeclass import TIME_CLASSES, time_class

STATUS_NAMES = labels("directive", "status")
_CHUNK = 500  # SQLite's bound-parameter limit


def directive_now() -> str:
    """Now in UTC to the microsecond: a report and a send-back in the same second still
    compare in the order they happened."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def shown_status(directive: dict[str, Any], reports: list[dict[str, Any]]) -> str:
    """A directive's status as both ward and hub show it, from the issuer's record and the
    units' reports (``schemas/directive.json``): the units never write the issuer's record, so
    a first report shows an assigned directive as ``in_progress``, and the lead unit's report
    of done, newer than the last send-back, as ``awaiting_confirmation``."""
    status = str(directive["status"])
    if status not in ("assigned", "in_progress", "awaiting_confirmation"):
        return status
    if done_report(directive, reports) is not None:
        return "awaiting_confirmation"
    if status == "assigned" and reports:
        return "in_progress"
    return "in_progress" if status == "awaiting_confirmation" else status


def done_report(directive: dict[str, Any], reports: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The lead unit's latest report of done not yet sent back by the issuer, or None."""
    since = directive.get("sent_back_at") or ""
    done = [
        r
        for r in reports
        if r.get("done")
        and r.get("unit") == directive.get("lead_unit")
        and r["reported_at"] > since
    ]
    return max(done, key=lambda r: r["reported_at"]) if done else None


def directive_reports(conn: sqlite3.Connection, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The ``directive_report`` records of each directive in ``ids``, oldest first (every id
    is a key, with an empty list when it has no report)."""
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        where = f"WHERE directive_id IN ({marks}) ORDER BY reported_at"
        for r in select_records(conn, "directive_report", where, chunk):
            out[r["directive_id"]].append(r)
    return out


def decorate_directive(
    directive: dict[str, Any], reports: list[dict[str, Any]], today: date
) -> dict[str, Any]:
    """The directive with its computed ``shown_status`` and ``time_class`` on ``today`` (the
    local date), and their labels; a cancelled directive has no time class."""
    status = shown_status(directive, reports)
    completed = directive.get("completed_at") if status == "done" else None
    klass = (
        None if status == "cancelled" else time_class(directive.get("deadline"), today, completed)
    )
    return {
        **directive,
        "shown_status": status,
        "status_label": STATUS_NAMES[status],
        "time_class": klass,
        "time_class_label": TIME_CLASSES.get(klass or "", "Đã hủy"),
    }


def confirmation_fields(directive: dict[str, Any], confirmed_by: str) -> dict[str, Any]:
    """The fields the issuer writes to confirm completion of ``directive`` (decorated, with
    its ``reports``): done, dated by the lead unit's report of done (now without one)."""
    done = done_report(directive, directive["reports"])
    now = directive_now()
    return {
        "status": "done",
        "completed_at": done["reported_at"] if done else now,
        "confirmed_by": confirmed_by,
        "confirmed_at": now,
    }


def send_back_fields(reason: str) -> dict[str, Any]:
    """The fields the issuer writes to refuse the lead unit's report of done: back to in
    progress, with the reason."""
    return {
        "status": "in_progress",
        "sent_back_at": directive_now(),
        "sent_back_reason": clean_text(reason) or None,
    }


def check_new_deadline(current: str | None, new: str) -> None:
    """Refuse an extension whose ``new`` deadline is not after the ``current`` one
    (:class:`ValidationError` on ``new_deadline``); any date extends a directive without one."""
    if current and new <= current:
        raise ValidationError(
            "Hạn mới phải sau hạn hiện tại.", code="validation_error", field="new_deadline"
        )
