"""The dossiers of every ward in the hub's JSON API for administrators (``/api/v1/dossiers``):
list and search, one with its steps, an administrator's edit, its history, and the files
attached to them (``/api/v1/attachments/<sha256>``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from sync import (
    NotFound,
    Replica,
    ValidationError,
    check_sha256,
    fold,
    validate_fields,
)

from ..files import blob_store, file_response
from ..store import Journal, capture, records
from ..web import current_user, db, page_args, require, state

bp = Blueprint("dossiers_api", __name__, url_prefix="/api/v1")

ADMIN_EDITABLE = ("notes", "applicant", "status", "due_at", "handler")


def _dossier_rows(where: str, params: list[Any], limit: int) -> list[dict[str, Any]]:
    return records.dossiers(db(), where, params, limit)


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
    record["steps"] = records.dossier_steps(db(), dossier_id)
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
    found = records.attachment_by_hash(db(), sha256)
    store = blob_store()
    if found is None or not store.has(sha256):
        raise NotFound("Máy chủ trung tâm chưa có tệp đính kèm này.")
    return file_response(sha256, found["name"], download=True)
