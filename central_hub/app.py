"""The hub's Flask app: settings, state, the web plumbing and the list of blueprints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from sync import get_meta, tighten
from webapp import (
    Admission,
    error_json,
    error_page,
    front,
    install,
    install_metrics,
    install_openapi,
    load_settings,
    run_in_background,
    session_cookie,
    site,
    token_blueprint,
)

from . import (
    api_description,
    city,
    conflicts,
    console,
    dossiers,
    edxml,
    nodes,
    portal,
    protocol,
    reference,
    sms,
)
from .housekeeping import Housekeeper, history_days
from .metrics import OBSERVED, ROLES, store_families
from .settings import PREFIX, SETTINGS
from .setup import load_keys
from .store import StoreUnavailable, check_store, load_clock, open_store, use_database
from .web import HubState, console_error_page, site_part


def blueprints() -> list[Blueprint]:
    """Every blueprint of the hub, in the order they are registered: each package says its own
    (``BLUEPRINTS`` in its ``__init__``)."""
    return [
        *protocol.BLUEPRINTS,
        token_blueprint("/api/v1"),
        *nodes.BLUEPRINTS,
        *dossiers.BLUEPRINTS,
        *conflicts.BLUEPRINTS,
        *sms.BLUEPRINTS,
        *city.BLUEPRINTS,
        *edxml.BLUEPRINTS,
        *reference.BLUEPRINTS,
        *console.BLUEPRINTS,
        *portal.BLUEPRINTS,
    ]


# Where an error a person sees is shown: the console's page under /console, else the portal's.
ERROR_PAGES = (("/console", console_error_page), ("", portal.error_page))


def _database_errors(app: Flask) -> None:
    """A PostgreSQL store that stops answering mid-request (a failover, a restart) is a 503
    that says to try again, not a 500: a ward's worker retries, a person reloads
    (docs/operations.md, "PostgreSQL")."""
    try:
        import psycopg
    except ImportError:
        return

    @app.errorhandler(psycopg.OperationalError)
    @app.errorhandler(StoreUnavailable)
    def database_down(exc: Exception) -> Response:
        message = (
            "Cơ sở dữ liệu của máy chủ trung tâm tạm thời không trả lời; hãy thử lại sau ít "
            "phút. Dữ liệu ở phường vẫn được lưu và sẽ gửi khi máy chủ trả lời."
        )
        if site().is_page(request.path):
            resp = error_page(503, message)
        else:
            resp = error_json(503, "store_unavailable", message)
        resp.headers["Retry-After"] = "30"
        return resp


def create_app(config: dict[str, Any] | None = None, *, start_dispatcher: bool = False) -> Flask:
    """Build the hub's app for the data folder in ``config["DATA"]`` (see ``settings.py``).

    With ``start_dispatcher`` the background threads of ``serve`` run in this process: the SMS
    dispatcher, the edXML exchange and housekeeping, in ``app.extensions["sms_dispatcher"]``,
    ``["edxml"]`` and ``["housekeeper"]`` (``None`` when turned off); whoever built the app
    stops them all with ``webapp.stop_background(app)``.
    """
    settings = load_settings(SETTINGS, PREFIX, config)
    history_days(settings)  # a bad one is refused at start
    data_dir = Path(settings["DATA"])
    if (config or {}).get("DATABASE_URL"):
        # Given in code (a test, a tool); from the environment or DATA/config.json the store
        # finds it itself, after a command's --database-url (central_hub/store/engine.py).
        use_database(data_dir, (config or {})["DATABASE_URL"])
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
    app.extensions["admission"] = None
    if int(settings["MAX_INFLIGHT"]) >= 0:
        # Under pressure a node is told to come back in a second or two, rather than queued
        # (docs/operations.md, "Under pressure"); people's pages are never refused so.
        bound = int(settings["MAX_INFLIGHT"]) or None
        admission = Admission(app.wsgi_app, limit=bound, paths=("/sync/",))
        app.wsgi_app = admission  # type: ignore[method-assign]
        app.extensions["admission"] = admission

    _database_errors(app)
    install_metrics(app, store_families, OBSERVED, ROLES)
    install_openapi(app, api_description.describe)
    # The client behind the proxy and the access log, outside admission control, so a request
    # refused under pressure is logged with its address (docs/operations.md, "Logs").
    front(app)

    @app.get("/healthz")
    def healthz() -> Response:
        check_store(data_dir)
        return jsonify({"status": "ok", "role": "hub", "hub_id": hub_id})

    # The threads of serve, each also in app.extensions["background"], which whoever built the
    # app stops with stop_background (docs/operations.md, "Background threads").
    app.extensions["sms_dispatcher"] = None
    if start_dispatcher and float(settings["SMS_INTERVAL"]) > 0:
        app.extensions["sms_dispatcher"] = run_in_background(
            app, sms.DispatchWorker.from_settings(settings, data_dir)
        )
    app.extensions["edxml"] = None
    if start_dispatcher and float(settings["EDXML_INTERVAL"]) > 0:
        # The drop folders of a platform connector beside the hub (docs/edxml.md).
        app.extensions["edxml"] = run_in_background(
            app, edxml.ExchangeWorker(app, float(settings["EDXML_INTERVAL"]))
        )
    app.extensions["housekeeper"] = None
    if start_dispatcher and float(settings["HOUSEKEEPING_INTERVAL"]) > 0:
        app.extensions["housekeeper"] = run_in_background(
            app,
            Housekeeper(
                data_dir,
                interval=float(settings["HOUSEKEEPING_INTERVAL"]),
                history_days=history_days(settings),
            ),
        )
    return app
