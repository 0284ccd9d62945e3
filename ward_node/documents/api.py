"""The ward's JSON API for official documents (``/api/v1/documents``; docs/architecture.md,
"HTTP surfaces")."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from office import SecretContent, is_secret
from sync import ValidationError
from webapp import json_body

from ..attachments import store_upload
from ..permissions import check
from ..web import db, page_args, require, signed_in, state
from .service import Documents

bp = Blueprint("documents_api", __name__, url_prefix="/api/v1")


def documents() -> Documents:
    """The document operations over this request's connection."""
    return Documents(db(), state().clock)


@bp.post("/documents")
@require()
def create_document() -> tuple[Response, int]:
    """Draft an outgoing document, or register an incoming paper one; 201."""
    return jsonify(documents().create(json_body(), signed_in())), 201


@bp.get("/documents")
@require()
def list_documents() -> Response:
    """One register: ``direction`` (incoming|outgoing), ``q``, ``status``, ``limit``, ``cursor``."""
    limit, cursor = page_args()
    items, next_cursor = documents().search(
        request.args.get("direction", "incoming"),
        request.args.get("q", ""),
        request.args.get("status", ""),
        limit,
        cursor,
        user=signed_in(),
    )
    return jsonify({"items": items, "next_cursor": next_cursor})


@bp.get("/documents/<doc_id>")
@require()
def get_document(doc_id: str) -> Response:
    """One document, this ward's receipt, (its own) each recipient's status, and the
    actions this user may take now; 404 for a secret one this user may not see."""
    return jsonify(documents().get(doc_id, signed_in()))


@bp.patch("/documents/<doc_id>")
@require()
def patch_document(doc_id: str) -> Response:
    """Edit a draft, or this ward's notes on an incoming document."""
    return jsonify(documents().edit(doc_id, json_body(), signed_in()))


@bp.post("/documents/<doc_id>/actions")
@require()
def document_action(doc_id: str) -> Response:
    """Apply an action; 409 when not allowed from the current state or for the role."""
    return jsonify(documents().act(doc_id, json_body(), signed_in()))


def attach(doc_id: str) -> dict[str, Any]:
    """Store the uploaded file (field ``file``) and hang it on a document of this ward: its
    drafter, the văn thư or a leader (``permissions.py``); never on a secret document
    (docs/security.md, "Secret documents"), before any byte is stored."""
    user = signed_in()
    doc = documents().get(doc_id, user)
    if doc["unit"] != documents().unit:
        raise ValidationError("Chỉ đính kèm tệp vào văn bản của phường.", field="file")
    check(user, f"document.attach_{doc['view']}", doc)
    if is_secret(doc):
        raise SecretContent(
            "Không được đính kèm tệp vào văn bản mật: bản quét văn bản mật không lưu, không "
            "gửi qua hệ thống nối mạng. Hãy lưu bản giấy theo chế độ mật.",
            field="file",
        )
    return store_upload("document", doc_id, doc["unit"])


@bp.post("/documents/<doc_id>/attachments")
@require()
def attach_to_document(doc_id: str) -> tuple[Response, int]:
    """Attach a file (multipart ``file``); it follows the document to its addressees. 201."""
    return jsonify(attach(doc_id)), 201
