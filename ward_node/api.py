"""The ward node's JSON API (``/api/v1``, CONTRACT.md "Ward node")."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from sync import NotFound, ValidationError, atomic, authenticate, issue_token, read_status

from .dossiers import STATUS_NAMES, Dossiers
from .errors import RateLimited
from .people import mask_name
from .web import current_user, db, error_json, page_args, require, state

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _dossiers() -> Dossiers:
    return Dossiers(db(), state().clock)


def _user() -> Any:
    user = current_user()
    assert user is not None  # guaranteed by @require
    return user


def _json_body() -> Any:
    body = request.get_json(silent=True)
    if body is None:
        raise ValidationError(
            "Nội dung gửi lên phải là JSON (Content-Type: application/json).",
            code="bad_json",
            field="body",
        )
    return body


@bp.post("/auth/token")
def token() -> Response:
    """Exchange a username and password for a bearer token."""
    body = request.get_json(silent=True) or {}
    user = authenticate(db(), str(body.get("username", "")), str(body.get("password", "")))
    value, expires = issue_token(db(), user)
    return jsonify(
        {"token": value, "expires_at": expires.isoformat(timespec="seconds"), "role": user.role}
    )


@bp.post("/dossiers")
@require()
def create_dossier() -> tuple[Response, int]:
    """Receive a dossier at the desk; 201 with its code and due date."""
    dossier = _dossiers().receive(_json_body(), _user())
    return jsonify(dossier), 201


@bp.get("/dossiers")
@require()
def list_dossiers() -> Response:
    """List and search dossiers: ``q``, ``status``, ``overdue``, ``limit``, ``cursor``."""
    limit, cursor = page_args()
    status = request.args.get("status", type=int)
    overdue_arg = request.args.get("overdue")
    overdue = None if overdue_arg in (None, "") else overdue_arg.lower() in ("1", "true", "yes")
    items, next_cursor = _dossiers().search(
        request.args.get("q", ""), status, overdue, limit, cursor
    )
    return jsonify({"items": items, "next_cursor": next_cursor})


@bp.get("/dossiers/<dossier_id>")
@require()
def get_dossier(dossier_id: str) -> Response:
    """One dossier with its step history."""
    return jsonify(_dossiers().get(dossier_id))


@bp.patch("/dossiers/<dossier_id>")
@require()
def patch_dossier(dossier_id: str) -> Response:
    """Edit ``notes`` and the applicant's contact fields."""
    return jsonify(_dossiers().edit(dossier_id, _json_body(), _user()))


@bp.post("/dossiers/<dossier_id>/actions")
@require()
def dossier_action(dossier_id: str) -> Response:
    """Move a dossier through the status machine; 409 when not allowed from its status."""
    return jsonify(_dossiers().act(dossier_id, _json_body(), _user()))


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
    client = request.remote_addr or "?"
    now = time.time()
    per_minute = int(current_app.config["PUBLIC_LOOKUP_PER_MINUTE"])
    conn = db()
    with atomic(conn):
        conn.execute("DELETE FROM public_lookups WHERE at < ?", (now - 60,))
        count = conn.execute(
            "SELECT count(*) FROM public_lookups WHERE client = ?", (client,)
        ).fetchone()[0]
        if count >= per_minute:
            raise RateLimited("Bạn tra cứu quá nhiều lần. Hãy đợi một phút rồi thử lại.")
        conn.execute("INSERT INTO public_lookups (client, at) VALUES (?, ?)", (client, now))


@bp.get("/sync/status")
@require()
def sync_status() -> Response:
    """The node's sync state, told truthfully (CONTRACT.md)."""
    status = read_status(db())
    worker = state().worker
    status["paused"] = bool(worker and worker.paused)
    return jsonify(status)


@bp.post("/sync/run")
@require()
def sync_run() -> tuple[Response, int] | Response:
    """Start a sync now, in the background; 202 at once."""
    worker = state().worker
    if worker is None:
        return error_json(409, "no_worker", "Tiến trình đồng bộ nền đang tắt (SYNC_INTERVAL = 0).")
    worker.trigger()
    return jsonify({"started": True}), 202
