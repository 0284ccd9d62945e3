"""The ward's directive pages: the list with time class badges and the ward's dashboard,
one directive with its reports and the report form, and the issuer's answers (issue [4])."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from sync import TIME_CLASSES, SyncError, User, get_meta, select_records

from .directives import PRIORITY_NAMES, Directives
from .web import current_user, db, require, state

bp = Blueprint("directives", __name__, url_prefix="/directives")


def _directives() -> Directives:
    return Directives(db(), state().clock, get_meta(db(), "unit"))


def _user() -> User:
    user = current_user()
    assert user is not None  # guaranteed by @require
    return user


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
    return render_template(
        "directives/list.html",
        items=ops.list(chosen if chosen in TIME_CLASSES else None),
        dashboard=ops.dashboard(),
        chosen=chosen,
        unit=ops.unit,
        TIME_CLASSES=TIME_CLASSES,
        unit_names=_unit_names(),
    )


@bp.get("/<directive_id>")
@require()
def detail(directive_id: str) -> str:
    """One directive: facts, reports, extensions, and the forms the ward may use."""
    ops = _directives()
    return render_template(
        "directives/detail.html",
        d=ops.get(directive_id),
        unit=ops.unit,
        PRIORITY_NAMES=PRIORITY_NAMES,
        unit_names=_unit_names(),
        is_issuer_role=_user().role in ("leader", "admin"),
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
    user = _user()
    try:
        if action == "report":
            form: dict[str, Any] = {
                "percent": (request.form.get("percent") or "").strip() or None,
                "content": request.form.get("content", ""),
                "done": request.form.get("done") == "1",
            }
            ops.report(directive_id, form, user)
        elif action in ("confirm", "send_back", "extend") and user.role in ("leader", "admin"):
            if action == "confirm":
                ops.confirm(directive_id, user)
            elif action == "send_back":
                ops.send_back(directive_id, request.form.get("reason", ""), user)
            else:
                ops.extend(directive_id, dict(request.form), user)
        else:
            flash("Không thực hiện được việc này.", "error")
            return redirect(url_for("directives.detail", directive_id=directive_id))
    except SyncError as exc:
        flash(exc.message, "error")
    else:
        flash(ACTION_DONE[action], "ok")
    return redirect(url_for("directives.detail", directive_id=directive_id))
