"""The ward's directive pages: the list with time class badges and the ward's dashboard,
one directive with its reports and the report form, the issuer's answers, and the leader's
form to issue a directive (issue [4]).

The form posts to :meth:`Directives.issue`, as ``POST /api/v1/directives`` does; only the
page reads dates as dd/mm/yyyy and refuses a deadline already past."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from office import TIME_CLASSES, form_day
from sync import SyncError, ValidationError, fold, get_meta, labels, select_records

from .. import conflicts
from ..documents import DocumentReader
from ..dossiers import staff
from ..permissions import TASK_HANDLERS, may
from ..web import db, require, signed_in, state
from .service import ISSUERS, PRIORITY_NAMES, Directives, today

bp = Blueprint("directives", __name__, url_prefix="/directives")


def _directives() -> Directives:
    return Directives(db(), state().clock, get_meta(db(), "unit"))


def _unit_names() -> dict[str, str]:
    names = {"H57": "UBND thành phố Huế"}
    for unit in select_records(db(), "unit"):
        names[str(unit["code"])] = str(unit["name"])
    return names


@bp.get("")
@require()
def index() -> str:
    """Directives of the ward, filtered by time class, under the ward's dashboard."""
    ops = _directives()
    chosen = request.args.get("time_class") or None
    mine = request.args.get("giao") == "toi"
    user = signed_in()
    return render_template(
        "directives/list.html",
        items=ops.list(
            chosen if chosen in TIME_CLASSES else None,
            assigned_to=user.username if mine and user else None,
        ),
        mine=mine,
        dashboard=ops.dashboard(),
        chosen=chosen,
        unit=ops.unit,
        TIME_CLASSES=TIME_CLASSES,
        unit_names=_unit_names(),
        may_issue=may(signed_in(), "directive.issue"),
    )


SOURCE_KINDS = labels("directive", "source_kind")
UNIT_GROUPS = (("ward", "Các phường"), ("other", "Thành phố, các phòng, ban và đơn vị sự nghiệp"))


def unit_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The units a leader may address (:meth:`DocumentReader.addressees`: every other unit
    valid today), as (title, [(code, name)]) groups, wards first, each in name order."""
    kinds = {u["code"]: u.get("kind") for u in select_records(db(), "unit")}
    offered = sorted(
        DocumentReader(db(), state().clock).addressees(), key=lambda u: fold(u[1]).lower()
    )
    return [
        (title, [u for u in offered if (kinds.get(u[0]) == "ward") == (group == "ward")])
        for group, title in UNIT_GROUPS
    ]


def _issue_body(form: Any) -> dict[str, Any]:
    """The body for :meth:`Directives.issue` from the form; refuses what the page checks."""
    if not form.get("title", "").strip():
        raise ValidationError("Nhập trích yếu (tên) của nhiệm vụ.", field="title")
    if not form.get("content", "").strip():
        raise ValidationError("Nhập nội dung chỉ đạo.", field="content")
    if not form.get("lead_unit"):
        raise ValidationError("Chọn đơn vị chủ trì thực hiện.", field="lead_unit")
    deadline = form_day(form.get("deadline", ""), "deadline", "Hạn xử lý")
    if deadline is not None and deadline < today():
        raise ValidationError(
            f"Hạn xử lý {deadline:%d/%m/%Y} đã qua; chọn một ngày từ hôm nay "
            f"({today():%d/%m/%Y}) trở đi, hoặc để trống nếu không có hạn.",
            field="deadline",
        )
    return {
        "title": form.get("title", ""),
        "content": form.get("content", ""),
        "lead_unit": form.get("lead_unit"),
        "units": form.getlist("units"),
        "deadline": deadline.isoformat() if deadline else None,
        "priority": form.get("priority") or "normal",
        "source_kind": form.get("source_kind") or None,
        "source": form.get("source", "").strip() or None,
        "lead_person": form.get("lead_person") or None,
        "persons": form.getlist("persons"),
    }


@bp.route("/new", methods=["GET", "POST"])
@require(*ISSUERS)
def new() -> Any:
    """The leader's form to issue a directive; the form again, as typed, when refused."""
    ops = _directives()
    error = None
    if request.method == "POST":
        try:
            directive = ops.issue(_issue_body(request.form), signed_in())
        except SyncError as exc:
            error = exc
        else:
            flash(f"Đã giao nhiệm vụ “{directive['title']}”.", "ok")
            return redirect(url_for("directives.detail", directive_id=directive["id"]))
    return render_template(
        "directives/new.html",
        form=request.form,
        error=error,
        invalid=(error.details.get("field") if error else None) or "",
        unit=ops.unit,
        unit_name=get_meta(db(), "unit_name", ""),
        groups=unit_groups(),
        staff=[p for p in staff(db()) if p["role"] in TASK_HANDLERS],
        priorities=PRIORITY_NAMES,
        source_kinds=SOURCE_KINDS,
    ), (422 if error else 200)


@bp.get("/<directive_id>")
@require()
def detail(directive_id: str) -> str:
    """One directive: facts, reports, extensions, and the forms the ward may use."""
    ops = _directives()
    directive = ops.get(directive_id, signed_in())
    open_conflicts = conflicts.open_on(
        db(),
        [("directive", directive)] + [("directive_report", r) for r in directive["reports"]],
    )
    return render_template(
        "directives/detail.html",
        d=directive,
        unit=ops.unit,
        PRIORITY_NAMES=PRIORITY_NAMES,
        unit_names=_unit_names(),
        is_issuer_role=may(signed_in(), "directive.confirm"),
        conflicts=open_conflicts,
        conflicted=conflicts.fields_in_conflict(open_conflicts),
    )


ACTION_DONE = {
    "report": "Đã gửi báo cáo tiến độ.",
    "confirm": "Đã xác nhận hoàn thành.",
    "send_back": "Đã trả lại, yêu cầu tiếp tục thực hiện.",
    "extend": "Đã gia hạn.",
}


@bp.post("/<directive_id>")
@require()
def act(directive_id: str) -> Response:
    """A form post on the directive page: a report, or the issuer's answer."""
    ops = _directives()
    action = request.form.get("action", "")
    user = signed_in()
    try:
        if action == "report":
            form: dict[str, Any] = {
                "percent": (request.form.get("percent") or "").strip() or None,
                "content": request.form.get("content", ""),
                "done": request.form.get("done") == "1",
            }
            ops.report(directive_id, form, user)
        elif action in ("confirm", "send_back", "extend"):  # the domain checks the role
            if action == "confirm":
                ops.confirm(directive_id, user)
            elif action == "send_back":
                ops.send_back(directive_id, request.form.get("reason", ""), user)
            else:
                new = form_day(request.form.get("new_deadline", ""), "new_deadline", "Hạn mới")
                if new is None:
                    raise ValidationError(
                        "Nhập hạn mới theo dạng dd/mm/yyyy, ví dụ 31/12/2026.",
                        field="new_deadline",
                    )
                body = {"new_deadline": new.isoformat(), "reason": request.form.get("reason", "")}
                ops.extend(directive_id, body, user)
        else:
            flash("Không thực hiện được việc này.", "error")
            return redirect(url_for("directives.detail", directive_id=directive_id))
    except SyncError as exc:
        flash(exc.message, "error")
    else:
        flash(ACTION_DONE[action], "ok")
    return redirect(url_for("directives.detail", directive_id=directive_id))
