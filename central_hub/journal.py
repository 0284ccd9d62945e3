"""The hub's journal: every change it holds, with the units each one is routed to.

Ward changes enter with their ``(origin, seq)`` (a primary key, so a replay is a no-op); the
hub's own writes (administrators, reference data) enter with origin ``hub``. Routing decides,
per change, which units must receive it (DESIGN.md, "Routing"); a pull for unit U reads only
entries routed to U or to every unit (``*``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from sync import Change, record_type, utcnow_iso

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
        """Journal changes and their routes."""
        now = utcnow_iso()
        for c in changes:
            cur = self.conn.execute(
                "INSERT INTO journal (origin, seq, hlc, type, id, unit, fields, bases, actor, "
                "prev, hash, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    c.origin,
                    c.seq,
                    c.hlc,
                    c.type,
                    c.id,
                    c.unit,
                    json.dumps(c.fields, ensure_ascii=False, separators=(",", ":")),
                    json.dumps(c.bases, separators=(",", ":")),
                    c.actor,
                    c.prev,
                    c.hash,
                    now,
                ),
            )
            jseq = cur.lastrowid
            units = routes_for(c, self.hub_origin)
            if units:
                self.conn.executemany(
                    "INSERT INTO routes (unit, jseq) VALUES (?, ?)", [(u, jseq) for u in units]
                )

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
                "fields": json.loads(r[7]),
                "bases": json.loads(r[8]),
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
                "fields": json.loads(r[5]),
                "actor": r[6],
                "received_at": r[7],
            }
            for r in rows
        ]
