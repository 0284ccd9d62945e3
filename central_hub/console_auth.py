"""Login sessions and CSRF for the console's pages (mirrors ``ward_node/web.py``).

The console's pages use a session cookie signed with ``SECRET_KEY``; every form post carries
the session's CSRF token. Only administrators and operators may use the console.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for

from sync import SyncError, User, get_user

from .web import db

F = TypeVar("F", bound=Callable[..., Any])

CONSOLE_ROLES = ("admin", "operator")


class CsrfRefused(SyncError):
    """Raised when a form post's CSRF token is missing or wrong."""

    status = 400
    code = "csrf_refused"


class ConsoleForbidden(SyncError):
    """Raised when a logged-in user's role may not do this."""

    status = 403
    code = "forbidden"


def console_user() -> User | None:
    """The user of this request's console session, if any (inactive users are logged out)."""
    if "console_user" not in g:
        name = session.get("console_user")
        found = get_user(db(), name) if name else None
        if found is not None and found.role not in CONSOLE_ROLES:
            found = None
        g.console_user = found
    user: User | None = g.console_user
    return user


def login_user(user: User) -> None:
    """Start a fresh session for ``user`` (a new CSRF token, so an old form cannot be replayed)."""
    session.clear()
    session["console_user"] = user.username
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


def check_csrf() -> None:
    """Refuse a form post whose CSRF token is missing or wrong."""
    sent = request.form.get("csrf_token", "")
    if not sent or not secrets.compare_digest(sent, str(session.get("csrf", ""))):
        raise CsrfRefused(
            "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Hãy tải lại trang và thử lại."
        )


def login_required(*roles: str) -> Callable[[F], F]:
    """Decorate a console view: a logged-in admin or operator (of ``roles`` if given) is
    needed; pages redirect to the login page, ``/console/api/`` answers 401 JSON. Every POST
    is checked for the CSRF token."""

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
            if request.method == "POST":
                check_csrf()
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
