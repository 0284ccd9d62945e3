"""The hub's store as the tests read it, on whichever engine the test runs (SQLite file or
PostgreSQL, tests/hub/conftest.py): a test never opens ``hub.sqlite3`` itself."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sync import connect


def hub_db(data_dir: Path) -> Any:
    """A connection to the store of the hub in ``data_dir`` whose rows compare equal to
    tuples (``sqlite3.connect`` on the SQLite file; on PostgreSQL, the hub's own)."""
    from central_hub.store import engine

    found = engine(data_dir)
    if found.kind == "sqlite":
        return sqlite3.connect(found.path, timeout=30)
    return found.connect()


def hub_store(data_dir: Path) -> Any:
    """A connection to the store of the hub in ``data_dir`` as the hub opens it (rows read by
    name), without migrating it."""
    from central_hub.store import engine

    found = engine(data_dir)
    return connect(found.path) if found.kind == "sqlite" else found.connect()


def hub_query(data_dir: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of a query on the store of the hub in ``data_dir`` (another process may be
    writing it)."""
    conn = hub_db(data_dir)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()
