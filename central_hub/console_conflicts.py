"""The console's conflict inbox (``/console/xung-dot``) and a record's change history
(``/console/ban-ghi/<type>/<id>``): what an administrator needs to reconcile concurrent edits
and to answer "why is it like this"."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from sync import SyncError, ValidationError, nfc, physical_ms, record_type

from . import conflicts, console
from .console_auth import console_user, login_required
from .journal import Journal
from .web import db, state

bp = Blueprint("console_conflicts", __name__, url_prefix="/console")
bp.context_processor(console._globals)
bp.errorhandler(SyncError)(console._sync_error)

CONFLICT_STATES = console.CONFLICT_STATES
vn_datetime = console.vn_datetime


@bp.get("/xung-dot")
@login_required()
def inbox() -> str:
    """The conflict inbox, filtered by unit, record type and state."""
    chosen_state = request.args.get("state", "open")
    if chosen_state not in (*conflicts.STATES, ""):
        chosen_state = "open"
    unit_filter = request.args.get("unit", "").strip()
    type_filter = request.args.get("type", "").strip()
    items, _next = conflicts.list_conflicts(
        db(),
        state=chosen_state or None,
        unit=unit_filter or None,
        type_name=type_filter or None,
        limit=100,
    )
    units = [r[0] for r in db().execute("SELECT DISTINCT unit FROM conflicts ORDER BY unit")]
    types = [r[0] for r in db().execute("SELECT DISTINCT record_type FROM conflicts ORDER BY 1")]
    for item in items:
        for side in item["values"]:
            hlc_hex = side["version"].partition("@")[0]
            try:
                ms = physical_ms(int(hlc_hex, 16))
                side["when"] = vn_datetime(datetime.fromtimestamp(ms / 1000, UTC).isoformat())
            except ValueError:
                side["when"] = ""
    return render_template(
        "console/inbox.html",
        items=items,
        units=units,
        types=types,
        state=chosen_state,
        unit=unit_filter,
        type=type_filter,
        states=CONFLICT_STATES,
    )


@bp.post("/xung-dot/<int:conflict_id>")
@login_required("admin")
def resolve(conflict_id: int) -> Response:
    """Resolve a conflict with one side's value or a merged value (JSON for non-text fields)."""
    found = conflicts.get_conflict(db(), conflict_id)
    choice = request.form.get("choice", "")
    if choice == "merged":
        text = request.form.get("merged", "")
        if not text.strip():
            raise ValidationError("Hãy nhập giá trị đã hợp nhất.", field="merged")
        field = record_type(found["record_type"]).schema["properties"].get(found["field"], {})
        if field.get("type") == "string" or (
            isinstance(field.get("type"), list) and "string" in field["type"]
        ):
            value: Any = nfc(text)
        else:
            try:
                value = json.loads(text)
            except ValueError:
                raise ValidationError(
                    'Giá trị hợp nhất của trường này phải viết dạng JSON (ví dụ: 4, "văn bản").',
                    field="merged",
                ) from None
    else:
        try:
            value = found["values"][int(choice)]["value"]
        except (ValueError, IndexError):
            raise ValidationError("Hãy chọn một giá trị để giữ.", field="choice") from None
    user = console_user()
    conflicts.resolve(
        db(),
        conflict_id,
        value,
        user=user.username if user else "admin",
        note=nfc(request.form.get("note", "")).strip() or None,
    )
    flash(f"Đã giải quyết xung đột số {conflict_id}.", "ok")
    return redirect(url_for("console_conflicts.inbox"))


@bp.get("/ban-ghi/<type_name>/<record_id>")
@login_required()
def history(type_name: str, record_id: str) -> str:
    """A record's change history: who changed which field when, from which unit."""
    record_type(type_name)  # an unknown type is refused
    entries = Journal(db(), state().hub_id).history(type_name, record_id)
    return render_template(
        "console/history.html", type_name=type_name, record_id=record_id, entries=entries
    )
