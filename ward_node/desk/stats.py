"""Statistics of one-stop dossiers for a period, and their CSV and Excel exports.

docs/domain.md, "Statistics": dossiers carried over from the previous period, received
(by channel), resolved early / on time / late (by date, not timestamp), in progress within or past
the deadline, withdrawn, awaiting a supplement; on-time rate = (early + on time) / resolved,
online rate = online / received.

How a dossier counts, from its step history (the status at a moment is the ``to_status`` of its
last step before that moment):

- it is *accepted* when a step first moves it to status 2; an online dossier still at 1, or
  refused (1 → 3), never enters the figures;
- *carried over* when accepted before the period and still open (2, 4, 5, 6) when it begins;
  *received* when accepted within the period, counted by channel;
- each of those is then classed by its status when the period ends: 9 or 10 *resolved*, 5
  *awaiting supplement*, 7 *withdrawn*, 8 *stopped*, 2, 4 or 6 *in progress*. So carried over +
  received = resolved + in progress + awaiting supplement + withdrawn + stopped;
- lateness compares local dates against the ORIGINAL due date when an apology letter moved it
  ("Keep the original due date beside the new one, so statistics still see the lateness"):
  resolved on an earlier date is early, on the due date on time, later late (resolution is the
  step that moved the dossier to 9, else ``completed_at``); a dossier in progress is past its
  deadline when its due date is before the period's last day (or before today, for a period
  that has not ended).

Pure: no Flask, no SQL; the caller loads dossiers and steps (``queries.for_statistics``).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from office import VIETNAM
from webapp import csv_bytes, xlsx_append

__all__ = ["Line", "PeriodStats", "compute", "lines", "percent_text", "to_csv", "to_xlsx"]

WORKING = frozenset({2, 4, 5, 6})  # accepted and not closed
RESOLVED = frozenset({9, 10})
CHANNEL_KEYS = {
    "in_person": "received_in_person",
    "online": "received_online",
    "postal": "received_postal",
}

Record = Mapping[str, Any]


@dataclass(frozen=True)
class PeriodStats:
    """The figures of the local dates ``first`` to ``last`` inclusive."""

    first: date
    last: date
    carried_over: int = 0
    received_in_person: int = 0
    received_online: int = 0
    received_postal: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    in_progress_within: int = 0
    in_progress_late: int = 0
    awaiting_supplement: int = 0
    withdrawn: int = 0
    stopped: int = 0

    @property
    def received(self) -> int:
        """Accepted within the period, all channels."""
        return self.received_in_person + self.received_online + self.received_postal

    @property
    def total(self) -> int:
        """The period's workload: carried over + received."""
        return self.carried_over + self.received

    @property
    def resolved(self) -> int:
        """Reached status 9 or 10 within the period."""
        return self.early + self.on_time + self.late

    @property
    def in_progress(self) -> int:
        """Still in status 2, 4 or 6 at the end of the period."""
        return self.in_progress_within + self.in_progress_late

    @property
    def on_time_rate(self) -> float | None:
        """(early + on time) / resolved, between 0 and 1; ``None`` when nothing was resolved."""
        return (self.early + self.on_time) / self.resolved if self.resolved else None

    @property
    def online_rate(self) -> float | None:
        """online / received, between 0 and 1; ``None`` when nothing was received."""
        return self.received_online / self.received if self.received else None


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _day(value: Any) -> date | None:
    found = _moment(value)
    return found.astimezone(VIETNAM).date() if found else None


def _accepted_at(dossier: Record, history: list[Record]) -> datetime | None:
    for step in history:
        if step["to_status"] == 2:
            return _moment(step["at"])
    # A dossier known without its history (none synced yet) counts from its reception time,
    # unless it was never accepted.
    if not history and int(dossier["status"]) not in (1, 3):
        return _moment(dossier["received_at"])
    return None


def _status_at(dossier: Record, history: list[Record], when: datetime) -> int:
    status = None
    for step in history:
        if (_moment(step["at"]) or when) >= when:
            break
        status = int(step["to_status"])
    if status is None:  # accepted before ``when`` but no step known before it
        return int(dossier["status"]) if not history else 2
    return status


def _resolved_at(dossier: Record, history: list[Record]) -> Any:
    for target, field in ((9, "completed_at"), (10, "returned_at")):
        for step in history:
            if step["to_status"] == target:
                return step["at"]
        if dossier.get(field):
            return dossier[field]
    return None


def _timeliness(done: date | None, due: date | None) -> str:
    if due is None or done is None or done == due:
        return "on_time"
    return "early" if done < due else "late"


def compute(
    dossiers: Iterable[Record],
    steps: Iterable[Record],
    first: date,
    last: date,
    *,
    now: datetime,
) -> PeriodStats:
    """The statistics of local dates ``first``–``last`` (inclusive) as seen at ``now``.

    ``dossiers`` are dossier records, ``steps`` the ``dossier_step`` records of (at least) those
    dossiers, in any order. Raises ValueError when ``last`` is before ``first``.
    """
    if last < first:
        raise ValueError(f"the period ends ({last}) before it starts ({first})")
    start = datetime.combine(first, time(0), tzinfo=VIETNAM)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=VIETNAM)
    as_of = min(last, now.astimezone(VIETNAM).date())
    histories: dict[str, list[Record]] = {}
    for step in sorted(steps, key=lambda s: (_moment(s["at"]), s["id"])):
        histories.setdefault(step["dossier_id"], []).append(step)
    counts: Counter[str] = Counter()
    for dossier in dossiers:
        history = histories.get(dossier["id"], [])
        accepted = _accepted_at(dossier, history)
        if accepted is None or accepted >= end:
            continue
        if accepted < start:
            if _status_at(dossier, history, start) not in WORKING:
                continue
            counts["carried_over"] += 1
        else:
            counts[CHANNEL_KEYS.get(dossier.get("channel") or "", "received_in_person")] += 1
        status = _status_at(dossier, history, end)
        due = _day(dossier.get("original_due_at") or dossier.get("due_at"))
        if status in RESOLVED:
            counts[_timeliness(_day(_resolved_at(dossier, history)), due)] += 1
        elif status == 5:
            counts["awaiting_supplement"] += 1
        elif status == 7:
            counts["withdrawn"] += 1
        elif status == 8:
            counts["stopped"] += 1
        elif due is not None and due < as_of:
            counts["in_progress_late"] += 1
        else:
            counts["in_progress_within"] += 1
    return PeriodStats(first, last, **counts)


# -- the figures as lines, for the page, CSV and Excel -------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of the statistics table: ``indent`` 1 for a "of which" line."""

    key: str
    label: str
    value: int | float | None
    indent: int = 0
    percent: bool = False


def lines(stats: PeriodStats) -> list[Line]:
    """The statistics in the order of the printed report."""
    s = stats
    return [
        Line("carried_over", "Kỳ trước chuyển sang", s.carried_over),
        Line("received", "Mới tiếp nhận trong kỳ", s.received),
        Line("received_in_person", "Trực tiếp", s.received_in_person, 1),
        Line("received_online", "Trực tuyến", s.received_online, 1),
        Line("received_postal", "Qua bưu chính công ích", s.received_postal, 1),
        Line("total", "Tổng số hồ sơ phải giải quyết", s.total),
        Line("resolved", "Đã giải quyết", s.resolved),
        Line("early", "Trước hạn", s.early, 1),
        Line("on_time", "Đúng hạn", s.on_time, 1),
        Line("late", "Quá hạn", s.late, 1),
        Line("in_progress", "Đang giải quyết", s.in_progress),
        Line("in_progress_within", "Trong hạn", s.in_progress_within, 1),
        Line("in_progress_late", "Quá hạn", s.in_progress_late, 1),
        Line("awaiting_supplement", "Chờ bổ sung giấy tờ", s.awaiting_supplement),
        Line("withdrawn", "Công dân rút hồ sơ", s.withdrawn),
        Line("stopped", "Dừng xử lý", s.stopped),
        Line("on_time_rate", "Tỷ lệ giải quyết đúng hạn", s.on_time_rate, percent=True),
        Line("online_rate", "Tỷ lệ tiếp nhận trực tuyến", s.online_rate, percent=True),
    ]


def percent_text(value: float | None) -> str:
    """``0.857`` → ``"85,7 %"`` (Vietnamese decimal comma); ``"—"`` for ``None``."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}".replace(".", ",") + " %"


def _title(stats: PeriodStats) -> str:
    return f"Thống kê hồ sơ một cửa từ ngày {stats.first:%d/%m/%Y} đến ngày {stats.last:%d/%m/%Y}"


def to_csv(stats: PeriodStats, unit_name: str) -> bytes:
    """The statistics as CSV in UTF-8 with a byte-order mark, so Excel reads the Vietnamese."""
    rows: list[list[Any]] = [[unit_name], [_title(stats)], [], ["Chỉ tiêu", "Số hồ sơ"]]
    for line in lines(stats):
        # An en dash marks a sub-line: a hyphen would start a formula in Excel.
        label = ("– " if line.indent else "") + line.label
        value = percent_text(line.value) if line.percent else line.value
        rows.append([label, value])
    return csv_bytes(rows)


def to_xlsx(stats: PeriodStats, unit_name: str) -> bytes:
    """The statistics as an Excel workbook (.xlsx), rates as numbers in percent format."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Thống kê"
    xlsx_append(sheet, [unit_name])
    xlsx_append(sheet, [_title(stats)])
    sheet.append([])
    xlsx_append(sheet, ["Chỉ tiêu", "Số hồ sơ"])
    sheet["A1"].font = Font(bold=True)
    sheet["A2"].font = Font(bold=True, size=13)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for line in lines(stats):
        xlsx_append(sheet, [line.label, line.value])
        row = sheet.max_row
        sheet.cell(row, 1).alignment = Alignment(indent=2 * line.indent)
        if line.indent == 0:
            sheet.cell(row, 1).font = Font(bold=True)
        if line.percent:
            sheet.cell(row, 2).number_format = "0.0%"
    sheet.column_dimensions["A"].width = 42
    sheet.column_dimensions["B"].width = 14
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
