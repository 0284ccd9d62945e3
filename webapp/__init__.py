"""The web plumbing both apps use, that is not the sync engine: people's accounts, sessions and
login throttling, request rate limits, the browser policy (CSP and friends), the WSGI server's
settings, settings loading, safe spreadsheet exports and the shared stylesheet.

The apps import from this package only, never from its inner modules (docs/architecture.md).
"""

from . import throttle
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
from .assets import ASSET_DIR
from .browser import FILE_HEADERS, apply_policy
from .config import load_settings, session_cookie
from .memory import limit_malloc_arenas
from .ratelimit import RateLimited, check_rate
from .ratelimit import prune as prune_lookups
from .serving import serve, waitress_options
from .sheets import csv_bytes, safe_cell, xlsx_append
from .throttle import LoginThrottled
from .throttle import prune as prune_login_failures

__all__ = [
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
