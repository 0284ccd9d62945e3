"""Enrolled nodes: one-time enrollment tokens, registration, lookup, the status they report,
key rotation (asked by an administrator, done by the node) and revocation."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from office import VIETNAM
from sync import (
    EnrollmentError,
    KeyPair,
    NotFound,
    PublicKeys,
    RevokedSender,
    UnknownSender,
    ValidationError,
    atomic,
    utcnow_iso,
)

from . import held, upgrades

TOKEN_PREFIX = "wst1."
TOKEN_ID_LEN = 12


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


def make_token(
    conn: sqlite3.Connection,
    *,
    unit: str,
    name: str,
    hub_url: str,
    hub_keys: KeyPair,
    hours: int,
) -> str:
    """Create a one-time enrollment token for ``unit``; return its text.

    The token carries the hub URL, the unit, a secret and the fingerprint of the hub's keys,
    which the node pins; the hub keeps only the secret's digest.
    """
    ended = _unit_ended(conn, unit)
    if ended:
        raise ValidationError(ended, field="unit")
    secret = secrets.token_urlsafe(24)
    expires = datetime.now(UTC) + timedelta(hours=hours)
    with atomic(conn):
        conn.execute(
            "INSERT INTO enrollments (token_hash, unit, name, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (_digest(secret), unit, name, utcnow_iso(), expires.isoformat(timespec="seconds")),
        )
    body = {
        "hub": hub_url,
        "unit": unit,
        "secret": secret,
        "fp": hub_keys.public.fingerprint,
        "exp": expires.isoformat(timespec="seconds"),
    }
    return TOKEN_PREFIX + base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


def _unit_ended(conn: sqlite3.Connection, unit: str) -> str | None:
    """Why ``unit`` can no longer have a node (its validity ended), or ``None``;
    :class:`NotFound` when the unit is not in the reference data."""
    row = conn.execute(
        "SELECT valid_to, successor FROM unit WHERE code = ? ORDER BY valid_to IS NULL DESC, "
        "valid_to DESC LIMIT 1",
        (unit,),
    ).fetchone()
    if row is None:
        raise NotFound(f"Không có đơn vị mã '{unit}' trong danh mục đơn vị.", code="unknown_unit")
    if row["valid_to"] and row["valid_to"] < datetime.now(VIETNAM).date().isoformat():
        successor, ended = row["successor"], date.fromisoformat(row["valid_to"])
        after = f" Hãy đăng ký nút cho đơn vị kế thừa '{successor}'." if successor else ""
        return f"Đơn vị '{unit}' đã hết hiệu lực sau ngày {ended:%d/%m/%Y}.{after}"
    return None


def redeem(
    conn: sqlite3.Connection, *, unit: str, secret: str, keys: PublicKeys, software: str
) -> Node:
    """Use a token: register the node's public keys for ``unit``; return the new node.

    Raises :class:`EnrollmentError` when the token is unknown, used, cancelled or expired, is
    for another unit, or its unit's validity has ended since it was made.
    """
    with atomic(conn):
        row = conn.execute(
            "SELECT unit, name, expires_at, used_at, cancelled_at FROM enrollments "
            "WHERE token_hash = ?",
            (_digest(secret),),
        ).fetchone()
        if row is None or row["unit"] != unit:
            raise EnrollmentError("Mã đăng ký không hợp lệ. Hãy xin quản trị viên một mã mới.")
        if row["used_at"] is not None:
            raise EnrollmentError("Mã đăng ký đã được dùng. Mỗi mã chỉ dùng được một lần.")
        if row["cancelled_at"] is not None:
            raise EnrollmentError("Mã đăng ký đã bị hủy. Hãy xin quản trị viên một mã mới.")
        if row["expires_at"] < utcnow_iso():
            raise EnrollmentError("Mã đăng ký đã hết hạn. Hãy xin quản trị viên một mã mới.")
        try:
            ended = _unit_ended(conn, unit)
        except NotFound:
            ended = f"Đơn vị '{unit}' không còn trong danh mục đơn vị."
        if ended:
            raise EnrollmentError(ended + " Mã đăng ký của đơn vị này không còn dùng được.")
        if conn.execute(
            "SELECT 1 FROM nodes WHERE fingerprint = ?", (keys.fingerprint,)
        ).fetchone():
            raise EnrollmentError("Khóa này đã được đăng ký cho một nút khác.")
        node_id = f"{unit}-{secrets.token_hex(4)}"
        pub = keys.to_json()
        conn.execute(
            "INSERT INTO nodes (node_id, unit, name, sign_pub, kem_pub, fingerprint, enrolled_at, "
            "software) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                node_id,
                unit,
                row["name"],
                pub["sign"],
                pub["kem"],
                keys.fingerprint,
                utcnow_iso(),
                software,
            ),
        )
        conn.execute(
            "UPDATE enrollments SET used_at = ?, node_id = ? WHERE token_hash = ?",
            (utcnow_iso(), node_id, _digest(secret)),
        )
    return get_node(conn, node_id)


def pending_tokens(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Enrollment tokens neither used, cancelled nor expired, newest first. Each has an
    ``id`` (the start of its secret's digest: enough to name it, useless to enroll with)."""
    rows = conn.execute(
        "SELECT e.token_hash, e.unit, u.name AS unit_name, e.name, e.created_at, e.expires_at "
        "FROM enrollments e LEFT JOIN unit u ON u.code = e.unit AND u.valid_to IS NULL "
        "WHERE e.used_at IS NULL AND e.cancelled_at IS NULL AND e.expires_at > ? "
        "ORDER BY e.created_at DESC",
        (utcnow_iso(),),
    ).fetchall()
    return [
        {
            "id": r["token_hash"][:TOKEN_ID_LEN],
            "unit": r["unit"],
            "unit_name": r["unit_name"] or r["unit"],
            "name": r["name"],
            "created_at": r["created_at"],
            "expires_at": r["expires_at"],
        }
        for r in rows
    ]


def cancel_token(conn: sqlite3.Connection, token_id: str) -> dict[str, Any]:
    """Cancel an unused enrollment token by its ``id``; return what it was.

    Raises :class:`NotFound` when no pending token has that id.
    """
    token_id = token_id.strip().lower()
    found = [t for t in pending_tokens(conn) if t["id"] == token_id]
    if len(token_id) != TOKEN_ID_LEN or not found:
        raise NotFound(
            f"Không có mã đăng ký chưa dùng nào mang số '{token_id}'. "
            "Xem danh sách bằng 'central-hub enrollment list'.",
            code="unknown_token",
        )
    with atomic(conn):
        conn.execute(
            "UPDATE enrollments SET cancelled_at = ? WHERE token_hash LIKE ? "
            "AND used_at IS NULL AND cancelled_at IS NULL",
            (utcnow_iso(), token_id + "%"),
        )
    return found[0]


def create_cancelled_column(conn: sqlite3.Connection) -> None:
    """Migration: enrollment tokens an administrator cancelled before they were used."""
    conn.execute("ALTER TABLE enrollments ADD COLUMN cancelled_at TEXT")


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


def list_nodes(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every enrolled node, with the figures the dashboard shows."""
    rows = conn.execute(
        "SELECT n.node_id, n.unit, u.name AS unit_name, n.status, n.last_seen_at, n.clock_offset_s, "
        "n.enrolled_at, n.last_seq, n.software, "
        "(SELECT count(*) FROM conflicts c WHERE c.unit = n.unit AND c.state = 'open') AS open_conflicts, "
        "(SELECT count(*) FROM held h WHERE h.origin = n.node_id AND h.quarantined_at IS NULL) AS held_changes, "
        "n.pending_changes, n.oldest_pending_at, n.schema_version, n.status_reported_at, "
        "n.fingerprint, n.keys_rotated_at, n.rotate_requested_at, n.revoked_at "
        "FROM nodes n LEFT JOIN unit u ON u.code = n.unit ORDER BY n.unit, n.enrolled_at"
    ).fetchall()
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
        }
        for r in rows
    ]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


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


def sync_events(conn: sqlite3.Connection, unit: str, limit: int = 100) -> list[sqlite3.Row]:
    """The latest ``limit`` rows of a unit's sync history, newest first (by column name)."""
    return conn.execute(
        "SELECT at, node_id, kind, changes, bytes, duration_ms, outcome, detail "
        "FROM sync_events WHERE unit = ? ORDER BY id DESC LIMIT ?",
        (unit, limit),
    ).fetchall()


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
        "UPDATE nodes SET sent_cursor = max(coalesce(sent_cursor, 0), ?) WHERE node_id = ?",
        (cursor, node_id),
    )
