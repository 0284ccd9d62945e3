"""The hub's Flask app: settings, state, the web plumbing and the list of blueprints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, jsonify

from sync import connect, get_meta, tighten
from webapp import install, load_settings, session_cookie, token_blueprint

from . import (
    api,
    blob_api,
    console,
    console_conflicts,
    console_directives,
    console_reference,
    console_sms,
    console_stats,
    console_units,
    console_work,
    directives_api,
    documents_api,
    meetings_api,
    portal,
    public,
    sms_api,
    submit,
    sync_api,
)
from .housekeeping import Housekeeper, history_days
from .settings import PREFIX, SETTINGS
from .setup import load_keys
from .sms import DispatchWorker
from .store import load_clock, open_store
from .web import HubState, site_part


def blueprints() -> list[Blueprint]:
    """Every blueprint of the hub, in the order they are registered."""
    return [
        sync_api.bp,
        blob_api.bp,
        token_blueprint("/api/v1"),
        api.bp,
        sms_api.bp,
        public.bp,
        directives_api.bp,
        documents_api.bp,
        meetings_api.bp,
        console.bp,
        console_conflicts.bp,
        submit.bp,
        portal.bp,
        console_sms.bp,
        console_stats.bp,
        console_reference.bp,
        console_units.bp,
        console_work.bp,
        console_directives.bp,
    ]


# Where an error a person sees is shown: the console's page under /console, else the portal's.
ERROR_PAGES = (("/console", console.error_page), ("", portal.error_page))


def create_app(config: dict[str, Any] | None = None, *, start_dispatcher: bool = False) -> Flask:
    """Build the hub's app for the data folder in ``config["DATA"]`` (see ``settings.py``).

    With ``start_dispatcher`` the background threads of ``serve`` run in this process: the SMS
    dispatcher and housekeeping, in ``app.extensions["sms_dispatcher"]`` and
    ``app.extensions["housekeeper"]`` (``None`` when turned off), to stop.
    """
    settings = load_settings(SETTINGS, PREFIX, config)
    history_days(settings)  # a bad one is refused at start
    data_dir = Path(settings["DATA"])
    keys = load_keys(data_dir)
    # What older releases left readable by others; only in a folder that holds the hub's keys,
    # never in a folder DATA names by mistake (docs/security.md, "Files on disk").
    tighten(data_dir)
    conn = open_store(data_dir)
    try:
        clock = load_clock(conn)
        hub_id = get_meta(conn, "hub_id", "hub")
        name = get_meta(conn, "hub_name", "")
        unit = get_meta(conn, "hub_unit", "H57")
    finally:
        conn.close()
    app = Flask("central_hub")
    secret = settings["SECRET_KEY"] or (data_dir / "secret_key").read_text().strip()
    app.config.update(settings, SECRET_KEY=secret, MAX_CONTENT_LENGTH=settings["MAX_BODY_BYTES"])
    app.config.update(session_cookie(settings))
    app.extensions["hub"] = HubState(data_dir, hub_id, name, unit, keys, clock)
    install(app, site_part(data_dir, ERROR_PAGES), blueprints())

    @app.get("/healthz")
    def healthz() -> Response:
        check = connect(data_dir / "hub.sqlite3")
        try:
            check.execute("SELECT 1").fetchone()
        finally:
            check.close()
        return jsonify({"status": "ok", "role": "hub", "hub_id": hub_id})

    app.extensions["sms_dispatcher"] = None
    if start_dispatcher and float(settings["SMS_INTERVAL"]) > 0:
        app.extensions["sms_dispatcher"] = DispatchWorker.from_settings(settings, data_dir)
        app.extensions["sms_dispatcher"].start()
    app.extensions["housekeeper"] = None
    if start_dispatcher and float(settings["HOUSEKEEPING_INTERVAL"]) > 0:
        app.extensions["housekeeper"] = Housekeeper(
            data_dir,
            interval=float(settings["HOUSEKEEPING_INTERVAL"]),
            history_days=history_days(settings),
        )
        app.extensions["housekeeper"].start()
    return app
