"""Staged upgrades at the hub: what each node's release can take, and what waits for its
upgrade (docs/upgrades.md).

A node reports its schema fingerprint in every request (release 0.2.0 and later; release
0.1.0 reports none and is judged by ``schemas/releases/0.1.0.json``). The hub keeps, in
``schema_catalogue``, the record schemas a node of each fingerprint knows, as a node sent them
when asked, checked against the fingerprint so no node can describe another's. Before a pull
answer is sealed, each entry is judged (``sync.Receiver``); what the node cannot take is
recorded in ``upgrade_waits`` (the entry's position, its record, the fields that wait, why,
and the release it was judged for) and left out, while the node's cursor moves on: the rest
of the city's work keeps reaching an older ward.

When the node comes back with another release, the hub tells it to rewind its cursor to just
before the first entry held for it (``rewind_to``), forgets those holds, and judges everything
from there again: what the new release takes is delivered, the rest is held again. A node's
merge is idempotent, so the entries between come again harmlessly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sync import (
    Receiver,
    ValidationError,
    atomic,
    canonical,
    create_record_tables,
    loads,
    record_type,
    schema_fingerprint,
    schemas_digest,
    utcnow_iso,
)

AFTER_HELD = "sau một thay đổi đang chờ nâng cấp của cùng bản ghi"
_CACHE_MAX = 64
_receivers: dict[str, Receiver] = {}


def create_tables(conn: sqlite3.Connection) -> None:
    """Migration: the ``_extra`` column of every record table, each node's reported schema
    fingerprint, the schemas of each fingerprint, and what waits for a node's upgrade."""
    create_record_tables(conn)
    conn.execute("ALTER TABLE nodes ADD COLUMN schema_fingerprint TEXT")
    conn.execute(
        """CREATE TABLE schema_catalogue (
            fingerprint TEXT PRIMARY KEY, schemas TEXT NOT NULL, software TEXT,
            first_seen_at TEXT NOT NULL)"""
    )
    conn.execute(
        """CREATE TABLE upgrade_waits (
            node_id TEXT NOT NULL, jseq INTEGER NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL,
            whole INTEGER NOT NULL, fields TEXT NOT NULL, reason TEXT NOT NULL,
            judged_as TEXT NOT NULL, since TEXT NOT NULL,
            PRIMARY KEY (node_id, jseq))"""
    )


@dataclass(frozen=True)
class Wait:
    """A journal entry, or some fields of it, held for one node until it upgrades."""

    node_id: str
    jseq: int
    type: str
    id: str
    whole: bool
    fields: tuple[str, ...]
    reason: str
    judged_as: str


def remember_schemas(
    conn: sqlite3.Connection, fingerprint: str, schemas: Any, software: str
) -> None:
    """Keep the record schemas a node sent for its ``fingerprint`` (in the caller's
    transaction). Raises :class:`ValidationError` when they are not what the fingerprint
    names: a node cannot make the hub misjudge other nodes."""
    shaped = isinstance(schemas, dict) and all(
        isinstance(v, dict) and isinstance(v.get("properties"), dict) for v in schemas.values()
    )
    if not shaped or schemas_digest(schemas) != fingerprint:
        raise ValidationError(
            "Lược đồ bản ghi nút gửi không khớp với dấu vân tay lược đồ nút báo. "
            "Hãy báo cán bộ tin học của thành phố.",
            code="schema_mismatch",
            field="status.schemas",
        )
    conn.execute(
        "INSERT OR IGNORE INTO schema_catalogue (fingerprint, schemas, software, first_seen_at) "
        "VALUES (?, ?, ?, ?)",
        (fingerprint, canonical(schemas).decode(), software[:64], utcnow_iso()),
    )


def receiver_for(conn: sqlite3.Connection, node_id: str) -> Receiver | None:
    """What the node can take, from what it last reported of itself; ``None`` when it
    reported a fingerprint whose schemas the hub does not have yet (ask the node for them)."""
    fingerprint = reported_fingerprint(conn, node_id)
    if not fingerprint:
        return Receiver.legacy()
    if fingerprint == schema_fingerprint():
        return Receiver.current()
    found = _receivers.get(fingerprint)
    if found is not None:
        return found
    stored = conn.execute(
        "SELECT schemas FROM schema_catalogue WHERE fingerprint = ?", (fingerprint,)
    ).fetchone()
    if stored is None:
        return None
    if len(_receivers) >= _CACHE_MAX:
        _receivers.clear()
    found = _receivers[fingerprint] = Receiver(
        fingerprint, loads(stored["schemas"]), keeps_unknown=True
    )
    return found


def reported_fingerprint(conn: sqlite3.Connection, node_id: str) -> str | None:
    """The schema fingerprint ``node_id`` last reported, or ``None`` (none reported, or a
    node of release 0.1.0)."""
    row = conn.execute(
        "SELECT schema_fingerprint FROM nodes WHERE node_id = ?", (node_id,)
    ).fetchone()
    return (row["schema_fingerprint"] or None) if row is not None else None


def screen(
    conn: sqlite3.Connection, node_id: str, receiver: Receiver, entries: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[Wait]]:
    """The entries of a pull answer as ``node_id`` can take them, and what waits.

    An entry of a record with a whole entry already held waits too, in order, so the node
    never holds part of a record its release cannot read."""
    if receiver.everything:
        return entries, []
    blocked = {
        (r["type"], r["id"])
        for r in conn.execute(
            "SELECT type, id FROM upgrade_waits WHERE node_id = ? AND whole = 1", (node_id,)
        )
    }
    sendable, waits = [], []
    for entry in entries:
        key = (entry["type"], entry["id"])
        if key in blocked:
            verdict_whole, names, reason = True, tuple(entry["fields"]), AFTER_HELD
            sent = None
        else:
            verdict = receiver.judge(entry["type"], entry["fields"])
            if verdict is None:
                sendable.append(entry)
                continue
            verdict_whole, names, reason, sent = (
                verdict.whole,
                verdict.waiting,
                verdict.reason,
                verdict.send,
            )
        waits.append(
            Wait(
                node_id,
                int(entry["jseq"]),
                entry["type"],
                entry["id"],
                verdict_whole,
                names,
                reason,
                receiver.key,
            )
        )
        if verdict_whole:
            blocked.add(key)
        elif sent:
            bases = entry.get("bases") or {}
            sendable.append(
                {**entry, "fields": sent, "bases": {k: v for k, v in bases.items() if k in sent}}
            )
    return sendable, waits


def record_waits(conn: sqlite3.Connection, waits: Sequence[Wait]) -> None:
    """Keep what waits for nodes' upgrades (in the caller's transaction)."""
    now = utcnow_iso()
    conn.executemany(
        "INSERT INTO upgrade_waits (node_id, jseq, type, id, whole, fields, reason, "
        "judged_as, since) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (node_id, jseq) DO "
        "UPDATE SET type = excluded.type, id = excluded.id, whole = excluded.whole, "
        "fields = excluded.fields, reason = excluded.reason, judged_as = excluded.judged_as, "
        "since = excluded.since",
        [
            (
                w.node_id,
                w.jseq,
                w.type,
                w.id,
                int(w.whole),
                canonical(list(w.fields)).decode(),
                w.reason,
                w.judged_as,
                now,
            )
            for w in waits
        ],
    )


def rewind_point(
    conn: sqlite3.Connection, node_id: str, receiver: Receiver, cursor: int
) -> int | None:
    """Where the node must pull again from, now that its release is not the one entries were
    held for; ``None`` when nothing is to be delivered again. Forgets the holds from there:
    they are judged again as the node pulls."""
    row = conn.execute(
        "SELECT min(jseq) AS first_jseq FROM upgrade_waits WHERE node_id = ? AND judged_as != ?",
        (node_id, receiver.key),
    ).fetchone()
    if row is None or row["first_jseq"] is None:
        return None
    start = int(row["first_jseq"]) - 1
    with atomic(conn):
        # Read again under the write lock: another hub process may have forgotten them.
        again = conn.execute(
            "SELECT min(jseq) AS first_jseq FROM upgrade_waits "
            "WHERE node_id = ? AND judged_as != ?",
            (node_id, receiver.key),
        ).fetchone()
        if again is not None and again["first_jseq"] is not None:
            conn.execute(
                "DELETE FROM upgrade_waits WHERE node_id = ? AND jseq > ?",
                (node_id, int(again["first_jseq"]) - 1),
            )
    return start if start < cursor else None


def waiting_count(
    conn: sqlite3.Connection, node_id: str, *, outside: tuple[int, int] | None = None
) -> int:
    """How many journal entries wait for the node's upgrade; with ``outside`` = (after,
    through), only those not in that stretch of the journal (which a pull judges anew)."""
    if outside is None:
        row = conn.execute(
            "SELECT count(*) AS n FROM upgrade_waits WHERE node_id = ?", (node_id,)
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT count(*) AS n FROM upgrade_waits WHERE node_id = ? AND (jseq <= ? OR jseq > ?)",
            (node_id, *outside),
        ).fetchone()
    return int(row["n"])


def waiting_counts(
    conn: sqlite3.Connection, node_ids: Sequence[str] | None = None
) -> dict[str, int]:
    """How many journal entries wait for each node's upgrade (of ``node_ids`` when given),
    by node id."""
    where, params = "", list(node_ids or ())
    if node_ids is not None:
        if not params:
            return {}
        where = f" WHERE node_id IN ({', '.join('?' * len(params))})"
    return {
        str(r["node_id"]): int(r["n"])
        for r in conn.execute(
            f"SELECT node_id, count(*) AS n FROM upgrade_waits{where} GROUP BY node_id", params
        )
    }


def waiting_summary(conn: sqlite3.Connection, node_ids: Sequence[str]) -> list[dict[str, Any]]:
    """What waits for the upgrade of the given nodes, grouped by node, record type and why:
    how many entries, the fields, and since when (for a unit's console page)."""
    if not node_ids:
        return []
    marks = ",".join("?" * len(node_ids))
    groups: dict[tuple[str, str, str, bool], dict[str, Any]] = {}
    for node_id, type_name, reason, whole, fields, since in conn.execute(
        "SELECT node_id, type, reason, whole, fields, since FROM upgrade_waits "
        f"WHERE node_id IN ({marks}) ORDER BY node_id, type, reason, jseq",
        list(node_ids),
    ):
        group = groups.setdefault(
            (node_id, type_name, reason, bool(whole)),
            {
                "node_id": node_id,
                "type": type_name,
                "type_title": _title(type_name),
                "reason": reason,
                "whole": bool(whole),
                "count": 0,
                "since": since,
                "fields": [],
            },
        )
        group["count"] += 1
        group["since"] = min(group["since"], since)
        for name in loads(fields):
            if name not in group["fields"] and len(group["fields"]) < 20:
                group["fields"].append(name)
    return list(groups.values())


def _title(type_name: str) -> str:
    """A record type's Vietnamese name, from its schema (the hub knows every type it holds)."""
    try:
        return str(record_type(type_name).schema.get("title") or type_name)
    except ValidationError:
        return type_name
