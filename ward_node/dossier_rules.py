"""The rules of one-stop dossiers, apart from the code that applies them: the national
statuses 1–10, the status machine's transitions, channels and return methods, and how times
are stored. Which statuses are open, which have their clock running and when a dossier is
overdue are the office's rule, shared with the hub (``office/dossier_time.py``).

Statuses are the national 1–10 list (DOMAIN.md, "Statuses"); each transition is allowed only
from the statuses in :data:`ACTIONS`. Who may do it (role and assignment) is in
``permissions.py``, one table for the pages, the API and the domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from office import OPEN_STATUSES
from sync import labels

STATUS_NAMES = labels("dossier", "status")  # the national 1–10 list (schemas/dossier.json)
CHANNELS = labels("dossier", "channel")
RETURN_METHODS = labels("dossier", "return_method")


@dataclass(frozen=True)
class Action:
    """A transition of the status machine."""

    name: str
    label: str
    sources: frozenset[int]
    target: int | None  # None: the status does not change (hand-over, extension)


ACTIONS = {
    a.name: a
    for a in (
        Action("receive", "Tiếp nhận", frozenset({1}), 2),
        Action("refuse", "Từ chối tiếp nhận", frozenset({1}), 3),
        Action("start", "Bắt đầu xử lý", frozenset({2}), 4),
        Action("hand_over", "Chuyển bước xử lý", frozenset({4}), None),
        Action("request_supplement", "Yêu cầu bổ sung", frozenset({4}), 5),
        Action("supplement_received", "Đã nhận bổ sung", frozenset({5}), 4),
        Action("request_payment", "Yêu cầu nộp phí/nghĩa vụ tài chính", frozenset({4}), 6),
        Action("payment_received", "Đã nộp nghĩa vụ tài chính", frozenset({6}), 4),
        Action("withdraw", "Công dân rút hồ sơ", OPEN_STATUSES, 7),
        Action("stop", "Dừng xử lý", frozenset({4}), 8),
        Action("extend", "Gia hạn (thư xin lỗi)", frozenset({4, 5, 6}), None),
        Action("complete", "Đã xử lý xong", frozenset({4}), 9),
        Action("return", "Trả kết quả", frozenset({9}), 10),
    )
}

EDITABLE_APPLICANT = ("phone", "address", "email")
# A ward numbers its own dossiers 0001-5000 a day; 5001-9999 are the hub's, for dossiers
# submitted online (central_hub/submit.py), so the two counters never collide.
LAST_DESK_NUMBER = 5000


def now_utc() -> datetime:
    """Now, aware, in UTC (times are stored in UTC, DESIGN.md "Operations")."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(dt: datetime) -> str:
    """An aware datetime as stored: ISO 8601 in UTC with offset."""
    return dt.astimezone(UTC).isoformat(timespec="seconds")
