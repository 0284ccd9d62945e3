"""A per-client rate limit kept in the store, shared by every thread and process of an app.

Used by the public dossier look-up of both apps, against enumeration of dossier codes.
"""

from __future__ import annotations

import sqlite3
import time

from sync import SyncError, atomic, delete_in_batches


class RateLimited(SyncError):
    """Raised when one client makes too many requests in a minute."""

    status = 429
    code = "rate_limited"


def create_table(conn: sqlite3.Connection) -> None:
    """Migration: the table of recent requests per client."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS public_lookups (client TEXT NOT NULL, at REAL NOT NULL)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS public_lookups_client ON public_lookups (client, at)")


def check_rate(
    conn: sqlite3.Connection,
    client: str,
    per_minute: int,
    *,
    message: str = "Bạn tra cứu quá nhiều lần. Hãy đợi một phút rồi thử lại.",
    now: float | None = None,
) -> None:
    """Count one request of ``client``; :class:`RateLimited` (with ``message``) past
    ``per_minute`` in 60 s."""
    now = time.time() if now is None else now
    with atomic(conn):
        conn.execute("DELETE FROM public_lookups WHERE at < ?", (now - 60,))
        count = conn.execute(
            "SELECT count(*) FROM public_lookups WHERE client = ?", (client,)
        ).fetchone()[0]
        if count >= per_minute:
            raise RateLimited(message)
        conn.execute("INSERT INTO public_lookups (client, at) VALUES (?, ?)", (client, now))


def prune(conn: sqlite3.Connection, *, now: float | None = None, budget: int = 100_000) -> int:
    """Delete requests older than a minute (they no longer count), at most ``budget``, 5,000
    per transaction; return how many. :func:`check_rate` forgets them too, but only when the
    next request comes."""
    cutoff = (time.time() if now is None else now) - 60
    return delete_in_batches(conn, "public_lookups", "at < ?", (cutoff,), budget=budget)
