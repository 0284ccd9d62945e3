"""The "Chỉ đạo" tab of the console's "Điều hành" section (``/console/dieu-hanh/chi-dao``):
the city's directives with their time class per unit, a directive's progress reports from
each unit, and the city's actions on it (issue, confirm done, send back, extend the deadline,
pause, resume, cancel).

Every action calls :mod:`central_hub.city.directives`, as ``/api/v1/directives`` does, acting as
the console's user. A refused action shows the page again with the message and what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from office import TIME_CLASSES, form_day
from sync import NotFound, ValidationError, labels

from ..city import directives
from ..files import blob_store, file_response
from ..store import records
from ..web import console_blueprint, console_user, db, login_required, state, unit_names
from .work import chosen_units, current_units, today

bp = console_blueprint("console_directives", __name__, "/console/dieu-hanh/chi-dao")

MOVES = {"tam-dung": "pause", "tiep-tuc": "resume", "huy": "cancel"}
DONE_MESSAGES = {
    "confirm": "Đã xác nhận hoàn thành ý kiến chỉ đạo.",
    "send_back": "Đã trả lại báo cáo hoàn thành; đơn vị chủ trì tiếp tục thực hiện.",
    "extend": "Đã gia hạn ý kiến chỉ đạo.",
    "pause": "Đã tạm dừng ý kiến chỉ đạo.",
    "resume": "Đã cho tiếp tục ý kiến chỉ đạo.",
    "cancel": "Đã hủy ý kiến chỉ đạo.",
}


def _attachments(report_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The files attached to the reports, by report."""
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in report_ids}
    if not report_ids:
        return out
    for record in records.report_attachments(db(), report_ids):
        record["here"] = blob_store().has(record["sha256"])
        out[record["parent_id"]].append(record)
    return out


@bp.get("")
@login_required()
def directives_list() -> Any:
    """Every directive, filtered by unit, shown status and time class, under the count of
    each lead unit's directives per time class."""
    unit = request.args.get("unit") or None
    status = request.args.get("status") or None
    klass = request.args.get("time_class") or None
    if status and status not in labels("directive", "status"):
        raise ValidationError("Trạng thái không hợp lệ; hãy chọn trong danh sách.")
    if klass and klass not in TIME_CLASSES:
        raise ValidationError("Loại thời hạn không hợp lệ; hãy chọn trong danh sách.")
    return render_template(
        "console/work_directives.html",
        items=directives.directives(unit, klass, status),
        dashboard=directives.dashboard(),
        units=current_units(),
        names=unit_names(),
        statuses=labels("directive", "status"),
        time_classes=TIME_CLASSES,
        chosen={"unit": unit or "", "status": status or "", "time_class": klass or ""},
        city=state().unit,
    )


def _issue_form(form: MultiDict[str, str] | None, error: ValidationError | None = None) -> Any:
    return render_template(
        "console/work_directive_form.html",
        form=form or MultiDict(),
        error=error.message if error else None,
        invalid=error.details.get("field") if error else None,
        units=current_units(),
        priorities=labels("directive", "priority"),
    ), (400 if error else 200)


@bp.get("/moi")
@login_required("admin")
def new_directive() -> Any:
    """The form to issue a directive."""
    return _issue_form(None)


@bp.post("/moi")
@login_required("admin")
def issue() -> Any:
    """Issue the directive (``directives.issue``); the form again, as typed, when refused."""
    form = request.form
    try:
        if not form.get("title", "").strip():
            raise ValidationError("Nhập trích yếu (tên) của ý kiến chỉ đạo.", field="title")
        if not form.get("content", "").strip():
            raise ValidationError("Nhập nội dung chỉ đạo.", field="content")
        lead = form.get("lead_unit", "")
        if not lead:
            raise ValidationError("Hãy chọn đơn vị chủ trì.", field="lead_unit")
        units = chosen_units(MultiDict([("units", u) for u in [lead, *form.getlist("units")]]))
        deadline = form_day(form.get("deadline", ""), "deadline", "Hạn hoàn thành")
        if deadline is not None and deadline < today():
            raise ValidationError(
                "Hạn hoàn thành đã qua; hãy chọn một ngày từ hôm nay trở đi.", field="deadline"
            )
        found = directives.issue(
            {
                "title": form["title"],
                "content": form["content"],
                "lead_unit": lead,
                "units": units,
                "deadline": deadline.isoformat() if deadline else None,
                "priority": form.get("priority") or "normal",
            },
            console_user(),
        )
    except ValidationError as exc:
        return _issue_form(form, exc)
    flash("Đã ban hành ý kiến chỉ đạo; các đơn vị nhận được ở lần đồng bộ tới.", "ok")
    return redirect(url_for("console_directives.directive", directive_id=found["id"]))


def _page(directive_id: str, error: str | None = None, failed: str = "") -> Any:
    found = directives.directive(directive_id)
    return render_template(
        "console/work_directive.html",
        item=found,
        files=_attachments([r["id"] for r in found["reports"]]),
        names=unit_names(),
        priorities=labels("directive", "priority"),
        error=error,
        failed=failed,
        city=state().unit,
        form=request.form if error else MultiDict(),
    ), (400 if error else 200)


@bp.get("/<directive_id>")
@login_required()
def directive(directive_id: str) -> Any:
    """One directive: its fields, the units' progress reports, its extensions, the actions."""
    return _page(directive_id)


def _act(directive_id: str, name: str, action: Callable[[], Any]) -> Any:
    try:
        action()
    except ValidationError as exc:
        return _page(directive_id, exc.message, name)
    flash(DONE_MESSAGES[name], "ok")
    return redirect(url_for("console_directives.directive", directive_id=directive_id))


@bp.post("/<directive_id>/xac-nhan")
@login_required("admin")
def confirm(directive_id: str) -> Any:
    """Confirm the directive done."""
    return _act(directive_id, "confirm", lambda: directives.confirm(directive_id, console_user()))


@bp.post("/<directive_id>/tra-lai")
@login_required("admin")
def send_back(directive_id: str) -> Any:
    """Send the lead unit's report of done back, with a reason."""

    def act() -> Any:
        reason = request.form.get("reason", "").strip()
        if not reason:
            raise ValidationError("Ghi lý do trả lại để đơn vị biết cần làm tiếp gì.")
        return directives.send_back(directive_id, {"reason": reason}, console_user())

    return _act(directive_id, "send_back", act)


@bp.post("/<directive_id>/gia-han")
@login_required("admin")
def extend(directive_id: str) -> Any:
    """Extend the deadline to a new date (``dd/mm/yyyy``), with a reason."""

    def act() -> Any:
        new = form_day(request.form.get("new_deadline", ""), "new_deadline", "Hạn mới")
        if new is None:
            raise ValidationError("Nhập hạn mới theo dạng ngày/tháng/năm, ví dụ 05/12/2026.")
        if new < today():
            raise ValidationError("Hạn mới đã qua; hãy chọn một ngày từ hôm nay trở đi.")
        reason = request.form.get("reason", "").strip()
        if not reason:
            raise ValidationError("Ghi lý do gia hạn.")
        body = {"new_deadline": new.isoformat(), "reason": reason}
        return directives.extend(directive_id, body, console_user())

    return _act(directive_id, "extend", act)


@bp.post("/<directive_id>/<any('tam-dung', 'tiep-tuc', 'huy'):move>")
@login_required("admin")
def change_status(directive_id: str, move: str) -> Any:
    """Pause, resume or cancel, with a reason (not needed to resume) and a ticked
    confirmation (the units see the change at their next sync)."""
    name = MOVES[move]

    def act() -> Any:
        note = request.form.get("note", "").strip()
        if name != "resume" and not note:
            raise ValidationError("Ghi lý do tạm dừng hoặc hủy.")
        if not request.form.get("confirm"):
            raise ValidationError("Hãy đánh dấu ô xác nhận trước khi bấm nút.")
        return directives.change_status(directive_id, name, note, console_user())

    return _act(directive_id, name, act)


@bp.get("/tep/<sha256>")
@login_required("admin")
def attachment(sha256: str) -> Any:
    """A file attached to a unit's progress report, once the hub has it (admins only, as
    ``GET /api/v1/attachments/{sha256}``)."""
    found = records.report_attachment(db(), sha256)
    if found is None or not blob_store().has(sha256):
        raise NotFound("Máy chủ trung tâm chưa có tệp đính kèm này; hãy thử lại sau khi đồng bộ.")
    return file_response(sha256, found["name"], download=True)
