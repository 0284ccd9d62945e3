"""The sync page: the node's sync state in words, with a button to sync now."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for

from sync import read_status

from ..web import db, require, state

bp = Blueprint("sync_status", __name__)


@bp.get("/sync")
@require()
def sync_page() -> str:
    """The sync status in words, with a button to sync now."""
    return render_template("sync_status/status.html", status=read_status(db()))


@bp.post("/sync")
@require()
def sync_now() -> Response:
    """Start a sync now from the page."""
    worker = state().worker
    if worker is not None:
        worker.trigger()
        flash("Đã yêu cầu đồng bộ ngay.", "ok")
    else:
        flash("Tiến trình đồng bộ nền đang tắt.", "error")
    return redirect(url_for("sync_status.sync_page"))
