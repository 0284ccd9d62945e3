"""User accounts, password hashing, API tokens and login throttling, shared by both apps.

Passwords are hashed with Argon2id (memory-hard, DESIGN.md "People"). API tokens are random
and stored only as SHA-256 digests. Failed logins are counted in the store, so every thread
and process of an app sees the same count.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import SyncError, ValidationError
from .store import atomic
from .text import nfc

TOKEN_TTL = timedelta(hours=12)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)

_hasher = PasswordHasher()


class LoginRefused(SyncError):
    """Raised when a username/password pair is wrong."""

    status = 401
    code = "bad_credentials"


class LoginThrottled(SyncError):
    """Raised when too many logins failed recently for a user."""

    status = 429
    code = "too_many_attempts"


@dataclass(frozen=True)
class User:
    """A person who may log in."""

    username: str
    role: str
    full_name: str


def create_tables(conn: sqlite3.Connection) -> None:
    """Create the accounts tables."""
    conn.execute(
        """CREATE TABLE IF NOT EXISTS users (
            username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
            full_name TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL)"""
    )
    conn.execute(
        """CREATE TABLE IF NOT EXISTS api_tokens (
            token_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username),
            expires_at TEXT NOT NULL)"""
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS login_failures (username TEXT NOT NULL, at TEXT NOT NULL)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS login_failures_user ON login_failures (username, at)")


def add_user(
    conn: sqlite3.Connection,
    username: str,
    password: str,
    role: str,
    roles: tuple[str, ...],
    full_name: str = "",
) -> User:
    """Create a user (or reset an existing user's password and role)."""
    username = username.strip()
    if (
        not username
        or len(username) > 64
        or not username.replace(".", "").replace("_", "").isalnum()
    ):
        raise ValidationError(
            "Tên đăng nhập chỉ gồm chữ, số, dấu chấm, gạch dưới (tối đa 64 ký tự).",
            field="username",
        )
    if role not in roles:
        raise ValidationError(
            f"Vai trò '{role}' không có; chọn một trong: {', '.join(roles)}.", field="role"
        )
    if len(password) < 8:
        raise ValidationError("Mật khẩu phải có ít nhất 8 ký tự.", field="password")
    digest = _hasher.hash(password)
    with atomic(conn):
        conn.execute(
            "INSERT INTO users (username, password_hash, role, full_name, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(username) DO UPDATE SET "
            "password_hash = excluded.password_hash, role = excluded.role, "
            "full_name = excluded.full_name, active = 1",
            (username, digest, role, nfc(full_name or username), _now().isoformat()),
        )
    return User(username, role, nfc(full_name or username))


def authenticate(conn: sqlite3.Connection, username: str, password: str) -> User:
    """Check a password; raise :class:`LoginThrottled` or :class:`LoginRefused` when refused."""
    since = (_now() - FAILURE_WINDOW).isoformat()
    failures = conn.execute(
        "SELECT count(*) FROM login_failures WHERE username = ? AND at > ?", (username, since)
    ).fetchone()[0]
    if failures >= MAX_FAILURES:
        raise LoginThrottled(
            "Đăng nhập sai quá nhiều lần. Hãy đợi 15 phút rồi thử lại, hoặc nhờ quản trị viên."
        )
    row = conn.execute(
        "SELECT password_hash, role, full_name FROM users WHERE username = ? AND active = 1",
        (username,),
    ).fetchone()
    ok = False
    if row is not None:
        try:
            ok = _hasher.verify(row[0], password)
        except (VerificationError, InvalidHashError):
            ok = False
    if not ok:
        with atomic(conn):
            conn.execute(
                "INSERT INTO login_failures (username, at) VALUES (?, ?)",
                (username, _now().isoformat()),
            )
        raise LoginRefused("Tên đăng nhập hoặc mật khẩu không đúng.")
    with atomic(conn):
        conn.execute("DELETE FROM login_failures WHERE username = ?", (username,))
    return User(username, row[1], row[2])


def issue_token(conn: sqlite3.Connection, user: User) -> tuple[str, datetime]:
    """A new bearer token for ``user`` and its expiry."""
    token = secrets.token_urlsafe(32)
    expires = _now() + TOKEN_TTL
    with atomic(conn):
        conn.execute("DELETE FROM api_tokens WHERE expires_at < ?", (_now().isoformat(),))
        conn.execute(
            "INSERT INTO api_tokens (token_hash, username, expires_at) VALUES (?, ?, ?)",
            (_digest(token), user.username, expires.isoformat()),
        )
    return token, expires


def user_for_token(conn: sqlite3.Connection, token: str) -> User | None:
    """The user a live token belongs to, or ``None``."""
    row = conn.execute(
        "SELECT u.username, u.role, u.full_name FROM api_tokens t "
        "JOIN users u ON u.username = t.username "
        "WHERE t.token_hash = ? AND t.expires_at > ? AND u.active = 1",
        (_digest(token), _now().isoformat()),
    ).fetchone()
    return None if row is None else User(row[0], row[1], row[2])


def get_user(conn: sqlite3.Connection, username: str) -> User | None:
    """An active user by name."""
    row = conn.execute(
        "SELECT username, role, full_name FROM users WHERE username = ? AND active = 1",
        (username,),
    ).fetchone()
    return None if row is None else User(row[0], row[1], row[2])


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)
