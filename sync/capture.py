"""The one write path of a node: row, field versions, change log and clock in one transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .changes import Change
from .clock import HybridClock
from .errors import Conflict
from .replica import Replica, gc_paused
from .schemas import record_type, validate_fields
from .store import atomic, get_meta, set_meta


class Log(Protocol):
    """Where a writer's changes are appended: the node's change log or the hub's journal."""

    def tip(self) -> tuple[int, str | None]: ...

    def append_many(self, changes: Sequence[Change]) -> None: ...


@dataclass(frozen=True)
class Write:
    """Fields to write to one record."""

    type: str
    id: str
    unit: str
    fields: dict[str, Any]


def check_immutable(
    type_name: str, record_id: str, row: dict[str, Any], writes: Sequence[Any]
) -> None:
    """Refuse a write that changes an ``x-immutable`` field of an existing record once it is
    set (:class:`~sync.errors.Conflict`): routing decided by it must hold."""
    fixed = record_type(type_name).immutable
    for w in writes:
        if w.type != type_name or w.id != record_id:
            continue
        for name in fixed & set(w.fields):
            current = row.get(name)
            # Unset (None or an empty list) may be set once: a draft's addressees at release.
            if current not in (None, []) and w.fields[name] != current:
                raise Conflict(
                    f"Không sửa được trường '{name}' của {type_name} đã có; hãy tạo bản ghi mới.",
                    code="immutable_field",
                    field=name,
                )


class ChangeCapture:
    """Writes records as changes: every write is validated, stamped, merged and logged.

    ``write_many`` runs in one transaction: the rows, their field versions, the change log
    entries (hash-chained) and the persisted clock commit together or not at all.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        origin: str,
        clock: HybridClock,
        replica: Replica,
        log: Log,
        *,
        validate: bool = True,
    ) -> None:
        self.conn = conn
        self.origin = origin
        self.clock = clock
        self.replica = replica
        self.log = log
        self.validate = validate

    def write(
        self, type_name: str, record_id: str, unit: str, fields: dict[str, Any], *, actor: str
    ) -> Change:
        """Write some fields of one record; return the logged change."""
        return self.write_many([Write(type_name, record_id, unit, fields)], actor=actor)[0]

    def write_many(self, writes: Sequence[Write], *, actor: str) -> list[Change]:
        """Write several records in one transaction; return their changes in log order."""
        if self.validate:
            for w in writes:
                validate_fields(w.type, w.fields)
        with gc_paused(), atomic(self.conn):
            # Another process (a CLI sync, the worker) may have advanced the clock on receipt.
            self.clock.observe(int(get_meta(self.conn, "hlc", 0)))
            seq, prev = self.log.tip()
            bases: dict[tuple[str, str], dict[str, str]] = {}
            by_type: dict[str, list[str]] = {}
            for w in writes:
                by_type.setdefault(w.type, []).append(w.id)
            loaded = {}
            for type_name, ids in by_type.items():
                fixed = record_type(type_name).immutable
                loaded[type_name] = self.replica.load(type_name, ids)
                for rid, (row, vers) in loaded[type_name].items():
                    bases[(type_name, rid)] = dict(vers)  # advanced below, write by write
                    if fixed:
                        check_immutable(type_name, rid, row, writes)
            changes = []
            for w in writes:
                seen = bases.setdefault((w.type, w.id), {})
                seq += 1
                change = Change.linked(
                    self.origin,
                    seq,
                    self.clock.tick(),
                    w.type,
                    w.id,
                    w.unit,
                    w.fields,
                    # Only fields the writer saw a version of carry a base (absent = none).
                    {n: seen[n] for n in w.fields if n in seen} if seen else {},
                    actor,
                    prev,
                )
                prev = change.hash
                seen.update(dict.fromkeys(w.fields, change.version_key))
                changes.append(change)
            self.replica.merge(changes, loaded=loaded)
            self.log.append_many(changes)
            set_meta(self.conn, "hlc", self.clock.last)
        return changes
