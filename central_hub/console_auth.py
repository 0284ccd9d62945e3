"""Login sessions and CSRF for the console's pages (``webapp``'s, kept to console roles).

The console's pages use the session cookie (``webapp.session_user``); the hub's part of the
plumbing (``web.site_part``) lets only administrators and operators hold one. Every
state-changing request made with the cookie carries the session's CSRF token.
"""

from __future__ import annotations

from webapp import (
    Guard,
    RoleRefused,
    check_csrf,
    csrf_token,
    login_user,
    logout_user,
    session_user,
)

from .web import CONSOLE_ROLES

__all__ = [
    "CONSOLE_ROLES",
    "ConsoleForbidden",
    "check_csrf",
    "console_user",
    "csrf_token",
    "login_required",
    "login_user",
    "logout_user",
]

ConsoleForbidden = RoleRefused
console_user = session_user

# A console view's guard: pages redirect to the login page, ``/console/api/`` answers 401 JSON.
login_required = Guard(
    session_user,
    login_endpoint="console.login",
    json_paths=("/console/api/",),
    unauthorized="Cần đăng nhập bảng điều khiển.",
)
