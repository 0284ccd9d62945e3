"""The hub's JSON API for administrators (``/api/v1``): nodes, dossiers across wards, reference."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from sync import (
    NotFound,
    Replica,
    ValidationError,
    check_sha256,
    fold,
    record_type,
    validate_fields,
)

from . import conflicts, nodes, reference_edit
from .files import blob_store, file_response
from .journal import Journal
from .setup import capture
from .web import current_user, db, page_args, require, state

bp = Blueprint("api", __name__, url_prefix="/api/v1")

ADMIN_EDITABLE = ("notes", "applicant", "status", "due_at", "handler")


@bp.get("/nodes")
@require()
def list_nodes() -> Response:
    """Every enrolled node, with its status and last contact."""
    return jsonify({"items": nodes.list_nodes(db()), "next_cursor": None})


def _dossier_rows(where: str, params: list[Any], limit: int) -> list[dict[str, Any]]:
    rtype = record_type("dossier")
    rows = (
        db()
        .execute(
            f"SELECT {', '.join(rtype.fields)} FROM dossier {where} ORDER BY id DESC LIMIT ?",
            [*params, limit],
        )
        .fetchall()
    )
    return [Replica.decode(rtype, r) for r in rows]


@bp.get("/dossiers")
@require()
def list_dossiers() -> Response:
    """Dossiers of every ward, filtered by ``unit`` and searched by ``q`` (diacritics optional)."""
    limit, cursor = page_args()
    clauses, params = [], []
    if unit := request.args.get("unit"):
        clauses.append("unit = ?")
        params.append(unit)
    for word in fold(request.args.get("q", "")).split():
        clauses.append("_search LIKE ? ESCAPE '\\'")
        params.append(
            "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
    if cursor:
        clauses.append("id < ?")
        params.append(cursor)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    items = _dossier_rows(where, params, limit + 1)
    more = len(items) > limit
    items = items[:limit]
    return jsonify({"items": items, "next_cursor": items[-1]["id"] if more else None})


def _dossier(dossier_id: str) -> dict[str, Any]:
    record = Replica(db()).get("dossier", dossier_id)
    if record is None:
        raise NotFound("Không tìm thấy hồ sơ này.")
    rtype = record_type("dossier_step")
    steps = (
        db()
        .execute(
            f"SELECT {', '.join(rtype.fields)} FROM dossier_step WHERE dossier_id = ? ORDER BY at, id",
            (dossier_id,),
        )
        .fetchall()
    )
    record["steps"] = [Replica.decode(rtype, s) for s in steps]
    return record


@bp.get("/dossiers/<dossier_id>")
@require()
def get_dossier(dossier_id: str) -> Response:
    """One dossier of any ward, with its step history."""
    return jsonify(_dossier(dossier_id))


@bp.patch("/dossiers/<dossier_id>")
@require("admin")
def patch_dossier(dossier_id: str) -> Response:
    """An administrator's edit of a ward's dossier; it syncs to the owning ward."""
    current = Replica(db()).get("dossier", dossier_id)
    if current is None:
        raise NotFound("Không tìm thấy hồ sơ này.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body:
        raise ValidationError("Gửi một đối tượng JSON với các trường cần sửa.", field="body")
    for key in body:
        if key not in ADMIN_EDITABLE:
            raise ValidationError(
                f"Trường '{key}' không sửa được; chỉ sửa: {', '.join(ADMIN_EDITABLE)}.", field=key
            )
    fields = dict(body)
    if "applicant" in fields and isinstance(fields["applicant"], dict):
        fields["applicant"] = {**(current.get("applicant") or {}), **fields["applicant"]}
    validate_fields("dossier", fields)
    user = current_user()
    capture(db()).write(
        "dossier", dossier_id, current["unit"], fields, actor=user.username if user else "admin"
    )
    return jsonify(_dossier(dossier_id))


@bp.get("/dossiers/<dossier_id>/history")
@require()
def dossier_history(dossier_id: str) -> Response:
    """Every change of a dossier: who changed which field, when, from which unit."""
    return jsonify(
        {"items": Journal(db(), state().hub_id).history("dossier", dossier_id), "next_cursor": None}
    )


def _reference(type_name: str, order: str) -> list[dict[str, Any]]:
    return reference_edit.reference(db(), type_name, order)


def _items() -> list[Any]:
    """The non-empty ``items`` list of a PUT body; :class:`ValidationError` otherwise."""
    body = request.get_json(silent=True)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise ValidationError('Gửi {"items": [...]} với ít nhất một mục.', field="items")
    return items


def _actor() -> str:
    user = current_user()
    return user.username if user else "admin"


@bp.get("/procedures")
@require()
def procedures() -> Response:
    """The procedure catalogue every ward receives."""
    return jsonify({"items": _reference("procedure", "code"), "next_cursor": None})


@bp.put("/procedures")
@require("admin")
def put_procedures() -> Response:
    """Add or edit procedures by ``code``: ``{"items": [procedure, ...]}``; answers the list."""
    reference_edit.put_procedures(db(), _items(), actor=_actor())
    return procedures()


@bp.get("/units")
@require()
def units() -> Response:
    """The units of the city."""
    return jsonify({"items": _reference("unit", "code"), "next_cursor": None})


@bp.put("/units/<code>")
@require("admin")
def put_unit(code: str) -> Response:
    """Add or edit the unit ``code``: the body gives its fields (``name``, ``kind``, ``prefix``,
    ``valid_from``, ``valid_to``, ``successor``); the code never changes. Answers the unit."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("Gửi một đối tượng JSON mô tả đơn vị.", field="body")
    if body.get("code", code) != code:
        raise ValidationError("Mã đơn vị không đổi được; bỏ trường 'code'.", field="code")
    reference_edit.put_units(db(), [{**body, "code": code}], actor=_actor())
    return jsonify(next(u for u in _reference("unit", "code") if u["code"] == code))


@bp.get("/calendar")
@require()
def calendar() -> Response:
    """Days off and make-up working days."""
    return jsonify({"items": _reference("calendar_day", "date"), "next_cursor": None})


@bp.put("/calendar")
@require("admin")
def put_calendar() -> Response:
    """Add or edit days by ``date``: ``{"items": [{"date", "kind", "name", "deleted"}]}``;
    ``"deleted": true`` keeps the day as a tombstone that wards ignore. Answers the list."""
    reference_edit.put_calendar_days(db(), _items(), actor=_actor())
    return calendar()


@bp.get("/conflicts")
@require()
def list_conflicts() -> Response:
    """The conflict inbox: ``state`` (open by default; ``all`` for every one), ``unit``,
    ``record_type``, ``older_than_days``, ``detected_from`` / ``detected_before`` (ISO 8601
    times with offset), ``limit``, ``cursor``."""
    limit, cursor = page_args()
    state_arg = request.args.get("state", "open")
    older = request.args.get("older_than_days", "").strip()
    if older and not older.isdigit():
        raise ValidationError(
            "older_than_days phải là số ngày (số nguyên không âm).", field="older_than_days"
        )
    items, next_cursor = conflicts.list_conflicts(
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
    resolved = conflicts.resolve_many(
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
    return jsonify(conflicts.get_conflict(db(), conflict_id))


@bp.post("/conflicts/<int:conflict_id>/resolve")
@require("admin")
def resolve_conflict(conflict_id: int) -> Response:
    """Resolve with ``{"value": ..., "note": ...}``; the value reaches the owning ward."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "value" not in body:
        raise ValidationError('Gửi {"value": ...} với giá trị đã chọn.', field="value")
    user = current_user()
    resolved = conflicts.resolve(
        db(),
        conflict_id,
        body["value"],
        user=user.username if user else "admin",
        note=body.get("note"),
    )
    return jsonify(resolved)


@bp.get("/attachments/<sha256>")
@require("admin")
def attachment_file(sha256: str) -> Response:
    """An attached file of any ward by its hash and name, typed by its bytes (admins only).

    404 while its ward has not uploaded it yet: the hub serves only complete, verified files.
    """
    try:
        check_sha256(sha256)
    except ValidationError:
        raise NotFound("Không có tệp đính kèm này.") from None
    rtype = record_type("attachment")
    row = (
        db()
        .execute(
            f"SELECT {', '.join(rtype.fields)} FROM attachment WHERE sha256 = ? "
            "ORDER BY coalesce(deleted, 0), uploaded_at DESC LIMIT 1",
            (sha256,),
        )
        .fetchone()
    )
    store = blob_store()
    if row is None or not store.has(sha256):
        raise NotFound("Máy chủ trung tâm chưa có tệp đính kèm này.")
    return file_response(sha256, Replica.decode(rtype, row)["name"], download=True)
