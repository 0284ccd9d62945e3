"""The ward node's part of the web plumbing (``webapp``): its state, store and error page.

Login sessions, bearer tokens, CSRF, the guard of views and errors are ``webapp``'s; this
module names what is the ward's own, gives the views their guard (:data:`require`) and
re-exports the ``webapp`` helpers the views use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, render_template

from sync import HybridClock
from webapp import (
    Guard,
    Site,
    User,
    check_csrf,
    client_address,
    current_user,
    db,
    error_json,
    login_user,
    page_args,
)

from .store import STORE_FILE

__all__ = [
    "signed_in",
    "NodeState",
    "check_csrf",
    "client_address",
    "current_user",
    "db",
    "error_json",
    "login_user",
    "page_args",
    "require",
    "site_part",
    "state",
]


@dataclass
class NodeState:
    """What lives as long as the app: the data folder, the clock, the worker."""

    data_dir: Path
    clock: HybridClock
    worker: Any = None


def state() -> NodeState:
    """The running node's state."""
    node: NodeState = current_app.extensions["ward_node"]
    return node


API_PATH = "/api/"

HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    403: "Bạn không có quyền làm việc này.",
    404: "Không tìm thấy trang này.",
    405: "Phương thức này không dùng được ở địa chỉ này.",
    413: "Nội dung gửi lên quá lớn.",
}


def error_page(status: int, message: str) -> tuple[str, int]:
    """An error as the ward's page."""
    return render_template("error.html", status=status, message=message), status


def site_part(data_dir: Path) -> Site:
    """The ward's part of the web plumbing: any path but the API is a page, any role may log in."""
    return Site(
        store=data_dir / STORE_FILE,
        machine_paths=(API_PATH,),
        error_pages=(("", error_page),),
        http_messages=HTTP_MESSAGES,
        http_fallback="Có lỗi.",
        template_user=current_user,
    )


# Every view's guard: API requests get 401/403 JSON, pages redirect to the login page.
require = Guard(current_user, login_endpoint="pages.login", json_paths=(API_PATH,))


def signed_in() -> User:
    """The user of a view guarded by :data:`require` (there is always one)."""
    user = current_user()
    assert user is not None  # guaranteed by @require
    return user
