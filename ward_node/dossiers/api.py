"""The dossier API (``/api/v1/dossiers``, ``/api/v1/procedures``), the public look-up of a
dossier by its code (``/api/v1/public/...``, rate-limited). ``/api/v1/auth/token`` is the
shared web plumbing's (``webapp``)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from sync import NotFound, mask_name
from webapp import check_rate, int_arg, json_body

from ..attachments import store_upload
from ..web import db, page_args, require, signed_in
from .current import dossiers
from .papers import record_papers
from .rules import STATUS_NAMES
from .service import Dossiers

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _dossiers() -> Dossiers:
    return dossiers()


@bp.post("/dossiers")
@require()
def create_dossier() -> tuple[Response, int]:
    """Receive a dossier at the desk; 201 with its code and due date."""
    dossier = _dossiers().receive(json_body(), signed_in())
    return jsonify(dossier), 201


@bp.get("/dossiers")
@require()
def list_dossiers() -> Response:
    """List and search dossiers: ``q``, ``status``, ``overdue``, ``limit``, ``cursor``."""
    limit, cursor = page_args()
    status = int_arg("status", low=0, high=max(STATUS_NAMES))
    overdue_arg = request.args.get("overdue")
    overdue = None if overdue_arg in (None, "") else overdue_arg.lower() in ("1", "true", "yes")
    items, next_cursor = _dossiers().search(
        request.args.get("q", ""), status, overdue, limit, cursor
    )
    return jsonify({"items": items, "next_cursor": next_cursor})


@bp.get("/dossiers/<dossier_id>")
@require()
def get_dossier(dossier_id: str) -> Response:
    """One dossier with its step history and the ``actions`` this user may apply now (the
    buttons its page shows: ``permissions.py``)."""
    service = _dossiers()
    dossier = service.get(dossier_id)
    actions = [a.name for a in service.allowed_actions(dossier, signed_in())]
    return jsonify(dict(dossier, actions=actions))


@bp.patch("/dossiers/<dossier_id>")
@require()
def patch_dossier(dossier_id: str) -> Response:
    """Edit ``notes`` and the applicant's contact fields."""
    return jsonify(_dossiers().edit(dossier_id, json_body(), signed_in()))


@bp.put("/dossiers/<dossier_id>/papers")
@require()
def put_papers(dossier_id: str) -> Response:
    """Replace the papers handed in (``{"papers_received": [...]}``) while the dossier is at
    status 2 or 5; the fee is recomputed from them. 409 at another status."""
    body = json_body()
    raw = body.get("papers_received") if isinstance(body, dict) else None
    return jsonify(record_papers(_dossiers(), dossier_id, raw, signed_in()))


@bp.post("/dossiers/<dossier_id>/actions")
@require()
def dossier_action(dossier_id: str) -> Response:
    """Move a dossier through the status machine; 409 when not allowed from its status."""
    return jsonify(_dossiers().act(dossier_id, json_body(), signed_in()))


@bp.post("/dossiers/<dossier_id>/attachments")
@require()
def attach_to_dossier(dossier_id: str) -> tuple[Response, int]:
    """Attach a file (multipart field ``file``) to a dossier; 201 with the attachment record.

    The file is stored first (by its hash, in ``DATA/blobs``), then the record is written
    through the node's write path: a record never names a file this node lacks. The file
    reaches the hub at the next sync, after the record (``sync/blobsync.py``).
    """
    dossier = _dossiers().authorize(dossier_id, signed_in(), "dossier.attach")
    record = store_upload("dossier", dossier_id, dossier["unit"])
    return jsonify(record), 201


@bp.get("/dossiers/<dossier_id>/attachments")
@require()
def dossier_attachments(dossier_id: str) -> Response:
    """The files attached to a dossier, oldest first."""
    return jsonify({"items": _dossiers().get(dossier_id)["attachments"], "next_cursor": None})


@bp.get("/procedures")
@require()
def procedures() -> Response:
    """The procedure catalogue received from the hub."""
    return jsonify({"items": _dossiers().procedures(), "next_cursor": None})


@bp.get("/public/dossiers/<code>")
def public_dossier(code: str) -> Response:
    """No login: a dossier's status by its code, the applicant's name masked, no staff names."""
    _rate_limit()
    dossier = _dossiers().by_code(code)
    if dossier is None:
        raise NotFound("Không tìm thấy hồ sơ với mã này. Hãy kiểm tra lại mã trên giấy tiếp nhận.")
    return jsonify(
        {
            "code": dossier["code"],
            "procedure_name": dossier["procedure_name"],
            "applicant_name": mask_name(dossier["applicant"]["full_name"]),
            "status": dossier["status"],
            "status_name": STATUS_NAMES[dossier["status"]],
            "received_at": dossier["received_at"],
            "due_at": dossier["due_at"],
            "returned_at": dossier.get("returned_at"),
            "timeline": [
                {
                    "at": s["at"],
                    "status": s["to_status"],
                    "status_name": STATUS_NAMES[s["to_status"]],
                }
                for s in dossier["steps"]
            ],
        }
    )


def _rate_limit() -> None:
    """Refuse more than PUBLIC_LOOKUP_PER_MINUTE look-ups a minute from one address."""
    check_rate(
        db(), request.remote_addr or "?", int(current_app.config["PUBLIC_LOOKUP_PER_MINUTE"])
    )
