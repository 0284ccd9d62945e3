"""What both apps install on their Flask app: JSON, the shared stylesheet, the browser
policy, the store's teardown, error handlers and the shared page layouts."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, g, request, send_from_directory
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from sync import SyncError, ValidationError, loads_bounded

from .assets import ASSET_DIR
from .browser import apply_policy
from .csrf import SESSION_USER, csrf_token
from .errors import error_json, error_page
from .logs import AccessLog, log_options, logged_path, note_request
from .proxy import TrustedProxies, trusted_networks
from .session import TOKEN_USER
from .site import Site, site

# A year, on HTTPS answers only (browsers ignore it over HTTP): once a browser has seen it, a
# mistyped http:// address of the console never sends a password in clear (docs/security.md).
HSTS = "max-age=31536000"
log = logging.getLogger("webapp")

# The layouts the apps' templates extend ("webapp/layout.html", "webapp/login.html", …).
layouts = Blueprint("webapp", __name__, template_folder=str(Path(__file__).parent / "templates"))


class BoundedJSON(DefaultJSONProvider):
    """Flask's JSON, Vietnamese kept readable, with request bodies' nesting depth bounded
    (``sync.loads_bounded``): every ``request.get_json`` goes through it."""

    ensure_ascii = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_bounded(s, **kwargs)


def install(app: Flask, part: Site, blueprints: Iterable[Blueprint] = ()) -> None:
    """Set ``app`` up with the plumbing, ``part`` being what is the app's own, then register
    ``blueprints`` in order."""
    app.extensions["webapp"] = part
    app.json = BoundedJSON(app)
    # The stylesheet both apps share (webapp/assets), served by each: no CDN.
    app.add_url_rule("/assets/<path:name>", "_asset", _asset)
    app.after_request(browser_policy)
    app.teardown_request(_note_access)
    app.teardown_appcontext(_close)
    app.register_error_handler(SyncError, _engine_error)
    app.register_error_handler(HTTPException, _http_error)
    if part.template_user is not None:
        user = part.template_user
        app.context_processor(lambda: {"current_user": user(), "csrf_token": csrf_token})
    app.register_blueprint(layouts)
    for bp in blueprints:
        app.register_blueprint(bp)


def front(app: Flask) -> None:
    """Put the outer layers around ``app``'s WSGI callable, after any the app adds itself
    (admission control): the client's address from a trusted proxy (``TRUSTED_PROXIES``,
    ``proxy.py``), then the access log (``logs.py``), which so sees that address and times
    every answer, refused ones included. :class:`ValidationError` names a bad proxy address or
    log setting."""
    log_options(str(app.config["LOG_LEVEL"]), str(app.config["LOG_FORMAT"]))
    networks = trusted_networks(str(app.config.get("TRUSTED_PROXIES") or ""))
    if app.config.get("HTTPS") and not networks:
        # The proxy's X-Forwarded-Proto is then never believed: no HSTS, and every client is
        # the proxy's address to the rate limits (docs/operations.md, "HTTPS").
        log.warning(
            "HTTPS=1 nhưng TRUSTED_PROXIES trống: địa chỉ khách và HTTPS do proxy báo không được "
            "tin; hãy đặt TRUSTED_PROXIES là địa chỉ của nginx (thường là 127.0.0.1)."
        )
    app.wsgi_app = TrustedProxies(AccessLog(app.wsgi_app), networks)  # type: ignore[method-assign]


def _note_access(_exc: BaseException | None) -> None:
    # Who made the request, from what this request already looked up (never a new look-up):
    # the user of its session or token, or the node whose envelope verified (``g.access_node``).
    user = getattr(g, SESSION_USER, None) or getattr(g, TOKEN_USER, None)
    rule = request.url_rule
    note_request(
        request.environ,
        path=logged_path(
            rule.rule if rule is not None else None,
            rule.arguments if rule is not None else (),
            request.path,
        ),
        user=getattr(user, "username", None),
        node=g.get("access_node"),
    )


def _asset(name: str) -> Response:
    return send_from_directory(ASSET_DIR, name, max_age=3600)


def _close(_exc: BaseException | None) -> None:
    conn = g.pop("conn", None)
    if conn is not None:
        conn.close()


def _engine_error(exc: SyncError) -> Response:
    if site().engine_error_pages and site().is_page(request.path):
        return error_page(exc.status, exc.message)
    return error_json(exc.status, exc.code, exc.message, **exc.details)


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = site().http_messages.get(status, exc.description or site().http_fallback)
    if site().is_page(request.path):
        return error_page(status, message)
    return error_json(status, exc.name.lower().replace(" ", "_"), message)


def browser_policy(resp: Response) -> Response:
    """Every answer's browser policy (docs/security.md, "Browser policy"): CSP, nosniff,
    no framing, and ``no-store`` on everything but the static assets."""
    endpoint = request.endpoint or ""
    static = endpoint == "_asset" or endpoint.rsplit(".", 1)[-1] == "static"
    apply_policy(resp.headers, resp.mimetype, static=static)  # type: ignore[arg-type]
    if request.is_secure:
        resp.headers.setdefault("Strict-Transport-Security", HSTS)
    return resp


def int_arg(name: str, *, low: int, high: int) -> int | None:
    """The whole-number query argument ``name`` (None when absent or empty). Anything else, or
    a number outside ``low``..``high``, is refused (422) rather than handed to the store,
    whose integers end at 2**63 (a larger one was a 500 that Schemathesis found)."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.lstrip("-").isdigit() or len(raw) > 20 or not low <= int(raw) <= high:
        raise ValidationError(f"Tham số {name} phải là số nguyên từ {low} đến {high}.", field=name)
    return int(raw)


def page_args() -> tuple[int, str | None]:
    """``limit`` (capped at 200, never refused) and ``cursor`` of a list request."""
    try:
        limit = int(request.args.get("limit", 50))
    except ValueError:
        limit = 50
    return max(1, min(limit, 200)), request.args.get("cursor") or None
