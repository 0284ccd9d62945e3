"""The hub's documents API: the city sends official documents to units (liên thông) and sees
each recipient's processing status as their receipts flow back
(docs/architecture.md, "HTTP surfaces").

A document carries its scanned files (PDF) as ``attachment`` records owned by the city: they
route ``follow_parent``, so exactly the addressees receive them and fetch the files from the
hub's blob store through the blob protocol (``protocol/blobs.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.datastructures import FileStorage

from office import SECRET_SUMMARY, VIETNAM, SecretContent, is_secret
from sync import (
    PDF,
    NotFound,
    UnsupportedFile,
    ValidationError,
    Write,
    atomic,
    check_bytes,
    clean_text,
    labels,
    loads_bounded,
    new_id,
    nfc,
    validate,
)
from webapp import User

from ..files import add_source, blob_store
from ..portal.submission import MAX_SCAN_BYTES, MAX_SCANS
from ..store import capture
from ..store import records as stored_records
from ..web import current_user, db, page_args, records, require, state
from .secrecy import READERS, masked, may_read

bp = Blueprint("documents_api", __name__, url_prefix="/api/v1")
CODE_NAMES = {str(k).zfill(2): v for k, v in labels("document_receipt", "status_code").items()}


def with_recipients(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with ``recipients``: each addressee's unit, name, status code and name (edXML,
    "pending" before its receipt arrives, 13 once recalled) and its receipt."""
    names = {u["code"]: u["name"] for u in records("unit", "")}
    by_unit = {
        r["unit"]: r for r in records("document_receipt", "WHERE document_id = ?", (doc["id"],))
    }
    recipients = []
    for unit in doc["units"]:
        receipt = by_unit.get(unit)
        code = receipt["status_code"] if receipt else "pending"
        if doc.get("recalled") and code not in ("02", "15", "16"):
            code = "13"
        recipients.append(
            {
                "unit": unit,
                "unit_name": names.get(unit, unit),
                "status_code": code,
                "status_name": CODE_NAMES.get(code, "Chờ tiếp nhận"),
                "receipt": receipt,
            }
        )
    return dict(doc, recipients=recipients)


def pdf_files(files: Iterable[FileStorage]) -> list[tuple[str, bytes]]:
    """The uploaded files that were chosen, as ``(name, bytes)``: at most ``MAX_SCANS``, each
    a PDF by its bytes, without active content, and at most ``MAX_SCAN_BYTES`` (the online
    submission's limits; docs/security.md, "Files"). Raises :class:`ValidationError` (field
    ``attachments``; :class:`UnsupportedFile` for what the file is) naming the file refused."""
    chosen = [f for f in files if f.filename]
    if len(chosen) > MAX_SCANS:
        raise ValidationError(
            f"Đính kèm tối đa {MAX_SCANS} tệp PDF; bạn đã chọn {len(chosen)} tệp.",
            field="attachments",
        )
    scans = []
    for f in chosen:
        data = f.read(MAX_SCAN_BYTES + 1)
        name = (
            nfc(str(f.filename)).replace("\\", "/").rsplit("/", 1)[-1].strip()[:255]
            or "van-ban.pdf"
        )
        if len(data) > MAX_SCAN_BYTES:
            raise ValidationError(
                f"Tệp '{name}' lớn hơn {MAX_SCAN_BYTES // (1024 * 1024)} MB; "
                "hãy quét lại với độ phân giải thấp hơn.",
                field="attachments",
            )
        try:
            check_bytes(data, name, accepted=(PDF,))
        except UnsupportedFile as exc:
            raise UnsupportedFile(exc.message, code=exc.code, field="attachments") from None
        scans.append((name, data))
    return scans


def send(body: Any, user: User | None, files: Iterable[FileStorage] = ()) -> dict[str, Any]:
    """Send a document from the city to ``units``: ``{"doc_type", "summary", "units",
    "type_code"?, "urgency"?, "secrecy"?, "signer"?, "symbol"?, "issued_on"?, "edxml_to"?}``
    (``edxml_to``: OrganIds of agencies outside the city, when ``units`` may be empty),
    numbered per year in the city's series (secret documents apart), written by ``user`` (the API's bearer or the
    console's user), with ``files`` (PDF scans, :func:`pdf_files`) attached. The document and
    its attachment records commit in one transaction, the files stored in the hub's blob
    store before it commits. A secret document takes neither a summary nor files (it stores
    the fixed ``sync.SECRET_SUMMARY``; docs/security.md, "Secret documents"). Returns it with
    its recipients and attachments; raises :class:`ValidationError` (:class:`SecretContent`
    for a secret one's summary or files), storing nothing."""
    if not isinstance(body, dict):
        raise ValidationError("Gửi một đối tượng JSON.", field="body")
    units = body.get("units")
    if body.get("edxml_to") and units in (None, []):
        units = []
    elif not isinstance(units, list) or not units:
        raise ValidationError("Hãy chọn ít nhất một đơn vị nhận (units).", field="units")
    if not all(isinstance(u, str) for u in units):
        # Found by Schemathesis: a list of lists reached dict.fromkeys (a 500).
        raise ValidationError("units phải là danh sách mã đơn vị (chuỗi).", field="units")
    files = [f for f in files if f.filename]
    summary = clean_text(str(body.get("summary") or ""))
    if is_secret(body):
        if summary not in ("", SECRET_SUMMARY):
            raise SecretContent(
                "Văn bản mật không ghi trích yếu trên hệ thống: hãy để trống trích yếu và ghi "
                "nó vào sổ đăng ký văn bản mật (sổ giấy).",
                field="summary",
            )
        if files:
            raise SecretContent(
                "Không được đính kèm bản quét văn bản mật: văn bản mật không lưu, không gửi qua "
                "hệ thống nối mạng. Hãy gửi bản giấy theo chế độ mật.",
                field="attachments",
            )
        summary = SECRET_SUMMARY
    scans = pdf_files(files)
    hub_unit = state().unit
    today = datetime.now(VIETNAM).date()
    doc: dict[str, Any] = {
        "id": new_id(),
        "unit": hub_unit,
        "direction": "outgoing",
        "doc_type": clean_text(str(body.get("doc_type") or "Công văn")),
        "summary": summary,
        "units": list(dict.fromkeys(units)),
        "urgency": body.get("urgency") or "normal",
        "secrecy": body.get("secrecy") or "none",
        "signer": body.get("signer"),
        "signing_competence": body.get("signing_competence"),
        "issued_on": body.get("issued_on") or today.isoformat(),
        "issuing_agency": state().name or None,
        "recalled": False,
        "created_by": user.username if user else "admin",
        "sent_at": datetime.now(VIETNAM).isoformat(timespec="seconds"),
    }
    if body.get("edxml_to"):
        # Agencies outside the city, by OrganId: the outbox sends them the document as edXML
        # (docs/edxml.md).
        doc["edxml_to"] = body["edxml_to"]
    conn = db()
    with atomic(conn):
        if body.get("symbol"):
            doc["symbol"] = str(body["symbol"])
        else:
            secret = doc["secrecy"] != "none"
            used = stored_records.last_document_number(conn, hub_unit, doc["issued_on"][:4], secret)
            doc["number"] = used + 1
            doc["symbol"] = f"{doc['number']}/{body.get('type_code') or 'UBND-VP'}"
        validate("document", doc)
        writes = [Write("document", doc["id"], hub_unit, doc)]
        # The files are stored once the document is valid and before the records commit: a
        # crash leaves at worst a file nobody names, never a record without its file.
        store = blob_store()
        for name, data in scans:
            attachment_id = new_id()
            fields = {
                "id": attachment_id,
                "unit": hub_unit,
                "parent_type": "document",
                "parent_id": doc["id"],
                "sha256": store.put(data, max_size=MAX_SCAN_BYTES),
                "name": name,
                "mime": PDF.mime,
                "size": len(data),
                "uploaded_by": doc["created_by"],
                "uploaded_at": doc["sent_at"],
            }
            validate("attachment", fields)
            writes.append(Write("attachment", attachment_id, hub_unit, fields))
            add_source(conn, fields["sha256"], hub_unit)
        capture(conn).write_many(writes, actor=doc["created_by"])
    return dict(with_recipients(doc), attachments=[w.fields for w in writes[1:]])


def attachments(doc_id: str) -> list[dict[str, Any]]:
    """The live files attached to a document, in the order they were attached."""
    return records(
        "attachment",
        "WHERE parent_type = 'document' AND parent_id = ? AND coalesce(deleted, 0) = 0 ORDER BY id",
        (doc_id,),
    )


def documents(
    unit: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    user: User | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Documents known to the hub (``unit`` = sender) that ``user`` may see (a secret one only
    an administrator, ``secrecy.READERS``), newest first, each with its recipients, and the
    cursor of the next page (``None`` on the last)."""
    # Documents from outside the city (edXML) have their own list (docs/edxml.md).
    clauses, params = ["coalesce(direction, 'outgoing') = 'outgoing'"], []
    if user is None or user.role not in READERS:
        clauses.append("coalesce(secrecy, 'none') = 'none'")
    if unit:
        clauses.append("unit = ?")
        params.append(unit)
    if cursor:
        clauses.append("id < ?")
        params.append(cursor)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    items = records("document", f"{where} ORDER BY id DESC LIMIT ?", [*params, limit + 1])
    more = len(items) > limit
    items = [masked(with_recipients(d)) for d in items[:limit]]
    return items, items[-1]["id"] if more else None


def document(doc_id: str, user: User | None = None) -> dict[str, Any]:
    """One document with each recipient's status and its ``attachments``; :class:`NotFound`
    when unknown, or secret and ``user`` may not see it (not even that it exists)."""
    found = records("document", "WHERE id = ?", (doc_id,))
    if not found or not may_read(user, found[0]):
        raise NotFound("Không có văn bản này.")
    files = [] if is_secret(found[0]) else attachments(doc_id)
    return dict(masked(with_recipients(found[0])), attachments=files)


@bp.post("/documents")
@require("admin")
def send_document() -> tuple[Response, int]:
    """Send a document from the city to units (:func:`send`): a JSON body, or, to attach the
    scans, ``multipart/form-data`` with the same JSON in the field ``document`` and up to
    ``MAX_SCANS`` PDF files in the field ``attachments``."""
    if request.mimetype == "multipart/form-data":
        try:
            body = loads_bounded(request.form.get("document") or "")
        except ValueError:
            raise ValidationError(
                "Trường 'document' phải chứa văn bản dạng JSON.", field="document"
            ) from None
        return jsonify(send(body, current_user(), request.files.getlist("attachments"))), 201
    return jsonify(send(request.get_json(silent=True), current_user())), 201


@bp.get("/documents")
@require()
def list_documents() -> Response:
    """Documents known to the hub (``unit`` = sender), newest first, each with its recipients."""
    limit, cursor = page_args()
    items, next_cursor = documents(request.args.get("unit") or None, cursor, limit, current_user())
    return jsonify({"items": items, "next_cursor": next_cursor})


@bp.get("/documents/<doc_id>")
@require()
def get_document(doc_id: str) -> Response:
    """One document with each recipient's status (received, assigned, finished); 404 for a
    secret one unless an administrator asks."""
    return jsonify(document(doc_id, current_user()))
