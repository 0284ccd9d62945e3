"""Each node's sync history at the hub (``sync_events``, shown on the console's unit page):
every visit with its kind, changes, bytes and duration, the node's last contact, clock offset
and what it reported of itself; and every refused request, with why, under the unit that
sent it when it can be named."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sync import SyncError, atomic, peek_header, utcnow_iso

from . import nodes


def record_visit(
    conn: sqlite3.Connection,
    node: nodes.Node,
    request: bytes,
    size: int,
    kind: str,
    count: int,
    started: float,
    detail: str,
    *,
    measure_clock: bool = True,
    status: dict[str, Any] | None = None,
) -> None:
    """Note the node's visit: last contact, clock offset, what it reported of itself (a node
    of an older version reports nothing), and a line of sync history."""
    offset = int(peek_header(request)["created_at"]) - time.time() if measure_clock else None
    with atomic(conn):
        conn.execute(
            "UPDATE nodes SET last_seen_at = ?, clock_offset_s = coalesce(?, clock_offset_s) "
            "WHERE node_id = ?",
            (utcnow_iso(), None if offset is None else round(offset, 1), node.node_id),
        )
        if status is not None:
            nodes.record_status(conn, node.node_id, status)
        conn.execute(
            "INSERT INTO sync_events (node_id, unit, at, kind, changes, bytes, duration_ms, "
            "outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                node.node_id,
                node.unit,
                utcnow_iso(),
                kind,
                count,
                size,
                round((time.perf_counter() - started) * 1000, 1),
                "ok",
                detail,
            ),
        )


def record_refusal(conn: sqlite3.Connection, body: bytes, kind: str, exc: SyncError) -> None:
    """Log a refused request in the sync history of the sending unit, when it can be named."""
    try:
        header = peek_header(body)
        node_id: str | None = str(header["sender"])
    except SyncError:
        node_id = None
    row = None
    if node_id:
        row = conn.execute("SELECT unit FROM nodes WHERE node_id = ?", (node_id,)).fetchone()
    with atomic(conn):
        conn.execute(
            "INSERT INTO sync_events (node_id, unit, at, kind, bytes, outcome, detail) "
            "VALUES (?, ?, ?, ?, ?, 'refused', ?)",
            (
                node_id if row else None,
                row[0] if row else None,
                utcnow_iso(),
                kind,
                len(body),
                f"{exc.code}: {exc.message}"[:500],
            ),
        )
