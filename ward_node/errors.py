"""Errors of the ward node app, beside those of the engine (``sync.errors``).

Hierarchy::

    sync.SyncError
    └── Forbidden              the user's role or assignment does not allow the action (403)

Those of the web plumbing (``AlreadyInitialised``, ``CsrfRefused``, ``RoleRefused``) are
``webapp``'s.
"""

from __future__ import annotations

from sync import SyncError


class Forbidden(SyncError):
    """Raised when the desk's rules (``permissions.py``) refuse an action to this user."""

    status = 403
    code = "forbidden_action"
