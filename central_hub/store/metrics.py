"""What ``GET /metrics`` reads from the hub's store at each scrape (central_hub/metrics.py).

Each function is one grouped query, whatever the size of the fleet (3,321 nodes at a
province's scale): never one query per node. The times are compared in Python, so the SQL
names no clock of its own and runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class NodeFigures:
    """One enrolled node as the metrics show it."""

    node_id: str
    unit: str
    status: str  # active | revoked
    software: str
    last_seen_at: str | None  # ISO 8601 UTC, None before its first contact
    pending_changes: int | None  # as the node last reported them; None before any report
    held: int  # its changes held at the hub for a clock running ahead
    quarantined: int  # its held changes set aside for good
    refusals: int  # its visits refused since the last that went fine
    last_outcome: str | None  # ok | refused, of its newest visit


def node_figures(conn: sqlite3.Connection) -> list[NodeFigures]:
    """Every enrolled node with what the metrics tell of it, in three grouped queries."""
    held: dict[str, tuple[int, int]] = {}
    for r in conn.execute(
        "SELECT origin, sum(CASE WHEN quarantined_at IS NULL THEN 1 ELSE 0 END) AS waiting, "
        "sum(CASE WHEN quarantined_at IS NULL THEN 0 ELSE 1 END) AS aside "
        "FROM held GROUP BY origin"
    ):
        held[str(r["origin"])] = (int(r["waiting"] or 0), int(r["aside"] or 0))
    # Refusals since the node's last visit that went fine: the rows of its unit after
    # ``ok_through``, read through the index on (unit, id) as the console's state is
    # (store/fleet.py), so a long history costs nothing.
    refused = {
        str(r["node_id"]): int(r["n"])
        for r in conn.execute(
            "SELECT v.node_id, count(e.id) AS n FROM sync_visits v JOIN sync_events e "
            "ON e.unit = v.unit AND e.id > coalesce(v.ok_through, 0) "
            "AND e.node_id = v.node_id AND e.outcome = 'refused' GROUP BY v.node_id"
        )
    }
    rows = conn.execute(
        "SELECT n.node_id, n.unit, n.status, n.software, n.last_seen_at, n.pending_changes, "
        "v.last_outcome FROM nodes n LEFT JOIN sync_visits v ON v.node_id = n.node_id "
        "ORDER BY n.unit, n.node_id"
    ).fetchall()
    figures = []
    for r in rows:
        node_id = str(r["node_id"])
        waiting, aside = held.get(node_id, (0, 0))
        figures.append(
            NodeFigures(
                node_id=node_id,
                unit=str(r["unit"]),
                status=str(r["status"]),
                software=str(r["software"] or ""),
                last_seen_at=r["last_seen_at"],
                pending_changes=None if r["pending_changes"] is None else int(r["pending_changes"]),
                held=waiting,
                quarantined=aside,
                refusals=refused.get(node_id, 0),
                last_outcome=r["last_outcome"],
            )
        )
    return figures


def open_conflicts(conn: sqlite3.Connection) -> dict[str, int]:
    """Open conflicts by unit (units with none left out)."""
    rows = conn.execute(
        "SELECT unit, count(*) AS n FROM conflicts WHERE state = 'open' GROUP BY unit"
    )
    return {str(r["unit"]): int(r["n"]) for r in rows}


def sms_by_status(conn: sqlite3.Connection) -> dict[str, int]:
    """SMS notices by their status (queued, sending, sent, delivered, failed), through the
    index on ``status``."""
    rows = conn.execute("SELECT status, count(*) AS n FROM sms GROUP BY status")
    return {str(r["status"]): int(r["n"]) for r in rows}


def unverified_refusals(conn: sqlite3.Connection, day: str) -> dict[tuple[str, str], int]:
    """Refused requests whose sender could not be verified on ``day`` (``YYYY-MM-DD``, UTC),
    by (kind, code): someone knocking with a bad envelope or an unknown key."""
    rows = conn.execute(
        "SELECT kind, code, count AS n FROM unverified_refusals WHERE day = ?", (day,)
    )
    return {(str(r["kind"]), str(r["code"])): int(r["n"]) for r in rows}
