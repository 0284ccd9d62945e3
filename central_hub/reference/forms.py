"""A procedure's declaration forms (mẫu đơn, tờ khai), which the public catalogue offers for
download (docs/portal.md, "Procedure catalogue"), added and removed by administrators through
the JSON API:

- ``POST /api/v1/procedures/<code>/forms`` (multipart, one or more ``file`` parts, PDF as
  the city's documents: ``city.documents.pdf_files``) attaches them; answers the procedure's
  forms;
- ``DELETE /api/v1/procedures/<code>/forms/<id>`` marks one removed (``deleted``; the record
  stays, as every attachment's does).

Each form is an ``attachment`` record owned by the city's unit with ``parent_type =
'procedure'``: it follows the procedure to every ward like the catalogue itself, and its file
is in the hub's blob store with the city as its source (``files.add_source``), so a ward may
fetch it (docs/security.md, "Files").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from sync import NotFound, ValidationError, Write, atomic, kind_of, new_id, validate

from .. import files
from ..city.documents import pdf_files
from ..portal.catalogue import forms_of
from ..portal.submission import MAX_SCAN_BYTES
from ..store import capture
from ..web import current_user, db, records, require, state

bp = Blueprint("reference_forms", __name__, url_prefix="/api/v1/procedures")


def _procedure(code: str) -> dict[str, Any]:
    found = records("procedure", "WHERE code = ?", (code,))
    if not found:
        raise NotFound(f"Không có thủ tục mã {code} trong danh mục.")
    return found[0]


@bp.get("/<code>/forms")
@require()
def forms(code: str) -> Response:
    """The procedure's declaration forms (attachment records), in the order attached."""
    return jsonify({"items": forms_of(_procedure(code)), "next_cursor": None})


@bp.post("/<code>/forms")
@require("admin")
def add_forms(code: str) -> tuple[Response, int]:
    """Attach the uploaded ``file`` parts (PDF) to the procedure ``code``; 201 with its forms."""
    procedure = _procedure(code)
    try:
        uploaded = pdf_files(request.files.getlist("file"))
    except ValidationError as exc:  # it names the documents' field: this form's is "file"
        raise type(exc)(exc.message, code=exc.code, field="file") from None
    if not uploaded:
        raise ValidationError("Hãy chọn ít nhất một tệp PDF mẫu đơn, tờ khai.", field="file")
    user = current_user()
    actor = user.username if user else "admin"
    unit = state().unit
    at = datetime.now(UTC).isoformat(timespec="seconds")
    store = files.blob_store()
    conn = db()
    with atomic(conn):
        writes = []
        for name, data in uploaded:
            sha = store.put(data, max_size=MAX_SCAN_BYTES)
            kind = kind_of(store.path(sha))
            assert kind is not None  # judged by pdf_files
            attachment_id = new_id()
            fields = {
                "id": attachment_id,
                "unit": unit,
                "parent_type": "procedure",
                "parent_id": procedure["id"],
                "sha256": sha,
                "name": name,
                "mime": kind.mime,
                "size": len(data),
                "uploaded_by": actor,
                "uploaded_at": at,
            }
            validate("attachment", fields)
            writes.append(Write("attachment", attachment_id, unit, fields))
            files.add_source(conn, sha, unit)
        capture(conn).write_many(writes, actor=actor)
    return jsonify({"items": forms_of(procedure), "next_cursor": None}), 201


@bp.delete("/<code>/forms/<attachment_id>")
@require("admin")
def remove_form(code: str, attachment_id: str) -> Response:
    """Mark the form ``attachment_id`` of the procedure ``code`` removed; its other forms."""
    procedure = _procedure(code)
    if attachment_id not in {f["id"] for f in forms_of(procedure)}:
        raise NotFound("Thủ tục này không có mẫu đơn, tờ khai đó.")
    user = current_user()
    actor = user.username if user else "admin"
    capture(db()).write_many(
        [Write("attachment", attachment_id, state().unit, {"deleted": True})], actor=actor
    )
    return jsonify({"items": forms_of(procedure), "next_cursor": None})
