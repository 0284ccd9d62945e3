"""Files attached to the ward's records: an upload is stored by its hash, then named by an
``attachment`` record written through the node's write path (a record never names a file this
node lacks); the file follows its parent record (``x-route: follow_parent``) at the next sync,
after the record (``sync/blobsync.py``)."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from typing import Any

from flask import current_app, request

from sync import BlobStore, PayloadTooLarge, ValidationError, new_id, nfc, utcnow_iso

from .store import capture
from .web import current_user, db, state


def blobs() -> BlobStore:
    return BlobStore(state().data_dir / "blobs")


MIME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#&_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#&_.+-]{0,126}$")


def _file_name(raw: str | None) -> str:
    """The uploaded file's name as kept: NFC, no folder, no control characters, 255 at most."""
    name = nfc(str(raw or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:255] or "tep-dinh-kem"


def _mime(declared: str | None, name: str) -> str:
    """The file's media type: as the browser declared it, else guessed from its name."""
    if declared and declared != "application/octet-stream" and MIME_RE.match(declared):
        return declared
    guessed = mimetypes.guess_type(name)[0]
    return guessed if guessed and MIME_RE.match(guessed) else "application/octet-stream"


def store_upload(parent_type: str, parent_id: str, unit: str) -> dict[str, Any]:
    """Store the request's multipart ``file`` and attach it to a record; the attachment record.

    Refuses an oversized body before parsing it (413) and a request without a file (422).
    """
    limit = int(current_app.config["ATTACHMENT_MAX_BYTES"])
    too_large = f"Tệp đính kèm không được lớn hơn {limit / (1024 * 1024):g} MiB."
    # 64 KiB leaves room for the multipart wrapping.
    if (request.content_length or 0) > limit + 64 * 1024:
        raise PayloadTooLarge(too_large, max_bytes=limit)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError("Hãy chọn một tệp để đính kèm (trường 'file').", field="file")
    try:
        sha = blobs().put(upload.stream, max_size=limit)
    except PayloadTooLarge:
        raise PayloadTooLarge(too_large, max_bytes=limit) from None
    user = current_user()
    assert user is not None  # the views that call this require a login
    name = _file_name(upload.filename)
    record = {
        "id": new_id(),
        "unit": unit,
        "parent_type": parent_type,
        "parent_id": parent_id,
        "sha256": sha,
        "name": name,
        "mime": _mime(upload.mimetype, name),
        "size": blobs().size(sha),
        "uploaded_by": user.username,
        "uploaded_at": utcnow_iso(),
        "deleted": False,
    }
    capture(db(), state().clock).write(
        "attachment", record["id"], unit, record, actor=user.username
    )
    return record
