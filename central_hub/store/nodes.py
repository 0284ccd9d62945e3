"""Enrolled nodes: lookup, the status they report, their chain and cursors, key rotation
(asked by an administrator, done by the node) and revocation. Enrollment tokens are
``enrollments.py``."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sync import (
    EnrollmentError,
    NotFound,
    PublicKeys,
    RevokedSender,
    UnknownSender,
    atomic,
    utcnow_iso,
)

from . import held, upgrades


@dataclass(frozen=True)
class Node:
    """An enrolled ward node as the hub knows it."""

    node_id: str
    unit: str
    name: str
    keys: PublicKeys
    status: str
    last_seq: int
    last_hash: str | None
    rotate_requested_at: str | None = None


def find_node(conn: sqlite3.Connection, node_id: str) -> Node | None:
    """A node by id, or ``None``."""
    try:
        return get_node(conn, node_id)
    except UnknownSender:
        return None


def get_node(conn: sqlite3.Connection, node_id: str) -> Node:
    """A node by id; :class:`UnknownSender` when there is none."""
    row = conn.execute(
        "SELECT node_id, unit, name, sign_pub, kem_pub, status, last_seq, last_hash, "
        "rotate_requested_at FROM nodes WHERE node_id = ?",
        (node_id,),
    ).fetchone()
    if row is None:
        raise UnknownSender(f"Nút '{node_id}' chưa đăng ký với máy chủ trung tâm.")
    return Node(
        row["node_id"],
        row["unit"],
        row["name"],
        PublicKeys.from_json({"sign": row["sign_pub"], "kem": row["kem_pub"]}),
        row["status"],
        row["last_seq"],
        row["last_hash"],
        row["rotate_requested_at"],
    )


def active_node(conn: sqlite3.Connection, header: dict[str, Any]) -> Node:
    """The active node that sent an envelope; refuses unknown, mismatched or revoked senders."""
    node = get_node(conn, str(header["sender"]))
    if node.keys.fingerprint != header["sender_key"]:
        raise UnknownSender("Khóa của nút gửi không phải khóa đã đăng ký.")
    if node.status != "active":
        raise RevokedSender(
            f"Nút '{node.node_id}' đã bị thu hồi quyền đồng bộ. Hãy liên hệ quản trị viên thành phố."
        )
    return node


def replace_keys(conn: sqlite3.Connection, node_id: str, keys: PublicKeys) -> None:
    """Register a node's new public keys (key rotation); the old ones stop working at once.

    Clears an administrator's request to rotate and notes the rotation in the unit's sync
    history, in the same transaction.
    """
    pub = keys.to_json()
    with atomic(conn):
        if conn.execute(
            "SELECT 1 FROM nodes WHERE fingerprint = ? AND node_id != ?",
            (keys.fingerprint, node_id),
        ).fetchone():
            raise EnrollmentError("Khóa mới này đã thuộc về một nút khác.")
        row = conn.execute(
            "SELECT unit, fingerprint FROM nodes WHERE node_id = ?", (node_id,)
        ).fetchone()
        unit, old = row["unit"], row["fingerprint"]
        now = utcnow_iso()
        conn.execute(
            "UPDATE nodes SET sign_pub = ?, kem_pub = ?, fingerprint = ?, keys_rotated_at = ?, "
            "rotate_requested_at = NULL WHERE node_id = ?",
            (pub["sign"], pub["kem"], keys.fingerprint, now, node_id),
        )
        conn.execute(
            "INSERT INTO sync_events (node_id, unit, at, kind, outcome, detail) "
            "VALUES (?, ?, ?, 'rotate', 'ok', ?)",
            (node_id, unit, now, f"{old[:16]} → {keys.fingerprint[:16]}"),
        )


def request_rotation(conn: sqlite3.Connection, unit: str) -> list[str]:
    """Ask every active node of ``unit`` to rotate its keys at its next sync; return their ids.

    The hub says so in its next answer to the node (``rotate_keys``); a node that is offline
    rotates when it next connects. Raises :class:`NotFound` when the unit has no active node.
    """
    with atomic(conn):
        ids = _active_ids(conn, unit)
        conn.execute(
            "UPDATE nodes SET rotate_requested_at = coalesce(rotate_requested_at, ?) "
            "WHERE unit = ? AND status = 'active'",
            (utcnow_iso(), unit),
        )
    return ids


def record_status(conn: sqlite3.Connection, node_id: str, status: dict[str, Any]) -> None:
    """Keep what a node reported of itself (``status`` of a push or pull, already validated
    against ``schemas/changeset.json``), in the caller's transaction. An empty ``software``
    (a node that does not know it) keeps the one on record. The schema fingerprint says
    which records and values the node can take; a node of release 0.1.0 reports none
    (docs/upgrades.md). Record schemas sent with it are kept for the fingerprint
    (:func:`central_hub.upgrades.remember_schemas`, which refuses ones that do not match)."""
    fingerprint = status.get("schema_fingerprint") or None
    if fingerprint and "schemas" in status:
        upgrades.remember_schemas(conn, fingerprint, status["schemas"], status["software"])
    conn.execute(
        "UPDATE nodes SET pending_changes = ?, oldest_pending_at = ?, schema_version = ?, "
        "software = coalesce(nullif(?, ''), software), status_reported_at = ?, "
        "schema_fingerprint = ? WHERE node_id = ?",
        (
            int(status["pending_changes"]),
            status["oldest_pending_at"],
            status["schema_version"],
            status["software"],
            utcnow_iso(),
            fingerprint,
            node_id,
        ),
    )


def revoke_unit(conn: sqlite3.Connection, unit: str, reason: str = "") -> list[str]:
    """Revoke every active node of ``unit``; return their ids."""
    with atomic(conn):
        ids = _active_ids(conn, unit)
        conn.execute(
            "UPDATE nodes SET status = 'revoked', revoked_at = ?, revoked_reason = ? "
            "WHERE unit = ? AND status = 'active'",
            (utcnow_iso(), reason, unit),
        )
        # What a stolen PC had the hub hold is never applied (docs/security.md, "Held
        # changes and revocation"): set aside with the revocation, in its transaction.
        held.quarantine(conn, ids, "Nút đã bị thu hồi trước khi thay đổi đến giờ áp dụng.")
    return ids


def _active_ids(conn: sqlite3.Connection, unit: str) -> list[str]:
    """The ids of ``unit``'s active nodes; :class:`NotFound` when it has none."""
    ids = [
        str(r["node_id"])
        for r in conn.execute(
            "SELECT node_id FROM nodes WHERE unit = ? AND status = 'active'", (unit,)
        )
    ]
    if not ids:
        raise NotFound(f"Đơn vị '{unit}' không có nút nào đang hoạt động.", code="no_node")
    return ids


def list_nodes(
    conn: sqlite3.Connection, node_ids: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Every enrolled node (or those of ``node_ids``, in that order), with the figures the
    dashboard shows."""
    where, params = "", list(node_ids or ())
    if node_ids is not None:
        if not params:
            return []
        where = f"WHERE n.node_id IN ({', '.join('?' * len(params))}) "
    rows = conn.execute(
        "SELECT n.node_id, n.unit, u.name AS unit_name, n.status, n.last_seen_at, n.clock_offset_s, "
        "n.enrolled_at, n.last_seq, n.software, "
        "(SELECT count(*) FROM conflicts c WHERE c.unit = n.unit AND c.state = 'open') AS open_conflicts, "
        "(SELECT count(*) FROM held h WHERE h.origin = n.node_id AND h.quarantined_at IS NULL) AS held_changes, "
        "n.pending_changes, n.oldest_pending_at, n.schema_version, n.status_reported_at, "
        "n.fingerprint, n.keys_rotated_at, n.rotate_requested_at, n.revoked_at, n.pulled_cursor "
        f"FROM nodes n LEFT JOIN unit u ON u.code = n.unit {where}ORDER BY n.unit, n.enrolled_at",
        params,
    ).fetchall()
    if node_ids is not None:
        order = {node_id: i for i, node_id in enumerate(node_ids)}
        rows.sort(key=lambda r: order[r["node_id"]])
    return [
        {
            "node_id": r["node_id"],
            "unit": r["unit"],
            "name": r["unit_name"] or r["unit"],
            "status": r["status"],
            "last_seen_at": r["last_seen_at"],
            "clock_offset_s": r["clock_offset_s"],
            "enrolled_at": r["enrolled_at"],
            "acked_seq": r["last_seq"],
            "software": r["software"],
            "open_conflicts": r["open_conflicts"],
            "held_changes": r["held_changes"],
            "pending_changes": r["pending_changes"],
            "oldest_pending_at": r["oldest_pending_at"],
            "schema_version": r["schema_version"],
            "status_reported_at": r["status_reported_at"],
            "fingerprint": r["fingerprint"],
            "keys_since": r["keys_rotated_at"] or r["enrolled_at"],
            "rotate_requested_at": r["rotate_requested_at"],
            "revoked_at": r["revoked_at"],
            "pulled_cursor": r["pulled_cursor"],
        }
        for r in rows
    ]


def node_units(conn: sqlite3.Connection) -> dict[str, str]:
    """Every node ever enrolled, by id, with its unit."""
    rows = conn.execute("SELECT node_id, unit FROM nodes").fetchall()
    return {r["node_id"]: r["unit"] for r in rows}


def node_unit(conn: sqlite3.Connection, node_id: str) -> str | None:
    """The unit of the node ``node_id``, or None when no such node was ever enrolled."""
    row = conn.execute("SELECT unit FROM nodes WHERE node_id = ?", (node_id,)).fetchone()
    return str(row["unit"]) if row else None


def enrolled_units(conn: sqlite3.Connection) -> set[str]:
    """The units with an active node."""
    rows = conn.execute("SELECT DISTINCT unit FROM nodes WHERE status = 'active'")
    return {r["unit"] for r in rows}


def pulled_cursor(conn: sqlite3.Connection, node_id: str) -> int | None:
    """The cursor the node ``node_id`` last pulled from, or None for an unknown node."""
    row = conn.execute("SELECT pulled_cursor FROM nodes WHERE node_id = ?", (node_id,)).fetchone()
    return None if row is None else int(row["pulled_cursor"])


def chain_tip(conn: sqlite3.Connection, node_id: str) -> tuple[int, str | None]:
    """The sequence number and hash of the last change of ``node_id`` the hub accepted."""
    row = conn.execute(
        "SELECT last_seq, last_hash FROM nodes WHERE node_id = ?", (node_id,)
    ).fetchone()
    return row["last_seq"], row["last_hash"]


def advance_chain(
    conn: sqlite3.Connection, node_id: str, last_seq: int, last_hash: str | None, replays: int
) -> None:
    """Record the new tip of ``node_id``'s chain and count ``replays`` more replayed changes."""
    conn.execute(
        "UPDATE nodes SET last_seq = ?, last_hash = ?, replays = replays + ? WHERE node_id = ?",
        (last_seq, last_hash, replays, node_id),
    )


def set_pulled_cursor(conn: sqlite3.Connection, node_id: str, cursor: int) -> None:
    """Record the cursor ``node_id`` last pulled from."""
    conn.execute("UPDATE nodes SET pulled_cursor = ? WHERE node_id = ?", (cursor, node_id))


def sent_cursor(conn: sqlite3.Connection, node_id: str) -> int | None:
    """How far in the journal this hub knows it sent ``node_id`` changes, or None."""
    row = conn.execute("SELECT sent_cursor FROM nodes WHERE node_id = ?", (node_id,)).fetchone()
    return None if row is None or row["sent_cursor"] is None else int(row["sent_cursor"])


def advance_sent_cursor(conn: sqlite3.Connection, node_id: str, cursor: int) -> None:
    """Record that ``node_id`` was sent the journal up to ``cursor`` (never moves back)."""
    conn.execute(
        "UPDATE nodes SET sent_cursor = ? WHERE node_id = ? AND coalesce(sent_cursor, 0) < ?",
        (cursor, node_id, cursor),
    )
