"""The status machine of a one-stop dossier, as one table: :data:`ACTIONS`.

Each entry is one action: who may do it (the ``dossier.<name>`` rule of ``permissions.py``:
roles, and whether only the dossier's current handler may), from which statuses, to which
status (``None``: the status stays, as for a hand-over or an extension), and a small handler
for what else the action writes. ``Dossiers.act`` (``service.py``) applies an entry: the checks
in order (the action exists, the role, the status, then who holds the dossier), the handler,
then the ``dossier_step`` record and the SMS notice, in one transaction.

Statuses are the national 1–10 list (``rules.py``). A handler fills :class:`Move`: the fields
the dossier record gets, the step's note, deadline and new holder; it raises
:class:`ValidationError` (422, naming the field) or :class:`Conflict` (409) to refuse.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from office import OPEN_STATUSES, VIETNAM, vn_datetime
from sync import Conflict, ValidationError
from webapp import User, get_user

from ..permissions import DESK
from ..store import next_counter
from .deadlines import WorkCalendar, due_at, hand_over_deadline, parse_time, resumed_due
from .rules import RETURN_METHODS, iso


class DossierBook(Protocol):
    """What a handler reads of the dossier operations (``service.Dossiers`` is one): the
    store, a procedure, the calendar of working days. Named here so that the table does not
    import the service that applies it."""

    conn: sqlite3.Connection

    def procedure(self, code: str) -> dict[str, Any]: ...

    def calendar(self) -> WorkCalendar: ...


@dataclass
class Move:
    """One action being applied: what the handler reads, and what it decides."""

    dossiers: DossierBook
    dossier: dict[str, Any]  # as stored before the action
    data: dict[str, Any]  # the request: the action's own fields
    user: User
    at: datetime
    note: str | None
    fields: dict[str, Any] = field(default_factory=dict)  # written to the dossier record
    to_handler: str | None = None  # who holds the dossier after the step, when it changes
    step_deadline: str | None = None  # a hand-over's own deadline

    def hold(self, username: str) -> None:
        """``username`` holds the dossier from this step on (the control slip's next line)."""
        self.fields["handler"] = username
        self.to_handler = username


Handler = Callable[[Move], None]


@dataclass(frozen=True)
class Action:
    """A transition of the status machine."""

    name: str
    label: str
    sources: frozenset[int]
    target: int | None  # None: the status does not change (hand-over, extension)
    apply: Handler | None = field(default=None, compare=False, repr=False)
    # Whether the step's note must be written: the handler refuses an empty one (422), and
    # the dossier's page marks the box required, never "(không bắt buộc)" (issue [11]).
    note_required: bool = False

    @property
    def permission(self) -> str:
        """The rule of ``permissions.py`` that says who may do it."""
        return f"dossier.{self.name}"


def _receive(move: Move) -> None:
    # The receiving officer holds the dossier, but the step hands it to nobody: reception is
    # the control slip's first line, not a hand-over.
    move.fields["handler"] = move.user.username
    # An online dossier (status 1, submitted at the hub) gets its due date on reception,
    # counted from now as at the desk (issue [6], "Citizens").
    procedure = move.dossiers.procedure(move.dossier["procedure_code"])
    due = due_at(
        move.at,
        float(procedure["limit_value"]),
        procedure["limit_unit"],
        procedure.get("same_day_cutoff"),
        move.dossiers.calendar(),
    )
    move.fields["due_at"] = iso(due)
    # In the book of the year it was received in, as the register (Form 07) lists it.
    received = datetime.fromisoformat(move.dossier["received_at"])
    move.fields["register_number"] = next_register_number(move.dossiers.conn, received)


def _refuse(move: Move) -> None:
    # A refused online dossier is a line of the register too (Form 07 lists it).
    received = datetime.fromisoformat(move.dossier["received_at"])
    move.fields["register_number"] = next_register_number(move.dossiers.conn, received)


def next_register_number(conn: sqlite3.Connection, at: datetime) -> int:
    """The next line of the ward's register book (Form 07) for a dossier received at ``at``:
    one book a year (its "quyển số"), numbered from 1, in-person and online dossiers alike,
    given at reception and printed on the receipt (Form 01; docs/domain.md, "Register book").
    The caller holds the transaction."""
    return next_counter(conn, f"register:{at.astimezone(VIETNAM).year}")


def _start(move: Move) -> None:
    # Who takes the dossier into processing holds it from now on (the control slip's current
    # step), until a hand-over.
    if move.dossier.get("handler") != move.user.username:
        move.hold(move.user.username)


def _hand_over(move: Move) -> None:
    handler = str(move.data.get("to_handler") or "").strip()
    if not handler:
        raise ValidationError("Hãy chọn người nhận bàn giao.", field="to_handler")
    if get_user(move.dossiers.conn, handler) is None:
        raise ValidationError(
            f"Không có cán bộ '{handler}' ở phường; hãy chọn trong danh sách.",
            field="to_handler",
        )
    move.hold(handler)
    move.step_deadline = hand_over_deadline(move.dossiers.calendar(), move.data, move.at)


def _request_supplement(move: Move) -> None:
    # Once per dossier, listing every missing paper (docs/domain.md, "Supplements").
    if _count_steps(move.dossiers.conn, move.dossier["id"], "request_supplement"):
        raise Conflict(
            "Hồ sơ này đã được yêu cầu bổ sung một lần; mỗi hồ sơ chỉ được yêu cầu "
            "bổ sung một lần. Hãy tiếp tục xử lý với giấy tờ đã có.",
            code="supplement_already_requested",
        )
    if not move.note:
        raise ValidationError(
            "Hãy ghi đủ mọi giấy tờ còn thiếu mà công dân cần bổ sung.", field="note"
        )
    move.fields["clock_stopped_at"] = iso(move.at)


def _supplement_received(move: Move) -> None:
    conn, calendar = move.dossiers.conn, move.dossiers.calendar()
    new_due, history = resumed_due(conn, calendar, move.dossier, move.at)
    move.fields.update(due_at=new_due, clock_stopped_at=None)
    move.note = f"{move.note}. {history}" if move.note else history


def _extend(move: Move) -> None:
    new_due = parse_time(move.data.get("new_due_at"), "new_due_at")
    due = move.dossier["due_at"]
    if iso(new_due) <= due:
        raise ValidationError(
            f"Ngày hẹn mới phải sau ngày hẹn hiện tại ({vn_datetime(due)}).",
            field="new_due_at",
        )
    if not move.note:
        raise ValidationError("Gia hạn cần ghi lý do xin lỗi.", field="note")
    move.fields["due_at"] = iso(new_due)
    if not move.dossier.get("original_due_at"):
        move.fields["original_due_at"] = due


def _complete(move: Move) -> None:
    move.fields["completed_at"] = iso(move.at)
    # The result goes back to the desk (the control slip): the officer who received the dossier holds
    # it for the return.
    receiver = _receiver(move.dossiers.conn, move.dossier["id"])
    if receiver and receiver != move.dossier.get("handler"):
        move.hold(receiver)


def _return(move: Move) -> None:
    method = move.data.get("return_method") or "in_person"
    if method not in RETURN_METHODS:
        raise ValidationError(
            "Hình thức trả kết quả phải là in_person, postal hoặc electronic.",
            field="return_method",
        )
    move.fields.update(returned_at=iso(move.at), return_method=method)


ACTIONS = {
    a.name: a
    for a in (
        Action("receive", "Tiếp nhận", frozenset({1}), 2, _receive),
        Action("refuse", "Từ chối tiếp nhận", frozenset({1}), 3, _refuse),
        Action("start", "Bắt đầu xử lý", frozenset({2}), 4, _start),
        Action("hand_over", "Chuyển bước xử lý", frozenset({4}), None, _hand_over),
        Action(
            "request_supplement",
            "Yêu cầu bổ sung",
            frozenset({4}),
            5,
            _request_supplement,
            note_required=True,  # which papers: docs/domain.md, "Supplements"
        ),
        Action("supplement_received", "Đã nhận bổ sung", frozenset({5}), 4, _supplement_received),
        Action("request_payment", "Yêu cầu nộp phí/nghĩa vụ tài chính", frozenset({4}), 6),
        Action("payment_received", "Đã nộp nghĩa vụ tài chính", frozenset({6}), 4),
        Action("withdraw", "Công dân rút hồ sơ", OPEN_STATUSES, 7),
        Action("stop", "Dừng xử lý", frozenset({4}), 8),
        Action(
            "extend",
            "Gia hạn (thư xin lỗi)",
            frozenset({4, 5, 6}),
            None,
            _extend,
            note_required=True,  # the apology's reason (Form 04)
        ),
        Action("complete", "Đã xử lý xong", frozenset({4}), 9, _complete),
        Action("return", "Trả kết quả", frozenset({9}), 10, _return),
    )
}


def _receiver(conn: sqlite3.Connection, dossier_id: str) -> str | None:
    """The active desk account that received the dossier (its step to status 2)."""
    row = conn.execute(
        "SELECT actor FROM dossier_step WHERE dossier_id = ? AND to_status = 2 "
        "ORDER BY at, id LIMIT 1",
        (dossier_id,),
    ).fetchone()
    found = get_user(conn, row[0]) if row else None
    return found.username if found is not None and found.role in DESK else None


def _count_steps(conn: sqlite3.Connection, dossier_id: str, action: str) -> int:
    row = conn.execute(
        "SELECT count(*) FROM dossier_step WHERE dossier_id = ? AND action = ?",
        (dossier_id, action),
    ).fetchone()
    return int(row[0])
