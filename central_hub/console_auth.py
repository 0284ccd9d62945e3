"""Login sessions and CSRF for the console's pages (mirrors ``ward_node/web.py``).

The console's pages use a session cookie signed with ``SECRET_KEY``, ending after
``SESSION_IDLE_MINUTES`` unused or ``SESSION_MAX_HOURS`` in all, and when the user's password
changes or the user is disabled (``sync.user_for_session``). Every state-changing request made
with that cookie carries the session's CSRF token, in the form or the ``X-CSRF-Token`` header
(:func:`console_user` checks it with the session). Only administrators and operators may use
the console.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, redirect, request, session, url_for

from sync import SyncError
from webapp import User, session_claims, user_for_session

from .web import db

F = TypeVar("F", bound=Callable[..., Any])

CONSOLE_ROLES = ("admin", "operator")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SEEN_EVERY = 60  # seconds: how often a session's last-use time is rewritten in its cookie


class CsrfRefused(SyncError):
    """Raised when a form post's CSRF token is missing or wrong."""

    status = 400
    code = "csrf_refused"


class ConsoleForbidden(SyncError):
    """Raised when a logged-in user's role may not do this."""

    status = 403
    code = "forbidden"


def console_user() -> User | None:
    """The user of this request's console session, if any. A session that is over (idle or
    too old, the password changed, the user disabled or no longer of a console role) is
    cleared. A state-changing request (POST, PUT, PATCH, DELETE) that the cookie authenticates
    must carry the session's CSRF token: :class:`CsrfRefused` otherwise (docs/security.md,
    "Sessions, tokens and CSRF")."""
    if "console_user" not in g:
        found = None
        if session.get("user"):
            found = user_for_session(
                db(),
                session,
                idle=60 * float(current_app.config["SESSION_IDLE_MINUTES"]),
                lifetime=3600 * float(current_app.config["SESSION_MAX_HOURS"]),
            )
            if found is None or found.role not in CONSOLE_ROLES:
                found = None
                session.clear()
            elif request.method in UNSAFE_METHODS and not csrf_ok():
                raise _csrf_refused()
            elif time.time() - float(session["seen"]) > SEEN_EVERY:
                session["seen"] = time.time()
        g.console_user = found
    user: User | None = g.console_user
    return user


def login_user(user: User) -> None:
    """Start a fresh session for ``user`` (a new CSRF token, so an old form cannot be replayed)."""
    session.clear()
    session.update(session_claims(db(), user))
    session["csrf"] = secrets.token_urlsafe(24)
    g.console_user = user


def logout_user() -> None:
    """End the session."""
    session.clear()
    g.console_user = None


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        session["csrf"] = token
    return str(token)


def csrf_ok() -> bool:
    """Whether this request carries the session's CSRF token (form field ``csrf_token`` or
    header ``X-CSRF-Token``, for the console's scripts)."""
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
    g.console_user = None
    return CsrfRefused(
        "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Hãy tải lại trang và thử lại."
    )


def login_required(*roles: str) -> Callable[[F], F]:
    """Decorate a console view: a logged-in admin or operator (of ``roles`` if given) is
    needed; pages redirect to the login page, ``/console/api/`` answers 401 JSON. The CSRF
    token of a state-changing request is checked with the session (:func:`console_user`)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = console_user()
            if user is None:
                if request.path.startswith("/console/api/"):
                    from .web import error_json

                    return error_json(401, "unauthorized", "Cần đăng nhập bảng điều khiển.")
                return redirect(url_for("console.login", next=request.full_path))
            if roles and user.role not in roles:
                raise ConsoleForbidden("Tài khoản của bạn không có quyền làm việc này.")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
