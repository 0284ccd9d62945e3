"""Overdue dossiers across the city, as the hub holds them after sync.

The rule is the ward's, written once in ``office/dossier_time.py``: a dossier is overdue while
its clock runs and its due time is past; the queries, in ``store/records.py``, use its SQL
fragment (``office.OVERDUE_SQL``). Here: the list as a table and its exports.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from office import VIETNAM
from sync import labels
from webapp import csv_bytes, xlsx_append

from ..store.records import overdue_counts, overdue_dossiers

__all__ = [
    "OverdueLine",
    "overdue_counts",
    "overdue_dossiers",
    "overdue_lines",
    "to_csv",
    "to_xlsx",
]


# -- the city's overdue list as a table and its exports (console, /console/thong-ke/qua-han) --

HEADERS = (
    "Mã hồ sơ",
    "Mã đơn vị",
    "Đơn vị",
    "Thủ tục",
    "Người nộp",
    "Trạng thái",
    "Hạn giải quyết",
    "Số ngày quá hạn",
    "Người xử lý",
)


@dataclass(frozen=True)
class OverdueLine:
    """One overdue dossier as the city's list shows it. Only the applicant's name is kept of
    their personal data: an administrator chasing a late dossier needs no ID number or phone."""

    code: str
    unit: str
    unit_name: str
    procedure: str
    applicant: str
    status: str
    due: datetime  # local time in Huế
    days_late: int
    handler: str

    @property
    def due_text(self) -> str:
        """The due time as ``dd/mm/yyyy HH:MM``, Huế time."""
        return f"{self.due:%d/%m/%Y %H:%M}"


def overdue_lines(
    dossiers: Iterable[dict[str, Any]], unit_names: dict[str, str]
) -> list[OverdueLine]:
    """The decoded records of :func:`overdue_dossiers` as table lines, in the same order."""
    statuses = labels("dossier", "status")
    lines = []
    for d in dossiers:
        due = datetime.fromisoformat(str(d["due_at"]))
        if due.tzinfo is None:
            due = due.replace(tzinfo=UTC)
        lines.append(
            OverdueLine(
                code=str(d["code"]),
                unit=str(d["unit"]),
                unit_name=unit_names.get(str(d["unit"]), ""),
                procedure=str(d.get("procedure_name") or d.get("procedure_code") or ""),
                applicant=str((d.get("applicant") or {}).get("full_name") or ""),
                status=statuses.get(int(d["status"]), str(d["status"])),
                due=due.astimezone(VIETNAM),
                days_late=int(d["days_late"]),
                handler=str(d.get("handler") or ""),
            )
        )
    return lines


def _title(at: datetime) -> str:
    return f"Hồ sơ quá hạn lúc {at.astimezone(VIETNAM):%H:%M ngày %d/%m/%Y}"


def _cells(line: OverdueLine) -> list[Any]:
    return [
        line.code,
        line.unit,
        line.unit_name,
        line.procedure,
        line.applicant,
        line.status,
        line.due_text,
        line.days_late,
        line.handler,
    ]


def to_csv(lines: list[OverdueLine], at: datetime) -> bytes:
    """The list as CSV in UTF-8 with a BOM (so Excel reads the Vietnamese)."""
    return csv_bytes(
        [[_title(at)], HEADERS, *(_cells(line) for line in lines)], lineterminator="\r\n"
    )


def to_xlsx(lines: list[OverdueLine], at: datetime) -> bytes:
    """The list as an Excel workbook; the due time is a real date-time cell (Huế time)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Quá hạn"
    xlsx_append(sheet, [_title(at)])
    xlsx_append(sheet, list(HEADERS))
    for line in lines:
        cells = _cells(line)
        cells[6] = line.due.replace(tzinfo=None)  # Excel has no time zones
        xlsx_append(sheet, cells)
        sheet.cell(row=sheet.max_row, column=7).number_format = "dd/mm/yyyy hh:mm"
    for column, width in zip("ABCDEFGHI", (22, 10, 28, 36, 24, 20, 17, 10, 14), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
