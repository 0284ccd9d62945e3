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
from werkzeug.datastructures import FileStorage

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


def check_upload_size() -> None:
    """Refuse a request whose body is larger than one attachment may be (413), before its
    body is read (a page checks this before its CSRF token, which is in that body)."""
    limit = int(current_app.config["ATTACHMENT_MAX_BYTES"])
    # 64 KiB leaves room for the multipart wrapping.
    if (request.content_length or 0) > limit + 64 * 1024:
        raise PayloadTooLarge(_too_large(limit), max_bytes=limit)


def _too_large(limit: int) -> str:
    return f"Tệp đính kèm không được lớn hơn {limit / (1024 * 1024):g} MiB."


def accept_upload(upload: FileStorage | None) -> tuple[str, str]:
    """Judge an uploaded file by its bytes and keep it by its hash; its (sha256, name).

    Refuses a missing file (422), one larger than ``ATTACHMENT_MAX_BYTES`` (413), one that
    is not a PDF, JPEG, PNG or TIFF by its bytes or is a PDF with active content (415,
    :class:`sync.UnsupportedFile`). A refused file is not kept; nothing names a kept one yet
    (:func:`attach` does).
    """
    check_upload_size()
    limit = int(current_app.config["ATTACHMENT_MAX_BYTES"])
    if upload is None or not upload.filename:
        raise ValidationError("Hãy chọn một tệp để đính kèm (trường 'file').", field="file")
    name = _file_name(upload.filename)
    try:
        sha = blobs().put(upload.stream, max_size=limit, check=lambda path: check_file(path, name))
    except PayloadTooLarge:
        raise PayloadTooLarge(_too_large(limit), max_bytes=limit) from None
    return sha, name


def attach(parent_type: str, parent_id: str, unit: str, sha: str, name: str) -> dict[str, Any]:
    """Write the ``attachment`` record naming the kept file ``sha`` on a record, through the
    node's write path (in the caller's transaction, if any); the record."""
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


def store_upload(parent_type: str, parent_id: str, unit: str) -> dict[str, Any]:
    """Store the request's multipart ``file`` and attach it to a record; the attachment record.

    Refuses an oversized body before parsing it (413), a request without a file (422), and
    a file that is not a PDF, JPEG, PNG or TIFF by its bytes or is a PDF with active content
    (415, :class:`sync.UnsupportedFile`); a refused file is not stored.
    """
    check_upload_size()
    sha, name = accept_upload(request.files.get("file"))
    return attach(parent_type, parent_id, unit, sha, name)


def file_response(
    sha: str, name: str, *, download: bool = False, framable: bool = False
) -> Response:
    """A stored file of the ward for a person's browser (``webapp.send_stored_file``)."""
    return send_stored_file(blobs().path(sha), sha, name, download=download, framable=framable)
