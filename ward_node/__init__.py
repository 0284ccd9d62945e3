"""The ward node: the ward's Flask app (pages + JSON API), its store, sync worker and CLI.

Its packages, by what they serve, each exposing ``blueprints()`` for :func:`create_app`:

- ``dossiers/``: one-stop dossiers: the status machine, due dates, applicants, SMS notices;
- ``desk/``: the front desk's day: work lists, printed forms, register, statistics, look-up;
- ``documents/``, ``directives/``, ``meetings/``: official documents, directives, meetings;
- ``conflicts/``: conflicts open on the ward's records and deciding one (its two pages are
  routes of the dossier pages' blueprint, ``pages``, under which the base template names them);
- ``attachments/``: files attached to records, stored by hash, and their download;
- ``sync_link/``: the ward's link to the hub; ``tray/``: the front-desk PCs' tray app.

The app's plumbing stays here: ``web.py`` (requests, errors, login), ``permissions.py`` (who
may do what, asked by every package), ``store.py``, ``settings.py``, ``errors.py``,
``housekeeping.py``, ``cli.py``.

Importing the package imports nothing heavy: the tray app (``ward_node.tray``) runs on the
front-desk PCs, Windows ones included, without the server's dependencies.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.2.0"  # the package version (setup.cfg reads it): what nodes report to the hub


def create_app(config: dict[str, Any] | None = None, *, start_worker: bool = False) -> Flask:
    """Build the node's app for the data folder in ``config["DATA"]`` (see ``settings.py``).

    With ``start_worker`` the background threads of ``serve`` run in this process: the sync
    worker and housekeeping (``app.extensions["housekeeper"]``, to stop).
    """
    from functools import partial

    from flask import Flask, Response, jsonify

    from office import vn_date, vn_datetime, vnd
    from sync import KeyPair, connect, tighten
    from webapp import load_settings, session_cookie

    from . import attachments, desk, directives, documents, dossiers, meetings, sync_link
    from .housekeeping import Housekeeper
    from .settings import PREFIX, SETTINGS, sync_deadlines
    from .store import STORE_FILE, identity, load_clock, open_store
    from .sync_link import SyncWorker, rotate_keys, run_sync
    from .web import NodeState, install

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
    app = Flask(__name__)
    secret = settings["SECRET_KEY"] or (data_dir / "secret_key").read_text().strip()
    # Bodies up to the largest attachment, plus room for the multipart wrapping.
    max_body = int(settings["ATTACHMENT_MAX_BYTES"]) + 1024 * 1024
    app.config.update(settings, SECRET_KEY=secret, MAX_CONTENT_LENGTH=max_body)
    app.config.update(session_cookie(settings))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    node = NodeState(data_dir, clock)
    app.extensions["ward_node"] = node
    install(app)
    # Times in Huế time, money in đồng: the office's display, shared with the hub.
    app.add_template_filter(vn_datetime, "vn_datetime")
    app.add_template_filter(vn_date, "vn_date")
    app.add_template_filter(vnd, "vnd")

    for blueprint in (
        *dossiers.blueprints(),
        *desk.blueprints(),
        *directives.blueprints(),
        *documents.blueprints(),
        *attachments.blueprints(),
        *meetings.blueprints(),
        *sync_link.blueprints(),
    ):
        app.register_blueprint(blueprint)

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
