"""The login session's CSRF token: every state-changing request that the session cookie
authenticates carries it, in the form field ``csrf_token`` or the ``X-CSRF-Token`` header
(docs/security.md, "Sessions, tokens and CSRF")."""

from __future__ import annotations

import secrets

from flask import g, request, session

from .errors import CsrfRefused
from .site import site

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SESSION_USER = "webapp_session_user"  # where this request's session user is kept in ``g``


def new_token() -> str:
    """A fresh CSRF token (a new session gets one, so an old form cannot be replayed)."""
    return secrets.token_urlsafe(24)


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    token = session.get("csrf")
    if not token:
        token = new_token()
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
        raise csrf_refused()


def csrf_refused() -> CsrfRefused:
    """The refusal of this request's CSRF token, the request made anonymous."""
    # From here the request counts as anonymous: the error page that follows must not read
    # the session again (and refuse again).
    setattr(g, SESSION_USER, None)
    return CsrfRefused(
        "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Hãy tải lại trang và thử lại.",
        code=site().csrf_code,
    )
