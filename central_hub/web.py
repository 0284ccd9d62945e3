"""The hub's part of the web plumbing (``webapp``): its state, store and what the node protocol
and the API read from them.

Login sessions, bearer tokens, CSRF, the guard of views and errors are ``webapp``'s; this
module names what is the hub's own, gives the API its guard (:data:`require`) and re-exports
the ``webapp`` helpers the views use. It imports no page: the app factory (``app.py``) hands
the console's and the portal's error pages to :func:`site_part`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app

from sync import HybridClock, KeyPair, select_records
from webapp import (
    ErrorPage,
    Guard,
    Site,
    client_address,
    db,
    error_json,
    page_args,
    token_user,
)

from .ingest import HubContext

__all__ = [
    "HubState",
    "client_address",
    "context",
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
    return dict(db().execute("SELECT code, name FROM unit").fetchall())


def context() -> HubContext:
    """The protocol handlers' context for this request."""
    hub = state()
    return HubContext.from_settings(db(), hub.keys, hub.hub_id, hub.clock, current_app.config)


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
        store=data_dir / "hub.sqlite3",
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
