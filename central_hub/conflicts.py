"""The conflict inbox: concurrent edits the hub detected, and their resolution.

A conflict is recorded when a change's base for a field differs from the version the hub
held (DESIGN.md, "Conflict detection"). The deterministic winner is applied either way, so
replicas converge; fields whose schema says ``x-review`` (a dossier's status, its due date)
open a conflict for an administrator, the others are kept as ``auto`` for the audit trail.
Resolving writes the chosen value as an ordinary new change, which reaches the owning ward.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sync import (
    Conflict,
    FieldClash,
    NotFound,
    ValidationError,
    atomic,
    record_type,
    utcnow_iso,
    validate_fields,
)

from .setup import capture

STATES = ("open", "resolved", "auto")


def record_clashes(conn: sqlite3.Connection, clashes: list[FieldClash]) -> None:
    """Keep each concurrent edit with both sides, their versions, units and users, and the base."""
    for clash in clashes:
        change = clash.change
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
        review = clash.field in record_type(change.type).review_fields
        conn.execute(
            "INSERT INTO conflicts (record_type, record_id, unit, field, base, values_json, "
            "winner, needs_review, state, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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


_COLUMNS = (
    "id, record_type, record_id, unit, field, base, values_json, winner, needs_review, state, "
    "detected_at, resolved_at, resolved_by, resolution, note"
)


def _row(r: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    values = json.loads(r[6])
    return {
        "id": r[0],
        "record_type": r[1],
        "record_id": r[2],
        "unit": r[3],
        "field": r[4],
        "base": r[5],
        "values": values,
        "winner": r[7],
        "winning_value": next((v["value"] for v in values if v["version"] == r[7]), None),
        "needs_review": bool(r[8]),
        "state": r[9],
        "detected_at": r[10],
        "resolved_at": r[11],
        "resolved_by": r[12],
        "resolution": None if r[13] is None else json.loads(r[13]),
        "note": r[14],
    }


def list_conflicts(
    conn: sqlite3.Connection,
    *,
    state: str | None = "open",
    unit: str | None = None,
    type_name: str | None = None,
    limit: int = 50,
    cursor: int | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """Conflicts, newest first, filtered by state, unit and record type."""
    clauses, params = [], []
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
    if cursor:
        clauses.append("id < ?")
        params.append(cursor)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM conflicts {where} ORDER BY id DESC LIMIT ?", [*params, limit + 1]
    ).fetchall()
    items = [_row(r) for r in rows[:limit]]
    return items, (items[-1]["id"] if len(rows) > limit else None)


def get_conflict(conn: sqlite3.Connection, conflict_id: int) -> dict[str, Any]:
    """One conflict; :class:`NotFound` when there is none."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM conflicts WHERE id = ?", (conflict_id,)).fetchone()
    if row is None:
        raise NotFound(f"Không có xung đột số {conflict_id}.")
    return _row(row)


def resolve(
    conn: sqlite3.Connection, conflict_id: int, value: Any, *, user: str, note: str | None = None
) -> dict[str, Any]:
    """Resolve with ``value``: written as a new hub change (routed to the owning ward) and the
    conflict closed, in one transaction. :class:`Conflict` (409) when already resolved."""
    with atomic(conn):
        found = get_conflict(conn, conflict_id)
        if found["state"] == "resolved":
            raise Conflict(
                f"Xung đột số {conflict_id} đã được giải quyết lúc {found['resolved_at']}.",
                code="already_resolved",
            )
        fields = {found["field"]: value}
        validate_fields(found["record_type"], fields)
        change = capture(conn).write(
            found["record_type"], found["record_id"], found["unit"], fields, actor=user
        )
        conn.execute(
            "UPDATE conflicts SET state = 'resolved', resolved_at = ?, resolved_by = ?, "
            "resolution = ?, note = ? WHERE id = ?",
            (
                utcnow_iso(),
                user,
                json.dumps({"value": value, "version": change.version_key}, ensure_ascii=False),
                note,
                conflict_id,
            ),
        )
    return get_conflict(conn, conflict_id)
