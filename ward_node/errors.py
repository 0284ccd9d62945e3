"""Errors of the ward node app, beside those of the engine (``sync.errors``).

Hierarchy::

    sync.SyncError
    ├── AlreadyInitialised     ``init`` found a node already in the data folder (409)
    ├── CsrfRefused            a form post without the session's CSRF token (400)
    └── Forbidden              the user's role or assignment does not allow the action (403)
"""

from __future__ import annotations

from sync import SyncError


class AlreadyInitialised(SyncError):
    """Raised when ``init`` finds a node already in the data folder."""

    status = 409
    code = "already_initialised"


class CsrfRefused(SyncError):
    """Raised when a form arrives without the session's CSRF token."""

    status = 400
    code = "csrf"


class Forbidden(SyncError):
    """Raised when the desk's rules (``permissions.py``) refuse an action to this user."""

    status = 403
    code = "forbidden_action"
