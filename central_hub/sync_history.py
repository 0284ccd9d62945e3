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


def record_refusal(
    conn: sqlite3.Connection,
    body: bytes,
    kind: str,
    exc: SyncError,
    sender: nodes.Node | None = None,
) -> None:
    """Log a refused request: in the sync history of ``sender`` when its signature verified
    (the node really sent it), otherwise only as a count per day, kind and reason.

    A header names any sender it likes: recorded under that unit before the signature
    verified, anyone could make a ward look broken on the console and fill ``sync_events``
    (docs/security.md, "Resource bounds").
    """
    with atomic(conn):
        if sender is not None:
            conn.execute(
                "INSERT INTO sync_events (node_id, unit, at, kind, bytes, outcome, detail) "
                "VALUES (?, ?, ?, ?, ?, 'refused', ?)",
                (
                    sender.node_id,
                    sender.unit,
                    utcnow_iso(),
                    kind,
                    len(body),
                    f"{exc.code}: {exc.message}"[:500],
                ),
            )
            return
        now = utcnow_iso()
        conn.execute(
            "INSERT INTO unverified_refusals (day, kind, code, count, last_at) "
            "VALUES (?, ?, ?, 1, ?) ON CONFLICT (day, kind, code) "
            "DO UPDATE SET count = count + 1, last_at = excluded.last_at",
            (now[:10], kind, exc.code[:64], now),
        )


def create_unverified_refusals(conn: sqlite3.Connection) -> None:
    """Migration: refused requests whose sender could not be verified, counted per day."""
    conn.execute(
        "CREATE TABLE unverified_refusals (day TEXT NOT NULL, kind TEXT NOT NULL, "
        "code TEXT NOT NULL, count INTEGER NOT NULL, last_at TEXT NOT NULL, "
        "PRIMARY KEY (day, kind, code))"
    )
