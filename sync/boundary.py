"""The trust boundary on the receiving side of a pull (docs/security.md, "The trust boundary").

The hub checks every push against the sender's scope before it applies anything. A node
checks what the hub sends it once more before it merges: a change from the hub is signed by
the hub, but its content is only as good as the hub's checks were when it was journaled (an
entry journaled by an older hub, a hub bug). A pulled change is refused, skipped and kept
for the record (table ``refused_changes``, shown on the node's sync page) when it:

- names in its ``fields`` an ``id`` or ``unit`` other than its own;
- writes reference data (``x-owner: hub``) without coming from the hub;
- writes a record of this node's own unit without coming from the hub (another ward's
  node never writes our records);
- would move an existing record to another unit;
- changes an immutable field (``x-immutable``) once it is set;
- follows a refused change of the same record.

Skipping, rather than refusing the whole batch, keeps the node receiving everything else:
the refused entries are the hub's to repair, and the node says so.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from .changes import Change
from .errors import Conflict
from .replica import Loaded, Replica
from .schemas import record_type
from .store import atomic


def create_table(conn: sqlite3.Connection) -> None:
    """Migration: pulled changes the node refused, with why."""
    conn.execute(
        """CREATE TABLE IF NOT EXISTS refused_changes (
            origin TEXT NOT NULL, seq INTEGER NOT NULL, jseq INTEGER,
            type TEXT NOT NULL, id TEXT NOT NULL, unit TEXT NOT NULL,
            reason TEXT NOT NULL, refused_at TEXT NOT NULL,
            PRIMARY KEY (origin, seq))"""
    )
    conn.execute("CREATE INDEX IF NOT EXISTS refused_changes_record ON refused_changes (type, id)")


def immutable_clashes(
    type_name: str, group: Iterable[Change], existing: dict[str, Loaded]
) -> Iterator[tuple[Change, str]]:
    """Each ``(change, field)`` that changes an immutable field of its record once set.

    Checked change by change against the record as the stored row and the changes before it
    in ``group`` leave it: a record created and then re-pointed within one batch is caught
    like one re-pointed later. Unset (``None`` or an empty list) may be set once.
    """
    fixed = record_type(type_name).immutable
    if not fixed:
        return
    state: dict[str, dict[str, Any]] = {}
    for change in group:
        current = state.get(change.id)
        if current is None:
            stored = existing.get(change.id)
            current = state[change.id] = {k: stored[0].get(k) for k in fixed} if stored else {}
        for name in sorted(fixed & change.fields.keys()):
            value = change.fields[name]
            if current.get(name) in (None, []):
                current[name] = value
            elif value != current[name]:
                yield change, name


def check_immutable_in_order(
    type_name: str, group: Iterable[Change], existing: dict[str, Loaded]
) -> None:
    """Raise :class:`Conflict` for the first change of :func:`immutable_clashes`."""
    for change, name in immutable_clashes(type_name, group, existing):
        raise Conflict(
            f"Thay đổi {type_name} {change.id} sửa trường '{name}' đã cố định của bản ghi; "
            "hãy tạo bản ghi mới.",
            code="immutable_field",
            field=name,
        )


def screen_pulled(
    conn: sqlite3.Connection,
    changes: Sequence[Change],
    jseqs: Sequence[int],
    *,
    unit: str,
    hub_origin: str,
) -> list[Change]:
    """The changes of a pull batch this node may merge; the others are recorded in
    ``refused_changes`` (the caller holds the transaction). ``jseqs``: each change's
    position in the hub's journal."""
    refused: dict[tuple[str, int], str] = {}
    by_type: dict[str, list[Change]] = {}
    for change in changes:
        reason = _envelope_reason(change, unit, hub_origin)
        if reason:
            refused[(change.origin, change.seq)] = reason
        else:
            by_type.setdefault(change.type, []).append(change)
    replica = Replica(conn)
    for type_name, group in by_type.items():
        existing = replica.load(type_name, [c.id for c in group])
        for change in group:
            found = existing.get(change.id)
            if found is not None and found[0].get("unit") != change.unit:
                refused[(change.origin, change.seq)] = (
                    f"chuyển bản ghi của đơn vị '{found[0].get('unit')}' sang '{change.unit}'"
                )
        for change, name in immutable_clashes(type_name, group, existing):
            refused[(change.origin, change.seq)] = f"sửa trường cố định '{name}'"
    blocked = _already_refused(conn, changes)
    accepted = []
    for change in changes:
        key = (change.origin, change.seq)
        if key not in refused and (change.type, change.id) in blocked:
            refused[key] = "theo sau một thay đổi đã bị từ chối của cùng bản ghi"
        if key in refused:
            blocked.add((change.type, change.id))
        else:
            accepted.append(change)
    if refused:
        _record(conn, changes, jseqs, refused)
    return accepted


def refused_count(conn: sqlite3.Connection) -> int:
    """How many pulled changes this node has refused."""
    try:
        return int(conn.execute("SELECT count(*) FROM refused_changes").fetchone()[0])
    except sqlite3.OperationalError:  # a store not migrated yet
        return 0


def _envelope_reason(change: Change, unit: str, hub_origin: str) -> str | None:
    clash = change.identity_clash()
    if clash is not None:
        return f"trường '{clash}' khác với mã và đơn vị của chính thay đổi"
    from_hub = change.origin == hub_origin
    if record_type(change.type).owner != "unit" and not from_hub:
        return "dữ liệu danh mục chỉ máy chủ trung tâm được ghi"
    if change.unit == unit and not from_hub:
        return f"nút '{change.origin}' của đơn vị khác ghi vào bản ghi của đơn vị này"
    return None


def _already_refused(conn: sqlite3.Connection, changes: Sequence[Change]) -> set[tuple[str, str]]:
    if not conn.execute("SELECT 1 FROM refused_changes LIMIT 1").fetchone():
        return set()  # the common case: nothing was ever refused
    ids = {(c.type, c.id) for c in changes}
    rows = conn.execute("SELECT DISTINCT type, id FROM refused_changes").fetchall()
    return {(r[0], r[1]) for r in rows} & ids


def _record(
    conn: sqlite3.Connection,
    changes: Sequence[Change],
    jseqs: Sequence[int],
    refused: dict[tuple[str, int], str],
) -> None:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with atomic(conn):
        conn.executemany(
            "INSERT OR IGNORE INTO refused_changes (origin, seq, jseq, type, id, unit, reason, "
            "refused_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (c.origin, c.seq, j, c.type, c.id, c.unit, refused[(c.origin, c.seq)], now)
                for c, j in zip(changes, jseqs, strict=True)
                if (c.origin, c.seq) in refused
            ],
        )
