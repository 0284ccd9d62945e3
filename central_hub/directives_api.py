"""The city's directives (``/api/v1/directives``, CONTRACT.md "Central hub"; issue [4]).

The city (the hub's unit, H57) issues a directive to a lead unit and coordinating units; it
reaches them by its addressee list, and their progress reports come back as the wards' own
``directive_report`` records. The city confirms completion, sends a report of done back, or
extends the deadline, always writing its own records through the hub's write path. The time
class and the shown status use the same rule as the wards (``sync.time_class``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, request

from sync import (
    TIME_CLASSES,
    Conflict,
    NotFound,
    Replica,
    ValidationError,
    Write,
    clean_text,
    done_report,
    labels,
    new_id,
    record_type,
    shown_status,
    time_class,
    validate,
)

from .setup import capture
from .web import current_user, db, page_args, require, state

bp = Blueprint("directives_api", __name__, url_prefix="/api/v1/directives")

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _rows(type_name: str, where: str = "", params: Any = ()) -> list[dict[str, Any]]:
    rtype = record_type(type_name)
    sql = f"SELECT {', '.join(rtype.fields)} FROM {type_name} {where}"
    return [Replica.decode(rtype, r) for r in db().execute(sql, params).fetchall()]


def _reports(ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        where = f"WHERE directive_id IN ({marks}) ORDER BY reported_at"
        for r in _rows("directive_report", where, chunk):
            out[r["directive_id"]].append(r)
    return out


def _decorate(directive: dict[str, Any], reports: list[dict[str, Any]]) -> dict[str, Any]:
    status = shown_status(directive, reports)
    completed = directive.get("completed_at") if status == "done" else None
    today = datetime.now(VIETNAM).date()
    klass = None if status == "cancelled" else time_class(directive["deadline"], today, completed)
    return {
        **directive,
        "shown_status": status,
        "status_label": labels("directive", "status")[status],
        "time_class": klass,
        "time_class_label": TIME_CLASSES.get(klass or "", "Đã hủy"),
    }


def _one(directive_id: str) -> dict[str, Any]:
    found = _rows("directive", "WHERE id = ?", (directive_id,))
    if not found:
        raise NotFound("Không tìm thấy ý kiến chỉ đạo này.", code="not_found")
    reports = _reports([directive_id])[directive_id]
    out = _decorate(found[0], reports)
    out["reports"] = reports
    out["extensions"] = _rows(
        "directive_extension", "WHERE directive_id = ? ORDER BY approved_at", (directive_id,)
    )
    return out


def _actor() -> tuple[str, str]:
    user = current_user()
    return (user.username, user.full_name or user.username) if user else ("admin", "admin")


def _city_open(directive_id: str, *, awaiting: bool = False) -> dict[str, Any]:
    """A directive of the city's, still open (and awaiting confirmation if asked); 409 else."""
    directive = _one(directive_id)
    if directive["unit"] != state().unit:
        raise Conflict(
            "Ý kiến chỉ đạo này do phường ban hành; chỉ phường đó xác nhận hoặc gia hạn.",
            code="not_issuer",
        )
    status = directive["shown_status"]
    if status in ("done", "cancelled") or (awaiting and status != "awaiting_confirmation"):
        raise Conflict(
            f"Không thể làm việc này khi ý kiến chỉ đạo ở trạng thái "
            f"'{directive['status_label']}'.",
            code="action_not_allowed",
        )
    return directive


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError(
            "Nội dung gửi lên phải là JSON (Content-Type: application/json).",
            code="bad_json",
            field="body",
        )
    return body


@bp.post("")
@require("admin")
def issue() -> tuple[Response, int]:
    """Issue a directive ``{"title", "content", "lead_unit", "units", "deadline"}``; the lead
    unit is one of ``units`` (added when missing)."""
    body = _body()
    username, name = _actor()
    lead = body.get("lead_unit")
    units = body.get("units") or []
    if isinstance(units, list) and isinstance(lead, str) and lead not in units:
        units = [lead, *units]
    directive = {
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
    validate("directive", directive)
    capture(db()).write("directive", directive["id"], directive["unit"], directive, actor=username)
    return jsonify(_one(directive["id"])), 201


@bp.get("")
@require()
def list_directives() -> Response:
    """Every directive (the city's and the wards' own), filtered by ``unit`` (an addressee)
    and ``time_class``."""
    limit, _cursor = page_args()
    rows = _rows("directive", "ORDER BY issued_on DESC, id DESC")
    reports = _reports([d["id"] for d in rows])
    items = [_decorate(d, reports[d["id"]]) for d in rows]
    if unit := request.args.get("unit"):
        items = [d for d in items if unit in d["units"]]
    if klass := request.args.get("time_class"):
        items = [d for d in items if d["time_class"] == klass]
    return jsonify({"items": items[:limit], "next_cursor": None})


@bp.get("/dashboard")
@require()
def dashboard() -> Response:
    """The city's dashboard: per lead unit, how many directives are in each time class."""
    rows = _rows("directive")
    reports = _reports([d["id"] for d in rows])
    units: dict[str, dict[str, int]] = {}
    for d in rows:
        klass = _decorate(d, reports[d["id"]])["time_class"]
        if klass is not None:
            counts = units.setdefault(d["lead_unit"], {k: 0 for k in TIME_CLASSES})
            counts[klass] += 1
    return jsonify(
        {
            "time_classes": TIME_CLASSES,
            "items": [{"unit": u, "counts": c} for u, c in sorted(units.items())],
        }
    )


@bp.get("/<directive_id>")
@require()
def get_directive(directive_id: str) -> Response:
    """One directive with the units' reports and its extensions."""
    return jsonify(_one(directive_id))


@bp.post("/<directive_id>/confirm")
@require("admin")
def confirm(directive_id: str) -> Response:
    """Confirm completion, dated by the lead unit's report of done."""
    directive = _city_open(directive_id)
    username, name = _actor()
    done = done_report(directive, directive["reports"])
    now = _now()
    fields = {
        "status": "done",
        "completed_at": done["reported_at"] if done else now,
        "confirmed_by": name,
        "confirmed_at": now,
    }
    capture(db()).write("directive", directive_id, directive["unit"], fields, actor=username)
    return jsonify(_one(directive_id))


@bp.post("/<directive_id>/<any(pause, resume, cancel):move>")
@require("admin")
def change_status(directive_id: str, move: str) -> Response:
    """Pause, resume or cancel a city directive ``{"note"}`` (DOMAIN.md "Directives":
    assigned, in progress, awaiting confirmation, done, paused, cancelled). 409 when the
    directive is done or cancelled, when resuming one not paused, or pausing one paused."""
    directive = _city_open(directive_id)
    paused = directive["status"] == "paused"
    if (move == "resume") != paused:
        raise Conflict(
            "Chỉ tiếp tục được ý kiến chỉ đạo đang tạm dừng."
            if move == "resume"
            else "Ý kiến chỉ đạo đang tạm dừng; hãy tiếp tục hoặc hủy.",
            code="action_not_allowed",
        )
    username, _name = _actor()
    target = {"pause": "paused", "resume": "in_progress", "cancel": "cancelled"}[move]
    body = request.get_json(silent=True)
    note = clean_text(str((body if isinstance(body, dict) else {}).get("note") or "")) or None
    if move == "cancel" and not note:
        raise ValidationError("Hủy ý kiến chỉ đạo cần ghi lý do.", field="note")
    capture(db()).write(
        "directive",
        directive_id,
        directive["unit"],
        {"status": target, "status_note": note},
        actor=username,
    )
    return jsonify(_one(directive_id))


@bp.post("/<directive_id>/send-back")
@require("admin")
def send_back(directive_id: str) -> Response:
    """Refuse the lead unit's report of done ``{"reason"}``: back to in progress."""
    directive = _city_open(directive_id, awaiting=True)
    username, _name = _actor()
    fields = {
        "status": "in_progress",
        "sent_back_at": _now(),
        "sent_back_reason": clean_text(str(_body().get("reason") or "")) or None,
    }
    capture(db()).write("directive", directive_id, directive["unit"], fields, actor=username)
    return jsonify(_one(directive_id))


@bp.post("/<directive_id>/extensions")
@require("admin")
def extend(directive_id: str) -> tuple[Response, int]:
    """Extend the deadline ``{"new_deadline", "reason"}``: an extension record (old date, new
    date, reason, approver) and the directive's new deadline, in one write."""
    directive = _city_open(directive_id)
    body = _body()
    username, name = _actor()
    extension = {
        "id": new_id(),
        "unit": directive["unit"],
        "directive_id": directive_id,
        "old_deadline": directive["deadline"],
        "new_deadline": str(body.get("new_deadline") or ""),
        "reason": clean_text(str(body.get("reason") or "")),
        "approver": clean_text(str(body.get("approver") or name)),
        "approved_at": _now(),
    }
    validate("directive_extension", extension)
    if directive["deadline"] and extension["new_deadline"] <= directive["deadline"]:
        raise ValidationError(
            "Hạn mới phải sau hạn hiện tại.", code="validation_error", field="new_deadline"
        )
    capture(db()).write_many(
        [
            Write("directive_extension", extension["id"], directive["unit"], extension),
            Write(
                "directive",
                directive_id,
                directive["unit"],
                {"deadline": extension["new_deadline"]},
            ),
        ],
        actor=username,
    )
    return jsonify(_one(directive_id)), 201
