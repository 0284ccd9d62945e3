"""The ward node's Flask app: settings, state, the web plumbing and the list of blueprints."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, jsonify

from office import vn_date, vn_datetime, vnd
from sync import KeyPair, connect, tighten
from webapp import (
    front,
    install,
    install_metrics,
    install_openapi,
    load_settings,
    run_in_background,
    session_cookie,
    token_blueprint,
)

from . import __version__, api_description
from .attachments import download
from .attachments import pages as attachment_pages
from .desk import pages as desk_pages
from .directives import api as directives_api
from .directives import pages as directives_pages
from .documents import api as documents_api
from .documents import pages as documents_pages
from .dossiers import api as dossiers_api
from .dossiers import pages as dossiers_pages
from .housekeeping import Housekeeper
from .meetings import api as meetings_api
from .meetings import pages as meetings_pages
from .metrics import OBSERVED, ROLES, store_families
from .settings import PREFIX, SETTINGS, hub_link
from .store import STORE_FILE, identity, load_clock, open_store
from .sync_link import SyncWorker, rotate_keys, run_sync
from .sync_link import api as sync_api
from .sync_link import pages as sync_pages
from .web import NodeState, site_part


def blueprints() -> list[Blueprint]:
    """Every blueprint of the ward node, in the order they are registered: each package's
    views (``api.py`` for ``/api/v1``, ``pages.py`` for people) expose one ``bp``. A package's
    ``__init__`` names its rules and services only, so that reading a rule never loads pages."""
    return [
        token_blueprint("/api/v1"),
        dossiers_api.bp,
        dossiers_pages.bp,
        attachment_pages.bp,
        desk_pages.bp,
        directives_api.bp,
        directives_pages.bp,
        documents_api.bp,
        documents_pages.bp,
        download.bp,
        meetings_pages.bp,
        meetings_api.bp,
        sync_pages.bp,
        sync_api.bp,
    ]


def create_app(config: dict[str, Any] | None = None, *, start_worker: bool = False) -> Flask:
    """Build the node's app for the data folder in ``config["DATA"]`` (see ``settings.py``).

    With ``start_worker`` the background threads of ``serve`` run in this process: the sync
    worker and housekeeping (``app.extensions["housekeeper"]``); whoever built the app stops them
    with ``webapp.stop_background(app)``.
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
    # Times in Huế time, money in đồng: the office's display, shared with the hub.
    app.add_template_filter(vn_datetime, "vn_datetime")
    app.add_template_filter(vn_date, "vn_date")
    app.add_template_filter(vnd, "vnd")
    install(app, site_part(data_dir), blueprints())
    install_metrics(app, store_families, OBSERVED, ROLES)
    install_openapi(app, api_description.describe)
    front(app)  # the client behind the proxy, the access log (docs/operations.md, "Logs")

    @app.get("/healthz")
    def healthz() -> Response:
        check = connect(data_dir / STORE_FILE)
        try:
            check.execute("SELECT 1").fetchone()
        finally:
            check.close()
        return jsonify({"status": "ok", "role": "ward_node", "version": __version__})

    interval = float(settings["SYNC_INTERVAL"])
    # The deadlines and the CA bundle: a bad one is refused at start, worker or not.
    deadlines = hub_link(settings)
    if start_worker and interval > 0:
        # Each thread of serve is also in app.extensions["background"], which whoever built
        # the app stops with stop_background (docs/operations.md, "Background threads").
        node.worker = run_in_background(
            app,
            SyncWorker(
                data_dir,
                interval=interval,
                backoff_max=float(settings["BACKOFF_MAX"]),
                chunk=int(settings["SYNC_CHUNK"]),
                sync=partial(run_sync, deadlines=deadlines),
                rotate=partial(rotate_keys, deadlines=deadlines),
            ),
        )
    app.extensions["housekeeper"] = None
    if start_worker and float(settings["HOUSEKEEPING_INTERVAL"]) > 0:
        app.extensions["housekeeper"] = run_in_background(
            app, Housekeeper(data_dir, interval=float(settings["HOUSEKEEPING_INTERVAL"]))
        )
    return app
