"""What the hub tells a ward about its own document sent to agencies outside the city
(docs/edxml.md, "A ward's documents"): the document's synced ``edxml_statuses`` field, per
OrganId of its ``edxml_to``, says when its document message went to the outbox (``sent_at``),
when the revocation of a recalled one went (``revoked_at``) and the last status that agency
reported (``status_code``, ``description``, ``staff``, ``at``). The hub is its only writer; the ward reads it after its next sync. The hub's own
record of the same is its ``edxml_statuses`` table and messages (``central_hub/store/edxml.py``):
this field is a copy for the ward, never read back by the exchange.
"""

from __future__ import annotations

from typing import Any

from sync import Write, select_records

from ..store import capture
from .message import Message

ACTOR = "edxml"


def _current(conn: Any, doc_id: str) -> dict[str, dict[str, Any]]:
    found = select_records(conn, "document", "WHERE id = ?", (doc_id,))
    value = (found[0].get("edxml_statuses") if found else None) or {}
    return {k: dict(v) for k, v in value.items() if isinstance(v, dict)}


def _write(conn: Any, doc: dict[str, Any], statuses: dict[str, dict[str, Any]]) -> None:
    capture(conn).write_many(
        [Write("document", doc["id"], doc["unit"], {"edxml_statuses": statuses})], actor=ACTOR
    )


def sent(conn: Any, doc: dict[str, Any], at: str, names: dict[str, str]) -> None:
    """The document message of the ward's document ``doc`` was claimed for the outbox at
    ``at``: each addressee's entry says so (a status already reported is kept)."""
    statuses = _current(conn, doc["id"])
    for organ in doc.get("edxml_to") or []:
        entry = statuses.setdefault(organ, {})
        entry.setdefault("organ_name", names.get(organ) or None)
        entry["sent_at"] = at
    _write(conn, doc, statuses)


def revoked(conn: Any, doc: dict[str, Any], organs: list[str], at: str) -> None:
    """The revocation of the ward's recalled document ``doc`` to each of ``organs`` was
    claimed for the outbox at ``at`` (docs/edxml.md, "Revocations out")."""
    statuses = _current(conn, doc["id"])
    names = doc.get("edxml_to_names") or {}
    for organ in organs:
        entry = statuses.setdefault(organ, {})
        entry.setdefault("organ_name", names.get(organ) or None)
        entry["revoked_at"] = at
    _write(conn, doc, statuses)


def report(conn: Any, doc: dict[str, Any], msg: Message, at: str) -> None:
    """An outside agency's status message ``msg`` about the ward's document ``doc``, taken in
    at ``at``: its entry takes the code, the description and who handles it."""
    statuses = _current(conn, doc["id"])
    organ = str(msg.from_organ)
    entry = statuses.setdefault(organ, {})
    entry.update(
        organ_name=(msg.from_name or entry.get("organ_name") or None),
        status_code=msg.status_code,
        description=(msg.description or "")[:2000] or None,
        staff=(msg.staff or "")[:300] or None,
        at=at,
    )
    if entry["organ_name"]:
        entry["organ_name"] = str(entry["organ_name"])[:300]
    _write(conn, doc, statuses)
