"""The web plumbing both apps use, that is not the sync engine: people's accounts, login
sessions, bearer tokens and CSRF, the guard of views, errors as JSON or pages, login
throttling, request rate limits, the client's address behind a trusted proxy, the logs of
``serve`` (access lines included), the browser policy (CSP and friends), the shared page layouts,
the user commands of both command lines, the WSGI server's settings and admission control, settings loading, safe
spreadsheet exports, the shared stylesheet and the operators' ``/metrics``.

Each app hands its own part (its store, which paths are pages, its error pages, who may hold a
session) to :func:`install` as a :class:`Site`; nothing here imports an app.

The apps import from this package only, never from its inner modules (docs/architecture.md).
"""

from . import openapi, throttle
from .accounts import (
    TOKEN_TTL,
    Account,
    AccountDisabled,
    LoginRefused,
    User,
    accounts_text,
    add_user,
    authenticate,
    end_sessions,
    get_user,
    issue_token,
    list_users,
    session_claims,
    set_active,
    user_for_session,
    user_for_token,
)
from .accounts import create_tables as create_account_tables
from .admission import Admission
from .app import BoundedJSON, browser_policy, front, install, int_arg, page_args
from .assets import ASSET_DIR
from .background import background_workers, run_in_background, stop_background
from .browser import FILE_HEADERS, apply_policy, send_stored_file
from .commands import add_backup_commands, command_adder, run_command
from .config import WEB_SETTINGS, load_settings, session_cookie
from .csrf import check_csrf, csrf_ok, csrf_token
from .errors import AlreadyInitialised, CsrfRefused, RoleRefused, error_json, error_page
from .guard import BEARER_NEEDED, ROLE_REFUSED, Guard
from .housekeeper import Housekeeper
from .logs import add_log_options, configure_logging, log_options, log_settings
from .memory import limit_malloc_arenas
from .metrics import METRICS_SETTINGS, install_metrics, is_local_request
from .openapi import described_routes, install_openapi
from .proxy import TrustedProxies, trusted_networks
from .ratelimit import RateLimited, check_rate
from .ratelimit import prune as prune_lookups
from .requests import json_body
from .serving import serve, waitress_options
from .session import (
    client_address,
    current_user,
    login_user,
    logout_user,
    session_user,
    token_user,
)
from .sheets import csv_bytes, safe_cell, xlsx_append
from .site import ErrorPage, Site, db, site
from .throttle import LoginThrottled
from .throttle import prune as prune_login_failures
from .tokens import token_blueprint
from .usercli import add_user_commands, read_password

__all__ = [
    "Admission",
    "background_workers",
    "run_in_background",
    "stop_background",
    "json_body",
    "send_stored_file",
    "add_backup_commands",
    "command_adder",
    "run_command",
    "Housekeeper",
    "METRICS_SETTINGS",
    "install_metrics",
    "install_openapi",
    "described_routes",
    "openapi",
    "is_local_request",
    "TrustedProxies",
    "trusted_networks",
    "add_log_options",
    "configure_logging",
    "front",
    "log_options",
    "log_settings",
    "WEB_SETTINGS",
    "add_user_commands",
    "read_password",
    "ErrorPage",
    "AlreadyInitialised",
    "BEARER_NEEDED",
    "BoundedJSON",
    "CsrfRefused",
    "Guard",
    "ROLE_REFUSED",
    "RoleRefused",
    "Site",
    "browser_policy",
    "check_csrf",
    "client_address",
    "csrf_ok",
    "csrf_token",
    "current_user",
    "db",
    "error_json",
    "error_page",
    "install",
    "login_user",
    "logout_user",
    "int_arg",
    "page_args",
    "session_user",
    "site",
    "token_blueprint",
    "token_user",
    "throttle",
    "ASSET_DIR",
    "Account",
    "AccountDisabled",
    "FILE_HEADERS",
    "LoginRefused",
    "LoginThrottled",
    "RateLimited",
    "TOKEN_TTL",
    "User",
    "accounts_text",
    "add_user",
    "apply_policy",
    "authenticate",
    "check_rate",
    "create_account_tables",
    "csv_bytes",
    "end_sessions",
    "get_user",
    "issue_token",
    "limit_malloc_arenas",
    "list_users",
    "load_settings",
    "prune_login_failures",
    "prune_lookups",
    "safe_cell",
    "serve",
    "session_claims",
    "session_cookie",
    "set_active",
    "user_for_session",
    "user_for_token",
    "waitress_options",
    "xlsx_append",
]
