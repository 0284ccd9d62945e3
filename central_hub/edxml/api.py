"""The edXML part of the hub's API (README "API", docs/edxml.md):

- ``POST /api/v1/edxml`` (``admin``): take a message in (body: the message, ``application/xml``
  or ``text/xml``); 201 with what it created or changed, 200 when the same message was taken
  before, 4xx with a Vietnamese message and nothing stored when refused;
- ``GET /api/v1/documents/{id}/edxml`` (``admin``): the document message of a released
  outgoing document, to its ``edxml_to`` or ``?to=OrganId`` (repeatable);
- ``GET /api/v1/edxml/documents`` and ``GET /api/v1/edxml/documents/{id}``: documents from
  outside and what the exchange knows of one (signature, versions, statuses written, the
  statuses outside agencies reported for a document we sent).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from sync import NotFound, UnsupportedFile

from ..city.secrecy import may_read
from ..store import edxml as store
from ..web import current_user, db, records, require
from .inbound import take
from .outbound import document_edxml
from .signature import LABELS

bp = Blueprint("edxml_api", __name__, url_prefix="/api/v1")
XML_TYPES = ("application/xml", "text/xml", "application/edxml+xml")


@bp.post("/edxml")
@require("admin")
def receive() -> tuple[Response, int]:
    """Take one edXML message in (:func:`inbound.take`)."""
    if request.mimetype not in XML_TYPES:
        raise UnsupportedFile(
            "Hãy gửi thông điệp edXML với Content-Type: application/xml (nội dung là chính "
            "tệp .edxml, không bọc trong JSON hay biểu mẫu).",
            code="edxml_content_type",
        )
    user = current_user()
    result = take(
        request.get_data(cache=False), source="api", actor=user.username if user else "admin"
    )
    return jsonify(result), 200 if result["repeated"] else 201


@bp.get("/documents/<doc_id>/edxml")
@require("admin")
def export(doc_id: str) -> Response:
    """The document message of ``doc_id`` as a download."""
    found = records("document", "WHERE id = ?", (doc_id,))
    if not found or not may_read(current_user(), found[0]):
        raise NotFound("Không có văn bản này.")
    data, doc = document_edxml(doc_id, request.args.getlist("to") or None)
    safe = "".join(c if c.isalnum() else "-" for c in str(doc["symbol"]))
    return Response(
        data,
        mimetype="application/xml",
        headers={
            "Content-Disposition": f'attachment; filename="van-ban-{safe[:60]}.edxml"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


def exchange_info(doc_id: str) -> dict[str, Any]:
    """What the exchange knows of a document: ``outside`` (the row of a document from outside,
    with its signature's label) or None, its ``messages``, and ``outside_statuses``."""
    conn = db()
    info = store.document_info(conn, doc_id)
    if info is not None:
        info = dict(info, signature_label=LABELS.get(info["signature"], info["signature"]))
        info["forwards"] = store.forwards_of(conn, doc_id)
    return {
        "outside": info,
        "messages": [
            {k: v for k, v in m.items() if k != "sha256"} for m in store.messages_of(conn, doc_id)
        ],
        "outside_statuses": store.outside_statuses(conn, doc_id),
    }


@bp.get("/edxml/documents")
@require()
def outside_list() -> Response:
    """Documents from outside, newest first (``unit``: those addressed to one unit)."""
    rows = store.outside_documents(db(), request.args.get("unit") or None)
    docs = {
        d["id"]: d
        for d in records(
            "document",
            f"WHERE id IN ({', '.join('?' for _ in rows) or 'NULL'})",
            [r["document_id"] for r in rows],
        )
    }
    items = [dict(r, document=docs.get(r["document_id"])) for r in rows]
    return jsonify({"items": items})


@bp.get("/edxml/documents/<doc_id>")
@require()
def outside_one(doc_id: str) -> Response:
    """What the exchange knows of one document (:func:`exchange_info`)."""
    found = records("document", "WHERE id = ?", (doc_id,))
    if not found or not may_read(current_user(), found[0]):
        raise NotFound("Không có văn bản này.")
    return jsonify(dict(exchange_info(doc_id), document=found[0]))
