"""The due dates a dossier's steps move: the due date after a supplement (the procedure's
``supplement_rule``, docs/domain.md "Supplements") and a hand-over's own deadline, on the calendar
of working days the ward received from the hub."""

from __future__ import annotations

import math
import sqlite3
from datetime import datetime
from typing import Any

from office import vn_datetime
from sync import Conflict, ValidationError, select_records

from .deadlines import VIETNAM, WorkCalendar, due_at
from .dossier_rules import iso


def resumed_due(
    conn: sqlite3.Connection, cal: WorkCalendar, dossier: dict[str, Any], resumed: datetime
) -> tuple[str | None, str]:
    """The due date once the citizen has supplied the papers at ``resumed``, and a line for
    the history that keeps the previous one.

    The procedure's ``supplement_rule`` decides (docs/domain.md, "Supplements"): ``extend`` moves
    the due date later by the working hours spent waiting (from ``clock_stopped_at``), and
    ``recompute`` counts the procedure's limit afresh from ``resumed``. A procedure without a
    rule, or no longer in the catalogue, extends.
    """
    old_due = dossier.get("due_at")
    found = select_records(
        conn,
        "procedure",
        "WHERE code = ? ORDER BY active DESC",
        (dossier["procedure_code"],),
    )
    procedure = found[0] if found else None
    if procedure and procedure.get("supplement_rule") == "recompute":
        new_due: datetime | None = due_at(
            resumed,
            float(procedure["limit_value"]),
            procedure["limit_unit"],
            procedure.get("same_day_cutoff"),
            cal,
        )
        how = "tính lại từ lúc nhận đủ bổ sung"
    else:
        stopped = dossier.get("clock_stopped_at") or _last_request_at(conn, dossier["id"])
        waited = cal.working_hours_between(parse_time(stopped, "clock_stopped_at"), resumed)
        waited = max(waited, 0.0)
        new_due = parse_time(old_due, "due_at") if old_due else None
        if new_due is not None and waited > 0:
            new_due = cal.add_working_hours(new_due, waited)
        how = f"cộng {round(waited, 2):g} giờ làm việc chờ bổ sung"
    before = vn_datetime(old_due) if old_due else "chưa có"
    after = vn_datetime(iso(new_due)) if new_due else "chưa có"
    history = f"Hạn trả trước khi bổ sung: {before}; hạn trả mới: {after} ({how})."
    return (iso(new_due) if new_due else None), history


def _last_request_at(conn: sqlite3.Connection, dossier_id: str) -> str:
    # Dossiers stopped before clock_stopped_at existed: the request step's own time.
    row = conn.execute(
        "SELECT max(at) FROM dossier_step WHERE dossier_id = ? AND action = ?",
        (dossier_id, "request_supplement"),
    ).fetchone()
    if not row or not row[0]:
        raise Conflict(
            "Không tìm thấy thời điểm yêu cầu bổ sung của hồ sơ này.", code="clock_not_stopped"
        )
    return str(row[0])


def hand_over_deadline(cal: WorkCalendar, data: dict[str, Any], at: datetime) -> str | None:
    """A hand-over's own deadline: ``step_deadline`` (ISO time) or ``step_days`` (working
    days counted from ``at`` on the calendar); ``None`` when neither is given."""
    raw, days = data.get("step_deadline"), data.get("step_days")
    if raw in (None, "") and days in (None, ""):
        return None
    if raw not in (None, "") and days not in (None, ""):
        raise ValidationError(
            "Chỉ gửi một trong hai: step_deadline (thời điểm) hoặc step_days (số ngày làm việc).",
            field="step_deadline",
        )
    if raw not in (None, ""):
        deadline = parse_time(raw, "step_deadline")
        field = "step_deadline"
    else:
        try:
            count = float(days) if not isinstance(days, bool) else math.nan
        except (TypeError, ValueError):
            count = math.nan
        if not (math.isfinite(count) and count > 0):
            raise ValidationError(
                "Số ngày làm việc của bước phải là một số dương.", field="step_days"
            )
        deadline = cal.add_working_days(at, count)
        field = "step_days"
    if deadline <= at:
        raise ValidationError("Hạn của bước phải sau thời điểm bàn giao.", field=field)
    return iso(deadline)


def parse_time(value: Any, field: str) -> datetime:
    """An ISO 8601 time from a request (local Huế time when it has no offset)."""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(
            "Thời điểm phải theo ISO 8601, ví dụ 2026-12-02T17:00:00+07:00.", field=field
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VIETNAM)
    return parsed
