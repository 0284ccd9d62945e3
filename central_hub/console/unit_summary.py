"""A unit's page in the console, summary first (issue [11]): in a few sentences, how each of its
nodes stands and when it last made contact, what waits (at the hub for the node, at the node
for the hub, for an upgrade, for a person: conflicts, overdue dossiers), and the refusals of
the last day in words, by reason; the sync log comes below, a page at a time
(docs/operations.md, "A unit's page")."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from flask import url_for

from office import vn_datetime
from sync import ValidationError

from ..store import conflicts as stored_conflicts
from ..store import sync_history
from ..web import db

LOG_PAGE = 25  # rows of the sync log a page
DAY = 24 * 3600
CONFLICTS_SHOWN = 100  # counted up to, then "hơn 100"
# A refusal's detail is "<code>: <message>" (store/sync_history.py); the summary says the words.
CODE_PREFIX = re.compile(r"^[a-z][a-z0-9_]*: ")
LOG_CURSOR = re.compile(r"[1-9][0-9]{0,17}")  # a row id: fits PostgreSQL's bigint


class BadLogPage(ValidationError):
    """A sync log page's ``truoc`` that is not a row id (edited or cut short): 400."""

    status = 400


@dataclass
class Line:
    """One sentence of the summary: ``level`` ``ok``, ``warn`` or ``error`` (shown with a mark
    and a word, not colour alone), an optional link."""

    level: str
    text: str
    link: str | None = None
    link_text: str | None = None


@dataclass
class Summary:
    """The summary of a unit: the worst level of its lines, and the lines by topic."""

    nodes: list[Line] = field(default_factory=list)
    waiting: list[Line] = field(default_factory=list)
    errors: list[Line] = field(default_factory=list)

    @property
    def level(self) -> str:
        levels = {line.level for line in self.nodes + self.waiting + self.errors}
        return "error" if "error" in levels else "warn" if "warn" in levels else "ok"


def _count(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _node_lines(rows: list[dict[str, Any]]) -> list[Line]:
    if not rows:
        return [Line("warn", "Đơn vị chưa có nút nào đăng ký đồng bộ.")]
    lines = []
    for n in rows:
        level = {"synced": "ok", "behind": "warn", "never": "warn"}.get(n["state"], "error")
        text = f"Nút {n['node_id']}: {n['state_text'].lower()}"
        if n["state"] != "never":
            text += f", liên lạc lần cuối {n['last_seen']}"
        if n.get("state_detail"):
            text += f". Lỗi: {CODE_PREFIX.sub('', n['state_detail']).rstrip('. ')}"
        if n.get("clock_warning"):
            text += f". Đồng hồ của nút lệch {n['clock_offset']} so với máy chủ"
            level = "error" if level == "error" else "warn"
        if n.get("release") == "ahead" or n.get("release") == "behind":
            text += f". Phần mềm {n['software']}: {n['release_note']}"
        lines.append(Line(level, text + "."))
    return lines


def _waiting_lines(unit: str, rows: list[dict[str, Any]], quarantined: int) -> list[Line]:
    lines = []
    for n in rows:
        if n["status"] != "active":
            continue
        if n["waiting"]:
            lines.append(
                Line(
                    "warn" if n["state"] != "synced" else "ok",
                    f"Máy chủ có {_count(n['waiting'])} thay đổi chờ nút {n['node_id']} nhận về.",
                )
            )
        if n["pending"] not in ("—", "Chưa báo"):
            note = f" {n['pending_note']}" if n["pending_note"] else ""
            lines.append(
                Line(
                    "warn",
                    f"Nút {n['node_id']} báo còn thay đổi chưa gửi lên: {n['pending']}{note}.",
                )
            )
        if n["upgrade_waiting"]:
            lines.append(
                Line(
                    "warn",
                    f"{_count(n['upgrade_waiting'])} thay đổi chờ nút {n['node_id']} nâng cấp "
                    "phần mềm.",
                    "#cho-nang-cap",
                    "Xem chi tiết",
                )
            )
    if quarantined:
        lines.append(
            Line(
                "warn",
                f"{_count(quarantined)} thay đổi bị gác lại, không áp dụng.",
                "#gac-lai",
                "Xem chi tiết",
            )
        )
    found, _next = stored_conflicts.list_conflicts(
        db(), state="open", unit=unit, limit=CONFLICTS_SHOWN
    )
    if found:
        many = "hơn " if len(found) >= CONFLICTS_SHOWN else ""
        lines.append(
            Line(
                "warn",
                f"{many}{len(found)} xung đột dữ liệu đang chờ quyết định.",
                url_for("console_conflicts.inbox", unit=unit),
                "Mở hộp xung đột",
            )
        )
    overdue = max((int(n.get("overdue") or 0) for n in rows), default=0)
    if overdue:
        lines.append(
            Line(
                "warn",
                f"{_count(overdue)} hồ sơ của đơn vị đang quá hạn.",
                url_for("console_stats.overdue", unit=unit),
                "Xem danh sách",
            )
        )
    if not lines:
        lines.append(Line("ok", "Không có gì đang chờ: máy chủ và các nút đã trao đổi hết."))
    return lines


def _error_lines(unit: str, now: float) -> list[Line]:
    refusals = sync_history.refusals_since(db(), unit, now - DAY)
    if not refusals:
        return [Line("ok", "Không có yêu cầu nào bị từ chối trong 24 giờ qua.")]
    total = sum(r["count"] for r in refusals)
    lines = [Line("error", f"{_count(total)} yêu cầu bị từ chối trong 24 giờ qua:")]
    for r in refusals[:5]:
        reason = CODE_PREFIX.sub("", r["detail"]).rstrip(". ") or "không ghi lý do"
        lines.append(
            Line(
                "error",
                f"{_count(r['count'])} lần: {reason} (gần nhất lúc {vn_datetime(r['last_at'])}).",
            )
        )
    if len(refusals) > 5:
        lines.append(Line("error", f"và {len(refusals) - 5} lý do khác, xem nhật ký bên dưới."))
    return lines


def unit_summary(
    unit: str, rows: list[dict[str, Any]], quarantined: int, now: float | None = None
) -> Summary:
    """The summary of ``unit`` from its nodes' dashboard ``rows``
    (:func:`central_hub.console.unit_state.unit_rows`) and its count of quarantined changes."""
    now = time.time() if now is None else now
    return Summary(
        nodes=_node_lines(rows),
        waiting=_waiting_lines(unit, rows, quarantined),
        errors=_error_lines(unit, now),
    )


def log_page(unit: str, before: str | None) -> tuple[list[Any], int | None]:
    """One page of the unit's sync log (rows older than the id ``before``, newest first) and
    the id to ask for the next page (None on the last). Raises :class:`BadLogPage` when
    ``before`` is not empty and not a row id (a positive whole number)."""
    if before and not LOG_CURSOR.fullmatch(before):
        raise BadLogPage(
            "Địa chỉ trang nhật ký đồng bộ không hợp lệ (có thể đã bị sửa hoặc cắt mất một "
            "phần). Hãy mở lại trang của đơn vị và dùng nút “Cũ hơn” dưới nhật ký.",
            field="truoc",
        )
    start = int(before) if before else None
    rows = sync_history.sync_events(db(), unit, LOG_PAGE + 1, start)
    more = len(rows) > LOG_PAGE
    rows = rows[:LOG_PAGE]
    return rows, (int(rows[-1]["id"]) if more and rows else None)
