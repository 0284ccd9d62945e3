"""The conflict inbox: concurrent edits the hub detected, as recorded and read.

A conflict is recorded when a change's base for a field differs from the version the hub
held (docs/conflicts.md). The deterministic winner is applied either way, so replicas
converge. A clash of two different values of a field a person typed or chose opens a conflict
for review, and its notice (``notices.py``) reaches the unit that owns the record, so both
values stay visible on the record's pages until someone decides (``resolution.py``); a field
whose schema opts out of review (``"x-review": false``, with its reason: computed values,
counters), or two writers who wrote the same value, is kept as ``auto`` for the audit trail.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from sync import FieldClash, NotFound, ValidationError, record_type, utcnow_iso

STATES = ("open", "resolved", "auto")

HUB_PLACE = "hub"  # where a decision was made: the hub, or a unit's code


def record_clashes(conn: sqlite3.Connection, clashes: list[FieldClash]) -> list[int]:
    """Keep each concurrent edit with both sides, their versions, units and users, and the
    base; return the numbers of those opened for review (their notices are the caller's:
    ``notices.after_merge``)."""
    opened = []
    for clash in clashes:
        change = clash.change
        if change.type == "conflict":
            # Two decisions of one notice: not a conflict of its own. The values they wrote
            # clash on the record's field, which is (notices._take_decision).
            continue
        hlc_hex, _, origin = clash.current_version.partition("@")
        other = conn.execute(
            "SELECT actor, unit FROM journal WHERE type = ? AND id = ? AND origin = ? AND hlc = ?",
            (change.type, change.id, origin, int(hlc_hex, 16)),
        ).fetchone()
        incoming = change.version_key
        values = [
            {
                "value": clash.current_value,
                "version": clash.current_version,
                "origin": origin,
                "unit": other[1] if other else None,
                "user": other[0] if other else None,
            },
            {
                "value": change.fields[clash.field],
                "version": incoming,
                "origin": change.origin,
                "unit": change.unit,
                "user": change.actor,
            },
        ]
        # Two writers who wrote the same value disagree on nothing: kept for the audit only.
        review = (
            clash.field in record_type(change.type).review_fields
            and clash.current_value != change.fields[clash.field]
        )
        cursor = conn.execute(
            "INSERT INTO conflicts (record_type, record_id, unit, field, base, values_json, "
            "winner, needs_review, state, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            (
                change.type,
                change.id,
                change.unit,
                clash.field,
                clash.base,
                json.dumps(values, ensure_ascii=False),
                max(incoming, clash.current_version),
                int(review),
                "open" if review else "auto",
                utcnow_iso(),
            ),
        )
        if review:
            opened.append(int(cursor.fetchone()["id"]))
    return opened


_COLUMNS = (
    "id, record_type, record_id, unit, field, base, values_json, winner, needs_review, state, "
    "detected_at, resolved_at, resolved_by, resolution, note, notice"
)


def _row(r: sqlite3.Row) -> dict[str, Any]:
    values = json.loads(r["values_json"])
    return {
        "id": r["id"],
        "record_type": r["record_type"],
        "record_id": r["record_id"],
        "unit": r["unit"],
        "field": r["field"],
        "base": r["base"],
        "values": values,
        "winner": r["winner"],
        "winning_value": next((v["value"] for v in values if v["version"] == r["winner"]), None),
        "needs_review": bool(r["needs_review"]),
        "state": r["state"],
        "detected_at": r["detected_at"],
        "resolved_at": r["resolved_at"],
        "resolved_by": r["resolved_by"],
        "resolution": None if r["resolution"] is None else json.loads(r["resolution"]),
        "note": r["note"],
        "notice": r["notice"],
    }


def list_conflicts(
    conn: sqlite3.Connection,
    *,
    state: str | None = "open",
    unit: str | None = None,
    type_name: str | None = None,
    older_than_days: int | None = None,
    detected_from: datetime | None = None,
    detected_before: datetime | None = None,
    limit: int = 50,
    cursor: int | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """Conflicts, newest first, filtered by state, unit, record type and age: opened more than
    ``older_than_days`` days ago, and/or detected in ``[detected_from, detected_before)``
    (aware datetimes). Returns the page and the cursor of the next one (``None`` at the end)."""
    clauses: list[str] = []
    params: list[Any] = []
    if state:
        if state not in STATES:
            raise ValidationError(
                f"Trạng thái phải là một trong: {', '.join(STATES)}.", field="state"
            )
        clauses.append("state = ?")
        params.append(state)
    if unit:
        clauses.append("unit = ?")
        params.append(unit)
    if type_name:
        clauses.append("record_type = ?")
        params.append(type_name)
    if older_than_days is not None:
        if older_than_days < 0:
            raise ValidationError("Số ngày phải là số không âm.", field="older_than_days")
        detected_before = min(
            detected_before or datetime.max.replace(tzinfo=UTC),
            datetime.now(UTC) - timedelta(days=older_than_days),
        )
    # detected_at is written by utcnow_iso(): UTC, to the second, so text order is time order.
    if detected_from is not None:
        clauses.append("detected_at >= ?")
        params.append(_iso(detected_from))
    if detected_before is not None:
        clauses.append("detected_at < ?")
        params.append(_iso(detected_before))
    if cursor:
        clauses.append("id < ?")
        params.append(cursor)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM conflicts {where} ORDER BY id DESC LIMIT ?", [*params, limit + 1]
    ).fetchall()
    items = [_row(r) for r in rows[:limit]]
    return items, (items[-1]["id"] if len(rows) > limit else None)


def open_on(conn: sqlite3.Connection, type_name: str, record_id: str) -> list[dict[str, Any]]:
    """The conflicts open on one record, oldest first (its page shows them)."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM conflicts WHERE record_type = ? AND record_id = ? "
        "AND state = 'open' ORDER BY id",
        (type_name, record_id),
    ).fetchall()
    return [_row(r) for r in rows]


MAX_ID = 2**63 - 1  # the largest id a 64-bit INTEGER column holds, on both engines


def get_conflict(conn: sqlite3.Connection, conflict_id: int) -> dict[str, Any]:
    """One conflict; :class:`NotFound` when there is none."""
    if not 0 < conflict_id <= MAX_ID:  # an id no store holds (Schemathesis sent 10^31: a 500)
        raise NotFound(f"Không có xung đột số {conflict_id}.")
    row = conn.execute(f"SELECT {_COLUMNS} FROM conflicts WHERE id = ?", (conflict_id,)).fetchone()
    if row is None:
        raise NotFound(f"Không có xung đột số {conflict_id}.")
    return _row(row)


def by_notice(conn: sqlite3.Connection, notice_id: str) -> dict[str, Any] | None:
    """The conflict whose notice is the ``conflict`` record ``notice_id``, or ``None``."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM conflicts WHERE notice = ?", (notice_id,)
    ).fetchone()
    return None if row is None else _row(row)


def base_side(conn: sqlite3.Connection, conflict: dict[str, Any]) -> dict[str, Any] | None:
    """The value both sides started from, with who wrote it, where and its version: read from
    the journal entry of the base version; ``None`` when there was no base."""
    version = conflict.get("base")
    if not version or "@" not in version:
        return None
    hlc_hex, _, origin = version.partition("@")
    try:
        hlc = int(hlc_hex, 16)
    except ValueError:
        return None
    row = conn.execute(
        "SELECT fields, actor, unit FROM journal WHERE type = ? AND id = ? AND origin = ? "
        "AND hlc = ?",
        (conflict["record_type"], conflict["record_id"], origin, hlc),
    ).fetchone()
    if row is None:
        return None
    fields = json.loads(row["fields"])
    if conflict["field"] not in fields:
        return None
    return {
        "value": fields[conflict["field"]],
        "version": version,
        "origin": origin,
        "user": row["actor"],
        "unit": row["unit"],
    }


def close(
    conn: sqlite3.Connection,
    conflict_id: int,
    *,
    user: str,
    at: str,
    resolution: dict[str, Any],
    note: str | None,
) -> None:
    """Mark a conflict resolved as decided (the caller holds the transaction)."""
    conn.execute(
        "UPDATE conflicts SET state = 'resolved', resolved_at = ?, resolved_by = ?, "
        "resolution = ?, note = ? WHERE id = ?",
        (at, user, json.dumps(resolution, ensure_ascii=False), note, conflict_id),
    )


def resolutions(conn: sqlite3.Connection, type_name: str, record_id: str) -> dict[str, Any]:
    """The resolved conflicts of one record, by the version their resolution wrote."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM conflicts WHERE record_type = ? AND record_id = ? "
        "AND state = 'resolved'",
        (type_name, record_id),
    ).fetchall()
    found = [_row(r) for r in rows]
    return {c["resolution"]["version"]: c for c in found if c["resolution"]}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def conflict_units(conn: sqlite3.Connection) -> list[str]:
    """The units that have had a conflict, by code."""
    rows = conn.execute("SELECT DISTINCT unit FROM conflicts ORDER BY unit")
    return [r["unit"] for r in rows]


def conflict_types(conn: sqlite3.Connection) -> list[str]:
    """The record types that have had a conflict, by name."""
    rows = conn.execute("SELECT DISTINCT record_type FROM conflicts ORDER BY record_type")
    return [r["record_type"] for r in rows]


def without_notice(conn: sqlite3.Connection) -> list[int]:
    """The open conflicts without a notice yet (in a store from before notices), by id."""
    rows = conn.execute(
        "SELECT id FROM conflicts WHERE state = 'open' AND notice IS NULL ORDER BY id"
    )
    return [int(r["id"]) for r in rows]


def set_notices(conn: sqlite3.Connection, notices: list[tuple[str, int]]) -> None:
    """Record the notice of each conflict: ``(notice id, conflict id)`` pairs."""
    conn.executemany("UPDATE conflicts SET notice = ? WHERE id = ?", notices)
