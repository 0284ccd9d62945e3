"""What differs between the two apps' web plumbing, kept on the app by :func:`webapp.install`.

Everything else in this package is the same for the ward node and the hub; it reads the app's
part from ``current_app.extensions["webapp"]`` and never imports an app (docs/architecture.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app, g

from sync import connect

from .accounts import User

ErrorPage = Callable[[int, str], Any]  # (status, message) → what a view may return


@dataclass(frozen=True)
class Site:
    """One app's part of the web plumbing.

    ``store`` is the app's SQLite file (:func:`db` opens it once per request); ``machine_paths`` are the path prefixes
    whose errors are JSON, any other path being a page a person opened; ``error_pages`` map
    path prefixes to the app's error page, the first that matches wins; ``http_messages``
    are the sentences shown for HTTP errors by status, ``http_fallback`` when neither it nor
    the error names one; ``engine_error_pages`` is whether an engine error on a page becomes
    that page (else JSON: the hub's pages render their own); ``session_roles`` are the roles
    that may hold a login session (``None``: any); ``csrf_code`` is the machine code of a
    refused CSRF token; ``template_user``, when set, gives every template ``current_user`` and
    ``csrf_token``; ``opener``, when set, opens the store's connections instead (the hub's
    store may be a PostgreSQL database, central_hub/store/engine.py).
    """

    store: Path
    machine_paths: tuple[str, ...]
    error_pages: tuple[tuple[str, ErrorPage], ...]
    http_messages: Mapping[int, str] = field(default_factory=dict)
    http_fallback: str = ""
    engine_error_pages: bool = True
    session_roles: tuple[str, ...] | None = None
    csrf_code: str = "csrf"
    template_user: Callable[[], User | None] | None = None
    opener: Callable[[], Any] | None = None

    def is_page(self, path: str) -> bool:
        """Whether ``path`` is a page for people (its errors are pages, not JSON)."""
        return not path.startswith(self.machine_paths)


def site() -> Site:
    """The running app's part of the plumbing."""
    found: Site = current_app.extensions["webapp"]
    return found


def db() -> sqlite3.Connection:
    """This request's store connection (opened on first use, closed at teardown)."""
    if "conn" not in g:
        part = site()
        g.conn = part.opener() if part.opener is not None else connect(part.store)
    conn: sqlite3.Connection = g.conn
    return conn
