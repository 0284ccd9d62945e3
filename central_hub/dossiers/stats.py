"""City-wide statistics of a period, per ward, and their CSV and Excel exports.

docs/domain.md, "Statistics", reduced to what the city compares across wards:

- *received*: dossiers whose reception date falls in the period, except online ones never
  accepted (still status 1, or refused: 3);
- *resolved*: dossiers whose resolution date falls in the period; the resolution is the step
  that moved the dossier to 9, else its ``completed_at`` (status 9 or 10);
- *on time*: resolved on or before the ORIGINAL due date when an apology letter moved it, else
  ``due_at`` (early and on time together), compared by local date, not timestamp; a dossier
  without a due date counts as on time;
- *on-time rate* = on time / resolved;
- *overdue open*: dossiers accepted and still in progress (their clock runs,
  ``office.CLOCK_RUNNING``, and they are not the never-accepted status 1) whose due date is
  before the period's last day, or before today for a period not yet over.

Directive completion per lead unit counts done / open / overdue with :func:`sync.time_class`.

Pure: no Flask; the caller passes the rows (dicts) it loaded.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from office import CLOCK_RUNNING, VIETNAM, time_class
from webapp import csv_bytes, xlsx_append

__all__ = [
    "DirectiveLine",
    "WardLine",
    "directive_lines",
    "to_csv",
    "to_xlsx",
    "ward_lines",
]

RESOLVED = frozenset({9, 10})
NEVER_ACCEPTED = frozenset({1, 3})
IN_PROGRESS = CLOCK_RUNNING - NEVER_ACCEPTED  # 2, 4 and 6
HEADERS = (
    "Hạng",
    "Đơn vị",
    "Tiếp nhận",
    "Đã giải quyết",
    "Đúng hạn",
    "Tỷ lệ đúng hạn (%)",
    "Quá hạn đang xử lý",
)

Record = Mapping[str, Any]


@dataclass(frozen=True)
class WardLine:
    """One ward's figures for the period."""

    unit: str
    received: int = 0
    resolved: int = 0
    on_time: int = 0
    overdue_open: int = 0

    @property
    def on_time_rate(self) -> float | None:
        """on time / resolved, between 0 and 1; ``None`` when nothing was resolved."""
        return self.on_time / self.resolved if self.resolved else None


@dataclass(frozen=True)
class DirectiveLine:
    """One lead unit's directives: done, open, and open past the deadline."""

    unit: str
    done: int = 0
    open: int = 0
    overdue: int = 0


def _day(value: Any) -> date | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    if len(str(value)) <= 10:
        return moment.date()
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(VIETNAM).date()


def _resolved_on(dossier: Record, steps: list[Record]) -> date | None:
    for step in sorted(steps, key=lambda s: str(s["at"])):
        if step["to_status"] == 9:
            return _day(step["at"])
    if int(dossier["status"]) in RESOLVED:
        return _day(dossier.get("completed_at"))
    return None


def ward_lines(
    dossiers: Iterable[Record],
    steps: Iterable[Record],
    first: date,
    last: date,
    today: date,
    units: Iterable[str] = (),
) -> list[WardLine]:
    """Each ward's figures for the local dates ``first`` to ``last`` inclusive, ranked by
    on-time rate (highest first; wards that resolved nothing last), then by code.
    ``units`` lists wards to show even without a dossier."""
    by_dossier: dict[str, list[Record]] = {}
    for step in steps:
        by_dossier.setdefault(str(step["dossier_id"]), []).append(step)
    counts: dict[str, dict[str, int]] = {u: {} for u in units}
    cutoff = min(last, today)
    for d in dossiers:
        figures = counts.setdefault(str(d["unit"]), {})
        status = int(d["status"])
        due = _day(d.get("original_due_at") or d.get("due_at"))
        received = _day(d["received_at"])
        if status not in NEVER_ACCEPTED and received and first <= received <= last:
            figures["received"] = figures.get("received", 0) + 1
        done = _resolved_on(d, by_dossier.get(str(d["id"]), []))
        if done and first <= done <= last:
            figures["resolved"] = figures.get("resolved", 0) + 1
            if due is None or done <= due:
                figures["on_time"] = figures.get("on_time", 0) + 1
        if status in IN_PROGRESS and due is not None and due < cutoff:
            figures["overdue_open"] = figures.get("overdue_open", 0) + 1
    lines = [WardLine(unit, **figures) for unit, figures in counts.items()]
    return sorted(
        lines,
        key=lambda w: (w.on_time_rate is None, -(w.on_time_rate or 0), -w.resolved, w.unit),
    )


def directive_lines(directives: Iterable[Record], today: date) -> list[DirectiveLine]:
    """Directive completion per lead unit (cancelled directives left out), by unit code."""
    counts: dict[str, dict[str, int]] = {}
    for d in directives:
        if d["status"] == "cancelled":
            continue
        figures = counts.setdefault(str(d["lead_unit"]), {})
        if d["status"] == "done":
            figures["done"] = figures.get("done", 0) + 1
            continue
        figures["open"] = figures.get("open", 0) + 1
        if time_class(d.get("deadline"), today) == "overdue":
            figures["overdue"] = figures.get("overdue", 0) + 1
    return [DirectiveLine(unit, **counts[unit]) for unit in sorted(counts)]


def percent_text(rate: float | None) -> str:
    """A rate as Vietnamese text with one decimal (``87,5``); ``""`` when there is none."""
    return "" if rate is None else f"{rate * 100:.1f}".replace(".", ",")


def _rows(lines: list[WardLine]) -> list[list[Any]]:
    return [
        [
            rank,
            w.unit,
            w.received,
            w.resolved,
            w.on_time,
            None if w.on_time_rate is None else round(w.on_time_rate * 100, 1),
            w.overdue_open,
        ]
        for rank, w in enumerate(lines, start=1)
    ]


def to_csv(lines: list[WardLine], first: date, last: date) -> bytes:
    """The ranked table as CSV in UTF-8 with a BOM (so Excel reads the Vietnamese)."""
    title = [f"Thống kê từ {first:%d/%m/%Y} đến {last:%d/%m/%Y}"]
    return csv_bytes([title, HEADERS, *_rows(lines)], lineterminator="\r\n")


def to_xlsx(lines: list[WardLine], first: date, last: date) -> bytes:
    """The ranked table as an Excel workbook."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Thống kê"
    xlsx_append(sheet, [f"Thống kê từ {first:%d/%m/%Y} đến {last:%d/%m/%Y}"])
    xlsx_append(sheet, list(HEADERS))
    for row in _rows(lines):
        xlsx_append(sheet, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
