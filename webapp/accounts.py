"""User accounts, password hashing, API tokens and login sessions, shared by both apps.

Passwords are hashed with Argon2id (memory-hard). API tokens are random and stored only as
SHA-256 digests. Failed logins are throttled per client address (``throttle.py``).

Each user has a *session epoch*: a login session (a signed cookie) and an API token carry the
epoch they were made under, and are worthless once it moves on. A password change or reset,
disabling the user, or ``user revoke`` moves it, so they end every session and token of that
user at once (docs/security.md, "Sessions, tokens and CSRF").
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sync import NotFound, SyncError, ValidationError, atomic, nfc

from . import throttle

TOKEN_TTL = timedelta(hours=12)

_hasher = PasswordHasher()
_dummy_hash: str | None = None


class LoginRefused(SyncError):
    """Raised when a username/password pair is wrong."""

    status = 401
    code = "bad_credentials"


class AccountDisabled(SyncError):
    """Raised when the right password is given for a disabled account."""

    status = 403
    code = "account_disabled"


@dataclass(frozen=True)
class User:
    """A person who may log in."""

    username: str
    role: str
    full_name: str


@dataclass(frozen=True)
class Account:
    """A user as ``user list`` shows it: with its state and its live API tokens."""

    username: str
    role: str
    full_name: str
    active: bool
    tokens: int
    created_at: str


def create_tables(conn: sqlite3.Connection) -> None:
    """Create the accounts tables, or bring older ones up to date (safe to run again)."""
    conn.execute(
        """CREATE TABLE IF NOT EXISTS users (
            username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
            full_name TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL,
            session_epoch INTEGER NOT NULL DEFAULT 0)"""
    )
    conn.execute(
        """CREATE TABLE IF NOT EXISTS api_tokens (
            token_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username),
            expires_at TEXT NOT NULL, epoch INTEGER NOT NULL DEFAULT 0)"""
    )
    _add_column(conn, "users", "session_epoch INTEGER NOT NULL DEFAULT 0")
    _add_column(conn, "api_tokens", "epoch INTEGER NOT NULL DEFAULT 0")
    conn.execute("CREATE INDEX IF NOT EXISTS api_tokens_user ON api_tokens (username)")
    throttle.create_table(conn)


def _add_column(conn: sqlite3.Connection, table: str, column: str) -> None:
    if column.split()[0] not in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")


def add_user(
    conn: sqlite3.Connection,
    username: str,
    password: str,
    role: str,
    roles: tuple[str, ...],
    full_name: str = "",
) -> User:
    """Create a user, or reset an existing user's password, role and name (and enable it).

    A reset ends every session and API token of that user.
    """
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
            "full_name = excluded.full_name, active = 1, "
            "session_epoch = users.session_epoch + 1",
            (username, digest, role, nfc(full_name or username), _now().isoformat()),
        )
        conn.execute("DELETE FROM api_tokens WHERE username = ?", (username,))
    return User(username, role, nfc(full_name or username))


def set_active(conn: sqlite3.Connection, username: str, active: bool) -> User:
    """Enable or disable a user; disabling ends its sessions and tokens.

    Raises :class:`NotFound` for an unknown user.
    """
    with atomic(conn):
        row = conn.execute(
            "UPDATE users SET active = ?, session_epoch = session_epoch + ? WHERE username = ? "
            "RETURNING username, role, full_name",
            (int(active), 0 if active else 1, username),
        ).fetchone()
        if row is None:
            raise _no_user(username)
        if not active:
            conn.execute("DELETE FROM api_tokens WHERE username = ?", (username,))
    return User(row[0], row[1], row[2])


def end_sessions(conn: sqlite3.Connection, username: str) -> int:
    """End every login session and API token of ``username``; return how many tokens died.

    Raises :class:`NotFound` for an unknown user.
    """
    with atomic(conn):
        row = conn.execute(
            "UPDATE users SET session_epoch = session_epoch + 1 WHERE username = ? "
            "RETURNING username",
            (username,),
        ).fetchone()
        if row is None:
            raise _no_user(username)
        gone = conn.execute(
            "DELETE FROM api_tokens WHERE username = ? AND expires_at > ?",
            (username, _now().isoformat()),
        ).rowcount
        conn.execute("DELETE FROM api_tokens WHERE username = ?", (username,))
    return int(gone)


def list_users(conn: sqlite3.Connection) -> list[Account]:
    """Every user, by name, with its state and number of live API tokens."""
    rows = conn.execute(
        "SELECT u.username, u.role, u.full_name, u.active, u.created_at, "
        "(SELECT count(*) FROM api_tokens t WHERE t.username = u.username "
        " AND t.epoch = u.session_epoch AND t.expires_at > ?) "
        "FROM users u ORDER BY u.username",
        (_now().isoformat(),),
    ).fetchall()
    return [Account(r[0], r[1], r[2], bool(r[3]), int(r[5]), r[4]) for r in rows]


def accounts_text(accounts: list[Account], as_json: bool = False) -> str:
    """``user list``'s output: one line per account, or JSON."""
    if as_json:
        return json.dumps([asdict(a) for a in accounts], ensure_ascii=False, indent=2)
    if not accounts:
        return "Chưa có tài khoản nào. Tạo bằng lệnh 'user add'."
    lines = []
    for a in accounts:
        state = "đang dùng" if a.active else "đã khóa"
        lines.append(f"{a.username}\t{a.role}\t{state}\t{a.tokens} mã truy cập\t{a.full_name}")
    return "\n".join(lines)


def authenticate(
    conn: sqlite3.Connection, username: str, password: str, address: str = "?"
) -> User:
    """Check a password typed from the client ``address``.

    Raises :class:`throttle.LoginThrottled` when that address must wait, :class:`LoginRefused`
    for a wrong pair (counted against the address), :class:`AccountDisabled` for the right
    password of a disabled user. An unknown user costs one password hash like a known one, so
    the time taken does not tell which names exist.
    """
    username = nfc(username).strip()
    throttle.check(conn, address, username)
    row = conn.execute(
        "SELECT password_hash, role, full_name, active FROM users WHERE username = ?",
        (username,),
    ).fetchone()
    ok = _verify(row[0] if row is not None else _dummy(), password) and row is not None
    if not ok:
        throttle.record_failure(conn, address, username)
        raise LoginRefused("Tên đăng nhập hoặc mật khẩu không đúng.")
    throttle.clear(conn, address, username)
    if not row[3]:
        raise AccountDisabled("Tài khoản này đã bị khóa. Hãy liên hệ quản trị viên để được mở lại.")
    return User(username, row[1], row[2])


def _verify(digest: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(digest, password))
    except (VerificationError, InvalidHashError):
        return False


def _dummy() -> str:
    # A hash made with the same parameters, checked when the user does not exist.
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


def _no_user(username: str) -> NotFound:
    return NotFound(f"Không có tài khoản '{username}'.", code="no_such_user")


# -- login sessions -----------------------------------------------------------------------------


def session_claims(
    conn: sqlite3.Connection, user: User, now: float | None = None
) -> dict[str, Any]:
    """What a new login session's signed cookie carries for ``user``."""
    now = time.time() if now is None else now
    row = conn.execute(
        "SELECT session_epoch FROM users WHERE username = ?", (user.username,)
    ).fetchone()
    return {"user": user.username, "epoch": int(row[0]) if row else 0, "at": now, "seen": now}


def user_for_session(
    conn: sqlite3.Connection,
    claims: Mapping[str, Any],
    *,
    idle: float,
    lifetime: float,
    now: float | None = None,
) -> User | None:
    """The user of a session cookie's ``claims``, or ``None`` when the session is over.

    Over means: older than ``lifetime`` seconds, unused for ``idle`` seconds, made before the
    user's session epoch moved on (password change, ``user revoke``), or its user disabled.
    """
    now = time.time() if now is None else now
    name, epoch, at, seen = (claims.get(k) for k in ("user", "epoch", "at", "seen"))
    if not isinstance(name, str) or not isinstance(epoch, int):
        return None
    if not isinstance(at, int | float) or not isinstance(seen, int | float):
        return None
    if now - at > lifetime or now - seen > idle or at > now + 60:
        return None
    row = conn.execute(
        "SELECT username, role, full_name FROM users "
        "WHERE username = ? AND active = 1 AND session_epoch = ?",
        (name, epoch),
    ).fetchone()
    return None if row is None else User(row[0], row[1], row[2])


# -- API tokens ---------------------------------------------------------------------------------


def issue_token(conn: sqlite3.Connection, user: User) -> tuple[str, datetime]:
    """A new bearer token for ``user`` and its expiry (it dies with the user's session epoch)."""
    token = secrets.token_urlsafe(32)
    expires = _now() + TOKEN_TTL
    with atomic(conn):
        conn.execute("DELETE FROM api_tokens WHERE expires_at < ?", (_now().isoformat(),))
        conn.execute(
            "INSERT INTO api_tokens (token_hash, username, expires_at, epoch) "
            "SELECT ?, username, ?, session_epoch FROM users WHERE username = ?",
            (_digest(token), expires.isoformat(), user.username),
        )
    return token, expires


def user_for_token(conn: sqlite3.Connection, token: str) -> User | None:
    """The user a live token belongs to, or ``None`` (expired, revoked, or user disabled)."""
    row = conn.execute(
        "SELECT u.username, u.role, u.full_name FROM api_tokens t "
        "JOIN users u ON u.username = t.username "
        "WHERE t.token_hash = ? AND t.expires_at > ? AND u.active = 1 "
        "AND t.epoch = u.session_epoch",
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
