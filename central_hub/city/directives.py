"""The city's directives (docs/architecture.md "HTTP surfaces"; issue [4]): the rules shared by
the JSON API (``directives_api.py``) and the console's pages (``console/directives.py``).

The city (the hub's unit, H57) issues a directive to a lead unit and coordinating units; it
reaches them by its addressee list, and their progress reports come back as the wards' own
``directive_report`` records. The city confirms completion, sends a report of done back, or
extends the deadline, always writing its own records through the hub's write path. The time
class and the shown status are the wards' rule (``office/directives.py``).

Every function works on the request's store (``web.db()``) and takes the acting ``User``
(the API's bearer, the console's session user), recorded as the writer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from office import (
    TIME_CLASSES,
    VIETNAM,
    check_new_deadline,
    confirmation_fields,
    decorate_directive,
    directive_now,
    directive_reports,
    send_back_fields,
)
from sync import Conflict, NotFound, ValidationError, Write, clean_text, new_id, validate
from webapp import User

from ..store import capture
from ..web import db, records, state

MOVES = {"pause": "paused", "resume": "in_progress", "cancel": "cancelled"}


def _reports(ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    return directive_reports(db(), ids)


def _decorate(directive: dict[str, Any], reports: list[dict[str, Any]]) -> dict[str, Any]:
    return decorate_directive(directive, reports, datetime.now(VIETNAM).date())


def _actor(user: User | None) -> tuple[str, str]:
    return (user.username, user.full_name or user.username) if user else ("admin", "admin")


def directive(directive_id: str) -> dict[str, Any]:
    """One directive, decorated (shown status, time class), with the units' ``reports`` and
    its ``extensions``; :class:`NotFound` when unknown."""
    found = records("directive", "WHERE id = ?", (directive_id,))
    if not found:
        raise NotFound("Không tìm thấy ý kiến chỉ đạo này.", code="not_found")
    reports = _reports([directive_id])[directive_id]
    out = _decorate(found[0], reports)
    out["reports"] = reports
    out["extensions"] = records(
        "directive_extension", "WHERE directive_id = ? ORDER BY approved_at", (directive_id,)
    )
    return out


def directives(
    unit: str | None = None, klass: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """Every directive (the city's and the wards' own), newest first, decorated; filtered by
    ``unit`` (an addressee), time class and shown status when given."""
    rows = records("directive", "ORDER BY issued_on DESC, id DESC")
    reports = _reports([d["id"] for d in rows])
    items = [_decorate(d, reports[d["id"]]) for d in rows]
    if unit:
        items = [d for d in items if unit in d["units"]]
    if klass:
        items = [d for d in items if d["time_class"] == klass]
    if status:
        items = [d for d in items if d["shown_status"] == status]
    return items


def dashboard() -> dict[str, dict[str, int]]:
    """Per lead unit, how many directives are in each time class (cancelled ones aside)."""
    rows = records("directive")
    reports = _reports([d["id"] for d in rows])
    units: dict[str, dict[str, int]] = {}
    for d in rows:
        klass = _decorate(d, reports[d["id"]])["time_class"]
        if klass is not None:
            counts = units.setdefault(d["lead_unit"], {k: 0 for k in TIME_CLASSES})
            counts[klass] += 1
    return dict(sorted(units.items()))


def issue(body: Any, user: User | None) -> dict[str, Any]:
    """Issue a directive ``{"title", "content", "lead_unit", "units", "deadline"}``; the lead
    unit is one of ``units`` (added when missing). Raises :class:`ValidationError`."""
    body = _json(body)
    username, name = _actor(user)
    lead = body.get("lead_unit")
    units = body.get("units") or []
    if isinstance(units, list) and isinstance(lead, str) and lead not in units:
        units = [lead, *units]
    record = {
        "id": new_id(),
        "unit": state().unit,
        "source_kind": body.get("source_kind") or None,
        "source": body.get("source") or None,
        "title": clean_text(str(body.get("title") or "")),
        "content": clean_text(str(body.get("content") or "")),
        "issued_by": clean_text(str(body.get("issued_by") or name)),
        "issued_on": body.get("issued_on") or datetime.now(VIETNAM).date().isoformat(),
        "lead_unit": lead,
        "units": units,
        "deadline": body.get("deadline") or None,
        "priority": body.get("priority") or "normal",
        "status": "assigned",
        "created_by": username,
    }
    validate("directive", record)
    capture(db()).write("directive", record["id"], record["unit"], record, actor=username)
    return directive(record["id"])


def _city_open(directive_id: str, *, awaiting: bool = False) -> dict[str, Any]:
    """A directive of the city's, still open (and awaiting confirmation if asked); 409 else."""
    found = directive(directive_id)
    if found["unit"] != state().unit:
        raise Conflict(
            "Ý kiến chỉ đạo này do phường ban hành; chỉ phường đó xác nhận hoặc gia hạn.",
            code="not_issuer",
        )
    status = found["shown_status"]
    if status in ("done", "cancelled") or (awaiting and status != "awaiting_confirmation"):
        raise Conflict(
            f"Không thể làm việc này khi ý kiến chỉ đạo ở trạng thái '{found['status_label']}'.",
            code="action_not_allowed",
        )
    return found


def confirm(directive_id: str, user: User | None) -> dict[str, Any]:
    """Confirm completion, dated by the lead unit's report of done; :class:`Conflict` when
    the directive is not the city's or is closed."""
    found = _city_open(directive_id)
    username, name = _actor(user)
    fields = confirmation_fields(found, name)
    capture(db()).write("directive", directive_id, found["unit"], fields, actor=username)
    return directive(directive_id)


def change_status(directive_id: str, move: str, note: Any, user: User | None) -> dict[str, Any]:
    """Pause, resume or cancel (``move``) a city directive with ``note`` (docs/domain.md
    "Directives"). :class:`Conflict` when the directive is done or cancelled, when resuming
    one not paused, or pausing one paused; :class:`ValidationError` to cancel without a note."""
    found = _city_open(directive_id)
    paused = found["status"] == "paused"
    if (move == "resume") != paused:
        raise Conflict(
            "Chỉ tiếp tục được ý kiến chỉ đạo đang tạm dừng."
            if move == "resume"
            else "Ý kiến chỉ đạo đang tạm dừng; hãy tiếp tục hoặc hủy.",
            code="action_not_allowed",
        )
    username, _name = _actor(user)
    text = clean_text(str(note or "")) or None
    if move == "cancel" and not text:
        raise ValidationError("Hủy ý kiến chỉ đạo cần ghi lý do.", field="note")
    capture(db()).write(
        "directive",
        directive_id,
        found["unit"],
        {"status": MOVES[move], "status_note": text},
        actor=username,
    )
    return directive(directive_id)


def _json(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationError(
            "Nội dung gửi lên phải là JSON (Content-Type: application/json).",
            code="bad_json",
            field="body",
        )
    return body


def send_back(directive_id: str, body: Any, user: User | None) -> dict[str, Any]:
    """Refuse the lead unit's report of done ``{"reason"}``: back to in progress."""
    found = _city_open(directive_id, awaiting=True)
    username, _name = _actor(user)
    fields = send_back_fields(str(_json(body).get("reason") or ""))
    capture(db()).write("directive", directive_id, found["unit"], fields, actor=username)
    return directive(directive_id)


def extend(directive_id: str, body: Any, user: User | None) -> dict[str, Any]:
    """Extend the deadline ``{"new_deadline", "reason", "approver"?}``: an extension record
    (old date, new date, reason, approver) and the directive's new deadline, in one write.
    :class:`ValidationError` unless the new date is after the current one."""
    found = _city_open(directive_id)
    body = _json(body)
    username, name = _actor(user)
    extension = {
        "id": new_id(),
        "unit": found["unit"],
        "directive_id": directive_id,
        "old_deadline": found["deadline"],
        "new_deadline": str(body.get("new_deadline") or ""),
        "reason": clean_text(str(body.get("reason") or "")),
        "approver": clean_text(str(body.get("approver") or name)),
        "approved_at": directive_now(),
    }
    validate("directive_extension", extension)
    check_new_deadline(found["deadline"], extension["new_deadline"])
    capture(db()).write_many(
        [
            Write("directive_extension", extension["id"], found["unit"], extension),
            Write(
                "directive", directive_id, found["unit"], {"deadline": extension["new_deadline"]}
            ),
        ],
        actor=username,
    )
    return directive(directive_id)
