"""SQLite store helpers: one way to connect, one way to write, ordered migrations.

Every write goes through :func:`atomic`, which starts with ``BEGIN IMMEDIATE`` so that writers
queue on SQLite's busy timeout instead of failing later with "database is locked" (Datasette's
single-writer discipline), and nests with savepoints.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .files import precreate

BUSY_TIMEOUT_MS = 30_000

Migration = tuple[str, Callable[[sqlite3.Connection], None]]

_savepoint_ids = threading.local()


def connect(path: str | Path, *, synchronous: str = "FULL") -> sqlite3.Connection:
    """Open ``path`` in WAL mode with foreign keys, a busy timeout and the given sync level.

    The connection is in autocommit mode: transactions are opened by :func:`atomic` only.
    Rows come back as :class:`sqlite3.Row`. A new database file is created with mode 0600, and
    SQLite gives its ``-wal`` and ``-shm`` files the same (docs/security.md, "Files on disk").
    """
    if str(path) != ":memory:" and not str(path).startswith("file:"):
        precreate(Path(path))
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


@contextmanager
def atomic(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block in one transaction (or a savepoint when already inside one).

    Commits when the block ends, rolls back on any exception and re-raises it.
    """
    if conn.in_transaction:
        depth = getattr(_savepoint_ids, "n", 0) + 1
        _savepoint_ids.n = depth
        name = f"sp{depth}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        else:
            conn.execute(f"RELEASE {name}")
        finally:
            _savepoint_ids.n = depth - 1
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> list[str]:
    """Apply, in order, each named migration not yet recorded; return the names applied.

    Each migration runs in its own transaction together with its record in ``_migrations``,
    so a crash mid-upgrade leaves the store at a clean step.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
    applied = []
    for name, fn in migrations:
        if name in done:
            continue
        with atomic(conn):
            fn(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, datetime('now'))", (name,)
            )
        applied.append(name)
    return applied


def create_meta(conn: sqlite3.Connection) -> None:
    """Create the key/value ``meta`` table used for clocks, cursors and identities."""
    conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def get_meta(conn: sqlite3.Connection, key: str, default: Any = None) -> Any:
    """Read a JSON value from ``meta``; ``default`` when absent."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return default if row is None else json.loads(row[0])


def set_meta(conn: sqlite3.Connection, key: str, value: Any) -> None:
    """Write a JSON value to ``meta`` (the caller holds the transaction)."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value)),
    )
