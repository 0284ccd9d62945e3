"""One-time enrollment tokens (docs/security.md, "Enrollment"): made by an administrator for a
unit, listed, cancelled, and redeemed once by a node, which registers its public keys."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any

from office import VIETNAM
from sync import EnrollmentError, KeyPair, NotFound, PublicKeys, ValidationError, atomic, utcnow_iso

from .nodes import Node, get_node

TOKEN_PREFIX = "wst1."
TOKEN_ID_LEN = 12


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


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
