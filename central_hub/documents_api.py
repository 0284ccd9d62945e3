"""The hub's documents API: the city sends official documents to units (liên thông) and sees
each recipient's processing status as their receipts flow back (CONTRACT.md "Central hub")."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, request

from sync import (
    NotFound,
    User,
    ValidationError,
    atomic,
    clean_text,
    labels,
    new_id,
    validate,
)

from .setup import capture
from .web import current_user, db, page_args, records, require, state

bp = Blueprint("documents_api", __name__, url_prefix="/api/v1")
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
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


def send(body: Any, user: User | None) -> dict[str, Any]:
    """Send a document from the city to ``units``: ``{"doc_type", "summary", "units",
    "type_code"?, "urgency"?, "secrecy"?, "signer"?, "symbol"?}``, numbered per year in the
    city's series (secret documents apart), written by ``user`` (the API's bearer or the
    console's user). Returns it with its recipients; raises :class:`ValidationError`."""
    if not isinstance(body, dict):
        raise ValidationError("Gửi một đối tượng JSON.", field="body")
    units = body.get("units")
    if not isinstance(units, list) or not units:
        raise ValidationError("Hãy chọn ít nhất một đơn vị nhận (units).", field="units")
    hub_unit = state().unit
    today = datetime.now(VIETNAM).date()
    doc: dict[str, Any] = {
        "id": new_id(),
        "unit": hub_unit,
        "direction": "outgoing",
        "doc_type": clean_text(str(body.get("doc_type") or "Công văn")),
        "summary": clean_text(str(body.get("summary") or "")),
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
    conn = db()
    with atomic(conn):
        if body.get("symbol"):
            doc["symbol"] = str(body["symbol"])
        else:
            secret = doc["secrecy"] != "none"
            used = conn.execute(
                "SELECT max(number) FROM document WHERE unit = ? AND substr(issued_on, 1, 4) = ? "
                "AND (coalesce(secrecy, 'none') != 'none') = ?",
                (hub_unit, doc["issued_on"][:4], secret),
            ).fetchone()[0]
            doc["number"] = int(used or 0) + 1
            doc["symbol"] = f"{doc['number']}/{body.get('type_code') or 'UBND-VP'}"
        validate("document", doc)
        capture(conn).write("document", doc["id"], hub_unit, doc, actor=doc["created_by"])
    return with_recipients(doc)


def documents(
    unit: str | None = None, cursor: str | None = None, limit: int = 50
) -> tuple[list[dict[str, Any]], str | None]:
    """Documents known to the hub (``unit`` = sender), newest first, each with its
    recipients, and the cursor of the next page (``None`` on the last)."""
    clauses, params = [], []
    if unit:
        clauses.append("unit = ?")
        params.append(unit)
    if cursor:
        clauses.append("id < ?")
        params.append(cursor)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    items = records("document", f"{where} ORDER BY id DESC LIMIT ?", [*params, limit + 1])
    more = len(items) > limit
    items = [with_recipients(d) for d in items[:limit]]
    return items, items[-1]["id"] if more else None


def document(doc_id: str) -> dict[str, Any]:
    """One document with each recipient's status; :class:`NotFound` when unknown."""
    found = records("document", "WHERE id = ?", (doc_id,))
    if not found:
        raise NotFound("Không có văn bản này.")
    return with_recipients(found[0])


@bp.post("/documents")
@require("admin")
def send_document() -> tuple[Response, int]:
    """Send a document from the city to units (:func:`send`)."""
    return jsonify(send(request.get_json(silent=True), current_user())), 201


@bp.get("/documents")
@require()
def list_documents() -> Response:
    """Documents known to the hub (``unit`` = sender), newest first, each with its recipients."""
    limit, cursor = page_args()
    items, next_cursor = documents(request.args.get("unit") or None, cursor, limit)
    return jsonify({"items": items, "next_cursor": next_cursor})


@bp.get("/documents/<doc_id>")
@require()
def get_document(doc_id: str) -> Response:
    """One document with each recipient's status (received, assigned, finished)."""
    return jsonify(document(doc_id))
