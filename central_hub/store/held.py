"""Changes held for a clock in the future (docs/protocol.md, "Clocks").

A ward whose clock runs ahead stamps its changes in the future; applied as they are, they
would win every later edit and drag the hub's clock forward. The hub instead keeps them here,
acknowledged and durable (never dropped), and applies them in ``seq`` order once its own
clock has caught up to within the drift bound. Once one change of an origin is held, every
later change of that origin waits behind it, so each origin still reaches the journal in order.

Holding is bounded (docs/security.md, "Held changes and revocation"): a change stamped further
ahead than ``HOLD_MAX_SECONDS`` is refused at the push with the reason, not held for days with
every later change of its node queued behind it. A held change is applied only as its node
may write it when its time comes: revoking a node quarantines what it had held, and a release
checks the node's status and scope again; a change that fails is quarantined with the reason,
kept for the record and shown on the console, never applied.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from sync import CHANGE_COLUMNS, Change, change_from_row, change_row, physical_ms, utcnow_iso


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


def add_quarantine(conn: sqlite3.Connection) -> None:
    """Migration: held changes that will never be applied, with when and why."""
    conn.execute("ALTER TABLE held ADD COLUMN quarantined_at TEXT")
    conn.execute("ALTER TABLE held ADD COLUMN reason TEXT")


def split(
    conn: sqlite3.Connection, origin: str, changes: Sequence[Change], now_ms: int, drift_ms: int
) -> tuple[list[Change], list[Change]]:
    """Changes to apply now, and changes to hold (stamped too far ahead, or behind a held one)."""
    holding = (
        conn.execute(
            "SELECT 1 FROM held WHERE origin = ? AND quarantined_at IS NULL LIMIT 1", (origin,)
        ).fetchone()
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


_COLUMNS = ", ".join(CHANGE_COLUMNS)  # a held change is stored as the journal stores one
_MARKS = ", ".join("?" * len(CHANGE_COLUMNS))


def hold(conn: sqlite3.Connection, changes: Sequence[Change]) -> None:
    """Keep changes until their time comes (the caller holds the transaction)."""
    now = utcnow_iso()
    conn.executemany(
        f"INSERT OR IGNORE INTO held ({_COLUMNS}, received_at) VALUES ({_MARKS}, ?)",
        [(*change_row(c), now) for c in changes],
    )


def due(conn: sqlite3.Connection, now_ms: int, drift_ms: int) -> list[Change]:
    """Held changes whose time has come, per origin in seq order, stopping at the first that
    is still too far ahead (the caller deletes what it applies, in the same transaction)."""
    out: list[Change] = []
    blocked: set[str] = set()
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM held WHERE quarantined_at IS NULL ORDER BY origin, seq"
    )
    for row in rows:
        if row["origin"] in blocked:
            continue
        if physical_ms(row["hlc"]) > now_ms + drift_ms:
            blocked.add(row["origin"])
            continue
        out.append(change_from_row(row))
    return out


def forget(conn: sqlite3.Connection, changes: Sequence[Change]) -> None:
    """Remove released changes."""
    conn.executemany(
        "DELETE FROM held WHERE origin = ? AND seq = ?", [(c.origin, c.seq) for c in changes]
    )


def held_count(conn: sqlite3.Connection, origin: str) -> tuple[int, int | None]:
    """How many changes of ``origin`` are held, and the latest physical time among them (ms)."""
    row = conn.execute(
        "SELECT count(*) AS n, max(hlc) AS latest_hlc FROM held WHERE origin = ? AND quarantined_at IS NULL",
        (origin,),
    ).fetchone()
    return int(row["n"]), (
        None if row["latest_hlc"] is None else physical_ms(int(row["latest_hlc"]))
    )


def quarantine(conn: sqlite3.Connection, origins: Sequence[str], reason: str) -> int:
    """Set aside every change ``origins`` still hold, never to be applied; return how many
    (the caller holds the transaction)."""
    marks = ",".join("?" * len(origins))
    cur = conn.execute(
        f"UPDATE held SET quarantined_at = ?, reason = ? "
        f"WHERE origin IN ({marks}) AND quarantined_at IS NULL",
        (utcnow_iso(), reason[:500], *origins),
    )
    return int(cur.rowcount)


def quarantined(conn: sqlite3.Connection, origin: str) -> list[dict[str, object]]:
    """The quarantined changes of ``origin``, newest reason first (for the console)."""
    rows = conn.execute(
        "SELECT seq, type, id, quarantined_at, reason FROM held "
        "WHERE origin = ? AND quarantined_at IS NOT NULL ORDER BY seq",
        (origin,),
    ).fetchall()
    return [
        {
            "seq": r["seq"],
            "type": r["type"],
            "id": r["id"],
            "quarantined_at": r["quarantined_at"],
            "reason": r["reason"],
        }
        for r in rows
    ]


def clock_warning(ahead_ms: int, held: int) -> dict[str, Any]:
    """What a node is told when its changes are held: its clock runs ``ahead_ms`` ahead of the
    hub's, and ``held`` changes wait (a warning for its status page)."""
    minutes = max(1, round(ahead_ms / 60_000))
    return {
        "code": "clock_ahead",
        "ahead_s": round(ahead_ms / 1000),
        "held": held,
        "message": (
            f"Đồng hồ máy tính của phường đang chạy nhanh hơn giờ của thành phố khoảng {minutes} "
            "phút. Hãy chỉnh lại giờ trên máy chủ phường hoặc báo cán bộ tin học. "
            f"{held} thay đổi đã được thành phố lưu an toàn và sẽ được áp dụng khi đến giờ."
        ),
    }
