"""Errors of the web plumbing both apps use, and how an error reaches a person or a program.

Hierarchy::

    sync.SyncError
    ├── CsrfRefused          a state-changing request without the session's CSRF token (400)
    ├── RoleRefused          the logged-in user's role may not do this (403)
    └── AlreadyInitialised   ``init`` found an app already in the data folder (409)

A machine address answers an error as the API's JSON body (:func:`error_json`); every other
address shows the app's error page for its path (:func:`error_page`).
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request

from sync import SyncError

from .site import site


class CsrfRefused(SyncError):
    """Raised when a state-changing request lacks the session's CSRF token (code per app)."""

    status = 400
    code = "csrf"


class RoleRefused(SyncError):
    """Raised when a logged-in user's role may not do this."""

    status = 403
    code = "forbidden"


class AlreadyInitialised(SyncError):
    """Raised when ``init`` finds an app (its keys) already in the data folder."""

    status = 409
    code = "already_initialised"


def error_json(status: int, code: str, message: str, **extra: Any) -> Response:
    """The API's error body with its status."""
    resp = jsonify({"error": {"code": code, "message": message, **extra}})
    resp.status_code = status
    return resp


def error_page(status: int, message: str) -> Response:
    """An error as the app's page for this request's path (``Site.error_pages``)."""
    for prefix, page in site().error_pages:
        if request.path.startswith(prefix):
            resp = current_app.make_response(page(status, message))
            resp.status_code = status
            return resp
    raise LookupError(f"no error page for {request.path}")  # every app maps the prefix ""
