"""The hub's bookkeeping of edXML exchange with agencies outside the city (never synced;
docs/edxml.md): which documents came from or went to the national document exchange
platform and under what identifier, every message taken in or written out (its original
bytes kept in the blob store), which status messages were already written for an outside
document, and which city documents forward an outside one to wards.

The documents themselves are ordinary synced ``document`` records; these tables only say what
the exchange needs on top of them.
"""

from __future__ import annotations

import sqlite3
from typing import Any


def create_tables(conn: sqlite3.Connection) -> None:
    """Migration ``0040_edxml``'s tables (plain SQL both engines run)."""
    conn.execute(
        "CREATE TABLE edxml_documents (document_id TEXT PRIMARY KEY, doc_key TEXT NOT NULL, "
        "platform_id TEXT, organ_from TEXT NOT NULL, organ_name TEXT, "
        "addressed_unit TEXT NOT NULL, signature TEXT NOT NULL, signer_subject TEXT, "
        "version INTEGER NOT NULL, received_at TEXT NOT NULL, replaced_by TEXT, "
        "revoked_at TEXT)"
    )
    conn.execute("CREATE INDEX edxml_documents_key ON edxml_documents (doc_key)")
    conn.execute("CREATE INDEX edxml_documents_platform ON edxml_documents (platform_id)")
    conn.execute(
        "CREATE TABLE edxml_messages (id TEXT PRIMARY KEY, direction TEXT NOT NULL, "
        "kind TEXT NOT NULL, code TEXT NOT NULL, document_id TEXT, doc_key TEXT, "
        "organ_from TEXT, organ_to TEXT, sha256 TEXT, size INTEGER NOT NULL, "
        "signature TEXT NOT NULL, note TEXT, source TEXT NOT NULL, at TEXT NOT NULL, "
        "file_name TEXT)"
    )
    conn.execute("CREATE INDEX edxml_messages_document ON edxml_messages (document_id, at)")
    conn.execute(
        "CREATE TABLE edxml_status_sent (document_id TEXT NOT NULL, code TEXT NOT NULL, "
        "message_id TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (document_id, code))"
    )
    conn.execute(
        "CREATE TABLE edxml_forwards (forwarded_id TEXT PRIMARY KEY, original_id TEXT NOT NULL, "
        "lead_unit TEXT NOT NULL, at TEXT NOT NULL)"
    )
    conn.execute("CREATE INDEX edxml_forwards_original ON edxml_forwards (original_id)")
    conn.execute(
        "CREATE TABLE edxml_statuses (document_id TEXT NOT NULL, organ_id TEXT NOT NULL, "
        "organ_name TEXT, status_code TEXT NOT NULL, description TEXT, staff TEXT, "
        "at TEXT NOT NULL, message_id TEXT NOT NULL, PRIMARY KEY (document_id, organ_id))"
    )


_DOC_COLUMNS = (
    "document_id",
    "doc_key",
    "platform_id",
    "organ_from",
    "organ_name",
    "addressed_unit",
    "signature",
    "signer_subject",
    "version",
    "received_at",
    "replaced_by",
    "revoked_at",
)
_MESSAGE_COLUMNS = (
    "id",
    "direction",
    "kind",
    "code",
    "document_id",
    "doc_key",
    "organ_from",
    "organ_to",
    "sha256",
    "size",
    "signature",
    "note",
    "source",
    "at",
    "file_name",
)


def add_document(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    """Record that the document ``row["document_id"]`` came from outside (its columns as in
    :func:`create_tables`)."""
    values = [row.get(c) for c in _DOC_COLUMNS]
    conn.execute(
        f"INSERT INTO edxml_documents ({', '.join(_DOC_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in _DOC_COLUMNS)})",
        values,
    )


def update_document(conn: sqlite3.Connection, document_id: str, **fields: Any) -> None:
    """Set some columns of an outside document's row (names from :func:`create_tables`)."""
    unknown = set(fields) - set(_DOC_COLUMNS)
    if unknown:
        raise KeyError(f"unknown columns {sorted(unknown)}")
    sets = ", ".join(f"{k} = ?" for k in fields)
    conn.execute(
        f"UPDATE edxml_documents SET {sets} WHERE document_id = ?", [*fields.values(), document_id]
    )


def find_document(conn: sqlite3.Connection, keys: list[str]) -> dict[str, Any] | None:
    """The outside document known by any of ``keys`` (its ``OrganId,yyyy/mm/dd,symbol`` or
    the platform's DocumentId), the one received first when several match; None when none."""
    keys = [k for k in keys if k]
    if not keys:
        return None
    marks = ", ".join("?" for _ in keys)
    row = conn.execute(
        f"SELECT {', '.join(_DOC_COLUMNS)} FROM edxml_documents "
        f"WHERE doc_key IN ({marks}) OR platform_id IN ({marks}) "
        "ORDER BY received_at, document_id LIMIT 1",
        [*keys, *keys],
    ).fetchone()
    return None if row is None else {c: row[c] for c in _DOC_COLUMNS}


def document_info(conn: sqlite3.Connection, document_id: str) -> dict[str, Any] | None:
    """The exchange row of an outside document, or None for a document of the city's own."""
    row = conn.execute(
        f"SELECT {', '.join(_DOC_COLUMNS)} FROM edxml_documents WHERE document_id = ?",
        (document_id,),
    ).fetchone()
    return None if row is None else {c: row[c] for c in _DOC_COLUMNS}


def outside_documents(
    conn: sqlite3.Connection, unit: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The outside documents (addressed to ``unit`` when given), newest first."""
    where, params = ("WHERE addressed_unit = ? ", [unit]) if unit else ("", [])
    rows = conn.execute(
        f"SELECT {', '.join(_DOC_COLUMNS)} FROM edxml_documents {where}"
        "ORDER BY received_at DESC, document_id DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [{c: r[c] for c in _DOC_COLUMNS} for r in rows]


def add_message(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    """Record one message taken in or written out (columns as in :func:`create_tables`)."""
    values = [row.get(c) for c in _MESSAGE_COLUMNS]
    conn.execute(
        f"INSERT INTO edxml_messages ({', '.join(_MESSAGE_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in _MESSAGE_COLUMNS)})",
        values,
    )


def messages_of(conn: sqlite3.Connection, document_id: str) -> list[dict[str, Any]]:
    """The messages about a document, oldest first."""
    rows = conn.execute(
        f"SELECT {', '.join(_MESSAGE_COLUMNS)} FROM edxml_messages WHERE document_id = ? "
        "ORDER BY at, id",
        (document_id,),
    ).fetchall()
    return [{c: r[c] for c in _MESSAGE_COLUMNS} for r in rows]


def message(conn: sqlite3.Connection, message_id: str) -> dict[str, Any] | None:
    """One message's row, or None."""
    row = conn.execute(
        f"SELECT {', '.join(_MESSAGE_COLUMNS)} FROM edxml_messages WHERE id = ?", (message_id,)
    ).fetchone()
    return None if row is None else {c: row[c] for c in _MESSAGE_COLUMNS}


def statuses_sent(conn: sqlite3.Connection, document_id: str) -> set[str]:
    """The status codes already written to the outbox for an outside document."""
    rows = conn.execute(
        "SELECT code FROM edxml_status_sent WHERE document_id = ?", (document_id,)
    ).fetchall()
    return {str(r["code"]) for r in rows}


def mark_status_sent(
    conn: sqlite3.Connection, document_id: str, code: str, message_id: str, at: str
) -> bool:
    """Record that status ``code`` of an outside document was written; False when it already
    was (another process got there first: its message stands, this one is not written)."""
    row = conn.execute(
        "INSERT INTO edxml_status_sent (document_id, code, message_id, at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (document_id, code) DO NOTHING RETURNING code",
        (document_id, code, message_id, at),
    ).fetchone()
    return row is not None


def add_forward(
    conn: sqlite3.Connection, forwarded_id: str, original_id: str, lead_unit: str, at: str
) -> None:
    """Record that the city document ``forwarded_id`` forwards the outside ``original_id``."""
    conn.execute(
        "INSERT INTO edxml_forwards (forwarded_id, original_id, lead_unit, at) VALUES (?, ?, ?, ?)",
        (forwarded_id, original_id, lead_unit, at),
    )


def forwards_of(conn: sqlite3.Connection, original_id: str) -> list[dict[str, Any]]:
    """The forwards of an outside document, oldest first."""
    rows = conn.execute(
        "SELECT forwarded_id, original_id, lead_unit, at FROM edxml_forwards "
        "WHERE original_id = ? ORDER BY at, forwarded_id",
        (original_id,),
    ).fetchall()
    return [
        dict(forwarded_id=r["forwarded_id"], lead_unit=r["lead_unit"], at=r["at"]) for r in rows
    ]


def unsent_outgoing(conn: sqlite3.Connection, hub_unit: str, limit: int = 100) -> list[str]:
    """Ids of released documents addressed to outside agencies (``edxml_to``) whose document
    message was never claimed: the city's own (no ``status``) and wards' released ones, not
    recalled before it went out."""
    rows = conn.execute(
        "SELECT d.id FROM document d WHERE d.edxml_to IS NOT NULL AND d.edxml_to <> '[]' "
        "AND coalesce(d.direction, 'outgoing') = 'outgoing' AND coalesce(d.recalled, 0) = 0 "
        "AND (d.status = 'released' OR (d.status IS NULL AND d.unit = ?)) "
        "AND NOT EXISTS (SELECT 1 FROM edxml_document_sent s WHERE s.document_id = d.id) "
        "ORDER BY d.id LIMIT ?",
        (hub_unit, limit),
    ).fetchall()
    return [str(r["id"]) for r in rows]


def create_sent_table(conn: sqlite3.Connection) -> None:
    """Migration ``0041``'s table: the document message of each document sent outside,
    claimed once (its bytes committed before the file is written), and when its file was
    written to the outbox. Documents written before it are recorded as written."""
    conn.execute(
        "CREATE TABLE edxml_document_sent (document_id TEXT PRIMARY KEY, "
        "message_id TEXT NOT NULL, file_name TEXT NOT NULL, at TEXT NOT NULL, written_at TEXT)"
    )
    conn.execute(
        "CREATE INDEX edxml_document_sent_unwritten ON edxml_document_sent (written_at, at)"
    )
    rows = conn.execute(
        "SELECT id, document_id, file_name, at FROM edxml_messages WHERE direction = 'out' "
        "AND kind = 'document' AND document_id IS NOT NULL ORDER BY at, id"
    ).fetchall()
    for r in rows:
        conn.execute(
            "INSERT INTO edxml_document_sent (document_id, message_id, file_name, at, "
            "written_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (document_id) DO NOTHING",
            (r["document_id"], r["id"], r["file_name"] or "", r["at"], r["at"]),
        )


def claim_document(
    conn: sqlite3.Connection, document_id: str, message_id: str, file_name: str, at: str
) -> bool:
    """Claim the document message of ``document_id``; False when it was claimed before (by an
    earlier round, another process, or before a restart): nothing more is to be built."""
    row = conn.execute(
        "INSERT INTO edxml_document_sent (document_id, message_id, file_name, at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (document_id) DO NOTHING RETURNING document_id",
        (document_id, message_id, file_name, at),
    ).fetchone()
    return row is not None


def unwritten_documents(conn: sqlite3.Connection, limit: int = 100) -> list[dict[str, Any]]:
    """Document messages claimed whose file was not written yet (a crash or a full disk
    between the claim and the file), oldest first, with the message's stored bytes' hash."""
    rows = conn.execute(
        "SELECT s.document_id, s.message_id, s.file_name, m.sha256 FROM edxml_document_sent s "
        "JOIN edxml_messages m ON m.id = s.message_id WHERE s.written_at IS NULL "
        "ORDER BY s.at, s.document_id LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        dict(
            document_id=r["document_id"],
            message_id=r["message_id"],
            file_name=r["file_name"],
            sha256=r["sha256"],
        )
        for r in rows
    ]


def mark_document_written(conn: sqlite3.Connection, document_id: str, at: str) -> None:
    """Record that the document message of ``document_id`` is in the outbox."""
    conn.execute(
        "UPDATE edxml_document_sent SET written_at = ? WHERE document_id = ? "
        "AND written_at IS NULL",
        (at, document_id),
    )


def open_outside_ids(conn: sqlite3.Connection, limit: int = 1000) -> list[str]:
    """Ids of outside documents whose last status (06 finished, 02 refused, 15 or 16 the
    answer to a revocation) was not written yet, oldest first: the ones whose status may
    still move."""
    rows = conn.execute(
        "SELECT e.document_id FROM edxml_documents e WHERE NOT EXISTS (SELECT 1 FROM "
        "edxml_status_sent s WHERE s.document_id = e.document_id "
        "AND s.code IN ('02', '06', '15', '16')) "
        "ORDER BY e.received_at, e.document_id LIMIT ?",
        (limit,),
    ).fetchall()
    return [str(r["document_id"]) for r in rows]


def unit_by_organ(conn: sqlite3.Connection, organ_id: str) -> str | None:
    """The code of the unit whose ``organ_id`` is ``organ_id``, or None."""
    row = conn.execute(
        "SELECT code FROM unit WHERE organ_id = ? ORDER BY code LIMIT 1", (organ_id,)
    ).fetchone()
    return None if row is None else str(row["code"])


def organ_of(conn: sqlite3.Connection, unit: str) -> str | None:
    """The ``organ_id`` of the unit ``unit``, or None."""
    row = conn.execute("SELECT organ_id FROM unit WHERE code = ?", (unit,)).fetchone()
    return None if row is None or not row["organ_id"] else str(row["organ_id"])


_STATUS_COLUMNS = (
    "document_id",
    "organ_id",
    "organ_name",
    "status_code",
    "description",
    "staff",
    "at",
    "message_id",
)


def outside_statuses(conn: sqlite3.Connection, document_id: str) -> list[dict[str, Any]]:
    """The last status each outside agency reported for a document we sent, by OrganId."""
    rows = conn.execute(
        f"SELECT {', '.join(_STATUS_COLUMNS)} FROM edxml_statuses WHERE document_id = ? "
        "ORDER BY organ_id",
        (document_id,),
    ).fetchall()
    return [{c: r[c] for c in _STATUS_COLUMNS} for r in rows]


def set_outside_status(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    """Set the status an outside agency reported for a document we sent."""
    conn.execute(
        f"INSERT INTO edxml_statuses ({', '.join(_STATUS_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in _STATUS_COLUMNS)}) "
        "ON CONFLICT (document_id, organ_id) DO UPDATE SET organ_name = excluded.organ_name, "
        "status_code = excluded.status_code, description = excluded.description, "
        "staff = excluded.staff, at = excluded.at, message_id = excluded.message_id",
        [row.get(c) for c in _STATUS_COLUMNS],
    )


def sent_documents(conn: sqlite3.Connection, doc_key: str) -> list[str]:
    """The ids of the documents whose document message went out as ``doc_key``, first sent
    first: one, unless wards without an OrganId of their own sent the same number and symbol
    on the same day under the city's (docs/edxml.md, "A ward's documents")."""
    rows = conn.execute(
        "SELECT document_id, min(at) AS first_at FROM edxml_messages WHERE direction = 'out' "
        "AND kind = 'document' AND doc_key = ? AND document_id IS NOT NULL "
        "GROUP BY document_id ORDER BY first_at, document_id",
        (doc_key,),
    ).fetchall()
    return [str(r["document_id"]) for r in rows]


def message_by_hash(conn: sqlite3.Connection, sha256: str) -> dict[str, Any] | None:
    """The message taken in whose bytes hash to ``sha256`` (a file dropped twice), or None."""
    row = conn.execute(
        f"SELECT {', '.join(_MESSAGE_COLUMNS)} FROM edxml_messages "
        "WHERE direction = 'in' AND sha256 = ? ORDER BY at LIMIT 1",
        (sha256,),
    ).fetchone()
    return None if row is None else {c: row[c] for c in _MESSAGE_COLUMNS}


def last_incoming_number(conn: sqlite3.Connection, unit: str, year: int) -> int:
    """The highest incoming number ``unit`` gave in ``year``'s ordinary register (0 if none)."""
    row = conn.execute(
        "SELECT max(incoming_number) AS used FROM document_receipt WHERE unit = ? "
        "AND incoming_year = ? AND coalesce(secret, 0) = 0",
        (unit, year),
    ).fetchone()
    return int(row["used"] or 0)
