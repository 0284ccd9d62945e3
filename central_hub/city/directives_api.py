"""The city's directives over JSON (``/api/v1/directives``, docs/architecture.md "HTTP
surfaces"; issue [4]): thin views over :mod:`central_hub.city.directives`, which the console's
pages call too."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from office import TIME_CLASSES

from ..web import current_user, page_args, require
from . import directives

bp = Blueprint("directives_api", __name__, url_prefix="/api/v1/directives")


@bp.post("")
@require("admin")
def issue() -> tuple[Response, int]:
    """Issue a directive ``{"title", "content", "lead_unit", "units", "deadline"}``; the lead
    unit is one of ``units`` (added when missing)."""
    return jsonify(directives.issue(request.get_json(silent=True), current_user())), 201


@bp.get("")
@require()
def list_directives() -> Response:
    """Every directive (the city's and the wards' own), filtered by ``unit`` (an addressee)
    and ``time_class``."""
    limit, _cursor = page_args()
    items = directives.directives(
        request.args.get("unit") or None, request.args.get("time_class") or None
    )
    return jsonify({"items": items[:limit], "next_cursor": None})


@bp.get("/dashboard")
@require()
def dashboard() -> Response:
    """The city's dashboard: per lead unit, how many directives are in each time class."""
    counts = directives.dashboard()
    return jsonify(
        {
            "time_classes": TIME_CLASSES,
            "items": [{"unit": u, "counts": c} for u, c in counts.items()],
        }
    )


@bp.get("/<directive_id>")
@require()
def get_directive(directive_id: str) -> Response:
    """One directive with the units' reports and its extensions."""
    return jsonify(directives.directive(directive_id))


@bp.post("/<directive_id>/confirm")
@require("admin")
def confirm(directive_id: str) -> Response:
    """Confirm completion, dated by the lead unit's report of done."""
    return jsonify(directives.confirm(directive_id, current_user()))


@bp.post("/<directive_id>/<any(pause, resume, cancel):move>")
@require("admin")
def change_status(directive_id: str, move: str) -> Response:
    """Pause, resume or cancel a city directive ``{"note"}`` (docs/domain.md "Directives":
    assigned, in progress, awaiting confirmation, done, paused, cancelled). 409 when the
    directive is done or cancelled, when resuming one not paused, or pausing one paused."""
    body = request.get_json(silent=True)
    note = (body if isinstance(body, dict) else {}).get("note")
    return jsonify(directives.change_status(directive_id, move, note, current_user()))


@bp.post("/<directive_id>/send-back")
@require("admin")
def send_back(directive_id: str) -> Response:
    """Refuse the lead unit's report of done ``{"reason"}``: back to in progress."""
    return jsonify(
        directives.send_back(directive_id, request.get_json(silent=True), current_user())
    )


@bp.post("/<directive_id>/extensions")
@require("admin")
def extend(directive_id: str) -> tuple[Response, int]:
    """Extend the deadline ``{"new_deadline", "reason"}``: an extension record (old date, new
    date, reason, approver) and the directive's new deadline, in one write."""
    return jsonify(
        directives.extend(directive_id, request.get_json(silent=True), current_user())
    ), 201
