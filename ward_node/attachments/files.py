"""Files attached to the ward's records: an upload is judged by its bytes, stored by its hash,
then named by an ``attachment`` record written through the node's write path (a record never
names a file this node lacks); the file follows its parent record (``x-route:
follow_parent``) at the next sync, after the record (``sync/blobsync.py``). Files are served
by what their bytes are, never by the type a record claims (docs/security.md, "Files"), at
``/api/v1/attachments/<sha256>`` to whom may see a record holding them."""

from __future__ import annotations

import unicodedata
from typing import Any

from flask import Response, current_app, request

from sync import (
    BlobStore,
    PayloadTooLarge,
    ValidationError,
    check_file,
    kind_of,
    new_id,
    nfc,
    utcnow_iso,
)
from webapp import send_stored_file

from ..store import capture
from ..web import current_user, db, state


def blobs() -> BlobStore:
    return BlobStore(state().data_dir / "blobs")


def _file_name(raw: str | None) -> str:
    """The uploaded file's name as kept: NFC, no folder, no control characters, 255 at most."""
    name = nfc(str(raw or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:255] or "tep-dinh-kem"


def store_upload(parent_type: str, parent_id: str, unit: str) -> dict[str, Any]:
    """Store the request's multipart ``file`` and attach it to a record; the attachment record.

    Refuses an oversized body before parsing it (413), a request without a file (422), and
    a file that is not a PDF, JPEG, PNG or TIFF by its bytes or is a PDF with active content
    (415, :class:`sync.UnsupportedFile`); a refused file is not stored.
    """
    limit = int(current_app.config["ATTACHMENT_MAX_BYTES"])
    too_large = f"Tệp đính kèm không được lớn hơn {limit / (1024 * 1024):g} MiB."
    # 64 KiB leaves room for the multipart wrapping.
    if (request.content_length or 0) > limit + 64 * 1024:
        raise PayloadTooLarge(too_large, max_bytes=limit)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError("Hãy chọn một tệp để đính kèm (trường 'file').", field="file")
    name = _file_name(upload.filename)
    try:
        sha = blobs().put(upload.stream, max_size=limit, check=lambda path: check_file(path, name))
    except PayloadTooLarge:
        raise PayloadTooLarge(too_large, max_bytes=limit) from None
    user = current_user()
    assert user is not None  # the views that call this require a login
    kind = kind_of(blobs().path(sha))
    assert kind is not None  # checked before it was stored
    record = {
        "id": new_id(),
        "unit": unit,
        "parent_type": parent_type,
        "parent_id": parent_id,
        "sha256": sha,
        "name": name,
        "mime": kind.mime,  # what the bytes are, not what the browser declared
        "size": blobs().size(sha),
        "uploaded_by": user.username,
        "uploaded_at": utcnow_iso(),
        "deleted": False,
    }
    capture(db(), state().clock).write(
        "attachment", record["id"], unit, record, actor=user.username
    )
    return record


def file_response(sha: str, name: str) -> Response:
    """A stored file of the ward for a person's browser (``webapp.send_stored_file``)."""
    return send_stored_file(blobs().path(sha), sha, name)
