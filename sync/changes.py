"""Changes and the node's change log, hash-chained.

A :class:`Change` is the unit of replication: some fields of one record, written at one
hybrid-logical-clock time by one actor on one origin node, with, for each field, the version
the writer saw (its *base*). Each origin numbers its changes 1, 2, 3 ... (``seq``) and links
each to the previous one by SHA-256 (``prev`` → ``hash``), so the hub can tell when a node's
history was rewritten (docs/protocol.md, "The hash chain").
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from .clock import Version


def canonical(obj: Any) -> bytes:
    """Deterministic JSON bytes: sorted keys, no spaces, UTF-8."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def _link(head: tuple[Any, ...], fields_json: bytes, bases_json: bytes) -> str:
    """SHA-256 over a change's identity, actor and ``prev``, then its fields and bases."""
    digest = hashlib.sha256(canonical(list(head)))
    digest.update(b"\x00")
    digest.update(fields_json)
    digest.update(b"\x00")
    digest.update(bases_json)
    return digest.hexdigest()


def loads(data: str | bytes) -> Any:
    """Parse JSON text (the counterpart of :func:`canonical`)."""
    return orjson.loads(data)


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

    # Encodings computed once per change and kept in the instance dict (a plain property:
    # functools.cached_property takes a lock on every access in Python 3.11).

    @property
    def version_key(self) -> str:
        """:meth:`Version.encode` of :attr:`version`."""
        key: str | None = self.__dict__.get("_vk")
        if key is None:
            key = self.__dict__["_vk"] = f"{self.hlc:016x}@{self.origin}"
        return key

    @property
    def fields_json(self) -> bytes:
        """Canonical JSON of ``fields`` (hashed, logged, journaled)."""
        raw: bytes | None = self.__dict__.get("_fj")
        if raw is None:
            raw = self.__dict__["_fj"] = canonical(self.fields)
        return raw

    @property
    def bases_json(self) -> bytes:
        """Canonical JSON of ``bases``."""
        raw: bytes | None = self.__dict__.get("_bj")
        if raw is None:
            raw = self.__dict__["_bj"] = canonical(self.bases)
        return raw

    def identity_clash(self) -> str | None:
        """The name of a field that contradicts this change's own identity, or ``None``.

        Identity and ownership are the change's envelope (``type``, ``id``, ``unit``), never its
        payload: a change whose ``fields`` name another ``id`` or ``unit`` would write, or move,
        a record other than the one it claims (docs/security.md, "The trust boundary").
        """
        fields = self.fields
        if "id" in fields and fields["id"] != self.id:
            return "id"
        if "unit" in fields and fields["unit"] != self.unit:
            return "unit"
        return None

    def link_hash(self) -> str:
        """The SHA-256 chain link of this change: over its content and ``prev``."""
        return _link(
            (self.origin, self.seq, self.hlc, self.type, self.id, self.unit, self.actor, self.prev),
            self.fields_json,
            self.bases_json,
        )

    def chained(self, prev: str | None) -> Change:
        """This change linked after ``prev``, with its own hash computed."""
        return Change.linked(
            self.origin,
            self.seq,
            self.hlc,
            self.type,
            self.id,
            self.unit,
            self.fields,
            self.bases,
            self.actor,
            prev,
            self.fields_json,
            self.bases_json,
        )

    @classmethod
    def linked(
        cls,
        origin: str,
        seq: int,
        hlc: int,
        type: str,
        id: str,
        unit: str,
        fields: dict[str, Any],
        bases: dict[str, str | None],
        actor: str,
        prev: str | None,
        fields_json: bytes | None = None,
        bases_json: bytes | None = None,
    ) -> Change:
        """A change linked after ``prev``, its hash computed: what :meth:`chained` gives, built
        once instead of twice (it runs for every change written and every change received)."""
        if fields_json is None:
            fields_json = canonical(fields)
        if bases_json is None:
            bases_json = canonical(bases)
        head = (origin, seq, hlc, type, id, unit, actor, prev)
        done = cls(
            origin,
            seq,
            hlc,
            type,
            id,
            unit,
            fields,
            bases,
            actor,
            prev,
            _link(head, fields_json, bases_json),
        )
        # Keep the encodings: they are logged and journaled as they are.
        done.__dict__["_fj"] = fields_json
        done.__dict__["_bj"] = bases_json
        return done

    def to_wire(self) -> dict[str, Any]:
        """The change as a JSON object of ``schemas/change.json``."""
        return {
            "origin": self.origin,
            "seq": self.seq,
            "hlc": self.hlc,
            "type": self.type,
            "id": self.id,
            "unit": self.unit,
            "fields": self.fields,
            "bases": self.bases,
            "actor": self.actor,
            "prev": self.prev,
            "hash": self.hash,
        }

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


# A change's columns wherever one is stored, in this order: the hub's journal and its held
# changes hold all of them (beside their own), a node's log all but ``origin`` (every row of
# it is the node's own). ``fields`` and ``bases`` are canonical JSON text.
CHANGE_COLUMNS = (
    "origin",
    "seq",
    "hlc",
    "type",
    "id",
    "unit",
    "fields",
    "bases",
    "actor",
    "prev",
    "hash",
)


def change_row(change: Change) -> tuple[Any, ...]:
    """The values of :data:`CHANGE_COLUMNS` for ``change``, in that order."""
    return (
        change.origin,
        change.seq,
        change.hlc,
        change.type,
        change.id,
        change.unit,
        change.fields_json.decode(),
        change.bases_json.decode(),
        change.actor,
        change.prev,
        change.hash,
    )


def change_from_row(row: sqlite3.Row | Mapping[str, Any], origin: str | None = None) -> Change:
    """The change a stored row holds, its :data:`CHANGE_COLUMNS` read by name (the inverse of
    :func:`change_row`); ``origin`` for a table without that column (a node's own log)."""
    return Change(
        row["origin"] if origin is None else origin,
        row["seq"],
        row["hlc"],
        row["type"],
        row["id"],
        row["unit"],
        loads(row["fields"]),
        loads(row["bases"]),
        row["actor"],
        row["prev"],
        row["hash"],
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


_LOG_COLUMNS = CHANGE_COLUMNS[1:]  # the node's log: every change is its own


class ChangeLog:
    """The node's own change log in table ``changes``: append, read pending, tip of chain.

    All methods expect the caller to hold the transaction (see :func:`sync.store.atomic`).
    """

    def __init__(self, conn: sqlite3.Connection, origin: str) -> None:
        self.conn = conn
        self.origin = origin

    def tip(self) -> tuple[int, str | None]:
        """The last ``(seq, hash)`` of the log, ``(0, None)`` when empty.

        After a recovery from an older copy (``sync/recovery.py``) the log goes on from the
        hub's last seq and hash, which it may not hold a change of: its ``base``.
        """
        row = self.conn.execute(
            "SELECT seq, hash FROM changes ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        base = self.base()
        if row is None or base[0] > row[0]:
            return base
        return row[0], row[1]

    def base(self) -> tuple[int, str | None]:
        """Where a recovery rebased the log, ``(0, None)`` when it never was."""
        try:
            found = self.conn.execute("SELECT value FROM meta WHERE key = 'log.base'").fetchone()
        except sqlite3.OperationalError:  # a bare log without meta (benchmarks)
            return 0, None
        if found is None:
            return 0, None
        seq, hash_ = loads(found[0])
        return int(seq), hash_

    def hash_of(self, seq: int) -> str | None:
        """The hash of change ``seq`` (of the base when it is the base's), if the log has it."""
        row = self.conn.execute("SELECT hash FROM changes WHERE seq = ?", (seq,)).fetchone()
        if row is not None:
            return str(row[0])
        base_seq, base_hash = self.base()
        return base_hash if seq == base_seq else None

    def append_many(self, changes: Iterable[Change]) -> None:
        """Append already-chained changes."""
        self.conn.executemany(
            f"INSERT INTO changes ({', '.join(_LOG_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(_LOG_COLUMNS))})",
            (change_row(c)[1:] for c in changes),
        )

    def read(self, after_seq: int, limit: int) -> list[Change]:
        """Up to ``limit`` changes with ``seq > after_seq``, in order."""
        return list(self._iter(after_seq, limit))

    def read_type(self, type_name: str, after_seq: int, upto_seq: int, limit: int) -> list[Change]:
        """Up to ``limit`` changes of records of ``type_name`` with ``after_seq < seq <=
        upto_seq``, in order (the others are skipped by SQLite, never decoded)."""
        return list(self._iter(after_seq, limit, type_name, upto_seq))

    def _iter(
        self, after_seq: int, limit: int, type_name: str | None = None, upto_seq: int = -1
    ) -> Iterator[Change]:
        columns = ", ".join(_LOG_COLUMNS)
        if type_name is None:
            rows = self.conn.execute(
                f"SELECT {columns} FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, limit),
            )
        else:
            rows = self.conn.execute(
                f"SELECT {columns} FROM changes WHERE seq > ? AND seq <= ? AND type = ? "
                "ORDER BY seq LIMIT ?",
                (after_seq, upto_seq, type_name, limit),
            )
        for row in rows:
            yield change_from_row(row, self.origin)

    def count_after(self, seq: int) -> int:
        """How many changes have ``seq`` greater than ``seq``."""
        row = self.conn.execute("SELECT count(*) FROM changes WHERE seq > ?", (seq,)).fetchone()
        return int(row[0])

    def hlc_of(self, seq: int) -> int | None:
        """The HLC of change ``seq``, if logged."""
        row = self.conn.execute("SELECT hlc FROM changes WHERE seq = ?", (seq,)).fetchone()
        return None if row is None else int(row[0])
