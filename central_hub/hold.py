"""Changes held for a clock in the future (DESIGN.md, "Clock").

A ward whose clock runs ahead stamps its changes in the future; applied as they are, they
would win every later edit and drag the hub's clock forward. The hub instead keeps them here,
acknowledged and durable (never dropped), and applies them in ``seq`` order once its own
clock has caught up to within the drift bound. Once one change of an origin is held, every
later change of that origin waits behind it, so each origin still reaches the journal in order.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from sync import Change, physical_ms, utcnow_iso


def create_table(conn: sqlite3.Connection) -> None:
    """Migration: the table of held changes."""
    conn.execute(
        """CREATE TABLE held (
            origin TEXT NOT NULL, seq INTEGER NOT NULL, hlc INTEGER NOT NULL,
            type TEXT NOT NULL, id TEXT NOT NULL, unit TEXT NOT NULL,
            fields TEXT NOT NULL, bases TEXT NOT NULL, actor TEXT NOT NULL,
            prev TEXT, hash TEXT, received_at TEXT NOT NULL,
            PRIMARY KEY (origin, seq))"""
    )


def split(
    conn: sqlite3.Connection, origin: str, changes: Sequence[Change], now_ms: int, drift_ms: int
) -> tuple[list[Change], list[Change]]:
    """Changes to apply now, and changes to hold (stamped too far ahead, or behind a held one)."""
    holding = (
        conn.execute("SELECT 1 FROM held WHERE origin = ? LIMIT 1", (origin,)).fetchone()
        is not None
    )
    now_part, later = [], []
    for change in changes:
        if holding or physical_ms(change.hlc) > now_ms + drift_ms:
            holding = True
            later.append(change)
        else:
            now_part.append(change)
    return now_part, later


def hold(conn: sqlite3.Connection, changes: Sequence[Change]) -> None:
    """Keep changes until their time comes (the caller holds the transaction)."""
    now = utcnow_iso()
    conn.executemany(
        "INSERT OR IGNORE INTO held (origin, seq, hlc, type, id, unit, fields, bases, actor, prev, "
        "hash, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                c.origin,
                c.seq,
                c.hlc,
                c.type,
                c.id,
                c.unit,
                c.fields_json.decode(),
                c.bases_json.decode(),
                c.actor,
                c.prev,
                c.hash,
                now,
            )
            for c in changes
        ],
    )


def due(conn: sqlite3.Connection, now_ms: int, drift_ms: int) -> list[Change]:
    """Held changes whose time has come, per origin in seq order, stopping at the first that
    is still too far ahead (the caller deletes what it applies, in the same transaction)."""
    out: list[Change] = []
    blocked: set[str] = set()
    rows = conn.execute(
        "SELECT origin, seq, hlc, type, id, unit, fields, bases, actor, prev, hash "
        "FROM held ORDER BY origin, seq"
    )
    for origin, seq, hlc, type_, id_, unit, fields, bases, actor, prev, hash_ in rows:
        if origin in blocked:
            continue
        if physical_ms(hlc) > now_ms + drift_ms:
            blocked.add(origin)
            continue
        out.append(
            Change(
                origin,
                seq,
                hlc,
                type_,
                id_,
                unit,
                json.loads(fields),
                json.loads(bases),
                actor,
                prev,
                hash_,
            )
        )
    return out


def forget(conn: sqlite3.Connection, changes: Sequence[Change]) -> None:
    """Remove released changes."""
    conn.executemany(
        "DELETE FROM held WHERE origin = ? AND seq = ?", [(c.origin, c.seq) for c in changes]
    )


def held_count(conn: sqlite3.Connection, origin: str) -> tuple[int, int | None]:
    """How many changes of ``origin`` are held, and the latest physical time among them (ms)."""
    row = conn.execute("SELECT count(*), max(hlc) FROM held WHERE origin = ?", (origin,)).fetchone()
    return int(row[0]), (None if row[1] is None else physical_ms(int(row[1])))
