"""Each node's sync history at the hub, shown on the console's unit page and dashboard.

A ward syncs every 30 seconds, and most visits move nothing: a row for each would be 2,880 rows
a ward a day, 28 million a year for the city (docs/operations.md, "Growth"). So the history
keeps

- ``sync_visits``: one row per node, updated by every visit: how many visits, how many moved
  nothing, the bytes of those, when and how the last one went, and up to which
  ``sync_events`` row the node was last seen syncing fine;
- ``sync_events``: one row for each visit that moved something (changes pushed or pulled, a
  file sent or fetched), each refused request of a verified node, each key rotation; kept
  :data:`HISTORY_DAYS` days and at most :data:`KEEP_PER_UNIT` rows a unit (``prune``);
- ``unverified_refusals``: refused requests whose sender could not be verified, only counted
  per day, kind and reason; kept as long as ``sync_events``.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sync import SyncError, atomic, delete_in_batches, peek_header

from . import nodes

HISTORY_DAYS = 90  # default of the hub's HISTORY_DAYS setting
KEEP_PER_UNIT = 50_000  # rows of one unit at most: a node flooding refusals cannot fill the disk
QUIET_KINDS = frozenset({"blob_status"})  # questions, not transfers: never a row of their own
BATCH = 5000  # rows deleted per transaction, so a request never waits long for the store


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
    now: float | None = None,
) -> None:
    """Note the node's visit: last contact, clock offset, what it reported of itself (a node
    of an older version reports nothing), and its history: a row in ``sync_events`` when the
    visit moved something (``count`` changes or files), else only its node's summary.

    ``now`` (a Unix time) is for simulations; the clock offset is measured against it too.
    """
    now = time.time() if now is None else now
    at = _iso(now)
    offset = int(peek_header(request)["created_at"]) - now if measure_clock else None
    duration = round((time.perf_counter() - started) * 1000, 1)
    moved = count > 0 and kind not in QUIET_KINDS
    with atomic(conn):
        conn.execute(
            "UPDATE nodes SET last_seen_at = ?, clock_offset_s = coalesce(?, clock_offset_s) "
            "WHERE node_id = ?",
            (at, None if offset is None else round(offset, 1), node.node_id),
        )
        if status is not None:
            nodes.record_status(conn, node.node_id, status)
        if moved:
            conn.execute(
                "INSERT INTO sync_events (node_id, unit, at, kind, changes, bytes, duration_ms, "
                "outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, 'ok', ?)",
                (node.node_id, node.unit, at, kind, count, size, duration, detail),
            )
        _summarise(conn, node, at, kind, "ok", detail, quiet_bytes=None if moved else size)


def record_refusal(
    conn: sqlite3.Connection,
    body: bytes,
    kind: str,
    exc: SyncError,
    sender: nodes.Node | None = None,
    *,
    now: float | None = None,
) -> None:
    """Log a refused request: in the sync history of ``sender`` when its signature verified
    (the node really sent it), otherwise only as a count per day, kind and reason.

    A header names any sender it likes: recorded under that unit before the signature
    verified, anyone could make a ward look broken on the console and fill ``sync_events``
    (docs/security.md, "Resource bounds").
    """
    at = _iso(time.time() if now is None else now)
    with atomic(conn):
        if sender is not None:
            detail = f"{exc.code}: {exc.message}"[:500]
            conn.execute(
                "INSERT INTO sync_events (node_id, unit, at, kind, bytes, outcome, detail) "
                "VALUES (?, ?, ?, ?, ?, 'refused', ?)",
                (sender.node_id, sender.unit, at, kind, len(body), detail),
            )
            _summarise(conn, sender, at, kind, "refused", detail, quiet_bytes=None)
            return
        conn.execute(
            "INSERT INTO unverified_refusals (day, kind, code, count, last_at) "
            "VALUES (?, ?, ?, 1, ?) ON CONFLICT (day, kind, code) "
            "DO UPDATE SET count = unverified_refusals.count + 1, last_at = excluded.last_at",
            (at[:10], kind, exc.code[:64], at),
        )


def _summarise(
    conn: sqlite3.Connection,
    node: nodes.Node,
    at: str,
    kind: str,
    outcome: str,
    detail: str,
    *,
    quiet_bytes: int | None,
) -> None:
    """Count the visit in its node's summary (in the caller's transaction). A visit that went
    fine moves ``ok_through`` to the newest event: a refusal older than that is over."""
    quiet = quiet_bytes is not None
    conn.execute(
        "INSERT INTO sync_visits (node_id, unit, since, visits, quiet, quiet_bytes, kept, "
        "last_at, last_kind, last_outcome, last_detail, ok_through) "
        "VALUES (?1, ?2, ?3, 1, ?4, ?5, 1 - ?4, ?3, ?6, ?7, ?8, "
        "CASE WHEN ?7 = 'ok' THEN (SELECT coalesce(max(id), 0) FROM sync_events) END) "
        "ON CONFLICT (node_id) DO UPDATE SET unit = excluded.unit, "
        "visits = sync_visits.visits + 1, quiet = sync_visits.quiet + excluded.quiet, "
        "quiet_bytes = sync_visits.quiet_bytes + excluded.quiet_bytes, "
        "kept = sync_visits.kept + excluded.kept, last_at = excluded.last_at, "
        "last_kind = excluded.last_kind, last_outcome = excluded.last_outcome, "
        "last_detail = excluded.last_detail, "
        "ok_through = coalesce(excluded.ok_through, sync_visits.ok_through)",
        (node.node_id, node.unit, at, int(quiet), quiet_bytes or 0, kind, outcome, detail),
    )


def refused_now(conn: sqlite3.Connection, node_id: str, unit: str) -> tuple[str, str] | None:
    """(detail, at) of the node's newest refusal when no visit went fine since, else ``None``:
    what the console shows as the node's error. Reads only the unit's rows after the node's
    last fine visit (the dashboard asks for every node every 5 seconds)."""
    fine = conn.execute(
        "SELECT coalesce(ok_through, 0) AS ok_through FROM sync_visits WHERE node_id = ?",
        (node_id,),
    ).fetchone()
    row = conn.execute(
        "SELECT detail, at FROM sync_events WHERE unit = ? AND id > ? AND node_id = ? "
        "AND outcome = 'refused' ORDER BY id DESC LIMIT 1",
        (unit, fine["ok_through"] if fine else 0, node_id),
    ).fetchone()
    return None if row is None else (row["detail"] or "", row["at"])


def summary(conn: sqlite3.Connection, unit: str) -> list[dict[str, Any]]:
    """The summary of each node of ``unit`` that ever visited (for the unit's page)."""
    rows = conn.execute(
        "SELECT node_id, since, visits, quiet, quiet_bytes, last_at, last_kind, last_outcome "
        "FROM sync_visits WHERE unit = ? ORDER BY node_id",
        (unit,),
    ).fetchall()
    keys = ("node_id", "since", "visits", "quiet", "quiet_bytes", "last_at", "last_kind")
    return [{**{k: r[k] for k in keys}, "last_ok": r["last_outcome"] == "ok"} for r in rows]


def prune(
    conn: sqlite3.Connection,
    *,
    days: int = HISTORY_DAYS,
    keep_per_unit: int = KEEP_PER_UNIT,
    now: float | None = None,
    budget: int = 20 * BATCH,
) -> int:
    """Delete ``sync_events`` rows older than ``days`` or beyond the newest ``keep_per_unit``
    of their unit, and ``unverified_refusals`` days older than ``days``, at most ``budget``
    rows, :data:`BATCH` per transaction; return how many. Run by ``housekeeping``.

    Each node's summary counts its rows (``kept``), so finding the units over their limit
    reads 27 rows, not the history.
    """
    cutoff = _iso((time.time() if now is None else now) - days * 86400)
    deleted = _delete_events(conn, "at < ?", (cutoff,), budget)
    over = conn.execute(
        "SELECT unit FROM sync_visits GROUP BY unit HAVING sum(kept) > ?", (keep_per_unit,)
    ).fetchall()
    for unit in (r["unit"] for r in over):
        row = conn.execute(
            "SELECT id FROM sync_events WHERE unit = ? ORDER BY id DESC LIMIT 1 OFFSET ?",
            (unit, keep_per_unit),
        ).fetchone()
        if row is not None:
            deleted += _delete_events(
                conn, "unit = ? AND id <= ?", (unit, row["id"]), budget - deleted
            )
    deleted += delete_in_batches(
        conn, "unverified_refusals", "day < ?", (cutoff[:10],), budget=budget - deleted, batch=BATCH
    )
    return deleted


def _delete_events(
    conn: sqlite3.Connection, where: str, params: tuple[Any, ...], budget: int
) -> int:
    """Delete the ``sync_events`` rows matching ``where``, :data:`BATCH` per transaction, at
    most ``budget`` in all, and take them off their nodes' ``kept``; return how many."""
    deleted = 0
    while deleted < budget:
        with atomic(conn):
            gone = Counter(
                r["node_id"]
                for r in conn.execute(
                    "DELETE FROM sync_events WHERE id IN "
                    f"(SELECT id FROM sync_events WHERE {where} LIMIT ?) RETURNING node_id",
                    (*params, min(BATCH, budget - deleted)),
                ).fetchall()
            )
            conn.executemany(
                "UPDATE sync_visits SET kept = CASE WHEN kept > ? THEN kept - ? ELSE 0 END "
                "WHERE node_id = ?",
                [(n, n, node_id) for node_id, n in gone.items()],
            )
        n = sum(gone.values())
        deleted += n
        if n < BATCH:
            break
    return deleted


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def create_unverified_refusals(conn: sqlite3.Connection) -> None:
    """Migration: refused requests whose sender could not be verified, counted per day."""
    conn.execute(
        "CREATE TABLE unverified_refusals (day TEXT NOT NULL, kind TEXT NOT NULL, "
        "code TEXT NOT NULL, count INTEGER NOT NULL, last_at TEXT NOT NULL, "
        "PRIMARY KEY (day, kind, code))"
    )


def create_summary(conn: sqlite3.Connection) -> None:
    """Migration: one summary row per node (``sync_visits``), filled from the history so far;
    an index for pruning by age."""
    conn.execute(
        """CREATE TABLE sync_visits (
            node_id TEXT PRIMARY KEY, unit TEXT NOT NULL, since TEXT NOT NULL,
            visits INTEGER NOT NULL DEFAULT 0, quiet INTEGER NOT NULL DEFAULT 0,
            quiet_bytes INTEGER NOT NULL DEFAULT 0, kept INTEGER NOT NULL DEFAULT 0,
            last_at TEXT, last_kind TEXT,
            last_outcome TEXT, last_detail TEXT, ok_through INTEGER)"""
    )
    conn.execute("CREATE INDEX sync_visits_unit ON sync_visits (unit)")
    conn.execute("CREATE INDEX sync_events_at ON sync_events (at)")
    # Each node's newest event becomes its last visit; a node whose newest event went fine is
    # fine through it (as the console judged it before).
    conn.execute(
        "INSERT INTO sync_visits (node_id, unit, since, visits, kept, last_at, last_kind, "
        "last_outcome, last_detail, ok_through) "
        "SELECT e.node_id, e.unit, first.at, first.n, first.n, e.at, e.kind, e.outcome, e.detail, "
        "CASE WHEN e.outcome = 'ok' THEN e.id END "
        "FROM sync_events e JOIN (SELECT node_id, max(id) AS last_id, min(at) AS at, "
        "count(*) AS n FROM sync_events WHERE node_id IS NOT NULL GROUP BY node_id) first "
        "ON e.id = first.last_id"
    )


def sync_events(
    conn: sqlite3.Connection, unit: str, limit: int = 100, before: int | None = None
) -> list[sqlite3.Row]:
    """The latest ``limit`` rows of a unit's sync history, newest first (by column name);
    with ``before``, those older than the row of that id (the next page of the unit's log)."""
    older = "" if before is None else " AND id < ?"
    return conn.execute(
        "SELECT id, at, node_id, kind, changes, bytes, duration_ms, outcome, detail "
        f"FROM sync_events WHERE unit = ?{older} ORDER BY id DESC LIMIT ?",
        (unit, *(() if before is None else (before,)), limit),
    ).fetchall()


def refusals_since(conn: sqlite3.Connection, unit: str, since: float) -> list[dict[str, Any]]:
    """The refused requests of a unit's nodes since ``since`` (a Unix time), one line per
    reason: ``detail``, ``count``, ``last_at``; the most frequent first."""
    rows = conn.execute(
        "SELECT coalesce(detail, '') AS detail, count(*) AS n, max(at) AS last_at "
        "FROM sync_events WHERE unit = ? AND outcome = 'refused' AND at >= ? "
        "GROUP BY coalesce(detail, '') ORDER BY n DESC, last_at DESC",
        (unit, _iso(since)),
    ).fetchall()
    return [{"detail": r["detail"], "count": int(r["n"]), "last_at": r["last_at"]} for r in rows]
