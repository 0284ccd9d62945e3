"""Changes and the node's change log, hash-chained.

A :class:`Change` is the unit of replication: some fields of one record, written at one
hybrid-logical-clock time by one actor on one origin node, with, for each field, the version
the writer saw (its *base*). Each origin numbers its changes 1, 2, 3 ... (``seq``) and links
each to the previous one by SHA-256 (``prev`` → ``hash``), so the hub can tell when a node's
history was rewritten (DESIGN.md, "Audit integrity").
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .clock import Version


def canonical(obj: Any) -> bytes:
    """Deterministic JSON bytes: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Change:
    """One change of one record, as logged, journaled and sent."""

    origin: str
    seq: int
    hlc: int
    type: str
    id: str
    unit: str
    fields: dict[str, Any] = field(hash=False)
    bases: dict[str, str | None] = field(hash=False)
    actor: str
    prev: str | None = None
    hash: str | None = None

    @property
    def version(self) -> Version:
        """The version every field of this change carries."""
        return Version(self.hlc, self.origin)

    def link_hash(self) -> str:
        """The SHA-256 chain link of this change: over its content and ``prev``."""
        body = [
            self.origin,
            self.seq,
            self.hlc,
            self.type,
            self.id,
            self.unit,
            self.fields,
            self.bases,
            self.actor,
            self.prev,
        ]
        return hashlib.sha256(canonical(body)).hexdigest()

    def chained(self, prev: str | None) -> Change:
        """This change linked after ``prev``, with its own hash computed."""
        linked = replace(self, prev=prev, hash=None)
        return replace(linked, hash=linked.link_hash())

    def to_wire(self) -> dict[str, Any]:
        """The change as a JSON object of ``schemas/change.json``."""
        data = asdict(self)
        return data

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Change:
        """Inverse of :meth:`to_wire` (the caller validated ``data`` first)."""
        return cls(
            origin=data["origin"],
            seq=data["seq"],
            hlc=data["hlc"],
            type=data["type"],
            id=data["id"],
            unit=data["unit"],
            fields=data["fields"],
            bases=data["bases"],
            actor=data["actor"],
            prev=data.get("prev"),
            hash=data.get("hash"),
        )


def create_change_log(conn: sqlite3.Connection) -> None:
    """Create the node's append-only change log table."""
    conn.execute(
        """CREATE TABLE IF NOT EXISTS changes (
            seq INTEGER PRIMARY KEY,
            hlc INTEGER NOT NULL,
            type TEXT NOT NULL,
            id TEXT NOT NULL,
            unit TEXT NOT NULL,
            fields TEXT NOT NULL,
            bases TEXT NOT NULL,
            actor TEXT NOT NULL,
            prev TEXT,
            hash TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX IF NOT EXISTS changes_record ON changes (type, id)")


class ChangeLog:
    """The node's own change log in table ``changes``: append, read pending, tip of chain.

    All methods expect the caller to hold the transaction (see :func:`sync.store.atomic`).
    """

    def __init__(self, conn: sqlite3.Connection, origin: str) -> None:
        self.conn = conn
        self.origin = origin

    def tip(self) -> tuple[int, str | None]:
        """The last ``(seq, hash)`` of the log, ``(0, None)`` when empty."""
        row = self.conn.execute(
            "SELECT seq, hash FROM changes ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return (0, None) if row is None else (row[0], row[1])

    def append_many(self, changes: Iterable[Change]) -> None:
        """Append already-chained changes."""
        self.conn.executemany(
            "INSERT INTO changes (seq, hlc, type, id, unit, fields, bases, actor, prev, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
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
                )
                for c in changes
            ),
        )

    def read(self, after_seq: int, limit: int) -> list[Change]:
        """Up to ``limit`` changes with ``seq > after_seq``, in order."""
        return list(self._iter(after_seq, limit))

    def _iter(self, after_seq: int, limit: int) -> Iterator[Change]:
        rows = self.conn.execute(
            "SELECT seq, hlc, type, id, unit, fields, bases, actor, prev, hash FROM changes "
            "WHERE seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        )
        for seq, hlc, type_, id_, unit, fields, bases, actor, prev, hash_ in rows:
            yield Change(
                self.origin,
                seq,
                hlc,
                type_,
                id_,
                unit,
                json.loads(fields),
                json.loads(bases),
                actor,
                prev,
                hash_,
            )

    def count_after(self, seq: int) -> int:
        """How many changes have ``seq`` greater than ``seq``."""
        row = self.conn.execute("SELECT count(*) FROM changes WHERE seq > ?", (seq,)).fetchone()
        return int(row[0])

    def hlc_of(self, seq: int) -> int | None:
        """The HLC of change ``seq``, if logged."""
        row = self.conn.execute("SELECT hlc FROM changes WHERE seq = ?", (seq,)).fetchone()
        return None if row is None else int(row[0])
