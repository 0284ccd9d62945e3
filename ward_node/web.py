"""Request plumbing of the ward node's app: store per request, errors, login, CSRF."""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import (
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from sync import HybridClock, SyncError, connect, loads_bounded
from webapp import ASSET_DIR, User, apply_policy, session_claims, user_for_session, user_for_token

from .dossiers import Dossiers
from .errors import CsrfRefused
from .store import STORE_FILE

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class NodeState:
    """What lives as long as the app: the data folder, the clock, the worker."""

    data_dir: Path
    clock: HybridClock
    worker: Any = None


def state() -> NodeState:
    """The running node's state."""
    node: NodeState = current_app.extensions["ward_node"]
    return node


def db() -> sqlite3.Connection:
    """This request's store connection (opened on first use, closed at teardown)."""
    if "conn" not in g:
        g.conn = connect(state().data_dir / STORE_FILE)
    conn: sqlite3.Connection = g.conn
    return conn


def dossiers() -> Dossiers:
    """The dossier operations for this request (with the ward's public lookup URL for SMS)."""
    return Dossiers(db(), state().clock, str(current_app.config.get("PUBLIC_LOOKUP_URL") or ""))


def is_api() -> bool:
    """Whether this request is for the JSON API."""
    return request.path.startswith("/api/")


def error_json(status: int, code: str, message: str, **extra: Any) -> Response:
    """The API's error body with its status."""
    resp = jsonify({"error": {"code": code, "message": message, **extra}})
    resp.status_code = status
    return resp


def _error_page(status: int, message: str) -> Response:
    resp = current_app.make_response(render_template("error.html", status=status, message=message))
    resp.status_code = status
    return resp


HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    403: "Bạn không có quyền làm việc này.",
    404: "Không tìm thấy trang này.",
    405: "Phương thức này không dùng được ở địa chỉ này.",
    413: "Nội dung gửi lên quá lớn.",
}


class BoundedJSON(DefaultJSONProvider):
    """Flask's JSON, Vietnamese kept readable, with request bodies' nesting depth bounded
    (``sync.loads_bounded``): every ``request.get_json`` goes through it."""

    ensure_ascii = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_bounded(s, **kwargs)


def install(app: Flask) -> None:
    """Register teardown, error handlers and template helpers on ``app``."""

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
        if is_api():
            return error_json(exc.status, exc.code, exc.message, **exc.details)
        return _error_page(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        message = HTTP_MESSAGES.get(status, exc.description or "Có lỗi.")
        if is_api():
            return error_json(status, exc.name.lower().replace(" ", "_"), message)
        return _error_page(status, message)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"current_user": current_user(), "csrf_token": csrf_token}


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SEEN_EVERY = 60  # seconds: how often a session's last-use time is rewritten in its cookie


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def current_user() -> User | None:
    """The user of this request: bearer token when one is sent, else the session cookie.

    A session that is over (idle or too old, the user's password changed or the user
    disabled) is cleared. A state-changing request (POST, PUT, PATCH, DELETE) that the cookie
    authenticates must carry the session's CSRF token, whatever the route, page or API:
    :class:`CsrfRefused` otherwise (docs/security.md, "Sessions, tokens and CSRF").
    """
    if "user" in g:
        user: User | None = g.user
        return user
    found = None
    token = _bearer()
    if token is not None:
        found = user_for_token(db(), token)
    elif session.get("user"):
        found = user_for_session(
            db(),
            session,
            idle=60 * float(current_app.config["SESSION_IDLE_MINUTES"]),
            lifetime=3600 * float(current_app.config["SESSION_MAX_HOURS"]),
        )
        if found is None:
            session.clear()
        elif request.method in UNSAFE_METHODS and not csrf_ok():
            raise _csrf_refused()
        elif time.time() - float(session["seen"]) > SEEN_EVERY:
            session["seen"] = time.time()
    g.user = found
    return found


def client_address() -> str:
    """The client's address, as login throttling and rate limits key it."""
    return request.remote_addr or "?"


def login_user(user: User) -> None:
    """Start a fresh session for ``user`` (a new CSRF token, so an old form cannot be replayed)."""
    session.clear()
    session.update(session_claims(db(), user))
    session["csrf"] = secrets.token_urlsafe(24)
    g.user = user


def require(*roles: str) -> Callable[[F], F]:
    """Decorate a view: a logged-in user is needed, of one of ``roles`` if given.

    API requests get 401/403 JSON; pages redirect to the login page.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                if is_api():
                    return error_json(
                        401, "unauthorized", "Cần đăng nhập: gửi kèm mã truy cập (Bearer)."
                    )
                return redirect(url_for("pages.login", next=request.full_path))
            if roles and user.role not in roles:
                if is_api():
                    return error_json(
                        403, "forbidden", "Tài khoản của bạn không có quyền làm việc này."
                    )
                return _error_page(403, "Tài khoản của bạn không có quyền làm việc này.")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        session["csrf"] = token
    return str(token)


def csrf_ok() -> bool:
    """Whether this request carries the session's CSRF token (form field ``csrf_token`` or
    header ``X-CSRF-Token``, for the pages' scripts)."""
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    expected = str(session.get("csrf", ""))
    # Compared as bytes: compare_digest refuses non-ASCII text with a TypeError (a 500).
    return bool(sent and expected) and secrets.compare_digest(sent.encode(), expected.encode())


def check_csrf() -> None:
    """Refuse a request without the session's CSRF token (:class:`CsrfRefused`)."""
    if not csrf_ok():
        raise _csrf_refused()


def _csrf_refused() -> CsrfRefused:
    # From here the request counts as anonymous: the error page that follows must not read
    # the session again (and refuse again).
    g.user = None
    return CsrfRefused(
        "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Hãy tải lại trang và thử lại."
    )


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
