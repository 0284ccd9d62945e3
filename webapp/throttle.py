"""Login throttling: growing delays per (client address, user name) and per client address.

Failures are never counted per user name alone: anyone could then lock ``admin`` out by failing
on purpose. The attacker's address is slowed down, and the owner, from their own address, still
gets in (docs/security.md, "Accounts"). Failures live in the store, so every thread and process
of an app sees the same counts.

After ``free`` failures within :data:`WINDOW`, each further attempt must wait ``FIRST_DELAY``,
then twice as long after each new failure, up to :data:`MAX_DELAY`. An attempt made too early
is refused without checking the password (and without counting as a failure).
"""

from __future__ import annotations

import math
import sqlite3
import time

from sync import SyncError, atomic, delete_in_batches

PAIR_FREE = 5  # failures of one user name from one address before delays start
ADDRESS_FREE = 20  # failures from one address, whatever the user names, before delays start
FIRST_DELAY = 30.0  # seconds
MAX_DELAY = 15 * 60.0
WINDOW = 60 * 60.0  # failures older than this are forgotten
KEY_CHARS = 64  # user names are at most 64 characters: longer text is not stored whole


class LoginThrottled(SyncError):
    """Raised when a login comes too soon after repeated failures from the same address."""

    status = 429
    code = "too_many_attempts"


def create_table(conn: sqlite3.Connection) -> None:
    """Create (or bring up to date) the table of recent failed logins."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(login_failures)")}
    if columns and "address" not in columns:
        # Stores made before failures were keyed by address: the old counts are dropped.
        conn.execute("DROP TABLE login_failures")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS login_failures ("
        "address TEXT NOT NULL, username TEXT NOT NULL, at REAL NOT NULL)"
    )
    conn.execute(
        "CREATE INDEX IF NOT EXISTS login_failures_pair ON login_failures (address, username, at)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS login_failures_at ON login_failures (at)")


def wait_after(failures: int, last: float | None, free: int, now: float) -> float:
    """Seconds still to wait after ``failures`` failures, the last one at ``last``."""
    if failures < free or last is None:
        return 0.0
    delay: float = min(FIRST_DELAY * 2.0 ** (failures - free), MAX_DELAY)
    return max(0.0, float(last) + delay - now)


def check(conn: sqlite3.Connection, address: str, username: str, now: float | None = None) -> None:
    """Raise :class:`LoginThrottled` when a login from ``address`` as ``username`` must wait."""
    now = time.time() if now is None else now
    since = now - WINDOW
    pair = conn.execute(
        "SELECT count(*), max(at) FROM login_failures WHERE address = ? AND username = ? "
        "AND at > ?",
        (address, _key(username), since),
    ).fetchone()
    whole = conn.execute(
        "SELECT count(*), max(at) FROM login_failures WHERE address = ? AND at > ?",
        (address, since),
    ).fetchone()
    wait = max(
        wait_after(pair[0], pair[1], PAIR_FREE, now),
        wait_after(whole[0], whole[1], ADDRESS_FREE, now),
    )
    if wait > 0:
        seconds = math.ceil(wait)
        raise LoginThrottled(
            f"Đăng nhập sai nhiều lần. Hãy đợi {_duration(seconds)} rồi thử lại, "
            "hoặc nhờ quản trị viên đặt lại mật khẩu.",
            retry_after=seconds,
        )


def record_failure(
    conn: sqlite3.Connection, address: str, username: str, now: float | None = None
) -> None:
    """Count one failed login from ``address`` as ``username`` (and forget old ones)."""
    now = time.time() if now is None else now
    with atomic(conn):
        conn.execute("DELETE FROM login_failures WHERE at <= ?", (now - WINDOW,))
        conn.execute(
            "INSERT INTO login_failures (address, username, at) VALUES (?, ?, ?)",
            (address, _key(username), now),
        )


def clear(conn: sqlite3.Connection, address: str, username: str) -> None:
    """Forget the failures of ``username`` from ``address`` after a successful login."""
    with atomic(conn):
        conn.execute(
            "DELETE FROM login_failures WHERE address = ? AND username = ?",
            (address, _key(username)),
        )


def _key(username: str) -> str:
    return username[:KEY_CHARS]


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} giây"
    return f"{math.ceil(seconds / 60)} phút"


def prune(conn: sqlite3.Connection, *, now: float | None = None, budget: int = 100_000) -> int:
    """Delete failures older than :data:`WINDOW` (they no longer count), at most ``budget``,
    5,000 per transaction; return how many. Failures are also forgotten as new ones come, but
    a burst from many addresses would otherwise stay until the next failure."""
    cutoff = (time.time() if now is None else now) - WINDOW
    return delete_in_batches(conn, "login_failures", "at <= ?", (cutoff,), budget=budget)
