"""Request plumbing of the hub's Flask app: the store per request, errors, authentication."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, jsonify, request, send_from_directory
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from sync import HybridClock, KeyPair, SyncError, connect, loads_bounded, select_records
from webapp import ASSET_DIR, User, apply_policy, user_for_token

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class HubState:
    """What lives as long as the app: identity, keys, clock."""

    data_dir: Path
    hub_id: str
    name: str
    unit: str
    keys: KeyPair
    clock: HybridClock


def state() -> HubState:
    """The running hub's state."""
    hub: HubState = current_app.extensions["hub"]
    return hub


def db() -> sqlite3.Connection:
    """This request's store connection (opened on first use, closed at teardown)."""
    if "conn" not in g:
        g.conn = connect(state().data_dir / "hub.sqlite3")
    conn: sqlite3.Connection = g.conn
    return conn


def records(type_name: str, where: str = "", params: Any = ()) -> list[dict[str, Any]]:
    """Decoded records of one type from this request's store (``sync.select_records``)."""
    return select_records(db(), type_name, where, params)


def unit_names() -> dict[str, str]:
    """Unit codes to names, from the reference data."""
    return dict(db().execute("SELECT code, name FROM unit").fetchall())


def error_json(status: int, code: str, message: str, **extra: Any) -> Response:
    """The API's error body with its status."""
    resp = jsonify({"error": {"code": code, "message": message, **extra}})
    resp.status_code = status
    return resp


class BoundedJSON(DefaultJSONProvider):
    """Flask's JSON, Vietnamese kept readable, with request bodies' nesting depth bounded
    (``sync.loads_bounded``): every ``request.get_json`` goes through it."""

    ensure_ascii = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_bounded(s, **kwargs)


def install(app: Flask) -> None:
    """Register teardown and the error handlers on ``app``."""

    app.json = BoundedJSON(app)

    @app.get("/assets/<path:name>")
    def _asset(name: str) -> Response:
        # The stylesheet both apps share (webapp/assets), served by each: no CDN.
        return send_from_directory(ASSET_DIR, name, max_age=3600)

    app.after_request(browser_policy)

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        conn = g.pop("conn", None)
        if conn is not None:
            conn.close()

    @app.errorhandler(SyncError)
    def _sync_error(exc: SyncError) -> Response:
        return error_json(exc.status, exc.code, exc.message, **exc.details)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        messages = {
            404: "Không tìm thấy địa chỉ này. Hãy kiểm tra lại đường dẫn.",
            405: "Phương thức này không dùng được ở địa chỉ này.",
            413: "Nội dung gửi lên quá lớn.",
        }
        status = exc.code or 500
        message = messages.get(status, exc.description or "")
        if is_page(request.path):
            return error_page(status, message)
        return error_json(status, exc.name.lower().replace(" ", "_"), message)


# Machine addresses answer errors in JSON; every other address is a page a person opened.
_MACHINE_PREFIXES = ("/api/", "/sync/", "/console/api/", "/healthz", "/assets/", "/static/")


def is_page(path: str) -> bool:
    """Whether ``path`` is a page for people (its errors are pages, not JSON)."""
    return not path.startswith(_MACHINE_PREFIXES)


def error_page(status: int, message: str) -> Any:
    """An error as the page of the console (under ``/console``) or of the citizens' portal."""
    # Imported here: both build on this module.
    if request.path.startswith("/console"):
        from flask import render_template

        from .console import dashboard as console

        return render_template(
            "console/error.html", status=status, message=message, **console._globals()
        ), status
    from .portal.pages import error_page as portal_error

    return portal_error(status, message)


def client_address() -> str:
    """The client's address, as login throttling and rate limits key it."""
    return request.remote_addr or "?"


def current_user() -> User | None:
    """The user of this request's bearer token, if any."""
    if "user" not in g:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        g.user = user_for_token(db(), token) if token else None
    user: User | None = g.user
    return user


def require(*roles: str) -> Callable[[F], F]:
    """Decorate an API view: a valid bearer token is needed, of one of ``roles`` if given."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return error_json(
                    401, "unauthorized", "Cần đăng nhập: gửi kèm mã truy cập (Bearer)."
                )
            if roles and user.role not in roles:
                return error_json(
                    403, "forbidden", "Tài khoản của bạn không có quyền làm việc này."
                )
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def page_args() -> tuple[int, str | None]:
    """``limit`` (capped at 200, never refused) and ``cursor`` of a list request."""
    try:
        limit = int(request.args.get("limit", 50))
    except ValueError:
        limit = 50
    return max(1, min(limit, 200)), request.args.get("cursor") or None


def browser_policy(resp: Response) -> Response:
    """Every answer's browser policy (docs/security.md, "Browser policy"): CSP, nosniff,
    no framing, and ``no-store`` on everything but the static assets."""
    endpoint = request.endpoint or ""
    static = endpoint == "_asset" or endpoint.rsplit(".", 1)[-1] == "static"
    apply_policy(resp.headers, resp.mimetype, static=static)
    return resp
