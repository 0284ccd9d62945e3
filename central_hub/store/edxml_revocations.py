"""The hub's bookkeeping of revocation messages out (docs/edxml.md, "Revocations out"): when
a document whose edXML document message was claimed (``edxml_document_sent``) is recalled,
one revocation message (business type 1) goes to each agency the document message went to,
claimed once per (document, agency) with its bytes before its file is written, like the
document message itself. Never synced; what the ward sees is its document's
``edxml_statuses`` (``central_hub/edxml/ward_statuses.py``).
"""

from __future__ import annotations

import sqlite3
from typing import Any


def create_table(conn: sqlite3.Connection) -> None:
    """Migration ``0042_edxml_revocations``'s table: each revocation message claimed, per
    document and agency (``organ_id``), its message and file name, and when its file was
    written to the outbox (NULL until then)."""
    conn.execute(
        "CREATE TABLE edxml_revocation_sent (document_id TEXT NOT NULL, organ_id TEXT NOT NULL, "
        "message_id TEXT NOT NULL, file_name TEXT NOT NULL, at TEXT NOT NULL, written_at TEXT, "
        "PRIMARY KEY (document_id, organ_id))"
    )
    conn.execute(
        "CREATE INDEX edxml_revocation_sent_unwritten ON edxml_revocation_sent (written_at, at)"
    )


def due(conn: sqlite3.Connection, limit: int = 100) -> list[dict[str, Any]]:
    """Recalled documents whose document message was claimed and whose revocations were not:
    each with the claimed message's id, sender, addressees (``organ_to``, comma-separated, as
    the message went out) and platform identifier (``doc_key``), oldest claim first. The
    revocations of one document are claimed together (:func:`claim`), so a document has either
    all of them or none."""
    rows = conn.execute(
        "SELECT s.document_id, s.message_id, m.organ_from, m.organ_to, m.doc_key "
        "FROM edxml_document_sent s JOIN edxml_messages m ON m.id = s.message_id "
        "JOIN document d ON d.id = s.document_id WHERE coalesce(d.recalled, 0) <> 0 "
        "AND NOT EXISTS (SELECT 1 FROM edxml_revocation_sent r "
        "WHERE r.document_id = s.document_id) ORDER BY s.at, s.document_id LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        dict(
            document_id=r["document_id"],
            message_id=r["message_id"],
            organ_from=r["organ_from"],
            organ_to=r["organ_to"],
            doc_key=r["doc_key"],
        )
        for r in rows
    ]


def claim(
    conn: sqlite3.Connection,
    document_id: str,
    organ_id: str,
    message_id: str,
    file_name: str,
    at: str,
) -> bool:
    """Claim the revocation of ``document_id`` to ``organ_id``; False when it was claimed
    before (another process, an earlier round): nothing more is to be built."""
    row = conn.execute(
        "INSERT INTO edxml_revocation_sent (document_id, organ_id, message_id, file_name, at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (document_id, organ_id) DO NOTHING "
        "RETURNING document_id",
        (document_id, organ_id, message_id, file_name, at),
    ).fetchone()
    return row is not None


def unwritten(conn: sqlite3.Connection, limit: int = 100) -> list[dict[str, Any]]:
    """Revocations claimed whose file was not written yet (a crash or a full disk between the
    claim and the file), oldest first, with the stored bytes' hash."""
    rows = conn.execute(
        "SELECT r.document_id, r.organ_id, r.message_id, r.file_name, m.sha256 "
        "FROM edxml_revocation_sent r JOIN edxml_messages m ON m.id = r.message_id "
        "WHERE r.written_at IS NULL ORDER BY r.at, r.document_id, r.organ_id LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        dict(
            document_id=r["document_id"],
            organ_id=r["organ_id"],
            message_id=r["message_id"],
            file_name=r["file_name"],
            sha256=r["sha256"],
        )
        for r in rows
    ]


def mark_written(conn: sqlite3.Connection, document_id: str, organ_id: str, at: str) -> None:
    """Record that the revocation of ``document_id`` to ``organ_id`` is in the outbox."""
    conn.execute(
        "UPDATE edxml_revocation_sent SET written_at = ? WHERE document_id = ? "
        "AND organ_id = ? AND written_at IS NULL",
        (at, document_id, organ_id),
    )


def of_document(conn: sqlite3.Connection, document_id: str) -> list[dict[str, Any]]:
    """The revocations of a document, by agency: ``organ_id``, ``at`` (claimed),
    ``written_at``, ``message_id``."""
    rows = conn.execute(
        "SELECT organ_id, message_id, at, written_at FROM edxml_revocation_sent "
        "WHERE document_id = ? ORDER BY organ_id",
        (document_id,),
    ).fetchall()
    return [
        dict(
            organ_id=r["organ_id"],
            message_id=r["message_id"],
            at=r["at"],
            written_at=r["written_at"],
        )
        for r in rows
    ]


def document_sent(conn: sqlite3.Connection, document_id: str) -> dict[str, Any] | None:
    """The claim of a document's document message (``message_id``, ``at``, ``written_at``,
    ``organ_to``), or None when it never went out."""
    row = conn.execute(
        "SELECT s.message_id, s.at, s.written_at, m.organ_to FROM edxml_document_sent s "
        "JOIN edxml_messages m ON m.id = s.message_id WHERE s.document_id = ?",
        (document_id,),
    ).fetchone()
    if row is None:
        return None
    return dict(
        message_id=row["message_id"],
        at=row["at"],
        written_at=row["written_at"],
        organ_to=row["organ_to"],
    )
