"""The conflict inbox over JSON (``/api/v1/conflicts``): list, read, resolve one or many;
thin views over the inbox and resolution, which the console's pages (``pages.py``) call too."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, jsonify, request

from sync import ValidationError

from ..store import conflicts as inbox
from ..web import current_user, db, page_args, require
from . import resolution

bp = Blueprint("conflicts_api", __name__, url_prefix="/api/v1")
MAX_DAYS = 36_500  # a century: older than any conflict


@bp.get("/conflicts")
@require()
def list_conflicts() -> Response:
    """The conflict inbox: ``state`` (open by default; ``all`` for every one), ``unit``,
    ``record_type``, ``older_than_days``, ``detected_from`` / ``detected_before`` (ISO 8601
    times with offset), ``limit``, ``cursor``."""
    limit, cursor = page_args()
    state_arg = request.args.get("state", "open")
    older = request.args.get("older_than_days", "").strip()
    # Bounded: a number of days past any date (Schemathesis sent 10^22) overflowed to a 500.
    if older and not (older.isdigit() and int(older) <= MAX_DAYS):
        raise ValidationError(
            f"older_than_days phải là số ngày (số nguyên từ 0 đến {MAX_DAYS}).",
            field="older_than_days",
        )
    items, next_cursor = inbox.list_conflicts(
        db(),
        state=None if state_arg == "all" else state_arg,
        unit=request.args.get("unit") or None,
        type_name=request.args.get("record_type") or None,
        older_than_days=int(older) if older else None,
        detected_from=_moment_arg("detected_from"),
        detected_before=_moment_arg("detected_before"),
        limit=limit,
        cursor=int(cursor) if cursor and cursor.isdigit() else None,
    )
    return jsonify({"items": items, "next_cursor": next_cursor})


def _moment_arg(name: str) -> datetime | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationError(
            f"{name} phải là thời điểm ISO 8601 có múi giờ, ví dụ 2026-11-28T00:00:00+07:00.",
            field=name,
        )
    return moment


@bp.post("/conflicts/resolve")
@require("admin")
def resolve_conflicts() -> Response:
    """Resolve many conflicts of one kind: ``{"ids": [...], "rule": "unit"|"hub"|"latest"|
    "base", "unit": ..., "note": ...}``; all or none (422/404/409 and nothing changed)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("ids"), list):
        raise ValidationError(
            'Gửi {"ids": [...], "rule": ...} với các xung đột cần giải quyết.', field="ids"
        )
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in body["ids"]):
        raise ValidationError("ids phải là danh sách số xung đột.", field="ids")
    user = current_user()
    resolved = resolution.resolve_many(
        db(),
        body["ids"],
        str(body.get("rule") or ""),
        user=user.username if user else "admin",
        note=body.get("note"),
        unit=body.get("unit"),
    )
    return jsonify({"items": resolved})


@bp.get("/conflicts/<int:conflict_id>")
@require()
def get_conflict(conflict_id: int) -> Response:
    """One conflict with both values, versions, units, users and the base."""
    return jsonify(inbox.get_conflict(db(), conflict_id))


@bp.post("/conflicts/<int:conflict_id>/resolve")
@require("admin")
def resolve_conflict(conflict_id: int) -> Response:
    """Resolve with ``{"value": ..., "note": ...}``; the value reaches the owning ward."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "value" not in body:
        raise ValidationError('Gửi {"value": ...} với giá trị đã chọn.', field="value")
    user = current_user()
    resolved = resolution.resolve(
        db(),
        conflict_id,
        body["value"],
        user=user.username if user else "admin",
        note=body.get("note"),
    )
    return jsonify(resolved)
