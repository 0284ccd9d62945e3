"""The download route of attached files: ``GET /api/v1/attachments/<sha256>``, a file only as
an attachment of a record this user may see (docs/security.md, "Files")."""

from __future__ import annotations

from flask import Blueprint, Response

from sync import NotFound, ValidationError, check_sha256, select_records

from ..documents import DocumentReader
from ..web import current_user, db, require, state
from .files import blobs, file_response

bp = Blueprint("files", __name__, url_prefix="/api/v1")


@bp.get("/attachments/<sha256>")
@require()
def attachment_file(sha256: str) -> Response:
    """An attached file by its hash, with its media type and name; 404 when unknown here."""
    try:
        check_sha256(sha256)
    except ValidationError:
        raise NotFound("Không có tệp đính kèm này.") from None
    found = select_records(
        db(),
        "attachment",
        "WHERE sha256 = ? AND NOT coalesce(deleted, 0) ORDER BY uploaded_at DESC",
        (sha256,),
    )
    # Only as a file of a record this user may see, never of a secret document.
    reader = DocumentReader(db(), state().clock)
    found = [a for a in found if reader.may_serve(a, current_user())]
    if not found:
        raise NotFound("Không có tệp đính kèm này.")
    store = blobs()
    if not store.has(sha256):
        raise NotFound(
            "Tệp này chưa được tải về phường; hãy thử lại sau lần đồng bộ tới.",
            code="blob_not_received",
        )
    return file_response(sha256, found[0]["name"])
