"""The sync API (``/api/v1/sync``): the node's sync state, told truthfully, and the tray's
buttons: sync now, pause, resume (docs/sync.md)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from sync import read_status

from ..web import db, error_json, require, state

bp = Blueprint("sync_status_api", __name__, url_prefix="/api/v1/sync")


@bp.get("/status")
@require()
def sync_status() -> Response:
    """The node's sync state, told truthfully (docs/sync.md)."""
    status = read_status(db())
    worker = state().worker
    status["paused"] = bool(worker and worker.paused)
    return jsonify(status)


@bp.post("/run")
@require()
def sync_run() -> tuple[Response, int] | Response:
    """Start a sync now, in the background; 202 at once."""
    worker = state().worker
    if worker is None:
        return error_json(409, "no_worker", "Tiến trình đồng bộ nền đang tắt (SYNC_INTERVAL = 0).")
    worker.trigger()
    return jsonify({"started": True}), 202


def _set_paused(paused: bool) -> tuple[Response, int] | Response:
    worker = state().worker
    if worker is None:
        return error_json(409, "no_worker", "Tiến trình đồng bộ nền đang tắt (SYNC_INTERVAL = 0).")
    worker.paused = paused
    return jsonify({"paused": paused})


@bp.post("/pause")
@require()
def sync_pause() -> tuple[Response, int] | Response:
    """Pause the background sync (the tray's "Tạm dừng"); lasts until resumed or restarted."""
    return _set_paused(True)


@bp.post("/resume")
@require()
def sync_resume() -> tuple[Response, int] | Response:
    """Resume the background sync, and run one at once."""
    response = _set_paused(False)
    if state().worker is not None:
        state().worker.trigger()
    return response
