"""A dossier's files at the desk (issue [11]): every file on the dossier's page, a PDF or an
image viewed in place (served as an inert, sandboxed file that only the ward's own pages may
frame: docs/security.md, "Files"), any other kind downloaded only; and the desk attaching a
scan on the dossier's page, under the same checks as the API (``files.py``: judged by its
bytes, size capped), the file following its dossier to the hub at the next sync.

- ``GET /dossiers/<id>/tep/<attachment id>``: the file, in place (``?tai-ve=1``: downloaded);
- ``POST /dossiers/<id>/tep``: attach a file (multipart ``file``), back to the dossier's page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for

from sync import NotFound, SyncError, kind_of, select_records

from ..dossiers.current import dossiers
from ..web import current_user, db, require
from .files import accept_upload, attach, blobs, check_upload_size, file_response

bp = Blueprint("dossier_files", __name__)

# What the file picker offers: the kinds an upload is accepted as (sync/filetypes.py).
SCAN_ACCEPT = "application/pdf,image/jpeg,image/png,image/tiff,.pdf,.jpg,.jpeg,.png,.tif,.tiff"
# Who uploaded a file that no ward account did: the citizen, through the portal.
UPLOADERS = {"citizen": "Công dân (nộp trực tuyến)", "hub": "Máy chủ thành phố"}


@bp.get("/dossiers/<dossier_id>/tep/<attachment_id>")
@require()
def dossier_file(dossier_id: str, attachment_id: str) -> Response:
    """One file of a dossier: a PDF, JPEG or PNG in place (its page frames it), anything else,
    or with ``?tai-ve=1``, downloaded; 404 when the dossier has no such file or its bytes have
    not reached the ward yet."""
    found = _attachment(dossier_id, attachment_id)
    if not blobs().has(found["sha256"]):
        raise NotFound(
            "Tệp này chưa được tải về phường; hãy thử lại sau lần đồng bộ tới.",
            code="blob_not_received",
        )
    download = request.args.get("tai-ve") == "1"
    return file_response(found["sha256"], found["name"], download=download, framable=True)


@bp.post("/dossiers/<dossier_id>/tep")
@require()
def attach_file(dossier_id: str) -> Response:
    """Attach the chosen file to the dossier (who may: ``dossier.attach``), then show it."""
    user = current_user()
    assert user is not None
    shown = None
    try:
        check_upload_size()
        dossier = dossiers().authorize(dossier_id, user, "dossier.attach")
        sha, name = accept_upload(request.files.get("file"))
        shown = attach("dossier", dossier_id, dossier["unit"], sha, name)["id"]
    except SyncError as exc:
        flash(exc.message, "error")
    else:
        flash(f"Đã đính kèm tệp {name}.", "ok")
    return redirect(url_for("pages.dossier", dossier_id=dossier_id, tep=shown, _anchor="giay-to"))


def _attachment(dossier_id: str, attachment_id: str) -> dict[str, Any]:
    found = select_records(
        db(),
        "attachment",
        "WHERE id = ? AND parent_type = 'dossier' AND parent_id = ? AND NOT coalesce(deleted, 0)",
        (attachment_id, dossier_id),
    )
    if not found:
        raise NotFound("Hồ sơ này không có tệp đính kèm đó.")
    return found[0]


def describe_files(dossier: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """The dossier's files as its page lists them, oldest first: name, kind, size, who attached
    it (``names``: usernames to full names) and when, whether it is here yet, and how it is
    viewed (``"pdf"`` in a frame, ``"image"``, or ``None``: download only), judged by the
    file's bytes, never by the type its record claims."""
    store = blobs()
    files = []
    for a in dossier.get("attachments") or []:
        present = store.has(a["sha256"])
        kind = kind_of(store.path(a["sha256"])) if present else None
        view = None
        if kind is not None and kind.inline:
            view = "pdf" if kind.mime == "application/pdf" else "image"
        who = a.get("uploaded_by") or ""
        files.append(
            {
                "id": a["id"],
                "name": a["name"],
                "kind": kind.label if kind else None,
                "size": size_text(int(a.get("size") or 0)),
                "by": names.get(who) or UPLOADERS.get(who) or who,
                "at": a.get("uploaded_at"),
                "present": present,
                "view": view,
                "url": url_for(
                    "dossier_files.dossier_file", dossier_id=dossier["id"], attachment_id=a["id"]
                ),
            }
        )
    return files


def size_text(size: int) -> str:
    """A file size as a Vietnamese reader writes it: ``"850 KB"``, ``"1,2 MB"``."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


@bp.app_context_processor
def _upload_labels() -> dict[str, Any]:
    """What an upload field tells: the kinds of file it takes, and how large."""
    limit = int(current_app.config["ATTACHMENT_MAX_BYTES"])
    return {
        "scan_accept": SCAN_ACCEPT,
        "scan_limit": f"{limit / (1024 * 1024):g} MiB".replace(".", ","),
    }
