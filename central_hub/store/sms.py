"""The SMS dispatcher's bookkeeping at the hub (never synced): when a message may next be
tried, delivery receipts that came before the send was recorded, and the units that queued
messages. The ``sms`` records themselves are synced records."""

from __future__ import annotations

import sqlite3
from typing import Any

from sync import Replica, record_type


def sms_units(conn: sqlite3.Connection) -> list[str]:
    """The units that queued a message, by code."""
    return [r["unit"] for r in conn.execute("SELECT DISTINCT unit FROM sms ORDER BY unit")]


def next_due(conn: sqlite3.Connection, now: float) -> str | None:
    """The id of the next message to try at ``now`` (Unix time): queued, sending (a claim
    left by a crash) or failed, not done, its next attempt due; the longest waiting first."""
    row = conn.execute(
        "SELECT s.id FROM sms s LEFT JOIN sms_dispatch d ON d.sms_id = s.id "
        "WHERE s.status IN ('queued', 'sending', 'failed') "
        "AND coalesce(d.done, 0) = 0 AND coalesce(d.next_attempt_at, 0) <= ? "
        "ORDER BY coalesce(d.next_attempt_at, 0), s.queued_at, s.id LIMIT 1",
        (now,),
    ).fetchone()
    return None if row is None else str(row["id"])


def schedule(conn: sqlite3.Connection, sms_id: str, at: float, *, done: bool) -> None:
    """When the message ``sms_id`` may next be tried (Unix time), or that it is ``done``."""
    conn.execute(
        "INSERT INTO sms_dispatch (sms_id, next_attempt_at, done) VALUES (?, ?, ?) "
        "ON CONFLICT(sms_id) DO UPDATE SET next_attempt_at = excluded.next_attempt_at, "
        "done = excluded.done",
        (sms_id, at, int(done)),
    )


def by_provider_id(conn: sqlite3.Connection, provider_id: str) -> dict[str, Any] | None:
    """The message the provider knows as ``provider_id``, decoded, or None."""
    rtype = record_type("sms")
    row = conn.execute(
        f"SELECT {', '.join(rtype.fields)} FROM sms WHERE provider_id = ? LIMIT 1",
        (provider_id,),
    ).fetchone()
    return None if row is None else Replica.decode(rtype, [row[f] for f in rtype.fields])


def keep_receipt(
    conn: sqlite3.Connection,
    provider_id: str,
    status: str,
    error: str | None,
    at: float,
    keep_seconds: float,
) -> None:
    """Keep a delivery receipt that came before its send was recorded, forgetting those older
    than ``keep_seconds``."""
    conn.execute("DELETE FROM sms_receipts WHERE received_at < ?", (at - keep_seconds,))
    conn.execute(
        "INSERT INTO sms_receipts (provider_id, status, error, received_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (provider_id) DO UPDATE SET status = excluded.status, "
        "error = excluded.error, received_at = excluded.received_at",
        (provider_id, status, error, at),
    )


def take_receipt(conn: sqlite3.Connection, provider_id: str) -> tuple[str, str | None] | None:
    """The kept receipt ``(status, error)`` of ``provider_id``, forgotten as it is taken."""
    row = conn.execute(
        "DELETE FROM sms_receipts WHERE provider_id = ? RETURNING status, error", (provider_id,)
    ).fetchone()
    return None if row is None else (row["status"], row["error"])


def sms_log(
    conn: sqlite3.Connection, where: str, params: list[Any], limit: int
) -> list[tuple[dict[str, Any], float | None, bool]]:
    """Messages matching ``where`` (on ``s``, the sms table), newest first, at most ``limit``:
    each decoded, with when it may next be tried and whether its dispatch is done."""
    rtype = record_type("sms")
    rows = conn.execute(
        f"SELECT {', '.join('s.' + f for f in rtype.fields)}, "
        "d.next_attempt_at AS next_attempt_at, d.done AS dispatch_done "
        f"FROM sms s LEFT JOIN sms_dispatch d ON d.sms_id = s.id {where} "
        "ORDER BY s.id DESC LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [
        (
            Replica.decode(rtype, [r[f] for f in rtype.fields]),
            r["next_attempt_at"],
            bool(r["dispatch_done"]),
        )
        for r in rows
    ]
