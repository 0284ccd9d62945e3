"""The hub's journal: every change it holds, with the units each one is routed to, and the
hub's own write path into it (:func:`capture`).

Ward changes enter with their ``(origin, seq)`` (a primary key, so a replay is a no-op); the
hub's own writes (administrators, reference data, the portal, the SMS dispatcher) enter with
origin ``hub``. Routing decides, per change, which units must receive it (each record type's
``x-route`` in ``schemas/``); a pull for unit U reads only entries routed to U or to every
unit (``*``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from sync import (
    CHANGE_COLUMNS,
    Change,
    ChangeCapture,
    HybridClock,
    Replica,
    change_row,
    get_meta,
    loads,
    record_type,
    utcnow_iso,
)

HUB_ORIGIN = "hub"  # the origin of the hub's own changes in the journal


def load_clock(conn: sqlite3.Connection) -> HybridClock:
    """The hub's clock, resumed from its persisted value."""
    return HybridClock(last=int(get_meta(conn, "hlc", 0)))


ALL_UNITS = "*"


def routes_for(change: Change, hub_origin: str, conn: sqlite3.Connection | None = None) -> set[str]:
    """The units that must receive ``change`` (``schemas/*.json``, ``x-route``).

    Reference data goes to every unit. A record owned by a unit goes back to that unit only
    when someone other than the unit wrote it (an administrator at the hub). A document goes
    to its addressees; a receipt goes back to the document's owner. The unit that wrote a
    change never receives it back. ``conn`` looks up what the change itself does not carry
    (the addressees, the parent's owner) in the records as merged.
    """
    rtype = record_type(change.type)
    if rtype.route == "all":
        return {ALL_UNITS}
    if rtype.route == "owner" and change.origin != hub_origin:
        return set()  # a ward's own record, written by the ward: nobody else receives it
    units: set[str] = set()
    if change.origin == hub_origin:
        units.add(change.unit)
    if rtype.route == "addressees" and rtype.addressees:
        listed = change.fields.get(rtype.addressees)
        if listed is None and conn is not None:
            listed = _field(conn, change.type, change.id, rtype.addressees)
        units.update(listed or ())
    elif rtype.route in ("parent", "follow_parent") and rtype.parent and conn is not None:
        found = parent_of(conn, change.type, change.id, change.fields)
        if found is not None:
            parent_type, parent_id = found
            owner = _field(conn, parent_type, parent_id, "unit")
            if owner:
                units.add(owner)
            if rtype.route == "follow_parent":
                # Everyone who receives the parent receives what hangs on it.
                units |= routes_for(
                    Change(hub_origin, 0, 0, parent_type, parent_id, owner or "", {}, {}, ""),
                    hub_origin,
                    conn,
                ) - {ALL_UNITS}
    if change.origin != hub_origin:
        units.discard(change.unit)
    return units


def parent_of(
    conn: sqlite3.Connection, type_name: str, record_id: str, fields: dict[str, Any]
) -> tuple[str, str] | None:
    """(parent type, parent id) of a child record, from a change's fields or the stored row."""
    rtype = record_type(type_name)
    if rtype.parent is None:
        return None
    type_ref, id_field = rtype.parent
    parent_id = fields.get(id_field) or _field(conn, type_name, record_id, id_field)
    if type_ref.startswith("@"):
        parent_type = fields.get(type_ref[1:]) or _field(conn, type_name, record_id, type_ref[1:])
    else:
        parent_type = type_ref
    if not parent_id or not parent_type:
        return None
    return str(parent_type), str(parent_id)


def _field(conn: sqlite3.Connection, type_name: str, record_id: str, name: str) -> Any:
    """One field of a stored record (JSON decoded), or None."""
    rtype = record_type(type_name)
    row = conn.execute(
        f"SELECT {name} AS value FROM {rtype.table} WHERE id = ?", (record_id,)
    ).fetchone()
    if row is None or row["value"] is None:
        return None
    return loads(row["value"]) if name in rtype.json_fields else row["value"]


class Journal:
    """Append to and read from the journal. Callers hold the transaction."""

    def __init__(self, conn: sqlite3.Connection, hub_origin: str) -> None:
        self.conn = conn
        self.hub_origin = hub_origin

    def tip(self) -> tuple[int, str | None]:
        """The hub's own last ``(seq, hash)``, for its writes through ChangeCapture."""
        row = self.conn.execute(
            "SELECT seq, hash FROM journal WHERE origin = ? ORDER BY seq DESC LIMIT 1",
            (self.hub_origin,),
        ).fetchone()
        return (0, None) if row is None else (row["seq"], row["hash"])

    def append_many(self, changes: Sequence[Change]) -> None:
        """Journal changes and their routes (the caller holds the write transaction, so the
        journal positions are assigned here, in order, and both tables filled in bulk)."""
        if not changes:
            return
        now = utcnow_iso()
        top = self.conn.execute("SELECT coalesce(max(jseq), 0) AS top FROM journal").fetchone()[
            "top"
        ]
        rows, routes = [], []
        for jseq, c in enumerate(changes, start=top + 1):
            rows.append((jseq, *change_row(c), now))
            units = routes_for(c, self.hub_origin, self.conn)
            if units:
                routes.extend((unit, jseq) for unit in units)
        self.conn.executemany(
            f"INSERT INTO journal (jseq, {', '.join(CHANGE_COLUMNS)}, received_at) "
            f"VALUES (?, {', '.join('?' * len(CHANGE_COLUMNS))}, ?)",
            rows,
        )
        if routes:
            self.conn.executemany("INSERT INTO routes (unit, jseq) VALUES (?, ?)", routes)

    def read_routed(self, unit: str, cursor: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Up to ``limit`` entries routed to ``unit`` after ``cursor``; and the new cursor."""
        rows = self.conn.execute(
            "SELECT j.jseq, j.origin, j.seq, j.hlc, j.type, j.id, j.unit, j.fields, j.bases, "
            "j.actor FROM journal j WHERE j.jseq IN ("
            "  SELECT jseq FROM routes WHERE unit IN (?, ?) AND jseq > ? ORDER BY jseq LIMIT ?"
            ") ORDER BY j.jseq",
            (unit, ALL_UNITS, cursor, limit),
        ).fetchall()
        out = [
            {
                "jseq": r["jseq"],
                "origin": r["origin"],
                "seq": r["seq"],
                "hlc": r["hlc"],
                "type": r["type"],
                "id": r["id"],
                "unit": r["unit"],
                "fields": loads(r["fields"]),
                "bases": loads(r["bases"]),
                "actor": r["actor"],
            }
            for r in rows
        ]
        return out, (out[-1]["jseq"] if out else cursor)

    def count_routed(self, unit: str, cursor: int) -> int:
        """How many entries routed to ``unit`` lie after ``cursor``."""
        row = self.conn.execute(
            "SELECT count(*) AS n FROM routes WHERE unit IN (?, ?) AND jseq > ?",
            (unit, ALL_UNITS, cursor),
        ).fetchone()
        return int(row["n"])

    def history(self, type_name: str, record_id: str) -> list[dict[str, Any]]:
        """Every journaled change of one record, oldest first (who changed what, when, where)."""
        rows = self.conn.execute(
            "SELECT jseq, origin, seq, hlc, unit, fields, actor, received_at FROM journal "
            "WHERE type = ? AND id = ? ORDER BY hlc, origin",
            (type_name, record_id),
        ).fetchall()
        return [
            {
                "jseq": r["jseq"],
                "origin": r["origin"],
                "seq": r["seq"],
                "hlc": r["hlc"],
                "unit": r["unit"],
                "fields": loads(r["fields"]),
                "actor": r["actor"],
                "received_at": r["received_at"],
            }
            for r in rows
        ]


def capture(conn: sqlite3.Connection) -> ChangeCapture:
    """The hub's own write path: its writes are journaled with origin ``hub`` and routed."""
    hub_id = get_meta(conn, "hub_id", HUB_ORIGIN)
    return ChangeCapture(conn, hub_id, load_clock(conn), Replica(conn), Journal(conn, hub_id))


def origin_hashes(conn: sqlite3.Connection, origin: str, first: int, last: int) -> dict[int, str]:
    """The hash of each change of ``origin`` with ``first <= seq <= last`` the hub holds,
    applied (journal) or held for a clock ahead."""
    rows = conn.execute(
        "SELECT seq, hash FROM journal WHERE origin = ? AND seq BETWEEN ? AND ? "
        "UNION ALL SELECT seq, hash FROM held WHERE origin = ? AND seq BETWEEN ? AND ?",
        (origin, first, last, origin, first, last),
    ).fetchall()
    return {int(r["seq"]): r["hash"] for r in rows if r["hash"]}


def origin_changes(
    conn: sqlite3.Connection, origin: str, after: int, limit: int
) -> list[sqlite3.Row]:
    """Up to ``limit`` changes of ``origin`` after ``after`` the hub holds, applied or held,
    by sequence number: rows of ``seq, hlc, type, id, unit, fields, bases, actor, prev, hash``
    (``fields`` and ``bases`` as JSON text)."""
    columns = "seq, hlc, type, id, unit, fields, bases, actor, prev, hash"
    return conn.execute(
        f"SELECT {columns} FROM ("
        f"  SELECT {columns} FROM journal WHERE origin = ? AND seq > ?"
        f"  UNION ALL SELECT {columns} FROM held WHERE origin = ? AND seq > ?"
        ") ORDER BY seq LIMIT ?",
        (origin, after, origin, after, limit),
    ).fetchall()
