"""The hub's journal: every change it holds, with the units each one is routed to.

Ward changes enter with their ``(origin, seq)`` (a primary key, so a replay is a no-op); the
hub's own writes (administrators, reference data) enter with origin ``hub``. Routing decides,
per change, which units must receive it (DESIGN.md, "Routing"); a pull for unit U reads only
entries routed to U or to every unit (``*``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from sync import Change, loads, record_type, utcnow_iso

ALL_UNITS = "*"


def routes_for(change: Change, hub_origin: str) -> set[str]:
    """The units that must receive ``change``.

    Reference data goes to every unit. A record owned by a unit goes back to that unit only
    when someone other than the unit wrote it (an administrator at the hub).
    """
    rtype = record_type(change.type)
    if rtype.route == "all":
        return {ALL_UNITS}
    if change.origin == hub_origin:
        return {change.unit}
    return set()


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
        return (0, None) if row is None else (row[0], row[1])

    def append_many(self, changes: Sequence[Change]) -> None:
        """Journal changes and their routes (the caller holds the write transaction, so the
        journal positions are assigned here, in order, and both tables filled in bulk)."""
        if not changes:
            return
        now = utcnow_iso()
        top = self.conn.execute("SELECT coalesce(max(jseq), 0) FROM journal").fetchone()[0]
        rows, routes = [], []
        for jseq, c in enumerate(changes, start=top + 1):
            rows.append(
                (
                    jseq,
                    c.origin,
                    c.seq,
                    c.hlc,
                    c.type,
                    c.id,
                    c.unit,
                    c.fields_json.decode(),
                    c.bases_json.decode(),
                    c.actor,
                    c.prev,
                    c.hash,
                    now,
                )
            )
            routes.extend((unit, jseq) for unit in routes_for(c, self.hub_origin))
        self.conn.executemany(
            "INSERT INTO journal (jseq, origin, seq, hlc, type, id, unit, fields, bases, actor, "
            "prev, hash, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                "jseq": r[0],
                "origin": r[1],
                "seq": r[2],
                "hlc": r[3],
                "type": r[4],
                "id": r[5],
                "unit": r[6],
                "fields": loads(r[7]),
                "bases": loads(r[8]),
                "actor": r[9],
            }
            for r in rows
        ]
        return out, (out[-1]["jseq"] if out else cursor)

    def count_routed(self, unit: str, cursor: int) -> int:
        """How many entries routed to ``unit`` lie after ``cursor``."""
        row = self.conn.execute(
            "SELECT count(*) FROM routes WHERE unit IN (?, ?) AND jseq > ?",
            (unit, ALL_UNITS, cursor),
        ).fetchone()
        return int(row[0])

    def history(self, type_name: str, record_id: str) -> list[dict[str, Any]]:
        """Every journaled change of one record, oldest first (who changed what, when, where)."""
        rows = self.conn.execute(
            "SELECT jseq, origin, seq, hlc, unit, fields, actor, received_at FROM journal "
            "WHERE type = ? AND id = ? ORDER BY hlc, origin",
            (type_name, record_id),
        ).fetchall()
        return [
            {
                "jseq": r[0],
                "origin": r[1],
                "seq": r[2],
                "hlc": r[3],
                "unit": r[4],
                "fields": loads(r[5]),
                "actor": r[6],
                "received_at": r[7],
            }
            for r in rows
        ]
