"""The sync page: the node's sync state in words, with a button to sync now."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, flash, redirect, render_template, url_for

from office import VIETNAM
from sync import read_status

from ..web import db, require, state

bp = Blueprint("sync_status", __name__)


@bp.get("/sync")
@require()
def sync_page() -> str:
    """The sync status in words, with a button to sync now; ``app.js`` refreshes its status
    in place from this same page every 15 seconds."""
    updated_at = datetime.now(VIETNAM).strftime("%H:%M:%S")
    return render_template(
        "sync_status/status.html", status=read_status(db()), updated_at=updated_at
    )


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
