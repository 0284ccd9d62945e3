"""The ward node's Flask app: settings, state, the web plumbing and the list of blueprints."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, jsonify

from sync import KeyPair, connect, tighten
from webapp import install, load_settings, session_cookie, token_blueprint

from . import (
    __version__,
    api,
    desk,
    directives_api,
    directives_pages,
    documents_api,
    documents_pages,
    meetings_pages,
    views,
)
from .filters import register as register_filters
from .housekeeping import Housekeeper
from .rotation import rotate_keys
from .settings import PREFIX, SETTINGS, sync_deadlines
from .setup import run_sync
from .store import STORE_FILE, identity, load_clock, open_store
from .web import NodeState, site_part
from .worker import SyncWorker


def blueprints() -> list[Blueprint]:
    """Every blueprint of the ward node, in the order they are registered."""
    return [
        token_blueprint("/api/v1"),
        api.bp,
        views.bp,
        desk.bp,
        directives_api.bp,
        directives_pages.bp,
        documents_api.bp,
        documents_pages.bp,
        meetings_pages.bp,
    ]


def create_app(config: dict[str, Any] | None = None, *, start_worker: bool = False) -> Flask:
    """Build the node's app for the data folder in ``config["DATA"]`` (see ``settings.py``).

    With ``start_worker`` the background threads of ``serve`` run in this process: the sync
    worker and housekeeping (``app.extensions["housekeeper"]``, to stop).
    """
    settings = load_settings(SETTINGS, PREFIX, config)
    data_dir = Path(settings["DATA"])
    KeyPair.load(data_dir / "keys")  # a clear error now rather than at the first sync
    # What older releases left readable by others; only in a folder that holds a node's keys,
    # never in a folder DATA names by mistake (docs/security.md, "Files on disk").
    tighten(data_dir)
    conn = open_store(data_dir)
    try:
        identity(conn)
        clock = load_clock(conn)
    finally:
        conn.close()
    app = Flask("ward_node")
    secret = settings["SECRET_KEY"] or (data_dir / "secret_key").read_text().strip()
    # Bodies up to the largest attachment, plus room for the multipart wrapping.
    max_body = int(settings["ATTACHMENT_MAX_BYTES"]) + 1024 * 1024
    app.config.update(settings, SECRET_KEY=secret, MAX_CONTENT_LENGTH=max_body)
    app.config.update(session_cookie(settings))
    node = NodeState(data_dir, clock)
    app.extensions["ward_node"] = node
    register_filters(app)
    install(app, site_part(data_dir), blueprints())

    @app.get("/healthz")
    def healthz() -> Response:
        check = connect(data_dir / STORE_FILE)
        try:
            check.execute("SELECT 1").fetchone()
        finally:
            check.close()
        return jsonify({"status": "ok", "role": "ward_node", "version": __version__})

    interval = float(settings["SYNC_INTERVAL"])
    deadlines = sync_deadlines(settings)  # a bad one is refused at start, worker or not
    if start_worker and interval > 0:
        node.worker = SyncWorker(
            data_dir,
            interval=interval,
            backoff_max=float(settings["BACKOFF_MAX"]),
            chunk=int(settings["SYNC_CHUNK"]),
            sync=partial(run_sync, deadlines=deadlines),
            rotate=partial(rotate_keys, deadlines=deadlines),
        )
        node.worker.start()
    app.extensions["housekeeper"] = None
    if start_worker and float(settings["HOUSEKEEPING_INTERVAL"]) > 0:
        app.extensions["housekeeper"] = Housekeeper(
            data_dir, interval=float(settings["HOUSEKEEPING_INTERVAL"])
        )
        app.extensions["housekeeper"].start()
    return app
