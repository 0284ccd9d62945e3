"""The hub's part of the web plumbing (``webapp``): its state, store and what the node protocol
and the API read from them.

Login sessions, bearer tokens, CSRF, the guard of views and errors are ``webapp``'s; this
module names what is the hub's own, gives the API its guard (:data:`require`), the console's
pages theirs (:data:`login_required`, the session kept to console roles) and the context every
console template reads (:func:`console_context`), and re-exports the ``webapp`` helpers the
views use. It imports no page: every console blueprint (``console/``, ``conflicts/pages.py``,
``reference/``, ``sms/pages.py``) builds on it, and the app factory (``app.py``) hands the
console's and the portal's error pages to :func:`site_part`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, g, render_template, request

from sync import HybridClock, KeyPair, SyncError, select_records
from webapp import (
    ErrorPage,
    Guard,
    RoleRefused,
    Site,
    check_csrf,
    client_address,
    csrf_token,
    db,
    error_json,
    list_users,
    login_user,
    logout_user,
    page_args,
    session_user,
    token_user,
)

from .store import STORE_FILE
from .store import connect as store_connect
from .store import records as stored

__all__ = [
    "CONSOLE_ROLES",
    "ConsoleForbidden",
    "HubState",
    "ROLE_NAMES",
    "check_csrf",
    "client_address",
    "console_blueprint",
    "console_context",
    "console_error_page",
    "console_sync_error",
    "console_user",
    "csrf_token",
    "login_required",
    "login_user",
    "logout_user",
    "show_value",
    "current_user",
    "db",
    "error_json",
    "page_args",
    "records",
    "require",
    "site_part",
    "state",
    "unit_names",
]


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


def records(type_name: str, where: str = "", params: Any = ()) -> list[dict[str, Any]]:
    """Decoded records of one type from this request's store (``sync.select_records``)."""
    return select_records(db(), type_name, where, params)


def unit_names() -> dict[str, str]:
    """Unit codes to names, from the reference data."""
    return stored.unit_names(db())


# Machine addresses answer errors in JSON; every other address is a page a person opened.
MACHINE_PATHS = ("/api/", "/sync/", "/console/api/", "/healthz", "/assets/", "/static/")

HTTP_MESSAGES = {
    404: "Không tìm thấy địa chỉ này. Hãy kiểm tra lại đường dẫn.",
    405: "Phương thức này không dùng được ở địa chỉ này.",
    413: "Nội dung gửi lên quá lớn.",
}

# Only administrators and operators may hold a login session: the console's.
CONSOLE_ROLES = ("admin", "operator")


def site_part(data_dir: Path, error_pages: tuple[tuple[str, ErrorPage], ...]) -> Site:
    """The hub's part of the web plumbing, with its pages' ``error_pages`` by path prefix.

    An engine error is JSON wherever it is raised: the console's blueprints render their own.
    """
    return Site(
        store=data_dir / STORE_FILE,
        opener=lambda: store_connect(data_dir),
        machine_paths=MACHINE_PATHS,
        error_pages=error_pages,
        http_messages=HTTP_MESSAGES,
        engine_error_pages=False,
        session_roles=CONSOLE_ROLES,
        csrf_code="csrf_refused",
    )


# The API's users are programs with a bearer token; the console's people use the session.
current_user = token_user
require = Guard(token_user)


# -- the console's pages ----------------------------------------------------------------------
# Their people sign in with the session cookie (``webapp.session_user``), which only
# administrators and operators may hold (``site_part``); every state-changing request made with
# the cookie carries the session's CSRF token.

ConsoleForbidden = RoleRefused
console_user = session_user

# A console view's guard: pages redirect to the login page, ``/console/api/`` answers 401 JSON.
login_required = Guard(
    session_user,
    login_endpoint="console.login",
    json_paths=("/console/api/",),
    unauthorized="Cần đăng nhập bảng điều khiển.",
)

ROLE_NAMES = {"admin": "Quản trị hệ thống", "operator": "Vận hành"}


def show_value(value: Any) -> str:
    """A field value as an administrator reads it (strings as they are, the rest as JSON)."""
    if value is None:
        return "(trống)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def person(username: str | None) -> str:
    """The full name of a console account (its username when it has none, or when it is not
    one: a ward's user, a process), ``""`` for nobody; the names are read once a request.
    Pages name people, not accounts."""
    if not username:
        return ""
    if "console_names" not in g:
        g.console_names = {a.username: a.full_name for a in list_users(db())}
    names: dict[str, str] = g.console_names
    return names.get(username) or username


def console_context() -> dict[str, Any]:
    """What every console template reads: the signed-in user, the CSRF token, role names,
    people's names by account."""
    return {
        "current_user": console_user(),
        "csrf_token": csrf_token,
        "role_names": ROLE_NAMES,
        "show_value": show_value,
        "person": person,
    }


def console_error_page(status: int, message: str) -> tuple[str, int]:
    """An error under ``/console`` as the console's page; an unknown address belongs to no
    blueprint, so the console's template context is given here."""
    return render_template(
        "console/error.html", status=status, message=message, **console_context()
    ), status


def console_sync_error(exc: SyncError) -> Any:
    """A refusal raised by a console view: JSON under ``/console/api/``, else the error page."""
    if request.path.startswith("/console/api/"):
        return error_json(exc.status, exc.code, exc.message, **exc.details)
    return render_template("console/error.html", status=exc.status, message=exc.message), (
        exc.status
    )


def console_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A blueprint of console pages: the console's template context, and a refusal shown as
    the console's error page (JSON under ``/console/api/``)."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    bp.context_processor(console_context)
    bp.errorhandler(SyncError)(console_sync_error)
    return bp
