"""A dossier's due dates (ngày hẹn trả), counted in working hours on the office calendar: the
due date on reception (:func:`due_at`), after a supplement (:func:`resumed_due`, the procedure's
``supplement_rule``) and a hand-over's own deadline (:func:`hand_over_deadline`), on the
calendar of working days the ward received from the hub.

docs/domain.md, "Due dates": working hours are 07:00–11:30 and 13:30–17:00; a dossier received after
17:00 starts counting at 07:00 the next working day, one received in the lunch break at 13:30;
Saturdays, Sundays and days off are skipped, make-up working Saturdays are honoured; a same-day
procedure received after its cutoff is due the next working day.

All arithmetic is done in Asia/Ho_Chi_Minh (no daylight saving time) on whole microseconds, so a
result that lands exactly on a period's end stays there (17:00, not 07:00 next morning).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from office import VIETNAM, vn_datetime
from sync import Conflict, ValidationError

from .catalogue import find_procedure
from .rules import iso

__all__ = [
    "LIMIT_UNITS",
    "WorkCalendar",
    "calendar_from_records",
    "due_at",
    "hand_over_deadline",
    "parse_time",
    "resumed_due",
]


LIMIT_UNITS = ("working_days", "working_hours", "calendar_days")

# A calendar with no working day within this many days is a data error (every day marked a
# holiday); stop instead of looping forever.
_MAX_SEARCH_DAYS = 3 * 366


@dataclass(frozen=True)
class WorkCalendar:
    """The office's working time: weekdays minus ``holidays``, plus make-up ``workdays``.

    ``holidays`` and ``workdays`` are local dates; a date in both counts as a working day.
    """

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    morning: tuple[time, time] = (time(7, 0), time(11, 30))
    afternoon: tuple[time, time] = (time(13, 30), time(17, 0))
    tz: ZoneInfo = VIETNAM

    def __post_init__(self) -> None:
        (m_start, m_end), (a_start, a_end) = self.morning, self.afternoon
        if not m_start < m_end <= a_start < a_end:
            raise ValueError(
                f"working periods must be ordered: {self.morning} then {self.afternoon}"
            )

    @property
    def day_length(self) -> timedelta:
        """The length of one working day: 8 hours with the default periods (4.5 + 3.5)."""
        return sum(
            (_span(start, end) for start, end in (self.morning, self.afternoon)), timedelta()
        )

    def is_working_day(self, d: date) -> bool:
        """True for Monday–Friday not in ``holidays``, and for any date in ``workdays``."""
        if d in self.workdays:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        for offset in range(1, _MAX_SEARCH_DAYS + 1):
            candidate = d + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no working day within {_MAX_SEARCH_DAYS} days after {d.isoformat()}")

    def at(self, d: date, t: time) -> datetime:
        """The aware datetime for local date ``d`` at ``t``."""
        return datetime.combine(d, t, tzinfo=self.tz)

    def next_working_start(self, dt: datetime) -> datetime:
        """The first moment at or after ``dt`` inside working hours, in the calendar's zone.

        Periods are half-open: 11:30 moves to 13:30 and 17:00 to 07:00 of the next working day.
        """
        local = self.local(dt)
        d = local.date()
        if self.is_working_day(d):
            for start, end in (self.morning, self.afternoon):
                if local < self.at(d, start):
                    return self.at(d, start)
                if local < self.at(d, end):
                    return local
        return self.at(self.next_working_day(d), self.morning[0])

    def add_working_hours(self, dt: datetime, hours: float) -> datetime:
        """``dt`` plus ``hours`` of working time; counting starts at :meth:`next_working_start`.

        A result exactly at a period's end stays there. Raises ValueError for negative hours.
        """
        if hours < 0:
            raise ValueError(f"working hours must not be negative: {hours}")
        remaining = timedelta(hours=hours)
        current = self.next_working_start(dt)
        while True:
            end = self._period_end(current)
            available = end - current
            if remaining <= available:
                return current + remaining
            remaining -= available
            current = self.next_working_start(end)

    def add_working_days(self, dt: datetime, days: float) -> datetime:
        """``dt`` plus ``days`` working days, a working day being :attr:`day_length` (8 hours)."""
        if days < 0:
            raise ValueError(f"working days must not be negative: {days}")
        return self.add_working_hours(dt, days * self.day_length / timedelta(hours=1))

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        """Working time from ``a`` to ``b`` in hours (negative if ``b`` is before ``a``).

        The inverse of :meth:`add_working_hours`: time outside working periods (nights, lunch
        breaks, weekends, days off) does not count. Used to extend a due date by the working
        time a dossier spent waiting for a supplement (docs/domain.md, "Supplements").
        """
        start, stop = self.local(a), self.local(b)
        if stop < start:
            return -self.working_hours_between(stop, start)
        total = timedelta()
        current = self.next_working_start(start)
        while current < stop:
            end = self._period_end(current)
            total += min(end, stop) - current
            current = self.next_working_start(end)
        return total / timedelta(hours=1)

    def working_days_between(self, a: datetime | date, b: datetime | date) -> int:
        """Working days after ``a``'s date up to and including ``b``'s date (negative if b < a).

        Whole days only, for statistics: same-day times are not weighed.
        """
        start, stop = self._local_date(a), self._local_date(b)
        if stop < start:
            return -self.working_days_between(stop, start)
        days = (stop - start).days
        return sum(1 for i in range(1, days + 1) if self.is_working_day(start + timedelta(i)))

    def local(self, dt: datetime) -> datetime:
        """``dt`` converted to the calendar's zone; naive datetimes are refused."""
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError(f"datetime must be timezone-aware: {dt.isoformat()}")
        return dt.astimezone(self.tz)

    def _local_date(self, value: datetime | date) -> date:
        return self.local(value).date() if isinstance(value, datetime) else value

    def _period_end(self, moment: datetime) -> datetime:
        """End of the working period containing ``moment`` (which must be inside one)."""
        d = moment.date()
        for start, end in (self.morning, self.afternoon):
            if self.at(d, start) <= moment < self.at(d, end):
                return self.at(d, end)
        raise AssertionError(f"{moment.isoformat()} is outside working hours")


def due_at(
    received_at: datetime,
    limit_value: float,
    limit_unit: str,
    same_day_cutoff: str | None,
    cal: WorkCalendar,
) -> datetime:
    """The due date of a dossier received at ``received_at`` under a procedure's time limit.

    ``limit_unit`` is one of :data:`LIMIT_UNITS`:

    - ``working_days`` with ``limit_value == 0`` (same-day procedure): 17:00 of the day of
      reception when received on a working day at or before ``same_day_cutoff`` ("HH:MM"; None
      means the end of the working day), otherwise 17:00 of the next working day. Any other value
      adds ``limit_value`` working days (:meth:`WorkCalendar.add_working_days`).
    - ``working_hours``: adds working hours.
    - ``calendar_days``: the date of reception plus ``limit_value`` days at 17:00, moved to the
      next working day's 17:00 when that date is not a working day.

    Returns an aware datetime in the calendar's zone. Raises ValueError for a naive
    ``received_at``, an unknown unit, a negative limit or a malformed cutoff.
    """
    received = cal.local(received_at)
    if limit_value < 0:
        raise ValueError(f"time limit must not be negative: {limit_value}")
    day_end = cal.afternoon[1]
    if limit_unit == "working_days":
        if limit_value == 0:
            return _same_day_due(received, same_day_cutoff, cal)
        return cal.add_working_days(received, limit_value)
    if limit_unit == "working_hours":
        return cal.add_working_hours(received, limit_value)
    if limit_unit == "calendar_days":
        if limit_value != int(limit_value):
            raise ValueError(f"calendar days must be whole: {limit_value}")
        target = received.date() + timedelta(days=int(limit_value))
        if not cal.is_working_day(target):
            target = cal.next_working_day(target)
        return cal.at(target, day_end)
    raise ValueError(f"unknown time-limit unit {limit_unit!r}; expected one of {LIMIT_UNITS}")


def _same_day_due(received: datetime, cutoff: str | None, cal: WorkCalendar) -> datetime:
    day_end = cal.afternoon[1]
    limit = _parse_cutoff(cutoff) if cutoff else day_end
    d = received.date()
    # "Received after the cutoff" (docs/domain.md, "Due dates"): a dossier received exactly at the
    # cutoff is still due the same day.
    if cal.is_working_day(d) and received.time() <= min(limit, day_end):
        return cal.at(d, day_end)
    return cal.at(cal.next_working_day(d), day_end)


def _parse_cutoff(text: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"same-day cutoff must look like 15:00, got {text!r}") from None


def _span(start: time, end: time) -> timedelta:
    day = date(2000, 1, 3)
    return datetime.combine(day, end) - datetime.combine(day, start)


def calendar_from_records(records: Iterable[dict[str, Any]], **periods: Any) -> WorkCalendar:
    """Build a :class:`WorkCalendar` from the administrator-editable calendar table.

    Each record is ``{"date": "YYYY-MM-DD", "kind": "holiday" | "workday", "deleted": bool|None}``;
    deleted records are ignored. ``periods`` (``morning``, ``afternoon``, ``tz``) pass through to
    the calendar. Raises ValueError for an unknown kind or a malformed date.
    """
    holidays: set[date] = set()
    workdays: set[date] = set()
    for record in records:
        if record.get("deleted"):
            continue
        kind = record.get("kind")
        day = date.fromisoformat(str(record["date"]))
        if kind == "holiday":
            holidays.add(day)
        elif kind == "workday":
            workdays.add(day)
        else:
            raise ValueError(f"calendar record for {day.isoformat()} has unknown kind {kind!r}")
    return WorkCalendar(holidays=frozenset(holidays), workdays=frozenset(workdays), **periods)


def resumed_due(
    conn: sqlite3.Connection, cal: WorkCalendar, dossier: dict[str, Any], resumed: datetime
) -> tuple[str | None, str]:
    """The due date once the citizen has supplied the papers at ``resumed``, and a line for
    the history that keeps the previous one.

    The procedure's ``supplement_rule`` decides (docs/domain.md, "Supplements"): ``extend`` moves the
    due date later by the working hours spent waiting (from ``clock_stopped_at``), and
    ``recompute`` counts the procedure's limit afresh from ``resumed``. A procedure without a
    rule, or no longer in the catalogue, extends.
    """
    old_due = dossier.get("due_at")
    procedure = find_procedure(conn, dossier["procedure_code"])
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
