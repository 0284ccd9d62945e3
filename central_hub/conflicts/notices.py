"""Conflict notices: how the unit that owns a record learns that a conflict is open on it, and
how its decision comes back (docs/conflicts.md).

The hub's inbox (``store/conflicts.py``) lives only at the hub. When it opens a conflict for review
it also writes a ``conflict`` record (``schemas/conflict.json``) owned by the record's unit:
being a hub write on a unit's record, the journal routes it to that unit (``x-route: owner``),
and the ward's record page shows both values from it. A decision, at the hub or at the ward, is
an ordinary change of the record's field together with a change of the notice's decision
fields, in one transaction.

A ward may only decide: a change of a notice it sends is refused (the whole push, as any change
outside its scope) unless the hub opened that notice for this very unit, and it writes only the
decision's fields, to ``resolved``. The other fields are ``x-immutable`` once written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sync import (
    Change,
    FieldClash,
    OutOfScope,
    Write,
    atomic,
    get_meta,
    new_id,
    physical_ms,
    utcnow_iso,
)

from ..store import HUB_ORIGIN, capture
from ..store import conflicts as inbox
from ..store.conflicts import HUB_PLACE
from ..store.nodes import node_unit
from ..store.schema import DATA_STEPS

DECISION_FIELDS = frozenset(
    {"state", "resolution", "resolved_by", "resolved_place", "resolved_at", "note"}
)


def after_merge(conn: sqlite3.Connection, changes: list[Change], clashes: list[FieldClash]) -> None:
    """What the hub does once a batch of a ward's changes is merged and journaled, in the same
    transaction: record each concurrent edit and write the notice of each conflict opened,
    then take the decisions the ward sent on the notices of its records' conflicts.

    Raises :class:`~sync.OutOfScope` for a change of a notice that is not a decision on a
    notice the hub opened for the sender's unit (the whole push is then refused)."""
    hub_id = get_meta(conn, "hub_id", HUB_ORIGIN)
    publish(conn, inbox.record_clashes(conn, clashes))
    for change in changes:
        if change.type == "conflict" and change.origin != hub_id:
            _take_decision(conn, changes, change)


def publish(conn: sqlite3.Connection, conflict_ids: Sequence[int] | None = None) -> int:
    """Write the notice of each open conflict given (by default every open one without a
    notice, as a store from before notices holds) for its record's unit; return how many."""
    if conflict_ids is None:
        conflict_ids = inbox.without_notice(conn)
    if not conflict_ids:
        return 0
    hub_id = get_meta(conn, "hub_id", HUB_ORIGIN)
    writes = []
    for conflict_id in conflict_ids:
        found = inbox.get_conflict(conn, conflict_id)
        writes.append(opened(conn, found, inbox.base_side(conn, found), hub_id))
    with atomic(conn):
        capture(conn).write_many(writes, actor="system")
        inbox.set_notices(conn, [(w.id, i) for w, i in zip(writes, conflict_ids, strict=True)])
    return len(writes)


# Conflicts opened before notices existed get theirs when the store is upgraded (migration
# 0028_conflict_notices in store/schema.py).
DATA_STEPS["0028_conflict_notices"] = publish


def _take_decision(conn: sqlite3.Connection, changes: list[Change], change: Change) -> None:
    """A ward decided a conflict of its record from the record's page: close it here, as
    decided there (by whom, where, when, with what). Decided first elsewhere (an administrator
    meanwhile), the notice is written again with that first decision; the two values the
    decisions wrote clash on the record's field and open a conflict of their own."""
    found = inbox.by_notice(conn, change.id)
    check_decision(change, found)
    assert found is not None
    if found["state"] == "resolved":
        first = found["resolution"] or {}
        again = notice_decision(
            change.id,
            found["unit"],
            first.get("value"),
            user=found["resolved_by"] or "",
            place=first.get("place") or HUB_PLACE,
            note=found["note"],
            at=found["resolved_at"],
        )
        capture(conn).write_many([again], actor="system")
        return
    inbox.close(
        conn,
        found["id"],
        user=change.actor,
        at=change.fields.get("resolved_at") or utcnow_iso(),
        resolution={
            "value": change.fields.get("resolution"),
            "version": field_version(changes, change, found),
            "place": change.unit,
        },
        note=change.fields.get("note"),
    )


def version_time(version: str | None) -> str | None:
    """When a field version was written (its clock's physical time), ISO 8601 UTC."""
    if not version or "@" not in version:
        return None
    try:
        ms = physical_ms(int(version.partition("@")[0], 16))
    except ValueError:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def place_of(conn: sqlite3.Connection, origin: str | None, hub_id: str) -> str:
    """Where a version was written: ``hub``, or the unit of the node ``origin``."""
    if origin is None or origin == hub_id:
        return HUB_PLACE
    unit = node_unit(conn, origin)
    return unit if unit is not None else origin.rsplit("-", 1)[0]


def _side(conn: sqlite3.Connection, side: dict[str, Any], hub_id: str) -> dict[str, Any]:
    return {
        "value": side["value"],
        "version": side["version"],
        "at": version_time(side["version"]),
        "user": side.get("user"),
        "place": place_of(conn, side.get("origin"), hub_id),
    }


def opened(
    conn: sqlite3.Connection, conflict: dict[str, Any], base: dict[str, Any] | None, hub_id: str
) -> Write:
    """The notice of a conflict just opened (``conflict`` as ``inbox.get_conflict`` reads
    it, ``base`` its base side or ``None``), to write with the hub's capture."""
    notice_id = new_id()
    return Write(
        "conflict",
        notice_id,
        conflict["unit"],
        {
            "id": notice_id,
            "unit": conflict["unit"],
            "number": conflict["id"],
            "record_type": conflict["record_type"],
            "record_id": conflict["record_id"],
            "field": conflict["field"],
            "base": _side(conn, base, hub_id) if base else None,
            "sides": [_side(conn, v, hub_id) for v in conflict["values"]],
            "detected_at": conflict["detected_at"],
            "state": "open",
        },
    )


def check_decision(change: Change, found: dict[str, Any] | None) -> None:
    """A ward's change of a notice is a decision on a notice the hub opened for its unit;
    :class:`OutOfScope` otherwise (``found``: the conflict whose notice it is, or ``None``)."""
    if found is None or found["unit"] != change.unit:
        raise OutOfScope(
            f"Bản ghi xung đột {change.id} không do máy chủ trung tâm mở cho đơn vị "
            f"'{change.unit}': phường chỉ được ghi quyết định giải quyết xung đột.",
            code="conflict_not_opened_here",
        )
    extra = sorted(set(change.fields) - DECISION_FIELDS)
    if extra or change.fields.get("state") != "resolved":
        raise OutOfScope(
            f"Thay đổi xung đột số {found['id']} ghi {', '.join(extra) or 'trạng thái khác'}: "
            "phường chỉ được ghi quyết định giải quyết (trạng thái đã giải quyết, giá trị chọn, "
            "người, nơi, lúc, ghi chú).",
            code="conflict_decision_only",
        )


def field_version(changes: list[Change], decision: Change, found: dict[str, Any]) -> str | None:
    """The version of the field change the ward wrote with ``decision`` (the latest change of
    the record's field from the same node before it), or ``None`` when it wrote none."""
    written = [
        c
        for c in changes
        if c.origin == decision.origin
        and c.seq < decision.seq
        and c.type == found["record_type"]
        and c.id == found["record_id"]
        and found["field"] in c.fields
    ]
    return written[-1].version_key if written else None


def notice_decision(
    notice_id: str,
    unit: str,
    value: Any,
    *,
    user: str,
    place: str,
    note: str | None,
    at: str | None = None,
) -> Write:
    """The change of a conflict notice's decision fields (``schemas/conflict.json``):
    resolved, with what, by whom, where (``hub`` or a unit's code) and when."""
    return Write(
        "conflict",
        notice_id,
        unit,
        {
            "state": "resolved",
            "resolution": value,
            "resolved_by": user,
            "resolved_place": place,
            "resolved_at": at or utcnow_iso(),
            "note": note,
        },
    )
