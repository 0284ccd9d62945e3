"""The ward's directive API (``/api/v1/directives``)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from sync import NotFound, ValidationError, get_meta, select_records
from webapp import json_body

from ..attachments import store_upload
from ..permissions import check
from ..web import db, page_args, require, signed_in, state
from .service import ISSUERS, Directives

bp = Blueprint("directives_api", __name__, url_prefix="/api/v1/directives")


def directives() -> Directives:
    """The directive operations for this request."""
    return Directives(db(), state().clock, get_meta(db(), "unit"))


@bp.get("")
@require()
def list_directives() -> Response:
    """Directives addressed to the ward and those it issued; ``time_class`` filters."""
    limit, _cursor = page_args()
    items = directives().list(request.args.get("time_class") or None)
    return jsonify({"items": items[:limit], "next_cursor": None})


@bp.get("/dashboard")
@require()
def dashboard() -> Response:
    """Counts by time class, as lead unit, as coordinating unit, and issued by the ward."""
    return jsonify(directives().dashboard())


@bp.post("")
@require(*ISSUERS)
def issue() -> tuple[Response, int]:
    """A ward leader issues a directive inside the ward (the ward is its lead unit)."""
    return jsonify(directives().issue(json_body(), signed_in())), 201


@bp.get("/<directive_id>")
@require()
def get_directive(directive_id: str) -> Response:
    """One directive with its reports, extensions, time class and the actions this user may
    take now."""
    return jsonify(directives().get(directive_id, signed_in()))


@bp.post("/<directive_id>/reports")
@require()
def report(directive_id: str) -> tuple[Response, int]:
    """Post a progress report ``{"percent", "content", "done"}``."""
    return jsonify(directives().report(directive_id, json_body(), signed_in())), 201


@bp.post("/<directive_id>/reports/<report_id>/attachments")
@require()
def attach_to_report(directive_id: str, report_id: str) -> tuple[Response, int]:
    """Attach a file (multipart ``file``) to one of this ward's progress reports; it goes
    with the report to the issuer. 201 with the attachment record."""
    unit = get_meta(db(), "unit")
    found = select_records(
        db(), "directive_report", "WHERE id = ? AND directive_id = ?", (report_id, directive_id)
    )
    if not found:
        raise NotFound("Không có báo cáo tiến độ này.")
    if found[0]["unit"] != unit:
        raise ValidationError("Chỉ đính kèm tệp vào báo cáo của phường mình.", field="file")
    check(signed_in(), "directive.attach", found[0])  # its author, or a leader
    return jsonify(store_upload("directive_report", report_id, unit)), 201


@bp.post("/<directive_id>/confirm")
@require(*ISSUERS)
def confirm(directive_id: str) -> Response:
    """The issuing ward confirms completion."""
    return jsonify(directives().confirm(directive_id, signed_in()))


@bp.post("/<directive_id>/send-back")
@require(*ISSUERS)
def send_back(directive_id: str) -> Response:
    """The issuing ward refuses the report of done ``{"reason"}``."""
    return jsonify(
        directives().send_back(directive_id, str(json_body().get("reason") or ""), signed_in())
    )


@bp.post("/<directive_id>/extensions")
@require(*ISSUERS)
def extend(directive_id: str) -> tuple[Response, int]:
    """The issuing ward extends the deadline ``{"new_deadline", "reason"}``."""
    return jsonify(directives().extend(directive_id, json_body(), signed_in())), 201
