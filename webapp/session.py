"""Who makes this request: a bearer token (programs) or the login session cookie (people).

The session cookie is signed with ``SECRET_KEY`` and ends after ``SESSION_IDLE_MINUTES``
unused or ``SESSION_MAX_HOURS`` in all, and when the user's password changes or the user is
disabled (:func:`webapp.user_for_session`); an app may keep sessions to some roles
(``Site.session_roles``). A state-changing request that the cookie authenticates must carry
the session's CSRF token (:mod:`webapp.csrf`).
"""

from __future__ import annotations

import time

from flask import current_app, g, request, session

from .accounts import User, session_claims, user_for_session, user_for_token
from .csrf import SESSION_USER, UNSAFE_METHODS, csrf_ok, csrf_refused, new_token
from .site import db, site

SEEN_EVERY = 60  # seconds: how often a session's last-use time is rewritten in its cookie
TOKEN_USER = "webapp_token_user"


def bearer() -> str | None:
    """The bearer token this request sends, if it sends an ``Authorization: Bearer`` header."""
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def token_user() -> User | None:
    """The user of this request's bearer token, if any."""
    if not hasattr(g, TOKEN_USER):
        token = bearer()
        setattr(g, TOKEN_USER, user_for_token(db(), token) if token else None)
    user: User | None = getattr(g, TOKEN_USER)
    return user


def session_user() -> User | None:
    """The user of this request's session cookie, if any.

    A session that is over (idle or too old, the password changed, the user disabled or not
    of ``Site.session_roles``) is cleared. A state-changing request (POST, PUT, PATCH,
    DELETE) that the cookie authenticates must carry the session's CSRF token, whatever the
    route, page or API: :class:`CsrfRefused` otherwise (docs/security.md, "Sessions, tokens
    and CSRF").
    """
    if not hasattr(g, SESSION_USER):
        found = None
        if session.get("user"):
            roles = site().session_roles
            found = user_for_session(
                db(),
                session,
                idle=60 * float(current_app.config["SESSION_IDLE_MINUTES"]),
                lifetime=3600 * float(current_app.config["SESSION_MAX_HOURS"]),
            )
            if found is None or (roles is not None and found.role not in roles):
                found = None
                session.clear()
            elif request.method in UNSAFE_METHODS and not csrf_ok():
                raise csrf_refused()
            elif time.time() - float(session["seen"]) > SEEN_EVERY:
                session["seen"] = time.time()
        setattr(g, SESSION_USER, found)
    user: User | None = getattr(g, SESSION_USER)
    return user


def current_user() -> User | None:
    """The user of this request: the bearer token's when one is sent, else the session's."""
    return token_user() if bearer() is not None else session_user()


def login_user(user: User) -> None:
    """Start a fresh session for ``user`` (a new CSRF token, so an old form cannot be replayed)."""
    session.clear()
    session.update(session_claims(db(), user))
    session["csrf"] = new_token()
    setattr(g, SESSION_USER, user)


def logout_user() -> None:
    """End the session."""
    session.clear()
    setattr(g, SESSION_USER, None)


def client_address() -> str:
    """The client's address, as login throttling and rate limits key it."""
    return request.remote_addr or "?"
